"""What a media file is and what a consumer asks of its decoding: the value types media/ works in.

Analysers ask for frames and audio with these requests (engine/analysis/base.py's interface), and the
decoders in this package answer them; they live here so decoding depends on nothing above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np


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
