"""Silero VAD against the SpeechBrain VAD labels, frame by frame (10 ms)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from engine.analysis.speech import SileroSpeech
from engine.config import load_config
from engine.media.audio import decode_audio
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
import shared_media  # noqa: E402

FRAME_S = 0.01


def _frames(spans, count: int) -> np.ndarray:
    marks = np.zeros(count, bool)
    for start, end in spans:
        marks[int(round(start / FRAME_S)) : int(round(end / FRAME_S))] = True
    return marks


@pytest.fixture(scope="module")
def vad():
    return SileroSpeech(load_config())


@pytest.mark.parametrize(("split", "wav"), [("train", "train.wav"), ("dev", "valid.wav")])
def test_frame_f1_on_speechbrain_labels(vad, split, wav):
    samples = decode_audio(shared_media.media_path(f"speech/speechbrain_vad/{wav}"), [16000])[16000]
    found = [(s["start"], s["end"]) for s in vad.regions(samples, Job())]
    count = int(round(shared_media.speechbrain_vad_annotated_until(split) / FRAME_S))  # only labelled audio
    truth = _frames(shared_media.speechbrain_vad(split), count)
    hyp = _frames(found, count)
    hits = int((truth & hyp).sum())
    precision, recall = hits / max(1, hyp.sum()), hits / max(1, truth.sum())
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.9, (f1, found)


def test_silence_and_a_pure_tone_are_not_speech(vad):
    rate = 16000
    t = np.arange(3 * rate) / rate
    assert vad.regions(np.zeros(3 * rate, np.float32), Job()) == []
    assert vad.regions((0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), Job()) == []


def test_cancel_stops_the_scan(vad):
    samples = decode_audio(shared_media.media_path("speech/whisper_jfk.flac"), [16000])[16000]
    job = Job()
    seen = []

    def on_progress(stage, fraction, message):
        seen.append(fraction)
        if fraction > 0.2:
            job.cancel()

    job.on_progress = on_progress
    from engine.errors import Cancelled

    with pytest.raises(Cancelled):
        vad.regions(samples, job)
    assert max(seen) < 0.5
