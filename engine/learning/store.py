"""The preference event store: SQLite in WAL mode, each `event_id` stored exactly once.

It also keeps every timeline the engine produced (its decisions and their features), so training can
render each decision in its context long after the edit was made.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.learning.migrations import migrate

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id    TEXT PRIMARY KEY,
    timeline_id TEXT,
    decision_id TEXT,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    time        TEXT NOT NULL,
    profile     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    seq         INTEGER
);
CREATE INDEX IF NOT EXISTS events_timeline ON events(timeline_id);
CREATE INDEX IF NOT EXISTS events_seq ON events(seq);
CREATE TABLE IF NOT EXISTS timelines (
    timeline_id TEXT PRIMARY KEY,
    prompt      TEXT NOT NULL,
    spec        TEXT NOT NULL,
    decisions   TEXT NOT NULL,
    otio        TEXT,
    created_at  TEXT NOT NULL
);
"""


class EventStore:
    """Thread-safe; one connection per store, serialised by a lock (SQLite writes are serial anyway)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self.version = migrate(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add_events(self, events: Iterable[dict[str, Any]]) -> list[str]:
        """Store events once each; return every id now stored (new and already-known alike)."""
        now = datetime.now(UTC).isoformat()
        rows = []
        for ev in events:
            rows.append(
                (
                    str(ev["event_id"]),
                    ev.get("timeline_id"),
                    ev.get("decision_id"),
                    ev["kind"],
                    json.dumps(ev.get("value") or {}, sort_keys=True),
                    ev.get("time") or now,
                    ev.get("profile") or "default",
                    now,
                )
            )
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO events(event_id, timeline_id, decision_id, kind, value, time, profile,"
                    " received_at, seq) VALUES (?,?,?,?,?,?,?,?,(SELECT COALESCE(MAX(seq),0)+1 FROM events))",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return [r[0] for r in rows]

    def count(self, profile: str | None = None) -> int:
        with self._lock:
            if profile is None:
                return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
            return int(
                self._db.execute("SELECT COUNT(*) FROM events WHERE profile=?", (profile,)).fetchone()[0]
            )

    def profiles(self) -> list[str]:
        """Editor profiles that sent events, in order of first appearance."""
        with self._lock:
            rows = self._db.execute(
                "SELECT profile, MIN(seq) FROM events GROUP BY profile ORDER BY 2"
            ).fetchall()
        return [r[0] for r in rows]

    def events(self, profile: str | None = None, after_seq: int = 0) -> Iterator[dict[str, Any]]:
        query = "SELECT event_id, timeline_id, decision_id, kind, value, time, profile, seq FROM events WHERE seq>?"
        args: list[Any] = [after_seq]
        if profile is not None:
            query += " AND profile=?"
            args.append(profile)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq", args).fetchall()
        for event_id, timeline_id, decision_id, kind, value, time, prof, seq in rows:
            yield {
                "event_id": event_id,
                "timeline_id": timeline_id,
                "decision_id": decision_id,
                "kind": kind,
                "value": json.loads(value),
                "time": time,
                "profile": prof,
                "seq": seq,
            }

    def record_timeline(
        self,
        timeline_id: str,
        prompt: str,
        spec: dict[str, Any],
        decisions: list[dict[str, Any]],
        otio_json: str | None,
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO timelines(timeline_id, prompt, spec, decisions, otio, created_at)"
                " VALUES (?,?,?,?,?,?)",
                (
                    timeline_id,
                    prompt,
                    json.dumps(spec, sort_keys=True),
                    json.dumps(decisions, sort_keys=True),
                    otio_json,
                    datetime.now(UTC).isoformat(),
                ),
            )

    def timeline(self, timeline_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT timeline_id, prompt, spec, decisions, otio, created_at FROM timelines WHERE timeline_id=?",
                (timeline_id,),
            ).fetchone()
        if row is None:
            return None
        return {
            "timeline_id": row[0],
            "prompt": row[1],
            "spec": json.loads(row[2]),
            "decisions": json.loads(row[3]),
            "otio": row[4],
            "created_at": row[5],
        }

    def timeline_ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT timeline_id FROM timelines ORDER BY created_at")]


def default_store(data_dir: Path) -> EventStore:
    return EventStore(data_dir / "feedback.sqlite3")
