"""`autoedit batch --ray ADDRESS`: a 3-file batch through the session's Ray cluster writes the reports a
local batch writes (a bad file's entry holds the usual error, as locally), and the summary says what the
cluster did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.synthetic import write_long_talk


@pytest.fixture(scope="module")
def batch_in(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three short, cheap talking clips (160x90, 12 fps) and one file that is no media."""
    in_dir = tmp_path_factory.mktemp("batch-in")
    for name, seconds in (("a.mp4", 8.0), ("b.mp4", 10.0), ("c.mp4", 12.0)):
        write_long_talk(in_dir / name, seconds, seam_every=seconds / 4)
    (in_dir / "broken.mov").write_bytes(b"this is not a movie")
    return in_dir


def _reports(out_dir: Path) -> dict[str, dict]:
    """Each report's media and errors (the version too; nothing else is in a report)."""
    return {p.name: json.loads(p.read_text()) for p in sorted(out_dir.glob("*.analyze.json"))}


def test_a_three_file_batch_on_the_cluster_equals_the_local_batch(
    batch_in: Path, ray_cluster: str, autoedit, engine_data_dir: Path, tmp_path: Path
):
    local_out, ray_out = tmp_path / "local", tmp_path / "ray"
    local = autoedit("batch", batch_in, "--prompt", "x", "--out", local_out, "--job", "analyze", timeout=420)
    assert local.returncode == 0, local.stderr  # the broken file's report holds its error
    on_ray = autoedit(
        "batch",
        batch_in,
        "--prompt",
        "x",
        "--out",
        ray_out,
        "--job",
        "analyze",
        "--ray",
        ray_cluster,
        "--data-dir",
        tmp_path / "head-data",  # its own analysis cache: nothing is read from the local run's
        env={
            "AUTOEDIT__DISTRIBUTED__WORKERS": "2",
            "AUTOEDIT__DISTRIBUTED__WORKER_DATA_DIR": str(engine_data_dir),  # models assembled once
            "AUTOEDIT__DISTRIBUTED__START_TIMEOUT_S": "240",
            "AUTOEDIT__DISTRIBUTED__TASK_TIMEOUT_S": "300",
        },
        timeout=420,
    )
    assert on_ray.returncode == 0, on_ray.stderr
    assert "4 done, 0 skipped (finished before), 0 failed" in on_ray.stderr
    assert "cluster: 3 analysis task(s); node " in on_ray.stderr  # one task per short file
    assert "0 task(s) rerun" in on_ray.stderr
    manifest = json.loads((ray_out / "autoedit-batch.json").read_text())["files"]
    assert {k: v["status"] for k, v in manifest.items()} == {
        "a.mp4": "done",
        "b.mp4": "done",
        "c.mp4": "done",
        "broken.mov": "done",
    }
    ours, theirs = _reports(ray_out), _reports(local_out)
    assert sorted(ours) == [f"{n}.analyze.json" for n in ("a.mp4", "b.mp4", "broken.mov", "c.mp4")]
    assert ours == theirs  # shots, faces, quality, words, beats, loudness, and the bad file's error
    [error] = ours["broken.mov.analyze.json"]["errors"]
    assert error["path"].endswith("broken.mov") and "not a media file" in error["error"]
