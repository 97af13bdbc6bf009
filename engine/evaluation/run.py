"""Running a benchmark: our method and a random baseline on every video, scored, as rows of a table.

Rows: "AutoEdit selection" (prior scores, then our integer programme asked for 15 %), "AutoEdit scores +
knapsack" (prior scores through the protocol's own knapsack, so only the scoring differs from the
papers), and "random scores + knapsack" (10 seeds; Otani et al., CVPR 2019, show this is already
close to published figures on these datasets, which is why it is printed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.evaluation import highlights as hl
from engine.evaluation import published
from engine.evaluation.keyshots import SUMMARY_PROPORTION, keyshot_summary, score_summary
from engine.evaluation.method import prior_scores, select_shots, unit_features
from engine.evaluation.summarisation_data import AGGREGATE, SummaryVideo, load_summarisation
from engine.progress import Job

RANDOM_SEEDS = 10


@dataclass
class Row:
    method: str
    values: dict[str, float]
    published: bool = False


@dataclass
class BenchmarkResult:
    dataset: str
    items: int
    columns: list[str]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)


def shot_rows(video: SummaryVideo) -> list[list[int]]:
    """The feature rows (sampled frames) inside each shot; a shot between samples takes the nearest one."""
    out = []
    for a, b in video.change_points:
        rows = [i for i, p in enumerate(video.picks) if a <= p <= b]
        out.append(rows or [int(np.argmin(np.abs(video.picks - (a + b) / 2)))])
    return out


def run_summarisation(dataset: str, data_dir: Path, job: Job | None = None) -> BenchmarkResult:
    videos = load_summarisation(dataset, data_dir)
    how = AGGREGATE[dataset]
    ours_milp, ours_knap, rand = [], [], []
    for i, video in enumerate(videos):
        if job is not None:
            job.check()
            job.report("evaluate", i / len(videos), video.name)
        scores = prior_scores(unit_features(video.features, shot_rows(video)), prompt="summary")
        machine = select_shots(video.change_points, scores, video.fps, video.n_frames, SUMMARY_PROPORTION)
        ours_milp.append(score_summary(machine, video.user_summary, how).f1)
        knap = keyshot_summary(scores, video.n_frame_per_seg, video.n_frames)
        ours_knap.append(score_summary(knap, video.user_summary, how).f1)
        rng = np.random.default_rng(i)
        draws = [
            score_summary(
                keyshot_summary(
                    rng.random(len(video.n_frame_per_seg)), video.n_frame_per_seg, video.n_frames
                ),
                video.user_summary,
                how,
            ).f1
            for _ in range(RANDOM_SEEDS)
        ]
        rand.append(float(np.mean(draws)))
    rows = [
        Row("AutoEdit selection (prior + milp)", {"F1": float(np.mean(ours_milp))}),
        Row("AutoEdit scores + knapsack", {"F1": float(np.mean(ours_knap))}),
        Row(f"random scores + knapsack ({RANDOM_SEEDS} seeds)", {"F1": float(np.mean(rand))}),
    ]
    rows += [Row(name, {"F1": f1}, published=True) for name, f1 in published.SUMMARISATION[dataset]]
    sources = sorted({v.annotation for v in videos})
    notes = [
        f"F1 {'averaged' if how == 'avg' else 'best'} over users; users' summaries from {', '.join(sources)}"
    ]
    notes.append("ours: all videos, no training; published: mean over 5 random splits' test videos")
    return BenchmarkResult(dataset, len(videos), ["F1"], rows, notes)


def run_highlights(data_dir: Path, job: Job | None = None) -> BenchmarkResult:
    gt_path = hl.find_ground_truth(data_dir)
    queries = hl.read_jsonl(gt_path)
    ours: dict[int, np.ndarray] = {}
    rand: dict[int, np.ndarray] = {}
    rng = np.random.default_rng(0)
    for i, query in enumerate(queries):
        if job is not None:
            job.check()
            job.report("evaluate", i / max(1, len(queries)), query.vid)
        video, text = hl.load_features(data_dir, query)
        clips = [[k] for k in range(len(video))]
        ours[query.qid] = prior_scores(unit_features(video, clips, query=text), prompt=query.query)
        rand[query.qid] = rng.random(len(video))
    rows = []
    for name, preds in (("AutoEdit prior (CLIP relevance)", ours), ("random scores", rand)):
        metric = hl.evaluate_highlights(preds, queries)["HL-min-VeryGood"]
        rows.append(Row(name, {"HD mAP": metric["HL-mAP"], "HIT@1": metric["HL-Hit1"]}))
    rows += [Row(name, {"HD mAP": m, "HIT@1": h}, published=True) for name, m, h in published.HIGHLIGHTS]
    notes = [f"ours on {gt_path.name}, >= Very Good (saliency >= 4), no training"]
    return BenchmarkResult("qvhighlights", len(queries), ["HD mAP", "HIT@1"], rows, notes)
