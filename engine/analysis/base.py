"""The one small interface every analyser implements (as PySceneDetect does per detector).

An analyser declares which inputs it needs (video frames at a size and rate, audio at a sample rate);
the runner decodes each file once, hands every analyser what it asked for, and caches each analyser's
field by content hash + `name@version`, so changing one analyser recomputes only its own field.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, ClassVar, Protocol

import numpy as np

from engine.media.types import AudioRequest, Frame, MediaInfo, VideoRequest
from engine.progress import Job

# torch.fx's tracer (the int8 shot detector's prepare_fx, at every load) patches torch.nn.Module.__call__
# for the whole process while it traces: a module called meanwhile in another thread (BeatNet in the
# audio thread beside the video pass) is routed into the tracer and fails ("module is not installed as a
# submodule"). Tracing and torch modules run beside a video pass hold this lock.
TORCH_FX_LOCK = threading.Lock()

__all__ = ["Analyser", "AudioRequest", "Frame", "MediaInfo", "MediaInputs", "VideoRequest"]


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
