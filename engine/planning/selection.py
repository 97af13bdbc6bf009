"""Selection as a constrained optimisation (an integer programme solved by HiGHS through scipy.milp).

Each candidate offers a few versions (its full length, shorter windows cut in gaps between words,
or a whole number of beats when cutting to music); binary variables pick at most one version per
candidate. Constraints: total length within 1 % of the target (or exactly K beats of the music),
shot lengths inside the pacing range (by construction of the versions), near-duplicates and units
overlapping in the source excluded pairwise/by group. The objective is score x seconds.
Chronology or an energy arc is an ordering of the chosen set, applied after.

Seeds give alternatives by perturb-and-MAP: seed 0 is the optimum; seed k perturbs the scores with
a seeded log-normal factor and re-solves, which samples another near-optimal edit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from engine.media.timebase import frame_of
from engine.planning.candidates import Candidate
from engine.planning.spec import EditSpec

log = logging.getLogger("autoedit.planning")

DURATION_TOLERANCE = 0.01  # aim within 1 % so frame snapping keeps the result inside the promised 2 %
MAX_CANDIDATES = 400  # the programme sees at most this many (the best by score); the rest cannot win
SEED_SPREAD = 0.35
# HiGHS stops at a node count, not a clock, so the same inputs and seed give the same edit however
# busy the machine is; the time limit only guards against a pathological programme.
SOLVER_NODES = 5000
SOLVER_SECONDS = 120.0
NEAR_DUPLICATE = 0.92  # cosine similarity of sentence embeddings above which two units say the same  # log-normal sigma of the score perturbation for seeds other than 0


@dataclass
class Choice:
    candidate: Candidate
    start: int  # frames at candidate.rate, the (possibly trimmed) source range
    end: int
    beats: int = 0  # beat intervals it spans when cutting to music
    record_start: Fraction = Fraction(0)  # seconds on the timeline
    record_end: Fraction = Fraction(0)

    @property
    def duration_s(self) -> float:
        return float((self.end - self.start) / self.candidate.rate)


@dataclass
class Selection:
    choices: list[Choice]
    rejected: list[Candidate]
    notes: list[str] = field(default_factory=list)
    solver: str = ""
    objective: float = 0.0
    music_start: Fraction | None = None  # seconds into the music file where the edit starts

    @property
    def duration_s(self) -> float:
        return float(sum(c.record_end - c.record_start for c in self.choices))


@dataclass
class _Version:
    cand: int
    start_s: float
    end_s: float
    beats: int = 0
    loose: bool = False  # cut between words rather than between thoughts (music only)

    @property
    def length(self) -> float:
        return self.end_s - self.start_s


def _windows(c: Candidate, length: float, loose: bool = False) -> list[tuple[float, float]]:
    """Windows of `length` inside c whose both ends lie where a cut is allowed (never inside a word)."""
    a, b = c.start_s, c.end_s
    if length > b - a + 1e-6:
        return []
    if length >= b - a - 1e-6:
        return [(a, b)]
    # loose: any gap between words (cutting to music's beats only), not only between thoughts
    regions = (c.word_gaps if loose and c.word_gaps else c.cut_regions) or [(a, b)]
    out = []
    # A window [s, s+L] works when s is in a region and s+L is in a region: intersect R with R - L.
    for ra, rb in regions:
        for qa, qb in regions:
            lo, hi = max(ra, qa - length, a), min(rb, qb - length, b - length)
            if hi >= lo - 1e-9:
                out.append((lo, max(lo, hi)))
    if not out:
        return []
    # Prefer the window centred in the unit: the middle of a shot is usually its best part.
    centre = (a + b - length) / 2
    best = min(out, key=lambda r: abs(min(max(centre, r[0]), r[1]) - centre))
    s = min(max(centre, best[0]), best[1])
    return [(s, s + length)]


def _versions(c: Candidate, i: int, spec: EditSpec, beat: float | None, relax: bool) -> list[_Version]:
    lo, hi = spec.pacing.min_shot_s, spec.pacing.max_shot_s
    if c.kind == "speech":
        lo = min(lo, max(0.3, c.duration_s))  # a short sentence is still a sentence
    if relax:
        lo, hi = min(lo, 0.5), max(hi, c.duration_s)
    out: list[_Version] = []
    if beat:
        for n in range(1, 64):
            length = n * beat
            if length > min(hi, c.duration_s) + 1e-6:
                break
            if length < lo - 1e-6:
                continue
            for s, e in _windows(c, length):
                out.append(_Version(i, s, e, n))
            if relax and not out:  # no whole thought lands on the beats: a gap between words may
                out += [_Version(i, s, e, n, True) for s, e in _windows(c, length, loose=True)]
        return out
    d = c.duration_s
    lengths = {round(min(d, hi), 3)}
    if c.kind == "visual" or c.cut_regions:
        for frac in (0.5, 0.75):
            lengths.add(round(max(lo, min(hi, d * frac)), 3))
        lengths.add(round(min(d, max(lo, (lo + hi) / 2)), 3))
    if c.kind == "speech" and c.words and c.cut_regions:
        # Whole thoughts are kept whole: what gives is the silence around them (issue 13).
        slack = max(0.0, c.words[0].start - c.start_s) + max(0.0, c.end_s - c.words[-1].end)
        for frac in (0.5, 1.0):
            lengths.add(round(min(hi, d - frac * slack), 3))
    for length in sorted(lengths):
        if length < lo - 1e-6 or length > d + 1e-6:
            continue
        for s, e in _windows(c, length):
            out.append(_Version(i, s, e))
    return out


def _groups(
    candidates: Sequence[Candidate], spec: EditSpec, duplicates: Sequence[tuple[int, int]]
) -> list[list[int]]:
    """Sets of candidates of which at most one may be chosen."""
    groups: list[list[int]] = [[a, b] for a, b in duplicates]
    if spec.style in ("highlight", "montage"):
        by_shot: dict[tuple[int, int], list[int]] = {}
        for i, c in enumerate(candidates):
            if c.kind == "visual":
                by_shot.setdefault((c.media_index, c.shot_index), []).append(i)
        groups += [g for g in by_shot.values() if len(g) > 1]
    return groups


def _solve(
    versions: list[_Version],
    values: np.ndarray,
    n_cand: int,
    groups: list[list[int]],
    length_bounds: tuple[float, float] | None,
    beats_needed: int | None,
    fill: bool,
    links: Sequence[tuple[int, int]] = (),
) -> np.ndarray | None:
    n = len(versions)
    if n == 0:
        return None
    rows: list[tuple[dict[int, float], float, float]] = []
    per_cand: dict[int, list[int]] = {}
    for j, v in enumerate(versions):
        per_cand.setdefault(v.cand, []).append(j)
    for js in per_cand.values():
        if len(js) > 1:
            rows.append(({j: 1.0 for j in js}, 0.0, 1.0))
    for before, after in links:  # pieces of one sentence: both or neither
        both = {j: 1.0 for j in per_cand.get(before, [])}
        both.update({j: -1.0 for j in per_cand.get(after, [])})
        rows.append((both, 0.0, 0.0))
    for g in groups:
        js = [j for c in g for j in per_cand.get(c, [])]
        if len(js) > 1:
            rows.append(({j: 1.0 for j in js}, 0.0, 1.0))
    lengths = np.array([v.length for v in versions])
    objective = -values.copy()
    if beats_needed is not None:
        beats = np.array([v.beats for v in versions], dtype=float)
        if fill:
            rows.append(({j: beats[j] for j in range(n)}, 0.0, float(beats_needed)))
            objective -= 10.0 * beats * (np.abs(values).max() + 1.0)
        else:
            rows.append(({j: beats[j] for j in range(n)}, float(beats_needed), float(beats_needed)))
    elif length_bounds is not None:
        lo, hi = length_bounds
        if fill:
            rows.append(({j: lengths[j] for j in range(n)}, 0.0, hi))
            objective -= 10.0 * lengths * (np.abs(values).max() + 1.0)
        else:
            rows.append(({j: lengths[j] for j in range(n)}, lo, hi))
    matrix = lil_matrix((len(rows), n))
    lbs, ubs = [], []
    for row, (coefs, lb, ub) in enumerate(rows):
        for j, coef in coefs.items():
            matrix[row, j] = coef
        lbs.append(lb)
        ubs.append(ub)
    constraints = [LinearConstraint(matrix.tocsr(), lbs, ubs)] if rows else []
    result = milp(
        objective,
        constraints=constraints,
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={
            "node_limit": SOLVER_NODES,
            "time_limit": SOLVER_SECONDS,
            "mip_rel_gap": 5e-3,
            "disp": False,
        },
    )
    if result.x is None or result.status not in (0, 1):
        return None
    return np.asarray(result.x) > 0.5


def select(
    candidates: Sequence[Candidate],
    scores: np.ndarray,
    spec: EditSpec,
    timeline_rate: Fraction,
    seed: int = 0,
    beats: Sequence[float] | None = None,
    vectors: np.ndarray | None = None,
) -> Selection:
    """Choose and order the units of the edit. `beats` (music time, seconds) turns on cutting to music."""
    notes: list[str] = []
    scores = np.asarray(scores, dtype=float)
    if seed:
        rng = np.random.default_rng(seed)
        scores = scores * np.exp(rng.normal(0.0, SEED_SPREAD, size=len(scores)))
    for i, c in enumerate(candidates):
        c.score = float(scores[i])
    usable = [i for i, c in enumerate(candidates) if c.features.get("avoid", 0.0) < 0.6]
    if spec.remove_fillers:
        usable = [i for i in usable if candidates[i].features.get("fillers", 0.0) < 0.5]
    if spec.style == "tighten":
        usable = [
            i
            for i in usable
            if candidates[i].kind == "speech" and candidates[i].features.get("speech", 0) > 0.2
        ]
        if not usable:
            notes.append("no speech found to tighten; choosing the best pictures instead")
            usable = [i for i, c in enumerate(candidates) if c.features.get("avoid", 0.0) < 0.6]

    grid: list[float] | None = None
    beat_len: float | None = None
    beats_needed: int | None = None
    music_start: Fraction | None = None
    if beats is not None and len(beats) >= 2:
        grid = sorted(float(b) for b in beats)
        beat_len = float(np.median(np.diff(grid)))
        music_start = Fraction(frame_of(grid[0], timeline_rate)) / timeline_rate
        if spec.target_duration:
            need_end = grid[0] + spec.target_duration
            while grid[-1] < need_end + 2 * beat_len:
                grid.append(grid[-1] + beat_len)
            k = int(np.argmin([abs(g - grid[0] - spec.target_duration) for g in grid]))
            beats_needed = max(1, k)
        else:
            beats_needed = None

    target = spec.target_duration
    # Tighten without a target keeps every usable sentence: nothing to trade off, no programme needed.
    if target is None and spec.style == "tighten" and beats_needed is None:
        chosen = [(i, _Version(i, candidates[i].start_s, candidates[i].end_s)) for i in usable]
        return _finish(
            candidates, chosen, spec, timeline_rate, notes, "all speech (no length asked)", grid, music_start
        )

    if target is None and beats_needed is None:
        total = sum(candidates[i].duration_s for i in usable)
        target = min(total, max(15.0, 0.25 * total)) if spec.style != "story" else 0.6 * total
        notes.append(
            f"no length asked; aiming at {target:.1f} s ({'60' if spec.style == 'story' else '25'} % of the material, at least 15 s)"
        )

    if len(usable) > MAX_CANDIDATES:
        usable = sorted(
            usable, key=lambda i: -scores[i] * min(candidates[i].duration_s, spec.pacing.max_shot_s)
        )
        usable = sorted(usable[:MAX_CANDIDATES])
    usable = _whole_sentences(candidates, usable)
    sub = [candidates[i] for i in usable]
    links = _links(sub)
    dup = _near_duplicates(sub, vectors[usable] if vectors is not None else None)

    def attempt(relax: bool, fill: bool) -> tuple[list[_Version], np.ndarray | None]:
        versions = [v for k, c in enumerate(sub) for v in _versions(c, k, spec, beat_len, relax)]
        values = np.array([scores[usable[v.cand]] * v.length for v in versions])
        bounds = (target * (1 - DURATION_TOLERANCE), target * (1 + DURATION_TOLERANCE)) if target else None
        picked = _solve(versions, values, len(sub), _groups(sub, spec, dup) if not relax else [list(p) for p in dup],
                        bounds, beats_needed, fill, links)  # fmt: skip
        return versions, picked

    solver = "milp (HiGHS)"
    versions, picked = attempt(relax=False, fill=False)
    if picked is None:
        versions, picked = attempt(relax=True, fill=False)
        if picked is not None:
            notes.append("the pacing and duplicate limits could not meet the length; relaxed them to meet it")
    if picked is None:
        versions, picked = attempt(relax=True, fill=True)
        if picked is not None:
            notes.append("not enough usable material for the asked length; the edit uses all it can")
    if picked is None:
        notes.append("nothing could be selected")
        return Selection([], [], notes, solver, 0.0, music_start)
    chosen = [(usable[v.cand], v) for v, p in zip(versions, picked, strict=True) if p]
    loose = sum(v.loose for _, v in chosen)
    if loose:
        notes.append(f"{loose} speech clip(s) cut between words, not thoughts, to land on the music's beats")
    return _finish(candidates, chosen, spec, timeline_rate, notes, solver, grid, music_start)


def _first_pieces(candidates: Sequence[Candidate]) -> list[int]:
    """For each candidate, the first piece of its sentence (itself, unless it follows another)."""
    index = {c.id: i for i, c in enumerate(candidates)}
    first = list(range(len(candidates)))
    for i in range(len(candidates)):
        while candidates[first[i]].follows in index:
            first[i] = index[candidates[first[i]].follows]
    return first


def _whole_sentences(candidates: Sequence[Candidate], usable: list[int]) -> list[int]:
    """`usable` less the pieces of a sentence (Candidate.follows) one piece of which is not usable."""
    first = _first_pieces(candidates)
    kept = set(usable)
    broken = {first[i] for i in range(len(candidates)) if i not in kept}
    return [i for i in usable if first[i] not in broken]


def _links(sub: Sequence[Candidate]) -> list[tuple[int, int]]:
    """(k, k') for each piece k' of `sub` that continues piece k's sentence."""
    index = {c.id: k for k, c in enumerate(sub)}
    return [(index[c.follows], k) for k, c in enumerate(sub) if c.follows in index]


def _near_duplicates(cands: Sequence[Candidate], vectors: np.ndarray | None) -> list[tuple[int, int]]:
    """Pairs saying the same thing (retakes, repeated lines): same words, or meaning closer than 0.92."""
    pairs: set[tuple[int, int]] = set()
    seen: dict[str, int] = {}
    for k, c in enumerate(cands):
        key = " ".join(c.text.lower().split())
        if len(key) > 8:
            if key in seen:
                pairs.add((seen[key], k))
            else:
                seen[key] = k
    if vectors is not None and len(cands) > 1:
        has = np.flatnonzero(np.abs(vectors).sum(axis=1) > 0)
        if len(has) > 1:
            sims = vectors[has] @ vectors[has].T
            a, b = np.nonzero(np.triu(sims, k=1) > NEAR_DUPLICATE)
            pairs.update((int(has[i]), int(has[j])) for i, j in zip(a, b, strict=True))
    return sorted(pairs)


def _energy(c: Candidate) -> float:
    f = c.features
    return f.get("loudness", 0) + f.get("motion", 0.5) + 0.5 * f.get("speech", 0)


def _finish(
    candidates: Sequence[Candidate],
    chosen: list[tuple[int, _Version]],
    spec: EditSpec,
    rate: Fraction,
    notes: list[str],
    solver: str,
    grid: list[float] | None,
    music_start: Fraction | None,
) -> Selection:
    if spec.order == "energy_arc":  # a sentence's pieces stay together, in order, where its first goes
        first = _first_pieces(candidates)
        chosen.sort(key=lambda iv: (_energy(candidates[first[iv[0]]]), first[iv[0]], iv[1].start_s))
    else:
        chosen.sort(key=lambda iv: (candidates[iv[0]].media_index, iv[1].start_s))
    out: list[Choice] = []
    cursor = Fraction(0)
    beat_index = 0
    for i, v in chosen:
        c = candidates[i]
        fs = frame_of(v.start_s, c.rate)
        if grid is not None and v.beats:
            # Record boundaries on beats (snapped to timeline frames relative to the music start).
            assert music_start is not None
            r0 = Fraction(frame_of(grid[beat_index] - float(music_start), rate)) / rate
            r1 = Fraction(frame_of(grid[beat_index + v.beats] - float(music_start), rate)) / rate
            r0 = max(r0, cursor)
            beat_index += v.beats
            # Count frames from where the previous clip really ended, so a source at another rate
            # than the timeline's rounds once per clip and never accumulates drift.
            frames = max(1, int(round((r1 - cursor) * c.rate)))
            # Actual beat spacing differs from the median the programme used: re-place the window
            # so both of its ends still fall outside words.
            exact = _windows(c, frames / float(c.rate), v.loose)
            if exact:
                fs = frame_of(exact[0][0], c.rate)
            fs = min(max(fs, c.start), max(c.start, c.end - frames))
            fe = fs + frames
        else:
            fe = max(fs + 1, frame_of(v.end_s, c.rate))
            r0 = cursor
            r1 = cursor + Fraction(fe - fs) / c.rate
        r1 = cursor + Fraction(fe - fs) / c.rate
        out.append(Choice(c, fs, fe, v.beats, cursor, r1))
        cursor = r1
    chosen_ids = {i for i, _ in chosen}
    rejected = sorted((c for i, c in enumerate(candidates) if i not in chosen_ids), key=lambda c: -c.score)[
        : max(4, min(20, 2 * len(out)))
    ]
    total = sum(v.length for _, v in chosen)
    objective = float(sum(candidates[i].score * v.length for i, v in chosen))
    log.debug("selected %d units, %.2f s", len(out), total)
    if spec.target_duration and out:
        got = float(out[-1].record_end)
        if abs(got - spec.target_duration) > 0.02 * spec.target_duration:
            notes.append(f"the edit is {got:.2f} s, not the asked {spec.target_duration:g} s")
    return Selection(out, rejected, notes, solver, objective, music_start)
