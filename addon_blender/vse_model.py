"""The bpy-free model the OTIO <-> VSE mapping shares: strip properties, exact time, plans, states.

`otio_to_vse` turns an OTIO timeline into a `VsePlan` that `vse_apply` carries out with bpy; `vse_read`
collects a scene into a `VseState` that `vse_to_otio` turns back into OTIO. Conventions a host must keep
to round-trip exactly are the strip custom properties named in `PROP_*`.
"""

from __future__ import annotations

import functools
import math
import urllib.parse
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from bridge import rates

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


# ---------------------------------------------------------------------------------------------- time


class MappingError(ValueError):
    """The timeline cannot be laid out in the VSE (too many channels, unusable rates)."""


# ---------------------------------------------------------------------------------------------- time


def exact_rate(rate: float | Fraction) -> Fraction:
    """OTIO rates are floats; bridge.rates recovers the exact rational rate (the rule every side uses)."""
    if isinstance(rate, Fraction):
        return rate
    return _exact_rate(float(rate))


@functools.lru_cache(maxsize=256)
def _exact_rate(rate: float) -> Fraction:
    try:
        return rates.exact_rate(rate)
    except ValueError as exc:
        raise MappingError(str(exc)) from None


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
    mute: bool = False  # its OTIO track is disabled (e.g. the separated stems): placed, but silent

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


# -------------------------------------------------------------------------- placements (bpy-side math)


def box_transform(box: tuple[float, ...], source: tuple[int, int], scene: tuple[int, int]) -> Transform:
    """Scale/offset so that `box` (fractions of the source frame, y down) fills the scene, for a strip
    placed at its original size and centred (new_movie's fit_method="ORIGINAL")."""
    x, y, w, h = box
    box_w, box_h = w * source[0], h * source[1]
    scale = min(scene[0] / box_w, scene[1] / box_h) if box_w and box_h else 1.0
    centre_x = (x + w / 2 - 0.5) * source[0] * scale
    centre_y = (y + h / 2 - 0.5) * source[1] * scale
    return Transform(scale, scale, -centre_x, centre_y)  # Blender's y axis points up


def movie_placement(strip: StripPlan, media_rate: Fraction) -> tuple[int, int]:
    """(frame_start, source_frame): a movie strip shows file frame n at scene frame frame_start + n."""
    source_frame = round(strip.source_in * media_rate)
    return strip.record_start - source_frame, source_frame


def sound_placement(strip: StripPlan, scene_rate: Fraction) -> tuple[int, float]:
    """(frame_start, sound_offset seconds): whole frames plus the sub-frame rest of the in-point."""
    whole = math.floor(strip.source_in * scene_rate)
    return strip.record_start - whole, float(strip.source_in - Fraction(whole) / scene_rate)


# ------------------------------------------------------------------------------------- VSE state


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


def source_seconds(strip: StripState, scene_rate: Fraction) -> Fraction:
    """Seconds into the file at the strip's first visible frame: a movie strip counts file frames at
    the file's rate, a sound strip scene frames plus its sub-frame offset."""
    if strip.kind == "movie" and strip.media_rate:
        frames = Fraction(round(strip.start - strip.frame_start))
        return frames / strip.media_rate
    if strip.kind == "sound":
        return Fraction(round(strip.start - strip.frame_start)) / scene_rate + Fraction(
            strip.sound_offset
        ).limit_denominator(10**7)
    return parse_fraction(str(strip.props.get(PROP_OFFLINE_IN, "0")))
