"""A client outlives its engine: killed mid-job, it is noticed, restarted, and the job resubmitted."""

from __future__ import annotations

import os
import signal
import time

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
