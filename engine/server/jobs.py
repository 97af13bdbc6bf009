"""Jobs the engine runs for clients and for `autoedit batch`, and the one worker that runs them.

A job function takes the validated request, the settings, the data dir and an `engine.progress.Job`
(progress + cancellation) and returns the result fields: timeline_id, otio (JSON string), report,
exports ({format: file content}). `edit` is the main job (engine.editing.run_edit), `analyze`
runs the analysers, and `probe` decodes every frame of the media and reports what it found: the
cheapest real job, which the server's own tests use for queueing, progress and cancel.
Jobs run on a pool of worker threads (`server.parallel_jobs`), so a probe or a short analysis never
waits behind an edit; requests, status and feedback overlap with all of them. With
`distributed.ray_address` set, analysis and edit jobs send their analysis to the Ray cluster first.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zmq

from bridge import protocol
from bridge.formats import suffix_for
from engine.config import EngineConfig, profile_config
from engine.errors import AutoEditError, BadInput, Cancelled, ModelNotFound
from engine.paths import sub_dir
from engine.progress import Job
from engine.server.requests import Submit

log = logging.getLogger("autoedit.server")

JobFunction = Callable[[Submit, EngineConfig, Path, Job], dict[str, Any]]
PROGRESS_EVERY_S = 0.05


def media_path(raw: str) -> Path:
    """A media file the request names: it must exist and be a file. The engine only ever reads it."""
    path = Path(raw).expanduser()
    if not path.exists():
        raise BadInput("no such file", path)
    if not path.is_file():
        raise BadInput("not a regular file", path)
    return path.resolve()


def check_media(request: Submit) -> None:
    for item in request.media:
        media_path(item.path)
        if item.in_s is not None and item.out_s is not None and item.out_s <= item.in_s:
            raise BadInput(f"'out' ({item.out_s}) must be after 'in' ({item.in_s})", item.path)
    if request.music:
        media_path(request.music)


# ------------------------------------------------------------------------------------- job functions
def on_cluster(paths: list[Path], config: EngineConfig, data_dir: Path, job: Job) -> dict[str, Any]:
    """With a Ray cluster configured, analyse there first (the head's cache then has every field, so
    the local step that follows only reads it); the nodes that worked on the job, for `status`."""
    if not config.distributed.ray_address:
        return {}
    from engine.distributed.run import analyse_on_cluster

    run = analyse_on_cluster(paths, config, data_dir, job)
    for path, problem in run.lost.items():  # a bad file meets its usual error in the local step
        raise AutoEditError(f"{path}: {problem}")
    return {"nodes": run.nodes}


def run_edit_job(request: Submit, config: EngineConfig, data_dir: Path, job: Job) -> dict[str, Any]:
    from engine.editing import MediaRef, run_edit

    media = [MediaRef(str(media_path(m.path)), in_s=m.in_s, out_s=m.out_s) for m in request.media]
    cluster = on_cluster([Path(m.path) for m in media], config, data_dir, job.sub("cluster", 0.0, 0.5))
    options = request.options.model_dump(exclude_none=True, exclude={"exports", "profile"})
    music = str(media_path(request.music)) if request.music else None
    result = run_edit(
        media,
        request.prompt,
        config,
        data_dir,
        job,
        music=music,
        seed=int(options.get("seed", 0)),
        options=options,
    )
    exports = {}
    for fmt in request.options.exports:
        from engine.timeline.export import export_timeline

        target = sub_dir(data_dir, "exports", request.job_id) / f"timeline{suffix_for(fmt)}"
        export_timeline(result.timeline, target, fmt)
        exports[fmt] = target.read_text(encoding="utf-8")
    return {
        "timeline_id": result.timeline_id,
        "otio": result.timeline.to_json_string(),
        "report": result.report,
        "exports": exports,
        **cluster,
    }


def run_analyze_job(request: Submit, config: EngineConfig, data_dir: Path, job: Job) -> dict[str, Any]:
    from engine.analysis.runner import analyse_files

    paths = [media_path(m.path) for m in request.media]
    cluster = on_cluster(paths, config, data_dir, job.sub("cluster", 0.0, 0.9))
    report = analyse_files(paths, config, data_dir, job)
    return {
        "timeline_id": None,
        "otio": None,
        "report": report.model_dump(mode="json"),
        "exports": {},
        **cluster,
    }


def run_transcript_job(request: Submit, config: EngineConfig, data_dir: Path, job: Job) -> dict[str, Any]:
    """The media's words as an editable text (`autoedit transcript`), for a host to write to a file."""
    from engine.planning.transcript import analyse_for_transcript, write_transcript

    items = analyse_for_transcript([str(media_path(m.path)) for m in request.media], config, data_dir, job)
    report = {
        "kind": "transcript",
        "text": write_transcript(items),
        "words": sum(len(m.words) for m in items),
    }
    return {"timeline_id": None, "otio": None, "report": report, "exports": {}}


def run_transcript_edit_job(
    request: Submit, config: EngineConfig, data_dir: Path, job: Job
) -> dict[str, Any]:
    """The timeline an edited transcript file (the one media item) describes (`edit --from-transcript`)."""
    from engine.editing import edit_from_transcript

    result = edit_from_transcript(media_path(request.media[0].path), config, data_dir, job)
    return {
        "timeline_id": result.timeline_id,
        "otio": result.timeline.to_json_string(),
        "report": result.report,
        "exports": {},
    }


def run_probe_job(request: Submit, config: EngineConfig, data_dir: Path, job: Job) -> dict[str, Any]:
    media = []
    count = len(request.media)
    for index, item in enumerate(request.media):
        media.append(probe_file(media_path(item.path), job.sub("probe", index / count, (index + 1) / count)))
    return {"timeline_id": None, "otio": None, "report": {"kind": "probe", "media": media}, "exports": {}}


def probe_file(path: Path, job: Job) -> dict[str, Any]:
    """Hash the file and decode every frame: what a host needs to know the engine can read it."""
    import av

    digest = hashlib.sha256()
    size = max(path.stat().st_size, 1)
    done = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            done += len(chunk)
            job.report("hash", 0.1 * done / size, path.name)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise BadInput(f"cannot be opened as media: {exc}", path) from None
    with container:
        duration = container.duration / av.time_base if container.duration else None
        streams = [s for s in container.streams if s.type in ("video", "audio")]
        if not streams:
            raise BadInput("has no video or audio stream", path)
        video = next((s for s in container.streams.video), None)
        audio = next((s for s in container.streams.audio), None)
        frames = 0
        samples = 0
        last_time = 0.0
        try:
            for frame in container.decode(*streams):
                if isinstance(frame, av.AudioFrame):
                    samples += frame.samples
                else:
                    frames += 1
                frame_time = getattr(frame, "time", None)
                if frame_time is not None:
                    last_time = max(last_time, float(frame_time))
                if (frames + samples // 1024) % 8 == 0:
                    fraction = 0.1 + 0.9 * (last_time / duration if duration else 0.0)
                    job.report("decode", fraction, f"{path.name} {last_time:.1f}s")
        except av.error.FFmpegError as exc:
            raise BadInput(f"decoding failed at {last_time:.2f}s: {exc}", path) from None
    job.report("decode", 1.0, path.name)
    out: dict[str, Any] = {"path": str(path), "sha256": digest.hexdigest(), "duration": duration}
    if video is not None:
        rate = video.average_rate or video.guessed_rate
        out["video"] = {
            "frames": frames,
            "width": video.width,
            "height": video.height,
            "rate": [rate.numerator, rate.denominator] if rate else None,
        }
    if audio is not None:
        out["audio"] = {
            "sample_rate": audio.sample_rate,
            "channels": audio.channels,
            "samples": samples,
        }
    return out


JOB_FUNCTIONS: dict[str, JobFunction] = {
    "edit": run_edit_job,
    "analyze": run_analyze_job,
    "probe": run_probe_job,
    "transcript": run_transcript_job,
    "transcript_edit": run_transcript_edit_job,
}


# ------------------------------------------------------------------------------------------ records
@dataclass
class JobRecord:
    request: Submit
    peer: bytes
    state: str = "queued"  # queued -> running -> done | failed | cancelled
    stage: str = ""
    fraction: float = 0.0
    message: str = ""
    control: Job = field(default_factory=Job)
    final: dict[str, Any] | None = None  # the result or error push, kept for re-delivery
    final_sent: bool = False  # set by the server loop once the client has been sent `final`
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    node: str = ""  # where it runs: this host, "ray" while on the cluster, then the cluster's node ids

    @property
    def job_id(self) -> str:
        return self.request.job_id

    @property
    def ended(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def summary(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "kind": self.request.kind,
            "state": self.state,
            "stage": self.stage,
            "fraction": self.fraction,
            "message": self.message,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "node": self.node,
        }


def failure(exc: BaseException, job_id: str) -> dict[str, Any]:
    """The error push for a job that raised."""
    if isinstance(exc, Cancelled):
        return protocol.error(protocol.CANCELLED, "cancelled", job_id=job_id)
    if isinstance(exc, BadInput):
        push = protocol.error(protocol.BAD_INPUT, str(exc), job_id=job_id)
        push["path"] = exc.path
        return push
    if isinstance(exc, ModelNotFound):
        return protocol.error(protocol.MODEL_NOT_FOUND, str(exc), job_id=job_id)
    if isinstance(exc, AutoEditError):
        return protocol.error(exc.code, str(exc), job_id=job_id)
    return protocol.error(protocol.INTERNAL, f"{type(exc).__name__}: {exc}", job_id=job_id)


def execute(
    record: JobRecord,
    function: JobFunction,
    config: EngineConfig,
    data_dir: Path,
    on_progress: Callable[[str, float, str], None] | None = None,
) -> dict[str, Any]:
    """Run one job to its end; returns (and keeps on the record) its result or error push."""
    record.state = "running"
    record.started = time.time()
    on_ray = bool(config.distributed.ray_address) and record.request.kind != "probe"
    record.node = "ray" if on_ray else platform.node()

    def progress(stage: str, fraction: float, message: str) -> None:
        record.stage, record.fraction, record.message = stage, fraction, message
        if on_progress is not None:
            on_progress(stage, fraction, message)

    job = Job(on_progress=progress, cancel_event=record.control.cancel_event)
    try:
        job.check()
        config = profile_config(config, record.request.options.profile)
        fields = function(record.request, config, data_dir, job)
        if "nodes" in fields:
            record.node = ", ".join(fields.pop("nodes")) or record.node
        final = {"type": "result", "job_id": record.job_id, "kind": record.request.kind, **fields}
        state = "done"
    except Exception as exc:  # every failure becomes an error push; the worker keeps going
        if not isinstance(exc, AutoEditError):
            log.exception("job %s (%s) failed", record.job_id, record.request.kind)
        else:
            log.info("job %s ended: %s", record.job_id, exc)
        final = failure(exc, record.job_id)
        state = "cancelled" if isinstance(exc, Cancelled) else "failed"
    if not record.ended:  # a client's cancel may already have ended it (the server said so at once)
        record.final, record.state = final, state
        record.finished = time.time()
    return record.final or final


def pool_size(config: EngineConfig) -> int:
    """`server.parallel_jobs`, or one job per GPU (each holds its models on its own card), or 2 on a CPU."""
    if config.server.parallel_jobs:
        return config.server.parallel_jobs
    if config.torch_device() == "cuda":
        import torch

        return max(1, torch.cuda.device_count())
    return 2


class Worker(threading.Thread):
    """Runs queued jobs one at a time; tells the server loop about progress and ends over inproc PUSH.
    Several workers may share one queue (WorkerPool): each takes the next job when it is free."""

    def __init__(
        self,
        context: zmq.Context,
        outbox: str,
        config: EngineConfig,
        data_dir: Path,
        functions: dict[str, JobFunction],
        jobs: queue.Queue[JobRecord | None] | None = None,
        name: str = "autoedit-worker",
    ):
        super().__init__(name=name, daemon=True)
        self.context = context
        self.outbox = outbox
        self.config = config
        self.data_dir = data_dir
        self.functions = functions
        self.queue: queue.Queue[JobRecord | None] = queue.Queue() if jobs is None else jobs
        self.current: JobRecord | None = None

    def run(self) -> None:
        out = self.context.socket(zmq.PUSH)
        out.setsockopt(zmq.LINGER, 1000)
        out.connect(self.outbox)
        try:
            while (record := self.queue.get()) is not None:
                if record.ended:
                    continue  # cancelled while queued
                self.current = record
                push = self._progress_sender(out, record)
                execute(record, self.functions[record.request.kind], self.config, self.data_dir, push)
                self.current = None
                out.send_multipart([b"final", record.job_id.encode(), json.dumps(record.final).encode()])
        finally:
            out.close()

    @staticmethod
    def _progress_sender(out: zmq.Socket, record: JobRecord) -> Callable[[str, float, str], None]:
        """Progress pushes, at most one per PROGRESS_EVERY_S within a stage (stage changes always go)."""
        last: dict[str, Any] = {"t": 0.0, "stage": None}

        def push(stage: str, fraction: float, message: str) -> None:
            now = time.monotonic()
            if stage == last["stage"] and fraction < 1.0 and now - last["t"] < PROGRESS_EVERY_S:
                return
            last["t"], last["stage"] = now, stage
            body = {
                "type": "progress",
                "job_id": record.job_id,
                "stage": stage,
                "fraction": round(fraction, 4),
                "message": message,
            }
            out.send_multipart([b"progress", record.job_id.encode(), json.dumps(body).encode()])

        return push

    def stop(self) -> None:
        if self.current is not None:
            self.current.control.cancel()
        self.queue.put(None)


class WorkerPool:
    """`size` workers on one queue: jobs start in order, up to `size` of them at the same time."""

    def __init__(
        self,
        context: zmq.Context,
        outbox: str,
        config: EngineConfig,
        data_dir: Path,
        functions: dict[str, JobFunction],
        size: int,
    ):
        self.queue: queue.Queue[JobRecord | None] = queue.Queue()
        self.workers = [
            Worker(context, outbox, config, data_dir, functions, self.queue, f"autoedit-worker-{i}")
            for i in range(size)
        ]

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()  # cancels its running job and queues one end marker

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))

    def is_alive(self) -> bool:
        return any(worker.is_alive() for worker in self.workers)
