"""AutoEdit effects (OTIO `autoedit.*` effects on clips) -> VSE strip settings, without bpy.

What maps, and how (the preview in engine/effects/render.py is the reference; tests/blender checks
that Blender's render of black and white + vignette + punch-in equals it):
- black_and_white, grade saturation -> the strip's `color_saturation` (HSV, as the preview's);
  grade exposure -> `color_multiply` (2 ** stops); contrast -> a CURVES modifier (a straight line about
  mid grey); temperature -> a COLOR_BALANCE modifier's gain (r, 1, b).
- vignette -> an image strip of the gain (written once per size and setting) above the clip, blend
  MULTIPLY, which the VSE applies in display space like the preview.
- punch_in, ken_burns -> the strip transform (scale/offset) for the view box; Ken Burns keyframed.
- fade -> `blend_alpha` keyframes (over nothing is over black).
- speed -> a SPEED strip over the movie (MULTIPLY, factor times the media/scene rate ratio); a speed
  ramp -> a SPEED strip keyed by frame number (the preview's integral, every few frames). The sound
  strip plays at normal speed (the VSE has no speed control for sound): the report says so.
Not mapped (the preview applies them; the report lists them per strip): blur/pixelate regions,
crossfades without handles, code effects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from bridge.effect_geometry import clip_effects, colour_settings, fill_box, source_offset, view_box

from .vse_model import StripPlan, Transform, VsePlan, box_transform

Box = tuple[float, float, float, float]
KEN_BURNS_STEP = 4  # frames between Ken Burns transform keys (linear between them)
NOT_MAPPED = ("blur_region", "pixelate_region", "crossfade", "code")
SPEED_SOUND = "speed (the sound plays at normal speed)"  # VSE sound strips have no speed control


@dataclass
class StripEffects:
    """What one strip gets."""

    strip: str
    saturation: float = 1.0
    multiply: float = 1.0
    contrast: float | None = None
    gain: tuple[float, float, float] | None = None
    vignette: tuple[float, float, float] | None = None  # amount, radius, softness
    transforms: list[tuple[int, Transform]] = field(default_factory=list)  # (scene frame, transform)
    alpha: list[tuple[int, float]] = field(default_factory=list)  # (scene frame, opacity)
    speed: float = 1.0  # a constant speed: a SPEED strip's factor (times the media/scene rate ratio)
    ramp: list[tuple[int, float]] = field(default_factory=list)  # (scene frame, media seconds since
    # the strip's first shown frame): a SPEED strip keyed by frame number
    not_mapped: list[str] = field(default_factory=list)
    record_start: int = 0
    record_end: int = 0


def _clips_by_strip(timeline: Any, plan: VsePlan) -> dict[str, Any]:
    """Plan movie strips -> their OTIO clips: each video track's clips in order, matched to the
    strips laid out from that track (otio_to_vse labels them "<kind>:<track index>[.<lane>]:<name>")."""
    import opentimelineio as otio

    out: dict[str, Any] = {}
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    for index, track in enumerate(video):
        prefix = f"{track.kind}:{index}"
        strips = [
            s for s in plan.strips
            if s.kind in ("movie", "offline")
            and (s.track.split(":")[:2] == [str(track.kind), str(index)] or s.track.startswith(prefix + "."))
        ]  # fmt: skip
        strips.sort(key=lambda s: s.record_start)
        for strip, clip in zip(strips, track.find_clips(), strict=False):
            out[strip.name] = clip
    return out


def plan_effects(
    timeline: Any, plan: VsePlan, source_sizes: dict[str, tuple[int, int]], scene_size: tuple[int, int]
) -> list[StripEffects]:
    """Settings per movie strip for the effects on its clip. `source_sizes`: strip name -> (w, h) of
    the loaded movie (known only in Blender)."""
    out = []
    by_name = {s.name: s for s in plan.strips}
    for name, clip in _clips_by_strip(timeline, plan).items():
        effects = clip_effects(clip)
        strip = by_name[name]
        if not effects or strip.kind != "movie":
            continue
        fx = StripEffects(name, record_start=strip.record_start, record_end=strip.record_end)
        duration = float(clip.source_range.duration.to_seconds())
        colour = colour_settings(effects)
        fx.saturation, fx.multiply = colour["saturation"], colour["multiply"]
        fx.contrast = colour["contrast"] if colour["contrast"] != 1.0 else None
        fx.gain = colour["gain"] if colour["gain"] != (1.0, 1.0, 1.0) else None
        for e in effects:
            kind, p = e["kind"], e["params"]
            if kind == "vignette":
                fx.vignette = (p["amount"], p["radius"], p["softness"])
            elif kind == "fade":
                fx.alpha = _fade_keys(strip, p["in_s"], p["out_s"], plan.rate)
            elif kind == "speed":
                fx.speed *= p["factor"]
            elif kind == "speed_ramp":
                fx.ramp = _ramp_keys(effects, strip, duration, plan.rate)
            elif kind in NOT_MAPPED:
                fx.not_mapped.append(kind)
        if fx.speed != 1.0 or fx.ramp:
            fx.not_mapped.append(SPEED_SOUND)
        size = source_sizes.get(name)
        if size and size[0] and size[1] and any(e["kind"] in ("punch_in", "ken_burns") for e in effects):
            fx.transforms = _transforms(effects, strip, size, scene_size, duration, plan.rate)
        out.append(fx)
    return out


def _transforms(
    effects: list[dict[str, Any]], strip: StripPlan, size: tuple[int, int], scene: tuple[int, int],
    duration: float, rate: Fraction,
) -> list[tuple[int, Transform]]:  # fmt: skip
    base = strip.crop or fill_box(size, scene)
    moving = any(e["kind"] == "ken_burns" for e in effects)
    frames = _key_frames(strip) if moving else [strip.record_start]
    keys = []
    for frame in frames:
        t = float((frame - strip.record_start) / rate)
        keys.append((frame, box_transform(view_box(effects, base, t, duration), size, scene)))
    return keys


def _key_frames(strip: StripPlan) -> list[int]:
    frames = list(range(strip.record_start, strip.record_end, KEN_BURNS_STEP))
    if frames[-1] != strip.record_end - 1:
        frames.append(strip.record_end - 1)
    return frames


def _ramp_keys(
    effects: list[dict[str, Any]], strip: StripPlan, duration: float, rate: Fraction
) -> list[tuple[int, float]]:
    """Media seconds shown at each key frame: the preview's integral of the ramp, keyed every few
    frames (Blender's SPEED strip does not integrate an animated factor; it does follow frame numbers)."""
    keys = []
    for frame in _key_frames(strip):
        t = float((frame - strip.record_start) / rate)
        keys.append((frame, source_offset(effects, t, duration)))
    return keys


def _fade_keys(strip: StripPlan, in_s: float, out_s: float, rate: Fraction) -> list[tuple[int, float]]:
    """Opacity keys: the preview's gain is min(t / in_s, (duration - t) / out_s) at each frame's time."""
    keys: list[tuple[int, float]] = []
    if in_s > 0:
        n = max(1, round(Fraction(in_s) * rate))
        keys += [(strip.record_start, 0.0), (strip.record_start + n, 1.0)]
    if out_s > 0:
        n = max(1, round(Fraction(out_s) * rate))
        keys += [(strip.record_end - n, 1.0), (strip.record_end, 0.0)]
    return sorted(set(keys))
