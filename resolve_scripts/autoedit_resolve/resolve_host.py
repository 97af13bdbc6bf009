"""Small, documented-API-only helpers over the Resolve scripting objects.

Every call here is in Blackmagic's scripting README (Developer/Scripting/README.txt, May 2025):
Resolve.GetVersion / GetProjectManager, ProjectManager.GetCurrentProject, Project.GetMediaPool /
GetTimelineCount / GetTimelineByIndex / GetCurrentTimeline, Timeline.GetName / GetSetting /
GetStartFrame / GetTrackCount / GetItemListInTrack, TimelineItem.GetStart.
Lists from the Lua bridge arrive as {1: x, 2: y} dicts, so `as_list` accepts both.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .errors import HostError
from .otio_json import exact_rate

# ImportTimelineFromFile accepts OTIO from Resolve 18.5 on (the README lists OTIO among its formats
# since then); older versions get FCP7 XML, which the engine exports for us.
OTIO_IMPORT_SINCE = (18, 5)


def as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    return list(value)


def version(resolve: Any) -> tuple[int, int, int]:
    """Resolve.GetVersion() -> [major, minor, patch, build, suffix]."""
    fields = as_list(resolve.GetVersion())
    nums = []
    for f in fields[:3]:
        try:
            nums.append(int(f))
        except (TypeError, ValueError):
            nums.append(0)
    while len(nums) < 3:
        nums.append(0)
    return nums[0], nums[1], nums[2]


def supports_otio_import(resolve: Any) -> bool:
    return version(resolve)[:2] >= OTIO_IMPORT_SINCE


def current_project(resolve: Any) -> Any:
    if resolve is None:
        raise HostError("DaVinci Resolve is not reachable from this script (no resolve object).")
    project = resolve.GetProjectManager().GetCurrentProject()
    if not project:
        raise HostError("No project is open in DaVinci Resolve. Open a project and run Auto Edit again.")
    return project


def timelines(project: Any) -> list[Any]:
    return [project.GetTimelineByIndex(i) for i in range(1, int(project.GetTimelineCount() or 0) + 1)]


def unique_timeline_name(project: Any, base: str) -> str:
    """`base`, or `base 2`, `base 3`, ... so an import never collides with (or replaces) a timeline."""
    taken = {t.GetName() for t in timelines(project) if t}
    if base not in taken:
        return base
    n = 2
    while f"{base} {n}" in taken:
        n += 1
    return f"{base} {n}"


def timeline_rate(timeline: Any) -> Fraction:
    """Timeline.GetSetting("timelineFrameRate"), e.g. "23.976" or "29.97 DF", as an exact rate."""
    raw = timeline.GetSetting("timelineFrameRate")
    if not raw:
        raise HostError(f"Timeline '{timeline.GetName()}' reports no frame rate.")
    return exact_rate(str(raw))


def video_items(timeline: Any) -> list[tuple[int, list[Any]]]:
    """[(track index, items sorted by start)] for every video track (1-based, as Resolve counts)."""
    out = []
    for index in range(1, int(timeline.GetTrackCount("video") or 0) + 1):
        items = [i for i in as_list(timeline.GetItemListInTrack("video", index)) if i]
        items.sort(key=lambda it: it.GetStart(False))
        out.append((index, items))
    return out


def find_timeline(project: Any, name: str) -> Any | None:
    for t in timelines(project):
        if t and t.GetName() == name:
            return t
    return None
