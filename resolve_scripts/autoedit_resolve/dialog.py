"""The Auto Edit dialog: a UIManager window inside Resolve, console prompts everywhere else.

Both produce the same thing: an action ("edit" | "feedback" | "edit-back" | "transcript" |
"from-transcript") and, for "edit", an EditRequest parsed by `request_from_values` from the strings the
user typed; for the transcript round trip, a TranscriptRequest (the text file, and where the words come
from). The UIManager window uses
Fusion's UI Manager (fusion.UIManager + bmd.UIDispatcher), which Resolve exposes to scripts run from
Workspace > Scripts; it is not part of the Resolve scripting README, so the window is used only when
both objects are there, and the job is pumped from a UI timer so the window stays responsive.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .actions import ASPECTS, EditRequest
from .errors import HostError
from .media_refs import CURRENT_TIMELINE, SELECTED_CLIPS

EDIT = "edit"
FEEDBACK = "feedback"
EDIT_BACK = "edit-back"
TRANSCRIPT = "transcript"  # write the clips' words to a text file to edit
FROM_TRANSCRIPT = "from-transcript"  # the edited text file -> a new timeline
ACTIONS = {
    "1": EDIT,
    "2": FEEDBACK,
    "3": EDIT_BACK,
    "4": TRANSCRIPT,
    "5": FROM_TRANSCRIPT,
    EDIT: EDIT,
    FEEDBACK: FEEDBACK,
    EDIT_BACK: EDIT_BACK,
    TRANSCRIPT: TRANSCRIPT,
    FROM_TRANSCRIPT: FROM_TRANSCRIPT,
}
SOURCES = {
    "1": SELECTED_CLIPS,
    "2": CURRENT_TIMELINE,
    SELECTED_CLIPS: SELECTED_CLIPS,
    CURRENT_TIMELINE: CURRENT_TIMELINE,
}
SOURCE_LABELS = (("Selected Media Pool clips", SELECTED_CLIPS), ("Current timeline", CURRENT_TIMELINE))


def parse_duration(text: str | None) -> float | None:
    """'' -> None; '30', '30s', '1:30', '90.5' -> seconds. HostError on anything else."""
    text = (text or "").strip().lower()
    if not text:
        return None
    match = re.fullmatch(r"(?:(\d+):)?(\d+(?:\.\d+)?)\s*(?:s|sec|seconds)?", text)
    if not match:
        raise HostError(f"Duration {text!r} is not a number of seconds (e.g. 30 or 1:30).")
    minutes, seconds = match.groups()
    value = float(seconds) + 60 * int(minutes or 0)
    if value <= 0:
        raise HostError("Duration must be more than 0 seconds.")
    return value


@dataclass(frozen=True)
class TranscriptRequest:
    path: str  # the text file: written by TRANSCRIPT, read by FROM_TRANSCRIPT
    source: str = SELECTED_CLIPS  # whose words TRANSCRIPT writes


def transcript_from_values(values: dict[str, Any]) -> TranscriptRequest:
    """The window's (or the prompts') transcript path and media source -> a TranscriptRequest."""
    path = str(values.get("transcript") or "").strip()
    if not path:
        raise HostError("Type the transcript file's full path (e.g. /home/me/interview.txt).")
    source = SOURCES.get(str(values.get("source") or SELECTED_CLIPS).strip())
    if source is None:
        raise HostError(
            f"Media source must be 1 (selected clips) or 2 (current timeline), not {values.get('source')!r}."
        )
    return TranscriptRequest(path, source)


def request_from_values(values: dict[str, Any]) -> EditRequest:
    """The dialog's strings -> a validated EditRequest."""
    source = SOURCES.get(str(values.get("source") or SELECTED_CLIPS).strip())
    if source is None:
        raise HostError(
            f"Media source must be 1 (selected clips) or 2 (current timeline), not {values.get('source')!r}."
        )
    aspect = str(values.get("aspect") or "").strip() or None
    seed_text = str(values.get("seed") or "0").strip() or "0"
    if not re.fullmatch(r"-?\d+", seed_text):
        raise HostError(f"Seed must be a whole number, not {seed_text!r}.")
    request = EditRequest(
        prompt=str(values.get("prompt") or "").strip(),
        source=source,
        duration_s=parse_duration(values.get("duration")),
        aspect=aspect,
        style=str(values.get("style") or "").strip() or None,
        music=str(values.get("music") or "").strip() or None,
        seed=int(seed_text),
        captions=str(values.get("captions") or "").strip().lower() in ("1", "y", "yes", "true", "on"),
        timeline_name=str(values.get("timeline_name") or "").strip() or None,
    )
    request.validate()
    return request


def console_prompts(
    ask: Callable[[str], str] = input, say: Callable[[str], None] = print
) -> tuple[str, EditRequest | TranscriptRequest | None]:
    """Questions on the console (Resolve's Console window, or a terminal for external scripting)."""
    say(
        "AutoEdit - 1) Auto Edit  2) Send feedback (clip colours/flags)  3) Send my edit back  "
        "4) Write transcript  5) Edit from transcript"
    )
    action = ACTIONS.get(ask("Action [1]: ").strip() or "1")
    if action is None:
        raise HostError("Choose 1, 2, 3, 4 or 5.")
    if action == TRANSCRIPT:
        values = {
            "source": ask("Media: 1) selected Media Pool clips  2) current timeline [1]: ") or "1",
            "transcript": ask("Write the transcript to (full path of a .txt file): "),
        }
        return action, transcript_from_values(values)
    if action == FROM_TRANSCRIPT:
        return action, transcript_from_values({"transcript": ask("Edited transcript file (full path): ")})
    if action != EDIT:
        return action, None
    values = {
        "prompt": ask("Prompt (e.g. 'a 30 second highlight reel with music'): "),
        "source": ask("Media: 1) selected Media Pool clips  2) current timeline [1]: ") or "1",
        "duration": ask("Target duration in seconds (empty: let the prompt decide): "),
        "aspect": ask(f"Aspect ({'/'.join(ASPECTS)}, empty: keep the source's): "),
        "style": ask("Style (optional): "),
        "music": ask("Music file (optional, full path): "),
    }
    return action, request_from_values(values)


def uimanager_dialog(fusion: Any, bmd: Any, on_action: Callable[[str, dict[str, Any], Any], None]) -> None:
    """Show the window; `on_action(action, values, window_api)` runs the chosen action.

    window_api has .status(text), .progress(fraction, text), .start_timer(step, interval_ms) and
    .stop_timer(), so the caller can pump a job from the UI loop.
    """
    ui = fusion.UIManager
    disp = bmd.UIDispatcher(ui)
    win = disp.AddWindow(
        {"ID": "AutoEditWin", "WindowTitle": "AutoEdit", "Geometry": [200, 200, 620, 370]},
        ui.VGroup(
            [
                ui.HGroup(
                    [
                        ui.Label({"Text": "Prompt", "Weight": 0.2}),
                        ui.LineEdit(
                            {"ID": "prompt", "PlaceholderText": "a 30 second highlight reel with music"}
                        ),
                    ]
                ),
                ui.HGroup([ui.Label({"Text": "Media", "Weight": 0.2}), ui.ComboBox({"ID": "source"})]),
                ui.HGroup(
                    [
                        ui.Label({"Text": "Duration (s)", "Weight": 0.2}),
                        ui.LineEdit({"ID": "duration", "PlaceholderText": "from the prompt"}),
                    ]
                ),
                ui.HGroup([ui.Label({"Text": "Aspect", "Weight": 0.2}), ui.ComboBox({"ID": "aspect"})]),
                ui.HGroup([ui.Label({"Text": "Style", "Weight": 0.2}), ui.LineEdit({"ID": "style"})]),
                ui.HGroup(
                    [
                        ui.Label({"Text": "Music", "Weight": 0.2}),
                        ui.LineEdit({"ID": "music", "PlaceholderText": "full path (optional)"}),
                    ]
                ),
                ui.HGroup(
                    [
                        ui.Label({"Text": "Transcript", "Weight": 0.2}),
                        ui.LineEdit({"ID": "transcript", "PlaceholderText": "full path of a .txt file"}),
                        ui.Button({"ID": "transcriptout", "Text": "Write transcript"}),
                        ui.Button({"ID": "transcriptin", "Text": "Edit from transcript"}),
                    ]
                ),
                ui.HGroup(
                    [
                        ui.Button({"ID": "edit", "Text": "Auto Edit"}),
                        ui.Button({"ID": "feedback", "Text": "Send feedback"}),
                        ui.Button({"ID": "editback", "Text": "Send my edit back"}),
                        ui.Button({"ID": "cancel", "Text": "Cancel job"}),
                    ]
                ),
                ui.Label(
                    {
                        "ID": "status",
                        "Text": "Green = accept, Orange (or a Red flag) = reject.",
                        "WordWrap": True,
                    }
                ),
            ]
        ),
    )
    items = win.GetItems()
    # A UI Manager timer (created apart from the layout; its Timeout arrives on the dispatcher) pumps the
    # job. Without one, the job runs to the end in the click handler, the window frozen meanwhile.
    timer = ui.Timer({"ID": "AutoEditPump", "Interval": 200}) if getattr(ui, "Timer", None) else None
    for label, _ in SOURCE_LABELS:
        items["source"].AddItem(label)
    items["aspect"].AddItem("")
    for aspect in ASPECTS:
        items["aspect"].AddItem(aspect)
    state: dict[str, Any] = {"step": None, "cancel": None}

    class WindowApi:
        def status(self, text: str) -> None:
            items["status"].Text = text

        def progress(self, fraction: float, text: str) -> None:
            items["status"].Text = f"{int(round(fraction * 100))}%  {text}"

        def start_timer(self, step: Callable[[], bool], cancel: Callable[[], None] | None = None) -> None:
            state["step"], state["cancel"] = step, cancel
            if timer is not None:
                timer.Start()
                return
            while not step():
                pass

        def stop_timer(self) -> None:
            if timer is not None:
                timer.Stop()
            state["step"] = None

    api = WindowApi()

    def values() -> dict[str, Any]:
        return {
            "prompt": items["prompt"].Text,
            "source": SOURCE_LABELS[int(items["source"].CurrentIndex or 0)][1],
            "duration": items["duration"].Text,
            "aspect": items["aspect"].CurrentText,
            "style": items["style"].Text,
            "music": items["music"].Text,
            "transcript": items["transcript"].Text,
        }

    def run(action: str) -> None:
        try:
            on_action(action, values(), api)
        except HostError as exc:
            api.stop_timer()
            api.status(str(exc))

    def on_pump(_ev: Any) -> None:
        step = state["step"]
        if step is None:
            return
        try:
            if step():
                api.stop_timer()
        except HostError as exc:
            api.stop_timer()
            api.status(str(exc))

    def on_cancel(_ev: Any) -> None:
        if state["cancel"] is not None:
            state["cancel"]()
            api.status("Cancelling...")

    win.On.edit.Clicked = lambda ev: run(EDIT)
    win.On.feedback.Clicked = lambda ev: run(FEEDBACK)
    win.On.editback.Clicked = lambda ev: run(EDIT_BACK)
    win.On.transcriptout.Clicked = lambda ev: run(TRANSCRIPT)
    win.On.transcriptin.Clicked = lambda ev: run(FROM_TRANSCRIPT)
    win.On.cancel.Clicked = on_cancel
    disp.On.Timeout = on_pump
    win.On.AutoEditWin.Close = lambda ev: disp.ExitLoop()
    win.Show()
    disp.RunLoop()
    win.Hide()
