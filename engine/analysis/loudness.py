"""Loudness by ITU-R BS.1770 / EBU R128 (FFmpeg's ebur128 meter): integrated (gated) LUFS and a curve.

Channels are kept, because BS.1770 sums the K-weighted power of each channel (a stereo mix reads
3 dB louder than its mono downmix would). Files with more than two channels arrive folded to 5.0
(L R C Ls Rs, LFE dropped), the surround pair weighted 1.41 as BS.1770 weights it. 22.05 kHz keeps
everything up to 11 kHz, where nearly all programme loudness lies, at half the memory of 44.1 kHz.
The meter gives the momentary (400 ms) and short-term (3 s) loudness every 100 ms; the 400 ms values
are BS.1770's gating blocks, gated here over the whole file, or over every window of a long one.
The curve gives one value per `loudness_hop_s` at the centre of a `loudness_window_s` window (3 s:
EBU "short-term", or 0.4 s: "momentary"); windows quieter than the absolute gate read -70 LUFS.
FFmpeg's meter rather than pyloudnorm: pyloudnorm's scipy.signal import alone took 1.0 CPU-s of
every analysis, its filtering 0.45 s more for 2 min of stereo; the meter takes 0.08 s.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.analysis.base import AudioRequest, MediaInputs, VideoRequest
from engine.config import EngineConfig
from engine.progress import Job

SAMPLE_RATE = 22050
ABSOLUTE_GATE_LUFS = -70.0
SHORT_TERM_GATE_LU = -10.0  # the relative gate
GATING_BLOCK_S = 0.4
METER_TICK_S = Fraction(1, 10)  # the meter reads its levels every 100 ms
METER_KEYS = {0.4: "lavfi.r128.M", 3.0: "lavfi.r128.S"}  # momentary, short-term
LAYOUTS = {1: "mono", 2: "stereo", 5: "5.0"}


class Bs1770Loudness:
    name: ClassVar[str] = "loudness"
    version: ClassVar[str] = "2"  # 2: FFmpeg's ebur128 meter (BS.1770's filters at the file's rate)
    fields: ClassVar[tuple[str, ...]] = ("loudness",)

    def __init__(self, config: EngineConfig, data_dir: Path | None = None):
        self.video: VideoRequest | None = None
        self.audio: AudioRequest | None = AudioRequest(SAMPLE_RATE, mono=False)
        self.window_s = config.analysis.loudness_window_s
        self.hop_s = config.analysis.loudness_hop_s

    def model_id(self) -> str:
        import av

        return f"bs1770@ffmpeg-ebur128-{av.library_versions['libavfilter']}"

    def settings(self) -> dict[str, Any]:
        return {"window_s": self.window_s, "hop_s": self.hop_s, "rate": SAMPLE_RATE}

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        samples = inputs.audio(AudioRequest(SAMPLE_RATE, mono=False))
        if samples is None or samples.size == 0:
            return {"loudness": {"integrated_lufs": None, "times": [], "lufs": []}}
        return {"loudness": measure(samples, SAMPLE_RATE, self.window_s, self.hop_s, job)}


def measure(samples: np.ndarray, rate: int, window_s: float, hop_s: float, job: Job) -> dict[str, Any]:
    """`samples`: (n,) or (channels, n) float. Integrated LUFS (None when too short or silent) + curve;
    a file shorter than the curve's window gets the momentary curve."""
    n = samples.shape[-1]
    duration = n / rate
    if duration < GATING_BLOCK_S:
        return {"integrated_lufs": None, "times": [], "lufs": []}
    window = window_s if duration >= window_s else GATING_BLOCK_S
    blocks = window_blocks(samples, rate, 0, (0.0, duration), n, window, hop_s, job)
    return from_window_blocks([blocks], window, hop_s)


def meter_levels(samples: np.ndarray, rate: int, job: Job | None = None) -> dict[float, np.ndarray]:
    """FFmpeg's EBU R128 meter (libavfilter's ebur128) over `samples`, (n,) or (channels, n): for each
    window of METER_KEYS, the loudness (LUFS) of the window that ends with each whole 100 ms."""
    import av

    data = np.ascontiguousarray(samples[None] if samples.ndim == 1 else samples, dtype=np.float32)
    layout = LAYOUTS[data.shape[0]]
    tick = _tick(rate)
    count = data.shape[1] // tick
    graph = av.filter.Graph()
    source = graph.add_abuffer(sample_rate=rate, format="fltp", layout=layout, time_base=Fraction(1, rate))
    meter = graph.add("ebur128", "metadata=1")
    sink = graph.add("abuffersink")
    source.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    levels: dict[float, list[float]] = {w: [] for w in METER_KEYS}

    def drain() -> None:
        while True:
            try:
                metadata = sink.pull().metadata
            except (av.BlockingIOError, av.EOFError):
                return
            for w, key in METER_KEYS.items():
                levels[w].append(float(metadata[key]))

    for k in range(count):
        frame = av.AudioFrame.from_ndarray(data[:, k * tick : (k + 1) * tick], format="fltp", layout=layout)
        frame.sample_rate = rate
        frame.pts = k * tick
        frame.time_base = Fraction(1, rate)
        source.push(frame)
        drain()
        if job is not None and k % 100 == 99:
            job.report("loudness", (k + 1) / count)
    source.push(None)
    drain()
    if any(len(v) != count for v in levels.values()):
        raise RuntimeError(f"the ebur128 meter gave {len(levels[0.4])} levels for {count} steps of 100 ms")
    return {w: np.asarray(v, dtype=float) for w, v in levels.items()}


def _tick(rate: int) -> int:
    if rate % 10:
        raise ValueError(
            f"the loudness meter steps by 100 ms: {rate} Hz has no whole number of samples in it"
        )
    return rate // 10


def _steps(seconds: float) -> int:
    steps = Fraction(seconds).limit_denominator(1000) / METER_TICK_S
    if steps.denominator != 1 or steps <= 0:
        raise ValueError(f"{seconds} s is not a whole number of the loudness meter's 100 ms steps")
    return int(steps)


# -- long files: BS.1770's own blocks per window, gated over the union ---------------------------


def window_blocks(
    samples: np.ndarray,
    rate: int,
    origin: int,
    core: tuple[float, float],
    total: int | None,
    window_s: float,
    hop_s: float,
    job: Job | None = None,
) -> dict[str, Any]:
    """One window of a file (`samples[0]` is the file's sample `origin`, on the meter's 100 ms grid):
    the channel-weighted K-weighted mean square of every 400 ms gating block and every `window_s`
    curve block whose start lies in `core` (file seconds), numbered from the file's start.
    `total`: the file's sample count when this window reaches its end (blocks end by its last whole
    100 ms). The window must start early enough for the K-weighting filters to settle (a second does)."""
    tick = _tick(rate)
    if origin % tick:
        raise ValueError(f"a loudness window must start on the meter's 100 ms grid, not at sample {origin}")
    levels = meter_levels(samples, rate, job)
    start = origin // tick
    last = None if total is None else total // tick  # the file's whole 100 ms steps

    def blocks(block_s: float, step_s: float) -> tuple[int, list[float]]:
        size, step = _steps(block_s), _steps(step_s)
        first = max(0, int(np.ceil(core[0] / step_s - 1e-9)))
        values = levels[block_s]
        powers: list[float] = []
        j = first
        while j * step_s < core[1] - 1e-9:
            end = j * step + size  # in steps from the file's start
            if last is not None and end > last:
                break
            if end - start > len(values):
                break  # the block ends in the next window
            powers.append(10.0 ** ((values[end - start - 1] + 0.691) / 10.0))
            j += 1
        return first, powers

    gating_first, gating = blocks(GATING_BLOCK_S, float(METER_TICK_S))
    curve_first, curve = blocks(window_s, hop_s)
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
