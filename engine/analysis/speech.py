"""Voice activity with Silero VAD (the model files the `silero-vad` package ships), at 16 kHz.

Speech regions drive silence removal and trim Whisper's word starts, so they are their own field.
The model is loaded once per process; it keeps recurrent state between chunks, so one lock
serialises files through it. Nothing here imports torch unless the config names the TorchScript file.
"""

from __future__ import annotations

import functools
import threading
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.analysis.base import TORCH_TRACING, AudioRequest, MediaInputs, VideoRequest
from engine.config import EngineConfig
from engine.models import locate, onnx_cpu_session
from engine.progress import Job

SAMPLE_RATE = 16000
MIN_SPEECH_MS = 250
MIN_SILENCE_MS = 100
SPEECH_PAD_MS = 30
WINDOW_SAMPLES = 512  # Silero's window at 16 kHz
PROGRESS_SECONDS = 1  # a signal in memory goes through the model (and reports) a second at a time


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
    """Speech spans in seconds of a 16 kHz mono signal, as silero-vad's get_speech_timestamps finds them."""
    step = PROGRESS_SECONDS * SAMPLE_RATE
    blocks = (samples[i : i + step] for i in range(0, max(len(samples), 1), step))
    return streamed_speech_spans(blocks, weights, threshold, job, len(samples) / SAMPLE_RATE)


def streamed_speech_spans(
    blocks: Iterable[np.ndarray], weights: Path, threshold: float, job: Job, duration: float
) -> list[tuple[float, float]]:
    """speech_spans of a signal that arrives in consecutive 16 kHz blocks (a long file's one pass): the
    model's state runs on across blocks and only its per-window probabilities (8 bytes per 32 ms) are
    kept, then turned into spans, so the spans are those of the whole signal at once."""
    model, lock = _load(str(weights))
    probs: array[float] = array("d")
    carry = np.zeros(0, np.float32)
    total = 0
    with lock:
        model.reset()
        for block in blocks:
            job.check()
            total += len(block)
            signal = np.concatenate([carry, block]) if carry.size else np.asarray(block, np.float32)
            whole = len(signal) // WINDOW_SAMPLES * WINDOW_SAMPLES
            probs.extend(model.probabilities(signal[:whole]))
            carry = np.array(signal[whole:], np.float32)
            job.report("speech", min(1.0, total / SAMPLE_RATE / duration) if duration else 0.0)
        if carry.size:  # the last window padded with silence, as silero-vad pads it
            probs.extend(model.probabilities(np.pad(carry, (0, WINDOW_SAMPLES - carry.size))))
    return _seconds(spans_from_probabilities(probs, total, threshold))


def spans_from_probabilities(probs: Sequence[float], total: int, threshold: float) -> list[tuple[int, int]]:
    """(start, end) samples of speech from per-window probabilities: silero-vad's own rule
    (get_speech_timestamps_from_probs, 6.2) at our settings and with no longest-span limit.

    It lives here because silero-vad's module imports torch at its top (~1.7 CPU-s here) for a loop
    over floats; a test holds it to silero-vad's function.
    """
    min_speech = SAMPLE_RATE * MIN_SPEECH_MS / 1000
    min_silence = SAMPLE_RATE * MIN_SILENCE_MS / 1000
    pad = SAMPLE_RATE * SPEECH_PAD_MS / 1000
    release = max(threshold - 0.15, 0.01)  # hysteresis: speech ends below this, not below threshold
    spans: list[list[int]] = []
    start: int | None = None
    quiet_from = 0  # the sample where the current stretch under `release` began (0: none)
    for i, prob in enumerate(probs):
        here = WINDOW_SAMPLES * i
        if prob >= threshold:
            quiet_from = 0
            if start is None:
                start = here
                continue
        if start is not None and prob < release:
            quiet_from = quiet_from or here
            if here - quiet_from >= min_silence:
                if quiet_from - start > min_speech:
                    spans.append([start, quiet_from])
                start, quiet_from = None, 0
    if start is not None and total - start > min_speech:
        spans.append([start, total])
    for i, span in enumerate(spans):  # padding: half of a short gap to each side, else `pad`
        if i == 0:
            span[0] = int(max(0, span[0] - pad))
        if i == len(spans) - 1:
            span[1] = int(min(total, span[1] + pad))
            continue
        after = spans[i + 1]
        gap = after[0] - span[1]
        if gap < 2 * pad:
            span[1] += int(gap // 2)
            after[0] = int(max(0, after[0] - gap // 2))
        else:
            span[1] = int(min(total, span[1] + pad))
            after[0] = int(max(0, after[0] - pad))
    return [(a, b) for a, b in spans]


def _seconds(spans: list[tuple[int, int]]) -> list[tuple[float, float]]:
    return [(round(a / SAMPLE_RATE, 3), round(b / SAMPLE_RATE, 3)) for a, b in spans]


class OnnxSilero:
    """Silero's ONNX model in ONNX Runtime on one thread, fed as silero-vad's OnnxWrapper feeds it:
    each 512-sample window after the last 64 samples before it, the recurrent state carried on."""

    CONTEXT = 64

    def __init__(self, path: str):
        self.session = onnx_cpu_session(path)
        self.rate = np.array(SAMPLE_RATE, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        self.state = np.zeros((2, 1, 128), np.float32)
        self.context = np.zeros((1, self.CONTEXT), np.float32)

    def probabilities(self, signal: np.ndarray) -> list[float]:
        out = []
        for i in range(0, len(signal), WINDOW_SAMPLES):
            x = np.concatenate([self.context, signal[None, i : i + WINDOW_SAMPLES]], axis=1, dtype=np.float32)
            prob, self.state = self.session.run(None, {"input": x, "state": self.state, "sr": self.rate})
            self.context = x[:, -self.CONTEXT :]
            out.append(float(prob[0, 0]))
        return out


class TorchScriptSilero:
    """Silero's TorchScript file, for a config that names it (torch is imported only then)."""

    def __init__(self, path: str):
        import torch

        self.torch = torch
        self.model = torch.jit.load(path, map_location="cpu")
        self.model.eval()

    def reset(self) -> None:
        self.model.reset_states()

    def probabilities(self, signal: np.ndarray) -> list[float]:
        torch = self.torch
        with TORCH_TRACING, torch.inference_mode():  # a TorchScript VAD: not while a model is traced
            return [
                self.model(
                    torch.from_numpy(np.ascontiguousarray(signal[i : i + WINDOW_SAMPLES])), SAMPLE_RATE
                ).item()
                for i in range(0, len(signal), WINDOW_SAMPLES)
            ]


@functools.lru_cache(maxsize=2)
def _load(weights: str) -> tuple[OnnxSilero | TorchScriptSilero, threading.Lock]:
    """The model for a weights file, once per process, with the lock that serialises files through it."""
    model = OnnxSilero(weights) if weights.endswith(".onnx") else TorchScriptSilero(weights)
    return model, threading.Lock()


def _package_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"
