"""Bad and odd prompts: a clear error (BadInput, exit 2) or a reasoned default stated in the report."""

from __future__ import annotations

import pytest

from engine.analysis.report import AnalysisReport
from engine.errors import BadInput
from engine.editing import MediaRef, run_edit
from engine.planning.rules import parse_prompt
from engine.progress import Job


def _edit(footage, config, data_dir, prompt, **kw):
    items = (footage.interview, footage.broll)
    return run_edit(
        [MediaRef(m.path) for m in items],
        prompt,
        config,
        data_dir,
        Job(),
        analysis=AnalysisReport(media=list(items)),
        **kw,
    )


@pytest.mark.parametrize("prompt", ["", "   \n\t "])
def test_empty_prompt_is_a_clear_error(footage, rules_config, data_dir, prompt):
    with pytest.raises(BadInput, match="prompt is empty"):
        _edit(footage, rules_config, data_dir, prompt)


def test_ten_kilobyte_prompt_is_a_clear_error(footage, rules_config, data_dir):
    with pytest.raises(BadInput, match=r"10\d{3} characters long; the limit is 4000"):
        _edit(footage, rules_config, data_dir, "make it punchy and short " * 410)


def test_contradictions_get_a_stated_default(footage, rules_config, data_dir):
    result = _edit(
        footage,
        rules_config,
        data_dir,
        "a 10 second and 5 minute edit, vertical and square, keep silences and remove silences",
    )
    spec, notes = result.report["spec"], " | ".join(result.report["notes"])
    assert spec["target_duration"] == 10 and spec["aspect"] == "9:16" and spec["remove_silences"] is True
    assert "using the first, 10 s" in notes and "using 9:16" in notes and "removing them" in notes
    assert abs(result.timeline.tracks[0].duration().to_seconds() - 10) <= 0.2


def test_another_language_gets_a_reasoned_default(footage, rules_config, data_dir):
    result = _edit(footage, rules_config, data_dir, "Haz un vídeo con los mejores momentos, por favor")
    notes = " | ".join(result.report["notes"])
    assert "does not look like English" in notes
    assert "choosing one from the footage" in notes
    assert result.report["spec"]["style"] in ("tighten", "highlight") and result.report["clips"]


def test_numbers_in_another_language_are_still_read():
    parsed = parse_prompt("fais un montage de 20 secondes")
    assert parsed.spec.target_duration == 20.0 and parsed.spec.style == "montage"


@pytest.mark.parametrize(
    ("prompt", "asked", "stutters"),
    [
        ("a 15 second highlight", False, False),
        ("tighten the interview, remove silences and the ums", True, False),
        ("tighten it, without the uhhs and false starts", True, True),
        ("a highlight with no filler words", True, False),
        ("clean up the stutters and repeated words", True, True),
        ("remove the ums", True, False),
    ],
)
def test_the_llms_plan_cuts_fillers_only_when_the_prompt_asks(prompt, asked, stutters):
    from engine.planning.llm import _repair

    parsed = parse_prompt(prompt)
    assert (parsed.spec.remove_fillers, parsed.spec.remove_disfluencies) == (asked, stutters)
    assert not parsed.spec.avoid  # "without the false starts" is no topic to leave out
    planned = parsed.spec.model_copy(update={"remove_fillers": not asked, "remove_disfluencies": False})
    spec, notes = _repair(planned, parsed)
    assert spec.remove_fillers is asked  # cutting a filler splits a sentence: a highlight's clip then
    assert any("fillers" in n and "LLM" in n for n in notes)  # ends at "At least," (pyannote's sample)
    assert spec.remove_disfluencies is stutters  # the LLM's plan has no say in it


@pytest.mark.parametrize(
    ("prompt", "style"),
    [
        ("remove the ums", "tighten"),
        ("get rid of the filler words", "tighten"),
        ("a highlight, cut the ums", "highlight"),
    ],
)
def test_cleaning_up_the_speech_is_a_tighten_and_the_llm_is_held_to_a_stated_style(prompt, style):
    from engine.planning.llm import _repair

    parsed = parse_prompt(prompt)
    assert parsed.stated_style == style  # cleaning up keeps all the speech: no 25 % highlight
    other = "montage" if style != "montage" else "story"
    spec, notes = _repair(parsed.spec.model_copy(update={"style": other}), parsed)
    assert spec.style == style and spec.pacing == parsed.spec.pacing
    assert any(f"asks for a {style}" in n for n in notes)


def test_options_override_the_prompt_and_say_so(footage, rules_config, data_dir):
    result = _edit(
        footage,
        rules_config,
        data_dir,
        "a 20 second highlight reel",
        options={"target_duration": 8, "aspect": "1:1"},
    )
    assert result.report["spec"]["target_duration"] == 8 and result.report["spec"]["aspect"] == "1:1"
    assert any("target_duration set by the caller" in n for n in result.report["notes"])
    with pytest.raises(BadInput, match="aspect must be one of"):
        _edit(footage, rules_config, data_dir, "a reel", options={"aspect": "2:1"})
    with pytest.raises(BadInput, match="unknown edit option"):
        _edit(footage, rules_config, data_dir, "a reel", options={"colour": "red"})


def test_missing_media_names_the_file(rules_config, data_dir, tmp_path):
    missing = tmp_path / "nope.mp4"
    with pytest.raises(BadInput, match="no such file") as info:
        run_edit([MediaRef(missing)], "tighten this", rules_config, data_dir, Job())
    assert str(missing) in str(info.value)


def test_music_asked_but_not_given_is_noted(footage, rules_config, data_dir):
    result = _edit(footage, rules_config, data_dir, "a 10 second highlight reel with music")
    assert any("no music file was given" in n for n in result.report["notes"])
    assert not [t for t in result.timeline.tracks if t.name.startswith("A2")]
