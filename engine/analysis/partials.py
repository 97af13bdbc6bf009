"""Results of one window of a long file, kept the moment the window is done, so a stopped run resumes.

One SQLite table under the analysis cache: a row per (content hash, analyser cache key, window), the
window named by its core and decoded span in file seconds. A row is committed before the next window
starts, so Ctrl-C or kill -9 loses at most the window in progress. Once the file's whole-file results are
in the cache (engine/analysis/cache.py) its rows are deleted.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from engine.analysis.segments import Segment


def window_name(segment: Segment) -> str:
    """The window as stored: its core and its decoded span (what was decoded decides the result)."""
    return f"{segment.core_start:.3f}-{segment.core_end:.3f}{segment.cache_suffix()}"


class PartialResults:
    def __init__(self, root: Path):
        self.db = Path(root) / "partials.sqlite3"
        self._lock = threading.Lock()
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS partials (sha256 TEXT, key TEXT, window TEXT, "
                "result TEXT, stored_at REAL, PRIMARY KEY (sha256, key, window))"
            )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def load(self, sha256: str, key: str, segment: Segment) -> dict[str, Any] | None:
        with self._lock, closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT result FROM partials WHERE sha256 = ? AND key = ? AND window = ?",
                (sha256, key, window_name(segment)),
            ).fetchone()
        if row is None:
            return None
        try:
            data = json.loads(row[0])
        except json.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None

    def store(self, sha256: str, key: str, segment: Segment, result: dict[str, Any]) -> None:
        blob = json.dumps(result)
        with self._lock, closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT OR REPLACE INTO partials (sha256, key, window, result, stored_at) VALUES (?, ?, ?, ?, ?)",
                (sha256, key, window_name(segment), blob, time.time()),
            )

    def stored(self, sha256: str) -> list[tuple[str, str, float]]:
        """(key, window, stored_at) of every row kept for a file, oldest first."""
        with self._lock, closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT key, window, stored_at FROM partials WHERE sha256 = ? ORDER BY stored_at", (sha256,)
            ).fetchall()
        return [(str(k), str(w), float(t)) for k, w, t in rows]

    def discard(self, sha256: str) -> None:
        """Every row of a file (once its whole-file results are in the cache)."""
        with self._lock, closing(self._connect()) as conn, conn:
            conn.execute("DELETE FROM partials WHERE sha256 = ?", (sha256,))
