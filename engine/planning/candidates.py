"""Candidate units: the pieces selection chooses from, bounded by shots and by gaps between words.

A unit never starts or ends inside a word: every boundary lies in a gap between words (or in a
stretch without speech), and `cut_regions` lists where a unit may be trimmed, so a shorter version
of it is cut in a gap too. Positions are frames at the source's own rate.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from engine.analysis.columns import SpanIndex, merge_spans
from engine.analysis.disfluencies import END_PUNCTUATION, FILLER_WORDS, clean
from engine.analysis.report import MediaAnalysis, Word, media_rate
from engine.media.timebase import frame_of
from engine.planning import speech_cuts
from engine.planning.spec import EditSpec

WORD_PAD_S = 0.2  # margin kept around speech, as auto-editor's default margin


@dataclass
class Candidate:
    """One unit of one source. `start`/`end` are frame numbers at `rate` from the file's start."""

    media_index: int
    path: str
    rate: Fraction
    start: int
    end: int
    kind: str  # "speech" | "visual"
    shot_index: int
    text: str = ""
    words: list[Word] = field(default_factory=list)
    # Seconds (from the file's start) inside which a cut is allowed: gaps between words, non-speech spans.
    cut_regions: list[tuple[float, float]] = field(default_factory=list)
    # Every gap between words in the unit (cut_regions of a speech unit keeps only those between thoughts).
    word_gaps: list[tuple[float, float]] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    # The id of the unit before it in the same sentence, cut from it only by a removed disfluency
    # ("At least, [um] they call me..."): selection takes both or neither, side by side.
    follows: str = ""
    # A visual unit over words no speech unit holds, played with its sound left out (the music carries
    # it): its cuts would be heard mid-sentence.
    muted: bool = False

    @property
    def id(self) -> str:
        raw = f"{self.path}|{self.start}|{self.end}|{self.rate}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16]

    @property
    def start_s(self) -> float:
        return float(self.start / self.rate)

    @property
    def end_s(self) -> float:
        return float(self.end / self.rate)

    @property
    def duration_s(self) -> float:
        return float((self.end - self.start) / self.rate)

    def can_cut_at(self, t: float, slack: float = 1e-6) -> bool:
        return any(a - slack <= t <= b + slack for a, b in self.cut_regions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "start": self.start_s,
            "end": self.end_s,
            "kind": self.kind,
            "text": self.text,
            "features": dict(self.features),
            "score": self.score,
        }


def _shots(media: MediaAnalysis, lo: float, hi: float) -> list[tuple[float, float]]:
    shots = [(max(s.start, lo), min(s.end, hi)) for s in media.shots if s.end > lo and s.start < hi]
    return [s for s in shots if s[1] - s[0] > 1e-3] or [(lo, hi)]


def _speech_words(media: MediaAnalysis, lo: float, hi: float) -> list[Word]:
    words = sorted((w for w in media.words if w.end > w.start), key=lambda w: w.start)
    return [w for w in words if w.start >= lo and w.end <= hi]


def _gap_regions(words: list[Word], lo: float, hi: float) -> list[tuple[float, float]]:
    """Where cutting is allowed: everything in [lo, hi] outside the words."""
    regions, cursor = [], lo
    for w in words:
        if w.start > cursor:
            regions.append((cursor, w.start))
        cursor = max(cursor, w.end)
    if hi > cursor:
        regions.append((cursor, hi))
    return regions


def _sentences(
    words: list[Word],
    shots: list[tuple[float, float]],
    breaks: list[float] | None = None,
    whole: bool = False,
) -> list[list[Word]]:
    """Words grouped into sentences. A pause or a shot cut ends one too, unless `whole` (a punctuated
    transcript): then only end punctuation or a pause long enough to be a stop does, so neither a
    breath nor a cut mid-sentence becomes a unit's end (split_at_thoughts splits a sentence too long
    for the pacing at its clauses). A break (where a removed disfluency lies) always ends one."""
    cuts = [s[0] for s in shots[1:]]
    stops = sorted(breaks or [])
    groups: list[list[Word]] = []
    for w in words:
        if groups:
            prev = groups[-1][-1]
            gap = w.start - prev.end
            ends_sentence = prev.text.rstrip().endswith(END_PUNCTUATION) and gap > 0.05
            k = bisect_left(cuts, prev.end)
            crosses_cut = k < len(cuts) and cuts[k] <= w.start
            k = bisect_left(stops, prev.end)
            crosses_break = k < len(stops) and stops[k] <= w.start
            if whole:
                ends = ends_sentence or gap >= speech_cuts.STOP_PAUSE_S
            else:
                ends = ends_sentence or gap >= speech_cuts.SENTENCE_GAP_S or crosses_cut
            if not ends and not crosses_break:
                groups[-1].append(w)
                continue
        groups.append([w])
    return groups


def build_candidates(
    media: MediaAnalysis,
    media_index: int,
    spec: EditSpec,
    in_s: float | None = None,
    out_s: float | None = None,
) -> list[Candidate]:
    """Units of one source: speech units around sentences, visual units over the rest of each shot."""
    rate = media_rate(media)
    lo = max(0.0, in_s or 0.0)
    hi = min(media.duration, out_s) if out_s is not None else media.duration
    if hi - lo <= 0:
        return []
    shots = _shots(media, lo, hi)
    words = _speech_words(media, lo, hi)
    gaps = _gap_regions(words, lo, hi)
    out: list[Candidate] = []

    shot_starts = [a for a, _ in shots]
    gap_ends = [b for _, b in gaps]

    def shot_of(t: float) -> int:
        return max(0, min(len(shots) - 1, bisect_right(shot_starts, t) - 1))

    def regions_in(a: float, b: float) -> list[tuple[float, float]]:
        out, k = [], bisect_left(gap_ends, a)
        while k < len(gaps) and gaps[k][0] <= b:
            x, y = gaps[k]
            out.append((max(a, x), min(b, y)))
            k += 1
        return out

    # Highlights and the like keep whole sentences where the transcript is punctuated; a tighten cuts
    # at every pause, as auto-editor does.
    whole = spec.style != "tighten" and speech_cuts.punctuated(words)

    def add(a: float, b: float, kind: str, group: list[Word]) -> Candidate | None:
        fa, fb = frame_of(a, rate), frame_of(b, rate)
        # Snapping to a frame must not move a boundary into a word: step back into the gap if it would.
        while group and fa / rate > group[0].start and fa > 0:
            fa -= 1
        while group and fb / rate < group[-1].end:
            fb += 1
        # Without music a visual unit stays inside its free stretch: a frame over would play the speech
        # beside it (under music, one that reaches into speech is muted instead).
        inward = kind == "visual" and not spec.music
        while inward and fa / rate < a - 1e-9:
            fa += 1
        while inward and fb / rate > b + 1e-9:
            fb -= 1
        if fb - fa < 1:
            return None
        text = " ".join(w.text.strip() for w in group)
        regions = regions_in(a, b)
        if kind == "speech":  # trims only between thoughts (engine/planning/speech_cuts.py)
            regions = speech_cuts.thought_regions(regions, group, whole)
        out.append(
            Candidate(
                media_index,
                media.path,
                rate,
                fa,
                fb,
                kind,
                shot_of((a + b) / 2),
                text,
                group,
                regions,
                word_gaps=regions_in(a, b),
            )
        )
        return out[-1]

    # Speech units: a sentence (or a piece of a long one) with a margin that stays inside the gaps.
    covered: list[tuple[float, float]] = []
    max_s = spec.pacing.max_shot_s
    position = {id(w): i for i, w in enumerate(words)}
    # Fillers ("um", "uh") left out of the units when asked: a unit then ends before one and the
    # next starts after it; boundaries still respect every word, fillers included.
    spoken = [w for w in words if clean(w.text) not in FILLER_WORDS] if spec.remove_fillers else words
    # Disfluencies the spec removes (retakes, asides, fillers Whisper hid): out of the units too.
    cuts = speech_cuts.cuts_for(media, spec)
    spoken = [w for w in spoken if not speech_cuts.is_cut(w, cuts)]
    before_break: Candidate | None = None  # the last unit, when its sentence goes on past a break
    for sentence in _sentences(spoken, shots, speech_cuts.breaks(cuts), whole):
        link, before_break = before_break, None
        if link is not None and sentence[0].start - link.words[-1].end >= speech_cuts.STOP_PAUSE_S:
            link = None
        for group in speech_cuts.split_at_thoughts(sentence, max_s, whole):
            first, last = group[0], group[-1]
            i0, i1 = position[id(first)], position[id(last)]
            before = words[i0 - 1].end if i0 > 0 else lo
            after = words[i1 + 1].start if i1 + 1 < len(words) else hi
            pad = WORD_PAD_S if spec.remove_silences else 10**6
            a = max(first.start - pad, (before + first.start) / 2 if before > lo else lo, lo)
            b = min(last.end + pad, (last.end + after) / 2 if after < hi else hi, hi)
            a, b = speech_cuts.clamp(a, b, first, last, cuts)
            if speech_cuts.unfinished(group, hi, spec):
                covered.append((a, b))  # no visual unit over half a sentence either
                if link is not None:  # nor a unit of its start alone
                    out.remove(link)
                    link = None
                continue
            unit = add(a, b, "speech", group)
            covered.append((a, b))
            if unit is not None and link is not None:
                unit.follows = link.id
            link = None
            before_break = (
                unit if whole and unit is not None and not speech_cuts.ends_sentence(last.text) else None
            )

    # Speech the VAD heard but no word covers (no ASR, another language): units from the speech spans.
    if not words:
        for span in media.speech:
            a, b = max(span.start - WORD_PAD_S, lo), min(span.end + WORD_PAD_S, hi)
            if b - a > 0.1:
                add(a, b, "speech", [])
                covered.append((a, b))

    # Visual units: what is left of each shot, in pieces the pacing allows. Their sound would cut into
    # the words no speech unit holds (a filler or an aside the edit cut, a sentence left unfinished),
    # so over words they are muted under the music, or not offered without music.
    said = [(w.start, w.end) for w in words]
    heard = SpanIndex(merge_spans(said)) if spec.music else None
    covered = merge_spans(covered if spec.music else covered + said)
    target = max(
        spec.pacing.min_shot_s,
        min(spec.pacing.max_shot_s, (spec.pacing.min_shot_s + spec.pacing.max_shot_s) / 2),
    )
    covered_starts = [ca for ca, _ in covered]
    covered_ends = [cb for _, cb in covered]
    for a, b in shots:
        free = [(a, b)]
        # The covered spans are sorted and disjoint: only those between these two indices touch the shot.
        for ca, cb in covered[bisect_right(covered_ends, a) : bisect_left(covered_starts, b)]:
            nxt = []
            for fa, fb in free:
                if cb <= fa or ca >= fb:
                    nxt.append((fa, fb))
                    continue
                if ca > fa:
                    nxt.append((fa, ca))
                if cb < fb:
                    nxt.append((cb, fb))
            free = nxt
        for fa, fb in free:
            length = fb - fa
            if length < min(spec.pacing.min_shot_s, 0.5):
                continue
            pieces = max(1, round(length / target))
            step = length / pieces
            for k in range(pieces):
                unit = add(fa + k * step, fa + (k + 1) * step, "visual", [])
                if heard is not None and unit is not None and heard.overlapping(unit.start_s, unit.end_s):
                    unit.muted = True
    out.sort(key=lambda c: (c.start, c.end))
    return out
