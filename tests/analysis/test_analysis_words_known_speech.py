"""The words analyser transcribes where the speech field (already found in this run) says there is
speech, instead of running the VAD a second time on the same samples (issue 12)."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.analysis.base import AudioRequest
from engine.analysis.runner import _Inputs
from engine.analysis.words import WhisperWords
from engine.config import load_config
from engine.media.audio import decode_audio
from engine.media.probe import probe
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
import shared_media  # noqa: E402


def test_words_follow_the_known_speech_field(engine_data_dir):
    path = shared_media.media_path("speech/whisper_jfk.flac")
    samples = decode_audio(path, [16000])[16000]
    words = WhisperWords(load_config(), engine_data_dir)

    def transcribed(known_speech):
        inputs = _Inputs(probe(path), {}, {AudioRequest(16000): samples})
        if known_speech is not None:
            inputs.known["speech"] = known_speech
        return words.analyse(inputs, Job())["words"]

    everything = transcribed(None)  # no speech field at hand: the analyser runs the VAD itself
    assert "country" in " ".join(w["text"] for w in everything).lower()
    assert transcribed([]) == []  # the field says nobody speaks: nothing is transcribed
    # the field's spans are the ones whose word starts are trimmed: a start in its silence moves
    first = everything[0]
    late = round(first["start"] + 0.05, 3)
    moved = transcribed([{"start": late, "end": 11.0}])
    assert moved[0]["start"] >= late
