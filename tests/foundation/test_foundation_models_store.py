"""Split-weight assembly with its digest check, and the preference store's exactly-once promise."""

from __future__ import annotations

import hashlib
import os
import threading
import uuid

import pytest

from engine.errors import ModelNotFound
from engine.learning.store import EventStore, default_store
from engine.models import assemble, sha256_of


@pytest.fixture()
def parts(tmp_path):
    chunks = [os.urandom(300_000), os.urandom(200_000), b"tail"]
    paths = []
    for i, chunk in enumerate(chunks):
        path = tmp_path / "pkg" / f"weights.bin.part{i}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(chunk)
        paths.append(path)
    return paths, b"".join(chunks)


def test_assemble_concatenates_checks_digest_and_stamps(parts, tmp_path):
    paths, whole = parts
    digest = hashlib.sha256(whole).hexdigest()
    dest = tmp_path / "cache" / "weights.bin"
    assert assemble(paths, dest, digest) == dest
    assert dest.read_bytes() == whole
    assert sha256_of(dest) == digest
    assert (dest.parent / "weights.bin.sha256").read_text() == digest
    assert [p.name for p in dest.parent.iterdir() if "partial" in p.name] == []

    # Already assembled and stamped: left as it is.
    before = dest.stat().st_mtime_ns
    assemble(paths, dest, digest)
    assert dest.stat().st_mtime_ns == before


def test_assemble_rejects_a_wrong_digest_and_leaves_nothing(parts, tmp_path):
    paths, _ = parts
    dest = tmp_path / "cache" / "weights.bin"
    with pytest.raises(ModelNotFound, match="expected 0{64}"):
        assemble(paths, dest, "0" * 64)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_assemble_repairs_a_file_changed_after_it_was_stamped(parts, tmp_path):
    paths, whole = parts
    digest = hashlib.sha256(whole).hexdigest()
    dest = tmp_path / "cache" / "weights.bin"
    assemble(paths, dest, digest)
    dest.write_bytes(b"truncated")
    stamp = dest.parent / "weights.bin.sha256"
    os.utime(dest, ns=(stamp.stat().st_mtime_ns + 10**9,) * 2)  # newer than its stamp
    assemble(paths, dest, digest)
    assert dest.read_bytes() == whole


def event(event_id: str, kind: str = "accept") -> dict:
    return {
        "event_id": event_id,
        "timeline_id": "t1",
        "decision_id": "d1",
        "kind": kind,
        "value": {"n": 1},
        "time": "2026-11-24T12:00:00+00:00",
        "profile": "default",
    }


def test_event_store_stores_each_event_once_across_threads_and_connections(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    stores = [EventStore(path), EventStore(path)]  # two connections to one file, as server and CLI would
    ids = [str(uuid.uuid4()) for _ in range(120)]
    start = threading.Barrier(8)
    errors: list[BaseException] = []
    acked: list[list[str]] = []

    def send(worker: int) -> None:
        try:
            start.wait(timeout=30)
            store = stores[worker % 2]
            # every worker re-sends overlapping batches, as a host retrying after a lost ack does
            for offset in range(0, len(ids), 20):
                batch = [event(ids[(offset + worker * 7 + k) % len(ids)]) for k in range(20)]
                acked.append(store.add_events(batch))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert not any(t.is_alive() for t in threads)
    assert all(len(batch) == 20 for batch in acked)  # every id acknowledged, new or repeated

    stored = list(stores[0].events())
    assert stores[1].count() == len(stored) == len({e["event_id"] for e in stored})
    assert {e["event_id"] for e in stored} == set(ids)
    assert sorted(e["seq"] for e in stored) == list(range(1, len(stored) + 1))
    for store in stores:
        store.close()

    reopened = EventStore(path)
    before = reopened.count()
    assert reopened.add_events([event(ids[0], kind="reject")]) == [ids[0]]
    assert reopened.count() == before
    first = next(e for e in reopened.events() if e["event_id"] == ids[0])
    assert first["kind"] == "accept"  # the first copy stands
    assert first["value"] == {"n": 1}
    reopened.close()


def test_event_store_timelines_round_trip(tmp_path):
    store = default_store(tmp_path)
    assert store.path == tmp_path / "feedback.sqlite3"
    decisions = [{"decision_id": "d1", "path": "/m/a.mp4", "score": 0.7, "chosen": True}]
    store.record_timeline(
        "tl-1", "make it short", {"target_duration": 30}, decisions, '{"OTIO_SCHEMA": "Timeline.1"}'
    )
    got = store.timeline("tl-1")
    assert got is not None and got["decisions"] == decisions and got["spec"] == {"target_duration": 30}
    assert store.timeline_ids() == ["tl-1"]
    assert store.timeline("missing") is None
    store.close()
