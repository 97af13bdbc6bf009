"""Tuning the LLM planner on the editor's preferences: DPO (TRL) with a LoRA adapter (PEFT).

Each example is (prompt + analysis summary, chosen plan, rejected plan), where a plan is the planner's
JSON answer. Adapters are versioned under data_dir/models/policy/vN; the planner applies the current one.
"""

from __future__ import annotations

from pathlib import Path

from engine.learning.versions import ModelVersions


def policy_versions(data_dir: Path) -> ModelVersions:
    return ModelVersions(Path(data_dir) / "models" / "policy")


def latest_adapter(data_dir: Path) -> Path | None:
    """Directory of the current LoRA adapter (loadable with peft.PeftModel.from_pretrained), or None."""
    version = policy_versions(data_dir).current()
    if version is None or not (version / "adapter" / "adapter_config.json").is_file():
        return None
    return version / "adapter"
