"""The studio profile's analysis speed on a GPU, printed as bench/analysis.py prints the embedded one.

    .venv/bin/python bench/studio.py [FILE ...] [--analysers shots,faces,quality,objects,stems,words]

Same figures (frames/s, x real time, ratio to a raw decode measured in the same run) for the studio
settings (configs/studio.yaml, device cuda), and the embedded CPU run of the same analysers beside
them. Analysers whose studio model is not on this machine are listed with the ModelNotFound reason and
left out. Without a CUDA device it says so and exits 0: there is nothing to measure.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.analysis.cache import AnalysisCache  # noqa: E402
from engine.analysis.runner import analyse_media, analysers_for  # noqa: E402
from engine.config import load_config  # noqa: E402
from engine.errors import ModelNotFound  # noqa: E402
from engine.media.probe import probe  # noqa: E402
from engine.progress import Job  # noqa: E402


def _embedded_bench():
    """bench/analysis.py's helpers (baseline decode, the figure line, model warm-up): one way to print."""
    spec = importlib.util.spec_from_file_location("bench_analysis", REPO / "bench" / "analysis.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_one(bench, path: Path, config, names: list[str], label: str, frames: int, duration: float, baseline):
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                chosen = analysers_for(config, Path(tmp), [name])
                for _, analyser in chosen:
                    bench._warm(analyser)
                watch = bench.Stopwatch()
                analyse_media(path, chosen, AnalysisCache(Path(tmp)), Job())
            except ModelNotFound as exc:
                print(f"  {label} {name}: left out, {str(exc).splitlines()[0]}")
                continue
            bench.line(f"{label} {name} (decode + analyser)", watch.stop(), frames, duration, baseline)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--analysers", default="shots,faces,quality,objects,stems,words")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("no CUDA device on this machine: the studio profile's GPU figures need one; nothing measured")
        return 0
    bench = _embedded_bench()
    names = [n for n in args.analysers.split(",") if n]
    studio = load_config(profile="studio")
    embedded = load_config(profile="embedded", environ={**os.environ, "AUTOEDIT__DEVICE": "cpu"})
    print(f"GPU: {torch.cuda.get_device_name(0)}")
    for path in args.files or [bench.DEFAULT]:
        info = probe(path)
        print(f"{path.name}: {info.width}x{info.height} @ {float(info.rate):.3f} fps, {info.duration:.1f} s")
        baseline, frames = bench.raw_decode(path)
        bench.line("raw decode (baseline)", baseline, frames, info.duration, baseline)
        run_one(bench, path, studio, names, "studio/cuda", frames, info.duration, baseline)
        run_one(bench, path, embedded, names, "embedded/cpu", frames, info.duration, baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
