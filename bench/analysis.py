"""Analysis speed on this machine, as ratios against a raw decode measured in the same run.

    .venv/bin/python bench/analysis.py [FILE ...] [--analysers shots,faces,quality] [--no-stock]

Per file: raw decode (the baseline), each video analyser alone (one pass each, fresh cache), all of
them in one pass, a cached second run, and TransNetV2 as its package runs it (`predict_frames`)
against our streaming batched inference on the same frames. Every figure is printed as frames/s,
x real time and as a ratio to the baseline, so runs on busy or different machines stay comparable.
Without FILE it uses ../shared/media/video_cuts/pyscenedetect_testvideo.mp4 (720p, 24 s).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.analysis.base import VideoRequest  # noqa: E402
from engine.analysis.cache import AnalysisCache  # noqa: E402
from engine.analysis.runner import analyse_media, analysers_for  # noqa: E402
from engine.config import load_config  # noqa: E402
from engine.media.probe import probe  # noqa: E402
from engine.media.video import scale_frame  # noqa: E402
from engine.progress import Job  # noqa: E402

DEFAULT = REPO / ".." / "shared" / "media" / "video_cuts" / "pyscenedetect_testvideo.mp4"


def raw_decode(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    frames = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            frames += 1
    return time.perf_counter() - start, frames


def frames_48x27(path: Path, engine_scaling: bool) -> tuple[float, np.ndarray]:
    """Decoded and squeezed to TransNetV2's input: swscale BICUBIC in one go (what ffmpeg -s does), or
    the engine's way (averaged down first when the shrink is large)."""
    request = VideoRequest(size=(48, 27), interpolation="BICUBIC")
    start = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if engine_scaling:
            images = [scale_frame(f, request, request.size, 0) for f in container.decode(stream)]
        else:
            images = [
                f.reformat(width=48, height=27, format="rgb24", interpolation="BICUBIC").to_ndarray()
                for f in container.decode(stream)
            ]
    return time.perf_counter() - start, np.stack(images)


def line(label: str, seconds: float, frames: int, duration: float, baseline: float) -> None:
    print(
        f"  {label:<46} {seconds:8.2f} s  {frames / seconds:9.1f} frames/s  "
        f"{duration / seconds:7.2f}x real time  {seconds / baseline:6.2f}x raw decode time"
    )


def bench_file(path: Path, names: list[str], stock: bool) -> None:
    config = load_config()
    info = probe(path)
    print(f"{path.name}: {info.width}x{info.height} @ {float(info.rate):.3f} fps, {info.duration:.1f} s")
    baseline, frames = raw_decode(path)
    line("raw decode (baseline)", baseline, frames, info.duration, baseline)
    scaled, images = frames_48x27(path, engine_scaling=False)
    line("decode + 48x27 BICUBIC (as ffmpeg -s)", scaled, frames, info.duration, baseline)
    scaled, ours = frames_48x27(path, engine_scaling=True)
    line("decode + 48x27 as the engine scales", scaled, frames, info.duration, baseline)
    print(
        f"  -> mean |pixel difference| {float(np.abs(ours.astype(int) - images.astype(int)).mean()):.2f}/255"
    )
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            chosen = analysers_for(config, Path(tmp), [name])
            for _, analyser in chosen:  # load models outside the timing
                _warm(analyser)
            start = time.perf_counter()
            analyse_media(path, chosen, AnalysisCache(Path(tmp)), Job())
            line(f"{name} (decode + analyser)", time.perf_counter() - start, frames, info.duration, baseline)
    with tempfile.TemporaryDirectory() as tmp:
        chosen = analysers_for(config, Path(tmp), names)
        start = time.perf_counter()
        _, run = analyse_media(path, chosen, AnalysisCache(Path(tmp)), Job())
        first = time.perf_counter() - start
        line(f"all of {','.join(names)}, one pass", first, frames, info.duration, baseline)
        start = time.perf_counter()
        _, again = analyse_media(path, chosen, AnalysisCache(Path(tmp)), Job())
        second = time.perf_counter() - start
        print(
            f"  cached second run                  {second:8.3f} s  speed-up {first / second:7.1f}x "
            f"(decode passes {run.video_passes} -> {again.video_passes})"
        )
    if stock and "shots" in names and config.analysis.shots_backend == "transnetv2":
        bench_transnet(images, info.duration, baseline, config)


def bench_transnet(images: np.ndarray, duration: float, baseline: float, config) -> None:
    import torch

    from engine.analysis.shots import WINDOW, load_transnetv2, predict_streaming
    from engine.models import locate

    model = load_transnetv2(locate(config.models.shots, "shots"), "cpu")
    frames = len(images)
    tensor = torch.from_numpy(images)
    start = time.perf_counter()
    stock, _ = model.predict_frames(tensor, quiet=True)
    stock_s = time.perf_counter() - start
    line("TransNetV2 predict_frames (stock)", stock_s, frames, duration, baseline)
    stock_p = stock.numpy()
    for label, bf16 in (("float32", False), ("bfloat16 autocast", True)):
        start = time.perf_counter()
        ours = predict_streaming(model, iter(images), "cpu", Job(), bfloat16=bf16)
        ours_s = time.perf_counter() - start
        line(f"TransNetV2 streaming, {WINDOW}-frame windows, {label}", ours_s, frames, duration, baseline)
        same = np.array_equal(stock_p > 0.5, ours > 0.5)
        print(
            f"  -> speed-up over stock {stock_s / ours_s:.2f}x; max |difference| in cut probability "
            f"{float(np.abs(stock_p - ours).max()):.2e}; same frames above 0.5: {same}"
        )


def _warm(analyser) -> None:
    from engine.analysis import faces, shots
    from engine.models import locate

    if isinstance(analyser, shots.TransNetV2Shots):
        shots.load_transnetv2(locate(analyser.spec, "shots"), analyser.device)
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
