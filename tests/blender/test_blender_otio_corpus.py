"""File > Import / Export OpenTimelineIO over the corpus OTIO reads: every cut back on the same frame.

Media in the corpus is not on this machine: those clips come in as grey colour strips that keep the
clip's source range, so the round trip still goes through real strips and back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

NLE = Path(__file__).resolve().parents[2] / ".." / "shared" / "media" / "nle"


def test_import_export_round_trip_keeps_cuts(fresh_file, tmp_path: Path) -> None:
    bpy = fresh_file
    import opentimelineio as otio
    from blender_mapping.cuts import clip_cuts, corpus, exported_cuts

    from addon_blender import vse_model

    files = corpus(NLE.resolve())
    assert len(files) >= 30
    checked = 0
    for path in files:
        original = otio.adapters.read_from_file(str(path))
        before = {s.name for s in bpy.data.scenes}
        assert bpy.ops.autoedit.import_otio(filepath=str(path), target="NEW_SCENE") == {"FINISHED"}, path
        (scene_name,) = {s.name for s in bpy.data.scenes} - before
        scene = bpy.data.scenes[scene_name]
        rate = vse_model.rate_from_blender(scene.render.fps, scene.render.fps_base)
        out = tmp_path / f"{path.stem}.otio"
        with bpy.context.temp_override(scene=scene):
            assert bpy.ops.autoedit.export_otio(filepath=str(out)) == {"FINISHED"}, path
        back = otio.adapters.read_from_file(str(out))
        expected, got = clip_cuts(original, rate), exported_cuts(back, rate)
        assert sorted(got) == sorted(expected), path.name
        bpy.data.scenes.remove(scene)
        checked += 1
    assert checked == len(files)


@pytest.mark.parametrize("file_format,suffix", [("fcp7", ".xml"), ("edl", ".edl")])
def test_export_through_other_adapters_reads_back(
    fresh_file, tmp_path: Path, file_format: str, suffix: str
) -> None:
    bpy = fresh_file
    import opentimelineio as otio

    source = NLE / "otio_core_pre_split" / "simple_cut.otio"
    assert bpy.ops.autoedit.import_otio(filepath=str(source), target="NEW_SCENE") == {"FINISHED"}
    scene = next(s for s in bpy.data.scenes if s.name != "Scene")
    out = tmp_path / f"cut{suffix}"
    with bpy.context.temp_override(scene=scene):
        assert bpy.ops.autoedit.export_otio(filepath=str(out), file_format=file_format) == {"FINISHED"}
    back = otio.adapters.read_from_file(str(out), **({"rate": 24} if suffix == ".edl" else {}))
    original = otio.adapters.read_from_file(str(source))
    assert _cuts(back) == _cuts(original)


def _cuts(timeline) -> list[tuple[int, int]]:
    return [
        (c.range_in_parent().start_time.to_frames(), c.duration().to_frames()) for c in timeline.find_clips()
    ]
