"""Preference events as DESIGN.md defines them, built the same way by every host."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from bridge.protocol import EVENT_KINDS


def make_event(
    kind: str,
    timeline_id: str | None,
    decision_id: str | None,
    value: dict[str, Any] | None = None,
    profile: str = "default",
) -> dict[str, Any]:
    """One event with a fresh `event_id`, so a resend is recognised and stored once."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"event kind must be one of {', '.join(EVENT_KINDS)}, not {kind!r}")
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"event value must be a dict, not {type(value).__name__}")
    if not isinstance(profile, str) or not profile:
        raise ValueError("event profile must be a non-empty string")
    return {
        "event_id": str(uuid.uuid4()),
        "timeline_id": timeline_id,
        "decision_id": decision_id,
        "kind": kind,
        "value": dict(value or {}),
        "time": datetime.now(UTC).isoformat(),
        "profile": profile,
    }


def check_event(event: Any) -> None:
    """Refuse an event the engine would reject, before it is spooled (it would never be acked)."""
    if not isinstance(event, dict):
        raise ValueError(f"an event is a dict, not {type(event).__name__}")
    if not isinstance(event.get("event_id"), str) or not event["event_id"]:
        raise ValueError("event has no 'event_id' string (build events with bridge.events.make_event)")
    if event.get("kind") not in EVENT_KINDS:
        raise ValueError(f"event {event['event_id']}: kind must be one of {', '.join(EVENT_KINDS)}")
    if not isinstance(event.get("value", {}), dict):
        raise ValueError(f"event {event['event_id']}: value must be a dict")
