"""`autoedit install-resolve`: the scripts land in Scripts/Utility, filled in, and run from there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.commands.install_resolve import ENTRY_LUA, ENTRY_PY, SETTINGS_NAME, scripts_dir

from .conftest import REPO


def _install(dest: Path, data_dir: Path, endpoint: str | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(dest.parent)}
    if endpoint:
        env["AUTOEDIT__SERVER__ENDPOINT"] = endpoint
    return subprocess.run(
        [sys.executable, "-m", "engine", "install-resolve", "--dest", str(dest), "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_install_fills_in_paths_and_keeps_a_users_changed_file(tmp_path):
    dest, data = tmp_path / "Fusion" / "Scripts", tmp_path / "data"
    first = _install(dest, data)
    assert first.returncode == 0, first.stderr
    utility = dest / "Utility"
    assert sorted(p.name for p in utility.iterdir()) == sorted([ENTRY_PY, ENTRY_LUA, SETTINGS_NAME])

    settings = json.loads((utility / SETTINGS_NAME).read_text())
    assert settings["data_dir"] == str(data.resolve())
    assert settings["engine_python"] == sys.executable
    assert str(REPO / "resolve_scripts") in settings["lib_paths"]
    entry = (utility / ENTRY_PY).read_text()
    assert f"SETTINGS_FILE = {str(utility / SETTINGS_NAME)!r}" in entry
    compile(entry, ENTRY_PY, "exec")
    lua = (utility / ENTRY_LUA).read_text()
    assert f'local AUTOEDIT_PYTHON = "{sys.executable}"' in lua
    assert f'local AUTOEDIT_HOST = "{REPO / "resolve_scripts" / "autoedit_host.py"}"' in lua
    assert "= nil" not in lua.split("local M = {}")[0]

    again = _install(dest, data)
    assert again.returncode == 0 and again.stdout.count("unchanged") == 3

    (utility / ENTRY_PY).write_text(entry + "\n# my own tweak\n")
    third = _install(dest, data)
    assert third.returncode == 0
    (backup,) = utility.glob(f"{ENTRY_PY}.bak-*")
    assert backup.read_text().endswith("# my own tweak\n")
    assert (utility / ENTRY_PY).read_text() == entry
    assert "previous kept as" in third.stdout


def test_install_refuses_a_destination_it_cannot_create(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = _install(blocker / "Scripts", tmp_path / "data")
    assert proc.returncode == 2
    assert "Utility" in proc.stderr


@pytest.mark.parametrize(
    ("platform", "all_users", "environ", "expected"),
    [
        ("linux", False, {"HOME": "/home/ed"}, "/home/ed/.local/share/DaVinciResolve/Fusion/Scripts"),
        ("linux", True, {"HOME": "/home/ed"}, "/opt/resolve/Fusion/Scripts"),
        (
            "darwin",
            False,
            {"HOME": "/Users/ed"},
            "/Users/ed/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
        ),
        (
            "darwin",
            True,
            {"HOME": "/Users/ed"},
            "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
        ),
        (
            "win32",
            True,
            {"PROGRAMDATA": "C:/ProgramData", "HOME": "C:/Users/ed"},
            "C:/ProgramData/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
        ),
        (
            "win32",
            False,
            {"APPDATA": "C:/Users/ed/AppData/Roaming", "HOME": "C:/Users/ed"},
            "C:/Users/ed/AppData/Roaming/Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts",
        ),
    ],
)
def test_scripts_folder_per_os_as_resolves_readme_lists_them(platform, all_users, environ, expected):
    assert scripts_dir(all_users, platform, environ).as_posix() == expected


def test_installed_menu_script_runs_an_edit_from_console_answers(tmp_path, resolve_engine, edit_media):
    """What Resolve does from Workspace > Scripts: run the installed file with `resolve` among its globals."""
    dest, data = tmp_path / "Scripts", tmp_path / "data"
    assert _install(dest, data, resolve_engine.endpoint).returncode == 0
    settings_file = dest / "Utility" / SETTINGS_NAME
    settings = json.loads(settings_file.read_text())
    assert settings["endpoint"] == resolve_engine.endpoint
    settings.pop("engine_python")  # no autostart: a missing test engine must fail the test, not spawn one
    settings_file.write_text(json.dumps(settings))
    script = dest / "Utility" / ENTRY_PY
    driver = (
        "import runpy, sys\n"
        f"sys.path.insert(0, {str(REPO / 'tests')!r})\n"
        "from resolve.fake_resolve import FakeResolve\n"
        "app = FakeResolve()\n"
        f"app.GetProjectManager().GetCurrentProject().GetMediaPool().ui_select({edit_media!r})\n"
        f"runpy.run_path({str(script)!r}, init_globals={{'resolve': app}})\n"
        "(call,) = app.calls.named('ImportTimelineFromFile')\n"
        "print('IMPORTED', call[0])\n"
    )
    answers = "\n".join(["1", "quick highlight reel", "1", "8", "", "", ""]) + "\n"
    proc = subprocess.run(
        [sys.executable, "-c", driver],
        input=answers,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Created timeline 'AutoEdit - quick highlight reel'" in proc.stdout
    imported = next(line for line in proc.stdout.splitlines() if line.startswith("IMPORTED "))
    assert imported.split(" ", 1)[1].startswith(str(data.resolve() / "resolve" / "timelines"))
