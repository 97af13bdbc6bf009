"""Preference events survive SIGKILL of either side: stored exactly once, none lost."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bridge.client import EngineClient
from bridge.events import make_event, trim_value
from engine_bridge.conftest import engine_argv, free_endpoint

REPO = Path(__file__).resolve().parents[2]
TOTAL = 10_000
KILLS = 100
BATCH = 50


def _stored_ids(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "feedback.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT event_id FROM events")]


def test_100_engine_kills_while_streaming_10000_events_store_each_exactly_once(tmp_path):
    endpoint = free_endpoint()
    data_dir = tmp_path / "data"
    client = EngineClient(
        endpoint,
        spool_dir=tmp_path / "spool",
        autostart=engine_argv(endpoint, data_dir),
        request_timeout_s=2.0,
        retries=1,
        heartbeat_s=0.5,
    )
    rng = random.Random(5)
    kill_at = sorted(rng.sample(range(1, 2 * TOTAL // BATCH), KILLS))  # in feeder steps: sent, acked, sent...
    events = [
        make_event(kind, "tl", f"d{i}", trim_value(i, i + 1.5, 2, -3, (25, 1)) if kind == "trim" else {})
        for i, kind in enumerate(rng.choice(["accept", "reject", "trim"]) for _ in range(TOTAL))
    ]
    progress = {"step": 0, "done": False}
    changed = threading.Condition()
    killed: list[int] = []

    def killer() -> None:
        for step in kill_at:
            with changed:
                assert changed.wait_for(lambda s=step: progress["step"] >= s or progress["done"], timeout=300)
                if progress["done"]:
                    return
                pid = client.engine_pid
                # wait for the engine the client restarted after the previous kill
                assert changed.wait_for(lambda: client.owns_engine or progress["done"], timeout=300)
            if pid is not None and pid not in killed:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                except ProcessLookupError:
                    pass

    def step() -> None:
        with changed:
            progress["step"] += 1
            changed.notify_all()

    thread = threading.Thread(target=killer, daemon=True)
    try:
        client.ensure_engine(timeout_s=60)
        thread.start()
        for start in range(0, TOTAL, BATCH):
            client.send_feedback(events[start : start + BATCH])  # durable in the spool from here on
            step()
            assert client.flush(timeout_s=120) == 0
            step()
        with changed:
            progress["done"] = True
            changed.notify_all()
        thread.join(timeout=60)
        assert client.flush(timeout_s=120) == 0
        stored = _stored_ids(data_dir)
    finally:
        client.stop_engine(timeout_s=10)
        client.close()
    assert len(killed) >= KILLS * 0.9, f"only {len(killed)} kills landed"
    assert len(stored) == TOTAL and len(set(stored)) == TOTAL
    assert set(stored) == {e["event_id"] for e in events}
    assert not list((tmp_path / "spool").glob("*.jsonl"))  # nothing left to send


CLIENT_SCRIPT = """
import sys, uuid
from bridge.client import EngineClient
from bridge.events import make_event
endpoint, spool, namespace, total = sys.argv[1], sys.argv[2], uuid.UUID(sys.argv[3]), int(sys.argv[4])
client = EngineClient(endpoint, spool_dir=spool, request_timeout_s=0.5)
for i in range(total):
    event = make_event("accept", "tl", f"d{i}")
    event["event_id"] = str(uuid.uuid5(namespace, str(i)))
    client.send_feedback([event])
    print(i + 1, flush=True)  # the host was told: this event is safe
"""


def test_client_killed_at_random_moments_loses_no_event_it_accepted(tmp_path, start_engine):
    engine = start_engine()
    namespace = uuid.uuid4()
    spool = tmp_path / "spool"
    rng = random.Random(11)
    given = 0
    for _round in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-c", CLIENT_SCRIPT, engine.endpoint, str(spool), str(namespace), "100000"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        stop_after = rng.randrange(20, 400)
        last = 0
        for line in proc.stdout:
            last = int(line)
            if last >= stop_after:
                break
        proc.kill()  # mid-stream: maybe mid-append, mid-send or mid-ack
        proc.wait()
        given = max(given, last)
        # each round reuses the same ids from 0: a resend must not be stored twice
    survivor = EngineClient(engine.endpoint, spool_dir=spool)
    try:
        assert survivor.flush(timeout_s=60) == 0
    finally:
        survivor.close()
    deadline = time.monotonic() + 30
    stored = set(_stored_ids(engine.data_dir))
    while not stored and time.monotonic() < deadline:
        stored = set(_stored_ids(engine.data_dir))
    expected = {str(uuid.uuid5(namespace, str(i))) for i in range(given)}
    assert expected <= stored
    assert len(stored) == len(_stored_ids(engine.data_dir))
