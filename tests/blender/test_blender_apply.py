"""An OTIO timeline over real media (23.976 scene; 23.976, 29.97 and 25 fps sources, a dissolve, dialog
audio, a marker) applied through the add-on's operator: exact strips, right pictures, one undo."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

RATE = Fraction(24000, 1001)
TITANIC = "video_cuts/movienet_test1_titanic.mp4"  # 2997/125 fps
TESTVIDEO = "video_cuts/pyscenedetect_testvideo.mp4"  # 30000/1001 fps, motion from frame 210
CHAPLIN = "video_cuts/moviepy/chaplin.mp4"  # 25 fps


@pytest.fixture(scope="module")
def timeline_file(bpy_addon, media: Path, tmp_path_factory) -> Path:
    import opentimelineio as otio

    rt, tr = otio.opentime.RationalTime, otio.opentime.TimeRange
    r = float(RATE)

    def clip(name: str, rel: str, rate: float, start: int, dur: int, length: int, decision: str):
        ref = otio.schema.ExternalReference(
            target_url=str(media / rel), available_range=tr(rt(0, rate), rt(length, rate))
        )
        meta = {"autoedit": {"decision_id": decision, "reason": f"reason for {name}", "score": 0.5}}
        return otio.schema.Clip(
            name=name, media_reference=ref, source_range=tr(rt(start, rate), rt(dur, rate)), metadata=meta
        )

    timeline = otio.schema.Timeline(name="Applied", global_start_time=rt(0, r))
    timeline.metadata["autoedit"] = {"timeline_id": "tl-apply", "rate": [RATE.numerator, RATE.denominator]}
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    video.append(clip("titanic", TITANIC, 2997 / 125, 40, 30, 482, "d1"))
    video.append(clip("testvideo", TESTVIDEO, 30000 / 1001, 210, 25, 720, "d2"))
    video.append(otio.schema.Transition(in_offset=rt(4, r), out_offset=rt(6, r)))
    video.append(clip("chaplin", CHAPLIN, 25.0, 50, 30, 241, "d3"))
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    dialog = clip("titanic", TITANIC, 2997 / 125, 40, 30, 482, "d1")
    dialog.metadata["autoedit"]["audio_fade"] = {
        "in_s": 0.01,
        "out_s": 0.01,
        "shape": "cosine",
    }  # the engine's
    audio.append(dialog)
    # a disabled track, as the engine's separated stems come: placed, muted
    stem = otio.schema.Track(name="A3 dialog stem", kind=otio.schema.TrackKind.Audio)
    stem.enabled = False
    stem.append(clip("titanic dialog stem", TITANIC, 2997 / 125, 40, 30, 482, "d1"))
    timeline.tracks.extend([video, audio, stem])
    timeline.tracks.markers.append(otio.schema.Marker(name="beat here", marked_range=tr(rt(10, r), rt(0, r))))
    path = tmp_path_factory.mktemp("otio") / "applied.otio"
    otio.adapters.write_to_file(timeline, str(path))
    return path


@pytest.fixture()
def applied(fresh_file, timeline_file: Path):
    bpy = fresh_file
    bpy.ops.ed.undo_push(message="start")  # module mode: the undo system starts on the first push
    bpy.ops.ed.undo_push(message="before Auto Edit")
    assert bpy.ops.autoedit.import_otio(filepath=str(timeline_file), target="NEW_SCENE") == {"FINISHED"}
    scene = bpy.data.scenes["Applied"]
    return bpy, scene


def test_strips_land_on_exact_frames(applied) -> None:
    bpy, scene = applied
    assert (scene.render.fps, round(scene.render.fps_base, 4)) == (24, 1.001)
    strips = {s.name: s for s in scene.sequence_editor.strips_all}
    # titanic: 30 frames at 2997/125 = 30 scene frames; same rate within 1e-4: no speed effect
    t = strips["titanic"]
    assert (t.type, t.frame_final_start, t.frame_final_end, t.channel) == ("MOVIE", 1, 31, 1)
    assert t.frame_final_start - t.frame_start == 40  # file frame 40 at the cut
    # testvideo: 25 frames at 29.97 = 20 scene frames, plus the dissolve's 6-frame handle after the cut
    v = strips["testvideo"]
    assert (v.frame_final_start, v.frame_final_end, v.channel) == (31, 57, 1)
    speed = strips["testvideo.speed"]
    assert speed.type == "SPEED" and speed.speed_control == "MULTIPLY"
    assert speed.speed_factor == pytest.approx(1.25, abs=1e-6)
    assert (speed.frame_final_start, speed.frame_final_end) == (31, 57)
    # chaplin starts 4 frames before the cut (51) on the B channel; 30 frames at 25 fps = 28.77 scene
    # frames, ending on the nearest frame to 51 + 28.77
    c = strips["chaplin"]
    assert (c.frame_final_start, c.frame_final_end, c.channel) == (47, 80, 2)
    cross = strips["testvideo>chaplin"]
    assert (cross.type, cross.frame_final_start, cross.frame_final_end) == ("CROSS", 47, 57)
    assert cross.input_1.name == "testvideo.speed" and cross.input_2.name == "chaplin.speed"
    sound = strips["titanic.002"]
    assert (sound.type, sound.frame_final_start, sound.frame_final_end) == ("SOUND", 1, 31)
    stem = strips["titanic dialog stem"]
    assert (stem.type, stem.frame_final_start, stem.frame_final_end, stem.mute) == ("SOUND", 1, 31, True)
    assert not sound.mute
    assert [(m.frame, m.name) for m in scene.timeline_markers] == [(11, "beat here")]
    assert t["autoedit_decision_id"] == "d1" and t["autoedit_reason"] == "reason for titanic"
    assert t.color_tag == "COLOR_05"
    assert scene.frame_start == 1 and scene.frame_end == 79


def test_dialog_fades_are_volume_keys_at_its_ends(applied) -> None:
    # the engine's 10 ms fades (issue 13) as one-frame ramps: silent on the first frame and after the last
    bpy, scene = applied
    sound = {s.name: s for s in scene.sequence_editor.strips_all}["titanic.002"]
    levels = {}
    for frame in (1, 2, 15, 30, 31):
        scene.frame_set(frame)
        levels[frame] = round(sound.volume, 4)
    assert levels == {1: 0.0, 2: 1.0, 15: 1.0, 30: 1.0, 31: 0.0}


def test_pictures_at_cuts_are_the_planned_source_frames(applied, media: Path, decode, render) -> None:
    bpy, scene = applied
    scene.view_settings.view_transform = "Standard"
    scene.render.resolution_percentage = 50
    size = (scene.render.resolution_x // 2, scene.render.resolution_y // 2)
    # (scene frame, file, file frame): the cut frames, and inside the 1.25x clip where 4 scene frames
    # are exactly 5 file frames
    checks = [
        (1, TITANIC, 40),
        (30, TITANIC, 69),
        (31, TESTVIDEO, 210),
        (35, TESTVIDEO, 215),
        (39, TESTVIDEO, 220),
    ]
    for frame, rel, expected in checks:
        got = render(scene, frame)
        reference = decode(media / rel, size, list(range(expected - 2, expected + 3)))
        distance = {k: float(np.abs(got - v.astype(np.float32)).mean()) for k, v in reference.items()}
        # the planned frame matches best (ties: the source repeats frames); some neighbour differs clearly,
        # so an off-by-one would show
        assert distance[expected] <= min(distance.values()) + 1e-3, (frame, rel, distance)
        assert max(distance.values()) > distance[expected] + 1.0, (frame, rel, distance)


def test_one_undo_removes_the_edit(applied) -> None:
    bpy, _scene = applied
    assert "Applied" in bpy.data.scenes
    assert bpy.ops.ed.undo() == {"FINISHED"}
    assert "Applied" not in bpy.data.scenes
    assert [s.name for s in bpy.data.scenes] == ["Scene"]


def test_channels_mode_leaves_the_users_strips_alone(fresh_file, media: Path, timeline_file: Path) -> None:
    bpy = fresh_file
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.001
    editor = scene.sequence_editor_create()
    user = editor.strips.new_movie(name="mine", filepath=str(media / CHAPLIN), channel=1, frame_start=1)
    user.frame_final_end = 90
    user_sound = editor.strips.new_sound(
        name="mine-sound", filepath=str(media / CHAPLIN), channel=2, frame_start=1
    )
    fields = (
        "channel",
        "frame_start",
        "frame_final_start",
        "frame_final_end",
        "frame_offset_start",
        "frame_offset_end",
        "mute",
        "select",
    )
    before = {s.name: tuple(getattr(s, f) for f in fields) for s in (user, user_sound)}
    bpy.ops.ed.undo_push(message="start")
    bpy.ops.ed.undo_push(message="before Auto Edit")
    assert bpy.ops.autoedit.import_otio(filepath=str(timeline_file), target="CHANNELS") == {"FINISHED"}
    strips = {s.name: s for s in editor.strips_all}
    assert {s: tuple(getattr(strips[s], f) for f in fields) for s in before} == before
    added = [s for s in strips.values() if s.name not in before]
    # 3 movies, 2 speed, 1 sound, 1 muted stem sound, 1 cross
    assert len(added) == 8 and min(s.channel for s in added) == 3
    assert bpy.ops.ed.undo() == {"FINISHED"}
    editor = bpy.context.scene.sequence_editor
    assert sorted(s.name for s in editor.strips_all) == ["mine", "mine-sound"]


def test_reframe_shows_the_crop_box_in_a_vertical_scene(
    fresh_file, media: Path, decode, render, tmp_path: Path
) -> None:
    """A 9:16 edit with the engine's crop metadata: the rendered frame is the box, not the whole frame."""
    import opentimelineio as otio

    bpy = fresh_file
    rt, tr = otio.opentime.RationalTime, otio.opentime.TimeRange
    rate = 2997 / 125
    box = (0.6, 0.0, 0.3169, 1.0)  # right side of the 426x240 frame, 9:16
    ref = otio.schema.ExternalReference(
        target_url=str(media / TITANIC), available_range=tr(rt(0, rate), rt(482, rate))
    )
    meta = {
        "autoedit": {
            "decision_id": "r1",
            "reason": "face on the right",
            "reframe": {"aspect": "9:16", "crop": list(box)},
        }
    }
    timeline = otio.schema.Timeline(name="Vertical", global_start_time=rt(0, rate))
    timeline.metadata["autoedit"] = {"timeline_id": "tl-v", "spec": {"aspect": "9:16"}}
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    track.append(
        otio.schema.Clip(
            name="v", media_reference=ref, source_range=tr(rt(100, rate), rt(24, rate)), metadata=meta
        )
    )
    timeline.tracks.append(track)
    path = tmp_path / "vertical.otio"
    otio.adapters.write_to_file(timeline, str(path))
    assert bpy.ops.autoedit.import_otio(filepath=str(path), target="NEW_SCENE") == {"FINISHED"}
    scene = bpy.data.scenes["Vertical"]
    assert (scene.render.resolution_x, scene.render.resolution_y) == (1080, 1920)
    scene.view_settings.view_transform = "Standard"
    scene.render.resolution_percentage = 10
    got = render(scene, 1)
    size = (got.shape[1], got.shape[0])
    wanted = decode(media / TITANIC, size, [100], crop=box)[100].astype(np.float32)
    elsewhere = decode(media / TITANIC, size, [100], crop=(0.0, 0.0, 0.3169, 1.0))[100].astype(np.float32)
    assert np.abs(got - wanted).mean() < 0.5 * np.abs(got - elsewhere).mean()
    assert np.abs(got - wanted).mean() < 6.0
