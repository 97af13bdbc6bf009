"""Speech editing quality: precision/recall of filler and retake detection, tightened length, clicks.

    .venv/bin/python bench/speech_edit.py [--data-dir DIR] [--no-prompt] [--no-tighten]

1. Generated speech with known disfluencies (espeak-ng, engine.synthetic): fillers "um"/"uh", a
   false start, a retake and an aside, each placed in a known sentence. A found disfluency counts
   when it lies in the sentence that holds it (espeak gives no word times).
2. Real spontaneous speech with annotated fillers (all there is in ../shared/media/MANIFEST.tsv):
   - the pyannote conversation (speech/pyannote/sample.wav): the "you know" fillers its STM transcript
     writes, each in the utterance (time span) that holds it;
   - the AMI meeting clip (speech/lhotse, 40-46 s of ES2011a): the "UM" of the AMI segment "UM I'M
     ABIGAIL CLAFLIN" (39.15-43.32 s) lies before the words the clip's own fixture aligns (from
     41.46 s); it is scored only if the VAD hears speech there (it hears none: the UM is before 40 s),
     so this clip scores findings against no filler: precision only.
   - held out, for precision: real read speech whose verbatim transcripts say no filler (the LibriVox,
     SpeechBrain, LJ Speech, JFK and TIMIT-style clips, READ_SPEECH): every filler found there is a
     false one. One of them says "a more a amiable" (a repeat, in its verbatim transcript): scored as
     the one annotated repeat of real speech.
   Each filler finding also prints the audio's own evidence (disfluencies.held_extent over its span,
   not isolated: voiced share x pitch steadiness, 0..1), so a finding a transcript leaves out can be
   told from one over silence or a word.
   A filler finding is a hit when it overlaps an annotated filler's span (one finding per filler).
   "kept words cut": words a cut of every filler finding the planner would take (confidence >=
   speech_cuts.MIN_CONFIDENCE) removes (speech_cuts.is_cut) that are not themselves in a filler.
3. Three ways to get the words: unprompted ("words only"), unprompted plus the second prompted pass
   (analysis.disfluency_prompt) and prompted words (analysis.asr_filler_prompt, the default), with
   the Whisper seconds of each words pass per minute of VAD speech on this machine.
   With --fillers DIR, any folder of annotated speech is scored the same way: each media file in it
   beside a NAME.json holding {"fillers": [[start s, end s, "um"], ...]}, every filler of the file
   listed (precision counts every finding outside them as false), pooled over the folder.
4. "tighten this, remove silences" (and "... and the ums") on auto-editor's example against
   auto-editor's own figure (17.43 s, its tests at f304c62f), and the peak sample step at each join
   of the preview's audio against the clip's median peak step (a click shows as a ratio >> 1).
Quality figures, except the Whisper seconds of 3.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.analysis.runner import analyse_file  # noqa: E402
from engine.config import load_config  # noqa: E402
from engine.progress import Job  # noqa: E402

MEDIA = REPO / ".." / "shared" / "media"
PYANNOTE = MEDIA / "speech" / "pyannote"
LHOTSE = MEDIA / "speech" / "lhotse"
AMI_CLIP_START = 40.0  # ami_ES2011a.Headset-0-40s-46s.wav is 40-46 s of meeting ES2011a
FILLER_TOKENS = ("UM", "UH", "UMM", "UHM", "HMM", "ERM", "MM")
VARIANTS = (  # (label, environment)
    (
        "words only",
        {"AUTOEDIT__ANALYSIS__ASR_FILLER_PROMPT": "false", "AUTOEDIT__ANALYSIS__DISFLUENCY_PROMPT": "false"},
    ),
    (
        "+ second prompted pass",
        {"AUTOEDIT__ANALYSIS__ASR_FILLER_PROMPT": "false", "AUTOEDIT__ANALYSIS__DISFLUENCY_PROMPT": "true"},
    ),
    (
        "prompted words",
        {"AUTOEDIT__ANALYSIS__ASR_FILLER_PROMPT": "true", "AUTOEDIT__ANALYSIS__DISFLUENCY_PROMPT": "false"},
    ),
)
SPEECH = MEDIA / "speech"
READ_SPEECH = (  # real read speech, verbatim transcripts without fillers (MANIFEST.tsv)
    *sorted((SPEECH / "pocketsphinx_librivox").glob("*.wav")),
    *sorted((SPEECH / "speechbrain_asr").glob("spk*_snt*.wav")),
    SPEECH / "speechbrain_LJ050-0131.wav",
    SPEECH / "whisper_jfk.flac",
    SPEECH / "deepspeech" / "LDC93S1.wav",
)
READ_REPEAT = ("sense_and_sensibility_01_austen_64kb-0920.wav", "a more a amiable")
EXAMPLE = MEDIA / "talking_head" / "auto-editor_example.mp4"
AUTO_EDITOR_S = 17.433008
GENERATED: tuple[tuple[str, float, list[str]], ...] = (  # (sentence, start s, kinds it holds)
    ("So, um, we start with the legs of the table.", 0.5, ["filler"]),
    ("Uh, then the top goes on with four screws.", 5.0, ["filler"]),
    ("We go, we went to the shop for more glue.", 9.5, ["false_start"]),
    ("The glue dries in about an hour.", 14.0, ["retake"]),
    ("Sorry, let me say that again.", 17.5, ["aside"]),
    ("The glue dries in about one hour.", 20.5, []),
    ("Then, uh, we oil the wood and let it rest.", 24.0, ["filler"]),
)


def score(found, truth):
    """(precision, recall, tp, found, truth) of findings against [(start, end, kind)] truth spans."""
    hits = [any(a - 0.3 <= f.start and f.end <= b + 0.3 and f.kind == k for a, b, k in truth) for f in found]
    caught = [
        any(a - 0.3 <= f.start and f.end <= b + 0.3 and f.kind == k for f in found) for a, b, k in truth
    ]
    p = sum(hits) / len(found) if found else 1.0
    r = sum(caught) / len(truth) if truth else 1.0
    return p, r, sum(caught), len(found), len(truth)


def overlap_score(found, truth):
    """score() by time overlap, one finding per annotated span (real speech: annotations are spans)."""
    free = list(truth)
    tp = 0
    for f in sorted(found, key=lambda f: f.start):
        match = next((t for t in free if f.start < t[1] and t[0] < f.end and f.kind == t[2]), None)
        if match is not None:
            free.remove(match)
            tp += 1
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    return p, r, tp, len(found), len(truth)


def kept_words_cut(media) -> list[str]:  # type: ignore[no-untyped-def]
    """Words the cuts of the filler findings take that are not fillers themselves."""
    from engine.analysis.disfluencies import FILLER_WORDS, clean
    from engine.planning.speech_cuts import MIN_CONFIDENCE, Cut, is_cut

    fillers = [d for d in media.disfluencies if d.kind == "filler" and d.confidence >= MIN_CONFIDENCE]
    cuts = [Cut(d.kind, d.start, d.end, d.text, d.reason) for d in fillers]
    said = {clean(t) for d in fillers for t in d.text.split()} | FILLER_WORDS
    return [w.text for w in media.words if is_cut(w, cuts) and clean(w.text) not in said]


def generated_truth(root: Path):
    from engine.synthetic import write_speech

    path = root / "disfluent.wav"
    truth = write_speech(path, [(t, s) for t, s, _ in GENERATED], 29.0)
    spans = []
    for sentence, (_, _, held) in zip(truth.sentences, GENERATED, strict=True):
        spans += [(sentence.start, sentence.end, k) for k in held]
    return path, spans


def stm_truth():
    spans = []
    for line in (PYANNOTE / "sample.stm").read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6:
            for _ in re.finditer(r"\byou know,?", parts[5], re.IGNORECASE):
                spans.append((float(parts[3]), float(parts[4]), "filler"))
    return PYANNOTE / "sample.wav", spans


def ami_truth(speech: list[tuple[float, float]]):
    """The AMI segments' fillers inside the clip: a filler word before the words the clip's fixture
    aligns lies between its segment's start and the first aligned word, and counts when speech is there."""
    clip = LHOTSE / "ami_ES2011a.Headset-0-40s-46s.wav"
    cut = json.loads((LHOTSE / "ami_cuts.json").read_text())[0]
    aligned = sorted(float(s["start"]) for s in cut["supervisions"])
    spans, notes = [], []
    with gzip.open(LHOTSE / "ami_ES2011a_sups.jsonl.gz", "rt") as f:
        for line in f:
            seg = json.loads(line)
            a = float(seg["start"]) - AMI_CLIP_START
            b = a + float(seg["duration"])
            if b <= 0 or a >= float(cut["duration"]):
                continue
            words = seg["text"].split()
            if words and words[0] in FILLER_TOKENS:
                first = next((t for t in aligned if t > a), b)
                lo, hi = max(0.0, a), first
                heard = sum(max(0.0, min(hi, y) - max(lo, x)) for x, y in speech)
                if heard >= 0.1:
                    spans.append((lo, hi, "filler"))
                else:
                    notes.append(
                        f'"{words[0]}" of "{seg["text"]}" at {a:+.2f}..{hi:.2f} s: no speech in the clip there'
                    )
    return clip, spans, notes


def detection(data_dir: Path, label: str, env: dict[str, str], root: Path) -> None:
    config = load_config(environ=env)
    gen_path, gen_truth = generated_truth(root)
    stm_path, stm_spans = stm_truth()
    clips = [("generated", gen_path, gen_truth, score), ("pyannote", stm_path, stm_spans, overlap_score)]
    clips.append(("ami", LHOTSE / "ami_ES2011a.Headset-0-40s-46s.wav", None, overlap_score))
    for name, path, truth, scorer in clips:
        media = analyse_file(path, config, data_dir, Job(), fields=["speech", "words", "disfluencies"])
        if truth is None:
            _, truth, notes = ami_truth([(s.start, s.end) for s in media.speech])
            for note in notes:
                print(f"{name:9s} note: {note}")
        for kinds in (("filler",), ("false_start", "retake", "aside")):
            found = [d for d in media.disfluencies if d.kind in kinds]
            wanted = [t for t in truth if t[2] in kinds]
            if not wanted and (name == "generated" or kinds != ("filler",)):
                continue
            p, r, tp, n, m = scorer(found, wanted)
            print(
                f"{name:9s} {'/'.join(kinds):26s} {label:22s} precision {p:.2f} recall {r:.2f} ({tp}/{m} found, {n} findings)"
            )
        others = [d for d in media.disfluencies if d.kind not in ("filler",) and name != "generated"]
        print(f"{name:9s} {'':26s} {label:22s} kept words cut: {kept_words_cut(media) or 'none'}; "
              f"other findings: {[(d.kind, d.text) for d in others] or 'none'}")  # fmt: skip
        print(f"{name:9s} {'':26s} {label:22s} fillers: {filler_evidence(path, media)}")
    read_speech(data_dir, label, config)


MEDIA_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".mp4", ".mov", ".mkv", ".webm")


def annotated_folder(data_dir: Path, folder: Path, label: str, env: dict[str, str]) -> None:
    """Filler precision/recall on a folder of media files each with a NAME.json of its fillers."""
    config = load_config(environ=env)
    pooled = [0, 0, 0]  # found right, findings, annotated
    clips = sorted(p for p in folder.iterdir() if p.suffix.lower() in MEDIA_SUFFIXES)
    for path in clips:
        notes = path.with_suffix(".json")
        if not notes.is_file():
            print(f"{path.name}: no {notes.name} beside it; not scored")
            continue
        truth = [(float(a), float(b), "filler") for a, b, *_ in json.loads(notes.read_text())["fillers"]]
        media = analyse_file(path, config, data_dir, Job(), fields=["speech", "words", "disfluencies"])
        found = [d for d in media.disfluencies if d.kind == "filler"]
        p, r, tp, n, m = overlap_score(found, truth)
        pooled = [pooled[0] + tp, pooled[1] + n, pooled[2] + m]
        print(
            f"{path.name:30s} {label:22s} precision {p:.2f} recall {r:.2f} ({tp}/{m} found, {n} findings); "
            f"kept words cut: {kept_words_cut(media) or 'none'}"
        )
    tp, n, m = pooled
    print(
        f"{'pooled over ' + str(len(clips)) + ' files':30s} {label:22s} precision "
        f"{tp / n if n else 1.0:.2f} recall {tp / m if m else 1.0:.2f} ({tp}/{m} found, {n} findings)"
    )


def filler_evidence(path: Path, media) -> list[tuple[str, float, str, float]]:  # type: ignore[no-untyped-def]
    """(text, start s, source, held-sound score of the audio under it) per filler finding."""
    from engine.analysis.disfluencies import SAMPLE_RATE, held_extent
    from engine.media.audio import decode_audio

    samples = decode_audio(path, [SAMPLE_RATE])[SAMPLE_RATE]
    return [
        (d.text or d.reason, round(d.start, 2), d.source, held_extent(samples, d.start, d.end, False)[0])
        for d in media.disfluencies
        if d.kind == "filler"
    ]


def read_speech(data_dir: Path, label: str, config) -> None:  # type: ignore[no-untyped-def]
    """Held out: filler findings on read speech that says none are false; the one real repeat."""
    false, clips, repeat = [], 0, "not found"
    for path in READ_SPEECH:
        if not path.exists():
            continue
        media = analyse_file(path, config, data_dir, Job(), fields=["speech", "words", "disfluencies"])
        clips += 1
        false += [
            (path.name, d.text or d.reason, round(d.start, 2))
            for d in media.disfluencies
            if d.kind == "filler"
        ]
        if path.name == READ_REPEAT[0]:
            found = [d for d in media.disfluencies if d.kind in ("repeat", "false_start")]
            said = " ".join(w.text for w in media.words)
            repeat = f"{[(d.kind, d.text) for d in found] or 'not found'} (words: {said!r})"
    print(
        f"{'read':9s} {'filler':26s} {label:22s} {len(false)} false fillers in {clips} clips: {false or 'none'}"
    )
    print(f"{'read':9s} {'repeat':26s} {label:22s} {READ_REPEAT[1]!r}: {repeat}")


def whisper_cost(data_dir: Path) -> None:
    """Seconds of Whisper per minute of VAD speech: the words pass unprompted, prompted per window."""
    from engine.analysis.speech import speech_spans
    from engine.analysis.words import FILLER_PROMPT, WhisperWords
    from engine.media.audio import decode_audio
    from engine.models import locate

    config = load_config()
    whisper = WhisperWords(config, data_dir)
    paths = [generated_truth(data_dir.parent)[0], stm_truth()[0], LHOTSE / "ami_ES2011a.Headset-0-40s-46s.wav",
             PYANNOTE / "dev00.wav", EXAMPLE]  # fmt: skip
    whisper.transcribe(np.zeros(16000, np.float32), Job())  # the model loaded before timing
    totals = {"unprompted": 0.0, "prompted": 0.0}
    speech = 0.0
    for path in paths:
        samples = decode_audio(path, [16000])[16000]
        spans = speech_spans(samples, locate(config.models.vad, "vad"), config.analysis.vad_threshold, Job())
        speech += sum(b - a for a, b in spans)
        for key, prompt in (("unprompted", None), ("prompted", FILLER_PROMPT)):
            t = time.perf_counter()
            whisper.transcribe(samples, Job(), initial_prompt=prompt)
            totals[key] += time.perf_counter() - t
    per_min = {k: v / (speech / 60) for k, v in totals.items()}
    print(f"Whisper on {speech:.0f} s of speech: unprompted {per_min['unprompted']:.1f} s/min, prompted per "
          f"window {per_min['prompted']:.1f} s/min (a second prompted pass adds the prompted figure)")  # fmt: skip


def tighten(data_dir: Path) -> None:
    from engine.editing import MediaRef, run_edit

    config = load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    for prompt in ("tighten this, remove silences", "tighten this, remove silences and the ums"):
        result = run_edit([MediaRef(EXAMPLE)], prompt, config, data_dir, Job())
        got = result.report["duration"]
        print(f"{prompt!r}: {got:.2f} s vs auto-editor {AUTO_EDITOR_S:.2f} s (ratio {got / AUTO_EDITOR_S:.3f}), "
              f"{len(result.report['speech_removed'])} disfluencies cut")  # fmt: skip
        joins = [float(c["record_end"]) for c in result.report["clips"][:-1]]
        print("   clicks with the fades:    " + click_ratios(result.timeline, joins, fades=True))
        print("   clicks without the fades: " + click_ratios(result.timeline, joins, fades=False))


def click_ratios(timeline, joins: list[float], fades: bool) -> str:  # type: ignore[no-untyped-def]
    """Peak sample step within 1 ms of each join in the preview's mix (engine.timeline.preview), over the
    median of 10 ms windows' peak steps: a click shows as a ratio >> 1."""
    import copy

    from engine.timeline.preview import AUDIO_RATE, join_steps, mix_audio

    if not joins:
        return "no joins"
    timeline = copy.deepcopy(timeline)
    if not fades:
        for track in timeline.tracks:
            for clip in track.find_clips():
                (clip.metadata.get("autoedit") or {}).pop("audio_fade", None)
    length = timeline.tracks[0].duration().to_seconds()
    mix = mix_audio(timeline, length)
    step = np.abs(np.diff(mix))
    window = AUDIO_RATE // 100
    usable = step[: len(step) // window * window].reshape(-1, window).max(axis=1)
    base = float(np.median(usable[usable > 0])) if np.any(usable > 0) else 1e-9
    steps = join_steps(mix, joins)
    ratios = [x / base for x in steps]
    return (
        f"{len(ratios)} joins, peak step {max(steps):.4f} (median {np.median(steps):.4f}); "
        f"/ median window step: median {np.median(ratios):.2f}, worst {max(ratios):.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--no-prompt", action="store_true", help="only the unprompted words")
    parser.add_argument("--no-tighten", action="store_true", help="skip the tightened edit and its clicks")
    parser.add_argument("--default-only", action="store_true", help="only the default words (prompted)")
    parser.add_argument(
        "--fillers", type=Path, metavar="DIR", help="also score a folder of media with NAME.json filler times"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        root = Path(tmp)
        for label, env in VARIANTS:
            if args.no_prompt and "PROMPT" in label.upper():
                continue
            if args.default_only and label != "prompted words":
                continue
            detection(data_dir, label, env, root)
            if args.fillers:
                annotated_folder(data_dir, args.fillers, label, env)
        if not args.no_prompt and not args.default_only:
            whisper_cost(data_dir)
        if not args.no_tighten:
            tighten(data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
