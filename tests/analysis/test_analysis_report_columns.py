"""The report's columnar fields (issue 19): same JSON as lists of models, numpy inside, no object per frame."""

from __future__ import annotations

import gc
import json
import pickle
import random

import numpy as np
import pytest
from pydantic import ValidationError

from engine.analysis.columns import FaceTrack, Samples, SpanIndex
from engine.analysis.report import AnalysisReport, FaceSample, MediaAnalysis
from engine.synthetic import long_report_dict

PER_FRAME = ("beats", "downbeats", "faces")


def test_short_report_json_round_trips_unchanged():
    raw = long_report_dict(hours=0.05, seed=3)  # 3 minutes: 360 faces, 720 quality samples
    raw["faces"][1]["boxes"].append([0.1, 0.1, 0.05, 0.05, 0.7])  # two faces in one sample
    media = MediaAnalysis.model_validate_json(json.dumps(raw))
    dumped = json.loads(media.model_dump_json())
    for key in (*PER_FRAME, "words", "shots", "speech", "disfluencies", "loudness", "quality"):
        assert dumped[key] == json.loads(json.dumps(raw[key])), key
    again = MediaAnalysis.model_validate_json(media.model_dump_json())
    assert again.model_dump(mode="json") == media.model_dump(mode="json")
    report = AnalysisReport(media=[media])
    assert AnalysisReport.model_validate_json(report.model_dump_json()) == report


def test_columns_read_as_the_lists_they_replace():
    media = MediaAnalysis.model_validate(long_report_dict(hours=0.05, seed=1))
    raw = long_report_dict(hours=0.05, seed=1)
    faces, q = media.faces, media.quality
    assert isinstance(faces, FaceTrack) and isinstance(q.times, Samples)
    assert len(faces) == len(raw["faces"]) and faces[3] == FaceSample(**raw["faces"][3])
    assert faces[-1] == FaceSample(**raw["faces"][-1])
    assert list(faces[10:14]) == [FaceSample(**f) for f in raw["faces"][10:14]]
    assert faces[10:14].has_face().tolist() == [bool(f["boxes"]) for f in raw["faces"][10:14]]
    assert faces[::50] == [FaceSample(**f) for f in raw["faces"][::50]]
    assert q.times[5] == raw["quality"]["times"][5] and q.times[2:4] == raw["quality"]["times"][2:4]
    assert list(media.beats) == raw["beats"] and media.beats == raw["beats"]
    assert float(np.mean(q.sharpness)) == pytest.approx(np.mean(raw["quality"]["sharpness"]))
    with pytest.raises(IndexError):
        faces[len(faces)]
    empty = MediaAnalysis.model_validate({**raw, "faces": [], "beats": []})
    assert empty.faces == [] and empty.beats == [] and not empty.beats and not empty.faces


def test_columns_pickle_and_reject_what_is_not_a_list():
    media = MediaAnalysis.model_validate(long_report_dict(hours=0.02))
    assert pickle.loads(pickle.dumps(media)) == media  # Ray ships reports between processes
    raw = long_report_dict(hours=0.02)
    for bad in ({**raw, "beats": "1, 2"}, {**raw, "faces": [{"time": 1.0}]}, {**raw, "beats": [1.0, "x"]}):
        with pytest.raises(ValidationError):
            MediaAnalysis.model_validate(bad)


def test_a_ten_hour_report_holds_no_object_per_frame():
    raw = long_report_dict(hours=10.0)
    frames = (
        sum(len(raw[k]) for k in PER_FRAME)
        + 3 * len(raw["quality"]["times"])
        + 2 * len(raw["loudness"]["times"])
    )
    units = sum(len(raw[k]) for k in ("words", "shots", "speech", "disfluencies"))
    assert frames > 400_000 and len(raw["words"]) > 80_000  # the density of 10 h on the embedded profile
    blob = json.dumps(raw)
    del raw
    gc.collect()
    before = len(gc.get_objects())
    faces_before = _face_samples()  # other tests in this session may hold some of their own
    media = MediaAnalysis.model_validate_json(blob)
    gc.collect()
    grown = len(gc.get_objects()) - before
    # A model and its __dict__ per word/shot/span, nothing per face, beat or quality sample.
    assert grown < 3 * units + 1000, (grown, units, frames)
    assert _face_samples() == faces_before
    assert isinstance(media.quality.sharpness.array, np.ndarray) and media.faces.times.dtype == np.float64


def _face_samples() -> int:
    return sum(type(o) is FaceSample for o in gc.get_objects())  # isinstance would wake dead weak proxies


def test_span_index_finds_what_a_scan_finds():
    rng = random.Random(5)
    spans = [(s := rng.uniform(0, 500), s + rng.uniform(0, 4)) for _ in range(400)]
    index = SpanIndex(spans)
    for _ in range(500):
        a = rng.uniform(-5, 505)
        b = a + rng.uniform(0, 3)
        assert index.overlapping(a, b) == [k for k, (s, e) in enumerate(spans) if s < b and e > a]
        assert index.holding(a, b, 1e-3) == [
            k for k, (s, e) in enumerate(spans) if s - 1e-3 <= a and b <= e + 1e-3
        ]
    assert SpanIndex([]).overlapping(0, 10) == [] and SpanIndex([]).holding(0, 1) == []
