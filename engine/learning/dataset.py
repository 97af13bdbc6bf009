"""The stored feedback as a Hugging Face `datasets` DatasetDict, for inspection or training elsewhere.

Splits: `events` (the raw preference events), `pairs` (chosen/rejected renderings, as TRL's reward
trainer reads them) and `plans` (timeline-level comparisons for the policy). A split with no rows is
left out: `datasets` 5.2 writes an empty split that `load_from_disk` then cannot read back.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from engine.errors import BadInput
from engine.learning.pairs import plan_pairs, preference_pairs
from engine.learning.store import EventStore

PAIR_COLUMNS = ("chosen", "rejected", "group", "source", "chosen_id", "rejected_id", "prompt")
EVENT_COLUMNS = ("event_id", "timeline_id", "decision_id", "kind", "value", "time", "profile", "seq")
PLAN_COLUMNS = ("prompt", "chosen_timeline", "rejected_timeline", "chosen_acceptance", "rejected_acceptance")


def _columns(rows: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, list[Any]]:
    return {name: [row.get(name) for row in rows] for name in names}


def feedback_dataset(store: EventStore, profile: str | None = None) -> Any:
    from datasets import Dataset, DatasetDict, Features, Value

    events = [{**e, "value": json.dumps(e["value"], sort_keys=True)} for e in store.events(profile=profile)]
    pairs = [asdict(p) for p in preference_pairs(store, profile)]
    plans = [asdict(p) for p in plan_pairs(store, profile)]
    text = Value("string")
    splits = DatasetDict(
        {
            "pairs": Dataset.from_dict(
                _columns(pairs, PAIR_COLUMNS), features=Features({c: text for c in PAIR_COLUMNS})
            ),
            "events": Dataset.from_dict(
                _columns(events, EVENT_COLUMNS),
                features=Features({**{c: text for c in EVENT_COLUMNS if c != "seq"}, "seq": Value("int64")}),
            ),
            "plans": Dataset.from_dict(
                _columns(plans, PLAN_COLUMNS),
                features=Features(
                    {
                        **{c: text for c in PLAN_COLUMNS[:3]},
                        "chosen_acceptance": Value("float64"),
                        "rejected_acceptance": Value("float64"),
                    }
                ),
            ),
        }
    )
    return DatasetDict({name: split for name, split in splits.items() if name == "events" or split.num_rows})


def export_dataset(store: EventStore, out: Path, profile: str | None = None) -> Any:
    """Write the dataset with `save_to_disk` (reload with `datasets.load_from_disk(out)`)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BadInput("already exists and is not an empty directory; choose a new path", out)
    dataset = feedback_dataset(store, profile)
    dataset.save_to_disk(str(out))
    return dataset
