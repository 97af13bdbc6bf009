"""Effects as `otio.schema.Effect` objects on clips, and back.

Each effect is one OTIO effect on the clip it changes: `effect_name = "autoedit.<kind>"`, and
`metadata["autoedit"] = {"version", "kind", "params", "reason", "source", "data"}`. A constant speed is
an `otio.schema.LinearTimeWarp` (time_scalar = factor, which other tools read natively), a ramp an
`otio.schema.TimeEffect`; both carry the same metadata. A LinearTimeWarp some other tool wrote reads
back as a `speed` effect.
"""

from __future__ import annotations

from typing import Any

import opentimelineio as otio

from engine.effects.library import LIBRARY, Effect

NAMESPACE = "autoedit"
VERSION = 1
PREFIX = "autoedit."


def _plain(value: Any) -> Any:
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or (hasattr(value, "__iter__") and not isinstance(value, str)):
        return [_plain(v) for v in value]
    return value


def to_otio(effect: Effect) -> otio.schema.Effect:
    meta = {NAMESPACE: {"version": VERSION, **effect.to_dict()}}
    name = f"{PREFIX}{effect.kind}"
    if effect.kind == "speed":
        return otio.schema.LinearTimeWarp(
            name=name, time_scalar=float(effect.params["factor"]), metadata=meta
        )
    if effect.kind == "speed_ramp":
        return otio.schema.TimeEffect(name=name, effect_name=name, metadata=meta)
    return otio.schema.Effect(name=name, effect_name=name, metadata=meta)


def from_otio(item: otio.schema.Effect) -> Effect | None:
    """The library effect an OTIO effect stands for, or None for effects of other tools we do not know."""
    meta = _plain(item.metadata.get(NAMESPACE) or {}) if hasattr(item.metadata, "get") else {}
    if isinstance(meta, dict) and meta.get("kind") in LIBRARY:
        return Effect.from_dict(meta)
    if isinstance(item, otio.schema.LinearTimeWarp):
        return Effect("speed", {"factor": float(item.time_scalar)}, "set in the timeline", "user")
    return None


def effects_of(item: Any) -> list[Effect]:
    """The library effects on a clip, in order."""
    out = []
    for e in getattr(item, "effects", []):
        found = from_otio(e)
        if found is not None:
            out.append(found)
    return out


def attach(clip: otio.schema.Clip, effects: list[Effect]) -> None:
    for e in effects:
        clip.effects.append(to_otio(e))
