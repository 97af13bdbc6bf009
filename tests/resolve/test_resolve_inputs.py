"""What the editor gives the host (dialog strings, selected clips, the current timeline) and the errors
they get back when something is missing. No engine needed."""

from __future__ import annotations

from fractions import Fraction

import pytest
from autoedit_resolve import dialog, media_refs, resolve_host
from autoedit_resolve.errors import HostError

from .fake_resolve import FakeResolve


@pytest.mark.parametrize(
    ("text", "seconds"), [("", None), ("30", 30.0), ("12.5s", 12.5), ("1:30", 90.0), (" 45 sec", 45.0)]
)
def test_durations_as_editors_type_them(text, seconds):
    assert dialog.parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"prompt": "  "}, "Type a prompt"),
        ({"prompt": "reel", "duration": "half a minute"}, "not a number of seconds"),
        ({"prompt": "reel", "aspect": "2:1"}, "Aspect must be one of"),
        ({"prompt": "reel", "source": "3"}, "Media source must be"),
        ({"prompt": "reel", "seed": "lucky"}, "Seed must be a whole number"),
    ],
)
def test_bad_dialog_values_say_what_to_fix(values, message):
    with pytest.raises(HostError, match=message):
        dialog.request_from_values(values)


def test_dialog_values_become_job_options_and_old_resolve_asks_for_fcp7():
    request = dialog.request_from_values(
        {
            "prompt": " reel ",
            "source": "2",
            "duration": "0:20",
            "aspect": "9:16",
            "style": "calm",
            "music": "/m/song.wav",
        }
    )
    assert request.source == media_refs.CURRENT_TIMELINE
    assert request.options("otio") == {
        "seed": 0,
        "captions": False,
        "target_duration": 20.0,
        "aspect": "9:16",
        "style": "calm",
        "music": "/m/song.wav",
    }
    assert request.options("fcp7")["exports"] == ["fcp7"]


def test_selected_clips_with_in_out_marks_become_media_refs(edit_media):
    resolve = FakeResolve()
    pool = resolve.GetProjectManager().GetCurrentProject().GetMediaPool()
    pool.ui_select(edit_media, marks={edit_media[1]: (24, 71)})  # 23.976 clip: frames 24..71 shown
    refs = media_refs.collect(resolve, media_refs.SELECTED_CLIPS)
    assert refs[0] == {"path": edit_media[0], "in": None, "out": None}
    assert refs[1]["path"] == edit_media[1]
    assert refs[1]["in"] == pytest.approx(float(Fraction(24 * 1001, 24000)))
    assert refs[1]["out"] == pytest.approx(float(Fraction(72 * 1001, 24000)))


def test_current_timeline_items_become_media_refs_with_their_source_ranges(edit_media):
    resolve = FakeResolve()
    resolve.add_timeline("My cut", Fraction(25), [(edit_media[0], 25, 75), (edit_media[1], 48, 96)])
    refs = media_refs.collect(resolve, media_refs.CURRENT_TIMELINE)
    assert refs[0] == {"path": edit_media[0], "in": 1.0, "out": 3.0}
    assert refs[1]["in"] == pytest.approx(48 * 1001 / 24000) and refs[1]["out"] == pytest.approx(
        96 * 1001 / 24000
    )


def test_missing_project_selection_or_timeline_are_explained():
    with pytest.raises(HostError, match="No project is open"):
        media_refs.collect(FakeResolve(with_project=False), media_refs.SELECTED_CLIPS)
    with pytest.raises(HostError, match="No media files are selected"):
        media_refs.collect(FakeResolve(), media_refs.SELECTED_CLIPS)
    with pytest.raises(HostError, match="no current timeline"):
        media_refs.collect(FakeResolve(), media_refs.CURRENT_TIMELINE)


def test_new_timeline_names_never_collide(edit_media):
    resolve = FakeResolve()
    for name in ("Cut", "Cut 2"):
        resolve.add_timeline(name, Fraction(25), [(edit_media[0], 0, 10)])
    project = resolve.GetProjectManager().GetCurrentProject()
    assert resolve_host.unique_timeline_name(project, "Cut") == "Cut 3"
    assert resolve_host.unique_timeline_name(project, "Other") == "Other"
    assert resolve_host.supports_otio_import(FakeResolve(version=(18, 5, 0)))
    assert not resolve_host.supports_otio_import(FakeResolve(version=(18, 1, 4)))
