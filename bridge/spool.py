"""The feedback spool: preference events on disk (fsync'd) from before they are sent until they are acked.

One JSON-lines file per client instance, guarded by a lock file, so two hosts can share a spool
folder. A client adopts the files of clients that are gone (their lock is free), which is how events
survive a crash of the host: the next client sends them. Acked lines are dropped lazily: the file is
truncated when nothing is pending and compacted (write, fsync, atomic rename) when acked lines pile
up; a stale line only causes a harmless resend, since the engine stores each `event_id` once.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import IO, Any

log = logging.getLogger("autoedit.bridge")

if sys.platform == "win32":  # pragma: no cover - exercised on Windows hosts only
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False


def _fsync_dir(directory: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_events(path: Path) -> list[dict[str, Any]]:
    """Events in a spool file; a torn last line (killed mid-write) is skipped, not fatal."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    events = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            log.warning("%s:%d: skipping an unreadable spool line (torn write)", path, number)
            continue
        if isinstance(event, dict) and isinstance(event.get("event_id"), str):
            events.append(event)
    return events


class FeedbackSpool:
    PREFIX = "feedback-"

    def __init__(self, directory: str | os.PathLike[str], name: str):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / f"{self.PREFIX}{name}.jsonl"
        self._lock_path = self.path.with_suffix(".lock")
        self._lock = open(self._lock_path, "a+b")  # noqa: SIM115 - held for the spool's life
        if not _try_lock(self._lock):
            self._lock.close()
            raise RuntimeError(f"spool {self.path} is in use by another client")
        self._file = open(self.path, "ab")  # noqa: SIM115
        self._pending: dict[str, dict[str, Any]] = {}
        self._stale_lines = 0
        for event in _read_events(self.path):
            self._pending[event["event_id"]] = event
        self.adopt_orphans()

    def __len__(self) -> int:
        return len(self._pending)

    def pending(self) -> list[dict[str, Any]]:
        return list(self._pending.values())

    def append(self, events: list[dict[str, Any]]) -> None:
        """Durable once this returns: written and fsync'd in one go."""
        if not events:
            return
        data = b"".join(
            json.dumps(e, separators=(",", ":"), ensure_ascii=False).encode() + b"\n" for e in events
        )
        self._file.write(data)
        self._file.flush()
        os.fsync(self._file.fileno())
        for event in events:
            if event["event_id"] in self._pending:
                self._stale_lines += 1
            self._pending[event["event_id"]] = event

    def acknowledge(self, event_ids: list[str]) -> int:
        dropped = 0
        for event_id in event_ids:
            if self._pending.pop(event_id, None) is not None:
                dropped += 1
        self._stale_lines += dropped
        if dropped and not self._pending:
            self._file.truncate(0)  # no fsync: should this not reach the disk, the lines are only resent
            self._stale_lines = 0
        elif self._stale_lines > max(1024, 2 * len(self._pending)):
            self._compact()
        return dropped

    def _compact(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "wb") as out:
            out.write(
                b"".join(
                    json.dumps(e, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
                    for e in self._pending.values()
                )
            )
            out.flush()
            os.fsync(out.fileno())
        self._file.close()
        os.replace(tmp, self.path)
        _fsync_dir(self.directory)
        self._file = open(self.path, "ab")  # noqa: SIM115
        self._stale_lines = 0

    def adopt_orphans(self) -> int:
        """Take over the events of spool files whose client is gone; returns how many were adopted."""
        adopted = 0
        for other in sorted(self.directory.glob(f"{self.PREFIX}*.jsonl")):
            if other == self.path:
                continue
            lock_path = other.with_suffix(".lock")
            with open(lock_path, "a+b") as lock:
                if not _try_lock(lock):
                    continue  # its client is alive
                events = [e for e in _read_events(other) if e["event_id"] not in self._pending]
                self.append(events)  # durable here before the orphan goes
                other.unlink(missing_ok=True)
                _fsync_dir(self.directory)
                adopted += len(events)
            lock_path.unlink(missing_ok=True)
        if adopted:
            log.info("adopted %d unacknowledged feedback events from earlier clients", adopted)
        return adopted

    def close(self) -> None:
        """Release the spool; unacked events stay on disk for the next client."""
        if self._file.closed:
            return
        empty = not self._pending
        self._file.close()
        if empty:
            self.path.unlink(missing_ok=True)
        self._lock.close()
        if empty:
            self._lock_path.unlink(missing_ok=True)
