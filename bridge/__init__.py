"""AutoEdit bridge: the host side of the engine connection (standard library + pyzmq only).

Blender's add-on and Resolve's scripts use `EngineClient` to submit edits and to send the editor's
preference events, which are spooled to disk until the engine acknowledges them. The contracts
(protocol, events, formats, rates) are standard library only and import without pyzmq, so a host
whose Python lacks it can still build events and read timelines; the client loads on first use.
"""

from __future__ import annotations

from typing import Any

from bridge.events import make_event
from bridge.protocol import DEFAULT_ENDPOINT, TAG

_CLIENT_NAMES = ("EngineClient", "EngineError", "EngineUnavailable", "JobFailed")

__all__ = ["DEFAULT_ENDPOINT", "TAG", *_CLIENT_NAMES, "make_event"]


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from bridge import client

        return getattr(client, name)
    raise AttributeError(f"module 'bridge' has no attribute {name!r}")
