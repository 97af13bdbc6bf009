"""Edit by transcript: the words as plain text any editor can change, and back to a timeline.

`write_transcript` gives one paragraph per sentence, each behind a mark naming its source and time
range (`[1 5.538-8.240]`); disfluencies are in {braces}. An editor deletes words or whole paragraphs
and moves paragraphs; `read_transcript` checks the file against the media (same content, marks it
wrote, only words it wrote, in their order) and `plan_from_transcript` turns what is left into
clips: each run of consecutive kept words one clip, its ends frame-exact in the gaps around it, so
no kept word is cut and no deleted one is heard. Any problem is bad input naming the line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from engine.analysis.report import MediaAnalysis, Word
from engine.errors import BadInput
from engine.planning.candidates import Candidate, media_rate
from engine.planning.candidates import _sentences as sentences

HEADER = "# autoedit transcript 1"
MAX_BYTES = 2 * 1024 * 1024  # ~40 hours of speech; anything bigger is not a transcript we wrote
PAD_S = 0.2  # margin kept around kept words, inside the gaps (as the speech units' margin)
_MEDIA = re.compile(r"^@(\d+) sha256=([0-9a-f]{64}) (.+)$")
_MARK = re.compile(r"^\[(\d+) (\d+\.\d{3})-(\d+\.\d{3})\]\s?(.*)$")


@dataclass
class Paragraph:
    media: int  # 1-based, as in the file
    words: list[Word]

    @property
    def mark(self) -> str:
        return f"[{self.media} {self.words[0].start:.3f}-{self.words[-1].end:.3f}]"


@dataclass
class Kept:
    """What survives the editing: per paragraph in file order, the indices of its kept words."""

    media: list[MediaAnalysis]
    runs: list[tuple[int, list[Word]]] = field(default_factory=list)  # (media index 0-based, words)


def paragraphs(media: MediaAnalysis, index: int) -> list[Paragraph]:
    """Sentences, grouped as the speech units group them (end punctuation or a long pause)."""
    words = sorted((w for w in media.words if w.end >= w.start), key=lambda w: w.start)
    return [Paragraph(index, group) for group in sentences(words, [(0.0, media.duration)])]


def _marked(media: MediaAnalysis, w: Word) -> str:
    inside = any(
        d.start - 1e-3 <= w.start and w.end <= d.end + 1e-3 for d in media.disfluencies if d.kind != "retake"
    )
    return "{" + w.text + "}" if inside else w.text


def write_transcript(items: list[MediaAnalysis]) -> str:
    lines = [
        HEADER,
        "# Delete words or whole paragraphs, or move paragraphs with their [mark]; do not edit the",
        "# marks or the @ lines. {Braced} words are disfluencies (fillers, false starts, asides): delete",
        "# the braces' contents to cut them. `autoedit edit --from-transcript THIS_FILE` makes the timeline.",
    ]
    for k, m in enumerate(items, start=1):
        lines.append(f"@{k} sha256={m.sha256} {m.path}")
    for k, m in enumerate(items, start=1):
        lines.append("")
        for p in paragraphs(m, k):
            lines.append(p.mark + " " + " ".join(_marked(m, w) for w in p.words))
    return "\n".join(lines) + "\n"


def read_transcript(path: Path, analyse) -> Kept:  # type: ignore[no-untyped-def]
    """Check an edited transcript and say which words are kept. `analyse(paths)` gives the analyses."""
    path = Path(path)
    if not path.is_file():
        raise BadInput("no such transcript file", path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise BadInput(
            f"line 1: the file is {size / 1e6:.1f} MB; a transcript is at most {MAX_BYTES // 1024 // 1024} MB",
            path,
        )
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        at = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise BadInput(f"line {at}: not UTF-8 text", path) from None
    if not lines or lines[0].strip() != HEADER:
        raise BadInput(f"line 1: not an autoedit transcript (the first line must be {HEADER!r})", path)
    sources: dict[int, tuple[int, str, str]] = {}  # k -> (line, sha256, media path)
    for n, line in enumerate(lines, start=1):
        m = _MEDIA.match(line.strip())
        if m:
            sources[int(m.group(1))] = (n, m.group(2), m.group(3))
    if not sources:
        raise BadInput("line 2: no @ line names the media", path)
    order = sorted(sources)
    for k in order:
        n, _sha, media_path = sources[k]
        if not Path(media_path).is_file():
            raise BadInput(f"line {n}: the media {media_path} is not there", path)
    items = analyse([sources[k][2] for k in order])
    by_number = dict(zip(order, items, strict=True))
    for k in order:
        n, sha, media_path = sources[k]
        if by_number[k].sha256 != sha:
            raise BadInput(
                f"line {n}: {media_path} is not the media this transcript was written from (its content changed)",
                path,
            )
    known = {(p.media, p.mark): p for k in order for p in paragraphs(by_number[k], k)}
    kept = Kept(items)
    for n, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#") or _MEDIA.match(text):
            continue
        m = _MARK.match(text)
        if not m:
            raise BadInput(f"line {n}: text outside a paragraph (each line starts with its [mark])", path)
        number = int(m.group(1))
        if number not in by_number:
            raise BadInput(f"line {n}: media {number} is not named on an @ line", path)
        mark = f"[{number} {m.group(2)}-{m.group(3)}]"
        para = known.get((number, mark))
        if para is None:
            raise BadInput(
                f"line {n}: {mark} matches no paragraph of media {number} (were its times edited?)", path
            )
        tokens = [t.strip("{}") for t in m.group(4).split()]
        run: list[Word] = []
        at = 0
        for token in tokens:
            while at < len(para.words) and para.words[at].text != token:
                if run:
                    kept.runs.append((order.index(number), run))
                    run = []
                at += 1
            if at == len(para.words):
                raise BadInput(
                    f"line {n}: {token!r} is not a word of this paragraph in this order (words can be deleted, not changed)",
                    path,
                )
            run.append(para.words[at])
            at += 1
        if run:
            kept.runs.append((order.index(number), run))
    if not kept.runs:
        raise BadInput(f"line {len(lines)}: no words left to edit (the transcript is empty)", path)
    return kept


def _bounds(words: list[Word], run: list[Word], rate: Fraction, duration: float) -> tuple[int, int]:
    """Frames [start, end) around a run: inside the gaps to the neighbouring words, never inside a kept one."""
    ordered = sorted(words, key=lambda w: w.start)
    i0, i1 = ordered.index(run[0]), ordered.index(run[-1])
    prev_end = ordered[i0 - 1].end if i0 > 0 else 0.0
    next_start = ordered[i1 + 1].start if i1 + 1 < len(ordered) else duration
    a = max(run[0].start - PAD_S, (prev_end + run[0].start) / 2 if i0 > 0 else 0.0, 0.0)
    b = min(
        run[-1].end + PAD_S, (run[-1].end + next_start) / 2 if i1 + 1 < len(ordered) else duration, duration
    )
    fa = math.floor(Fraction(a).limit_denominator(10**6) * rate)
    fb = math.ceil(Fraction(b).limit_denominator(10**6) * rate)
    fa = min(fa, math.floor(Fraction(run[0].start).limit_denominator(10**6) * rate))
    fb = max(fb, math.ceil(Fraction(run[-1].end).limit_denominator(10**6) * rate))
    return fa, max(fb, fa + 1)


def candidates_from(kept: Kept) -> list[tuple[Candidate, int, int]]:
    """One speech candidate per kept run, with its frame range."""
    out = []
    for index, run in kept.runs:
        m = kept.media[index]
        rate = media_rate(m)
        fa, fb = _bounds(m.words, run, rate, m.duration)
        text = " ".join(w.text for w in run)
        cand = Candidate(index, m.path, rate, fa, fb, "speech", 0, text, list(run), [])
        cand.score = 1.0
        out.append((cand, fa, fb))
    return out


TRANSCRIPT_FIELDS = ["speech", "words", "disfluencies"]


def analyse_for_transcript(paths: list[str], config, data_dir: Path, job) -> list[MediaAnalysis]:  # type: ignore[no-untyped-def]
    """The words (and disfluencies) of each file; a file that cannot be analysed is bad input."""
    from engine.analysis.runner import analyse_files

    report = analyse_files(paths, config, data_dir, job, fields=TRANSCRIPT_FIELDS)
    if report.errors:
        raise BadInput(report.errors[0]["error"], report.errors[0]["path"])
    return list(report.media)
