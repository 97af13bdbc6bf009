"""Every kind of decision teaches, each editor profile has its own reward model, and a background run's
version is used only when it beats the current one on the same held-out pairs."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from bridge.events import make_event
from engine.config import load_config
from engine.editing import load_scorer
from engine.learning.pairs import preference_pairs
from engine.learning.reward import latest_scorer, reward_versions, split_pairs, train_reward
from engine.learning.store import EventStore, default_store
from engine.learning.trainer import train_now
from engine.planning.scoring import PriorScorer, ScoringContext


def _timeline(store: EventStore, n: int = 4) -> str:
    """n placed clips; even ones show a face throughout, odd ones none (files that do not exist:
    the head then reads the numbers and sees no picture)."""
    tid = str(uuid.uuid4())
    decisions = [
        {
            "decision_id": f"{tid}-{k}",
            "chosen": True,
            "path": f"/footage/{k}.mp4",
            "source_start": 0.0,
            "source_end": 3.0,
            "index": k,
            "features": {"faces": 1.0 if k % 2 == 0 else 0.0, "motion": 0.5, "duration": 0.3},
            "transcript": "",
            "kind": "visual",
        }
        for k in range(n)
    ]
    store.record_timeline(tid, "a short reel", {"style": "highlight"}, decisions, None)
    return tid


@pytest.fixture()
def store(tmp_path: Path) -> EventStore:
    s = default_store(tmp_path / "data")
    yield s
    s.close()


def test_reorders_implicit_deletes_and_trims_all_make_pairs(store: EventStore) -> None:
    tid = _timeline(store)
    store.add_events(
        [
            make_event("reorder", tid, f"{tid}-3", {"from": 3, "to": 0}),
            make_event("accept", tid, f"{tid}-0"),
            make_event("reject", tid, f"{tid}-1", {"implicit": "deleted"}),
            make_event("trim", tid, f"{tid}-2", {"source_start": 0.5, "source_end": 1.5}),
        ]
    )
    pairs = preference_pairs(store)
    by_source = {
        s: {(p.chosen_id, p.rejected_id) for p in pairs if p.source == s} for s in {p.source for p in pairs}
    }
    # moved to the front: preferred over the two nearest clips it jumped ahead of
    assert by_source["reorder"] == {(f"{tid}-3", f"{tid}-2"), (f"{tid}-3", f"{tid}-1")}
    # a clip deleted in the host loses to the kept ones (the trimmed clip counts as kept)
    assert {(f"{tid}-0", f"{tid}-1"), (f"{tid}-2", f"{tid}-1")} <= by_source["verdict"]
    assert by_source["trim"] == {(f"{tid}-2", f"{tid}-2#trimmed"), (f"{tid}-2", f"{tid}-2#untrimmed")}
    trims = [p for p in pairs if p.source == "trim"]
    assert all(
        p.chosen_clip and (p.chosen_clip["source_start"], p.chosen_clip["source_end"]) == (0.5, 1.5)
        for p in trims
    )
    # the kept range against the clip as placed and each range trimmed away, each with its own range
    assert sorted(
        (p.rejected_clip["source_start"], p.rejected_clip["source_end"]) for p in trims if p.rejected_clip
    ) == [
        (0.0, 0.5),
        (0.0, 3.0),
        (1.5, 3.0),
    ]
    assert all(p.chosen_clip is not None and p.rejected_clip is not None for p in pairs)


def _faces_feedback(store: EventStore, profile: str, likes_faces: bool, timelines: int = 6) -> None:
    events = []
    for _ in range(timelines):
        tid = _timeline(store)
        for k in range(4):
            liked = (k % 2 == 0) == likes_faces
            events.append(make_event("accept" if liked else "reject", tid, f"{tid}-{k}", None, profile))
    store.add_events(events)


def test_each_profile_trains_its_own_reward_model_and_a_new_profile_starts_from_the_prior(
    store: EventStore, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _faces_feedback(store, "ana", likes_faces=True)
    _faces_feedback(store, "ben", likes_faces=False)
    config = load_config()
    train_now(config, data, "reward", store=store)
    face = {
        "path": "/footage/x.mp4",
        "source_start": 0.0,
        "source_end": 3.0,
        "features": {"faces": 1.0, "motion": 0.5, "duration": 0.3},
        "kind": "visual",
    }
    none = {**face, "features": {"faces": 0.0, "motion": 0.5, "duration": 0.3}}
    context = ScoringContext("a short reel", {"style": "highlight"}, "highlight")
    ana, ben = latest_scorer(config, data, "ana"), latest_scorer(config, data, "ben")
    assert ana is not None and ben is not None
    a_face, a_none = ana.score(context, [face, none])
    b_face, b_none = ben.score(context, [face, none])
    assert a_face > a_none and b_face < b_none
    assert reward_versions(data, "ana").root != reward_versions(data, "ben").root
    assert latest_scorer(config, data) is None  # the default profile sent nothing
    assert isinstance(load_scorer(config, data, "cleo"), PriorScorer)  # a new editor: the prior


def test_a_background_version_becomes_current_only_when_it_beats_the_current_one(
    store: EventStore, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _faces_feedback(store, "default", likes_faces=True, timelines=8)
    config = load_config()
    pairs = preference_pairs(store)
    first = train_reward(config, data, pairs, make_current="if_better")
    assert first.made_current and first.previous is None and first.heldout_accuracy == 1.0
    # the same events again: no better than v1, so v1 stays
    again = train_reward(config, data, pairs, make_current="if_better")
    assert not again.made_current and again.previous == "v1"
    # training pairs turned around (the held-out timelines untouched) teach the wrong lesson: kept out
    train, held = split_pairs(pairs, config.learning.heldout_fraction, 0)
    poisoned = [
        replace(
            p, chosen=p.rejected, rejected=p.chosen, chosen_clip=p.rejected_clip, rejected_clip=p.chosen_clip
        )
        for p in train
    ] + held
    worse = train_reward(config, data, poisoned, make_current="if_better")
    assert not worse.made_current and worse.previous == "v1"
    assert worse.heldout_accuracy is not None and worse.previous_heldout_accuracy == 1.0
    assert worse.heldout_accuracy < 0.5  # measured on the same held-out pairs as v1
    assert reward_versions(data).current() == data / "models" / "reward" / "v1"
    # an explicit `autoedit train` makes its version current regardless
    forced = train_reward(config, data, poisoned, make_current=True)
    assert (
        forced.made_current and reward_versions(data).current() == data / "models" / "reward" / forced.version
    )


def test_trims_set_the_length_the_edit_cuts_its_shots_to(store: EventStore, tmp_path: Path) -> None:
    from engine.editing import _learned_pacing
    from engine.planning.spec import EditSpec

    data = tmp_path / "data"
    events = []
    for _ in range(3):
        tid = _timeline(store)
        events += [
            make_event("trim", tid, f"{tid}-{k}", {"source_start": 0.0, "source_end": 0.8}) for k in range(2)
        ]
    store.add_events(events)
    config = load_config()
    train_reward(config, data, preference_pairs(store))
    scorer = latest_scorer(config, data)
    assert scorer is not None
    assert scorer.trimmed_lengths() == {"trims": 6, "kept_median_s": 0.8, "placed_median_s": 3.0}
    spec = EditSpec.model_validate({"style": "highlight"})
    notes: list[str] = []
    paced = _learned_pacing(spec, scorer, notes)
    assert (paced.pacing.min_shot_s, paced.pacing.max_shot_s) == (0.64, 1.0) and "6 trims" in notes[0]
    # the prior knows no length taste: the spec stays as asked
    assert _learned_pacing(spec, PriorScorer(), []) == spec
