"""The generation path with a real (tiny, random) causal LM saved as a local model directory: the
code model's completion goes through the same check as any effect, so its output is refused and the
edit goes on without it, saying why."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from planning.edit_helpers import media_from_truth

from engine.analysis.report import AnalysisReport
from engine.config import load_config
from engine.effects.codegen import code_prompt, function_from_completion, generate_effect
from engine.effects.sandbox import EffectRefused, check_source
from engine.editing import MediaRef, run_edit
from engine.progress import Job

CORPUS = [
    "import numpy as np", "def effect(frame, t, info):", "    return frame", "x = np.clip(frame, 0, 255)",
    "import os", "os.system('id')", "open('/etc/passwd').read()", "__import__('subprocess')",
]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_code_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(
        CORPUS * 20, trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"])
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    )
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024,
        bos_token_id=1, eos_token_id=2, pad_token_id=2,
    )  # fmt: skip
    out = tmp_path_factory.mktemp("models") / "tiny-code-lm"
    LlamaForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def studio_like(model: Path):
    spec = json.dumps({"name": "tiny-code-lm", "source": "path", "path": str(model)})
    return load_config(
        environ={"AUTOEDIT__MODELS__EFFECTS_CODE": spec, "AUTOEDIT__PLANNER__BACKEND": "rules",
                 "AUTOEDIT__EFFECTS__CODEGEN_MAX_NEW_TOKENS": "48"}
    )  # fmt: skip


def test_completion_is_cut_at_the_end_of_the_function() -> None:
    prompt = code_prompt("sepia")
    source = function_from_completion(prompt, "    return 255 - frame\nimport os\nos.system('id')\n")
    assert source.endswith("    return 255 - frame\n") and "os" not in source.split("# The look")[1]
    check_source(source)


def test_the_tiny_models_code_is_refused(tiny_code_model: Path) -> None:
    with pytest.raises(EffectRefused, match="refused"):
        generate_effect("a glitch look", studio_like(tiny_code_model), 48)


def test_the_edit_goes_on_without_the_refused_effect(tiny_code_model: Path, tmp_path: Path) -> None:
    from engine.synthetic import write_speech

    truth = write_speech(
        tmp_path / "talk.mp4", (("Hello there.", 0.5),), 3.0, rate=Fraction(25), size=(160, 90)
    )
    talk = media_from_truth(tmp_path / "talk.mp4", truth)
    result = run_edit(
        [MediaRef(talk.path)], "a glitch look, black and white", studio_like(tiny_code_model), tmp_path / "data",
        Job(), analysis=AnalysisReport(media=[talk]),
    )  # fmt: skip
    assert [e["kind"] for e in result.report["effects"]] == ["black_and_white"]
    assert any("code model's effect" in n and "refused" in n for n in result.report["notes"]), result.report[
        "notes"
    ]


def test_the_llm_chooser_scores_every_effect_and_the_rules_words_win(tiny_code_model: Path) -> None:
    """The LLM path's mechanics on a real (tiny) causal LM: one P(yes) per library effect, the
    threshold selects, reasons carry the model and P, and the prompt's own words keep priority."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from engine.effects.choose import QUESTIONS, choose_by_llm, choose_by_rules, llm_scores, merge
    from engine.planning.llm import LoadedPlanner

    planner = LoadedPlanner(
        AutoModelForCausalLM.from_pretrained(tiny_code_model).eval(), AutoTokenizer.from_pretrained(tiny_code_model),
        "tiny-code-lm", None,
    )  # fmt: skip
    scores = llm_scores("black and white please", planner)
    assert set(scores) == set(QUESTIONS) and all(0 < p < 1 for p in scores.values())
    assert scores == llm_scores("black and white please", planner)  # deterministic
    everything = choose_by_llm("black and white please", planner, 1e-6)
    assert {r.kind for r in everything} == set(QUESTIONS) and all(
        "tiny-code-lm" in r.reason for r in everything
    )
    assert choose_by_llm("black and white please", planner, 1.0) == []
    rules = choose_by_rules("black and white please")
    merged = merge(rules, everything)
    assert merged[0] is rules[0] and [r.kind for r in merged].count("black_and_white") == 1
    assert len(merged) == len(QUESTIONS)
