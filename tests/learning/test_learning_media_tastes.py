"""Tastes the engine has no feature for, judged by the decoded media: a simulated editor who likes warm
light (red over blue in the pixels) reviews edits through the real bridge, and one who only trims every
clip short. Their events train the reward head, and fresh edits follow them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.config import load_config
from engine.learning.media_tastes import MediaEditor, MediaTaste, TrimmingEditor, mean_seconds, warmth
from engine.learning.pairs import preference_pairs
from engine.learning.reward import train_reward
from engine.learning.simulate import (
    EditRequest,
    Review,
    Reviewer,
    clips_of,
    collect_feedback,
    edit_through_bridge,
    local_engine,
    requests_for,
)
from engine.learning.store import default_store

PROMPTS = ["a short highlight reel", "the best moments", "a quick teaser"]
CACHES = ("analysis", "planning", "learning/visual")


def fresh_requests(media: list[str]) -> list[EditRequest]:
    return requests_for(
        media,
        ["a highlight reel of this footage", "cut the strongest moments"],
        [10.0, 14.0],
        range(1000, 1010),
    )


@dataclass
class Run:
    before: list[Review]
    after: list[Review]
    before_results: list[dict]
    after_results: list[dict]
    heldout_accuracy: float | None
    events: int


def learn(
    editor: Reviewer, tmp: Path, shared: Path, media: list[str], events: int, taste: MediaTaste | None
) -> Run:
    data = tmp / "data"
    for cache in CACHES:
        (shared / cache).mkdir(parents=True, exist_ok=True)
        (data / cache).parent.mkdir(parents=True, exist_ok=True)
        (data / cache).symlink_to(shared / cache, target_is_directory=True)
    cfg_file = tmp / "engine.yaml"
    cfg_file.write_text(
        "planner:\n  backend: rules\nlearning:\n  background_training: false\n", encoding="utf-8"
    )
    with local_engine(data, tmp, cfg_file) as client:
        before_results = [edit_through_bridge(client, r) for r in fresh_requests(media)]
        if taste is not None:
            taste.calibrate([c for r in before_results for c in clips_of(r)])
        before = [editor.review(r) for r in before_results]
        stream = requests_for(media, PROMPTS, [10.0, 15.0, 20.0, 25.0], range(0, 200))
        reviews = collect_feedback(client, editor, stream, events)
        store = default_store(data)
        try:
            result = train_reward(load_config(cfg_file), data, preference_pairs(store))
        finally:
            store.close()
        after_results = [edit_through_bridge(client, r) for r in fresh_requests(media)]
        after = [editor.review(r) for r in after_results]
    return Run(
        before,
        after,
        before_results,
        after_results,
        result.heldout_accuracy,
        sum(len(r.events) for r in reviews),
    )


def kept(reviews: list[Review]) -> float:
    judged = [ok for r in reviews for ok in r.accepted]
    return sum(judged) / len(judged)


@pytest.fixture(scope="module")
def warm_light(
    media: list[str], engine_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Run, MediaTaste]:
    taste = MediaTaste("warm light (red over blue)", warmth)
    run = learn(MediaEditor(taste), tmp_path_factory.mktemp("taste-warm"), engine_data_dir, media, 110, taste)
    return run, taste


def test_a_picture_taste_no_feature_names_is_learned_from_about_a_hundred_clips(warm_light) -> None:
    run, taste = warm_light
    assert 100 <= run.events <= 130
    before, after = kept(run.before), kept(run.after)
    assert after >= before + 0.30, (before, after, taste.bar)
    assert run.heldout_accuracy is not None and run.heldout_accuracy >= 0.8


def test_the_host_is_told_which_clips_to_ask_about_first_and_how_sure_the_scorer_is(warm_light) -> None:
    run, _ = warm_light
    prior = run.before_results[0]["report"]["scorer_confidence"]
    assert prior["scorer"] == "prior" and prior["heldout_accuracy"] is None
    report = run.after_results[0]["report"]
    confidence = report["scorer_confidence"]
    assert confidence["scorer"].startswith("reward-model v1") and confidence["heldout_accuracy"] >= 0.8
    assert 0.0 <= confidence["mean_certainty"] <= 1.0
    ranks = sorted(c["review_rank"] for c in report["clips"])
    assert ranks == list(range(1, len(report["clips"]) + 1))
    by_rank = sorted(report["clips"], key=lambda c: c["review_rank"])
    assert [c["uncertainty"] for c in by_rank] == sorted((c["uncertainty"] for c in by_rank), reverse=True)
    import opentimelineio as otio

    timeline = otio.adapters.read_from_string(run.after_results[0]["otio"], "otio_json")
    metas = [
        c.metadata["autoedit"]
        for c in timeline.find_clips()
        if "decision_id" in c.metadata.get("autoedit", {})
    ]
    assert metas and all("review_rank" in m and 0.0 <= m["uncertainty"] <= 1.0 for m in metas)


def test_a_trim_only_review_moves_fresh_edits_toward_the_trimmed_length(
    media: list[str], engine_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    keep = 0.8
    run = learn(TrimmingEditor(keep), tmp_path_factory.mktemp("trims"), engine_data_dir, media, 60, None)
    assert all(e["kind"] == "trim" for r in run.before for e in r.events)
    before, after = mean_seconds(run.before), mean_seconds(run.after)
    assert before > keep + 0.8, before  # the untrained engine cuts longer clips than this editor keeps
    assert after - keep <= 0.7 * (before - keep), (before, after)
