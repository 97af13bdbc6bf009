"""Audio analysis speed: decode-only, each audio analyser, and the total, as x real time.

    .venv/bin/python bench/audio.py [FILE ...] [--repeat N]

Default file: whisper's JFK clip. Figures are ratios to the file's duration measured in the same run
(audio seconds per second of work, best of --repeat after one warm-up that loads the models), so
they compare across machines only as ratios. Whisper encodes 30 s windows: clips much shorter than
30 s read slower than long footage.
"""

from __future__ import annotations

import argparse
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
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


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
            decode_s, audio = best_of(args.repeat, lambda p=path: decode_audio_requests(p, requests))
            if not audio:
                print(f"{path}: no audio")
                continue
            any_request = next(iter(audio))
            duration = audio[any_request].shape[-1] / any_request.sample_rate
            inputs = _Inputs(path, audio)
            print(f"{path.name}: {duration:.2f} s of audio; rates {sorted({r.sample_rate for r in requests})} Hz")
            print(f"  {'decode + resample (one pass)':40} {decode_s:8.3f} s  {duration / decode_s:8.1f} x real time")
            total = decode_s
            for analyser in analysers:
                analyser.analyse(inputs, Job())  # warm-up: load the model once, as a server would
                seconds, _ = best_of(args.repeat, lambda a=analyser: a.analyse(inputs, Job()))
                total += seconds
                label = f"{analyser.name} ({analyser.model_id()})"[:40]
                print(f"  {label:40} {seconds:8.3f} s  {duration / seconds:8.1f} x real time")
            print(f"  {'total':40} {total:8.3f} s  {duration / total:8.1f} x real time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
