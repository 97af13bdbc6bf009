"""Edit by transcript through the real CLI: a hand-deleted sentence comes back exactly; bad files are
bad input naming the line."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from engine.config import load_config
from engine.errors import BadInput
from engine.planning.transcript import analyse_for_transcript, read_transcript
from engine.progress import Job


@pytest.fixture(scope="module")
def written(tmp_path_factory, autoedit):
    from engine.synthetic import demo_footage

    root = tmp_path_factory.mktemp("transcript")
    interview = demo_footage(root / "footage")["interview"]
    out = root / "edit.txt"
    done = autoedit("transcript", interview.path, "-o", out)
    assert done.returncode == 0, done.stderr
    return interview, out


def test_round_trip_reproduces_a_hand_deleted_sentence_exactly(written, autoedit, tmp_path, engine_data_dir):
    interview, original = written
    text = original.read_text(encoding="utf-8")
    assert "{Um,}" in text  # disfluencies are marked
    lines = text.splitlines()
    cracks = next(i for i, line in enumerate(lines) if "cracks." in line)
    edited = tmp_path / "edited.txt"
    edited.write_text("\n".join(lines[:cracks] + lines[cracks + 1 :]) + "\n", encoding="utf-8")
    out = tmp_path / "cut.otio"
    done = autoedit("edit", "--from-transcript", edited, "-o", out)
    assert done.returncode == 0, done.stderr
    timeline = otio.adapters.read_from_file(str(out))
    dialog = next(t for t in timeline.tracks if t.name.startswith("A1"))
    ranges = []
    for clip in dialog.find_clips():
        r = clip.source_range
        assert r.start_time.value == int(r.start_time.value) and r.duration.value == int(r.duration.value)
        ranges.append((r.start_time.to_seconds(), r.end_time_exclusive().to_seconds()))
    (media,) = analyse_for_transcript([str(interview.path)], load_config(), engine_data_dir, Job())
    deleted = [w for w in media.words if 5.0 < w.start < 8.5]
    assert deleted and deleted[-1].text == "cracks."
    for w in media.words:
        heard = sum(max(0.0, min(b, w.end) - max(a, w.start)) for a, b in ranges)
        if w in deleted:
            assert heard == 0.0, f"deleted {w.text!r} is still heard"
        else:
            assert heard == pytest.approx(w.end - w.start, abs=1e-6), f"kept {w.text!r} is cut"


def _bad(written, tmp_path, engine_data_dir, change) -> str:
    _, original = written
    bad = tmp_path / "bad.txt"
    change(original, bad)
    config = load_config()
    with pytest.raises(BadInput) as caught:
        read_transcript(bad, lambda paths: analyse_for_transcript(paths, config, engine_data_dir, Job()))
    assert str(bad) in str(caught.value)
    return str(caught.value)


def _edit_lines(fn):
    def change(src: Path, dst: Path) -> None:
        dst.write_text("\n".join(fn(src.read_text(encoding="utf-8").splitlines())) + "\n", encoding="utf-8")

    return change


def test_bad_transcripts_name_the_line(written, tmp_path, engine_data_dir):
    def other_media(lines):
        return [re.sub(r"sha256=[0-9a-f]{64}", "sha256=" + "0" * 64, x) for x in lines]

    assert re.search(
        r"line 5: .* is not the media", _bad(written, tmp_path, engine_data_dir, _edit_lines(other_media))
    )

    def retimed(lines):
        k = next(i for i, x in enumerate(lines) if "cracks." in x)
        lines[k] = re.sub(
            r"\[1 (\d+)\.(\d{3})-", lambda m: f"[1 {m.group(1)}.{int(m.group(2)) + 1:03d}-", lines[k]
        )
        return lines

    retimed_lines = _edit_lines(retimed)
    message = _bad(written, tmp_path, engine_data_dir, retimed_lines)
    k = next(i for i, x in enumerate(written[1].read_text().splitlines()) if "cracks." in x) + 1
    assert f"line {k}: " in message and "times edited" in message

    def reworded(lines):
        return [x.replace("cracks.", "knots.") for x in lines]

    assert f"line {k}: 'knots.'" in _bad(written, tmp_path, engine_data_dir, _edit_lines(reworded))

    def emptied(lines):
        return [x for x in lines if not x.startswith("[")]

    assert "empty" in _bad(written, tmp_path, engine_data_dir, _edit_lines(emptied))

    def huge(src: Path, dst: Path) -> None:
        dst.write_bytes(src.read_bytes() + b"#" * (10 * 1024 * 1024))

    assert "line 1: the file is 10.5 MB" in _bad(written, tmp_path, engine_data_dir, huge)


def test_frames_are_exact_at_the_source_rate(written, engine_data_dir):
    from engine.planning.transcript import candidates_from

    _, original = written
    config = load_config()
    kept = read_transcript(
        original, lambda paths: analyse_for_transcript(paths, config, engine_data_dir, Job())
    )
    for cand, fa, fb in candidates_from(kept):
        assert cand.rate == Fraction(25)
        assert Fraction(fa) / cand.rate <= Fraction(cand.words[0].start).limit_denominator(10**6)
        assert Fraction(fb) / cand.rate >= Fraction(cand.words[-1].end).limit_denominator(10**6)
