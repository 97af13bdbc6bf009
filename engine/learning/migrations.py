"""Versioned migrations of the preference store (SQLite `PRAGMA user_version`).

Version 1 gives every stored event `value` DESIGN.md's one shape per kind (bridge/events.py). Before
it, each host wrote its own: Blender's trims said `before`/`after` strip states and frame deltas,
Resolve's said `source_start`/`source_end` with extras, reorders were `moved_frames` or
`from_index`/`to_index`, implicit deletions were `removed` or `deleted`. Nothing is dropped: a value
that cannot be rebuilt (its decision unknown) is left as it was and the learning loop passes it by.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from bridge import events

log = logging.getLogger("autoedit.learning")

Decisions = dict[str, dict[str, Any]]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rate(value: Mapping[str, Any]) -> float | None:
    rate = value.get("rate")
    if isinstance(rate, list | tuple) and len(rate) == 2 and all(_number(r) and r > 0 for r in rate):
        return float(rate[0]) / float(rate[1])
    return None


def _trim(
    value: Mapping[str, Any],
    decision: Mapping[str, Any] | None,
    kept: dict[str, tuple[float, float]],
    did: str,
) -> dict[str, Any] | None:
    frames = {k: value[k] for k in events.TRIM_FRAME_KEYS if k in value}
    if _number(value.get("source_start")) and _number(value.get("source_end")):  # Resolve's
        out = {
            "source_start": float(value["source_start"]),
            "source_end": float(value["source_end"]),
            **frames,
        }
    else:  # Blender's: frame deltas against the strip as last reported
        rate = _rate(value)
        head, tail = value.get("head_frames"), value.get("tail_frames")
        if rate is None or not (isinstance(head, int) and isinstance(tail, int)):
            return None
        base = kept.get(did)
        if (
            base is None
            and decision
            and _number(decision.get("source_start"))
            and _number(decision.get("source_end"))
        ):
            base = (float(decision["source_start"]), float(decision["source_end"]))
        if base is None:
            after = value.get("after")
            length = value.get("duration_frames")
            if not (isinstance(after, Mapping) and _number(after.get("source_frame")) and _number(length)):
                return None
            start = float(after["source_frame"]) / rate
            base = (start - head / rate, start + float(length or 0) / rate - tail / rate)
        out = {"source_start": max(0.0, base[0] + head / rate), "source_end": base[1] + tail / rate, **frames}
    if events.value_problem("trim", out):
        return None
    kept[did] = (out["source_start"], out["source_end"])
    return out


def _reorder(value: Mapping[str, Any], did: str, decisions: Decisions) -> dict[str, Any] | None:
    if "from_index" in value and "to_index" in value:  # Resolve's
        out: dict[str, Any] = {"from": value["from_index"], "to": value["to_index"]}
    else:  # Blender's: moved by frames; positions among the timeline's placed clips
        rate, moved = _rate(value), value.get("moved_frames")
        placed = sorted(
            (d for d in decisions.values() if d.get("chosen", True) and _number(d.get("record_start"))),
            key=lambda d: float(d["record_start"]),
        )
        ids = [str(d["decision_id"]) for d in placed]
        if rate is None or not _number(moved) or did not in ids:
            return None
        new_start = float(decisions[did]["record_start"]) + float(moved or 0) / rate
        others = [float(d["record_start"]) for d in placed if str(d["decision_id"]) != did]
        out = {"from": ids.index(did), "to": sum(start < new_start for start in others)}
    return None if events.value_problem("reorder", out) else out


def _prefer(value: Mapping[str, Any]) -> dict[str, Any] | None:
    for key in ("over", "rejected", "rejected_decision_id"):
        if isinstance(value.get(key), str) and value[key]:
            return {"over": value[key]}
    return None


def one_value_shape(db: sqlite3.Connection) -> None:
    """Rewrite every event value into its kind's one shape (events in store order: trims chain)."""
    decisions_of: dict[str, Decisions] = {}
    for tid, decisions in db.execute("SELECT timeline_id, decisions FROM timelines"):
        decisions_of[tid] = {str(d["decision_id"]): d for d in json.loads(decisions) if d.get("decision_id")}
    kept: dict[str, tuple[float, float]] = {}
    changed = left = 0
    rows = db.execute(
        "SELECT event_id, timeline_id, decision_id, kind, value FROM events ORDER BY seq"
    ).fetchall()
    for event_id, tid, did, kind, raw in rows:
        value = json.loads(raw)
        if events.value_problem(kind, value) is None:
            if kind == "trim":
                kept[str(did)] = (float(value["source_start"]), float(value["source_end"]))
            continue
        decisions = decisions_of.get(tid, {})
        new: dict[str, Any] | None
        if kind in ("accept", "reject"):
            new = {"implicit": "deleted"} if value.get("implicit") in ("deleted", "removed") else {}
        elif kind == "trim":
            new = _trim(value, decisions.get(str(did)), kept, str(did))
        elif kind == "reorder":
            new = _reorder(value, str(did), decisions)
        elif kind == "prefer":
            new = _prefer(value)
        else:
            new = None
        if new is None:
            left += 1
            continue
        db.execute("UPDATE events SET value=? WHERE event_id=?", (json.dumps(new, sort_keys=True), event_id))
        changed += 1
    if changed or left:
        log.info(
            "event store: %d event values rewritten to one shape per kind, %d left as they were",
            changed,
            left,
        )


MIGRATIONS: list[tuple[int, Callable[[sqlite3.Connection], None]]] = [(1, one_value_shape)]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(db: sqlite3.Connection) -> int:
    """Bring the store to SCHEMA_VERSION, each step in its own transaction; returns the version."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    for target, step in MIGRATIONS:
        if version >= target:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if int(db.execute("PRAGMA user_version").fetchone()[0]) < target:  # another process did it
                step(db)
                db.execute(f"PRAGMA user_version = {int(target)}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        version = target
    return version
