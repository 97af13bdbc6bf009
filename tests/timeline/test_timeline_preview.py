"""Preview render (PyAV), contact sheet, captions and reframing, checked by decoding what was written."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image
from planning.edit_helpers import face_samples, media_from_truth, music_from_truth

from engine.analysis.report import AnalysisReport
from engine.config import load_config
from engine.editing import MediaRef, run_edit
from engine.progress import Job
from engine.timeline.captions import caption_cues
from engine.timeline.preview import AUDIO_RATE, mix_audio, render_preview

SENTENCES = (
    ("Welcome to the workshop.", 0.5),
    ("We build every table by hand.", 3.5),
    ("The oil takes a night to dry.", 7.0),
)


@pytest.fixture(scope="module")
def edit(tmp_path_factory):
    from engine.synthetic import write_click_track, write_speech

    root = tmp_path_factory.mktemp("preview")
    truth = write_speech(
        root / "talk.mp4", SENTENCES, 10.0, rate=Fraction(25), cuts=[90, 170], size=(320, 180)
    )
    music = write_click_track(root / "music.wav", 120.0, 20.0, 0.25, 4)
    talk = media_from_truth(root / "talk.mp4", truth, faces=face_samples(10.0, 0.75, 0.4))
    config = load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    result = run_edit(
        [MediaRef(talk.path)], "a 6 second vertical highlight reel with captions", config, root / "data", Job(),
        music=root / "music.wav", analysis=AnalysisReport(media=[talk]), music_analysis=music_from_truth(root / "music.wav", music),
    )  # fmt: skip
    return result, root


def test_preview_decodes_with_the_timeline_length_and_mixed_audio(edit, tmp_path):
    result, _ = edit
    preview = render_preview(result.timeline, tmp_path / "preview.mp4")
    length = result.timeline.tracks[0].duration().to_seconds()
    with av.open(str(preview.video)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == (136, 240)  # 9:16
        frames = sum(1 for _ in container.decode(video))
    assert frames == preview.frames == round(length * 25)
    with av.open(str(preview.video)) as container:
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    assert abs(len(samples) / AUDIO_RATE - length) < 0.1
    assert float(np.sqrt(np.mean(samples**2))) > 1e-3


def test_music_is_ducked_under_speech(edit):
    result, _ = edit
    music_track = [t for t in result.timeline.tracks if t.name.startswith("A2")][0]
    keys = next(iter(music_track.find_clips())).metadata["autoedit"]["ducking"]["keyframes"]
    length = result.timeline.tracks[0].duration().to_seconds()
    dialog = [t for t in result.timeline.tracks if t.name.startswith("A1")][0]
    result.timeline.tracks.remove(dialog)  # hear the music alone
    try:
        music = mix_audio(result.timeline, length)
    finally:
        result.timeline.tracks.insert(1, dialog)
    ducked = [
        (a, b) for (a, ga), (b, gb) in zip(keys, keys[1:], strict=False) if ga == gb == -12.0 and b - a > 0.2
    ]
    open_ = [
        (a, b) for (a, ga), (b, gb) in zip(keys, keys[1:], strict=False) if ga == gb == 0.0 and b - a > 0.2
    ]
    assert ducked, keys

    def peak(spans):
        return max(float(np.abs(music[int(a * AUDIO_RATE) : int(b * AUDIO_RATE)]).max()) for a, b in spans)

    if open_:
        assert peak(ducked) < 0.5 * peak(open_)  # -12 dB is a quarter of the amplitude


def test_contact_sheet_has_a_tile_per_clip(edit, tmp_path):
    result, _ = edit
    preview = render_preview(result.timeline, tmp_path / "p.mp4")
    clips = len(list(result.timeline.tracks[0].find_clips()))
    with Image.open(preview.contact_sheet) as sheet:
        cols = min(4, clips)
        rows = (clips + cols - 1) // cols
        assert sheet.size[0] == cols * 240 and sheet.size[1] % rows == 0


def test_captions_follow_the_kept_words_on_the_timeline(edit):
    result, _ = edit
    assert result.captions_srt and result.captions_srt.startswith("1\n00:00:")
    kept = " ".join(c["transcript"] for c in result.report["clips"])
    cues = caption_cues(_placed(result))
    length = result.timeline.tracks[0].duration().to_seconds()
    assert cues and all(0 <= a < b <= length + 0.05 for a, b, _ in cues)
    assert all(word in kept for _, _, text in cues for word in text.split())


def test_reframe_centres_the_crop_on_the_face(edit):
    result, _ = edit
    for clip in result.timeline.tracks[0].find_clips():
        reframe = clip.metadata["autoedit"]["reframe"]
        x, y, w, h = reframe["crop"]
        assert reframe["centred_on"] == "faces"
        assert abs(w - (9 / 16) / (16 / 9)) < 1e-3 and h == 1.0
        assert abs((x + w / 2) - 0.75) < 0.02  # the face sits at x = 0.75


def _placed(result):
    """The placed clips, rebuilt from the store record the edit wrote (what hosts see)."""
    from engine.analysis.report import media_rate
    from engine.timeline.placement import PlacedClip

    media = result.analysis.media[0]
    rate = media_rate(media)
    out = []
    for c in result.report["clips"]:
        start, end = round(c["source_start"] * rate), round(c["source_end"] * rate)
        words = [w for w in media.words if w.start >= c["source_start"] - 1e-6 and w.end <= c["source_end"] + 1e-6]
        out.append(
            PlacedClip(
                c["decision_id"], c["reason"], 0, c["path"], rate, start, end,
                Fraction(c["record_start"]).limit_denominator(10**6),
                Fraction(c["record_end"]).limit_denominator(10**6),
                c["kind"], text=c["transcript"], words=words,
            )
        )  # fmt: skip
    return out
