"""The one small interface every analyser implements (as PySceneDetect does per detector).

An analyser declares which inputs it needs (video frames at a size and rate, audio at a sample rate);
the runner decodes each file once, hands every analyser what it asked for, and caches each analyser's
field by content hash + `name@version`, so changing one analyser recomputes only its own field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Protocol

import numpy as np

from engine.progress import Job


@dataclass(frozen=True)
class MediaInfo:
    path: str
    sha256: str
    duration: float  # seconds
    rate: Fraction  # nominal video frame rate (e.g. 24000/1001); 0 when there is no video
    width: int
    height: int
    has_video: bool
    has_audio: bool
    rotation: int = 0  # degrees clockwise the player applies
    variable_frame_rate: bool = False
    start_time: float = 0.0  # container start offset in seconds (timecode offsets)


@dataclass(frozen=True)
class VideoRequest:
    """Frames an analyser wants: `size` (w, h) after downscaling, `fps` None = every frame.

    Frames arrive as the player shows them (rotation applied). With `keep_aspect`, `size` is a bounding
    box and the frame keeps the picture's display aspect ratio inside it (faces, quality); without it
    the picture is squeezed to exactly `size` (TransNetV2's 48x27).
    """

    size: tuple[int, int]
    fps: float | None = None
    pixel_format: str = "rgb24"
    interpolation: str = "BICUBIC"
    keep_aspect: bool = False


@dataclass(frozen=True)
class Frame:
    index: int  # index in the decoded stream
    time: float  # presentation time in seconds from the start of the file
    image: np.ndarray  # (h, w, 3) uint8


@dataclass(frozen=True)
class AudioRequest:
    sample_rate: int
    mono: bool = True


class MediaInputs(Protocol):
    """What the runner gives an analyser: the file's facts, its frames (from the one decode pass) and audio."""

    info: MediaInfo

    def frames(self, request: VideoRequest) -> Iterator[Frame]: ...

    def audio(self, request: AudioRequest) -> np.ndarray | None:
        """float32 samples in [-1, 1], shape (n,) mono or (channels, n); None when the file has no audio."""
        ...


class Analyser(Protocol):
    name: ClassVar[str]  # report field(s) it fills, e.g. "shots"
    version: ClassVar[str]  # bump to invalidate cached results of this analyser only
    fields: ClassVar[tuple[str, ...]]  # report fields it writes
    # What it reads; may be set per instance, since sample rates come from the config.
    video: VideoRequest | None
    audio: AudioRequest | None

    def model_id(self) -> str:
        """`name@version` of the model behind it, recorded in the report's `models`."""
        ...

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        """Return the report fields this analyser owns (JSON-ready values)."""
        ...
