"""Training as a background job of the engine: once `learning.train_after_events` new events have been
stored, a reward model is trained in a worker thread (torch releases the GIL, so edits keep running),
with progress and held-out accuracy in the log and in a status file `autoedit train status` reads.

One training at a time; a request while one runs is remembered and starts when it ends. The status file
(data_dir/models/training.json) is written atomically, so any process can read it at any moment.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import AutoEditError, BadInput
from engine.learning.policy import policy_versions
from engine.learning.reward import reward_versions
from engine.learning.store import EventStore, default_store
from engine.progress import Job

if TYPE_CHECKING:
    from engine.config import EngineConfig

log = logging.getLogger("autoedit.learning")


def _status_path(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / "training.json"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_state(data_dir: Path) -> dict[str, Any]:
    path = _status_path(data_dir)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write_state(data_dir: Path, **changes: Any) -> dict[str, Any]:
    path = _status_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {**read_state(data_dir), **changes, "updated": _now()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return state


def _jsonable(result: Any) -> Any:
    if is_dataclass(result) and not isinstance(result, type):
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(result).items()}
    return result


def train_now(
    config: EngineConfig,
    data_dir: Path,
    what: str,
    job: Job | None = None,
    epochs: int | None = None,
    seed: int = 0,
    store: EventStore | None = None,
    background: bool = False,
) -> Any:
    """Train `reward` or `policy` on every stored event now, in this thread; records the outcome.

    The reward model is trained per editor profile (each from its own events); the result returned is
    the default profile's, or the only one's. `background`: a new reward version becomes current only
    when it beats the current one on the same held-out pairs."""
    job = job or Job()
    own_store = store is None
    store = store or default_store(Path(data_dir))
    events_seen = store.count()
    started = time.monotonic()
    result: Any
    _write_state(
        data_dir,
        state="training",
        what=what,
        stage=what,
        fraction=0.0,
        message="collecting pairs",
        started=_now(),
    )

    def forward(stage: str, fraction: float, message: str) -> None:
        _write_state(data_dir, stage=stage, fraction=round(fraction, 4), message=message)
        if job.on_progress is not None:
            job.on_progress(stage, fraction, message)

    tracked = Job(on_progress=forward, cancel_event=job.cancel_event)
    try:
        if what == "reward":
            result = _train_profiles(config, Path(data_dir), store, tracked, seed, epochs, background)
        elif what == "policy":
            from engine.learning.policy import train_policy

            result = train_policy(config, Path(data_dir), store, tracked, epochs=epochs, seed=seed)
        else:
            raise BadInput(f"unknown model '{what}' (reward or policy)")
    except BaseException as exc:
        # Remember the attempt, so a run that cannot succeed yet (e.g. no rejections so far) is retried only
        # after another `train_after_events` events, not on every feedback batch.
        _write_state(
            data_dir,
            state="failed",
            error=f"{type(exc).__name__}: {exc}",
            finished=_now(),
            **{f"{what}_events_at_last_attempt": events_seen},
        )
        raise
    finally:
        if own_store:
            store.close()
    summary = _jsonable(result)
    _write_state(
        data_dir,
        state="idle",
        fraction=1.0,
        message="done",
        error=None,
        finished=_now(),
        seconds=round(time.monotonic() - started, 1),
        **{
            f"last_{what}": summary,
            f"{what}_events_at_last_training": events_seen,
            f"{what}_events_at_last_attempt": events_seen,
        },
    )
    return result


def _train_profiles(
    config: EngineConfig,
    data_dir: Path,
    store: EventStore,
    job: Job,
    seed: int,
    epochs: int | None,
    background: bool,
) -> Any:
    """One reward model per profile that has events; a profile that cannot train yet is skipped
    (logged) unless it is the only one, whose error is the run's."""
    from engine.learning.pairs import preference_pairs
    from engine.learning.reward import DEFAULT_PROFILE, train_reward

    profiles = sorted(store.profiles(), key=lambda p: (p != DEFAULT_PROFILE, p)) or [DEFAULT_PROFILE]
    results: dict[str, Any] = {}
    for profile in profiles:
        try:
            results[profile] = train_reward(
                config,
                data_dir,
                preference_pairs(store, profile=profile),
                job,
                heldout_fraction=config.learning.heldout_fraction,
                seed=seed,
                epochs=epochs,
                make_current="if_better" if background else True,
                profile=profile,
            )
        except BadInput as exc:
            if len(profiles) == 1:
                raise
            log.info("reward model for profile %s not trained: %s", profile, exc)
    if not results:
        raise BadInput("no editor profile has enough preference pairs to train a reward model yet")
    return results.get(DEFAULT_PROFILE) or next(iter(results.values()))


def rollback(data_dir: Path, what: str) -> Path | None:
    versions = reward_versions(data_dir) if what == "reward" else policy_versions(data_dir)
    if versions.current() is None:
        raise BadInput(f"no trained {what} model to roll back in {versions.root}")
    return versions.rollback()


def training_status(config: EngineConfig, data_dir: Path) -> dict[str, Any]:
    state = read_state(data_dir)
    store = default_store(Path(data_dir))
    try:
        events = store.count()
    finally:
        store.close()
    out: dict[str, Any] = {
        "events": events,
        "train_after_events": config.learning.train_after_events,
        "job": state,
    }
    for what, versions in (("reward", reward_versions(data_dir)), ("policy", policy_versions(data_dir))):
        current = versions.current()
        out[what] = {
            "current": current.name if current else None,
            "versions": versions.versions(),
            "meta": versions.meta(current) if current else None,
            "new_events": events - int(state.get(f"{what}_events_at_last_training", 0)),
        }
    return out


def describe_status(status: dict[str, Any]) -> str:
    lines = [
        f"events stored: {status['events']} (training starts after {status['train_after_events']} new ones)"
    ]
    for what in ("reward", "policy"):
        info = status[what]
        if info["current"] is None:
            note = (
                "none trained: the planner's prior is used"
                if what == "reward"
                else "none trained: the base planner is used"
            )
            lines.append(f"{what}: {note}; {info['new_events']} new events")
            continue
        meta = info["meta"] or {}
        acc = meta.get("heldout_accuracy")
        acc_text = (
            f"held-out pairwise accuracy {acc:.3f}" if isinstance(acc, float) else "held-out accuracy n/a"
        )
        lines.append(
            f"{what}: {info['current']} of {', '.join(info['versions'])}; {acc_text}; {info['new_events']} new events since"
        )
    job = status["job"]
    if job.get("state") == "training":
        lines.append(
            f"training {job.get('what')}: {job.get('stage')} {100 * float(job.get('fraction') or 0):.0f}% {job.get('message', '')}"
        )
    elif job.get("state") == "failed":
        lines.append(f"last training failed: {job.get('error')}")
    return "\n".join(lines)


def describe_result(what: str, result: Any) -> str:
    data = _jsonable(result)
    acc = data.get("heldout_accuracy")
    acc_text = f"{acc:.3f}" if isinstance(acc, float) else "n/a"
    return f"{what} {data.get('version')}: held-out pairwise accuracy {acc_text} ({data.get('heldout_pairs', 0)} pairs), saved in {data.get('path')}"


class BackgroundTrainer:
    """Owned by the server: call `events_stored()` after each feedback batch; it never blocks."""

    def __init__(self, config: EngineConfig, data_dir: Path, what: tuple[str, ...] = ("reward",)):
        self.config = config
        self.data_dir = Path(data_dir)
        self.what = what
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._job = Job()
        self._again = False
        self.finished = threading.Event()  # set after each background run (tests and shutdown wait on it)
        self.last_error: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def due(self, store: EventStore) -> bool:
        state = read_state(self.data_dir)
        seen = max(int(state.get(f"{w}_events_at_last_attempt", 0)) for w in self.what)
        return store.count() - seen >= self.config.learning.train_after_events

    def events_stored(self, store: EventStore) -> bool:
        """Start a training run if enough new events arrived; True when one was started or queued."""
        if not self.config.learning.background_training or not self.due(store):
            return False
        with self._lock:
            if self.running:
                self._again = True
                return True
            self.finished.clear()
            # Said before the thread starts, so whoever got the ack for these events already sees it.
            _write_state(self.data_dir, state="training", what=self.what[0], message="starting", error=None)
            self._thread = threading.Thread(target=self._run, name="autoedit-training", daemon=True)
            self._thread.start()
        log.info("background training started (%d events stored)", store.count())
        return True

    def _run(self) -> None:
        while True:
            try:
                for what in self.what:
                    result = train_now(self.config, self.data_dir, what, job=self._job, background=True)
                    log.info("background training: %s", describe_result(what, result))
                self.last_error = None
            except AutoEditError as exc:
                self.last_error = exc
                log.warning("background training stopped: %s", exc)
            except Exception as exc:  # a failed run must not take the engine down; it is logged and in status
                self.last_error = exc
                log.exception("background training failed")
            with self._lock:
                if not self._again or self._job.cancelled:
                    self._again = False
                    self.finished.set()
                    return
                self._again = False

    def stop(self, timeout_s: float | None = None) -> None:
        self._job.cancel()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
