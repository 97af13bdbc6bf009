"""Faces per sampled frame with MediaPipe face detection (the tflite models ship in the mediapipe wheel).

Frames arrive upright (rotation applied) and keep their aspect ratio, so boxes are fractions of the
picture as the editor sees it: [x, y, w, h, score], clipped to the frame. Sampled at
`analysis.face_sample_fps`; samples without a face are kept (empty boxes) so "no face here" is data.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
import types
import warnings
from pathlib import Path
from typing import Any, ClassVar

from engine.analysis.base import AudioRequest, MediaInputs, VideoRequest
from engine.config import ModelSpec
from engine.models import locate
from engine.progress import Job

FACE_FRAME_BOX = (640, 640)  # the detector resizes to 128 px (short range) / 192 px (full range) anyway
# Averaged down (AREA), not BICUBIC: at 1080p 2.9 ms a frame instead of 7.0, the same faces found
# with boxes at IoU 0.996 to the bicubic ones (bench clip of bench/analysis.py, 120 samples).
FACE_INTERPOLATION = "AREA"


def _quiet_protobuf() -> None:
    """protobuf 4.25 warns on every process() call from mediapipe's own code; not ours to fix."""
    warnings.filterwarnings(
        "ignore", message=r"SymbolDatabase\.GetPrototype\(\) is deprecated", category=UserWarning
    )


class _ImportedOnUse(types.ModuleType):
    """Stands in sys.modules for a module that is imported but seldom used; the first attribute
    asked of it imports the real one, which then answers for it."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def _pyplot_on_use() -> None:
    """mediapipe's solutions import matplotlib.pyplot at start-up for a plotting helper we never call:
    0.3 of the 0.7 CPU-s that importing face detection costs, in the faces thread at the start of
    every analysis."""
    sys.modules.setdefault("matplotlib.pyplot", _ImportedOnUse("matplotlib.pyplot"))


@functools.lru_cache(maxsize=4)
def load_mediapipe_faces(model_file: Path, min_confidence: float) -> tuple[Any, threading.Lock]:
    """One MediaPipe graph per model per process, with a lock: a graph serves one caller at a time."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _pyplot_on_use()
        from mediapipe.python.solutions import face_detection

    # The solution graph loads the model from the wheel by name; `locate` has already proved it is there.
    selection = 1 if "full_range" in model_file.name else 0
    detector = face_detection.FaceDetection(
        model_selection=selection, min_detection_confidence=min_confidence
    )
    return detector, threading.Lock()


def _clip(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def box_fractions(xmin: float, ymin: float, width: float, height: float, score: float) -> list[float]:
    """A relative box clipped to the frame: [x, y, w, h, score]."""
    x0, y0 = _clip(xmin), _clip(ymin)
    x1, y1 = _clip(xmin + width), _clip(ymin + height)
    return [round(x0, 5), round(y0, 5), round(x1 - x0, 5), round(y1 - y0, 5), round(float(score), 4)]


class MediaPipeFaces:
    name: ClassVar[str] = "faces"
    version: ClassVar[str] = "3"  # 2: frames averaged down (FACE_INTERPOLATION); 3: from a halving
    fields: ClassVar[tuple[str, ...]] = ("faces",)

    def __init__(self, spec: ModelSpec, sample_fps: float, min_confidence: float = 0.5):
        self.spec = spec
        self.min_confidence = min_confidence
        self.video: VideoRequest | None = VideoRequest(
            size=FACE_FRAME_BOX, fps=sample_fps, interpolation=FACE_INTERPOLATION, keep_aspect=True
        )
        self.audio: AudioRequest | None = None

    def settings(self) -> dict[str, Any]:
        assert self.video is not None
        return {"fps": self.video.fps, "min_confidence": self.min_confidence, "file": self.spec.file}

    def model_id(self) -> str:
        from importlib.metadata import version  # not `import mediapipe` (0.6 s): a cached rerun needs none

        kind = "full-range" if "full_range" in (self.spec.file or "") else "short-range"
        return f"mediapipe-face-detection-{kind}@{version('mediapipe')}"

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        assert self.video is not None
        detector, lock = load_mediapipe_faces(locate(self.spec, "faces"), self.min_confidence)
        _quiet_protobuf()
        samples = []
        for frame in inputs.frames(self.video):
            with lock:
                result = detector.process(frame.image)
            boxes = []
            for detection in result.detections or []:
                box = detection.location_data.relative_bounding_box
                boxes.append(box_fractions(box.xmin, box.ymin, box.width, box.height, detection.score[0]))
            boxes.sort(key=lambda b: -b[4])
            samples.append({"time": round(frame.time, 6), "boxes": boxes})
        return {"faces": samples}
