"""Shot boundaries from a small student network distilled from TransNetV2 (engine/distill trains it).

It reads the same 48x27 BICUBIC frames TransNetV2 gets (the same `VideoRequest`, so one decode pass
serves both), turns each pair of neighbouring frames into a few change measures (pixel, block,
colour-histogram, edge and correlation distances, at lag 1 and across the transition at lag 3), and
a tiny dilated temporal convolution maps those to TransNetV2's per-frame cut probability: frame i is
the last frame of the outgoing shot. Cut placement is the teacher's own (`cuts_from_probabilities`).
The weights (a few kB, safetensors with the settings in their metadata) come through the model
locator like every other model; the card beside them says how they were made and how they measure.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.analysis.base import AudioRequest, MediaInputs, VideoRequest
from engine.analysis.shots import cuts_from_probabilities, shots_from_cuts
from engine.config import ModelSpec
from engine.errors import ModelNotFound
from engine.models import locate
from engine.progress import Job

# The teacher's input, exactly: the student must never need a decode of its own.
REQUEST = VideoRequest(size=(48, 27), fps=None, interpolation="BICUBIC")
FEATURE_VERSION = 1
HIST_BINS = 16
GRID = (3, 4)  # rows x columns of the block-difference grid over the 27x48 picture
QUANTILES = (0, 3, 6, 9, 11)  # ranks kept of the 12 sorted block differences
PAIR_FEATURES = 10  # per lag: pixel, 5 block ranks, histogram, brightness, edges, correlation
FEATURES = 2 * PAIR_FEATURES + 2  # lag 1, lag 3, the frame's brightness and contrast
CHUNK = 1024  # frames turned into features at a time (memory stays flat on long files)
CHANNELS = 32


def _pair_distances(a: np.ndarray, b: np.ndarray, hist_a: np.ndarray, hist_b: np.ndarray) -> np.ndarray:
    """(N, PAIR_FEATURES) change measures between frames a[k] and b[k] (float32 in [0, 1])."""
    diff = np.abs(a - b)  # (N, 27, 48, 3)
    n = len(a)
    pixel = diff.mean(axis=(1, 2, 3))
    rows, cols = GRID
    cells = diff.mean(axis=3).reshape(n, rows, 27 // rows, cols, 48 // cols).mean(axis=(2, 4))
    blocks = np.sort(cells.reshape(n, rows * cols), axis=1)[:, list(QUANTILES)]
    histogram = 0.5 * np.abs(hist_a - hist_b).sum(axis=2).mean(axis=1)
    grey_a, grey_b = a.mean(axis=3), b.mean(axis=3)
    brightness = np.abs(grey_a.mean(axis=(1, 2)) - grey_b.mean(axis=(1, 2)))
    edges = np.abs(_edges(grey_a) - _edges(grey_b)).mean(axis=(1, 2))
    za = grey_a - grey_a.mean(axis=(1, 2), keepdims=True)
    zb = grey_b - grey_b.mean(axis=(1, 2), keepdims=True)
    denom = np.sqrt((za * za).sum(axis=(1, 2)) * (zb * zb).sum(axis=(1, 2))) + 1e-6
    decorrelation = 0.5 * (1.0 - (za * zb).sum(axis=(1, 2)) / denom)
    out = np.column_stack([pixel, blocks, histogram, brightness, edges, decorrelation])
    return np.sqrt(np.clip(out, 0.0, 1.0)).astype(np.float32)


def _edges(grey: np.ndarray) -> np.ndarray:
    return np.abs(np.diff(grey, axis=2))[:, :-1, :] + np.abs(np.diff(grey, axis=1))[:, :, :-1]


def _histograms(frames: np.ndarray) -> np.ndarray:
    """(N, 3, HIST_BINS) colour histograms (fractions) of uint8 frames."""
    n = len(frames)
    bins = (frames.astype(np.int64) * HIST_BINS) >> 8  # (N, 27, 48, 3)
    index = (np.arange(n)[:, None, None, None] * 3 + np.arange(3)) * HIST_BINS + bins
    counts = np.bincount(index.reshape(-1), minlength=n * 3 * HIST_BINS)
    return counts.reshape(n, 3, HIST_BINS).astype(np.float32) / (27 * 48)


def window_features(padded: np.ndarray) -> np.ndarray:
    """Features for padded[1 : -2]: row k describes the step from padded[k+1] to padded[k+2].

    `padded` is (N + 3, 27, 48, 3) uint8: one frame before the N it describes and two after.
    """
    frames = padded.astype(np.float32) / 255.0
    hist = _histograms(padded)
    prev, cur, nxt, nxt2 = frames[:-3], frames[1:-2], frames[2:-1], frames[3:]
    lag1 = _pair_distances(cur, nxt, hist[1:-2], hist[2:-1])
    lag3 = _pair_distances(prev, nxt2, hist[:-3], hist[3:])
    grey = cur.mean(axis=3)
    own = np.column_stack([grey.mean(axis=(1, 2)), grey.std(axis=(1, 2))]).astype(np.float32)
    return np.concatenate([lag1, lag3, own], axis=1)


class FeatureStream:
    """Per-frame features computed as frames arrive, CHUNK frames at a time."""

    def __init__(self) -> None:
        self._buffer: list[np.ndarray] = []
        self._parts: list[np.ndarray] = []
        self.count = 0

    def push(self, image: np.ndarray) -> None:
        if not self._buffer:
            self._buffer.append(image)  # the copy of the first frame before it
        self._buffer.append(image)
        self.count += 1
        if len(self._buffer) >= CHUNK + 3:
            self._parts.append(window_features(np.stack(self._buffer[: CHUNK + 3])))
            self._buffer = self._buffer[CHUNK:]

    def finish(self) -> np.ndarray:
        """(frames, FEATURES) float32; the last frame's step (to nothing) reads as no change."""
        if self.count == 0:
            return np.zeros((0, FEATURES), dtype=np.float32)
        last = self._buffer[-1]
        tail = self._buffer + [last, last]
        if len(tail) > 3:
            self._parts.append(window_features(np.stack(tail)))
        self._buffer = []
        return np.concatenate(self._parts)


def features_of(images: Iterable[np.ndarray]) -> np.ndarray:
    stream = FeatureStream()
    for image in images:
        stream.push(image)
    return stream.finish()


# (kernel, dilation) of each temporal convolution; "same" padding, ReLU between, a 1x1 head after.
LAYERS = ((5, 1), (3, 2), (3, 4))


def build_network(channels: int = CHANNELS) -> Any:
    """The student for training: three dilated temporal convolutions (receptive field +-8 frames)."""
    from torch import nn

    layers: list[Any] = []
    width = FEATURES
    for kernel, dilation in LAYERS:
        pad = dilation * (kernel - 1) // 2
        layers += [nn.Conv1d(width, channels, kernel, padding=pad, dilation=dilation), nn.ReLU()]
        width = channels
    return nn.Sequential(*layers, nn.Conv1d(channels, 1, 1))


class StudentNetwork:
    """The trained student's forward pass in numpy, the one every run and every measurement uses.

    The convolutions are a few kB: torch would add nothing but its import (~1.7 CPU-s here), and an
    analysis that needs no other torch model skips it.
    """

    def __init__(self, state: dict[str, np.ndarray]):
        names = [f"{2 * i}" for i in range(len(LAYERS) + 1)]  # nn.Sequential's indices: ReLUs between
        self.layers = [
            (np.asarray(state[f"{n}.weight"], np.float32), np.asarray(state[f"{n}.bias"], np.float32))
            for n in names
        ]

    @classmethod
    def of(cls, network: Any) -> StudentNetwork:
        """The numpy forward of a torch network being trained (its weights as they are now)."""
        return cls({k: v.detach().cpu().numpy() for k, v in network.state_dict().items()})

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Per-frame logits for one clip's (frames, FEATURES) array."""
        x = np.ascontiguousarray(features.T, dtype=np.float32)  # (channels, frames)
        frames = x.shape[1]
        shapes = (*LAYERS, (1, 1))  # the head: a 1x1 convolution, no ReLU after it
        for index, ((weight, bias), (kernel, dilation)) in enumerate(zip(self.layers, shapes, strict=True)):
            pad = dilation * (kernel - 1) // 2
            padded = np.pad(x, ((0, 0), (pad, pad)))
            out = np.repeat(bias[:, None], frames, axis=1)
            for j in range(kernel):
                out += weight[:, :, j] @ padded[:, j * dilation : j * dilation + frames]
            x = out if index == len(shapes) - 1 else np.maximum(out, 0.0)
        return x[0]


def probabilities(network: StudentNetwork, features: np.ndarray) -> np.ndarray:
    if len(features) == 0:
        return np.zeros(0, dtype=np.float32)
    return (1.0 / (1.0 + np.exp(-network.logits(features)))).astype(np.float32)


def save_student(network: Any, path: Path, metadata: dict[str, Any]) -> Path:
    """Weights as safetensors; the settings needed to run them ride in the file's metadata."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"feature_version": FEATURE_VERSION, "features": FEATURES, "channels": CHANNELS, **metadata}
    state = {k: v.detach().contiguous() for k, v in network.state_dict().items()}
    save_file(state, str(path), metadata={"autoedit": json.dumps(meta, sort_keys=True)})
    return path


def _not_student_weights(path: Path, exc: Exception) -> ModelNotFound:
    return ModelNotFound(
        "shot student", [str(path)], f"the file is not student weights ({exc}); run `autoedit distill shots`"
    )


@functools.lru_cache(maxsize=4)
def student_metadata(path: Path) -> dict[str, Any]:
    """The settings a student weights file carries, read without torch (a cached rerun needs only
    these, for the cache key), checked against this engine's features."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as handle:
            meta = json.loads((handle.metadata() or {}).get("autoedit", "{}"))
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        raise _not_student_weights(path, exc) from None
    if meta.get("feature_version") != FEATURE_VERSION or meta.get("features") != FEATURES:
        raise ModelNotFound(
            "shot student",
            [str(path)],
            f"its features (version {meta.get('feature_version')}) are not this engine's ({FEATURE_VERSION}): "
            "train it again with `autoedit distill shots`",
        )
    return meta


@functools.lru_cache(maxsize=4)
def load_student(path: Path) -> tuple[StudentNetwork, dict[str, Any]]:
    """(network, metadata) from a student weights file, read once per process, without torch."""
    from safetensors.numpy import load_file

    meta = student_metadata(path)
    try:
        network = StudentNetwork(load_file(str(path)))
    except (OSError, ValueError, KeyError) as exc:
        raise _not_student_weights(path, exc) from None
    return network, meta


class StudentShots:
    """Shot boundaries from the distilled student (`analysis.shots_backend: student`)."""

    name: ClassVar[str] = "shots"
    version: ClassVar[str] = "1"
    fields: ClassVar[tuple[str, ...]] = ("shots",)

    def __init__(self, spec: ModelSpec, threshold: float | None = None):
        self.spec = spec
        self.threshold = threshold  # None: the threshold the student was calibrated with
        self.video: VideoRequest | None = REQUEST
        self.audio: AudioRequest | None = None

    def _loaded(self) -> tuple[StudentNetwork, dict[str, Any]]:
        return load_student(locate(self.spec, "shot_student"))

    def _metadata(self) -> dict[str, Any]:
        return student_metadata(locate(self.spec, "shot_student"))

    def settings(self) -> dict[str, Any]:
        meta = self._metadata()
        return {"threshold": self._threshold(meta), "weights_sha256": meta.get("weights_digest")}

    def _threshold(self, meta: dict[str, Any]) -> float:
        return float(self.threshold if self.threshold is not None else meta.get("threshold", 0.5))

    def model_id(self) -> str:
        meta = self._metadata()
        return f"shot-student@{meta.get('student_version', self.version)}"

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        network, meta = self._loaded()
        stream = FeatureStream()
        times: list[float] = []
        for frame in inputs.frames(REQUEST):
            times.append(frame.time)
            stream.push(frame.image)
            if len(times) % CHUNK == 0:
                job.check()
        probs = probabilities(network, stream.finish())
        cuts = cuts_from_probabilities(probs, times, self._threshold(meta))
        return {"shots": shots_from_cuts(cuts, inputs.info.duration)}
