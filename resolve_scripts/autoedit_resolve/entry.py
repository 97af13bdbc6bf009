"""What "Auto Edit.py" (Workspace > Scripts > Utility) and the console script run.

`run_action` is the one place an action turns into work, for the window, the prompts and the console
script alike; `main` picks the window when Resolve's UI Manager is there and console prompts otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import actions, dialog
from .errors import HostError
from .settings import HostSettings

TRANSCRIPT_KINDS = {dialog.TRANSCRIPT: actions.TRANSCRIPT, dialog.FROM_TRANSCRIPT: actions.TRANSCRIPT_EDIT}


def transcript_done(outcome: Any) -> str:
    """What the window and the console say when a transcript job ends."""
    if isinstance(outcome, actions.TranscriptWritten):
        return (
            f"Wrote {outcome.words} words to {outcome.path}. Delete words or paragraphs, move paragraphs, "
            "save, then Edit from transcript."
        )
    return f"Created timeline '{outcome.timeline.GetName()}' from the edited transcript."


def _progress_lines(say: Callable[[str], None]) -> Callable[[str, float, str], None]:
    def progress(stage: str, fraction: float, message: str) -> None:
        say(f"  {int(round(fraction * 100)):3d}%  {stage}  {message}")

    return progress


def run_action(
    resolve: Any,
    action: str,
    request: actions.EditRequest | dialog.TranscriptRequest | None,
    settings: HostSettings,
    say: Callable[[str], None] = print,
    client: Any = None,
) -> Any:
    """Blocking form (console): returns the EditOutcome, TranscriptWritten or FeedbackOutcome and says
    what happened."""
    if action in TRANSCRIPT_KINDS:
        if not isinstance(request, dialog.TranscriptRequest):
            raise HostError("The transcript round trip needs the text file's path.")
        job = actions.TranscriptJob(
            resolve, settings, TRANSCRIPT_KINDS[action], request.path, request.source, client=client
        )
        outcome = job.run(_progress_lines(say))
        say(transcript_done(outcome))
        return outcome
    if action == dialog.EDIT:
        if not isinstance(request, actions.EditRequest):
            raise HostError("Auto Edit needs a prompt.")
        outcome = actions.auto_edit(
            resolve, request, settings, client=client, on_progress=_progress_lines(say)
        )
        say(f"Created timeline '{outcome.timeline.GetName()}' ({outcome.session.import_format} import).")
        for note in outcome.notes:
            say(f"  note: {note}")
        say("Review: colour clips Green to accept, Orange (or add a Red flag) to reject, then Send feedback.")
        return outcome
    if action == dialog.FEEDBACK:
        sent = actions.send_feedback(resolve, settings, client=client)
    elif action == dialog.EDIT_BACK:
        sent = actions.send_edit_back(resolve, settings, client=client)
    else:
        raise HostError(f"Unknown action {action!r}.")
    say(f"Feedback: {sent.summary}.")
    if sent.unacked:
        say(f"{sent.unacked} events wait in the spool; they are sent the next time the engine is reachable.")
    return sent


def _window_action(resolve: Any, settings: HostSettings) -> Callable[[str, dict[str, Any], Any], None]:
    def on_action(action: str, values: dict[str, Any], window: Any) -> None:
        if action in TRANSCRIPT_KINDS:
            asked = dialog.transcript_from_values(values)
            kind = TRANSCRIPT_KINDS[action]
            transcript = actions.TranscriptJob(resolve, settings, kind, asked.path, asked.source)
            transcript.start()
            window.status(
                "Transcribing..." if kind == actions.TRANSCRIPT else "Editing from the transcript..."
            )

            def transcript_step() -> bool:
                outcome = transcript.step(50)
                if outcome is None:
                    stage, fraction, message = transcript.progress
                    window.progress(fraction, f"{stage} {message}")
                    return False
                window.status(transcript_done(outcome))
                return True

            window.start_timer(transcript_step, transcript.cancel)
            return
        if action != dialog.EDIT:
            outcome = run_action(resolve, action, None, settings, say=window.status)
            window.status(f"Feedback: {outcome.summary}.")
            return
        job = actions.EditJob(resolve, dialog.request_from_values(values), settings)
        job.start()
        window.status("Editing...")

        def step() -> bool:
            outcome = job.step(50)
            stage, fraction, message = job.progress
            if outcome is None:
                window.progress(fraction, f"{stage} {message}")
                return False
            window.status(
                f"Created timeline '{outcome.timeline.GetName()}'. Review with clip colours, then Send feedback."
            )
            return True

        window.start_timer(step, job.cancel)

    return on_action


def main(resolve: Any, settings: HostSettings, fusion: Any = None, bmd: Any = None) -> int:
    try:
        if fusion is not None and bmd is not None and getattr(fusion, "UIManager", None) is not None:
            dialog.uimanager_dialog(fusion, bmd, _window_action(resolve, settings))
            return 0
        action, request = dialog.console_prompts()
        run_action(resolve, action, request, settings)
        return 0
    except HostError as exc:
        print(f"AutoEdit: {exc}")
        return 2
