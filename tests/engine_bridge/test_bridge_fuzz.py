"""10 000 fuzzed messages at a real engine: every answer is well-formed and the engine keeps serving."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge import protocol
from engine_bridge.conftest import raw_dealer, recv_reply

MESSAGES_PER_EXAMPLE = 10
EXAMPLES = 1000  # 10 000 messages in all
MAX_BYTES = 16 * 1024

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
types = st.sampled_from(
    sorted((protocol.REQUEST_TYPES | protocol.REPLY_TYPES | protocol.PUSH_TYPES) - {"shutdown"})
)
events = st.fixed_dictionaries(
    {},
    optional={
        "event_id": st.uuids().map(str) | st.text(max_size=20),
        "kind": st.sampled_from(["accept", "reject", "trim", "reorder", "prefer", "love"]),
        "timeline_id": st.text(max_size=10) | st.none(),
        "decision_id": st.text(max_size=10) | st.none(),
        "value": json_values,
        "time": st.datetimes().map(lambda d: d.isoformat()) | st.text(max_size=10),
        "profile": st.text(max_size=10),
    },
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "type": types | st.text(max_size=12) | json_scalars,
        "id": st.text(min_size=1, max_size=12) | json_scalars,
        "job_id": st.text(max_size=20) | json_scalars,
        "kind": st.sampled_from(["edit", "analyze", "probe", "render"]),
        "media": st.lists(
            st.fixed_dictionaries({"path": st.text(max_size=30)}, optional={"in": json_scalars}), max_size=3
        )
        | json_values,
        "prompt": st.text(max_size=60) | json_scalars,
        "options": st.dictionaries(
            st.sampled_from(["exports", "seed", "aspect", "x"]), json_values, max_size=3
        ),
        "events": st.lists(events | json_values, max_size=5) | json_values,
    },
)
body_bytes = (
    bodies.map(lambda b: json.dumps(b).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | (st.binary(max_size=64))
)
tags = (
    st.just(protocol.TAG)
    | st.sampled_from([b"autoedit/2", b"autoedit/", b"", b"AUTOEDIT/1"])
    | st.binary(max_size=12)
)
message_frames = (
    st.tuples(st.just(protocol.TAG), body_bytes).map(list)
    | st.tuples(tags, body_bytes).map(list)
    | st.lists(st.binary(max_size=32), min_size=1, max_size=4)
    | st.integers(MAX_BYTES, 2 * MAX_BYTES).map(
        lambda n: [protocol.TAG, b'{"type":"ping","id":"big","pad":"' + b"a" * n]
    )
)


def test_ten_thousand_fuzzed_messages_leave_the_engine_alive_and_answering(start_engine):
    engine = start_engine(max_message_bytes=MAX_BYTES)
    sock = raw_dealer(engine.endpoint)
    sent = {"messages": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(message_frames, min_size=MESSAGES_PER_EXAMPLE, max_size=MESSAGES_PER_EXAMPLE))
    def fuzz(batch: list[list[bytes]]) -> None:
        for frames in batch:
            sock.send_multipart(frames)
        sent["messages"] += len(batch)
        marker = f"alive-{sent['messages']}"
        sock.send_multipart(protocol.encode({"type": "ping", "id": marker}))
        deadline = time.monotonic() + 30
        while True:
            left = int((deadline - time.monotonic()) * 1000)
            assert left > 0 and sock.poll(left), "the engine stopped answering"
            frames = sock.recv_multipart()
            assert len(frames) == 2 and frames[0] == protocol.TAG
            answer = json.loads(frames[1])
            assert answer["type"] in protocol.REPLY_TYPES | protocol.PUSH_TYPES, answer
            if answer["type"] == "error":
                assert isinstance(answer["code"], str) and isinstance(answer["message"], str)
            if answer.get("id") == marker:
                assert answer["type"] == "pong"
                return

    fuzz()
    assert sent["messages"] == EXAMPLES * MESSAGES_PER_EXAMPLE
    assert engine.proc.poll() is None
    sock.send_multipart(protocol.encode({"type": "status", "id": "after"}))
    assert recv_reply(sock, "after")["type"] == "status"
    sock.close()
