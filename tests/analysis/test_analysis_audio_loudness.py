"""BS.1770 loudness of generated tones at known levels, and the runner's audio fields end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine.analysis.loudness import measure, window_blocks
from engine.analysis.runner import analyse_file
from engine.config import load_config
from engine.errors import ConfigError
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


def test_surround_channels_weigh_1_41_as_bs1770_weighs_them():
    # 5.0 as the decode folds it (L R C Ls Rs): three channels at weight 1, the surround pair at 1.41
    tone = _tone(10, -20)
    mono = measure(tone, RATE, 3.0, 1.0, Job())["integrated_lufs"]
    five = measure(np.stack([tone] * 5), RATE, 3.0, 1.0, Job())["integrated_lufs"]
    assert five - mono == pytest.approx(10 * np.log10(3 + 2 * 1.41), abs=0.02)


def test_a_clip_shorter_than_the_curve_window_gets_the_momentary_curve():
    result = measure(_tone(1.5, -20), RATE, 3.0, 1.0, Job())
    assert result["times"] == [0.2, 1.2]  # 400 ms windows from 0 s and 1 s
    assert result["lufs"] == pytest.approx([-23.01, -23.01], abs=0.1)


def test_windows_must_sit_on_the_meters_100_ms_grid():
    with pytest.raises(ValueError, match="100 ms grid"):
        window_blocks(_tone(4, -20), RATE, RATE // 10 + 1, (1.0, 3.0), None, 3.0, 1.0)
    with pytest.raises(ValueError, match="whole number"):
        measure(_tone(4, -20), 22051, 3.0, 1.0, Job())


@pytest.mark.parametrize(
    ("key", "value"), [("LOUDNESS_WINDOW_S", "2.0"), ("LOUDNESS_HOP_S", "0.25"), ("LOUDNESS_HOP_S", "0")]
)
def test_settings_the_meter_cannot_give_are_refused_naming_them(key, value):
    with pytest.raises(ConfigError, match=key.lower()):
        load_config(environ={f"AUTOEDIT__ANALYSIS__{key}": value})


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
