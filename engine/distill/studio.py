"""Studio profile: distil the large local object detector (RT-DETR, `models.objects`) into a small one.

The teacher runs as engine/analysis/objects.py runs it, on frames sampled from the footage; its boxes
(kept per clip by content hash, like the shot teacher's outputs) become the student's training targets.
The student is a small transformers RT-DETR with the teacher's classes, saved as a model directory that
`models.objects` (source: path) and `load_detector` take like any other; a card sits beside it.
Without the teacher's weights this is a clear `ModelNotFound`, never a silent fallback.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from engine.analysis.objects import DETECTION_FRAME_BOX, load_detector
from engine.config import EngineConfig
from engine.distill import footage
from engine.distill.metrics import pooled_f1
from engine.distill.store import TeacherStore
from engine.errors import BadInput, ModelNotFound
from engine.media.types import VideoRequest
from engine.models import locate, sha256_of
from engine.progress import Job

SAMPLE_FPS = 2.0
STUDENT_SIZE = 320  # the student's input side, pixels
CARD_NAME = "objects-student.card.json"
IOU_MATCH = 0.5


def _teacher_weights(config: EngineConfig) -> Path:
    if config.models.objects is None:
        raise ModelNotFound(
            "objects teacher (RT-DETR)",
            ["config key models.objects (not set)"],
            "use the studio profile (--profile studio) with the RT-DETR weights in $AUTOEDIT_MODELS, "
            "or point models.objects at a local transformers RT-DETR directory",
        )
    weights = locate(config.models.objects, "objects")
    if not (weights.is_dir() and (weights / "config.json").is_file()):
        raise ModelNotFound(
            config.models.objects.name,
            [str(weights)],
            "the objects student is distilled from a transformers RT-DETR model directory (config.json + weights)",
        )
    return weights


def sampled_frames(path: Path, job: Job) -> np.ndarray:
    request = VideoRequest(size=DETECTION_FRAME_BOX, fps=SAMPLE_FPS, keep_aspect=True)
    clip = footage.decode(path, request, job)
    return clip.frames


def student_config(teacher_config: Any) -> Any:
    """A small RT-DETR (ResNet-18-like at a quarter width, one encoder and decoder layer), teacher's classes."""
    from transformers import RTDetrConfig, RTDetrResNetConfig

    backbone = RTDetrResNetConfig(
        embedding_size=32,
        hidden_sizes=[32, 64, 128, 256],
        depths=[1, 1, 1, 1],
        layer_type="basic",
        out_features=["stage2", "stage3", "stage4"],  # type: ignore[call-arg]
    )
    return RTDetrConfig(  # type: ignore[call-arg]
        backbone_config=backbone,
        d_model=64,
        encoder_hidden_dim=64,
        encoder_in_channels=[64, 128, 256],
        decoder_in_channels=[64, 64, 64],
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        encoder_layers=1,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        decoder_n_points=2,
        num_queries=50,
        num_labels=len(teacher_config.id2label),
        id2label=dict(teacher_config.id2label),
        label2id={v: k for k, v in teacher_config.id2label.items()},
    )


def _targets(boxes: list[list[float]]) -> dict[str, Any]:
    """Teacher boxes [x, y, w, h, score, class] (fractions) -> RT-DETR labels (class, cx cy w h)."""
    import torch

    if not boxes:
        return {"class_labels": torch.zeros(0, dtype=torch.long), "boxes": torch.zeros((0, 4))}
    b = np.asarray(boxes, dtype=np.float32)
    centre = np.column_stack([b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2, b[:, 2], b[:, 3]])
    return {"class_labels": torch.from_numpy(b[:, 5].astype(np.int64)), "boxes": torch.from_numpy(centre)}


def _iou(a: list[float], b: list[float]) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w = max(0.0, min(ax1, bx1) - max(a[0], b[0]))
    h = max(0.0, min(ay1, by1) - max(a[1], b[1]))
    inter = w * h
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def box_f1(found: list[list[list[float]]], truth: list[list[list[float]]]) -> float:
    """F1 of boxes against the teacher's, frame by frame: same class and IoU >= 0.5, one to one."""
    hits = found_n = truth_n = 0
    for got, want in zip(found, truth, strict=True):
        found_n += len(got)
        truth_n += len(want)
        left = list(want)
        for box in got:
            best = max(
                (w for w in left if int(w[5]) == int(box[5])), key=lambda w: _iou(box, w), default=None
            )
            if best is not None and _iou(box, best) >= IOU_MATCH:
                left.remove(best)
                hits += 1
    return pooled_f1([]) if found_n == truth_n == 0 else (2 * hits / (found_n + truth_n))


def distill_objects(
    folders: list[Path],
    out_dir: Path,
    config: EngineConfig,
    data_dir: Path,
    job: Job,
    steps: int = 300,
    seed: int = 0,
) -> dict[str, Any]:
    """Teacher boxes on sampled frames -> a small RT-DETR trained on them -> model directory + card."""
    import torch
    from transformers import RTDetrForObjectDetection, RTDetrImageProcessorPil

    weights = _teacher_weights(config)
    videos = footage.find_videos(folders)
    device = config.torch_device()
    teacher_id = f"{config.models.objects.name if config.models.objects else 'objects'}-{sha256_of(weights / 'config.json')[:12]}"
    store = TeacherStore(Path(data_dir) / "distill" / "objects", teacher_id)
    teacher = None
    frames: list[np.ndarray] = []
    targets: list[list[list[float]]] = []
    teacher_runs = 0
    for n, path in enumerate(videos):
        job.report("teacher", n / len(videos) * 0.4, path.name)
        key = "clip-" + sha256_of(path)
        stored = store.load(key)
        if stored is None:
            images = sampled_frames(path, job)
            teacher = teacher or load_detector(weights, device)
            boxes = [teacher.detect(image)[0] for image in images]
            store.save(key, frames=images, boxes=np.asarray(json.dumps(boxes)))
            teacher_runs += 1
        else:
            images, boxes = stored["frames"], json.loads(str(stored["boxes"]))
        frames.extend(images)
        targets.extend(boxes)
    if not frames:
        raise BadInput("no frames to learn objects from", folders[0])
    held = list(range(len(frames)))[4::5]  # every 5th sampled frame is held out
    train_idx = [i for i in range(len(frames)) if i not in set(held)] or held

    from transformers import AutoConfig

    torch.manual_seed(seed)
    processor = RTDetrImageProcessorPil(size={"height": STUDENT_SIZE, "width": STUDENT_SIZE})
    student = RTDetrForObjectDetection(student_config(AutoConfig.from_pretrained(str(weights))))
    optimiser = torch.optim.AdamW(student.parameters(), lr=2e-4, weight_decay=1e-4)
    rng = np.random.default_rng(seed)
    loss_value = float("nan")
    student.train()
    for step in range(1, steps + 1):
        batch = [int(i) for i in rng.choice(train_idx, size=min(4, len(train_idx)))]
        inputs = processor(images=[frames[i] for i in batch], return_tensors="pt")
        labels = [_targets(targets[i]) for i in batch]
        loss = student(pixel_values=inputs["pixel_values"], labels=labels).loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        loss_value = float(loss)
        job.report("train", 0.4 + 0.5 * step / steps, f"step {step} loss {loss_value:.3f}")
    student.eval()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    student.save_pretrained(out_dir)
    processor.save_pretrained(out_dir)
    load_detector.cache_clear()
    student_detector = load_detector(out_dir, device)
    teacher = teacher or load_detector(weights, device)
    held_frames = [frames[i] for i in held]
    start = time.perf_counter()
    teacher_boxes = [teacher.detect(image)[0] for image in held_frames]
    teacher_s = time.perf_counter() - start
    start = time.perf_counter()
    student_boxes = [student_detector.detect(image)[0] for image in held_frames]
    student_s = time.perf_counter() - start
    f1 = box_f1(student_boxes, teacher_boxes)
    card: dict[str, Any] = {
        "model": "objects-student@1",
        "teacher": {"name": config.models.objects.name if config.models.objects else None, "id": teacher_id},
        "data": {
            "clips": [p.name for p in videos],
            "frames": len(frames),
            "held_out_frames": len(held),
            "fps": SAMPLE_FPS,
        },
        "training": {
            "loss": "RT-DETR detection loss (Hungarian matching) against the teacher's boxes above its score 0.25",
            "steps": steps,
            "final_loss": round(loss_value, 4),
            "seed": seed,
        },
        "f1_vs_teacher": {"held_out_frames_iou_0.5": round(f1, 4)},
        "f1_vs_truth": None,  # no box ground truth in the footage
        "speed": {
            "teacher_s": round(teacher_s, 3),
            "student_s": round(student_s, 3),
            "student_speedup_vs_teacher": round(teacher_s / student_s, 2) if student_s > 0 else None,
        },
        "parameters": int(sum(p.numel() for p in student.parameters())),
        "teacher_runs_this_call": teacher_runs,
    }
    card["summary"] = f"F1 vs teacher {round(f1, 4)}, teacher ran on {teacher_runs} clips"
    (out_dir / CARD_NAME).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card
