"""One decode pass per file, fanned out to every visual analyser at the size and rate it asked for.

Decoding dominates analysis time on long footage, so a file's video is decoded exactly once. Each
analyser subscribes with a `VideoRequest` before the pass starts; a scaling thread beside the decoder
scales each frame once per distinct request that wants it (with the request's filter, from the full
picture or from a halving of it made once for all requests: `Pyramid`) and hands it to every
subscriber of that request through a bounded queue. Analysers run in their own threads and pull
frames at their own pace; a slow one holds the decoder back instead of letting frames pile up in
memory, and one that stops early (or fails) stops receiving.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import av
import av.error
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from engine.errors import BadInput
from engine.media.types import Frame, MediaInfo, VideoRequest
from engine.progress import Job

# When every analyser asks for frames at most a third of the picture's size, the in-loop deblocking
# filter's work is averaged away by the shrink: skipping it moves pixels by 0.3/255 at 1080p and saves
# a quarter of H.264's decode time (bench/analysis.py); codecs without the option ignore it. At smaller
# shrinks block edges would show (the sharpness of 240p footage rose by a fifth), so it is kept there.
SKIP_DEBLOCK_SHRINK = 3.0
FAST_DECODER_OPTIONS = {"skip_loop_filter": "all"}
QUEUE_FRAMES = 256  # per subscriber: ~1 MB at 48x27, ~30 MB at 320x180; keeps memory flat on long files
_PUT_POLL_S = 0.05
_END = object()


def _put(into: queue.Queue, item: object, stopped: Callable[[], bool], waiting: Callable[[], None]) -> bool:
    """Put `item` into a bounded queue unless `stopped()` first, calling `waiting()` each time it is
    full (a cancel check); whether it went in."""
    while not stopped():
        try:
            into.put(item, timeout=_PUT_POLL_S)
            return True
        except queue.Full:
            waiting()
    return False


def _nothing() -> None:
    pass


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def frame_size(request: VideoRequest, info: MediaInfo) -> tuple[int, int]:
    """Output (w, h) for `request` on this file's displayed picture (even sizes are not required)."""
    width, height = request.size
    if not request.keep_aspect or info.width <= 0 or info.height <= 0:
        return width, height
    scale = min(width / info.width, height / info.height, 1.0)
    return max(1, round(info.width * scale)), max(1, round(info.height * scale))


def decoder_options(info: MediaInfo, sizes: list[tuple[int, int]]) -> dict[str, str]:
    """FFmpeg decoder options for a pass delivering frames of these (w, h) sizes (as displayed, like `info`)."""
    if not sizes or info.width <= 0 or info.height <= 0:
        return {}
    shrink = min(min(info.width / w, info.height / h) for w, h in sizes)
    return dict(FAST_DECODER_OPTIONS) if shrink >= SKIP_DEBLOCK_SHRINK else {}


class FrameSampler:
    """Picks the decoded frames a request wants: all of them, or the first at or after each k/fps."""

    def __init__(self, fps: float | None):
        self.fps = fps
        self._next = 0.0

    def wants(self, time: float) -> bool:
        if self.fps is None:
            return True
        if time + 1e-6 < self._next:
            return False
        self._next = (math.floor(time * self.fps + 1e-6) + 1) / self.fps
        return True


@dataclass
class Subscription:
    """One analyser's view of the pass: an iterator over its frames, fed by the decoder thread."""

    request: VideoRequest
    frames_queue: queue.Queue = field(default_factory=lambda: queue.Queue(QUEUE_FRAMES))
    closed: threading.Event = field(default_factory=threading.Event)
    taken: bool = False

    def __iter__(self) -> Iterator[Frame]:
        if self.taken:
            raise RuntimeError("frames() may be read once per pass: the file is decoded only once")
        self.taken = True
        return self._drain()

    def _drain(self) -> Iterator[Frame]:
        try:
            while True:
                item = self.frames_queue.get()
                if item is _END:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """The analyser wants no more frames (finished, failed or stopped early)."""
        self.closed.set()


@dataclass
class PassStats:
    decoded_frames: int = 0
    delivered: dict[VideoRequest, int] = field(default_factory=dict)
    passes: int = 0


class VideoPass:
    """Decode `info.path` once and deliver frames to every subscription made before `run()`."""

    def __init__(self, info: MediaInfo, span: tuple[float, float] | None = None):
        """`span` (start, end) in seconds decodes only that time range (seeking to the keyframe before
        `start`); None decodes the whole file."""
        if not info.has_video:
            raise BadInput("no video stream to decode", info.path)
        self.info = info
        self.span = span
        self._subs: list[Subscription] = []
        self.stats = PassStats()
        self._started = False

    def subscribe(self, request: VideoRequest) -> Subscription:
        if self._started:
            raise RuntimeError("subscribe before the pass starts, or frames would be missed")
        sub = Subscription(request)
        self._subs.append(sub)
        return sub

    def run(self, job: Job) -> PassStats:
        """Decode in the calling thread until the end, an error (raised, and sent to subscribers) or cancel."""
        self._started = True
        self.stats.passes += 1
        try:
            self._decode(job)
        except BaseException as exc:
            self._send_all(_Failed(exc))
            raise
        self._send_all(_END)
        return self.stats

    # -- internals ---------------------------------------------------------------------------

    def _decode(self, job: Job) -> None:
        info = self.info
        requests = list(dict.fromkeys(s.request for s in self._subs))
        samplers = {r: FrameSampler(r.fps) for r in requests}
        quarter_turns = (info.rotation // 90) % 4
        scalers = {r: FrameScaler(r, frame_size(r, info), quarter_turns) for r in requests}
        try:
            container = av.open(info.path)
        except av.error.FFmpegError as exc:
            raise BadInput(f"cannot open for decoding ({exc})", info.path) from None
        with container, _ScalingThread(scalers, self._deliver, job) as scaling:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            stream.codec_context.options = decoder_options(info, [frame_size(r, info) for r in requests])
            time_base = stream.time_base
            if time_base is None:
                raise BadInput("the video stream has no time base", info.path)
            start = (container.start_time or 0) / av.time_base
            first, last = self.span or (0.0, math.inf)
            if self.span is not None and first > 0:
                container.seek(int((first + start) / time_base), stream=stream, backward=True)
            index = 0
            time = 0.0
            last_report = -1.0
            try:
                for frame in container.decode(stream):
                    if frame.pts is None:
                        continue
                    time = float(frame.pts * time_base) - start
                    if time < first - 1e-6:
                        continue  # from the keyframe before the range up to its start
                    if time >= last - 1e-6:
                        break
                    wanted = [r for r in requests if samplers[r].wants(time) and not self._all_closed(r)]
                    if wanted:
                        scaling.put(frame, index, time, wanted)
                    index += 1
                    self.stats.decoded_frames = index
                    if time - last_report >= 1.0:
                        last_report = time
                        job.report("decode", time / info.duration if info.duration else 0.0, f"{time:.0f} s")
                    else:
                        job.check()
                    if all(s.closed.is_set() for s in self._subs):
                        break
            except av.error.FFmpegError as exc:
                raise BadInput(f"video stops decoding at {time:.2f} s ({exc})", info.path) from None
        if index == 0:
            raise BadInput("the video stream produced no frames", info.path)

    def _all_closed(self, request: VideoRequest) -> bool:
        return all(s.closed.is_set() for s in self._subs if s.request == request)

    def _deliver(self, request: VideoRequest, item: Frame, job: Job) -> None:
        self.stats.delivered[request] = self.stats.delivered.get(request, 0) + 1
        for sub in self._subs:
            if sub.request != request:
                continue
            _put(sub.frames_queue, item, sub.closed.is_set, job.check)

    def _send_all(self, item: object) -> None:
        for sub in self._subs:
            _put(sub.frames_queue, item, sub.closed.is_set, _nothing)


# Decoded frames waiting for the scaling thread: the decoder works ahead by this many (~3 MB each at
# 1080p) while the last ones are scaled.
SCALING_QUEUE_FRAMES = 4


class _ScalingThread:
    """Scales and delivers the frames the decoding thread hands it, so that the two overlap.

    H.264's frame threads keep only a few frames in flight and stop while the thread that takes them
    is busy: scaling each frame in that same thread (~1 ms at 1080p) left a core idle for a third of
    the pass. Both swscale and the decoder run without the GIL. A failure here (a cancel seen while
    waiting on a slow analyser, say) is raised in the decoding thread at its next frame.
    """

    def __init__(
        self,
        scalers: dict[VideoRequest, FrameScaler],
        deliver: Callable[[VideoRequest, Frame, Job], None],
        job: Job,
    ):
        self._scalers = scalers
        self._deliver = deliver
        self._job = job
        self._frames: queue.Queue = queue.Queue(SCALING_QUEUE_FRAMES)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="video-scaling", daemon=True)

    def __enter__(self) -> _ScalingThread:
        self._thread.start()
        return self

    def __exit__(self, kind, error, trace) -> None:
        self._frames.put(_END)  # never full for long: the thread drains the queue even after a failure
        self._thread.join()
        if self._failure is not None and error is None:
            raise self._failure

    def put(self, frame: av.VideoFrame, index: int, time: float, requests: list[VideoRequest]) -> None:
        if not _put(
            self._frames, (frame, index, time, requests), lambda: self._failure is not None, _nothing
        ):
            raise self._failure  # type: ignore[misc]  # set: it is what stopped the put

    def _run(self) -> None:
        while True:
            item = self._frames.get()
            if item is _END:
                return
            if self._failure is not None:
                continue  # drain what the decoder handed before it saw the failure
            frame, index, time, requests = item
            try:
                pictures = Pyramid(frame)  # each halving made once for all the frame's requests
                for request in requests:
                    image = self._scalers[request](pictures)
                    self._deliver(request, Frame(index=index, time=time, image=image), self._job)
            except BaseException as exc:  # raised in the decoding thread
                self._failure = exc


# swscale's filter spans the whole footprint of a big shrink: BICUBIC from 1080p to 48x27 reads ~160
# source pixels per output pixel. Averaging down to 5-10x the target first and then applying the
# requested filter is cheaper, moves pixels by 0.2/255 on average and TransNetV2's cut probabilities
# by < 0.02 (same cuts).
PRESCALE_FROM = 8  # shrink factor (both axes) from which the picture is averaged down first
PRESCALE_TO = 5  # the intermediate size, in multiples of the target
# The averaging is halvings of each plane (OpenCV's 2x2 means), not swscale's AREA filter: swscale's
# AVX2 horizontal scaler gathers its source pixels (vpgatherdd), which this AMD EPYC runs slowly, and
# the halvings give the same 8x8 means for 0.45 of its CPU time (1080p films: 0.50 ms a frame against
# 1.18 for the 48x27 frames, pixels 0.48/255 apart on average). Each halving of a frame is made once
# and serves every request that averages (`Pyramid`): faces' AREA starts from the halving just above
# its box rather than from the full picture (1.6-1.8 CPU-ms a sample against 2.4-2.5 with that halving
# made for faces alone, less where the shots' frames made it already; boxes at IoU 0.99).
HALVED_FORMATS = frozenset({"yuv420p", "yuvj420p"})
# PyAV asks swscale for a thread per core by default. Our outputs are small (a 640 px box at most) and
# the decoder's own threads already fill the cores, so handing slices between threads costs more than
# it saves: one thread gives the same pixels, 54k fewer futex calls on 2 min of 1080p and 0.94x the
# wall time of `autoedit analyze` (issue 12).
SCALER_THREADS = 1
# The same holds for OpenCV's thread pool, which it would use for the halvings: 0.87 CPU-ms a 1080p
# frame on 2 threads against 0.67 on one (medians of 8 interleaved rounds). Set for the process: the
# other OpenCV calls of an analysis (quality's Laplacian on 320x180 grey) are too small to gain either.
OPENCV_THREADS = 1
cv2.setNumThreads(OPENCV_THREADS)


class Pyramid:
    """A decoded picture and its halvings (2x2 means of each plane, in the frame's own 8-bit 4:2:0
    layout), each made once, when a request first needs it; other layouts are never halved."""

    def __init__(self, frame: av.VideoFrame):
        self.source = frame
        self.halvable = frame.format.name in HALVED_FORMATS
        self._planes = [[plane_pixels(p) for p in frame.planes]] if self.halvable else []
        self._frames: dict[int, av.VideoFrame] = {0: frame}

    def at_least(self, width: int, height: int) -> av.VideoFrame:
        """The smallest halving that is still at least (width, height): the picture itself if none is."""
        if not self.halvable:
            return self.source
        level, size = 0, (self.source.width, self.source.height)
        while size[0] // 2 >= width and size[1] // 2 >= height:
            level, size = level + 1, (size[0] // 2, size[1] // 2)
            if level == len(self._planes):
                self._planes.append([_halve(plane) for plane in self._planes[-1]])
        if level not in self._frames:
            self._frames[level] = self._frame(level, size)
        return self._frames[level]

    def _frame(self, level: int, size: tuple[int, int]) -> av.VideoFrame:
        out = av.VideoFrame(size[0], size[1], self.source.format.name)
        for plane, target in zip(self._planes[level], out.planes, strict=True):
            into = plane_pixels(target)
            rows, cols = min(plane.shape[0], into.shape[0]), min(plane.shape[1], into.shape[1])
            into[:rows, :cols] = plane[:rows, :cols]
            into[rows:, :cols] = plane[rows - 1 : rows, :cols]  # an odd size's chroma is a pixel short
            into[:, cols:] = into[:, cols - 1 : cols]
        out.colorspace = self.source.colorspace
        out.color_range = self.source.color_range
        return out


def plane_pixels(plane: av.video.plane.VideoPlane) -> np.ndarray:
    """A plane's pixels in place (rows of `line_size` bytes, of which `width` are the picture's)."""
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


def _halve(plane: np.ndarray) -> np.ndarray:
    # at exactly half the size, linear interpolation at the pixel centres is the mean of each 2x2 block
    # (an odd last row or column is left out: a pixel's width of the picture)
    rows, cols = plane.shape[0] // 2, plane.shape[1] // 2
    return cv2.resize(plane[: 2 * rows, : 2 * cols], (cols, rows), interpolation=cv2.INTER_LINEAR)


class FrameScaler:
    """Scales decoded frames for one request, keeping swscale's contexts between frames.

    A fresh context per frame (what `VideoFrame.reformat` does) costs more than the scaling itself at
    1080p: 1.2-1.8 ms a frame here, against 0.1-0.6 ms with the contexts kept (bench/analysis.py).
    """

    def __init__(
        self, request: VideoRequest, size: tuple[int, int], quarter_turns: int = 0, halve: bool = True
    ):
        """`halve` False scales from the full picture, averaged down by swscale's AREA filter where
        the shrink is big, as before halvings were made."""
        width, height = size
        if quarter_turns % 2:  # scale the stored picture to the rotated box, then turn it upright
            width, height = height, width
        self.request = request
        self.size = (width, height)
        self.quarter_turns = quarter_turns
        self.halve = halve
        self._prescale = VideoReformatter()
        self._scale = VideoReformatter()

    def __call__(self, picture: av.VideoFrame | Pyramid) -> np.ndarray:
        pictures = picture if isinstance(picture, Pyramid) else Pyramid(picture)
        frame = pictures.source
        width, height = self.size
        big_shrink = frame.width >= PRESCALE_FROM * width and frame.height >= PRESCALE_FROM * height
        # the halvings are means, as swscale's AREA is: they serve what it would (requests for AREA,
        # and the averaging before a big shrink), not the other filters' own footprints
        averaged = big_shrink or self.request.interpolation == "AREA"
        if self.halve and pictures.halvable and averaged:
            frame = pictures.at_least(
                *((PRESCALE_TO * width, PRESCALE_TO * height) if big_shrink else self.size)
            )
        elif big_shrink:
            frame = self._prescale.reformat(
                frame,
                width=PRESCALE_TO * width,
                height=PRESCALE_TO * height,
                interpolation="AREA",
                threads=SCALER_THREADS,
            )
        image: np.ndarray = self._scale.reformat(
            frame,
            width=width,
            height=height,
            format=self.request.pixel_format,
            interpolation=self.request.interpolation,
            threads=SCALER_THREADS,
        ).to_ndarray()
        if self.quarter_turns:
            image = np.ascontiguousarray(np.rot90(image, k=-self.quarter_turns))
        return image
