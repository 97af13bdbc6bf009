"""The one error type the host shows to the editor (dialog or console), with a message that says what to do."""

from __future__ import annotations


class HostError(Exception):
    """Something the editor can fix: no project open, nothing selected, engine unreachable, ..."""
