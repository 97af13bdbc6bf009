"""Audio analysis speed: decode-only, each audio analyser, and the total, as x real time.

    .venv/bin/python bench/audio.py [FILE ...] [--repeat N]

Default file: whisper's JFK clip. Figures are ratios to the file's duration measured in the same run
(audio seconds per second of work, best of --repeat after one warm-up that loads the models). On a
shared machine wall time depends on the others' load, so CPU time is printed too: `x RT/core` is
the speed if every core were ours (audio seconds x cores / CPU seconds). Whisper encodes 30 s
windows: clips much shorter than 30 s read slower than long footage.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.analysis.base import AudioRequest, MediaInfo  # noqa: E402
from engine.analysis.registry import AUDIO_ENTRIES  # noqa: E402
from engine.config import load_config  # noqa: E402
from engine.media.audio import decode_audio_requests  # noqa: E402
from engine.progress import Job  # noqa: E402

DEFAULT = REPO / ".." / "shared" / "media" / "speech" / "whisper_jfk.flac"


class _Inputs:
    def __init__(self, path: Path, audio: dict[AudioRequest, object]):
        self.info = MediaInfo(str(path), "", 0.0, 0, 0, 0, False, True)  # type: ignore[arg-type]
        self._audio = audio

    def audio(self, request: AudioRequest):
        return self._audio.get(request)

    def frames(self, request):
        raise RuntimeError("audio bench has no video")


def best_of(repeat: int, fn):
    """(wall seconds, CPU seconds of this process, value) of the fastest of `repeat` runs."""
    best, cpu, value = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = fn()
        wall = time.perf_counter() - start
        if wall < best:
            best, cpu = wall, time.process_time() - start_cpu
    return best, cpu, value


def row(label: str, wall: float, cpu: float, duration: float) -> None:
    """Wall time as x real time, and CPU time per core used (robust when others load the machine)."""
    cores = os.cpu_count() or 1
    print(
        f"  {label[:40]:40} {wall:8.3f} {duration / wall:8.1f} {cpu:8.3f} {duration * cores / max(cpu, 1e-9):10.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = load_config()
    with tempfile.TemporaryDirectory(prefix="autoedit-bench-") as data_dir:
        analysers = [entry.build(config, Path(data_dir)) for entry in AUDIO_ENTRIES]
        requests = list(dict.fromkeys(a.audio for a in analysers if a.audio is not None))
        for path in args.files:
            decode_s, decode_cpu, audio = best_of(
                args.repeat, lambda p=path: decode_audio_requests(p, requests)
            )
            if not audio:
                print(f"{path}: no audio")
                continue
            any_request = next(iter(audio))
            duration = audio[any_request].shape[-1] / any_request.sample_rate
            inputs = _Inputs(path, audio)
            print(
                f"{path.name}: {duration:.2f} s of audio; rates {sorted({r.sample_rate for r in requests})} Hz"
            )
            print(f"  {'':40} {'wall s':>8} {'x RT':>8} {'CPU s':>8} {'x RT/core':>10}")
            row(f"decode + resample ({len(requests)} requests)", decode_s, decode_cpu, duration)
            total, total_cpu = decode_s, decode_cpu
            for analyser in analysers:
                analyser.analyse(inputs, Job())  # warm-up: load the model once, as a server would
                seconds, cpu, _ = best_of(args.repeat, lambda a=analyser, i=inputs: a.analyse(i, Job()))
                total, total_cpu = total + seconds, total_cpu + cpu
                row(f"{analyser.name} ({analyser.model_id()})", seconds, cpu, duration)
            row("total", total, total_cpu, duration)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
