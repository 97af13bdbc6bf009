"""OpenTimelineIO <-> Blender VSE, without bpy.

An OTIO timeline becomes a `VsePlan`: strips with exact scene frames (every record time is summed as a
`Fraction` of seconds and converted once, so 23.976 and mixed-rate tracks never drift), cross effects for
transitions, volume keys for ducking, transforms for reframes and markers with reasons. `vse_apply.py`
turns the plan into bpy calls. The reverse, `timeline_from_state`, reads a `VseState` (what `vse_read.py`
collects from bpy) back into an OTIO timeline with the same cuts.

Conventions a host must keep to round-trip exactly are the strip custom properties named in `PROP_*`.
"""

from __future__ import annotations

import functools
import math
import os
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import opentimelineio as otio

NAMESPACE = "autoedit"
MAX_CHANNELS = 128  # Blender's VSE has channels 1..128

# strip custom properties (Blender ID properties; plain str/int/float only)
PROP_DECISION = "autoedit_decision_id"
PROP_REASON = "autoedit_reason"
PROP_SCORE = "autoedit_score"
PROP_TIMELINE = "autoedit_timeline_id"
PROP_STATUS = "autoedit_status"  # proposed | accepted | rejected
PROP_TRACK = "autoedit_track"  # "<kind>:<index>:<name>" of the OTIO track it came from
PROP_CLIP = "autoedit_clip"  # the OTIO clip name
PROP_SOURCE_RATE = "autoedit_source_rate"  # "num/den" of the clip's own time base
PROP_SOURCE_ORIGIN = "autoedit_source_origin"  # "num/den" seconds: the media's first-frame time (timecode)
PROP_AVAILABLE = "autoedit_available"  # "num/den" seconds: the media's length, when the timeline knew it
PROP_OFFLINE = "autoedit_offline"  # JSON-free description of media we could not load: the target path
PROP_OFFLINE_IN = "autoedit_offline_in"  # "num/den" seconds into the media at the strip's first frame
PROP_CUT = "autoedit_cut"  # cross effects: the scene frame of the cut inside the dissolve
PROP_APPLIED = "autoedit_applied"  # "start,end,channel,source_frame" as applied: trims/moves are diffs
PROP_METADATA = "autoedit_metadata"  # the clip's OTIO metadata as JSON (round trips through Blender)

STATUS_COLOURS = {
    "proposed": "COLOR_05",
    "accepted": "COLOR_04",
    "rejected": "COLOR_01",
    "offline": "COLOR_09",
}


class MappingError(ValueError):
    """The timeline cannot be laid out in the VSE (too many channels, unusable rates)."""


# ---------------------------------------------------------------------------------------------- time


def exact_rate(rate: float | Fraction) -> Fraction:
    """OTIO rates are floats; NTSC ones are n*1000/1001. Recover the exact rational rate."""
    if isinstance(rate, Fraction):
        return rate
    return _exact_rate(float(rate))


@functools.lru_cache(maxsize=256)
def _exact_rate(rate: float) -> Fraction:
    if rate <= 0 or not math.isfinite(rate):
        raise MappingError(f"unusable frame rate {rate!r}")
    for base in (24, 30, 48, 60, 120, 240):
        ntsc = Fraction(base * 1000, 1001)
        if abs(rate - float(ntsc)) < 1e-6 or abs(rate - round(float(ntsc), 3)) < 1e-9:
            return ntsc
    return Fraction(rate).limit_denominator(1001)


def seconds(t: otio.opentime.RationalTime) -> Fraction:
    """A RationalTime as exact seconds (values from adapters are floats holding whole frames)."""
    v = t.value
    value = Fraction(int(v)) if float(v).is_integer() else Fraction(v).limit_denominator(10**6)
    return value / _exact_rate(float(t.rate))


def blender_fps(rate: Fraction) -> tuple[int, float]:
    """Blender keeps `fps` (int) and `fps_base` (float); 24000/1001 -> (24, 1.001)."""
    nearest = round(rate)
    if nearest > 0 and (Fraction(nearest) / rate) in (Fraction(1001, 1000), Fraction(1)):
        return nearest, float(Fraction(nearest) / rate)
    return rate.numerator, float(rate.denominator)


def rate_from_blender(fps: int, fps_base: float) -> Fraction:
    """Inverse of `blender_fps` (fps_base 1.001 -> 24000/1001 exactly)."""
    base = Fraction(fps_base).limit_denominator(10000)
    return Fraction(fps) / base


def frame_at(t_seconds: Fraction, rate: Fraction) -> int:
    """The frame that starts at `t_seconds` (nearest; exact whenever the cut lies on the frame grid)."""
    return round(t_seconds * rate)


def fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def parse_fraction(text: str) -> Fraction:
    return Fraction(text)


def media_path(reference: Any) -> str | None:
    """Local file path of an ExternalReference (file:// URLs included), else None."""
    if not isinstance(reference, otio.schema.ExternalReference) or not reference.target_url:
        return None
    url = reference.target_url
    if url.startswith("file:"):
        parsed = urllib.parse.urlparse(url)
        path = urllib.parse.unquote(parsed.path)
        if len(path) > 2 and path[0] == "/" and path[2] == ":":  # /D:/media on Windows
            path = path[1:]
        return path
    return urllib.parse.unquote(url) if "://" not in url else None


# ---------------------------------------------------------------------------------------------- plan


@dataclass
class Transform:
    """Position a source frame in the scene: scale and offset (pixels) around the strip centre."""

    scale_x: float = 1.0
    scale_y: float = 1.0
    offset_x: float = 0.0
    offset_y: float = 0.0


@dataclass
class StripPlan:
    name: str
    kind: str  # "movie" | "sound" | "offline"
    channel: int
    record_start: int  # first scene frame shown (frame_final_start)
    record_end: int  # one past the last (frame_final_end)
    source_in: Fraction  # seconds into the file (from its first frame) shown at record_start
    source_rate: Fraction  # the clip's own time base, used for the movie frame offset
    path: str | None = None
    track: str = ""
    clip_name: str = ""
    decision_id: str | None = None
    reason: str = ""
    score: float | None = None
    timeline_id: str | None = None
    source_origin: Fraction = Fraction(0)  # the media's start timecode, in seconds
    available: Fraction | None = None  # the media's length in seconds, when the timeline says
    volume: float = 1.0
    volume_keys: list[tuple[int, float]] = field(default_factory=list)
    crop: tuple[float, float, float, float] | None = None  # reframe: [x, y, w, h] fractions of the source
    speed_channel: int = 0  # where vse_apply puts a speed effect if the file's rate differs
    metadata_json: str = ""  # the clip's own metadata, carried through the VSE for export
    offline_target: str = ""  # what an offline strip stands for (missing file, generator, ...)

    @property
    def duration(self) -> int:
        return self.record_end - self.record_start

    def properties(self) -> dict[str, Any]:
        """Custom properties the strip carries (bpy ID properties: str/int/float only)."""
        props: dict[str, Any] = {
            PROP_TRACK: self.track,
            PROP_CLIP: self.clip_name,
            PROP_SOURCE_RATE: fraction_text(self.source_rate),
            PROP_SOURCE_ORIGIN: fraction_text(self.source_origin),
        }
        if self.available is not None:
            props[PROP_AVAILABLE] = fraction_text(self.available)
        if self.decision_id:
            props[PROP_DECISION] = self.decision_id
            props[PROP_STATUS] = "proposed"
        if self.reason:
            props[PROP_REASON] = self.reason
        if self.score is not None:
            props[PROP_SCORE] = float(self.score)
        if self.timeline_id:
            props[PROP_TIMELINE] = self.timeline_id
        if self.metadata_json:
            props[PROP_METADATA] = self.metadata_json
        if self.kind == "offline":
            props[PROP_OFFLINE] = self.offline_target
            props[PROP_OFFLINE_IN] = fraction_text(self.source_in)
        return props

    @property
    def colour_tag(self) -> str:
        if self.kind == "offline":
            return STATUS_COLOURS["offline"]
        return STATUS_COLOURS["proposed"] if self.decision_id else "NONE"


@dataclass
class SpeedPlan:
    """A speed effect over a movie strip whose rate differs from the scene's (plays it in real time)."""

    name: str
    channel: int
    input_name: str
    factor: Fraction  # source frames per scene frame


@dataclass
class CrossPlan:
    name: str
    channel: int
    record_start: int
    record_end: int
    cut: int
    outgoing: str  # strip names; vse_apply resolves to the topmost strip of each (speed effect if any)
    incoming: str


@dataclass
class MarkerPlan:
    frame: int
    name: str


@dataclass
class VsePlan:
    rate: Fraction
    start_frame: int
    end_frame: int  # one past the last frame
    name: str
    strips: list[StripPlan] = field(default_factory=list)
    crosses: list[CrossPlan] = field(default_factory=list)
    markers: list[MarkerPlan] = field(default_factory=list)
    timeline_id: str | None = None
    resolution: tuple[int, int] | None = None
    inexact_cuts: int = 0  # record times that fell between scene frames and were rounded
    timeline_metadata_json: str = ""

    def speeds(self, media_rates: dict[str, Fraction]) -> list[SpeedPlan]:
        """Speed effects for movies whose loaded rate differs from the scene's (known after loading)."""
        return [
            SpeedPlan(f"{s.name}.speed", s.speed_channel, s.name, media_rates[s.name] / self.rate)
            for s in self.strips
            if s.kind == "movie"
            and s.name in media_rates
            and abs(media_rates[s.name] / self.rate - 1) >= Fraction(1, 10000)
        ]


# ---------------------------------------------------------------------------------- OTIO -> plan


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
            )
            if kind == "sound":
                strip.volume_keys = ducking_keys(meta, strip, scene_rate, start_frame)
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


def reframe_crop(meta: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """`metadata["autoedit"]["reframe"]["crop"]` = [x, y, w, h] as fractions of the source frame."""
    reframe = meta.get("reframe")
    box = reframe.get("crop") if reframe and hasattr(reframe, "get") else None
    if not box or len(box) != 4:
        return None
    x, y, w, h = (float(v) for v in box)
    return (x, y, w, h)


def box_transform(box: tuple[float, ...], source: tuple[int, int], scene: tuple[int, int]) -> Transform:
    """Scale/offset so that `box` (fractions of the source frame, y down) fills the scene, for a strip
    placed at its original size and centred (new_movie's fit_method="ORIGINAL")."""
    x, y, w, h = box
    box_w, box_h = w * source[0], h * source[1]
    scale = min(scene[0] / box_w, scene[1] / box_h) if box_w and box_h else 1.0
    centre_x = (x + w / 2 - 0.5) * source[0] * scale
    centre_y = (y + h / 2 - 0.5) * source[1] * scale
    return Transform(scale, scale, -centre_x, centre_y)  # Blender's y axis points up


# -------------------------------------------------------------------------- placements (bpy-side math)


def movie_placement(strip: StripPlan, media_rate: Fraction) -> tuple[int, int]:
    """(frame_start, source_frame): a movie strip shows file frame n at scene frame frame_start + n."""
    source_frame = round(strip.source_in * media_rate)
    return strip.record_start - source_frame, source_frame


def sound_placement(strip: StripPlan, scene_rate: Fraction) -> tuple[int, float]:
    """(frame_start, sound_offset seconds): whole frames plus the sub-frame rest of the in-point."""
    whole = math.floor(strip.source_in * scene_rate)
    return strip.record_start - whole, float(strip.source_in - Fraction(whole) / scene_rate)


# ------------------------------------------------------------------------------ VSE state -> OTIO


@dataclass
class StripState:
    """What vse_read collects from one strip (bpy-free)."""

    name: str
    kind: str  # movie | sound | offline | cross | speed | other
    channel: int
    start: int  # frame_final_start
    end: int  # frame_final_end
    frame_start: float = 0.0  # where file frame 0 sits
    path: str | None = None
    media_rate: Fraction | None = None  # movie strips: the file's rate
    sound_offset: float = 0.0
    inputs: tuple[str, ...] = ()
    speed_factor: float | None = None
    mute: bool = False
    props: dict[str, Any] = field(default_factory=dict)


@dataclass
class MarkerState:
    frame: int
    name: str


@dataclass
class VseState:
    rate: Fraction
    start_frame: int
    end_frame: int
    name: str
    strips: list[StripState] = field(default_factory=list)
    markers: list[MarkerState] = field(default_factory=list)
    timeline_metadata_json: str = ""


def state_from_plan(plan: VsePlan, media_rates: dict[str, Fraction] | None = None) -> VseState:
    """The VSE state `vse_apply` produces for a plan (what bpy would hold), for bpy-free round trips."""
    rates = media_rates or {}
    state = VseState(
        plan.rate,
        plan.start_frame,
        plan.end_frame,
        plan.name,
        timeline_metadata_json=plan.timeline_metadata_json,
    )
    speeds = {s.input_name: s for s in plan.speeds(rates)}
    top: dict[str, str] = {}
    for s in plan.strips:
        props = s.properties()
        if s.kind == "movie":
            media_rate = rates.get(s.name, s.source_rate)
            frame_start, _ = movie_placement(s, media_rate)
            state.strips.append(
                StripState(
                    s.name,
                    "movie",
                    s.channel,
                    s.record_start,
                    s.record_end,
                    frame_start,
                    s.path,
                    media_rate,
                    props=props,
                )
            )
            if s.name in speeds:
                sp = speeds[s.name]
                state.strips.append(
                    StripState(
                        sp.name,
                        "speed",
                        sp.channel,
                        s.record_start,
                        s.record_end,
                        inputs=(s.name,),
                        speed_factor=float(sp.factor),
                    )
                )
                top[s.name] = sp.name
        elif s.kind == "sound":
            frame_start, offset = sound_placement(s, plan.rate)
            state.strips.append(
                StripState(
                    s.name,
                    "sound",
                    s.channel,
                    s.record_start,
                    s.record_end,
                    frame_start,
                    s.path,
                    sound_offset=offset,
                    props=props,
                )
            )
        else:
            state.strips.append(
                StripState(s.name, "offline", s.channel, s.record_start, s.record_end, props=props)
            )
    for c in plan.crosses:
        state.strips.append(
            StripState(
                c.name,
                "cross",
                c.channel,
                c.record_start,
                c.record_end,
                inputs=(top.get(c.outgoing, c.outgoing), top.get(c.incoming, c.incoming)),
                props={PROP_CUT: c.cut},
            )
        )
    state.markers = [MarkerState(m.frame, m.name) for m in plan.markers]
    return state


def _rt(t_seconds: Fraction, rate: Fraction) -> otio.opentime.RationalTime:
    value = t_seconds * rate
    return otio.opentime.RationalTime(float(value) if value.denominator != 1 else int(value), float(rate))


def _source_seconds(strip: StripState, scene_rate: Fraction) -> Fraction:
    """Seconds into the file at the strip's first visible frame."""
    if strip.kind == "movie" and strip.media_rate:
        frames = Fraction(round(strip.start - strip.frame_start))
        return frames / strip.media_rate
    if strip.kind == "sound":
        return Fraction(round(strip.start - strip.frame_start)) / scene_rate + Fraction(
            strip.sound_offset
        ).limit_denominator(10**7)
    return parse_fraction(str(strip.props.get(PROP_OFFLINE_IN, "0")))


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
    source_in = _source_seconds(s, rate)
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


def strip_names(strips: Iterable[StripPlan]) -> list[str]:
    return [s.name for s in strips]
