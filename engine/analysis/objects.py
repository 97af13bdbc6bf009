"""Objects (and, in the studio profile, faces) from a detector with local weights.

Studio profile only: the weights are local (`models.objects`, found by `engine.models.locate`, never
downloaded). Two backends behind one `Detector`: ultralytics YOLO / RT-DETR from a `.pt` file (or built
untrained from a `.yaml`; ultralytics comes from the `studio` extra and needs torchvision), and any
transformers object-detection model directory, RT-DETR included, which needs no torchvision.
Boxes are fractions of the upright frame: [x, y, w, h, score, class_id] with the class names in
`labels`.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from engine.analysis.base import AudioRequest, MediaInputs, VideoRequest
from engine.config import ModelSpec
from engine.errors import ModelNotFound
from engine.models import locate
from engine.progress import Job

DETECTION_FRAME_BOX = (640, 640)
MIN_SCORE = 0.25


def _ultralytics(spec_name: str) -> Any:
    os.environ.setdefault("YOLO_OFFLINE", "1")  # no update checks, no asset downloads
    os.environ.setdefault("YOLO_VERBOSE", "False")
    try:
        import ultralytics
    except ImportError:
        raise ModelNotFound(
            spec_name,
            ["Python package 'ultralytics' (not installed)"],
            "install the studio profile's extra (`pip install autoedit[studio]`, which brings ultralytics "
            "and torchvision) in an environment whose torch has a matching torchvision build",
        ) from None
    return ultralytics


class Detector(Protocol):
    def detect(self, image: np.ndarray) -> tuple[list[list[float]], list[str]]:
        """[x, y, w, h, score, class_id] fractions of the RGB `image`, best first, and each class name."""
        ...


def _as_fractions(
    xyxy: list[list[float]],
    scores: list[float],
    classes: list[int],
    names: dict[int, str],
    size: tuple[int, int],
) -> tuple[list[list[float]], list[str]]:
    """Pixel corner boxes -> [x, y, w, h, score, class_id] fractions clipped to the frame, best first."""
    width, height = size
    boxes, labels = [], []
    for (x0, y0, x1, y1), score, cls in zip(xyxy, scores, classes, strict=True):
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        boxes.append(
            [
                round(x0 / width, 5),
                round(y0 / height, 5),
                round(max(x1 - x0, 0) / width, 5),
                round(max(y1 - y0, 0) / height, 5),
                round(float(score), 4),
                int(cls),
            ]
        )
        labels.append(str(names.get(int(cls), cls)))
    order = sorted(range(len(boxes)), key=lambda i: -boxes[i][4])
    return [boxes[i] for i in order], [labels[i] for i in order]


class UltralyticsDetector:
    """YOLO or RT-DETR (chosen by the file name) from a `.pt` file, or built untrained from a `.yaml`."""

    def __init__(self, weights: Path, device: str):
        ultralytics = _ultralytics(weights.name)
        kind = ultralytics.RTDETR if "rtdetr" in weights.name.lower() else ultralytics.YOLO
        self.model = kind(str(weights))
        self.model.to(device)
        self.lock = threading.Lock()

    def detect(self, image: np.ndarray) -> tuple[list[list[float]], list[str]]:
        with self.lock:  # its predictor keeps per-call state
            result = self.model.predict(image[:, :, ::-1], verbose=False, conf=MIN_SCORE)[0]  # takes BGR
        height, width = result.orig_shape
        boxes = result.boxes
        return _as_fractions(
            boxes.xyxy.tolist(), boxes.conf.tolist(), boxes.cls.tolist(), result.names, (width, height)
        )


class TransformersDetector:
    """Any transformers object-detection model (RT-DETR, DETR, ...) saved as a model directory.

    Needs no torchvision, so it also runs on a CPU-only torch.
    """

    def __init__(self, weights: Path, device: str):
        import torch
        from transformers import AutoImageProcessor, AutoModelForObjectDetection

        self.torch = torch
        self.device = device
        self.model = AutoModelForObjectDetection.from_pretrained(str(weights)).to(device).eval()
        # The model's own preprocessing on its PIL backend: the default one wants torchvision.
        self.processor = AutoImageProcessor.from_pretrained(str(weights), backend="pil")
        self.names: dict[int, str] = dict(self.model.config.id2label)

    def detect(self, image: np.ndarray) -> tuple[list[list[float]], list[str]]:
        height, width = image.shape[:2]
        inputs = self.processor(images=[image], return_tensors="pt").to(self.device)
        with self.torch.inference_mode():
            outputs = self.model(**inputs)
        (result,) = self.processor.post_process_object_detection(
            outputs, threshold=MIN_SCORE, target_sizes=[(height, width)]
        )
        return _as_fractions(
            result["boxes"].tolist(),
            result["scores"].tolist(),
            result["labels"].tolist(),
            self.names,
            (width, height),
        )


@functools.lru_cache(maxsize=4)
def load_detector(weights: Path, device: str) -> Detector:
    """Built once per process: a transformers model directory, else an ultralytics weights file."""
    if weights.is_dir() and (weights / "config.json").is_file():
        return TransformersDetector(weights, device)
    return UltralyticsDetector(weights, device)


class Objects:
    name: ClassVar[str] = "objects"
    version: ClassVar[str] = "1"
    fields: ClassVar[tuple[str, ...]] = ("objects",)

    def __init__(self, spec: ModelSpec | None, sample_fps: float, device: str):
        if spec is None:
            raise ModelNotFound(
                "objects detector",
                ["config key models.objects (not set)"],
                "set models.objects to a local YOLO / RT-DETR weights file (see configs/studio.yaml)",
            )
        self.spec = spec
        self.device = device
        self.video: VideoRequest | None = VideoRequest(
            size=DETECTION_FRAME_BOX, fps=sample_fps, keep_aspect=True
        )
        self.audio: AudioRequest | None = None

    def settings(self) -> dict[str, Any]:
        assert self.video is not None
        return {
            "fps": self.video.fps,
            "min_score": MIN_SCORE,
            "weights": self.spec.path,
            "file": self.spec.file,
        }

    def model_id(self) -> str:
        return f"{self.spec.name}@{self.version}"

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        assert self.video is not None
        detector = load_detector(locate(self.spec, self.name), self.device)
        samples = []
        for frame in inputs.frames(self.video):
            boxes, labels = detector.detect(frame.image)
            samples.append({"time": round(frame.time, 6), "boxes": boxes, "labels": labels})
        return {"objects": samples}


class DetectorFaces(Objects):
    """Faces from a face-trained detector: the boxes of its class named 'face'."""

    name: ClassVar[str] = "faces"
    fields: ClassVar[tuple[str, ...]] = ("faces",)

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        samples = super().analyse(inputs, job)["objects"]
        faces = []
        for sample in samples:
            keep = [
                box[:5]
                for box, label in zip(sample["boxes"], sample["labels"], strict=True)
                if label.lower() == "face"
            ]
            faces.append({"time": sample["time"], "boxes": keep})
        return {"faces": faces}
