"""The generator's truth, checked by decoding what it wrote with PyAV (not by re-reading its own plan)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.synthetic import SyntheticClip, shot_picture

VIDEO_CLIPS = ["cuts_23976", "cuts_25", "cuts_2997", "fades_25", "speech_2997", "vfr"]


def decode_video(path: Path) -> tuple[list[Fraction], list[np.ndarray], Fraction | None]:
    """Presentation times, RGB pictures and the container's average frame rate."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        times, pictures = [], []
        for frame in container.decode(stream):
            assert frame.pts is not None
            times.append(frame.pts * stream.time_base)
            pictures.append(frame.to_ndarray(format="rgb24").astype(np.float32))
        return times, pictures, stream.average_rate


def decode_audio(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = []
        for frame in container.decode(stream):
            data = frame.to_ndarray()
            if data.dtype == np.int16:
                data = data.astype(np.float32) / 32768.0
            chunks.append(data.reshape(-1))
        return np.concatenate(chunks), stream.rate


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def window(signal: np.ndarray, rate: int, start: float, end: float) -> np.ndarray:
    return signal[int(round(start * rate)) : int(round(end * rate))]


@pytest.fixture(scope="module")
def decoded(synthetic):
    return {name: decode_video(synthetic[name].path) for name in VIDEO_CLIPS}


@pytest.mark.parametrize("name", VIDEO_CLIPS)
def test_frame_count_and_exact_frame_times(synthetic, decoded, name):
    truth = synthetic[name].truth
    times, pictures, average_rate = decoded[name]
    assert len(pictures) == truth.frame_count
    assert times == truth.frame_times
    assert (pictures[0].shape[1], pictures[0].shape[0]) == (truth.width, truth.height)
    if not truth.vfr:
        assert average_rate == truth.rate


@pytest.mark.parametrize("name", ["cuts_23976", "cuts_25", "cuts_2997", "speech_2997", "vfr"])
def test_each_cut_frame_is_the_first_frame_of_the_new_shot(synthetic, decoded, name):
    truth = synthetic[name].truth
    _, pictures, _ = decoded[name]
    assert truth.cuts == [s.start_frame for s in truth.shots[1:]]
    assert len(truth.cuts) >= 2
    expected = [shot_picture(s, i, truth.width, truth.height) for i, s in enumerate(truth.shots)]
    for i, shot in enumerate(truth.shots):
        for f in (shot.start_frame, shot.end_frame - 1):
            error = np.abs(pictures[f] - expected[i]).mean()
            assert error < 6, f"{name} frame {f}: mean error {error:.1f} against shot {i}"
            for j in {i - 1, i + 1} & set(range(len(expected))):
                assert np.abs(pictures[f] - expected[j]).mean() > 40, f"{name} frame {f} looks like shot {j}"


def test_vfr_clip_has_irregular_intervals_and_cut_times_in_seconds(synthetic, decoded):
    truth = synthetic["vfr"].truth
    times, _, _ = decoded["vfr"]
    intervals = {b - a for a, b in zip(times, times[1:], strict=False)}
    assert len(intervals) >= 4
    assert truth.cut_times == [float(times[f]) for f in truth.cuts]
    assert truth.duration > float(times[-1])


def test_fades_ramp_from_and_to_black_and_dissolve_has_no_cut(synthetic, decoded):
    truth = synthetic["fades_25"].truth
    _, pictures, _ = decoded["fades_25"]
    means = [float(p.mean()) for p in pictures]
    assert truth.cuts == []
    fade_in, dissolve, fade_out = truth.fades
    assert (fade_in.kind, dissolve.kind, fade_out.kind) == ("in", "dissolve", "out")
    first = truth.shots[0]
    full = float(shot_picture(first, 0, truth.width, truth.height).mean())
    assert fade_in.start_frame > 0 and max(means[: fade_in.start_frame]) < 3  # black before the fade in
    span = fade_in.end_frame - fade_in.start_frame + 1
    for f in range(fade_in.start_frame, fade_in.end_frame):
        alpha = (f - fade_in.start_frame + 1) / span
        assert means[f] == pytest.approx(alpha * full, abs=4), f"fade-in frame {f}"
    assert means[fade_in.end_frame] == pytest.approx(full, abs=3)
    ramp = means[fade_in.start_frame - 1 : fade_in.end_frame + 1]
    assert all(a < b for a, b in zip(ramp, ramp[1:], strict=False))
    # Dissolve: every mix frame lies between the two shots, none equals either one.
    a = shot_picture(truth.shots[0], 0, truth.width, truth.height)
    b = shot_picture(truth.shots[1], 1, truth.width, truth.height)
    assert np.abs(pictures[dissolve.start_frame - 1] - a).mean() < 6
    assert np.abs(pictures[dissolve.end_frame] - b).mean() < 6
    for f in range(dissolve.start_frame, dissolve.end_frame):
        assert np.abs(pictures[f] - a).mean() > 3 and np.abs(pictures[f] - b).mean() > 3
    # Fade out: darkening, then black to the end.
    out_means = means[fade_out.start_frame - 1 : fade_out.end_frame]
    assert all(x > y for x, y in zip(out_means, out_means[1:], strict=False))
    assert max(means[fade_out.end_frame :]) < 3
    assert truth.has_audio is False


def test_tones_and_silences_at_the_stated_times(synthetic):
    truth = synthetic["tones"].truth
    signal, rate = decode_audio(synthetic["tones"].path)
    assert rate == truth.sample_rate
    assert len(signal) == round(truth.duration * rate)
    for tone in truth.tones:
        part = window(signal, rate, tone.start + 0.01, tone.end - 0.01)
        expected = 10 ** (tone.level_dbfs / 20) / np.sqrt(2)
        assert rms(part) == pytest.approx(expected, rel=0.02)
        spectrum = np.abs(np.fft.rfft(part))
        assert np.fft.rfftfreq(len(part), 1 / rate)[spectrum.argmax()] == pytest.approx(tone.freq_hz, abs=2)
        # sample-exact edges: nothing just before the start, sound right after it
        before = window(signal, rate, tone.start - 0.01, tone.start)
        assert np.abs(before).max() == 0
        assert np.abs(window(signal, rate, tone.start, tone.start + 0.003)).max() > 0.05
    assert [s for s in truth.silences if s[1] - s[0] > 0.02]
    for start, end in truth.silences:
        assert np.abs(window(signal, rate, start + 0.001, end - 0.001)).max() == 0


def test_cut_clips_change_tone_at_each_cut_through_aac(synthetic):
    clip = synthetic["cuts_23976"]
    signal, rate = decode_audio(clip.path)
    assert clip.path.suffix == ".mp4"
    starts = [t.start for t in clip.truth.tones]
    assert starts[1:] == pytest.approx(clip.truth.cut_times, abs=1e-6)
    for tone in clip.truth.tones:
        part = window(signal, rate, tone.start + 0.05, tone.end - 0.05)
        freqs = np.fft.rfftfreq(len(part), 1 / rate)
        assert freqs[np.abs(np.fft.rfft(part)).argmax()] == pytest.approx(tone.freq_hz, abs=3)


def onsets(signal: np.ndarray, rate: int, threshold: float = 0.05, min_gap: float = 0.1) -> list[float]:
    """First sample over `threshold` after at least `min_gap` seconds below it."""
    loud = np.flatnonzero(np.abs(signal) > threshold)
    if loud.size == 0:
        return []
    starts = [int(loud[0])] + [int(b) for a, b in zip(loud, loud[1:], strict=False) if b - a > min_gap * rate]
    return [i / rate for i in starts]


def test_click_track_onsets_tempo_and_accented_downbeats(synthetic):
    truth = synthetic["clicks_120"].truth
    signal, rate = decode_audio(synthetic["clicks_120"].path)
    found = onsets(signal, rate)
    assert len(found) == len(truth.beats) == 15
    assert found == pytest.approx(truth.beats, abs=0.001)
    assert 60 / np.median(np.diff(found)) == pytest.approx(truth.tempo_bpm, abs=0.1)
    peaks = {b: np.abs(window(signal, rate, b, b + 0.03)).max() for b in truth.beats}
    down = [peaks[b] for b in truth.downbeats]
    other = [peaks[b] for b in truth.beats if b not in truth.downbeats]
    assert truth.downbeats == truth.beats[:: truth.beats_per_bar]
    assert min(down) > 1.5 * max(other)


def test_speech_is_where_the_sentences_are_and_silent_between(synthetic):
    clip: SyntheticClip = synthetic["speech_2997"]
    truth = clip.truth
    signal, rate = decode_audio(clip.path)
    assert [s.text for s in truth.sentences] and truth.transcript.startswith("The quick brown fox")
    found = onsets(signal, rate, threshold=0.01, min_gap=0.5)
    assert found == pytest.approx([s.start for s in truth.sentences], abs=0.005)
    for sentence in truth.sentences:
        assert rms(window(signal, rate, sentence.start, sentence.end)) > 0.05
        assert sentence.end - sentence.start > 1.5
        tail = window(signal, rate, sentence.end - 0.2, sentence.end)
        assert np.abs(tail).max() > 0.01  # the truth's end is where the voice stops, not padding
    for start, end in truth.silences:
        assert rms(window(signal, rate, start + 0.02, end - 0.02)) < 1e-3


def test_truth_json_matches_and_generation_is_deterministic(synthetic, tmp_path):
    data = json.loads(synthetic.truth_path.read_text())
    assert set(data) == {c.name for c in synthetic}
    assert data["cuts_23976"]["cuts"] == synthetic["cuts_23976"].truth.cuts
    assert data["cuts_23976"]["rate"] == [24000, 1001]
    assert (
        data["vfr"]["vfr"] is True and len(data["vfr"]["frame_times"]) == synthetic["vfr"].truth.frame_count
    )
    out = tmp_path / "again"
    proc = subprocess.run(
        [sys.executable, "-m", "engine.synthetic", str(out)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "truth.json").read_text()) == data
    assert decode_video(out / "vfr.mp4")[0] == synthetic["vfr"].truth.frame_times


def test_missing_espeak_is_a_clear_error(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # an empty PATH: no espeak-ng on it
    code = "from engine.synthetic import espeak\nespeak('hello', 16000)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode != 0
    assert "espeak-ng is not installed" in proc.stderr and "apt-get install espeak-ng" in proc.stderr


def test_demo_footage_is_an_interview_broll_and_music_bed(tmp_path):
    from engine.synthetic import demo_footage, packaged_footage

    demo = demo_footage(tmp_path / "demo")
    assert {c.name for c in demo} == {"interview", "broll", "music"}
    interview = demo["interview"].truth
    times, pictures, rate = decode_video(demo["interview"].path)
    assert len(times) == interview.frame_count and rate == 25
    assert pictures[0].shape == (180, 320, 3)
    assert len(interview.sentences) == 5 and all(b - a > 0.2 for a, b in interview.silences)
    signal, sample_rate = decode_audio(demo["music"].path)
    assert onsets(signal, sample_rate) == pytest.approx(demo["music"].truth.beats, abs=0.001)
    assert demo["music"].truth.tempo_bpm == 100
    assert json.loads(demo.truth_path.read_text())["broll"]["cuts"] == [40, 75, 120, 160, 210]
    assert all(p.suffix == ".mp4" and p.is_file() for p in packaged_footage().values())
