"""Fixtures for the bridge tests: real engine processes on loopback, real clients, real spool files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge.client import EngineClient

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / ".." / "shared" / "media"
# 24 s, 1280x720 at 30000/1001, no audio: about a second of decoding per probe on this machine
PROBE_CLIP = MEDIA / "video_cuts" / "pyscenedetect_testvideo.mp4"


def free_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{sock.getsockname()[1]}"


def engine_argv(endpoint: str, data_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "engine",
        "serve",
        "--endpoint",
        endpoint,
        "--data-dir",
        str(data_dir),
        *extra,
    ]


def engine_env(**server: object) -> dict[str, str]:
    """The current environment plus AUTOEDIT__SERVER__* overrides for the engine's `server` settings."""
    env = dict(os.environ)
    # These engines test delivery, not learning: their events name no recorded timeline.
    env["AUTOEDIT__LEARNING__BACKGROUND_TRAINING"] = "false"
    for key, value in server.items():
        env[f"AUTOEDIT__SERVER__{key.upper()}"] = str(value)
    return env


@dataclass
class Engine:
    proc: subprocess.Popen
    endpoint: str
    data_dir: Path
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def start_engine(tmp_path: Path) -> Iterator:
    """start_engine(**server_settings) -> a running `autoedit serve` subprocess that has answered hello."""
    engines: list[Engine] = []

    def start(data_dir: Path | None = None, env: dict[str, str] | None = None, **server: object) -> Engine:
        endpoint = free_endpoint()
        data_dir = data_dir or tmp_path / f"engine-data-{len(engines)}"
        log = tmp_path / f"engine-{len(engines)}.stderr"
        with open(log, "wb") as err:
            proc = subprocess.Popen(
                engine_argv(endpoint, data_dir),
                stdout=subprocess.DEVNULL,
                stderr=err,
                env={**engine_env(**server), **(env or {})},
            )
        engine = Engine(proc, endpoint, data_dir, log)
        engines.append(engine)
        probe = EngineClient(endpoint, spool_dir=tmp_path / "probe-spool", request_timeout_s=0.5)
        try:
            probe.ensure_engine(timeout_s=30)
        finally:
            probe.close()
        return engine

    yield start
    for engine in engines:
        engine.stop()


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator:
    """make_client(endpoint, **kwargs) -> an EngineClient closed (and its engine stopped, if it started one)."""
    clients: list[EngineClient] = []

    def make(endpoint: str, **kwargs: object) -> EngineClient:
        kwargs.setdefault("spool_dir", tmp_path / f"spool-{len(clients)}")
        client = EngineClient(endpoint, **kwargs)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        if client.owns_engine:
            client.stop_engine(timeout_s=10)
        client.close()


def raw_dealer(endpoint: str):
    """A bare DEALER socket, for sending what a well-behaved client never would."""
    import zmq

    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    return sock


def recv_reply(
    sock, request_id: str | None = None, timeout_s: float = 10.0, kinds: tuple[str, ...] = ()
) -> dict:
    """The next message answering request_id (or of one of `kinds`), skipping heartbeats; fails at the deadline."""
    import json
    import time

    import zmq

    from bridge.protocol import TAG

    deadline = time.monotonic() + timeout_s
    while True:
        left_ms = int((deadline - time.monotonic()) * 1000)
        assert left_ms > 0 and sock.poll(left_ms, zmq.POLLIN), (
            f"no reply to {request_id or kinds} in {timeout_s} s"
        )
        frames = sock.recv_multipart()
        assert frames[0] == TAG and len(frames) == 2
        message = json.loads(frames[1])
        if (request_id is not None and message.get("id") == request_id) or message.get("type") in kinds:
            return message
