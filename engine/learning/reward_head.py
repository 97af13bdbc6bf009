"""The reward head: a linear reward over frozen clip vectors (engine.learning.clip_vectors), trained with
TRL's RewardTrainer on the same (chosen, rejected) pairs as the text model.

Why a head: with about a hundred events, a few hundred parameters that see the picture, the numbers
and the words learn a taste faster and more reliably than fine-tuning MiniLM on band words
(bench/learning.py --compare measures both on the same events). How TRL trains it: every clip of the
run is one row of a frozen table and each side of a pair is a one-token sequence naming its row, so
RewardTrainer's own collator, Bradley-Terry loss and schedule train the head unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.learning.clip_vectors import DIM, block_weights

HEAD_FILE = "head.npz"


class HeadReward:
    """A trained head loaded for inference: reward = ((x - mean) * scale) . w + b, in numpy."""

    kind = "head"

    def __init__(self, version_dir: Path):
        self.version_dir = Path(version_dir)
        self.meta = json.loads((self.version_dir / "meta.json").read_text(encoding="utf-8"))
        with np.load(self.version_dir / HEAD_FILE) as stored:
            self.mean = stored["mean"]
            self.scale = stored["scale"]
            self.weight = stored["weight"]
            self.bias = float(stored["bias"])

    def rewards(self, vectors: np.ndarray) -> np.ndarray:
        if len(vectors) == 0:
            return np.zeros(0, dtype=np.float64)
        return ((vectors - self.mean) * self.scale) @ self.weight + self.bias


def standardiser(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and scales (1/std x block weight) from the training clips."""
    mean = vectors.mean(axis=0)
    std = vectors.std(axis=0)
    scale = np.where(std > 1e-4, 1.0 / np.maximum(std, 1e-4), 0.0) * block_weights()
    return mean.astype(np.float32), scale.astype(np.float32)


def build_head_model(table: np.ndarray, dropout: float) -> Any:
    """A transformers model RewardTrainer accepts: input id k -> row k of `table` -> linear reward."""
    import torch
    from torch import nn
    from transformers import PretrainedConfig, PreTrainedModel
    from transformers.modeling_outputs import SequenceClassifierOutput

    class HeadConfig(PretrainedConfig):
        model_type = "autoedit_reward_head"

    class ClipRewardHead(PreTrainedModel):
        config_class = HeadConfig
        main_input_name = "input_ids"

        def __init__(self, config: HeadConfig):
            super().__init__(config)
            self.table = nn.Embedding.from_pretrained(torch.from_numpy(table), freeze=True)
            self.dropout = nn.Dropout(dropout)
            self.score = nn.Linear(table.shape[1], 1)
            nn.init.zeros_(self.score.weight)
            nn.init.zeros_(self.score.bias)

        def _init_weights(self, module: Any) -> None:  # weights are set in __init__
            return

        def forward(self, input_ids: Any = None, attention_mask: Any = None, **_: Any) -> Any:
            return SequenceClassifierOutput(logits=self.score(self.dropout(self.table(input_ids[:, 0]))))

    config = HeadConfig(num_labels=1, pad_token_id=0)  # type: ignore[call-arg]
    return ClipRewardHead(config)


def train_head(
    vectors: np.ndarray,
    pair_rows: Sequence[tuple[int, int]],
    out_dir: Path,
    tokenizer: Any,
    *,
    epochs: int,
    learning_rate: float,
    weight_decay: float,
    batch_size: int,
    seed: int,
    use_cpu: bool,
    callbacks: list[Any],
) -> tuple[HeadReward, list[dict[str, Any]]]:
    """Train on pairs of row indices into `vectors`; writes HEAD_FILE into out_dir (meta.json is the
    caller's) and returns the head with the trainer's log history."""
    import torch
    from datasets import Dataset
    from transformers import PrinterCallback
    from trl import RewardConfig, RewardTrainer

    assert vectors.shape[1] == DIM
    mean, scale = standardiser(vectors)
    table = np.vstack([np.zeros((1, DIM), dtype=np.float32), (vectors - mean) * scale]).astype(np.float32)
    torch.manual_seed(seed)
    model = build_head_model(table, dropout=0.1)
    steps = max(1, epochs * -(-len(pair_rows) // batch_size))
    args = RewardConfig(
        output_dir=str(out_dir / "run"),
        num_train_epochs=epochs,
        per_device_train_batch_size=min(batch_size, len(pair_rows)),
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        lr_scheduler_type="linear",
        warmup_steps=0,
        logging_steps=max(1, steps // 10),
        save_strategy="no",
        report_to=[],
        bf16=False,
        fp16=False,
        use_cpu=use_cpu,
        seed=seed,
        eos_token=tokenizer.sep_token or tokenizer.eos_token,
        disable_tqdm=True,
        dataloader_num_workers=0,
        activation_checkpointing=False,  # one linear layer: nothing to checkpoint
        max_length=None,  # one-token sequences: nothing to filter
    )
    dataset = Dataset.from_dict(
        {"chosen_ids": [[a + 1] for a, _ in pair_rows], "rejected_ids": [[b + 1] for _, b in pair_rows]}
    )
    trainer = RewardTrainer(
        model=model, args=args, train_dataset=dataset, processing_class=tokenizer, callbacks=callbacks
    )
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    history = list(trainer.state.log_history)
    trained: Any = trainer.model
    weight = trained.score.weight.detach().cpu().numpy()[0].astype(np.float32)
    bias = float(trained.score.bias.detach().cpu().numpy()[0])
    del trainer, trained
    np.savez(out_dir / HEAD_FILE, mean=mean, scale=scale, weight=weight, bias=np.float32(bias))
    (out_dir / "meta.json").write_text("{}", encoding="utf-8")
    return HeadReward(out_dir), history
