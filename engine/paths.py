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
