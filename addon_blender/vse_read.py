"""Collect a scene's VSE into the bpy-free `VseState` that vse_to_otio turns into OTIO."""

from __future__ import annotations

from typing import Any

import bpy

from . import compat
from .vse_model import MarkerState, StripState, VseState, exact_rate, rate_from_blender

KINDS = {"MOVIE": "movie", "SOUND": "sound", "CROSS": "cross", "GAMMA_CROSS": "cross", "SPEED": "speed"}


def read_state(scene: Any, names: set[str] | None = None) -> VseState:
    """Every top-level strip (or those named); colour strips made for offline media come back offline."""
    rate = rate_from_blender(scene.render.fps, scene.render.fps_base)
    state = VseState(rate, scene.frame_start, scene.frame_end + 1, scene.name)
    editor = scene.sequence_editor
    if editor is None:
        return state
    for strip in compat.strips(editor):
        if names is not None and strip.name not in names:
            continue
        props = {k: strip[k] for k in strip.keys() if k.startswith("autoedit_")}  # noqa: SIM118 (ID props)
        kind = KINDS.get(strip.type, "other")
        if strip.type == "COLOR" and "autoedit_offline" in props:
            kind = "offline"
        s = StripState(
            name=strip.name,
            kind=kind,
            channel=strip.channel,
            start=int(strip.frame_final_start),
            end=int(strip.frame_final_end),
            frame_start=float(strip.frame_start),
            mute=bool(strip.mute),
            props={k: _plain(v) for k, v in props.items()},
        )
        if kind == "movie":
            s.path = bpy.path.abspath(strip.filepath)
            s.media_rate = exact_rate(float(strip.fps)) if strip.fps else rate
        elif kind == "sound":
            s.path = bpy.path.abspath(strip.sound.filepath) if strip.sound else None
            s.sound_offset = float(getattr(strip, "sound_offset", 0.0))
        elif kind in ("cross", "speed"):
            inputs = [getattr(strip, n, None) for n in ("input_1", "input_2")]
            s.inputs = tuple(i.name for i in inputs if i is not None)
            if kind == "speed":
                s.speed_factor = float(strip.speed_factor) if strip.speed_control == "MULTIPLY" else None
        state.strips.append(s)
    state.markers = [MarkerState(m.frame, m.name) for m in scene.timeline_markers]
    return state


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float) else str(value)
