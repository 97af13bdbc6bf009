"""From stored events to preference pairs, the one input every trainer here takes.

Four sources, all within one timeline so that the two sides share prompt, media and plan:
- verdicts: each accepted decision is preferred over each rejected decision (latest verdict wins); a
  clip the editor deleted in the host (a reject with value {"implicit": "deleted"}) is a rejection too;
- trims: the range the editor kept is preferred over the clip as it was placed (the length it wants)
  and over each range trimmed away (the content it wants);
- reorders: a clip moved earlier is preferred over the clips it jumped ahead of, one moved later loses
  to those it moved behind (up to REORDER_PARTNERS nearest);
- `prefer`: the decision the editor picked over the alternative it names (alternatives are recorded
  with the timeline as decisions with "chosen": false).
Each pair carries both sides' decisions (`chosen_clip`, `rejected_clip`: a trimmed side with its own
range) for models that read the clip itself rather than its text.
Plan pairs for the policy compare whole timelines made from the same prompt: the plan whose clips the
editor accepted more often is preferred.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge import events
from engine.learning.render import render_decision
from engine.learning.store import EventStore


@dataclass(frozen=True)
class PreferencePair:
    chosen: str
    rejected: str
    group: str  # timeline id: held-out splits keep a timeline's pairs together
    source: str  # "verdict" | "trim" | "prefer"
    chosen_id: str | None = None
    rejected_id: str | None = None
    prompt: str = ""
    chosen_clip: dict[str, Any] | None = field(default=None, compare=False, hash=False, repr=False)
    rejected_clip: dict[str, Any] | None = field(default=None, compare=False, hash=False, repr=False)


REORDER_PARTNERS = 2


@dataclass
class TimelineFeedback:
    """One timeline with the editor's final word on each of its decisions."""

    timeline_id: str
    prompt: str
    spec: dict[str, Any]
    decisions: dict[str, dict[str, Any]]
    verdicts: dict[str, str] = field(default_factory=dict)  # decision_id -> "accept" | "reject"
    trims: dict[str, dict[str, Any]] = field(default_factory=dict)  # decision_id -> last trim value
    prefers: list[tuple[str, str]] = field(default_factory=list)  # (chosen decision, rejected decision)
    reorders: list[tuple[str, int, int]] = field(default_factory=list)  # (decision, from, to)
    timeline_verdict: str | None = None  # a verdict on the whole timeline (decision_id null)
    seq: int = 0  # last event seen

    @property
    def placed(self) -> list[dict[str, Any]]:
        return [d for d in self.decisions.values() if d.get("chosen", True)]

    def acceptance(self) -> float | None:
        """Fraction of placed clips the editor accepted (clips without a verdict don't count)."""
        judged = [
            self.verdicts[d]
            for d in self.decisions
            if d in self.verdicts and self.decisions[d].get("chosen", True)
        ]
        if judged:
            return sum(v == "accept" for v in judged) / len(judged)
        if self.timeline_verdict is not None:
            return 1.0 if self.timeline_verdict == "accept" else 0.0
        return None

    def render(self, decision: Mapping[str, Any]) -> str:
        return render_decision(decision, self.prompt, self.spec)


def _kept_range(value: Mapping[str, Any]) -> tuple[float, float]:
    """A trim's kept range (DESIGN.md: source_start/source_end in the media's own seconds)."""
    return float(value["source_start"]), float(value["source_end"])


def collect_feedback(
    store: EventStore, profile: str | None = None, upto: int | None = None
) -> list[TimelineFeedback]:
    """Group events by timeline and fold them into each timeline's final state (latest event wins).
    `upto`: only the first that many stored events (learning curves)."""
    timelines: dict[str, TimelineFeedback] = {}
    for n, event in enumerate(store.events(profile=profile)):
        if upto is not None and n >= upto:
            break
        tid = event.get("timeline_id")
        if not tid:
            continue
        fb = timelines.get(tid)
        if fb is None:
            record = store.timeline(tid)
            if record is None:
                continue  # feedback about a timeline this engine did not make
            decisions = {str(d["decision_id"]): d for d in record["decisions"] if d.get("decision_id")}
            fb = timelines[tid] = TimelineFeedback(tid, record["prompt"], record["spec"], decisions)
        fb.seq = event["seq"]
        did, kind, value = event.get("decision_id"), event["kind"], event.get("value") or {}
        if events.value_problem(kind, value):
            continue  # a value from before the one-shape contract that could not be migrated
        if kind in ("accept", "reject"):
            if did is None:
                fb.timeline_verdict = kind
            elif did in fb.decisions:
                fb.verdicts[did] = kind
        elif kind == "trim" and did in fb.decisions:
            fb.trims[did] = value
            fb.verdicts.setdefault(did, "accept")  # trimming a clip keeps it
        elif kind == "prefer":
            chosen, rejected = str(did), str(value["over"])
            if chosen in fb.decisions and rejected in fb.decisions and chosen != rejected:
                fb.prefers.append((chosen, rejected))
        elif kind == "reorder" and did in fb.decisions:
            old, new = value.get("from"), value.get("to")
            if isinstance(old, int) and isinstance(new, int) and old != new:
                fb.reorders.append((str(did), old, new))
    return list(timelines.values())


def _trim_pairs(fb: TimelineFeedback) -> Iterable[PreferencePair]:
    for did, value in fb.trims.items():
        original = fb.decisions[did]
        kept = _kept_range(value)
        start, end = original.get("source_start"), original.get("source_end")
        if not isinstance(start, int | float) or not isinstance(end, int | float):
            continue
        k0, k1 = max(kept[0], float(start)), min(kept[1], float(end))
        if k1 <= k0:
            continue
        removed = [(float(start), k0), (k1, float(end))]
        kept_clip = {
            **original,
            "source_start": k0,
            "source_end": k1,
            "features": _with_duration(original, k1 - k0),
        }
        kept_text = fb.render(kept_clip)
        if (float(end) - float(start)) - (k1 - k0) >= 0.25:
            # the editor saw the whole clip and kept less of it: the trimmed clip beats the clip as it
            # was placed, which is what teaches the length (the cut-away ranges below teach content
            # and may be shorter or longer than what was kept)
            yield PreferencePair(
                kept_text, fb.render(original), fb.timeline_id, "trim", did, f"{did}{UNTRIMMED}", fb.prompt,
                kept_clip, dict(original),
            )  # fmt: skip
        for r0, r1 in removed:
            if r1 - r0 < 0.25:  # a nudge of a few frames says nothing about content
                continue
            cut = {
                **original,
                "source_start": r0,
                "source_end": r1,
                "features": _with_duration(original, r1 - r0),
            }
            yield PreferencePair(
                kept_text,
                fb.render(cut),
                fb.timeline_id,
                "trim",
                did,
                f"{did}#trimmed",
                fb.prompt,
                kept_clip,
                cut,
            )


UNTRIMMED = "#untrimmed"  # rejected_id suffix of the trim pair "kept range over the clip as placed"
MIN_TRIMS = 5  # shortening trims needed before the edit's pacing follows them


def trimmed_lengths(pairs: Iterable[PreferencePair]) -> dict[str, Any] | None:
    """What the editor's trims say about clip length: the median length kept and placed, from the
    "kept over untrimmed" pairs; None with fewer than MIN_TRIMS of them (no length taste yet)."""
    kept, placed = [], []
    for p in pairs:
        if p.source != "trim" or not str(p.rejected_id or "").endswith(UNTRIMMED):
            continue
        if p.chosen_clip is None or p.rejected_clip is None:
            continue
        k = float(p.chosen_clip["source_end"]) - float(p.chosen_clip["source_start"])
        o = float(p.rejected_clip["source_end"]) - float(p.rejected_clip["source_start"])
        kept.append(k)
        placed.append(o)
    if len(kept) < MIN_TRIMS:
        return None
    return {
        "trims": len(kept),
        "kept_median_s": round(float(statistics.median(kept)), 3),
        "placed_median_s": round(float(statistics.median(placed)), 3),
    }


def _with_duration(decision: Mapping[str, Any], duration: float) -> dict[str, Any]:
    features = dict(decision.get("features") or {})
    if "duration" in features:
        features["duration"] = min(1.0, duration / 10.0)  # the planner's scale: seconds / 10, capped
    return features


def _spread(accepted: list[str], rejected: list[str], per_decision: int) -> list[tuple[str, str]]:
    """Up to `per_decision` partners for each decision instead of all |A|x|R| pairs: the same information
    about each clip at linear cost, so training time grows with events, not with their square."""
    if not accepted or not rejected:
        return []
    big, small = (accepted, rejected) if len(accepted) >= len(rejected) else (rejected, accepted)
    k = min(per_decision, len(small))
    out = set()
    for i, x in enumerate(big):
        for j in range(k):
            y = small[(i + j) % len(small)]
            out.add((x, y) if big is accepted else (y, x))
    return sorted(out)


def timeline_pairs(fb: TimelineFeedback, per_decision: int = 3) -> list[PreferencePair]:
    accepted = [d for d, v in sorted(fb.verdicts.items()) if v == "accept"]
    rejected = [d for d, v in sorted(fb.verdicts.items()) if v == "reject"]
    pairs = [_decision_pair(fb, a, r, "verdict") for a, r in _spread(accepted, rejected, per_decision)]
    pairs.extend(_trim_pairs(fb))
    pairs.extend(_decision_pair(fb, chosen, other, "prefer") for chosen, other in fb.prefers)
    pairs.extend(_decision_pair(fb, chosen, other, "reorder") for chosen, other in _reorder_wins(fb))
    return pairs


def _reorder_wins(fb: TimelineFeedback) -> list[tuple[str, str]]:
    """(winner, loser) for each move: the moved clip against the nearest clips it passed."""
    by_index = {int(d["index"]): did for did, d in fb.decisions.items() if isinstance(d.get("index"), int)}
    wins = []
    for did, old, new in fb.reorders:
        step = -1 if new < old else 1
        passed = [by_index[i] for i in range(old + step, new + step, step) if i in by_index]
        for other in passed[:REORDER_PARTNERS]:
            if other != did:
                wins.append((did, other) if new < old else (other, did))
    return wins


def _decision_pair(fb: TimelineFeedback, chosen: str, rejected: str, source: str) -> PreferencePair:
    return PreferencePair(
        fb.render(fb.decisions[chosen]),
        fb.render(fb.decisions[rejected]),
        fb.timeline_id,
        source,
        chosen,
        rejected,
        fb.prompt,
        fb.decisions[chosen],
        fb.decisions[rejected],
    )


def preference_pairs(
    store: EventStore, profile: str | None = None, per_decision: int = 3, upto: int | None = None
) -> list[PreferencePair]:
    """The decision-level preference pairs the stored events imply, in event order."""
    return [
        pair for fb in collect_feedback(store, profile, upto) for pair in timeline_pairs(fb, per_decision)
    ]


@dataclass(frozen=True)
class PlanPair:
    """Two plans for the same request; the editor liked `chosen`'s result better."""

    prompt: str
    chosen_timeline: str
    rejected_timeline: str
    chosen_acceptance: float
    rejected_acceptance: float


# Spec fields a caller can set through edit options: plans that differ there differ by the caller's
# choice, not the planner's, so they are only compared with plans that agree on them.
CALLER_FIELDS = ("target_duration", "aspect", "captions")


def plan_pairs(store: EventStore, profile: str | None = None, min_gap: float = 0.2) -> list[PlanPair]:
    """Pairs of timelines made for the same request whose acceptance differs by at least `min_gap`."""
    by_prompt: dict[str, list[tuple[TimelineFeedback, float]]] = {}
    for fb in collect_feedback(store, profile):
        rate = fb.acceptance()
        if rate is not None:
            request = (fb.prompt.strip().lower(), *(repr(fb.spec.get(k)) for k in CALLER_FIELDS))
            by_prompt.setdefault("|".join(request), []).append((fb, rate))
    pairs = []
    for group in by_prompt.values():
        for (fa, ra), (fb_, rb) in itertools.combinations(group, 2):
            if abs(ra - rb) < min_gap or fa.spec == fb_.spec:
                continue
            hi, lo = ((fa, ra), (fb_, rb)) if ra > rb else ((fb_, rb), (fa, ra))
            pairs.append(PlanPair(hi[0].prompt, hi[0].timeline_id, lo[0].timeline_id, hi[1], lo[1]))
    return pairs
