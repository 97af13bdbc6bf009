"""Loudness by ITU-R BS.1770 (pyloudnorm): integrated (gated) LUFS and a short-term curve.

Channels are kept, because BS.1770 sums the K-weighted power of each channel (a stereo mix reads
3 dB louder than its mono downmix would). Files with more than two channels arrive folded to 5.0
(L R C Ls Rs, LFE dropped), the order and weights pyloudnorm applies. 22.05 kHz keeps everything up
to 11 kHz, where nearly all programme loudness lies, at half the memory of 44.1 kHz.
The curve gives one value per `loudness_hop_s` at the centre of a `loudness_window_s` window (3 s:
EBU "short-term"); windows quieter than the BS.1770 absolute gate read -70 LUFS (silence).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.analysis.base import AudioRequest, MediaInputs, VideoRequest
from engine.config import EngineConfig
from engine.progress import Job

SAMPLE_RATE = 22050
ABSOLUTE_GATE_LUFS = -70.0
GATING_BLOCK_S = 0.4


class Bs1770Loudness:
    name: ClassVar[str] = "loudness"
    version: ClassVar[str] = "1"
    fields: ClassVar[tuple[str, ...]] = ("loudness",)

    def __init__(self, config: EngineConfig, data_dir: Path | None = None):
        self.video: VideoRequest | None = None
        self.audio: AudioRequest | None = AudioRequest(SAMPLE_RATE, mono=False)
        self.window_s = config.analysis.loudness_window_s
        self.hop_s = config.analysis.loudness_hop_s

    def model_id(self) -> str:
        from importlib.metadata import version

        return f"bs1770@pyloudnorm-{version('pyloudnorm')}"

    def settings(self) -> dict[str, Any]:
        return {"window_s": self.window_s, "hop_s": self.hop_s, "rate": SAMPLE_RATE}

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        samples = inputs.audio(AudioRequest(SAMPLE_RATE, mono=False))
        if samples is None or samples.size == 0:
            return {"loudness": {"integrated_lufs": None, "times": [], "lufs": []}}
        return {"loudness": measure(samples, SAMPLE_RATE, self.window_s, self.hop_s, job)}


def measure(samples: np.ndarray, rate: int, window_s: float, hop_s: float, job: Job) -> dict[str, Any]:
    """`samples`: (n,) or (channels, n) float. Integrated LUFS (None when too short or silent) + curve."""
    import pyloudnorm

    data = samples.T if samples.ndim == 2 else samples  # pyloudnorm wants (n, channels)
    duration = data.shape[0] / rate
    if duration < GATING_BLOCK_S:
        return {"integrated_lufs": None, "times": [], "lufs": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyloudnorm warns about clipping on float input above 1.0
        integrated = float(pyloudnorm.Meter(rate).integrated_loudness(data))
        job.report("loudness", 0.5)
        window = min(window_s, duration)
        hop = min(hop_s, window)
        meter = pyloudnorm.Meter(rate, block_size=window, overlap=1.0 - hop / window)
        meter.integrated_loudness(data)
        blocks = np.asarray(meter.blockwise_loudness, dtype=float)
    job.report("loudness", 1.0)
    curve = np.where(np.isfinite(blocks), np.maximum(blocks, ABSOLUTE_GATE_LUFS), ABSOLUTE_GATE_LUFS)
    times = window / 2 + hop * np.arange(len(curve))
    return {
        "integrated_lufs": round(integrated, 2) if np.isfinite(integrated) else None,
        "times": [round(float(t), 3) for t in times],
        "lufs": [round(float(v), 2) for v in curve],
    }
