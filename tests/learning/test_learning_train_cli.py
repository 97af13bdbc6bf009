"""`autoedit train reward|status|--rollback`: versions under the data dir, a `current` pointer, rollback
to the previous version and finally back to the planner's prior."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from bridge.events import make_event
from engine.config import load_config
from engine.learning.policy import latest_adapter
from engine.learning.reward import latest_scorer, reward_versions
from engine.learning.store import default_store


def _feedback(data: Path, timelines: int = 3) -> None:
    """A few reviewed timelines: the editor keeps clips with faces and rejects the rest."""
    store = default_store(data)
    events = []
    for _ in range(timelines):
        tid = str(uuid.uuid4())
        decisions = [
            {
                "decision_id": f"{tid}-{k}",
                "chosen": True,
                "path": f"/footage/{k}.mp4",
                "source_start": 0.0,
                "source_end": 2.0 + k,
                "index": k,
                "features": {"faces": float(k % 2), "motion": 0.5},
                "transcript": "",
                "kind": "visual",
            }
            for k in range(4)
        ]
        store.record_timeline(tid, "a short reel", {"style": "highlight"}, decisions, None)
        events += [make_event("accept" if k % 2 else "reject", tid, f"{tid}-{k}") for k in range(4)]
    store.add_events(events)
    store.close()


def _status(autoedit, data: Path) -> dict:
    done = autoedit("train", "status", "--json", "--data-dir", data)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_train_versions_status_and_rollback(tmp_path: Path, autoedit) -> None:
    data = tmp_path / "data"
    _feedback(data)
    config = load_config()
    assert latest_scorer(config, data) is None and latest_adapter(data) is None
    before = _status(autoedit, data)
    assert before["reward"]["current"] is None and before["events"] == 12
    text = autoedit("train", "status", "--data-dir", data)
    assert "none trained: the planner's prior is used" in text.stdout

    for expected in ("v1", "v2"):
        done = autoedit("train", "reward", "--epochs", "1", "--data-dir", data, timeout=900)
        assert done.returncode == 0, done.stderr
        assert f"reward {expected}: held-out pairwise accuracy" in done.stdout
        assert reward_versions(data).current() == data / "models" / "reward" / expected

    status = _status(autoedit, data)
    assert status["reward"]["versions"] == ["v1", "v2"] and status["reward"]["current"] == "v2"
    meta = status["reward"]["meta"]
    assert meta["heldout_pairs"] > 0 and 0.0 <= meta["heldout_accuracy"] <= 1.0
    assert status["reward"]["new_events"] == 0 and status["job"]["state"] == "idle"

    scorer = latest_scorer(config, data)
    assert scorer is not None and scorer.name.startswith("reward-model v2")

    rolled = autoedit("train", "reward", "--rollback", "--data-dir", data)
    assert rolled.returncode == 0 and "current version is now v1" in rolled.stdout
    assert latest_scorer(config, data).name.startswith("reward-model v1")
    rolled = autoedit("train", "reward", "--rollback", "--data-dir", data)
    assert rolled.returncode == 0 and "planner prior" in rolled.stdout
    assert latest_scorer(config, data) is None
    assert sorted(p.name for p in (data / "models" / "reward").glob("v*")) == ["v1", "v2"]  # nothing deleted
    nothing = autoedit("train", "reward", "--rollback", "--data-dir", data)
    assert nothing.returncode == 2 and "no trained reward model" in nothing.stderr


def test_training_without_feedback_is_a_clear_error(tmp_path: Path, autoedit) -> None:
    done = autoedit("train", "reward", "--data-dir", tmp_path / "empty")
    assert done.returncode == 2
    assert "need at least 2 preference pairs" in done.stderr


def test_background_training_waits_for_enough_new_events_and_does_not_retry_a_hopeless_run(
    tmp_path: Path,
) -> None:
    from engine.errors import BadInput
    from engine.learning.trainer import BackgroundTrainer, read_state

    data = tmp_path / "data"
    config = load_config()
    config.learning.train_after_events = 4
    store = default_store(data)
    tid = str(uuid.uuid4())
    decisions = [{"decision_id": f"{tid}-{k}", "chosen": True, "features": {"faces": 1.0}} for k in range(8)]
    store.record_timeline(tid, "a reel", {}, decisions, None)
    background = BackgroundTrainer(config, data)
    try:
        store.add_events([make_event("accept", tid, f"{tid}-{k}") for k in range(3)])
        assert not background.events_stored(store)  # 3 < 4 new events
        store.add_events([make_event("accept", tid, f"{tid}-3")])
        assert background.events_stored(store)
        assert background.finished.wait(120)
        # Only acceptances: no pair to learn from. The failure is recorded, not retried on every batch.
        assert isinstance(background.last_error, BadInput)
        state = read_state(data)
        assert state["state"] == "failed" and "need at least 2 preference pairs" in state["error"]
        assert state["reward_events_at_last_attempt"] == 4
        assert not background.events_stored(store)
        assert reward_versions(data).current() is None
    finally:
        background.stop()
        store.close()
