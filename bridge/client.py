"""EngineClient: a host's connection to the engine (DEALER socket, lazy-pirate retries, heartbeats).

Not thread-safe: call it from one thread (Blender's timer, Resolve's script loop). Nothing runs in the
background; `poll()` is where incoming pushes are read, heartbeats are sent and a lost engine is
noticed, so hosts call it regularly. Requests wait for their reply with the ZeroMQ guide's lazy
pirate pattern: on a timeout the socket is closed and reopened and the request resent, and after the
last retry a local engine is started if `autostart` names how. Jobs carry a client-chosen `job_id`,
and the engine treats a repeated submit of a known job as the same job, so resubmitting after a
reconnect or an engine restart is always safe. Preference events go to a spool file (fsync'd)
before they are sent and leave it only when the engine acknowledges them.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import zmq

from bridge import protocol
from bridge.events import check_event
from bridge.local_engine import LocalEngine
from bridge.spool import FeedbackSpool

log = logging.getLogger("autoedit.bridge")

EVENTS_PER_MESSAGE = 1000
FEEDBACK_RESEND_BEATS = 5  # poll() resends spooled events left unacked this many heartbeats
DEFAULT_SPOOL_DIR = Path("~/.cache/autoedit/spool")


class EngineError(RuntimeError):
    """The engine answered with an error (`code` says which), or could not be reached."""

    def __init__(self, message: str, code: str = protocol.INTERNAL, reply: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.reply = reply or {}


class EngineUnavailable(EngineError):
    """No engine answered at the endpoint, and none could be started."""

    def __init__(self, message: str):
        super().__init__(message, protocol.ENGINE_LOST)


class JobFailed(EngineError):
    """A job ended with an error push (bad input, cancelled, missing model, engine lost...)."""

    def __init__(self, push: dict[str, Any]):
        super().__init__(
            f"job {push.get('job_id')} failed ({push.get('code')}): {push.get('message')}",
            str(push.get("code")),
            push,
        )
        self.job_id = push.get("job_id")


def _load_key(value: str | bytes | os.PathLike[str], secret: bool) -> tuple[bytes, bytes | None]:
    """A z85 key, or a zmq.auth certificate file -> (public, secret)."""
    if isinstance(value, bytes):
        if len(value) == 40:
            return value, None
        value = value.decode("utf-8")
    if isinstance(value, str) and len(value) == 40 and not os.path.exists(value):
        return value.encode("ascii"), None
    import zmq.auth

    public, secret_key = zmq.auth.load_certificate(value)
    if secret and secret_key is None:
        raise ValueError(f"{os.fspath(value)}: not a secret key file (make keys with `autoedit keys DIR`)")
    return public, secret_key


class EngineClient:
    """One host's connection to the engine.

    endpoint: where the engine listens. spool_dir: where unacknowledged preference events wait (one file
    per client; files left by a crashed client are adopted). autostart: the argv that starts a local
    engine (see `bridge.local_engine.local_engine_argv`); without it the client never starts one. heartbeat_s: ping interval;
    three silent intervals with a job running mean the engine is gone. server_public_key/client_key:
    CURVE (a z85 key or a file made by `autoedit keys`). request_timeout_s/retries: the lazy pirate.
    """

    def __init__(
        self,
        endpoint: str = protocol.DEFAULT_ENDPOINT,
        spool_dir: str | os.PathLike[str] | None = None,
        autostart: list[str] | None = None,
        heartbeat_s: float = protocol.HEARTBEAT_INTERVAL_S,
        server_public_key: str | bytes | os.PathLike[str] | None = None,
        client_key: str | os.PathLike[str] | tuple[bytes, bytes] | None = None,
        request_timeout_s: float = 2.5,
        retries: int = 2,
        start_timeout_s: float = 60.0,
        client_name: str = "host",
        autostart_log: str | os.PathLike[str] | None = None,
    ):
        self.endpoint = endpoint
        self.autostart = list(autostart) if autostart else None
        self.heartbeat_s = float(heartbeat_s)
        self.request_timeout_s = float(request_timeout_s)
        self.retries = int(retries)
        self.start_timeout_s = float(start_timeout_s)
        self.client_name = client_name
        self.autostart_log = autostart_log
        self.routing_id = f"ae-{uuid.uuid4().hex}".encode("ascii")
        self._local = endpoint.startswith(
            ("ipc://", "inproc://", "tcp://127.", "tcp://localhost:", "tcp://[::1]")
        )
        self.welcome: dict[str, Any] | None = None
        self.restarts = 0  # engines this client started after losing one mid-job
        self._curve = self._curve_options(server_public_key, client_key)
        self._context: zmq.Context = zmq.Context.instance()
        self._socket: zmq.Socket | None = None
        self._inbox: deque[dict[str, Any]] = deque()
        self._replies: dict[str, dict[str, Any]] = {}
        self._awaiting: set[str] = set()
        self._jobs: dict[str, dict[str, Any]] = {}  # job_id -> the submit request, until the job ends
        self._finished: deque[str] = deque(maxlen=256)
        self._engine = LocalEngine(self.autostart, autostart_log) if self.autostart else None
        self._instance: str | None = None
        self._instance_changed = False
        self._feedback_requests: set[str] = set()  # feedback requests sent and not yet answered
        self._feedback_sent_at = 0.0
        self._restarting: dict[str, Any] | None = None  # set while a lost engine is being replaced
        now = time.monotonic()
        self._last_heard = now
        self._last_sent = now
        self._last_poll = now
        self._listening_since = now
        spool_root = Path(spool_dir) if spool_dir is not None else DEFAULT_SPOOL_DIR.expanduser()
        self.spool = FeedbackSpool(spool_root, self.routing_id.decode("ascii"))
        self._open_socket()

    # ----------------------------------------------------------------- socket
    @staticmethod
    def _curve_options(server_public_key: Any, client_key: Any) -> dict[int, bytes]:
        if server_public_key is None:
            return {}
        server_public, _ = _load_key(server_public_key, secret=False)
        if client_key is None:
            raise ValueError("CURVE needs this client's key pair too: pass client_key (a .key_secret file)")
        if isinstance(client_key, tuple):
            public, secret = client_key
        else:
            public, secret = _load_key(client_key, secret=True)
        return {zmq.CURVE_SERVERKEY: server_public, zmq.CURVE_PUBLICKEY: public, zmq.CURVE_SECRETKEY: secret}

    def _open_socket(self) -> None:
        sock = self._context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.ROUTING_ID, self.routing_id)
        # a local engine (re)starting: retry every 25 ms, no backoff; a remote one: back off to 2 s
        sock.setsockopt(zmq.RECONNECT_IVL, 25 if self._local else 100)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 0 if self._local else 2000)
        for option, value in self._curve.items():
            sock.setsockopt(option, value)
        sock.connect(self.endpoint)
        self._socket = sock

    def _reconnect(self) -> None:
        """Lazy pirate: a fresh socket after a timeout (keeping what the old one had already received)."""
        self._drain(0)
        if self._socket is not None:
            self._socket.close(linger=0)
        self._open_socket()

    def _send(self, message: dict[str, Any]) -> bool:
        assert self._socket is not None, "client is closed"
        try:
            self._socket.send_multipart(protocol.encode(message), flags=zmq.NOBLOCK)
        except zmq.Again:
            return False  # the outgoing queue is full while the engine is away; retried later
        self._last_sent = time.monotonic()
        return True

    def _drain(self, timeout_ms: int) -> int:
        """Read what has arrived (waiting up to timeout_ms for the first message); returns how many."""
        sock = self._socket
        if sock is None:
            return 0
        count = 0
        if timeout_ms > 0 and not sock.poll(timeout_ms, zmq.POLLIN):
            return 0
        while True:
            try:
                frames = sock.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return count
            try:
                message = protocol.decode(frames)
            except protocol.ProtocolError as exc:
                log.warning("ignoring a malformed message from the engine: %s", exc)
                continue
            count += 1
            self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        self._last_heard = time.monotonic()
        instance = message.get("instance")
        if isinstance(instance, str):
            if self._instance is not None and instance != self._instance:
                self._instance_changed = True
            self._instance = instance
        kind = message["type"]
        request_id = message.get("id")
        if kind == "ack":
            self.spool.acknowledge(
                [*message.get("event_ids", []), *(r.get("event_id") for r in message.get("rejected", []))]
            )
            for rejected in message.get("rejected", []):
                log.error(
                    "engine rejected feedback event %s: %s", rejected.get("event_id"), rejected.get("reason")
                )
        if request_id is not None and request_id in self._feedback_requests:
            self._feedback_requests.discard(request_id)  # its ack was applied to the spool above
            if kind == "error":
                log.warning(
                    "engine refused a feedback batch (%s): %s", message.get("code"), message.get("message")
                )
            return
        if request_id is not None and request_id in self._awaiting:
            self._awaiting.discard(request_id)
            self._replies[request_id] = message
            return
        if kind in ("pong", "heartbeat", "ack", "welcome", "bye", "accepted", "status"):
            return  # replies nobody waits for any more (answered late or after a resend)
        if kind == "error" and request_id is not None and message.get("job_id") is None:
            log.debug("late error reply to %s: %s", request_id, message.get("message"))
            return
        job_id = message.get("job_id")
        if job_id is not None:
            if job_id in self._finished:
                return  # a duplicate end of a resubmitted job
            if kind in ("result", "error"):
                self._jobs.pop(job_id, None)
                self._finished.append(job_id)
            elif job_id in self._jobs:
                self._jobs[job_id]["progress"] = message
        self._inbox.append(message)

    # --------------------------------------------------------------- requests
    def _request(
        self,
        message: dict[str, Any],
        timeout_s: float | None = None,
        retries: int | None = None,
        autostart: bool = True,
    ) -> dict[str, Any]:
        timeout_s = self.request_timeout_s if timeout_s is None else timeout_s
        retries = self.retries if retries is None else retries
        request_id = message["id"]
        for attempt in range(retries + 1):
            if attempt:
                log.info(
                    "no reply to %s in %.1f s; reconnecting (try %d)", message["type"], timeout_s, attempt + 1
                )
                self._reconnect()
            reply = self._exchange(message, time.monotonic() + timeout_s)
            if reply is not None:
                return reply
            if self._our_engine_exited():
                break  # the engine we started has exited: retrying the socket will not help
        if autostart and self.autostart:
            self._start_engine(self.start_timeout_s)
            reply = self._exchange(message, time.monotonic() + timeout_s)
            if reply is not None:
                return reply
        self._awaiting.discard(request_id)
        raise EngineUnavailable(
            f"no engine answered {message['type']!r} at {self.endpoint}"
            f"{'' if self.autostart else ' (and autostart is off)'}"
        )

    def _exchange(self, message: dict[str, Any], deadline: float) -> dict[str, Any] | None:
        request_id = message["id"]
        self._awaiting.add(request_id)
        self._send(message)
        while True:
            if request_id in self._replies:
                return self._replies.pop(request_id)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if self._our_engine_exited():
                self._drain(0)
                return self._replies.pop(request_id, None)
            self._drain(max(1, min(int(left * 1000), 50)))

    def _raise_if_error(self, reply: dict[str, Any]) -> dict[str, Any]:
        if reply.get("type") == "error":
            raise EngineError(
                f"engine error ({reply.get('code')}): {reply.get('message')}", str(reply.get("code")), reply
            )
        return reply

    # ------------------------------------------------------------- engine life
    @property
    def owns_engine(self) -> bool:
        """True while an engine this client started is running."""
        return self._engine is not None and self._engine.running

    @property
    def engine_process(self) -> subprocess.Popen | None:
        """The engine process this client started last, if any."""
        return self._engine.proc if self._engine is not None else None

    def _our_engine_exited(self) -> bool:
        return self._engine is not None and self._engine.exited

    @property
    def engine_pid(self) -> int | None:
        return self.welcome.get("pid") if self.welcome else None

    def ensure_engine(self, timeout_s: float = 60.0) -> dict[str, Any]:
        """Make sure an engine answers (starting one if `autostart` says how); returns its welcome."""
        deadline = time.monotonic() + timeout_s
        hello = protocol.request("hello", client=self.client_name, protocol=protocol.VERSION)
        reply = self._exchange(hello, time.monotonic() + min(self.request_timeout_s, timeout_s))
        if reply is None and self.autostart:
            return self._start_engine(max(0.1, deadline - time.monotonic()))
        while reply is None and time.monotonic() < deadline:
            self._reconnect()
            reply = self._exchange(hello, min(deadline, time.monotonic() + self.request_timeout_s))
        if reply is None:
            self._awaiting.discard(hello["id"])
            raise EngineUnavailable(f"no engine answered at {self.endpoint} within {timeout_s:.1f} s")
        self.welcome = self._raise_if_error(reply)
        return self.welcome

    def _start_engine(self, timeout_s: float) -> dict[str, Any]:
        if self._engine is None:
            raise EngineUnavailable(f"no engine at {self.endpoint} and autostart is off")
        if not self._engine.running:
            log.info("starting the engine: %s", " ".join(self._engine.argv))
            self._engine.start()
        deadline = time.monotonic() + timeout_s
        self._reconnect()
        hello = protocol.request("hello", client=self.client_name, protocol=protocol.VERSION)
        while time.monotonic() < deadline:
            reply = self._exchange(hello, min(deadline, time.monotonic() + 0.25))
            if reply is not None:
                self.welcome = self._raise_if_error(reply)
                self._last_heard = time.monotonic()
                return self.welcome
            if self._engine.exited:
                raise EngineUnavailable(
                    f"the engine exited with status {self._engine.exit_code()} while starting "
                    f"({' '.join(self._engine.argv)}); see its log in the data dir (logs/engine.log)"
                )
        self._awaiting.discard(hello["id"])
        raise EngineUnavailable(f"the engine did not answer within {timeout_s:.1f} s of starting it")

    def stop_engine(self, timeout_s: float = 10.0) -> bool:
        """Ask the engine to exit; an engine this client started is killed if it does not. True if it is gone."""
        try:
            self._request(
                protocol.request("shutdown"),
                timeout_s=min(self.request_timeout_s, timeout_s),
                retries=0,
                autostart=False,
            )
            answered = True
        except EngineUnavailable:
            answered = False
        if self._engine is None or not self._engine.started:
            return answered
        self._engine.wait_or_kill(timeout_s)
        return True

    # ------------------------------------------------------------------- jobs
    def submit(
        self,
        media: list[dict[str, Any]],
        prompt: str,
        options: dict[str, Any] | None = None,
        kind: str = "edit",
        job_id: str | None = None,
        music: str | os.PathLike[str] | None = None,
    ) -> str:
        """Queue a job; returns its id. media: [{"path", "in", "out"}] (in/out in seconds, optional).

        kind: "edit" (the default), "analyze", "probe", "transcript" (the media's words as editable text)
        or "transcript_edit" (media: the edited transcript file). music: a music file for the edit to cut to.
        Raises EngineError (code "busy", "bad_input", ...) when the engine refuses the job.
        """
        job_id = job_id or protocol.new_id()
        fields: dict[str, Any] = {"job_id": job_id, "kind": kind, "media": list(media), "prompt": prompt}
        fields["options"] = dict(options or {})
        if music is not None:
            fields["music"] = os.fspath(music)
        message = protocol.request("submit", **fields)
        self._jobs[job_id] = {"request": message}
        if job_id in self._finished:
            self._finished.remove(job_id)  # asked for again: its (kept) end is wanted again
        try:
            self._raise_if_error(self._request(message))
        except EngineError:
            self._jobs.pop(job_id, None)
            raise
        return job_id

    def _resubmit(self, job_id: str) -> None:
        original = self._jobs[job_id]["request"]
        message = {**original, "id": protocol.new_id()}
        try:
            reply = self._request(message)
        except EngineUnavailable as exc:
            self._fail_job(job_id, protocol.ENGINE_LOST, str(exc))
            return
        if reply.get("type") == "error":
            self._fail_job(job_id, str(reply.get("code")), str(reply.get("message")))

    def _fail_job(self, job_id: str, code: str, message: str) -> None:
        self._handle(protocol.error(code, message, job_id=job_id))

    def active_jobs(self) -> list[str]:
        return list(self._jobs)

    def poll(self, timeout_ms: int = 0) -> list[dict[str, Any]]:
        """Pushes that arrived (progress, result, error), after heartbeats and lost-engine recovery."""
        now = time.monotonic()
        if now - self._last_poll > self.heartbeat_s:
            self._listening_since = now  # we were not listening: silence until now proves nothing
        self._last_poll = now
        self._drain(max(0, int(timeout_ms)))
        now = time.monotonic()
        self._last_poll = now
        if self._jobs or self.welcome is not None:
            if now - self._last_sent >= self.heartbeat_s:
                self._send(protocol.request("ping"))
            self._check_engine(now)
            if len(self.spool) and now - self._feedback_sent_at >= FEEDBACK_RESEND_BEATS * self.heartbeat_s:
                self._feedback_requests.clear()  # unacked for a while (engine was away): send again
                self._send_events(self.spool.pending())
        out = list(self._inbox)
        self._inbox.clear()
        return out

    def _check_engine(self, now: float) -> None:
        if self._restarting is not None:
            self._continue_restart(now)
            return
        if self._instance_changed:
            self._instance_changed = False
            for job_id in list(self._jobs):
                self._resubmit(job_id)  # a new engine does not know them
            return
        if not self._jobs:
            return
        died = self._our_engine_exited()
        silent = (
            now - max(self._last_heard, self._listening_since)
            >= protocol.MISSED_HEARTBEATS * self.heartbeat_s
        )
        if died or silent:
            self._lose_engine(
                "the engine exited"
                if died
                else f"no word from the engine for {protocol.MISSED_HEARTBEATS} heartbeats",
                now,
            )

    def _lose_engine(self, why: str, now: float) -> None:
        """Tell the host at once; start a new engine without blocking; later polls resubmit the jobs."""
        jobs = list(self._jobs)
        log.warning("%s with %d job(s) running", why, len(jobs))
        for job_id in jobs:
            self._inbox.append(
                {
                    "type": "progress",
                    "job_id": job_id,
                    "stage": "engine",
                    "fraction": 0.0,
                    "message": f"{why}; restarting it and resubmitting the job" if self.autostart else why,
                    "engine_restart": bool(self.autostart),
                }
            )
        if self._engine is None:
            for job_id in jobs:
                self._fail_job(job_id, protocol.ENGINE_LOST, f"{why} (no autostart, so the job is lost)")
            return
        self._engine.kill()  # ours and hung: a new one cannot bind while it lives
        log.info("restarting the engine: %s", " ".join(self._engine.argv))
        self._engine.start()
        self._reconnect()
        self._restarting = {"since": now, "hello": None, "sent": 0.0}
        self._continue_restart(now)

    def _continue_restart(self, now: float) -> None:
        state = self._restarting
        assert state is not None and self._engine is not None
        hello = state["hello"]
        reply = self._replies.pop(hello["id"], None) if hello is not None else None
        if reply is not None and reply.get("type") == "welcome":
            self._restarting = None
            self.welcome = reply
            self.restarts += 1
            self._instance_changed = False
            for job_id in list(self._jobs):
                self._resubmit(job_id)
            return
        exited = self._engine.exit_code()
        if exited is not None or now - state["since"] > self.start_timeout_s:
            self._restarting = None
            why = (
                f"the restarted engine exited with status {exited}"
                if exited is not None
                else f"the restarted engine did not answer within {self.start_timeout_s:.0f} s"
            )
            for job_id in list(self._jobs):
                self._fail_job(job_id, protocol.ENGINE_LOST, f"{why}; see logs/engine.log in its data dir")
            return
        if hello is None or now - state["sent"] >= 1.0:
            if hello is not None:
                self._awaiting.discard(hello["id"])
            state["hello"] = protocol.request("hello", client=self.client_name, protocol=protocol.VERSION)
            state["sent"] = now
            self._awaiting.add(state["hello"]["id"])
            self._send(state["hello"])

    def wait(
        self,
        job_id: str,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
        timeout_s: float | None = None,
    ) -> dict[str, Any]:
        """Block until the job's result push; raises JobFailed on its error push, TimeoutError on timeout.

        Pushes about other jobs stay queued for the next `poll()`.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        others: list[dict[str, Any]] = []
        try:
            while True:
                for message in self.poll(timeout_ms=int(min(self.heartbeat_s, 0.25) * 1000)):
                    if message.get("job_id") != job_id:
                        others.append(message)
                    elif message["type"] == "result":
                        return message
                    elif message["type"] == "error":
                        raise JobFailed(message)
                    elif on_progress is not None:
                        on_progress(message)
                if job_id not in self._jobs:
                    raise EngineError(f"job {job_id} is not running on this client", protocol.NOT_FOUND)
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"job {job_id} did not finish within {timeout_s} s")
        finally:
            self._inbox.extendleft(reversed(others))

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Ask for cancellation; the job then ends with an error push of code `cancelled`."""
        return self._raise_if_error(self._request(protocol.request("cancel", job_id=job_id)))

    def status(self, job_id: str | None = None) -> dict[str, Any]:
        message = protocol.request("status") if job_id is None else protocol.request("status", job_id=job_id)
        return self._raise_if_error(self._request(message))

    def ping(self, timeout_s: float | None = None) -> dict[str, Any]:
        return self._request(protocol.request("ping"), timeout_s=timeout_s, retries=0, autostart=False)

    # --------------------------------------------------------------- feedback
    def send_feedback(self, events: Iterable[dict[str, Any]]) -> int:
        """Spool (fsync) then send; returns how many events are still unacknowledged.

        Durable once this returns. Acks are read by `poll()`/`flush()`; nothing blocks on the engine here.
        """
        batch = list(events)
        for event in batch:
            check_event(event)
        self.spool.append(batch)
        self._send_events(batch)
        self._drain(0)
        return len(self.spool)

    def _send_events(self, events: list[dict[str, Any]]) -> set[str]:
        self._feedback_sent_at = time.monotonic()
        ids = set()
        for start in range(0, len(events), EVENTS_PER_MESSAGE):
            message = protocol.request("feedback", events=events[start : start + EVENTS_PER_MESSAGE])
            if len(self._feedback_requests) < 10_000:  # beyond that, flush() resends anyway
                self._feedback_requests.add(message["id"])
                ids.add(message["id"])
            self._send(message)
        return ids

    def flush(self, timeout_s: float = 10.0) -> int:
        """Wait for acks of what was sent, resending (lazy pirate) until acked or timeout.

        Returns how many events remain unacknowledged (0: all stored by the engine).
        """
        deadline = time.monotonic() + timeout_s
        self.spool.adopt_orphans()
        attempt = 0
        while len(self.spool) and time.monotonic() < deadline:
            outstanding = set(self._feedback_requests)
            if attempt or not outstanding:
                if attempt:
                    self._reconnect()
                    if not self._ensure_local_engine(attempt, deadline):
                        break
                self._feedback_requests.clear()  # late acks still count: the spool applies every ack
                outstanding = self._send_events(self.spool.pending())
            attempt += 1
            try_deadline = min(deadline, time.monotonic() + self.request_timeout_s)
            while outstanding & self._feedback_requests and time.monotonic() < try_deadline:
                if self._our_engine_exited():
                    break
                self._drain(max(1, min(50, int((try_deadline - time.monotonic()) * 1000))))
        return len(self.spool)

    def _ensure_local_engine(self, attempt: int, deadline: float) -> bool:
        """On a retry: restart an engine of ours that died, or start one when none has answered."""
        if self._engine is None:
            return True
        ours_died = self._engine.exited
        none_answers = not self._engine.started and attempt > self.retries
        if not (ours_died or none_answers):
            return True
        try:
            self._start_engine(max(0.1, deadline - time.monotonic()))
        except EngineUnavailable as exc:
            log.warning("%s", exc)
            return False
        return True

    # ------------------------------------------------------------------ close
    def close(self) -> None:
        """Close the socket and release the spool (unacked events stay on disk). The engine keeps running."""
        if self._socket is not None:
            self._drain(0)
            self._socket.close(linger=0)
            self._socket = None
        self.spool.close()

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
