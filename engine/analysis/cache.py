"""Analysis results kept per file content and per analyser, so a second run costs almost nothing.

Layout under the data dir: `analysis/<sha256[:2]>/<sha256>/<name>@<version>-<settings digest>.json`.
The key is the file's content hash (a renamed or copied file hits the cache; an edited one does not)
plus the analyser's `name@version` and a digest of the settings that change its output (model,
threshold, sample rate), so bumping one analyser's version recomputes only that analyser's fields.
Hashing a long file takes seconds, so the hash itself is remembered against (path, size, mtime).
Long footage (issue 19): an entry stays plain JSON (16 MB for all of a 10-hour talk's fields); a load
parses one analyser's entry at a time and the report keeps its per-sample fields as numpy columns
(engine/analysis/columns.py), so the parsed lists are garbage once the MediaAnalysis is built.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

from engine.models import sha256_of
from engine.paths import sub_dir

CACHE_FORMAT = 1


def settings_digest(model_id: str, params: dict[str, Any]) -> str:
    blob = json.dumps({"model": model_id, "params": params}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


class AnalysisCache:
    """Per-analyser result files, written atomically (a crash never leaves half a result behind)."""

    def __init__(self, data_dir: Path):
        self.root = sub_dir(Path(data_dir), "analysis")
        self._hashes = _HashMemo(self.root / "hashes.sqlite3")

    def content_hash(self, path: str | os.PathLike[str]) -> str:
        return self._hashes.sha256(Path(path))

    def entry(self, sha256: str, key: str) -> Path:
        return self.root / sha256[:2] / sha256 / f"{key}.json"

    def load(self, sha256: str, key: str) -> dict[str, Any] | None:
        path = self.entry(sha256, key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            return None
        return data.get("result")

    def store(self, sha256: str, key: str, result: dict[str, Any]) -> Path:
        path = self.entry(sha256, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".partial", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"format": CACHE_FORMAT, "key": key, "result": result}, handle)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


class _HashMemo:
    """sha256 of a file remembered by (resolved path, size, mtime_ns); any change rehashes."""

    def __init__(self, db: Path):
        self.db = db
        self._lock = threading.Lock()
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS hashes (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT)"
            )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def sha256(self, path: Path) -> str:
        resolved = str(path.resolve())
        stat = path.stat()
        with self._lock, closing(self._connect()) as conn, conn:
            row = conn.execute(
                "SELECT size, mtime_ns, sha256 FROM hashes WHERE path = ?", (resolved,)
            ).fetchone()
        if row is not None and row[0] == stat.st_size and row[1] == stat.st_mtime_ns:
            return str(row[2])
        digest = sha256_of(path)
        with self._lock, closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT OR REPLACE INTO hashes (path, size, mtime_ns, sha256) VALUES (?, ?, ?, ?)",
                (resolved, stat.st_size, stat.st_mtime_ns, digest),
            )
        return digest
