"""Read the parts of an OTIO JSON document the Resolve host needs, with the standard library only.

Resolve runs our scripts in its own Python, where `opentimelineio` is not installed, so the host reads
the engine's timeline and Resolve's own OTIO export (`Timeline.Export(..., resolve.EXPORT_OTIO, ...)`)
here. Times stay rational: a `RationalTime.1` becomes `Fraction(value) / rate`, with the float rate
OTIO writes (e.g. 23.976023976023978) turned back into its exact fraction (24000/1001).
tests/resolve checks this reader against opentimelineio on the engine's own results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from bridge.effect_geometry import effect_dicts
from bridge.rates import exact_rate


def rational_seconds(rt: dict[str, Any] | None) -> Fraction:
    """A `RationalTime.1` dict as exact seconds."""
    if not rt:
        return Fraction(0)
    return Fraction(rt["value"]).limit_denominator(1_000_000) / exact_rate(rt["rate"])


@dataclass(frozen=True)
class MarkerInfo:
    name: str
    comment: str
    color: str | None
    metadata: dict[str, Any]


@dataclass(frozen=True)
class ClipInfo:
    """One clip of a track: where it sits on the timeline and which part of which file it shows."""

    name: str
    track_kind: str  # "Video" | "Audio"
    track_index: int  # 1-based among tracks of the same kind, as Resolve counts them
    index: int  # position among the clips of its track (gaps not counted)
    record_start: Fraction  # seconds from the timeline's start
    record_end: Fraction
    source_start: Fraction  # source time in seconds (includes the media's start timecode)
    source_end: Fraction
    rate: Fraction  # the clip's own rate (its source_range rate)
    path: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    markers: tuple[MarkerInfo, ...] = ()
    media_origin: Fraction = Fraction(0)  # source time of the media's first frame (its start timecode)
    effects: tuple[dict[str, Any], ...] = ()  # AutoEdit effects ({kind, params, data}), in order

    @property
    def decision_id(self) -> str | None:
        ae = self.metadata.get("autoedit")
        return ae.get("decision_id") if isinstance(ae, dict) else None

    @property
    def reason(self) -> str:
        ae = self.metadata.get("autoedit")
        return str(ae.get("reason") or "") if isinstance(ae, dict) else ""

    @property
    def review_rank(self) -> int | None:
        """1 = the engine's scorer is least sure of this clip: ask about it first."""
        ae = self.metadata.get("autoedit")
        rank = ae.get("review_rank") if isinstance(ae, dict) else None
        return int(rank) if isinstance(rank, int | float) else None


@dataclass(frozen=True)
class TimelineInfo:
    name: str
    metadata: dict[str, Any]
    rate: Fraction | None  # from global_start_time when present
    clips: tuple[ClipInfo, ...]

    @property
    def timeline_id(self) -> str | None:
        ae = self.metadata.get("autoedit")
        return ae.get("timeline_id") if isinstance(ae, dict) else None

    def track(self, kind: str, index: int) -> list[ClipInfo]:
        return [c for c in self.clips if c.track_kind == kind and c.track_index == index]

    def track_count(self, kind: str) -> int:
        return max((c.track_index for c in self.clips if c.track_kind == kind), default=0)


def _schema(obj: dict[str, Any]) -> str:
    return str(obj.get("OTIO_SCHEMA", "")).split(".")[0]


def _media_reference(clip: dict[str, Any]) -> dict[str, Any] | None:
    refs = clip.get("media_references")
    if isinstance(refs, dict) and refs:
        key = clip.get("active_media_reference_key") or "DEFAULT_MEDIA"
        return refs.get(key) or next(iter(refs.values()))
    if isinstance(clip.get("media_reference"), dict):  # Clip.1 (older OTIO, e.g. other hosts' exports)
        return clip["media_reference"]
    return None


def _media_path(clip: dict[str, Any]) -> str | None:
    ref = _media_reference(clip)
    if not ref or _schema(ref) != "ExternalReference":
        return None
    return file_url_to_path(str(ref.get("target_url") or "")) or None


def _media_origin(clip: dict[str, Any]) -> Fraction:
    ref = _media_reference(clip)
    available = ref.get("available_range") if isinstance(ref, dict) else None
    return rational_seconds(available.get("start_time")) if isinstance(available, dict) else Fraction(0)


def file_url_to_path(url: str) -> str:
    """OTIO target_url is a path or a file:// URL; hosts compare plain paths."""
    if url.startswith("file://"):
        from urllib.parse import unquote, urlparse

        parsed = urlparse(url)
        path = unquote(parsed.path)
        if len(path) > 2 and path[0] == "/" and path[2] == ":":  # file:///C:/x on Windows
            path = path[1:]
        return path
    return url


def _item_duration(item: dict[str, Any]) -> Fraction:
    sr = item.get("source_range")
    if sr:
        return rational_seconds(sr.get("duration"))
    if _schema(item) == "Clip":
        refs = item.get("media_references") or {}
        ref = next(iter(refs.values()), None) if isinstance(refs, dict) else item.get("media_reference")
        if ref and ref.get("available_range"):
            return rational_seconds(ref["available_range"].get("duration"))
    return Fraction(0)


def _markers(item: dict[str, Any]) -> tuple[MarkerInfo, ...]:
    out = []
    for m in item.get("markers") or []:
        out.append(
            MarkerInfo(
                name=str(m.get("name") or ""),
                comment=str(m.get("comment") or ""),
                color=m.get("color"),
                metadata=dict(m.get("metadata") or {}),
            )
        )
    return tuple(out)


def parse_timeline(text: str) -> TimelineInfo:
    """Parse OTIO JSON text. Raises ValueError when it is not a timeline."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not OTIO JSON: {exc}") from None
    if not isinstance(doc, dict) or _schema(doc) != "Timeline":
        raise ValueError("not an OTIO timeline (OTIO_SCHEMA is not Timeline.*)")
    gst = doc.get("global_start_time")
    rate = exact_rate(gst["rate"]) if gst else None
    clips: list[ClipInfo] = []
    counters: dict[str, int] = {}
    for track in (doc.get("tracks") or {}).get("children") or []:
        if _schema(track) != "Track":
            continue
        kind = str(track.get("kind") or "Video")
        counters[kind] = counters.get(kind, 0) + 1
        position = Fraction(0)
        index = 0
        for item in track.get("children") or []:
            schema = _schema(item)
            if schema == "Transition":  # transitions overlap neighbours and take no track time
                continue
            duration = _item_duration(item)
            if schema == "Clip":
                sr = item.get("source_range") or {}
                start = rational_seconds(sr.get("start_time"))
                clip_rate = exact_rate((sr.get("start_time") or sr.get("duration") or {"rate": 24})["rate"])
                clips.append(
                    ClipInfo(
                        name=str(item.get("name") or ""),
                        track_kind=kind,
                        track_index=counters[kind],
                        index=index,
                        record_start=position,
                        record_end=position + duration,
                        source_start=start,
                        source_end=start + duration,
                        rate=clip_rate,
                        path=_media_path(item),
                        metadata=dict(item.get("metadata") or {}),
                        markers=_markers(item),
                        media_origin=_media_origin(item),
                        effects=tuple(
                            effect_dicts(e.get("metadata") or {} for e in item.get("effects") or [])
                        ),
                    )
                )
                index += 1
            position += duration
    return TimelineInfo(
        name=str(doc.get("name") or ""),
        metadata=dict(doc.get("metadata") or {}),
        rate=rate,
        clips=tuple(clips),
    )


def read_timeline(path: str) -> TimelineInfo:
    with open(path, encoding="utf-8") as fh:
        return parse_timeline(fh.read())
