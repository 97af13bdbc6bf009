"""The `autoedit/1` wire protocol shared by the bridge client and the engine server.

Every message is two ZeroMQ frames: the tag `b"autoedit/1"` and one UTF-8 JSON object with a `type`.
Requests carry an `id`; the reply to a request carries the same `id`. Pushes about a job (`progress`,
`result`, and `error` when a job fails) carry its `job_id`. `heartbeat` flows both ways and needs no
reply. This module is standard library only: it runs inside Blender's and Resolve's Python. The
server validates request bodies further with pydantic (engine/server/requests.py). Event values are
bridge/events.py's, timeline formats bridge/formats.py's.

Additions to DESIGN.md's list, and why: `shutdown` (request, answered by `bye`) lets a host stop the
engine it started; `status` is also the reply type to a `status` request (no listed type fitted);
`heartbeat` is the engine-to-client heartbeat (the client's heartbeat is a `ping`, answered by `pong`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

TAG = b"autoedit/1"
TAG_FAMILY = b"autoedit/"
VERSION = 1
DEFAULT_ENDPOINT = "tcp://127.0.0.1:5557"
DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024

REQUEST_TYPES = frozenset({"hello", "ping", "submit", "cancel", "status", "feedback", "shutdown"})
REPLY_TYPES = frozenset({"welcome", "pong", "accepted", "status", "ack", "error", "bye"})
PUSH_TYPES = frozenset({"progress", "result", "error", "heartbeat"})
JOB_KINDS = ("edit", "analyze", "probe")
# Heartbeats both ways: every interval, and a side that hears nothing for MISSED_HEARTBEATS intervals
# treats the other as gone (the engine forgets the client's jobs, the client restarts or reports).
HEARTBEAT_INTERVAL_S = 1.0
MISSED_HEARTBEATS = 3

# error codes (the `code` field of an `error` message)
MALFORMED = "malformed"  # not two frames / not a JSON object / no type
TOO_LARGE = "too_large"  # over the engine's max_message_bytes
WRONG_VERSION = "wrong_version"  # a tag from another version of this protocol
UNKNOWN_TYPE = "unknown_type"
BAD_REQUEST = "bad_request"  # right type, wrong fields
BAD_INPUT = "bad_input"  # media missing or unreadable, bad options (names the file)
BUSY = "busy"  # the job queue is full; try again later
NOT_FOUND = "not_found"  # no such job
CANCELLED = "cancelled"
MODEL_NOT_FOUND = "model_not_found"
ENGINE_LOST = "engine_lost"  # client side: the engine stopped answering and could not be restarted
INTERNAL = "internal"


class ProtocolError(Exception):
    """A message that cannot be accepted; the receiver answers it with an `error` of this code."""

    def __init__(self, code: str, message: str, request_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def new_id() -> str:
    return uuid.uuid4().hex


def encode(message: dict[str, Any]) -> list[bytes]:
    return [TAG, json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")]


def decode(frames: list[bytes], max_bytes: int | None = None) -> dict[str, Any]:
    """Frames after the routing envelope -> the message; raises ProtocolError saying what is wrong."""
    if max_bytes is not None and sum(len(f) for f in frames) > max_bytes:
        raise ProtocolError(TOO_LARGE, f"message is larger than {max_bytes} bytes")
    if len(frames) != 2:
        raise ProtocolError(MALFORMED, f"expected 2 frames (tag, JSON), got {len(frames)}")
    tag, body = frames
    try:
        message: Any = json.loads(body.decode("utf-8"))
        parse_error: Exception | None = None
    except (UnicodeDecodeError, ValueError) as exc:
        message, parse_error = None, exc
    request_id = message.get("id") if isinstance(message, dict) else None
    if request_id is not None and not isinstance(request_id, str):
        raise ProtocolError(MALFORMED, "'id' must be a string")
    if tag != TAG:  # answered with the request's id when it can be read, so the sender can match it
        if tag.startswith(TAG_FAMILY):
            shown = tag[:40].decode("utf-8", "replace")
            raise ProtocolError(
                WRONG_VERSION,
                f"protocol {shown!r} is not supported; this side speaks {TAG.decode()}",
                request_id,
            )
        raise ProtocolError(MALFORMED, f"first frame must be the tag {TAG.decode()!r}", request_id)
    if parse_error is not None:
        raise ProtocolError(MALFORMED, f"second frame is not UTF-8 JSON: {parse_error}")
    if not isinstance(message, dict):
        raise ProtocolError(MALFORMED, "message must be a JSON object")
    kind = message.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(MALFORMED, "message has no string 'type'", request_id)
    return message


def request(message_type: str, /, **fields: Any) -> dict[str, Any]:
    return {"type": message_type, "id": new_id(), **fields}


def reply(to: dict[str, Any], message_type: str, /, **fields: Any) -> dict[str, Any]:
    return {"type": message_type, "id": to.get("id"), **fields}


def error(
    code: str, message: str, request_id: str | None = None, job_id: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if request_id is not None:
        out["id"] = request_id
    if job_id is not None:
        out["job_id"] = job_id
    return out
