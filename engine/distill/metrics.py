"""How a student's cuts compare with its teacher's and with ground truth: F1 with one-to-one matching."""

from __future__ import annotations

from collections.abc import Sequence


def cut_f1(found: Sequence[float], truth: Sequence[float], tolerance: float) -> float:
    """F1 of `found` cut positions against `truth`, each matched at most once within `tolerance`.

    Both empty is a perfect 1.0 (nothing to find, nothing found)."""
    if not found and not truth:
        return 1.0
    hits = matches(found, truth, tolerance)
    if hits == 0:
        return 0.0
    precision, recall = hits / len(found), hits / len(truth)
    return 2 * precision * recall / (precision + recall)


def matches(found: Sequence[float], truth: Sequence[float], tolerance: float) -> int:
    """Greedy nearest one-to-one matches within `tolerance` (inclusive)."""
    unmatched = sorted(truth)
    hits = 0
    for t in sorted(found):
        best = min(unmatched, key=lambda u: abs(u - t), default=None)
        if best is not None and abs(best - t) <= tolerance + 1e-9:
            unmatched.remove(best)
            hits += 1
    return hits


def pooled_f1(pairs: Sequence[tuple[Sequence[float], Sequence[float], float]]) -> float:
    """F1 over several clips at once: (found, truth, tolerance) per clip, counts summed."""
    hits = found_n = truth_n = 0
    for found, truth, tolerance in pairs:
        hits += matches(found, truth, tolerance)
        found_n += len(found)
        truth_n += len(truth)
    if found_n == 0 and truth_n == 0:
        return 1.0
    if hits == 0:
        return 0.0
    precision, recall = hits / found_n, hits / truth_n
    return 2 * precision * recall / (precision + recall)
