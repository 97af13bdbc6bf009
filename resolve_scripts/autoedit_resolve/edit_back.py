""" "Send my edit back": the editor's version of an AutoEdit timeline -> trim / reorder / reject events.

Resolve writes the timeline as OTIO (Timeline.Export(fileName, resolve.EXPORT_OTIO, resolve.EXPORT_NONE))
into <data dir>/resolve/exports/, and we compare it with the engine's OTIO kept at import time:

- each of the editor's clips is matched to a decision by the `[autoedit:<id>]` tag in its markers when
  the export kept them, else by the same media file and the largest overlap of source ranges;
- a decision whose source range moved by a frame or more -> `trim` (the kept range in the media's own
  seconds, and the head/tail change in frames);
- decisions that changed order -> `reorder`, only for the clips outside the longest run that kept its
  order (moving one clip gives one event, not one per clip it jumped over);
- a decision with no clip left -> `reject` with value {"implicit": "deleted"}.
Values are bridge.events' (DESIGN.md's one shape per kind).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any

from bridge import events

from .errors import HostError
from .otio_json import ClipInfo, TimelineInfo, parse_timeline
from .session import Session, pending, record_sent
from .settings import HostSettings

TAG = re.compile(r"\[autoedit:([^\]\s]+)\]")
TRIM_CHANNEL = "trim"
ORDER_CHANNEL = "order"
PRESENCE_CHANNEL = "presence"


@dataclass
class EditDiff:
    trims: list[dict[str, Any]] = field(default_factory=list)  # {decision_id, value}
    reorders: list[dict[str, Any]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unmatched_clips: int = 0  # the editor's own additions (or razor pieces): not decisions


def _norm(path: str | None) -> str:
    return os.path.normcase(os.path.normpath(path)) if path else ""


def _decisions(engine: TimelineInfo) -> list[ClipInfo]:
    clips = [c for c in engine.clips if c.track_kind == "Video" and c.decision_id]
    clips.sort(key=lambda c: (c.record_start, c.track_index))
    unique: dict[str, ClipInfo] = {}
    for c in clips:
        unique.setdefault(str(c.decision_id), c)
    return list(unique.values())


def _tagged(clip: ClipInfo) -> str | None:
    for marker in clip.markers:
        for text in (marker.name, marker.comment, repr(marker.metadata)):
            found = TAG.search(text or "")
            if found:
                return found.group(1)
    return clip.decision_id  # an export that kept our metadata


def _overlap(a: ClipInfo, b: ClipInfo) -> Fraction:
    return max(Fraction(0), min(a.source_end, b.source_end) - max(a.source_start, b.source_start))


def match(engine: TimelineInfo, edited: TimelineInfo) -> tuple[dict[str, ClipInfo], int]:
    """decision id -> the editor's clip for it; and how many of the editor's clips matched nothing."""
    decisions = _decisions(engine)
    by_id = {str(d.decision_id): d for d in decisions}
    user_clips = [c for c in edited.clips if c.track_kind == "Video"]
    matched: dict[str, ClipInfo] = {}
    rest: list[ClipInfo] = []
    for clip in user_clips:
        tag = _tagged(clip)
        if tag in by_id and tag not in matched:
            matched[tag] = clip
        else:
            rest.append(clip)
    # By media and overlap, largest overlaps first so a razor's bigger piece keeps the decision.
    candidates = []
    for clip in rest:
        for d in decisions:
            if str(d.decision_id) in matched or _norm(clip.path) != _norm(d.path):
                continue
            overlap = _overlap(clip, d)
            if overlap > 0:
                candidates.append((overlap, id(clip), clip, str(d.decision_id)))
    candidates.sort(key=lambda c: c[0], reverse=True)
    taken: set[int] = set()
    for _overlap_s, key, clip, decision_id in candidates:
        if key in taken or decision_id in matched:
            continue
        matched[decision_id] = clip
        taken.add(key)
    unmatched = len(user_clips) - len(matched)
    return matched, unmatched


def _frames(seconds: Fraction, rate: Fraction) -> int:
    return int(round(seconds * rate))


def _longest_increasing(seq: list[int]) -> set[int]:
    """Positions (in seq) of one longest strictly increasing subsequence: O(n log n) patience sort."""
    import bisect

    tails: list[int] = []
    tails_pos: list[int] = []
    parent = [-1] * len(seq)
    for i, value in enumerate(seq):
        k = bisect.bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tails_pos.append(i)
        else:
            tails[k] = value
            tails_pos[k] = i
        parent[i] = tails_pos[k - 1] if k else -1
    keep: set[int] = set()
    i = tails_pos[-1] if tails_pos else -1
    while i >= 0:
        keep.add(i)
        i = parent[i]
    return keep


def diff(engine: TimelineInfo, edited: TimelineInfo) -> EditDiff:
    decisions = _decisions(engine)
    matched, unmatched = match(engine, edited)
    out = EditDiff(unmatched_clips=unmatched)
    engine_index = {str(d.decision_id): i for i, d in enumerate(decisions)}
    for d in decisions:
        decision_id = str(d.decision_id)
        clip = matched.get(decision_id)
        if clip is None:
            out.removed.append(decision_id)
            continue
        rate = d.rate
        head = _frames(clip.source_start, rate) - _frames(d.source_start, rate)
        tail = _frames(clip.source_end, rate) - _frames(d.source_end, rate)
        if head or tail:
            jcut_head, jcut_tail = events.picture_offsets(
                d.metadata
            )  # the decision's range, not the picture's
            value = events.trim_value(  # seconds from the file's first frame, as the engine counts
                float(clip.source_start - d.media_origin - Fraction(jcut_head) / rate),
                float(clip.source_end - d.media_origin - Fraction(jcut_tail) / rate),
                head_frames=head,  # > 0: the editor started later (trimmed the head)
                tail_frames=tail,  # < 0: the editor ended earlier (trimmed the tail)
                rate=(rate.numerator, rate.denominator),
            )
            out.trims.append({"decision_id": decision_id, "value": value})
    kept = sorted(matched.items(), key=lambda kv: (kv[1].record_start, kv[1].track_index))
    order = [engine_index[decision_id] for decision_id, _ in kept]
    in_place = _longest_increasing(order)
    for position, (decision_id, _clip) in enumerate(kept):
        if position not in in_place:
            value = events.reorder_value(engine_index[decision_id], position)
            out.reorders.append({"decision_id": decision_id, "value": value})
    return out


def export_edit(resolve: Any, timeline: Any, settings: HostSettings, session: Session) -> Path:
    """Timeline.Export(fileName, resolve.EXPORT_OTIO, resolve.EXPORT_NONE) into the data dir."""
    out_dir = settings.host_dir / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")  # noqa: UP017 - Resolve's Python may be older
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in session.timeline_id)
    path = out_dir / f"{safe}-edited-{stamp}.otio"
    if not timeline.Export(str(path), resolve.EXPORT_OTIO, resolve.EXPORT_NONE) or not path.is_file():
        raise HostError(
            f"Resolve did not export '{timeline.GetName()}' as OTIO (Timeline.Export needs Resolve 18.5+)."
        )
    return path


def events_for(diff_result: EditDiff, session: Session, make_event: Any) -> list[dict[str, Any]]:
    """Events for what changed since the last send (ledger staged in `session`, saved by the caller)."""
    out = []

    def add(kind: str, decision_id: str, channel: str, value: dict[str, Any]) -> None:
        due = pending(session, decision_id, channel, value)
        if due is None:
            return
        event_id, revision = due
        event = make_event(kind, session.timeline_id, decision_id, value, profile=session.profile)
        event["event_id"] = event_id
        out.append(event)
        record_sent(session, decision_id, channel, value, revision)

    for trim in diff_result.trims:
        add("trim", trim["decision_id"], TRIM_CHANNEL, trim["value"])
    for move in diff_result.reorders:
        add("reorder", move["decision_id"], ORDER_CHANNEL, move["value"])
    for decision_id in diff_result.removed:
        add("reject", decision_id, PRESENCE_CHANNEL, events.reject_value(events.IMPLICIT_DELETED))
    return out


def read_engine(session: Session) -> TimelineInfo:
    if not session.engine_otio_path or not Path(session.engine_otio_path).is_file():
        raise HostError(
            "The engine's version of this timeline is not on this machine (it is kept in the AutoEdit "
            "data dir at import time), so your edit cannot be compared with it."
        )
    return parse_timeline(session.engine_otio())
