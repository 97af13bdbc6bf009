"""The bpy-free mapping's rules: rates, exact cuts over long NTSC tracks, timecode, dissolves, ducking,
reframing, and the feedback it derives from what the editor did to the strips."""

from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
import pytest

from addon_blender import feedback, otio_to_vse, vse_model, vse_to_otio

from .vse_state import state_from_plan

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
NTSC = Fraction(24000, 1001)


def clip(
    name: str,
    rate: float,
    start: int,
    dur: int,
    origin: int = 0,
    meta: dict | None = None,
    path: str = "/m/a.mov",
):
    ref = otio.schema.ExternalReference(
        target_url=path, available_range=TR(RT(origin, rate), RT(100000, rate))
    )
    return otio.schema.Clip(
        name=name, media_reference=ref, source_range=TR(RT(start, rate), RT(dur, rate)), metadata=meta or {}
    )


def timeline(*tracks: otio.schema.Track, rate: Fraction = NTSC) -> otio.schema.Timeline:
    t = otio.schema.Timeline(name="t", global_start_time=RT(0, float(rate)))
    t.metadata["autoedit"] = {"timeline_id": "tl", "rate": [rate.numerator, rate.denominator]}
    t.tracks.extend(tracks)
    return t


@pytest.mark.parametrize(
    "rate,expected",
    [
        (23.976, NTSC),
        (23.976023976023978, NTSC),
        (29.97002997002997, Fraction(30000, 1001)),
        (25.0, Fraction(25)),
        (2997 / 125, NTSC),
        (59.94, Fraction(60000, 1001)),
    ],
)
def test_exact_rate_recovers_ntsc(rate: float, expected: Fraction) -> None:
    assert vse_model.exact_rate(rate) == expected


@pytest.mark.parametrize("rate", [NTSC, Fraction(30000, 1001), Fraction(25), Fraction(60), Fraction(48)])
def test_blender_fps_round_trips(rate: Fraction) -> None:
    fps, base = vse_model.blender_fps(rate)
    assert vse_model.rate_from_blender(fps, base) == rate


def test_long_ntsc_track_has_no_drift() -> None:
    # 5000 clips of 7 frames at 23.976 (~24 min): clip k starts exactly at frame 1 + 7k
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    for k in range(5000):
        track.append(clip(f"c{k}", 23.976, k % 50, 7))
    plan = otio_to_vse.plan_from_timeline(timeline(track), exists=lambda p: True)
    assert plan.inexact_cuts == 0
    assert [s.record_start for s in plan.strips] == [1 + 7 * k for k in range(5000)]
    assert plan.strips[-1].record_end == 1 + 35000


def test_mixed_rate_clips_accumulate_exactly_and_round_once() -> None:
    # 25 fps clips of 10 frames (0.4 s = 9.59 NTSC frames each) in a 23.976 timeline: every cut is the
    # nearest frame to the exact running time, never an accumulation of rounded durations
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    for k in range(100):
        track.append(clip(f"c{k}", 25.0, 0, 10))
    plan = otio_to_vse.plan_from_timeline(timeline(track), exists=lambda p: True)
    expected = [1 + round(Fraction(4 * k, 10) * NTSC) for k in range(100)]
    assert [s.record_start for s in plan.strips] == expected
    assert plan.inexact_cuts > 0  # reported, so a host can warn


def test_source_timecode_is_taken_off_the_in_point() -> None:
    # media starting at 01:00:00:00 (86400 frames at 24): source frame 86424 is one second in
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    track.append(clip("tc", 24.0, 86424, 48, origin=86400))
    plan = otio_to_vse.plan_from_timeline(timeline(track, rate=Fraction(24)), exists=lambda p: True)
    (strip,) = plan.strips
    assert strip.source_in == 1
    assert vse_model.movie_placement(strip, Fraction(24)) == (1 - 24, 24)


def test_dissolve_becomes_a_cross_over_overlapping_lanes() -> None:
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    track.append(clip("a", 24.0, 10, 20))
    track.append(otio.schema.Transition(in_offset=RT(4, 24), out_offset=RT(6, 24)))
    track.append(clip("b", 24.0, 30, 20))
    plan = otio_to_vse.plan_from_timeline(timeline(track, rate=Fraction(24)), exists=lambda p: True)
    a, b = plan.strips
    (cross,) = plan.crosses
    assert (a.record_start, a.record_end, a.channel) == (1, 27, 1)  # 20 frames + 6 after the cut
    assert (b.record_start, b.record_end, b.channel) == (17, 41, 2)  # 4 before the cut at 21
    assert b.source_in == Fraction(26, 24)  # its in-point minus the 4 frames before the cut
    assert (cross.record_start, cross.record_end, cross.cut, cross.channel) == (17, 27, 21, 5)
    back = vse_to_otio.timeline_from_state(state_from_plan(plan))
    items = list(back.tracks[0])
    assert [type(i).__name__ for i in items] == ["Clip", "Transition", "Clip"]
    assert items[1].in_offset.to_frames() == 4 and items[1].out_offset.to_frames() == 6
    assert items[0].source_range == TR(RT(10, 24), RT(20, 24))
    assert items[2].source_range == TR(RT(30, 24), RT(20, 24))


def test_engine_ducking_keys_become_volume_keys() -> None:
    ducking = {
        "unit": "dB",
        "time": "seconds from the start of the timeline",
        "keyframes": [[0.0, 0.0], [1.0, -12.0], [2.5, -12.0], [3.0, 0.0]],
    }
    music = otio.schema.Track(kind=otio.schema.TrackKind.Audio)
    music.append(clip("music", 24.0, 0, 96, meta={"autoedit": {"ducking": ducking}}))
    plan = otio_to_vse.plan_from_timeline(timeline(music, rate=Fraction(24)), exists=lambda p: True)
    (strip,) = plan.strips
    gain = round(10 ** (-12 / 20), 6)
    assert strip.volume_keys == [(1, 1.0), (25, gain), (61, gain), (73, 1.0)]


def test_reframe_crop_fills_the_scene() -> None:
    # a 9:16 crop from the middle of a 1920x1080 frame, shown in a 1080x1920 scene
    t = vse_model.box_transform((0.341797, 0.0, 0.316406, 1.0), (1920, 1080), (1080, 1920))
    assert t.scale_x == pytest.approx(1920 / 1080)
    assert t.offset_x == pytest.approx(0.0, abs=1.0)
    assert t.offset_y == pytest.approx(0.0, abs=1e-6)
    # a crop at the left edge moves the picture right by the distance of its centre from the middle
    left = vse_model.box_transform((0.0, 0.0, 0.316406, 1.0), (1920, 1080), (1080, 1920))
    assert left.offset_x == pytest.approx((0.5 - 0.158203) * 1920 * 1920 / 1080, rel=1e-6)
    meta = {"reframe": {"aspect": "9:16", "crop": [0.0, 0.0, 0.316406, 1.0]}}
    assert otio_to_vse.reframe_crop(meta) == (0.0, 0.0, 0.316406, 1.0)


def test_markers_from_clips_tracks_and_timeline() -> None:
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    c = clip("a", 24.0, 100, 48)
    c.markers.append(
        otio.schema.Marker(
            name="x",
            marked_range=TR(RT(110, 24), RT(0, 24)),
            metadata={"autoedit": {"reason": "a face in frame"}},
        )
    )
    track.append(clip("pad", 24.0, 0, 24))
    track.append(c)
    t = timeline(track, rate=Fraction(24))
    t.tracks.markers.append(otio.schema.Marker(name="top", marked_range=TR(RT(5, 24), RT(0, 24))))
    plan = otio_to_vse.plan_from_timeline(t, exists=lambda p: True)
    assert [(m.frame, m.name) for m in plan.markers] == [(6, "top"), (1 + 24 + 10, "a face in frame")]


def test_too_many_tracks_is_refused_with_a_reason() -> None:
    tracks = []
    for _ in range(130):
        tr = otio.schema.Track(kind=otio.schema.TrackKind.Audio)
        tr.append(clip("a", 24.0, 0, 10))
        tracks.append(tr)
    with pytest.raises(vse_model.MappingError, match="channels"):
        otio_to_vse.plan_from_timeline(timeline(*tracks, rate=Fraction(24)), exists=lambda p: True)


def state_strip(
    name: str, start: int, end: int, source: int, channel: int = 1, applied: str | None = None, **props
):
    base = {vse_model.PROP_DECISION: f"d-{name}", vse_model.PROP_TIMELINE: "tl"}
    if applied is not None:
        base[vse_model.PROP_APPLIED] = applied
    base.update(props)
    return vse_model.StripState(
        name,
        "movie",
        channel,
        start,
        end,
        frame_start=start - source,
        path="/m/a.mov",
        media_rate=Fraction(24),
        props=base,
    )


def test_feedback_finds_trims_moves_and_deletions_once() -> None:
    strips = [
        state_strip("same", 1, 25, 10, applied="1,25,1,10"),
        state_strip("trimmed", 25, 40, 55, applied="25,49,1,50"),  # head trimmed by 5, tail by 4
        state_strip("moved", 0, 24, 7, channel=3, applied="49,73,1,7"),  # now first on the track
    ]
    applied = {"tl": ["d-same", "d-trimmed", "d-moved", "d-gone"]}
    findings = {f.decision_id: f for f in feedback.implicit_findings(strips, applied, Fraction(24))}
    assert set(findings) == {"d-trimmed", "d-moved", "d-gone"}
    trim = findings["d-trimmed"]
    assert trim.kind == "trim"
    assert trim.value == {  # DESIGN.md's trim: the kept range in the media's seconds, plus frames
        "source_start": 55 / 24,
        "source_end": 70 / 24,
        "head_frames": 5,
        "tail_frames": -4,
        "rate": [24, 1],
    }
    assert trim.applied == "25,40,1,55"
    move = findings["d-moved"]
    assert (move.kind, move.value) == ("reorder", {"from": 2, "to": 0})
    assert findings["d-gone"].kind == "reject" and findings["d-gone"].value == {"implicit": "deleted"}
    # once the host records the new state, the same strips say nothing more
    strips[1].props[vse_model.PROP_APPLIED] = trim.applied
    strips[2].props[vse_model.PROP_APPLIED] = move.applied
    assert feedback.implicit_findings(strips, {"tl": ["d-same", "d-trimmed", "d-moved"]}, Fraction(24)) == []


def test_explicit_feedback_skips_strips_already_in_that_state() -> None:
    strips = [state_strip("a", 1, 10, 0), state_strip("b", 10, 20, 0, **{vse_model.PROP_STATUS: "accepted"})]
    assert [f.decision_id for f in feedback.explicit_findings(strips, "accept")] == ["d-a"]
    assert [f.decision_id for f in feedback.explicit_findings(strips, "reject")] == ["d-a", "d-b"]


def test_media_refs_give_used_ranges_once_per_file_range() -> None:
    movie = vse_model.StripState(
        "m", "movie", 1, 11, 59, frame_start=1, path="/m/a.mov", media_rate=Fraction(24)
    )
    sound = vse_model.StripState("s", "sound", 2, 11, 59, frame_start=1, path="/m/a.mov")
    music = vse_model.StripState("music", "sound", 3, 1, 200, frame_start=1, path="/m/song.wav")
    refs = feedback.media_refs([movie, sound, music], Fraction(24), exclude={"music"})
    assert refs == [{"path": "/m/a.mov", "in": 10 / 24, "out": 58 / 24}]


def test_a_disabled_audio_track_lands_muted() -> None:
    # the engine's separated stems come as disabled tracks: placed for the editor, silent until unmuted
    dialog = otio.schema.Track(name="A1 dialog", kind=otio.schema.TrackKind.Audio)
    dialog.append(clip("mix", 24.0, 0, 48))
    stem = otio.schema.Track(name="A3 dialog stem", kind=otio.schema.TrackKind.Audio)
    stem.enabled = False
    stem.append(clip("dialog stem", 24.0, 0, 48, path="/m/dialog.wav"))
    plan = otio_to_vse.plan_from_timeline(timeline(dialog, stem, rate=Fraction(24)), exists=lambda p: True)
    assert [(s.name, s.mute) for s in plan.strips] == [("mix", False), ("dialog stem", True)]


def test_engine_audio_fades_become_one_frame_volume_ramps_at_the_joins() -> None:
    # the engine's dialog: a jump in the source between a and b (a filler cut) fades both sides 10 ms;
    # b runs on continuously into c, so that join has no fade
    fade = {"in_s": 0.01, "out_s": 0.01, "shape": "cosine"}
    dialog = otio.schema.Track(kind=otio.schema.TrackKind.Audio)
    dialog.append(clip("a", 24.0, 0, 48, meta={"autoedit": {"audio_fade": fade}}))
    dialog.append(clip("b", 24.0, 60, 24, meta={"autoedit": {"audio_fade": {"in_s": 0.01, "out_s": 0.0}}}))
    dialog.append(clip("c", 24.0, 84, 24, meta={"autoedit": {"audio_fade": {"in_s": 0.0, "out_s": 0.05}}}))
    dialog.append(clip("d", 24.0, 200, 1, meta={"autoedit": {"audio_fade": fade}}))
    plan = otio_to_vse.plan_from_timeline(timeline(dialog, rate=Fraction(24)), exists=lambda p: True)
    a, b, c, d = plan.strips
    assert a.volume_keys == [(1, 0.0), (2, 1.0), (48, 1.0), (49, 0.0)]
    assert b.volume_keys == [(49, 0.0), (50, 1.0)]
    assert c.volume_keys == [(95, 1.0), (97, 0.0)]  # 50 ms at 24 fps: two frames
    assert d.volume_keys == []  # one frame: nothing to ramp in
