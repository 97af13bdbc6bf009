"""Which analysers exist and how the config builds each one; the runner asks here and nowhere else.

One entry per analyser: the report fields it fills, whether it reads video or audio (so files without
that stream skip it with a note instead of failing), and a builder taking (config, data_dir).
Builders import their module lazily: listing analysers must not load torch or mediapipe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.analysis.base import Analyser
from engine.config import EngineConfig
from engine.errors import BadInput

Builder = Callable[[EngineConfig, Path], Analyser]


@dataclass(frozen=True)
class Entry:
    fields: tuple[str, ...]
    reads: str  # "video" or "audio"
    build: Builder
    enabled: Callable[[EngineConfig], bool] = lambda config: True


# -- video analysers (A1) ------------------------------------------------------------------------


def _shots(config: EngineConfig, data_dir: Path) -> Analyser:
    from engine.analysis import shots

    if config.analysis.shots_backend == "pyscenedetect":
        return shots.PySceneDetectShots()
    if config.analysis.shots_backend == "student":
        from engine.analysis.shot_student import StudentShots

        return StudentShots(config.models.shot_student, config.analysis.student_shot_threshold)
    return shots.TransNetV2Shots(
        config.models.shots,
        config.analysis.shot_threshold,
        config.torch_device(),
        config.analysis.shots_precision,
        Path(data_dir) / "models",
    )


def _faces(config: EngineConfig, data_dir: Path) -> Analyser:
    if config.analysis.faces_backend == "detector":
        from engine.analysis.objects import DetectorFaces

        return DetectorFaces(config.models.faces, config.analysis.face_sample_fps, config.torch_device())
    from engine.analysis.faces import MediaPipeFaces

    return MediaPipeFaces(config.models.faces, config.analysis.face_sample_fps)


def _quality(config: EngineConfig, data_dir: Path) -> Analyser:
    from engine.analysis.quality import Quality

    return Quality(config.analysis.quality_sample_fps)


def _objects(config: EngineConfig, data_dir: Path) -> Analyser:
    from engine.analysis.objects import Objects

    return Objects(config.models.objects, config.analysis.face_sample_fps, config.torch_device())


VIDEO_ENTRIES: list[Entry] = [
    Entry(("shots",), "video", _shots),
    Entry(("faces",), "video", _faces),
    Entry(("quality",), "video", _quality),
    Entry(("objects",), "video", _objects, enabled=lambda config: config.analysis.objects),
]


# -- audio analysers (A2): speech, words, beats, loudness -------------------------------------


def _speech(config: EngineConfig, data_dir: Path) -> Analyser:
    from engine.analysis.speech import SileroSpeech

    return SileroSpeech(config, data_dir)


def _stems(config: EngineConfig, data_dir: Path) -> Analyser:
    from engine.analysis.stems import Stems

    return Stems(config, data_dir)


def _words(config: EngineConfig, data_dir: Path) -> Analyser:
    from engine.analysis import words

    if config.analysis.asr_backend == "whisperx":
        return words.WhisperXWords(config, data_dir)
    return words.WhisperWords(config, data_dir)


words_analyser = _words  # the disfluencies analyser transcribes with it when the words field is not at hand


def _disfluencies(config: EngineConfig, data_dir: Path) -> Analyser:
    from engine.analysis.disfluencies import Disfluencies

    return Disfluencies(config, data_dir)


def _beats(config: EngineConfig, data_dir: Path) -> Analyser:
    from engine.analysis.beats import tracker_for

    return tracker_for(config, data_dir)


def _loudness(config: EngineConfig, data_dir: Path) -> Analyser:
    from engine.analysis.loudness import Bs1770Loudness

    return Bs1770Loudness(config, data_dir)


AUDIO_ENTRIES: list[Entry] = [
    Entry(("speech",), "audio", _speech),
    # before words: on noisy footage the words analyser transcribes the dialog stem this one wrote
    Entry(("stems",), "audio", _stems, enabled=lambda config: config.analysis.stems),
    Entry(("words",), "audio", _words),
    Entry(("beats", "downbeats", "tempo"), "audio", _beats),
    Entry(("loudness",), "audio", _loudness),
    Entry(("disfluencies",), "audio", _disfluencies),  # after words and speech: it reads them
]


def entries() -> list[Entry]:
    return VIDEO_ENTRIES + AUDIO_ENTRIES


def known_fields() -> set[str]:
    return {field for entry in entries() for field in entry.fields}


def select(config: EngineConfig, fields: Iterable[str] | None = None) -> list[Entry]:
    """The enabled entries that fill any of `fields` (all when None); unknown field names are bad input."""
    wanted = None if fields is None else set(fields)
    if wanted is not None:
        unknown = wanted - known_fields()
        if unknown:
            raise BadInput(f"unknown analysis field(s) {sorted(unknown)}; known: {sorted(known_fields())}")
    return [
        entry
        for entry in entries()
        if entry.enabled(config) and (wanted is None or wanted.intersection(entry.fields))
    ]
