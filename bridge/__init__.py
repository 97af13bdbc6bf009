"""AutoEdit bridge: the host side of the engine connection (standard library + pyzmq only).

Blender's add-on and Resolve's scripts use `EngineClient` to submit edits and to send the editor's
preference events, which are spooled to disk until the engine acknowledges them.
"""

from bridge.client import EngineClient, EngineError, EngineUnavailable, JobFailed
from bridge.events import make_event
from bridge.protocol import DEFAULT_ENDPOINT, TAG

__all__ = [
    "DEFAULT_ENDPOINT",
    "TAG",
    "EngineClient",
    "EngineError",
    "EngineUnavailable",
    "JobFailed",
    "make_event",
]
