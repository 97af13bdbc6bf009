"""One decode of a file's first audio stream, resampled once per rate the analysers need.

Every audio analyser works on float32 at its own rate (16 kHz for the speech models, 22.05 kHz for
music and loudness). Decoding once and feeding each decoded frame to one libswresample resampler per
rate keeps it a single pass. Sample 0 of every array is the file's time 0 (the container start, as
for video frames): a stream that starts late is padded with silence, one that starts early is
trimmed, so audio times agree with the pictures.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

import av
import av.error
import numpy as np

from engine.errors import BadInput
from engine.media.types import AudioRequest

log = logging.getLogger(__name__)

# More channels than this are folded to 5.0 (L R C Ls Rs, LFE dropped), the order BS.1770 weights.
MAX_KEPT_CHANNELS = 2


def decode_audio(path: str | os.PathLike[str], rates: Iterable[int]) -> dict[int, np.ndarray]:
    """Mono float32 samples of the first audio stream at each rate; {} when the file has no audio."""
    requests = [AudioRequest(sample_rate=int(r)) for r in rates]
    decoded = decode_audio_requests(path, requests)
    return {r.sample_rate: decoded[r] for r in requests if r in decoded}


def decode_audio_requests(
    path: str | os.PathLike[str], requests: Iterable[AudioRequest]
) -> dict[AudioRequest, np.ndarray]:
    """Each request's samples from one decode: (n,) when mono, else (channels, n); {} without audio."""
    wanted = list(dict.fromkeys(requests))
    if any(r.sample_rate <= 0 for r in wanted):
        raise ValueError(f"sample rates must be positive, got {[r.sample_rate for r in wanted]}")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"cannot open as media ({_reason(exc)})", os.fspath(path)) from None
    with container:
        streams = list(container.streams.audio)
        if not streams or not wanted:
            return {}
        stream = streams[0]
        start = (container.start_time or 0) / av.time_base
        rates = sorted({r.sample_rate for r in wanted})
        layout = _kept_layout(stream)
        per_rate, first_time = _decode(container, stream, rates, layout, path)
    if first_time is None:
        return {}
    lead = first_time - start
    out: dict[AudioRequest, np.ndarray] = {}
    for request in wanted:
        planes = per_rate[request.sample_rate]
        samples = planes.mean(axis=0, dtype=np.float32) if request.mono else planes
        out[request] = _align(samples, round(lead * request.sample_rate))
    return out


def _kept_layout(stream: av.audio.stream.AudioStream) -> str | None:
    """None keeps the source channels; wider layouts fold to 5.0 when their channel order is known."""
    channels = stream.codec_context.channels
    if channels <= MAX_KEPT_CHANNELS:
        return None
    names = [c.name for c in stream.codec_context.layout.channels]
    return "5.0" if all(n and n != "USR" and not n.startswith("USR") for n in names) else None


def _decode(
    container, stream, rates: list[int], layout: str | None, path
) -> tuple[dict[int, np.ndarray], float | None]:
    # Keep the channels through resampling and average them afterwards where mono is wanted:
    # libswresample's own downmix weights stereo by 1/sqrt(2) (peaks above 1.0) and refuses layouts
    # whose channel order is unspecified.
    resamplers = {r: av.AudioResampler(format="fltp", layout=layout, rate=r) for r in rates}
    chunks: dict[int, list[np.ndarray]] = {r: [] for r in rates}
    first_time: float | None = None
    bad_packets = 0
    decoded_any = False
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                # A damaged packet in an otherwise readable stream: the decoder resyncs at the next one.
                bad_packets += 1
                continue
            for frame in frames:
                if first_time is None and frame.pts is not None and frame.time_base is not None:
                    first_time = float(frame.pts * frame.time_base)
                decoded_any = True
                _feed(resamplers, chunks, frame)
        if decoded_any:
            _feed(resamplers, chunks, None)
    except av.error.FFmpegError as exc:
        if not decoded_any:
            raise BadInput(f"unreadable audio stream ({_reason(exc)})", os.fspath(path)) from None
        log.warning("%s: audio decoding stopped early (%s); keeping what was decoded", path, _reason(exc))
    if not decoded_any:
        if bad_packets:
            raise BadInput(
                f"unreadable audio stream ({bad_packets} damaged packets, none decodable)", os.fspath(path)
            )
        return {}, None
    if bad_packets:
        log.warning("%s: skipped %d damaged audio packets", path, bad_packets)
    joined = {r: np.concatenate(chunks[r], axis=1) for r in rates}
    return joined, first_time if first_time is not None else 0.0


def _feed(resamplers: dict[int, av.AudioResampler], chunks: dict[int, list[np.ndarray]], frame) -> None:
    for rate, resampler in resamplers.items():
        for out in resampler.resample(frame):
            chunks[rate].append(out.to_ndarray())


def _align(samples: np.ndarray, shift: int) -> np.ndarray:
    """Put sample 0 at the file's time 0: pad a late start with silence, trim an early one."""
    if shift > 0:
        pad = np.zeros(samples.shape[:-1] + (shift,), np.float32)
        samples = np.concatenate([pad, samples], axis=-1)
    elif shift < 0:
        samples = samples[..., -shift:]
    return np.ascontiguousarray(samples, dtype=np.float32)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(": '")[0].strip() or type(exc).__name__
