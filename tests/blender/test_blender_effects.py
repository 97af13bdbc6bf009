"""Effects in real Blender: a timeline with black and white, a vignette and a punch-in, imported
through the add-on's operator, renders the same pictures as the engine's preview functions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from .conftest import ENGINE_PYTHON

FACE = "talking_head/video_retalking/face_1.mp4"
FIRST, COUNT = 10, 24
CHECK = [0, 11, 23]


@pytest.fixture(scope="module")
def reference(media: Path, tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("fx")
    otio_path, npz = out / "fx.otio", out / "fx.npz"
    return otio_path, npz


def test_black_and_white_vignette_punch_in_render_like_the_preview(
    fresh_file, media: Path, reference, render
) -> None:
    bpy = fresh_file
    otio_path, npz = reference
    probe = bpy.data.movieclips.load(str(media / FACE))
    width, height = probe.size
    bpy.data.movieclips.remove(probe)
    argv = [str(ENGINE_PYTHON), str(Path(__file__).with_name("effects_reference.py")), "looks", str(media / FACE)]
    argv += [
        str(otio_path),
        str(npz),
        str(width // 2),
        str(height // 2),
        str(FIRST),
        str(COUNT),
        *map(str, CHECK),
    ]
    repo = Path(__file__).resolve().parents[2]
    subprocess.run(argv, check=True, capture_output=True, text=True, cwd=repo, env={"PYTHONPATH": str(repo)})
    assert bpy.ops.autoedit.import_otio(filepath=str(otio_path), target="NEW_SCENE") == {"FINISHED"}
    scene = bpy.data.scenes["Effects"]
    scene.view_settings.view_transform = "Standard"
    scene.render.resolution_percentage = 50
    strips = {s.name: s for s in scene.sequence_editor.strips_all}
    face = strips["face"]
    assert face.color_saturation == 0.0 and face.transform.scale_x == pytest.approx(1.4, abs=1e-3)
    assert strips["face.vignette"].blend_type == "MULTIPLY"
    expected = np.load(npz)
    plain_diff = []
    for j in CHECK:
        got = render(scene, 1 + j)
        want = expected[f"f{j}"].astype(np.float32)
        assert got.shape == want.shape
        error = np.abs(got - want)
        assert error.mean() < 2.5 and np.percentile(error, 99) < 16, (
            j,
            error.mean(),
            np.percentile(error, 99),
        )
        plain_diff.append(float(np.abs(got - np.roll(want, 8, axis=1)).mean()))
        print(f"frame {j}: mean |blender - preview| {error.mean():.2f}, p99 {np.percentile(error, 99):.1f}")
    assert min(plain_diff) > 4 * 2.5  # a picture shifted by 8 px is clearly further off: the check can fail


MAKE_CLIP = (
    "import sys; from fractions import Fraction; from pathlib import Path; from engine.synthetic import write_cuts;"
    "write_cuts(Path(sys.argv[1]), Fraction(25), list(range(1, 48)), 48, size=(320, 180))"
)  # a new picture every frame, so a wrong source frame shows


@pytest.mark.parametrize(
    ("effect_set", "check", "control"),
    [("speed", [0, 7, 19], "MULTIPLY"), ("ramp", [0, 8, 16, 20], "FRAME_NUMBER")],  # ramp keys every 4 frames
)
def test_speed_and_ramp_show_the_preview_frames(
    fresh_file, tmp_path: Path, render, effect_set: str, check: list[int], control: str
) -> None:
    bpy = fresh_file
    otio_path, npz, clip = tmp_path / "speed.otio", tmp_path / "speed.npz", tmp_path / "frames.mp4"
    repo = Path(__file__).resolve().parents[2]
    env = {"PYTHONPATH": str(repo)}
    subprocess.run([str(ENGINE_PYTHON), "-c", MAKE_CLIP, str(clip)], check=True, cwd=repo, env=env)
    first, count = 4, 21
    argv = [str(ENGINE_PYTHON), str(Path(__file__).with_name("effects_reference.py")), effect_set]
    argv += [str(clip), str(otio_path), str(npz), "320", "180", str(first), str(count), *map(str, check)]
    subprocess.run(argv, check=True, capture_output=True, text=True, cwd=repo, env=env)
    assert bpy.ops.autoedit.import_otio(filepath=str(otio_path), target="NEW_SCENE") == {"FINISHED"}
    scene = bpy.data.scenes["Effects"]
    scene.view_settings.view_transform = "Standard"
    scene.render.resolution_percentage = 100
    strips = {s.name: s for s in scene.sequence_editor.strips_all}
    assert strips["face.speed"].speed_control == control
    assert "speed" in strips["face"].get("autoedit_effects_preview_only", "")  # the sound is not sped up
    expected = np.load(npz)
    for j in check:
        got = render(scene, 1 + j)
        want = expected[f"f{j}"].astype(np.float32)
        error = np.abs(got - want).mean()
        assert error < 2.5, (j, error)
        if j:  # the frame a plain cut would show there is clearly another picture: the check can fail
            plain = render_plain(bpy, strips["face.speed"], scene, 1 + j, render)
            assert np.abs(plain - want).mean() > 4 * 2.5, j
        print(f"{effect_set} frame {j}: mean |blender - preview| {error:.2f}")


def render_plain(bpy, speed, scene, frame: int, render) -> np.ndarray:
    """The picture with the speed strip muted (the movie at normal speed)."""
    speed.mute = True
    try:
        return render(scene, frame)
    finally:
        speed.mute = False
