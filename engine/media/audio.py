"""One decode of a file's first audio stream, resampled once per rate the analysers need.

Every audio analyser works on float32 at its own rate (16 kHz for the speech models, 22.05 kHz for
music and loudness). Decoding once and feeding each decoded frame to one libswresample resampler per
rate keeps it a single pass. Sample 0 of every array is the file's time 0 (the container start, as
for video frames): a stream that starts late is padded with silence, one that starts early is
trimmed, so audio times agree with the pictures.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Iterator
from fractions import Fraction

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
    with _open(path) as container:
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


def _open(path: str | os.PathLike[str]):
    """The container, or BadInput naming the file."""
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"cannot open as media ({_reason(exc)})", os.fspath(path)) from None


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


# -- bounded windows ------------------------------------------------------------------------------

SEEK_PREROLL_S = 1.0  # decoded before a window's start after a seek: decoder and resampler settle


def audio_blocks(
    path: str | os.PathLike[str],
    requests: Iterable[AudioRequest],
    block_s: float,
    start: float = 0.0,
    end: float | None = None,
) -> Iterator[tuple[float, dict[AudioRequest, np.ndarray]]]:
    """Consecutive windows (block start in file seconds, samples per request) of at most `block_s`
    from `start` to `end` (the stream's end when None), from ONE demux: a long file never has more than
    a block (plus one decoded frame) at once. Sample 0 of the first block is file time `start` on the
    same grid as decode_audio_requests (a late stream is padded, an early one trimmed); a start past 0
    seeks there, decoding SEEK_PREROLL_S before it so the resamplers carry no start-up transient.
    Nothing is yielded for a file without audio."""
    wanted = list(dict.fromkeys(requests))
    if block_s <= 0 or any(r.sample_rate <= 0 for r in wanted):
        raise ValueError(f"block_s and sample rates must be positive, got {block_s}, {wanted}")
    with _open(path) as container:
        streams = list(container.streams.audio)
        if not streams or not wanted:
            return
        stream = streams[0]
        origin = (container.start_time or 0) / av.time_base
        if start > 0:
            seek_to = origin + max(0.0, start - SEEK_PREROLL_S)
            container.seek(int(seek_to * av.time_base), backward=True, any_frame=False)
        rates = sorted({r.sample_rate for r in wanted})
        window = _Windows(wanted, rates, start, end, block_s)
        layout = _kept_layout(stream)
        resamplers = {r: av.AudioResampler(format="fltp", layout=layout, rate=r) for r in rates}
        decoded_any = False
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError:
                    continue  # a damaged packet: the decoder resyncs at the next one
                for frame in frames:
                    if not decoded_any:
                        if start > 0:
                            frame = _on_output_grid(frame, stream, rates)
                        pts = frame.pts if frame.pts is not None else 0
                        base = frame.time_base if frame.time_base is not None else Fraction(1, frame.rate)
                        window.begin(float(pts * base) - origin)
                        decoded_any = True
                    for rate, resampler in resamplers.items():
                        for out in resampler.resample(frame):
                            window.add(rate, out.to_ndarray())
                if decoded_any:
                    yield from window.ready()
                if window.finished():
                    return
            if decoded_any:
                for rate, resampler in resamplers.items():
                    for out in resampler.resample(None):
                        window.add(rate, out.to_ndarray())
        except av.error.FFmpegError as exc:
            if not decoded_any:
                raise BadInput(f"unreadable audio stream ({_reason(exc)})", os.fspath(path)) from None
            log.warning("%s: audio decoding stopped early (%s); keeping what was decoded", path, _reason(exc))
        if decoded_any:
            yield from window.ready(final=True)


def _on_output_grid(frame: av.AudioFrame, stream, rates: list[int]) -> av.AudioFrame:
    """The first frame after a seek, its head dropped so that it starts on a sample every output rate
    shares with the input counted from the stream's start: the resampled samples then fall on the same
    instants as in a decode from the start (no fractional-sample shift, which differs by up to 0.1)."""
    rate = frame.sample_rate
    period = rate // math.gcd(rate, *rates)
    base = frame.time_base if frame.time_base is not None else Fraction(1, rate)
    stream_start = (stream.start_time or 0) * (stream.time_base or base)
    offset = round((frame.pts * base - stream_start) * rate) if frame.pts is not None else 0
    skip = (-offset) % period
    if skip == 0 or skip >= frame.samples:
        return frame
    planes = frame.to_ndarray()
    planar = frame.format.is_planar
    kept = planes[:, skip:] if planar else planes[:, skip * len(frame.layout.channels) :]
    out = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(kept),  # type: ignore[arg-type]  # the decoder's own sample type
        format=frame.format.name,
        layout=frame.layout.name,
    )
    out.sample_rate = rate
    out.time_base = base
    out.pts = (frame.pts or 0) + round(Fraction(skip, rate) / base)
    return out


class _Windows:
    """Resampled planes per rate, cut into blocks on one time grid for every rate (block k starts at
    start + k * block_s); only the samples of the block being filled are kept."""

    def __init__(self, wanted: list[AudioRequest], rates: list[int], start: float, end, block_s: float):
        self.wanted, self.rates, self.start, self.end, self.block_s = wanted, rates, start, end, block_s
        self.parts: dict[int, list[np.ndarray]] = {r: [] for r in rates}
        self.first: dict[int, int] = {}  # file-grid index of each rate's first buffered sample
        self.count: dict[int, int] = {r: 0 for r in rates}
        self.channels: dict[int, int] = {}
        self.block = 0
        self.done = False

    def index(self, rate: int, time: float) -> int:
        return round(time * rate)

    def begin(self, first_time: float) -> None:
        for r in self.rates:
            self.first[r] = self.index(r, first_time)

    def add(self, rate: int, planes: np.ndarray) -> None:
        self.parts[rate].append(planes)
        self.channels[rate] = planes.shape[0]
        self.count[rate] += planes.shape[-1]

    def finished(self) -> bool:
        return self.done

    def _bounds(self, k: int) -> float:
        t = self.start + k * self.block_s
        return t if self.end is None else min(t, self.end)

    def ready(self, final: bool = False) -> Iterator[tuple[float, dict[AudioRequest, np.ndarray]]]:
        while not self.done:
            a, b = self._bounds(self.block), self._bounds(self.block + 1)
            if self.end is not None and a >= self.end:
                self.done = True
                return
            have = all(self.first[r] + self.count[r] >= self.index(r, b) for r in self.rates)
            if not have and not final:
                return
            planes = {r: self._take(r, self.index(r, a), self.index(r, b), have) for r in self.rates}
            if final and not have:
                self.done = True  # the stream ended inside this block: it is the last
                if all(p.shape[-1] == 0 for p in planes.values()):
                    return
            self.block += 1
            yield (
                a,
                {
                    q: planes[q.sample_rate].mean(axis=0, dtype=np.float32)
                    if q.mono
                    else planes[q.sample_rate]
                    for q in self.wanted
                },
            )

    def _take(self, rate: int, lo: int, hi: int, full: bool) -> np.ndarray:
        """Samples [lo, hi) of the file grid (zeros before the stream starts; cut where it ended unless
        `full`); drops every buffered sample before hi."""
        channels = self.channels.get(rate, 1)
        parts = self.parts[rate]
        joined = np.concatenate(parts, axis=-1) if parts else np.zeros((channels, 0), np.float32)
        first = self.first[rate]
        out = np.zeros((channels, max(0, hi - lo)), np.float32)
        src_lo, src_hi = max(lo, first), min(hi, first + joined.shape[-1])
        if src_hi > src_lo:
            out[:, src_lo - lo : src_hi - lo] = joined[:, src_lo - first : src_hi - first]
        if not full:  # the stream ended: only what was there
            out = out[:, : max(0, src_hi - lo)]
        rest = joined[:, max(0, hi - first) :]
        self.parts[rate] = [rest] if rest.shape[-1] else []
        self.first[rate] = max(hi, first)
        self.count[rate] = rest.shape[-1]
        return np.ascontiguousarray(out)
