"""The prompt -> `EditSpec`: the configured planner (the LLM, or the rules parser when it is chosen or
the LLM fails), with the notes that say what was read and repaired."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.config import EngineConfig
from engine.planning.spec import EditSpec
from engine.progress import Job


def plan_spec(
    prompt: str, config: EngineConfig, job: Job, adapter: str | Path | None = None
) -> tuple[EditSpec, str, list[str], Any]:
    """(spec, "llm"|"rules", notes, what the rules parser read). `adapter`: the planner's LoRA adapter."""
    from engine.planning.rules import parse_prompt

    parsed = parse_prompt(prompt, config.planner.max_prompt_chars)
    if config.planner.backend == "rules":
        return parsed.spec, "rules", list(parsed.notes), parsed
    from engine.planning.llm import LLMPlanFailed, plan_with_llm

    try:
        spec, notes = plan_with_llm(prompt, parsed, config, job, adapter)
    except LLMPlanFailed as exc:
        return (
            parsed.spec,
            "rules",
            [f"the LLM planner failed ({exc}); the rules parser planned instead", *parsed.notes],
            parsed,
        )
    return spec, "llm", notes, parsed
