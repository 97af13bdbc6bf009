"""Progress of parts that run at the same time: one forward-moving fraction, stopped together."""

from __future__ import annotations

import pytest

from engine.errors import Cancelled
from engine.progress import Job


def test_parts_reporting_in_any_order_move_the_whole_forward():
    seen: list[tuple[str, float]] = []
    job = Job(on_progress=lambda stage, fraction, message: seen.append((stage, fraction)))
    parts, _ = job.together({"video": 3.0, "audio": 1.0}, 0.0, 1.0)
    parts["video"].report("decode", 0.5)
    parts["audio"].report("words", 1.0)
    parts["video"].report("decode", 0.4)  # a part going back does not move the whole back
    parts["video"].sub("shots", 0.5, 1.0).report("x", 1.0)
    assert seen == [
        ("video/decode", pytest.approx(0.375)),
        ("audio/words", pytest.approx(0.625)),
        ("video/decode", pytest.approx(0.625)),
        ("video/shots/x", pytest.approx(1.0)),
    ]


def test_the_stop_event_ends_every_part_but_not_the_job():
    job = Job()
    parts, stop = job.together({"video": 1.0, "audio": 1.0}, 0.0, 1.0)
    stop.set()
    for part in parts.values():
        with pytest.raises(Cancelled):
            part.sub("inner", 0.0, 1.0).quiet().check()
    job.check()  # the job itself goes on (its caller decides what the failure means)
    assert not job.cancelled


def test_cancelling_the_job_ends_its_parts():
    job = Job()
    parts, _ = job.together({"video": 1.0, "audio": 1.0}, 0.0, 1.0)
    job.cancel()
    with pytest.raises(Cancelled):
        parts["audio"].report("words", 0.1)


def test_an_outer_stop_reaches_parts_of_parts():
    parts, outer = Job().together({"video": 1.0, "audio": 1.0}, 0.0, 1.0)
    inner, _ = parts["video"].together({"decode": 1.0, "shots": 1.0}, 0.0, 1.0)
    outer.set()
    with pytest.raises(Cancelled):
        inner["shots"].report("x", 0.5)
