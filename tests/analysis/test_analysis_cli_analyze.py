"""`autoedit analyze` as a user runs it: the real console script, real files, a JSON report."""

from __future__ import annotations

import json

from engine.analysis.report import AnalysisReport


def test_report_for_good_files_and_exit_2_naming_each_bad_one(autoedit, synthetic, tmp_path):
    good = synthetic["cuts_23976"]
    audio_only = synthetic["tones"]
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    garbage = tmp_path / "notes.mov"
    garbage.write_text("this is not a video")
    out = tmp_path / "out" / "analysis.json"

    result = autoedit("analyze", good.path, empty, audio_only.path, garbage, "-o", out, timeout=600)
    assert result.returncode == 2, result.stderr
    assert f"{empty}: empty file" in result.stderr
    assert f"{garbage}: not a media file" in result.stderr
    report = AnalysisReport.model_validate_json(out.read_text())
    assert [m.path for m in report.media] == [str(good.path), str(audio_only.path)]
    assert {e["path"] for e in report.errors} == {str(empty), str(garbage)}

    video = report.media[0]
    assert video.rate == (24000, 1001) and (video.width, video.height) == (
        good.truth.width,
        good.truth.height,
    )
    assert len(video.shots) == len(good.truth.shots)
    assert video.faces and video.quality.times
    assert {"shots", "faces", "quality"} <= set(video.models)
    tones = report.media[1]
    assert tones.shots == [] and tones.faces == [] and tones.has_audio
    assert any("no video stream" in n for n in tones.notes)

    # a second run is served from the cache: same report
    again = autoedit("analyze", good.path, empty, audio_only.path, garbage, "-o", out, timeout=600)
    assert again.returncode == 2
    assert AnalysisReport.model_validate_json(out.read_text()) == report


def test_stdout_report_and_field_selection(autoedit, synthetic):
    result = autoedit("analyze", synthetic["cuts_23976"].path, "--fields", "shots", timeout=600)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["version"] == 1 and data["errors"] == []
    (media,) = data["media"]
    assert set(media["models"]) == {"shots"} and media["faces"] == [] and len(media["shots"]) == 5


def test_unknown_field_exits_2(autoedit, synthetic):
    result = autoedit("analyze", synthetic["cuts_25"].path, "--fields", "sparkle", timeout=120)
    assert result.returncode == 2
    assert "unknown analysis field" in result.stderr
