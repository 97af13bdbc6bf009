"""`EditSpec`: the structured edit plan both planners (LLM and rules) produce, and selection consumes.

One schema for both producers, so the rest of the pipeline never knows which one wrote it; the
report's `spec_source` says which did.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Aspect = Literal["16:9", "9:16", "1:1", "4:5"]
Style = Literal["tighten", "highlight", "montage", "story"]
Order = Literal["chronological", "energy_arc"]

ASPECTS: tuple[str, ...] = ("16:9", "9:16", "1:1", "4:5")
STYLES: tuple[str, ...] = ("tighten", "highlight", "montage", "story")
ORDERS: tuple[str, ...] = ("chronological", "energy_arc")

# What each style means to someone reading the report.
STYLE_WORDS = {
    "tighten": "tighten a talking head (keep the speech, drop silences and fillers)",
    "highlight": "highlight reel (the strongest moments, short shots)",
    "montage": "music montage (visuals cut to the beat)",
    "story": "story cut (whole sentences, in order)",
}

# Shot-length range per style when the prompt says nothing about pacing (seconds).
DEFAULT_PACING = {
    "tighten": (0.4, 60.0),
    "highlight": (1.0, 5.0),
    "montage": (0.8, 4.0),
    "story": (1.5, 20.0),
}


class Pacing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_shot_s: float = Field(1.0, gt=0, le=600)
    max_shot_s: float = Field(6.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _ordered(self) -> Pacing:
        if self.max_shot_s < self.min_shot_s:
            raise ValueError(f"max_shot_s {self.max_shot_s} is below min_shot_s {self.min_shot_s}")
        return self


class EditSpec(BaseModel):
    """What the editor asked for, in fields selection can act on."""

    model_config = ConfigDict(extra="forbid")

    style: Style = "highlight"
    target_duration: float | None = Field(
        None, gt=0, le=4 * 3600
    )  # seconds; None = as long as the material needs
    aspect: Aspect = "16:9"
    pacing: Pacing = Field(default_factory=Pacing)
    include: list[str] = Field(default_factory=list, max_length=8)  # topics / phrases to favour
    avoid: list[str] = Field(default_factory=list, max_length=8)  # topics / phrases to leave out
    order: Order = "chronological"
    music: bool = False
    captions: bool = False
    remove_silences: bool = True
    remove_fillers: bool = False  # "um", "uh", "you know" set off by commas
    # Repeats and false starts too: they cut words the speaker said, so only when the prompt names them
    # ("remove the stutters"); "remove the ums" leaves "the the" alone.
    remove_disfluencies: bool = False

    @classmethod
    def for_style(cls, style: str, **fields: object) -> EditSpec:
        lo, hi = DEFAULT_PACING[style]
        fields.setdefault("pacing", Pacing(min_shot_s=lo, max_shot_s=hi))
        return cls(style=style, **fields)  # type: ignore[arg-type]

    def describe(self) -> str:
        parts = [STYLE_WORDS[self.style]]
        if self.target_duration:
            parts.append(f"about {self.target_duration:g} s")
        parts.append(f"aspect {self.aspect}")
        parts.append(f"shots {self.pacing.min_shot_s:g}-{self.pacing.max_shot_s:g} s")
        if self.include:
            parts.append("favouring " + ", ".join(self.include))
        if self.avoid:
            parts.append("avoiding " + ", ".join(self.avoid))
        parts.append(self.order.replace("_", " ") + " order")
        if self.music:
            parts.append("cut to music")
        if self.captions:
            parts.append("captions")
        return "; ".join(parts)
