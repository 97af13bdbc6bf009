"""Peak memory and time of `autoedit analyze` (and `autoedit edit`) against the length of the footage.

    .venv/bin/python bench/longform.py [--durations 5m,30m,2h] [--quick] [--kinds audio,video]
                                       [--edit] [--planning-hours 10] [--out bench/out/longform]

For each duration, generated footage (issue 19) is analysed by the real CLI in a subprocess with a
fresh data dir, its resident memory (the process and its children, psutil) sampled every 0.2 s:
- audio: a 16 kHz mono WAV of real speech (../shared/media/speech, looped with 0.4-2 s pauses)
  over a quiet generated music bed (chords with a beat), so every audio analyser has work;
- video: the same sound in a 160x90, 12 fps H.264/PCM .mkv with a new coloured shot every 3-9 s.
`--edit` then runs `autoedit edit` on the analysed file (cached analysis; rules planner, so the LLM
prompt parser's fixed cost does not hide the planning) and samples it the same way.
`--planning-hours H` also plans an H-hour source without analysing it: the cache of a small
placeholder file is filled with a generated H-hour report (engine.synthetic.long_report_dict, the
density of the embedded profile) and `autoedit edit` runs on it, as it would after analysing.

Printed per run: wall seconds, peak RSS, peak RSS per hour of footage, the growth per hour against
the shortest run ((peak - peak_first) / (hours - hours_first)), and ratios to the first (shortest)
run of the same kind: peak RSS and seconds per footage second. A PNG of RSS over time (one line per
run) and the figures as JSON go to --out. The machine may be shared: the ratios compare runs of one
invocation; absolute seconds are not comparable across invocations.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SPEECH = REPO / ".." / "shared" / "media" / "speech"
SPEECH_FILES = (
    "whisper_jfk.flac",
    "speechbrain_LJ050-0131.wav",
    "pocketsphinx_librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
    "pocketsphinx_librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
    "pocketsphinx_librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
    "lhotse/librispeech_2412-153948-0000.flac",
)
RATE = 16000
FPS = 12
SIZE = (160, 90)
BLOCK_S = 60  # footage written a minute at a time: the generator's own memory stays flat
SAMPLE_S = 0.2
QUICK = "1m,3m"


@dataclass
class Run:
    label: str
    kind: str  # audio | video | planning
    command: str  # analyze | edit
    hours: float
    seconds: float = 0.0
    peak_mb: float = 0.0
    rc: int = 0
    trace: list[tuple[float, float]] = field(default_factory=list)  # (s, MB)
    last_lines: list[str] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)  # the CLI's stage lines ("edit · stage NN% ...")


def parse_duration(text: str) -> float:
    """'90s', '5m', '2h', '1.5h' or plain seconds -> seconds."""
    text = text.strip().lower()
    unit = {"s": 1, "m": 60, "h": 3600}.get(text[-1:])
    return float(text[:-1]) * unit if unit else float(text)


# -- footage -------------------------------------------------------------------------------------


def _decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        parts = [
            out.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for out in resampler.resample(frame)
        ]
        parts += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    return np.concatenate(parts).astype(np.float32)


def speech_clips() -> list[np.ndarray]:
    missing = [name for name in SPEECH_FILES if not (SPEECH / name).is_file()]
    if missing:
        raise SystemExit(f"bench/longform.py: {SPEECH.resolve()} lacks {', '.join(missing)}")
    clips = [_decode(SPEECH / name) for name in SPEECH_FILES]
    return [0.5 * c / max(1e-6, float(np.abs(c).max())) for c in clips]


class Soundtrack:
    """Speech looped with pauses over a music bed, produced a block at a time (deterministic)."""

    def __init__(self, clips: list[np.ndarray], seed: int = 0):
        self.clips, self.rng = clips, np.random.default_rng(seed)
        self.pending = np.zeros(0, dtype=np.float32)
        self.written = 0
        self.k = 0

    def _music(self, start: int, n: int) -> np.ndarray:
        t = (start + np.arange(n)) / RATE
        chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
        beat = np.exp(-((t * 2.0) % 1.0) * 30.0) * np.sin(2 * np.pi * 80.0 * t)  # 120 bpm
        return (0.02 * chord + 0.08 * beat).astype(np.float32)

    def block(self, n: int) -> np.ndarray:
        while len(self.pending) < n:
            clip = self.clips[self.k % len(self.clips)]
            self.k += 1
            pause = np.zeros(int(self.rng.uniform(0.4, 2.0) * RATE), dtype=np.float32)
            self.pending = np.concatenate([self.pending, clip, pause])
        out, self.pending = self.pending[:n], self.pending[n:]
        out = out + self._music(self.written, n)
        self.written += n
        return out


def write_audio(path: Path, seconds: float, clips: list[np.ndarray]) -> None:
    import soundfile

    track = Soundtrack(clips)
    total = int(seconds * RATE)
    with soundfile.SoundFile(str(path), "w", RATE, 1, subtype="PCM_16") as out:
        for start in range(0, total, BLOCK_S * RATE):
            out.write(track.block(min(BLOCK_S * RATE, total - start)))


def write_video(path: Path, seconds: float, clips: list[np.ndarray]) -> None:
    track = Soundtrack(clips)
    rng = np.random.default_rng(1)
    frames = int(seconds * FPS)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        assert isinstance(video, av.VideoStream)
        video.width, video.height, video.pix_fmt = *SIZE, "yuv420p"
        video.options = {"crf": "23", "preset": "veryfast", "bf": "0", "g": "48"}
        audio = container.add_stream("pcm_s16le", rate=RATE)
        assert isinstance(audio, av.AudioStream)
        audio.layout = "mono"
        shot_end, picture = 0, np.zeros((SIZE[1], SIZE[0], 3), dtype=np.uint8)
        sample = 0
        for i in range(frames):
            if i >= shot_end:
                shot_end = i + int(rng.uniform(3, 9) * FPS)
                picture = np.empty_like(picture)
                picture[:] = rng.integers(0, 255, size=3, dtype=np.uint8)
                picture[20:70, 50:110] = rng.integers(0, 255, size=3, dtype=np.uint8)  # something to see
            moving = np.roll(picture, i % SIZE[0], axis=1)
            frame = av.VideoFrame.from_ndarray(moving, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            container.mux(video.encode(frame))
            if i % FPS == FPS - 1 or i == frames - 1:  # a second of sound after each second of picture
                want = min(int((i + 1) / FPS * RATE), int(seconds * RATE)) - sample
                block = (np.clip(track.block(want), -1, 1) * 32767).astype(np.int16)[None, :]
                aframe = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
                aframe.sample_rate, aframe.pts, aframe.time_base = RATE, sample, Fraction(1, RATE)
                sample += want
                container.mux(audio.encode(aframe))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))


# -- measuring -----------------------------------------------------------------------------------


def _tree_rss(process) -> int:  # type: ignore[no-untyped-def]
    import psutil

    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # a child that just ended
            total += p.memory_info().rss
    return total


def measure(run: Run, argv: list[str], env: dict[str, str]) -> Run:
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    handle = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            mb = _tree_rss(handle) / 1e6
        except psutil.Error:
            break
        if mb > 1.0:  # not the instant the process is gone
            run.trace.append((time.perf_counter() - started, mb))
        run.peak_mb = max(run.peak_mb, mb)
        time.sleep(SAMPLE_S)
    run.rc = proc.wait()
    reader.join(timeout=10)
    run.seconds = time.perf_counter() - started
    run.last_lines = [line.rstrip() for line in lines[-4:]]
    run.progress = [line.rstrip() for line in lines if " · " in line and "%" in line]
    return run


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "engine", *args]


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["AUTOEDIT_DATA_DIR"] = str(data_dir)
    env["AUTOEDIT__PLANNER__BACKEND"] = "rules"
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    return env


PROMPT = "tighten this and remove the ums"


def seed_cache(placeholder: Path, hours: float, data_dir: Path) -> None:
    """Fill the analysis cache of `placeholder` with a generated `hours`-long report, per analyser,
    as `autoedit analyze` would have left it (the runner then loads it as cached analysis)."""
    from engine.analysis import runner
    from engine.analysis.cache import AnalysisCache
    from engine.config import load_config
    from engine.synthetic import long_report_dict

    config = load_config(environ={"AUTOEDIT_DATA_DIR": str(data_dir)})
    cache = AnalysisCache(data_dir)
    sha = cache.content_hash(placeholder)
    report = long_report_dict(hours, path=str(placeholder.resolve()))
    num, den = report["rate"]
    cache.store(sha, runner.PROBE_KEY, {
        "duration": report["duration"], "rate": f"{num}/{den}", "width": report["width"],
        "height": report["height"], "has_audio": True, "has_video": True,
        "start_time": 0.0, "rotation": 0, "variable_frame_rate": False,
    })  # fmt: skip
    for _entry, analyser in runner.analysers_for(config, data_dir):
        fields = {name: report[name] for name in analyser.fields if name in report}
        cache.store(sha, runner._cache_key(analyser), fields)


def _human(seconds: float) -> str:
    return (
        f"{seconds / 3600:g} h"
        if seconds >= 3600
        else f"{seconds / 60:g} min"
        if seconds >= 60
        else f"{seconds:g} s"
    )


def footage_runs(kind: str, seconds: float, work: Path, edit: bool, clips) -> list[Run]:  # type: ignore[no-untyped-def]
    """Write `seconds` of footage of `kind`, analyse it (and edit it) in subprocesses."""
    runs = []
    label = f"{kind} {_human(seconds)}"
    path = work / f"{kind}_{int(seconds)}s{'.wav' if kind == 'audio' else '.mkv'}"
    t0 = time.perf_counter()
    (write_audio if kind == "audio" else write_video)(path, seconds, clips)
    print(
        f"  wrote {path.name} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    data = work / f"data_{kind}_{int(seconds)}"
    report = work / f"{path.stem}.json"
    run = measure(
        Run(label, kind, "analyze", seconds / 3600), _cli("analyze", str(path), "-o", str(report)), _env(data)
    )
    runs.append(run)
    _print_run(run)
    if edit and run.rc == 0:
        out = work / f"{path.stem}.otio"
        run = measure(Run(label, kind, "edit", seconds / 3600), _cli("edit", str(path), "--prompt", PROMPT, "-o", str(out)), _env(data))  # fmt: skip
        runs.append(run)
        _print_run(run)
    path.unlink()  # long footage is large; the next one needs the room
    return runs


def planning_run(hours: float, work: Path) -> Run:
    placeholder = work / "placeholder_long.wav"
    write_audio(placeholder, 2.0, [np.zeros(RATE, dtype=np.float32)])  # a real file; its cache says 10 h
    data = work / "data_planning"
    seed_cache(placeholder, hours, data)
    out = work / "planning.otio"
    run = Run(f"planned {hours:g} h (generated report)", "planning", "edit", hours)
    return measure(run, _cli("edit", str(placeholder), "--prompt", PROMPT, "-o", str(out)), _env(data))


def _print_run(run: Run) -> None:
    state = "ok" if run.rc == 0 else f"FAILED rc={run.rc}: {' | '.join(run.last_lines)}"
    print(
        f"  {run.label:34s} {run.command:8s} {run.seconds:8.1f} s  peak {run.peak_mb:7.0f} MB  {state}",
        flush=True,
    )


def summary(runs: list[Run]) -> list[str]:
    lines = [
        f"{'run':34s} {'cmd':8s} {'wall s':>8s} {'peak MB':>8s} {'MB/h':>8s} {'+MB/h':>8s} {'peak ratio':>10s} {'s/s ratio':>9s}"
    ]
    for kind in dict.fromkeys((r.kind, r.command) for r in runs):
        group = [r for r in runs if (r.kind, r.command) == kind and r.rc == 0]
        if not group:
            continue
        first = group[0]
        for r in group:
            growth = (
                (r.peak_mb - first.peak_mb) / (r.hours - first.hours)
                if r.hours > first.hours
                else float("nan")
            )
            speed = (r.seconds / r.hours) / (first.seconds / first.hours)
            lines.append(
                f"{r.label:34s} {r.command:8s} {r.seconds:8.1f} {r.peak_mb:8.0f} {r.peak_mb / r.hours:8.0f} "
                f"{growth:8.0f} {r.peak_mb / first.peak_mb:10.2f} {speed:9.2f}"
            )
    return lines


def plot(runs: list[Run], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for r in runs:
        if r.trace:
            ax.plot([t for t, _ in r.trace], [mb for _, mb in r.trace], label=f"{r.label} ({r.command})")
    ax.axhline(2000, color="grey", linestyle="--", linewidth=0.8, label="2 GB (issue 19)")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("resident memory, MB (process + children)")
    ax.set_title("autoedit on long footage: RSS over time")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--durations", default="5m,30m,2h", help="comma-separated (90s, 5m, 2h)")
    parser.add_argument("--quick", action="store_true", help=f"durations {QUICK} (a few minutes in all)")
    parser.add_argument("--kinds", default="audio,video", help="audio, video or both")
    parser.add_argument("--edit", action="store_true", help="also `autoedit edit` each analysed file")
    parser.add_argument(
        "--planning-hours", type=float, default=0.0, help="also plan a generated report this long"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "longform")
    args = parser.parse_args()
    durations = sorted(parse_duration(d) for d in (QUICK if args.quick else args.durations).split(",") if d)
    kinds = [k for k in args.kinds.split(",") if k]
    if any(k not in ("audio", "video") for k in kinds):
        raise SystemExit(f"--kinds: audio and/or video, got {args.kinds}")
    args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"durations {', '.join(_human(d) for d in durations)}; kinds {', '.join(kinds)}; cpus {os.cpu_count()}"
    )
    runs: list[Run] = []
    clips = speech_clips() if durations and kinds else []
    with tempfile.TemporaryDirectory(prefix="longform-") as tmp:
        work = Path(tmp)
        if args.planning_hours > 0:  # first: seconds, where the footage runs take minutes to hours
            runs.append(planning_run(args.planning_hours, work))
            _print_run(runs[-1])
            print("  its progress: " + " | ".join(runs[-1].progress), flush=True)
            print("  its last lines: " + " | ".join(runs[-1].last_lines), flush=True)
            save(runs, args.out)
        for seconds in durations:  # shortest first, each kind: a cut-short bench still has ratios
            for kind in kinds:
                runs += footage_runs(kind, seconds, work, args.edit, clips)
                save(runs, args.out)
    print()
    print("\n".join(summary(runs)))
    print(f"\nwrote {args.out / 'rss_over_time.png'} and {args.out / 'longform.json'}")
    print(
        "MB/h = peak / hours of footage; +MB/h = growth per hour over the shortest run; ratios vs the shortest run"
    )


def save(runs: list[Run], out: Path) -> None:
    """The figures so far (after every run, so a bench stopped part-way keeps what it measured)."""
    plot(runs, out / "rss_over_time.png")
    (out / "longform.json").write_text(json.dumps([asdict(r) for r in runs], indent=1))
    (out / "summary.txt").write_text("\n".join(summary(runs)) + "\n")


if __name__ == "__main__":
    main()
