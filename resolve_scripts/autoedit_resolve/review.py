"""Review marks on an AutoEdit timeline -> accept / reject preference events (see marks.py for the colours)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import marks
from .errors import HostError
from .otio_json import parse_timeline
from .resolve_host import current_project, video_items
from .session import Session, find_by_resolve_timeline, load, pending, record_sent
from .settings import HostSettings

REVIEW_CHANNEL = "review"


@dataclass
class ReviewReport:
    timeline_id: str
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # item names marked both ways
    unmarked: int = 0
    already_sent: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.accepted)} accepted", f"{len(self.rejected)} rejected"]
        if self.already_sent:
            parts.append(f"{self.already_sent} unchanged since the last send")
        if self.unmarked:
            parts.append(f"{self.unmarked} not marked")
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} marked both ways (skipped: {', '.join(self.conflicts)})")
        return ", ".join(parts)


def session_for(resolve: Any, settings: HostSettings, timeline: Any | None = None) -> tuple[Any, Session]:
    """The current (or given) timeline and its AutoEdit session; HostError when it is not ours."""
    if timeline is None:
        timeline = current_project(resolve).GetCurrentTimeline()
    if not timeline:
        raise HostError("There is no current timeline. Open the AutoEdit timeline you reviewed.")
    timeline_id = marks.timeline_id_of(timeline)
    session = load(settings.sessions_dir, timeline_id) if timeline_id else None
    if session is None:
        uid = timeline.GetUniqueId() if hasattr(timeline, "GetUniqueId") else None
        session = find_by_resolve_timeline(settings.sessions_dir, uid, timeline.GetName())
    if session is None and timeline_id:
        # Marked by AutoEdit but imported elsewhere (another machine's data dir): the ids are on the
        # markers, which is all review needs; the ledger starts empty.
        session = Session(timeline_id, timeline.GetName(), None, "", "", "")
    if session is None:
        raise HostError(
            f"Timeline '{timeline.GetName()}' was not made by AutoEdit (no AutoEdit marker on its first "
            "frame). Open an AutoEdit timeline and try again."
        )
    return timeline, session


def _known_decisions(session: Session) -> set[str] | None:
    if not session.engine_otio_path:
        return None
    try:
        engine = parse_timeline(session.engine_otio())
    except (OSError, ValueError):
        return None
    return {c.decision_id for c in engine.clips if c.decision_id}


def collect_review(timeline: Any, session: Session, make_event: Any) -> ReviewReport:
    """Events for every decision whose verdict changed since the last send (ledger updates are staged
    in `session` and saved by the caller once the events are safely spooled)."""
    report = ReviewReport(session.timeline_id)
    known = _known_decisions(session)
    seen: set[str] = set()
    for _track, items in video_items(timeline):
        for item in items:
            decision_id = marks.decision_of(item, known)
            if decision_id is None or decision_id in seen:
                continue
            seen.add(decision_id)
            kind, _shown = marks.verdict(item)
            if kind is None:
                report.unmarked += 1
                continue
            if kind == marks.CONFLICT:
                report.conflicts.append(str(item.GetName()))
                continue
            due = pending(session, decision_id, REVIEW_CHANNEL, kind)
            if due is None:
                report.already_sent += 1
                continue
            event_id, revision = due
            event = make_event(kind, session.timeline_id, decision_id, {}, profile=session.profile)
            event["event_id"] = event_id
            report.events.append(event)
            record_sent(session, decision_id, REVIEW_CHANNEL, kind, revision)
            (report.accepted if kind == marks.ACCEPT else report.rejected).append(decision_id)
    return report
