"""Where each cut disfluency went: the hosts show every `speech_removed` entry (issue 13).

The report's `speech_removed` names stretches of the sources; a host shows them on its own timeline,
where they are no longer there. Each one is placed at the join where the edit closed over it (the clip
before it ends at or before it starts, the next clip from the same source starts at or after its end),
as a timeline marker named "<kind>: <text>" whose metadata has the reason; the timeline's metadata lists
them all, placed or not (a disfluency inside a stretch the edit left out anyway has no join of its own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from bridge.speech_labels import speech_label
from engine.timeline.placement import PlacedClip

# A clip may end a little after a cut starts (frame rounding, the pause kept around a word), or begin a
# little before it ends.
JOIN_SLACK_S = 0.25


def join_time(clips: Sequence[PlacedClip], removed: Mapping[str, Any]) -> Fraction | None:
    """The record time (seconds) of the join that closes over `removed`, or None."""
    path, start, end = removed.get("path"), float(removed["start"]), float(removed["end"])
    for k, b in enumerate(clips):
        if b.path != path or b.source_start_s < end - JOIN_SLACK_S:
            continue
        if k == 0:
            return b.record_start if b.source_start_s - end < JOIN_SLACK_S + 1.0 else None
        a = clips[k - 1]
        if a.path == path and a.source_end_s <= start + JOIN_SLACK_S and a.source_end_s < b.source_start_s:
            return a.record_end
    return None


def marker_name(removed: Mapping[str, Any]) -> str:
    return speech_label(str(removed.get("kind") or ""), str(removed.get("text") or ""))


def mark_removed_speech(
    timeline: otio.schema.Timeline,
    clips: Sequence[PlacedClip],
    removed: Sequence[Mapping[str, Any]],
    rate: Fraction,
) -> list[dict[str, Any]]:
    """Add a red marker per placed disfluency and `metadata["autoedit"]["speech_removed"]` (each entry
    of the report's list plus `record_s`, the join's time, or None). Returns that list."""
    listed: list[dict[str, Any]] = []
    for item in removed:
        at = join_time(clips, item)
        entry = {**dict(item), "record_s": None if at is None else round(float(at), 4)}
        listed.append(entry)
        if at is None:
            continue
        frame = round(at * rate)
        timeline.tracks.markers.append(
            otio.schema.Marker(
                name=marker_name(item),
                marked_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(frame, float(rate)), otio.opentime.RationalTime(0, float(rate))
                ),
                color=otio.schema.MarkerColor.RED,
                metadata={"autoedit": {"speech_removed": entry, "note": str(item.get("reason") or "")}},
            )
        )
    if listed:
        timeline.metadata["autoedit"]["speech_removed"] = listed
    return listed
