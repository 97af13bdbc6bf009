"""Turn a `VsePlan` into strips. All layout decisions were made in otio_vse; this only calls bpy."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import bpy

from . import compat
from .otio_vse import (
    PROP_APPLIED,
    PROP_CUT,
    MappingError,
    VsePlan,
    blender_fps,
    box_transform,
    exact_rate,
    movie_placement,
    sound_placement,
)


def new_scene(name: str, plan: VsePlan) -> Any:
    """A fresh scene at the plan's rate; the user's scenes are never changed."""
    scene = bpy.data.scenes.new(name)
    scene.render.fps, scene.render.fps_base = blender_fps(plan.rate)
    if plan.resolution:
        scene.render.resolution_x, scene.render.resolution_y = plan.resolution
        scene.render.resolution_percentage = 100
    scene.frame_start = plan.start_frame
    scene.frame_end = max(plan.start_frame, plan.end_frame - 1)
    return scene


def apply_plan(scene: Any, plan: VsePlan, adopt_resolution: bool = False) -> dict[str, Any]:
    """Create the plan's strips in `scene` (channels as planned, never on occupied ones); returns them
    by name. The scene's rate must be the plan's rate. `adopt_resolution`: a new scene takes the
    first movie's frame size when the plan names none."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    collection = compat.strips(editor)
    created: dict[str, Any] = {}
    top: dict[str, Any] = {}
    scene_rate = plan.rate
    adopt = adopt_resolution and plan.resolution is None
    for s in plan.strips:
        if s.kind == "movie":
            strip = collection.new_movie(
                name=s.name, filepath=s.path, channel=s.channel, frame_start=s.record_start,
                fit_method="ORIGINAL" if (s.crop or adopt) else "FIT",
            )  # fmt: skip
            size = (
                (strip.elements[0].orig_width, strip.elements[0].orig_height)
                if len(strip.elements)
                else (0, 0)
            )
            if adopt and size[0] and size[1]:
                scene.render.resolution_x, scene.render.resolution_y = size
                scene.render.resolution_percentage = 100
                adopt = False
            media_rate = exact_rate(float(strip.fps)) if strip.fps else scene_rate
            frame_start, source_frame = movie_placement(s, media_rate)
            _place(strip, frame_start, s.record_start, s.record_end)
            if s.crop is not None and size[0] and size[1]:
                t = box_transform(s.crop, size, (scene.render.resolution_x, scene.render.resolution_y))
                strip.transform.scale_x, strip.transform.scale_y = t.scale_x, t.scale_y
                strip.transform.offset_x, strip.transform.offset_y = t.offset_x, t.offset_y
            top[s.name] = strip
            if not same_rate(media_rate, scene_rate):
                speed = compat.new_effect(
                    editor,
                    f"{s.name}.speed"[:63],
                    "SPEED",
                    s.speed_channel,
                    s.record_start,
                    s.record_end,
                    [strip],
                )
                speed.speed_control = "MULTIPLY"
                speed.speed_factor = float(media_rate / scene_rate)
                top[s.name] = speed
                created[speed.name] = speed
        elif s.kind == "sound":
            strip = collection.new_sound(
                name=s.name, filepath=s.path, channel=s.channel, frame_start=s.record_start
            )
            frame_start, offset = sound_placement(s, scene_rate)
            _place(strip, frame_start, s.record_start, s.record_end)
            if offset:
                strip.sound_offset = offset
            strip.volume = s.volume
            for frame, value in s.volume_keys:
                strip.volume = value
                strip.keyframe_insert("volume", frame=frame)
            source_frame = round(s.record_start - frame_start)
        else:  # media we cannot load: a colour strip of the right length keeps the cut and the clip's data
            strip = compat.new_effect(editor, s.name, "COLOR", s.channel, s.record_start, s.record_end, [])
            strip.color = (0.25, 0.25, 0.25)
            source_frame = 0
            top[s.name] = strip
        strip.color_tag = s.colour_tag
        for key, value in s.properties().items():
            strip[key] = value
        strip[PROP_APPLIED] = f"{s.record_start},{s.record_end},{s.channel},{source_frame}"
        created[strip.name] = strip
    for c in plan.crosses:
        outgoing, incoming = top.get(c.outgoing), top.get(c.incoming)
        if outgoing is None or incoming is None:
            continue
        cross = compat.new_effect(
            editor, c.name, "CROSS", c.channel, c.record_start, c.record_end, [outgoing, incoming]
        )
        cross[PROP_CUT] = c.cut
        created[cross.name] = cross
    for m in plan.markers:
        scene.timeline_markers.new(m.name[:63], frame=m.frame)
    return created


def _place(strip: Any, frame_start: int, first: int, end: int) -> None:
    """File frame 0 at `frame_start`, visible [first, end). Trim in place, then move: moving the whole
    untrimmed strip first could overlap a neighbour, and Blender would push it to another channel."""
    channel = strip.channel
    origin = int(strip.frame_start)
    strip.frame_final_end = origin + (end - frame_start)
    strip.frame_final_start = origin + (first - frame_start)
    strip.frame_start = frame_start
    if strip.channel != channel or int(strip.frame_final_start) != first or int(strip.frame_final_end) != end:
        raise MappingError(
            f"strip {strip.name!r} landed at {strip.frame_final_start}-{strip.frame_final_end} on channel "
            f"{strip.channel}, planned {first}-{end} on {channel} (media shorter than the clip?)"
        )


def same_rate(a: Fraction, b: Fraction) -> bool:
    """Rates within 1e-4 of each other drift one frame in 10000: no speed effect for those."""
    return abs(a / b - 1) < Fraction(1, 10000)


def scene_rate(scene: Any) -> Fraction:
    from .otio_vse import rate_from_blender

    return rate_from_blender(scene.render.fps, scene.render.fps_base)
