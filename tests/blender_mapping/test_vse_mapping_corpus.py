"""OTIO corpus (../shared/media/nle) -> VSE plan -> VSE state -> OTIO: every cut lands on the same frame."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from addon_blender import otio_to_vse, vse_to_otio

from .cuts import clip_cuts, corpus, exported_cuts
from .vse_state import state_from_plan

REPO = Path(__file__).resolve().parents[2]
NLE = REPO / ".." / "shared" / "media" / "nle"
READERS = {".otio", ".xml", ".edl", ".fcpxml"}


CORPUS = corpus(NLE)


def test_corpus_is_there() -> None:
    # the corpus has 30+ files OTIO reads; losing them would make the round trip test vacuous
    assert len(CORPUS) >= 30, CORPUS


def flat_original(path: Path) -> otio.schema.Timeline:
    return otio.adapters.read_from_file(str(path))


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_round_trip_keeps_every_cut(path: Path) -> None:
    original = flat_original(path)
    plan = otio_to_vse.plan_from_timeline(original, start_frame=1, exists=lambda p: False)
    rate = plan.rate
    assert plan.inexact_cuts == 0, f"{path.name}: cuts off the {rate} grid"
    back = vse_to_otio.timeline_from_state(state_from_plan(plan))
    expected = clip_cuts(original, rate)
    got = exported_cuts(back, rate)
    if any(_has_nested(t) for t in original.tracks):  # nested tracks flatten into lanes: compare as sets
        assert sorted(got) == sorted(expected)
    else:
        assert [c[:4] for c in got] == [c[:4] for c in expected]
    transitions_in = sum(
        1 for t in original.find_children(descended_from_type=otio.schema.Transition) if _between_clips(t)
    )
    transitions_out = sum(1 for _ in back.find_children(descended_from_type=otio.schema.Transition))
    assert transitions_out == transitions_in


def _has_nested(track: otio.schema.Track) -> bool:
    return any(isinstance(c, otio.schema.Stack | otio.schema.Track) for c in track)


def _between_clips(transition: otio.schema.Transition) -> bool:
    """Dissolves between two clips become cross effects; fades from/to nothing have no VSE cross."""
    before, after = transition.parent().neighbors_of(transition)
    return isinstance(before, otio.schema.Clip) and isinstance(after, otio.schema.Clip)
