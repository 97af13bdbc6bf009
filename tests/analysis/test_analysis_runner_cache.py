"""The runner: one decode per file, per-analyser cache by content hash + name@version, per-file errors."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from engine.analysis import registry
from engine.analysis.base import AudioRequest, MediaInputs, VideoRequest
from engine.analysis.cache import AnalysisCache
from engine.analysis.quality import Quality
from engine.analysis.runner import analyse_files, analyse_media, analysers_for
from engine.config import load_config
from engine.errors import BadInput, Cancelled
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / ".." / "shared" / "media"


@pytest.fixture(scope="module")
def config():
    # PySceneDetect keeps these runner tests quick; TransNetV2 has its own tests.
    return load_config(environ={"AUTOEDIT__ANALYSIS__SHOTS_BACKEND": "pyscenedetect"})


class PeakLevel:
    """A small real audio analyser: the peak sample level, to exercise the audio path of the runner."""

    name: ClassVar[str] = "loudness"
    version: ClassVar[str] = "test-1"
    fields: ClassVar[tuple[str, ...]] = ("loudness",)
    video: VideoRequest | None = None
    audio: AudioRequest | None = AudioRequest(16000)

    def model_id(self) -> str:
        return "peak-level@test-1"

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        samples = inputs.audio(AudioRequest(16000))
        if samples is None:
            return {"loudness": {"integrated_lufs": None, "times": [], "lufs": []}}
        peak = float(20 * np.log10(max(np.abs(samples).max(), 1e-9)))
        return {"loudness": {"integrated_lufs": None, "times": [0.0], "lufs": [round(peak, 3)]}}


class Broken:
    name: ClassVar[str] = "quality"
    version: ClassVar[str] = "broken"
    fields: ClassVar[tuple[str, ...]] = ("quality",)
    audio: AudioRequest | None = None

    def __init__(self, error: Exception):
        self.error = error
        self.video: VideoRequest | None = VideoRequest(size=(16, 9), fps=1.0)

    def model_id(self) -> str:
        return "broken@0"

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        for _ in inputs.frames(self.video):
            raise self.error
        return {}


def _video(config, data_dir):
    return analysers_for(config, data_dir, ["shots", "faces", "quality"])


def test_second_run_is_all_cache_and_a_version_bump_recomputes_only_its_field(synthetic, config, tmp_path):
    clip = synthetic["cuts_25"]
    cache = AnalysisCache(tmp_path)
    chosen = _video(config, tmp_path)
    first, run1 = analyse_media(clip.path, chosen, cache, Job())
    names = {a.name: f"{a.name}@{a.version}" for _, a in chosen}
    assert sorted(run1.computed) == sorted(names.values())
    assert run1.video_passes == 1  # three analysers, one decode
    assert run1.decoded_frames == clip.truth.frame_count
    second, run2 = analyse_media(clip.path, chosen, cache, Job())
    assert run2.computed == [] and sorted(run2.cached) == sorted(names.values())
    assert run2.video_passes == 0 and run2.decoded_frames == 0
    assert second == first

    class QualityNext(Quality):
        version: ClassVar[str] = Quality.version + "-next"

    bumped = [
        (e, QualityNext(config.analysis.quality_sample_fps) if a.name == "quality" else a) for e, a in chosen
    ]
    third, run3 = analyse_media(clip.path, bumped, cache, Job())
    assert run3.computed == [f"quality@{QualityNext.version}"]
    assert sorted(run3.cached) == [names["faces"], names["shots"]]
    assert third.models["quality"] == f"laplacian-variance+frame-difference@{QualityNext.version}"
    assert third.quality == first.quality and third.shots == first.shots


def test_changed_setting_recomputes_that_analyser(synthetic, config, tmp_path):
    clip = synthetic["cuts_25"]
    cache = AnalysisCache(tmp_path)
    analyse_media(clip.path, _video(config, tmp_path), cache, Job())
    faster = load_config(
        environ={
            "AUTOEDIT__ANALYSIS__SHOTS_BACKEND": "pyscenedetect",
            "AUTOEDIT__ANALYSIS__QUALITY_SAMPLE_FPS": "8",
        }
    )
    media, run = analyse_media(clip.path, _video(faster, tmp_path), cache, Job())
    assert run.computed == [f"quality@{Quality.version}"]
    assert len(media.quality.times) == pytest.approx(clip.truth.duration * 8, abs=1)


def test_cache_follows_content_not_name(synthetic, config, tmp_path):
    clip = synthetic["cuts_2997"]
    cache = AnalysisCache(tmp_path / "data")
    chosen = _video(config, tmp_path / "data")
    original, _ = analyse_media(clip.path, chosen, cache, Job())
    copy = tmp_path / "renamed.mp4"
    shutil.copy(clip.path, copy)
    renamed, run = analyse_media(copy, chosen, cache, Job())
    assert run.computed == [] and renamed.path == str(copy) and renamed.shots == original.shots
    copy.write_bytes(copy.read_bytes()[:-1] + b"\0")  # new content: new hash
    assert cache.content_hash(copy) != original.sha256
    # results live only under the data dir
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "renamed.mp4"]
    assert (tmp_path / "data" / "analysis" / original.sha256[:2] / original.sha256).is_dir()


def test_files_without_audio_or_video_get_empty_fields_and_a_note(synthetic, config, tmp_path):
    cache = AnalysisCache(tmp_path)
    entries = analysers_for(config, tmp_path, ["shots", "quality"]) + [
        (registry.Entry(("loudness",), "audio", lambda c, d: PeakLevel()), PeakLevel())
    ]
    silent_video, run = analyse_media(synthetic["fades_25"].path, entries, cache, Job())
    assert not silent_video.has_audio
    assert silent_video.loudness.lufs == [] and "loudness@test-1" in run.skipped
    assert any("no audio stream" in note for note in silent_video.notes)
    assert silent_video.shots and silent_video.quality.times

    tones = synthetic["tones"]
    audio_only, run = analyse_media(tones.path, entries, cache, Job())
    assert audio_only.has_audio and audio_only.shots == [] and audio_only.quality.times == []
    assert any("no video stream" in note for note in audio_only.notes)
    assert run.audio_decodes == 1 and run.video_passes == 0
    loudest = max(t.level_dbfs for t in tones.truth.tones)
    assert audio_only.loudness.lufs[0] == pytest.approx(loudest, abs=0.5)  # the one audio decode, 16 kHz
    assert audio_only.rate == (0, 1) and audio_only.fps == 0.0


def test_bad_files_are_reported_and_good_ones_complete(synthetic, config, tmp_path):
    empty = tmp_path / "empty.mov"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x01junk" * 1000)
    good = synthetic["cuts_2997"].path
    report = analyse_files(
        [empty, good, garbage, tmp_path / "nope.mp4"], config, tmp_path / "data", Job(), fields=["shots"]
    )
    assert [m.path for m in report.media] == [str(good)]
    assert [e["path"] for e in report.errors] == [str(empty), str(garbage), str(tmp_path / "nope.mp4")]
    reasons = [e["error"] for e in report.errors]
    assert "empty file" in reasons[0] and "not a media file" in reasons[1] and "not found" in reasons[2]
    assert report.media[0].shots and report.media[0].models == {"shots": report.media[0].models["shots"]}


def test_unknown_field_is_bad_input(config, tmp_path):
    with pytest.raises(BadInput, match="unknown analysis field"):
        analyse_files([], config, tmp_path, Job(), fields=["colour_grade"])


def test_analyser_bad_input_fails_only_that_file_and_bugs_propagate(synthetic, config, tmp_path):
    cache = AnalysisCache(tmp_path)
    entry = registry.Entry(("quality",), "video", lambda c, d: Quality(1.0))
    with pytest.raises(BadInput, match="unusable picture"):
        analyse_media(
            synthetic["cuts_25"].path, [(entry, Broken(BadInput("unusable picture")))], cache, Job()
        )
    with pytest.raises(ZeroDivisionError):
        analyse_media(synthetic["cuts_25"].path, [(entry, Broken(ZeroDivisionError("bug")))], cache, Job())


def test_cancel_during_the_pass_stops_promptly_and_leaves_no_threads(synthetic, config, tmp_path):
    before = threading.active_count()
    job = Job()

    def cancel_on_decode(stage: str, fraction: float, message: str) -> None:
        if "decode" in stage:
            job.cancel()

    job.on_progress = cancel_on_decode
    with pytest.raises(Cancelled):
        analyse_files([synthetic["speech_2997"].path], config, tmp_path, job, fields=["shots", "quality"])
    assert threading.active_count() == before
    assert not list((tmp_path / "analysis").glob("*/*/quality@*.json"))  # nothing half-done was cached


class BrokenAudio(Broken):
    """Broken, reading audio: fails as soon as its audio arrives."""

    name: ClassVar[str] = "loudness"
    fields: ClassVar[tuple[str, ...]] = ("loudness",)

    def __init__(self, error: Exception):
        super().__init__(error)
        self.video = None
        self.audio = AudioRequest(16000)

    def analyse(self, inputs: MediaInputs, job: Job) -> dict[str, Any]:
        raise self.error


def test_audio_runs_beside_the_video_pass_with_one_forward_moving_progress(synthetic, config, tmp_path):
    seen: list[tuple[str, float]] = []
    job = Job(on_progress=lambda stage, fraction, message: seen.append((stage, fraction)))
    threads = threading.active_count()
    media, run = analyse_media(
        synthetic["speech_2997"].path,
        analysers_for(config, tmp_path, ["quality", "loudness", "speech"]),
        AnalysisCache(tmp_path),
        job,
    )
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {s.split("/")[0] for s, _ in seen} >= {"video", "audio"}
    assert sorted(run.computed) == sorted(
        f"{a.name}@{a.version}" for _, a in analysers_for(config, tmp_path, ["quality", "loudness", "speech"])
    )
    assert media.quality and media.speech and media.loudness.integrated_lufs is not None
    assert threading.active_count() == threads


def test_a_failing_audio_analyser_stops_the_video_pass_and_its_error_is_raised(synthetic, config, tmp_path):
    threads = threading.active_count()
    quality = analysers_for(config, tmp_path, ["quality"])
    broken = [(registry.Entry(("loudness",), "audio", lambda c, d: None), BrokenAudio(BadInput("no sound")))]
    with pytest.raises(BadInput, match="no sound"):
        analyse_media(synthetic["speech_2997"].path, quality + broken, AnalysisCache(tmp_path), Job())
    assert threading.active_count() == threads
    with pytest.raises(ZeroDivisionError):
        analyse_media(
            synthetic["speech_2997"].path,
            quality + [(broken[0][0], BrokenAudio(ZeroDivisionError("bug")))],
            AnalysisCache(tmp_path),
            Job(),
        )


def test_a_failing_video_analyser_stops_the_audio_part_and_is_raised(synthetic, config, tmp_path):
    threads = threading.active_count()
    entry = registry.Entry(("quality",), "video", lambda c, d: Quality(1.0))
    with pytest.raises(BadInput, match="unusable picture"):
        analyse_media(
            synthetic["speech_2997"].path,
            [(entry, Broken(BadInput("unusable picture")))] + analysers_for(config, tmp_path, ["words"]),
            AnalysisCache(tmp_path),
            Job(),
        )
    assert threading.active_count() == threads


def _our_threads() -> set[str]:
    """The live threads but tqdm's monitor: any tqdm bar, even a disabled one (faster-whisper's),
    starts that process-wide daemon once and it stays."""
    return {t.name for t in threading.enumerate() if t.name != "tqdm_monitor"}


def test_beats_and_loudness_run_beside_the_speech_chain_with_forward_moving_progress(
    synthetic, config, tmp_path
):
    fields = ["speech", "words", "beats", "loudness", "disfluencies"]
    seen: list[float] = []
    job = Job(on_progress=lambda stage, fraction, message: seen.append(fraction))
    threads = _our_threads()
    media, run = analyse_media(
        synthetic["speech_2997"].path, analysers_for(config, tmp_path, fields), AnalysisCache(tmp_path), job
    )
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert len(run.computed) == len(fields) and media.words and media.loudness.integrated_lufs is not None
    assert _our_threads() == threads


def test_a_failing_analyser_beside_the_speech_chain_is_raised_and_leaves_no_threads(
    synthetic, config, tmp_path
):
    threads = _our_threads()
    broken = [(registry.Entry(("loudness",), "audio", lambda c, d: None), BrokenAudio(BadInput("no sound")))]
    with pytest.raises(BadInput, match="no sound"):
        analyse_media(
            synthetic["speech_2997"].path,
            analysers_for(config, tmp_path, ["speech", "words"]) + broken,
            AnalysisCache(tmp_path),
            Job(),
        )
    assert _our_threads() == threads
