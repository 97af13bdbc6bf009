"""A real Ray cluster on 127.0.0.1 for the session, and the 3-minute clip the segment tests split.

`ray start --head --block` with 2 CPUs, loopback only (single-machine mode), token authentication
with a token made for the session (in the environment, not in ~/.ray), no dashboard, usage stats off,
its own temp dir. The teardown ends the processes it started, by their ids.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from engine_bridge.conftest import make_client, start_engine  # noqa: F401 (engines for the server test)

REPO = Path(__file__).resolve().parents[2]
SEGMENT_S = 45.0  # the 3-minute clip splits into 4 segments


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The head's address, HOST:PORT, of a 2-CPU cluster started for this session."""
    port = _free_port()
    temp = tmp_path_factory.mktemp("ray")
    ray_env = {
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # one machine: every Ray process binds 127.0.0.1
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
    }
    patch = pytest.MonkeyPatch()  # this process and the CLIs the tests run join with the same settings
    for key, value in ray_env.items():
        patch.setenv(key, value)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [
        str(Path(sys.executable).parent / "ray"),
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={port}",
        "--num-cpus=2",
        "--num-gpus=0",
        "--object-store-memory=100000000",
        "--include-dashboard=false",
        "--disable-usage-stats",
        f"--temp-dir={temp}",
    ]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # blocks until ray prints that the head is up (or exits)
        seen.append(line)
        if "Ray runtime started" in line:
            break
    else:
        pytest.fail("ray start --head failed:\n" + "".join(seen), pytrace=False)
    drain = threading.Thread(target=proc.stdout.read, daemon=True)  # keep its pipe from filling
    drain.start()
    yield f"127.0.0.1:{port}"
    started = psutil.Process(proc.pid).children(recursive=True)  # GCS, raylet, agents, workers
    proc.send_signal(signal.SIGTERM)  # `ray start --block` stops what it started
    proc.wait(timeout=60)
    for child in started:
        if child.is_running():
            child.kill()
    patch.undo()


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 minutes at 12 fps, 160x90: speech every 10.6 s, a cut every ~7 s, one right on the 90 s seam."""
    from engine.synthetic import write_long_talk

    path = tmp_path_factory.mktemp("long") / "long_talk.mp4"
    write_long_talk(path, 180.0, seam_every=SEGMENT_S)
    return path
