"""The Ray side: one actor per worker slot, holding its analysers (and so their models) for every task.

An actor builds the analysers once for a field set and keeps them, so TransNetV2, Whisper and
MediaPipe load once per worker process, not per task. A task names the file (at the same path on
every node: media on shared storage), its probe, the cache keys wanted and, for a segment, the span;
the actor decodes only that span and returns the raw results. It writes nothing but the model
assembly of its own data dir: results go back to the head, which keeps the one cache.
"""

from __future__ import annotations

import dataclasses
import os
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from engine.analysis.base import Analyser, MediaInfo
from engine.config import EngineConfig
from engine.errors import BadInput
from engine.progress import Job


def info_record(info: MediaInfo) -> dict[str, Any]:
    record = dataclasses.asdict(info)
    record["rate"] = str(info.rate)
    return record


def info_from_record(record: dict[str, Any]) -> MediaInfo:
    return MediaInfo(**{**record, "rate": Fraction(record["rate"])})


class Board:
    """Where workers say a task started (head polls it): progress per node, and which pid runs what."""

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []

    def started(self, task_id: str, node: str, pid: int) -> None:
        self._events.append({"task": task_id, "node": node, "pid": pid})

    def drain(self) -> list[dict[str, Any]]:
        events, self._events = self._events, []
        return events


class AnalysisWorker:
    """A Ray actor (see cluster.py): analysers built once per field set, tasks run one at a time."""

    def __init__(
        self,
        config: dict[str, Any],
        data_dir: str,
        board: Any = None,
    ):
        import ray

        self.config = EngineConfig.model_validate(config)
        self.data_dir = Path(data_dir)
        self.board = board
        self.node = ray.get_runtime_context().get_node_id()
        self._built: dict[tuple[str, ...] | None, dict[str, Analyser]] = {}

    def where(self) -> dict[str, Any]:
        return {"node": self.node, "pid": os.getpid()}

    def analyse(self, task: dict[str, Any]) -> dict[str, Any]:
        """{"results": {key: result}} or {"error": problem}, with the node, pid and seconds it took."""
        from engine.analysis.cache import AnalysisCache
        from engine.analysis.runner import _problem, analyse_span

        if self.board is not None:
            self.board.started.remote(task["id"], self.node, os.getpid())
        started = time.monotonic()
        out: dict[str, Any] = {"id": task["id"], "node": self.node, "pid": os.getpid()}
        try:
            analysers = self._analysers(task["fields"], task["keys"])
            span = tuple(task["span"]) if task["span"] is not None else None
            info = info_from_record(task["info"])
            # long audio in windows, resumable on this node (its own data dir)
            cache = AnalysisCache(self.data_dir)
            out["results"] = analyse_span(info, analysers, span, Job(), cache, self.config)  # type: ignore[arg-type]
        except BadInput as exc:
            out["error"] = _problem(exc)
        out["seconds"] = round(time.monotonic() - started, 3)
        return out

    def _analysers(self, fields: list[str] | None, keys: list[str]) -> list[Analyser]:
        from engine.analysis.runner import _cache_key, analysers_for

        wanted = tuple(fields) if fields is not None else None
        if wanted not in self._built:
            built = analysers_for(self.config, self.data_dir, fields)
            self._built[wanted] = {_cache_key(analyser): analyser for _entry, analyser in built}
        by_key = self._built[wanted]
        missing = [key for key in keys if key not in by_key]
        if missing:
            raise RuntimeError(
                f"this worker's analysers differ from the head's (no {missing}; it has {sorted(by_key)}): "
                "install the same autoedit and packages on every node"
            )
        return [by_key[key] for key in keys]
