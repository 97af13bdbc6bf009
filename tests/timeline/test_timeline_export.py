"""Exports through the OTIO adapters re-read with cut points within one frame: 23.976, 25, 29.97, VFR."""

from __future__ import annotations

import pytest

from bridge.formats import EXPORT_FORMATS

from engine.analysis.runner import analyse_files
from engine.config import load_config
from engine.editing import MediaRef, run_edit
from engine.progress import Job
from engine.timeline.export import export_string, export_timeline, read_timeline

CLIPS = ["cuts_23976", "cuts_25", "cuts_2997", "vfr"]


@pytest.fixture(scope="module")
def config():
    return load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})


@pytest.fixture(scope="module")
def analysed(synthetic, config, engine_data_dir):
    """The real analysis (probe + shots) of each generated clip."""
    paths = [str(synthetic[name].path) for name in CLIPS]
    report = analyse_files(paths, config, engine_data_dir, Job(), fields=["shots"])
    assert not report.errors, report.errors
    return {name: m for name, m in zip(CLIPS, report.media, strict=True)}


def _edit(media, config, data_dir, start_timecode=0.0):
    media = media.model_copy(update={"start_timecode": start_timecode})
    from engine.analysis.report import AnalysisReport

    return run_edit([MediaRef(media.path)], "a 3 second highlight reel", config, data_dir, Job(),
                    analysis=AnalysisReport(media=[media]))  # fmt: skip


def _cuts(timeline):
    """(record start, source start, duration) in frames of each clip on the first video track."""
    video = [t for t in timeline.tracks if t.kind == "Video"][0]
    out = []
    for clip in video.find_clips():
        rate = clip.source_range.start_time.rate
        out.append(
            (
                clip.range_in_parent().start_time.rescaled_to(rate).value,
                clip.source_range.start_time.value,
                clip.source_range.duration.value,
                rate,
            )
        )
    return out


@pytest.mark.parametrize("name", CLIPS)
@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_cut_points_survive_each_format(analysed, config, tmp_path, name, fmt):
    media = analysed[name]
    result = _edit(media, config, tmp_path / "data", start_timecode=3600.0 if name == "cuts_25" else 0.0)
    original = _cuts(result.timeline)
    assert len(original) >= 2, "need at least one cut to check"
    rate = original[0][3]
    if media.variable_frame_rate:  # conformed to the editorial rate nearest its average (27 fps -> 25)
        assert rate in (25.0, 30000 / 1001, 30.0)
    else:  # the source's own rate, exact, not a rounded one
        assert abs(rate - media.rate[0] / media.rate[1]) < 1e-9
    for _rec, src, dur, _ in original:
        assert float(src).is_integer() and float(dur).is_integer()  # snapped to frames
    path = export_timeline(
        result.timeline,
        tmp_path / f"edit.{ {'otio': 'otio', 'fcpxml': 'fcpxml', 'fcp7': 'xml', 'edl': 'edl'}[fmt] }",
        fmt,
    )
    back = _cuts(read_timeline(path, fmt, rate=rate))
    assert len(back) == len(original)
    for (r0, s0, d0, _), (r1, s1, d1, rate1) in zip(original, back, strict=True):
        scale = rate / rate1
        assert abs(r0 - r1 * scale) <= 1 and abs(s0 - s1 * scale) <= 1 and abs(d0 - d1 * scale) <= 1, (
            fmt,
            original,
            back,
        )


def test_start_timecode_is_honoured(analysed, config, tmp_path):
    media = analysed["cuts_25"]
    plain = _cuts(_edit(media, config, tmp_path / "a").timeline)
    hour = _cuts(_edit(media, config, tmp_path / "b", start_timecode=3600.0).timeline)
    assert [s1 - s0 for (_, s0, _, _), (_, s1, _, _) in zip(plain, hour, strict=True)] == [90000] * len(plain)
    edl = export_string(_edit(media, config, tmp_path / "c", start_timecode=3600.0).timeline, "edl")
    assert " 01:00:" in edl


def test_otio_keeps_metadata_and_every_track(analysed, config, tmp_path):
    result = _edit(analysed["cuts_23976"], config, tmp_path / "data")
    back = read_timeline(export_timeline(result.timeline, tmp_path / "e.otio"))
    assert back.metadata["autoedit"]["timeline_id"] == result.timeline_id
    assert [t.name for t in back.tracks] == [t.name for t in result.timeline.tracks]
    clip = next(iter(back.tracks[0].find_clips()))
    assert set(clip.metadata["autoedit"]) >= {"decision_id", "reason", "score", "features"}
    assert (
        clip.markers
        and clip.markers[0].metadata["autoedit"]["decision_id"] == clip.metadata["autoedit"]["decision_id"]
    )


def test_the_fcpxml_fix_is_needed_and_undone(analysed, config, tmp_path):
    """The stock fcpx adapter cannot write 23.976; ours can, and leaves the adapter as it found it."""
    import opentimelineio as otio

    result = _edit(analysed["cuts_23976"], config, tmp_path / "data")
    with pytest.raises(ValueError):
        otio.adapters.write_to_string(result.timeline, adapter_name="fcpx_xml")
    text = export_string(result.timeline, "fcpxml")
    assert 'frameDuration="1001/24000s"' in text
    with pytest.raises(ValueError):
        otio.adapters.write_to_string(result.timeline, adapter_name="fcpx_xml")
