"""The engine process a host starts for itself when none answers: how to start it, detached, and stop it.

Kept apart from the client, which only speaks the protocol: this is about one child process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from bridge import protocol


def local_engine_argv(
    python: str | os.PathLike[str] = sys.executable,
    endpoint: str = protocol.DEFAULT_ENDPOINT,
    data_dir: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
) -> list[str]:
    """The argv that starts `autoedit serve` with the given Python (the engine's venv, not Blender's)."""
    argv = [str(python), "-m", "engine", "serve", "--endpoint", endpoint]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    if config is not None:
        argv += ["--config", str(config)]
    return argv


class LocalEngine:
    """One engine child of this host: started detached (its own session, no console), output to a log
    file or nowhere, so closing the host's terminal or Blender does not take it down mid-job."""

    def __init__(self, argv: list[str], log_path: str | os.PathLike[str] | None = None):
        self.argv = list(argv)
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def started(self) -> bool:
        return self.proc is not None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        """The exit status of the engine started last, or None while it runs (or none was started)."""
        return self.proc.poll() if self.proc is not None else None

    @property
    def exited(self) -> bool:
        return self.exit_code() is not None

    def start(self) -> None:
        """Start it unless it is running."""
        if self.running:
            return
        kwargs: dict[str, Any] = {"stdin": subprocess.DEVNULL, "close_fds": True}
        if sys.platform == "win32":  # pragma: no cover
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS
        else:
            kwargs["start_new_session"] = True
        out = open(self.log_path, "ab") if self.log_path is not None else None  # noqa: SIM115 - handed to the child
        kwargs["stdout"] = out if out is not None else subprocess.DEVNULL
        kwargs["stderr"] = subprocess.STDOUT if out is not None else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(self.argv, **kwargs)
        finally:
            if out is not None:
                out.close()

    def kill(self) -> None:
        """Kill a running engine of ours (hung: a new one cannot bind while it lives)."""
        if self.running:
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait()

    def wait_or_kill(self, timeout_s: float) -> None:
        """After asking it to stop: wait for the exit, kill it if it does not, and forget it."""
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
