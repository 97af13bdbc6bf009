"""The engine server: one ROUTER socket, a bounded job queue, one worker, heartbeats both ways.

The loop owns the ROUTER socket; the worker (engine/server/jobs.py) reports over an inproc PUSH/PULL
pair, so only this thread ever touches a socket it did not create. Replies carry the request's `id`;
progress and result pushes carry the `job_id` and go to whichever peer last submitted that job, so a
client that reconnects (same routing id, ROUTER_HANDOVER) or resubmits picks its job back up. A job's
final push is kept and sent again on a repeated submit, so a push lost during a reconnect is not lost
for good. Anything malformed gets an `error` reply and the loop carries on.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

import zmq
from pydantic import ValidationError

from bridge import events, protocol
from engine import __version__
from engine.config import EngineConfig
from engine.errors import BadInput
from engine.learning.store import EventStore, default_store
from engine.server import requests, security
from engine.server.jobs import JOB_FUNCTIONS, JobFunction, JobRecord, WorkerPool, check_media, pool_size

log = logging.getLogger("autoedit.server")

FINISHED_KEPT = 256
HARD_SIZE_FACTOR = 4  # libzmq drops a connection over this multiple of max_message_bytes; below it we reply


class EngineServer:
    def __init__(
        self,
        config: EngineConfig,
        data_dir: Path,
        endpoint: str | None = None,
        keys_dir: Path | None = None,
        job_functions: dict[str, JobFunction] | None = None,
        store: EventStore | None = None,
    ):
        self.config = config
        self.settings = config.server
        self.data_dir = Path(data_dir)
        self.endpoint = endpoint or self.settings.endpoint
        keys = keys_dir or (
            Path(self.settings.curve_keys_dir).expanduser() if self.settings.curve_keys_dir else None
        )
        security.check_endpoint(self.endpoint, keys)
        self.keys_dir = keys
        self.functions = dict(JOB_FUNCTIONS if job_functions is None else job_functions)
        self.instance = uuid.uuid4().hex
        self.started = time.time()
        self.heartbeat_s = self.settings.heartbeat_interval_s
        self.max_bytes = self.settings.max_message_bytes
        self.jobs: OrderedDict[str, JobRecord] = OrderedDict()
        self.peers: dict[bytes, dict[str, float]] = {}  # routing id -> {"heard", "sent"}
        self.store = store or default_store(self.data_dir)
        # Learning runs inside the engine, in its own thread, once enough new events arrived; edits go on.
        from engine.learning.trainer import BackgroundTrainer

        self.trainer = BackgroundTrainer(config, self.data_dir)
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._context = zmq.Context()
        self._auth = None
        self._router: zmq.Socket | None = None
        self._inbox: zmq.Socket | None = None
        self._worker: WorkerPool | None = None

    # ------------------------------------------------------------------ life
    def bind(self) -> None:
        """Bind the socket and start the worker; raises BadInput when the endpoint cannot be used."""
        router = self._context.socket(zmq.ROUTER)
        router.setsockopt(zmq.LINGER, 500)
        router.setsockopt(zmq.ROUTER_HANDOVER, 1)
        router.setsockopt(zmq.ROUTER_MANDATORY, 1)
        router.setsockopt(zmq.MAXMSGSIZE, HARD_SIZE_FACTOR * self.max_bytes)
        router.setsockopt(zmq.SNDHWM, 10_000)
        if self.keys_dir is not None:
            public, secret = security.server_keys(self.keys_dir)
            self._auth = security.start_authenticator(self._context, self.keys_dir)
            router.setsockopt(zmq.CURVE_SERVER, 1)
            router.setsockopt(zmq.CURVE_PUBLICKEY, public)
            router.setsockopt(zmq.CURVE_SECRETKEY, secret)
        try:
            router.bind(self.endpoint)
        except zmq.ZMQError as exc:
            router.close(0)
            self._shutdown_auth()
            raise BadInput(f"cannot listen there: {exc.strerror}", self.endpoint) from None
        self._router = router
        outbox = f"inproc://autoedit-worker-{self.instance}"
        self._inbox = self._context.socket(zmq.PULL)
        self._inbox.bind(outbox)
        self._worker = WorkerPool(
            self._context, outbox, self.config, self.data_dir, self.functions, pool_size(self.config)
        )
        self._worker.start()
        log.info(
            "engine %s listening on %s (pid %d, data dir %s%s)",
            __version__,
            self.endpoint,
            os.getpid(),
            self.data_dir,
            ", CURVE" if self.keys_dir else "",
        )

    def serve_forever(self) -> None:
        if self._router is None:
            self.bind()
        assert self._router is not None and self._inbox is not None
        poller = zmq.Poller()
        poller.register(self._router, zmq.POLLIN)
        poller.register(self._inbox, zmq.POLLIN)
        self.ready.set()
        tick_ms = max(10, int(self.heartbeat_s * 1000 / 4))
        try:
            while not self._stop.is_set():
                ready = dict(poller.poll(tick_ms))
                if self._inbox in ready:
                    self._forward_worker()
                if self._router in ready:
                    self._read_requests()
                self._heartbeat()
        finally:
            self._close()

    def stop(self) -> None:
        """Ask the loop to end (thread-safe); the running job is cancelled."""
        self._stop.set()

    def _close(self) -> None:
        worker_done = True
        if self._worker is not None:
            self._worker.stop()
            self._worker.join(timeout=5)
            worker_done = not self._worker.is_alive()
        self.trainer.stop(timeout_s=5)
        for sock in (self._inbox, self._router):
            if sock is not None:
                sock.close()
        self._shutdown_auth()
        self.store.close()
        if worker_done:
            self._context.term()
        else:  # its job has not reached a progress report yet; the process exit ends it
            log.warning("the running job did not stop within 5 s; exiting without waiting for it")
        log.info("engine stopped")

    def _shutdown_auth(self) -> None:
        if self._auth is not None:
            self._auth.stop()
            self._auth = None

    # --------------------------------------------------------------- sending
    def _send(self, peer: bytes, message: dict[str, Any]) -> None:
        assert self._router is not None
        try:
            self._router.send_multipart([peer, *protocol.encode(message)], flags=zmq.NOBLOCK)
        except zmq.ZMQError as exc:  # EHOSTUNREACH: peer gone (its job's end is kept); EAGAIN: not reading
            log.debug("could not send %s to %r: %s", message.get("type"), peer, exc)
            return
        if peer in self.peers:
            self.peers[peer]["sent"] = time.monotonic()

    def _heartbeat(self) -> None:
        now = time.monotonic()
        for peer, seen in list(self.peers.items()):
            if now - seen["heard"] > protocol.MISSED_HEARTBEATS * self.heartbeat_s:
                del self.peers[peer]
                log.info(
                    "client %s is gone (silent for %d heartbeats)",
                    peer.decode("ascii", "replace"),
                    protocol.MISSED_HEARTBEATS,
                )
            elif now - seen["sent"] >= self.heartbeat_s:
                self._send(peer, {"type": "heartbeat", "instance": self.instance})

    def _forward_worker(self) -> None:
        assert self._inbox is not None
        while True:
            try:
                kind, job_id, body = self._inbox.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            record = self.jobs.get(job_id.decode())
            if record is None:
                continue
            if kind == b"final":
                if not record.final_sent:  # not when a cancel already ended the job for its client
                    record.final_sent = True
                    self._send(record.peer, json.loads(body))
                self._forget_old_jobs()
            elif not record.final_sent:  # progress queued before the end still goes; none after a cancel
                self._send(record.peer, json.loads(body))

    def _forget_old_jobs(self) -> None:
        ended = [job_id for job_id, r in self.jobs.items() if r.ended]
        for job_id in ended[: max(0, len(ended) - FINISHED_KEPT)]:
            del self.jobs[job_id]

    # -------------------------------------------------------------- receiving
    def _read_requests(self) -> None:
        assert self._router is not None
        for _ in range(1000):  # then let the worker's pushes and heartbeats through
            try:
                frames = self._router.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            peer, body = frames[0], frames[1:]
            now = time.monotonic()
            self.peers.setdefault(peer, {"heard": now, "sent": 0.0})["heard"] = now
            try:
                message = protocol.decode(body, self.max_bytes)
            except protocol.ProtocolError as exc:
                self._send(peer, protocol.error(exc.code, exc.message, exc.request_id))
                continue
            try:
                self._dispatch(peer, message)
            except Exception as exc:  # a bug in one handler must not take the engine down
                log.exception("handling %s failed", message.get("type"))
                self._send(
                    peer, protocol.error(protocol.INTERNAL, f"{type(exc).__name__}: {exc}", message.get("id"))
                )

    def _dispatch(self, peer: bytes, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "heartbeat":
            return
        if kind not in protocol.REQUEST_TYPES:
            self._send(
                peer,
                protocol.error(
                    protocol.UNKNOWN_TYPE, f"unknown message type {kind[:64]!r}", message.get("id")
                ),
            )
            return
        if not isinstance(message.get("id"), str):
            self._send(peer, protocol.error(protocol.BAD_REQUEST, f"a {kind!r} request needs a string 'id'"))
            return
        getattr(self, f"_on_{kind}")(peer, message)

    def _on_hello(self, peer: bytes, message: dict[str, Any]) -> None:
        self._send(
            peer,
            protocol.reply(
                message,
                "welcome",
                engine=__version__,
                protocol=protocol.VERSION,
                instance=self.instance,
                pid=os.getpid(),
                heartbeat_s=self.heartbeat_s,
                max_message_bytes=self.max_bytes,
                job_kinds=sorted(self.functions),
                profile=self.config.profile,
            ),
        )

    def _on_ping(self, peer: bytes, message: dict[str, Any]) -> None:
        self._send(peer, protocol.reply(message, "pong", instance=self.instance))

    def _on_submit(self, peer: bytes, message: dict[str, Any]) -> None:
        if "job_id" not in message:
            message = {**message, "job_id": protocol.new_id()}
        try:
            request = requests.Submit.model_validate(message)
        except ValidationError as exc:
            self._send(peer, protocol.error(protocol.BAD_REQUEST, requests.describe(exc), message["id"]))
            return
        known = self.jobs.get(request.job_id)
        if known is not None:  # a resend (lazy pirate) or a resubmit after a reconnect: the same job
            known.peer = peer
            self._send(
                peer,
                protocol.reply(message, "accepted", job_id=request.job_id, state=known.state, known=True),
            )
            if known.final is not None:
                self._send(peer, known.final)
            return
        if request.kind not in self.functions:
            self._send(
                peer,
                protocol.error(
                    protocol.BAD_REQUEST, f"this engine runs no {request.kind!r} jobs", message["id"]
                ),
            )
            return
        queued = sum(1 for r in self.jobs.values() if r.state == "queued")
        if queued >= self.settings.max_queued_jobs:
            self._send(
                peer,
                protocol.error(
                    protocol.BUSY,
                    f"the engine is busy: {queued} jobs are queued (server.max_queued_jobs); try again "
                    "when one finishes",
                    message["id"],
                ),
            )
            return
        try:
            check_media(request)
        except BadInput as exc:
            reply = protocol.error(protocol.BAD_INPUT, str(exc), message["id"])
            reply["path"] = exc.path
            self._send(peer, reply)
            return
        record = JobRecord(request=request, peer=peer)
        self.jobs[request.job_id] = record
        assert self._worker is not None
        self._worker.queue.put(record)
        self._send(
            peer, protocol.reply(message, "accepted", job_id=request.job_id, state="queued", position=queued)
        )
        log.info("job %s (%s, %d media) queued", request.job_id, request.kind, len(request.media))

    def _on_cancel(self, peer: bytes, message: dict[str, Any]) -> None:
        try:
            request = requests.Cancel.model_validate(message)
        except ValidationError as exc:
            self._send(peer, protocol.error(protocol.BAD_REQUEST, requests.describe(exc), message["id"]))
            return
        record = self.jobs.get(request.job_id)
        if record is None:
            self._send(peer, protocol.error(protocol.NOT_FOUND, f"no job {request.job_id}", message["id"]))
            return
        if record.state in ("queued", "running"):
            # The job ends for its client now; a running one stops its work at its next progress report,
            # in the background, and whatever it returns then is dropped.
            was = record.state
            record.control.cancel()
            record.state = "cancelled"
            record.finished = time.time()
            reason = "cancelled before it started" if was == "queued" else "cancelled"
            record.final = protocol.error(protocol.CANCELLED, reason, job_id=record.job_id)
            self._send(peer, protocol.reply(message, "accepted", job_id=record.job_id, state="cancelled"))
            record.final_sent = True
            self._send(record.peer, record.final)
            return
        self._send(peer, protocol.reply(message, "accepted", job_id=record.job_id, state=record.state))

    def _on_status(self, peer: bytes, message: dict[str, Any]) -> None:
        try:
            request = requests.Status.model_validate(message)
        except ValidationError as exc:
            self._send(peer, protocol.error(protocol.BAD_REQUEST, requests.describe(exc), message["id"]))
            return
        engine = {
            "instance": self.instance,
            "pid": os.getpid(),
            "version": __version__,
            "uptime_s": round(time.time() - self.started, 3),
            "queued": sum(1 for r in self.jobs.values() if r.state == "queued"),
            "running": next((r.job_id for r in self.jobs.values() if r.state == "running"), None),
            "running_jobs": [r.job_id for r in self.jobs.values() if r.state == "running"],
            "clients": len(self.peers),
        }
        if request.job_id is not None:
            record = self.jobs.get(request.job_id)
            if record is None:
                self._send(
                    peer, protocol.error(protocol.NOT_FOUND, f"no job {request.job_id}", message["id"])
                )
                return
            self._send(peer, protocol.reply(message, "status", job=record.summary(), engine=engine))
            return
        self._send(
            peer,
            protocol.reply(message, "status", jobs=[r.summary() for r in self.jobs.values()], engine=engine),
        )

    def _on_feedback(self, peer: bytes, message: dict[str, Any]) -> None:
        try:
            request = requests.Feedback.model_validate(message)
        except ValidationError as exc:
            self._send(peer, protocol.error(protocol.BAD_REQUEST, requests.describe(exc), message["id"]))
            return
        valid: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        for raw in request.events:
            try:
                event = requests.PreferenceEvent.model_validate(raw).model_dump()
                reason = events.event_problem(event)
            except ValidationError as exc:
                event, reason = None, requests.describe(exc)
            if event is not None and reason is None:
                valid.append(event)
                continue
            event_id = raw.get("event_id") if isinstance(raw, dict) else None
            rejected.append({"event_id": event_id if isinstance(event_id, str) else None, "reason": reason})
        stored = self.store.add_events(valid) if valid else []
        if valid:
            self.trainer.events_stored(self.store)  # starts a background run when one is due; never blocks
        self._send(
            peer, protocol.reply(message, "ack", event_ids=stored, rejected=rejected, instance=self.instance)
        )

    def _on_shutdown(self, peer: bytes, message: dict[str, Any]) -> None:
        log.info("shutdown asked by client %s", peer.decode("ascii", "replace"))
        self._send(peer, protocol.reply(message, "bye", instance=self.instance))
        self.stop()
