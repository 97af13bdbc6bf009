"""Edit by transcript from Resolve (issue 13): the selected clip's words to a text file, a sentence
deleted by hand, and back as a new timeline that no longer says it, through the real engine."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from autoedit_resolve import actions

from .fake_resolve import FakeResolve


@pytest.fixture(scope="module")
def interview(tmp_path_factory) -> str:
    from engine.synthetic import demo_footage

    return str(demo_footage(tmp_path_factory.mktemp("transcript-footage"))["interview"].path)


def test_text_file_round_trip_drops_a_hand_deleted_sentence(host_settings, interview, tmp_path):
    talk = interview
    resolve = FakeResolve(version=(19, 1, 4))
    resolve.add_timeline("existing", Fraction(25), [(talk, 10, 60)])
    pool = resolve.GetProjectManager().GetCurrentProject().GetMediaPool()
    pool.ui_select([talk])
    text_file = tmp_path / "edit.txt"
    words = actions.write_transcript(resolve, text_file, host_settings)
    lines = text_file.read_text(encoding="utf-8").splitlines()
    paragraphs = [k for k, line in enumerate(lines) if re.match(r"^\[1 \d+\.\d{3}-\d+\.\d{3}\]", line)]
    assert words > 5 and len(paragraphs) >= 2, lines
    gone = next(k for k in paragraphs if "cracks." in lines[k])
    a, b = (float(x) for x in re.match(r"^\[1 (\d+\.\d{3})-(\d+\.\d{3})\]", lines[gone]).groups())
    text_file.write_text("\n".join(lines[:gone] + lines[gone + 1 :]) + "\n", encoding="utf-8")

    outcome = actions.edit_from_transcript(resolve, text_file, host_settings)
    (call,) = resolve.calls.named("ImportTimelineFromFile")
    assert call[0].endswith(".otio")
    clips = outcome.result["report"]["clips"]
    said = [re.sub(r"^\[[^\]]*\]\s?", "", lines[k]).replace("{", "").replace("}", "") for k in paragraphs]
    assert [c["transcript"] for c in clips] == [t for k, t in zip(paragraphs, said, strict=True) if k != gone]
    for clip in clips:  # nothing of the deleted sentence is heard
        assert clip["source_end"] <= a + 1e-6 or clip["source_start"] >= b - 1e-6, (clip, a, b)
    assert outcome.timeline is not None


def test_a_missing_transcript_file_is_a_clear_error(host_settings, tmp_path):
    from autoedit_resolve.errors import HostError

    with pytest.raises(HostError, match="No transcript file"):
        actions.edit_from_transcript(FakeResolve(version=(19, 1, 4)), tmp_path / "none.txt", host_settings)
