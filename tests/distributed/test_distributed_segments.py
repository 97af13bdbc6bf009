"""A long file through a real Ray cluster: split in 4 segments it gives the unsplit analysis, a rerun
recomputes only a lost segment, and a worker killed mid-task costs nothing but the rerun of its tasks."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from engine.analysis.runner import analyse_files
from engine.config import EngineConfig, load_config
from engine.distributed import cluster
from engine.distributed.run import analyse_files_on_cluster
from engine.progress import Job
from tests.distributed.conftest import SEGMENT_S

FIELDS = ["shots", "quality", "speech"]  # visual analysers split in segments, speech is the audio task


@pytest.fixture(scope="module")
def config(ray_cluster: str, engine_data_dir: Path) -> Iterator[EngineConfig]:
    config = load_config()
    config.distributed.worker_data_dir = str(engine_data_dir)  # models calibrated once per session
    config.distributed.ray_address = ray_cluster
    config.distributed.workers = 2
    config.distributed.segment_s = SEGMENT_S
    config.distributed.max_retries = 2
    yield config
    cluster.shutdown()  # the actors hold the cluster's CPUs: free them for the next module


@pytest.fixture(scope="module")
def unsplit(long_clip: Path, config: EngineConfig, engine_data_dir: Path) -> dict:
    """The local analysis of the long clip, one process, no segments."""
    report = analyse_files([long_clip], config, engine_data_dir, Job(), FIELDS)
    assert not report.errors
    return report.media[0].model_dump()


def test_four_segments_equal_the_unsplit_analysis_and_a_rerun_redoes_only_what_is_lost(
    long_clip: Path, config: EngineConfig, unsplit: dict, tmp_path: Path
):
    report, run = analyse_files_on_cluster([long_clip], config, tmp_path, Job(), FIELDS)
    assert not report.errors and not run.errors
    assert run.tasks == 5  # 4 video segments + the file's audio task
    assert sum(run.per_node.values()) == 5
    media = report.media[0].model_dump()
    assert [s["start"] for s in unsplit["shots"]] == [s["start"] for s in media["shots"]]
    assert any(s["start"] == 90.0 for s in media["shots"])  # the cut on a seam, found once
    assert media == unsplit  # shots (confidences too), quality samples, speech: all the same

    # A node that died took one segment with it: the rerun computes that segment alone.
    lost = sorted((tmp_path / "analysis").rglob("shots@*~seg*.json"))[2]
    lost.unlink()
    for stitched in (tmp_path / "analysis").rglob("*.json"):
        if "~seg" not in stitched.name and not stitched.name.startswith("probe@"):
            stitched.unlink()
    again, rerun = analyse_files_on_cluster([long_clip], config, tmp_path, Job(), FIELDS)
    assert rerun.tasks == 2  # that segment (its shots and quality) and the audio task: nothing else
    assert again.media[0].model_dump() == unsplit


def test_a_worker_killed_mid_task_is_rerun_and_a_bad_file_fails_alone(
    long_clip: Path, config: EngineConfig, unsplit: dict, tmp_path: Path
):
    """SIGKILL the worker process that has just started a segment: Ray restarts the actor and reruns
    its tasks (max_retries), the batch completes with the unsplit result; a broken file is one error."""
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a movie")
    killed: list[dict] = []

    def kill_the_first_segment_worker(event: dict) -> None:
        if not killed and "#" in event["task"]:
            os.kill(event["pid"], signal.SIGKILL)
            killed.append(event)

    report, run = analyse_files_on_cluster(
        [broken, long_clip], config, tmp_path / "data", Job(), FIELDS, kill_the_first_segment_worker
    )
    assert killed and not psutil.pid_exists(killed[0]["pid"])
    assert run.restarts >= 1  # the killed task (and the one queued behind it) started again
    again = [e for e in run.starts if e["task"] == killed[0]["task"]]
    assert len(again) >= 2 and again[-1]["pid"] != killed[0]["pid"]
    assert list(run.errors) == [str(broken)] and "not a media file" in run.errors[str(broken)]
    assert [e["path"] for e in report.errors] == [str(broken)]
    assert report.media[0].model_dump() == unsplit
