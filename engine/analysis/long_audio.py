"""A long file's audio analysed window by window: memory is that of one window whatever the length.

Today's whole-file analysis holds the file's audio at every rate (~96 MB a minute with the analysers'
intermediates). Past `analysis.chunk_s` the runner comes here instead:
1. one pass over the file in short blocks feeds Silero VAD, whose state runs through the whole file,
   so the speech regions are exactly the whole-file ones (only its probabilities are kept);
2. the file is cut into windows (engine/analysis/segments.py) whose seams lie in pauses between
   Whisper's decoding windows, each decoded on its own by seeking, with a pre-roll before its core
   (recurrent state, IIR filters and resamplers settle) and an overlap after it;
3. each analyser's result for a window is stored at once (engine/analysis/partials.py), so a run
   stopped by Ctrl-C or kill -9 resumes at the first unfinished window;
4. per-field stitchers join the windows: words are Whisper's decodes of the very windows a whole-file
   run decodes; beats come from BeatNet activations kept per core and decoded by the DBN over the
   union (as the whole file is); loudness from BS.1770's 400 ms gating blocks of every window, gated
   over the union; disfluencies and other trackers' beats are kept by the core holding their start.
Stems (separation) still read the whole file: with them on, the runner does not come here.
"""

from __future__ import annotations

import base64
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from engine.analysis.base import Analyser, AudioRequest, MediaInfo
from engine.analysis.partials import PartialResults
from engine.analysis.segments import Segment, plan_audio_segments
from engine.analysis.words import PACKED_SPAN_S
from engine.config import EngineConfig
from engine.progress import Job

SPEECH_RATE = 16000
PREROLL_S = 20.0  # before a core: BeatNet's LSTM and the K-weighting settle well within it
OVERLAP_S = PACKED_SPAN_S  # after a core: a Whisper window that starts in the core ends inside
VAD_BLOCK_S = 30.0  # the VAD pass's block
BEATNET_HOP_S = Fraction(1, 50)
GATING_HOP_S = Fraction(1, 10)
SPANS_KEY = "speech-spans"
LONG_AUDIO_ANALYSERS = frozenset({"speech", "words", "beats", "loudness", "disfluencies"})


@dataclass
class WindowCounts:
    """What the windows cost: how many there were, and analyser-windows computed or found stored."""

    windows: int = 0
    computed: int = 0
    cached: int = 0
    log: list[str] = field(default_factory=list)


def applies(info: MediaInfo, analysers: list[Analyser], config: EngineConfig | None) -> bool:
    """Window by window when the file is longer than analysis.chunk_s and every analyser can be."""
    if config is None or config.analysis.chunk_s <= 0 or info.duration <= config.analysis.chunk_s:
        return False
    return all(a.name in LONG_AUDIO_ANALYSERS for a in analysers)


def analyse_long_audio(
    info: MediaInfo,
    work: list[tuple[Analyser, str]],
    config: EngineConfig,
    partials: PartialResults,
    job: Job,
    known: dict[str, Any],
) -> tuple[dict[str, dict[str, Any]], WindowCounts]:
    """{cache key: whole-file result} for each (analyser, cache key) in `work`."""
    from engine.analysis.words import FILLER_PROMPT, prompt_windows

    counts = WindowCounts()
    a = config.analysis
    spans = _speech_spans(info, config, partials, job.sub("speech", 0.0, 0.08), known)
    prompted = a.asr_filler_prompt and a.asr_backend == "faster_whisper"
    windows = prompt_windows(spans, info.duration)
    pauses = _pauses(windows, info.duration)
    grid = float(_lcm(BEATNET_HOP_S, GATING_HOP_S, Fraction(a.loudness_hop_s).limit_denominator(1000)))
    segments = plan_audio_segments(info.duration, a.chunk_s, pauses, PREROLL_S, OVERLAP_S, grid)
    counts.windows = len(segments)
    per_window = [(an, key) for an, key in work if an.name != "speech"]  # speech: the pass above
    requests = list(dict.fromkeys(an.audio for an, _ in per_window if an.audio is not None))
    parts: dict[str, list[dict[str, Any]]] = {key: [] for _, key in per_window}
    steps = job.sub("windows", 0.08, 1.0)
    heard: list[dict[str, Any]] = []  # the words of the windows before, which may reach into this one
    for seg in segments:
        steps.report("window", seg.index / len(segments), f"window {seg.index + 1}/{len(segments)}")
        stored = {key: partials.load(info.sha256, key, seg) for _, key in per_window}
        missing = [(an, key) for an, key in per_window if stored[key] is None]
        counts.cached += len(per_window) - len(missing)
        if not missing:
            counts.log.append(f"window {seg.index + 1}/{len(segments)}: stored")
        else:
            audio = _decode_window(info, requests, seg, segments)
            inside = _Window(info, seg, audio, spans, windows if prompted else _core_window(seg, info), known)
            inside.heard = [x for x in heard if x["start"] >= seg.start]
            for i, (an, key) in enumerate(per_window):
                before = stored[key]
                if before is not None:
                    inside.parts[an.name] = before
                    continue
                sub = steps.sub(
                    an.name,
                    (seg.index + i / len(per_window)) / len(segments),
                    (seg.index + 1) / len(segments),
                )
                prompt = FILLER_PROMPT if prompted else None
                part = _PARTS[an.name](an, inside, sub, prompt)
                partials.store(info.sha256, key, seg, part)
                stored[key] = part
                inside.parts[an.name] = part
                counts.computed += 1
            counts.log.append(f"window {seg.index + 1}/{len(segments)}: computed {len(missing)}")
            del audio, inside
        for an, key in per_window:
            parts[key].append(stored[key])  # type: ignore[arg-type]
            if an.name in ("words", "disfluencies"):  # the latter's own words when no words field
                heard += stored[key].get("words", [])  # type: ignore[union-attr]
        job.check()
    results = {}
    done: dict[str, Any] = {"known_words": known.get("words", [])}
    for an, key in work:  # in the registry's order: words are stitched before disfluencies read them
        if an.name == "speech":
            results[key] = {"speech": [{"start": s, "end": e} for s, e in spans]}
        else:
            results[key] = _STITCH[an.name](an, parts[key], config, done)
        done.update(results[key])
    job.report("windows", 1.0, f"{len(segments)} windows, {counts.cached} analyser-windows stored before")
    return results, counts


# -- the whole-file VAD pass ---------------------------------------------------------------------


def _speech_spans(
    info: MediaInfo, config: EngineConfig, partials: PartialResults, job: Job, known: dict[str, Any]
) -> list[tuple[float, float]]:
    from engine.analysis.cache import settings_digest
    from engine.analysis.speech import MIN_SILENCE_MS, MIN_SPEECH_MS, streamed_speech_spans
    from engine.media.audio import audio_blocks
    from engine.models import locate

    if "speech" in known:
        return [(float(s["start"]), float(s["end"])) for s in known["speech"]]
    a = config.analysis
    key = f"{SPANS_KEY}-" + settings_digest(
        config.models.vad.name, {"threshold": a.vad_threshold, "ms": [MIN_SPEECH_MS, MIN_SILENCE_MS]}
    )
    whole = Segment(index=-1, core_start=-math.inf, core_end=math.inf, start=0.0, end=info.duration)
    stored = partials.load(info.sha256, key, whole)
    if stored is not None:
        return [(float(s), float(e)) for s, e in stored["spans"]]
    request = AudioRequest(SPEECH_RATE)
    blocks = (b[request] for _, b in audio_blocks(info.path, [request], VAD_BLOCK_S))
    spans = streamed_speech_spans(
        blocks, locate(config.models.vad, "vad"), a.vad_threshold, job, info.duration
    )
    partials.store(info.sha256, key, whole, {"spans": spans})
    return spans


def _pauses(windows: list[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    """Stretches between decoding windows (where a seam changes no window), file start and end included."""
    edges = [0.0] + [x for w in windows for x in w] + [duration]
    return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2) if edges[i + 1] >= edges[i]]


def _core_window(seg: Segment, info: MediaInfo) -> list[tuple[float, float]]:
    """Unprompted Whisper decodes a window's core as one stretch (it cuts its own 30 s windows)."""
    return [(max(0.0, seg.core_start), min(info.duration, seg.core_end))]


def _decode_window(
    info: MediaInfo, requests: list[AudioRequest], seg: Segment, segments: list[Segment]
) -> dict[AudioRequest, np.ndarray]:
    from engine.media.audio import audio_blocks

    last = seg.index == len(segments) - 1
    end = None if last else seg.end  # the last window reads to the stream's own end
    span = (info.duration + OVERLAP_S if last else seg.end) - seg.start
    for _, audio in audio_blocks(info.path, requests, span, start=seg.start, end=end):
        return audio
    return {r: np.zeros((0,) if r.mono else (1, 0), np.float32) for r in requests}


class _Window:
    """One window's audio and what the analysers before this one found in it."""

    def __init__(
        self,
        info: MediaInfo,
        seg: Segment,
        audio: dict[AudioRequest, np.ndarray],
        spans: list[tuple[float, float]],
        windows: list[tuple[float, float]],
        known: dict[str, Any],
    ):
        self.info: MediaInfo = dataclasses.replace(info, duration=seg.end - seg.start)
        self.seg: Segment = seg
        self.audio: dict[AudioRequest, np.ndarray] = audio
        self.origin = seg.start
        self.spans = [(a, b) for a, b in spans if b > seg.start and a < seg.end]
        self.windows = [(a, b) for a, b in windows if seg.owns(a)]
        self.known: dict[str, Any] = known
        self.parts: dict[str, dict[str, Any]] = {}
        # words in this one's audio from windows that earlier segments decode (a decoding window
        # starts in the core of the segment that decodes it and may end in the next)
        self.heard: list[dict[str, Any]] = []
        self.last = seg.core_end == math.inf

    def samples(self, request: AudioRequest) -> np.ndarray:
        return self.audio[request]

    def in_core(self, time: float) -> bool:
        return self.seg.owns(time)


# -- per analyser: a window's part, and the whole file's result from the parts -------------------


def _words_part(an: Any, w: _Window, job: Job, prompt: str | None) -> dict[str, Any]:
    from engine.analysis.words import Piece, WhisperWords

    samples = w.samples(an.audio)
    if isinstance(an, WhisperWords):
        piece = Piece(origin=w.origin, spans=w.spans, windows=w.windows)
        return {"words": an.transcribe(samples, job, initial_prompt=prompt, piece=piece)}
    got = an.analyse(_WindowInputs(w), job)["words"]  # another recogniser: the window as a file
    return {"words": _shifted_in_core(got, w)}


def _beats_part(an: Any, w: _Window, job: Job, prompt: str | None) -> dict[str, Any]:
    from engine.analysis.beats import BEATNET_FPS, BeatNetBeats

    samples = np.ascontiguousarray(w.samples(an.audio), dtype=np.float32)
    if samples.size < an.audio.sample_rate:
        return {"first": 0, "frames": 0, "activations": "", "beats": [], "downbeats": []}
    if isinstance(an, BeatNetBeats):
        acts = an.activations(samples, job)
        first = round(w.origin * BEATNET_FPS)
        frames = first + np.arange(len(acts))
        keep = np.array([w.in_core(f / BEATNET_FPS) for f in frames], dtype=bool)
        kept = np.ascontiguousarray(acts[keep], dtype="<f8")  # as computed: the DBN sees the same numbers
        return {
            "first": int(frames[keep][0]) if keep.any() else first,
            "frames": int(kept.shape[0]),
            "activations": base64.b64encode(kept.tobytes()).decode("ascii"),  # 16 B a frame, not ~120
        }
    beats, downbeats = an.track(samples, job)
    return {
        "beats": [float(t) + w.origin for t in beats if w.in_core(float(t) + w.origin)],
        "downbeats": [float(t) + w.origin for t in downbeats if w.in_core(float(t) + w.origin)],
    }


def _loudness_part(an: Any, w: _Window, job: Job, prompt: str | None) -> dict[str, Any]:
    from engine.analysis.loudness import SAMPLE_RATE, window_blocks

    samples = w.samples(an.audio)
    origin = round(w.origin * SAMPLE_RATE)
    total = origin + samples.shape[-1] if w.last else None
    core = (max(0.0, w.seg.core_start), w.seg.core_end)
    return window_blocks(samples, SAMPLE_RATE, origin, core, total, an.window_s, an.hop_s)


def _disfluencies_part(an: Any, w: _Window, job: Job, prompt: str | None) -> dict[str, Any]:
    """The sounds no word accounts for, found in this window's audio; the words' own findings (repeats,
    false starts, retakes reach across seams) come from the whole transcript when stitching."""
    from engine.analysis.disfluencies import acoustic

    part: dict[str, Any] = {}
    if "words" in w.parts:
        words = w.heard + w.parts["words"]["words"]
    elif "words" in w.known:
        words = [x for x in w.known["words"] if w.seg.start <= x["start"] < w.seg.end]
    else:  # no words field this run: the analyser's own transcription, kept for the stitch
        part["words"] = _words_part(an.words, w, job.sub("words", 0.0, 0.8), prompt)["words"]
        words = w.heard + part["words"]
    o = w.origin
    local = sorted(
        ({**x, "start": x["start"] - o, "end": x["end"] - o} for x in words if x["end"] >= x["start"]),
        key=lambda x: float(x["start"]),
    )
    spans = [(a - o, b - o) for a, b in w.spans]
    found = []
    for f in acoustic(w.samples(an.audio), local, spans):
        d = f.to_dict()
        d["start"], d["end"] = d["start"] + o, d["end"] + o
        if w.in_core(d["start"]):
            found.append(d)
    part["acoustic"] = found
    return part


def _disfluencies_result(
    an: Any, parts: list[dict[str, Any]], config: EngineConfig, done: dict[str, Any]
) -> dict[str, Any]:
    from engine.analysis.disfluencies import Finding, find_disfluencies

    if "words" in done:
        words = done["words"]
    elif all("words" in part for part in parts):
        words = [x for part in parts for x in part["words"]]
    else:
        words = done.get("known_words", [])
    found = find_disfluencies(words, [], None)  # the words' findings, over the whole transcript
    found += [Finding(**d) for part in parts for d in part["acoustic"]]
    found.sort(key=lambda f: (f.start, f.end, f.kind))
    return {"disfluencies": [f.to_dict() for f in found]}


Stitcher = Callable[[Any, list[dict[str, Any]], EngineConfig, dict[str, Any]], dict[str, Any]]


def _joined(name: str) -> Stitcher:
    def join(
        an: Any, parts: list[dict[str, Any]], config: EngineConfig, done: dict[str, Any]
    ) -> dict[str, Any]:
        return {name: [x for part in parts for x in part[name]]}

    return join


def _beats_result(
    an: Any, parts: list[dict[str, Any]], config: EngineConfig, done: dict[str, Any]
) -> dict[str, Any]:
    from engine.analysis.beats import BEATNET_FPS, BeatNetBeats, beats_field

    if isinstance(an, BeatNetBeats):
        pieces = [
            np.frombuffer(base64.b64decode(p["activations"]), dtype="<f8") for p in parts if p["activations"]
        ]
        acts = (np.concatenate(pieces) if pieces else np.zeros(0)).reshape(-1, 2)
        if acts.shape[0] < BEATNET_FPS:  # under a second of frames: nothing to track
            return beats_field(np.zeros(0), np.zeros(0))
        beats, downbeats = an.decode(acts)
        return beats_field(beats, downbeats)
    beats = np.asarray([t for part in parts for t in part.get("beats", [])], dtype=float)
    downbeats = np.asarray([t for part in parts for t in part.get("downbeats", [])], dtype=float)
    return beats_field(beats, downbeats)


def _loudness_result(
    an: Any, parts: list[dict[str, Any]], config: EngineConfig, done: dict[str, Any]
) -> dict[str, Any]:
    from engine.analysis.loudness import from_window_blocks

    return {"loudness": from_window_blocks(parts, an.window_s, an.hop_s)}


_PARTS: dict[str, Callable[[Any, _Window, Job, str | None], dict[str, Any]]] = {
    "words": _words_part,
    "beats": _beats_part,
    "loudness": _loudness_part,
    "disfluencies": _disfluencies_part,
}
_STITCH: dict[str, Stitcher] = {
    "words": _joined("words"),
    "beats": _beats_result,
    "loudness": _loudness_result,
    "disfluencies": _disfluencies_result,
}
assert set(_PARTS) == set(_STITCH) == LONG_AUDIO_ANALYSERS - {"speech"}  # speech: the VAD pass


class _WindowInputs:
    """A window as MediaInputs, for an analyser with no window-aware entry (times from the window start)."""

    def __init__(self, w: _Window):
        self._w = w
        self.info = w.info
        self.known: dict[str, Any] = {}

    def frames(self, request):
        raise RuntimeError("a long-audio window has no frames")

    def audio(self, request: AudioRequest) -> np.ndarray | None:
        return self._w.samples(request)


def _shifted_in_core(items: list[dict[str, Any]], w: _Window) -> list[dict[str, Any]]:
    out = []
    for x in items:
        start = round(float(x["start"]) + w.origin, 3)
        if w.in_core(start):
            out.append({**x, "start": start, "end": round(float(x["end"]) + w.origin, 3)})
    return out


def _lcm(*steps: Fraction) -> Fraction:
    """The shortest time that is a whole number of each step."""
    num = math.lcm(*(s.numerator for s in steps))
    den = math.gcd(*(s.denominator for s in steps))
    return Fraction(num, den)
