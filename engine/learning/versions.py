"""Numbered model versions under one directory with a `current` pointer, so a bad training run is undone
by moving the pointer back (`autoedit train --rollback`) instead of deleting anything.

Layout: ROOT/v1, ROOT/v2, ... each with `meta.json`; ROOT/current holds the name of the live version.
A version directory appears only when complete (trained into `.vN.partial`, then renamed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

_VERSION = re.compile(r"^v(\d+)$")


class ModelVersions:
    def __init__(self, root: Path):
        self.root = Path(root)

    def versions(self) -> list[str]:
        """Complete versions, oldest first."""
        if not self.root.is_dir():
            return []
        found = [
            (int(m.group(1)), p.name)
            for p in self.root.iterdir()
            if p.is_dir() and (m := _VERSION.match(p.name))
        ]
        return [name for _, name in sorted(found)]

    def current(self) -> Path | None:
        pointer = self.root / "current"
        if not pointer.is_file():
            return None
        name = pointer.read_text(encoding="utf-8").strip()
        path = self.root / name
        return path if _VERSION.match(name) and path.is_dir() else None

    def staging(self) -> tuple[str, Path]:
        """A fresh, empty directory to train the next version into; `commit` makes it live."""
        self.root.mkdir(parents=True, exist_ok=True)
        taken = [int(v[1:]) for v in self.versions()]
        taken += [
            int(m.group(1))
            for p in self.root.glob(".v*.partial")
            if (m := re.match(r"^\.v(\d+)\.partial$", p.name))
        ]
        name = f"v{max(taken, default=0) + 1}"
        tmp = self.root / f".{name}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        return name, tmp

    def commit(self, name: str, tmp: Path, meta: dict[str, Any], make_current: bool = True) -> Path:
        (tmp / "meta.json").write_text(
            json.dumps({"version": name, **meta}, indent=2, sort_keys=True), encoding="utf-8"
        )
        final = self.root / name
        os.replace(tmp, final)
        if make_current:
            self.set_current(name)
        return final

    def discard(self, tmp: Path) -> None:
        shutil.rmtree(tmp, ignore_errors=True)

    def set_current(self, name: str) -> None:
        if not (self.root / name).is_dir():
            raise FileNotFoundError(self.root / name)
        pointer_tmp = self.root / "current.tmp"
        pointer_tmp.write_text(name + "\n", encoding="utf-8")
        os.replace(pointer_tmp, self.root / "current")

    def rollback(self) -> Path | None:
        """Point `current` at the version before it; with none before, clear it (the prior is used)."""
        live = self.current()
        if live is None:
            return None
        older = [v for v in self.versions() if int(v[1:]) < int(live.name[1:])]
        if older:
            self.set_current(older[-1])
            return self.root / older[-1]
        (self.root / "current").unlink(missing_ok=True)
        return None

    def meta(self, version: Path | None = None) -> dict[str, Any] | None:
        path = version or self.current()
        if path is None or not (path / "meta.json").is_file():
            return None
        return json.loads((path / "meta.json").read_text(encoding="utf-8"))
