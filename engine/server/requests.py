"""Request bodies as the engine accepts them (pydantic). The wire format itself is bridge/protocol.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bridge.events import EVENT_KINDS
from bridge.formats import EXPORT_FORMATS

ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MediaItem(Body):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    path: str = Field(min_length=1, max_length=4096)
    in_s: float | None = Field(None, alias="in", ge=0)
    out_s: float | None = Field(None, alias="out", gt=0)


class JobOptions(Body):
    """The options run_edit understands are passed through; these are the ones the server acts on."""

    model_config = ConfigDict(extra="allow")

    exports: list[str] = Field(default_factory=list, max_length=len(EXPORT_FORMATS))
    seed: int | None = None
    target_duration: float | None = Field(None, gt=0)
    aspect: Literal["16:9", "9:16", "1:1", "4:5"] | None = None
    style: str | None = Field(None, max_length=200)
    captions: bool | None = None
    profile: Literal["embedded", "studio"] | None = None  # the host's settings profile for this job
    editor_profile: str | None = Field(None, min_length=1, max_length=128)  # whose taste (events' `profile`)

    @field_validator("exports")
    @classmethod
    def _export_formats(cls, value: list[str]) -> list[str]:
        unknown = [f for f in value if f not in EXPORT_FORMATS]
        if unknown:
            raise ValueError(
                f"unknown export format(s) {', '.join(map(repr, unknown))} (known: {', '.join(EXPORT_FORMATS)})"
            )
        return value


class Submit(Body):
    id: str
    job_id: str = Field(pattern=ID_PATTERN)
    kind: Literal["edit", "analyze", "probe", "transcript", "transcript_edit"] = "edit"
    media: list[MediaItem] = Field(min_length=1, max_length=2000)
    prompt: str = Field("", max_length=20000)
    music: str | None = Field(None, max_length=4096)
    options: JobOptions = Field(default_factory=JobOptions)


class Cancel(Body):
    id: str
    job_id: str = Field(pattern=ID_PATTERN)


class Status(Body):
    id: str
    job_id: str | None = Field(None, pattern=ID_PATTERN)


class Feedback(Body):
    id: str
    events: list[Any] = Field(max_length=100_000)


class PreferenceEvent(Body):
    """DESIGN.md's preference event; `event_id` makes storing it idempotent."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(pattern=ID_PATTERN)
    timeline_id: str | None = Field(None, max_length=256)
    decision_id: str | None = Field(None, max_length=256)
    kind: str
    value: dict[str, Any] = Field(default_factory=dict)
    time: str
    profile: str = Field("default", min_length=1, max_length=128)

    @field_validator("kind")
    @classmethod
    def _event_kind(cls, value: str) -> str:
        if value not in EVENT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(EVENT_KINDS)}")
        return value

    @field_validator("time")
    @classmethod
    def _iso8601(cls, value: str) -> str:
        datetime.fromisoformat(value)  # ValueError -> a validation error naming the field
        return value


def describe(error: ValidationError) -> str:
    """A short, readable summary of what is wrong with a request."""
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "(message)"
        parts.append(f"{where}: {item['msg']}")
    more = len(error.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
