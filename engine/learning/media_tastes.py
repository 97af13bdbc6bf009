"""Simulated editors whose taste is a measure of the MEDIA itself, not of the engine's features.

Each measure decodes the clip's own pixels (PyAV, 8 samples a second at 64x36) or sound (16 kHz mono)
and reduces them with plain arithmetic the engine never computes as a feature: brightness, warmth,
colourfulness, steadiness, skin-tone share (a stand-in for faces), audio pace, shot length, and which
source the clip comes from. An editor accepts a clip when its measure is above a bar set at the median
of the untrained engine's clips (so that engine starts near 50 %), or trims every clip to the length
it likes. Events go through the hosts' `bridge.events.make_event`, as SimulatedEditor's do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.learning.simulate import ClipView, Review, clips_of, verdict_review

SAMPLE_FPS = 8.0
SIZE = (64, 36)


@functools.lru_cache(maxsize=64)
def _frames(path: str) -> tuple[np.ndarray, np.ndarray]:
    """(times, images) of the whole file at SAMPLE_FPS, decoded here, not by the engine."""
    import av

    times, images = [], []
    next_t = 0.0
    with av.open(path) as container:
        stream = container.streams.video[0]
        start = (container.start_time or 0) / av.time_base
        for frame in container.decode(stream):
            if frame.pts is None or stream.time_base is None:
                continue
            t = float(frame.pts * stream.time_base) - start
            if t + 1e-6 < next_t:
                continue
            next_t = t + 1.0 / SAMPLE_FPS
            times.append(t)
            images.append(frame.to_ndarray(format="rgb24", width=SIZE[0], height=SIZE[1]))
    return np.array(times), np.stack(images).astype(np.float32) / 255.0


@functools.lru_cache(maxsize=64)
def _audio(path: str) -> np.ndarray:
    import av

    chunks = []
    with av.open(path) as container:
        if not container.streams.audio:
            return np.zeros(0, dtype=np.float32)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def clip_frames(clip: ClipView) -> np.ndarray:
    times, images = _frames(clip.path)
    inside = (times >= clip.source_start) & (times < clip.source_end)
    if not inside.any():
        middle = (clip.source_start + clip.source_end) / 2
        return images[[int(np.argmin(np.abs(times - middle)))]]
    return images[inside]


def brightness(clip: ClipView) -> float:
    return float((clip_frames(clip) @ np.array([0.299, 0.587, 0.114])).mean())


def warmth(clip: ClipView) -> float:
    x = clip_frames(clip)
    return float(x[..., 0].mean() - x[..., 2].mean())


def colourfulness(clip: ClipView) -> float:
    """Hasler and Suesstrunk's colourfulness of the frames."""
    x = clip_frames(clip)
    rg = x[..., 0] - x[..., 1]
    yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def steadiness(clip: ClipView) -> float:
    """Minus the mean change of the picture between samples: a locked-off shot scores highest."""
    luma = clip_frames(clip) @ np.array([0.299, 0.587, 0.114])
    return -float(np.abs(np.diff(luma, axis=0)).mean()) if len(luma) > 1 else 0.0


def skin(clip: ClipView) -> float:
    """Share of skin-toned pixels (the YCrCb box of Chai and Ngan): how much of the frame is people."""
    x = clip_frames(clip) * 255.0
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cr, cb = (r - y) * 0.713 + 128, (b - y) * 0.564 + 128
    return float(((cr >= 133) & (cr <= 173) & (cb >= 77) & (cb <= 127)).mean())


def audio_pace(clip: ClipView) -> float:
    """How busy the sound is: mean jump of the 20 ms loudness envelope (dB) inside the clip."""
    samples = _audio(clip.path)
    a, b = int(clip.source_start * 16000), int(clip.source_end * 16000)
    part = samples[a:b]
    if len(part) < 640:
        return 0.0
    frames = part[: len(part) // 320 * 320].reshape(-1, 320)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-8)
    return float(np.abs(np.diff(db)).mean())


def shortness(clip: ClipView) -> float:
    return -clip.seconds


def not_from(name: str) -> Callable[[ClipView], float]:
    """A content taste: the editor dislikes everything from the source whose file name holds `name`."""

    def measure(clip: ClipView) -> float:
        return -1.0 if name in Path(clip.path).name else 0.0

    measure.__name__ = f"not_from_{name}"
    return measure


@dataclass
class MediaTaste:
    """Accepts a clip when `sign * measure(clip)` is above `bar` (set by `calibrate`)."""

    name: str
    measure: Callable[[ClipView], float]
    sign: float = 1.0
    bar: float | None = None
    _cache: dict[tuple[str, float, float], float] = field(default_factory=dict, repr=False)

    def utility(self, clip: ClipView) -> float:
        key = (clip.path, round(clip.source_start, 3), round(clip.source_end, 3))
        if key not in self._cache:
            self._cache[key] = self.sign * self.measure(clip)
        return self._cache[key]

    fixed_bar: bool = False  # a yes/no taste (content) keeps the bar it was given

    def calibrate(self, clips: Sequence[ClipView]) -> float:
        """The bar: the median utility of these clips (the untrained engine's), so it starts near 50 %."""
        if self.fixed_bar and self.bar is not None:
            return self.bar
        values = sorted(self.utility(c) for c in clips)
        mid = len(values) // 2
        self.bar = values[mid] if len(values) % 2 else 0.5 * (values[mid - 1] + values[mid])
        return self.bar

    def accepts(self, clip: ClipView) -> bool:
        assert self.bar is not None, "calibrate the taste on the untrained engine's clips first"
        return self.utility(clip) > self.bar


# The family bench/learning.py runs; the tests name others.
TASTE_FAMILY: dict[str, Callable[[], MediaTaste]] = {
    "pace": lambda: MediaTaste("busy sound (audio pace)", audio_pace),
    "faces": lambda: MediaTaste("people in frame (skin-tone share)", skin),
    "brightness": lambda: MediaTaste("bright pictures (mean luma)", brightness),
    "steadiness": lambda: MediaTaste("steady pictures (small frame change)", steadiness),
    "shot_length": lambda: MediaTaste("short shots (clip seconds)", shortness),
    "content": lambda: MediaTaste(
        "anything but the Titanic footage (source)", not_from("titanic"), bar=-0.5, fixed_bar=True
    ),
    "colour": lambda: MediaTaste("colourful pictures (Hasler-Suesstrunk)", colourfulness),
}


@dataclass
class MediaEditor:
    """Reviews a result like SimulatedEditor, judging each clip by its taste's media measure."""

    taste: MediaTaste
    profile: str = "default"

    def review(self, result: Mapping[str, Any]) -> Review:
        return verdict_review(
            result, self.taste.utility, lambda clip, _u: self.taste.accepts(clip), self.profile
        )


@dataclass
class TrimmingEditor:
    """Gives no verdicts: trims every clip longer than `keep_s` to its first `keep_s` seconds."""

    keep_s: float
    profile: str = "default"

    def review(self, result: Mapping[str, Any]) -> Review:
        from bridge.events import make_event

        clips = clips_of(result)
        timeline_id = str(result["timeline_id"])
        events = [
            make_event(
                "trim",
                timeline_id,
                c.decision_id,
                {"source_start": c.source_start, "source_end": c.source_start + self.keep_s},
                self.profile,
            )
            for c in clips
            if c.seconds > self.keep_s + 0.25
        ]
        scorer = str((result.get("report") or {}).get("scorer", ""))
        ok = [c.seconds <= self.keep_s + 0.25 for c in clips]
        return Review(timeline_id, clips, ok, [-c.seconds for c in clips], events, scorer)


def mean_seconds(reviews: Sequence[Review]) -> float:
    lengths = [c.seconds for r in reviews for c in r.clips]
    return float(np.mean(lengths)) if lengths else 0.0
