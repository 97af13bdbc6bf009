"""The layers stay layers and each shared idea is written once (issue 17): no two engine folders import
each other, not even inside functions, and the format table, the rate rule, the event kinds and the
heartbeat constants each have one definition, in bridge/, which both hosts ship."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("engine", "bridge", "addon_blender", "resolve_scripts")


def _engine_imports() -> dict[tuple[str, str], list[str]]:
    """(folder, imported folder) -> where, for every import between engine/ sub-packages."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in (REPO / "engine").rglob("*.py"):
        rel = path.relative_to(REPO / "engine")
        if len(rel.parts) < 2:
            continue  # top-level modules (cli, config, editing...) sit above or beside the folders
        folder = rel.parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "engine" and len(parts) > 1 and parts[1] != folder:
                    target = REPO / "engine" / parts[1]
                    if target.is_dir():
                        edges.setdefault((folder, parts[1]), []).append(f"{rel}:{node.lineno}")
    return edges


def test_no_two_engine_folders_import_each_other() -> None:
    edges = _engine_imports()
    both_ways = {
        f"{a} <-> {b}: {edges[(a, b)][:2]} / {edges[(b, a)][:2]}" for a, b in edges if (b, a) in edges and a < b
    }
    assert not both_ways


def test_planning_and_timeline_know_nothing_of_each_other() -> None:
    edges = _engine_imports()
    assert ("planning", "timeline") not in edges and ("timeline", "planning") not in edges


def _matches(pattern: str) -> list[str]:
    found = []
    regex = re.compile(pattern)
    for root in SOURCES:
        for path in (REPO / root).rglob("*.py"):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if regex.search(line):
                    found.append(f"{path.relative_to(REPO)}:{n}")
    return found


def test_each_shared_idea_has_one_definition() -> None:
    assert [m.split(":")[0] for m in _matches(r'"fcp7"\s*:\s*"\.xml"')] == ["bridge/formats.py"]
    assert [m.split(":")[0] for m in _matches(r"^\s*EVENT_KINDS\s*=")] == ["bridge/events.py"]
    assert [m.split(":")[0] for m in _matches(r"^\s*MISSED_HEARTBEATS\s*=")] == ["bridge/protocol.py"]
    assert [m.split(":")[0] for m in _matches(r"^\s*HEARTBEAT_INTERVAL_S\s*=")] == ["bridge/protocol.py"]
    # the NTSC rule (n * 1000 / 1001 within a tolerance) is written once
    assert [m.split(":")[0] for m in _matches(r"1000,\s*1001\)")] == ["bridge/rates.py"]
    assert [m.split(":")[0] for m in _matches(r'"accept",\s*"reject",\s*"trim"')] == ["bridge/events.py"]
