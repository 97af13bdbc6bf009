"""Analysis throughput on a Ray cluster vs the local path, measured in the same run.

    .venv/bin/python bench/scale.py [--seconds 120] [--segment-s 30] [--fields shots,quality,speech]

A generated talking clip (160x90, 12 fps, engine.synthetic.write_long_talk) is analysed (1) locally,
in this process, with a fresh cache, (2) on a private Ray cluster on 127.0.0.1 (`ray.init`, this
machine's CPUs) with 1 analysis worker and (3) with 2 workers, each time into a fresh head cache.
Models are assembled/calibrated before any timing (a warm-up run); the local path still loads them in
its timed run, as every `autoedit analyze` does, while the actors are started and warmed on a short
clip first, as they stay up in `autoedit serve --ray`. Printed: seconds of
footage per wall second, each ratio against the local path, the per-task cost on the workers (what a
node spends on one segment and on a file's audio) and a projection for W workers from it:

    T(W) = footage_seconds * (video_cost + audio_cost) / W

with the costs in worker seconds per second of footage, measured with 1 worker (no contention between
workers). The head's share (planning, stitching, the report from its cache) is in the ratios above.
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

from engine.analysis.runner import analyse_files  # noqa: E402
from engine.config import load_config  # noqa: E402
from engine.progress import Job  # noqa: E402
from engine.synthetic import write_long_talk  # noqa: E402


def _local(clip: Path, config, models_dir: Path, fields: list[str]) -> float:
    with tempfile.TemporaryDirectory() as data:
        os.environ["AUTOEDIT_DATA_DIR"] = data
        started = time.perf_counter()
        report = analyse_files([clip], config, Path(data), Job(), fields)
        seconds = time.perf_counter() - started
    assert not report.errors, report.errors
    return seconds


def _cluster(clip: Path, warm: Path, config, models_dir: Path, fields: list[str], workers: int):
    from engine.distributed import cluster
    from engine.distributed.run import analyse_files_on_cluster

    config = config.model_copy(deep=True)
    config.distributed.ray_address = "local"
    config.distributed.workers = workers
    config.distributed.worker_data_dir = str(models_dir)
    with tempfile.TemporaryDirectory() as head:
        pool = cluster.pool_for(config, Path(head))
        pool.where()
        analyse_files_on_cluster([warm], config, Path(head), Job(), fields)  # each actor loads its models
        if workers > 1:  # the second actor too: a segmented warm-up gives both a task
            analyse_files_on_cluster([warm], config, Path(head) / "again", Job(), fields)
        started = time.perf_counter()
        report, run = analyse_files_on_cluster([clip], config, Path(head) / "timed", Job(), fields)
        seconds = time.perf_counter() - started
        cluster.shutdown()
    assert not report.errors and not run.errors, (report.errors, run.errors)
    return seconds, run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=120.0, help="length of the generated clip")
    parser.add_argument("--segment-s", type=float, default=30.0, help="distributed.segment_s")
    parser.add_argument("--fields", default="shots,quality,speech")
    args = parser.parse_args()
    fields = [f for f in args.fields.split(",") if f]
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        clip, warm = work_dir / "long.mp4", work_dir / "warm.mp4"
        write_long_talk(clip, args.seconds, seam_every=args.segment_s)
        write_long_talk(warm, 2 * args.segment_s + 6.0, seam_every=args.segment_s)
        models_dir = work_dir / "models"
        os.environ["AUTOEDIT_DATA_DIR"] = str(models_dir)
        config = load_config()
        config.distributed.segment_s = args.segment_s
        analyse_files([warm], config, models_dir, Job(), fields)  # assemble/calibrate models once

        local = _local(clip, config, models_dir, fields)
        results = {w: _cluster(clip, warm, config, models_dir, fields, w) for w in (1, 2)}

    print(
        f"clip: {args.seconds:.0f} s generated (160x90, 12 fps), fields {','.join(fields)}, "
        f"segments of {args.segment_s:g} s, {os.cpu_count()} CPUs"
    )
    print(f"  local path     {local:7.2f} s  {args.seconds / local:6.2f} s of footage per s  ratio 1.00")
    for workers, (seconds, run) in results.items():
        print(
            f"  ray, {workers} worker{'s' if workers > 1 else ' '} {seconds:7.2f} s  "
            f"{args.seconds / seconds:6.2f} s of footage per s  ratio {local / seconds:.2f} "
            f"({run.tasks} tasks; per task on a worker: "
            f"mean {sum(run.seconds) / len(run.seconds):.2f} s, max {max(run.seconds):.2f} s)"
        )
    # Worker seconds per second of footage, from the 1-worker run (one task at a time: no contention
    # between workers on this machine's 2 cores): the video segments and the file's audio task.
    _, alone = results[1]
    video = sum(s for task, s in alone.task_seconds.items() if "#" in task) / args.seconds
    audio = sum(s for task, s in alone.task_seconds.items() if "#" not in task) / args.seconds
    per_worker = max(alone.task_seconds.values())
    print(
        f"cost on one worker: {video:.3f} s per s of footage for the visual segments "
        f"({args.segment_s * video:.1f} s per {args.segment_s:g}-s segment), {audio:.3f} s per s for "
        f"the audio task; longest task {per_worker:.1f} s"
    )
    hours = 40.0
    print(
        f"projection: {hours:.0f} h of rushes = {hours * 3600 * (video + audio) / 3600:.1f} worker-hours; "
        "wall time with W workers in all (N nodes x workers per node), if each worker runs as fast as here:"
    )
    for workers in (1, 2, 8, 32, 128):
        wall = hours * 3600 * (video + audio) / workers
        print(f"  {workers:4d} workers: {wall / 3600:7.2f} h")


if __name__ == "__main__":
    main()
