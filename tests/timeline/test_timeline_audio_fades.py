"""Speech edits in the timeline (issue 13): dialog joins do not click (where the sound jumps in its
source, the clip fades out and the next fades in over AUDIO_FADE_S, so the peak sample step at the join
is no bigger than the waveform's own), and each source's words travel to the hosts' transcript panels."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np

from engine.analysis.report import Disfluency, MediaAnalysis, Word
from engine.synthetic import Tone, write_tones
from engine.timeline.build import AUDIO_FADE_S, build_timeline
from engine.timeline.placement import PlacedClip
from engine.timeline.preview import AUDIO_RATE, join_steps, mix_audio

RATE = Fraction(25)


def _media(path) -> MediaAnalysis:
    return MediaAnalysis(
        path=str(path), sha256="0" * 64, duration=6.0, fps=0.0, rate=(25, 1), width=0, height=0,
        has_audio=True,
    )  # fmt: skip


def _clip(k: int, media: MediaAnalysis, index: int, start: int, end: int, at: Fraction) -> PlacedClip:
    return PlacedClip(
        decision_id=f"d{k}", reason="test", media_index=index, path=media.path, rate=RATE, start=start,
        end=end, record_start=at, record_end=at + Fraction(end - start) / RATE, kind="speech",
    )  # fmt: skip


def test_joins_in_the_dialog_fade_and_do_not_click(tmp_path):
    # Loud tones whose phase at the frame cuts differs: a hard cut between them steps the waveform.
    low = _media(tmp_path / "low.wav")
    high = _media(tmp_path / "high.wav")
    write_tones(tmp_path / "low.wav", [Tone(0.0, 6.0, 233.0, -1.0)], 6.0, AUDIO_RATE)
    write_tones(tmp_path / "high.wav", [Tone(0.0, 6.0, 377.0, -1.0)], 6.0, AUDIO_RATE)
    media = [low, high]
    clips = []
    at = Fraction(0)
    # low 0.48-1.48 s, high 2.0-3.0 s, low 1.48-2.48 s (after the high one, so it fades in), then low
    # 2.48-3.0 s, which continues the one before it: no fade at that join.
    for k, (index, a, b) in enumerate([(0, 12, 37), (1, 50, 75), (0, 37, 62), (0, 62, 75)]):
        clips.append(_clip(k, media[index], index, a, b, at))
        at = clips[-1].record_end
    timeline = build_timeline(clips, media, {}, "fades", "tl", {}, RATE)
    dialog = timeline.tracks[1]
    fades = [c.metadata["autoedit"].get("audio_fade") for c in dialog.find_clips()]
    assert fades[0] == {"in_s": AUDIO_FADE_S, "out_s": AUDIO_FADE_S, "shape": "cosine"}
    assert fades[2] == {"in_s": AUDIO_FADE_S, "out_s": 0.0, "shape": "cosine"}  # the next one continues it
    assert fades[3] == {"in_s": 0.0, "out_s": AUDIO_FADE_S, "shape": "cosine"}

    length = float(at)
    joins = [float(c.record_end) for c in clips[:-1]]
    faded = mix_audio(timeline, length)
    for clip in dialog.find_clips():
        clip.metadata["autoedit"].pop("audio_fade", None)
    hard = mix_audio(timeline, length)

    peak = float(np.abs(hard).max())
    own = 2 * np.pi * 377.0 / AUDIO_RATE * peak  # the steepest step a sine this loud takes by itself
    hard_steps, faded_steps = join_steps(hard, joins), join_steps(faded, joins)
    jumps = [0, 1]  # the joins where the source jumps (the last one is continuous)
    assert all(hard_steps[j] > 5 * own for j in jumps), (hard_steps, own)  # the measure sees the click
    assert all(faded_steps[j] <= 1.05 * own for j in jumps), (faded_steps, own)
    assert faded_steps[2] == hard_steps[2]  # a continuous join is left alone
    # outside the fades the sound is untouched
    far = int(0.1 * AUDIO_RATE)
    assert np.array_equal(
        faded[far : int(joins[0] * AUDIO_RATE) - far], hard[far : int(joins[0] * AUDIO_RATE) - far]
    )


def test_the_timeline_carries_every_word_of_each_source_with_its_disfluency_kind(tmp_path):
    words = [
        Word(text=t, start=a, end=a + 0.3, confidence=0.9)
        for t, a in (("So,", 0.5), ("um,", 1.0), ("yes.", 1.5))
    ]
    um = Disfluency(kind="filler", start=0.95, end=1.35, confidence=0.9, text="um", reason="filler")
    media = _media(tmp_path / "talk.wav").model_copy(update={"words": words, "disfluencies": [um]})
    clip = _clip(0, media, 0, 35, 50, Fraction(0))  # only "yes." is kept
    timeline = build_timeline([clip], [media], {}, "words", "tl", {}, RATE)
    stored = json.loads(timeline.to_json_string())["metadata"]["autoedit"]["transcripts"]
    assert stored == {
        media.path: [["So,", 0.5, 0.8, ""], ["um,", 1.0, 1.3, "filler"], ["yes.", 1.5, 1.8, ""]]
    }
