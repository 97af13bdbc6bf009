"""Bridge speed: round trip and durable feedback, each next to a raw DEALER/ROUTER baseline run now.

    .venv/bin/python bench/bridge.py [--round-trips 2000] [--events 20000] [--batch 100]

Figures are printed with their ratio to the baseline measured in the same run on the same machine
(goals from issue #5: p99 round trip <= 2 ms; >= 5 000 durable feedback events/s).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zmq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bridge.client import EngineClient  # noqa: E402
from bridge.events import make_event  # noqa: E402

RAW_ROUTER = """
import sys, zmq
sock = zmq.Context().socket(zmq.ROUTER)
sock.bind(sys.argv[1])
while True:
    frames = sock.recv_multipart()
    if frames[-1] == b"stop":
        sock.send_multipart(frames)
        break
    sock.send_multipart(frames)
"""


def free_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{sock.getsockname()[1]}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def raw_baseline(round_trips: int) -> tuple[list[float], float]:
    """Round trips of a 2-frame message through a bare ROUTER echo in another process."""
    endpoint = free_endpoint()
    proc = subprocess.Popen([sys.executable, "-c", RAW_ROUTER, endpoint])
    sock: zmq.Socket = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    payload = [b"autoedit/1", b'{"type":"ping","id":"0123456789abcdef0123456789abcdef"}']
    sock.send_multipart(payload)
    sock.recv_multipart()  # connected and warm
    times = []
    start = time.perf_counter()
    for _ in range(round_trips):
        t = time.perf_counter()
        sock.send_multipart(payload)
        sock.recv_multipart()
        times.append(time.perf_counter() - t)
    rate = round_trips / (time.perf_counter() - start)
    sock.send_multipart([b"stop"])
    sock.recv_multipart()
    sock.close()
    proc.wait(timeout=10)
    return times, rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--round-trips", type=int, default=2000)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument(
        "--seq-index",
        action="store_true",
        help="pre-create an index on events(seq) in the engine's store, to show what the store's "
        "MAX(seq) per inserted row costs without one",
    )
    args = parser.parse_args()

    raw_times, raw_rate = raw_baseline(args.round_trips)
    with tempfile.TemporaryDirectory() as tmp:
        endpoint = free_endpoint()
        argv = [sys.executable, "-m", "engine", "serve", "--endpoint", endpoint, "--data-dir", f"{tmp}/data"]
        if args.seq_index:
            import sqlite3

            from engine.learning.store import default_store

            default_store(Path(tmp) / "data").close()
            with sqlite3.connect(Path(tmp) / "data" / "feedback.sqlite3") as db:
                db.execute("CREATE INDEX IF NOT EXISTS events_seq ON events(seq)")
        client = EngineClient(endpoint, spool_dir=f"{tmp}/spool", autostart=argv)
        try:
            client.ensure_engine(timeout_s=60)
            for _ in range(50):
                client.ping()
            times = []
            for _ in range(args.round_trips):
                t = time.perf_counter()
                client.ping()
                times.append(time.perf_counter() - t)

            events = [make_event("accept", "bench", f"d{i}", {"i": i}) for i in range(args.events)]
            start = time.perf_counter()
            for i in range(0, len(events), args.batch):
                client.send_feedback(events[i : i + args.batch])
                assert client.flush(timeout_s=60) == 0
            batched_rate = len(events) / (time.perf_counter() - start)

            singles = [make_event("reject", "bench", f"s{i}") for i in range(min(1000, args.events))]
            start = time.perf_counter()
            for event in singles:
                client.send_feedback([event])
                assert client.flush(timeout_s=60) == 0
            single_rate = len(singles) / (time.perf_counter() - start)
        finally:
            client.stop_engine()
            client.close()

    ms = 1000.0
    raw_p50, raw_p99 = percentile(raw_times, 50) * ms, percentile(raw_times, 99) * ms
    p50, p99 = percentile(times, 50) * ms, percentile(times, 99) * ms
    print(
        f"round trips: {args.round_trips}; raw DEALER/ROUTER baseline p50 {raw_p50:.3f} ms, "
        f"p99 {raw_p99:.3f} ms, {raw_rate:,.0f} msg/s (mean {statistics.mean(raw_times) * ms:.3f} ms)"
    )
    print(
        f"engine ping (EngineClient -> autoedit serve): p50 {p50:.3f} ms ({p50 / raw_p50:.2f}x raw), "
        f"p99 {p99:.3f} ms ({p99 / raw_p99:.2f}x raw)  goal p99 <= 2 ms: {'met' if p99 <= 2 else 'NOT met'}"
    )
    print(
        f"durable feedback, {args.batch} events per send+ack: {batched_rate:,.0f} events/s "
        f"({batched_rate / raw_rate:.2f}x raw msg/s)  goal >= 5000/s: {'met' if batched_rate >= 5000 else 'NOT met'}"
    )
    print(
        f"durable feedback, 1 event per send+ack: {single_rate:,.0f} events/s ({single_rate / raw_rate:.2f}x raw msg/s)"
    )


if __name__ == "__main__":
    main()
