"""Events stored before the one-value-shape contract are rewritten once when the store opens, not lost."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

from engine.learning.migrations import SCHEMA_VERSION
from engine.learning.pairs import preference_pairs
from engine.learning.store import SCHEMA, EventStore

from .test_learning_pairs import SPEC, _decision


def _old_store(path: Path, tid: str, events: list[tuple[str, str | None, dict]]) -> None:
    """A store as the engine wrote it before migrations existed (user_version 0, hosts' own values)."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    decisions = [
        _decision(tid, 0, 1.0, 0.0, 10.0, 14.0),
        _decision(tid, 1, 0.0, 1.0),
        _decision(tid, 2, 1.0, 1.0),
    ]
    db.execute(
        "INSERT INTO timelines VALUES (?,?,?,?,?,?)",
        (tid, "a highlight", json.dumps(SPEC), json.dumps(decisions), None, "2026-11-30T10:00:00+00:00"),
    )
    for seq, (kind, did, value) in enumerate(events, start=1):
        db.execute(
            "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)",
            (str(uuid.uuid4()), tid, did, kind, json.dumps(value), "2026-11-30T10:00:00+00:00", "default",
             "2026-11-30T10:00:00+00:00", seq),
        )  # fmt: skip
    db.commit()
    db.close()


def _blender_trim(head: int, tail: int, source: int, duration: int) -> dict:
    state = {"record_start": 1, "record_end": 1 + duration, "source_frame": source, "channel": 2}
    return {
        "strip": "clip 01", "before": state, "after": state, "rate": [25, 1],
        "head_frames": head, "tail_frames": tail, "duration_frames": duration,
    }  # fmt: skip


def test_old_blender_and_resolve_values_are_migrated_once(tmp_path: Path) -> None:
    tid = str(uuid.uuid4())
    path = tmp_path / "feedback.sqlite3"
    _old_store(
        path,
        tid,
        [
            ("accept", f"{tid}-1", {"strip": "clip 02"}),  # Blender's explicit accept
            ("trim", f"{tid}-0", _blender_trim(25, -25, 275, 50)),  # 10-14 s -> 11-13 s
            ("trim", f"{tid}-0", _blender_trim(0, -25, 300, 25)),  # then -> 11-12 s (chained)
            ("reject", f"{tid}-2", {"implicit": "removed", "host": "resolve"}),
            ("reorder", f"{tid}-1", {"from_index": 1, "to_index": 0, "host": "resolve"}),
            ("reorder", f"{tid}-2", {"strip": "c", "moved_frames": -150, "rate": [25, 1]}),  # 4 s -> -2 s
            ("trim", "not-a-decision", {"head_frames": 1, "tail_frames": 0, "rate": [25, 1]}),
        ],
    )
    store = EventStore(path)
    try:
        assert store.version == SCHEMA_VERSION
        values = [(e["kind"], e["value"]) for e in store.events()]
        assert values == [
            ("accept", {}),
            ("trim", {"source_start": 11.0, "source_end": 13.0, "head_frames": 25, "tail_frames": -25, "rate": [25, 1]}),
            ("trim", {"source_start": 11.0, "source_end": 12.0, "head_frames": 0, "tail_frames": -25, "rate": [25, 1]}),
            ("reject", {"implicit": "deleted"}),
            ("reorder", {"from": 1, "to": 0}),
            ("reorder", {"from": 2, "to": 0}),
            ("trim", {"head_frames": 1, "tail_frames": 0, "rate": [25, 1]}),  # nothing to rebuild it from: kept as it was
        ]  # fmt: skip
        trims = [p for p in preference_pairs(store) if p.source == "trim"]
        assert {p.chosen_id for p in trims} == {f"{tid}-0"}
        assert "(1.0 s)" in trims[0].chosen  # the last trim's kept range: 11-12 s
    finally:
        store.close()
    # opening again migrates nothing twice
    again = EventStore(path)
    try:
        assert [(e["kind"], e["value"]) for e in again.events()] == values
    finally:
        again.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_new_store_starts_at_the_current_version(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "new.sqlite3")
    try:
        assert store.version == SCHEMA_VERSION
    finally:
        store.close()
