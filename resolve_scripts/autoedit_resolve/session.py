"""What the host remembers about each timeline it imported, kept under <data dir>/resolve/sessions/.

A session ties Resolve's timeline (its name and Timeline.GetUniqueId) to the engine's timeline_id,
the engine's OTIO (to diff the editor's trims against) and a ledger of the feedback already sent.

The ledger makes "Send feedback" idempotent in meaning, on top of the bridge's at-least-once delivery
and the store's exactly-once `event_id`: an event goes out only when a decision's state changed since
the last send, and its id is derived from (timeline, decision, channel, revision, state). If the host
dies after spooling an event but before saving the ledger, the next send derives the same id again and
the store keeps one row.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

EVENT_NAMESPACE = uuid.UUID("5d1c3c52-7f0e-4c1e-9a51-6a0b2f6f7e01")  # AutoEdit Resolve host events


@dataclass
class Session:
    timeline_id: str
    resolve_timeline_name: str
    resolve_timeline_uid: str | None
    engine_otio_path: str
    imported_path: str
    import_format: str  # "otio" | "fcp7"
    prompt: str = ""
    profile: str = "default"
    ledger: dict[str, dict[str, Any]] = field(default_factory=dict)  # "<decision>|<channel>" -> state

    def engine_otio(self) -> str:
        return Path(self.engine_otio_path).read_text(encoding="utf-8")


def _path(sessions_dir: Path, timeline_id: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in timeline_id)
    return sessions_dir / f"{safe}.json"


def save(sessions_dir: Path, session: Session) -> Path:
    """Atomic write: a crash leaves the old file or the new one, never half of one."""
    sessions_dir.mkdir(parents=True, exist_ok=True)
    target = _path(sessions_dir, session.timeline_id)
    fd, tmp = tempfile.mkstemp(dir=sessions_dir, prefix=".session-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(session), fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load(sessions_dir: Path, timeline_id: str) -> Session | None:
    path = _path(sessions_dir, timeline_id)
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as fh:
        return Session(**json.load(fh))


def find_by_resolve_timeline(sessions_dir: Path, uid: str | None, name: str) -> Session | None:
    """The session of a Resolve timeline: by unique id first, then by name (newest wins)."""
    if not sessions_dir.is_dir():
        return None
    by_name = None
    for path in sorted(sessions_dir.glob("*.json"), key=lambda p: p.stat().st_mtime):
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if uid and data.get("resolve_timeline_uid") == uid:
            return Session(**data)
        if data.get("resolve_timeline_name") == name:
            by_name = Session(**data)
    return by_name


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def pending(session: Session, decision_id: str | None, channel: str, state: Any) -> tuple[str, int] | None:
    """(event id, revision) when `state` differs from what was last sent on this channel, else None."""
    key = f"{decision_id}|{channel}"
    entry = session.ledger.get(key)
    if entry is not None and entry.get("state") == canonical(state):
        return None
    revision = int(entry["revision"]) + 1 if entry else 1
    name = f"{session.timeline_id}|{key}|{revision}|{canonical(state)}"
    return str(uuid.uuid5(EVENT_NAMESPACE, name)), revision


def record_sent(session: Session, decision_id: str | None, channel: str, state: Any, revision: int) -> None:
    session.ledger[f"{decision_id}|{channel}"] = {
        "state": canonical(state),
        "revision": revision,
        "sent_at": datetime.now(timezone.utc).isoformat(),  # noqa: UP017 - runs in Resolve's Python
    }
