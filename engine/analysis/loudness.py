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


# -- long files: BS.1770's own blocks per window, gated over the union ---------------------------

CHANNEL_GAINS = (1.0, 1.0, 1.0, 1.41, 1.41)  # BS.1770 G_i for L R C Ls Rs (pyloudnorm's order)
GATING_STEP = 0.25  # of a block: 75% overlap
SHORT_TERM_GATE_LU = -10.0  # the relative gate


def window_blocks(
    samples: np.ndarray,
    rate: int,
    origin: int,
    core: tuple[float, float],
    total: int | None,
    window_s: float,
    hop_s: float,
) -> dict[str, Any]:
    """One window of a long file (`samples[0]` is the file's sample `origin`): the channel-weighted
    K-weighted mean square of every 400 ms gating block and every `window_s` short-term block whose
    start lies in `core` (file seconds), numbered as a whole-file pyloudnorm meter numbers them.
    `total`: the file's sample count when this window reaches its end (the last blocks are cut there).
    The window must start early enough for the K-weighting filters to settle (a second does)."""
    import pyloudnorm

    data = samples.T if samples.ndim == 2 else samples[:, None]
    filtered = np.array(data, dtype=np.float32)  # the dtype a whole-file meter works in
    for stage in pyloudnorm.Meter(rate)._filters.values():  # the K-weighting pyloudnorm applies
        for ch in range(filtered.shape[1]):
            filtered[:, ch] = stage.apply_filter(filtered[:, ch])
    gains = np.asarray(CHANNEL_GAINS[: filtered.shape[1]])
    end = origin + filtered.shape[0]

    def blocks(block_s: float, step: float) -> tuple[int, list[float]]:
        # pyloudnorm's bounds: l = int(T_g * j * step * rate), u = int(T_g * (j * step + 1) * rate)
        count = None if total is None else int(np.round((total / rate - block_s) / (block_s * step))) + 1
        first = max(0, int(np.ceil(core[0] / (block_s * step) - 1e-9)))
        powers: list[float] = []
        j = first
        while True:
            if count is not None and j >= count:
                break
            if j * block_s * step >= core[1]:
                break
            lo, hi = int(block_s * (j * step) * rate), int(block_s * (j * step + 1) * rate)
            if total is None and hi > end:
                break
            part = filtered[max(0, lo - origin) : max(0, hi - origin)]
            z = np.sum(np.square(part), axis=0) / (block_s * rate)
            powers.append(float(np.sum(gains * z)))
            j += 1
        return first, powers

    gating_first, gating = blocks(GATING_BLOCK_S, GATING_STEP)
    curve_first, curve = blocks(window_s, hop_s / window_s)
    return {"gating_first": gating_first, "gating": gating, "curve_first": curve_first, "curve": curve}


def from_window_blocks(parts: list[dict[str, Any]], window_s: float, hop_s: float) -> dict[str, Any]:
    """The `loudness` field from every window's blocks (in file order): integrated loudness gated as
    BS.1770 gates (absolute -70 LUFS, then relative -10 LU) over all of the file's blocks at once."""
    gating = np.asarray([p for part in parts for p in part["gating"]], dtype=float)
    curve_powers = np.asarray([p for part in parts for p in part["curve"]], dtype=float)
    first = parts[0]["curve_first"] if parts else 0
    with np.errstate(divide="ignore", invalid="ignore"):
        levels = -0.691 + 10.0 * np.log10(gating)
        above = gating[levels >= ABSOLUTE_GATE_LUFS]
        relative = -0.691 + 10.0 * np.log10(np.mean(above)) + SHORT_TERM_GATE_LU if above.size else np.inf
        kept = gating[(levels > relative) & (levels > ABSOLUTE_GATE_LUFS)]
        integrated = -0.691 + 10.0 * np.log10(np.mean(kept)) if kept.size else -np.inf
        curve = -0.691 + 10.0 * np.log10(curve_powers)
    curve = np.where(np.isfinite(curve), np.maximum(curve, ABSOLUTE_GATE_LUFS), ABSOLUTE_GATE_LUFS)
    times = window_s / 2 + hop_s * (first + np.arange(len(curve)))
    return {
        "integrated_lufs": round(float(integrated), 2) if np.isfinite(integrated) else None,
        "times": [round(float(t), 3) for t in times],
        "lufs": [round(float(v), 2) for v in curve],
    }
