"""Effects from the prompt, end to end: the library, the OTIO round trip, the chooser's reasons, the
edit's timeline, and the preview that applies them (decoded back and measured)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest
from planning.edit_helpers import face_samples, media_from_truth

from engine.analysis.report import AnalysisReport
from engine.config import load_config
from engine.effects.choose import choose_by_rules
from engine.effects.library import KINDS, LIBRARY, Effect, describe_library
from engine.effects.otio import effects_of, to_otio
from engine.effects.render import (
    ClipRenderer,
    black_and_white,
    grade,
    region,
    source_offset,
    vignette_gain,
    zoom_box,
)
from engine.errors import BadInput
from engine.editing import MediaRef, run_edit
from engine.progress import Job
from engine.timeline.preview import render_preview

SENTENCES = (
    ("Welcome to the workshop.", 0.5),
    ("We build every table by hand.", 3.5),
    ("The oil dries.", 7.0),
)
PROMPT = "black and white, vignette, punch in on the speaker"


def test_every_kind_round_trips_through_an_otio_file(tmp_path: Path) -> None:
    clip = otio.schema.Clip(name="c", source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(48, 24)))  # fmt: skip
    made = []
    for kind in KINDS:
        params = {p.name: (p.low + p.high) / 2 for p in kind.params}
        made.append(Effect(kind.name, params, f"why {kind.name}", "rules", {"centre": [0.25, 0.5]}))
    clip.effects.extend(to_otio(e) for e in made)
    track = otio.schema.Track()
    track.append(clip)
    timeline = otio.schema.Timeline()
    timeline.tracks.append(track)
    path = tmp_path / "fx.otio"
    otio.adapters.write_to_file(timeline, str(path))
    back = otio.adapters.read_from_file(str(path)).find_clips()[0]
    assert [e.to_dict() for e in effects_of(back)] == [e.to_dict() for e in made]
    warp = next(e for e in back.effects if isinstance(e, otio.schema.LinearTimeWarp))
    assert warp.time_scalar == pytest.approx(made[[k.name for k in KINDS].index("speed")].params["factor"])
    assert {d["name"] for d in describe_library()} == set(LIBRARY)


def test_parameters_are_clamped_and_unknown_ones_refused() -> None:
    assert Effect("vignette", {"amount": 7}).params["amount"] == 1.0
    assert Effect("speed", {"factor": 0.01}).params["factor"] == 0.25
    with pytest.raises(BadInput, match="unknown parameter"):
        Effect("grade", {"gamma": 2})
    with pytest.raises(BadInput, match="unknown effect"):
        Effect("lens_flare")
    with pytest.raises(BadInput, match="finite"):
        Effect("grade", {"exposure": float("nan")})


def test_the_prompt_yields_the_effects_with_reasons() -> None:
    got = {r.kind: r for r in choose_by_rules(PROMPT)}
    assert set(got) == {"black_and_white", "vignette", "punch_in"}
    assert '"black and white"' in got["black_and_white"].reason and '"punch in"' in got["punch_in"].reason
    warm = {
        r.kind: r
        for r in choose_by_rules("warm film look, slow zoom, fade to black, crossfade between shots")
    }
    assert warm["grade"].params["temperature"] > 0 and warm["grade"].params["contrast"] > 1
    assert warm["ken_burns"].params["end_scale"] > 1 and warm["fade"].scope == "last" and "crossfade" in warm
    plates = choose_by_rules("blur the licence plates and pixelate the faces, speed ramp into the drop")
    assert [(r.kind, r.target) for r in plates if r.target] == [
        ("blur_region", "license plate"),
        ("pixelate_region", "faces"),
    ]
    assert any(r.kind == "speed_ramp" for r in plates)
    assert [r.description for r in choose_by_rules("give it a VHS glitch look")] == ["VHS", "glitch look"]
    assert choose_by_rules("tighten this interview, remove the silences") == []


@pytest.mark.parametrize(
    "prompt",
    [
        "a monochrome cut with darkened corners, zoomed in on whoever is talking",
        "greyscale, dark edges, framed tighter on the presenter",
        "B&W with a vignetted frame and a closer crop on the interviewee",
    ],
)
def test_paraphrased_looks_are_recognised(prompt: str) -> None:
    assert {r.kind for r in choose_by_rules(prompt)} == {"black_and_white", "vignette", "punch_in"}


def test_pixel_functions() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((12, 16, 3)).astype(np.float32)
    assert np.allclose(grade(x, 0.0, 1.0, 1.0, 0.0), x, atol=1e-6)
    grey = black_and_white(x, 1.0)
    assert np.allclose(grey[..., 0], grey[..., 2]) and np.allclose(grey[..., 0], x.max(axis=2), atol=1e-6)
    half = black_and_white(x, 0.5)
    assert np.allclose(half, (x + x.max(axis=2, keepdims=True)) / 2, atol=1e-6)
    gain = vignette_gain(90, 160, 0.6, 0.55, 0.45)
    assert gain[45, 80] == pytest.approx(1.0) and gain[0, 0] == pytest.approx(0.4, abs=0.02)
    assert zoom_box((0.0, 0.0, 1.0, 1.0), 2.0, (0.9, 0.5)) == pytest.approx((0.5, 0.25, 0.5, 0.5))
    ramp = Effect("speed_ramp", {"start": 1.0, "end": 0.5})
    assert source_offset([ramp], 2.0, 2.0) == pytest.approx(1.5)  # mean speed 0.75 over 2 s
    frame = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
    blurred = region(frame, [(0.25, 0.25, 0.25, 0.25)], "blur", 6.0, 0.0)
    assert np.array_equal(blurred[:10], frame[:10]) and not np.array_equal(
        blurred[14:22, 18:30], frame[14:22, 18:30]
    )
    mosaic = region(frame, [(0.0, 0.0, 0.5, 0.5)], "pixelate", 8.0, 0.0)
    assert len(np.unique(mosaic[0:2, 0:2].reshape(-1, 3), axis=0)) == 1


@pytest.fixture(scope="module")
def edit(tmp_path_factory):
    from engine.synthetic import write_speech

    root = tmp_path_factory.mktemp("effects")
    truth = write_speech(
        root / "talk.mp4", SENTENCES, 10.0, rate=Fraction(25), cuts=[90, 170], size=(320, 180)
    )
    talk = media_from_truth(root / "talk.mp4", truth, faces=face_samples(10.0, 0.7, 0.4))
    config = load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    data = root / "data"
    plain = run_edit(
        [MediaRef(talk.path)], "tighten this", config, data, Job(), analysis=AnalysisReport(media=[talk])
    )
    result = run_edit(
        [MediaRef(talk.path)], PROMPT, config, data, Job(), analysis=AnalysisReport(media=[talk])
    )
    return root, plain, result, talk, config


def test_the_edit_carries_the_effects_in_its_otio(edit) -> None:
    root, plain, result, _talk, _config = edit
    path = root / "fx.otio"
    otio.adapters.write_to_file(result.timeline, str(path))
    timeline = otio.adapters.read_from_file(str(path))
    clips = list(timeline.video_tracks()[0].find_clips())
    assert clips
    for clip in clips:
        kinds = [e.kind for e in effects_of(clip)]
        assert kinds == ["black_and_white", "vignette", "punch_in"], kinds
        punch = effects_of(clip)[2]
        assert punch.data["centre"] == pytest.approx([0.7, 0.4], abs=1e-3)  # the face's centre
        assert all(e.reason and e.source == "rules" for e in effects_of(clip))
    assert [e["kind"] for e in result.report["effects"]] == ["black_and_white", "vignette", "punch_in"]
    assert timeline.metadata["autoedit"]["effects"][0]["clips"] == len(clips)
    assert plain.report["effects"] == [] and not any(c.effects for c in plain.timeline.find_clips())
    # the cut itself does not change with effects
    cut = [(c["source_start"], c["source_end"]) for c in result.report["clips"]]
    assert cut == [(c["source_start"], c["source_end"]) for c in plain.report["clips"]]
    json.dumps(result.report)


def _decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_the_preview_applies_them(edit) -> None:
    root, plain, result, _talk, _config = edit
    fx = _decode(render_preview(result.timeline, root / "fx.mp4").video)
    base = _decode(render_preview(plain.timeline, root / "plain.mp4").video)
    assert len(fx) == len(base)
    k = len(fx) // 2
    a, b = fx[k].astype(np.float32), base[k].astype(np.float32)
    chroma = lambda img: float(np.abs(img - img.mean(axis=2, keepdims=True)).mean())  # noqa: E731
    assert chroma(b) > 8 and chroma(a) < 2.5  # black and white (x264 adds a little chroma noise)
    h, w = a.shape[:2]

    def corners(img: np.ndarray) -> float:
        return float(np.mean([img[: h // 8, : w // 8].mean(), img[-(h // 8) :, -(w // 8) :].mean()]))

    centre = a[h * 3 // 8 : h * 5 // 8, w * 3 // 8 : w * 5 // 8].mean()
    assert corners(a) < 0.75 * corners(b) or corners(a) < 0.6 * centre  # the vignette darkened the corners
    # the first frame equals the frame functions applied to the decoded source frame shown there
    clip = result.timeline.video_tracks()[0].find_clips()[0]
    start = clip.source_range.start_time.to_seconds()
    with av.open(str(_talk.path)) as container:
        stream = container.streams.video[0]
        source = next(f for f in container.decode(stream) if f.time is not None and f.time >= start - 1e-3)
        picture = source.to_ndarray(format="rgb24")
    renderer = ClipRenderer(effects_of(clip), clip.source_range.duration.to_seconds(), (w, h))
    expected = renderer.render(picture, 0.0).astype(np.float32)
    assert np.abs(expected - fx[0].astype(np.float32)).mean() < 6.0


def test_a_user_effect_file_runs_in_the_sandbox_and_a_hostile_one_is_left_out(edit) -> None:
    root, _plain, _result, talk, config = edit
    data = root / "data-user"
    (data / "effects").mkdir(parents=True)
    (data / "effects" / "invert_colours.py").write_text(
        "def effect(frame, t, info):\n    return 255 - frame\n"
    )
    (data / "effects" / "evil_glow.py").write_text(
        "import os\ndef effect(frame, t, info):\n    os.system('id')\n    return frame\n"
    )
    good = run_edit(
        [MediaRef(talk.path)],
        "invert colours please",
        config,
        data,
        Job(),
        analysis=AnalysisReport(media=[talk]),
    )
    clip = good.timeline.video_tracks()[0].find_clips()[0]
    assert [e.kind for e in effects_of(clip)] == ["code"] and effects_of(clip)[0].source == "user"
    frames = _decode(render_preview(good.timeline, root / "inverted.mp4").video)
    plain = _decode(render_preview(_plain.timeline, root / "plain2.mp4").video)
    diff = np.abs(frames[3].astype(int) - (255 - plain[3].astype(int))).mean()
    assert diff < 6  # the sandboxed function's output is what the preview shows
    bad = run_edit(
        [MediaRef(talk.path)], "evil glow", config, data, Job(), analysis=AnalysisReport(media=[talk])
    )
    assert not any(c.effects for c in bad.timeline.find_clips())
    assert any("evil_glow.py" in n and "refused" in n and "'os'" in n for n in bad.report["notes"]), (
        bad.report["notes"]
    )
    generated = run_edit(
        [MediaRef(talk.path)], "a VHS look", config, data, Job(), analysis=AnalysisReport(media=[talk])
    )
    assert any("code model" in n and "VHS" in n for n in generated.report["notes"]), generated.report["notes"]
