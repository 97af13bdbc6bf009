"""The head's side of a cluster run: plan tasks from the cache, hand them to the actors, keep results.

Cache design: results come back to the head and are written to ITS analysis cache, keyed as a local
run keys them (content hash + analyser@version + settings digest); a segment's result is kept under
that key plus its span, and the stitched whole under the plain key. No shared storage is needed for
the cache (only for the media), a node that dies loses only its unfinished task, and a rerun finds
every finished segment and submits only the rest. The report is then assembled by the local runner
from the cache, so it is byte for byte what a local run writes from the same results.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.analysis import runner
from engine.analysis.base import MediaInfo
from engine.analysis.cache import AnalysisCache
from engine.analysis.report import AnalysisReport
from engine.analysis.segments import SPLIT_ANALYSERS, Segment, plan_segments, stitch
from engine.config import EngineConfig
from engine.distributed.worker import info_record
from engine.errors import BadInput, ConfigError
from engine.progress import Job

PER_ACTOR_IN_FLIGHT = 2  # one running, one queued behind it: no idle gap between tasks
POLL_S = 0.25  # how often the head looks at the board (task starts) and the deadlines
BOARD_TIMEOUT_S = 60.0  # the board is a tiny actor on the head's node: it answers at once or is gone


@dataclass
class Task:
    id: str
    path: str
    info: MediaInfo
    keys: list[str]
    segment: Segment | None = None

    def wire(self, fields: list[str] | None) -> dict[str, Any]:
        span = list(self.segment.span) if self.segment is not None else None
        return {
            "id": self.id,
            "info": info_record(self.info),
            "keys": self.keys,
            "fields": fields,
            "span": span,
        }


@dataclass
class ClusterRun:
    """What the cluster did: per-file errors, task counts per node, restarts seen."""

    errors: dict[str, str] = field(default_factory=dict)  # absolute path -> problem
    # the part of `errors` the cluster caused (a worker died past max_retries, a task timed out), not
    # the file: a bad file's error is the usual one, which a local run gives too
    lost: dict[str, str] = field(default_factory=dict)
    tasks: int = 0
    per_node: Counter[str] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)  # each finished task's time on its worker
    task_seconds: dict[str, float] = field(default_factory=dict)  # the same by task id ("clip.mp4#2")
    starts: list[dict[str, Any]] = field(default_factory=list)  # {"task", "node", "pid"} as reported

    @property
    def restarts(self) -> int:
        """Tasks started more than once: Ray reran them after their worker died."""
        return sum(n - 1 for n in Counter(e["task"] for e in self.starts).values() if n > 1)

    @property
    def nodes(self) -> list[str]:
        return sorted(self.per_node)

    def node_counts(self) -> str:
        return ", ".join(f"node {node[:8]}: {count}" for node, count in sorted(self.per_node.items()))


def analyse_files_on_cluster(
    paths, config: EngineConfig, data_dir, job: Job, fields=None, observer=None
) -> tuple[AnalysisReport, ClusterRun]:
    """analyse_files through the cluster: the same report, plus what the cluster did."""
    paths = [os.path.abspath(os.fspath(p)) for p in paths]
    cluster = analyse_on_cluster(paths, config, data_dir, job.sub("cluster", 0.0, 0.95), fields, observer)
    # A bad file gets its usual error from the local runner (in its place in the report); what the
    # cluster lost is not analysed again here: its error says why.
    kept = [p for p in paths if p not in cluster.lost]
    report = runner.analyse_files(kept, config, data_dir, job.sub("report", 0.95, 1.0), fields)
    report.errors.extend({"path": p, "error": e} for p, e in cluster.lost.items())
    return report, cluster


def analyse_on_cluster(
    paths,
    config: EngineConfig,
    data_dir,
    job: Job,
    fields: list[str] | None = None,
    observer: Callable[[dict[str, Any]], None] | None = None,
) -> ClusterRun:
    """Fill the head's cache with every field of `paths` that it lacks; `observer` sees task starts."""
    from engine.distributed.cluster import discard, pool_for

    data_dir = Path(data_dir)
    cache = AnalysisCache(data_dir)
    run = ClusterRun()
    tasks, stitches = _plan(paths, config, data_dir, cache, fields, run)
    run.tasks = len(tasks)
    if tasks:
        pool = pool_for(config, data_dir)
        try:
            pool.ensure_up()  # a clear error within start_timeout_s, never a wait on unplaced actors
        except ConfigError:
            discard(pool)
            raise
        _execute(pool, tasks, fields, cache, run, job, observer, config.distributed.task_timeout_s)
    for path, info, segments, keys in stitches:
        if path in run.errors:
            continue
        for key, name in keys:
            parts = [(s, cache.load(info.sha256, key + s.cache_suffix())) for s in segments]
            if all(result is not None for _s, result in parts):
                cache.store(info.sha256, key, stitch(name, parts, info.duration))  # type: ignore[arg-type]
    job.report("done", 1.0, run.node_counts())
    return run


def _plan(paths, config, data_dir, cache, fields, run):
    """Tasks for what the cache lacks: per segment for the visual analysers of long files, else per file."""
    settings = config.distributed
    chosen = runner.analysers_for(config, data_dir, fields)
    tasks: list[Task] = []
    stitches = []
    for path in paths:
        try:
            info = runner._probe_cached(path, cache)
        except BadInput as exc:
            run.errors[path] = runner._problem(exc)
            continue
        missing = []
        for entry, analyser in chosen:
            has_stream = info.has_video if entry.reads == "video" else info.has_audio
            key = runner._cache_key(analyser)
            if has_stream and cache.load(info.sha256, key) is None:
                missing.append((key, analyser.name))
        split = [(k, n) for k, n in missing if n in SPLIT_ANALYSERS]
        whole = [k for k, n in missing if n not in SPLIT_ANALYSERS]
        if split and info.duration > settings.segment_s:
            segments = plan_segments(info.duration, settings.segment_s, settings.overlap_s, info.rate)
            stitches.append((path, info, segments, split))
            for segment in segments:
                keys = [k for k, _n in split if cache.load(info.sha256, k + segment.cache_suffix()) is None]
                if keys:
                    tasks.append(Task(f"{Path(path).name}#{segment.index}", path, info, keys, segment))
        else:
            whole = [k for k, _n in split] + whole
        if whole:
            tasks.append(Task(f"{Path(path).name}", path, info, whole))
    return tasks, stitches


def _execute(
    pool,
    tasks: list[Task],
    fields,
    cache: AnalysisCache,
    run: ClusterRun,
    job: Job,
    observer,
    task_timeout_s: float,
) -> None:
    """Keep every actor busy; every wait has a limit (POLL_S, BOARD_TIMEOUT_S, task_timeout_s).

    A worker killed mid-task is Ray's to handle: the actor restarts (max_restarts) and its queued and
    running tasks are rerun on it (max_task_retries); past those the ref raises and only that file
    fails. A task that runs past task_timeout_s from its (latest) start fails its file, and its actor
    is killed so Ray restarts it for the tasks behind it."""
    ray = pool.ray
    waiting = list(tasks)
    in_flight: dict[Any, tuple[Task, int]] = {}
    deadline: dict[Any, float] = {}
    by_id: dict[str, Any] = {}
    load = dict.fromkeys(range(len(pool.actors)), 0)
    done = 0
    try:
        while waiting or in_flight:
            for index in sorted(load, key=load.__getitem__):
                while waiting and load[index] < PER_ACTOR_IN_FLIGHT:
                    task = waiting.pop(0)
                    ref = pool.actors[index].analyse.remote(task.wire(fields))
                    in_flight[ref] = (task, index)
                    # queued behind the actor's running task until its start is seen on the board
                    deadline[ref] = time.monotonic() + PER_ACTOR_IN_FLIGHT * task_timeout_s
                    by_id[task.id] = ref
                    load[index] += 1
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=POLL_S)
            for event in ray.get(pool.board.drain.remote(), timeout=BOARD_TIMEOUT_S):
                run.starts.append(event)
                ref = by_id.get(event["task"])
                if ref in deadline:
                    deadline[ref] = time.monotonic() + task_timeout_s
                if observer is not None:
                    observer(event)
            for ref in ready:
                task, index = in_flight.pop(ref)
                del deadline[ref]
                load[index] -= 1
                done += 1
                _keep(ray, ref, task, cache, run)
            now = time.monotonic()
            for ref in [r for r, limit in deadline.items() if limit < now]:
                task, index = in_flight.pop(ref)
                del deadline[ref]
                load[index] -= 1
                done += 1
                problem = (
                    f"analysis task {task.id} ran past distributed.task_timeout_s ({task_timeout_s:g} s)"
                )
                run.errors.setdefault(task.path, problem)
                run.lost.setdefault(task.path, problem)
                ray.kill(pool.actors[index], no_restart=False)  # Ray restarts it; its other tasks rerun
            job.report("analyse", done / len(tasks), f"{done}/{len(tasks)} tasks; {run.node_counts()}")
    finally:
        for ref in in_flight:
            ray.cancel(ref)


def _keep(ray, ref, task: Task, cache: AnalysisCache, run: ClusterRun) -> None:
    """Store one finished task's results at once, so a later failure never costs them."""
    try:
        out = ray.get(ref)
    except ray.exceptions.RayError as exc:  # the worker died more often than max_retries, or raised
        problem = f"analysis failed on the cluster ({type(exc).__name__}: {exc})"
        run.errors.setdefault(task.path, problem)
        run.lost.setdefault(task.path, problem)
        return
    run.per_node[out["node"]] += 1
    run.seconds.append(out["seconds"])
    run.task_seconds[task.id] = out["seconds"]
    if "error" in out:
        run.errors.setdefault(task.path, out["error"])
        return
    suffix = task.segment.cache_suffix() if task.segment is not None else ""
    for key in task.keys:
        cache.store(task.info.sha256, key + suffix, out["results"][key])
