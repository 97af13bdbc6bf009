"""Beats, downbeats and tempo against the manual annotations in shared/media/music.

F-measure at +-70 ms (mir_eval). The two 30 s excerpts are scored as mir_eval.beat.evaluate does
(beats in the first 5 s ignored: GTZAN country's annotation shifts phase there); madmom's 2.8 s
sample is scored whole.
"""

from __future__ import annotations

import sys
from pathlib import Path

import mir_eval
import numpy as np
import pytest

from engine.analysis import beats
from engine.analysis.beats import LibrosaBeats, import_madmom, tempo_bpm, tracker_for
from engine.config import load_config
from engine.media.audio import decode_audio
from engine.models import locate
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
import shared_media  # noqa: E402


class _Audio:
    """MediaInputs with audio only, at the rate the analyser asks for."""

    def __init__(self, path: Path):
        self.path = path

    def audio(self, request):
        return decode_audio(self.path, [request.sample_rate]).get(request.sample_rate)


def _f(reference, estimate, whole: bool) -> float:
    ref, est = np.asarray(reference, float), np.asarray(estimate, float)
    if not whole:
        ref, est = mir_eval.beat.trim_beats(ref), mir_eval.beat.trim_beats(est)
    return float(mir_eval.beat.f_measure(ref, est, f_measure_threshold=0.07))


@pytest.fixture(scope="module")
def tracked():
    tracker = tracker_for(load_config())
    return {
        name: tracker.analyse(_Audio(shared_media.media_path(name)), Job())
        for name in shared_media.BEAT_FILES
    }


@pytest.mark.parametrize("name", sorted(shared_media.BEAT_FILES))
def test_beats_f_measure_at_least_0_8(tracked, name):
    truth = shared_media.beat_truth(name)
    whole = name.endswith("madmom_sample.wav")
    assert _f(truth.beats, tracked[name]["beats"], whole) >= 0.8


@pytest.mark.parametrize("name", sorted(shared_media.BEAT_FILES))
def test_downbeats_and_tempo(tracked, name):
    truth = shared_media.beat_truth(name)
    result = tracked[name]
    assert _f(truth.downbeats, result["downbeats"], whole=True) >= 0.8
    assert result["tempo"] == pytest.approx(truth.tempo_bpm, rel=0.04)
    assert set(result["downbeats"]) <= set(result["beats"])


def test_speech_gets_no_beats():
    tracker = tracker_for(load_config())
    result = tracker.analyse(_Audio(shared_media.media_path("speech/whisper_jfk.flac")), Job())
    assert result == {"beats": [], "downbeats": [], "tempo": None}


def test_librosa_baseline_misses_the_short_sample_at_the_right_level():
    # Why it is not the default: it finds too few beats on the 2.8 s sample (F < 0.5).
    result = LibrosaBeats(load_config()).analyse(
        _Audio(shared_media.media_path("music/madmom_sample.wav")), Job()
    )
    assert _f(shared_media.beat_truth("music/madmom_sample.wav").beats, result["beats"], whole=True) < 0.5


def test_madmom_imports_through_our_metadata_finder():
    madmom = import_madmom()
    assert madmom.__version__ == "0.17.post1"


def test_tempo_ignores_a_missing_beat():
    beats = np.array([0.0, 0.5, 1.0, 1.5, 2.5, 3.0, 3.5])  # one beat missed at 2.0
    assert tempo_bpm(beats) == 120.0
    assert tempo_bpm(beats[:3]) is None


def test_long_files_are_decoded_in_overlapping_chunks_without_seams(monkeypatch):
    # Force 10 s pieces (overlap 3 s) on the 31.8 s waltz: 4 chunks, same accuracy, no doubled beats.
    import engine.analysis.beats as beats_module

    monkeypatch.setattr(beats_module, "DBN_CHUNK_S", 10.0)
    monkeypatch.setattr(beats_module, "DBN_OVERLAP_S", 3.0)
    name = "music/ballroom_Waltz_Media-105901.wav"
    result = tracker_for(load_config()).analyse(_Audio(shared_media.media_path(name)), Job())
    assert np.diff(result["beats"]).min() > 0.5  # 84 bpm: 0.71 s apart; a seam would put two close
    assert _f(shared_media.beat_truth(name).beats, result["beats"], whole=False) >= 0.8


def test_onnx_runtime_gives_beatnets_own_activations_and_beats(tmp_path):
    """The exported CRNN against BeatNet's BDA.forward itself (fresh state), and the beats decoded."""
    import torch
    from BeatNet.model import BDA

    tracker = beats.BeatNetBeats(load_config(), tmp_path)
    weights = locate(tracker.spec, "beats")
    samples = decode_audio(shared_media.media_path("music/gtzan_country.00000.wav"), [beats.BEATNET_RATE])
    samples = np.ascontiguousarray(samples[beats.BEATNET_RATE], np.float32)
    crnn = BDA(272, 150, 2, "cpu")
    crnn.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    crnn.eval()
    feats = np.asarray(beats._log_spectrogram().process_audio(samples).T, np.float32)
    with torch.inference_mode():
        own = crnn.final_pred(crnn(torch.from_numpy(feats)[None])[0])[:2].T.numpy().astype(np.float64)
    got = tracker.activations(samples, Job())
    np.testing.assert_allclose(got, own, atol=1e-5)
    assert got[:, 0].max() > 0.5  # real beats in it, not a flat output
    for ours, theirs in zip(tracker.decode(got), tracker.decode(own), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_the_export_is_kept_in_the_data_dir_and_a_damaged_one_is_made_again(tmp_path):
    tracker = beats.BeatNetBeats(load_config(), tmp_path)
    samples = decode_audio(shared_media.media_path("music/madmom_sample.wav"), [beats.BEATNET_RATE])
    samples = np.ascontiguousarray(samples[beats.BEATNET_RATE], np.float32)
    first = tracker.activations(samples, Job())
    (kept,) = (tmp_path / "models" / "beatnet").glob("*.onnx")
    made = kept.stat().st_mtime_ns
    beats._onnx_session.cache_clear()  # as a new process would: it reads the kept file
    np.testing.assert_array_equal(tracker.activations(samples, Job()), first)
    assert kept.stat().st_mtime_ns == made
    kept.write_bytes(b"not a model")
    beats._onnx_session.cache_clear()
    np.testing.assert_array_equal(tracker.activations(samples, Job()), first)
    assert kept.stat().st_size > 1_000_000  # exported again over the damaged file
