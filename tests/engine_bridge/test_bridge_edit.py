"""The main job through the engine: a real edit comes back as OTIO + exports, and feedback on it is stored."""

from __future__ import annotations

import opentimelineio as otio

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
