"""`autoedit batch`: per-file errors reported and skipped, resumable, writes only into OUT_DIR."""

from __future__ import annotations

import json

from engine_bridge.conftest import MEDIA


def _tree(root):
    return sorted((str(p.relative_to(root)), p.stat().st_mtime_ns) for p in root.rglob("*"))


def test_batch_reports_failures_skips_finished_files_on_rerun_and_writes_only_to_out(tmp_path, autoedit):
    in_dir = tmp_path / "in"
    in_dir.mkdir()
    (in_dir / "a.mp4").symlink_to(MEDIA / "talking_head" / "video_retalking" / "face_1.mp4")
    (in_dir / "b.mp4").symlink_to(MEDIA / "video_cuts" / "pyscenedetect_counter.mp4")
    (in_dir / "broken.mov").write_bytes(b"this is not a movie")
    (in_dir / "notes.txt").write_text("not media, not touched")
    before = _tree(in_dir)
    out_dir = tmp_path / "out"
    data_dir = tmp_path / "data"
    args = ("batch", in_dir, "--prompt", "check", "--out", out_dir, "--job", "probe", "--data-dir", data_dir)

    first = autoedit(*args)
    assert first.returncode == 2, first.stderr  # a file failed for bad input
    assert (
        "broken.mov" in first.stdout
        and "failed" in first.stdout
        and "cannot be opened as media" in first.stdout
    )
    assert "2 done, 0 skipped" in first.stderr and "1 failed" in first.stderr
    report = json.loads((out_dir / "a.mp4.probe.json").read_text())
    assert report["media"][0]["path"].endswith("face_1.mp4") and report["media"][0]["video"]["frames"] > 0
    manifest = json.loads((out_dir / "autoedit-batch.json").read_text())["files"]
    assert {k: v["status"] for k, v in manifest.items()} == {
        "a.mp4": "done",
        "b.mp4": "done",
        "broken.mov": "failed",
    }
    outputs = _tree(out_dir)

    (in_dir / "broken.mov").unlink()
    (in_dir / "broken.mov").symlink_to(MEDIA / "video_cuts" / "movienet_test1_titanic.mp4")
    before = _tree(in_dir)
    second = autoedit(*args)
    assert second.returncode == 0, second.stderr
    assert "1 done, 2 skipped" in second.stderr and "0 failed" in second.stderr
    after = dict(_tree(out_dir))
    for name, mtime in outputs:
        if name.endswith(".probe.json"):
            assert after[name] == mtime, f"{name} was redone although it was finished"
    assert (out_dir / "broken.mov.probe.json").is_file()
    assert _tree(in_dir) == before  # nothing written next to the media


def test_batch_refuses_to_write_into_the_input_folder(tmp_path, autoedit):
    (tmp_path / "a.mp4").symlink_to(MEDIA / "video_cuts" / "pyscenedetect_counter.mp4")
    done = autoedit("batch", tmp_path, "--prompt", "x", "--out", tmp_path, "--job", "probe")
    assert done.returncode == 2 and "must not be the input folder" in " ".join(done.stderr.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]
