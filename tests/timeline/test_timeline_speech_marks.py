"""Each cut disfluency lands at the join that closed over it, as a named red marker the hosts show,
and the timeline lists them all (issue 13)."""

from __future__ import annotations

import json
from fractions import Fraction

import opentimelineio as otio
import pytest

from engine.config import load_config
from engine.editing import MediaRef, run_edit
from engine.progress import Job
from engine.timeline.placement import PlacedClip
from engine.timeline.speech_marks import join_time, mark_removed_speech, marker_name

RATE = Fraction(25)


def _clips(*spans: tuple[str, float, float]) -> list[PlacedClip]:
    out, at = [], Fraction(0)
    for k, (path, a, b) in enumerate(spans):
        start, end = round(a * RATE), round(b * RATE)
        out.append(
            PlacedClip(
                decision_id=f"d{k}",
                reason="r",
                media_index=0,
                path=path,
                rate=RATE,
                start=start,
                end=end,
                record_start=at,
                record_end=at + Fraction(end - start) / RATE,
                kind="speech",
            )  # fmt: skip
        )
        at = out[-1].record_end
    return out


def _removed(kind: str, start: float, end: float, text: str, path: str = "/a.mp4") -> dict:
    return {"path": path, "kind": kind, "start": start, "end": end, "text": text, "reason": f"{kind} {text}"}


def test_each_cut_sits_at_its_join_and_one_outside_the_edit_has_none():
    clips = _clips(("/a.mp4", 0.0, 2.0), ("/a.mp4", 2.6, 5.0), ("/b.mp4", 1.0, 3.0), ("/a.mp4", 9.0, 10.0))
    um = _removed("filler", 2.1, 2.5, "um")  # between clips 0 and 1
    lead = _removed("false_start", 0.4, 0.9, "we go", path="/b.mp4")  # /b's clip is not first: no join
    gone = _removed("aside", 6.0, 7.0, "where was I")  # in the stretch 5-9 s the edit left out: no join
    assert join_time(clips, um) == clips[0].record_end == 2
    assert join_time(clips, lead) is None
    assert join_time(clips, gone) is None
    first = _removed("filler", 0.0, 0.3, "uh")
    assert join_time(_clips(("/a.mp4", 0.5, 2.0)), first) == 0  # before the first clip: its start

    timeline = otio.schema.Timeline(name="t")
    timeline.metadata["autoedit"] = {"timeline_id": "t"}
    listed = mark_removed_speech(timeline, clips, [um, lead, gone], RATE)
    assert [e["record_s"] for e in listed] == [2.0, None, None]
    (marker,) = timeline.tracks.markers
    assert marker.name == "filler: um" and marker.color == otio.schema.MarkerColor.RED
    assert marker.marked_range.start_time == otio.opentime.RationalTime(50, 25)
    assert marker.metadata["autoedit"]["note"] == "filler um"
    stored = json.loads(timeline.to_json_string())["metadata"]["autoedit"]["speech_removed"]
    assert [e["text"] for e in stored] == ["um", "we go", "where was I"]


def test_marker_names_are_short_and_say_the_kind():
    long = _removed("retake", 0, 1, "and then we take the chisel and we go along the grain very slowly")
    assert marker_name(long).startswith("retake: and then") and len(marker_name(long)) <= 60
    assert marker_name(_removed("false_start", 0, 1, "we  go")) == "false start: we go"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from engine.synthetic import demo_footage

    return demo_footage(tmp_path_factory.mktemp("demo-footage"))


def test_the_demo_tighten_marks_the_derailment_where_it_was_cut(demo, engine_data_dir):
    config = load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    prompt = "tighten the interview, remove silences and the ums"
    result = run_edit([MediaRef(demo["interview"].path)], prompt, config, engine_data_dir, Job())
    removed = result.report["speech_removed"]
    aside = next(r for r in removed if r["kind"] == "aside" and "where was" in r["text"].lower())
    assert aside["record_s"] is not None
    clips = result.report["clips"]
    assert any(abs(c["record_end"] - aside["record_s"]) < 1e-3 for c in clips), (aside, clips)
    markers = {m.name: m for m in result.timeline.tracks.markers}
    placed = [r for r in removed if r["record_s"] is not None]
    assert len(markers) == len(placed) and any(n.startswith("aside: ") for n in markers)
