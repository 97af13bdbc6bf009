"""Scaling to 48x27 and TransNetV2 variants (stock, float32, bfloat16, int8), as ratios to a raw decode (issue 12 moved the whole-analysis figures to bench/analysis.py).

    .venv/bin/python bench/transnet_variants.py [FILE ...] [--analysers shots,faces,quality] [--no-stock]

Per file: raw decode (the baseline), each video analyser alone (one pass each, fresh cache), all of
them in one pass, a cached second run, and TransNetV2 as its package runs it (`predict_frames`)
against our streaming inference in float32, bfloat16 and int8 on the same frames (models are loaded,
and the int8 network calibrated, outside the timings). Every figure is printed as frames/s,
x real time and as a ratio to the baseline, so runs on busy or different machines stay comparable.
Without FILE it uses ../shared/media/video_cuts/pyscenedetect_testvideo.mp4 (720p, 24 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.analysis.base import VideoRequest  # noqa: E402
from engine.analysis.cache import AnalysisCache  # noqa: E402
from engine.analysis.runner import analyse_media, analysers_for  # noqa: E402
from engine.config import load_config  # noqa: E402
from engine.media.probe import probe  # noqa: E402
from engine.media.video import FrameScaler  # noqa: E402
from engine.progress import Job  # noqa: E402

DEFAULT = REPO / ".." / "shared" / "media" / "video_cuts" / "pyscenedetect_testvideo.mp4"


class Stopwatch:
    """Wall time and this process's CPU time (all threads) since it started: CPU seconds / cores is the
    shortest wall time that work could take on this machine, however it were overlapped."""

    def __init__(self) -> None:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()

    def stop(self) -> Stopwatch:
        self.wall, self.cpu = time.perf_counter() - self.wall0, time.process_time() - self.cpu0
        return self


def raw_decode(path: Path) -> tuple[Stopwatch, int]:
    watch = Stopwatch()
    frames = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            frames += 1
    return watch.stop(), frames


def frames_48x27(path: Path, way: str) -> tuple[Stopwatch, np.ndarray]:
    """Decoded and squeezed to TransNetV2's input: swscale BICUBIC in one go (what ffmpeg -s does) with
    a new context per frame (`VideoFrame.reformat`) or one kept context, or the engine's way (contexts
    kept, averaged down first when the shrink is large)."""
    bicubic = VideoRequest(size=(48, 27), interpolation="BICUBIC")
    if way == "engine":
        scale = FrameScaler(bicubic, bicubic.size)
    elif way == "kept":
        reformatter = VideoReformatter()

        def scale(f):
            return reformatter.reformat(
                f, width=48, height=27, format="rgb24", interpolation="BICUBIC"
            ).to_ndarray()
    else:

        def scale(f):
            return f.reformat(width=48, height=27, format="rgb24", interpolation="BICUBIC").to_ndarray()

    watch = Stopwatch()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        images = [scale(f) for f in container.decode(stream)]
    return watch.stop(), np.stack(images)


def line(label: str, watch: Stopwatch, frames: int, duration: float, baseline: Stopwatch) -> None:
    seconds = watch.wall
    print(
        f"  {label:<46} {seconds:8.2f} s  {frames / seconds:9.1f} frames/s  "
        f"{duration / seconds:7.2f}x real time  {seconds / baseline.wall:6.2f}x raw decode time  "
        f"CPU {watch.cpu:6.2f} s ({watch.cpu / seconds:4.2f} cores busy)"
    )


def bench_file(path: Path, names: list[str], stock: bool) -> None:
    config = load_config()
    info = probe(path)
    print(f"{path.name}: {info.width}x{info.height} @ {float(info.rate):.3f} fps, {info.duration:.1f} s")
    baseline, frames = raw_decode(path)
    line("raw decode (baseline)", baseline, frames, info.duration, baseline)
    scaled, images = frames_48x27(path, "per-frame")
    line("decode + 48x27 BICUBIC (ffmpeg -s), new context", scaled, frames, info.duration, baseline)
    scaled, _ = frames_48x27(path, "kept")
    line("decode + 48x27 BICUBIC, context kept", scaled, frames, info.duration, baseline)
    scaled, ours = frames_48x27(path, "engine")
    line("decode + 48x27 as the engine scales", scaled, frames, info.duration, baseline)
    print(
        f"  -> mean |pixel difference| {float(np.abs(ours.astype(int) - images.astype(int)).mean()):.2f}/255"
    )
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            chosen = analysers_for(config, Path(tmp), [name])
            for _, analyser in chosen:  # load models outside the timing
                _warm(analyser)
            watch = Stopwatch()
            analyse_media(path, chosen, AnalysisCache(Path(tmp)), Job())
            line(f"{name} (decode + analyser)", watch.stop(), frames, info.duration, baseline)
    with tempfile.TemporaryDirectory() as tmp:
        chosen = analysers_for(config, Path(tmp), names)
        for _, analyser in chosen:
            _warm(analyser)
        watch = Stopwatch()
        _, run = analyse_media(path, chosen, AnalysisCache(Path(tmp)), Job())
        first = watch.stop()
        line(f"all of {','.join(names)}, one pass", first, frames, info.duration, baseline)
        cores = os.cpu_count() or 1
        print(
            f"  -> its CPU time on {cores} cores allows at best {info.duration * cores / first.cpu:.2f}x real "
            f"time ({info.duration * cores / baseline.cpu:.2f}x for the raw decode alone)"
        )
        watch = Stopwatch()
        _, again = analyse_media(path, chosen, AnalysisCache(Path(tmp)), Job())
        second = watch.stop().wall
        print(
            f"  cached second run                  {second:8.3f} s  speed-up {first.wall / second:7.1f}x "
            f"(decode passes {run.video_passes} -> {again.video_passes})"
        )
    if stock and "shots" in names and config.analysis.shots_backend == "transnetv2":
        with tempfile.TemporaryDirectory() as tmp:
            bench_transnet(images, info.duration, baseline, config, Path(tmp))


def bench_transnet(
    images: np.ndarray, duration: float, baseline: Stopwatch, config, models_dir: Path
) -> None:
    import torch

    from engine.analysis.shots import WINDOW, load_for, predict_streaming
    from engine.models import locate

    weights = locate(config.models.shots, "shots")
    model = load_for(weights, "cpu", "float32")
    frames = len(images)
    watch = Stopwatch()
    stock, _ = model.predict_frames(torch.from_numpy(images), quiet=True)
    stock_s = watch.stop().wall
    line("TransNetV2 predict_frames (stock, float32)", watch, frames, duration, baseline)
    stock_p = stock.numpy()
    watch = Stopwatch()
    load_for(weights, "cpu", "int8", models_dir)
    print(f"  int8 network calibrated in {watch.stop().wall:.2f} s (once; later processes load it)")
    for precision in ("float32", "bfloat16", "int8"):
        network = load_for(weights, "cpu", precision, models_dir)
        watch = Stopwatch()
        ours = predict_streaming(network, iter(images), "cpu", Job(), bfloat16=precision == "bfloat16")
        ours_s = watch.stop().wall
        line(f"TransNetV2 streaming, {WINDOW}-frame windows, {precision}", watch, frames, duration, baseline)
        same = np.array_equal(stock_p > 0.5, ours > 0.5)
        print(
            f"  -> speed-up over stock {stock_s / ours_s:.2f}x; max |difference| in cut probability "
            f"{float(np.abs(stock_p - ours).max()):.2e}; same frames above 0.5: {same}"
        )


def _warm(analyser) -> None:
    from engine.analysis import faces, shots
    from engine.models import locate

    if isinstance(analyser, shots.TransNetV2Shots):
        shots.load_for(
            locate(analyser.spec, "shots"), analyser.device, analyser.precision, analyser.models_dir
        )
    elif isinstance(analyser, faces.MediaPipeFaces):
        faces.load_mediapipe_faces(locate(analyser.spec, "faces"), analyser.min_confidence)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--analysers", default="shots,faces,quality")
    parser.add_argument("--no-stock", action="store_true", help="skip the stock TransNetV2 comparison")
    args = parser.parse_args()
    names = [n for n in args.analysers.split(",") if n]
    for path in args.files or [DEFAULT]:
        bench_file(path, names, not args.no_stock)


if __name__ == "__main__":
    main()
