"""The job and the feedback through bridge.client.EngineClient (the engine may be started on demand).

Kept apart from the Resolve calls so the same flow runs inside Resolve's Python (when it can import
pyzmq) and in host_cli, the helper the Lua entry script starts in the engine's own Python.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .errors import HostError
from .settings import HostSettings

ProgressFn = Callable[[str, float, str], None]


def _bridge_missing(exc: ImportError) -> HostError:
    return HostError(
        f"The AutoEdit bridge cannot be imported here ({exc}). Run the Lua entry script, which uses "
        "the engine's Python, or install pyzmq for the Python Resolve uses (see resolve_scripts/README.md)."
    )


def event_factory() -> Callable[..., dict[str, Any]]:
    """bridge.events.make_event, the one way hosts build preference events."""
    try:
        from bridge.events import make_event
    except ImportError as exc:  # pyzmq missing in this Python (bridge/__init__ imports the client)
        raise _bridge_missing(exc) from None
    return make_event


def make_client(settings: HostSettings) -> Any:
    """An EngineClient on the configured endpoint, spooling feedback under the host's data dir."""
    try:
        from bridge.client import EngineClient
    except ImportError as exc:  # pyzmq missing in this Python
        raise _bridge_missing(exc) from None
    settings.make_dirs()
    return EngineClient(
        endpoint=settings.endpoint,
        spool_dir=settings.spool_dir,
        autostart=settings.autostart_argv(),
        heartbeat_s=settings.heartbeat_s,
        client_name="resolve",
        autostart_log=settings.host_dir / "engine-autostart.log",
    )


def submit_job(
    client: Any,
    media: list[dict[str, Any]],
    prompt: str,
    options: dict[str, Any],
    start_timeout_s: float = 120.0,
    kind: str = "edit",
) -> str:
    """Make sure an engine answers (autostarting one if configured) and queue the edit; returns job_id."""
    from bridge.client import EngineError, EngineUnavailable

    try:
        client.ensure_engine(start_timeout_s)
        return str(client.submit(media, prompt, options, kind=kind))
    except EngineUnavailable as exc:
        raise HostError(
            f"The AutoEdit engine is not running and could not be started: {exc}. Start it with "
            "`autoedit serve` or re-run `autoedit install-resolve`."
        ) from None
    except EngineError as exc:
        raise HostError(f"The engine refused the job: {exc}") from None


def pump(
    client: Any, job_id: str, timeout_ms: int, on_progress: ProgressFn | None = None
) -> dict[str, Any] | None:
    """One non-blocking look at the job: its `result` message when done, None while it runs."""
    for message in client.poll(timeout_ms=timeout_ms):
        if message.get("job_id") != job_id:
            continue
        kind = message.get("type")
        if kind == "result":
            return message
        if kind == "error":
            code = message.get("code")
            if code == "cancelled":
                raise HostError("Auto Edit was cancelled; no timeline was created.")
            raise HostError(f"The engine could not make the edit ({code}): {message.get('message')}")
        if kind == "progress" and on_progress is not None:
            on_progress(
                str(message.get("stage") or ""),
                float(message.get("fraction") or 0.0),
                str(message.get("message") or ""),
            )
    return None


def run_job(
    client: Any,
    media: list[dict[str, Any]],
    prompt: str,
    options: dict[str, Any],
    on_progress: ProgressFn | None = None,
    timeout_s: float | None = None,
    kind: str = "edit",
) -> dict[str, Any]:
    """Blocking: submit and pump until the result (host_cli's job and transcript commands)."""
    job_id = submit_job(client, media, prompt, options, kind=kind)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        result = pump(client, job_id, 200, on_progress)
        if result is not None:
            return result
        if deadline is not None and time.monotonic() > deadline:
            client.cancel(job_id)
            raise HostError(f"The edit took longer than {timeout_s:.0f} s and was cancelled.")


def send_events(client: Any, events: list[dict[str, Any]], timeout_s: float = 10.0) -> int:
    """Spool (durable on return) and send; returns how many events are still waiting for the engine."""
    if events:
        client.send_feedback(events)
    return int(client.flush(timeout_s))
