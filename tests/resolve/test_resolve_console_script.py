"""The external-scripting console script, started the way an editor starts it from a terminal.

`DaVinciResolveScript.scriptapp("Resolve")` is the README's entry point for external scripts; here a
DaVinciResolveScript module on PYTHONPATH hands out the fake Resolve instead of the running app.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

CONSOLE = REPO / "resolve_scripts" / "autoedit_resolve_console.py"


def _settings(tmp_path: Path, endpoint: str) -> Path:
    path = tmp_path / "autoedit_resolve.json"
    path.write_text(f'{{"data_dir": "{tmp_path / "data"}", "endpoint": "{endpoint}"}}')
    return path


def _run(tmp_path: Path, args: list[str], module_dir: Path | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if module_dir is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(module_dir), str(REPO / "tests")])
    return subprocess.run(
        [sys.executable, str(CONSOLE), *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_console_script_edits_through_external_scripting(tmp_path, resolve_engine, edit_media):
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "DaVinciResolveScript.py").write_text(
        "from resolve.fake_resolve import FakeResolve\n"
        "_app = FakeResolve()\n"
        f"_app.GetProjectManager().GetCurrentProject().GetMediaPool().ui_select({edit_media!r})\n"
        "def scriptapp(name):\n"
        "    return _app if name == 'Resolve' else None\n"
    )
    settings = _settings(tmp_path, resolve_engine.endpoint)
    args = [
        "--settings",
        str(settings),
        "edit",
        "--prompt",
        "quick highlight reel",
        "--duration",
        "8",
        "--seed",
        "7",
    ]
    proc = _run(tmp_path, args, modules)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Created timeline 'AutoEdit - quick highlight reel'" in proc.stdout
    assert list((tmp_path / "data" / "resolve" / "timelines").glob("*.otio"))


def test_console_script_explains_missing_external_scripting(tmp_path, resolve_engine):
    settings = _settings(tmp_path, resolve_engine.endpoint)
    proc = _run(tmp_path, ["--settings", str(settings), "feedback"], None)
    assert proc.returncode == 2
    assert "DaVinciResolveScript is not importable" in proc.stderr
    assert "Studio" in proc.stderr
