"""OpenTimelineIO -> Blender VSE plan, without bpy.

An OTIO timeline becomes a `VsePlan`: strips with exact scene frames (every record time is summed as a
`Fraction` of seconds and converted once, so 23.976 and mixed-rate tracks never drift), cross effects for
transitions, volume keys for ducking, transforms for reframes and markers with reasons. `vse_apply.py`
turns the plan into bpy calls.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from .vse_model import (
    MAX_CHANNELS,
    NAMESPACE,
    CrossPlan,
    MappingError,
    MarkerPlan,
    StripPlan,
    VsePlan,
    exact_rate,
    media_path,
    seconds,
)


@dataclass
class _Placed:
    clip: otio.schema.Clip
    record_start: Fraction  # seconds on the top-level timeline (trimmed range start)
    record_end: Fraction
    source_in: Fraction  # seconds, media time (timecode included) at record_start
    lead: Fraction = Fraction(0)  # transition handle before record_start (seconds)
    tail: Fraction = Fraction(0)


@dataclass
class _Dissolve:
    cut: Fraction
    before: Fraction
    after: Fraction
    outgoing: int  # index into the track's placed clips
    incoming: int


def _walk_track(
    track: otio.schema.Track, offset: Fraction, window: tuple[Fraction, Fraction] | None
) -> tuple[list[_Placed], list[_Dissolve], list[tuple[Fraction, str]]]:
    """Clips of a track (nested compositions flattened) with exact record times, plus its dissolves."""
    placed, dissolves, markers = _walk_items(list(track), offset, window)
    for marker in track.markers:
        markers.append((offset + seconds(marker.marked_range.start_time), _marker_text(marker)))
    return placed, dissolves, markers


def _walk_items(
    children: list[Any], offset: Fraction, window: tuple[Fraction, Fraction] | None
) -> tuple[list[_Placed], list[_Dissolve], list[tuple[Fraction, str]]]:
    placed: list[_Placed] = []
    dissolves: list[_Dissolve] = []
    markers: list[tuple[Fraction, str]] = []
    t = offset
    pending: tuple[otio.schema.Transition, int] | None = None
    for child in children:
        if isinstance(child, otio.schema.Transition):
            pending = (child, len(placed) - 1)
            continue
        duration = seconds(child.duration())
        start, end = t, t + duration
        t = end
        if window is not None:
            lo, hi = max(start, window[0]), min(end, window[1])
            if lo >= hi:
                pending = None
                continue
        else:
            lo, hi = start, end
        if isinstance(child, otio.schema.Clip):
            trimmed = child.trimmed_range()
            source_start = seconds(trimmed.start_time)
            item = _Placed(child, lo, hi, source_start + (lo - start))
            placed.append(item)
            for marker in child.markers:
                markers.append(
                    (start + seconds(marker.marked_range.start_time) - source_start, _marker_text(marker))
                )
            if pending is not None and pending[1] >= 0 and pending[1] == len(placed) - 2:
                transition = pending[0]
                cut = lo
                before, after = seconds(transition.in_offset), seconds(transition.out_offset)
                placed[-2].tail = after
                item.lead = before
                dissolves.append(_Dissolve(cut, before, after, len(placed) - 2, len(placed) - 1))
            pending = None
        elif isinstance(child, otio.schema.Stack | otio.schema.Track):
            inner = seconds(child.trimmed_range().start_time)
            inner_offset = start - inner
            inner_window = (lo, hi)
            subtracks = list(child) if isinstance(child, otio.schema.Stack) else [child]
            for sub in subtracks:  # a stack's children all start at its start; a bare clip is one lane
                p, d, m = (
                    _walk_track(sub, inner_offset, inner_window)
                    if isinstance(sub, otio.schema.Track)
                    else _walk_items([sub], inner_offset, inner_window)
                )
                base = len(placed)
                placed.extend(p)
                dissolves.extend(
                    _Dissolve(x.cut, x.before, x.after, x.outgoing + base, x.incoming + base) for x in d
                )
                markers.extend(m)
            pending = None
        else:
            pending = None
    return placed, dissolves, markers


def _marker_text(marker: otio.schema.Marker) -> str:
    meta = marker.metadata.get(NAMESPACE, {}) if hasattr(marker.metadata, "get") else {}
    reason = meta.get("reason") if hasattr(meta, "get") else None
    return str(reason or marker.name or "marker")


def _lanes(intervals: list[tuple[int, int]]) -> list[int]:
    """Greedy lane per interval (sorted by start) so that no two in a lane overlap."""
    ends: list[int] = []
    lanes = [0] * len(intervals)
    for i in sorted(range(len(intervals)), key=lambda k: (intervals[k][0], intervals[k][1])):
        start, end = intervals[i]
        for lane, last in enumerate(ends):
            if last <= start:
                ends[lane] = end
                lanes[i] = lane
                break
        else:
            ends.append(end)
            lanes[i] = len(ends) - 1
    return lanes


def _to_plain(value: Any) -> Any:
    """OTIO AnyDictionary/AnyVector -> JSON-able Python."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if hasattr(value, "items"):
        return {str(k): _to_plain(value[k]) for k in list(value)}
    if isinstance(value, list | tuple) or type(value).__name__ == "AnyVector":
        return [_to_plain(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def plan_from_timeline(
    timeline: otio.schema.Timeline,
    rate: Fraction | None = None,
    start_frame: int = 1,
    first_channel: int = 1,
    resolution: tuple[int, int] | None = None,
    exists: Callable[[str], bool] = os.path.exists,
) -> VsePlan:
    """Lay a timeline out as VSE strips at `rate` (default: the timeline's own rate)."""
    import json

    scene_rate = rate or _timeline_rate(timeline)
    timeline_meta = (
        _to_plain(timeline.metadata.get(NAMESPACE, {})) if hasattr(timeline.metadata, "get") else {}
    )
    timeline_id = timeline_meta.get("timeline_id") if isinstance(timeline_meta, dict) else None
    if resolution is None and isinstance(timeline_meta, dict):
        resolution = _resolution_from(timeline_meta)
    plan = VsePlan(
        rate=scene_rate,
        start_frame=start_frame,
        end_frame=start_frame,
        name=timeline.name or "Auto Edit",
        timeline_id=timeline_id,
        resolution=resolution,
        timeline_metadata_json=json.dumps(_to_plain(timeline.metadata)) if len(timeline.metadata) else "",
    )
    inexact = 0

    def to_frame(t: Fraction, cut: bool = True) -> int:
        nonlocal inexact
        exact = t * scene_rate
        if cut and exact.denominator != 1:
            inexact += 1
        return start_frame + round(exact)

    channel = first_channel
    ordered = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    ordered += [t for t in timeline.tracks if t.kind != otio.schema.TrackKind.Video]
    used_names: set[str] = set()
    for track_index, track in enumerate(ordered):
        kind = "movie" if track.kind == otio.schema.TrackKind.Video else "sound"
        label = f"{track.kind}:{track_index}:{track.name}"
        placed, dissolves, markers = _walk_track(track, Fraction(0), None)
        for when, text in markers:
            plan.markers.append(MarkerPlan(to_frame(when, cut=False), text))
        if not placed:
            continue
        ranges = [(to_frame(p.record_start - p.lead), to_frame(p.record_end + p.tail)) for p in placed]
        lanes = _lanes(ranges)
        n_lanes = max(lanes) + 1
        # content lanes, then one speed lane per content lane (vse_apply uses it only when needed),
        # then the dissolves' lane(s)
        cross_ranges = [(to_frame(d.cut - d.before), to_frame(d.cut + d.after)) for d in dissolves]
        cross_lanes = _lanes(cross_ranges) if dissolves else []
        n_speed = n_lanes if kind == "movie" else 0
        top = channel + n_lanes + n_speed + (max(cross_lanes) + 1 if cross_lanes else 0) - 1
        if top > MAX_CHANNELS:
            raise MappingError(
                f"the timeline needs {top - first_channel + 1} channels from channel {first_channel}; "
                f"the VSE has {MAX_CHANNELS}"
            )
        names: list[str] = []
        for p, lane, (rec_start, rec_end) in zip(placed, lanes, ranges, strict=True):
            clip = p.clip
            plain_meta: dict[str, Any] = _to_plain(clip.metadata) if len(clip.metadata) else {}
            namespaced = plain_meta.get(NAMESPACE)
            meta: dict[str, Any] = namespaced if isinstance(namespaced, dict) else {}
            reference = clip.media_reference
            available = getattr(reference, "available_range", None)
            origin = seconds(available.start_time) if available is not None else Fraction(0)
            path = media_path(reference)
            source_rate = exact_rate(clip.trimmed_range().start_time.rate)
            strip_kind = kind if path is not None and exists(path) else "offline"
            name = _unique(clip.name or os.path.basename(path or "") or "clip", used_names)
            names.append(name)
            strip = StripPlan(
                name=name,
                kind=strip_kind,
                channel=channel + lane,
                speed_channel=channel + n_lanes + lane if kind == "movie" else 0,
                record_start=rec_start,
                record_end=rec_end,
                source_in=p.source_in - p.lead - origin,
                source_rate=source_rate,
                path=path,
                track=label if lane == 0 else f"{track.kind}:{track_index}.{lane}:{track.name}",
                clip_name=clip.name or "",
                decision_id=str(meta["decision_id"]) if meta.get("decision_id") else None,
                reason=str(meta.get("reason") or ""),
                score=float(meta["score"]) if isinstance(meta.get("score"), int | float) else None,
                timeline_id=timeline_id,
                source_origin=origin,
                available=seconds(available.duration) if available is not None else None,
                metadata_json=json.dumps(plain_meta) if plain_meta else "",
                offline_target=path or _describe_reference(reference),
                mute=not track.enabled,
            )
            if kind == "sound":
                strip.volume_keys = ducking_keys(meta, strip, scene_rate, start_frame)
                strip.volume_keys = sorted(
                    {**dict(strip.volume_keys), **dict(fade_keys(meta, strip, scene_rate))}.items()
                )
            else:
                strip.crop = reframe_crop(meta)
            plan.strips.append(strip)
        cross_base = channel + n_lanes + n_speed
        for d, lane, (c_start, c_end) in zip(dissolves, cross_lanes, cross_ranges, strict=True):
            if kind != "movie":
                _audio_crossfade(plan.strips[-len(placed) :], d, c_start, c_end)
                continue
            plan.crosses.append(
                CrossPlan(
                    name=_unique(f"{names[d.outgoing]}>{names[d.incoming]}", used_names),
                    channel=cross_base + lane,
                    record_start=c_start,
                    record_end=c_end,
                    cut=to_frame(d.cut),
                    outgoing=names[d.outgoing],
                    incoming=names[d.incoming],
                )
            )
        channel = top + 1
    for marker in timeline.tracks.markers:
        plan.markers.append(
            MarkerPlan(to_frame(seconds(marker.marked_range.start_time)), _marker_text(marker))
        )
    plan.markers.sort(key=lambda m: m.frame)
    ends = [s.record_end for s in plan.strips]
    plan.end_frame = (
        max(ends) if ends else start_frame + max(0, round(seconds(timeline.duration()) * scene_rate))
    )
    plan.inexact_cuts = inexact
    return plan


def _audio_crossfade(strips: list[StripPlan], d: _Dissolve, start: int, end: int) -> None:
    """Audio transitions become a linear fade out/in over the overlap (VSE has no audio cross effect)."""
    out, inc = strips[d.outgoing], strips[d.incoming]
    out.volume_keys = sorted(set(out.volume_keys) | {(start, out.volume), (end, 0.0)})
    inc.volume_keys = sorted(set(inc.volume_keys) | {(start, 0.0), (end, inc.volume)})


def _describe_reference(reference: Any) -> str:
    if isinstance(reference, otio.schema.GeneratorReference):
        return f"generator:{reference.generator_kind}"
    if isinstance(reference, otio.schema.ImageSequenceReference):
        return f"images:{reference.target_url_base}{reference.name_prefix}"
    if isinstance(reference, otio.schema.ExternalReference):
        return str(reference.target_url)
    return "missing"


def _unique(name: str, used: set[str]) -> str:
    """Blender strip names are unique per scene and at most 63 bytes."""
    base = name.replace("\n", " ")[:56] or "clip"
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}.{n:03d}"
    used.add(candidate)
    return candidate


def _timeline_rate(timeline: otio.schema.Timeline) -> Fraction:
    meta = timeline.metadata.get(NAMESPACE) if hasattr(timeline.metadata, "get") else None
    rate = meta.get("rate") if meta is not None and hasattr(meta, "get") else None
    if rate is not None and len(rate) == 2:
        return Fraction(int(rate[0]), int(rate[1]))
    if timeline.global_start_time is not None:
        return exact_rate(timeline.global_start_time.rate)
    for clip in timeline.find_clips():
        return exact_rate(clip.trimmed_range().duration.rate)
    return Fraction(24)


ASPECTS = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080), "4:5": (1080, 1350)}


def _resolution_from(meta: dict[str, Any]) -> tuple[int, int] | None:
    spec = meta.get("spec")
    aspect = spec.get("aspect") if isinstance(spec, dict) else None
    resolution = meta.get("resolution")
    if isinstance(resolution, list | tuple) and len(resolution) == 2:
        return int(resolution[0]), int(resolution[1])
    return ASPECTS.get(str(aspect)) if aspect else None


def ducking_keys(
    meta: dict[str, Any], strip: StripPlan, scene_rate: Fraction, start_frame: int = 1
) -> list[tuple[int, float]]:
    """Volume keys (scene frame, linear gain) from `metadata["autoedit"]["ducking"]`: engine timelines
    give {"unit": "dB", "keyframes": [[seconds from the timeline start, dB], ...]}; a "time" that does
    not name the timeline means seconds from the clip's first frame."""
    ducking = meta.get("ducking")
    if not ducking or not hasattr(ducking, "get"):
        return []
    keys = ducking.get("keyframes") or []
    in_db = str(ducking.get("unit", "dB")).lower() == "db"
    origin = start_frame if "timeline" in str(ducking.get("time", "timeline")) else strip.record_start
    out: dict[int, float] = {}
    for key in keys:
        t, level = float(key[0]), float(key[1])
        gain = 10 ** (level / 20) if in_db else level
        frame = origin + round(Fraction(str(t)) * scene_rate)
        out[min(max(frame, strip.record_start), strip.record_end)] = round(gain, 6)
    return sorted(out.items())


def fade_keys(meta: dict[str, Any], strip: StripPlan, scene_rate: Fraction) -> list[tuple[int, float]]:
    """Volume keys (scene frame, linear gain) from `metadata["autoedit"]["audio_fade"]` ({"in_s", "out_s"}:
    the dialog fades where its source jumps, so the join does not click). Blender hands a strip's animated
    volume to the mixer once a frame, so a fade shorter than a frame (the engine's is 10 ms) becomes a
    one-frame ramp; the keys' default Bezier easing is close to the engine's raised cosine. The ramp
    ends on the strip's edge: 0 at its first frame, and 0 again at the frame after its last."""
    fade = meta.get("audio_fade")
    if not fade or not hasattr(fade, "get") or strip.duration < 2:
        return []

    def frames(key: str) -> int:
        value = fade.get(key)
        if not isinstance(value, int | float) or value <= 0:
            return 0
        return min(max(1, math.ceil(Fraction(str(value)) * scene_rate)), strip.duration // 2)

    keys: dict[int, float] = {}
    fade_in, fade_out = frames("in_s"), frames("out_s")
    if fade_in:
        keys[strip.record_start] = 0.0
        keys[strip.record_start + fade_in] = strip.volume
    if fade_out:
        keys[strip.record_end - fade_out] = strip.volume
        keys[strip.record_end] = 0.0
    return sorted(keys.items())


def reframe_crop(meta: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """`metadata["autoedit"]["reframe"]["crop"]` = [x, y, w, h] as fractions of the source frame."""
    reframe = meta.get("reframe")
    box = reframe.get("crop") if reframe and hasattr(reframe, "get") else None
    if not box or len(box) != 4:
        return None
    x, y, w, h = (float(v) for v in box)
    return (x, y, w, h)
