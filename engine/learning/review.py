"""Which clips to ask the editor about first, and how sure the scorer is: few events, fast.

A clip whose reward sits near the middle of this edit's candidates is the one the scorer can least
tell keep from drop, so its verdict teaches the most (uncertainty sampling by margin). Each placed
clip gets `review_rank` (1 = ask first) and `uncertainty` (0 sure .. 1 a coin toss) in its OTIO
`autoedit` metadata and in the report's clips; the report's `scorer_confidence` says what the scorer's
held-out pairwise accuracy was and how certain it is about this edit's clips on average.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

import numpy as np


def _logit(scores: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(scores, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def uncertainties(pool_scores: np.ndarray, placed_scores: np.ndarray) -> np.ndarray:
    """1 - |2 p - 1| with p = sigmoid of the clip's reward standardised against the candidate pool."""
    pool = _logit(pool_scores)
    placed = _logit(placed_scores)
    if len(placed) == 0:
        return np.zeros(0)
    spread = float(pool.std()) if len(pool) > 1 else 0.0
    z = (placed - float(np.median(pool))) / (spread if spread > 1e-9 else 1.0)
    p = 1.0 / (1.0 + np.exp(-2.0 * z))
    return 1.0 - np.abs(2.0 * p - 1.0)


def review_order(uncertainty: np.ndarray) -> list[int]:
    """Rank (1-based) per clip: the most uncertain first, ties by position in the edit."""
    order = sorted(range(len(uncertainty)), key=lambda i: (-float(uncertainty[i]), i))
    ranks = [0] * len(order)
    for rank, i in enumerate(order, start=1):
        ranks[i] = rank
    return ranks


def apply_review_order(
    timeline: Any,
    report: dict[str, Any],
    decision_ids: Sequence[str],
    placed_scores: Sequence[float],
    pool_scores: Sequence[float],
    scorer: Any,
) -> None:
    """Write review_rank/uncertainty into the timeline's clip metadata and the report (in place)."""
    u = uncertainties(np.asarray(pool_scores), np.asarray(placed_scores))
    ranks = review_order(u)
    by_id = {did: (rank, round(float(x), 4)) for did, rank, x in zip(decision_ids, ranks, u, strict=True)}
    for clip in timeline.find_clips():
        meta = clip.metadata.get("autoedit")
        if isinstance(meta, MutableMapping) and meta.get("decision_id") in by_id:
            rank, x = by_id[meta["decision_id"]]
            meta["review_rank"] = rank
            meta["uncertainty"] = x
    for clip in report.get("clips", []):
        if clip.get("decision_id") in by_id:
            clip["review_rank"], clip["uncertainty"] = by_id[clip["decision_id"]]
    confidence = (
        scorer.confidence()
        if hasattr(scorer, "confidence")
        else {"scorer": scorer.name, "heldout_accuracy": None, "heldout_pairs": None, "train_pairs": None}
    )
    confidence["mean_certainty"] = round(float(1.0 - u.mean()), 4) if len(u) else None
    report["scorer_confidence"] = confidence
    meta = timeline.metadata.get("autoedit")
    if isinstance(meta, MutableMapping):  # the hosts show it beside the review list
        meta["scorer_confidence"] = dict(confidence)
