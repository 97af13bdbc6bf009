"""The sidebar's transcript (issue 13), in real Blender: the selected strip's source as words, kept
where a strip plays them and cut elsewhere (hand trims included), and a word click moves the playhead."""

from __future__ import annotations

from pathlib import Path

import pytest

CHAPLIN = "video_cuts/moviepy/chaplin.mp4"  # 25 fps
WORDS = [  # [text, start s, end s, disfluency kind]
    ["One", 0.2, 0.5, ""],
    ["two.", 1.0, 1.3, ""],
    ["Cut", 2.5, 2.8, ""],
    ["three,", 4.2, 4.6, ""],
    ["um,", 5.0, 5.2, "filler"],
    ["end.", 7.0, 7.3, ""],
]

CUT = {"kind": "aside", "start": 2.5, "end": 2.8, "text": "Cut", "reason": "aside to the crew (cut)"}
STRAY = {"kind": "false_start", "start": 7.0, "end": 7.3, "text": "end.", "reason": '"end." cut off'}


@pytest.fixture()
def scene(fresh_file, media: Path, tmp_path: Path):
    import opentimelineio as otio

    bpy = fresh_file
    rt, tr = otio.opentime.RationalTime, otio.opentime.TimeRange
    path = str((media / CHAPLIN).resolve())
    timeline = otio.schema.Timeline(name="Transcript", global_start_time=rt(0, 25.0))
    timeline.metadata["autoedit"] = {
        "timeline_id": "tl-words", "rate": [25, 1], "transcripts": {path: WORDS}, "speech_removed": [
            {**CUT, "path": path, "record_s": 2.0},  # between the two strips: their join at 2 s
            {**STRAY, "path": path, "record_s": None},  # in a stretch the edit left out anyway
        ],
    }  # fmt: skip
    # the engine's marker for the first (engine/timeline/speech_marks.py)
    timeline.tracks.markers.append(
        otio.schema.Marker(name="aside: Cut", marked_range=tr(rt(50, 25.0), rt(0, 25.0)),
                           color=otio.schema.MarkerColor.RED, metadata={"autoedit": {"note": CUT["reason"]}})
    )  # fmt: skip
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for name, start in (("first", 0), ("second", 100)):  # source 0-2 s, then 4-6 s
        ref = otio.schema.ExternalReference(target_url=path, available_range=tr(rt(0, 25.0), rt(241, 25.0)))
        meta = {"autoedit": {"decision_id": name, "reason": name, "score": 0.5}}
        video.append(
            otio.schema.Clip(
                name=name, media_reference=ref, source_range=tr(rt(start, 25.0), rt(50, 25.0)), metadata=meta
            )
        )
    timeline.tracks.append(video)
    out = tmp_path / "words.otio"
    otio.adapters.write_to_file(timeline, str(out))
    assert bpy.ops.autoedit.import_otio(filepath=str(out), target="NEW_SCENE") == {"FINISHED"}
    return bpy, bpy.data.scenes["Transcript"]


def test_sidebar_shows_kept_and_cut_words_and_a_click_moves_the_playhead(scene, addon_module) -> None:
    bpy, sc = scene
    assert hasattr(bpy.types, "SEQUENCER_PT_autoedit_transcript")
    strips = {s.name: s for s in sc.sequence_editor.strips_all}
    first, second = strips["first"], strips["second"]
    sc.sequence_editor.active_strip = second
    path, words = addon_module.ui.active_transcript(sc)
    assert path and Path(path).name == "chaplin.mp4"
    assert [w.text for w in words] == [w[0] for w in WORDS]
    assert [w.kept for w in words] == [True, True, False, True, True, False]
    s0, s1 = first.frame_final_start, second.frame_final_start
    assert [w.frame for w in words if w.kept] == [s0 + 5, s0 + 25, s1 + 5, s1 + 25]
    assert words[4].kind == "filler"

    um = words[4]
    assert bpy.ops.autoedit.transcript_seek(frame=um.frame) == {"FINISHED"}
    assert sc.frame_current == um.frame

    first.frame_final_end = s0 + 26  # a hand trim: "two." (frames 25-32.5) is now barely heard
    _, trimmed = addon_module.ui.active_transcript(sc)
    assert [w.kept for w in trimmed] == [True, False, False, True, True, False]


def test_what_the_speech_lost_is_a_marker_and_a_list_in_the_sidebar(scene, addon_module) -> None:
    bpy, sc = scene
    assert [(m.frame, m.name) for m in sc.timeline_markers] == [(51, "aside: Cut")]
    strips = {s.name: s for s in sc.sequence_editor.strips_all}
    sc.sequence_editor.active_strip = strips["first"]
    path, _ = addon_module.ui.active_transcript(sc)
    removed = addon_module.ui.active_removed(sc, path)
    assert [(r.label, r.reason, r.frame) for r in removed] == [
        ("aside: Cut", CUT["reason"], 51),
        ("false start: end.", STRAY["reason"], None),
    ]
    assert bpy.ops.autoedit.transcript_seek(frame=removed[0].frame) == {"FINISHED"}
    assert sc.frame_current == 51
    assert addon_module.ui.active_removed(sc, "/elsewhere.mp4") == []


def test_no_transcript_for_a_strip_the_engine_did_not_transcribe(fresh_file, addon_module) -> None:
    bpy = fresh_file
    sc = bpy.context.scene
    assert addon_module.ui.active_transcript(sc) == (None, [])
