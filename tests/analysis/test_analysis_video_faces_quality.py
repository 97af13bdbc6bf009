"""Faces on real talking heads (none on flat generated shots); sharpness and motion where they must be."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.analysis.faces import box_fractions
from engine.analysis.runner import analyse_file
from engine.config import load_config
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
HEADS = REPO / ".." / "shared" / "media" / "talking_head" / "video_retalking"


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.mark.parametrize("clip", ["face_2.mp4", "face_5.mp4"])
def test_faces_found_on_talking_heads(config, engine_data_dir, clip):
    media = analyse_file(HEADS / clip, config, engine_data_dir, Job(), fields=["faces"])
    samples = media.faces
    # face_sample_fps (2/s) over ~5 s, the first at 0 s
    assert len(samples) == pytest.approx(media.duration * config.analysis.face_sample_fps, abs=1.0)
    with_face = [s for s in samples if s.boxes]
    assert len(with_face) >= 0.9 * len(samples)
    for sample in with_face:
        x, y, w, h, score = sample.boxes[0]
        assert x >= 0.0 and y >= 0.0 and x + w <= 1.0 + 1e-6 and y + h <= 1.0 + 1e-6
        assert score >= 0.5
        assert 0.15 <= w <= 0.9 and 0.15 <= h <= 0.9  # a close-up: a large face
        assert 0.2 <= x + w / 2 <= 0.8 and 0.15 <= y + h / 2 <= 0.85  # roughly centred
    assert media.models["faces"].startswith("mediapipe-face-detection")


def test_no_faces_on_flat_generated_shots(synthetic, config, engine_data_dir):
    media = analyse_file(synthetic["cuts_25"].path, config, engine_data_dir, Job(), fields=["faces"])
    assert media.faces and all(not s.boxes for s in media.faces)


def test_boxes_are_clipped_to_the_frame():
    assert box_fractions(-0.1, 0.5, 0.4, 0.7, 0.93) == [
        0.0,
        0.5,
        pytest.approx(0.3),
        pytest.approx(0.5),
        0.93,
    ]


# In a fresh interpreter: whether pyplot was imported depends on what ran before in this one.
_LOAD_FACES = """
import sys
from pathlib import Path
from engine.analysis.faces import load_mediapipe_faces
load_mediapipe_faces(Path("face_detection_short_range.tflite"), 0.5)
loaded = type(sys.modules["matplotlib.pyplot"]).__name__
from mediapipe.python.solutions import drawing_utils
print(loaded, drawing_utils.plt.figure.__module__)
"""


def test_face_detection_loads_without_importing_pyplot_which_still_answers_when_used():
    out = subprocess.run(
        [sys.executable, "-c", _LOAD_FACES], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == ["_ImportedOnUse", "matplotlib.pyplot"]


def test_quality_sharp_textured_shots_and_motion_at_cuts(synthetic, config, engine_data_dir):
    clip = synthetic["cuts_25"]
    media = analyse_file(clip.path, config, engine_data_dir, Job(), fields=["quality"])
    q = media.quality
    assert len(q.times) == len(q.sharpness) == len(q.motion)
    assert len(q.times) == pytest.approx(clip.truth.duration * config.analysis.quality_sample_fps, abs=1.0)
    rate = float(clip.truth.rate)
    shot_of = {}
    for i, t in enumerate(q.times):
        frame = round(t * rate)
        shot_of[i] = next(s for s in clip.truth.shots if s.start_frame <= frame < s.end_frame)
    textured = [q.sharpness[i] for i, s in shot_of.items() if s.textured]
    flat = [q.sharpness[i] for i, s in shot_of.items() if not s.textured]
    assert textured and flat and min(textured) > 10 * max(max(flat), 1.0)
    # motion: zero inside a static shot, clearly non-zero across a cut
    for i in range(1, len(q.times)):
        if shot_of[i] is shot_of[i - 1]:
            assert q.motion[i] < 0.01
        else:
            assert q.motion[i] > 0.02
    assert media.models["quality"].startswith("laplacian-variance")
