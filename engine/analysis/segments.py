"""Long files cut into overlapping time segments, and the segments' results stitched back into one.

Two planners share the Segment: plan_segments cuts the video for the cluster (spans aligned to
TransNetV2's windows, below), plan_audio_segments cuts a long file's audio for bounded-memory analysis
(engine/analysis/long_audio.py): seams in the pauses between Whisper's decoding windows.

Each segment owns a *core* [core_start, core_end); the cores tile the file. Its video is decoded over a
wider *span* reaching `overlap_s` past each seam, so the detector has settled (TransNetV2 looks 25-50
frames around each frame; the frame samplers fall back onto the file's grid) by the time it reaches
the core. Stitching keeps what starts inside each core: a cut at a seam is found once, by the segment
whose core holds it, and the shots are rebuilt from the cuts.

The visual analysers split (shots, faces, quality, objects): the video pass is what costs. The audio
analysers run as one audio-only task per file, beside the segments: Whisper decodes 30-s windows
that start where the previous one's text ended, so a transcript cut at other places reads differently
(on a 3-minute clip split in four, most word confidences and several words changed: "overnight" read "over high"), Silero's state runs through the
whole file, beats/tempo come from one DBN over the whole activation curve and integrated loudness
gates over the whole programme. Decoding a file's audio costs ~1% of its video pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from engine.analysis.shots import STEP, WINDOW, shots_from_cuts

SPLIT_ANALYSERS = frozenset({"shots", "faces", "quality", "objects"})


@dataclass(frozen=True)
class Segment:
    index: int
    core_start: float
    core_end: float
    start: float  # decoded from here ...
    end: float  # ... to here (seconds of the file)

    @property
    def span(self) -> tuple[float, float]:
        return (self.start, self.end)

    def owns(self, time: float) -> bool:
        return self.core_start <= time < self.core_end

    def cache_suffix(self) -> str:
        """Part of a segment result's cache key: its span (what was decoded decides the raw result)."""
        return f"~seg{self.start:.3f}-{self.end:.3f}"


def plan_segments(duration: float, segment_s: float, overlap_s: float, rate: Fraction) -> list[Segment]:
    """Equal cores of at most `segment_s` (one segment when the file is no longer than that).

    A span starts on a multiple of TransNetV2's window step (from frame 0) and at least a step before its
    core, and ends at least a window past it: the network then sees exactly the frames it sees in a
    whole-file run for every frame of the core, so the shots, confidences included, are the same.
    """
    count = max(1, math.ceil(duration / segment_s - 1e-9))
    fps = float(rate) if rate else 25.0
    step = STEP / fps
    seams = [round(duration * k / count, 3) for k in range(count + 1)]

    def span_start(seam: float) -> float:
        frames = math.floor((seam - max(overlap_s, step)) * fps / STEP) * STEP
        return max(0.0, float(Fraction(frames) / rate)) if rate else max(0.0, frames / fps)

    segments = []
    for k in range(count):
        last = k + 1 == count
        segments.append(
            Segment(
                index=k,
                core_start=seams[k] if k else -math.inf,
                core_end=math.inf if last else seams[k + 1],  # nothing past the nominal end is lost
                start=span_start(seams[k]) if k else 0.0,
                end=duration if last else min(duration, seams[k + 1] + max(overlap_s, WINDOW / fps)),
            )
        )
    return segments


def plan_audio_segments(
    duration: float,
    chunk_s: float,
    pauses: list[tuple[float, float]],
    preroll_s: float,
    overlap_s: float,
    grid_s: float,
) -> list[Segment]:
    """Cores of about `chunk_s` whose seams lie in `pauses` ((start, end) stretches no decoding window
    covers, in file order): near each multiple of chunk_s the widest pause within a quarter chunk is
    cut in its middle (the target itself when there is none). A span starts `preroll_s` before its core
    (rounded down to `grid_s`, a multiple of every analyser's frame hop, so frames fall on the file's
    own grid) and ends `overlap_s` after it."""
    count = max(1, math.ceil(duration / chunk_s - 1e-9))
    seams: list[float] = []
    for k in range(1, count):
        target = k * chunk_s
        near = [
            (b - a, -abs((a + b) / 2 - target), (a + b) / 2)
            for a, b in pauses
            if abs((a + b) / 2 - target) <= chunk_s / 4
        ]
        seam = round(max(near)[2], 3) if near else target
        if seam > (seams[-1] if seams else 0.0) and seam < duration:
            seams.append(seam)
    edges = [-math.inf, *seams, math.inf]
    out = []
    for k in range(len(edges) - 1):
        core_start, core_end = edges[k], edges[k + 1]
        start = 0.0 if k == 0 else max(0.0, math.floor((core_start - preroll_s) / grid_s) * grid_s)
        end = duration if core_end == math.inf else min(duration, core_end + overlap_s)
        out.append(Segment(index=k, core_start=core_start, core_end=core_end, start=round(start, 6), end=end))
    return out


def stitch(name: str, parts: list[tuple[Segment, dict[str, Any]]], duration: float) -> dict[str, Any]:
    """One analyser's result for the whole file from its segments' results (in any order)."""
    parts = sorted(parts, key=lambda part: part[0].index)
    return _STITCHERS[name](parts, duration)


def _shots(parts: list[tuple[Segment, dict[str, Any]]], duration: float) -> dict[str, Any]:
    # Within a span, every shot after the first starts at a cut the detector found.
    cuts = [
        (shot["start"], shot["confidence"])
        for segment, result in parts
        for shot in result["shots"][1:]
        if segment.owns(shot["start"])
    ]
    return {"shots": shots_from_cuts(cuts, duration)}


def _samples(field: str) -> Callable[[list[tuple[Segment, dict[str, Any]]], float], dict[str, Any]]:
    """Per-sample lists with a `time` (faces, objects): frame times are the file's."""

    def stitch_samples(parts: list[tuple[Segment, dict[str, Any]]], duration: float) -> dict[str, Any]:
        return {field: [s for segment, result in parts for s in result[field] if segment.owns(s["time"])]}

    return stitch_samples


def _quality(parts: list[tuple[Segment, dict[str, Any]]], duration: float) -> dict[str, Any]:
    out: dict[str, list[float]] = {"times": [], "sharpness": [], "motion": []}
    for segment, result in parts:
        quality = result["quality"]
        for i, time in enumerate(quality["times"]):
            if segment.owns(time):
                for key in out:
                    out[key].append(quality[key][i])
    return {"quality": out}


_STITCHERS = {
    "shots": _shots,
    "faces": _samples("faces"),
    "objects": _samples("objects"),
    "quality": _quality,
}
assert set(_STITCHERS) == SPLIT_ANALYSERS
