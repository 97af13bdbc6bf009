"""The three things the editor can do from Resolve: Auto Edit, Send feedback, Send my edit back.

Each takes the `resolve` object and an EngineClient (made from the settings when not given), so the
menu script, the external-scripting console and the tests all run the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from . import edit_back, importer, media_refs, review
from .engine_link import ProgressFn, event_factory, make_client, pump, submit_job
from .errors import HostError
from .session import Session, save
from .settings import HostSettings

ASPECTS = ("16:9", "9:16", "1:1", "4:5")
Outcome = TypeVar("Outcome")


@dataclass
class EditRequest:
    """What the dialog (or console prompts) asked for."""

    prompt: str
    source: str = media_refs.SELECTED_CLIPS
    duration_s: float | None = None
    aspect: str | None = None
    style: str | None = None
    music: str | None = None
    seed: int = 0
    captions: bool = False
    timeline_name: str | None = None

    def validate(self) -> None:
        if not self.prompt or not self.prompt.strip():
            raise HostError("Type a prompt, e.g. 'a 30 second highlight reel with music'.")
        if self.duration_s is not None and self.duration_s <= 0:
            raise HostError(f"Duration must be a positive number of seconds, not {self.duration_s}.")
        if self.aspect and self.aspect not in ASPECTS:
            raise HostError(f"Aspect must be one of {', '.join(ASPECTS)}, not {self.aspect!r}.")
        if self.source not in (media_refs.SELECTED_CLIPS, media_refs.CURRENT_TIMELINE):
            raise HostError(f"Unknown media source {self.source!r}.")

    def options(self, fmt: str) -> dict[str, Any]:
        opts: dict[str, Any] = {"seed": int(self.seed), "captions": bool(self.captions)}
        if self.duration_s:
            opts["target_duration"] = float(self.duration_s)
        if self.aspect:
            opts["aspect"] = self.aspect
        if self.style:
            opts["style"] = self.style
        if self.music:
            opts["music"] = self.music
        if fmt == importer.FCP7:
            opts["exports"] = [importer.FCP7]
        return opts


@dataclass
class EditOutcome:
    timeline: Any
    session: Session
    result: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class FeedbackOutcome:
    events: list[dict[str, Any]]
    unacked: int  # still in the spool (the engine was away); sent automatically next time
    summary: str


def _client(settings: HostSettings, client: Any) -> tuple[Any, bool]:
    return (client, False) if client is not None else (make_client(settings), True)


class _EngineJob(Generic[Outcome]):
    """What every host job shares: start() submits, step() pumps (call it from a UI timer) and hands the
    engine's result to `_finish`, cancel() asks the engine to stop; `run()` is the blocking form."""

    def __init__(self, resolve: Any, settings: HostSettings, client: Any = None):
        self.resolve = resolve
        self.settings = settings
        self._client = client
        self._owned = client is None
        self.job_id: str | None = None
        self.progress = ("", 0.0, "")  # stage, fraction, message
        self.outcome: Outcome | None = None
        self._listener: ProgressFn | None = None

    def start(self) -> str:
        raise NotImplementedError

    def _finish(self, result: dict[str, Any]) -> Outcome:
        raise NotImplementedError

    def _client_now(self) -> Any:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    def step(self, timeout_ms: int = 0) -> Outcome | None:
        """Read what the engine sent; returns the outcome once the job's result is handled, else None."""
        if self.outcome is not None:
            return self.outcome
        if self.job_id is None:
            raise HostError("The job was not started.")
        try:
            result = pump(self._client, self.job_id, timeout_ms, self._on_progress)
            if result is None:
                return None
            self.outcome = self._finish(result)
        except BaseException:
            self.close()
            raise
        self.close()
        return self.outcome

    def cancel(self) -> None:
        if self.job_id is not None and self._client is not None and self.outcome is None:
            self._client.cancel(self.job_id)

    def run(
        self, on_progress: ProgressFn | None = None, should_cancel: Callable[[], bool] | None = None
    ) -> Outcome:
        self._listener = on_progress
        try:
            self.start()
            cancel_sent = False
            while True:
                outcome = self.step(200)
                if outcome is not None:
                    return outcome
                if not cancel_sent and should_cancel is not None and should_cancel():
                    self.cancel()
                    cancel_sent = True
        finally:
            self.close()

    def _on_progress(self, stage: str, fraction: float, message: str) -> None:
        self.progress = (stage, fraction, message)
        if self._listener is not None:
            self._listener(stage, fraction, message)

    def close(self) -> None:
        if self._owned and self._client is not None:
            self._client.close()
            self._client = None


class EditJob(_EngineJob[EditOutcome]):
    """One Auto Edit, its result imported as a new timeline. The dialog calls `step()` from a UIManager
    timer so the window stays responsive and Cancel works."""

    def __init__(self, resolve: Any, request: EditRequest, settings: HostSettings, client: Any = None):
        super().__init__(resolve, settings, client)
        self.request = request
        self.fmt = importer.OTIO

    def start(self) -> str:
        self.request.validate()
        media = media_refs.collect(self.resolve, self.request.source)
        self.fmt = importer.import_format(self.resolve)
        self.job_id = submit_job(
            self._client_now(),
            media,
            self.request.prompt.strip(),
            self.settings.job_options(self.request.options(self.fmt)),
        )
        return self.job_id

    def _finish(self, result: dict[str, Any]) -> EditOutcome:
        prompt = self.request.prompt.strip()
        base = self.request.timeline_name or f"AutoEdit - {prompt[:40]}"
        timeline, session, effect_notes = importer.apply_result(
            self.resolve, result, self.settings, self.fmt, base, prompt
        )
        notes = [str(n) for n in (result.get("report") or {}).get("notes") or []] + effect_notes
        return EditOutcome(timeline, session, result, notes)


def auto_edit(
    resolve: Any,
    request: EditRequest,
    settings: HostSettings,
    client: Any = None,
    on_progress: ProgressFn | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> EditOutcome:
    return EditJob(resolve, request, settings, client).run(on_progress, should_cancel)


def deliver(
    settings: HostSettings, client: Any, session: Session, events: list[dict[str, Any]], timeout_s: float
) -> int:
    """Spool first (durable), then remember what was sent, then wait for the engine's ack."""
    client, owned = _client(settings, client)
    try:
        if events:
            client.send_feedback(events)
        save(settings.sessions_dir, session)
        return int(client.flush(timeout_s))
    finally:
        if owned:
            client.close()


def send_feedback(
    resolve: Any, settings: HostSettings, client: Any = None, timeout_s: float = 10.0
) -> FeedbackOutcome:
    make_event = event_factory()

    timeline, session = review.session_for(resolve, settings)
    report = review.collect_review(timeline, session, make_event)
    unacked = deliver(settings, client, session, report.events, timeout_s)
    return FeedbackOutcome(report.events, unacked, report.summary())


def send_edit_back(
    resolve: Any, settings: HostSettings, client: Any = None, timeout_s: float = 10.0
) -> FeedbackOutcome:
    make_event = event_factory()
    timeline, session = review.session_for(resolve, settings)
    engine = edit_back.read_engine(session)
    exported = edit_back.export_edit(resolve, timeline, settings, session)
    changes = edit_back.diff(engine, edit_back.parse_timeline(exported.read_text(encoding="utf-8")))
    events = edit_back.events_for(changes, session, make_event)
    unacked = deliver(settings, client, session, events, timeout_s)
    summary = (
        f"{len(changes.trims)} trimmed, {len(changes.reorders)} moved, {len(changes.removed)} removed"
        + (f", {changes.unmatched_clips} clips of your own" if changes.unmatched_clips else "")
        + (f"; {len(events)} new events" if events else "; nothing new since the last send")
    )
    return FeedbackOutcome(events, unacked, summary)


# -- edit by transcript: the same text file round trip as `autoedit transcript` / `edit --from-transcript`


TRANSCRIPT = "transcript"  # the job kinds of `autoedit transcript` and `autoedit edit --from-transcript`
TRANSCRIPT_EDIT = "transcript_edit"


@dataclass
class TranscriptWritten:
    path: Any  # the text file written
    words: int


class TranscriptJob(_EngineJob[TranscriptWritten | EditOutcome]):
    """One half of the round trip: `kind` TRANSCRIPT writes the selected clips' (or the timeline's) words
    to `path`, TRANSCRIPT_EDIT makes a new timeline of the words the edited file at `path` keeps, in its
    order, frame-exact."""

    def __init__(
        self,
        resolve: Any,
        settings: HostSettings,
        kind: str,
        path: Any,
        source: str = media_refs.SELECTED_CLIPS,
        client: Any = None,
    ):
        if kind not in (TRANSCRIPT, TRANSCRIPT_EDIT):
            raise HostError(f"Unknown transcript job {kind!r}.")
        super().__init__(resolve, settings, client)
        self.kind, self.source, self.path = kind, source, path

    def start(self) -> str:
        from pathlib import Path

        if not str(self.path or "").strip():
            raise HostError("Type the transcript file's full path (e.g. /home/me/interview.txt).")
        path = self.path = Path(str(self.path).strip()).expanduser()
        if self.kind == TRANSCRIPT:
            media = media_refs.collect(self.resolve, self.source)
        else:
            if not path.is_file():
                raise HostError(f"No transcript file at {path}.")
            if importer.import_format(self.resolve) != importer.OTIO:
                raise HostError("Edit by transcript imports OTIO timelines: it needs Resolve 18.5 or later.")
            media = [{"path": str(path)}]
        self.job_id = submit_job(self._client_now(), media, "", {}, kind=self.kind)
        return self.job_id

    def _finish(self, result: dict[str, Any]) -> TranscriptWritten | EditOutcome:
        path = self.path
        if self.kind == TRANSCRIPT:
            report = result.get("report") or {}
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(str(report.get("text", "")), encoding="utf-8")
            return TranscriptWritten(path, int(report.get("words", 0)))
        timeline, session, effect_notes = importer.apply_result(
            self.resolve, result, self.settings, importer.OTIO, f"AutoEdit - {path.stem}",
            f"edit by transcript {path.name}",
        )  # fmt: skip
        notes = [str(n) for n in (result.get("report") or {}).get("notes") or []] + effect_notes
        return EditOutcome(timeline, session, result, notes)


def write_transcript(
    resolve: Any,
    out_path: Any,
    settings: HostSettings,
    source: str = media_refs.SELECTED_CLIPS,
    client: Any = None,
    on_progress: ProgressFn | None = None,
) -> int:
    """The selected clips' (or the timeline's) words as text to edit in any text editor; returns the
    number of words written. Delete words or paragraphs, move paragraphs, then `edit_from_transcript`."""
    done = TranscriptJob(resolve, settings, TRANSCRIPT, out_path, source, client).run(on_progress)
    return done.words if isinstance(done, TranscriptWritten) else 0


def edit_from_transcript(
    resolve: Any,
    transcript_path: Any,
    settings: HostSettings,
    client: Any = None,
    on_progress: ProgressFn | None = None,
) -> EditOutcome:
    """A new timeline of the words the edited transcript keeps, in its order, frame-exact."""
    done = TranscriptJob(resolve, settings, TRANSCRIPT_EDIT, transcript_path, client=client).run(on_progress)
    if not isinstance(done, EditOutcome):
        raise HostError("The engine's answer to the transcript edit had no timeline.")
    return done
