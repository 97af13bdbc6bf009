"""The free edition's Lua entry (real Lua 5.1 through lupa, fake Resolve, real engine) for issue 13:
its transcript buttons write the words and make a timeline of the edited file, and a tightened edit
gets the Red markers of the speech it cut, the way the Python entry does."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from autoedit_resolve import speech_notes

from .fake_resolve import FakeResolve
from .test_resolve_lua_entry import LuaView, lua_script  # noqa: F401  (the fixture)

PARAGRAPH = re.compile(r"^\[1 (\d+\.\d{3})-(\d+\.\d{3})\]")


@pytest.fixture(scope="module")
def interview(tmp_path_factory) -> str:
    from engine.synthetic import demo_footage

    return str(demo_footage(tmp_path_factory.mktemp("lua-speech"))["interview"].path)


def test_lua_transcript_buttons_and_speech_markers(lua_script, interview, tmp_path):  # noqa: F811
    runtime, M, _data_dir = lua_script
    resolve = FakeResolve(version=(19, 1, 4))
    resolve.GetProjectManager().GetCurrentProject().GetMediaPool().ui_select([interview])
    app = LuaView(runtime, resolve)
    text_file = tmp_path / "interview.txt"

    ok, message = M.transcript(app, runtime.table_from({"source": "selected", "transcript": str(text_file)}))
    assert ok, message
    assert message.startswith("Wrote ") and str(text_file) in message
    lines = text_file.read_text(encoding="utf-8").splitlines()
    paragraphs = [k for k, line in enumerate(lines) if PARAGRAPH.match(line)]
    gone = next(k for k in paragraphs if "cracks." in lines[k])
    text_file.write_text("\n".join(lines[:gone] + lines[gone + 1 :]) + "\n", encoding="utf-8")
    ok, message = M.from_transcript(app, runtime.table_from({"transcript": str(text_file)}))
    assert ok, message
    assert message == "Created timeline 'AutoEdit - interview' from the edited transcript."
    project = resolve.GetProjectManager().GetCurrentProject()
    made = project.GetCurrentTimeline()
    assert len(made.GetItemListInTrack("video", 1)) == len(paragraphs) - 1

    ok, message = M.from_transcript(app, runtime.table_from({"transcript": str(tmp_path / "none.txt")}))
    assert not ok and "No transcript file" in message

    values = {"prompt": "tighten the interview, remove silences and the ums", "source": "selected"}
    ok, message = M.edit(app, runtime.table_from(values))
    assert ok, message
    timeline = project.GetCurrentTimeline()
    speech = {
        f: info
        for f, info in timeline.GetMarkers().items()
        if info["customData"].startswith(speech_notes.SPEECH_MARKER_PREFIX)
    }
    assert speech and {info["color"] for info in speech.values()} == {"Red"}
    assert any(
        "Cut aside: " in info["note"] and "where was" in info["note"].lower() for info in speech.values()
    )
    assert all(f >= 1 and Fraction(f).denominator == 1 for f in speech)
