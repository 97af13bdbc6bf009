"""The keyshot protocol of video summarisation (TVSum, SumMe) as the field scores it.

Zhang et al. (ECCV 2016) and every paper after them (e.g. Zhou et al., AAAI 2018, whose vsum_tools
became the common code): frame scores become shot scores (mean over the shot), a 0/1 knapsack picks
shots filling at most 15 % of the video's frames, and the binary keyshot summary is compared frame
by frame with each user's summary: F1 averaged over users for TVSum, the best user's for SumMe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np

SUMMARY_PROPORTION = 0.15
Numbers: TypeAlias = Sequence[float] | np.ndarray


def knapsack(values: Numbers, weights: Numbers, capacity: int) -> list[int]:
    """Indices of the items of greatest total value with total weight <= capacity (exact 0/1 DP)."""
    n = len(values)
    table = np.zeros((n + 1, capacity + 1))
    for i in range(1, n + 1):
        w, v = int(weights[i - 1]), float(values[i - 1])
        table[i] = table[i - 1]
        if w <= capacity:
            table[i, w:] = np.maximum(table[i - 1, w:], table[i - 1, : capacity + 1 - w] + v)
    picked: list[int] = []
    room = capacity
    for i in range(n, 0, -1):
        if table[i, room] != table[i - 1, room]:
            picked.append(i - 1)
            room -= int(weights[i - 1])
    return sorted(picked)


def keyshot_summary(
    shot_scores: Numbers,
    n_frame_per_seg: Numbers,
    n_frames: int,
    proportion: float = SUMMARY_PROPORTION,
) -> np.ndarray:
    """Binary per-frame summary: the shots the knapsack picks within `proportion` of the frames."""
    picks = set(knapsack(shot_scores, n_frame_per_seg, int(n_frames * proportion)))
    return np.concatenate(
        [
            np.full(int(nf), 1.0 if i in picks else 0.0, dtype=np.float32)
            for i, nf in enumerate(n_frame_per_seg)
        ]
    )


def shot_scores_from_frames(
    scores: Numbers, change_points: np.ndarray, n_frames: int, positions: Numbers
) -> list[float]:
    """Scores given at sampled `positions` (the h5's picks) spread to every frame, then averaged per shot.

    Shot bounds in `change_points` are inclusive frame indices, as the datasets store them.
    """
    pos = [int(p) for p in positions]
    if pos[-1] != n_frames:
        pos.append(int(n_frames))
    frame_scores = np.zeros(int(n_frames), dtype=np.float32)
    for i in range(len(pos) - 1):
        frame_scores[pos[i] : pos[i + 1]] = scores[i] if i < len(scores) else 0.0
    return [float(frame_scores[int(a) : int(b) + 1].mean()) for a, b in change_points]


@dataclass(frozen=True)
class KeyshotScore:
    f1: float  # percent, as the papers print it
    precision: float
    recall: float


def score_summary(machine: np.ndarray, user_summaries: np.ndarray, aggregate: str) -> KeyshotScore:
    """F1 (%) of a binary machine summary against each user's; `aggregate` "avg" (TVSum) or "max" (SumMe)."""
    users = (np.atleast_2d(np.asarray(user_summaries, dtype=np.float64)) > 0).astype(np.float64)
    n = users.shape[1]
    pred = (np.asarray(machine, dtype=np.float64) > 0).astype(np.float64)[:n]
    pred = np.concatenate([pred, np.zeros(n - len(pred))])
    f1s, precs, recs = [], [], []
    for user in users:
        overlap = float((pred * user).sum())
        precision = overlap / (pred.sum() + 1e-8)
        recall = overlap / (user.sum() + 1e-8)
        f1s.append(0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall))
        precs.append(precision)
        recs.append(recall)
    if aggregate == "avg":
        return KeyshotScore(
            100 * float(np.mean(f1s)), 100 * float(np.mean(precs)), 100 * float(np.mean(recs))
        )
    if aggregate == "max":
        best = int(np.argmax(f1s))
        return KeyshotScore(100 * f1s[best], 100 * precs[best], 100 * recs[best])
    raise ValueError(f"aggregate must be 'avg' or 'max', not {aggregate!r}")
