"""The stdlib OTIO reader the host uses inside Resolve agrees with opentimelineio itself."""

from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
import pytest
from autoedit_resolve.otio_json import exact_rate, parse_timeline
from opentimelineio.opentime import RationalTime, TimeRange

from .timelines import NTSC_FILM, engine_timeline


@pytest.mark.parametrize(
    ("raw", "exact"),
    [
        (23.976023976023978, Fraction(24000, 1001)),
        ("23.976", Fraction(24000, 1001)),
        ("29.97 DF", Fraction(30000, 1001)),
        (59.94005994005994, Fraction(60000, 1001)),
        (25.0, Fraction(25)),
        ("24", Fraction(24)),
    ],
)
def test_exact_rates_from_otio_floats_and_resolve_settings(raw, exact):
    assert exact_rate(raw) == exact


def test_reader_matches_opentimelineio_on_mixed_rates_gaps_and_transitions():
    tl = engine_timeline(
        [
            ("/m/a.mp4", NTSC_FILM, 1001, 48),
            ("/m/b.mov", 25.0, 250, 50),
            ("/m/c.mp4", 29.97002997002997, 7, 31),
        ]
    )
    video = tl.video_tracks()[0]
    video.insert(
        1, otio.schema.Gap(source_range=TimeRange(RationalTime(0, NTSC_FILM), RationalTime(12, NTSC_FILM)))
    )
    video.insert(3, otio.schema.Transition(in_offset=RationalTime(3, 25), out_offset=RationalTime(3, 25)))
    video[0].markers.append(otio.schema.Marker(name="note", comment="[autoedit:d0]", color="GREEN"))
    text = otio.adapters.write_to_string(tl)

    info = parse_timeline(text)
    ours = [c for c in info.clips if c.track_kind == "Video"]
    track = otio.adapters.read_from_string(text).video_tracks()[0]
    theirs = list(track.find_clips())
    assert len(ours) == len(theirs) == 3
    for mine, clip in zip(ours, theirs, strict=True):
        record = track.range_of_child(clip)
        assert mine.record_start == Fraction(record.start_time.to_seconds()).limit_denominator(10**6)
        assert mine.source_start == Fraction(clip.source_range.start_time.to_seconds()).limit_denominator(
            10**6
        )
        assert mine.source_end - mine.source_start == Fraction(
            clip.source_range.duration.to_seconds()
        ).limit_denominator(10**6)
        assert mine.path == clip.media_reference.target_url
        assert mine.decision_id == clip.metadata["autoedit"]["decision_id"]
    assert ours[0].rate == Fraction(24000, 1001)
    assert ours[0].markers[0].comment == "[autoedit:d0]"
    assert info.timeline_id == "tl-test"
    assert info.track_count("Audio") == 1


def test_reader_takes_file_urls_and_old_clip_schema():
    doc = {
        "OTIO_SCHEMA": "Timeline.1",
        "name": "old",
        "tracks": {
            "OTIO_SCHEMA": "Stack.1",
            "children": [
                {
                    "OTIO_SCHEMA": "Track.1",
                    "kind": "Video",
                    "children": [
                        {
                            "OTIO_SCHEMA": "Clip.1",
                            "name": "x",
                            "source_range": {
                                "OTIO_SCHEMA": "TimeRange.1",
                                "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24.0, "value": 24.0},
                                "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24.0, "value": 12.0},
                            },
                            "media_reference": {
                                "OTIO_SCHEMA": "ExternalReference.1",
                                "target_url": "file:///media/my%20clip.mov",
                            },
                        }
                    ],
                }
            ],
        },
    }
    import json

    (clip,) = parse_timeline(json.dumps(doc)).clips
    assert clip.path == "/media/my clip.mov"
    assert (clip.source_start, clip.source_end) == (Fraction(1), Fraction(3, 2))


def test_reader_refuses_what_is_not_a_timeline():
    with pytest.raises(ValueError, match="not an OTIO timeline"):
        parse_timeline('{"OTIO_SCHEMA": "Clip.2"}')
    with pytest.raises(ValueError, match="not OTIO JSON"):
        parse_timeline("<xmeml/>")
