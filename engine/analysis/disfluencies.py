"""Disfluencies: fillers (written or not), repeats, false starts, retakes and asides, with their times.

Whisper leaves many fillers out of its transcript ("Um, so" becomes "So"), so a filter on the words
alone removes little on real speech. Three sources, each a `Finding` with a kind, a time range, a
confidence and the reason a host shows:
- the words Whisper does write: fillers ("um", "uh"; "you know", "I mean", "like" between commas),
  a word or two said twice ("the the"), a fragment abandoned for a restart ("we go- we went"),
  a line said again (the earlier take is the retake: "keep the last complete take"), and asides
  addressed to the crew ("where was I", "sorry, let me say that again", "can we cut that");
- the audio: speech the VAD hears that no word covers, when it is voiced with a flat pitch (a held
  "uhm"), and a word stretched far past its length whose stretched part is such a sound (Whisper
  glues a filler onto the next word: "I'm" lasting 0.7 s);
- the words themselves come from Whisper prompted with fillers (`analysis.asr_filler_prompt`, on by
  default, words.FILLER_PROMPT on every packed window), which makes it write most of them; where the
  words are not prompted, optionally a second prompted pass whose fillers join in
  (`analysis.disfluency_prompt`: it doubles the transcription time, and its word times disagree
  with the unprompted words'; both measured in bench/speech_edit.py).
The planner decides what to cut; this module only says what is there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.analysis.base import AudioRequest, MediaInputs, VideoRequest
from engine.analysis.words import FILLER_PROMPT
from engine.config import EngineConfig
from engine.progress import Job

SAMPLE_RATE = 16000
KINDS = ("filler", "repeat", "false_start", "retake", "aside")
# Words that are fillers wherever they stand.
FILLER_WORDS = frozenset(
    {"um", "umm", "uh", "uhh", "uhm", "erm", "er", "ah", "ahh", "hmm", "mm", "mhm", "eh"}
)
# Phrases that are fillers only when set off by punctuation (", you know," / "I mean," / ", like,").
DISCOURSE_FILLERS = (("you", "know"), ("i", "mean"), ("like",), ("kind", "of"), ("sort", "of"))
# Words that may follow an aside and belong to it ("where was I. Right.").
RESUMERS = frozenset(
    {"right", "okay", "ok", "so", "anyway", "alright", "yes", "yeah", "now", "well", "sorry"}
)
ASIDE_PATTERNS = tuple(
    re.compile(p)
    for p in (
        r"\bwhere was i\b",
        r"\bwhat was i (?:saying|going to say)\b",
        r"\blet me (?:say|do|start|try|take) (?:that|this|it)? ?(?:again|over)\b",
        r"\blet me start (?:again|over)\b",
        r"\b(?:can|could) we (?:cut|stop|redo|do) (?:that|this)(?: again)?\b",
        r"\bcut that\b",
        r"\bscratch that\b",
        r"\bstart (?:again|over)\b",
        r"\bone more time\b",
        r"\b(?:i|i'll|i will) (?:start|say|do) (?:that|it) again\b",
        r"\bsorry,? (?:let me|i'll|one sec)\b",
        r"\bhang on\b",
        r"\bis (?:it|this|that) (?:rolling|recording)\b",
        r"\btake (?:two|three|2|3)\b",
    )
)
END_PUNCTUATION = (".", "?", "!")
SENTENCE_GAP_S = 0.45
RETAKE_WINDOW_S = 20.0  # a line said again within this long is a retake of it
RETAKE_SIMILARITY = 0.7  # share of words in common (difflib ratio) for two lines to be takes of one
# Who a line speaks as: a take and its retake are said by one person, so a line that answers another
# ("I'm the expert." / "You're the expert, okay?") turns "I" into "you" and is no retake of it.
FIRST_PERSON = frozenset({"i", "i'm", "im", "i've", "ive", "i'll", "i'd", "me", "my", "mine", "myself"})
SECOND_PERSON = frozenset({"you", "you're", "youre", "you've", "youve", "you'll", "you'd", "your", "yours"})
# Acoustic fillers: a held vowel is 0.15-1.5 s of voice at a steady pitch.
MIN_SOUND_S, MAX_SOUND_S = 0.15, 1.5
FRAME_S, HOP_S = 0.04, 0.01
MIN_F0, MAX_F0 = 70.0, 400.0
VOICED_SHARE = 0.6
FLAT_SEMITONES = 1.5  # pitch spread (std) below which a voiced sound is a held filler, not a word
EDGE_FRAMES = 3  # 30 ms of quiet at each end of an isolated sound
SECONDS_PER_CHAR = 0.09  # a word longer than this per letter + STRETCH_S hides a sound next to it
STRETCH_S = 0.35


@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    start: float
    end: float
    confidence: float
    text: str = ""
    reason: str = ""
    source: str = "words"  # "words" | "audio" | "prompted"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clean(text: str) -> str:
    """A word as the filler and repeat rules compare it: lower case, no punctuation, and a letter held
    three times or more written twice ("Hmmmmm..." is "hmm", "Ummmm," is "umm")."""
    return re.sub(r"(\w)\1{2,}", r"\1\1", re.sub(r"[^\w']+", "", text.lower()))


def _sentences(words: Sequence[dict[str, Any]]) -> list[list[int]]:
    """Indices of words grouped into sentences: end punctuation or a long pause ends one."""
    groups: list[list[int]] = []
    for i, w in enumerate(words):
        if groups:
            prev = words[groups[-1][-1]]
            ends = str(prev["text"]).rstrip().endswith(END_PUNCTUATION)
            if not ends and w["start"] - prev["end"] < SENTENCE_GAP_S:
                groups[-1].append(i)
                continue
        groups.append([i])
    return groups


def _finding(
    kind: str, words: Sequence[dict[str, Any]], i: int, j: int, confidence: float, reason: str
) -> Finding:
    """A finding over words[i..j] inclusive."""
    text = " ".join(str(w["text"]).strip() for w in words[i : j + 1])
    return Finding(kind, float(words[i]["start"]), float(words[j]["end"]), round(confidence, 3), text, reason)


def word_fillers(words: Sequence[dict[str, Any]]) -> list[Finding]:
    """Fillers Whisper wrote: filler words anywhere, discourse fillers when punctuation sets them off."""
    out: list[Finding] = []
    tokens = [clean(str(w["text"])) for w in words]
    i = 0
    while i < len(words):
        if tokens[i] in FILLER_WORDS:
            out.append(_finding("filler", words, i, i, 0.95, f'filler "{tokens[i]}"'))
            i += 1
            continue
        matched = False
        for phrase in DISCOURSE_FILLERS:
            n = len(phrase)
            if tuple(tokens[i : i + n]) != phrase:
                continue
            before = str(words[i - 1]["text"]).rstrip() if i > 0 else "."
            last = str(words[i + n - 1]["text"]).rstrip()
            set_off_before = before.endswith((",", ".", "?", "!", "-", "..."))
            set_off_after = last.endswith(",")
            if set_off_after and (set_off_before or n > 1):
                label = " ".join(phrase)
                out.append(_finding("filler", words, i, i + n - 1, 0.75, f'filler "{label}"'))
                i += n
                matched = True
                break
        if not matched:
            i += 1
    return out


def repeats(words: Sequence[dict[str, Any]]) -> list[Finding]:
    """A word or a pair said twice in a row: the first saying is the one to cut."""
    out: list[Finding] = []
    tokens = [clean(str(w["text"])) for w in words]
    i = 0
    while i < len(words):
        for n in (2, 1):
            a, b = tokens[i : i + n], tokens[i + n : i + 2 * n]
            ends = str(words[i + n - 1]["text"]).rstrip().endswith(END_PUNCTUATION) if len(b) == n else True
            if len(b) == n and a == b and all(a) and not ends and not all(t in FILLER_WORDS for t in a):
                gap = float(words[i + n]["start"]) - float(words[i + n - 1]["end"])
                if gap < 1.0:
                    said = " ".join(a)
                    out.append(
                        _finding(
                            "repeat", words, i, i + n - 1, 0.85 if n == 2 else 0.7, f'"{said}" said twice'
                        )
                    )
                    i += n - 1
                    break
        i += 1
    return out


def false_starts(words: Sequence[dict[str, Any]]) -> list[Finding]:
    """A fragment cut off with a dash, or a short fragment restarted on its first word after a break."""
    out: list[Finding] = []
    tokens = [clean(str(w["text"])) for w in words]
    for i in range(len(words)):
        for n in (1, 2, 3):
            j = i + n  # where the restart begins
            if j >= len(words):
                break
            last = str(words[j - 1]["text"]).rstrip()
            if last.endswith(END_PUNCTUATION) and not last.endswith("..."):
                break  # a finished sentence, not a fragment
            trailing = last.endswith(("...", "\u2026"))
            cut_off = last.endswith(("-", "—", "–")) or trailing
            if tokens[i] != tokens[j] or not tokens[i]:
                # A dash cuts a word off; Whisper's "..." may only be the speaker holding it ("we
                # have... in the group"), so that one counts only where a restart follows.
                restarted = not trailing or _restarts(tokens, i)
                if cut_off and n == 1 and len(tokens[i]) <= 12 and restarted:
                    out.append(_finding("false_start", words, i, i, 0.8, f'"{last}" cut off and restarted'))
                    break
                continue
            fragment, restart = tokens[i:j], tokens[j : j + n]
            if fragment == restart:
                break  # a repeat, not a false start
            pause = float(words[j]["start"]) - float(words[j - 1]["end"])
            if cut_off or last.endswith(",") or pause > 0.3:
                frag = " ".join(str(w["text"]).strip() for w in words[i:j])
                out.append(
                    _finding(
                        "false_start",
                        words,
                        i,
                        j - 1,
                        0.8 if cut_off else 0.6,
                        f'"{frag}" abandoned and restarted',
                    )
                )
                break
    return _disjoint(out)


def _restarts(tokens: Sequence[str], i: int) -> bool:
    """Whether the words after tokens[i] restart it: the word begun again ("bec... because") or the
    phrase it ended begun again ("we go... we went")."""
    here, after = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else ""
    if len(here) >= 2 and after.startswith(here):
        return True
    return i > 0 and bool(tokens[i - 1]) and tokens[i - 1] == after


def retakes_and_asides(words: Sequence[dict[str, Any]]) -> list[Finding]:
    """Lines said again (the earlier take is cut) and asides to the crew (with the "right" that resumes)."""
    out: list[Finding] = []
    groups = _sentences(words)
    texts = [" ".join(clean(str(words[k]["text"])) for k in g) for g in groups]
    aside = [
        any(p.search(t) for p in ASIDE_PATTERNS) and len(g) <= 14 for g, t in zip(groups, texts, strict=True)
    ]
    for k, g in enumerate(groups):
        if not aside[k]:
            continue
        i, j = g[0], g[-1]
        pattern = next(p.pattern for p in ASIDE_PATTERNS if p.search(texts[k]))
        # The short resuming sentence after it ("Right.") belongs to the aside.
        n = k + 1
        while n < len(groups) and set(texts[n].split()) <= RESUMERS | FILLER_WORDS and not aside[n]:
            j = groups[n][-1]
            n += 1
        out.append(_finding("aside", words, i, j, 0.85, f"aside to the crew ({_pattern_words(pattern)})"))
    for k, g in enumerate(groups):
        if aside[k] or len(g) < 3:
            continue
        for m in range(k + 1, len(groups)):
            h = groups[m]
            if float(words[h[0]]["start"]) - float(words[g[-1]]["end"]) > RETAKE_WINDOW_S:
                break
            if aside[m] or len(h) < 3:
                continue
            a, b = texts[k].split(), texts[m].split()
            ratio = SequenceMatcher(None, a, b).ratio()
            common = sum(block.size for block in SequenceMatcher(None, a, b).get_matching_blocks())
            if ratio >= RETAKE_SIMILARITY and common >= 3 and not answers(a, b):
                reason = f"retake: said again at {float(words[h[0]]['start']):.1f} s (keeping the last take)"
                out.append(_finding("retake", words, g[0], g[-1], ratio, reason))
                break
    return out


def answers(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether line b (cleaned words) speaks to whoever said line a: one says "I" where the other says
    "you", and neither says both. Two such lines are a reply, not two takes."""

    def person(words: Sequence[str]) -> str:
        first, second = bool(FIRST_PERSON.intersection(words)), bool(SECOND_PERSON.intersection(words))
        return "first" if first and not second else "second" if second and not first else ""

    pa, pb = person(a), person(b)
    return bool(pa and pb and pa != pb)


def _pattern_words(pattern: str) -> str:
    return re.sub(r"\\b|\(\?:|\)|\?|\s\?", "", pattern).replace("|", "/").strip()


def lexical(words: Sequence[dict[str, Any]]) -> list[Finding]:
    """Everything the written words show."""
    return word_fillers(words) + repeats(words) + false_starts(words) + retakes_and_asides(words)


# -- audio ----------------------------------------------------------------------------------------


def pitch_track(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> tuple[np.ndarray, np.ndarray]:
    """(f0 in Hz, voiced flag) per 10 ms frame, by normalised autocorrelation (YIN-like, numpy only)."""
    frame, hop = int(FRAME_S * sample_rate), int(HOP_S * sample_rate)
    if samples.size < frame:
        return np.zeros(0), np.zeros(0, dtype=bool)
    n = 1 + (samples.size - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    frames = samples[idx].astype(np.float64)
    frames -= frames.mean(axis=1, keepdims=True)
    energy = (frames**2).sum(axis=1)
    spectrum = np.fft.rfft(frames * np.hanning(frame), n=2 * frame, axis=1)
    ac = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :frame]
    ac /= np.maximum(ac[:, :1], 1e-12)
    lo, hi = int(sample_rate / MAX_F0), int(sample_rate / MIN_F0)
    lag = lo + np.argmax(ac[:, lo:hi], axis=1)
    peak = ac[np.arange(n), lag]
    loud = energy > max(1e-7 * frame, 0.02 * float(np.percentile(energy, 95)))
    voiced = (peak > 0.5) & loud
    return sample_rate / lag, voiced


def held_sound(samples: np.ndarray, start: float, end: float, isolated: bool = True) -> float:
    """How much [start, end] sounds like a held filler: voiced share x pitch steadiness, in [0, 1]."""
    return held_extent(samples, start, end, isolated)[0]


def held_extent(
    samples: np.ndarray, start: float, end: float, isolated: bool = True
) -> tuple[float, float, float]:
    """(score, start, end): held_sound's score and where the voice in [start, end] begins and ends.

    `isolated`: the voice must start and stop inside the range (a pause on both sides), so the tail of
    a word Whisper ended early is not taken for a filler."""
    a, b = int(start * SAMPLE_RATE), int(end * SAMPLE_RATE)
    f0, voiced = pitch_track(samples[max(0, a) : b])
    none = (0.0, start, end)
    on = np.flatnonzero(voiced)
    if on.size == 0:
        return none
    if isolated and (on[0] < EDGE_FRAMES or on[-1] >= voiced.size - EDGE_FRAMES):
        return none
    f0, voiced = f0[on[0] : on[-1] + 1], voiced[on[0] : on[-1] + 1]
    begin, finish = start + on[0] * HOP_S, start + on[-1] * HOP_S + FRAME_S
    share = float(voiced.mean())
    if share < VOICED_SHARE or voiced.sum() < 5 or finish - begin < MIN_SOUND_S:
        return none
    semitones = 12 * np.log2(f0[voiced] / np.median(f0[voiced]))
    spread = float(np.std(semitones))
    if spread > FLAT_SEMITONES:
        return none
    return round(min(1.0, share) * (1.0 - 0.5 * spread / FLAT_SEMITONES), 3), begin, finish


def acoustic(
    samples: np.ndarray, words: Sequence[dict[str, Any]], spans: Sequence[tuple[float, float]]
) -> list[Finding]:
    """Held voiced sounds no word accounts for: in VAD speech between words, or in a stretched word."""
    out: list[Finding] = []
    covered = sorted((float(w["start"]), float(w["end"])) for w in words)
    for a, b in spans:
        cursor = a
        for ws, we in covered:
            if we <= cursor or ws >= b:
                continue
            out += _sound(samples, cursor, min(ws, b), "between words")
            cursor = max(cursor, we)
        out += _sound(samples, cursor, b, "between words")
    for w in words:
        ws, we = float(w["start"]), float(w["end"])
        text = clean(str(w["text"]))
        if not text or text in FILLER_WORDS or str(w["text"]).rstrip().endswith(("...", "\u2026")):
            continue  # a word Whisper writes trailing off is held by the speaker, not glued to an "um"
        expected = SECONDS_PER_CHAR * len(text) + STRETCH_S
        if we - ws > expected + MIN_SOUND_S:
            # The filler Whisper glued on is at the start of the word (an "um" before it).
            hidden = we - ws - (expected - STRETCH_S + 0.1)
            out += _sound(samples, ws, ws + hidden, f'inside the stretched word "{w["text"]}"', False)
    return out


def _sound(samples: np.ndarray, start: float, end: float, where: str, isolated: bool = True) -> list[Finding]:
    if end - start < MIN_SOUND_S or end - start > MAX_SOUND_S + 0.5:
        return []
    score, start, end = held_extent(samples, start, end, isolated)
    if score <= 0.0:
        return []
    return [
        Finding(
            "filler",
            round(start, 3),
            round(end, 3),
            score,
            "",
            f"held sound {where} (no word written)",
            "audio",
        )
    ]


def _disjoint(findings: list[Finding]) -> list[Finding]:
    """Of overlapping findings of one kind, the earliest; then all sorted by time."""
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if out and out[-1].kind == f.kind and f.start < out[-1].end:
            continue
        out.append(f)
    return out


def find_disfluencies(
    words: Sequence[dict[str, Any]],
    spans: Sequence[tuple[float, float]],
    samples: np.ndarray | None = None,
    prompted: Sequence[dict[str, Any]] = (),
) -> list[Finding]:
    """All findings, sorted by start. `prompted`: words of a filler-prompted pass (only its fillers are used)."""
    words = sorted(
        (w for w in words if float(w["end"]) >= float(w["start"])), key=lambda w: float(w["start"])
    )
    found = lexical(words)
    if samples is not None and samples.size:
        found += acoustic(samples, words, spans)
    known = [(f.start, f.end) for f in found if f.kind == "filler"]
    for f in word_fillers(sorted(prompted, key=lambda w: float(w["start"]))):
        if not any(a < f.end and f.start < b for a, b in known):
            found.append(
                Finding(
                    "filler",
                    f.start,
                    f.end,
                    round(f.confidence * 0.8, 3),
                    f.text,
                    f.reason + " (prompted pass)",
                    "prompted",
                )
            )
    return sorted(found, key=lambda f: (f.start, f.end, f.kind))


class Disfluencies:
    """The `disfluencies` field, from the words of this file (the words analyser's, or its own pass)."""

    name: ClassVar[str] = "disfluencies"
    # 2: letters held long ("Hmmmm...") read as the filler; 3: a word held "..." is no false start
    # unless restarted, and hides no filler; 4: a line that answers another ("I" / "you") is no retake
    version: ClassVar[str] = "4"
    fields: ClassVar[tuple[str, ...]] = ("disfluencies",)
    reads_fields: ClassVar[tuple[str, ...]] = ("speech", "words")  # found before it (runner.py)

    def __init__(self, config: EngineConfig, data_dir: Path):
        from engine.analysis.registry import words_analyser

        self.video: VideoRequest | None = None
        self.audio: AudioRequest | None = AudioRequest(SAMPLE_RATE)
        self.config = config
        self.data_dir = Path(data_dir)
        self.words = words_analyser(config, data_dir)

    def model_id(self) -> str:
        return f"disfluencies@{self.version}+{self.words.model_id()}"

    def settings(self) -> dict[str, Any]:
        words = getattr(self.words, "settings", None)
        return {
            "words": words() if callable(words) else {},
            "prompt": FILLER_PROMPT if self.config.analysis.disfluency_prompt else None,  # the second pass
            "flat": FLAT_SEMITONES,
        }

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        samples = inputs.audio(AudioRequest(SAMPLE_RATE))
        if samples is None or samples.size == 0:
            return {"disfluencies": []}
        from engine.analysis.speech import speech_spans
        from engine.models import locate

        known: dict[str, Any] = getattr(inputs, "known", {})  # fields this file's earlier analysers gave
        words = known.get("words")
        if words is None:
            words = self.words.analyse(inputs, job.sub("words", 0.0, 0.8))["words"]
        spans = [(float(s["start"]), float(s["end"])) for s in known["speech"]] if "speech" in known else None
        if spans is None:
            spans = speech_spans(
                samples, locate(self.config.models.vad, "vad"), self.config.analysis.vad_threshold, job
            )
        prompted: list[dict[str, Any]] = []
        a = self.config.analysis
        prompted_words = a.asr_filler_prompt and a.asr_backend == "faster_whisper"
        if a.disfluency_prompt and not prompted_words and words and hasattr(self.words, "transcribe"):
            prompted = self.words.transcribe(
                samples, job.sub("prompted words", 0.8, 1.0), initial_prompt=FILLER_PROMPT
            )
        found = find_disfluencies(words, spans, samples, prompted)
        return {"disfluencies": [f.to_dict() for f in found]}
