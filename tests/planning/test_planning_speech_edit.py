"""Speech edits: disfluencies cut out of the units, units cut between thoughts, the demo's derailment
gone, and talking-head highlights whose speech clips end where a sentence ends."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from engine.analysis.report import Disfluency, MediaAnalysis, Word, media_rate
from engine.config import load_config
from engine.editing import MediaRef, run_edit
from engine.planning.candidates import build_candidates
from engine.planning.spec import EditSpec
from engine.planning.speech_cuts import CLAUSE_END, split_at_thoughts, trails_off
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
FACES = [
    REPO / ".." / "shared" / "media" / "talking_head" / "video_retalking" / f"face_{i}.mp4"
    for i in range(1, 6)
]


def words_of(
    text: str, start: float = 0.5, step: float = 0.3, pauses: dict[int, float] | None = None
) -> list[Word]:
    out, t = [], start
    for k, token in enumerate(text.split()):
        t += (pauses or {}).get(k, 0.0)
        out.append(Word(text=token, start=round(t, 3), end=round(t + step - 0.04, 3), confidence=0.9))
        t += step
    return out


def media_with(words: list[Word], disfluencies: list[Disfluency], duration: float) -> MediaAnalysis:
    return MediaAnalysis(
        path="/nonexistent/talk.wav", sha256="0" * 64, duration=duration, fps=0.0, rate=(25, 1), width=0,
        height=0, has_audio=True, words=words, disfluencies=disfluencies,
    )  # fmt: skip


def test_removed_disfluencies_leave_the_units_and_no_boundary_falls_in_a_word():
    words = words_of(
        "We build tables. Um, so, where was I? Right. Then we oil the wood.", pauses={3: 0.5, 8: 0.5}
    )
    aside = Disfluency(
        kind="aside", start=words[3].start, end=words[8].end, confidence=0.85, text="...", reason="aside"
    )
    media = media_with(words, [aside], words[-1].end + 1.0)
    spec = EditSpec.for_style("tighten", remove_fillers=True)
    units = [c for c in build_candidates(media, 0, spec) if c.kind == "speech"]
    said = " ".join(c.text for c in units)
    assert "where" not in said and "Right." not in said
    assert "We build tables." in said and "Then we oil the wood." in said
    for c in units:
        for w in words:
            assert not (
                w.start + 1e-3 < c.start_s < w.end - 1e-3 or w.start + 1e-3 < c.end_s < w.end - 1e-3
            ), (c, w)
        assert not (c.start_s < aside.end and aside.start < c.end_s), "a unit reaches into the cut aside"


def test_the_report_claims_only_the_disfluencies_the_timeline_leaves_out():
    from engine.planning.speech_cuts import Cut, Played, removed_report

    words = words_of("So we have... tables.")
    under_word = Cut("filler", words[2].start, words[2].start + 0.1, "", "held sound inside a word")
    between = Cut("aside", words[3].end + 0.1, words[3].end + 0.9, "where was I", "aside")
    played = Played([("/a.wav", words[0].start - 0.1, words[3].end + 0.05)])  # the word stays, sound and all
    removed = removed_report([("/a.wav", [under_word, between]), ("/b.wav", [under_word])], played)
    assert [(r["path"], r["kind"]) for r in removed] == [("/a.wav", "aside"), ("/b.wav", "filler")]


@pytest.mark.parametrize(
    ("prompt", "cut", "left"),
    [
        ("a highlight without the ums", {"filler"}, "1 repeat left in"),
        ("cut out the ums and the stutters", {"filler", "repeat", "aside"}, None),  # a clean-up: tighten
        ("tighten this and remove the ums", {"filler", "aside"}, "1 repeat left in"),
    ],
)
def test_the_prompt_names_the_disfluencies_it_cuts(prompt, cut, left):
    from engine.planning.rules import parse_prompt
    from engine.planning.speech_cuts import Played, cuts_for, left_in_note

    words = words_of("Um, we glue the the legs. Hang on, is it rolling? Then we oil them.")
    found = [
        Disfluency(kind="filler", start=words[0].start, end=words[0].end, confidence=0.95, text="Um,"),
        Disfluency(kind="repeat", start=words[3].start, end=words[3].end, confidence=0.7, text="the"),
        Disfluency(kind="aside", start=words[6].start, end=words[10].end, confidence=0.85, text="Hang on..."),
    ]
    media = media_with(words, found, words[-1].end + 1.0)
    spec = parse_prompt(prompt).spec
    cuts = cuts_for(media, spec)
    assert {c.kind for c in cuts} == cut  # a repeat is words the speaker said: cut only when named
    kept = [w for w in words if not any(c.start <= w.start and w.end <= c.end for c in cuts)]
    played = Played([(media.path, w.start, w.end) for w in kept])
    note = left_in_note([media], spec, played)
    assert (note and note.split(":")[0]) == left


@pytest.mark.parametrize("music", [False, True])
def test_no_visual_unit_lets_words_be_heard_that_no_speech_unit_holds(music):
    from engine.timeline.build import build_timeline

    words = words_of("Um, uh, hmm, so. We build tables. Then we oil the wood.", step=0.5)
    um = Disfluency(kind="filler", start=words[0].start, end=words[3].end, confidence=0.95, text="Um, uh,")
    media = media_with(words, [um], words[-1].end + 6.0)  # quiet after the words
    spec = EditSpec.for_style("highlight", music=music, remove_fillers=True)
    visual = [c for c in build_candidates(media, 0, spec) if c.kind == "visual"]
    over = [c for c in visual if c.start_s < um.end and c.end_s > um.start]
    assert bool(over) is music and all(c.muted for c in over)  # muted under the music, else not offered
    quiet = [c for c in visual if c.start_s >= words[-1].end]
    assert quiet and not any(c.muted for c in quiet)
    if music:
        from engine.editing import _placed_clips
        from engine.planning.selection import Choice, Selection

        chosen = [over[0], quiet[0]]
        record, choices = Fraction(0), []
        for c in chosen:
            length = Fraction(c.end - c.start) / c.rate
            choices.append(Choice(c, c.start, c.end, record_start=record, record_end=record + length))
            record += length
        clips = _placed_clips(Selection(choices, rejected=[]), "00000000-0000-0000-0000-000000000000")
        timeline = build_timeline(
            clips, [media], spec.model_dump(mode="json"), "x", "t", {}, media_rate(media)
        )
        dialog = [type(item).__name__ for item in timeline.tracks[1]]
        assert dialog == ["Gap", "Clip"]
        assert timeline.tracks[0][0].metadata["autoedit"]["muted"] is True


def test_long_sentences_split_at_clauses_or_stay_whole():
    clauses = words_of("We cut the joints; then we glue them, clamp them and wait until the glue dries.")
    pieces = split_at_thoughts(clauses, 2.0)
    assert [p[-1].text for p in pieces] == ["joints;", "dries."]
    plain = words_of("we cut the joints then we glue them and clamp them and wait for the glue")
    assert split_at_thoughts(plain, 2.0) == [plain]  # no clause end: never halved


def test_a_highlight_leaves_out_a_thought_the_speaker_trails_off_and_a_tighten_keeps_it():
    words = words_of(
        "We build tables by hand. Everyone here works towards a better future for our... "
        "Then we oil the wood.",
        pauses={5: 0.6, 14: 0.6},
    )
    media = media_with(words, [], words[-1].end + 1.0)
    said = {
        style: " ".join(
            c.text for c in build_candidates(media, 0, EditSpec.for_style(style)) if c.kind == "speech"
        )
        for style in ("highlight", "tighten")
    }
    assert "our..." not in said["highlight"] and "Everyone" not in said["highlight"]
    assert "We build tables by hand." in said["highlight"] and "Then we oil the wood." in said["highlight"]
    assert "towards a better future for our..." in said["tighten"]
    cut_off = media_with(words[:14], [], words[13].end + 0.1)  # the source ends on "for our...": same
    assert "Everyone" not in " ".join(
        c.text for c in build_candidates(cut_off, 0, EditSpec.for_style("highlight"))
    )


def speech_units(media: MediaAnalysis, style: str) -> list[str]:
    return [c.text for c in build_candidates(media, 0, EditSpec.for_style(style)) if c.kind == "speech"]


def test_a_breath_in_mid_sentence_ends_no_highlight_unit_but_a_tighten_still_cuts_the_pause():
    said = "We build tables by hand. I think that the main point is that wood moves. Then we oil it."
    words = words_of(said, pauses={5: 0.6, 9: 0.9, 15: 0.6})  # 0.9 s after "the", 0.6 s at sentence ends
    media = media_with(words, [], words[-1].end + 1.0)
    assert speech_units(media, "highlight") == [
        "We build tables by hand.",
        "I think that the main point is that wood moves.",
        "Then we oil it.",
    ]
    unit = next(c for c in build_candidates(media, 0, EditSpec.for_style("highlight")) if "main" in c.text)
    assert not unit.can_cut_at((words[8].end + words[9].start) / 2)  # no shorter version ends at "the"
    assert "I think that the" in speech_units(media, "tighten")  # the pause is trimmed, as auto-editor does
    bare = [w.model_copy(update={"text": w.text.strip(".")}) for w in words]  # ASR without punctuation
    assert "I think that the" in speech_units(media_with(bare, [], media.duration), "highlight")


def test_the_pieces_of_a_sentence_a_removed_filler_splits_go_into_a_highlight_together_or_not_at_all():
    from fractions import Fraction

    from engine.planning.selection import select

    said = "We build tables by hand. At least, um, they call me a carpenter. Then we oil the wood."
    words = words_of(said, pauses={5: 0.6, 13: 0.6})
    um = Disfluency(
        kind="filler", start=words[7].start, end=words[7].end, confidence=0.95, text="um,", reason="um"
    )
    media = media_with(words, [um], words[-1].end + 1.0)
    spec = EditSpec.for_style("highlight", remove_fillers=True, target_duration=3.0)
    units = [c for c in build_candidates(media, 0, spec) if c.kind == "speech"]
    by_text = {c.text: c for c in units}
    assert set(by_text) == {
        "We build tables by hand.",
        "At least,",
        "they call me a carpenter.",
        "Then we oil the wood.",
    }
    assert by_text["they call me a carpenter."].follows == by_text["At least,"].id
    for favourite in ("At least,", "We build tables by hand."):  # the piece alone would fit 3 s best
        scores = [10.0 if c.text == favourite else 1.0 for c in units]
        chosen = {ch.candidate.text for ch in select(units, scores, spec, Fraction(25)).choices}
        assert ("At least," in chosen) == ("they call me a carpenter." in chosen), chosen
    cut_off = media_with(words[:12], [um], words[11].end + 0.1)  # "...they call me" runs off the end
    assert "At least," not in {c.text for c in build_candidates(cut_off, 0, spec)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from engine.synthetic import demo_footage

    return demo_footage(tmp_path_factory.mktemp("demo-footage"))


def test_demo_tighten_without_the_ums_drops_the_derailment(demo, engine_data_dir):
    config = load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    prompt = "tighten the interview, remove silences and the ums, with captions"
    result = run_edit([MediaRef(demo["interview"].path)], prompt, config, engine_data_dir, Job())
    kept = " ".join(c["transcript"] for c in result.report["clips"]).lower()
    assert "where was" not in kept and "right." not in kept and "um" not in kept.split()
    for sentence in ("welcome to our workshop", "check it for cracks", "overnight"):
        assert sentence in kept
    removed = result.report["speech_removed"]
    assert any(r["kind"] == "aside" and "where was" in r["text"].lower() and r["reason"] for r in removed)


def test_vertical_highlight_of_talking_heads_ends_every_speech_clip_at_a_sentence_end(engine_data_dir):
    config = load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    result = run_edit(
        [MediaRef(p) for p in FACES], "a 15 second vertical highlight", config, engine_data_dir, Job()
    )
    speech = [c for c in result.report["clips"] if c["kind"] == "speech"]
    assert speech, result.report["clips"]
    for clip in speech:
        last = clip["transcript"].split()[-1]
        assert last.endswith(CLAUSE_END + (",",)) and not trails_off(last), clip["transcript"]
    assert result.report["duration"] <= 15.0 * 1.02


def test_retakes_in_other_words_and_asides_no_pattern_names_are_found_by_meaning(engine_data_dir):
    from engine.planning.features import TextEmbedder
    from engine.planning.speech_cuts import meaning_findings

    words = words_of(
        "We glue the legs first. The glue needs about an hour to dry. Hang on, could you pause the camera? "
        "It takes roughly an hour for the glue to set. Then we oil the wood and let it rest. "
        "I'm the one who sands the wood. You're the one who sands the wood, okay?"
    )
    media = media_with(words, [], words[-1].end + 1.0)
    embedder = TextEmbedder(load_config(), engine_data_dir)
    try:
        found = {(d.kind, d.text) for d in meaning_findings(media, embedder.embed)}
    finally:
        embedder.close()
    assert found == {
        ("retake", "The glue needs about an hour to dry."),  # the later take is kept
        ("aside", "Hang on, could you pause the camera?"),
    }
