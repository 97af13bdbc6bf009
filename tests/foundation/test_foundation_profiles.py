"""--profile embedded|studio on every command, and the studio profile's large models failing by name.

The studio models (whisper-large-v3 for whisperx, the 7B planner and reward base) go through the same
loading code as the embedded ones; on this machine none is present, so each must raise ModelNotFound
naming the model, where it looked and how to provide it.
"""

from __future__ import annotations

import argparse

import pytest

from engine.cli import SUBCOMMANDS, build_parser
from engine.config import load_config
from engine.errors import ConfigError, ModelNotFound

SPEECH = "speech/pocketsphinx_cards/001.wav"


def test_profile_lays_its_file_over_the_defaults_and_config_goes_over_it(tmp_path):
    studio = load_config(profile="studio", environ={})
    assert (studio.profile, studio.analysis.asr_backend, studio.device) == ("studio", "whisperx", "cuda")
    embedded = load_config(profile="embedded", environ={})
    assert (embedded.profile, embedded.analysis.asr_backend) == ("embedded", "faster_whisper")
    assert load_config(environ={"AUTOEDIT_PROFILE": "studio"}).profile == "studio"
    mine = tmp_path / "mine.yaml"
    mine.write_text("analysis:\n  face_sample_fps: 1.5\n")
    over = load_config(mine, environ={}, profile="studio")
    assert (over.profile, over.analysis.face_sample_fps, over.analysis.asr_backend) == (
        "studio",
        1.5,
        "whisperx",
    )
    with pytest.raises(ConfigError, match="unknown profile 'gpu'"):
        load_config(profile="gpu", environ={})


def test_every_command_takes_the_profile():
    parser = build_parser()
    (subs,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(subs.choices) == set(SUBCOMMANDS)
    for name, sub in subs.choices.items():
        (option,) = [a for a in sub._actions if "--profile" in a.option_strings]
        if name != "feedback":  # feedback's own --profile filters events by editor profile
            assert option.dest == "engine_profile" and set(option.choices) == {"embedded", "studio"}, name
    assert parser.parse_args(["--profile", "studio", "keys"]).engine_profile == "studio"
    assert parser.parse_args(["keys", "--profile", "studio"]).engine_profile == "studio"
    args = parser.parse_args(["--profile", "studio", "feedback", "count", "--profile", "alice"])
    assert (args.engine_profile, args.profile) == ("studio", "alice")


@pytest.mark.parametrize("where", ["before", "after"])
def test_studio_analysis_without_whisper_large_v3_names_it(tmp_path, autoedit, shared_media, where):
    speech = shared_media / SPEECH
    models = tmp_path / "models"
    models.mkdir()
    # only the words field: the studio profile also separates stems first, whose missing htdemucs
    # names itself (tests/analysis/test_analysis_audio_stems.py)
    args = (
        ["--profile", "studio", "analyze", speech, "--fields", "words"]
        if where == "before"
        else ["analyze", speech, "--fields", "words", "--profile", "studio"]
    )
    result = autoedit(*args, "--data-dir", tmp_path / "data", env={"AUTOEDIT_MODELS": str(models)})
    assert result.returncode == 1, result.stderr
    assert "model 'whisper-large-v3 (whisperx)' is not available locally" in result.stderr
    assert (
        str(models / "whisper-large-v3") in result.stderr and "AUTOEDIT__MODELS__ASR__PATH" in result.stderr
    )


def test_studio_planner_and_reward_7b_missing_name_themselves(tmp_path, monkeypatch):
    from engine.learning.reward import base_model_dir
    from engine.planning.llm import load_planner

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = load_config(profile="studio", environ={})
    with pytest.raises(ModelNotFound) as planner:
        load_planner(config, tmp_path / "data")
    assert "'Qwen2.5-7B-Instruct'" in str(planner.value)
    assert "huggingface-cli download Qwen/Qwen2.5-7B-Instruct" in str(planner.value)
    assert str(tmp_path / "hub" / "models--Qwen--Qwen2.5-7B-Instruct" / "snapshots") in str(planner.value)
    with pytest.raises(ModelNotFound) as reward:
        base_model_dir(config)
    assert "'Qwen2.5-7B (reward model, LoRA)'" in str(reward.value)
    assert "huggingface-cli download Qwen/Qwen2.5-7B" in str(reward.value)
