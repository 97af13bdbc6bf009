"""AutoEdit effects -> what Resolve's documented scripting API can set on a timeline item.

The README gives two calls that change a picture: `TimelineItem.SetCDL` (one node's slope, offset,
power and saturation: static) and `TimelineItem.SetProperty` (Pan, Tilt, ZoomX, ZoomY, Opacity...:
static). So the colour effects become one CDL and a static punch-in becomes zoom and pan; the rest
(vignette, regions, Ken Burns, speed, ramps, fades, crossfades, code effects) has no call, and the
engine's `--preview` shows them (resolve_scripts/README.md lists them). The colour and framing maths
are bridge.effect_geometry's, the same as the preview's and Blender's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.effect_geometry import colour_settings, fill_box, view_box

COLOUR_KINDS = ("black_and_white", "grade")
FRAMING_KINDS = ("punch_in",)
SCALING_FILL = 3  # README, "Looking up Timeline item properties": Scaling 0 project, 1 crop, 2 fit, 3 fill


@dataclass
class ItemSettings:
    """What one timeline item gets."""

    cdl: dict[str, str] | None = None
    properties: dict[str, float] = field(default_factory=dict)
    preview_only: list[str] = field(default_factory=list)


def _triple(values: Sequence[float]) -> str:
    return " ".join(f"{v:.6g}" for v in values)


def cdl_for(effects: Sequence[Mapping[str, Any]]) -> dict[str, str] | None:
    """The colour effects as one CDL node. The preview's multiply, contrast about mid grey and red/blue
    gains are linear: out = x * multiply * contrast * gain + 0.5 * (1 - contrast) * gain, which is the
    CDL's slope and offset (power 1). CDL saturation is luma-weighted where the preview's is HSV: equal
    at 1, both grey at 0, the grey a little darker in Resolve."""
    if not any(e["kind"] in COLOUR_KINDS for e in effects):
        return None
    c = colour_settings(effects)
    m, k, gain = c["multiply"], c["contrast"], c["gain"]
    return {
        "NodeIndex": "1",
        "Slope": _triple([m * k * g for g in gain]),
        "Offset": _triple([0.5 * (1 - k) * g for g in gain]),
        "Power": _triple([1.0, 1.0, 1.0]),
        "Saturation": f"{c['saturation']:.6g}",
    }


def framing_for(
    effects: Sequence[Mapping[str, Any]], source: tuple[int, int], timeline: tuple[int, int]
) -> dict[str, float]:
    """A static punch-in as ZoomX/ZoomY and Pan/Tilt (timeline pixels; Tilt up is positive), over
    Scaling 3 ("fill": the source scaled to cover the timeline frame, cropped), the preview's fill box."""
    if not any(e["kind"] in FRAMING_KINDS for e in effects) or not all(source) or not all(timeline):
        return {}
    base = fill_box(source, timeline)
    x, y, w, h = view_box([e for e in effects if e["kind"] in FRAMING_KINDS], base, 0.0, 1.0)
    zoom = base[2] / w
    pan = (base[0] + base[2] / 2 - (x + w / 2)) / base[2] * timeline[0] * zoom
    tilt = ((y + h / 2) - (base[1] + base[3] / 2)) / base[3] * timeline[1] * zoom
    return {
        "Scaling": SCALING_FILL,
        "ZoomX": round(zoom, 6),
        "ZoomY": round(zoom, 6),
        "Pan": round(pan, 3),
        "Tilt": round(tilt, 3),
    }


def item_settings(
    effects: Sequence[Mapping[str, Any]], source: tuple[int, int], timeline: tuple[int, int]
) -> ItemSettings:
    mapped = set(COLOUR_KINDS) | set(FRAMING_KINDS)
    framing = framing_for(effects, source, timeline)
    preview_only = [e["kind"] for e in effects if e["kind"] not in mapped]
    if any(e["kind"] in FRAMING_KINDS for e in effects) and not framing:
        preview_only.append("punch_in (the source's size is unknown)")
    return ItemSettings(cdl_for(effects), framing, preview_only)


def resolution(text: Any) -> tuple[int, int]:
    """A clip's "Resolution" property ("1920x1080") as (w, h); (0, 0) when absent or odd."""
    try:
        w, h = str(text or "").lower().split("x")
        return (int(w), int(h))
    except ValueError:
        return (0, 0)
