"""Which policy method to use on this machine: offline DPO vs an on-policy method (GRPO, RLOO and
online DPO all need fresh samples from the planner at every step), measured in the same run.

Prints the seconds of one DPO update (TRL DPOTrainer + LoRA, batch of 4 plan pairs) and of the
sampling one on-policy update needs (num_generations plans for each of the batch's prompts, with the
planner's own chat), and their ratio. The engine's `learning.policy_method` default follows it.

    .venv/bin/python bench/policy_methods.py [--generations 4] [--prompts 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--prompts", type=int, default=2)
    ap.add_argument("--max-new-tokens", type=int, default=96)
    args = ap.parse_args()

    import torch

    from engine.config import load_config
    from engine.learning.policy import PlanExample, load_base_planner, train_policy
    from engine.learning.store import EventStore
    from engine.planning.llm import messages, plan_json
    from engine.planning.spec import EditSpec, Pacing

    config = load_config()
    prompts = [
        "a quick teaser of the trip",
        "cut the best moments of the match",
        "a short reel for the launch",
        "tighten the interview",
    ]
    fast = plan_json(
        EditSpec.for_style("highlight", target_duration=20.0, pacing=Pacing(min_shot_s=0.6, max_shot_s=2.5))
    )
    slow = plan_json(
        EditSpec.for_style("highlight", target_duration=20.0, pacing=Pacing(min_shot_s=2.0, max_shot_s=10.0))
    )
    examples = [PlanExample(messages(p), fast, slow, str(i)) for i, p in enumerate(prompts)]

    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore(Path(tmp) / "feedback.sqlite3")
        config.learning.heldout_fraction = 0.0
        t0 = time.perf_counter()
        result = train_policy(config, Path(tmp), store, epochs=1, examples=examples)
        dpo_s = time.perf_counter() - t0
        store.close()
    print(
        f"DPO: one epoch over {result.train_pairs} plan pairs (1 update, model load included): {dpo_s:.1f} s"
    )

    model, tokenizer = load_base_planner(config)
    model.eval()
    t1 = time.perf_counter()
    tokens = 0
    with torch.inference_mode():
        for prompt in prompts[: args.prompts]:
            ids = tokenizer.apply_chat_template(
                messages(prompt), add_generation_prompt=True, return_tensors="pt"
            )
            if not hasattr(ids, "shape"):
                ids = ids["input_ids"]
            out = model.generate(
                ids.repeat(args.generations, 1),
                do_sample=True,
                max_new_tokens=args.max_new_tokens,
                pad_token_id=tokenizer.pad_token_id,
            )
            tokens += int((out[:, ids.shape[1] :] != tokenizer.pad_token_id).sum())
    sample_s = time.perf_counter() - t1
    print(
        f"on-policy sampling for one update ({args.prompts} prompts x {args.generations} plans, {tokens} tokens): "
        f"{sample_s:.1f} s, before any reward scoring or gradient step"
    )
    print(
        f"ratio: on-policy sampling alone costs x{sample_s / dpo_s:.2f} a whole DPO epoch (incl. model load)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
