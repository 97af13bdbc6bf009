"""What the speech edit cut, on the Resolve timeline (issue 13): a Red marker per join that closed over
cut speech (name "<kind>: <text>", the reason in the note), and a note for the audio fades Resolve's
scripting API cannot set. Fake Resolve (documented calls), the real engine on the demo interview."""

from __future__ import annotations

import json
from fractions import Fraction

import opentimelineio as otio
import pytest
from autoedit_resolve import actions, dialog, speech_notes
from autoedit_resolve.otio_json import parse_timeline

from .fake_resolve import FakeResolve


@pytest.fixture(scope="module")
def interview(tmp_path_factory) -> str:
    from engine.synthetic import demo_footage

    return str(demo_footage(tmp_path_factory.mktemp("speech-footage"))["interview"].path)


def test_cut_speech_becomes_red_markers_at_its_joins(host_settings, interview):
    resolve = FakeResolve(version=(19, 1, 4))
    resolve.GetProjectManager().GetCurrentProject().GetMediaPool().ui_select([interview])
    request = dialog.request_from_values({"prompt": "tighten the interview, remove silences and the ums"})
    outcome = actions.auto_edit(resolve, request, host_settings)

    removed = outcome.result["report"]["speech_removed"]
    placed = [r for r in removed if r["record_s"] is not None]
    assert any(r["kind"] == "aside" and "where was" in r["text"].lower() for r in placed), removed
    rate = Fraction(25)
    markers = {
        frame: info
        for frame, info in outcome.timeline.GetMarkers().items()
        if info["customData"].startswith(speech_notes.SPEECH_MARKER_PREFIX)
    }
    assert {info["color"] for info in markers.values()} == {"Red"}
    frames = {max(1, round(Fraction(str(r["record_s"])) * rate)) for r in placed}
    assert set(markers) == {float(f) for f in frames}
    aside = next(r for r in placed if r["kind"] == "aside")
    info = markers[float(max(1, round(Fraction(str(aside["record_s"])) * rate)))]
    assert f"Cut aside: {aside['text']}" in info["note"] and aside["reason"] in info["note"]
    assert info["name"].split(": ")[0] in ("filler", "false start", "repeat", "retake", "aside")
    assert "Audio: the dialog fades here" in info["note"]  # a jump in the dialog: the fade Resolve cannot set
    assert any("Resolve's scripting API sets no audio fades" in n for n in outcome.notes)


def _engine(removed: list[dict]) -> str:
    timeline = otio.schema.Timeline(name="t", global_start_time=otio.opentime.RationalTime(0, 25))
    timeline.metadata["autoedit"] = {"timeline_id": "t", "speech_removed": removed}
    return json.dumps(json.loads(timeline.to_json_string()))


def test_cuts_at_one_join_share_its_marker_and_unplaced_ones_have_none():
    removed = [
        {"kind": "filler", "text": "um", "reason": 'filler "um"', "record_s": 2.0},
        {"kind": "false_start", "text": "we go", "reason": '"go" restarted', "record_s": 2.0},
        {"kind": "aside", "text": "where was I", "reason": "aside", "record_s": None},
    ]
    (marker,) = speech_notes.speech_markers(parse_timeline(_engine(removed)), Fraction(25))
    assert (marker.frame, marker.name) == (50, "filler: um (+1 more)")
    assert marker.note == 'Cut filler: um: filler "um"\nCut false start: we go: "go" restarted'
    assert marker.custom_data == "autoedit-speech:false_start,filler"
    assert speech_notes.fade_note(parse_timeline(_engine(removed))) is None  # no dialog fades here
