"""Our editor on a benchmark's own features: the planner's candidates, prior scorer and selection.

The benchmarks ship features, not footage, so the analysis features the prior scorer reads are
derived from them: `motion` (how much the feature changes inside a unit, a percentile within the
video), `novelty` (1 - closest similarity to any other unit) and `relevance` (similarity to the
query, or for plain summarisation to the whole video's mean, i.e. representativeness). Selection is
the same integer programme `autoedit edit` runs, asked for 15 % of the video.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from engine.planning.candidates import Candidate
from engine.planning.scoring import PriorScorer, ScoringContext
from engine.planning.selection import DURATION_TOLERANCE, select
from engine.planning.spec import EditSpec, Pacing


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-8)


def _percentile(values: np.ndarray) -> np.ndarray:
    """Rank within the video in [0, 1]; equal values share their average rank."""
    from scipy.stats import rankdata

    if len(values) < 2:
        return np.full(len(values), 0.5)
    return (rankdata(values) - 1) / (len(values) - 1)


def unit_features(
    frame_features: np.ndarray, units: Sequence[Sequence[int]], query: np.ndarray | None = None
) -> list[dict[str, float]]:
    """Scorer features per unit; `units` lists the rows of `frame_features` each unit covers."""
    feats = np.asarray(frame_features, dtype=np.float64)
    rows = [list(u) if len(u) else [0] for u in units]
    means = _unit(np.array([feats[r].mean(axis=0) for r in rows]))
    change = np.array(
        [np.linalg.norm(np.diff(feats[r], axis=0), axis=1).mean() if len(r) > 1 else 0.0 for r in rows]
    )
    if len(rows) > 1:
        sims = means @ means.T
        np.fill_diagonal(sims, -1.0)
        novelty = 1.0 - sims.max(axis=1)
    else:
        novelty = np.ones(1)
    target = _unit(np.atleast_2d(query if query is not None else feats.mean(axis=0)))[0]
    relevance = means @ target
    motion = _percentile(change)
    return [
        {"motion": float(m), "novelty": float(np.clip(n, 0, 1)), "relevance": float(r)}
        for m, n, r in zip(motion, novelty, relevance, strict=True)
    ]


def prior_scores(features: list[dict[str, float]], prompt: str) -> np.ndarray:
    """The planner's prior (highlight style) on those features: what `autoedit edit` would score."""
    candidates = [_candidate(i, 0, 1, Fraction(1), f) for i, f in enumerate(features)]
    return PriorScorer().score(ScoringContext(prompt=prompt, spec={}, style="highlight"), candidates)


def _candidate(i: int, start: int, end: int, rate: Fraction, features: dict[str, float]) -> Candidate:
    return Candidate(
        media_index=0, path="benchmark", rate=rate, start=start, end=end, kind="visual", shot_index=i,
        features=dict(features),
    )  # fmt: skip


def select_shots(
    change_points: np.ndarray, scores: np.ndarray, fps: float, n_frames: int, proportion: float
) -> np.ndarray:
    """Our selection over the shots, asked for at most `proportion` of the video: a binary frame summary."""
    rate = Fraction(fps).limit_denominator(1001)
    candidates = [_candidate(i, int(a), int(b) + 1, rate, {}) for i, (a, b) in enumerate(change_points)]
    longest = max(c.duration_s for c in candidates)
    shortest = min(c.duration_s for c in candidates)
    # The programme allows 1 % over its target; aim that much lower so the summary stays within budget.
    target = proportion * n_frames / float(rate) / (1 + DURATION_TOLERANCE)
    spec = EditSpec.for_style(
        "highlight",
        target_duration=target,
        pacing=Pacing(min_shot_s=min(1.0, 0.5 * shortest), max_shot_s=longest),
    )
    selection = select(candidates, scores, spec, rate)
    # Snapping to frames can add a frame per piece: trim the weakest pieces' tails back into the budget.
    excess = sum(c.end - c.start for c in selection.choices) - int(n_frames * proportion)
    summary = np.zeros(n_frames, dtype=np.float32)
    for choice in sorted(selection.choices, key=lambda c: c.candidate.score):
        cut = min(max(excess, 0), choice.end - choice.start - 1)
        excess -= cut
        summary[choice.start : choice.end - cut] = 1.0
    return summary
