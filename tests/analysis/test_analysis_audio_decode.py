"""One audio decode, resampled once per rate: sample-exact timing, channel handling, bad and silent files."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile

from engine.analysis.base import AudioRequest
from engine.errors import BadInput
from engine.media.audio import decode_audio, decode_audio_requests

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / ".." / "shared" / "media"


def _onset(samples: np.ndarray, rate: int, level: float = 0.25) -> float:
    return int(np.argmax(np.abs(samples) > level)) / rate


def test_each_rate_keeps_the_time_of_an_event(tmp_path):
    rate = 44100
    signal = np.zeros(rate * 3, np.float32)
    signal[int(1.25 * rate) : int(1.5 * rate)] = 0.5  # a block starting exactly at 1.25 s
    path = tmp_path / "block.wav"
    soundfile.write(path, signal, rate)

    out = decode_audio(path, [16000, 22050, 44100])

    assert sorted(out) == [16000, 22050, 44100]
    for r, samples in out.items():
        assert samples.dtype == np.float32 and samples.ndim == 1
        assert len(samples) == pytest.approx(3 * r, abs=2)
        assert _onset(samples, r) == pytest.approx(1.25, abs=1.5 / 1000)  # resampling filter ringing < 1.5 ms


def test_stereo_becomes_the_mean_of_its_channels():
    path = MEDIA / "speech" / "faster_whisper" / "stereo_diarization.wav"
    reference, rate = soundfile.read(path, dtype="float32")
    assert reference.shape[1] == 2 and rate == 16000

    mono = decode_audio(path, [16000])[16000]

    np.testing.assert_allclose(mono[: len(reference)], reference.mean(axis=1), atol=1e-6)


def test_channels_kept_when_asked_and_surround_folds_to_five_without_lfe(tmp_path):
    path = tmp_path / "surround.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=48000, layout="5.1")
        planes = np.zeros((6, 48000), np.int16)
        planes[0] = 8192  # front left
        planes[3] = 30000  # LFE: excluded from loudness by BS.1770
        frame = av.AudioFrame.from_ndarray(planes.T.reshape(1, -1).copy(), format="s16", layout="5.1")
        frame.sample_rate = 48000
        frame.pts = 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))

    got = decode_audio_requests(path, [AudioRequest(22050, mono=False), AudioRequest(22050)])

    kept = got[AudioRequest(22050, mono=False)]
    assert kept.shape[0] == 5
    middle = kept[:, 5000:15000]
    assert np.abs(middle[0]).mean() == pytest.approx(0.25, abs=0.01)
    assert np.abs(middle[1:]).max() < 1e-3
    np.testing.assert_allclose(got[AudioRequest(22050)], kept.mean(axis=0), atol=1e-6)


def test_audio_that_starts_after_the_video_is_padded_to_file_time(tmp_path):
    path = tmp_path / "late_audio.mkv"
    rate = 48000
    with av.open(str(path), "w") as container:
        video = container.add_stream("mpeg4", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        for i in range(50):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 90, np.uint8), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, 25)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        tone = (0.5 * 32767 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)).astype(np.int16)
        aframe = av.AudioFrame.from_ndarray(tone[None, :], format="s16", layout="mono")
        aframe.sample_rate = rate
        aframe.pts = rate // 2  # the sound begins at 0.5 s
        aframe.time_base = Fraction(1, rate)
        container.mux(audio.encode(aframe))
        container.mux(audio.encode(None))

    samples = decode_audio(path, [16000])[16000]

    assert _onset(samples, 16000) == pytest.approx(0.5, abs=0.005)
    assert len(samples) / 16000 == pytest.approx(1.5, abs=0.03)


def test_file_without_audio_gives_nothing_and_no_error():
    assert decode_audio(MEDIA / "video_cuts" / "opencv" / "tree.avi", [16000]) == {}


@pytest.mark.parametrize("content", [b"", b"this is not media at all" * 40])
def test_unreadable_file_is_bad_input_naming_it(tmp_path, content):
    path = tmp_path / "broken.wav"
    path.write_bytes(content)
    with pytest.raises(BadInput) as caught:
        decode_audio(path, [16000])
    assert str(path) in str(caught.value)
