"""The review vocabulary: which clip colours, flags and markers mean what.

AutoEdit colours every clip it placed **Yellow** ("up for review") and puts a **Sky** marker on it whose
customData is the engine's decision id and whose note is the engine's reason. The editor then marks:

    accept  clip colour Green   or  a Green flag
    reject  clip colour Orange  or  a Red flag      (Resolve's clip colours have no red)

Anything else (Yellow, no colour, other colours/flags) is "not judged" and sends nothing. A clip marked
both ways (e.g. Green colour and a Red flag) is a conflict: it is reported and sends nothing.
Colour names are the README's ClipColor / FlagColor / MarkerColor sets.
"""

from __future__ import annotations

from typing import Any

from .resolve_host import as_list

REVIEW_CLIP_COLOR = "Yellow"
DECISION_MARKER_COLOR = "Sky"
DECISION_MARKER_NAME = "AutoEdit"
TIMELINE_MARKER_COLOR = "Sky"
TIMELINE_MARKER_PREFIX = "autoedit-timeline:"

ACCEPT_CLIP_COLORS = frozenset({"Green"})
REJECT_CLIP_COLORS = frozenset({"Orange"})
ACCEPT_FLAGS = frozenset({"Green"})
REJECT_FLAGS = frozenset({"Red"})

ACCEPT = "accept"
REJECT = "reject"
CONFLICT = "conflict"


def decision_name(review_rank: int | None) -> str:
    """The marker's name: "AutoEdit #k" orders the Markers index by what to review first."""
    return f"{DECISION_MARKER_NAME} #{review_rank:03d}" if review_rank else DECISION_MARKER_NAME


def decision_note(reason: str, decision_id: str) -> str:
    """Marker note: the reason in plain words, and the id in a form that survives an OTIO export."""
    return f"{reason}\n[autoedit:{decision_id}]" if reason else f"[autoedit:{decision_id}]"


def verdict(item: Any) -> tuple[str | None, list[str]]:
    """(accept | reject | conflict | None, the marks that said so) for one timeline item."""
    marks: list[tuple[str, str]] = []
    colour = item.GetClipColor() or ""
    if colour in ACCEPT_CLIP_COLORS:
        marks.append((ACCEPT, f"clip_color:{colour}"))
    elif colour in REJECT_CLIP_COLORS:
        marks.append((REJECT, f"clip_color:{colour}"))
    for flag in as_list(item.GetFlagList()):
        if flag in ACCEPT_FLAGS:
            marks.append((ACCEPT, f"flag:{flag}"))
        elif flag in REJECT_FLAGS:
            marks.append((REJECT, f"flag:{flag}"))
    kinds = {k for k, _ in marks}
    shown = sorted(m for _, m in marks)
    if not kinds:
        return None, []
    if len(kinds) > 1:
        return CONFLICT, shown
    return kinds.pop(), shown


def decision_of(item: Any, known: set[str] | None = None) -> str | None:
    """The decision id on an item's AutoEdit marker (TimelineItem.GetMarkers -> {frame: {customData}})."""
    markers = item.GetMarkers() or {}
    for _frame, info in sorted(markers.items(), key=lambda kv: float(kv[0])):
        data = (info or {}).get("customData") or ""
        if not data or data.startswith(TIMELINE_MARKER_PREFIX):
            continue
        if known is None or data in known:
            return str(data)
    return None


def timeline_id_of(timeline: Any) -> str | None:
    """The engine timeline id on the timeline marker AutoEdit adds at the first frame."""
    for _frame, info in sorted((timeline.GetMarkers() or {}).items(), key=lambda kv: float(kv[0])):
        data = (info or {}).get("customData") or ""
        if data.startswith(TIMELINE_MARKER_PREFIX):
            return data[len(TIMELINE_MARKER_PREFIX) :]
    return None
