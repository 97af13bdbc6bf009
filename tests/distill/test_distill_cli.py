"""`autoedit distill` end to end on a tiny generated folder: weights + card, resume, bad input, faces."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from engine.analysis import shot_student
from engine.distill.shots import CARD_NAME, WEIGHTS_NAME
from engine.synthetic import write_cuts


@pytest.fixture(scope="module")
def tiny_footage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two short generated clips with hard cuts (footage) and a third with known cuts (truth file)."""
    root = tmp_path_factory.mktemp("footage")
    folder = root / "clips"
    write_cuts(folder / "a.mp4", Fraction(25), [20, 45], 70, tones=False, size=(160, 90))
    write_cuts(folder / "nested" / "b.mov", Fraction(24000, 1001), [30], 60, tones=False, size=(160, 90))
    truth = write_cuts(root / "held" / "c.mp4", Fraction(25), [25], 50, tones=False, size=(160, 90))
    truth_file = root / "truth.json"
    truth_file.write_text(json.dumps({"clips": [{"path": "held/c.mp4", "cuts": truth.cut_times}]}))
    return folder, truth_file


def test_distil_shots_writes_loadable_weights_and_card_and_a_rerun_runs_no_teacher(
    autoedit, tiny_footage, tmp_path
):
    folder, truth_file = tiny_footage
    data = tmp_path / "data"
    args = ("distill", "shots", folder, "-o", tmp_path / "out", "--steps", "30", "--splices", "12")
    first = autoedit(*args, "--truth", truth_file, "--data-dir", data, timeout=900)
    assert first.returncode == 0, first.stderr
    assert "teacher" in first.stderr  # progress, stage by stage
    card = json.loads((tmp_path / "out" / CARD_NAME).read_text())
    assert card["teacher_runs_this_call"] == 2 + 12 + 1  # clips, splices, the truth clip
    assert {c["file"] for c in card["data"]["clips"]} == {"a.mp4", "b.mov"}
    assert card["data"]["ground_truth_clips_kept_out_of_training"] == ["c.mp4"]
    assert card["training"]["steps"] == 30 and card["learning_curve"][-1]["step"] == 30
    assert card["f1_vs_truth"]["ground_truth_clips"]["teacher"] is not None
    network, meta = shot_student.load_student(tmp_path / "out" / WEIGHTS_NAME)
    assert meta["teacher"] == card["teacher"]["id"] and meta["threshold"] == card["threshold"]
    # the same folder again: everything the teacher said comes from the store
    second = autoedit(*args, "--truth", truth_file, "--data-dir", data, timeout=900)
    assert second.returncode == 0, second.stderr
    again = json.loads((tmp_path / "out" / CARD_NAME).read_text())
    assert again["teacher_runs_this_call"] == 0
    assert again["data"] == card["data"]


def test_distilled_weights_serve_as_the_shots_backend(autoedit, tiny_footage, tmp_path):
    folder, _ = tiny_footage
    out = tmp_path / "student"
    made = autoedit("distill", "shots", folder, "-o", out, "--steps", "10", "--splices", "6", timeout=900)
    assert made.returncode == 0, made.stderr
    env = {
        "AUTOEDIT__ANALYSIS__SHOTS_BACKEND": "student",
        "AUTOEDIT__MODELS__SHOT_STUDENT": json.dumps(
            {"name": "my-student", "source": "path", "path": str(out), "file": WEIGHTS_NAME}
        ),
    }
    report = tmp_path / "report.json"
    ran = autoedit("analyze", folder / "a.mp4", "-o", report, env=env, timeout=600)
    assert ran.returncode == 0, ran.stderr
    media = json.loads(report.read_text())["media"][0]
    assert media["models"]["shots"].startswith("shot-student@")
    assert media["shots"][0]["start"] == 0.0 and media["shots"][-1]["end"] == pytest.approx(media["duration"])


@pytest.mark.parametrize("case", ["missing", "empty", "broken"])
def test_bad_footage_exits_2_naming_it(autoedit, tmp_path, case):
    if case == "missing":
        target = tmp_path / "no-such-folder"
    elif case == "empty":
        target = tmp_path / "empty"
        target.mkdir()
        (target / "notes.txt").write_text("no video here")
    else:
        target = tmp_path / "broken"
        target.mkdir()
        (target / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    result = autoedit("distill", "shots", target, "-o", tmp_path / "out", "--data-dir", tmp_path / "data")
    assert result.returncode == 2, result.stderr
    named = target / "clip.mp4" if case == "broken" else target
    assert str(named) in result.stderr.replace("\n", "")
    assert not (tmp_path / "out" / WEIGHTS_NAME).exists()


def test_distil_faces_says_it_is_not_built_instead_of_faking_it(autoedit, tiny_footage):
    folder, _ = tiny_footage
    result = autoedit("distill", "faces", folder)
    assert result.returncode == 1
    assert "no MediaPipe-face student is built yet" in result.stderr
