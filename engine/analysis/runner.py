"""Analyse media files: probe, one video decode pass, one audio decode, every analyser, cached.

Per file: hash the content (remembered by path/size/mtime), probe it (cached by hash), load each
analyser's cached field or mark it to compute; then ONE video pass feeds every visual analyser that
has work to do (each in its own thread, pulling its own frames) and ONE audio decode, resampled once
per rate, feeds the audio analysers, which run beside the video pass. A file with no audio gets empty
audio fields and a note, one with no video empty visual fields and a note. A file we cannot analyse
(`BadInput`) becomes an entry in `report.errors` while the other files still complete; any other
failure stops the run.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from engine.analysis import registry
from engine.analysis.base import Analyser, AudioRequest, MediaInfo, VideoRequest
from engine.analysis.cache import AnalysisCache, settings_digest
from engine.analysis.report import AnalysisReport, MediaAnalysis
from engine.config import EngineConfig
from engine.errors import BadInput, Cancelled
from engine.media.probe import check_readable, probe
from engine.media.video import Subscription, VideoPass
from engine.progress import Job

PROBE_KEY = "probe@1"
log = logging.getLogger("autoedit.analysis")
AUDIO_FIELDS = ("speech", "words", "beats", "downbeats", "tempo", "loudness", "disfluencies")
VIDEO_FIELDS = ("shots", "faces", "quality", "objects")


@dataclass
class FileRun:
    """What analysing one file did: which analysers ran or came from the cache, and the decoding done."""

    path: str
    computed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    video_passes: int = 0
    decoded_frames: int = 0
    audio_decodes: int = 0
    windows: int = 0  # long audio: the windows it was cut in (0 when analysed whole)
    windows_computed: int = 0  # analyser-windows computed in this run ...
    windows_cached: int = 0  # ... and found stored by an earlier, interrupted one


@dataclass
class _Work:
    analyser: Analyser
    key: str
    result: dict[str, Any] | None = None


class _Inputs:
    """MediaInputs for one file: frames from the shared pass, audio from the one decode."""

    def __init__(
        self,
        info: MediaInfo,
        subscriptions: dict[VideoRequest, Subscription],
        audio: dict[AudioRequest, np.ndarray],
    ):
        self.info = info
        self._subscriptions = subscriptions
        self._audio = audio
        self.known: dict[str, Any] = {}  # fields already found for this file (disfluencies reads words)

    def frames(self, request: VideoRequest):
        sub = self._subscriptions.get(request)
        if sub is None:
            raise RuntimeError(f"frames({request}) was not declared as the analyser's `video` request")
        return iter(sub)

    def audio(self, request: AudioRequest) -> np.ndarray | None:
        if not self.info.has_audio:
            return None
        samples = self._audio.get(request)
        if samples is None:
            raise RuntimeError(f"audio {request} was not declared as the analyser's `audio` request")
        return samples  # from the one decode: mono, or channels kept for analysers that ask (loudness)


def analysers_for(config: EngineConfig, data_dir: Path, fields=None) -> list[tuple[registry.Entry, Analyser]]:
    return [(entry, entry.build(config, data_dir)) for entry in registry.select(config, fields)]


def analyse_files(paths, config: EngineConfig, data_dir, job: Job, fields=None) -> AnalysisReport:
    """Analyse every file; per-file problems go to `report.errors`, the rest completes."""
    data_dir = Path(data_dir)
    cache = AnalysisCache(data_dir)
    entries = registry.select(config, fields)  # unknown field names fail before any file is read
    chosen: list[tuple[registry.Entry, Analyser]] | None = None
    report = AnalysisReport()
    paths = list(paths)
    for i, path in enumerate(paths):
        sub = job.sub(f"{Path(path).name}", i / len(paths), (i + 1) / len(paths))
        try:
            # Probed before the analysers are built: building one may import torch (~3 s), which a
            # missing or unreadable file must not wait for.
            _probe_cached(os.path.abspath(os.fspath(path)), cache)
            if chosen is None:
                chosen = [(entry, entry.build(config, data_dir)) for entry in entries]
            media, _ = analyse_media(path, chosen, cache, sub, config)
        except BadInput as exc:
            report.errors.append({"path": os.path.abspath(os.fspath(path)), "error": _problem(exc)})
            continue
        report.media.append(media)
    job.report("done", 1.0, f"{len(report.media)} analysed, {len(report.errors)} failed")
    return report


def analyse_file(path, config: EngineConfig, data_dir, job: Job, fields=None) -> MediaAnalysis:
    """One file's analysis; `BadInput` when the file cannot be analysed."""
    data_dir = Path(data_dir)
    chosen = analysers_for(config, data_dir, fields)
    media, _ = analyse_media(path, chosen, AnalysisCache(data_dir), job, config)
    return media


def analyse_media(
    path,
    analysers: list[tuple[registry.Entry, Analyser]],
    cache: AnalysisCache,
    job: Job,
    config: EngineConfig | None = None,
) -> tuple[MediaAnalysis, FileRun]:
    """The workhorse behind analyse_file(s): also says what was computed, cached and decoded. With
    `config`, audio longer than its analysis.chunk_s is analysed window by window (long_audio.py)."""
    path = os.path.abspath(os.fspath(path))
    run = FileRun(path=path)
    job.report("probe", 0.0, Path(path).name)
    info = _probe_cached(path, cache)
    notes: list[str] = []
    results: dict[str, Any] = {}
    models: dict[str, str] = {}
    video_work: list[_Work] = []
    audio_work: list[_Work] = []
    for entry, analyser in analysers:
        label = f"{analyser.name}@{analyser.version}"
        has_stream = info.has_video if entry.reads == "video" else info.has_audio
        if not has_stream:
            run.skipped.append(label)
            continue
        key = _cache_key(analyser)
        cached = cache.load(info.sha256, key)
        if cached is not None:
            run.cached.append(label)
            _collect(analyser, cached, results, models)
        else:
            (video_work if entry.reads == "video" else audio_work).append(_Work(analyser, key))
    if not info.has_audio and any(e.reads == "audio" for e, _ in analysers):
        notes.append("no audio stream: speech, words, beats, downbeats, tempo and loudness are empty")
    if not info.has_video and any(e.reads == "video" for e, _ in analysers):
        notes.append("no video stream: shots, faces, quality and objects are empty")

    kept = threading.Lock()  # the video and audio parts may finish at the same moment

    def keep(work: list[_Work]) -> None:
        with kept:
            _keep(info, work, cache, results, models, run)

    setup = _AudioSetup(cache, config)
    if video_work and audio_work:
        _video_and_audio(info, video_work, audio_work, job, run, keep, dict(results), setup)
    elif video_work:
        _video_pass(info, video_work, job.sub("video", 0.05, 1.0), run)
        keep(video_work)
    elif audio_work:
        _audio_analysis(info, audio_work, job.sub("audio", 0.05, 1.0), run, dict(results), setup)
        keep(audio_work)
    if run.windows:  # the whole-file results are cached: the windows' rows are done with
        setup.partials().discard(info.sha256)
    job.report("done", 1.0, Path(path).name)
    return _media_analysis(info, results, models, notes), run


def analyse_span(
    info: MediaInfo,
    analysers: list[Analyser],
    span: tuple[float, float] | None,
    job: Job,
    cache: AnalysisCache | None = None,
    config: EngineConfig | None = None,
) -> dict[str, dict[str, Any]]:
    """Run `analysers` on a probed file, nothing cached: {cache key: result}. With `span` (start, end)
    only that time range of the video is decoded (visual analysers only; frame times stay the file's,
    engine/distributed stitches the ranges); None analyses the whole file. With `cache` and `config`,
    long audio goes window by window, its finished windows kept under `cache` (long_audio.py)."""
    if span is not None:
        if any(a.video is None for a in analysers):
            raise ValueError("a time range is analysed by visual analysers only")
        info = dataclasses.replace(info, duration=min(span[1], info.duration))
    video_work = [_Work(a, _cache_key(a)) for a in analysers if a.video is not None and info.has_video]
    audio_work = [_Work(a, _cache_key(a)) for a in analysers if a.video is None and info.has_audio]
    run = FileRun(path=info.path)
    setup = _AudioSetup(cache, config)
    if video_work and audio_work:
        _video_and_audio(info, video_work, audio_work, job, run, lambda work: None, {}, setup)
    elif video_work:
        _video_pass(info, video_work, job, run, span)
    elif audio_work:
        _audio_analysis(info, audio_work, job, run, {}, setup)
    if run.windows and cache is not None:
        setup.partials().discard(info.sha256)  # the caller keeps the whole-file results
    return {item.key: item.result for item in video_work + audio_work if item.result is not None}


# -- steps --------------------------------------------------------------------------------------


def _probe_cached(path: str, cache: AnalysisCache) -> MediaInfo:
    check_readable(Path(path))
    sha256 = cache.content_hash(path)
    stored = cache.load(sha256, PROBE_KEY)
    if stored is not None:
        stored["rate"] = Fraction(stored["rate"])
        return MediaInfo(**{**stored, "path": path, "sha256": sha256})
    info = probe(path, sha256)
    record = dataclasses.asdict(info)
    record["rate"] = str(info.rate)
    cache.store(sha256, PROBE_KEY, record)
    return info


def _video_pass(
    info: MediaInfo, work: list[_Work], job: Job, run: FileRun, span: tuple[float, float] | None = None
) -> None:
    """Decode once; each analyser runs in its own thread on its subscription."""
    decode = VideoPass(info, span)
    quiet = job.quiet()  # analysers share cancel; the decoder reports progress
    threads = []
    errors: list[BaseException] = []
    for item in work:
        request = item.analyser.video
        assert request is not None, f"{item.analyser.name} reads video but declares no VideoRequest"
        subscription = decode.subscribe(request)
        inputs = _Inputs(info, {request: subscription}, {})

        def target(
            item: _Work = item, inputs: _Inputs = inputs, subscription: Subscription = subscription
        ) -> None:
            try:
                item.result = item.analyser.analyse(inputs, quiet)
            except BaseException as exc:  # handed to the caller's thread below
                errors.append(exc)
            finally:
                subscription.close()

        threads.append(threading.Thread(target=target, name=f"analyse-{item.analyser.name}", daemon=True))
    for thread in threads:
        thread.start()
    try:
        stats = decode.run(job)
    except BaseException:
        for thread in threads:
            thread.join()
        raise
    for thread in threads:
        thread.join()
    run.video_passes += stats.passes
    run.decoded_frames += stats.decoded_frames
    if errors:
        raise errors[0]


def _video_and_audio(
    info: MediaInfo,
    video_work: list[_Work],
    audio_work: list[_Work],
    job: Job,
    run: FileRun,
    keep: Callable[[list[_Work]], None],
    known: dict[str, Any],
    setup: _AudioSetup | None = None,
) -> None:
    """The audio analysers beside the video pass: the pass alone leaves ~20% of 2 cores idle (waiting
    on decode or on TransNetV2), which the audio work fills; 1.12-1.2x faster in all (bench/analysis.py).
    Each part's results are kept as soon as it finishes; a failure in either part stops the other at
    its next report and is raised here."""
    parts, stop = job.together({"video": 0.75, "audio": 0.25}, 0.05, 1.0)
    failures: list[BaseException] = []

    def audio() -> None:
        try:
            _audio_analysis(info, audio_work, parts["audio"], run, known, setup)
            keep(audio_work)
        except BaseException as exc:  # handed to the caller's thread below
            failures.append(exc)
            stop.set()

    thread = threading.Thread(target=audio, name="analyse-audio", daemon=True)
    thread.start()
    try:
        _video_pass(info, video_work, parts["video"], run)
    except BaseException as exc:
        stop.set()
        thread.join()
        if isinstance(exc, Cancelled) and failures and not job.cancelled:
            raise failures[0] from None  # the audio part failed and stopped the pass: its error
        raise
    keep(video_work)
    thread.join()
    if failures:
        raise failures[0]


@dataclass
class _AudioSetup:
    """What the audio part needs beyond its analysers: where windows of long files are kept, and the
    config that says how long a file must be to be cut into windows (None: never)."""

    cache: AnalysisCache | None = None
    config: EngineConfig | None = None
    _partials: Any = None

    def partials(self):
        from engine.analysis.partials import PartialResults

        if self._partials is None:
            assert self.cache is not None
            self._partials = PartialResults(self.cache.root)
        return self._partials


def _audio_analysis(
    info: MediaInfo,
    work: list[_Work],
    job: Job,
    run: FileRun,
    known: dict[str, Any],
    setup: _AudioSetup | None = None,
) -> None:
    from engine.analysis import long_audio

    config = setup.config if setup is not None and setup.cache is not None else None
    if config is not None and long_audio.applies(info, [item.analyser for item in work], config):
        assert setup is not None
        results, counts = long_audio.analyse_long_audio(
            info, [(item.analyser, item.key) for item in work], config, setup.partials(), job, known
        )
        for item in work:
            item.result = results[item.key]
        run.windows += counts.windows
        run.windows_computed += counts.computed
        run.windows_cached += counts.cached
        for line in counts.log:
            log.info("%s: %s", info.path, line)
        return

    # models that load for a while load during the decode and the first analysers; joined on the
    # way out, so no thread outlives the analysis even when it fails or is cancelled
    warming = [
        threading.Thread(target=item.analyser.warm_up, name=f"warm-up-{item.analyser.name}", daemon=True)
        for item in work
        if hasattr(item.analyser, "warm_up")
    ]
    for thread in warming:
        thread.start()
    try:
        _audio_lanes_run(info, work, job, run, known)
    finally:
        for thread in warming:
            thread.join()


def _audio_lanes_run(
    info: MediaInfo, work: list[_Work], job: Job, run: FileRun, known: dict[str, Any]
) -> None:
    """One decode of the audio, then the analysers: the speech chain here, the rest beside it."""
    from engine.media.audio import decode_audio_requests

    requests = {item.analyser.audio for item in work if item.analyser.audio is not None}
    rates = sorted({r.sample_rate for r in requests})
    job.report("decode", 0.0, f"audio at {', '.join(str(r) for r in rates)} Hz")
    audio = decode_audio_requests(info.path, requests)
    run.audio_decodes += 1
    if not audio:
        info = dataclasses.replace(info, has_audio=False)
    inputs = _Inputs(info, {}, audio)
    inputs.known.update(known)
    chain, beside = _audio_lanes(work)
    failures: list[BaseException] = []

    def analyse_each(items: list[_Work], job: Job) -> None:
        for i, item in enumerate(items):
            job.report(item.analyser.name, i / len(items), item.analyser.model_id())
            item.result = item.analyser.analyse(
                inputs, job.sub(item.analyser.name, i / len(items), (i + 1) / len(items))
            )
            inputs.known.update(item.result)

    def run_beside() -> None:
        try:
            analyse_each(beside, job.quiet())  # the chain, the longer part, reports the progress
        except BaseException as exc:  # handed to the caller's thread below
            failures.append(exc)

    # Beats and loudness read nothing another analyser found: they run beside the speech chain
    # (VAD -> Whisper -> disfluencies), whose Whisper is the longest piece of a file with speech and
    # leaves part of a core idle once the video pass is done (bench/analysis.py).
    lane = threading.Thread(target=run_beside, name="analyse-audio-beside", daemon=True)
    if chain and beside:
        lane.start()
    else:
        chain = chain + beside
    try:
        analyse_each(chain, job)
    finally:
        if lane.is_alive():
            lane.join()
    if failures:
        raise failures[0]


# -- helpers ------------------------------------------------------------------------------------


def _audio_lanes(work: list[_Work]) -> tuple[list[_Work], list[_Work]]:
    """(the analysers that read fields found before them, with those that find them; the others).
    An analyser says what it reads in `reads_fields` (words: the speech spans, disfluencies: words)."""
    read = {name for item in work for name in getattr(item.analyser, "reads_fields", ())}

    def chained(item: _Work) -> bool:
        return bool(getattr(item.analyser, "reads_fields", ()) or read.intersection(item.analyser.fields))

    return [w for w in work if chained(w)], [w for w in work if not chained(w)]


def _keep(
    info: MediaInfo,
    work: list[_Work],
    cache: AnalysisCache,
    results: dict[str, Any],
    models: dict[str, str],
    run: FileRun,
) -> None:
    """Cache each finished stage at once, so a later failure never costs the work already done."""
    for item in work:
        assert item.result is not None, f"{item.analyser.name} returned nothing"
        cache.store(info.sha256, item.key, item.result)
        _collect(item.analyser, item.result, results, models)
        run.computed.append(f"{item.analyser.name}@{item.analyser.version}")


def _cache_key(analyser: Analyser) -> str:
    settings = getattr(analyser, "settings", None)
    params = settings() if callable(settings) else {}
    return f"{analyser.name}@{analyser.version}-{settings_digest(analyser.model_id(), params)}"


def _collect(
    analyser: Analyser, result: dict[str, Any], results: dict[str, Any], models: dict[str, str]
) -> None:
    model = analyser.model_id()
    for name in analyser.fields:
        if name in result:
            results[name] = result[name]
            models[name] = model


def _media_analysis(
    info: MediaInfo, results: dict[str, Any], models: dict[str, str], notes: list[str]
) -> MediaAnalysis:
    rate = info.rate
    return MediaAnalysis(
        path=info.path,
        sha256=info.sha256,
        duration=round(info.duration, 6),
        fps=float(rate),
        rate=(rate.numerator, rate.denominator) if rate else (0, 1),
        width=info.width,
        height=info.height,
        has_audio=info.has_audio,
        models=models,
        notes=notes,
        start_timecode=info.start_time,
        rotation=info.rotation,
        variable_frame_rate=info.variable_frame_rate,
        **results,
    )


def _problem(exc: BadInput) -> str:
    """The message without the leading 'path: ' (the report keeps the path in its own key)."""
    text = str(exc)
    prefix = f"{exc.path}: " if exc.path else ""
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text
