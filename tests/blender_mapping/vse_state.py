"""The VSE state `vse_apply` produces for a plan (what bpy would hold), for bpy-free round trips."""

from __future__ import annotations

from fractions import Fraction

from addon_blender.vse_model import (
    PROP_CUT,
    MarkerState,
    StripState,
    VsePlan,
    VseState,
    movie_placement,
    sound_placement,
)


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
