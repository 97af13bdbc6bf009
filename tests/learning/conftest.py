"""The footage every simulated-editor test edits (real clips in ../shared/media)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.learning.simulate import SIMULATION_FOOTAGE

MEDIA = Path(__file__).resolve().parents[2] / ".." / "shared" / "media"


@pytest.fixture(scope="session")
def media() -> list[str]:
    paths = [MEDIA / p for p in SIMULATION_FOOTAGE]
    missing = [str(p) for p in paths if not p.is_file()]
    assert not missing, f"shared media missing: {missing}"
    return [str(p.resolve()) for p in paths]
