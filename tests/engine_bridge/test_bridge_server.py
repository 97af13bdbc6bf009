"""The engine server over real loopback sockets: round trip, jobs, progress, cancel, errors, security."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import zmq

from bridge import protocol
from bridge.client import EngineError, EngineUnavailable, JobFailed
from bridge.events import make_event, reorder_value, trim_value
from engine_bridge.conftest import MEDIA, PROBE_CLIP, engine_argv, free_endpoint, raw_dealer, recv_reply

REPO = Path(__file__).resolve().parents[2]


def _wait_for_progress(client, job_id: str, stage: str, timeout_s: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for message in client.poll(timeout_ms=100):
            if (
                message.get("job_id") == job_id
                and message["type"] == "progress"
                and message["stage"].endswith(stage)
            ):
                return message
            assert message["type"] == "progress", message
    raise AssertionError(f"no {stage!r} progress for {job_id} within {timeout_s} s")


def test_round_trip_hello_ping_status(start_engine, make_client):
    engine = start_engine()
    client = make_client(engine.endpoint)
    welcome = client.ensure_engine(timeout_s=10)
    assert welcome["pid"] == engine.proc.pid and welcome["protocol"] == 1
    assert {"edit", "analyze", "probe"} <= set(welcome["job_kinds"])
    pong = client.ping()
    assert pong["type"] == "pong" and pong["instance"] == welcome["instance"]
    status = client.status()
    assert status["jobs"] == [] and status["engine"]["pid"] == engine.proc.pid
    log = (engine.data_dir / "logs" / "engine.log").read_text()
    assert f"listening on {engine.endpoint}" in log


def test_probe_job_pushes_progress_then_its_result(start_engine, make_client):
    engine = start_engine()
    client = make_client(engine.endpoint)
    job_id = client.submit([{"path": str(PROBE_CLIP)}], "", kind="probe")
    seen: list[dict] = []
    result = client.wait(job_id, on_progress=seen.append, timeout_s=120)
    assert result["type"] == "result" and result["job_id"] == job_id and result["kind"] == "probe"
    media = result["report"]["media"][0]
    # PySceneDetect's test video: 24.02 s at 30000/1001 -> 720 frames, 1280x720
    assert media["video"] == {"frames": 720, "width": 1280, "height": 720, "rate": [30000, 1001]}
    assert media["path"] == str(PROBE_CLIP.resolve())
    decode = [m["fraction"] for m in seen if m["stage"] == "probe/decode"]
    assert len(decode) >= 5 and decode == sorted(decode) and decode[-1] == 1.0
    assert all(m["job_id"] == job_id for m in seen)
    assert client.status(job_id)["job"]["state"] == "done"


def test_cancel_stops_a_running_job_within_a_second(start_engine, make_client):
    engine = start_engine()
    client = make_client(engine.endpoint)
    job_id = client.submit([{"path": str(PROBE_CLIP)}] * 20, "", kind="probe")
    _wait_for_progress(client, job_id, "decode")
    assert client.cancel(job_id)["state"] == "cancelled"
    with pytest.raises(JobFailed) as failed:
        client.wait(job_id, timeout_s=1.0)  # TimeoutError here would mean cancel was not honoured in 1 s
    assert failed.value.code == "cancelled"
    job = client.status(job_id)["job"]
    assert job["state"] == "cancelled" and job["fraction"] < 0.5


def test_cancel_of_a_queued_job_and_busy_when_the_queue_is_full(start_engine, make_client):
    engine = start_engine(max_queued_jobs=1, parallel_jobs=1)  # one job runs, the next one queues
    client = make_client(engine.endpoint)
    running = client.submit([{"path": str(PROBE_CLIP)}] * 20, "", kind="probe")
    _wait_for_progress(client, running, "decode")
    queued = client.submit([{"path": str(PROBE_CLIP)}], "", kind="probe")
    with pytest.raises(EngineError) as busy:
        client.submit([{"path": str(PROBE_CLIP)}], "", kind="probe")
    assert busy.value.code == "busy" and "max_queued_jobs" in str(busy.value)
    assert client.cancel(queued)["state"] == "cancelled"
    with pytest.raises(JobFailed) as failed:
        client.wait(queued, timeout_s=10)
    assert failed.value.code == "cancelled"
    assert client.status(running)["job"]["state"] == "running"  # the other job is untouched
    client.cancel(running)
    with pytest.raises(JobFailed):
        client.wait(running, timeout_s=10)


def test_a_probe_answers_while_an_edit_runs_in_the_same_engine(start_engine, make_client, tmp_path):
    # A cold edit (fresh data dir: deep in model work for a while) holds one of the pool's 2 workers.
    clip = MEDIA / "talking_head" / "video_retalking" / "face_1.mp4"
    engine = start_engine(
        data_dir=tmp_path / "engine", parallel_jobs=2, env={"AUTOEDIT__PLANNER__BACKEND": "rules"}
    )
    client = make_client(engine.endpoint)
    edit = client.submit([{"path": str(clip)}], "a short cut", {"target_duration": 3})
    _wait_for_progress(client, edit, "decode", timeout_s=120)
    probe = client.submit(
        [{"path": str(MEDIA / "video_cuts" / "pyscenedetect_counter.mp4")}], "", kind="probe"
    )
    result = client.wait(probe, timeout_s=120)
    assert result["type"] == "result" and result["report"]["media"][0]["video"]["frames"] > 0
    status = client.status()
    jobs = {job["job_id"]: job for job in status["jobs"]}
    # the probe started after the edit and ended before it: it did not wait behind it
    assert jobs[probe]["started"] >= jobs[edit]["started"]
    assert jobs[edit]["state"] == "running" and edit in status["engine"]["running_jobs"]
    assert jobs[probe]["node"] == jobs[edit]["node"] == platform.node()  # no cluster: this host
    client.cancel(edit)
    with pytest.raises(JobFailed):
        client.wait(edit, timeout_s=30)


def test_bad_media_is_refused_naming_the_file(start_engine, make_client, tmp_path):
    engine = start_engine()
    client = make_client(engine.endpoint)
    missing = tmp_path / "no such clip.mp4"
    with pytest.raises(EngineError) as refused:
        client.submit([{"path": str(missing)}], "make it short")
    assert refused.value.code == "bad_input" and str(missing) in str(refused.value)
    not_media = MEDIA / "MANIFEST.tsv"
    job_id = client.submit([{"path": str(not_media)}], "", kind="probe")
    with pytest.raises(JobFailed) as failed:
        client.wait(job_id, timeout_s=30)
    assert failed.value.code == "bad_input" and "MANIFEST.tsv" in str(failed.value)
    with pytest.raises(EngineError) as bad_range:
        client.submit([{"path": str(PROBE_CLIP), "in": 5.0, "out": 2.0}], "", kind="probe")
    assert bad_range.value.code == "bad_input"
    no_music = tmp_path / "missing song.wav"
    with pytest.raises(EngineError) as bad_music:
        client.submit([{"path": str(PROBE_CLIP)}], "cut to the beat", music=no_music)
    assert bad_music.value.code == "bad_input" and str(no_music) in str(bad_music.value)


def test_a_resubmitted_job_is_the_same_job(start_engine, make_client):
    engine = start_engine()
    client = make_client(engine.endpoint)
    job_id = client.submit([{"path": str(PROBE_CLIP)}], "", kind="probe", job_id="job-once")
    first = client.wait(job_id, timeout_s=60)
    again = client.submit([{"path": str(PROBE_CLIP)}], "", kind="probe", job_id="job-once")
    assert again == job_id
    second = client.wait(job_id, timeout_s=10)  # the kept result is pushed again, not recomputed
    assert second == first
    assert [j["job_id"] for j in client.status()["jobs"]] == ["job-once"]


def test_wrong_malformed_oversized_and_unknown_messages_get_errors_and_the_engine_keeps_serving(start_engine):
    engine = start_engine(max_message_bytes=4096)
    sock = raw_dealer(engine.endpoint)
    cases = [
        ([b"autoedit/0", json.dumps({"type": "ping", "id": "v0"}).encode()], "v0", protocol.WRONG_VERSION),
        ([protocol.TAG, json.dumps({"type": "dance", "id": "u1"}).encode()], "u1", protocol.UNKNOWN_TYPE),
        (
            [protocol.TAG, json.dumps({"type": "submit", "id": "s1", "media": []}).encode()],
            "s1",
            protocol.BAD_REQUEST,
        ),
        (
            [protocol.TAG, json.dumps({"type": "cancel", "id": "c1", "job_id": "nope"}).encode()],
            "c1",
            protocol.NOT_FOUND,
        ),
        (
            [protocol.TAG, json.dumps({"type": "feedback", "id": "f1", "events": "x"}).encode()],
            "f1",
            protocol.BAD_REQUEST,
        ),
        (
            [protocol.TAG, json.dumps({"type": "status", "id": "j1", "job_id": "no job"}).encode()],
            "j1",
            protocol.BAD_REQUEST,
        ),
    ]
    for frames, request_id, code in cases:
        sock.send_multipart(frames)
        reply = recv_reply(sock, request_id)
        assert (reply["type"], reply["code"]) == ("error", code), reply
    for frames in ([b"garbage"], [protocol.TAG, b"{not json"], [protocol.TAG, b"x" * 10_000]):
        sock.send_multipart(frames)
        reply = recv_reply(sock, kinds=("error",))
        assert reply["code"] in (protocol.MALFORMED, protocol.TOO_LARGE)
    sock.send_multipart([protocol.TAG, b'{"type":"ping","id":"big","pad":"' + b"a" * 5000 + b'"}'])
    assert recv_reply(sock, kinds=("error",))["code"] == protocol.TOO_LARGE
    sock.send_multipart(protocol.encode({"type": "ping", "id": "still-there"}))
    assert recv_reply(sock, "still-there")["type"] == "pong"
    sock.close()
    assert engine.proc.poll() is None


def test_invalid_events_are_rejected_one_by_one_and_valid_ones_stored(start_engine):
    engine = start_engine()
    sock = raw_dealer(engine.endpoint)
    good = make_event("accept", "tl", "d1")
    bad_kind = {**make_event("accept", "tl", "d2"), "kind": "like"}
    bad_time = {**make_event("reject", "tl", "d3"), "time": "yesterday"}
    sock.send_multipart(
        protocol.encode({"type": "feedback", "id": "fb", "events": [good, bad_kind, bad_time, 7]})
    )
    ack = recv_reply(sock, "fb")
    assert ack["type"] == "ack" and ack["event_ids"] == [good["event_id"]]
    assert [r["event_id"] for r in ack["rejected"]] == [bad_kind["event_id"], bad_time["event_id"], None]
    sock.close()


def test_an_event_whose_value_is_not_its_kinds_shape_is_rejected_with_the_reason(start_engine):
    engine = start_engine()
    sock = raw_dealer(engine.endpoint)
    trim = make_event("trim", "tl", "d1", trim_value(1.0, 2.5, 3, -2, (25, 1)))
    old_blender_trim = {**trim, "event_id": "old-blender", "value": {"head_frames": 3, "before": {}}}
    resolve_style_reorder = {
        **make_event("reorder", "tl", "d2", reorder_value(3, 0)),
        "value": {"from_index": 3, "to_index": 0},
    }
    sock.send_multipart(
        protocol.encode(
            {"type": "feedback", "id": "fb", "events": [trim, old_blender_trim, resolve_style_reorder]}
        )
    )
    ack = recv_reply(sock, "fb")
    assert ack["event_ids"] == [trim["event_id"]]
    reasons = {r["event_id"]: r["reason"] for r in ack["rejected"]}
    assert reasons[old_blender_trim["event_id"]] == "trim value missing source_start, source_end"
    assert reasons[resolve_style_reorder["event_id"]] == "reorder value missing from, to"
    sock.close()


def test_two_clients_at_once_each_get_their_own_pushes(start_engine, make_client):
    engine = start_engine()
    first = make_client(engine.endpoint, client_name="blender")
    second = make_client(engine.endpoint, client_name="resolve")
    a = first.submit([{"path": str(PROBE_CLIP)}], "", kind="probe")
    b = second.submit(
        [{"path": str(MEDIA / "talking_head" / "video_retalking" / "face_1.mp4")}], "", kind="probe"
    )
    events_a = [make_event("accept", "tl-a", f"d{i}") for i in range(200)]
    events_b = [make_event("reject", "tl-b", f"d{i}") for i in range(200)]
    first.send_feedback(events_a)
    second.send_feedback(events_b)
    results: dict[str, dict] = {}
    deadline = time.monotonic() + 120
    while len(results) < 2 and time.monotonic() < deadline:
        for who, client in (("a", first), ("b", second)):
            for message in client.poll(timeout_ms=20):
                assert message["job_id"] == (a if who == "a" else b), f"client {who} got another's push"
                if message["type"] == "result":
                    results[who] = message
    assert results["a"]["report"]["media"][0]["video"]["frames"] == 720
    assert results["b"]["report"]["media"][0]["path"].endswith("face_1.mp4")
    assert first.flush(10) == 0 and second.flush(10) == 0
    status = first.status()
    assert {j["job_id"] for j in status["jobs"]} == {a, b}


def test_engine_heartbeats_reach_a_quiet_client_and_silent_clients_are_forgotten(start_engine, make_client):
    engine = start_engine(heartbeat_interval_s=0.2)
    sock = raw_dealer(engine.endpoint)
    sock.send_multipart(protocol.encode({"type": "hello", "id": "h"}))
    assert recv_reply(sock, "h")["type"] == "welcome"
    beat = recv_reply(sock, kinds=("heartbeat",), timeout_s=5)
    assert beat["instance"]
    sock.close()  # and says nothing more: after 3 intervals the engine counts only the live client
    client = make_client(engine.endpoint, heartbeat_s=0.2)
    deadline = time.monotonic() + 10
    while client.status()["engine"]["clients"] != 1:
        assert time.monotonic() < deadline, "the engine never forgot the silent client"
        client.poll(timeout_ms=100)


def test_a_silent_engine_is_reported_lost_after_three_heartbeats(start_engine, make_client):
    engine = start_engine()
    client = make_client(engine.endpoint, heartbeat_s=0.25)  # no autostart: the job is reported lost
    job_id = client.submit([{"path": str(PROBE_CLIP)}] * 20, "", kind="probe")
    _wait_for_progress(client, job_id, "decode")
    os.kill(engine.proc.pid, signal.SIGSTOP)
    try:
        with pytest.raises(JobFailed) as lost:
            client.wait(job_id, timeout_s=3.0)
        assert lost.value.code == "engine_lost"
    finally:
        os.kill(engine.proc.pid, signal.SIGCONT)


def test_non_loopback_endpoint_without_keys_refuses_to_start(tmp_path):
    data_dir = tmp_path / "data"
    argv = engine_argv("tcp://0.0.0.0:" + free_endpoint().rsplit(":", 1)[1], data_dir)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 2
    said = " ".join(done.stderr.split())
    assert "not a loopback address" in said and "autoedit keys" in said
    assert not data_dir.exists()  # refused before writing anything


def test_curve_keys_let_known_clients_in_and_keep_others_out(tmp_path, make_client):
    keys = tmp_path / "keys"
    made = subprocess.run(
        [sys.executable, "-m", "engine", "keys", str(keys), "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert made.returncode == 0, made.stderr
    assert {p.name for p in keys.iterdir()} >= {
        "server.key",
        "server.key_secret",
        "client.key",
        "client.key_secret",
    }
    assert oct((keys / "server.key_secret").stat().st_mode & 0o777) == "0o600"
    port = free_endpoint().rsplit(":", 1)[1]
    proc = subprocess.Popen(
        engine_argv(f"tcp://0.0.0.0:{port}", tmp_path / "data", "--keys", str(keys)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"tcp://127.0.0.1:{port}"
        trusted = make_client(
            endpoint, server_public_key=keys / "server.key", client_key=keys / "client.key_secret"
        )
        assert trusted.ensure_engine(timeout_s=30)["pid"] == proc.pid
        assert trusted.ping()["type"] == "pong"
        public, secret = zmq.curve_keypair()
        stranger = make_client(
            endpoint,
            server_public_key=keys / "server.key",
            client_key=(public, secret),
            request_timeout_s=0.3,
            retries=1,
        )
        with pytest.raises(EngineUnavailable):
            stranger.ping(timeout_s=0.5)
        plain = make_client(endpoint, request_timeout_s=0.3, retries=1)
        with pytest.raises(EngineUnavailable):
            plain.ping(timeout_s=0.5)
        assert trusted.ping()["type"] == "pong"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
