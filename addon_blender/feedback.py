"""What the editor did to an applied edit, as preference events (bpy-free).

Explicit: accept / reject on strips. Implicit, found on the next sync by comparing each strip with the
state it was applied in (`autoedit_applied` = "start,end,channel,source_frame"): a changed source
range or length is a `trim`, a move with the same content is a `reorder`, a strip that is gone is a
`reject` marked implicit. Each finding is reported once: the host then records the new state. Values
are bridge.events' (DESIGN.md's one shape per kind).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from bridge import events

from .vse_model import (
    PROP_APPLIED,
    PROP_DECISION,
    PROP_METADATA,
    PROP_OFFLINE_IN,
    PROP_SOURCE_RATE,
    PROP_STATUS,
    PROP_TIMELINE,
    PROP_TRACK,
    StripState,
    parse_fraction,
    source_seconds,
)


@dataclass(frozen=True)
class Finding:
    kind: str  # accept | reject | trim | reorder
    timeline_id: str | None
    decision_id: str | None
    value: dict[str, Any]
    strip: str | None = None  # the strip whose recorded state should be updated
    applied: str | None = None  # its new `autoedit_applied` value


def parse_applied(text: str) -> tuple[int, int, int, int]:
    start, end, channel, source = (int(float(v)) for v in str(text).split(","))
    return start, end, channel, source


def source_frame(strip: StripState) -> int:
    """File frame (movies) or scene frame into the file (sounds) at the strip's first visible frame."""
    return round(strip.start - strip.frame_start)


def _track_group(strip: StripState) -> str:
    """The OTIO track kind a decision strip belongs to (reorders count positions within it)."""
    if strip.kind == "offline":
        return "audio" if str(strip.props.get(PROP_TRACK, "")).startswith("Audio") else "video"
    return "audio" if strip.kind == "sound" else "video"


def _frame_rate(strip: StripState, scene_rate: Fraction) -> Fraction:
    """The rate a strip's source frames are counted in: a movie's own, else the scene's."""
    return strip.media_rate if strip.kind == "movie" and strip.media_rate else scene_rate


def _clip_metadata(strip: StripState) -> dict[str, Any]:
    try:
        meta = json.loads(str(strip.props.get(PROP_METADATA) or "{}"))
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _trim(strip: StripState, recorded: tuple[int, int, int, int], now_source: int, rate: Fraction) -> dict:
    start, end, _channel, source = recorded
    unit = _frame_rate(strip, rate)
    if strip.kind == "offline":
        kept_start = (
            parse_fraction(str(strip.props.get(PROP_OFFLINE_IN, "0"))) + Fraction(strip.start - start) / rate
        )
    else:
        kept_start = source_seconds(strip, rate)
    kept_end = kept_start + Fraction(strip.end - strip.start) / unit
    jcut_head, jcut_tail = events.picture_offsets(_clip_metadata(strip))  # the decision's range, not the
    clip_rate = parse_fraction(str(strip.props.get(PROP_SOURCE_RATE) or "0")) or unit  # picture's (J cut)
    kept_start -= Fraction(jcut_head) / clip_rate
    kept_end -= Fraction(jcut_tail) / clip_rate
    return events.trim_value(
        float(kept_start),
        float(kept_end),
        head_frames=now_source - source,
        tail_frames=(now_source + (strip.end - strip.start)) - (source + (end - start)),
        rate=(unit.numerator, unit.denominator),
    )


def implicit_findings(
    strips: list[StripState], applied_decisions: dict[str, list[str]], rate: Fraction
) -> list[Finding]:
    """Trims and moves of applied strips, and applied decisions whose strips were deleted."""
    findings: list[Finding] = []
    present: set[tuple[str, str]] = set()
    placed: list[tuple[StripState, tuple[int, int, int, int]]] = []
    for s in strips:
        decision = s.props.get(PROP_DECISION)
        recorded = s.props.get(PROP_APPLIED)
        if not decision or not recorded or s.kind not in ("movie", "sound", "offline"):
            continue
        present.add((str(s.props.get(PROP_TIMELINE)), str(decision)))
        placed.append((s, parse_applied(str(recorded))))
    # Positions on each track before (as applied) and now, for reorders.
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for group in ("video", "audio"):
        members = [(s, r) for s, r in placed if _track_group(s) == group]
        for k, (s, _r) in enumerate(sorted(members, key=lambda m: (m[1][0], m[1][2]))):
            before[s.name] = k
        for k, (s, _r) in enumerate(sorted(members, key=lambda m: (m[0].start, m[0].channel))):
            after[s.name] = k
    for s, (start, end, channel, source) in placed:
        now_source = source_frame(s) if s.kind != "offline" else source + (s.start - start)
        now = f"{s.start},{s.end},{s.channel},{now_source}"
        if now == s.props.get(PROP_APPLIED):
            continue
        timeline, decision = s.props.get(PROP_TIMELINE), str(s.props[PROP_DECISION])
        if s.end - s.start != end - start or now_source != source:
            value = _trim(s, (start, end, channel, source), now_source, rate)
            findings.append(Finding("trim", timeline, decision, value, s.name, now))
        elif s.start != start or s.channel != channel:
            value = events.reorder_value(before[s.name], after[s.name])
            findings.append(Finding("reorder", timeline, decision, value, s.name, now))
    for timeline, decisions in applied_decisions.items():
        for decision in decisions:
            if (str(timeline), str(decision)) not in present:
                value = events.reject_value(events.IMPLICIT_DELETED)
                findings.append(Finding("reject", timeline, decision, value))
    return findings


def explicit_findings(strips: list[StripState], kind: str) -> list[Finding]:
    """accept/reject on these strips; strips already in that state are not reported again."""
    status = "accepted" if kind == "accept" else "rejected"
    out = []
    for s in strips:
        decision = s.props.get(PROP_DECISION)
        if decision and s.props.get(PROP_STATUS) != status:
            out.append(Finding(kind, s.props.get(PROP_TIMELINE), str(decision), {}, s.name))
    return out


def media_refs(
    strips: list[StripState], rate: Fraction, exclude: frozenset[str] | set[str] = frozenset()
) -> list[dict[str, Any]]:
    """The engine's input: each used file with the range (seconds) the strips use, movie+sound pairs of
    the same file and range given once."""
    refs: list[dict[str, Any]] = []
    seen: set[tuple[str, float, float]] = set()
    for s in sorted(strips, key=lambda x: (x.start, x.channel)):
        if s.kind not in ("movie", "sound") or not s.path or s.name in exclude:
            continue
        t_in = source_seconds(s, rate)
        t_out = t_in + Fraction(s.end - s.start) / _frame_rate(s, rate)
        key = (s.path, round(float(t_in), 3), round(float(t_out), 3))
        if key in seen:
            continue
        seen.add(key)
        refs.append({"path": s.path, "in": float(t_in), "out": float(t_out)})
    return refs
