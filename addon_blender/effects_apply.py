"""Apply `effects_vse.plan_effects` to the strips `vse_apply` created. Only bpy calls live here."""

from __future__ import annotations

import hashlib
import os
import tempfile
from typing import Any

import bpy

from bridge import effect_geometry

from . import compat, effects_vse
from .vse_model import VsePlan

PROP_EFFECTS_NOT_MAPPED = "autoedit_effects_preview_only"  # effects only the engine's preview shows


def _folder() -> str:
    """Next to the saved .blend (as `//autoedit_effects`), else Blender's temp dir."""
    if bpy.data.filepath:
        path = bpy.path.abspath("//autoedit_effects")
    else:
        path = os.path.join(bpy.app.tempdir or tempfile.gettempdir(), "autoedit_effects")
    os.makedirs(path, exist_ok=True)
    return path


def _vignette_png(size: tuple[int, int], settings: tuple[float, float, float]) -> str:
    """The vignette's gain as an 8-bit grey PNG of the scene's size (one file per size and setting)."""
    import numpy as np

    key = hashlib.sha1(repr((size, settings)).encode()).hexdigest()[:12]
    path = os.path.join(_folder(), f"vignette-{key}.png")
    if not os.path.exists(path):
        gain = effect_geometry.vignette_gain(size[1], size[0], *settings)
        pixels = np.ones((size[1], size[0], 4), np.float32)
        pixels[..., :3] = (np.round(gain * 255.0) / 255.0)[::-1, :, None]  # Blender rows go bottom-up
        image = bpy.data.images.new("autoedit-vignette", size[0], size[1])
        try:
            image.pixels.foreach_set(pixels.ravel())
            image.filepath_raw = path
            image.file_format = "PNG"
            image.save()
        finally:
            bpy.data.images.remove(image)
    return path


def apply_effects(scene: Any, timeline: Any, plan: VsePlan, created: dict[str, Any]) -> list[str]:
    """Set the mapped effects on the created strips; returns notes on what only the preview shows."""
    editor = scene.sequence_editor
    sizes: dict[str, tuple[int, int]] = {}
    for name, strip in created.items():
        if strip.type == "MOVIE" and len(strip.elements):
            sizes[name] = (strip.elements[0].orig_width, strip.elements[0].orig_height)
    scene_size = (scene.render.resolution_x, scene.render.resolution_y)
    planned = effects_vse.plan_effects(timeline, plan, sizes, scene_size)
    top = max([s.channel for s in compat.strips_all(editor)], default=0) + 1
    notes = []
    by_name = {s.name: s for s in plan.strips}
    for fx in planned:
        strip = created.get(fx.strip)
        if strip is None:
            continue
        strip.color_saturation = fx.saturation
        strip.color_multiply = fx.multiply
        if fx.contrast is not None:
            curves = strip.modifiers.new(name="autoedit contrast", type="CURVES")
            curve = curves.curve_mapping.curves[3]  # the combined curve
            low, high = 0.5 - 0.5 * fx.contrast, 0.5 + 0.5 * fx.contrast
            curve.points[0].location = (max(0.0, (0 - low) / (high - low)) if high > low else 0.0, 0.0)
            curve.points[1].location = (min(1.0, (1 - low) / (high - low)) if high > low else 1.0, 1.0)
            curves.curve_mapping.update()
        if fx.gain is not None:
            balance = strip.modifiers.new(name="autoedit temperature", type="COLOR_BALANCE")
            balance.color_balance.gain = fx.gain
        for frame, t in fx.transforms:
            strip.transform.scale_x, strip.transform.scale_y = t.scale_x, t.scale_y
            strip.transform.offset_x, strip.transform.offset_y = t.offset_x, t.offset_y
            if len(fx.transforms) > 1:
                for prop in ("scale_x", "scale_y", "offset_x", "offset_y"):
                    strip.transform.keyframe_insert(prop, frame=frame)
        for frame, value in fx.alpha:
            strip.blend_alpha = value
            strip.keyframe_insert("blend_alpha", frame=frame)
        if fx.vignette is not None:
            path = _vignette_png(scene_size, fx.vignette)
            image = compat.strips(editor).new_image(
                name=f"{fx.strip}.vignette"[:63], filepath=path, channel=min(top, 128),
                frame_start=fx.record_start, fit_method="ORIGINAL",
            )  # fmt: skip
            image.frame_final_end = fx.record_end
            image.blend_type = "MULTIPLY"
        if fx.speed != 1.0 or fx.ramp:
            _speed(editor, strip, fx, created, by_name[fx.strip].speed_channel, plan)
        if fx.not_mapped:
            strip[PROP_EFFECTS_NOT_MAPPED] = ",".join(fx.not_mapped)
            notes.append(f"{fx.strip}: {', '.join(fx.not_mapped)} shown in the engine's preview only")
    if any(fx.alpha or fx.ramp or len(fx.transforms) > 1 for fx in planned) and scene.animation_data:
        _linear(scene.animation_data.action)
    return notes


def _speed(editor: Any, strip: Any, fx: effects_vse.StripEffects, created: dict[str, Any], channel: int,
           plan: VsePlan) -> None:  # fmt: skip
    """The clip's speed on the SPEED strip over it (the one vse_apply made for a rate difference, or a
    new one): a constant as a factor, a ramp as keyed frame numbers of the movie."""
    name = f"{fx.strip}.speed"[:63]
    speed = created.get(name)
    rate_ratio = 1.0
    if speed is None:
        speed = compat.new_effect(editor, name, "SPEED", channel, fx.record_start, fx.record_end, [strip])
        created[name] = speed
    else:
        rate_ratio = float(speed.speed_factor)  # media frames per scene frame
    if fx.ramp:
        media_fps = rate_ratio * float(plan.rate)
        speed.speed_control = "FRAME_NUMBER"
        for frame, seconds in fx.ramp:
            speed.speed_frame_number = seconds * media_fps
            speed.keyframe_insert("speed_frame_number", frame=frame)
    else:
        speed.speed_control = "MULTIPLY"
        speed.speed_factor = rate_ratio * fx.speed


def _linear(action: Any) -> None:
    """Keys interpolate linearly, as the preview does (Blender 5 keeps curves in layered actions)."""
    curves = list(getattr(action, "fcurves", []) or [])
    if not curves:
        for layer in getattr(action, "layers", []):
            for strip in layer.strips:
                for bag in getattr(strip, "channelbags", []):
                    curves += list(bag.fcurves)
    for fcurve in curves:
        for point in fcurve.keyframe_points:
            point.interpolation = "LINEAR"
