"""What the editor did to an applied edit, as preference events (bpy-free).

Explicit: accept / reject on strips. Implicit, found on the next sync by comparing each strip with the
state it was applied in (`autoedit_applied` = "start,end,channel,source_frame"): a changed source
range or length is a `trim`, a move with the same content is a `reorder`, a strip that is gone is a
`reject` marked implicit. Each finding is reported once: the host then records the new state.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .otio_vse import PROP_APPLIED, PROP_DECISION, PROP_STATUS, PROP_TIMELINE, StripState


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


def implicit_findings(
    strips: list[StripState], applied_decisions: dict[str, list[str]], rate: Fraction
) -> list[Finding]:
    """Trims and moves of applied strips, and applied decisions whose strips were deleted."""
    findings: list[Finding] = []
    present: set[tuple[str, str]] = set()
    for s in strips:
        decision = s.props.get(PROP_DECISION)
        recorded = s.props.get(PROP_APPLIED)
        if not decision or not recorded or s.kind not in ("movie", "sound", "offline"):
            continue
        timeline = s.props.get(PROP_TIMELINE)
        present.add((str(timeline), str(decision)))
        start, end, channel, source = parse_applied(str(recorded))
        now_source = source_frame(s) if s.kind != "offline" else source + (s.start - start)
        now = f"{s.start},{s.end},{s.channel},{now_source}"
        if now == recorded:
            continue
        before = {"record_start": start, "record_end": end, "source_frame": source, "channel": channel}
        after = {
            "record_start": s.start,
            "record_end": s.end,
            "source_frame": now_source,
            "channel": s.channel,
        }
        common = {
            "strip": s.name,
            "before": before,
            "after": after,
            "rate": [rate.numerator, rate.denominator],
        }
        if s.end - s.start != end - start or now_source != source:
            value = {
                **common,
                "head_frames": (now_source - source),
                "tail_frames": (now_source + (s.end - s.start)) - (source + (end - start)),
                "duration_frames": s.end - s.start,
            }
            findings.append(Finding("trim", timeline, str(decision), value, s.name, now))
        elif s.start != start or s.channel != channel:
            value = {**common, "moved_frames": s.start - start}
            findings.append(Finding("reorder", timeline, str(decision), value, s.name, now))
    for timeline, decisions in applied_decisions.items():
        for decision in decisions:
            if (str(timeline), str(decision)) not in present:
                findings.append(Finding("reject", timeline, decision, {"implicit": "deleted"}))
    return findings


def explicit_findings(strips: list[StripState], kind: str) -> list[Finding]:
    """accept/reject on these strips; strips already in that state are not reported again."""
    status = "accepted" if kind == "accept" else "rejected"
    out = []
    for s in strips:
        decision = s.props.get(PROP_DECISION)
        if decision and s.props.get(PROP_STATUS) != status:
            out.append(Finding(kind, s.props.get(PROP_TIMELINE), str(decision), {"strip": s.name}, s.name))
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
        if s.kind == "movie" and s.media_rate:
            t_in = Fraction(source_frame(s)) / s.media_rate
            t_out = t_in + Fraction(s.end - s.start) / s.media_rate
        else:
            t_in = Fraction(source_frame(s)) / rate + Fraction(s.sound_offset).limit_denominator(10**6)
            t_out = t_in + Fraction(s.end - s.start) / rate
        key = (s.path, round(float(t_in), 3), round(float(t_out), 3))
        if key in seen:
            continue
        seen.add(key)
        refs.append({"path": s.path, "in": float(t_in), "out": float(t_out)})
    return refs
