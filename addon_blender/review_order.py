"""Which strip to ask the editor about next (bpy-free): the engine ranks each placed clip by how little
its scorer can tell keep from drop (`review_rank`, `uncertainty` in the clip's OTIO metadata), so the
first verdicts teach the most. Strips already accepted or rejected drop out of the queue."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from .vse_model import NAMESPACE, PROP_DECISION, PROP_METADATA, PROP_STATUS, StripState, VseState


@dataclass(frozen=True)
class ReviewItem:
    strip: str
    decision_id: str
    rank: float  # 1 = ask first; inf when the engine gave none
    uncertainty: float | None
    start: int


def _clip_meta(strip: StripState) -> dict[str, Any]:
    try:
        meta = json.loads(str(strip.props.get(PROP_METADATA) or "{}")).get(NAMESPACE)
    except (ValueError, AttributeError):
        return {}
    return meta if isinstance(meta, dict) else {}


def review_queue(state: VseState) -> list[ReviewItem]:
    """The decisions still to review (status proposed), one per decision (its picture strip), in order."""
    decided = {
        str(s.props[PROP_DECISION])
        for s in state.strips
        if s.props.get(PROP_DECISION) and s.props.get(PROP_STATUS, "proposed") != "proposed"
    }  # a verdict on the picture covers its sound strip too
    items: dict[str, ReviewItem] = {}
    for strip in sorted(state.strips, key=lambda s: (s.kind != "movie", s.start)):
        decision = strip.props.get(PROP_DECISION)
        if not decision or str(decision) in decided or decision in items:
            continue
        meta = _clip_meta(strip)
        rank = meta.get("review_rank")
        u = meta.get("uncertainty")
        items[str(decision)] = ReviewItem(
            strip.name,
            str(decision),
            float(rank) if isinstance(rank, int | float) else math.inf,
            float(u) if isinstance(u, int | float) else None,
            strip.start,
        )
    return sorted(items.values(), key=lambda i: (i.rank, i.start))


def confidence_text(timeline_metadata_json: str) -> str:
    """One line on how sure the scorer is, from the timeline's `autoedit.scorer_confidence`."""
    try:
        meta = json.loads(timeline_metadata_json or "{}").get(NAMESPACE) or {}
    except (ValueError, AttributeError):
        return ""
    conf = meta.get("scorer_confidence") if isinstance(meta, dict) else None
    if not isinstance(conf, dict):
        return ""
    parts = [str(conf.get("scorer") or "scorer")]
    if isinstance(conf.get("heldout_accuracy"), int | float):
        parts.append(f"held-out accuracy {conf['heldout_accuracy']:.0%}")
    if isinstance(conf.get("mean_certainty"), int | float):
        parts.append(f"sure of this edit {conf['mean_certainty']:.0%}")
    return ", ".join(parts)
