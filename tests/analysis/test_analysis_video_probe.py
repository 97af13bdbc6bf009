"""Probing real and broken files: exact facts, and a BadInput naming the file and the problem."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import av
import pytest

from engine.errors import BadInput
from engine.media.probe import probe

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / ".." / "shared" / "media"
CUTS = MEDIA / "video_cuts"


def test_exact_rate_size_and_duration_of_ntsc_clip():
    info = probe(CUTS / "pyscenedetect_testvideo.mp4")
    assert info.rate == Fraction(30000, 1001)
    assert (info.width, info.height) == (1280, 720)
    assert info.duration == pytest.approx(24.023, abs=0.01)
    assert info.has_video and not info.has_audio
    assert not info.variable_frame_rate
    assert info.rotation == 0


def test_rotation_from_display_matrix_gives_upright_size():
    info = probe(CUTS / "pyscenedetect_issue-134-rotate.mp4")
    assert info.rotation == 90  # the player turns it a quarter clockwise
    assert (info.width, info.height) == (544, 1280)
    assert info.rate == Fraction(24000, 1001)
    assert info.has_audio


def test_variable_frame_rate_is_detected_and_constant_is_not():
    vfr = probe(CUTS / "pyscenedetect_goldeneye-vfr-drop3.mp4")
    assert vfr.variable_frame_rate
    assert vfr.rate == Fraction(24000, 1001)  # the nominal rate, not the 16.05 fps average
    webm = probe(CUTS / "moviepy" / "big_buck_bunny_0_30.webm")  # 1 ms time base: 41/42 ms steps
    assert not webm.variable_frame_rate
    assert webm.rate == 24


def test_synthetic_vfr_clip(synthetic):
    clip = synthetic["vfr"]
    info = probe(clip.path)
    assert info.variable_frame_rate
    assert info.duration == pytest.approx(clip.truth.duration, abs=0.05)


def test_embedded_timecode_becomes_start_seconds():
    info = probe(MEDIA / "nle" / "otio_contrib_pre_split" / "linear_speed_effects_aaf.mov")
    assert info.start_time == pytest.approx(3600.0)  # 01:00:00:00 at 24 fps


def test_audio_only_file_is_probed_not_rejected():
    info = probe(MEDIA / "music" / "madmom_sample.wav")
    assert not info.has_video and info.has_audio
    assert info.duration == pytest.approx(2.8, abs=0.01)
    assert info.rate == 0


def _remux(src: Path, dest: Path, **options: str) -> None:
    with av.open(str(src)) as source, av.open(str(dest), "w", options=options) as out:
        stream = out.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)


def _half(src: Path, dest: Path) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[: len(data) // 2])
    return dest


def _written(dest: Path, data: bytes) -> Path:
    dest.write_bytes(data)
    return dest


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: d / "missing.mp4", "file not found"),
        (lambda d: _written(d / "empty.mp4", b""), "empty file"),
        (lambda d: _written(d / "garbage.mp4", bytes(range(256)) * 400), "not a media file"),
        (lambda d: _half(CUTS / "pyscenedetect_testvideo.mp4", d / "cut_moov.mp4"), "not a media file"),
        (lambda d: d, "not a regular file"),
    ],
    ids=["missing", "zero-length", "garbage", "truncated-index-at-end", "directory"],
)
def test_unusable_files_are_bad_input_naming_the_file(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(BadInput) as caught:
        probe(path)
    assert str(path) in str(caught.value)
    assert reason in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("container", ["mkv", "mp4"])
def test_truncated_stream_with_index_up_front_is_caught(tmp_path, container):
    whole = tmp_path / f"whole.{container}"
    _remux(
        CUTS / "pyscenedetect_testvideo.mp4",
        whole,
        **({"movflags": "faststart"} if container == "mp4" else {}),
    )
    assert probe(whole).duration == pytest.approx(24.02, abs=0.05)
    cut = _half(whole, tmp_path / f"half.{container}")
    with pytest.raises(BadInput, match="truncated"):
        probe(cut)


def test_probe_never_writes_next_to_the_media(tmp_path):
    copy = tmp_path / "clip.mp4"
    shutil.copy(CUTS / "pyscenedetect_goldeneye-vfr-drop3.mp4", copy)
    probe(copy)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]
