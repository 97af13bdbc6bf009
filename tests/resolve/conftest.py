"""Fixtures for the Resolve host tests: a real engine on loopback, host settings, the clips to edit.

resolve_scripts/ goes on sys.path, as the installed entry scripts put it inside Resolve. The engine is
the real `autoedit serve` in a subprocess (rules planner, to keep the suite inside its time budget; the
LLM planner is the planning tests' business), sharing the session's data dir so analysis is cached.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from engine_bridge.conftest import engine_argv, free_endpoint

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "resolve_scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))


@dataclass(frozen=True)
class RunningEngine:
    endpoint: str
    data_dir: Path
    pid: int

    def rows(self, timeline_id: str) -> list[dict]:
        """Stored preference events of one timeline, straight from the engine's SQLite file."""
        with sqlite3.connect(f"file:{self.data_dir / 'feedback.sqlite3'}?mode=ro", uri=True) as db:
            cur = db.execute(
                "SELECT event_id, decision_id, kind, value FROM events WHERE timeline_id=? ORDER BY seq",
                (timeline_id,),
            )
            return [
                {"event_id": e, "decision_id": d, "kind": k, "value": json.loads(v)} for e, d, k, v in cur
            ]

    def recorded_otio(self, timeline_id: str) -> str:
        """The OTIO the engine recorded for a timeline it made (EventStore.record_timeline)."""
        with sqlite3.connect(f"file:{self.data_dir / 'feedback.sqlite3'}?mode=ro", uri=True) as db:
            (otio_json,) = db.execute(
                "SELECT otio FROM timelines WHERE timeline_id=?", (timeline_id,)
            ).fetchone()
        return otio_json


@pytest.fixture(scope="session")
def resolve_engine(
    engine_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningEngine]:
    from bridge.client import EngineClient

    endpoint = free_endpoint()
    log = tmp_path_factory.mktemp("resolve-engine") / "serve.log"
    env = {**os.environ, "AUTOEDIT__PLANNER__BACKEND": "rules"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            engine_argv(endpoint, engine_data_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    client = EngineClient(
        endpoint, spool_dir=tmp_path_factory.mktemp("fixture-spool"), client_name="test-fixture"
    )
    try:
        welcome = client.ensure_engine(120)
        assert welcome["pid"] == proc.pid, f"another engine answered at {endpoint}"
        yield RunningEngine(endpoint, engine_data_dir, proc.pid)
    finally:
        client.stop_engine(timeout_s=10)
        client.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def host_settings(tmp_path: Path, resolve_engine: RunningEngine):
    from autoedit_resolve.settings import HostSettings

    return HostSettings(data_dir=tmp_path / "host-data", endpoint=resolve_engine.endpoint)


@pytest.fixture(scope="session")
def edit_media(shared_media: Path, synthetic) -> list[str]:
    """Real talking-head footage at 25 fps and a generated 23.976 clip (odd rates are where imports drift)."""
    return [
        str(shared_media / "talking_head" / "video_retalking" / "face_2.mp4"),
        str(synthetic["cuts_23976"].path),
    ]
