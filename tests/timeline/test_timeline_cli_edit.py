"""`autoedit edit` as a user runs it: the real console script, real analysis, files written where asked."""

from __future__ import annotations

import json

from engine.timeline.export import read_timeline


def test_edit_writes_timeline_captions_preview_and_report(autoedit, synthetic, tmp_path):
    clip = synthetic["speech_2997"].path
    out = tmp_path / "cut.xml"
    beside = sorted(clip.parent.iterdir())
    done = autoedit(
        "edit", clip, "--prompt", "tighten this, remove silences", "--format", "fcp7", "-o", out, "--captions",
        "--preview", tmp_path / "preview.mp4", "--report", tmp_path / "report.json",
        env={"AUTOEDIT__PLANNER__BACKEND": "rules"}, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("cut.xml", "cut.otio", "cut.srt", "preview.mp4", "preview.png", "report.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    timeline = read_timeline(out, "fcp7")
    assert len(list(timeline.tracks[0].find_clips())) >= 2
    srt = (tmp_path / "cut.srt").read_text()
    # the captions are the words the edit keeps (what Whisper heard of the espeak voice, not a fixed text)
    report = json.loads((tmp_path / "report.json").read_text())
    kept = {w.strip(".,!?").lower() for c in report["clips"] for w in c["transcript"].split()}
    said = [
        w.strip(".,!?").lower()
        for block in srt.strip().split("\n\n")
        for w in " ".join(block.splitlines()[2:]).split()
    ]
    assert len(said) >= 5 and set(said) <= kept
    assert {"quick", "fox", "lazy", "dog"} <= set(said)
    assert "wrote" in done.stdout and "timeline_id" in done.stdout
    assert sorted(clip.parent.iterdir()) == beside  # nothing written next to the user's media


def test_bad_prompt_and_missing_file_exit_2_naming_the_problem(autoedit, synthetic, tmp_path):
    clip = synthetic["cuts_25"].path
    empty = autoedit(
        "edit", clip, "--prompt", "  ", "-o", tmp_path / "x.otio", env={"AUTOEDIT__PLANNER__BACKEND": "rules"}
    )
    assert empty.returncode == 2 and "prompt is empty" in empty.stderr
    missing = autoedit(
        "edit", tmp_path / "none.mp4", "--prompt", "tighten", env={"AUTOEDIT__PLANNER__BACKEND": "rules"}
    )
    assert missing.returncode == 2 and "none.mp4" in missing.stderr and "no such file" in missing.stderr
