"""Planning and timelines on long footage (issue 19): a generated 10-hour report, planned in bounded
structures with nothing quadratic in its words, and an edit whose progress runs from start to end."""

from __future__ import annotations

import random

import numpy as np
import pytest

from engine.analysis.report import AnalysisReport, MediaAnalysis, Word, media_rate
from engine.editing import MediaRef, _placed_clips, run_edit
from engine.planning import speech_cuts
from engine.planning.candidates import build_candidates
from engine.planning.features import compute_features
from engine.planning.scoring import PriorScorer, ScoringContext
from engine.planning.selection import select
from engine.planning.spec import EditSpec
from engine.progress import Job
from engine.synthetic import long_report_dict
from engine.timeline.build import build_timeline, transcripts

TIMELINE_ID = "5b7f3e0c-0a3c-4e55-9d7e-6f0d3c2a9e11"


def _long(hours: float, path: str = "/footage/long_talk.mp4") -> MediaAnalysis:
    return MediaAnalysis.model_validate(long_report_dict(hours, path=path))


def test_ten_hours_plan_into_a_timeline():
    media = _long(10.0)
    spec = EditSpec.for_style("highlight").model_copy(
        update={"target_duration": 180.0, "remove_fillers": True}
    )
    candidates = build_candidates(media, 0, spec)
    # Units stay about a sentence each: bounded by the words, not by the frames (~2.6M at 25 fps).
    assert len(media.words) // 12 < len(candidates) < len(media.words) // 3
    assert max(len(c.words) for c in candidates) < 60
    cut = {(w.start, w.end) for c in candidates for w in c.words}
    removed = speech_cuts.cuts_for(media, spec)
    assert removed and not any(
        speech_cuts.is_cut(Word(text="x", start=a, end=b, confidence=1), removed) for a, b in cut
    )
    vectors = compute_features(candidates, [media], spec, "a highlight reel", None)
    assert vectors.shape == (len(candidates), 384)
    assert 0 < np.mean([c.features["faces"] for c in candidates]) < 1
    context = ScoringContext(
        prompt="x", spec=spec.model_dump(mode="json"), style=spec.style, media=[media.path]
    )
    scores = PriorScorer().score(context, candidates)
    rate = media_rate(media)
    selection = select(candidates, scores, spec, rate, vectors=vectors)
    clips = _placed_clips(selection, TIMELINE_ID)
    assert sum(float(c.record_end - c.record_start) for c in clips) == pytest.approx(180.0, rel=0.02)
    timeline = build_timeline(clips, [media], spec.model_dump(mode="json"), "x", TIMELINE_ID, {}, rate)
    assert len(timeline.tracks[0]) == len(clips)
    words = timeline.metadata["autoedit"]["transcripts"][media.path]
    assert len(words) == len(media.words)
    assert {w[3] for w in words} >= {"filler", "retake", "aside", "repeat"}


def test_lookups_by_index_agree_with_the_scans_they_replace():
    media = _long(0.3)
    spec = EditSpec.for_style("tighten").model_copy(update={"remove_fillers": True})
    indexed = speech_cuts.cuts_for(media, spec)
    plain = list(indexed)  # a plain list: every lookup scans all the cuts
    assert len(plain) > 50
    assert [speech_cuts.is_cut(w, indexed) for w in media.words] == [
        speech_cuts.is_cut(w, plain) for w in media.words
    ]
    rng = random.Random(2)
    for _ in range(300):
        k = rng.randrange(len(media.words) - 3)
        first, last = media.words[k], media.words[k + 2]
        a, b = first.start - rng.uniform(0, 1), last.end + rng.uniform(0, 1)
        assert speech_cuts.clamp(a, b, first, last, indexed) == speech_cuts.clamp(a, b, first, last, plain)
    rows = transcripts([media])[media.path]
    for w, row in zip(sorted(media.words, key=lambda w: w.start), rows, strict=True):
        kind = next(
            (d.kind for d in media.disfluencies if d.start - 1e-3 <= w.start and w.end <= d.end + 1e-3), ""
        )
        assert row[3] == kind


def test_an_edit_of_an_hour_reports_progress_to_the_end(rules_config, tmp_path):
    source = tmp_path / "long_talk.mp4"
    source.write_bytes(b"")  # the report stands for it: planning reads only the report
    media = _long(1.0, path=str(source.resolve()))
    events: list[tuple[str, float, str]] = []
    result = run_edit(
        [MediaRef(source)], "tighten this and remove the ums", rules_config, tmp_path / "data",
        Job(on_progress=lambda stage, fraction, message: events.append((stage, fraction, message))),
        analysis=AnalysisReport(media=[media]),
    )  # fmt: skip
    fractions = [f for _, f, _ in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0, events
    stages = [s for s, _, _ in events]
    steps = ("plan", "retakes by meaning/long_talk.mp4/embed", "candidates", "features/embed", "features")
    for step in (*steps, "scoring", "selection", "timeline", "record"):
        assert step in stages, (step, sorted(set(stages)))
    assert stages[-1] == "plan" and events[-1][2].endswith(" s")  # "N clips, D s"
    # The embedding (most of the time) moves the bar in steps, not in one jump.
    embed = [f for s, f, _ in events if s == "features/embed"]
    assert len(embed) >= 3 and len(set(embed)) >= 3
    assert len(result.report["clips"]) > 100 and result.report["speech_removed"]
