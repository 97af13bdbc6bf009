"""Start-up stays light (issue 12): the CLI, its help and a bad input's error never import torch or
mediapipe; models load only when a file is really analysed. Checked via sys.modules in a fresh
process, not by timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "mediapipe", "faster_whisper", "ctranslate2", "onnxruntime", "BeatNet")

SCRIPT = """
import sys
from engine.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print("HEAVY", ",".join(heavy) or "-", "EXIT", code)
"""


def _run(tmp_path: Path, *argv: str) -> tuple[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "AUTOEDIT_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(heavy=set(HEAVY)), *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return line, done.stderr


def _python(code: str) -> str:
    """stdout of `python -c code` in a fresh process with this checkout's engine."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, check=True
    )
    return done.stdout.strip()


def test_importing_the_cli_loads_no_model_library():
    code = (
        f"import sys, engine.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}))"
    )
    assert _python(code) == "[]"


def test_help_loads_no_model_library(tmp_path):
    line, err = _run(tmp_path, "--help")
    assert line == "HEAVY - EXIT 0", line + err[-2000:]


@pytest.mark.parametrize("kind", ["missing", "not media", "empty"])
def test_a_bad_input_fails_naming_it_before_any_model_library_loads(tmp_path, kind):
    bad = tmp_path / "clip.mp4"
    if kind == "not media":
        bad.write_text("these are notes, not a video")
    elif kind == "empty":
        bad.write_bytes(b"")
    line, err = _run(tmp_path, "analyze", str(bad), "-o", str(tmp_path / "out.json"))
    assert line == "HEAVY - EXIT 2", line + err[-2000:]
    assert str(bad) in err


def test_device_auto_asks_torch_only_where_a_gpu_driver_is_loaded():
    code = (
        "import sys\nfrom engine.config import _may_have_cuda, load_config\n"
        "device = load_config().torch_device()\nasked = 'torch' in sys.modules\n"
        "import torch\n"
        "print(device, asked, _may_have_cuda(), 'cuda' if torch.cuda.is_available() else 'cpu')"
    )
    device, asked, may_have_cuda, torch_says = _python(code).split()
    assert device == torch_says  # the same answer as torch's
    assert asked == may_have_cuda  # torch imported only where a driver could serve CUDA


def test_an_analysis_imports_no_torch_once_the_data_dir_keeps_beatnets_export(tmp_path, synthetic):
    """Shots (the student), speech, words, beats, faces, quality, loudness all run without torch (~1.7
    CPU-s of import): only the first analysis in a data dir needs it, to export BeatNet to ONNX."""
    out = str(tmp_path / "out.json")
    first, _ = _run(tmp_path, "analyze", str(synthetic["clicks_120"].path), "-o", out)
    assert first.startswith("HEAVY ") and "torch" in first.split()[1].split(","), first
    assert list((tmp_path / "data" / "models" / "beatnet").glob("*.onnx"))
    line, err = _run(tmp_path, "analyze", str(synthetic["speech_2997"].path), "-o", out)
    heavy = line.split()[1].split(",")
    assert line.endswith("EXIT 0") and {"mediapipe", "faster_whisper", "onnxruntime"} <= set(heavy), (
        line + err
    )
    assert "torch" not in heavy, line
    report = json.loads(Path(out).read_text())
    (media,) = report["media"]
    assert media["shots"] and media["speech"] and media["words"] and media["faces"] is not None
