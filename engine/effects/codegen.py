"""The code model writes a frame function for a look the library lacks.

It is shown the one signature (`engine.effects.sandbox.SIGNATURE`) with the look as a comment and
completes the body; greedy decoding, so the same prompt gives the same code. Whatever comes out goes
through `check_source` (and later the sandbox) like any user file: a model that writes nonsense or
something dangerous gets a refusal, never a run. Studio: CodeLlama-13B-Python from a local directory
(`models.effects_code`); any transformers causal LM directory works, found by `engine.models.locate`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

from engine.config import EngineConfig
from engine.effects.sandbox import SIGNATURE, check_source
from engine.errors import AutoEditError

HEADER = "import numpy as np\nimport math\n\n\n"


class NoCodeModel(AutoEditError):
    """No code model is configured (the embedded profile has none)."""

    code = "no_code_model"


@dataclass
class GeneratedCode:
    source: str
    model: str


@functools.lru_cache(maxsize=1)
def _load(path: str, device: str) -> tuple[Any, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(
        path, local_files_only=True, dtype=torch.float32 if device == "cpu" else "auto"
    )
    model.to(device)  # type: ignore[arg-type]
    model.eval()
    return model, tokenizer


def code_prompt(description: str) -> str:
    look = " ".join(description.split())[:200]
    return f"{HEADER}{SIGNATURE}    # The look: {look}\n"


def function_from_completion(prompt: str, completion: str) -> str:
    """The prompt plus the completion up to the end of the function (the first line back at column 0)."""
    body = []
    for line in completion.splitlines():
        if line.strip() and not line.startswith((" ", "\t")):
            break
        body.append(line)
    return prompt + "\n".join(body).rstrip() + "\n"


def generate_effect(description: str, config: EngineConfig, max_new_tokens: int) -> GeneratedCode:
    """Code for `description`, already through `check_source` (raises `EffectRefused` otherwise)."""
    spec = config.models.effects_code
    if spec is None:
        raise NoCodeModel(
            "no code model is configured (models.effects_code; the studio profile names CodeLlama-13B-Python)"
        )
    from engine.models import locate

    root = locate(spec, "effects_code")
    model, tokenizer = _load(str(root), config.torch_device())
    import torch

    prompt = code_prompt(description)
    inputs = tokenizer(prompt, return_tensors="pt").to(model.device)
    with torch.inference_mode():
        out = model.generate(
            **inputs, max_new_tokens=max_new_tokens, do_sample=False,
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
        )  # fmt: skip
    completion = tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    source = function_from_completion(prompt, completion)
    check_source(source)
    return GeneratedCode(source, spec.name)
