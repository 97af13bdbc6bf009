"""The editor's version vs the engine's: trims, moves and removals found, and nothing invented."""

from __future__ import annotations

import copy

import opentimelineio as otio
from autoedit_resolve.edit_back import diff
from autoedit_resolve.otio_json import parse_timeline
from opentimelineio.opentime import RationalTime, TimeRange

from .timelines import NTSC_FILM, engine_timeline

CLIPS = [
    ("/m/a.mp4", NTSC_FILM, 100, 48),
    ("/m/b.mp4", NTSC_FILM, 0, 60),
    ("/m/a.mp4", NTSC_FILM, 400, 30),
    ("/m/c.mp4", 25.0, 50, 40),
]


def _edited(tl: otio.schema.Timeline, strip_ids: bool = True) -> otio.schema.Timeline:
    """Resolve's export keeps no autoedit metadata: match must work from media and ranges alone."""
    out = copy.deepcopy(tl)
    if strip_ids:
        out.metadata.clear()
        for clip in out.find_clips():
            clip.metadata.clear()
    return out


def _info(tl):
    return parse_timeline(otio.adapters.write_to_string(tl))


def test_untouched_edit_gives_no_changes():
    tl = engine_timeline(CLIPS)
    result = diff(_info(tl), _info(_edited(tl)))
    assert (result.trims, result.reorders, result.removed, result.unmatched_clips) == ([], [], [], 0)


def test_trims_are_found_in_frames_and_seconds():
    tl = engine_timeline(CLIPS)
    edited = _edited(tl)
    second = edited.video_tracks()[0][1]
    second.source_range = TimeRange(RationalTime(6, NTSC_FILM), RationalTime(60 - 6 - 10, NTSC_FILM))
    result = diff(_info(tl), _info(edited))
    assert [t["decision_id"] for t in result.trims] == ["d1"]
    value = result.trims[0]["value"]
    assert (value["head_frames"], value["tail_frames"]) == (6, -10)
    assert value["rate"] == [24000, 1001]
    assert abs(value["source_start"] - 6 * 1001 / 24000) < 1e-9
    assert set(value) == {"source_start", "source_end", "head_frames", "tail_frames", "rate"}
    assert result.reorders == [] and result.removed == []


def test_one_moved_clip_is_one_reorder_event():
    tl = engine_timeline(CLIPS)
    edited = _edited(tl)
    track = edited.video_tracks()[0]
    last = track[3]
    track.remove(last)
    track.insert(0, last)
    result = diff(_info(tl), _info(edited))
    assert result.reorders == [{"decision_id": "d3", "value": {"from": 3, "to": 0}}]
    assert result.trims == [] and result.removed == []


def test_removed_clip_and_same_file_twice_are_told_apart():
    tl = engine_timeline(CLIPS)
    edited = _edited(tl)
    track = edited.video_tracks()[0]
    del track[2]  # the second use of /m/a.mp4 (d2); d0 uses the same file at another range
    result = diff(_info(tl), _info(edited))
    assert result.removed == ["d2"]
    assert result.trims == [] and result.reorders == []


def test_razor_cut_keeps_the_bigger_piece_as_the_decision():
    tl = engine_timeline(CLIPS)
    edited = _edited(tl)
    track = edited.video_tracks()[0]
    first = track[0]
    head = otio.schema.Clip(
        name="piece",
        media_reference=otio.schema.ExternalReference(target_url="/m/a.mp4"),
        source_range=TimeRange(RationalTime(100, NTSC_FILM), RationalTime(10, NTSC_FILM)),
    )
    first.source_range = TimeRange(RationalTime(110, NTSC_FILM), RationalTime(38, NTSC_FILM))
    track.insert(0, head)
    result = diff(_info(tl), _info(edited))
    assert [(t["decision_id"], t["value"]["head_frames"]) for t in result.trims] == [("d0", 10)]
    assert result.unmatched_clips == 1
    assert result.removed == []


def test_marker_tags_win_over_overlap():
    """When the export kept our marker note, the tag names the decision even if the range moved away."""
    tl = engine_timeline(CLIPS)
    edited = _edited(tl)
    track = edited.video_tracks()[0]
    moved = track[0]
    moved.source_range = TimeRange(
        RationalTime(1000, NTSC_FILM), RationalTime(48, NTSC_FILM)
    )  # no overlap now
    moved.markers.append(otio.schema.Marker(name="AutoEdit", comment="kept shot\n[autoedit:d0]"))
    result = diff(_info(tl), _info(edited))
    assert [t["decision_id"] for t in result.trims] == ["d0"]
    assert result.trims[0]["value"]["head_frames"] == 900
