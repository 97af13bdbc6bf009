"""Tiny benchmark files in the datasets' exact formats, with shots chosen so scores can be worked by hand.

Each video: 100 frames, 10 shots of 10 frames, a feature row every 5th frame. Every shot's features
are one constant vector except the "lively" shot, whose two rows swing around that vector (same mean):
it alone has motion, so the prior scores it highest. The budget, int(100 * 0.15) = 15 frames, fits
exactly one shot, so both our knapsack row and our selection row pick the lively shot.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

N_FRAMES = 100
SHOT = 10
CHANGE_POINTS = np.array([[i * SHOT, i * SHOT + SHOT - 1] for i in range(N_FRAMES // SHOT)])
PICKS = np.arange(0, N_FRAMES, 5)


def shot_frames(*shots: int) -> np.ndarray:
    out = np.zeros(N_FRAMES, dtype=np.float32)
    for s in shots:
        out[s * SHOT : (s + 1) * SHOT] = 1
    return out


def features(lively: int, dim: int = 16) -> np.ndarray:
    base = np.zeros(dim, dtype=np.float32)
    base[0] = 1.0
    rows = np.tile(base, (len(PICKS), 1))
    swing = np.zeros(dim, dtype=np.float32)
    swing[1] = 0.5
    rows[2 * lively] += swing
    rows[2 * lively + 1] -= swing
    return rows


def write_h5(
    path: Path, videos: list[tuple[int, list[tuple[int, ...]]]], names: list[str] | None = None
) -> Path:
    """videos: (lively shot, the users' chosen shots) per video, as eccv16_dataset_*_google_pool5.h5."""
    import h5py

    with h5py.File(path, "w") as h5:
        for i, (lively, users) in enumerate(videos, 1):
            group = h5.create_group(f"video_{i}")
            group["features"] = features(lively)
            group["picks"] = PICKS
            group["change_points"] = CHANGE_POINTS
            group["n_frame_per_seg"] = np.full(len(CHANGE_POINTS), SHOT)
            group["n_frames"] = N_FRAMES
            group["n_steps"] = len(PICKS)
            group["user_summary"] = np.array([shot_frames(*u) for u in users])
            group["gtscore"] = np.array([shot_frames(*u) for u in users]).mean(axis=0)[PICKS]
            if names:
                group["video_name"] = names[i - 1]
    return path


def write_tvsum_anno(path: Path, videos: dict[str, list[int]]) -> Path:
    """ydata-tvsum50-anno.tsv: per user, importance 5 on one shot, 1 elsewhere."""
    lines = []
    for vid, favourite_per_user in videos.items():
        for shot in favourite_per_user:
            scores = np.where(shot_frames(shot) > 0, 5, 1).astype(int)
            lines.append(f"{vid}\tVT\t{','.join(map(str, scores))}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_summe_mat(path: Path, users: list[tuple[int, ...]]) -> Path:
    """GT/<video>.mat as SumMe ships it: user_score (frames x users), gt_score, nFrames."""
    from scipy.io import savemat

    user_score = np.array([shot_frames(*u) for u in users]).T
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(
        path,
        {"user_score": user_score, "gt_score": user_score.mean(axis=1, keepdims=True), "nFrames": N_FRAMES},
    )
    return path


def write_qvhighlights(
    data_dir: Path, queries: list[dict], clip_features: dict[str, np.ndarray], text: dict[int, np.ndarray]
) -> Path:
    """highlight_val_release.jsonl + clip_features/<vid>.npz + clip_text_features/qid<qid>.npz."""
    (data_dir / "clip_features").mkdir(parents=True, exist_ok=True)
    (data_dir / "clip_text_features").mkdir(parents=True, exist_ok=True)
    gt = data_dir / "highlight_val_release.jsonl"
    gt.write_text("".join(json.dumps(q) + "\n" for q in queries), encoding="utf-8")
    for vid, feats in clip_features.items():
        np.savez(data_dir / "clip_features" / f"{vid}.npz", features=feats)
    for qid, vec in text.items():
        np.savez(
            data_dir / "clip_text_features" / f"qid{qid}.npz",
            last_hidden_state=vec[None, :],
            pooler_output=vec,
        )
    return gt
