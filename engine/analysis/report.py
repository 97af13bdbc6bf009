"""The analysis report of DESIGN.md as pydantic models: the contract between analysis, planning and tools.

Times are seconds from the start of the file (floats) for people and scripts; `rate` keeps the
media's exact frame rate so planning can convert back to rational time without drift.

Long footage (issue 19): the per-sample fields (beats, downbeats, loudness and quality curves, face
samples) are held as numpy columns (engine/analysis/columns.py) behind the list API, so a 10-hour
report is ~55 MB of Python objects instead of ~125 MB and none of it one object per frame; the JSON is
the same. Words, shots, speech and disfluencies stay models (the planner reads each one as a unit).
"""

from __future__ import annotations

from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field

from engine.analysis.columns import FaceSample as FaceSample  # re-exported: part of the report's API
from engine.analysis.columns import FaceTrack, Samples
from engine.media.timebase import edit_rate

REPORT_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Shot(_Model):
    start: float
    end: float
    confidence: float = Field(ge=0, le=1)


class Span(_Model):
    start: float
    end: float


class Word(_Model):
    text: str
    start: float
    end: float
    confidence: float = Field(ge=0, le=1)


class Disfluency(_Model):
    """Something a tightened edit may cut: kind in engine.analysis.disfluencies.KINDS, with why."""

    kind: str
    start: float
    end: float
    confidence: float = Field(ge=0, le=1)
    text: str = ""
    reason: str = ""
    source: str = "words"  # "words" (the transcript), "audio" (no word written) or "prompted"


class Loudness(_Model):
    integrated_lufs: float | None = None
    times: Samples = Field(default_factory=Samples)
    lufs: Samples = Field(default_factory=Samples)


class Quality(_Model):
    times: Samples = Field(default_factory=Samples)
    sharpness: Samples = Field(default_factory=Samples)
    motion: Samples = Field(default_factory=Samples)


class ObjectSample(_Model):
    time: float
    boxes: list[list[float]]  # [x, y, w, h, score, class_id]
    labels: list[str] = Field(default_factory=list)


class StemsInfo(_Model):
    """Separated audio of one file (engine/analysis/stems.py): WAV files in the data dir, sample-aligned."""

    model: str
    sample_rate: int
    channels: int
    frames: int
    duration: float
    files: dict[str, str]  # "dialog", "music" and the model's own sources -> path
    snr_db: float  # dialog energy over the rest, dB
    speech: list[Span] = Field(default_factory=list)  # voice activity on the dialog stem


class MediaAnalysis(_Model):
    path: str
    sha256: str
    duration: float
    fps: float
    rate: tuple[int, int]
    width: int
    height: int
    has_audio: bool
    shots: list[Shot] = Field(default_factory=list)
    speech: list[Span] = Field(default_factory=list)
    words: list[Word] = Field(default_factory=list)
    disfluencies: list[Disfluency] = Field(default_factory=list)
    beats: Samples = Field(default_factory=Samples)
    downbeats: Samples = Field(default_factory=Samples)
    tempo: float | None = None
    faces: FaceTrack = Field(default_factory=FaceTrack)
    loudness: Loudness = Field(default_factory=Loudness)
    quality: Quality = Field(default_factory=Quality)
    objects: list[ObjectSample] = Field(default_factory=list)
    stems: StemsInfo | None = None  # only when analysis.stems is on
    models: dict[str, str] = Field(default_factory=dict)
    # What could not be analysed and why (e.g. "no audio stream: speech, words, beats empty").
    notes: list[str] = Field(default_factory=list)
    # Extra per-file facts (rotation, variable frame rate, start timecode) planners and hosts need.
    start_timecode: float = 0.0
    rotation: int = 0
    variable_frame_rate: bool = False


class AnalysisReport(_Model):
    version: int = REPORT_VERSION
    media: list[MediaAnalysis] = Field(default_factory=list)
    errors: list[dict[str, str]] = Field(default_factory=list)  # [{"path", "error"}] per failed file


def media_rate(media: MediaAnalysis) -> Fraction:
    """The rate this source's frames are counted in by planning and timelines (media.timebase)."""
    num, den = media.rate
    nominal = Fraction(num, den) if num > 0 and den > 0 else None
    return edit_rate(nominal, media.fps, media.variable_frame_rate, media.path)
