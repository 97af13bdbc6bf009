"""The shared media set is what MANIFEST.tsv says, and the ground-truth loaders read it correctly."""

from __future__ import annotations

import hashlib

import av
import pytest
import shared_media as sm


def test_every_manifest_row_exists_with_its_size_and_sha256(manifest):
    assert len(manifest) > 200
    assert {r.kind for r in manifest} <= {"media", "nle", "groundtruth", "licence"}
    problems = []
    for r in manifest:
        if not r.path.is_file():
            problems.append(f"missing {r.local_file}")
            continue
        data = r.path.read_bytes()
        if r.size_bytes is not None and len(data) != r.size_bytes:
            problems.append(f"size {r.local_file}")
        if r.sha256 and hashlib.sha256(data).hexdigest() != r.sha256:
            problems.append(f"sha256 {r.local_file}")
    assert problems == []


def test_filters(manifest):
    wavs = sm.find("media", prefix="speech/", suffixes=(".wav",))
    assert wavs and all(r.kind == "media" and r.local_file.endswith(".wav") for r in wavs)
    assert sm.row("speech/whisper_jfk.flac").path == sm.media_path("speech/whisper_jfk.flac")
    with pytest.raises(KeyError):
        sm.row("speech/not-there.wav")
    with pytest.raises(sm.SharedMediaMissing, match="not-there.wav"):
        sm.media_path("speech/not-there.wav")


def test_missing_media_set_names_where_it_looked(tmp_path):
    with pytest.raises(sm.SharedMediaMissing, match=f"not found at {tmp_path}.*MANIFEST.tsv"):
        sm.media_root(tmp_path)


def test_video_cut_truths(shared_media):
    assert sm.pyscenedetect_cuts("testvideo.mp4") == [30, 180, 394]
    assert sm.pyscenedetect_cuts("goldeneye-vfr-drop3.mp4") == [90, 210]
    assert [frame for _, frame, _ in sm.pyscenedetect_scenes_csv()] == [0, 201, 382]
    assert sm.pyscenedetect_testvideo_fades()[:2] == [("IN", 35), ("OUT", 185)]
    assert sm.movienet_shots() == [(0, 57), (58, 210), (211, 481)]
    with av.open(str(sm.media_path("video_cuts/pyscenedetect_testvideo.mp4"))) as container:
        assert container.streams.video[0].average_rate == pytest.approx(30000 / 1001)


def test_speech_truths(shared_media):
    assert sm.speechbrain_vad("train") == [(0.52, 0.85), (1.32, 1.83), (2.35, 3.7)]
    assert sm.speechbrain_vad("dev") == [(0.38, 2.7), (4.1, 5.88)]  # touching chunks merged
    assert sm.speechbrain_vad_annotated_until("dev") == 8.0
    start, silence = sm.librivox_endpoints("sense_and_sensibility_01_austen_64kb-0870")
    assert 0.2 < start < silence < 7.1
    alignment = sm.librivox_words("sense_and_sensibility_01_austen_64kb-0880")
    assert " ".join(w for w, _, _ in alignment) == sm.transcript(
        "speech/pocketsphinx_librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
    )
    assert all(a < b for _, a, b in alignment)
    texts = sm.transcripts()
    assert all(sm.row(path).kind == "media" for path in texts)
    assert texts["speech/pocketsphinx_cards/002.wav"] == "four queen of clubs"
    assert texts["speech/deepspeech/LDC93S1.wav"] == "She had your dark suit in greasy wash water all year."
    assert sm.stm()[0] == ("Diane", 6.68, 7.16, "Hello?")
    assert sm.rttm("speech/pyannote/debug.development.rttm", "dev00")[0] == ("MEE009", 1.44, 13.312)
    assert sm.ami_supervisions()[1] == ("YOU CAN CALL ME ABBIE", 3.36, 4.36)


def test_word_error_rate():
    assert sm.word_error_rate("And so, my fellow Americans", "and so my fellow americans") == 0
    assert sm.word_error_rate("a b c d", "a x c") == 0.5  # one substitution, one deletion
    assert sm.word_error_rate("a b", "a b c") == 0.5


def test_music_truths(shared_media):
    waltz = sm.beat_truth("music/ballroom_Waltz_Media-105901.wav")
    assert (len(waltz.beats), waltz.beats_per_bar, waltz.tempo_bpm, waltz.beats[0]) == (40, 3, 84.0, 1.86)
    assert waltz.downbeats[:2] == [1.86, 4.053]
    country = sm.beat_truth("music/gtzan_country.00000.wav")
    assert (len(country.beats), country.beats_per_bar, country.tempo_bpm) == (43, 4, 85.53)
    sample = sm.beat_truth("music/madmom_sample.wav")
    assert sample.downbeats == [0.0913] and sample.tempo_bpm == 87.5
