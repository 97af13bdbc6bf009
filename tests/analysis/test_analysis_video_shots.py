"""Shot boundaries against exact generated truth and the real clips' stated cuts."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import shared_media

from engine.analysis.runner import analyse_file
from engine.analysis.shots import contained_torch_side_effects, cuts_from_probabilities, load_transnetv2
from engine.config import load_config
from engine.models import locate
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
CUTS = REPO / ".." / "shared" / "media" / "video_cuts"


def _cuts(media) -> list[float]:
    return [shot.start for shot in media.shots[1:]]


def _covers_file(media) -> None:
    assert media.shots[0].start == 0.0
    assert media.shots[-1].end == pytest.approx(media.duration)
    for a, b in zip(media.shots, media.shots[1:], strict=False):
        assert a.end == b.start and a.start < a.end


def f1(found: list[float], truth: list[float], tolerance: float) -> float:
    """Greedy one-to-one matching within `tolerance` seconds."""
    unmatched = list(truth)
    hits = 0
    for t in found:
        best = min(unmatched, key=lambda u: abs(u - t), default=None)
        if best is not None and abs(best - t) <= tolerance + 1e-9:
            unmatched.remove(best)
            hits += 1
    if not found or not truth:
        return float(found == truth)
    precision, recall = hits / len(found), hits / len(truth)
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def config():
    # TransNetV2 itself (the embedded default is the student distilled from it: tests/distill)
    return load_config(environ={"AUTOEDIT__ANALYSIS__SHOTS_BACKEND": "transnetv2"})


@pytest.fixture(scope="module")
def pyscenedetect_config():
    return load_config(environ={"AUTOEDIT__ANALYSIS__SHOTS_BACKEND": "pyscenedetect"})


def test_transnetv2_f1_on_generated_hard_cuts(synthetic, config, engine_data_dir):
    found: list[float] = []
    truth: list[float] = []
    for name in ("cuts_23976", "cuts_25", "cuts_2997", "vfr"):
        clip = synthetic[name]
        media = analyse_file(clip.path, config, engine_data_dir, Job(), fields=["shots"])
        _covers_file(media)
        frame = 1 / float(clip.truth.rate)
        # offset each clip so matches cannot cross clips
        base = len(truth) * 1000.0
        found += [base + t for t in _cuts(media)]
        truth += [base + float(clip.truth.frame_times[s.start_frame]) for s in clip.truth.shots[1:]]
        assert media.models["shots"].startswith("transnetv2@")
    assert f1(found, truth, tolerance=frame) >= 0.95


def test_transnetv2_cuts_on_vfr_goldeneye_at_stated_times(config, engine_data_dir):
    media = analyse_file(
        CUTS / "pyscenedetect_goldeneye-vfr-drop3.mp4", config, engine_data_dir, Job(), fields=["shots"]
    )
    _covers_file(media)
    frame = 1001 / 24000
    assert _cuts(media) == pytest.approx(list(shared_media.GOLDENEYE_VFR_DROP3_CUT_SECONDS), abs=frame)


def test_transnetv2_on_pyscenedetect_testvideo(config, engine_data_dir):
    media = analyse_file(
        CUTS / "pyscenedetect_testvideo.mp4", config, engine_data_dir, Job(), fields=["shots"]
    )
    _covers_file(media)
    frame = 1001 / 30000
    cuts = _cuts(media)
    hard = shared_media.pyscenedetect_cuts("testvideo.mp4")  # [30, 180, 394]
    for cut in hard[:2]:  # the two hard cuts between shots
        assert min(abs(c - cut * frame) for c in cuts) <= frame + 1e-9
    # 394 falls inside a fade from black (the threshold golden starts that scene at 377 and the legacy
    # run's fade-in ends at 400): TransNetV2 marks one boundary within that transition.
    fade_start = shared_media.pyscenedetect_cuts("testvideo.mp4", "ThresholdDetector")[2]  # 377
    assert any(fade_start * frame <= c <= 410 * frame for c in cuts)


def test_pyscenedetect_backend_reproduces_its_goldens(pyscenedetect_config, engine_data_dir):
    testvideo = analyse_file(
        CUTS / "pyscenedetect_testvideo.mp4", pyscenedetect_config, engine_data_dir, Job(), fields=["shots"]
    )
    frame = 1001 / 30000
    cuts = _cuts(testvideo)
    adaptive = shared_media.pyscenedetect_cuts("testvideo.mp4", "AdaptiveDetector")  # [30, 180, 394, 691]
    assert all(min(abs(c - f * frame) for c in cuts) <= frame + 1e-9 for f in adaptive[:3])
    assert len(cuts) <= len(adaptive)
    assert testvideo.models["shots"].startswith("pyscenedetect-adaptive@")
    goldeneye = analyse_file(
        CUTS / "pyscenedetect_goldeneye-vfr-drop3.mp4",
        pyscenedetect_config,
        engine_data_dir,
        Job(),
        fields=["shots"],
    )
    assert _cuts(goldeneye) == pytest.approx(
        list(shared_media.GOLDENEYE_VFR_DROP3_CUT_SECONDS), abs=1001 / 24000
    )


def test_building_transnetv2_leaves_process_state_alone(config):
    import torch

    torch.manual_seed(1234)
    np.random.seed(99)
    random.seed(7)
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.manual_seed(1234)
    np.random.seed(99)
    random.seed(7)
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    load_transnetv2.__wrapped__(
        locate(config.models.shots, "shots"), "cpu"
    )  # a fresh build, not the cached one
    assert torch.are_deterministic_algorithms_enabled() == deterministic
    assert torch.get_num_threads() == threads
    after = (torch.rand(3), np.random.rand(3), random.random())
    assert (
        torch.equal(after[0], expected[0])
        and np.array_equal(after[1], expected[1])
        and after[2] == expected[2]
    )


def test_contained_side_effects_restore_after_a_change():
    import torch

    before = torch.are_deterministic_algorithms_enabled()
    with contained_torch_side_effects():
        torch.use_deterministic_algorithms(not before)
    assert torch.are_deterministic_algorithms_enabled() == before


def test_cut_placed_after_the_peak_of_each_transition():
    probabilities = np.array([0.0, 0.1, 0.9, 0.2, 0.0, 0.6, 0.8, 0.7, 0.1, 0.0])
    times = [i / 10 for i in range(10)]
    assert cuts_from_probabilities(probabilities, times, 0.5) == [
        (0.3, pytest.approx(0.9)),
        (0.7, pytest.approx(0.8)),
    ]
