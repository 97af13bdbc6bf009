"""`autoedit serve --ray ADDRESS`: an analyze job's analysis runs on the cluster, `status` names its node,
and the protocol is the one a local engine speaks."""

from __future__ import annotations

from pathlib import Path

from engine.synthetic import write_long_talk


def test_the_server_sends_analysis_to_the_cluster_and_status_names_the_node(
    ray_cluster: str,
    start_engine,
    make_client,
    engine_data_dir: Path,
    tmp_path: Path,
):
    clip = tmp_path / "talk.mp4"
    write_long_talk(clip, 10.0, seam_every=2.5)
    engine = start_engine(
        data_dir=tmp_path / "head",
        env={
            "AUTOEDIT__DISTRIBUTED__RAY_ADDRESS": ray_cluster,
            "AUTOEDIT__DISTRIBUTED__WORKERS": "1",
            "AUTOEDIT__DISTRIBUTED__WORKER_DATA_DIR": str(engine_data_dir),
            "AUTOEDIT__DISTRIBUTED__START_TIMEOUT_S": "240",
        },
    )
    client = make_client(engine.endpoint)
    job_id = client.submit([{"path": str(clip)}], "", kind="analyze")
    stages: set[str] = set()
    result = client.wait(job_id, on_progress=lambda m: stages.add(m["stage"].split("/")[0]), timeout_s=300)
    assert "cluster" in stages
    media = result["report"]["media"][0]
    assert media["shots"] and media["words"]
    job = client.status(job_id)["job"]
    assert job["state"] == "done"
    assert len(job["node"]) == 56 and all(c in "0123456789abcdef" for c in job["node"])  # a Ray node id
