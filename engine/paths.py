"""Where the engine keeps its own files. It writes nowhere else (never next to the user's media)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA_DIR = Path("~/.cache/autoedit")


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--data-dir, else $AUTOEDIT_DATA_DIR, else ~/.cache/autoedit; created on first use."""
    raw = explicit or os.environ.get("AUTOEDIT_DATA_DIR") or DEFAULT_DATA_DIR
    path = Path(raw).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def sub_dir(root: Path, *parts: str) -> Path:
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_output(path: Path, text: str) -> None:
    """Write a command's text output: a regular file whole or not at all (a finished `.partial` renamed
    over it); a device, pipe or terminal (`-o /dev/null`) in place, since renaming over it would
    replace the device itself for every program on the machine."""
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as stream:
            stream.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
