"""Scoring behind one interface: the planner's prior until the learning loop has trained a reward model.

The edit use case (engine/editing.py) scores with the learning loop's newest reward model when one is
trained, else with the prior below; the report names whichever scored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from engine.planning.candidates import Candidate

log = logging.getLogger("autoedit.planning")


@dataclass
class ScoringContext:
    """What a scorer knows about the edit besides the candidates themselves."""

    prompt: str
    spec: dict[str, Any]
    style: str
    media: list[str] = field(default_factory=list)


@runtime_checkable
class Scorer(Protocol):
    name: str

    def score(self, context: ScoringContext, candidates: Sequence[Candidate]) -> np.ndarray:
        """One value per candidate, higher is better; the selector treats them as per-second quality."""
        ...


# How much each feature matters per style: an editor's rules of thumb, stated rather than learned.
PRIOR_WEIGHTS: dict[str, dict[str, float]] = {
    "tighten": {"speech": 1.0, "relevance": 0.3, "avoid": -1.5, "fillers": -1.0, "novelty": 0.2, "loudness": 0.2},
    "highlight": {
        "relevance": 0.8, "avoid": -1.5, "faces": 0.35, "face_size": 0.15, "sharpness": 0.3, "motion": 0.35,
        "loudness": 0.25, "novelty": 0.3, "speech": 0.1, "fillers": -0.5,
    },
    "montage": {"motion": 0.6, "sharpness": 0.4, "faces": 0.25, "novelty": 0.2, "relevance": 0.3, "avoid": -1.5,
                "speech": -0.1},
    "story": {"speech": 0.6, "relevance": 0.8, "avoid": -1.5, "novelty": 0.4, "faces": 0.2, "fillers": -0.6,
              "sharpness": 0.1},
}  # fmt: skip


class PriorScorer:
    """A weighted sum of features per style, squashed to (0, 1)."""

    name = "prior"

    def __init__(self, weights: dict[str, dict[str, float]] | None = None):
        self.weights = weights or PRIOR_WEIGHTS

    def score(self, context: ScoringContext, candidates: Sequence[Candidate]) -> np.ndarray:
        w = self.weights.get(context.style, self.weights["highlight"])
        raw = np.array(
            [sum(w.get(k, 0.0) * v for k, v in c.features.items()) for c in candidates], dtype=float
        )
        total = sum(abs(v) for v in w.values() if v > 0) or 1.0
        return 1.0 / (1.0 + np.exp(-4.0 * (raw / total - 0.25)))

    def contributions(self, context: ScoringContext, candidate: Candidate) -> dict[str, float]:
        w = self.weights.get(context.style, self.weights["highlight"])
        return {k: w[k] * v for k, v in candidate.features.items() if k in w}
