"""The planner's policy tuned with DPO + LoRA on plans the editor liked better, and picked up by the
LLM planner (engine.planning.llm) as its adapter."""

from __future__ import annotations

import uuid
from pathlib import Path

from bridge.events import make_event
from engine.config import load_config
from engine.learning.policy import (
    latest_adapter,
    plan_examples,
    train_policy,
)
from engine.learning.store import default_store
from engine.planning.spec import EditSpec, Pacing

PROMPTS = ["a quick teaser of the trip", "cut the best moments of the match", "a short reel for the launch"]


def test_dpo_adapter_raises_the_liked_plans_and_the_planner_applies_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = default_store(data)
    events = []
    # For each request the editor accepted the fast-paced plan's clips and rejected the slow one's.
    for prompt in PROMPTS:
        for pacing, verdict in (("fast", "accept"), ("slow", "reject")):
            lo, hi = (0.6, 2.5) if pacing == "fast" else (2.0, 10.0)
            spec = EditSpec.for_style("highlight", target_duration=20.0).model_copy(
                update={"pacing": Pacing(min_shot_s=lo, max_shot_s=hi)}
            )
            tid = str(uuid.uuid4())
            decisions = [
                {
                    "decision_id": f"{tid}-{k}",
                    "chosen": True,
                    "source_start": 0.0,
                    "source_end": 2.0,
                    "features": {},
                }
                for k in range(2)
            ]
            store.record_timeline(tid, prompt, spec.model_dump(mode="json"), decisions, None)
            events += [make_event(verdict, tid, f"{tid}-{k}") for k in range(2)]
    store.add_events(events)
    examples = plan_examples(store)
    assert len(examples) == 3
    assert all('"pacing": "fast"' in e.chosen and '"pacing": "slow"' in e.rejected for e in examples)

    config = load_config()
    result = train_policy(config, data, store, epochs=2, examples=examples)
    store.close()
    adapter = latest_adapter(data)
    assert adapter == data / "models" / "policy" / "v1" / "adapter"
    assert (adapter / "adapter_config.json").is_file()
    assert result.method == "dpo" and result.train_pairs + result.heldout_pairs == 3

    # On the held-out request the tuned planner prefers the liked plan by more than the base planner does.
    assert result.heldout_pairs == 1
    assert result.heldout_margin_gain is not None and result.heldout_margin_gain > 0

    from engine.planning.llm import load_planner

    assert load_planner(config, latest_adapter(data)).adapter == str(adapter)  # what run_edit passes
