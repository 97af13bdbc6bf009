"""Proof that the engine learns: a simulated editor reviews edits of real footage through the real
bridge (EngineClient against `autoedit serve` on loopback), its events train the reward model, and
fresh edits follow its taste. One engine (own data dir) per taste, so tastes never mix.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.learning.reward import reward_versions
from engine.learning.simulate import (
    STEADY_FACES,
    EditRequest,
    Review,
    SimulatedEditor,
    Taste,
    acceptance_of,
    collect_feedback,
    local_engine,
    requests_for,
)
from engine.learning.trainer import read_state

PROMPTS = ["a short highlight reel", "the best moments", "a quick teaser"]
EVENTS = 100


def fresh_requests(media: list[str]) -> list[EditRequest]:
    """Edits the editor never gave feedback on (other seeds and lengths than the training stream).
    Sixteen, so the rate rests on ~80 judged clips: over four edits it moved by up to 0.1 with the seeds."""
    return requests_for(
        media,
        ["a highlight reel of this footage", "cut the strongest moments"],
        [10.0, 14.0],
        range(1000, 1016),
    )


@dataclass
class Learned:
    taste: Taste
    before: float
    after: float
    before_reviews: list[Review]
    after_reviews: list[Review]
    heldout_accuracy: float
    heldout_pairs: int
    events: int
    edit_finished_while_training: bool


def _engine_dir(tmp: Path, shared_data: Path) -> Path:
    """A data dir of its own (its reward model must not reach other tests' edits) that reuses the
    session's analysis and text-embedding caches."""
    data = tmp / "data"
    data.mkdir()
    for cache in ("analysis", "planning"):
        (shared_data / cache).mkdir(exist_ok=True)
        (data / cache).symlink_to(shared_data / cache, target_is_directory=True)
    return data


def learn(taste: Taste, tmp: Path, shared_data: Path, media: list[str]) -> Learned:
    data = _engine_dir(tmp, shared_data)
    cfg_file = tmp / "engine.yaml"
    cfg_file.write_text(
        "planner:\n  backend: rules\nlearning:\n  train_after_events: 100\n", encoding="utf-8"
    )
    with local_engine(data, tmp, cfg_file) as client:
        editor = SimulatedEditor(taste)
        before, before_reviews = acceptance_of(client, editor, fresh_requests(media))
        stream = requests_for(media, PROMPTS, [10.0, 15.0, 20.0, 25.0], range(0, 200))
        reviews = collect_feedback(client, editor, stream, EVENTS)
        events = sum(len(r.events) for r in reviews)

        # The engine itself started training when the feedback crossed `train_after_events`; an edit
        # submitted meanwhile comes back while that training still runs.
        assert read_state(data).get("state") == "training", read_state(data)
        client.wait(
            client.submit(*EditRequest(tuple(media), PROMPTS[0], 10.0, 7).submit_args()), timeout_s=300
        )
        edit_finished_while_training = read_state(data).get("state") == "training"
        # A host keeps polling its client (heartbeats) while it waits; the poll is also this loop's wait.
        deadline = time.monotonic() + 1800
        while read_state(data).get("state") == "training":
            client.poll(timeout_ms=500)
            assert time.monotonic() < deadline, "training did not finish within 30 min"
        state = read_state(data)
        assert state.get("state") == "idle" and state.get("error") is None, state
        meta = reward_versions(data).meta()
        assert meta is not None
        after, after_reviews = acceptance_of(client, editor, fresh_requests(media))
        return Learned(
            taste,
            before,
            after,
            before_reviews,
            after_reviews,
            meta["heldout_accuracy"],
            meta["heldout_pairs"],
            events,
            edit_finished_while_training,
        )


def mean_utility(taste: Taste, reviews: list[Review]) -> float:
    values = [taste.utility(c) for r in reviews for c in r.clips]
    return sum(values) / len(values)


@pytest.fixture(scope="module")
def steady_faces(
    media: list[str], engine_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Learned]:
    yield learn(STEADY_FACES, tmp_path_factory.mktemp("taste-steady-faces"), engine_data_dir, media)


@pytest.fixture(scope="module")
def opposite(
    media: list[str], engine_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Learned]:
    yield learn(STEADY_FACES.opposite(), tmp_path_factory.mktemp("taste-opposite"), engine_data_dir, media)


def test_after_100_events_the_reward_model_ranks_held_out_pairs_right(steady_faces: Learned) -> None:
    assert steady_faces.events >= EVENTS
    assert steady_faces.heldout_pairs >= 10
    assert steady_faces.heldout_accuracy >= 0.9


def test_fresh_edits_are_accepted_30_points_more_often_than_by_the_untrained_engine(
    steady_faces: Learned,
) -> None:
    assert {r.scorer for r in steady_faces.before_reviews} == {"prior"}
    assert all(r.scorer.startswith("reward-model v1") for r in steady_faces.after_reviews)
    assert steady_faces.after >= steady_faces.before + 0.30, (steady_faces.before, steady_faces.after)


def test_training_runs_in_the_background_without_blocking_edits(steady_faces: Learned) -> None:
    assert steady_faces.edit_finished_while_training


def test_an_opposite_taste_moves_the_engine_the_other_way(steady_faces: Learned, opposite: Learned) -> None:
    assert opposite.heldout_accuracy >= 0.9
    # Judged by the first taste, each engine against its own untrained start: one moved up, the other down.
    assert mean_utility(STEADY_FACES, steady_faces.after_reviews) > mean_utility(
        STEADY_FACES, steady_faces.before_reviews
    )
    assert mean_utility(STEADY_FACES, opposite.after_reviews) < mean_utility(
        STEADY_FACES, opposite.before_reviews
    )
    assert opposite.after >= opposite.before
