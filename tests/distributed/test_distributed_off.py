"""Without `--ray` (and no distributed.ray_address) nothing changes: Ray is never imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / ".." / "shared" / "media"

SCRIPT = """
import sys
from engine.cli import main
import engine.commands.analyze, engine.commands.batch, engine.commands.serve
import engine.server.jobs, engine.server.server, engine.distributed.options
code = main(sys.argv[1:])
print("RAY_LOADED" if any(m == "ray" or m.startswith("ray.") for m in sys.modules) else "NO_RAY", code)
"""


def test_a_batch_without_ray_never_imports_it(tmp_path: Path):
    in_dir = tmp_path / "in"
    in_dir.mkdir()
    (in_dir / "a.mp4").symlink_to(MEDIA / "video_cuts" / "pyscenedetect_counter.mp4")
    env = {**os.environ, "PYTHONPATH": str(REPO), "AUTOEDIT_DATA_DIR": str(tmp_path / "data")}
    argv = ["batch", str(in_dir), "--prompt", "x", "--out", str(tmp_path / "out"), "--job", "probe"]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", SCRIPT, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.stdout.split()[-2:] == ["NO_RAY", "0"], done.stdout + done.stderr[-3000:]
    imported = [line.split("|")[-1].strip() for line in done.stderr.splitlines() if "import time:" in line]
    assert "engine.distributed.options" in imported
    assert not [name for name in imported if name == "ray" or name.startswith("ray.")]
