"""OTIO corpus (../shared/media/nle) -> VSE plan -> VSE state -> OTIO: every cut lands on the same frame."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from addon_blender import otio_vse

REPO = Path(__file__).resolve().parents[2]
NLE = REPO / ".." / "shared" / "media" / "nle"
READERS = {".otio", ".xml", ".edl", ".fcpxml"}


def corpus() -> list[Path]:
    found = []
    for path in sorted(NLE.rglob("*")):
        if path.suffix not in READERS or not path.is_file():
            continue
        try:
            timeline = otio.adapters.read_from_file(str(path))
        except Exception:  # files OTIO's adapters cannot read are not part of the round trip
            continue
        if isinstance(timeline, otio.schema.Timeline) and any(True for _ in timeline.find_clips()):
            found.append(path)
    return found


CORPUS = corpus()


def test_corpus_is_there() -> None:
    # the corpus has 30+ files OTIO reads; losing them would make the round trip test vacuous
    assert len(CORPUS) >= 30, CORPUS


def clip_cuts(timeline: otio.schema.Timeline, rate: Fraction) -> list[tuple[str, int, int, Fraction, str]]:
    """(kind, record start, record end, media seconds at record start, clip name) of every visible clip,
    in scene frames, measured with OTIO's own time transforms (independent of the mapping's walk)."""
    out = []
    for track in timeline.tracks:
        for clip in track.find_clips():
            trimmed = clip.trimmed_range()
            shown = clip.transformed_time_range(trimmed, track)
            lo, hi = otio_vse.seconds(shown.start_time), otio_vse.seconds(shown.end_time_exclusive())
            source = otio_vse.seconds(trimmed.start_time)
            ancestor = clip.parent()
            while ancestor is not None and ancestor is not track:  # a nested composition trims what shows
                if ancestor.parent() is track:
                    window = ancestor.range_in_parent()
                    w_lo, w_hi = (
                        otio_vse.seconds(window.start_time),
                        otio_vse.seconds(window.end_time_exclusive()),
                    )
                    source += max(lo, w_lo) - lo
                    lo, hi = max(lo, w_lo), min(hi, w_hi)
                ancestor = ancestor.parent()
            start, end = round(lo * rate), round(hi * rate)
            if end <= start:
                continue
            available = getattr(clip.media_reference, "available_range", None)
            origin = otio_vse.seconds(available.start_time) if available is not None else Fraction(0)
            out.append((str(track.kind), start, end, source - origin, clip.name))
    return sorted(out, key=lambda c: (c[0], c[1], c[4]))


def exported_cuts(
    timeline: otio.schema.Timeline, rate: Fraction
) -> list[tuple[str, int, int, Fraction, str]]:
    out = []
    for track in timeline.tracks:
        for clip in track.find_clips():
            r = clip.range_in_parent()
            start = otio_vse.seconds(r.start_time) * rate
            end = otio_vse.seconds(r.end_time_exclusive()) * rate
            assert start.denominator == 1 and end.denominator == 1, (clip.name, start, end)
            origin = Fraction(0)
            reference = clip.media_reference
            available = getattr(reference, "available_range", None)
            if available is not None:
                origin = otio_vse.seconds(available.start_time)
            source = otio_vse.seconds(clip.source_range.start_time) - origin
            out.append((str(track.kind), int(start), int(end), source, clip.name))
    return sorted(out, key=lambda c: (c[0], c[1], c[4]))


def flat_original(path: Path) -> otio.schema.Timeline:
    return otio.adapters.read_from_file(str(path))


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_round_trip_keeps_every_cut(path: Path) -> None:
    original = flat_original(path)
    plan = otio_vse.plan_from_timeline(original, start_frame=1, exists=lambda p: False)
    rate = plan.rate
    assert plan.inexact_cuts == 0, f"{path.name}: cuts off the {rate} grid"
    back = otio_vse.timeline_from_state(otio_vse.state_from_plan(plan))
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
