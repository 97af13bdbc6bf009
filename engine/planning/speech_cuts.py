"""What a speech edit cuts and where it may cut: disfluencies out, whole thoughts in.

Two rules candidates.py applies to speech units:
- cut what the prompt asks to lose: with "remove the ums" every disfluency the analysis found
  (fillers, repeats, false starts, retakes, asides); a plain "tighten" still drops retakes and
  asides, since an editor never keeps a derailment or the take the speaker redid;
- cut only between thoughts: a speech unit starts where a sentence or clause starts and ends where
  one ends (end punctuation, a semicolon or colon, or a comma followed by a real pause), so a long
  sentence is split at its clauses or kept whole, never halved mid-phrase; when the length forces a
  choice, the selection drops a thought rather than cuts one. A thought the speaker trails off
  ("a better future for our...": Whisper's ellipsis) or the source cuts off has no end to cut at,
  so a highlight leaves it out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.analysis.columns import SpanIndex
from engine.analysis.disfluencies import END_PUNCTUATION, answers, clean
from engine.analysis.report import Disfluency, MediaAnalysis, Word
from engine.planning.spec import EditSpec

MIN_CONFIDENCE = 0.45  # below this a finding is shown but not cut
TIGHTEN_KINDS = frozenset({"retake", "aside"})
FILLER_KINDS = frozenset({"filler"})
DISFLUENCY_KINDS = frozenset({"filler", "repeat", "false_start"})
CLAUSE_END = (".", "?", "!", ";", ":")
TRAILING_OFF = ("...", "\u2026")  # Whisper's mark for words that stop without finishing the sentence
PAUSE_MARKS = (",", "-", "\u2014")
CLAUSE_PAUSE_S = 0.35  # after a comma (or a dash), a pause this long also ends a clause
SENTENCE_GAP_S = 0.45  # a pause this long ends a sentence-like unit on an unpunctuated transcript
STOP_PAUSE_S = 1.5  # ... and on a punctuated one, a pause this long after any word (the speaker stopped)
COVER_SHARE = 0.5  # a word this much inside a cut finding goes with it


@dataclass(frozen=True)
class Cut:
    """A stretch of a source the edit leaves out, and the reason the host shows for it."""

    kind: str
    start: float
    end: float
    text: str
    reason: str


class Cuts(list[Cut]):
    """Cuts sorted by start, with a SpanIndex built once: a word or a unit looks up the few cuts near it
    instead of scanning all of them (words x cuts is ~10^8 on a 10-hour talk, issue 19)."""

    def __init__(self, cuts: Sequence[Cut] = ()):
        super().__init__(cuts)
        self.spans = SpanIndex((c.start, c.end) for c in self)

    def near(self, a: float, b: float) -> list[Cut]:
        """The cuts overlapping (a, b), in order."""
        return [self[k] for k in self.spans.overlapping(a, b)]


def _near(cuts: Sequence[Cut], a: float, b: float) -> Sequence[Cut]:
    return cuts.near(a, b) if isinstance(cuts, Cuts) else cuts


def cuts_for(media: MediaAnalysis, spec: EditSpec) -> Cuts:
    """The disfluencies of one source this spec removes, sorted by start."""
    kinds = cut_kinds(spec)
    if not kinds:
        return Cuts()
    return Cuts([_cut(d) for d in sorted(media.disfluencies, key=lambda d: d.start) if _removes(d, kinds)])


def cut_kinds(spec: EditSpec) -> frozenset[str]:
    """The kinds of disfluency an edit cuts: those the prompt names, and a tightened talk's retakes and
    asides. A repeat or false start is words the speaker said, so "remove the ums" keeps them."""
    kinds = (
        DISFLUENCY_KINDS if spec.remove_disfluencies else FILLER_KINDS if spec.remove_fillers else frozenset()
    )
    return kinds | TIGHTEN_KINDS if spec.style == "tighten" else kinds


def _removes(d: Disfluency, kinds: frozenset[str]) -> bool:
    return d.kind in kinds and d.confidence >= MIN_CONFIDENCE and d.end > d.start


def _cut(d: Disfluency) -> Cut:
    return Cut(d.kind, d.start, d.end, d.text, d.reason)


def is_cut(word: Word, cuts: Sequence[Cut]) -> bool:
    """Whether a word goes with a cut (mostly inside it)."""
    length = max(word.end - word.start, 1e-3)
    near = _near(cuts, word.start, word.end)
    inside = sum(max(0.0, min(word.end, c.end) - max(word.start, c.start)) for c in near)
    return inside / length >= COVER_SHARE


def breaks(cuts: Sequence[Cut]) -> list[float]:
    """Times at which a sentence must break because something between its words is cut."""
    return sorted((c.start + c.end) / 2 for c in cuts)


def clamp(a: float, b: float, first: Word, last: Word, cuts: Sequence[Cut]) -> tuple[float, float]:
    """Keep a unit's margins [a, first.start] and [last.end, b] off every cut stretch."""
    for c in _near(cuts, a, first.start + 1e-6):
        if c.end <= first.start + 1e-6 and c.end > a:
            a = c.end
    for c in _near(cuts, last.end - 1e-6, b):
        if c.start >= last.end - 1e-6 and c.start < b:
            b = c.start
    return a, b


def trails_off(text: str) -> bool:
    return text.rstrip().endswith(TRAILING_OFF)


def ends_sentence(text: str) -> bool:
    """End punctuation that ends the sentence, not Whisper's trailing off ("our...")."""
    return text.rstrip().endswith(END_PUNCTUATION) and not trails_off(text)


def punctuated(words: Sequence[Word]) -> bool:
    """Whether the transcript marks its sentences (Whisper's does; some ASR writes bare words)."""
    return any(w.text.rstrip().endswith(CLAUSE_END) for w in words)


def ends_thought(word: Word, next_start: float | None, punctuation_only: bool = False) -> bool:
    """A sentence or clause ends after this word: end punctuation, or a comma and a pause, or a long
    pause (with `punctuation_only`, one as long as STOP_PAUSE_S). Words that trail off end nothing:
    only a long pause after them does."""
    text = word.text.rstrip()
    if text.endswith(CLAUSE_END) and not trails_off(text):
        return True
    pause = (next_start - word.end) if next_start is not None else 10.0
    bare = STOP_PAUSE_S if punctuation_only else 2 * CLAUSE_PAUSE_S
    return text.endswith(PAUSE_MARKS) and pause >= CLAUSE_PAUSE_S or pause >= bare


def split_at_thoughts(group: list[Word], max_s: float, punctuation_only: bool = False) -> list[list[Word]]:
    """Split a sentence longer than `max_s` at its clause ends (the latest that fits first); a sentence
    without one stays whole (the selection then keeps it whole or drops it)."""
    if group[-1].end - group[0].start <= max_s or len(group) < 2:
        return [group]
    ends = [i for i in range(len(group) - 1) if ends_thought(group[i], group[i + 1].start, punctuation_only)]
    if not ends:
        return [group]
    fitting = [i for i in ends if group[i].end - group[0].start <= max_s]
    at = fitting[-1] if fitting else ends[0]
    return [group[: at + 1]] + split_at_thoughts(group[at + 1 :], max_s, punctuation_only)


def thought_regions(
    regions: list[tuple[float, float]], group: list[Word], punctuation_only: bool = False
) -> list[tuple[float, float]]:
    """Of the gaps inside a speech unit, those at a thought's end (and the unit's own margins)."""
    if not group:
        return regions
    ends = {
        round(w.end, 6)
        for k, w in enumerate(group)
        if ends_thought(w, group[k + 1].start if k + 1 < len(group) else None, punctuation_only)
    }
    first, last = group[0].start, group[-1].end
    return [(x, y) for x, y in regions if y <= first + 1e-6 or x >= last - 1e-6 or round(x, 6) in ends]


RUN_OFF_S = 0.3  # speech this close to the end of the range runs off it


def unfinished(group: list[Word], hi: float, spec: EditSpec) -> bool:
    """A thought the speaker trails off, or one the source cuts off (its last words reach the end
    without end punctuation): a highlight leaves it out; a tighten keeps everything said."""
    if spec.style == "tighten" or not group:
        return False
    last = group[-1]
    return trails_off(last.text) or (
        hi - last.end < RUN_OFF_S and not last.text.rstrip().endswith(CLAUSE_END)
    )


class Played:
    """The source ranges a timeline plays, (path, start s, end s), to ask whether it plays a stretch."""

    def __init__(self, ranges: Sequence[tuple[str, float, float]]):
        self._ranges: dict[str, list[tuple[float, float]]] = {}
        for path, a, b in ranges:
            self._ranges.setdefault(path, []).append((a, b))
        self._spans = {path: SpanIndex(r) for path, r in self._ranges.items()}

    def plays(self, path: str, start: float, end: float) -> bool:
        """Whether the timeline plays most of (start, end) of this source."""
        if path not in self._spans:
            return False
        ranges = self._ranges[path]
        inside = sum(
            max(0.0, min(end, ranges[k][1]) - max(start, ranges[k][0]))
            for k in self._spans[path].overlapping(start, end)
        )
        return inside >= COVER_SHARE * max(end - start, 1e-3)


def removed_report(
    cuts_by_media: Sequence[tuple[str, Sequence[Cut]]], played: Played
) -> list[dict[str, object]]:
    """The report's `speech_removed`: every disfluency the edit cut, with its reason. A disfluency the
    timeline still plays was not cut (one under less than half of a word that stays): not claimed."""
    return [
        {"path": path, "kind": c.kind, "start": c.start, "end": c.end, "text": c.text, "reason": c.reason}
        for path, cuts in cuts_by_media
        for c in cuts
        if not played.plays(path, c.start, c.end)
    ]


def left_in_note(media: Sequence[MediaAnalysis], spec: EditSpec, played: Played) -> str | None:
    """Say which disfluencies the timeline plays because the prompt asked only for the fillers."""
    if not spec.remove_fillers:
        return None
    left = DISFLUENCY_KINDS - cut_kinds(spec)
    kept = Counter(
        d.kind
        for m in media
        for d in m.disfluencies
        if d.kind in left and d.confidence >= MIN_CONFIDENCE and played.plays(m.path, d.start, d.end)
    )
    if not kept:
        return None
    said = " and ".join(
        f"{n} {kind.replace('_', ' ')}{'s' if n > 1 else ''}" for kind, n in sorted(kept.items())
    )
    return f"{said} left in: only the fillers were asked for (ask to remove the stutters to cut them too)"


def thought_notes(
    candidates: Sequence[object], chosen: set[str], spec: EditSpec, media: Sequence[MediaAnalysis] = ()
) -> list[str]:
    """Say when whole thoughts were dropped because cutting them was the only way to fit, or because
    the speaker or the source leaves them unfinished."""
    notes = []
    for m in media:
        words = sorted(m.words, key=lambda w: w.start)
        trailing = sum(trails_off(w.text) for w in words[:-1])
        if words and unfinished(words, m.duration, spec):
            notes.append(f"{Path(m.path).name}: its last sentence is left unfinished; left out")
        if trailing and spec.style != "tighten":
            notes.append(f"{Path(m.path).name}: {trailing} sentence(s) trailing off unfinished left out")
    long = [
        c
        for c in candidates
        if getattr(c, "kind", "") == "speech"
        and getattr(c, "id", "") not in chosen
        and getattr(c, "duration_s", 0.0) > spec.pacing.max_shot_s + 1e-6
    ]
    if not long:
        return notes
    return notes + [
        f"{len(long)} sentence(s) longer than the {spec.pacing.max_shot_s:g} s shots allow were left out whole "
        "rather than cut mid-thought"
    ]


# -- meaning (MiniLM): retakes said in other words, asides no pattern names --------------------------

MEANING_RETAKE = 0.75  # cosine of two lines for the earlier to be a take of the later (unrelated: <= 0.52)
MEANING_ASIDE = 0.45  # cosine to an aside prototype for a line said to the crew (content: <= 0.35)
MEANING_WINDOW_S = 20.0  # a line said again within this long is a retake of it
MAX_ASIDE_WORDS = 10
MIN_TAKE_WORDS = 4
ASIDE_PROTOTYPES = (
    "where was I",
    "what was I saying",
    "sorry, let me say that again",
    "let me start over",
    "can we cut that",
    "can we stop recording",
    "are we still rolling",
    "sorry, I lost my train of thought",
)


def wants_cuts(spec: EditSpec) -> bool:
    return bool(spec.remove_fillers or spec.style == "tighten")


def _lines(words: Sequence[Word]) -> list[list[Word]]:
    out: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w.start):
        if out and not (
            out[-1][-1].text.rstrip().endswith(END_PUNCTUATION) or w.start - out[-1][-1].end >= SENTENCE_GAP_S
        ):
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _covered(line: list[Word], found: SpanIndex) -> bool:
    return bool(found.holding(line[0].start, line[-1].end, slack=1e-3))


def meaning_findings(media: MediaAnalysis, embed: Callable[[list[str]], np.ndarray]) -> list[Disfluency]:
    """Retakes and asides by meaning, beside the analysis's word patterns: a line whose meaning comes
    back within MEANING_WINDOW_S (the earlier take goes, as with a line said twice), and a short line
    close in meaning to something said to the crew. Lines the analysis already marked are left alone."""
    marked = SpanIndex((d.start, d.end) for d in media.disfluencies)
    lines = [g for g in _lines(media.words) if not _covered(g, marked)]
    if not lines:
        return []
    texts = [" ".join(w.text.strip() for w in g) for g in lines]
    vecs = np.asarray(embed(texts + list(ASIDE_PROTOTYPES)), dtype=np.float32)
    lv, pv = vecs[: len(lines)], vecs[len(lines) :]
    found: list[Disfluency] = []
    aside = set()
    for k, (g, text) in enumerate(zip(lines, texts, strict=True)):
        sims = pv @ lv[k]
        best = int(np.argmax(sims))
        if len(g) <= MAX_ASIDE_WORDS and float(sims[best]) >= MEANING_ASIDE:
            aside.add(k)
            found.append(
                Disfluency(
                    kind="aside",
                    start=g[0].start,
                    end=g[-1].end,
                    confidence=min(1.0, float(sims[best])),
                    text=text,
                    reason=f'an aside: means "{ASIDE_PROTOTYPES[best]}" ({float(sims[best]):.2f})',
                    source="meaning",
                )  # fmt: skip
            )
    for k, g in enumerate(lines):
        if k in aside or len(g) < MIN_TAKE_WORDS:
            continue
        for j in range(k + 1, len(lines)):
            h = lines[j]
            if h[0].start - g[-1].end > MEANING_WINDOW_S:
                break
            if j in aside or len(h) < MIN_TAKE_WORDS:
                continue
            sim = float(lv[k] @ lv[j])
            if sim >= MEANING_RETAKE and not answers([clean(w.text) for w in g], [clean(w.text) for w in h]):
                found.append(
                    Disfluency(
                        kind="retake",
                        start=g[0].start,
                        end=g[-1].end,
                        confidence=min(1.0, sim),
                        text=texts[k],
                        reason=f"said again at {h[0].start:.1f} s in other words ({sim:.2f}); "
                        "the later take is kept",
                        source="meaning",
                    )  # fmt: skip
                )
                break
    return found


def with_meaning(media: MediaAnalysis, embed: Callable[[list[str]], np.ndarray]) -> MediaAnalysis:
    """The analysis with the meaning-found retakes and asides added to its disfluencies."""
    extra = meaning_findings(media, embed)
    if not extra:
        return media
    merged = sorted([*media.disfluencies, *extra], key=lambda d: d.start)
    return media.model_copy(update={"disfluencies": merged})
