"""Reading TVSum and SumMe in the files everyone uses: the common h5 layout, TVSum's anno TSV, SumMe's GT .mat.

The h5 files (`eccv16_dataset_tvsum_google_pool5.h5`, `eccv16_dataset_summe_google_pool5.h5`, from
Zhang et al. 2016 as redistributed by Zhou et al. 2018) hold per video: `features` (GoogLeNet pool5 of
every 15th frame), `picks` (those frames), `change_points` (KTS shots, inclusive frame bounds),
`n_frame_per_seg`, `n_frames`, `user_summary` (users x frames, binary) and optionally `video_name`,
`gtscore`, `fps`. When the original annotation files are in DIR as well, the users' summaries are
built from them instead: TVSum's per-frame importance scores through the same knapsack, SumMe's
per-frame selections as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import BadInput
from engine.evaluation.keyshots import keyshot_summary

H5_NAMES = {
    "tvsum": "eccv16_dataset_tvsum_google_pool5.h5",
    "summe": "eccv16_dataset_summe_google_pool5.h5",
}
TVSUM_ANNO = "ydata-tvsum50-anno.tsv"
SUMME_GT_DIR = "GT"
AGGREGATE = {"tvsum": "avg", "summe": "max"}  # over users, as the datasets' papers score them
DEFAULT_FPS = 30.0  # the h5 files store no rate; both datasets are ~30 fps footage


@dataclass
class SummaryVideo:
    key: str  # the h5 group, e.g. "video_1"
    name: str
    features: np.ndarray  # (len(picks), D)
    picks: np.ndarray
    change_points: np.ndarray  # (shots, 2) inclusive frame bounds
    n_frame_per_seg: np.ndarray
    n_frames: int
    user_summary: np.ndarray  # (users, n_frames) binary
    fps: float
    annotation: str  # where the user summaries came from


def where_to_put(dataset: str, data_dir: Path) -> str:
    extra = {
        "tvsum": f" (and optionally {TVSUM_ANNO} from the TVSum release, to rebuild the users' summaries)",
        "summe": f" (and optionally the SumMe release's {SUMME_GT_DIR}/*.mat, for the users' own selections)",
    }[dataset]
    return f"put {H5_NAMES[dataset]} in {data_dir}{extra}, or pass --data DIR"


def read_tvsum_anno(path: Path) -> dict[str, np.ndarray]:
    """video id -> (users, frames) importance scores 1..5, from TVSum's anno TSV (one line per user)."""
    per_video: dict[str, list[list[float]]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise BadInput(
                f"line {number}: expected video_id, category, scores (3 tab-separated fields)", path
            )
        try:
            scores = [float(x) for x in parts[2].split(",")]
        except ValueError:
            raise BadInput(f"line {number}: scores must be comma-separated numbers", path) from None
        per_video.setdefault(parts[0], []).append(scores)
    out = {}
    for vid, users in per_video.items():
        n = min(len(u) for u in users)
        out[vid] = np.array([u[:n] for u in users])
    return out


def read_summe_gt(path: Path) -> np.ndarray:
    """(users, frames) binary selections from one SumMe GT .mat (its `user_score` is frames x users)."""
    from scipy.io import loadmat

    try:
        mat = loadmat(str(path))
    except (OSError, ValueError) as exc:
        raise BadInput(f"not a readable .mat file: {exc}", path) from None
    if "user_score" not in mat:
        raise BadInput("has no 'user_score' (frames x users), as SumMe's GT files do", path)
    return (np.asarray(mat["user_score"], dtype=np.float64).T > 0).astype(np.float32)


def _user_summaries_from_scores(scores: np.ndarray, video: SummaryVideo) -> np.ndarray:
    """Each TVSum user's frame scores -> that user's keyshot summary over the same shots (Zhang et al.)."""
    out = []
    for user in scores:
        frames = np.zeros(video.n_frames)
        frames[: min(len(user), video.n_frames)] = user[: video.n_frames]
        shot_means = [float(frames[int(a) : int(b) + 1].mean()) for a, b in video.change_points]
        out.append(keyshot_summary(shot_means, video.n_frame_per_seg, video.n_frames))
    return np.array(out)


def load_summarisation(dataset: str, data_dir: Path) -> list[SummaryVideo]:
    import h5py

    h5_path = data_dir / H5_NAMES[dataset]
    if not h5_path.exists():
        raise BadInput(f"no {dataset} data: {where_to_put(dataset, data_dir)}", h5_path)
    videos: list[SummaryVideo] = []
    try:
        with h5py.File(h5_path, "r") as h5:
            for key in sorted(h5.keys(), key=lambda k: (len(k), k)):
                group = h5[key]
                missing = [
                    k
                    for k in (
                        "features",
                        "picks",
                        "change_points",
                        "n_frame_per_seg",
                        "n_frames",
                        "user_summary",
                    )
                    if k not in group
                ]
                if missing:
                    raise BadInput(f"video {key} lacks {', '.join(missing)}", h5_path)
                name = group["video_name"][()] if "video_name" in group else key
                videos.append(
                    SummaryVideo(
                        key=key,
                        name=name.decode() if isinstance(name, bytes) else str(name),
                        features=np.asarray(group["features"][()], dtype=np.float32),
                        picks=np.asarray(group["picks"][()]).astype(int),
                        change_points=np.asarray(group["change_points"][()]).astype(int),
                        n_frame_per_seg=np.asarray(group["n_frame_per_seg"][()]).astype(int),
                        n_frames=int(np.asarray(group["n_frames"][()])),
                        user_summary=np.asarray(group["user_summary"][()], dtype=np.float32),
                        fps=float(np.asarray(group["fps"][()])) if "fps" in group else DEFAULT_FPS,
                        annotation=f"{h5_path.name} user_summary",
                    )
                )
    except OSError as exc:
        raise BadInput(f"not a readable HDF5 file: {exc}", h5_path) from None
    if not videos:
        raise BadInput("holds no videos", h5_path)
    if dataset == "tvsum" and (data_dir / TVSUM_ANNO).exists():
        anno = read_tvsum_anno(data_dir / TVSUM_ANNO)
        ids = list(anno)  # the h5 numbers the videos in the TSV's order
        for i, video in enumerate(videos):
            vid = video.name if video.name in anno else (ids[i] if i < len(ids) else None)
            if vid is not None:
                video.name = vid
                video.user_summary = _user_summaries_from_scores(anno[vid], video)
                video.annotation = TVSUM_ANNO
    if dataset == "summe" and (data_dir / SUMME_GT_DIR).is_dir():
        for video in videos:
            mat = data_dir / SUMME_GT_DIR / f"{video.name}.mat"
            if mat.exists():
                video.user_summary = read_summe_gt(mat)
                video.annotation = f"{SUMME_GT_DIR}/{mat.name}"
    return videos
