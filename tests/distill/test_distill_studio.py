"""Studio distillation: a tiny local RT-DETR teacher into the small student, and the missing-weights error."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from tiny_models import save_tiny_rtdetr

from engine.analysis.objects import load_detector
from engine.config import load_config
from engine.distill.studio import CARD_NAME, box_f1, distill_objects
from engine.errors import ModelNotFound
from engine.progress import Job
from engine.synthetic import write_cuts


@pytest.fixture(scope="module")
def tiny_teacher(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained RT-DETR at toy width, saved as a local model directory (no download)."""
    return save_tiny_rtdetr(tmp_path_factory.mktemp("models") / "tiny-rtdetr")


def _config_with(teacher: Path):
    spec = json.dumps({"name": "tiny-rtdetr", "source": "path", "path": str(teacher), "file": None})
    return load_config(environ={"AUTOEDIT__MODELS__OBJECTS": spec, "AUTOEDIT__DEVICE": "cpu"})


def test_objects_student_from_a_local_teacher_loads_as_a_detector_and_reruns_without_the_teacher(
    tiny_teacher, tmp_path
):
    folder = tmp_path / "footage"
    write_cuts(folder / "clip.mp4", Fraction(25), [25], 75, tones=False, size=(160, 90))
    config = _config_with(tiny_teacher)
    out = tmp_path / "student"
    card = distill_objects([folder], out, config, tmp_path / "data", Job(), steps=3)
    assert card["teacher_runs_this_call"] == 1
    assert card["data"]["frames"] == 6 and card["data"]["held_out_frames"] == 1  # 3 s at 2 frames/s
    assert 0.0 <= card["f1_vs_teacher"]["held_out_frames_iou_0.5"] <= 1.0
    assert json.loads((out / CARD_NAME).read_text())["training"]["steps"] == 3
    student = load_detector(out, "cpu")
    boxes, labels = student.detect(write_frame())
    assert all(label in ("face", "person") for label in labels) and len(boxes) == len(labels)
    again = distill_objects([folder], tmp_path / "student2", config, tmp_path / "data", Job(), steps=1)
    assert again["teacher_runs_this_call"] == 0


def write_frame():
    import numpy as np

    return np.full((90, 160, 3), 128, dtype=np.uint8)


def test_without_teacher_weights_the_error_names_the_key_and_the_fix(tmp_path, autoedit):
    with pytest.raises(ModelNotFound, match=r"models\.objects"):
        distill_objects([tmp_path], tmp_path / "out", load_config(), tmp_path / "data", Job())
    result = autoedit("distill", "objects", tmp_path, "--data-dir", tmp_path / "data")
    assert result.returncode == 1 and "objects teacher (RT-DETR)" in result.stderr


def test_box_f1_matches_same_class_boxes_one_to_one():
    teacher = [[[0.1, 0.1, 0.2, 0.2, 0.9, 0], [0.5, 0.5, 0.2, 0.2, 0.8, 1]]]
    assert box_f1(teacher, teacher) == 1.0
    shifted = [[[0.1, 0.1, 0.2, 0.2, 0.9, 1], [0.52, 0.5, 0.2, 0.2, 0.8, 1]]]  # wrong class, good box
    assert box_f1(shifted, teacher) == pytest.approx(0.5)
