"""The teacher's outputs, one file per clip keyed by content (file hash or splice recipe) and teacher, so
an interrupted or repeated distillation never runs the teacher twice on the same footage."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


class TeacherStore:
    def __init__(self, root: Path, teacher: str):
        self.root = Path(root)
        self.teacher = teacher
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.teacher)
        return self.root / safe / f"{key}.npz"

    def load(self, key: str) -> dict[str, np.ndarray] | None:
        """What `save` stored under `key`, or None (never stored, or a damaged file: done again)."""
        try:
            with np.load(self.path(key), allow_pickle=False) as data:
                return {name: data[name] for name in data.files}
        except (FileNotFoundError, OSError, ValueError, EOFError):
            return None

    def save(self, key: str, **arrays: np.ndarray) -> Path:
        """Written atomically: a cancelled run leaves no half file that a rerun would trust."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".npz", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, **arrays)  # type: ignore[arg-type]
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path
