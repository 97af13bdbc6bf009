"""The effect library as data: each kind's parameters (range, default, unit), what it needs from the
analysis, and where it applies. Hosts, the preview, the planner and the OTIO writer all read this one
table, so a kind means the same everywhere.

An `Effect` is one use of a kind on a clip: its parameters (validated and clamped to the ranges), the
reason it was chosen, who chose it, and per-clip data computed from the analysis (a tracked box).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine.errors import BadInput

SOURCES = ("rules", "llm", "generated", "user")


@dataclass(frozen=True)
class Param:
    name: str
    default: float
    low: float
    high: float
    unit: str
    doc: str


@dataclass(frozen=True)
class EffectKind:
    name: str
    doc: str
    params: tuple[Param, ...] = ()
    needs: tuple[str, ...] = ()  # analysis fields: "faces", "objects"
    group: str = "look"  # look (pixels) | frame (crop/zoom) | time (speed) | cut (fades, transitions)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}


KINDS: tuple[EffectKind, ...] = (
    EffectKind(
        "grade",
        "Colour grade in display space: saturation (HSV), exposure, contrast about mid grey, warm/cool.",
        (
            Param("exposure", 0.0, -3.0, 3.0, "stops", "brightness as a power of two"),
            Param("contrast", 1.0, 0.0, 3.0, "factor", "spread about mid grey (1 = unchanged)"),
            Param("saturation", 1.0, 0.0, 3.0, "factor", "HSV saturation factor: 0 = grey, 1 = unchanged"),
            Param(
                "temperature",
                0.0,
                -1.0,
                1.0,
                "warm+/cool-",
                "red up and blue down for warm, the reverse for cool",
            ),
        ),
    ),
    EffectKind(
        "black_and_white",
        "Saturation to zero with the HSV value kept (as hosts' saturation controls do); 1 is fully grey.",
        (Param("strength", 1.0, 0.0, 1.0, "mix", "share of the grey picture"),),
    ),
    EffectKind(
        "vignette",
        "Darkens the corners: gain = 1 - amount * smoothstep(radius, radius + softness, r), r the "
        "distance from the centre with the corners at 1.",
        (
            Param("amount", 0.6, 0.0, 1.0, "mix", "darkening at the corners"),
            Param("radius", 0.55, 0.0, 1.0, "fraction", "where the darkening starts"),
            Param("softness", 0.45, 0.01, 1.0, "fraction", "how far it ramps"),
        ),
    ),
    EffectKind(
        "blur_region",
        "Blurs the tracked boxes (faces or objects of a label) for the whole clip.",
        (
            Param("strength", 12.0, 1.0, 64.0, "px at 240p", "Gaussian radius"),
            Param("grow", 0.15, 0.0, 1.0, "fraction", "box margin"),
        ),
        needs=("faces", "objects"),
    ),
    EffectKind(
        "pixelate_region",
        "Pixelates the tracked boxes (faces or objects of a label) for the whole clip.",
        (
            Param("block", 12.0, 2.0, 64.0, "px at 240p", "mosaic cell size"),
            Param("grow", 0.15, 0.0, 1.0, "fraction", "box margin"),
        ),
        needs=("faces", "objects"),
    ),
    EffectKind(
        "punch_in",
        "Zoom in on the speaker: the frame narrowed by `scale` around the median face centre.",
        (Param("scale", 1.3, 1.0, 3.0, "factor", "magnification"),),
        needs=("faces",),
        group="frame",
    ),
    EffectKind(
        "ken_burns",
        "Slow zoom (and drift towards the face, if any) from `start_scale` to `end_scale` over the clip.",
        (
            Param("start_scale", 1.0, 1.0, 3.0, "factor", "magnification at the first frame"),
            Param("end_scale", 1.15, 1.0, 3.0, "factor", "magnification at the last frame"),
        ),
        group="frame",
    ),
    EffectKind(
        "speed",
        "Constant speed (audio pitch kept); the clip keeps its length on the record and uses "
        "`factor` times as much media.",
        (Param("factor", 1.0, 0.25, 4.0, "x", "playback speed"),),
        group="time",
    ),
    EffectKind(
        "speed_ramp",
        "Speed changing linearly from `start` to `end` over the clip (audio pitch kept).",
        (
            Param("start", 1.0, 0.25, 4.0, "x", "speed at the first frame"),
            Param("end", 0.5, 0.25, 4.0, "x", "speed at the last frame"),
        ),
        group="time",
    ),
    EffectKind(
        "fade",
        "Fade from black at the clip's start and/or to black at its end (picture and sound).",
        (
            Param("in_s", 0.0, 0.0, 10.0, "s", "fade-in length"),
            Param("out_s", 0.0, 0.0, 10.0, "s", "fade-out length"),
        ),
        group="cut",
    ),
    EffectKind(
        "crossfade",
        "Dissolve from the previous clip's last frame into this clip over `duration_s`.",
        (Param("duration_s", 0.5, 0.04, 3.0, "s", "dissolve length"),),
        group="cut",
    ),
    EffectKind(
        "code",
        "A frame function written by the code model or the user; runs only in the sandbox.",
        group="look",
    ),
)
LIBRARY: dict[str, EffectKind] = {k.name: k for k in KINDS}


@dataclass
class Effect:
    """One effect on one clip. `data` holds what was computed from the analysis for this clip (e.g.
    `box` for a punch-in, `track` [[t, x, y, w, h], ...] for a region), or `source` for code."""

    kind: str
    params: dict[str, float] = field(default_factory=dict)
    reason: str = ""
    source: str = "rules"
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.params = checked_params(self.kind, self.params)
        if self.source not in SOURCES:
            raise BadInput(f"effect source must be one of {', '.join(SOURCES)}, got {self.source!r}")

    @property
    def spec(self) -> EffectKind:
        return LIBRARY[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "params": dict(self.params),
            "reason": self.reason,
            "source": self.source,
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Effect:
        return cls(
            str(value["kind"]),
            dict(value.get("params") or {}),
            str(value.get("reason") or ""),
            str(value.get("source") or "rules"),
            dict(value.get("data") or {}),
        )


def checked_params(kind: str, params: dict[str, Any]) -> dict[str, float]:
    """Defaults filled in and every value clamped to its range; unknown kinds or names are bad input."""
    spec = LIBRARY.get(kind)
    if spec is None:
        raise BadInput(f"unknown effect {kind!r} (known: {', '.join(LIBRARY)})")
    known = {p.name for p in spec.params}
    unknown = set(params) - known
    if unknown:
        raise BadInput(f"effect {kind}: unknown parameter(s) {', '.join(sorted(unknown))}")
    out = spec.defaults()
    for name, value in params.items():
        p = spec.param(name)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise BadInput(f"effect {kind}: {name} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise BadInput(f"effect {kind}: {name} must be finite, got {value!r}")
        out[name] = min(max(number, p.low), p.high)
    return out


def describe_library() -> list[dict[str, Any]]:
    """The library as plain data (for the LLM prompt, docs and hosts)."""
    return [
        {
            "name": k.name,
            "doc": k.doc,
            "group": k.group,
            "needs": list(k.needs),
            "params": [
                {"name": p.name, "default": p.default, "range": [p.low, p.high], "unit": p.unit, "doc": p.doc}
                for p in k.params
            ],
        }
        for k in KINDS
    ]
