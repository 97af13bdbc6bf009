"""Silero VAD against the SpeechBrain VAD labels, frame by frame (10 ms)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from engine.analysis import speech
from engine.analysis.speech import SileroSpeech
from engine.config import load_config
from engine.media.audio import decode_audio
from engine.models import locate
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


def _silero_vad_reference():
    """silero-vad's own model wrapper and span rule (they import torch), the yardstick for ours."""
    from silero_vad.utils_vad import OnnxWrapper, get_speech_timestamps, get_speech_timestamps_from_probs

    return OnnxWrapper, get_speech_timestamps, get_speech_timestamps_from_probs


def _reference_settings(threshold: float) -> dict:
    return {
        "threshold": threshold,
        "sampling_rate": speech.SAMPLE_RATE,
        "min_speech_duration_ms": speech.MIN_SPEECH_MS,
        "min_silence_duration_ms": speech.MIN_SILENCE_MS,
        "speech_pad_ms": speech.SPEECH_PAD_MS,
    }


def test_spans_are_silero_vads_own_on_real_speech(vad):
    """Our ONNX Runtime feed and span rule against silero-vad's OnnxWrapper + get_speech_timestamps."""
    import torch

    wrapper, get_speech_timestamps, _ = _silero_vad_reference()
    weights = str(locate(vad.spec, "vad"))
    for name in ("speech/speechbrain_vad/valid.wav", "speech/whisper_jfk.flac"):
        samples = decode_audio(shared_media.media_path(name), [16000])[16000]
        with torch.inference_mode():
            theirs = get_speech_timestamps(
                torch.from_numpy(samples), wrapper(weights, force_onnx_cpu=True), **_reference_settings(0.5)
            )
        ours = speech.speech_spans(samples, Path(weights), 0.5, Job())
        assert len(theirs) > 1, name
        assert ours == [(round(s["start"] / 16000, 3), round(s["end"] / 16000, 3)) for s in theirs], name


def test_the_span_rule_is_silero_vads_on_any_probabilities():
    """Hysteresis, minimum speech and silence, padding: random and real-looking probability runs."""
    _, _, from_probs = _silero_vad_reference()
    rng = np.random.default_rng(7)
    for trial in range(300):
        n = int(rng.integers(1, 400))
        runs = np.repeat(rng.random(n // 4 + 1), rng.integers(1, 12, size=n // 4 + 1))[:n]
        probs = list(runs if trial % 2 else rng.random(n))
        total = n * speech.WINDOW_SAMPLES - int(rng.integers(0, speech.WINDOW_SAMPLES))
        threshold = float(rng.choice([0.3, 0.5, 0.7]))
        theirs = from_probs(probs, **_reference_settings(threshold), audio_length_samples=total)
        assert speech.spans_from_probabilities(probs, total, threshold) == [
            (s["start"], s["end"]) for s in theirs
        ]


def test_the_torchscript_file_gives_silero_vads_own_spans_too():
    import torch

    _, get_speech_timestamps, _ = _silero_vad_reference()
    weights = locate(load_config().models.vad, "vad").with_name("silero_vad.jit")
    samples = decode_audio(shared_media.media_path("speech/whisper_jfk.flac"), [16000])[16000]
    model = torch.jit.load(str(weights), map_location="cpu")
    with torch.inference_mode():
        theirs = get_speech_timestamps(torch.from_numpy(samples), model, **_reference_settings(0.5))
    ours = speech.speech_spans(samples, weights, 0.5, Job())
    assert len(theirs) > 1
    assert ours == [(round(s["start"] / 16000, 3), round(s["end"] / 16000, 3)) for s in theirs]
