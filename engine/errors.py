"""Errors the CLI and the server turn into exit codes and `error` replies.

Exit status (DESIGN.md): 0 success, 2 bad input (the message names the file and the problem), 1 otherwise.
"""

from __future__ import annotations

from pathlib import Path


class AutoEditError(Exception):
    """Base for errors we expect and can explain to the user."""

    exit_code = 1
    code = "internal"


class BadInput(AutoEditError):
    """The user gave us something we cannot use: a file, a prompt, an option."""

    exit_code = 2
    code = "bad_input"

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = str(path) if path is not None else None
        super().__init__(f"{path}: {message}" if path is not None else message)


class ConfigError(BadInput):
    """A configuration key or value is wrong; the message names it."""

    code = "bad_config"


class ModelNotFound(AutoEditError):
    """Configured model weights are not on this machine. We never fall back to something else silently."""

    code = "model_not_found"

    def __init__(self, model: str, looked_in: list[str], how_to_provide: str):
        self.model = model
        self.looked_in = looked_in
        places = "\n  ".join(looked_in) if looked_in else "(nowhere configured)"
        super().__init__(
            f"model '{model}' is not available locally.\nLooked in:\n  {places}\nTo provide it: {how_to_provide}"
        )


class Cancelled(AutoEditError):
    """The user (or a client) cancelled the job."""

    code = "cancelled"


class NotImplementedYet(AutoEditError):
    """A subcommand whose issue is not done yet: say so instead of faking output."""

    code = "not_implemented"
