"""`analyze -o` writes a regular file whole (never a half-written report), and writes to a device or
pipe in place: renaming a finished file over `-o /dev/null` replaced the machine's /dev/null."""

from __future__ import annotations

import json
import os
import stat
import threading

from engine.cli import main


def test_a_pipe_given_as_output_gets_the_report_and_stays_a_pipe(tmp_path):
    pipe = tmp_path / "report.pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    missing = tmp_path / "missing.mp4"
    code = main(["analyze", str(missing), "-o", str(pipe), "--data-dir", str(tmp_path / "data")])
    reader.join(timeout=60)
    assert code == 2
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert not (tmp_path / "report.pipe.partial").exists()
    report = json.loads(received[0])
    assert report["errors"] == [{"path": str(missing), "error": "file not found"}]


def test_a_regular_output_file_is_replaced_whole(tmp_path):
    out = tmp_path / "out" / "analysis.json"
    missing = tmp_path / "missing.mp4"
    for _ in range(2):  # a second run replaces the first report
        code = main(["analyze", str(missing), "-o", str(out), "--data-dir", str(tmp_path / "data")])
        assert code == 2
    assert json.loads(out.read_text())["errors"][0]["path"] == str(missing)
    assert sorted(p.name for p in out.parent.iterdir()) == ["analysis.json"]
