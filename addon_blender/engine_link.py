"""The add-on's one connection to the engine, and the jobs it runs.

`poll_step()` is the whole of the polling: the modal operator calls it on each timer tick; scripts and
tests (module-mode bpy has no event loop, so no timers or modal operators) call it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_client: Any = None
_client_key: tuple[Any, ...] | None = None


def bridge() -> Any:
    """The bridge package: vendored in the built extension (the package puts it on sys.path), or the
    repository's when run from source."""
    import bridge as module

    return module


@dataclass
class RunState:
    """One Run: what to apply where when the result arrives, and its progress for the UI."""

    job_id: str
    scene: str
    target: str  # NEW_SCENE | CHANNELS
    stage: str = "queued"
    fraction: float = 0.0
    message: str = ""
    done: bool = False
    error: str | None = None
    result: dict[str, Any] | None = None
    applied_scene: str | None = None
    log: list[dict[str, Any]] = field(default_factory=list)


JOBS: dict[str, RunState] = {}


def settings(context: Any) -> Any:
    package = __package__ or "autoedit"
    addon = context.preferences.addons.get(package)
    return addon.preferences if addon is not None else None


def client(context: Any) -> Any:
    """The engine client for the current preferences (recreated when they change)."""
    global _client, _client_key
    prefs = settings(context)
    endpoint = prefs.endpoint if prefs else bridge().DEFAULT_ENDPOINT
    data_dir = prefs.data_dir if prefs and prefs.data_dir else ""
    autostart = None
    if prefs and prefs.autostart and prefs.engine_command:
        autostart = [prefs.engine_command, "serve", "--endpoint", endpoint]
        if data_dir:
            autostart += ["--data-dir", data_dir]
        autostart += ["--profile", prefs.profile]
    key = (endpoint, data_dir, tuple(autostart or ()))
    if _client is not None and _client_key == key:
        return _client
    close()
    b = bridge()
    spool = Path(data_dir).expanduser() / "spool" / "blender" if data_dir else None
    kwargs: dict[str, Any] = {"endpoint": endpoint, "autostart": autostart, "client_name": "blender"}
    if spool is not None:
        kwargs["spool_dir"] = spool
    _client = b.EngineClient(**kwargs)
    _client_key = key
    return _client


def close() -> None:
    global _client, _client_key
    if _client is not None:
        _client.close()
    _client, _client_key = None, None


def submit(
    context: Any,
    media: list[dict[str, Any]],
    prompt: str,
    options: dict[str, Any],
    target: str,
    music: str | None = None,
) -> RunState:
    import inspect

    c = client(context)
    c.ensure_engine(timeout_s=60.0 if c.autostart else 5.0)
    prefs = settings(context)
    if prefs is not None:  # the job runs with the profile the editor chose, whichever engine answers
        options = {**options, "profile": prefs.profile, "editor_profile": editor_profile(context)}
    kwargs: dict[str, Any] = {"media": media, "prompt": prompt, "options": options}
    if music:
        if "music" not in inspect.signature(c.submit).parameters:
            raise RuntimeError("this bridge cannot send music yet (EngineClient.submit has no `music`)")
        kwargs["music"] = music
    job_id = c.submit(**kwargs)
    state = RunState(job_id, context.scene.name, target)
    JOBS[job_id] = state
    return state


def poll_step(context: Any, timeout_ms: int = 0) -> list[RunState]:
    """Read what the engine pushed, update the runs, apply finished results; returns runs that ended."""
    if _client is None:
        return []
    ended: list[RunState] = []
    for message in _client.poll(timeout_ms=timeout_ms):
        state = JOBS.get(str(message.get("job_id")))
        if state is None or state.done:
            continue
        state.log.append({k: message.get(k) for k in ("type", "stage", "fraction", "code")})
        kind = message.get("type")
        if kind == "progress":
            state.stage = str(message.get("stage", ""))
            state.fraction = float(message.get("fraction") or 0.0)
            state.message = str(message.get("message", ""))
        elif kind == "result":
            state.result = message
            state.done = True
            state.fraction = 1.0
            ended.append(state)
        elif kind == "error":
            state.error = f"{message.get('code')}: {message.get('message')}"
            state.done = True
            ended.append(state)
    for state in ended:
        if state.result is not None:
            import bpy

            bpy.ops.autoedit.apply_result(job_id=state.job_id)
    return ended


def cancel(job_id: str) -> None:
    state = JOBS.get(job_id)
    if _client is not None and state is not None and not state.done:
        _client.cancel(job_id)
        state.done = True
        state.error = "cancelled"


def send_events(context: Any, events: list[dict[str, Any]]) -> int:
    """Spool (durable at once) and send; returns how many are still unacknowledged."""
    if not events:
        return 0
    return int(client(context).send_feedback(events))


def editor_profile(context: Any) -> str:
    prefs = settings(context)
    return (getattr(prefs, "editor_profile", "") or "default").strip() or "default"


def make_event(
    context: Any, kind: str, timeline_id: str | None, decision_id: str | None, value: dict[str, Any]
) -> dict[str, Any]:
    """An event as the editor profile of these preferences."""
    return bridge().make_event(kind, timeline_id, decision_id, value, editor_profile(context))
