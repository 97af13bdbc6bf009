"""Which words of a source the sidebar shows as kept (addon_blender/transcript_view.py, bpy-free)."""

from __future__ import annotations

from fractions import Fraction

from addon_blender.transcript_view import shown_words
from addon_blender.vse_model import StripState

WORDS = [["We", 0.2, 0.5, ""], ["build", 0.6, 1.0, ""], ["tables.", 1.1, 1.6, ""], ["Then", 3.0, 3.3, ""]]


def _strip(kind: str, start: int, end: int, source_s: float) -> StripState:
    # frame_start: where file frame 0 sits, so the strip plays the file from source_s at `start`
    return StripState(
        name=f"{kind}{start}", kind=kind, channel=1 if kind == "movie" else 2, start=start, end=end,
        frame_start=start - source_s * 25, path="/m/talk.mp4", media_rate=Fraction(25),
    )  # fmt: skip


def test_a_picture_muted_over_speech_keeps_no_word_its_sound_strip_would():
    rate = Fraction(25)
    # 0-2 s of the source with its sound, then 2.8-3.6 s as picture only (muted under the music)
    strips = [_strip("movie", 1, 51, 0.0), _strip("sound", 1, 51, 0.0), _strip("movie", 51, 71, 2.8)]
    kept = [w.kept for w in shown_words(WORDS, strips, "/m/talk.mp4", rate)]
    assert kept == [True, True, True, False]
    # a timeline placed without sound strips: its pictures are what plays the words
    pictures = [s for s in strips if s.kind == "movie"]
    assert [w.kept for w in shown_words(WORDS, pictures, "/m/talk.mp4", rate)] == [True, True, True, True]
