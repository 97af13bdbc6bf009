"""The review queue the Blender sidebar walks: the engine's least certain cut first, one entry per
decision, verdicts given dropping out (bpy-free)."""

from __future__ import annotations

import json
import math
from fractions import Fraction

from addon_blender.review_order import confidence_text, review_queue
from addon_blender.vse_model import PROP_DECISION, PROP_METADATA, PROP_STATUS, StripState, VseState


def _strip(name: str, kind: str, start: int, decision: str, rank: int | None, status: str = "proposed"):
    meta = {
        "autoedit": {
            "decision_id": decision,
            **({"review_rank": rank, "uncertainty": 0.1 * rank} if rank else {}),
        }
    }
    props = {PROP_DECISION: decision, PROP_STATUS: status, PROP_METADATA: json.dumps(meta)}
    return StripState(name, kind, 1, start, start + 10, props=props)


def test_the_least_certain_cut_comes_first_and_reviewed_ones_drop_out() -> None:
    state = VseState(Fraction(25), 1, 100, "edit")
    state.strips = [
        _strip("a", "movie", 1, "d1", 3),
        _strip("a.sound", "sound", 1, "d1", 3),
        _strip("b", "movie", 11, "d2", 1),
        _strip("c", "movie", 21, "d3", 2, status="accepted"),
        _strip("c.sound", "sound", 21, "d3", 2),  # its picture has the verdict
        _strip("d", "movie", 31, "d4", None),
        StripState("user", "movie", 2, 50, 60),  # the editor's own strip: no decision
    ]
    queue = review_queue(state)
    assert [(i.strip, i.decision_id) for i in queue] == [("b", "d2"), ("a", "d1"), ("d", "d4")]
    assert queue[0].uncertainty is not None and math.isclose(queue[0].uncertainty, 0.1)
    assert math.isinf(queue[-1].rank)  # no rank from the engine: after the ranked ones, by position


def test_the_scorer_confidence_line() -> None:
    meta = {
        "autoedit": {
            "scorer_confidence": {"scorer": "reward-v3", "heldout_accuracy": 0.82, "mean_certainty": 0.6}
        }
    }
    assert confidence_text(json.dumps(meta)) == "reward-v3, held-out accuracy 82%, sure of this edit 60%"
    assert confidence_text("") == "" and confidence_text("not json") == ""
