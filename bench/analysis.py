"""Analysis speed as a user meets it, as ratios to a raw decode measured in the same run (issue 12).

    .venv/bin/python bench/analysis.py [--clip FILE] [--films FILE] [--seconds 60] [--baseline-repo DIR]
        [--rounds 2]

(TransNetV2's variants and the 48x27 scaling: bench/transnet_variants.py.)

Made in the run (bench/speech_footage.py): a 1080p 25 fps H.264 clip of real faces, real cuts and
real speech (``--clip`` reuses one). Printed, each as seconds, x real time and x raw decode time:
- raw decode of the picture (the baseline) and of the sound;
- each analyser alone, in this process, models loaded beforehand (decode included);
- the whole analysis in this process (models loaded, then with the model loading in the timing);
- ``autoedit analyze`` as a subprocess from a cold process: with a warm data dir (models assembled
  and calibrated, no cached analysis), with a fresh data dir, and on a 3 s clip (start-up); also on
  2 minutes of the shared films at 1080p (bench/film_footage.py: real cuts, speech in parts, music),
  the kind of footage issue 12's held-out check times;
  ``--baseline-repo DIR`` also runs those with another checkout's engine, interleaved, for
  before/after ratios from the same run;
- ``autoedit --help`` and a missing file's error (wall time, and whether torch was imported);
- the filler-prompted Whisper pass (issue 13) against the plain one;
- teacher vs student for each distilled analyser: the shots backends the config accepts, with F1
  at +-1 frame against the clip's own cuts and against the teacher, and their speed.
The machine may be shared: read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.append(str(REPO / "bench"))  # after the repo: bench/bridge.py must not shadow `bridge`

import film_footage  # noqa: E402
import speech_footage  # noqa: E402

from engine.cli import share_cores  # noqa: E402

share_cores()  # as the console script does, before torch loads: the in-process figures match the CLI's

from engine.analysis.cache import AnalysisCache  # noqa: E402
from engine.analysis.runner import analyse_media, analysers_for  # noqa: E402
from engine.config import load_config  # noqa: E402
from engine.errors import ConfigError  # noqa: E402
from engine.media.probe import probe  # noqa: E402
from engine.progress import Job  # noqa: E402

ANALYSERS = ["shots", "faces", "quality", "speech", "words", "beats", "loudness", "disfluencies"]
SHOT_BACKENDS = ["transnetv2", "student", "pyscenedetect"]  # the teacher first; "student": issue 12's
FILMS = "2 min of shared films, 1080p"  # bench/film_footage.py, warm data dir


class Stopwatch:
    """Wall time and this process's CPU time (all threads): CPU seconds / cores is the shortest wall
    time that work could take on this machine, however it were overlapped."""

    def __init__(self) -> None:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()

    def stop(self) -> Stopwatch:
        self.wall, self.cpu = time.perf_counter() - self.wall0, time.process_time() - self.cpu0
        return self


class Table:
    def __init__(self, duration: float, baseline: float):
        self.duration, self.baseline = duration, baseline

    def line(self, label: str, seconds: float, cpu: float | None = None, extra: str = "") -> None:
        busy = f"  CPU {cpu:6.2f} s" if cpu is not None else ""
        print(
            f"  {label:<58} {seconds:7.2f} s {self.duration / seconds:7.2f}x real time "
            f"{seconds / self.baseline:6.2f}x raw decode{busy}{extra}",
            flush=True,
        )


def raw_decode(path: Path, kind: str = "video") -> Stopwatch:
    watch = Stopwatch()
    with av.open(str(path)) as container:
        if kind == "video":
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for _ in container.decode(stream):
                pass
        else:
            for _ in container.decode(audio=0):
                pass
    return watch.stop()


def analyse(path: Path, config, data_dir: Path, fields: list[str] | None) -> tuple[Stopwatch, dict]:
    """One in-process analysis with a fresh cache (models from `data_dir`, already loaded)."""
    with tempfile.TemporaryDirectory() as tmp:
        chosen = analysers_for(config, data_dir, fields)
        watch = Stopwatch()
        media, _ = analyse_media(path, chosen, AnalysisCache(Path(tmp)), Job())
        return watch.stop(), media.model_dump(mode="json")


def cli(repo: Path, args: list[str], data_dir: Path, env: dict[str, str] | None = None) -> tuple[float, str]:
    """`python -m engine ARGS` from a cold process with `repo`'s engine: (wall s, stderr)."""
    environ = {**os.environ, "PYTHONPATH": str(repo), **(env or {})}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "engine", *args, "--data-dir", str(data_dir)],
        cwd=repo,
        env=environ,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return time.perf_counter() - start, done.stderr


def imports_torch(repo: Path, args: list[str], data_dir: Path) -> bool:
    code = (
        "import sys\nfrom engine.cli import main\n"
        f"try:\n    main({[*args, '--data-dir', str(data_dir)]!r})\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out.stdout.strip().splitlines()[-1:] == ["True"]


def cut_frames(media: dict, fps: float) -> list[int]:
    return [round(s["start"] * fps) for s in media["shots"][1:]]


def f1(found: list[int], truth: list[int], tolerance: int = 1) -> float:
    """Cut F1 with each true cut matched at most once within +-tolerance frames."""
    free = sorted(truth)
    hits = 0
    for cut in sorted(found):
        match = next((t for t in free if abs(t - cut) <= tolerance), None)
        if match is not None:
            free.remove(match)
            hits += 1
    if not found or not truth:
        return 1.0 if not found and not truth else 0.0
    precision, recall = hits / len(found), hits / len(truth)
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)


def shot_backend_config(name: str):
    try:
        return load_config(environ={**os.environ, "AUTOEDIT__ANALYSIS__SHOTS_BACKEND": name})
    except ConfigError:
        return None


def bench(
    clip: Path, short: Path, films: Path, data_dir: Path, baseline_repo: Path | None, rounds: int = 2
) -> None:
    config = load_config()
    info = probe(clip)
    print(
        f"{clip.name}: {info.width}x{info.height} @ {float(info.rate):.2f} fps, {info.duration:.1f} s, "
        f"{os.cpu_count()} CPU cores (shared machines: read the ratios)"
    )
    baseline = raw_decode(clip)
    table = Table(info.duration, baseline.wall)
    table.line("raw decode of the picture (baseline)", baseline.wall, baseline.cpu)
    sound = raw_decode(clip, "audio")
    table.line("raw decode of the sound", sound.wall, sound.cpu)

    print("in this process, models loaded beforehand:")
    analyse(short, config, data_dir, None)  # assembles, calibrates and loads every model
    results: dict[str, float] = {}
    for name in ANALYSERS:
        watch, _ = analyse(clip, config, data_dir, [name])
        results[name] = watch.wall
        table.line(f"{name} alone (its decode included)", watch.wall, watch.cpu)
    watch, whole = analyse(clip, config, data_dir, None)
    table.line("whole analysis, one pass", watch.wall, watch.cpu)
    no_asr, _ = analyse(clip, config, data_dir, [n for n in ANALYSERS if n not in ("words", "disfluencies")])
    table.line("everything but ASR (words, disfluencies)", no_asr.wall, no_asr.cpu)
    plain = load_config(environ={**os.environ, "AUTOEDIT__ANALYSIS__ASR_FILLER_PROMPT": "false"})
    prompted_s = results["words"]
    unprompted, _ = analyse(clip, plain, data_dir, ["words"])
    table.line(
        "words without the filler prompt (issue 13's windows off)",
        unprompted.wall,
        unprompted.cpu,
        f"  prompted/plain {prompted_s / unprompted.wall:.2f}x",
    )

    print("teacher vs student (shots; F1 at +-1 frame against the clip's cuts and the teacher):")
    truth = speech_footage.cut_frames(clip)
    teacher_cuts: list[int] | None = None
    teacher_s = 0.0
    for backend in SHOT_BACKENDS:
        chosen = shot_backend_config(backend)
        if chosen is None:
            print(f"  {backend:<58} not offered by this engine's config")
            continue
        analyse(short, chosen, data_dir, ["shots"])  # its model loaded outside the timing
        watch, media = analyse(clip, chosen, data_dir, ["shots"])
        found = cut_frames(media, float(info.rate))
        if teacher_cuts is None:
            teacher_cuts, teacher_s = found, watch.wall
        table.line(
            f"shots: {backend} ({media['models'].get('shots', '?')[:30]})",
            watch.wall,
            watch.cpu,
            f"  F1 truth {f1(found, truth):.3f} teacher {f1(found, teacher_cuts):.3f}"
            f"  {teacher_s / watch.wall:5.2f}x the teacher's speed",
        )

    print("as a user runs it (`autoedit analyze`, a cold process each):")
    films_s = probe(films).duration
    repos = [("this engine", REPO)] + ([("baseline", baseline_repo)] if baseline_repo else [])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "analysis.json"
        warm = {label: Path(tmp) / f"warm-{i}" for i, (label, _) in enumerate(repos)}
        for label, repo in repos:  # the warm data dirs: models assembled and calibrated
            cli(repo, ["analyze", str(short), "-o", str(out)], warm[label])
        runs: dict[str, dict[str, float]] = {label: {} for label, _ in repos}
        for _ in range(rounds):  # interleaved, best of `rounds`
            for label, repo in repos:
                got = runs[label]
                shutil.rmtree(warm[label] / "analysis", ignore_errors=True)
                wall, _ = cli(repo, ["analyze", str(clip), "-o", str(out)], warm[label])
                got["warm data dir"] = min(got.get("warm data dir", 1e9), wall)
                wall, _ = cli(repo, ["analyze", str(clip), "-o", str(out)], warm[label])
                got["cached rerun"] = min(got.get("cached rerun", 1e9), wall)
                shutil.rmtree(warm[label] / "analysis", ignore_errors=True)
                wall, _ = cli(repo, ["analyze", str(short), "-o", str(out)], warm[label])
                got["3 s clip, warm data dir"] = min(got.get("3 s clip, warm data dir", 1e9), wall)
                shutil.rmtree(warm[label] / "analysis", ignore_errors=True)
                wall, _ = cli(repo, ["analyze", str(films), "-o", str(out)], warm[label])
                got[FILMS] = min(got.get(FILMS, 1e9), wall)
                fresh = Path(tmp) / f"fresh-{label.replace(' ', '-')}"
                wall, _ = cli(repo, ["analyze", str(clip), "-o", str(out)], fresh)
                shutil.rmtree(fresh, ignore_errors=True)
                got["fresh data dir"] = min(got.get("fresh data dir", 1e9), wall)
                wall, _ = cli(repo, ["--help"], warm[label])
                got["--help"] = min(got.get("--help", 1e9), wall)
                wall, _ = cli(repo, ["analyze", str(Path(tmp) / "missing.mp4")], warm[label])
                got["a missing file's error"] = min(got.get("a missing file's error", 1e9), wall)
        for label, repo in repos:
            for what, wall in runs[label].items():
                ratio = ""
                if label != "baseline" and baseline_repo:
                    ratio = f"  baseline/this {runs['baseline'][what] / wall:5.2f}x"
                seconds = {"3 s clip, warm data dir": 3.0, FILMS: films_s}.get(what, info.duration)
                print(
                    f"  {label:<12} {what:<30} {wall:7.2f} s "
                    f"{seconds / wall:7.2f}x real time {wall / baseline.wall:6.2f}x raw decode{ratio}"
                )
            for what, args in (("--help", ["--help"]), ("missing file", ["analyze", "missing.mp4"])):
                print(f"  {label:<12} {what} imports torch: {imports_torch(repo, args, warm[label])}")
    print(f"  (whole analysis found {len(whole['words'])} words, {len(whole['shots'])} shots)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--clip", type=Path, help="a clip made by bench/speech_footage.py (default: made now)"
    )
    parser.add_argument(
        "--films", type=Path, help="footage made by bench/film_footage.py (default: made now)"
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-repo", type=Path, help="another checkout to time the CLI of, interleaved")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="interleaved rounds of the CLI timings, best kept (a noisy machine: more)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clip = args.clip or speech_footage.write(work / "speech_1080p.mp4", args.seconds)
        short = speech_footage.write(clip.with_name(clip.stem + "-3s.mp4"), 3.0)
        films = args.films or film_footage.write(work / "films_1080p.mp4")
        data_dir = work / "data"
        bench(clip, short, films, data_dir, args.baseline_repo, args.rounds)


if __name__ == "__main__":
    main()
