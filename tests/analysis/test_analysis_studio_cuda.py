"""The studio profile's device code: TransNetV2 and Demucs through the same code on the CPU and on CUDA.

Each test runs once per device. The `cpu` runs always run (the studio settings with `device: cpu`):
they cover the device code itself. The `cuda` runs need a GPU; without one they skip, with the reason
in the test summary (the only skips allowed), and they are not counted as coverage of the CPU path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.analysis.runner import analyse_file
from engine.config import load_config
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / ".." / "shared" / "media" / "video_cuts" / "pyscenedetect_testvideo.mp4"
DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(
            not torch.cuda.is_available(),
            reason="no CUDA device here: the studio profile's device: cuda tests need a GPU",
        ),
    ),
]


def _studio(device: str, **env: str):
    # on the CPU the studio shots run in float32 like the reference run (int8 is a CPU speed setting)
    extra = (
        {"AUTOEDIT__DEVICE": "cpu", "AUTOEDIT__ANALYSIS__SHOTS_PRECISION": "float32"}
        if device == "cpu"
        else {}
    )
    return load_config(profile="studio", environ={**extra, **env})


@pytest.mark.parametrize("device", DEVICES)
def test_studio_shots_on_the_device_match_the_cpu_in_float32(tmp_path, device):
    studio = _studio(device)
    cpu = load_config(
        environ={
            "AUTOEDIT__DEVICE": "cpu",
            "AUTOEDIT__ANALYSIS__SHOTS_BACKEND": "transnetv2",  # the embedded default is the student
            "AUTOEDIT__ANALYSIS__SHOTS_PRECISION": "float32",
        }
    )
    assert studio.profile == "studio" and studio.torch_device() == device
    on_device = analyse_file(CLIP, studio, tmp_path / device, Job(), fields=["shots"])
    on_cpu = analyse_file(CLIP, cpu, tmp_path / "cpu-embedded", Job(), fields=["shots"])
    assert on_device.models["shots"] == on_cpu.models["shots"]  # the same model, the same code
    frame = 1001 / 30000
    device_cuts, cpu_cuts = [s.start for s in on_device.shots[1:]], [s.start for s in on_cpu.shots[1:]]
    assert device_cuts and len(device_cuts) == len(cpu_cuts)
    assert all(abs(a - b) <= frame for a, b in zip(device_cuts, cpu_cuts, strict=True))


@pytest.mark.parametrize("device", DEVICES)
def test_studio_demucs_separates_on_the_device(tmp_path, device):
    import numpy as np

    from engine.analysis.stems import DemucsSeparator, separator_for

    from .test_analysis_audio_stems import build_tiny_demucs  # the same tiny model as the CPU test

    repo = build_tiny_demucs(tmp_path / "demucs")
    config = _studio(device, AUTOEDIT__MODELS__SEPARATION__PATH=str(repo))
    assert config.models.separation is not None
    chosen = separator_for(config)  # what the analyser builds from the profile: Demucs on that device
    assert isinstance(chosen, DemucsSeparator) and chosen.device == device
    mix = (np.random.default_rng(0).standard_normal((2, 3 * 44100)) * 0.1).astype(np.float32)
    stems = chosen.separate(mix, Job())
    assert {"drums", "bass", "other", "vocals"} <= set(stems)
    assert all(s.shape == mix.shape and s.dtype == np.float32 for s in stems.values())
    assert all(np.isfinite(s).all() for s in stems.values())
