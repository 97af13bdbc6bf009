"""Prompt -> effects, each with the reason it was chosen: phrase rules first (like the spec's rules
parser), and a look no library effect gives becomes a request for the code model.

A `Request` says which effect, its parameters, where it goes (every clip, the first, the last, the
cuts) and, for regions, what to follow ("faces" or an object label). Per-clip data (a face centre, a
tracked box) is computed later, from the analysis, in `engine.effects.apply`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.effects.library import checked_params

SCOPES = ("all", "first", "last", "cuts")


@dataclass
class Request:
    kind: str
    params: dict[str, float] = field(default_factory=dict)
    reason: str = ""
    scope: str = "all"
    target: str = ""  # regions: "faces" or an object label
    description: str = ""  # code: the look asked for, in the prompt's words
    source: str = "rules"
    file: str = ""  # code from a user effect file

    def __post_init__(self) -> None:
        if self.kind != "code":
            self.params = checked_params(self.kind, self.params)


def _quote(match: re.Match[str]) -> str:
    return f'"{match.group(0).strip()}"'


_BW = re.compile(
    r"\bblack[- ]?(?:and|&|n'?)[- ]?white\b|\bb\s?(?:&|/)\s?w\b|\bmonochrom\w*|\bgr[ae]y ?scale\b|\bnoir\b"
    r"|\b(?:no|without) colou?rs?\b|\bcolou?rless\b|\bdesaturate (?:it )?(?:completely|fully)\b",
    re.I,
)
_VIGNETTE = re.compile(
    r"\bvignett(?:e|es|ed|ing)\b|\bdark(?:en|er|ened)? (?:the )?(?:edges|corners)\b|\b(?:edges|corners) darker\b",
    re.I,
)
_WARM = re.compile(r"\bwarm(?:er)?\b|\bgolden\b|\bsunny\b", re.I)
_COOL = re.compile(r"\bcool(?:er)? (?:look|tone|colou?rs?|grade)\b|\bcold\b|\bteal\b|\bblue tone", re.I)
_FILM = re.compile(r"\bfilm(?:ic)? look\b|\bcinematic\b|\bfilmic\b", re.I)
_BRIGHT = re.compile(r"\bbright(?:er|en)\b|\blighten\b|\bexpose up\b", re.I)
_DARK = re.compile(r"\bdark(?:er|en)\b(?! (?:the )?(?:edges|corners))|\bmoody\b|\bunderexpos", re.I)
_CONTRAST = re.compile(r"\b(?:more|high|higher|punchy|strong) contrast\b|\bcontrasty\b", re.I)
_FLAT = re.compile(r"\b(?:low|less|lower) contrast\b|\bflat look\b", re.I)
_VIVID = re.compile(r"\bvivid\b|\bvibrant\b|\bsaturated\b|\bcolou?rful\b|\bpop(?:ping)? colou?rs?\b", re.I)
_MUTED = re.compile(r"\bdesaturat\w*|\bmuted\b|\bwashed[- ]out\b|\bfaded colou?rs?\b", re.I)
_REGION = re.compile(
    r"\b(?P<how>blur(?:red)?|pixel+ate(?:d)?|censor(?:ed)?|mosaic|hide|anonymi[sz]e)\s+(?:out\s+)?(?:the\s+|all\s+|any\s+)?"
    r"(?P<what>faces?|people|bystanders|passers?-?by|licen[cs]e plates?|number plates?|plates?|cars?|screens?|"
    r"logos?|[a-z]+)",
    re.I,
)
_PUNCH = re.compile(
    r"\bpunch(?:ed|es|ing)?[- ]?in(?:s|to)?\b|\bpush(?:ed|ing)?[- ]?in(?:to)?\b|\bzoom(?:ed|ing)?[- ]?in\b"
    r"|\bclose[- ]?ups? (?:on|of)\b|\btight(?:er|ly)? (?:on|framing|framed|shot)\b|\bcrop(?:ped)? in\b"
    r"|\bclos(?:e|er) (?:framing|crop|in on)\b|\bframed? (?:tight|close)(?:er|ly)?\b|\bfill the frame with\b",
    re.I,
)
_KEN_BURNS = re.compile(
    r"\bken ?burns\b|\bslow (?:zoom|push|pan)\b|\bzoom(?:s|ing)? slowly\b|\bdrift(?:ing)? zoom\b", re.I
)
_SLOWMO = re.compile(r"\bslow[- ]?mo(?:tion)?\b|\bhalf[- ]speed\b", re.I)
_FASTER = re.compile(r"\bdouble[- ]speed\b|\bspeed (?:it )?up\b|\btime[- ]?lapse\b|\bfast[- ]forward\b", re.I)
_TIMES = re.compile(
    r"\b(?P<x>\d+(?:\.\d+)?)\s*x\s*(?:speed|faster|slower)\b|\bat (?P<y>\d+(?:\.\d+)?)\s*x\b", re.I
)
_RAMP = re.compile(r"\bspeed[- ]?ramp(?:s|ed|ing)?\b|\bramp(?:s|ed|ing)? (?:the )?speed\b", re.I)
_FADE_IN = re.compile(r"\bfade[sd]? (?:it )?in\b|\bfade[sd]? from black\b|\bopen from black\b", re.I)
_FADE_OUT = re.compile(r"\bfade[sd]? (?:it )?out\b|\bfade[sd]? to black\b|\bend on black\b", re.I)
_FADES = re.compile(r"\bfade in and out\b|\bfades? at (?:the )?(?:start|beginning) and end\b", re.I)
_DIP = re.compile(r"\bdips? to black\b|\bblack between (?:the )?(?:clips|shots|cuts)\b", re.I)
_CROSS = re.compile(
    r"\bcross[- ]?fades?\b|\b(?:cross[- ])?dissolves?\b|\bblend between (?:the )?(?:clips|shots)\b", re.I
)
# Looks the library has no effect for: asked for by name, they go to the code model.
_OTHER_LOOK = re.compile(
    r"\b(?P<look>(?:glitch|vhs|sepia|duotone|posteri[sz]e[d]?|invert(?:ed)?|negative|thermal|"
    r"night[- ]vision|infra-?red|halftone|chromatic aberration|comic|sketch|pixel art|neon|scanlines?|"
    r"film grain|grain|rgb split|mirror(?:ed)?|kaleidoscope|sharpen(?:ed)?|emboss(?:ed)?|edge detect\w*)"
    r"(?: (?:look|effect|filter|style|tint))?)\b",
    re.I,
)
_FACE_WORDS = {"face", "faces", "people", "bystanders", "passerby", "passersby", "passer-by", "passers-by"}
_LABELS = {
    "licence plate": "license plate", "license plate": "license plate", "number plate": "license plate",
    "plate": "license plate", "car": "car", "screen": "tv", "logo": "logo",
}  # fmt: skip


def _label(what: str) -> str:
    word = what.lower().rstrip("s") if what.lower() not in ("bus",) else what.lower()
    for phrase, label in _LABELS.items():
        if word.startswith(phrase):
            return label
    return word


def choose_by_rules(prompt: str, user_effects: dict[str, Path] | None = None) -> list[Request]:
    """Every effect the prompt asks for in so many words, with the words quoted as its reason."""
    out: list[Request] = []

    def add(rx: re.Pattern[str], kind: str, why: str, **kw: object) -> bool:
        m = rx.search(prompt)
        if m is None:
            return False
        out.append(Request(kind, reason=f"{why}: the prompt says {_quote(m)}", **kw))  # type: ignore[arg-type]
        return True

    add(_BW, "black_and_white", "black and white")
    grade: dict[str, float] = {}
    words: list[str] = []
    for rx, key, value in (
        (_WARM, "temperature", 0.5), (_COOL, "temperature", -0.5), (_BRIGHT, "exposure", 0.5),
        (_DARK, "exposure", -0.5), (_CONTRAST, "contrast", 1.3), (_FLAT, "contrast", 0.8),
        (_VIVID, "saturation", 1.4), (_MUTED, "saturation", 0.6),
    ):  # fmt: skip
        m = rx.search(prompt)
        if m and key not in grade:
            grade[key] = value
            words.append(_quote(m))
    m = _FILM.search(prompt)
    if m:
        grade.setdefault("contrast", 1.15)
        grade.setdefault("saturation", 0.85)
        words.append(_quote(m))
    if grade:
        out.append(Request("grade", grade, f"colour grade: the prompt says {', '.join(words)}"))
    add(_VIGNETTE, "vignette", "vignette")
    for m in _REGION.finditer(prompt):
        what = m.group("what")
        target = "faces" if what.lower() in _FACE_WORDS else _label(what)
        kind = "blur_region" if m.group("how").lower().startswith("blur") else "pixelate_region"
        out.append(Request(kind, reason=f"hide {what}: the prompt says {_quote(m)}", target=target))
    punch = _PUNCH.search(prompt)
    if punch and not ("zoom" in punch.group(0).lower() and _KEN_BURNS.search(prompt)):  # "slow zoom in on"
        add(_PUNCH, "punch_in", "punch in on the speaker")
    add(_KEN_BURNS, "ken_burns", "slow zoom (Ken Burns)")
    m = _TIMES.search(prompt)
    if m:
        factor = float(m.group("x") or m.group("y"))
        factor = 1 / factor if "slower" in m.group(0).lower() else factor
        out.append(Request("speed", {"factor": factor}, f"speed {factor:g}x: the prompt says {_quote(m)}"))
    elif not add(_SLOWMO, "speed", "slow motion at half speed", params={"factor": 0.5}):
        add(_FASTER, "speed", "double speed", params={"factor": 2.0})
    add(_RAMP, "speed_ramp", "speed ramp from full speed down to 0.5x", params={"start": 1.0, "end": 0.5})
    if _FADES.search(prompt):
        add(_FADES, "fade", "fade in from black", params={"in_s": 1.0}, scope="first")
        add(_FADES, "fade", "fade out to black", params={"out_s": 1.0}, scope="last")
    else:
        add(_FADE_IN, "fade", "fade in from black", params={"in_s": 1.0}, scope="first")
        add(_FADE_OUT, "fade", "fade out to black", params={"out_s": 1.0}, scope="last")
    add(_DIP, "fade", "dip to black at every cut", params={"in_s": 0.25, "out_s": 0.25}, scope="cuts")
    add(_CROSS, "crossfade", "crossfade at every cut", scope="cuts")
    for stem, path in sorted((user_effects or {}).items()):
        phrase = re.compile(r"\b" + re.escape(stem.replace("_", " ")).replace(r"\ ", "[ _-]") + r"\b", re.I)
        m = phrase.search(prompt)
        if m:
            out.append(Request("code", reason=f"your effect file {path.name}: the prompt says {_quote(m)}",
                               source="user", file=str(path), description=stem))  # fmt: skip
    user_words = {w for r in out if r.source == "user" for w in re.split(r"[ _-]+", r.description.lower())}
    for m in _OTHER_LOOK.finditer(prompt):
        look = m.group("look")
        if set(re.split(r"[ _-]+", look.lower())) & user_words or any(
            r.kind == "code" and r.description.lower() == look.lower() for r in out
        ):
            continue  # the user's own file for this look wins
        out.append(Request("code", reason=f"a look the library lacks: the prompt says {_quote(m)}",
                           source="generated", description=look))  # fmt: skip
    return out


def user_effect_files(data_dir: Path) -> dict[str, Path]:
    """The user's own effects: `<data dir>/effects/*.py`, named by file stem."""
    folder = Path(data_dir) / "effects"
    return {p.stem: p for p in sorted(folder.glob("*.py"))} if folder.is_dir() else {}


# ------------------------------------------------------------------------------------ the LLM path

QUESTIONS = {
    "grade": "a colour grade (warmer, cooler, brighter, darker or more contrast)",
    "black_and_white": "black and white",
    "vignette": "a vignette (darker corners)",
    "blur_region": "blurring faces or objects",
    "pixelate_region": "pixelating faces or objects",
    "punch_in": "zooming in on the speaker",
    "ken_burns": "a slow zoom or pan",
    "speed": "slow motion or faster playback",
    "speed_ramp": "a speed ramp",
    "fade": "fading in from or out to black",
    "crossfade": "crossfades between the shots",
}
SCOPE_BY_KIND = {"fade": "first", "crossfade": "cuts"}
PARAMS_BY_KIND: dict[str, dict[str, float]] = {
    "speed": {"factor": 0.5}, "speed_ramp": {"start": 1.0, "end": 0.5}, "fade": {"in_s": 1.0},
}  # fmt: skip


def _question(prompt: str, kind: str) -> str:
    return (
        f"Video editing request: {prompt.strip()[:600]}\n"
        f"Does the request ask for {QUESTIONS[kind]}? Answer yes or no.\nAnswer:"
    )


def llm_scores(prompt: str, planner: Any) -> dict[str, float]:
    """P(yes) per library effect, from one batched forward pass of the planner LLM (yes vs no logits)."""
    import torch

    tok, model = planner.tokenizer, planner.model
    kinds = list(QUESTIONS)
    texts = [_question(prompt, k) for k in kinds]
    ids = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
    width = max(len(i) for i in ids)
    pad = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
    batch = torch.tensor([[pad] * (width - len(i)) + i for i in ids])
    mask = torch.tensor([[0] * (width - len(i)) + [1] * len(i) for i in ids])
    yes = tok(" yes", add_special_tokens=False)["input_ids"][0]
    no = tok(" no", add_special_tokens=False)["input_ids"][0]
    with torch.inference_mode():
        logits = model(input_ids=batch.to(model.device), attention_mask=mask.to(model.device)).logits[
            :, -1, :
        ]
    pair = torch.stack([logits[:, yes], logits[:, no]], dim=1).float().softmax(dim=1)[:, 0]
    return {k: round(float(p), 4) for k, p in zip(kinds, pair.tolist(), strict=True)}


def choose_by_llm(prompt: str, planner: Any, threshold: float) -> list[Request]:
    """The effects the planner LLM reads into the prompt (P(yes) >= threshold), each with its P."""
    out = []
    for kind, p in llm_scores(prompt, planner).items():
        if p >= threshold:
            reason = f"the planner LLM ({planner.name}) read the prompt as asking for {QUESTIONS[kind]} (p={p:.2f})"
            out.append(Request(kind, dict(PARAMS_BY_KIND.get(kind, {})), reason, SCOPE_BY_KIND.get(kind, "all"),
                               target="faces" if kind.endswith("_region") else "", source="llm"))  # fmt: skip
    return out


def merge(rules: list[Request], llm: list[Request]) -> list[Request]:
    """The rules' requests (the prompt's own words win), plus the LLM's for kinds they did not name."""
    named = {r.kind for r in rules}
    return rules + [r for r in llm if r.kind not in named]
