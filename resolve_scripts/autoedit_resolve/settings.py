"""Where the Resolve host keeps its files and how it reaches the engine.

Resolve starts our scripts in its own Python with nothing of ours configured, so `autoedit
install-resolve` writes `autoedit_resolve.json` beside the installed entry scripts (engine command,
endpoint, data dir, profile). Environment variables fill what it leaves out: AUTOEDIT_DATA_DIR,
AUTOEDIT_ENDPOINT, AUTOEDIT_ENGINE (the `autoedit` executable), AUTOEDIT_PROFILE. The host writes only under `<data dir>/resolve/`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from bridge import protocol

SETTINGS_FILE = "autoedit_resolve.json"
DEFAULT_ENDPOINT = protocol.DEFAULT_ENDPOINT


@dataclass(frozen=True)
class HostSettings:
    data_dir: Path
    endpoint: str = DEFAULT_ENDPOINT
    engine_command: tuple[str, ...] = ()  # argv prefix that runs `autoedit` (else engine_python -m engine)
    engine_python: str | None = None  # the engine environment's Python (runs host_cli for Lua / no pyzmq)
    heartbeat_s: float = protocol.HEARTBEAT_INTERVAL_S
    profile: str | None = None  # "embedded" | "studio": the engine's settings profile (None: its default)
    editor_profile: str = "default"  # whose taste: reviews go out as this profile, edits use its reward model
    extra: dict = field(default_factory=dict)

    @property
    def host_dir(self) -> Path:
        return self.data_dir / "resolve"

    @property
    def spool_dir(self) -> Path:
        return self.host_dir / "spool"

    @property
    def sessions_dir(self) -> Path:
        return self.host_dir / "sessions"

    @property
    def timelines_dir(self) -> Path:
        return self.host_dir / "timelines"

    def autostart_argv(self) -> list[str] | None:
        """argv that starts a local engine on our endpoint and data dir, or None when not configured."""
        if self.engine_command:
            prefix = list(self.engine_command)
        elif self.engine_python:
            prefix = [self.engine_python, "-m", "engine"]
        else:
            return None
        return [
            *prefix,
            "serve",
            "--endpoint",
            self.endpoint,
            "--data-dir",
            str(self.data_dir),
            *(["--profile", self.profile] if self.profile else []),
        ]

    def job_options(self, options: dict) -> dict:
        """A job's options with this host's profiles, so an engine started elsewhere runs it the same way
        and edits with this editor's taste."""
        out = {**options, "editor_profile": self.editor_profile}
        return {**out, "profile": self.profile} if self.profile else out

    def make_dirs(self) -> None:
        for d in (self.spool_dir, self.sessions_dir, self.timelines_dir):
            d.mkdir(parents=True, exist_ok=True)


def load_settings(
    settings_file: str | os.PathLike[str] | None = None, environ: dict | None = None
) -> HostSettings:
    """Settings from the JSON file (when given and present), else the environment, else defaults."""
    env = os.environ if environ is None else environ
    raw: dict = {}
    if settings_file is not None and Path(settings_file).is_file():
        with open(settings_file, encoding="utf-8") as fh:
            raw = json.load(fh)
    data_dir = raw.get("data_dir") or env.get("AUTOEDIT_DATA_DIR") or "~/.cache/autoedit"
    endpoint = raw.get("endpoint") or env.get("AUTOEDIT_ENDPOINT") or DEFAULT_ENDPOINT
    engine = env.get("AUTOEDIT_ENGINE")
    command = list(raw.get("engine_command") or []) or ([engine] if engine else [])
    return HostSettings(
        data_dir=Path(data_dir).expanduser().resolve(),
        endpoint=endpoint,
        engine_command=tuple(command),
        engine_python=raw.get("engine_python") or env.get("AUTOEDIT_PYTHON"),
        heartbeat_s=float(raw.get("heartbeat_s") or protocol.HEARTBEAT_INTERVAL_S),
        profile=raw.get("profile") or env.get("AUTOEDIT_PROFILE") or None,
        editor_profile=str(raw.get("editor_profile") or env.get("AUTOEDIT_EDITOR_PROFILE") or "default"),
        extra={
            k: v
            for k, v in raw.items()
            if k
            not in {"data_dir", "endpoint", "engine_command", "engine_python", "profile", "editor_profile"}
        },
    )
