"""QVHighlights highlight detection (Lei et al., NeurIPS 2021): data and the HD mAP / HIT@1 protocol.

Ground truth is the release's jsonl (`qid`, `query`, `vid`, `duration`, `relevant_windows`,
`relevant_clip_ids`, `saliency_scores`: three annotators' 0-4 scores per relevant 2 s clip). As in
Moment-DETR's standalone_eval: a video's clips are `int(duration / 2)`, clips outside the relevant ones
score 0, and the scores are made binary at a minimum level (>= 2 Fair, >= 3 Good, >= 4 Very Good, the
headline). HIT@1: is the top predicted clip positive, the best of the three annotators, averaged over
queries. mAP: interpolated average precision per annotator and query, averaged.
Features are the release's: `clip_features/<vid>.npz` (`features`, one row per 2 s clip) and
`clip_text_features/qid<qid>.npz` (`pooler_output`), CLIP ViT-B/32 both, so they compare directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import BadInput

CLIP_SECONDS = 2
LEVELS = {"Fair": 2, "Good": 3, "VeryGood": 4}
GT_FILES = ("highlight_val_release.jsonl", "highlight_test_release.jsonl", "highlight_train_release.jsonl")
GT_KEYS = ("qid", "query", "vid", "duration", "relevant_clip_ids", "saliency_scores")


@dataclass
class HighlightQuery:
    qid: int
    query: str
    vid: str
    duration: float
    relevant_clip_ids: list[int]
    saliency_scores: list[list[int]]


def where_to_put(data_dir: Path) -> str:
    return (
        f"put the QVHighlights release in {data_dir}: {GT_FILES[0]} and the features folders "
        "clip_features/ and clip_text_features/ (or pass --data DIR)"
    )


def read_jsonl(path: Path) -> list[HighlightQuery]:
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"line {number}: not JSON ({exc.msg})", path) from None
        missing = [k for k in GT_KEYS if k not in row]
        if missing:
            raise BadInput(f"line {number}: lacks {', '.join(missing)}", path)
        out.append(HighlightQuery(**{k: row[k] for k in GT_KEYS}))
    return out


def gt_clip_scores(query: HighlightQuery) -> np.ndarray:
    """(clips, 3) annotator scores over the whole video, 0 where a clip is not relevant."""
    full = np.zeros((int(query.duration / CLIP_SECONDS), 3))
    full[np.asarray(query.relevant_clip_ids, dtype=int)] = np.asarray(query.saliency_scores)
    return full


def average_precision(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Interpolated AP at every recall step; all-negative truth counts 0, all-positive 1 (as Moment-DETR)."""
    from sklearn.metrics import precision_recall_curve

    if len(set(y_true.tolist())) == 1:
        return 0.0 if y_true[0] == 0 else 1.0
    precision, recall, _ = precision_recall_curve(y_true, y_score)
    precision = np.maximum.accumulate(precision)
    steps = np.where(np.diff(recall.astype(np.float32)))
    return float(np.mean(precision[steps]))


def _fit(scores: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[: min(n, len(scores))] = scores[:n]
    return out


def evaluate_highlights(
    predictions: dict[int, np.ndarray], queries: list[HighlightQuery]
) -> dict[str, dict[str, float]]:
    """{"HL-min-VeryGood": {"HL-mAP": %, "HL-Hit1": %}, ...} for predicted per-clip saliency by qid."""
    out = {}
    for name, level in LEVELS.items():
        hits: list[float] = []
        aps: list[float] = []
        for query in queries:
            truth = (gt_clip_scores(query) >= level).astype(float)
            pred = np.asarray(predictions[query.qid], dtype=float)
            top = int(np.argmax(pred))
            hits.append(truth[top].max() if top < len(truth) else 0.0)
            fitted = _fit(pred, len(truth))
            aps.extend(average_precision(truth[:, w], fitted) for w in range(3))
        out[f"HL-min-{name}"] = {"HL-mAP": 100 * float(np.mean(aps)), "HL-Hit1": 100 * float(np.mean(hits))}
    return out


def load_features(data_dir: Path, query: HighlightQuery) -> tuple[np.ndarray, np.ndarray]:
    video = data_dir / "clip_features" / f"{query.vid}.npz"
    text = data_dir / "clip_text_features" / f"qid{query.qid}.npz"
    for path in (video, text):
        if not path.exists():
            raise BadInput(f"missing features for query {query.qid}: {where_to_put(data_dir)}", path)
    with np.load(video) as v, np.load(text) as t:
        if "features" not in v:
            raise BadInput("has no 'features' array", video)
        if "pooler_output" not in t:
            raise BadInput("has no 'pooler_output' array", text)
        return np.asarray(v["features"], dtype=np.float32), np.asarray(
            t["pooler_output"], dtype=np.float32
        ).reshape(-1)


def find_ground_truth(data_dir: Path) -> Path:
    for name in GT_FILES:
        if (data_dir / name).exists():
            return data_dir / name
    raise BadInput(f"no QVHighlights data: {where_to_put(data_dir)}", data_dir / GT_FILES[0])
