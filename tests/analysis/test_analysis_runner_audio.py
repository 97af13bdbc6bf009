"""The runner hands loudness the channels it asked for, so stereo programme loudness is right."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from engine.analysis.runner import analyse_file
from engine.config import load_config
from engine.progress import Job


def test_stereo_tone_reads_its_bs1770_loudness_through_the_runner(tmp_path, engine_data_dir):
    rate = 48000
    t = np.arange(rate * 6) / rate
    tone = (10 ** (-20 / 20)) * np.sin(2 * np.pi * 997 * t)  # -20 dBFS peak sine, both channels
    path = tmp_path / "stereo_tone.wav"
    sf.write(path, np.stack([tone, tone], axis=1).astype(np.float32), rate)

    media = analyse_file(path, load_config(), engine_data_dir, Job(), fields={"loudness"})

    # BS.1770: a -20 dBFS sine in both channels of a stereo programme reads -20.0 LUFS (-23 per channel);
    # a mono downmix would read about 3 dB lower.
    assert media.loudness.integrated_lufs is not None
    assert abs(media.loudness.integrated_lufs - (-20.0)) < 0.3
