"""What a media file is, read with PyAV before any analysis: duration, exact rate, size, rotation, VFR.

Probing also refuses what cannot be analysed with a `BadInput` that names the file and the problem
(missing, empty, not media, truncated, undecodable), so one bad file never costs a whole batch.
The frame rate stays an exact `Fraction` (24000/1001, not 23.976) because every frame position in
the engine and in OTIO is rational.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error

from engine.errors import BadInput
from engine.media.types import MediaInfo

# A stream that ends this much before the duration its header states was cut short.
TRUNCATION_TOLERANCE_S = 1.0
TRUNCATION_TOLERANCE_FRACTION = 0.02


@dataclass(frozen=True)
class VideoTiming:
    """Presentation times of the video packets, read by demuxing only (no decoding)."""

    first: float  # seconds from the start of the file
    end: float  # end of the last frame, seconds from the start of the file
    packets: int
    variable: bool


def probe(path: str | os.PathLike[str], sha256: str = "") -> MediaInfo:
    """Facts about `path`, or `BadInput` saying why it cannot be analysed."""
    file = Path(path)
    check_readable(file)
    try:
        container = av.open(str(file))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"not a media file PyAV/FFmpeg can read ({_reason(exc)})", file) from None
    with container:
        videos = [s for s in container.streams.video if not _is_cover_art(s)]
        audios = list(container.streams.audio)
        if not videos and not audios:
            raise BadInput("no video or audio stream in the file", file)
        start = _container_start(container)
        duration = _container_duration(container, start)
        info: dict[str, Any] = dict(
            path=str(file),
            sha256=sha256,
            has_video=bool(videos),
            has_audio=bool(audios),
            start_time=_timecode_seconds(container, videos[0] if videos else None),
        )
        if not videos:
            if duration <= 0:
                duration = _audio_duration(audios[0], start)
            if duration <= 0:
                raise BadInput("the audio stream holds no samples", file)
            return MediaInfo(duration=duration, rate=Fraction(0), width=0, height=0, **info)
        video = videos[0]
        video_index = video.index
        rate = nominal_rate(video)
        timing = _video_timing(container, video, start, rate, file)
        if duration <= 0:
            duration = timing.end
        if timing.packets == 0:
            raise BadInput("the video stream holds no frames", file)
        missing = duration - timing.end
        if missing > max(TRUNCATION_TOLERANCE_S, TRUNCATION_TOLERANCE_FRACTION * duration):
            raise BadInput(
                f"truncated: video data ends at {timing.end:.2f} s but the file says it lasts {duration:.2f} s",
                file,
            )
    rotation, width, height = _first_frame_facts(file, video_index)
    return MediaInfo(
        duration=duration,
        rate=rate,
        width=width,
        height=height,
        rotation=rotation,
        variable_frame_rate=timing.variable,
        **info,
    )


def nominal_rate(stream: av.video.stream.VideoStream) -> Fraction:
    """The stream's own frame rate (r_frame_rate), exact; the average only when nothing better exists."""
    for rate in (stream.base_rate, stream.guessed_rate, stream.average_rate):
        if rate is not None and rate > 0:
            return Fraction(rate.numerator, rate.denominator)
    raise BadInput("the video stream states no frame rate", stream.container.name)


def display_size(
    width: int, height: int, rotation: int, sample_aspect: Fraction | None = None
) -> tuple[int, int]:
    """Width and height as a player shows the picture: non-square pixels widened, quarter turns applied."""
    if sample_aspect and sample_aspect > 0 and sample_aspect != 1:
        width = max(1, round(width * sample_aspect))
    return (height, width) if rotation % 180 == 90 else (width, height)


def check_readable(file: Path) -> None:
    if not file.exists():
        raise BadInput("file not found", file)
    if not file.is_file():
        raise BadInput("not a regular file", file)
    if file.stat().st_size == 0:
        raise BadInput("empty file (0 bytes)", file)
    if not os.access(file, os.R_OK):
        raise BadInput("permission denied (cannot read the file)", file)


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[0].strip() or type(exc).__name__


def _is_cover_art(stream: av.stream.Stream) -> bool:
    """Embedded album art shows up as a one-picture video stream; it is not footage."""
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _container_start(container: av.container.InputContainer) -> float:
    return container.start_time / av.time_base if container.start_time is not None else 0.0


def _container_duration(container: av.container.InputContainer, start: float) -> float:
    if container.duration is None or container.duration <= 0:
        return 0.0
    return float(container.duration / av.time_base)


def _audio_duration(stream: av.audio.stream.AudioStream, start: float) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return 0.0


def _video_timing(container, video, start: float, rate: Fraction, file: Path) -> VideoTiming:
    """Demux (no decode) the video packets: where the data really ends, and whether frame spacing varies."""
    tb = video.time_base
    times: list[int] = []
    last_end = None
    try:
        for packet in container.demux(video):
            if packet.pts is None:
                continue
            times.append(packet.pts)
            end = packet.pts + (packet.duration or 0)
            last_end = end if last_end is None else max(last_end, end)
    except av.error.FFmpegError as exc:
        raise BadInput(f"unreadable video data ({_reason(exc)})", file) from None
    if not times:
        return VideoTiming(0.0, 0.0, 0, False)
    times.sort()
    frame = 1 / rate
    first = float(times[0] * tb) - start
    end = float(max(last_end or 0, times[-1]) * tb) - start
    if last_end is None or last_end <= times[-1]:
        end = float(times[-1] * tb + frame) - start
    tolerance = max(float(tb), 0.1 * float(frame))
    variable = any(
        abs(float((b - a) * tb) - float(frame)) > tolerance for a, b in zip(times, times[1:], strict=False)
    )
    return VideoTiming(first, end, len(times), variable)


def _first_frame_facts(file: Path, index: int) -> tuple[int, int, int]:
    """Decode the first frame: proves the stream decodes and gives the display rotation and size."""
    try:
        with av.open(str(file)) as container:
            stream = next(s for s in container.streams.video if s.index == index)
            for frame in container.decode(stream):
                rotation = (-round(frame.rotation or 0)) % 360
                sar = stream.codec_context.sample_aspect_ratio  # the bitstream's, as decoders apply it
                width, height = display_size(
                    frame.width,
                    frame.height,
                    rotation,
                    Fraction(sar.numerator, sar.denominator) if sar else None,
                )
                return rotation, width, height
    except av.error.FFmpegError as exc:
        raise BadInput(f"the video stream does not decode ({_reason(exc)})", file) from None
    raise BadInput("the video stream does not decode (no frame came out)", file)


def _timecode_seconds(container, video) -> float:
    """The embedded start timecode (e.g. 01:00:00:00 in a QuickTime tmcd track) in seconds, else 0."""
    from opentimelineio import opentime

    tags = [container.metadata.get("timecode")]
    tags += [s.metadata.get("timecode") for s in container.streams]
    tag = next((t for t in tags if t), None)
    if not tag or video is None:
        return 0.0
    rate = nominal_rate(video)
    try:
        return float(opentime.from_timecode(tag, float(rate)).to_seconds())
    except (ValueError, TypeError):
        return 0.0
