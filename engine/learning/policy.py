"""Tuning the LLM planner on the editor's preferences: DPO (TRL) with a LoRA adapter (PEFT).

Each example is (prompt + analysis summary, chosen plan, rejected plan), where a plan is the planner's
JSON answer. Adapters are versioned under data_dir/models/policy/vN; the planner applies the current one.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import BadInput, ModelNotFound
from engine.learning.pairs import plan_pairs
from engine.learning.progress import trainer_progress
from engine.learning.store import EventStore
from engine.learning.versions import ModelVersions
from engine.planning.plan_prompt import messages, plan_json
from engine.planning.spec import EditSpec
from engine.progress import Job

if TYPE_CHECKING:
    from engine.config import EngineConfig

log = logging.getLogger("autoedit.learning")


def policy_versions(data_dir: Path) -> ModelVersions:
    return ModelVersions(Path(data_dir) / "models" / "policy")


def latest_adapter(data_dir: Path) -> Path | None:
    """Directory of the current LoRA adapter (loadable with peft.PeftModel.from_pretrained), or None."""
    version = policy_versions(data_dir).current()
    if version is None or not (version / "adapter" / "adapter_config.json").is_file():
        return None
    return version / "adapter"


# -------------------------------------------------------------------------------------------- training


@dataclass
class PolicyTraining:
    version: str
    path: Path
    method: str
    train_pairs: int
    heldout_pairs: int
    heldout_accuracy: float | None  # share of held-out pairs where the tuned planner prefers the chosen plan
    base_heldout_accuracy: float | None  # the same measured on the untuned planner
    heldout_margin_gain: float | None  # mean change of log p(chosen) - log p(rejected) on held-out requests
    made_current: bool


@dataclass(frozen=True)
class PlanExample:
    """One DPO example: the planner's own chat for the request, and the two plans as it writes them."""

    prompt: list[dict[str, str]]
    chosen: str
    rejected: str
    group: str


def plan_examples(store: EventStore, profile: str | None = None) -> list[PlanExample]:

    out = []
    for pair in plan_pairs(store, profile):
        chosen, rejected = store.timeline(pair.chosen_timeline), store.timeline(pair.rejected_timeline)
        if chosen is None or rejected is None:
            continue
        good, bad = (
            plan_json(EditSpec.model_validate(chosen["spec"])),
            plan_json(EditSpec.model_validate(rejected["spec"])),
        )
        if good != bad:
            out.append(
                PlanExample(
                    messages(pair.prompt), good, bad, f"{pair.chosen_timeline}|{pair.rejected_timeline}"
                )
            )
    return out


def _planner_files(config: EngineConfig) -> tuple[Path, str | None]:
    from engine.models import locate

    root = locate(config.models.planner, "planner")
    if root.is_file() and root.suffix == ".gguf":
        return root.parent, root.name
    if root.is_dir() and not (root / "config.json").exists():
        found = sorted(root.glob("*.gguf"))
        if not found:
            raise ModelNotFound(
                config.models.planner.name,
                [str(root)],
                "point models.planner at a model directory or a .gguf file",
            )
        return root, found[0].name
    return root, None


def load_base_planner(config: EngineConfig) -> tuple[Any, Any]:
    """The planner's base weights, trainable: a GGUF file is dequantized to float32 by transformers."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    root, gguf = _planner_files(config)
    kwargs: dict[str, Any] = {"local_files_only": True}
    if gguf:
        kwargs["gguf_file"] = gguf
    tokenizer = AutoTokenizer.from_pretrained(root, **kwargs)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dtype = torch.float32 if config.torch_device() == "cpu" else torch.bfloat16
    model: Any = AutoModelForCausalLM.from_pretrained(root, dtype=dtype, **kwargs)
    if gguf:
        # transformers dequantizes GGUF tensors on load but keeps the GGUF marker, and Trainer refuses to
        # train a model so marked; the weights in memory are plain float tensors, so the marker goes.
        model.hf_quantizer = None
        model.is_quantized = False
        if getattr(model.config, "quantization_config", None) is not None:
            del model.config.quantization_config
    return model, tokenizer


def plan_logprob_margins(model: Any, tokenizer: Any, examples: Sequence[PlanExample]) -> list[float]:
    """log p(chosen | chat) - log p(rejected | chat) under `model`, per example (the DPO preference)."""
    import torch

    margins = []
    model.eval()
    with torch.inference_mode():
        for ex in examples:
            prompt_ids = tokenizer.apply_chat_template(ex.prompt, add_generation_prompt=True)
            if hasattr(prompt_ids, "keys"):
                prompt_ids = prompt_ids["input_ids"]
            totals = []
            for answer in (ex.chosen, ex.rejected):
                answer_ids = tokenizer(answer + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
                ids = torch.tensor([list(prompt_ids) + list(answer_ids)], device=model.device)
                logits = model(input_ids=ids).logits[0, len(prompt_ids) - 1 : -1].float()
                logp = torch.log_softmax(logits, dim=-1).gather(1, ids[0, len(prompt_ids) :, None]).sum()
                totals.append(float(logp))
            margins.append(totals[0] - totals[1])
    return margins


def train_policy(
    config: EngineConfig,
    data_dir: Path,
    store: EventStore,
    job: Job | None = None,
    epochs: int | None = None,
    seed: int = 0,
    examples: Sequence[PlanExample] | None = None,
    make_current: bool = True,
) -> PolicyTraining:
    """DPO (TRL) with a LoRA adapter (PEFT) on the planner, from plans the editor liked better."""
    job = job or Job()
    method = config.learning.policy_method
    if method != "dpo":
        raise BadInput(
            f"learning.policy_method '{method}' is not trained by this engine: DPO was measured better here "
            "(bench/learning.py --policy); set it to 'dpo'"
        )
    examples = list(examples) if examples is not None else plan_examples(store)
    if len(examples) < 2:
        raise BadInput(
            f"need at least 2 plan comparisons (timelines of the same prompt judged differently) to tune the planner, have {len(examples)}"
        )
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import PrinterCallback
    from trl import DPOConfig, DPOTrainer

    groups = sorted({e.group for e in examples})
    random.Random(seed).shuffle(groups)
    n_held = max(1, round(len(groups) * config.learning.heldout_fraction)) if len(groups) > 2 else 0
    held_groups = set(groups[:n_held])
    train = [e for e in examples if e.group not in held_groups]
    held = [e for e in examples if e.group in held_groups]
    versions = policy_versions(data_dir)
    name, tmp = versions.staging()
    job.report("policy", 0.0, f"DPO {name} on {len(train)} plan pairs ({len(held)} held out)")
    try:
        torch.manual_seed(seed)
        model, tokenizer = load_base_planner(config)
        base_margins = plan_logprob_margins(model, tokenizer, held) if held else []
        rank = config.learning.lora_rank
        peft_config = LoraConfig(
            r=rank,
            lora_alpha=2 * rank,
            lora_dropout=0.0,
            target_modules=["q_proj", "v_proj"],
            task_type="CAUSAL_LM",
        )
        n_epochs = epochs or config.learning.policy_epochs
        args = DPOConfig(
            output_dir=str(tmp / "run"),
            num_train_epochs=n_epochs,
            per_device_train_batch_size=min(4, len(train)),
            learning_rate=config.learning.policy_learning_rate,
            beta=config.learning.policy_beta,
            logging_steps=1,
            save_strategy="no",
            report_to=[],
            bf16=False,
            fp16=False,
            use_cpu=config.torch_device() == "cpu",
            seed=seed,
            disable_tqdm=True,
            dataloader_num_workers=0,
        )

        dataset = Dataset.from_list(
            [
                {
                    "prompt": e.prompt,
                    "chosen": [{"role": "assistant", "content": e.chosen}],
                    "rejected": [{"role": "assistant", "content": e.rejected}],
                }
                for e in train
            ]
        )
        trainer = DPOTrainer(
            model=model,
            args=args,
            train_dataset=dataset,
            processing_class=tokenizer,
            peft_config=peft_config,
            callbacks=[trainer_progress(job, "policy")],
        )
        trainer.remove_callback(PrinterCallback)  # progress goes to our log, not stdout
        trainer.train()
        job.check()
        tuned: Any = trainer.model
        # LoRA leaves the vocabulary alone; "auto" would look the base model up on the Hub to check.
        tuned.save_pretrained(tmp / "adapter", save_embedding_layers=False)
        margins = plan_logprob_margins(tuned, tokenizer, held) if held else []
        del trainer
        shutil.rmtree(tmp / "run", ignore_errors=True)
    except BaseException:
        versions.discard(tmp)
        raise
    accuracy = float(sum(m > 0 for m in margins) / len(margins)) if margins else None
    base_accuracy = float(sum(m > 0 for m in base_margins) / len(base_margins)) if base_margins else None
    margin_gain = float(sum(margins) - sum(base_margins)) / len(margins) if margins else None
    meta = {
        "method": "dpo",
        "base": config.models.planner.name,
        "train_pairs": len(train),
        "heldout_pairs": len(held),
        "heldout_accuracy": accuracy,
        "base_heldout_accuracy": base_accuracy,
        "heldout_margin_gain": margin_gain,
        "epochs": n_epochs,
        "seed": seed,
    }
    path = versions.commit(name, tmp, meta, make_current=make_current)
    log.info("policy %s: held-out preference accuracy %s (untuned %s)", name, accuracy, base_accuracy)
    job.report("policy", 1.0, f"{name}: held-out accuracy {accuracy}")
    return PolicyTraining(
        name,
        path,
        "dpo",
        len(train),
        len(held),
        accuracy,
        base_accuracy,
        margin_gain,
        make_current,
    )
