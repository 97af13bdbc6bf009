"""The main job through the engine: a real edit comes back as OTIO + exports, and feedback on it is stored."""

from __future__ import annotations

import time

import opentimelineio as otio
import pytest

from bridge.client import JobFailed
from bridge.events import make_event
from engine.learning.store import default_store


def test_edit_job_returns_the_timeline_exports_and_takes_feedback_on_its_decisions(
    synthetic, engine_data_dir, start_engine, make_client
):
    clip = synthetic["cuts_25"]
    media_before = sorted(p.name for p in clip.path.parent.iterdir())
    engine = start_engine(data_dir=engine_data_dir, env={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    client = make_client(engine.endpoint)
    job_id = client.submit(
        [{"path": str(clip.path)}], "a short cut", {"exports": ["fcp7"], "target_duration": 3}
    )
    stages: set[str] = set()
    result = client.wait(job_id, on_progress=lambda m: stages.add(m["stage"].split("/")[0]), timeout_s=600)
    assert {"plan", "analyse"} <= stages

    timeline = otio.adapters.read_from_string(result["otio"], "otio_json")
    assert timeline.metadata["autoedit"]["timeline_id"] == result["timeline_id"]
    clips = list(timeline.find_clips())
    assert clips and all(c.metadata["autoedit"]["decision_id"] for c in clips)
    assert "<xmeml" in result["exports"]["fcp7"]
    assert result["report"]["timeline_id"] == result["timeline_id"]

    decision = clips[0].metadata["autoedit"]["decision_id"]
    event = make_event("accept", result["timeline_id"], decision, {})
    client.send_feedback([event])
    assert client.flush(timeout_s=30) == 0
    store = default_store(engine_data_dir)
    try:
        assert store.timeline(result["timeline_id"]) is not None
        assert event["event_id"] in {e["event_id"] for e in store.events()}
    finally:
        store.close()
    assert sorted(p.name for p in clip.path.parent.iterdir()) == media_before


def test_cancelling_an_edit_during_cold_analysis_ends_it_within_a_second(
    shared_media, start_engine, make_client, tmp_path
):
    # A fresh data dir: nothing cached, so the job is deep in model work (shots, faces, speech) when cancelled.
    clip = shared_media / "talking_head" / "video_retalking" / "face_1.mp4"
    engine = start_engine(data_dir=tmp_path / "engine", env={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    client = make_client(engine.endpoint)
    job_id = client.submit([{"path": str(clip)}], "a short cut", {"target_duration": 3})
    deadline = time.monotonic() + 120
    while not any(
        m.get("job_id") == job_id and m["type"] == "progress" and m["stage"].startswith("analyse/")
        for m in client.poll(timeout_ms=100)
    ):
        assert time.monotonic() < deadline, "the edit never reported analysis progress"
    assert client.cancel(job_id)["state"] == "cancelled"
    with pytest.raises(JobFailed) as failed:
        client.wait(job_id, timeout_s=1.0)  # TimeoutError here would mean the cancel took over a second
    assert failed.value.code == "cancelled"
    assert client.status(job_id)["job"]["state"] == "cancelled"
    # The engine keeps serving: a cheap job submitted next completes once the cancelled work has unwound.
    probe = client.submit([{"path": str(clip)}], "", kind="probe")
    assert client.wait(probe, timeout_s=300)["type"] == "result"
