"""Two minutes of the shared real footage one after another at 1080p 25 fps, with its own sound.

Footage like issue 12's held-out check asks for: real films, a trailer and a talking head with hard
cuts, speech in parts and music in others (bench/speech_footage.py is the other kind: speech all the
way through). Each clip is fitted into the 1920x1080 frame (black bars where its shape differs) at
its own frames' times, the sound resampled to 48 kHz stereo (silence for a clip without sound).
Encoded as bench/speech_footage.py encodes (H.264 High, CRF 20; AAC).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.append(str(REPO / "bench"))  # after the repo: bench/bridge.py must not shadow `bridge`
import shared_media  # noqa: E402
import speech_footage  # noqa: E402

CLIPS = [
    "video_cuts/pyscenedetect_testvideo.mp4",
    "talking_head/auto-editor_example.mp4",
    "video_cuts/pyscenedetect_goldeneye-vfr-drop3.mp4",
    "video_cuts/movienet_test1_titanic.mp4",
    "video_cuts/moviepy/big_buck_bunny_0_30.webm",
]
RATE = speech_footage.RATE
SIZE = speech_footage.SIZE
SAMPLE_RATE = speech_footage.SAMPLE_RATE


def _fitted(frame: av.VideoFrame) -> np.ndarray:
    width, height = SIZE
    scale = min(width / frame.width, height / frame.height)
    w, h = round(frame.width * scale) // 2 * 2, round(frame.height * scale) // 2 * 2
    picture = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
    canvas = np.zeros((height, width, 3), np.uint8)
    top, left = (height - h) // 2, (width - w) // 2
    canvas[top : top + h, left : left + w] = picture
    return canvas


def _pictures(path: Path, count: int) -> Iterator[np.ndarray]:
    """`count` frames at 25 fps: each the clip's frame showing at that time (the last one held)."""
    made = 0
    last = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            time = float(frame.time or 0.0)
            while made < count and made / RATE <= time + 1e-6:
                last = _fitted(frame)
                yield last
                made += 1
            if made >= count:
                return
    while made < count:
        yield last
        made += 1


def _sound(path: Path, samples: int) -> np.ndarray:
    parts = [np.zeros((2, 0), np.float32)]
    with av.open(str(path)) as container:
        if container.streams.audio:
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE)
            for frame in container.decode(audio=0):
                parts.extend(out.to_ndarray() for out in resampler.resample(frame))
    sound = np.concatenate(parts, axis=1)[:, :samples]
    return np.pad(sound, ((0, 0), (0, samples - sound.shape[1])))


def write(path: Path, duration: float = 120.0) -> Path:
    """Encode the footage at `path` (once: an existing file is kept)."""
    if path.exists():
        return path
    tmp = path.with_name(path.name + ".partial.mp4")
    with av.open(str(tmp), "w") as out:
        video = out.add_stream("libx264", rate=RATE)
        video.width, video.height, video.pix_fmt = *SIZE, "yuv420p"
        video.options = {"crf": "20", "preset": "veryfast", "profile": "high"}
        audio = out.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "stereo"
        frames = samples = 0
        for name in CLIPS:
            source = shared_media.media_path(name)
            with av.open(str(source)) as container:
                length = min(float(container.duration or 0) / av.time_base, duration - frames / RATE)
            if length <= 0:
                break
            for picture in _pictures(source, round(length * RATE)):
                frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
                frame.pts, frame.time_base = frames, 1 / RATE
                out.mux(video.encode(frame))
                frames += 1
            sound = _sound(source, round(frames / RATE * SAMPLE_RATE) - samples)
            speech_footage.mux_sound(out, audio, sound, samples)
            samples += sound.shape[1]
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    tmp.replace(path)
    return path


if __name__ == "__main__":
    speech_footage.main(write, 120.0, __doc__)
