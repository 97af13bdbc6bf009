"""Blender VSE state -> OpenTimelineIO, without bpy: `timeline_from_state` reads the `VseState` that
`vse_read.py` collects from bpy back into an OTIO timeline with the same cuts.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import opentimelineio as otio

from .vse_model import (
    NAMESPACE,
    PROP_AVAILABLE,
    PROP_CLIP,
    PROP_CUT,
    PROP_DECISION,
    PROP_METADATA,
    PROP_OFFLINE,
    PROP_REASON,
    PROP_SCORE,
    PROP_SOURCE_ORIGIN,
    PROP_SOURCE_RATE,
    PROP_STATUS,
    PROP_TRACK,
    StripState,
    VseState,
    parse_fraction,
    source_seconds,
)


def _rt(t_seconds: Fraction, rate: Fraction) -> otio.opentime.RationalTime:
    value = t_seconds * rate
    return otio.opentime.RationalTime(float(value) if value.denominator != 1 else int(value), float(rate))


def timeline_from_state(state: VseState) -> otio.schema.Timeline:
    """Movie/sound/offline strips -> OTIO tracks (A/B channels joined by cross effects become one track
    with transitions); every cut stays on the scene's frame grid."""
    import json

    rate = state.rate
    timeline = otio.schema.Timeline(
        name=state.name, global_start_time=otio.opentime.RationalTime(0, float(rate))
    )
    if state.timeline_metadata_json:
        timeline.metadata.update(json.loads(state.timeline_metadata_json))
    by_name = {s.name: s for s in state.strips}
    # effects resolve to the content strip underneath (speed -> movie)
    speed_of: dict[str, StripState] = {}
    for s in state.strips:
        if s.kind == "speed" and s.inputs and s.inputs[0] in by_name:
            speed_of[s.inputs[0]] = s

    def content(name: str) -> StripState | None:
        s = by_name.get(name)
        while s is not None and s.kind == "speed" and s.inputs:
            s = by_name.get(s.inputs[0])
        return s

    crosses = [s for s in state.strips if s.kind == "cross" and len(s.inputs) == 2]
    media = [s for s in state.strips if s.kind in ("movie", "sound", "offline") and not s.mute]
    # group channels: by OTIO track label when present, else by channel; crosses join groups
    group_of: dict[str, str] = {}
    for s in media:
        label = s.props.get(PROP_TRACK) or f"{'Audio' if _is_audio(s) else 'Video'}:ch{s.channel}"
        group_of[s.name] = str(label)
    parent: dict[str, str] = {g: g for g in group_of.values()}

    def find(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    links: dict[tuple[str, str], StripState] = {}
    for c in crosses:
        a, b = content(c.inputs[0]), content(c.inputs[1])
        if a is None or b is None or a.name not in group_of or b.name not in group_of:
            continue
        ga, gb = find(group_of[a.name]), find(group_of[b.name])
        if ga != gb:
            parent[gb] = ga
        links[(a.name, b.name)] = c
    groups: dict[str, list[StripState]] = {}
    for s in media:
        groups.setdefault(find(group_of[s.name]), []).append(s)

    def order_key(g: str) -> tuple[int, float, str]:
        members = groups[g]
        is_audio = all(_is_audio(m) for m in members)
        index = _track_index(g)
        return (
            1 if is_audio else 0,
            index if index is not None else 1000 + min(m.channel for m in members),
            g,
        )

    for g in sorted(groups, key=order_key):
        members = sorted(groups[g], key=lambda m: (m.start, m.channel))
        is_audio = all(_is_audio(m) for m in members)
        kind = otio.schema.TrackKind.Audio if is_audio else otio.schema.TrackKind.Video
        track = otio.schema.Track(name=_track_name(g), kind=kind)
        # entries: [strip, first frame, end frame, frames trimmed off its head, dissolve before it]
        entries: list[list[Any]] = []
        cursor = state.start_frame
        for s in members:
            previous = entries[-1] if entries else None
            link = links.get((previous[0].name, s.name)) if previous is not None else None
            start, end, head = s.start, s.end, 0
            if link is not None and previous is not None:
                cut = int(link.props.get(PROP_CUT, (link.start + link.end) // 2))
                previous[2] = cut  # the outgoing clip ends at the cut; its tail is the dissolve's handle
                head, start = cut - s.start, cut
            elif start < cursor:  # overlap without a dissolve: the later strip wins from its start
                head, start = cursor - s.start, cursor
            if start >= end:
                continue
            entries.append([s, start, end, head, link])
            cursor = end
        cursor = state.start_frame
        for s, start, end, head, link in entries:
            if link is not None:
                cut = start
                track.append(
                    otio.schema.Transition(
                        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                        in_offset=otio.opentime.RationalTime(cut - link.start, float(rate)),
                        out_offset=otio.opentime.RationalTime(link.end - cut, float(rate)),
                    )
                )
            elif start > cursor:
                gap = otio.opentime.RationalTime(start - cursor, float(rate))
                track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(duration=gap)))
            track.append(_clip_from_strip(s, start, end, head, rate, speed_of.get(s.name)))
            cursor = end
        timeline.tracks.append(track)
    for m in state.markers:
        timeline.tracks.markers.append(
            otio.schema.Marker(
                name=m.name,
                marked_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(m.frame - state.start_frame, float(rate)),
                    otio.opentime.RationalTime(0, float(rate)),
                ),
            )
        )
    return timeline


def _is_audio(strip: StripState) -> bool:
    if strip.kind == "offline":
        return str(strip.props.get(PROP_TRACK, "")).startswith(otio.schema.TrackKind.Audio)
    return strip.kind == "sound"


def _track_index(label: str) -> float | None:
    """'Video:3:name' -> 3; lanes that overlapped inside a track: 'Video:3.1:name' -> 3.1."""
    parts = label.split(":", 2)
    try:
        return float(parts[1]) if len(parts) == 3 else None
    except ValueError:
        return None


def _track_name(label: str) -> str:
    parts = label.split(":", 2)
    return parts[2] if len(parts) == 3 and _track_index(label) is not None else ""


def _clip_from_strip(
    s: StripState, start: int, end: int, head: int, rate: Fraction, speed: StripState | None
) -> otio.schema.Clip:
    import json

    props = s.props
    source_rate = (
        parse_fraction(str(props[PROP_SOURCE_RATE]))
        if props.get(PROP_SOURCE_RATE)
        else (s.media_rate if s.kind == "movie" and s.media_rate else rate)
    )
    origin = parse_fraction(str(props.get(PROP_SOURCE_ORIGIN, "0")))
    source_in = source_seconds(s, rate)
    if s.kind == "movie" and s.media_rate and speed is None:
        # without a speed effect the VSE advances one file frame per scene frame
        seconds_in = source_in + Fraction(head) / s.media_rate
        duration = Fraction(end - start) / s.media_rate
    else:
        seconds_in = source_in + Fraction(head) / rate
        duration = Fraction(end - start) / rate
    source_range = otio.opentime.TimeRange(_rt(origin + seconds_in, source_rate), _rt(duration, source_rate))
    if s.kind == "offline":
        target = str(props.get(PROP_OFFLINE, ""))
        reference: otio.core.MediaReference = (
            otio.schema.ExternalReference(target_url=target[5:])
            if target.startswith("file:")
            else otio.schema.MissingReference(name=target)
        )
    else:
        reference = otio.schema.ExternalReference(target_url=s.path or "")
    if props.get(PROP_AVAILABLE):
        length = parse_fraction(str(props[PROP_AVAILABLE]))
        reference.available_range = otio.opentime.TimeRange(
            _rt(origin, source_rate), _rt(length, source_rate)
        )
    clip = otio.schema.Clip(
        name=str(props.get(PROP_CLIP) or s.name), media_reference=reference, source_range=source_range
    )
    if props.get(PROP_METADATA):
        clip.metadata.update(json.loads(str(props[PROP_METADATA])))
    meta: dict[str, Any] = {}
    for key, prop in (
        ("decision_id", PROP_DECISION),
        ("reason", PROP_REASON),
        ("score", PROP_SCORE),
        ("status", PROP_STATUS),
    ):
        if prop in props:
            meta[key] = props[prop]
    if meta:
        merged = dict(clip.metadata.get(NAMESPACE, {})) if NAMESPACE in clip.metadata else {}
        merged.update(meta)
        clip.metadata[NAMESPACE] = merged
    return clip
