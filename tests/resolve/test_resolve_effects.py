"""The effects Resolve's documented API can carry (a CDL node; a static zoom and pan over "fill"
scaling) land on the imported items and show the preview's picture; the rest is named as preview-only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from autoedit_resolve import effects_map, importer
from autoedit_resolve.otio_json import parse_timeline

from engine.effects.library import Effect
from engine.effects.otio import attach
from engine.effects.render import fill_box, grade, saturate, view_box

from .fake_resolve import FakeResolve
from .timelines import engine_timeline

RATE = 25.0


@pytest.fixture
def imported(tmp_path: Path, shared_media: Path):
    face = str(shared_media / "talking_head" / "video_retalking" / "face_2.mp4")
    tl = engine_timeline([(face, RATE, 0, 50), (face, RATE, 50, 50), (face, RATE, 100, 25)])
    clips = tl.video_tracks()[0].find_clips()
    attach(clips[0], [Effect("black_and_white"), Effect("vignette")])
    attach(clips[1], [Effect("grade", {"exposure": 0.5, "contrast": 1.3, "temperature": 0.5})])
    punch = Effect("punch_in", {"scale": 1.5}, data={"centre": [0.7, 0.4]})
    attach(clips[2], [punch, Effect("speed", {"factor": 0.5})])
    path = tmp_path / "engine.otio"
    otio.adapters.write_to_file(tl, str(path))
    resolve = FakeResolve()
    timeline = (
        resolve.GetProjectManager()
        .GetCurrentProject()
        .GetMediaPool()
        .ImportTimelineFromFile(str(path), {"timelineName": "AutoEdit effects"})
    )
    engine = parse_timeline(path.read_text(encoding="utf-8"))
    notes = importer.apply_effects(timeline, engine)
    items = timeline.GetItemListInTrack("video", 1)
    return items, notes, [punch], resolve


def _cdl(cdl: dict[str, str], x: np.ndarray) -> np.ndarray:
    """ASC CDL with saturation 1: out = clamp(x * slope + offset) ** power."""
    slope, offset, power = (
        np.array([float(v) for v in cdl[k].split()], np.float32) for k in ("Slope", "Offset", "Power")
    )
    return np.clip(x * slope + offset, 0.0, 1.0) ** power


def test_colour_effects_become_one_cdl_node_matching_the_preview(imported) -> None:
    items, _notes, _punch, resolve = imported
    assert items[0].cdl is not None and float(items[0].cdl["Saturation"]) == 0.0  # black and white
    graded = items[1].cdl
    assert graded is not None and graded["NodeIndex"] == "1" and float(graded["Saturation"]) == 1.0
    x = np.random.default_rng(5).random((64, 64, 3)).astype(np.float32) * 0.6
    preview = grade(x, 0.5, 1.3, 1.0, 0.5)
    assert np.abs(_cdl(graded, x) - preview).max() < 1e-3
    assert items[2].cdl is None  # no colour effect, no grade call
    assert len(resolve.calls.named("SetCDL")) == 2


def test_a_punch_in_is_a_zoom_and_pan_showing_the_preview_view_box(imported) -> None:
    items, _notes, punch, _resolve = imported
    props = items[2].GetProperty()
    assert props["Scaling"] == effects_map.SCALING_FILL and props["ZoomX"] == props["ZoomY"] == pytest.approx(
        1.5
    )
    width, height = 1920, 1080
    base = fill_box((844, 844), (width, height))
    want = view_box(punch, base, 0.0, 2.0)
    # Resolve's transform inverted: zoom z about the frame centre, then the image moved by (Pan, Tilt) px.
    z = props["ZoomX"]
    shown_w, shown_h = base[2] / z, base[3] / z
    centre_x = base[0] + base[2] / 2 - props["Pan"] / (width * z) * base[2]
    centre_y = base[1] + base[3] / 2 + props["Tilt"] / (height * z) * base[3]
    got = (centre_x - shown_w / 2, centre_y - shown_h / 2, shown_w, shown_h)
    assert got == pytest.approx(want, abs=1e-4)
    assert (
        props["Pan"] < 0 and props["Tilt"] < 0
    )  # the face is right of and above the middle: image left, down
    assert items[0].GetProperty("ZoomX") == 1.0  # untouched where no framing effect was asked for


def test_what_resolve_cannot_set_is_named_for_the_preview(imported) -> None:
    _items, notes, _punch, _resolve = imported
    assert any("vignette" in n and "preview" in n for n in notes)
    assert any("speed" in n for n in notes)
    assert not any("grade" in n or "black_and_white" in n for n in notes)


def test_the_cdl_saturation_is_the_product_of_the_colour_effects() -> None:
    effects = [
        {
            "kind": "grade",
            "params": {"exposure": 0.0, "contrast": 1.0, "saturation": 0.5, "temperature": 0.0},
        },
        {"kind": "black_and_white", "params": {"strength": 0.5}},
    ]
    cdl = effects_map.cdl_for(effects)
    assert cdl is not None and float(cdl["Saturation"]) == pytest.approx(0.25)
    x = np.random.default_rng(1).random((8, 8, 3)).astype(np.float32)
    assert np.allclose(saturate(saturate(x, 0.5), 0.5), saturate(x, 0.25), atol=1e-6)
    assert effects_map.cdl_for([{"kind": "vignette", "params": {}}]) is None
    assert effects_map.resolution("1920x1080") == (1920, 1080) and effects_map.resolution("") == (0, 0)
    assert json.dumps(cdl)  # plain strings, as the README's example
