"""The deterministic prompt parser: the second producer of `EditSpec`, used when no LLM is configured,
when it fails, and to check the LLM's numbers against what the prompt states outright.

Every decision it takes on its own (a default, a conflict resolved) is written into `notes`, so the
report says why the spec looks the way it does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.errors import BadInput
from engine.planning.spec import DEFAULT_PACING, EditSpec, Pacing

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50,
    "sixty": 60, "ninety": 90, "a": 1, "an": 1, "half a": 0.5,
}  # fmt: skip
_SECONDS = r"s|sec|secs|second|seconds|secondes?|segundos?|sekunden?|secondi"
_MINUTES = r"m|min|mins|minute|minutes|minutos?|minuten?|minuti"
_HOURS = r"h|hr|hrs|hour|hours|heures?|horas?|stunden?"
_DURATION = re.compile(
    r"(?<![\w.:])(?P<num>\d+(?:[.,]\d+)?|"
    + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True))
    + r")\s*-?\s*(?P<unit>"
    + _HOURS
    + "|"
    + _MINUTES
    + "|"
    + _SECONDS
    + r")\b",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"(?<![\w:])(\d{1,2}):([0-5]\d)(?![\w:])")  # 1:30 = 90 s (aspect ratios use other digits)

_ASPECT_CUES: list[tuple[str, str]] = [
    (
        r"\b9\s*[:x/]\s*16\b|\bvertical\b|\bportrait video\b|\btik ?tok\b|\bshorts\b|\breels\b|\binstagram reel\b|\bstories\b",
        "9:16",
    ),
    (r"\b1\s*[:x/]\s*1\b|\bsquare\b", "1:1"),
    (r"\b4\s*[:x/]\s*5\b|\binstagram (?:feed|post)\b|\bportrait post\b", "4:5"),
    (r"\b16\s*[:x/]\s*9\b|\bwidescreen\b|\blandscape\b|\byoutube\b", "16:9"),
]
_STYLE_CUES: list[tuple[str, str]] = [
    (r"\btighten|\bremove (?:the )?(?:silences?|pauses?|dead air|gaps)|\bcut (?:out )?(?:the )?(?:silences?|pauses?)"
     r"|\btalking[- ]head|\bpodcast|\binterview|\bjump ?cuts?"
     # cleaning the speech up keeps all of it: "remove the ums" is no highlight
     r"|\b(?:remove|cut(?: out)?|drop|lose|clean up|get rid of|strip)\b[^.,;]{0,20}\b(?:um+s?|uh+s?|erms?|fillers?"
     r"|filler words|stutters?|false starts?|disfluenc\w*)\b", "tighten"),
    (r"\bhighlights?\b|\bbest (?:moments|bits|parts|shots)|\bsizzle|\btrailer|\bteaser|\bpromo\b", "highlight"),
    (r"\bmontage|\bmusic video|\bcut to the (?:beat|music)|\bbeat[- ]synced?", "montage"),
    (r"\bstory\b|\bnarrative|\bsummar(?:y|ise|ize)|\brecap|\bdocumentary", "story"),
]  # fmt: skip
_MUSIC = re.compile(r"\bmusic\b|\bsoundtrack|\bsong\b|\bbeats?\b|\bmontage", re.IGNORECASE)
_NO_MUSIC = re.compile(r"\b(?:no|without) music\b", re.IGNORECASE)
_CAPTIONS = re.compile(r"\bcaption|\bsubtitle|\bsrt\b|\btranscript on screen", re.IGNORECASE)
_ENERGY = re.compile(
    r"\bbuild(?:s|ing)? up\b|\benergy\b|\barc\b|\bclimax|\bcrescendo|\bend (?:big|strong)", re.I
)
_CHRONO = re.compile(r"\bchronolog|\bin order\b|\boriginal order\b|\bas it happened", re.IGNORECASE)
_FAST = re.compile(r"\bfast\b|\bquick|\bsnappy|\bpunchy|\bhigh[- ]energy|\brapid", re.IGNORECASE)
_SLOW = re.compile(r"\bslow\b|\bcalm|\brelaxed|\blong takes|\bleisurely|\bgentle", re.IGNORECASE)
_FILLERS = re.compile(r"\bfillers?\b|\bum+s?\b|\buh+s?\b|\berms?\b|\bhesitations?\b", re.IGNORECASE)
_DISFLUENCIES = re.compile(
    r"\bstutter|\bdisfluen|\bfalse starts?\b|\brepeated words\b|\brepeats\b|\brestarts\b", re.IGNORECASE
)
_KEEP_SILENCE = re.compile(r"\bkeep (?:the )?(?:silences?|pauses?)", re.IGNORECASE)
_REMOVE_SILENCE = re.compile(
    r"\b(?:remove|cut|drop|trim|no)\b[^.,;]{0,20}\b(?:silences?|pauses?|dead air|gaps)", re.I
)
_PHRASE_END = r"(?=[,.;!?\n]|\band\b|\bwith\b|\bin\b|\bfor\b|\bas\b|\bbut\b|$)"
_INCLUDE = re.compile(
    r"\b(?:about|focus(?:ing)? on|include|including|featuring|mentions? of|talks? about|where \w+ talks? about"
    r"|the part about|parts about|bits about|moments with)\s+(?P<x>[^,.;!?\n]{2,60}?)" + _PHRASE_END,
    re.IGNORECASE,
)
_AVOID = re.compile(
    r"\b(?:avoid(?:ing)?|without|skip(?:ping)?|leave out|leaving out|exclude|excluding|drop|don'?t (?:show|include)"
    r"|no)\s+(?P<x>[^,.;!?\n]{2,60}?)" + _PHRASE_END,
    re.IGNORECASE,
)
# Words that are instructions to the editor, not topics of the footage.
_NOT_TOPICS = re.compile(
    r"^(?:the |a |an )?(?:silences?|pauses?|music|captions?|subtitles?|gaps|dead air|cuts?"
    r"|fillers?|filler words|um+s?|uh+s?|erms?|stutters?|false starts?|repeats|repeated words|disfluenc\w*"
    r"|\d+.*|seconds?|minutes?|this|it|that|them)$",
    re.IGNORECASE,
)
_ENGLISH_HINTS = re.compile(
    r"\b(?:the|a|an|and|this|that|make|cut|edit|with|of|to|for|video|clip|reel|music|seconds?|minutes?|remove|keep"
    r"|short|long|highlight|tighten|please|me|my|it|from|into|best|only|silences?|story|montage|vertical)\b",
    re.IGNORECASE,
)


@dataclass
class ParsedPrompt:
    """What the parser found in the text, cue by cue; `spec` is built from it."""

    spec: EditSpec
    notes: list[str] = field(default_factory=list)
    stated_durations: list[float] = field(default_factory=list)  # every duration the prompt states outright
    stated_aspects: list[str] = field(default_factory=list)
    stated_style: str | None = None
    recognised: bool = True  # False when nothing in the prompt could be read as an instruction


def check_prompt(prompt: str, max_chars: int) -> str:
    """Reject what no planner can use, with a message that says what is wrong and what to do."""
    if prompt is None or not str(prompt).strip():
        raise BadInput("the prompt is empty: say what edit you want, e.g. 'tighten this, remove silences'")
    text = " ".join(str(prompt).split())
    if len(text) > max_chars:
        raise BadInput(
            f"the prompt is {len(text)} characters long; the limit is {max_chars} (planner.max_prompt_chars). "
            "Say what edit you want in a few sentences"
        )
    return text


def _durations(text: str) -> list[float]:
    found: list[tuple[int, float]] = []
    for match in _DURATION.finditer(text):
        raw = match.group("num").lower().replace(",", ".")
        value = float(_NUMBER_WORDS[raw]) if raw in _NUMBER_WORDS else float(raw)
        unit = match.group("unit").lower()
        if re.fullmatch(_HOURS, unit, re.IGNORECASE):
            value *= 3600
        elif re.fullmatch(_MINUTES, unit, re.IGNORECASE):
            value *= 60
        if value > 0:
            found.append((match.start(), value))
    for match in _CLOCK.finditer(text):
        found.append((match.start(), int(match.group(1)) * 60 + int(match.group(2))))
    return [v for _, v in sorted(found)]


def _first_cues(text: str, cues: list[tuple[str, str]]) -> list[str]:
    hits = []
    for pattern, value in cues:
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            hits.append((match.start(), value))
    return [v for _, v in sorted(hits)]


def _phrases(pattern: re.Pattern[str], text: str) -> list[str]:
    out: list[str] = []
    for match in pattern.finditer(text):
        phrase = re.sub(r"^(?:the|a|an|any)\s+", "", match.group("x").strip(), flags=re.IGNORECASE).strip(
            " '\""
        )
        words = phrase.split()
        phrase = " ".join(words[:5])
        if phrase and not _NOT_TOPICS.match(phrase) and phrase.lower() not in (p.lower() for p in out):
            out.append(phrase)
    return out[:8]


def looks_english(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    ascii_share = sum(c.isascii() for c in letters) / len(letters)
    words = max(1, len(text.split()))
    hint_share = len(_ENGLISH_HINTS.findall(text)) / words
    return ascii_share > 0.9 and (hint_share >= 0.1 or words <= 3)


def parse_prompt(prompt: str, max_chars: int = 4000) -> ParsedPrompt:
    text = check_prompt(prompt, max_chars)
    notes: list[str] = []
    durations = _durations(text)
    aspects = _first_cues(text, _ASPECT_CUES)
    styles = _first_cues(text, _STYLE_CUES)
    english = looks_english(text)

    style = styles[0] if styles else None
    if len(set(styles)) > 1:
        notes.append(
            f"the prompt asks for several styles ({', '.join(dict.fromkeys(styles))}); using the first, {style}"
        )
    music = bool(_MUSIC.search(text)) and not _NO_MUSIC.search(text)
    if style is None and music:
        style = "montage"

    fields: dict[str, object] = {}
    if durations:
        fields["target_duration"] = durations[0]
        if len({round(d, 3) for d in durations}) > 1:
            notes.append(
                "the prompt states several lengths ("
                + ", ".join(f"{d:g} s" for d in durations)
                + f"); using the first, {durations[0]:g} s"
            )
    if aspects:
        fields["aspect"] = aspects[0]
        if len(set(aspects)) > 1:
            notes.append(
                f"the prompt names several aspect ratios ({', '.join(dict.fromkeys(aspects))}); using {aspects[0]}"
            )
    keep_silence, remove_silence = bool(_KEEP_SILENCE.search(text)), bool(_REMOVE_SILENCE.search(text))
    if keep_silence and remove_silence:
        notes.append("the prompt asks both to keep and to remove silences; removing them (the usual intent)")
    fields["remove_silences"] = remove_silence or not keep_silence
    fields["remove_disfluencies"] = bool(_DISFLUENCIES.search(text))
    fields["remove_fillers"] = fields["remove_disfluencies"] or bool(_FILLERS.search(text))
    fields["music"] = music
    fields["captions"] = bool(_CAPTIONS.search(text))
    energy, chrono = bool(_ENERGY.search(text)), bool(_CHRONO.search(text))
    if energy and chrono:
        notes.append("the prompt asks for both story order and an energy arc; keeping the original order")
    fields["order"] = "energy_arc" if energy and not chrono else "chronological"
    include, avoid = _phrases(_INCLUDE, text), _phrases(_AVOID, text)
    overlap = {p.lower() for p in include} & {p.lower() for p in avoid}
    if overlap:
        notes.append(
            f"the prompt both asks for and against {', '.join(sorted(overlap))}; leaving it out of both"
        )
        include = [p for p in include if p.lower() not in overlap]
        avoid = [p for p in avoid if p.lower() not in overlap]
    fields["include"], fields["avoid"] = include, avoid

    chosen_style = style or "highlight"
    lo, hi = DEFAULT_PACING[chosen_style]
    fast, slow = bool(_FAST.search(text)), bool(_SLOW.search(text))
    if fast and slow:
        notes.append("the prompt asks for both fast and slow pacing; using the style's usual pacing")
    elif fast:
        lo, hi = max(0.4, lo * 0.6), max(1.5, hi * 0.5)
    elif slow:
        lo, hi = lo * 2.0, hi * 2.0
    fields["pacing"] = Pacing(min_shot_s=lo, max_shot_s=hi)
    target = fields.get("target_duration")
    if isinstance(target, float) and target < lo:
        notes.append(f"the asked length {target:g} s is shorter than one shot ({lo:g} s); using one shot")
        fields["target_duration"] = lo

    recognised = bool(
        styles or durations or aspects or music or fields["captions"] or fields["include"] or fields["avoid"]
    )
    if not english:
        notes.append(
            "the prompt does not look like English, which the rules parser reads; "
            + (
                "it used the numbers and ratios it found"
                if recognised
                else "it found no instruction it could read"
            )
        )
    if style is None:
        notes.append(
            "no style named; choosing one from the footage (speech-led footage: tighten, else highlight)"
        )
    spec = EditSpec(style=chosen_style, **fields)  # type: ignore[arg-type]
    return ParsedPrompt(spec, notes, durations, aspects, style, recognised)
