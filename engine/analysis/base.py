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

# torch.fx tracing (the int8 TransNetV2's prepare_fx) patches torch.nn.Module.__call__ for the whole
# process: a module the audio thread calls meanwhile (BeatNet being exported, a TorchScript VAD) lands
# in the tracer and fails ("module is not installed as a submodule"). Tracing and those calls hold this lock.
TORCH_TRACING = threading.RLock()

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
    # Optional `reads_fields: ClassVar[tuple[str, ...]]`: fields of earlier analysers it reads from
    # `inputs.known`; the runner runs audio analysers that read none beside the ones that do.
    # Optional `warm_up()`: loads its model; the runner calls it in a thread before decoding the audio.
    # What it reads; may be set per instance, since sample rates come from the config.
    video: VideoRequest | None
    audio: AudioRequest | None

    def model_id(self) -> str:
        """`name@version` of the model behind it, recorded in the report's `models`."""
        ...

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        """Return the report fields this analyser owns (JSON-ready values)."""
        ...
