"""Studio-profile object detection: local weights only, and a clear ModelNotFound when they are absent."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import av
import numpy as np
import pytest
from tiny_models import save_tiny_rtdetr

from engine.analysis.objects import MIN_SCORE, Objects, load_detector
from engine.analysis.runner import analyse_files
from engine.config import CONFIG_DIR, load_config
from engine.errors import ModelNotFound
from engine.progress import Job


def test_missing_weights_name_the_model_the_place_and_the_fix(synthetic, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOEDIT_MODELS", str(tmp_path / "models"))  # the studio profile's model root
    config = load_config(CONFIG_DIR / "studio.yaml", environ={})
    with pytest.raises(ModelNotFound) as caught:
        analyse_files([synthetic["cuts_25"].path], config, tmp_path / "data", Job(), fields=["objects"])
    message = str(caught.value)
    assert "rtdetr-l" in message
    assert str(tmp_path / "models" / "rtdetr-l.pt") in message
    assert "AUTOEDIT__MODELS__OBJECTS__PATH" in message


def test_model_built_from_its_yaml_or_a_clear_missing_package_error(synthetic, tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "rtdetr-l.yaml").write_text("# ultralytics builds RT-DETR-l untrained from its yaml name\n")
    monkeypatch.setenv("AUTOEDIT_MODELS", str(models))
    config = load_config(
        CONFIG_DIR / "studio.yaml", environ={"AUTOEDIT__MODELS__OBJECTS__PATH": str(models / "rtdetr-l.yaml")}
    )
    if importlib.util.find_spec("ultralytics") is None:
        with pytest.raises(ModelNotFound, match="ultralytics") as caught:
            analyse_files([synthetic["cuts_25"].path], config, tmp_path / "data", Job(), fields=["objects"])
        assert "studio" in str(caught.value)
    else:
        report = analyse_files(
            [synthetic["cuts_25"].path], config, tmp_path / "data", Job(), fields=["objects"]
        )
        (media,) = report.media
        assert media.objects and all(0 <= b[0] <= 1 for s in media.objects for b in s.boxes)


# -- the transformers backend: a real (tiny, untrained) RT-DETR saved as a local model directory --------

TALKING_HEAD = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "media" / "talking_head" / "video_retalking"
)


@pytest.fixture(scope="module")
def tiny_rtdetr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An RT-DETR with ResNet backbone at toy width, saved with its PIL image processor."""
    return save_tiny_rtdetr(tmp_path_factory.mktemp("models") / "tiny-rtdetr")


def _frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def test_transformers_detector_boxes_match_the_object_detection_pipeline(tiny_rtdetr):
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModelForObjectDetection, pipeline

    image = _frame(TALKING_HEAD / "face_2.mp4")
    height, width = image.shape[:2]
    boxes, labels = load_detector(tiny_rtdetr, "cpu").detect(image)
    assert boxes and [b[4] for b in boxes] == sorted((b[4] for b in boxes), reverse=True)

    reference = pipeline(
        "object-detection",
        model=AutoModelForObjectDetection.from_pretrained(tiny_rtdetr),
        image_processor=AutoImageProcessor.from_pretrained(tiny_rtdetr, backend="pil"),
        device="cpu",
    )(Image.fromarray(image), threshold=MIN_SCORE)
    reference.sort(key=lambda d: -d["score"])
    assert len(reference) == len(boxes) and [d["label"] for d in reference] == labels
    for (x, y, w, h, score, _), ref in zip(boxes, reference, strict=True):
        box = ref["box"]  # whole pixels, not clipped to the frame
        x0, y0 = max(box["xmin"], 0), max(box["ymin"], 0)
        x1, y1 = min(box["xmax"], width), min(box["ymax"], height)
        assert x == pytest.approx(x0 / width, abs=1.01 / width)
        assert y == pytest.approx(y0 / height, abs=1.01 / height)
        assert x + w == pytest.approx(x1 / width, abs=1.01 / width)
        assert y + h == pytest.approx(y1 / height, abs=1.01 / height)
        assert score == pytest.approx(ref["score"], abs=1e-4)


def test_objects_and_faces_from_a_transformers_model_directory(tiny_rtdetr, tmp_path):
    clip = TALKING_HEAD / "face_5.mp4"
    # overrides merge into the embedded entries: clear the MediaPipe package's file
    spec = json.dumps({"name": "tiny-rtdetr", "source": "path", "path": str(tiny_rtdetr), "file": None})
    config = load_config(
        environ={
            "AUTOEDIT__ANALYSIS__OBJECTS": "true",
            "AUTOEDIT__ANALYSIS__FACES_BACKEND": "detector",
            "AUTOEDIT__MODELS__OBJECTS": spec,
            "AUTOEDIT__MODELS__FACES": spec,
        }
    )
    report = analyse_files([clip], config, tmp_path / "data", Job(), fields=["objects", "faces"])
    (media,) = report.media
    assert len(media.objects) == pytest.approx(media.duration * config.analysis.face_sample_fps, abs=1.0)
    assert media.models["objects"] == "tiny-rtdetr@" + Objects.version
    for sample, faces in zip(media.objects, media.faces, strict=True):
        assert sample.time == faces.time
        assert set(sample.labels) <= {"face", "person"} and len(sample.labels) == len(sample.boxes)
        for x, y, w, h, score, cls in sample.boxes:
            assert 0 <= x <= x + w <= 1 + 1e-6 and 0 <= y <= y + h <= 1 + 1e-6
            assert score >= MIN_SCORE and cls in (0, 1)
        # faces are the boxes the detector calls 'face', without the class id
        assert [list(b) for b in faces.boxes] == [
            list(b[:5]) for b, label in zip(sample.boxes, sample.labels, strict=True) if label == "face"
        ]
    assert any(s.boxes for s in media.faces)
