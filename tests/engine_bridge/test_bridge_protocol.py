"""The wire format, preference events and the feedback spool, without an engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bridge import protocol
from bridge.events import (
    IMPLICIT_DELETED,
    accept_value,
    check_event,
    event_problem,
    make_event,
    prefer_value,
    reject_value,
    reorder_value,
    trim_value,
    value_problem,
)
from bridge.spool import FeedbackSpool

REPO = Path(__file__).resolve().parents[2]


def _new_modules(imports: str) -> set[str]:
    code = f"import sys; before = set(sys.modules); {imports}; print('\\n'.join(sorted(set(sys.modules) - before)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    return {name.split(".")[0] for name in out.split()}


def test_bridge_imports_only_stdlib_and_pyzmq():
    by_bridge = _new_modules("import bridge, bridge.client, bridge.protocol, bridge.spool, bridge.events")
    by_pyzmq = _new_modules("import zmq")
    foreign = by_bridge - set(sys.stdlib_module_names) - by_pyzmq - {"bridge"}
    assert foreign == set(), (
        f"bridge pulled in modules beyond the standard library and pyzmq: {sorted(foreign)}"
    )
    assert "zmq" in by_bridge and "pydantic" not in by_bridge


def test_encode_decode_round_trip_keeps_unicode_and_id():
    message = protocol.request("submit", prompt="café ✂ cut", media=[{"path": "/a b.mp4"}])
    frames = protocol.encode(message)
    assert frames[0] == b"autoedit/1"
    assert protocol.decode(frames) == message


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        ([b"autoedit/1"], protocol.MALFORMED),
        ([b"autoedit/1", b"{}", b"extra"], protocol.MALFORMED),
        ([b"autoedit/2", b'{"type":"ping","id":"x"}'], protocol.WRONG_VERSION),
        ([b"http/1.1", b'{"type":"ping","id":"x"}'], protocol.MALFORMED),
        ([b"autoedit/1", b"\xff\xfe"], protocol.MALFORMED),
        ([b"autoedit/1", b"[1, 2]"], protocol.MALFORMED),
        ([b"autoedit/1", b'{"id": "x"}'], protocol.MALFORMED),
        ([b"autoedit/1", b'{"type": "ping", "id": 5}'], protocol.MALFORMED),
        ([b"autoedit/1", b'{"type": "ping", "id": "x", "pad": "' + b"a" * 2000 + b'"}'], protocol.TOO_LARGE),
    ],
)
def test_decode_names_what_is_wrong(frames, code):
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.decode(frames, max_bytes=1024)
    assert caught.value.code == code


def test_decode_keeps_the_request_id_when_the_type_is_missing():
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.decode([protocol.TAG, b'{"id": "r-1", "type": 3}'])
    assert caught.value.request_id == "r-1"


def test_make_event_matches_design_and_refuses_bad_kinds():
    value = trim_value(1.5, 3.0, head_frames=6, tail_frames=-2, rate=(24000, 1001))
    event = make_event("trim", "tl-1", "d-7", value, profile="alice")
    assert set(event) == {"event_id", "timeline_id", "decision_id", "kind", "value", "time", "profile"}
    assert event["kind"] == "trim" and event["value"] == value and event["profile"] == "alice"
    assert value == {
        "source_start": 1.5,
        "source_end": 3.0,
        "head_frames": 6,
        "tail_frames": -2,
        "rate": [24000, 1001],
    }
    check_event(event)
    assert make_event("accept", "tl-1", None)["event_id"] != make_event("accept", "tl-1", None)["event_id"]
    with pytest.raises(ValueError, match="kind"):
        make_event("like", "tl-1", "d-7")
    with pytest.raises(ValueError, match="value"):
        make_event("accept", "tl-1", "d-7", value=[1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "value", "problem"),
    [
        ("accept", {"strip": "clip 01"}, "must be {}"),
        ("reject", {"implicit": "removed"}, "must be {}"),
        ("trim", {"delta_s": -0.5}, "missing source_start, source_end"),
        ("trim", {"source_start": 2.0, "source_end": 1.0}, "0 <= start < end"),
        ("trim", {"source_start": 0.0, "source_end": 1.0, "rate": [24, 0]}, "rate"),
        ("trim", {"source_start": 0.0, "source_end": 1.0, "head_frames": 0.5}, "whole number"),
        ("trim", {"source_start": 0, "source_end": 1, "before": {}}, "unknown key(s) before"),
        ("reorder", {"from_index": 3, "to_index": 0}, "missing from, to"),
        ("reorder", {"from": -1, "to": 0}, "integers >= 0"),
        ("prefer", {"rejected": "d-2"}, "missing over"),
    ],
)
def test_each_kind_has_one_value_shape(kind, value, problem):
    assert problem in (value_problem(kind, value) or "")
    with pytest.raises(ValueError, match="value"):
        make_event(kind, "tl-1", "d-7", value)


def test_value_builders_give_the_design_shapes():
    assert accept_value() == {} and reject_value(IMPLICIT_DELETED) == {"implicit": "deleted"}
    assert reorder_value(3, 0) == {"from": 3, "to": 0}
    assert prefer_value("d-2") == {"over": "d-2"}
    for kind, value in (("accept", {}), ("reject", {"implicit": "deleted"}), ("prefer", {"over": "x"})):
        assert value_problem(kind, value) is None
    assert "decision_id" in (
        event_problem({**make_event("prefer", "t", "d", {"over": "x"}), "decision_id": None}) or ""
    )


def _ids(spool_dir: Path) -> list[str]:
    ids = []
    for path in spool_dir.glob("feedback-*.jsonl"):
        ids += [json.loads(line)["event_id"] for line in path.read_bytes().splitlines() if line.strip()]
    return ids


def test_spool_survives_until_acked_and_truncates_when_empty(tmp_path):
    spool = FeedbackSpool(tmp_path, "a")
    events = [make_event("accept", "t", f"d{i}") for i in range(5)]
    spool.append(events)
    assert sorted(_ids(tmp_path)) == sorted(e["event_id"] for e in events)
    assert spool.acknowledge([events[0]["event_id"], "unknown-id"]) == 1
    assert len(spool) == 4
    spool.acknowledge([e["event_id"] for e in events[1:]])
    assert len(spool) == 0 and spool.path.stat().st_size == 0
    spool.close()
    assert not spool.path.exists()


def test_spool_compacts_when_acked_lines_pile_up(tmp_path):
    spool = FeedbackSpool(tmp_path, "a")
    keep = make_event("reject", "t", "keep")
    spool.append([keep])
    for start in range(0, 3000, 500):
        batch = [make_event("accept", "t", f"d{start + i}") for i in range(500)]
        spool.append(batch)
        spool.acknowledge([e["event_id"] for e in batch])
    assert _ids(tmp_path).count(keep["event_id"]) == 1
    assert len(_ids(tmp_path)) < 1100  # compacted at least once, not 3001 lines
    spool.close()


def test_a_new_spool_adopts_what_a_dead_client_left_including_a_torn_line(tmp_path):
    live = FeedbackSpool(tmp_path, "live")  # holds its lock: must not be adopted by the next one
    live.append([make_event("accept", "t", "live")])
    events = [make_event("prefer", "t", f"d{i}", {"over": "x"}) for i in range(3)]
    orphan = tmp_path / "feedback-dead.jsonl"
    orphan.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in events) + b'{"event_id": "torn", "ki')
    spool = FeedbackSpool(tmp_path, "new")
    assert sorted(e["event_id"] for e in spool.pending()) == sorted(e["event_id"] for e in events)
    assert not orphan.exists() and live.path.exists()
    live.close()
    spool.close()


def test_a_j_cut_picture_offset_is_read_from_the_clip_metadata() -> None:
    from bridge.events import picture_offsets

    assert picture_offsets({"autoedit": {"j_cut": {"picture_offset_frames": [0, 6]}}}) == (0, 6)
    assert picture_offsets({"autoedit": {"decision_id": "d1"}}) == (0, 0)
    assert picture_offsets({"autoedit": {"j_cut": {"picture_offset_frames": "bad"}}}) == (0, 0)
    assert picture_offsets(None) == (0, 0)
