"""The transcript of a strip's source, as the sidebar shows it (bpy-free): every word of the file,
kept (some strip of that file on the timeline plays it, at this scene frame) or cut.

The engine writes each source's words into the timeline's metadata (`autoedit.transcripts`: path ->
[[text, start s, end s, disfluency kind], ...]); applying a timeline keeps them in a scene property,
so the panel still shows them after the edit is trimmed, and a word moved or cut by hand shows so.
What the engine cut from the speech (`autoedit.speech_removed`: fillers, false starts, retakes, asides,
each with its text, reason and the join's record time) is kept the same way, for the panel's list.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from bridge.speech_labels import speech_label

from .vse_model import NAMESPACE, StripState, source_seconds

TRANSCRIPTS_KEY = (
    "autoedit_transcripts"  # scene property: {source path: [[text, start, end, kind], ...]} JSON
)
REMOVED_KEY = "autoedit_speech_removed"  # scene property: {source path: [[kind, text, reason, start, end,
# scene frame of the join or -1], ...]} JSON
KEPT_SHARE = 0.5  # a word is kept when a strip plays at least this much of it


@dataclass(frozen=True)
class ShownWord:
    text: str
    start: float  # seconds into the source
    end: float
    kind: str  # disfluency kind ("" for a plain word)
    frame: int | None  # the scene frame where a strip plays the word's start; None: cut

    @property
    def kept(self) -> bool:
        return self.frame is not None


@dataclass(frozen=True)
class RemovedSpeech:
    kind: str  # filler | repeat | false_start | retake | aside
    text: str
    reason: str
    start: float  # seconds into the source
    end: float
    frame: int | None  # the scene frame of the join that closed over it; None: it has none

    @property
    def label(self) -> str:
        return speech_label(self.kind, self.text)


def _key(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def merged_transcripts(stored: str, timeline_metadata: Any) -> str:
    """The scene property after a timeline is applied: its transcripts join those already kept."""
    known: dict[str, Any] = json.loads(stored) if stored else {}
    meta = timeline_metadata.get(NAMESPACE, {}) if hasattr(timeline_metadata, "get") else {}
    new = meta.get("transcripts", {}) if hasattr(meta, "get") else {}
    for path, words in dict(new).items():
        known[_key(str(path))] = [[str(w[0]), float(w[1]), float(w[2]), str(w[3])] for w in words]
    return json.dumps(known)


def words_of(stored: str, path: str | None) -> list[list[Any]]:
    if not stored or not path:
        return []
    return json.loads(stored).get(_key(path), [])


def shown_words(
    words: Iterable[list[Any]], strips: list[StripState], path: str, rate: Fraction
) -> list[ShownWord]:
    """Each word of `path`'s transcript with the scene frame a strip of that file plays it at (the
    first strip, in timeline order, that plays most of it), or None where no strip does. Where the
    file has sound strips, only they play words: a picture over speech muted under the music (or
    whose sound strip was deleted by hand) says nothing."""
    own = [s for s in strips if not s.mute and s.path and _key(s.path) == _key(path)]
    heard = "sound" if any(s.kind == "sound" for s in own) else "movie"
    spans = []
    for s in own:
        if s.kind != heard:
            continue
        start = float(source_seconds(s, rate))
        spans.append((s.start, start, start + (s.end - s.start) / float(rate)))
    spans.sort()
    out = []
    for text, a, b, kind in words:
        a, b = float(a), float(b)
        frame = None
        for record, lo, hi in spans:
            if min(b, hi) - max(a, lo) >= KEPT_SHARE * max(b - a, 1e-3):
                frame = record + int(round((max(a, lo) - lo) * float(rate)))
                break
        out.append(ShownWord(str(text), a, b, str(kind), frame))
    return out


def merged_removed(stored: str, timeline_metadata: Any, start_frame: int, rate: Fraction) -> str:
    """The scene property after a timeline is applied: each source it cut speech from gets its list
    (the latest edit's), with the join's record time as a scene frame the way markers are placed."""
    known: dict[str, Any] = json.loads(stored) if stored else {}
    meta = timeline_metadata.get(NAMESPACE, {}) if hasattr(timeline_metadata, "get") else {}
    entries = meta.get("speech_removed", []) if hasattr(meta, "get") else []
    fresh: dict[str, list[list[Any]]] = {}
    for entry in entries:
        path = entry.get("path") if hasattr(entry, "get") else None
        if not path:
            continue
        at = entry.get("record_s")
        frame = start_frame + round(Fraction(str(at)) * rate) if isinstance(at, int | float) else -1
        row = [str(entry.get("kind") or ""), str(entry.get("text") or ""), str(entry.get("reason") or "")]
        fresh.setdefault(_key(str(path)), []).append(
            [*row, float(entry.get("start", 0.0)), float(entry.get("end", 0.0)), frame]
        )
    known.update(fresh)
    return json.dumps(known)


def removed_of(stored: str, path: str | None) -> list[RemovedSpeech]:
    if not stored or not path:
        return []
    rows = json.loads(stored).get(_key(path), [])
    return [
        RemovedSpeech(str(k), str(t), str(r), float(a), float(b), int(f) if int(f) >= 0 else None)
        for k, t, r, a, b, f in rows
    ]
