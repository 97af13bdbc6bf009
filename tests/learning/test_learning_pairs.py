"""Events -> preference pairs -> dataset: which pairs the stored feedback implies, and the CLI around it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bridge.events import make_event
from engine.learning.pairs import collect_feedback, plan_pairs, preference_pairs
from engine.learning.render import render_decision
from engine.learning.store import EventStore, default_store

SPEC = {"style": "highlight", "target_duration": 15.0, "pacing": {"min_shot_s": 1.0, "max_shot_s": 5.0}}


def _decision(
    tid: str, k: int, faces: float, motion: float, start: float = 0.0, end: float = 2.0, chosen: bool = True
) -> dict:
    """A decision in the shape engine.editing.run_edit records it."""
    return {
        "decision_id": f"{tid}-{k}",
        "chosen": chosen,
        "path": f"/footage/clip{k}.mp4",
        "source_start": start,
        "source_end": end,
        "record_start": float(k * 2) if chosen else None,
        "index": k if chosen else None,
        "score": 0.5,
        "reason": "a face in frame",
        "features": {"faces": faces, "motion": motion, "sharpness": 0.5, "duration": (end - start) / 10},
        "transcript": "hello there" if k == 0 else "",
        "kind": "visual",
    }


def _timeline(store: EventStore, prompt: str = "a short highlight reel", spec: dict | None = None) -> str:
    tid = str(uuid.uuid4())
    decisions = [
        _decision(tid, 0, 1.0, 0.0),
        _decision(tid, 1, 0.0, 1.0),
        _decision(tid, 2, 1.0, 1.0),
        _decision(tid, 3, 0.0, 0.0, chosen=False),
    ]
    store.record_timeline(tid, prompt, spec or SPEC, decisions, None)
    return tid


@pytest.fixture()
def store(tmp_path: Path) -> EventStore:
    s = default_store(tmp_path)
    yield s
    s.close()


def test_accepted_decisions_are_preferred_over_rejected_ones_of_the_same_timeline(store: EventStore) -> None:
    tid = _timeline(store)
    store.add_events(
        [
            make_event("accept", tid, f"{tid}-0"),
            make_event("reject", tid, f"{tid}-1"),
            make_event("reject", tid, f"{tid}-2"),
        ]
    )
    pairs = preference_pairs(store)
    assert {(p.chosen_id, p.rejected_id) for p in pairs} == {
        (f"{tid}-0", f"{tid}-1"),
        (f"{tid}-0", f"{tid}-2"),
    }
    assert all(p.source == "verdict" and p.group == tid for p in pairs)
    first = next(p for p in pairs if p.rejected_id == f"{tid}-1")
    assert "a face throughout" in first.chosen and "no face" in first.rejected
    assert "still" in first.chosen and "shaky fast motion" in first.rejected


def test_the_latest_verdict_on_a_decision_wins(store: EventStore) -> None:
    tid = _timeline(store)
    store.add_events([make_event("accept", tid, f"{tid}-0"), make_event("reject", tid, f"{tid}-1")])
    store.add_events([make_event("reject", tid, f"{tid}-0"), make_event("accept", tid, f"{tid}-1")])
    assert [(p.chosen_id, p.rejected_id) for p in preference_pairs(store)] == [(f"{tid}-1", f"{tid}-0")]


def test_prefer_events_pair_the_pick_with_the_named_alternative(store: EventStore) -> None:
    tid = _timeline(store)
    store.add_events([make_event("prefer", tid, f"{tid}-3", {"over": f"{tid}-2"})])
    (pair,) = preference_pairs(store)
    assert (pair.source, pair.chosen_id, pair.rejected_id) == ("prefer", f"{tid}-3", f"{tid}-2")


def test_a_trim_prefers_the_kept_range_over_what_was_cut_away(store: EventStore) -> None:
    tid = _timeline(store)
    store.add_events([make_event("trim", tid, f"{tid}-0", {"source_start": 0.0, "source_end": 1.2})])
    pairs = preference_pairs(store)
    # the kept range beats the clip as it was placed (the length) and the range cut away (the content)
    assert [(p.source, p.chosen_id, p.rejected_id) for p in pairs] == [
        ("trim", f"{tid}-0", f"{tid}-0#untrimmed"),
        ("trim", f"{tid}-0", f"{tid}-0#trimmed"),
    ]
    assert "(1.2 s)" in pairs[0].chosen and "(2.0 s)" in pairs[0].rejected
    assert "(1.2 s)" in pairs[1].chosen and "(0.8 s)" in pairs[1].rejected
    # a trim keeps the clip: it counts as accepted against a rejected one
    store.add_events([make_event("reject", tid, f"{tid}-1")])
    assert (f"{tid}-0", f"{tid}-1") in {(p.chosen_id, p.rejected_id) for p in preference_pairs(store)}


def test_events_about_unknown_timelines_or_decisions_make_no_pairs(store: EventStore) -> None:
    tid = _timeline(store)
    store.add_events(
        [
            make_event("accept", str(uuid.uuid4()), "nope"),
            make_event("accept", tid, "not-a-decision"),
            make_event("reject", tid, f"{tid}-1"),
        ]
    )
    assert preference_pairs(store) == []
    (fb,) = collect_feedback(store)
    assert fb.verdicts == {f"{tid}-1": "reject"}


def test_plans_of_the_same_prompt_are_compared_by_how_much_of_them_was_accepted(store: EventStore) -> None:
    fast = {**SPEC, "pacing": {"min_shot_s": 0.6, "max_shot_s": 2.5}}
    liked, disliked, other = (
        _timeline(store, spec=fast),
        _timeline(store),
        _timeline(store, prompt="something else"),
    )
    events = [make_event("accept", liked, f"{liked}-{k}") for k in range(3)]
    events += [make_event("reject", disliked, f"{disliked}-{k}") for k in range(3)]
    events += [make_event("accept", other, f"{other}-0")]
    store.add_events(events)
    (pair,) = plan_pairs(store)
    assert (pair.chosen_timeline, pair.rejected_timeline) == (liked, disliked)
    assert (pair.chosen_acceptance, pair.rejected_acceptance) == (1.0, 0.0)


def test_rendering_reads_the_planners_candidates_and_recorded_decisions_alike() -> None:
    from fractions import Fraction

    from engine.planning.candidates import Candidate

    cand = Candidate(0, "/footage/a.mp4", Fraction(25), 25, 100, "speech", 0, text="we ship today")
    cand.features.update(faces=0.9, motion=0.1, speech=0.8, duration=0.3)
    recorded = {
        "source_start": 1.0,
        "source_end": 4.0,
        "features": dict(cand.features),
        "transcript": "we ship today",
        "kind": "speech",
    }
    context = ("launch teaser", {"style": "highlight", "target_duration": 20})
    assert render_decision(cand, *context) == render_decision(recorded, *context)
    text = render_decision(cand, *context)
    assert text.startswith("medium shot (3.0 s), speech unit, a face throughout")
    assert 'says "we ship today"' in text and "for: launch teaser (highlight, 20 s)" in text


def test_feedback_cli_counts_and_exports_a_datasets_dataset(tmp_path: Path, autoedit) -> None:
    data = tmp_path / "data"
    store = default_store(data)
    tid = _timeline(store)
    events = [
        make_event("accept", tid, f"{tid}-0"),
        make_event("reject", tid, f"{tid}-1"),
        make_event("reject", tid, f"{tid}-2"),
    ]
    store.add_events(events + events[:1])  # a resent event is stored once
    store.close()

    counted = autoedit("feedback", "count", "--data-dir", data)
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.strip().split()[-1] == "3"

    out = tmp_path / "export"
    exported = autoedit("feedback", "export", out, "--data-dir", data)
    assert exported.returncode == 0, exported.stderr
    from datasets import load_from_disk

    ds = load_from_disk(str(out))
    assert ds["events"].num_rows == 3 and ds["pairs"].num_rows == 2
    assert set(ds["pairs"]["chosen_id"]) == {f"{tid}-0"}
    assert sorted(ds["events"]["kind"]) == ["accept", "reject", "reject"]

    again = autoedit("feedback", "export", out, "--data-dir", data)
    assert again.returncode == 2 and str(out) in again.stderr
