"""The window's flow without the window: a click starts the job, a timer pumps it, Cancel cancels it.

`entry._window_action` is what the Auto Edit window's buttons call; the window's side is the small
protocol it is given (status, progress, start_timer, stop_timer). Here that protocol records what it is
told, and the test plays the timer by calling the step it was handed until the job ends.
"""

from __future__ import annotations

import time
import uuid
from fractions import Fraction

import pytest
from autoedit_resolve import dialog
from autoedit_resolve.entry import _window_action
from autoedit_resolve.errors import HostError

from .fake_resolve import FakeResolve


class Window:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.step = None
        self.cancel = None

    def status(self, text: str) -> None:
        self.lines.append(text)

    def progress(self, fraction: float, text: str) -> None:
        self.lines.append(f"{int(round(fraction * 100))}% {text}")

    def start_timer(self, step, cancel=None) -> None:
        self.step, self.cancel = step, cancel

    def stop_timer(self) -> None:
        self.step = None

    def pump_until_done(self, deadline_s: float = 300.0) -> None:
        """The UI timer: tick until the step says the job is over (each tick waits on the socket)."""
        end = time.monotonic() + deadline_s
        while not self.step():
            assert time.monotonic() < end, "the job did not finish"


def test_window_click_and_timer_ticks_make_the_timeline(host_settings, edit_media):
    resolve = FakeResolve()
    resolve.GetProjectManager().GetCurrentProject().GetMediaPool().ui_select(edit_media)
    window = Window()
    on_action = _window_action(resolve, host_settings)
    on_action(
        dialog.EDIT,
        {"prompt": "quick highlight reel", "source": "selected", "duration": "8", "seed": "6"},
        window,
    )
    assert window.step is not None and window.lines == ["Editing..."]
    window.pump_until_done()
    assert window.lines[-1].startswith("Created timeline 'AutoEdit - quick highlight reel'")
    assert len(resolve.calls.named("ImportTimelineFromFile")) == 1

    on_action(dialog.FEEDBACK, {}, window)
    assert window.lines[-1].startswith("Feedback: 0 accepted, 0 rejected")


def test_cancel_in_the_window_stops_the_job_and_imports_nothing(host_settings, tmp_path):
    """A clip nobody analysed yet (unique content), so the job is still running when Cancel arrives."""
    from engine.synthetic import write_cuts

    fresh = tmp_path / f"fresh-{uuid.uuid4().hex[:8]}.mp4"
    frames = 240 + uuid.uuid4().int % 48
    write_cuts(fresh, Fraction(25), [60, 130, 200], frames)
    resolve = FakeResolve()
    resolve.GetProjectManager().GetCurrentProject().GetMediaPool().ui_select([str(fresh)])
    window = Window()
    _window_action(resolve, host_settings)(
        dialog.EDIT, {"prompt": "quick highlight reel", "duration": "4"}, window
    )
    window.cancel()
    with pytest.raises(HostError, match="cancelled"):
        window.pump_until_done()
    assert resolve.calls.named("ImportTimelineFromFile") == []
    assert resolve.GetProjectManager().GetCurrentProject().GetTimelineCount() == 0
