"""Preference events as DESIGN.md defines them: one `value` shape per kind, built and checked here.

Both hosts build their events with these functions and the engine checks each incoming event with
`event_problem`, so a value the learning loop cannot read is refused when it is sent (named in the
`ack`'s `rejected`), never stored and silently ignored later.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

EVENT_KINDS = ("accept", "reject", "trim", "reorder", "prefer")
IMPLICIT_DELETED = "deleted"  # an accept/reject the host inferred: the editor removed the clip
TRIM_FRAME_KEYS = ("head_frames", "tail_frames", "rate")


# ------------------------------------------------------------------------------ one builder per kind


def accept_value(implicit: str | None = None) -> dict[str, Any]:
    return _verdict(implicit)


def reject_value(implicit: str | None = None) -> dict[str, Any]:
    """`implicit=IMPLICIT_DELETED` when the host saw the clip deleted rather than rejected."""
    return _verdict(implicit)


def _verdict(implicit: str | None) -> dict[str, Any]:
    if implicit is None:
        return {}
    if implicit != IMPLICIT_DELETED:
        raise ValueError(f"implicit verdicts are {IMPLICIT_DELETED!r}, not {implicit!r}")
    return {"implicit": implicit}


def trim_value(
    source_start: float, source_end: float, head_frames: int, tail_frames: int, rate: tuple[int, int]
) -> dict[str, Any]:
    """The range kept after the trim in the media's own seconds, plus the host's frame view of it:
    `head_frames` > 0 when the clip now starts later, `tail_frames` < 0 when it ends earlier."""
    value = {
        "source_start": float(source_start),
        "source_end": float(source_end),
        "head_frames": int(head_frames),
        "tail_frames": int(tail_frames),
        "rate": [int(rate[0]), int(rate[1])],
    }
    check_value("trim", value)
    return value


def picture_offsets(clip_metadata: Any) -> tuple[int, int]:
    """Frames (at the clip's rate) a J cut moved a picture clip's head and tail past its decision's own
    range (`autoedit.j_cut.picture_offset_frames` in the OTIO): a trim's kept range is the decision's,
    so a host takes these off the picture's range before `trim_value`."""
    node: Any = clip_metadata
    for key in ("autoedit", "j_cut", "picture_offset_frames"):
        node = node.get(key) if hasattr(node, "get") else None
    try:
        head, tail = (int(f) for f in node)
    except (TypeError, ValueError):
        return (0, 0)
    return (head, tail)


def reorder_value(from_index: int, to_index: int) -> dict[str, Any]:
    """Positions among the decisions on the track the decision sits on, before and after the move."""
    value = {"from": int(from_index), "to": int(to_index)}
    check_value("reorder", value)
    return value


def prefer_value(over: str) -> dict[str, Any]:
    """The event's `decision_id` is the chosen one; `over` the alternative it won against."""
    value = {"over": str(over)}
    check_value("prefer", value)
    return value


# --------------------------------------------------------------------------------------- checking


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _keys(value: Mapping[str, Any], required: tuple[str, ...], optional: tuple[str, ...] = ()) -> str | None:
    missing = [k for k in required if k not in value]
    if missing:
        return f"missing {', '.join(missing)}"
    extra = sorted(set(value) - set(required) - set(optional))
    if extra:
        return f"unknown key(s) {', '.join(extra)}"
    return None


def _verdict_problem(value: Mapping[str, Any]) -> str | None:
    if not value:
        return None
    if set(value) != {"implicit"} or value["implicit"] != IMPLICIT_DELETED:
        return f'must be {{}} or {{"implicit": "{IMPLICIT_DELETED}"}}'
    return None


def _trim_problem(value: Mapping[str, Any]) -> str | None:
    problem = _keys(value, ("source_start", "source_end"), TRIM_FRAME_KEYS)
    if problem:
        return problem
    start, end = value["source_start"], value["source_end"]
    if not (_number(start) and _number(end)) or not 0 <= start < end:
        return f"source_start/source_end must be seconds with 0 <= start < end, got {start!r}, {end!r}"
    for key in ("head_frames", "tail_frames"):
        if key in value and (not isinstance(value[key], int) or isinstance(value[key], bool)):
            return f"{key} must be a whole number of frames, got {value[key]!r}"
    rate = value.get("rate", [1, 1])
    if (
        not isinstance(rate, list | tuple)
        or len(rate) != 2
        or not all(isinstance(r, int) and not isinstance(r, bool) and r > 0 for r in rate)
    ):
        return f"rate must be [num, den] of positive integers, got {rate!r}"
    return None


def _reorder_problem(value: Mapping[str, Any]) -> str | None:
    problem = _keys(value, ("from", "to"))
    if problem:
        return problem
    if not (_index(value["from"]) and _index(value["to"])):
        return f"from/to must be track positions (integers >= 0), got {value['from']!r}, {value['to']!r}"
    return None


def _prefer_problem(value: Mapping[str, Any]) -> str | None:
    problem = _keys(value, ("over",))
    if problem:
        return problem
    if not isinstance(value["over"], str) or not value["over"]:
        return "over must name the other decision_id"
    return None


VALUE_PROBLEMS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "accept": _verdict_problem,
    "reject": _verdict_problem,
    "trim": _trim_problem,
    "reorder": _reorder_problem,
    "prefer": _prefer_problem,
}


def value_problem(kind: str, value: Any) -> str | None:
    """Why `value` is not the DESIGN.md shape for `kind`, or None when it is."""
    if kind not in VALUE_PROBLEMS:
        return f"kind must be one of {', '.join(EVENT_KINDS)}, not {kind!r}"
    if not isinstance(value, dict):
        return f"{kind} value must be an object, not {type(value).__name__}"
    problem = VALUE_PROBLEMS[kind](value)
    return f"{kind} value {problem}" if problem else None


def check_value(kind: str, value: Any) -> None:
    problem = value_problem(kind, value)
    if problem:
        raise ValueError(problem)


def event_problem(event: Any) -> str | None:
    """Why the engine would refuse this event, or None."""
    if not isinstance(event, dict):
        return f"an event is an object, not {type(event).__name__}"
    if not isinstance(event.get("event_id"), str) or not event["event_id"]:
        return "event has no 'event_id' string (build events with bridge.events.make_event)"
    problem = value_problem(str(event.get("kind")), event.get("value", {}))
    if problem:
        return problem
    if event["kind"] in ("trim", "reorder", "prefer") and not event.get("decision_id"):
        return f"a {event['kind']} event names its decision_id"
    return None


def check_event(event: Any) -> None:
    """Refuse an event the engine would reject, before it is spooled (it would never be acked)."""
    problem = event_problem(event)
    if problem:
        event_id = event.get("event_id") if isinstance(event, dict) else None
        raise ValueError(f"event {event_id}: {problem}" if event_id else problem)


def make_event(
    kind: str,
    timeline_id: str | None,
    decision_id: str | None,
    value: dict[str, Any] | None = None,
    profile: str = "default",
) -> dict[str, Any]:
    """One event with a fresh `event_id`, so a resend is recognised and stored once."""
    if not isinstance(profile, str) or not profile:
        raise ValueError("event profile must be a non-empty string")
    event = {
        "event_id": str(uuid.uuid4()),
        "timeline_id": timeline_id,
        "decision_id": decision_id,
        "kind": kind,
        "value": dict(value or {}) if isinstance(value, dict) or value is None else value,
        "time": datetime.now(UTC).isoformat(),
        "profile": profile,
    }
    check_event(event)
    return event
