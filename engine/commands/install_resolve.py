"""`autoedit install-resolve [--dest DIR] [--all-users]`: put the AutoEdit scripts in Resolve's Scripts menu.

Resolve lists the scripts it finds under Fusion/Scripts/Utility in Workspace > Scripts (Utility scripts
show on every page). We install there:

    Auto Edit.py            the Python entry (Studio; free editions before 21.1)
    Auto Edit (Free).lua    the Lua entry (any edition), which runs the engine work in this Python
    autoedit_resolve.json   where the engine, its data dir and the AutoEdit code are

The entry scripts are written with the path of autoedit_resolve.json (and, for Lua, of this Python)
filled in; the code they run (resolve_scripts/autoedit_resolve and the bridge) stays where AutoEdit is
installed. A file that exists with other content is kept as `<name>.bak-<time>` before it is replaced,
so an editor's own changes are never lost.
"""

from __future__ import annotations

import json
import os
import re
import site
import sys
import time
from pathlib import Path

from engine.errors import AutoEditError, BadInput

ENTRY_PY = "Auto Edit.py"
ENTRY_LUA = "Auto Edit (Free).lua"
SETTINGS_NAME = "autoedit_resolve.json"
PY_MARKER = re.compile(r"^SETTINGS_FILE = None\b.*$", re.M)
LUA_MARKERS = ("AUTOEDIT_PYTHON", "AUTOEDIT_HOST", "AUTOEDIT_SETTINGS", "AUTOEDIT_WORK_DIR")


def add_arguments(parser) -> None:
    parser.add_argument(
        "--dest",
        metavar="DIR",
        help="Resolve's Fusion/Scripts folder to install into (scripts go to DIR/Utility); default: the "
        "per-user Scripts folder of this OS",
    )
    parser.add_argument(
        "--all-users",
        action="store_true",
        help="the all-users Scripts folder (/opt/resolve/..., /Library/..., %%PROGRAMDATA%%\\...) instead",
    )


def scripts_dir(all_users: bool = False, platform: str = sys.platform, environ: dict | None = None) -> Path:
    """Resolve's Fusion/Scripts folder per its scripting README, per OS."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME") or Path.home())
    if platform.startswith("win"):
        if all_users:
            return (
                Path(env.get("PROGRAMDATA", r"C:\ProgramData"))
                / "Blackmagic Design"
                / "DaVinci Resolve"
                / "Fusion"
                / "Scripts"
            )
        appdata = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
        return appdata / "Blackmagic Design" / "DaVinci Resolve" / "Support" / "Fusion" / "Scripts"
    if platform == "darwin":
        base = Path("/Library") if all_users else home / "Library"
        return base / "Application Support" / "Blackmagic Design" / "DaVinci Resolve" / "Fusion" / "Scripts"
    if all_users:
        return Path("/opt/resolve/Fusion/Scripts")
    return home / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts"


def source_dir() -> Path:
    """resolve_scripts/ of this AutoEdit installation (a source checkout or an editable install)."""
    import engine

    path = Path(engine.__file__).resolve().parent.parent / "resolve_scripts"
    if not (path / "autoedit_resolve" / "__init__.py").is_file():
        raise AutoEditError(
            f"resolve_scripts/ is not next to the engine package ({path}); install AutoEdit from its source "
            "checkout (pip install -e .) so the Resolve scripts ship with it."
        )
    return path


def settings_for(config, data_dir: Path, src: Path) -> dict:
    import bridge.protocol

    bridge_root = Path(bridge.protocol.__file__).resolve().parent.parent
    return {
        "data_dir": str(data_dir),
        "endpoint": config.server.endpoint,
        "engine_python": sys.executable,
        "engine_python_version": list(sys.version_info[:2]),
        "engine_site_packages": [p for p in site.getsitepackages() if Path(p).is_dir()],
        "lib_paths": list(dict.fromkeys([str(src), str(bridge_root)])),
        "heartbeat_s": config.server.heartbeat_interval_s,
        "profile": config.profile,  # the engine the host starts runs this profile, and jobs ask for it
    }


def render_python_entry(template: str, settings_file: Path) -> str:
    rendered, count = PY_MARKER.subn(f"SETTINGS_FILE = {str(settings_file)!r}", template, count=1)
    if count != 1:
        raise AutoEditError(f"{ENTRY_PY}: the SETTINGS_FILE line to fill in is missing")
    return rendered


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_lua_entry(template: str, values: dict[str, str]) -> str:
    for name in LUA_MARKERS:
        pattern = re.compile(rf"^local {name} = nil\b.*$", re.M)
        template, count = pattern.subn(f"local {name} = {_lua_string(values[name])}", template, count=1)
        if count != 1:
            raise AutoEditError(f"{ENTRY_LUA}: the '{name}' line to fill in is missing")
    return template


def install_file(target: Path, content: str, stamp: str) -> str:
    """Write `content`; a differing existing file is kept as <name>.bak-<stamp> first. Returns what happened."""
    if target.exists():
        if target.read_text(encoding="utf-8", errors="replace") == content:
            return "unchanged"
        backup = target.with_name(f"{target.name}.bak-{stamp}")
        n = 1
        while backup.exists():
            n += 1
            backup = target.with_name(f"{target.name}.bak-{stamp}-{n}")
        target.replace(backup)
        outcome = f"updated (previous kept as {backup.name})"
    else:
        outcome = "installed"
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(target)
    return outcome


def install(dest: Path, config, data_dir: Path) -> list[tuple[Path, str]]:
    src = source_dir()
    utility = dest / "Utility"
    try:
        utility.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(
            f"cannot create the Scripts/Utility folder ({exc.strerror}); pass --dest", utility
        ) from None
    work_dir = data_dir / "resolve" / "lua"
    work_dir.mkdir(parents=True, exist_ok=True)
    settings_file = utility / SETTINGS_NAME
    stamp = time.strftime("%Y%m%d-%H%M%S")
    files = {
        settings_file: json.dumps(settings_for(config, data_dir, src), indent=2) + "\n",
        utility / ENTRY_PY: render_python_entry((src / ENTRY_PY).read_text(encoding="utf-8"), settings_file),
        utility / ENTRY_LUA: render_lua_entry(
            (src / ENTRY_LUA).read_text(encoding="utf-8"),
            {
                "AUTOEDIT_PYTHON": sys.executable,
                "AUTOEDIT_HOST": str(src / "autoedit_host.py"),
                "AUTOEDIT_SETTINGS": str(settings_file),
                "AUTOEDIT_WORK_DIR": str(work_dir),
            },
        ),
    }
    return [(path, install_file(path, content, stamp)) for path, content in files.items()]


def run(args, ctx) -> int:
    from engine.console import err_console

    dest = Path(args.dest).expanduser() if args.dest else scripts_dir(args.all_users)
    results = install(dest.resolve(), ctx.config, ctx.data_dir)
    for path, outcome in results:
        print(f"{outcome:>10}  {path}" if outcome in ("installed", "unchanged") else f"{path}: {outcome}")
    err_console.print(
        "Restart DaVinci Resolve (or reopen Workspace > Scripts); then Workspace > Scripts > Utility > "
        "'Auto Edit' (Studio) or 'Auto Edit (Free)'.",
        highlight=False,
    )
    return 0
