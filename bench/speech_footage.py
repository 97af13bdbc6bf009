"""A 1080p 25 fps clip with real faces, real cuts and real speech, made from ../shared/media for benchmarks.

The picture is the video_retalking talking-head close-ups in turn (each scaled to 1080 lines, the
sides filled by the picture mirrored, so the whole frame carries detail as camera footage does), the
sound the shared speech recordings one after another; both loop to the length asked for.
Encoded as a camera would (H.264 High, CRF 20, 1 s GOP, B-frames; AAC 48 kHz stereo).
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
import shared_media  # noqa: E402

FACES = [f"talking_head/video_retalking/face_{i}.mp4" for i in range(1, 6)]
SPEECH = [
    "speech/whisper_jfk.flac",
    "speech/pocketsphinx_librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
    "speech/pocketsphinx_librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
    "speech/pocketsphinx_librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
    "speech/speechbrain_asr/spk1_snt1.wav",
    "speech/lhotse/librispeech_2412-153948-0000.flac",
    "speech/pocketsphinx_librivox/sense_and_sensibility_01_austen_64kb-0920.wav",
    "speech/speechbrain_asr/spk2_snt2.wav",
]
RATE = Fraction(25)
SIZE = (1920, 1080)
SAMPLE_RATE = 48000


def _speech(duration: float) -> np.ndarray:
    parts = []
    for name in SPEECH:
        with av.open(str(shared_media.media_path(name))) as c:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in c.decode(audio=0):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
        parts.append(np.zeros(SAMPLE_RATE // 2, np.float32))  # half a second between speakers
    one = np.concatenate(parts)
    reps = int(np.ceil(duration * SAMPLE_RATE / len(one)))
    return np.tile(one, reps)[: int(duration * SAMPLE_RATE)]


def _pictures(count: int, cuts: list[int]):
    made = 0
    while True:
        for name in FACES:
            if made:
                cuts.append(made)  # a hard cut: the next close-up starts at this frame
            with av.open(str(shared_media.media_path(name))) as c:
                for frame in c.decode(video=0):
                    if made >= count:
                        return
                    square = frame.reformat(width=SIZE[1], height=SIZE[1], format="rgb24").to_ndarray()
                    side = (SIZE[0] - SIZE[1]) // 2
                    yield np.pad(square, ((0, 0), (side, side), (0, 0)), mode="reflect")
                    made += 1


def mux_sound(
    out: av.container.OutputContainer, audio: av.AudioStream, sound: np.ndarray, first: int
) -> None:
    """Encode (2, n) float stereo at SAMPLE_RATE into `audio`, its first sample at sample `first`."""
    for start in range(0, sound.shape[1], 1024):
        part = np.ascontiguousarray(sound[:, start : start + 1024])
        frame = av.AudioFrame.from_ndarray(part, format="fltp", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = first + start
        frame.time_base = Fraction(1, SAMPLE_RATE)
        out.mux(audio.encode(frame))


def cuts_file(path: Path) -> Path:
    return path.with_name(path.name + ".cuts.json")


def cut_frames(path: Path) -> list[int]:
    """The frames at which the clip written by `write` cuts to another shot (its ground truth)."""
    return list(json.loads(cuts_file(path).read_text()))


def write(path: Path, duration: float = 60.0) -> Path:
    """Encode the clip at `path` (once: an existing file is kept) with its cut frames beside it."""
    if path.exists() and cuts_file(path).exists():
        return path
    cuts: list[int] = []
    count = int(duration * RATE)
    tmp = path.with_name(path.name + ".partial.mp4")
    with av.open(str(tmp), "w") as out:
        video = out.add_stream("libx264", rate=RATE)
        video.width, video.height, video.pix_fmt = *SIZE, "yuv420p"
        video.options = {"crf": "20", "preset": "veryfast", "g": "25", "profile": "high"}
        audio = out.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "stereo"
        for i, picture in enumerate(_pictures(count, cuts)):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            frame.time_base = 1 / RATE
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        signal = _speech(duration)
        mux_sound(out, audio, np.stack([signal, signal]), 0)
        out.mux(audio.encode(None))
    tmp.replace(path)
    cuts_file(path).write_text(json.dumps([c for c in cuts if c < count]))
    return path


def main(make=write, seconds: float = 60.0, doc: str | None = __doc__) -> None:
    """The command line of a footage maker: where to write, and how long."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument("output", type=Path, help="the clip to write (an existing one is kept)")
    parser.add_argument("seconds", type=float, nargs="?", default=seconds)
    args = parser.parse_args()
    print(make(args.output, args.seconds))


if __name__ == "__main__":
    main()
