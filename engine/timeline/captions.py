"""Captions (.srt) from the words the timeline keeps, timed on the timeline, never split mid-word."""

from __future__ import annotations

from collections.abc import Sequence

from engine.timeline.placement import PlacedClip

MAX_CHARS = 42  # one subtitle line, the usual broadcast limit
MAX_SECONDS = 3.5


def _stamp(seconds: float) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def caption_cues(clips: Sequence[PlacedClip]) -> list[tuple[float, float, str]]:
    """(start, end, text) on the timeline for every kept word, grouped into readable lines."""
    cues: list[tuple[float, float, str]] = []
    for c in clips:
        rate = c.rate
        lo, hi = float(c.start / rate), float(c.end / rate)
        offset = float(c.record_start) - lo
        line: list[tuple[float, float, str]] = []
        for w in c.words:
            if w.start < lo or w.end > hi:
                continue
            text = w.text.strip()
            if not text:
                continue
            length = len(" ".join(t for _, _, t in line + [(0, 0, text)]))
            if line and (length > MAX_CHARS or w.end - line[0][0] > MAX_SECONDS):
                cues.append((line[0][0] + offset, line[-1][1] + offset, " ".join(t for _, _, t in line)))
                line = []
            line.append((w.start, w.end, text))
        if line:
            cues.append((line[0][0] + offset, line[-1][1] + offset, " ".join(t for _, _, t in line)))
    return cues


def srt_for(clips: Sequence[PlacedClip]) -> str:
    blocks = []
    for i, (a, b, text) in enumerate(caption_cues(clips), start=1):
        blocks.append(f"{i}\n{_stamp(a)} --> {_stamp(max(b, a + 0.3))}\n{text}\n")
    return "\n".join(blocks)
