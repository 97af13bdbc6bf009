"""Real Blender (the `bpy` module, headless) with the built extension installed, a real engine on
loopback, and independent frame decoding with the engine's venv. Run with .venv-blender:

    .venv-blender/bin/pytest tests/blender

HOME and BLENDER_USER_RESOURCES point at a temp dir before bpy is imported, so nothing touches the
user's Blender setup. In module mode timers and modal operators never run: tests call
engine_link.poll_step() where Blender's event loop would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / ".." / "shared" / "media"
ENGINE_PYTHON = REPO / ".venv" / "bin" / "python"
AUTOEDIT = REPO / ".venv" / "bin" / "autoedit"

_HOME = Path(tempfile.mkdtemp(prefix="autoedit-blender-home-"))
os.environ["HOME"] = str(_HOME)
os.environ["BLENDER_USER_RESOURCES"] = str(_HOME / "blender")


def pytest_sessionfinish(session, exitstatus) -> None:  # noqa: ARG001
    """The temp Blender home (installed extension, spools) goes when the session ends."""
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def addon_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension built from this checkout, from the wheel cache that the set-up filled."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, str(REPO / "build_addon.py"), "--offline", "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(
            f"build_addon.py --offline failed (run `python build_addon.py` once to fill .wheels/):\n{result.stderr}"
        )
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def bpy_addon(addon_zip: Path):
    """bpy with the extension installed from the zip and enabled (its wheels give otio and pyzmq)."""
    import bpy

    result = bpy.ops.extensions.package_install_files(
        filepath=str(addon_zip), repo="user_default", enable_on_install=True
    )
    assert result == {"FINISHED"}
    assert hasattr(bpy.types.Scene, "autoedit"), "the extension did not register"
    return bpy


@pytest.fixture(scope="session")
def addon_module(bpy_addon):
    import importlib

    return importlib.import_module("bl_ext.user_default.autoedit")


@pytest.fixture()
def fresh_file(bpy_addon):
    """An empty factory-settings file per test (the extension stays enabled)."""
    bpy = bpy_addon
    bpy.ops.wm.read_homefile(use_empty=True)
    yield bpy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def media() -> Path:
    root = MEDIA.resolve()
    if not (root / "MANIFEST.tsv").is_file():
        pytest.fail(f"shared media missing at {root}")
    return root


@pytest.fixture(scope="session")
def decode(tmp_path_factory: pytest.TempPathFactory):
    """decode(path, size, frames) -> {index: HxWx3 uint8}, by PyAV in the engine's venv."""
    import numpy as np

    out_dir = tmp_path_factory.mktemp("decoded")

    def run(
        path: Path, size: tuple[int, int], frames: list[int], crop: tuple[float, ...] | None = None
    ) -> dict[int, np.ndarray]:
        box = ",".join(map(str, crop)) if crop else ""
        out = out_dir / f"{path.stem}-{size[0]}x{size[1]}-{box}-{'-'.join(map(str, sorted(set(frames))))}.npz"
        if not out.exists():
            argv = [
                str(ENGINE_PYTHON),
                str(Path(__file__).with_name("decode_frames.py")),
                str(path),
                str(out),
            ]
            argv += [str(size[0]), str(size[1]), *(["--crop", box] if crop else []), *map(str, frames)]
            subprocess.run(argv, check=True, capture_output=True, text=True)
        data = np.load(out)
        return {int(k[1:]): data[k] for k in data.files}

    return run


if str(REPO) not in sys.path:  # the bpy-free mapping and the shared cut helpers, from this checkout
    sys.path.insert(0, str(REPO))


@pytest.fixture()
def render(bpy_addon, tmp_path: Path):
    """render(scene, frame) -> the sequencer's picture as an HxWx3 float array (0..255), headless."""
    return lambda scene, frame: render_frame(bpy_addon, scene, frame, tmp_path / f"render-{frame}.png")


def render_frame(bpy, scene, frame: int, path: Path):
    import numpy as np

    scene.frame_set(frame)
    scene.render.filepath = str(path)
    scene.render.image_settings.file_format = "PNG"
    bpy.ops.render.render(write_still=True, scene=scene.name)
    image = bpy.data.images.load(str(path))
    try:
        w, h = image.size
        pixels = np.array(image.pixels[:], dtype=np.float32).reshape(h, w, 4)
    finally:
        bpy.data.images.remove(image)
    return pixels[::-1, :, :3] * 255.0
