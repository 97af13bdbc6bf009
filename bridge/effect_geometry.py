"""What the AutoEdit effects do to a frame's framing and colour, written once for the engine's preview and
both hosts (Blender's strip settings, Resolve's CDL and transform properties), so that all three show
the same picture. Plain Python: the hosts ship it without the engine; numpy only where Blender has it.

Boxes are (x, y, w, h) in fractions of the source frame, y down: the *view box* is the part of the
source that fills the output. Effects come as plain dicts {kind, params, data}, the shape of the
`metadata["autoedit"]` an effect carries in the OTIO timeline (DESIGN.md, effects).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

EFFECTS_NAMESPACE = "autoedit"
Box = tuple[float, float, float, float]
TEMPERATURE_GAIN = 0.2  # red/blue gain per unit of temperature: (1 + 0.2 t, 1, 1 - 0.2 t)


def clip_effects(clip: Any) -> list[dict[str, Any]]:
    """The AutoEdit effects on an OTIO clip (any object with `.effects`) as plain dicts, in order."""
    return effect_dicts(getattr(e, "metadata", {}) for e in getattr(clip, "effects", []))


def effect_dicts(metadatas: Iterable[Any]) -> list[dict[str, Any]]:
    """{kind, params, data} from effects' metadata (OTIO objects' or OTIO JSON's); others' skipped."""
    out = []
    for metadata in metadatas:
        meta = metadata.get(EFFECTS_NAMESPACE) if hasattr(metadata, "get") else None
        if meta is not None and meta.get("kind"):
            out.append({
                "kind": str(meta["kind"]),
                "params": {str(k): float(v) for k, v in (meta.get("params") or {}).items()},
                "data": dict(meta.get("data") or {}),
            })  # fmt: skip
    return out


def temperature_gain(temperature: float) -> tuple[float, float, float]:
    return (1 + TEMPERATURE_GAIN * temperature, 1.0, 1 - TEMPERATURE_GAIN * temperature)


def fill_box(source: tuple[int, int], out: tuple[int, int]) -> Box:
    """The centred box of the source (w, h) with the output's aspect: what shows unframed."""
    w, h = source
    want = out[0] / out[1]
    if w / h > want:
        bw = h * want / w
        return ((1 - bw) / 2, 0.0, bw, 1.0)
    bh = w / want / h
    return (0.0, (1 - bh) / 2, 1.0, bh)


def zoom_box(base: Box, scale: float, centre: tuple[float, float] | None) -> Box:
    """`base` narrowed by `scale` around `centre` (source fractions), kept inside `base`."""
    bx, by, bw, bh = base
    w, h = bw / scale, bh / scale
    cx, cy = centre if centre is not None else (bx + bw / 2, by + bh / 2)
    x = min(max(cx - w / 2, bx), bx + bw - w)
    y = min(max(cy - h / 2, by), by + bh - h)
    return (x, y, w, h)


def view_box(effects: Sequence[Mapping[str, Any]], base: Box, t: float, duration: float) -> Box:
    """The view box at clip time t after the framing effects (punch-in, Ken Burns), in order."""
    box = base
    for e in effects:
        data, params = e.get("data") or {}, e["params"]
        centre = (float(data["centre"][0]), float(data["centre"][1])) if data.get("centre") else None
        if e["kind"] == "punch_in":
            box = zoom_box(box, float(params["scale"]), centre)
        elif e["kind"] == "ken_burns":
            u = min(max(t / duration, 0.0), 1.0) if duration > 0 else 0.0
            scale = params["start_scale"] + (params["end_scale"] - params["start_scale"]) * u
            if centre is not None:  # drift from the frame centre towards the face
                mid = (box[0] + box[2] / 2, box[1] + box[3] / 2)
                centre = (mid[0] + (centre[0] - mid[0]) * u, mid[1] + (centre[1] - mid[1]) * u)
            box = zoom_box(box, scale, centre)
    return box


def source_offset(effects: Sequence[Mapping[str, Any]], t: float, duration: float) -> float:
    """Seconds of media consumed by clip time t: a constant speed scales it, a ramp from `start` to
    `end` speed over the clip integrates (the first time effect on the clip counts)."""
    for e in effects:
        p = e["params"]
        if e["kind"] == "speed":
            return t * p["factor"]
        if e["kind"] == "speed_ramp":
            a, b = p["start"], p["end"]
            d = duration if duration > 0 else 1.0
            return a * t + (b - a) * t * t / (2 * d)
    return t


def vignette_gain(height: int, width: int, amount: float, radius: float, softness: float) -> Any:
    """HxW float32 gain: 1 in the middle, 1 - amount at the corners (r = 1 there)."""
    import numpy as np

    ys = (np.arange(height, dtype=np.float32) + 0.5) / height - 0.5
    xs = (np.arange(width, dtype=np.float32) + 0.5) / width - 0.5
    r = np.sqrt(xs[None, :] ** 2 + ys[:, None] ** 2) / math.sqrt(0.5)
    u = np.clip((r - radius) / max(softness, 1e-3), 0.0, 1.0)
    return (1.0 - amount * u * u * (3.0 - 2.0 * u)).astype(np.float32)


def colour_settings(effects: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The colour effects folded into the controls every host has: HSV saturation, an exposure
    multiply, contrast about mid grey, red/blue gains (the preview's `grade` applies them in this order)."""
    out: dict[str, Any] = {"saturation": 1.0, "multiply": 1.0, "contrast": 1.0, "gain": (1.0, 1.0, 1.0)}
    for e in effects:
        p = e["params"]
        if e["kind"] == "black_and_white":
            out["saturation"] *= 1.0 - p["strength"]
        elif e["kind"] == "grade":
            out["saturation"] *= p["saturation"]
            out["multiply"] *= 2.0 ** p["exposure"]
            out["contrast"] = p["contrast"]
            out["gain"] = temperature_gain(p["temperature"])
    return out
