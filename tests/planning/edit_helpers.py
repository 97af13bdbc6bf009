"""Analysis reports built from the exact truth of generated clips, for planning tests that need no models.

Word times inside a synthesised sentence are not known exactly (espeak gives the sentence span), so
`sentence_words` spreads the words over the sentence by length; tests that check cuts against real
word timings use the real analysis of real speech instead (test_planning_real_media.py).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from engine.analysis.report import FaceSample, MediaAnalysis, Quality, Shot, Span, Word
from engine.models import sha256_of


def sentence_words(sentences) -> list[Word]:
    words = []
    for s in sentences:
        tokens = s.text.split()
        total = sum(len(t) + 1 for t in tokens)
        span, t = s.end - s.start, s.start
        for tok in tokens:
            d = span * (len(tok) + 1) / total
            words.append(Word(text=tok, start=round(t, 4), end=round(t + d - 0.04, 4), confidence=1.0))
            t += d
    return words


def media_from_truth(path: Path, truth, faces=None, start_timecode: float = 0.0, words=None) -> MediaAnalysis:
    """A MediaAnalysis holding what the generator guarantees: rate, shots, speech spans (+ words, faces)."""
    rate: Fraction = truth.rate or Fraction(25)
    duration = truth.duration
    bounds = [float(truth.frame_times[s.start_frame]) for s in truth.shots] + [duration]
    q_times = [i / 4 for i in range(int(duration * 4))]
    return MediaAnalysis(
        path=str(path),
        sha256=sha256_of(path),
        duration=duration,
        fps=float(rate),
        rate=(rate.numerator, rate.denominator),
        width=truth.width,
        height=truth.height,
        has_audio=truth.has_audio,
        shots=[Shot(start=bounds[i], end=bounds[i + 1], confidence=1.0) for i in range(len(truth.shots))],
        speech=[Span(start=a, end=b) for a, b in truth.speech],
        words=sentence_words(truth.sentences) if words is None else words,
        faces=faces or [],
        quality=Quality(
            times=q_times,
            sharpness=[1.0 + (i % 7) for i in range(len(q_times))],
            motion=[float((i * 3) % 5) for i in range(len(q_times))],
        ),  # fmt: skip
        models={"shots": "generator-truth"},
        start_timecode=start_timecode,
        variable_frame_rate=truth.vfr,
    )


def music_from_truth(path: Path, truth) -> MediaAnalysis:
    return MediaAnalysis(
        path=str(path), sha256=sha256_of(path), duration=truth.duration, fps=0.0, rate=(0, 1), width=0, height=0,
        has_audio=True, beats=list(truth.beats), downbeats=list(truth.downbeats), tempo=truth.tempo_bpm,
        models={"beats": "generator-truth"},
    )  # fmt: skip


def face_samples(duration: float, x: float, y: float, size: float = 0.2) -> list[FaceSample]:
    """A face centred at (x, y) (fractions of the frame) twice a second."""
    return [
        FaceSample(time=t / 2, boxes=[[x - size / 2, y - size / 2, size, size, 0.9]])
        for t in range(int(duration * 2))
    ]
