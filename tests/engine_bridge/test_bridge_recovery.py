"""A client outlives its engine: killed mid-job, it is noticed, restarted, and the job resubmitted."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from bridge.client import EngineUnavailable
from bridge.events import make_event
from engine.learning.store import default_store
from engine_bridge.conftest import PROBE_CLIP, engine_argv, free_endpoint


def test_engine_killed_mid_job_is_reported_within_3s_restarted_and_the_job_resubmitted(tmp_path, make_client):
    endpoint = free_endpoint()
    client = make_client(endpoint, autostart=engine_argv(endpoint, tmp_path / "data"), heartbeat_s=1.0)
    first_pid = client.ensure_engine(timeout_s=60)["pid"]
    job_id = client.submit([{"path": str(PROBE_CLIP)}] * 2, "", kind="probe")
    deadline = time.monotonic() + 60
    started = False
    while not started:
        assert time.monotonic() < deadline, "the job never started decoding"
        started = any(
            m["stage"] == "probe/decode" for m in client.poll(timeout_ms=100) if m["type"] == "progress"
        )

    os.kill(first_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    notice = None
    while notice is None and time.monotonic() - killed_at < 3.0:
        notice = next((m for m in client.poll(timeout_ms=50) if m.get("engine_restart")), None)
    assert notice is not None, "the client did not report the lost engine within 3 s"
    assert notice["job_id"] == job_id and notice["type"] == "progress"

    result = client.wait(job_id, timeout_s=120)
    assert client.restarts == 1 and client.engine_pid not in (None, first_pid)
    assert [m["video"]["frames"] for m in result["report"]["media"]] == [720, 720]
    assert client.status(job_id)["job"]["state"] == "done"
    assert client.stop_engine() is True


def test_client_starts_a_local_engine_when_none_answers_and_stops_it(tmp_path, make_client):
    endpoint = free_endpoint()
    client = make_client(endpoint, autostart=engine_argv(endpoint, tmp_path / "data"), request_timeout_s=0.5)
    welcome = client.ensure_engine(timeout_s=60)
    assert client.owns_engine and welcome["pid"] == client.engine_pid
    proc = client.engine_process
    assert client.stop_engine(timeout_s=20) is True
    assert proc.returncode == 0  # a clean exit on `shutdown`, not a kill
    with pytest.raises(EngineUnavailable):
        client.ping(timeout_s=0.3)


def test_feedback_spooled_while_no_engine_runs_is_delivered_by_poll_later(
    tmp_path, make_client, start_engine
):
    endpoint = free_endpoint()
    client = make_client(endpoint, heartbeat_s=0.2, request_timeout_s=0.3)
    events = [make_event("reject", "tl", f"d{i}") for i in range(30)]
    assert client.send_feedback(events) == 30  # nobody listening yet: kept in the spool
    argv = engine_argv(endpoint, tmp_path / "data")
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client.ensure_engine(timeout_s=60)
        deadline = time.monotonic() + 30
        while len(client.spool):
            assert time.monotonic() < deadline, "poll() never delivered the spooled events"
            client.poll(timeout_ms=100)
        store = default_store(tmp_path / "data")
        try:
            assert {e["event_id"] for e in store.events()} == {e["event_id"] for e in events}
        finally:
            store.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
