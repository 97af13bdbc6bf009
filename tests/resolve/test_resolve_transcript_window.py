"""The transcript round trip from the Auto Edit window's buttons (issue 13): "Write transcript" writes
the selected clip's words to the file typed in the window, a sentence is deleted by hand, and "Edit from
transcript" makes a new timeline without it. Fake Resolve (documented calls), the real engine, the
window's side played by the recorder the window flow tests use (the buttons call `_window_action`)."""

from __future__ import annotations

import re

import pytest
from autoedit_resolve import dialog
from autoedit_resolve.entry import _window_action, run_action
from autoedit_resolve.errors import HostError

from .fake_resolve import FakeResolve
from .test_resolve_window_flow import Window

PARAGRAPH = re.compile(r"^\[1 (\d+\.\d{3})-(\d+\.\d{3})\]")


@pytest.fixture(scope="module")
def interview(tmp_path_factory) -> str:
    from engine.synthetic import demo_footage

    return str(demo_footage(tmp_path_factory.mktemp("transcript-window"))["interview"].path)


def test_the_window_writes_the_transcript_and_edits_from_it(host_settings, interview, tmp_path):
    resolve = FakeResolve(version=(19, 1, 4))
    resolve.GetProjectManager().GetCurrentProject().GetMediaPool().ui_select([interview])
    on_action = _window_action(resolve, host_settings)
    text_file = tmp_path / "words" / "interview.txt"

    window = Window()
    on_action(dialog.TRANSCRIPT, {"source": "selected", "transcript": f"  {text_file}  "}, window)
    assert window.lines == ["Transcribing..."] and window.step is not None
    window.pump_until_done()
    assert window.lines[-1].startswith("Wrote ") and str(text_file) in window.lines[-1]
    lines = text_file.read_text(encoding="utf-8").splitlines()
    paragraphs = [k for k, line in enumerate(lines) if PARAGRAPH.match(line)]
    gone = next(k for k in paragraphs if "cracks." in lines[k])
    a, b = (float(x) for x in PARAGRAPH.match(lines[gone]).groups())
    text_file.write_text("\n".join(lines[:gone] + lines[gone + 1 :]) + "\n", encoding="utf-8")
    assert not resolve.calls.named("ImportTimelineFromFile")  # writing the words touches no timeline

    window = Window()
    on_action(dialog.FROM_TRANSCRIPT, {"transcript": str(text_file)}, window)
    window.pump_until_done()
    assert window.lines[-1] == "Created timeline 'AutoEdit - interview' from the edited transcript."
    (call,) = resolve.calls.named("ImportTimelineFromFile")
    assert call[0].endswith(".otio")
    timeline = resolve.GetProjectManager().GetCurrentProject().GetTimelineByIndex(1)
    assert timeline.GetName() == "AutoEdit - interview"
    spans = [(i.GetSourceStartTime(), i.GetSourceEndTime()) for i in timeline.GetItemListInTrack("video", 1)]
    assert len(spans) == len(paragraphs) - 1
    for start, end in spans:  # nothing of the deleted sentence is in the new timeline
        assert end <= a + 0.05 or start >= b - 0.05, (start, end, a, b)


def test_the_transcript_buttons_say_what_is_missing(host_settings, tmp_path):
    resolve = FakeResolve(version=(19, 1, 4))
    on_action = _window_action(resolve, host_settings)
    with pytest.raises(HostError, match="transcript file's full path"):
        on_action(dialog.FROM_TRANSCRIPT, {"transcript": "  "}, Window())
    with pytest.raises(HostError, match="No transcript file"):
        on_action(dialog.FROM_TRANSCRIPT, {"transcript": str(tmp_path / "none.txt")}, Window())
    old = FakeResolve(version=(17, 4, 6))
    (tmp_path / "t.txt").write_text("[1 0.000-1.000] Hello.\n", encoding="utf-8")
    with pytest.raises(HostError, match="18.5 or later"):
        _window_action(old, host_settings)(
            dialog.FROM_TRANSCRIPT, {"transcript": str(tmp_path / "t.txt")}, Window()
        )


def test_console_prompts_offer_the_round_trip(host_settings, tmp_path):
    answers = iter(["4", "2", str(tmp_path / "out.txt")])
    action, request = dialog.console_prompts(ask=lambda _q: next(answers), say=lambda _s: None)
    assert action == dialog.TRANSCRIPT
    assert request == dialog.TranscriptRequest(str(tmp_path / "out.txt"), "timeline")
    answers = iter(["5", str(tmp_path / "none.txt")])
    action, request = dialog.console_prompts(ask=lambda _q: next(answers), say=lambda _s: None)
    with pytest.raises(HostError, match="No transcript file"):
        run_action(FakeResolve(version=(19, 1, 4)), action, request, host_settings, say=lambda _s: None)
