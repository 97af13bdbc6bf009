"""Dialog -> engine job -> new Resolve timeline -> review marks / the editor's trims -> stored events.

A fake Resolve (documented calls only) and the real engine on loopback; every job is a real edit of
real footage. Seeds differ per test so each test gets its own engine timeline (ids are deterministic).
"""

from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
import pytest
from autoedit_resolve import actions, dialog, marks
from autoedit_resolve.entry import run_action
from autoedit_resolve.errors import HostError
from autoedit_resolve.otio_json import parse_timeline

from engine.learning.pairs import preference_pairs
from engine.learning.store import EventStore

from .fake_resolve import FakeResolve


def _request(
    prompt: str = "quick highlight reel", seed: int = 0, duration: float = 8.0
) -> actions.EditRequest:
    return dialog.request_from_values(
        {"prompt": prompt, "source": "1", "duration": str(duration), "seed": str(seed)}
    )


def _video_items(timeline) -> list:
    return sorted(timeline.GetItemListInTrack("video", 1), key=lambda i: i.GetStart(False))


def _decisions(result: dict) -> list[str]:
    engine = parse_timeline(result["otio"])
    return [c.decision_id for c in engine.track("Video", 1)]


def test_dialog_inputs_make_a_new_timeline_from_the_engines_result(host_settings, edit_media):
    resolve = FakeResolve(version=(19, 1, 4))
    existing = resolve.add_timeline(
        "AutoEdit - quick highlight reel", Fraction(25), [(edit_media[0], 10, 60)]
    )
    before = existing.snapshot()
    pool = resolve.GetProjectManager().GetCurrentProject().GetMediaPool()
    pool.ui_select(edit_media, marks={edit_media[0]: (0, 99)})  # In/Out on the first clip: 0-4 s

    answers = iter(["1", "quick highlight reel", "1", "8", "", "", ""])
    action, request = dialog.console_prompts(ask=lambda _q: next(answers), say=lambda _s: None)
    request.seed = 1
    said: list[str] = []
    outcome = run_action(resolve, action, request, host_settings, say=said.append)

    # ImportTimelineFromFile got one OTIO file that reads back equal to the engine's timeline.
    (call,) = resolve.calls.named("ImportTimelineFromFile")
    path, options, content = call
    assert path.endswith(".otio") and path.startswith(str(host_settings.data_dir))
    engine_timeline = otio.adapters.read_from_string(outcome.result["otio"])
    assert otio.adapters.read_from_string(content.decode("utf-8")).is_equivalent_to(engine_timeline)
    # ... as a new timeline with a name nobody had, leaving the editor's timeline as it was.
    assert options == {"timelineName": "AutoEdit - quick highlight reel 2", "importSourceClips": True}
    project = resolve.GetProjectManager().GetCurrentProject()
    assert project.GetTimelineCount() == 2
    assert existing.snapshot() == before
    assert outcome.timeline.GetName() == "AutoEdit - quick highlight reel 2"
    assert any("Created timeline 'AutoEdit - quick highlight reel 2'" in line for line in said)

    # The Out mark on the first clip bounded what the engine could use of it.
    used = [c for c in outcome.result["report"]["clips"] if c["path"] == edit_media[0]]
    assert used and max(c["source_end"] for c in used) <= 4.0 + 1e-6

    # Every placed clip carries its decision id and reason, coloured for review, in the engine's order.
    items = _video_items(outcome.timeline)
    engine_clips = parse_timeline(outcome.result["otio"]).track("Video", 1)
    assert len(items) == len(engine_clips) >= 3
    for item, clip in zip(items, engine_clips, strict=True):
        (info,) = item.GetMarkers().values()
        assert info["customData"] == clip.decision_id
        assert info["note"] == marks.decision_note(clip.reason, clip.decision_id) and clip.reason
        assert item.GetClipColor() == marks.REVIEW_CLIP_COLOR
        assert info["name"] == marks.decision_name(clip.review_rank) and clip.review_rank  # review order
    names = sorted(next(iter(i.GetMarkers().values()))["name"] for i in items)
    by_rank = sorted(engine_clips, key=lambda c: c.review_rank or 0)
    assert names == [marks.decision_name(c.review_rank) for c in by_rank]  # name order = ask-first order
    assert marks.timeline_id_of(outcome.timeline) == outcome.result["timeline_id"]
    # Both sources kept their own rates on the way in (23.976 and 25).
    rates = {item.GetMediaPoolItem().GetClipProperty("FPS") for item in items}
    assert rates == {"25", "23.976"}


def test_review_marks_become_events_stored_exactly_once(host_settings, edit_media, resolve_engine):
    resolve = FakeResolve()
    resolve.GetProjectManager().GetCurrentProject().GetMediaPool().ui_select(edit_media)
    outcome = actions.auto_edit(resolve, _request(seed=2), host_settings)
    timeline_id = outcome.result["timeline_id"]
    ids = _decisions(outcome.result)
    items = _video_items(outcome.timeline)
    assert len(items) >= 4

    items[0].SetClipColor("Green")  # accept
    items[1].AddFlag("Red")  # reject
    items[2].SetClipColor("Orange")  # reject
    items[3].SetClipColor("Green")  # both ways: skipped
    items[3].AddFlag("Red")

    sent = actions.send_feedback(resolve, host_settings)
    assert sent.unacked == 0
    rows = resolve_engine.rows(timeline_id)
    assert [(r["decision_id"], r["kind"]) for r in rows] == [
        (ids[0], "accept"),
        (ids[1], "reject"),
        (ids[2], "reject"),
    ]
    assert [r["value"] for r in rows] == [{}, {}, {}]  # DESIGN.md: a verdict's value is {}
    assert "1 marked both ways" in sent.summary

    # Sending again without changes sends nothing; the store still has one row per verdict.
    again = actions.send_feedback(resolve, host_settings)
    assert again.events == [] and again.unacked == 0
    assert len(resolve_engine.rows(timeline_id)) == 3

    # A host that crashed after spooling re-delivers the same events: stored once.
    from autoedit_resolve.engine_link import make_client

    client = make_client(host_settings)
    try:
        client.send_feedback(sent.events)
        assert client.flush(10) == 0
    finally:
        client.close()
    assert len(resolve_engine.rows(timeline_id)) == 3

    # Changing a verdict is a new event.
    items[0].SetClipColor("Orange")
    changed = actions.send_feedback(resolve, host_settings)
    assert [(e["decision_id"], e["kind"]) for e in changed.events] == [(ids[0], "reject")]
    assert [(r["decision_id"], r["kind"]) for r in resolve_engine.rows(timeline_id)][-1] == (ids[0], "reject")
    assert len(resolve_engine.rows(timeline_id)) == 4


def test_the_editors_trims_moves_and_removals_become_events(host_settings, edit_media, resolve_engine):
    resolve = FakeResolve()
    resolve.GetProjectManager().GetCurrentProject().GetMediaPool().ui_select(edit_media)
    outcome = actions.auto_edit(resolve, _request(seed=3), host_settings)
    timeline_id = outcome.result["timeline_id"]
    ids = _decisions(outcome.result)
    timeline = outcome.timeline
    items = _video_items(timeline)
    assert len(items) >= 4

    timeline.ui_trim(items[0], head_frames=10, tail_frames=-8)
    timeline.ui_delete(items[1])
    timeline.ui_move(items[-1], 0)

    sent = actions.send_edit_back(resolve, host_settings)
    assert sent.unacked == 0
    (export_call,) = resolve.calls.named("Export")
    assert export_call[1:] == (resolve.EXPORT_OTIO, resolve.EXPORT_NONE)
    assert export_call[0].startswith(str(host_settings.data_dir))

    rows = {(r["decision_id"], r["kind"]): r["value"] for r in resolve_engine.rows(timeline_id)}
    trim = rows[(ids[0], "trim")]
    assert (trim["head_frames"], trim["tail_frames"]) == (10, -8)
    # DESIGN.md's trim value (kept range in the media's seconds) is what the learning loop reads
    store = EventStore(resolve_engine.data_dir / "feedback.sqlite3")
    try:
        decided = {d["decision_id"]: d for d in store.timeline(timeline_id)["decisions"]}[ids[0]]
        pairs = preference_pairs(store)
    finally:
        store.close()
    rate = trim["rate"][0] / trim["rate"][1]
    assert abs(trim["source_start"] - (decided["source_start"] + 10 / rate)) < 1e-6
    assert abs(trim["source_end"] - (decided["source_end"] - 8 / rate)) < 1e-6
    assert ("trim", ids[0], f"{ids[0]}#trimmed") in {(p.source, p.chosen_id, p.rejected_id) for p in pairs}
    assert rows[(ids[1], "reject")] == {"implicit": "deleted"}
    assert rows[(ids[-1], "reorder")]["to"] == 0
    assert set(rows) == {(ids[0], "trim"), (ids[1], "reject"), (ids[-1], "reorder")}

    assert actions.send_edit_back(resolve, host_settings).events == []
    assert len(resolve_engine.rows(timeline_id)) == 3


def test_resolve_before_18_5_imports_the_engines_fcp7_xml(host_settings, edit_media):
    resolve = FakeResolve(version=(17, 4, 6))
    resolve.GetProjectManager().GetCurrentProject().GetMediaPool().ui_select(edit_media)
    outcome = actions.auto_edit(resolve, _request(seed=4), host_settings)

    (call,) = resolve.calls.named("ImportTimelineFromFile")
    path, _options, content = call
    assert path.endswith(".xml") and content.decode("utf-8") == outcome.result["exports"]["fcp7"]
    assert outcome.session.import_format == "fcp7"
    imported = otio.adapters.read_from_file(path, adapter_name="fcp_xml")
    if isinstance(imported, otio.schema.SerializableCollection):
        (imported,) = imported.find_children(descended_from_type=otio.schema.Timeline)
    engine = otio.adapters.read_from_string(outcome.result["otio"])
    ours = list(engine.video_tracks()[0].find_clips())
    theirs = list(imported.video_tracks()[0].find_clips())
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        rate = a.source_range.start_time.rate
        assert abs(b.source_range.start_time.rescaled_to(rate).value - a.source_range.start_time.value) <= 1
        assert abs(b.source_range.duration.rescaled_to(rate).value - a.source_range.duration.value) <= 1
    # FCP7 XML drops metadata; the markers still name the engine's decisions.
    got = [next(iter(i.GetMarkers().values()))["customData"] for i in _video_items(outcome.timeline)]
    assert got == _decisions(outcome.result)


def test_a_timeline_not_made_by_autoedit_is_refused(host_settings, edit_media):
    resolve = FakeResolve()
    resolve.add_timeline("My cut", Fraction(25), [(edit_media[0], 0, 50)])
    with pytest.raises(HostError, match="not made by AutoEdit"):
        actions.send_feedback(resolve, host_settings)
