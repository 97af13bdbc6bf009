"""What the editor asked us to edit, as the bridge's media refs: [{"path", "in", "out"}] in seconds.

Two sources, as the editor chooses in the dialog: the clips selected in the Media Pool
(MediaPool.GetSelectedClips, with their In/Out marks from MediaPoolItem.GetMarkInOut where that call
exists) or the clips of the current timeline (Timeline.GetItemListInTrack on every video track, each
with its used source range). A file's path comes from the clip property "File Path" and its rate from
"FPS" (MediaPoolItem.GetClipProperty; the keys are the Clip Attributes names, which the README says
the properties follow).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .errors import HostError
from .otio_json import exact_rate
from .resolve_host import as_list, current_project, video_items

SELECTED_CLIPS = "selected"
CURRENT_TIMELINE = "timeline"


def _clip_path(mpi: Any) -> str | None:
    path = mpi.GetClipProperty("File Path")
    return str(path) if path else None


def _clip_rate(mpi: Any) -> Fraction | None:
    fps = mpi.GetClipProperty("FPS")
    try:
        return exact_rate(str(fps)) if fps else None
    except ValueError:
        return None


def _seconds(frames: float | int, rate: Fraction) -> float:
    return float(Fraction(frames).limit_denominator(1_000_000) / rate)


def _marks(mpi: Any, rate: Fraction | None) -> tuple[float | None, float | None]:
    """In/Out marks of a media pool clip in seconds; (None, None) when unmarked or not supported."""
    if rate is None or not hasattr(mpi, "GetMarkInOut"):
        return None, None
    marks = mpi.GetMarkInOut() or {}
    video = marks.get("video") or marks.get("audio") or {}
    mark_in = video.get("in")
    mark_out = video.get("out")
    start = _seconds(mark_in, rate) if mark_in is not None else None
    # Resolve's Out mark names the last frame shown; a media ref's out is the end of that frame.
    end = _seconds(int(mark_out) + 1, rate) if mark_out is not None else None
    return start, end


def from_selected_clips(resolve: Any) -> list[dict[str, Any]]:
    media_pool = current_project(resolve).GetMediaPool()
    refs = []
    for mpi in as_list(media_pool.GetSelectedClips()):
        if not mpi:
            continue
        path = _clip_path(mpi)
        if not path:  # timelines, compound clips, generators have no file
            continue
        start, end = _marks(mpi, _clip_rate(mpi))
        refs.append({"path": path, "in": start, "out": end})
    if not refs:
        raise HostError(
            "No media files are selected in the Media Pool. Select the clips to edit (or choose "
            "'Current timeline') and run Auto Edit again."
        )
    return refs


def from_current_timeline(resolve: Any) -> list[dict[str, Any]]:
    timeline = current_project(resolve).GetCurrentTimeline()
    if not timeline:
        raise HostError("There is no current timeline. Open one, or choose 'Selected Media Pool clips'.")
    refs = []
    for _track, items in video_items(timeline):
        for item in items:
            mpi = item.GetMediaPoolItem()
            path = _clip_path(mpi) if mpi else None
            if not path:
                continue
            if hasattr(item, "GetSourceStartTime"):
                start = float(item.GetSourceStartTime())
                end = float(item.GetSourceEndTime())
            else:
                rate = _clip_rate(mpi)
                if rate is None:
                    raise HostError(f"Clip '{item.GetName()}' reports no FPS; cannot place its source range.")
                start = _seconds(item.GetSourceStartFrame(), rate)
                end = _seconds(item.GetSourceEndFrame(), rate)
            refs.append({"path": path, "in": start, "out": end})
    if not refs:
        raise HostError(f"Timeline '{timeline.GetName()}' has no clips with media files on its video tracks.")
    return refs


def collect(resolve: Any, source: str) -> list[dict[str, Any]]:
    if source == SELECTED_CLIPS:
        return from_selected_clips(resolve)
    if source == CURRENT_TIMELINE:
        return from_current_timeline(resolve)
    raise HostError(f"Unknown media source {source!r}: use '{SELECTED_CLIPS}' or '{CURRENT_TIMELINE}'.")
