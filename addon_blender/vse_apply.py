"""Turn a `VsePlan` into strips. All layout decisions were made in otio_to_vse; this only calls bpy."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import bpy

from . import compat
from .vse_model import (
    MAX_CHANNELS,
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


class _Sources:
    """One loaded strip per file, parked past the edit; each clip is split off it. Opening a movie costs
    ~30 ms (Blender probes and decodes it), a split ~10 µs: a 1000-clip edit of a few files stays fast."""

    def __init__(self, collection: Any, channel: int, frame: int):
        self.collection, self.channel, self.next_frame = collection, channel, frame
        self.templates: dict[tuple[str, str], Any] = {}
        self.info: dict[str, tuple[float, tuple[int, int]]] = {}  # movie path -> (fps, size)

    def movie_info(self, path: str) -> tuple[float, tuple[int, int]]:
        """fps and frame size, read once from the loaded template (reading them from a split piece
        makes Blender open the file again)."""
        if path not in self.info:
            template = self.templates[("movie", path)]
            element = template.elements[0] if len(template.elements) else None
            size = (element.orig_width, element.orig_height) if element is not None else (0, 0)
            self.info[path] = (float(template.fps or 0.0), size)
        return self.info[path]

    def take(self, kind: str, path: str, name: str) -> Any:
        template = self.templates.get((kind, path))
        if template is None:  # each file parked at its own place on the parking channel
            if kind == "movie":
                template = self.collection.new_movie(
                    name=f"{name}.source",
                    filepath=path,
                    channel=self.channel,
                    frame_start=self.next_frame,
                    fit_method="ORIGINAL",
                )
            else:
                template = self.collection.new_sound(
                    name=f"{name}.source", filepath=path, channel=self.channel, frame_start=self.next_frame
                )
            self.next_frame += int(template.frame_duration) + 10
            self.templates[(kind, path)] = template
        length = int(template.frame_duration)
        start = int(template.frame_start)
        if length < 2:  # nothing to split: load another copy
            strip = (
                self.collection.new_movie(
                    name=name,
                    filepath=path,
                    channel=self.channel,
                    frame_start=self.next_frame,
                    fit_method="ORIGINAL",
                )
                if kind == "movie"
                else self.collection.new_sound(
                    name=name, filepath=path, channel=self.channel, frame_start=self.next_frame
                )
            )
            return strip
        if int(template.frame_final_end) - int(template.frame_final_start) < 2:  # used up: whole again
            template.frame_final_start, template.frame_final_end = start, start + length
        # the last frame comes off as the new strip (its content is still the whole file)
        piece = template.split(frame=int(template.frame_final_end) - 1, split_method="SOFT")
        piece.name = name
        return piece

    def close(self) -> None:
        for template in self.templates.values():
            self.collection.remove(template)
        self.templates.clear()


def apply_plan(scene: Any, plan: VsePlan, adopt_resolution: bool = False) -> dict[str, Any]:
    """Create the plan's strips in `scene` (channels as planned, never on occupied ones); returns them
    by name. The scene's rate must be the plan's rate. `adopt_resolution`: a new scene takes the
    first movie's frame size when the plan names none."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    collection = compat.strips(editor)
    created: dict[str, Any] = {}
    top: dict[str, Any] = {}
    adopt = adopt_resolution and plan.resolution is None
    ends = [int(x.frame_final_end) for x in compat.strips_all(editor)]
    used = {x.channel for x in compat.strips_all(editor)} | {x.channel for x in plan.strips}
    used |= {x.speed_channel for x in plan.strips} | {x.channel for x in plan.crosses}
    parking = max(used) + 1 if max(used, default=0) < MAX_CHANNELS else MAX_CHANNELS
    sources = _Sources(collection, parking, max([plan.end_frame, *ends]) + 100)
    try:
        for s in plan.strips:
            strip = _strip_for(s, plan.rate, scene, editor, sources, adopt, top, created)
            adopt = adopt and s.kind != "movie"
            strip.color_tag = s.colour_tag
            for key, value in s.properties().items():
                strip[key] = value
            created[strip.name] = strip
    finally:
        sources.close()
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


def _strip_for(
    s: Any,
    plan_rate: Fraction,
    scene: Any,
    editor: Any,
    sources: _Sources,
    adopt: bool,
    top: dict[str, Any],
    created: dict[str, Any],
) -> Any:
    """The strip (and its speed effect) for one planned clip."""
    if s.kind == "movie":
        strip = sources.take("movie", s.path, s.name)
        fps, size = sources.movie_info(s.path)
        if adopt and size[0] and size[1]:
            scene.render.resolution_x, scene.render.resolution_y = size
            scene.render.resolution_percentage = 100
        media_rate = exact_rate(fps) if fps else plan_rate
        frame_start, source_frame = movie_placement(s, media_rate)
        _place(strip, s.channel, frame_start, s.record_start, s.record_end)
        if size[0] and size[1]:  # the reframe's crop, else fit the frame
            t = box_transform(
                s.crop or (0.0, 0.0, 1.0, 1.0), size, (scene.render.resolution_x, scene.render.resolution_y)
            )
            strip.transform.scale_x, strip.transform.scale_y = t.scale_x, t.scale_y
            strip.transform.offset_x, strip.transform.offset_y = t.offset_x, t.offset_y
        top[s.name] = strip
        if not same_rate(media_rate, plan_rate):
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
            speed.speed_factor = float(media_rate / plan_rate)
            top[s.name] = speed
            created[speed.name] = speed
    elif s.kind == "sound":
        strip = sources.take("sound", s.path, s.name)
        frame_start, offset = sound_placement(s, plan_rate)
        _place(strip, s.channel, frame_start, s.record_start, s.record_end)
        source_frame = s.record_start - frame_start
        if offset:
            strip.sound_offset = offset
        strip.volume = s.volume
        strip.mute = s.mute
        for frame, value in s.volume_keys:
            strip.volume = value
            strip.keyframe_insert("volume", frame=frame)
    else:  # media we cannot load: a colour strip of the right length keeps the cut and the clip's data
        strip = compat.new_effect(editor, s.name, "COLOR", s.channel, s.record_start, s.record_end, [])
        strip.color = (0.25, 0.25, 0.25)
        source_frame = 0
        top[s.name] = strip
    strip[PROP_APPLIED] = f"{s.record_start},{s.record_end},{s.channel},{source_frame}"
    return strip


def _place(strip: Any, channel: int, frame_start: int, first: int, end: int) -> None:
    """File frame 0 at `frame_start`, visible [first, end) on `channel`. Change channel and trim where the
    strip is (parked past the edit), then move along the channel: moving the untrimmed strip could
    overlap a neighbour, and Blender would push it to another channel."""
    strip.channel = channel  # past the edit: nothing else is on this channel there
    origin = int(strip.frame_start)
    new_first, new_end = origin + (first - frame_start), origin + (end - frame_start)
    if new_end <= int(strip.frame_final_start):  # the new range lies left of the current one
        strip.frame_final_start = new_first
        strip.frame_final_end = new_end
    else:
        strip.frame_final_end = new_end
        strip.frame_final_start = new_first
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
    from .vse_model import rate_from_blender

    return rate_from_blender(scene.render.fps, scene.render.fps_base)
