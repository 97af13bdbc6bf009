"""Benchmark protocols on tiny files in the datasets' own formats, against scores worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.errors import BadInput
from engine.evaluation import highlights as hl
from engine.evaluation.keyshots import keyshot_summary, knapsack, score_summary, shot_scores_from_frames
from engine.evaluation.method import prior_scores, select_shots, unit_features
from engine.evaluation.run import run_summarisation
from engine.evaluation.summarisation_data import load_summarisation
from evaluation import datasets as ds


def test_knapsack_takes_the_best_set_that_fits():
    # weights 2+3 = 5 fit, value 3+4 = 7 beats 6 (weight 5) and 5 (weight 4)
    assert knapsack([3, 4, 5, 6], [2, 3, 4, 5], 5) == [0, 1]
    assert knapsack([1, 1], [7, 8], 5) == []


def test_f1_averages_over_users_for_tvsum_and_takes_the_best_for_summe():
    machine = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    users = np.array([[1, 1, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1, 0, 0]])
    # user 1: overlap 2, precision 2/4, recall 2/2 -> F1 2/3; user 2: no overlap -> 0
    assert score_summary(machine, users, "avg").f1 == pytest.approx(100 / 3, abs=1e-4)
    best = score_summary(machine, users, "max")
    assert best.f1 == pytest.approx(200 / 3, abs=1e-4)
    assert (best.precision, best.recall) == (pytest.approx(50.0, abs=1e-4), pytest.approx(100.0, abs=1e-4))
    # a shorter machine summary is padded with zeros, a longer one cut to the users' length
    assert score_summary(machine[:2], users, "max").f1 == pytest.approx(100.0, abs=1e-4)


def test_frame_scores_at_picks_become_shot_means_and_a_keyshot_summary():
    # picks every 5th frame; shot 3 (frames 30-39) scores 1, all else 0.2
    scores = np.where((ds.PICKS >= 30) & (ds.PICKS < 40), 1.0, 0.2)
    shots = shot_scores_from_frames(scores, ds.CHANGE_POINTS, ds.N_FRAMES, ds.PICKS)
    assert shots[3] == pytest.approx(1.0) and shots[0] == pytest.approx(0.2)
    summary = keyshot_summary(shots, [ds.SHOT] * 10, ds.N_FRAMES)
    assert np.array_equal(summary, ds.shot_frames(3))  # budget 15 frames: one 10-frame shot


def test_h5_layout_scored_end_to_end_by_hand(tmp_path):
    # video 1: lively shot 3; users chose [3] and [3, 4] -> F1 100 and 2*1*0.5/1.5 = 66.67
    # video 2: lively shot 7; users chose [7] and [0] -> F1 100 and 0
    ds.write_h5(tmp_path / "eccv16_dataset_tvsum_google_pool5.h5", [(3, [(3,), (3, 4)]), (7, [(7,), (0,)])])
    rows = {r.method: r.values["F1"] for r in run_summarisation("tvsum", tmp_path).rows}
    expected_tvsum = ((100 + 200 / 3) / 2 + 50) / 2  # average over users, then over videos
    assert rows["AutoEdit scores + knapsack"] == pytest.approx(expected_tvsum, abs=1e-3)
    # our programme also trims a second shot into the budget: the lively shot whole, at most 15 frames
    scores = prior_scores(unit_features(ds.features(3), [[2 * i, 2 * i + 1] for i in range(10)]), "summary")
    ours = select_shots(ds.CHANGE_POINTS, scores, 30.0, ds.N_FRAMES, 0.15)
    assert ours.sum() <= 15 and ours[30:40].all()
    assert 0 < rows["AutoEdit selection (prior + milp)"] < 100
    ds.write_h5(tmp_path / "eccv16_dataset_summe_google_pool5.h5", [(3, [(3,), (3, 4)]), (7, [(7,), (0,)])])
    rows = {r.method: r.values["F1"] for r in run_summarisation("summe", tmp_path).rows}
    assert rows["AutoEdit scores + knapsack"] == pytest.approx(100.0, abs=1e-3)  # best user per video


def test_tvsum_anno_tsv_rebuilds_the_users_summaries(tmp_path):
    # the h5's own user_summary says shot 9; the TSV's users favour shots 3 and 6 of the first video
    ds.write_h5(tmp_path / "eccv16_dataset_tvsum_google_pool5.h5", [(3, [(9,)]), (7, [(9,)])])
    ds.write_tvsum_anno(tmp_path / "ydata-tvsum50-anno.tsv", {"vidA": [3, 6], "vidB": [7, 7]})
    videos = load_summarisation("tvsum", tmp_path)
    assert [v.name for v in videos] == ["vidA", "vidB"]  # the h5 numbers videos in the TSV's order
    assert np.array_equal(videos[0].user_summary, [ds.shot_frames(3), ds.shot_frames(6)])
    rows = {r.method: r.values["F1"] for r in run_summarisation("tvsum", tmp_path).rows}
    assert rows["AutoEdit scores + knapsack"] == pytest.approx((50 + 100) / 2, abs=1e-3)


def test_summe_gt_mat_gives_the_users_selections(tmp_path):
    ds.write_h5(tmp_path / "eccv16_dataset_summe_google_pool5.h5", [(3, [(9,)])], names=["Air_Force_One"])
    ds.write_summe_mat(tmp_path / "GT" / "Air_Force_One.mat", [(5,), (3, 4)])
    (video,) = load_summarisation("summe", tmp_path)
    assert video.annotation == "GT/Air_Force_One.mat"
    rows = {r.method: r.values["F1"] for r in run_summarisation("summe", tmp_path).rows}
    assert rows["AutoEdit scores + knapsack"] == pytest.approx(200 / 3, abs=1e-3)  # best: user 2


def _two_queries() -> list[dict]:
    return [
        {"qid": 1, "query": "a dog runs", "vid": "v1", "duration": 10, "relevant_windows": [[2, 8]],
         "relevant_clip_ids": [1, 2, 3], "saliency_scores": [[4, 4, 2], [1, 4, 0], [4, 0, 0]]},
        {"qid": 2, "query": "a cat sleeps", "vid": "v2", "duration": 6, "relevant_windows": [[0, 2]],
         "relevant_clip_ids": [0], "saliency_scores": [[2, 3, 4]]},
    ]  # fmt: skip


def test_hd_map_and_hit_at_one_by_hand(tmp_path):
    queries = hl.read_jsonl(ds.write_qvhighlights(tmp_path, _two_queries(), {}, {}))
    preds = {1: np.array([0.1, 0.9, 0.5, 0.3, 0.2]), 2: np.array([0.2, 0.8, 0.1])}
    metrics = hl.evaluate_highlights(preds, queries)
    # >= Very Good. q1: annotator 0 positives {1, 3}: AP (1 + 2/3) / 2; annotator 1 {1, 2}: AP 1;
    # annotator 2 none: 0. q2: only annotator 2 has clip 0, ranked second: AP 1/2.
    assert metrics["HL-min-VeryGood"]["HL-mAP"] == pytest.approx(100 * (5 / 6 + 1 + 0.5) / 6, abs=1e-3)
    assert metrics["HL-min-VeryGood"]["HL-Hit1"] == pytest.approx(50.0)  # q1's top clip is positive, q2's not
    # >= Fair: q1 annotator 2 now has clip 1 (AP 1); q2 every annotator has clip 0 (AP 1/2 each)
    assert metrics["HL-min-Fair"]["HL-mAP"] == pytest.approx(100 * (5 / 6 + 1 + 1 + 1.5) / 6, abs=1e-3)


def test_eval_cli_on_qvhighlights_files(tmp_path, autoedit):
    # clip 2 alone points where the query's text feature points: our prior must rank it first
    feats = np.eye(8, dtype=np.float32)[[0, 1, 2, 1, 0]] + 0.01
    query = {"qid": 7, "query": "the goal", "vid": "match", "duration": 10, "relevant_windows": [[4, 6]],
             "relevant_clip_ids": [2], "saliency_scores": [[4, 4, 4]]}  # fmt: skip
    ds.write_qvhighlights(tmp_path, [query], {"match": feats}, {7: np.eye(8, dtype=np.float32)[2]})
    out = tmp_path / "figures.json"
    result = autoedit("eval", "highlights", "--dataset", "qvhighlights", "--data", tmp_path, "--json", out)
    assert result.returncode == 0, result.stderr
    assert "Moment-DETR" in result.stdout and "HD mAP" in result.stdout
    rows = {r["method"]: r for r in json.loads(out.read_text())["rows"]}
    assert rows["AutoEdit prior (CLIP relevance)"]["HIT@1"] == pytest.approx(100.0)
    assert rows["AutoEdit prior (CLIP relevance)"]["HD mAP"] == pytest.approx(100.0)


def test_eval_cli_without_data_says_where_to_put_it(tmp_path, autoedit):
    result = autoedit("eval", "summarisation", "--dataset", "summe", "--data", tmp_path)
    assert result.returncode == 2
    assert "eccv16_dataset_summe_google_pool5.h5" in result.stderr and str(tmp_path) in result.stderr
    wrong = autoedit("eval", "highlights", "--dataset", "tvsum", "--data", tmp_path)
    assert wrong.returncode == 2 and "not a highlights benchmark" in wrong.stderr


def test_bad_files_name_the_file(tmp_path):
    (tmp_path / "eccv16_dataset_tvsum_google_pool5.h5").write_text("not hdf5")
    with pytest.raises(BadInput, match="eccv16_dataset_tvsum_google_pool5.h5"):
        load_summarisation("tvsum", tmp_path)
    (tmp_path / "highlight_val_release.jsonl").write_text('{"qid": 1}\n')
    with pytest.raises(BadInput, match="line 1: lacks"):
        hl.read_jsonl(tmp_path / "highlight_val_release.jsonl")
