"""A timeline as the Lua entry script saw it, answering the same read calls as Resolve's objects.

The Lua script (Free edition, no Python in-app) reads marks with Resolve's Lua API and writes them as
JSON; these classes give that JSON the documented read methods (Timeline.GetName / GetUniqueId /
GetMarkers / GetTrackCount / GetItemListInTrack, TimelineItem.GetName / GetStart / GetClipColor /
GetFlagList / GetMarkers), so review.py runs unchanged on it.

    {"name": str, "uid": str, "markers": [{"frame", "color", "name", "note", "duration", "customData"}],
     "video": [[{"name", "start", "clip_color", "flags": [...], "markers": [...]}, ...], ...]}
"""

from __future__ import annotations

from typing import Any

from .resolve_host import as_list


def _markers(raw: Any) -> dict[float, dict[str, Any]]:
    """The snapshot's marker list -> GetMarkers()'s {frame: info}."""
    if isinstance(raw, dict):
        return {float(k): dict(v) for k, v in raw.items()}
    return {float(m.get("frame") or 0): dict(m) for m in as_list(raw)}


class SnapshotItem:
    def __init__(self, data: dict[str, Any]):
        self._data = data

    def GetName(self) -> str:  # noqa: N802 - Resolve's method names
        return str(self._data.get("name") or "")

    def GetStart(self, subframe_precision: bool = False) -> int:  # noqa: N802
        return int(self._data.get("start") or 0)

    def GetClipColor(self) -> str:  # noqa: N802
        return str(self._data.get("clip_color") or "")

    def GetFlagList(self) -> list[str]:  # noqa: N802
        return [str(f) for f in as_list(self._data.get("flags"))]

    def GetMarkers(self) -> dict[float, dict[str, Any]]:  # noqa: N802
        return _markers(self._data.get("markers"))


class SnapshotTimeline:
    def __init__(self, data: dict[str, Any]):
        self._data = data
        self._video = [[SnapshotItem(i) for i in as_list(track)] for track in as_list(data.get("video"))]

    def GetName(self) -> str:  # noqa: N802
        return str(self._data.get("name") or "")

    def GetUniqueId(self) -> str | None:  # noqa: N802
        return self._data.get("uid")

    def GetMarkers(self) -> dict[float, dict[str, Any]]:  # noqa: N802
        return _markers(self._data.get("markers"))

    def GetTrackCount(self, track_type: str) -> int:  # noqa: N802
        return len(self._video) if track_type == "video" else 0

    def GetItemListInTrack(self, track_type: str, index: int) -> list[SnapshotItem]:  # noqa: N802
        if track_type != "video" or not 1 <= index <= len(self._video):
            return []
        return list(self._video[index - 1])
