"""What the speech edit did, shown on the Resolve timeline (issue 13).

Each `speech_removed` entry the engine placed at a join (its `record_s`) becomes a Red timeline marker
(Timeline.AddMarker, README) named "<kind>: <text>" with the reason in its note; Resolve holds one marker
per frame, so entries cut at the same join share one. The dialog's fades: the scripting README has no
call that sets a clip's audio fade or volume (TimelineItem.SetProperty's keys are picture ones), so the
10 ms fades the engine wants at each jump in the dialog are said in a note, and in the join markers'
notes; the FCP7 XML import (Resolve before 18.5) carries them as Cross Fade (+3dB) transitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from bridge.speech_labels import speech_label

from .otio_json import TimelineInfo

SPEECH_MARKER_COLOR = "Red"
SPEECH_MARKER_PREFIX = "autoedit-speech:"
FADE_ADVICE = (
    "the dialog fades here (10 ms out and in): set the clip fades by hand (the scripting API has none)"
)


@dataclass(frozen=True)
class SpeechMarker:
    frame: int  # timeline frames from its start
    name: str
    note: str
    custom_data: str


def _label(entry: dict[str, Any]) -> str:
    return speech_label(str(entry.get("kind") or ""), str(entry.get("text") or ""))


def _fade_ends(engine: TimelineInfo) -> set[Fraction]:
    """Record times (s) of the dialog joins where both sides fade (`audio_fade`)."""
    out: set[Fraction] = set()
    for index in range(1, engine.track_count("Audio") + 1):
        clips = engine.track("Audio", index)
        for a, b in zip(clips, clips[1:], strict=False):
            fa = (a.metadata.get("autoedit") or {}).get("audio_fade") or {}
            fb = (b.metadata.get("autoedit") or {}).get("audio_fade") or {}
            if fa.get("out_s") and fb.get("in_s") and a.record_end == b.record_start:
                out.add(a.record_end)
    return out


def fade_joins(engine: TimelineInfo) -> int:
    return len(_fade_ends(engine))


def speech_markers(engine: TimelineInfo, rate: Fraction) -> list[SpeechMarker]:
    """One marker per join frame that closed over cut speech, in timeline order."""
    entries = (engine.metadata.get("autoedit") or {}).get("speech_removed") or []
    fades = {int(round(t * rate)) for t in _fade_ends(engine)}
    by_frame: dict[int, list[dict[str, Any]]] = {}
    for entry in entries:
        at = entry.get("record_s") if isinstance(entry, dict) else None
        if isinstance(at, int | float) and not isinstance(at, bool):
            by_frame.setdefault(int(round(Fraction(str(at)) * rate)), []).append(entry)
    out = []
    for frame, group in sorted(by_frame.items()):
        labels = [_label(e) for e in group]
        name = labels[0] if len(group) == 1 else f"{labels[0]} (+{len(group) - 1} more)"
        lines = [
            f"Cut {label}: {e.get('reason') or ''}".rstrip(": ")
            for label, e in zip(labels, group, strict=True)
        ]
        if frame in fades:
            lines.append(f"Audio: {FADE_ADVICE}")
        kinds = ",".join(sorted({str(e.get("kind") or "") for e in group}))
        out.append(SpeechMarker(frame, name, "\n".join(lines), SPEECH_MARKER_PREFIX + kinds))
    return out


def fade_note(engine: TimelineInfo) -> str | None:
    """The import's note on the fades it could not set, or None when the dialog has none."""
    n = fade_joins(engine)
    if not n:
        return None
    return (
        f"{n} dialog join(s) want a 10 ms audio fade out and in so they do not click; Resolve's scripting API "
        "sets no audio fades, so add them by hand (the speech markers' notes say where the cut speech went), "
        "or import the FCP7 XML export, which carries them as Cross Fade (+3dB) transitions"
    )


def add_speech_markers(timeline: Any, engine: TimelineInfo, rate: Fraction) -> int:
    """The markers, through Timeline.AddMarker; a frame already marked (the AutoEdit marker at 0) moves
    the marker one frame on. Returns how many were added."""
    added = 0
    for m in speech_markers(engine, rate):
        args = (SPEECH_MARKER_COLOR, m.name, m.note, 1, m.custom_data)
        if timeline.AddMarker(m.frame, *args) or timeline.AddMarker(m.frame + 1, *args):
            added += 1
    return added
