"""Objects (and, in the studio profile, faces) with ultralytics YOLO / RT-DETR from local weights.

Studio profile only: the weights are a local file (`models.objects.path`, found by
`engine.models.locate`, never downloaded) and ultralytics comes from the `studio` extra. A `.pt` file
loads trained weights; a `.yaml` builds the architecture untrained (what the tests exercise here).
Boxes are fractions of the upright frame: [x, y, w, h, score, class_id] with the class names in
`labels`.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any, ClassVar

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


@functools.lru_cache(maxsize=4)
def load_detector(weights: Path, device: str) -> tuple[Any, threading.Lock]:
    """YOLO or RT-DETR (chosen by the file name) built once per process, with a lock for its predictor."""
    ultralytics = _ultralytics(weights.name)
    kind = ultralytics.RTDETR if "rtdetr" in weights.name.lower() else ultralytics.YOLO
    model = kind(str(weights))
    model.to(device)
    return model, threading.Lock()


def detections(model: Any, lock: threading.Lock, image: Any) -> tuple[list[list[float]], list[str]]:
    """[x, y, w, h, score, class_id] fractions of `image`, best first, and each box's class name."""
    with lock:
        result = model.predict(image, verbose=False, conf=MIN_SCORE)[0]
    height, width = result.orig_shape
    names = result.names
    boxes, labels = [], []
    for (x0, y0, x1, y1), score, cls in zip(
        result.boxes.xyxy.tolist(), result.boxes.conf.tolist(), result.boxes.cls.tolist(), strict=True
    ):
        boxes.append(
            [
                round(max(x0, 0) / width, 5),
                round(max(y0, 0) / height, 5),
                round((min(x1, width) - max(x0, 0)) / width, 5),
                round((min(y1, height) - max(y0, 0)) / height, 5),
                round(float(score), 4),
                int(cls),
            ]
        )
        labels.append(str(names.get(int(cls), cls)))
    order = sorted(range(len(boxes)), key=lambda i: -boxes[i][4])
    return [boxes[i] for i in order], [labels[i] for i in order]


class UltralyticsObjects:
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
        model, lock = load_detector(locate(self.spec, self.name), self.device)
        samples = []
        for frame in inputs.frames(self.video):
            boxes, labels = detections(model, lock, frame.image[:, :, ::-1])  # ultralytics takes BGR arrays
            samples.append({"time": round(frame.time, 6), "boxes": boxes, "labels": labels})
        return {"objects": samples}


class UltralyticsFaces(UltralyticsObjects):
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
