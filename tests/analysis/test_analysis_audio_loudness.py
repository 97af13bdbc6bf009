"""BS.1770 loudness of generated tones at known levels, and the runner's audio fields end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine.analysis.loudness import measure
from engine.analysis.runner import analyse_file
from engine.config import load_config
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / ".." / "shared" / "media"
RATE = 22050


def _tone(seconds: float, dbfs: float, freq: float = 997.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_sine_at_minus_20_dbfs_reads_minus_23_lufs_mono_and_minus_20_stereo():
    # BS.1770: a 997 Hz sine of peak A dBFS in one channel measures A - 3.01 LUFS; the same signal in
    # both channels of a stereo pair adds their powers (+3.01 dB).
    tone = _tone(10, -20)
    assert measure(tone, RATE, 3.0, 1.0, Job())["integrated_lufs"] == pytest.approx(-23.01, abs=0.1)
    assert measure(np.stack([tone, tone]), RATE, 3.0, 1.0, Job())["integrated_lufs"] == pytest.approx(
        -20.0, abs=0.1
    )


def test_short_term_curve_follows_a_level_step_and_floors_silence():
    signal = np.concatenate([np.zeros(4 * RATE, np.float32), _tone(4, -10), _tone(4, -30)])
    result = measure(signal, RATE, 3.0, 1.0, Job())
    times, lufs = np.array(result["times"]), np.array(result["lufs"])
    assert times[0] == pytest.approx(1.5) and np.allclose(np.diff(times), 1.0)
    assert lufs[times <= 2.5] == pytest.approx(-70.0)  # windows wholly in silence
    assert lufs[(times >= 5.5) & (times <= 6.5)] == pytest.approx(-13.0, abs=0.15)
    assert lufs[times >= 9.5] == pytest.approx(-33.0, abs=0.15)
    assert result["integrated_lufs"] == pytest.approx(-13.0, abs=0.5)  # the -30 part is gated out (< -10 LU)


def test_silence_has_no_integrated_loudness():
    assert measure(np.zeros(5 * RATE, np.float32), RATE, 3.0, 1.0, Job())["integrated_lufs"] is None
    assert measure(np.zeros(RATE // 10, np.float32), RATE, 3.0, 1.0, Job()) == {
        "integrated_lufs": None,
        "times": [],
        "lufs": [],
    }


def test_runner_fills_audio_fields_and_leaves_them_empty_without_audio(tmp_path, engine_data_dir):
    config = load_config()
    tone_file = tmp_path / "tone.wav"
    soundfile.write(tone_file, _tone(6, -20), RATE)
    fields = ["speech", "beats", "loudness"]

    toned = analyse_file(tone_file, config, engine_data_dir, Job(), fields=fields)
    assert toned.has_audio and toned.speech == [] and toned.beats == []
    assert toned.loudness.integrated_lufs == pytest.approx(-23.0, abs=0.15)
    assert set(toned.models) == {"speech", "beats", "downbeats", "tempo", "loudness"}

    silent_video = analyse_file(
        MEDIA / "video_cuts" / "opencv" / "tree.avi", config, engine_data_dir, Job(), fields
    )
    assert not silent_video.has_audio
    assert silent_video.speech == [] and silent_video.beats == [] and silent_video.tempo is None
    assert silent_video.loudness.integrated_lufs is None and silent_video.loudness.lufs == []
    assert any("no audio" in note for note in silent_video.notes)
