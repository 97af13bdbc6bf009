"""The edit on real media through the real analysis (ASR words, beats, shots, faces) and the real planner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from engine.config import load_config
from engine.editing import MediaRef, report_digest, run_edit
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / ".." / "shared" / "media"
EXAMPLE = MEDIA / "talking_head" / "auto-editor_example.mp4"
FACES = [MEDIA / "talking_head" / "video_retalking" / f"face_{i}.mp4" for i in range(1, 6)]
TITANIC = MEDIA / "video_cuts" / "movienet_test1_titanic.mp4"  # 23.976 fps, 3 shots
MUSIC = MEDIA / "music" / "gtzan_country.00000.wav"
AUTO_EDITOR_RESULT_S = 17.433008  # auto-editor's own test: example.mp4 with default silence removal


@pytest.fixture(scope="module")
def tightened(engine_data_dir):
    """'tighten this, remove silences' with the default planner (the LLM)."""
    return run_edit(
        [MediaRef(EXAMPLE)], "tighten this, remove silences", load_config(), engine_data_dir, Job()
    )


def test_tighten_keeps_whole_words_and_lands_near_auto_editor(tightened):
    result = tightened
    assert result.report["spec_source"] == "llm"
    assert result.report["spec"]["style"] == "tighten"
    words = result.analysis.media[0].words
    assert len(words) > 20, "the analysis found no words to check against"
    dialog = [t for t in result.timeline.tracks if t.name.startswith("A1")][0]
    edges = []
    for clip in dialog.find_clips():
        edges += [
            clip.source_range.start_time.to_seconds(),
            clip.source_range.end_time_exclusive().to_seconds(),
        ]
    for t in edges:
        inside = [w for w in words if w.start + 1e-3 < t < w.end - 1e-3]
        assert not inside, (
            f"cut at {t:.3f} s inside {inside[0].text!r} ({inside[0].start:.3f}-{inside[0].end:.3f})"
        )
    length = dialog.duration().to_seconds()
    assert abs(length - AUTO_EDITOR_RESULT_S) <= 0.15 * AUTO_EDITOR_RESULT_S, length
    kept = " ".join(c["transcript"] for c in result.report["clips"]).lower()
    assert "banana" in kept  # the late line after 23 s of silence is speech too


def test_different_prompts_give_different_timelines(tightened, engine_data_dir):
    rules = load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    short = run_edit([MediaRef(EXAMPLE)], "an 8 second highlight reel", rules, engine_data_dir, Job())
    vertical = run_edit(
        [MediaRef(EXAMPLE)], "tighten this for a vertical video with captions", rules, engine_data_dir, Job()
    )
    assert len({report_digest(tightened), report_digest(short)}) == 2
    assert abs(short.report["duration"] - 8.0) <= 0.16
    assert abs(short.report["duration"] - tightened.report["duration"]) > 5
    assert vertical.report["spec"]["aspect"] == "9:16" and vertical.captions_srt
    crops = [c.metadata["autoedit"]["reframe"]["crop"] for c in vertical.timeline.tracks[0].find_clips()]
    assert crops and all(abs(c[2] - (9 / 16) / (16 / 9)) < 1e-3 and c[3] == 1.0 for c in crops)


def test_twenty_second_highlight_reel_with_music_cuts_on_beats(engine_data_dir):
    rules = load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    result = run_edit(
        [MediaRef(p) for p in [*FACES, TITANIC]],
        "20 second highlight reel with music",
        rules,
        engine_data_dir,
        Job(),
        music=MUSIC,
    )
    video = result.timeline.tracks[0]
    length = video.duration().to_seconds()
    assert abs(length - 20.0) <= 0.02 * 20.0, (length, result.report["notes"])
    beats = np.array(result.music.beats)
    assert len(beats) > 20, "the beat tracker found too few beats to cut to"
    music_clip = next(iter([t for t in result.timeline.tracks if t.name.startswith("A2")][0].find_clips()))
    offset = music_clip.source_range.start_time.to_seconds()
    cuts = [c.range_in_parent().end_time_exclusive().to_seconds() for c in video.find_clips()]
    errors = np.array([np.min(np.abs(beats - (offset + t))) for t in [0.0, *cuts]])
    assert np.mean(errors <= 0.040) >= 0.95, errors
    assert len({c["path"] for c in result.report["clips"]}) >= 3  # a reel, not one long take
    # Picture over words no speech clip holds (a sentence left unfinished) plays under the music
    # without its sound: its dialog is a gap (test_planning_speech_edit.py builds one such clip).
    media = {m.path: m for m in result.analysis.media}
    dialog = next(t for t in result.timeline.tracks if t.name.startswith("A1"))
    for picture, sound, clip in zip(video, dialog, result.report["clips"], strict=True):
        meta = picture.metadata["autoedit"]
        if meta["kind"] != "visual":
            continue
        a, b, m = clip["source_start"], clip["source_end"], media[clip["path"]]
        if any(w.start < b and a < w.end for w in m.words):
            assert meta.get("muted") is True and isinstance(sound, otio.schema.Gap), (a, b, m.path)


@pytest.mark.parametrize(
    "prompt, duration, aspect",
    [
        ("a 10 second and 5 minute edit, vertical and square", 10.0, "9:16"),
        ("Haz un vídeo corto de 15 segundos con los mejores momentos", 15.0, "16:9"),
    ],
)
def test_llm_plans_are_schema_valid_and_held_to_the_prompt(
    tightened, engine_data_dir, prompt, duration, aspect
):
    """Contradictory and non-English prompts through the LLM: valid specs, repairs stated (model loaded above)."""
    from engine.planning.prompt import plan_spec
    from engine.planning.spec import EditSpec

    spec, source, notes, _ = plan_spec(prompt, load_config(), Job())
    assert source == "llm"
    assert EditSpec.model_validate(spec.model_dump()) == spec
    assert spec.target_duration == duration and spec.aspect == aspect
    assert notes and notes[0].startswith("planner: SmolLM2")
