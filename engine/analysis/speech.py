"""Voice activity with Silero VAD (the model files the `silero-vad` package ships), at 16 kHz.

Speech regions drive silence removal and trim Whisper's word starts, so they are their own field.
The model is loaded once per process; it keeps recurrent state between chunks, so one lock
serialises files through it.
"""

from __future__ import annotations

import functools
import threading
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.analysis.base import TORCH_TRACING, AudioRequest, MediaInputs, VideoRequest
from engine.config import EngineConfig
from engine.models import locate
from engine.progress import Job

SAMPLE_RATE = 16000
MIN_SPEECH_MS = 250
MIN_SILENCE_MS = 100
SPEECH_PAD_MS = 30
WINDOW_SAMPLES = 512  # Silero's window at 16 kHz


class SileroSpeech:
    name: ClassVar[str] = "speech"
    version: ClassVar[str] = "1"
    fields: ClassVar[tuple[str, ...]] = ("speech",)

    def __init__(self, config: EngineConfig, data_dir: Path | None = None):
        self.video: VideoRequest | None = None
        self.audio: AudioRequest | None = AudioRequest(SAMPLE_RATE)
        self.spec = config.models.vad
        self.threshold = config.analysis.vad_threshold

    def model_id(self) -> str:
        return f"{self.spec.name}@{_package_version('silero-vad')}"

    def settings(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "min_speech_ms": MIN_SPEECH_MS, "min_silence_ms": MIN_SILENCE_MS}

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        samples = inputs.audio(AudioRequest(SAMPLE_RATE))
        if samples is None or samples.size == 0:
            return {"speech": []}
        return {"speech": self.regions(samples, job)}

    def regions(self, samples: np.ndarray, job: Job) -> list[dict[str, float]]:
        """Speech spans in seconds of a 16 kHz mono signal."""
        return [
            {"start": a, "end": b}
            for a, b in speech_spans(samples, locate(self.spec, "vad"), self.threshold, job)
        ]


def speech_spans(samples: np.ndarray, weights: Path, threshold: float, job: Job) -> list[tuple[float, float]]:
    torch, get_speech_timestamps = _silero()
    model, lock = _load(str(weights))
    audio = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))

    def progress(percent: float) -> None:
        job.report("speech", percent / 100.0)

    with lock, TORCH_TRACING, torch.inference_mode():  # a TorchScript VAD: not while a model is traced
        spans = get_speech_timestamps(
            audio, model, **_timestamp_settings(threshold), progress_tracking_callback=progress
        )
    return _seconds(spans)


def _timestamp_settings(threshold: float) -> dict[str, Any]:
    """How silero-vad turns window probabilities into spans: one setting for both ways of running it."""
    return {
        "threshold": threshold,
        "sampling_rate": SAMPLE_RATE,
        "min_speech_duration_ms": MIN_SPEECH_MS,
        "min_silence_duration_ms": MIN_SILENCE_MS,
        "speech_pad_ms": SPEECH_PAD_MS,
    }


def _seconds(spans: list[dict[str, Any]]) -> list[tuple[float, float]]:
    return [(round(s["start"] / SAMPLE_RATE, 3), round(s["end"] / SAMPLE_RATE, 3)) for s in spans]


def streamed_speech_spans(
    blocks: Iterable[np.ndarray], weights: Path, threshold: float, job: Job, duration: float
) -> list[tuple[float, float]]:
    """speech_spans of a signal that arrives in consecutive 16 kHz blocks (a long file's one pass): the
    model's state runs on across blocks and only its per-window probabilities (8 bytes per 32 ms) are
    kept, then silero-vad turns them into spans with the same settings, so the spans are those of
    speech_spans over the whole signal at once."""
    torch, _ = _silero()
    from silero_vad.utils_vad import get_speech_timestamps_from_probs

    model, lock = _load(str(weights))
    probs: array[float] = array("d")
    carry = np.zeros(0, np.float32)
    total = 0
    with lock:
        model.reset_states()
        for block in blocks:
            total += len(block)
            signal = np.concatenate([carry, block]) if carry.size else block
            whole = len(signal) // WINDOW_SAMPLES * WINDOW_SAMPLES
            with TORCH_TRACING, torch.inference_mode():  # per block: the video pass may trace between
                for i in range(0, whole, WINDOW_SAMPLES):
                    window = torch.from_numpy(np.ascontiguousarray(signal[i : i + WINDOW_SAMPLES]))
                    probs.append(model(window, SAMPLE_RATE).item())
            carry = np.array(signal[whole:], np.float32)
            job.report("speech", min(1.0, total / SAMPLE_RATE / duration) if duration else 0.0)
        if carry.size:  # the last window padded with silence, as silero-vad pads it
            with TORCH_TRACING, torch.inference_mode():
                window = torch.from_numpy(np.pad(carry, (0, WINDOW_SAMPLES - carry.size)))
                probs.append(model(window, SAMPLE_RATE).item())
    spans = get_speech_timestamps_from_probs(
        probs,  # type: ignore[arg-type]  # any sequence of floats
        **_timestamp_settings(threshold),
        audio_length_samples=total,
    )
    return _seconds(spans)


@functools.cache
def _silero():
    """Import silero-vad without letting it pin the whole process to one torch thread."""
    import torch

    threads = torch.get_num_threads()
    try:
        from silero_vad.utils_vad import get_speech_timestamps
    finally:
        torch.set_num_threads(threads)
    return torch, get_speech_timestamps


@functools.lru_cache(maxsize=2)
def _load(weights: str):
    """The ONNX file runs in ONNX Runtime on one thread; a TorchScript file runs in torch."""
    torch, _ = _silero()
    if weights.endswith(".onnx"):
        from silero_vad.utils_vad import OnnxWrapper

        model = OnnxWrapper(weights, force_onnx_cpu=True)
    else:
        model = torch.jit.load(weights, map_location="cpu")
        model.eval()
    return model, threading.Lock()


def _package_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"
