"""Settings and the `autoedit` console script, driven the way a user drives them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine.cli import THP_SETTING, huge_page_tunables
from engine.config import CONFIG_DIR, load_config
from engine.errors import ConfigError, ModelNotFound
from engine.models import locate


def one_line(text: str) -> str:
    """rich wraps long messages on a narrow non-terminal stderr; compare with whitespace collapsed."""
    return re.sub(r"\s+", " ", text)


def test_help_lists_the_design_subcommands(autoedit):
    proc = autoedit("--help")
    assert proc.returncode == 0
    for name in ("analyze", "edit", "serve", "batch", "feedback", "train"):
        assert re.search(rf"^\s+{name}\s", proc.stdout, re.M), f"{name} missing from --help"


def test_version(autoedit):
    proc = autoedit("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"autoedit {engine.__version__}"


def test_no_or_unknown_subcommand_is_bad_input(autoedit):
    assert autoedit().returncode == 2
    proc = autoedit("frobnicate")
    assert proc.returncode == 2 and "frobnicate" in proc.stderr


def test_unknown_key_in_config_file_exits_2_naming_key_and_file(autoedit, tmp_path):
    config = tmp_path / "mine.yaml"
    config.write_text("analysis:\n  shot_treshold: 0.4\n")
    proc = autoedit("feedback", "count", "--config", config)
    assert proc.returncode == 2
    message = one_line(proc.stderr)
    assert "unknown key 'analysis.shot_treshold'" in message
    assert str(config) in message


def test_bad_value_and_bad_yaml_and_missing_file_exit_2(autoedit, tmp_path):
    config = tmp_path / "bad_value.yaml"
    config.write_text("planner:\n  backend: magic\n")
    proc = autoedit("feedback", "count", "--config", config)
    assert proc.returncode == 2 and "planner.backend" in one_line(proc.stderr)

    broken = tmp_path / "broken.yaml"
    broken.write_text("analysis: [unclosed\n")
    proc = autoedit("feedback", "count", "--config", broken)
    assert proc.returncode == 2 and "not valid YAML" in one_line(proc.stderr)

    missing = tmp_path / "nowhere.yaml"
    proc = autoedit("feedback", "count", "--config", missing)
    assert proc.returncode == 2 and "config file not found" in one_line(proc.stderr)
    assert str(missing) in one_line(proc.stderr)


def test_bad_environment_override_exits_2_naming_key(autoedit):
    proc = autoedit("feedback", "count", env={"AUTOEDIT__PLANNER__MAX_ATTEMPTS": "9"})
    assert proc.returncode == 2
    message = one_line(proc.stderr)
    assert "planner.max_attempts" in message and "AUTOEDIT__" in message
    proc = autoedit("feedback", "count", env={"AUTOEDIT__PLANER__BACKEND": "rules"})
    assert proc.returncode == 2 and "unknown key 'planer'" in one_line(proc.stderr)


def test_precedence_default_then_file_then_environment(tmp_path):
    base = load_config(environ={})
    assert base.profile == "embedded" and base.analysis.shots_backend == "student"
    config = tmp_path / "over.yaml"
    config.write_text(
        "analysis:\n  shots_backend: pyscenedetect\n  face_sample_fps: 1.0\nplanner:\n  backend: rules\n"
    )
    from_file = load_config(config, environ={})
    assert from_file.analysis.shots_backend == "pyscenedetect"
    assert from_file.planner.backend == "rules"
    assert from_file.analysis.quality_sample_fps == base.analysis.quality_sample_fps  # untouched keys kept
    env = {
        "AUTOEDIT__ANALYSIS__FACE_SAMPLE_FPS": "3.5",
        "AUTOEDIT__MODELS__ASR__PATH": "/models/whisper",
        "UNRELATED": "x",
    }
    both = load_config(config, environ=env)
    assert both.analysis.face_sample_fps == 3.5  # environment beats the file
    assert both.analysis.shots_backend == "pyscenedetect"
    assert both.models.asr.path == "/models/whisper"
    via_env_file = load_config(environ={"AUTOEDIT_CONFIG": str(config)})
    assert via_env_file.planner.backend == "rules"
    with pytest.raises(ConfigError, match="unknown key 'analysis.nope'"):
        load_config(environ={"AUTOEDIT__ANALYSIS__NOPE": "1"})


def test_every_embedded_model_ships_in_an_installed_package():
    config = load_config(environ={})
    for role in type(config.models).model_fields:
        spec = getattr(config.models, role)
        if spec is None:
            continue
        assert spec.source == "package", f"embedded profile must not need downloads: models.{role}"
        assert locate(spec, role).exists()


def test_studio_models_missing_say_which_where_and_how(tmp_path, monkeypatch):
    models_root = tmp_path / "models"
    models_root.mkdir()
    monkeypatch.setenv("AUTOEDIT_MODELS", str(models_root))
    config = load_config(CONFIG_DIR / "studio.yaml", environ={})
    assert config.profile == "studio"
    with pytest.raises(ModelNotFound) as caught:
        locate(config.models.asr, "asr")
    message = str(caught.value)
    assert config.models.asr.name in message
    assert str(models_root / "whisper-large-v3") in message
    assert "AUTOEDIT__MODELS__ASR__PATH" in message
    assert caught.value.exit_code == 1

    # Provided locally: found, with no other change.
    (models_root / "whisper-large-v3").mkdir()
    assert locate(config.models.asr, "asr") == models_root / "whisper-large-v3"

    # Hugging Face cache entries are looked up in the local cache only.
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    spec = config.models.effects_code
    assert spec is not None and spec.source == "hf_cache"
    with pytest.raises(ModelNotFound) as caught:
        locate(spec, "effects_code")
    message = str(caught.value)
    assert spec.name in message and str(tmp_path / "hub") in message
    assert f"huggingface-cli download {spec.repo_id}" in message


def test_studio_config_without_models_root_names_the_variable(monkeypatch):
    monkeypatch.delenv("AUTOEDIT_MODELS", raising=False)
    config = load_config(CONFIG_DIR / "studio.yaml", environ={})
    with pytest.raises(ModelNotFound, match=r"\$AUTOEDIT_MODELS"):
        locate(config.models.segmentation, "segmentation")


def test_engine_data_dir_is_the_session_tmp_dir(engine_data_dir):
    import os

    from engine.paths import data_dir

    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert data_dir() == engine_data_dir.resolve()
    assert not str(data_dir()).startswith(str(Path("~/.cache").expanduser()))


def test_huge_page_tunables_only_where_they_change_something():
    madvise, always = "always [madvise] never\n", "[always] madvise never\n"
    assert huge_page_tunables({}, madvise, "glibc 2.36") == "glibc.malloc.hugetlb=1"
    assert huge_page_tunables({"GLIBC_TUNABLES": "glibc.malloc.check=0"}, madvise, "glibc 2.40") == (
        "glibc.malloc.check=0:glibc.malloc.hugetlb=1"
    )
    assert huge_page_tunables({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}, madvise, "glibc 2.36") is None
    assert huge_page_tunables({}, always, "glibc 2.36") is None
    assert huge_page_tunables({}, "always madvise [never]", "glibc 2.36") is None
    assert huge_page_tunables({}, madvise, "glibc 2.31") is None  # the tunable came in 2.35
    assert huge_page_tunables({}, madvise, "") is None  # musl


# Allocates 64 MiB the way CTranslate2's buffers are (malloc, above the mmap threshold), writes each
# page, and prints the tunables and how much of the process's memory is in transparent huge pages.
_PROBE = """
import os, sys
from engine.cli import ask_for_huge_pages
ask_for_huge_pages()
block = bytearray(64 << 20)
block[::4096] = bytes(len(block) // 4096)
block[::4096] = b"\\x01" * (len(block) // 4096)
rollup = open("/proc/self/smaps_rollup").read()
huge = next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("AnonHugePages:"))
print(os.environ.get("GLIBC_TUNABLES", ""), huge)
"""


@pytest.mark.parametrize("preset", ["", "glibc.malloc.hugetlb=0"])
def test_the_console_reruns_itself_with_huge_pages_where_they_help(preset):
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    if preset:
        env["GLIBC_TUNABLES"] = preset
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, check=True, timeout=60
    ).stdout.split()
    tunables, huge_kib = (out[0], int(out[1])) if len(out) == 2 else ("", int(out[0]))
    expected = huge_page_tunables(env, THP_SETTING.read_text(), os.confstr("CS_GNU_LIBC_VERSION") or "")
    if expected is None:  # the user's own choice, or a machine where the exec would change nothing
        assert tunables == preset
    else:
        assert tunables == expected
        assert huge_kib >= 32 << 10, huge_kib  # at least half the block in 2 MiB pages
    if preset:
        assert huge_kib < 32 << 10, huge_kib  # without the tunable, malloc's block has none
