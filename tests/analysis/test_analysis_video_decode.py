"""The one decode pass: every request served from a single decode, at its own size and rate."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from engine.analysis.base import VideoRequest
from engine.errors import BadInput, Cancelled
from engine.media.probe import probe
from engine.media.video import FrameSampler, VideoPass
from engine.progress import Job

REPO = Path(__file__).resolve().parents[2]
CUTS = REPO / ".." / "shared" / "media" / "video_cuts"


def _consume(subscription, out: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: out.extend(subscription))
    thread.start()
    return thread


def test_one_pass_feeds_every_request_at_its_size_and_rate(synthetic):
    clip = synthetic["cuts_23976"]
    info = probe(clip.path)
    every = VideoRequest(size=(48, 27))
    sampled = VideoRequest(size=(320, 320), fps=2.0, keep_aspect=True)
    grey = VideoRequest(size=(64, 36), fps=4.0, pixel_format="gray")
    decode = VideoPass(info)
    got: dict[VideoRequest, list] = {every: [], sampled: [], grey: []}
    subs = [decode.subscribe(r) for r in got]
    threads = [_consume(s, got[s.request]) for s in subs]
    stats = decode.run(Job())
    for t in threads:
        t.join()
    assert stats.passes == 1
    assert stats.decoded_frames == clip.truth.frame_count
    assert len(got[every]) == clip.truth.frame_count
    assert got[every][0].image.shape == (27, 48, 3)
    # exact presentation times, from each frame's pts
    assert [f.time for f in got[every]] == pytest.approx([float(t) for t in clip.truth.frame_times], abs=1e-6)
    # 2 samples a second, each the first frame at or after k/2 s, aspect kept inside 320x320
    expected = int(np.floor(clip.truth.duration * 2 - 1e-9)) + 1
    assert len(got[sampled]) == expected
    assert got[sampled][0].image.shape == (info.height, info.width, 3)  # small clips are never upscaled
    for k, frame in enumerate(got[sampled]):
        assert k / 2 <= frame.time + 1e-6 < k / 2 + 1 / float(info.rate) + 1e-6
    assert got[grey][0].image.shape == (36, 64)


def test_frames_come_upright_for_rotated_footage():
    info = probe(CUTS / "pyscenedetect_issue-134-rotate.mp4")
    decode = VideoPass(info)
    box = VideoRequest(size=(256, 256), fps=1.0, keep_aspect=True)
    squeezed = VideoRequest(size=(48, 27), fps=1.0)
    frames: dict[VideoRequest, list] = {box: [], squeezed: []}
    threads = [_consume(decode.subscribe(r), frames[r]) for r in frames]
    decode.run(Job())
    for t in threads:
        t.join()
    assert frames[box][0].image.shape == (256, round(256 * 544 / 1280), 3)  # portrait, as played
    assert frames[squeezed][0].image.shape == (27, 48, 3)  # squeezed requests get exactly their size


def test_vfr_frame_times_are_the_real_ones(synthetic):
    clip = synthetic["vfr"]
    decode = VideoPass(probe(clip.path))
    frames: list = []
    thread = _consume(decode.subscribe(VideoRequest(size=(32, 18))), frames)
    decode.run(Job())
    thread.join()
    assert [f.time for f in frames] == pytest.approx([float(t) for t in clip.truth.frame_times], abs=1e-6)


def _reading(subscription, error: type[BaseException]) -> tuple[threading.Thread, list, list]:
    """A reader thread taking every frame, then the error the pass sends it (or none)."""
    seen: list = []
    errors: list = []

    def reader() -> None:
        try:
            seen.extend(subscription)
        except error as exc:
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    return thread, seen, errors


def test_subscriber_that_stops_early_does_not_stall_the_pass(synthetic):
    clip = synthetic["cuts_25"]
    decode = VideoPass(probe(clip.path))
    early = decode.subscribe(VideoRequest(size=(16, 9)))
    full = decode.subscribe(VideoRequest(size=(32, 18)))
    first: list = []
    rest: list = []

    def take_one() -> None:
        for frame in early:
            first.append(frame)
            break  # the generator closes -> the subscription closes

    threads = [threading.Thread(target=take_one), _consume(full, rest)]
    threads[0].start()
    decode.run(Job())
    for t in threads:
        t.join()
    assert len(first) == 1
    assert len(rest) == clip.truth.frame_count


def test_cancel_stops_the_pass_and_releases_subscribers(synthetic):
    clip = synthetic["cuts_2997"]
    decode = VideoPass(probe(clip.path))
    thread, seen, errors = _reading(decode.subscribe(VideoRequest(size=(16, 9))), Cancelled)
    job = Job()
    job.cancel()
    with pytest.raises(Cancelled):
        decode.run(job)
    thread.join()
    assert errors and len(seen) < clip.truth.frame_count


def test_a_frame_that_fails_to_scale_fails_the_pass_and_its_readers_and_leaves_no_threads(
    synthetic, monkeypatch
):
    from engine.media import video

    clip = synthetic["cuts_25"]
    scale = video.FrameScaler.__call__
    calls = []

    def fails_on_the_tenth(self, frame):
        calls.append(frame)
        if len(calls) == 10:
            raise MemoryError("no room for the picture")
        return scale(self, frame)

    monkeypatch.setattr(video.FrameScaler, "__call__", fails_on_the_tenth)
    before = threading.active_count()
    decode = VideoPass(probe(clip.path))
    thread, seen, errors = _reading(decode.subscribe(VideoRequest(size=(16, 9))), MemoryError)
    with pytest.raises(MemoryError, match="no room"):
        decode.run(Job())
    thread.join()
    assert len(seen) == 9 and errors  # the frames before it arrived, in order; then the error
    assert [f.index for f in seen] == list(range(9))
    assert threading.active_count() == before  # the scaling thread is gone too


def test_frames_can_be_read_only_once(synthetic):
    decode = VideoPass(probe(synthetic["cuts_25"].path))
    sub = decode.subscribe(VideoRequest(size=(16, 9)))
    iter(sub)
    with pytest.raises(RuntimeError, match="once"):
        iter(sub)


def test_audio_only_file_has_no_video_pass():
    with pytest.raises(BadInput, match="no video stream"):
        VideoPass(probe(REPO / ".." / "shared" / "media" / "music" / "madmom_sample.wav"))


@pytest.mark.parametrize(
    ("fps", "times", "picked"),
    [
        (2.0, [0.0, 0.2, 0.4, 0.5, 0.9, 1.2, 1.3, 1.6], [0.0, 0.5, 1.2, 1.6]),
        (None, [0.0, 0.1], [0.0, 0.1]),
        (1.0, [0.04, 1.0 - 1e-9, 2.5, 2.6, 3.1], [0.04, 1.0 - 1e-9, 2.5, 3.1]),
    ],
)
def test_sampler_takes_first_frame_at_or_after_each_tick(fps, times, picked):
    sampler = FrameSampler(fps)
    assert [t for t in times if sampler.wants(t)] == picked


def test_rate_is_fraction_exact(synthetic):
    assert probe(synthetic["cuts_2997"].path).rate == Fraction(30000, 1001)


def _info(width: int, height: int):
    from engine.media.types import MediaInfo

    return MediaInfo("x.mp4", "0", 1.0, Fraction(25), width, height, True, False)


def test_deblocking_is_skipped_only_where_every_request_shrinks_the_picture_threefold():
    from engine.media.video import FAST_DECODER_OPTIONS, decoder_options

    analysers = [(48, 27), (640, 360), (320, 180)]  # shots, faces, quality at 16:9
    assert decoder_options(_info(1920, 1080), analysers) == FAST_DECODER_OPTIONS
    assert decoder_options(_info(3840, 2160), analysers) == FAST_DECODER_OPTIONS
    assert decoder_options(_info(1280, 720), analysers) == {}  # faces at half size: block edges would show
    assert decoder_options(_info(426, 240), [(48, 27), (320, 180)]) == {}
    assert decoder_options(_info(1920, 1080), []) == {}


def test_frames_decoded_without_deblocking_match_deblocked_ones_at_the_analysers_sizes(tmp_path):
    import av

    from engine.media.video import FrameScaler
    from engine.synthetic import write_media

    rng = np.random.default_rng(3)
    small = rng.integers(0, 256, (27, 48, 3), dtype=np.uint8)
    pictures = [np.kron(np.roll(small, i, axis=1), np.ones((40, 40, 1), np.uint8)) for i in range(12)]
    clip = tmp_path / "hd.mp4"
    write_media(clip, pictures, Fraction(25), size=(1920, 1080))
    info = probe(clip)
    request = VideoRequest(size=(48, 27))
    decode = VideoPass(info)
    got: list = []
    thread = _consume(decode.subscribe(request), got)
    decode.run(Job())
    thread.join()
    scale = FrameScaler(request, request.size)
    with av.open(str(clip)) as container:  # the reference: every filter on
        reference = [scale(frame) for frame in container.decode(video=0)]
    assert len(got) == len(reference) == 12
    for frame, ref in zip(got, reference, strict=True):
        assert float(np.abs(frame.image.astype(int) - ref.astype(int)).mean()) < 1.0


def test_the_scaler_on_one_thread_gives_the_pixels_of_swscale_on_a_thread_per_core(tmp_path, monkeypatch):
    import av

    from engine.media import video
    from engine.synthetic import write_media

    rng = np.random.default_rng(5)
    pictures = [rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8) for _ in range(3)]
    clip = tmp_path / "hd.mp4"
    write_media(clip, pictures, Fraction(25), size=(1920, 1080))
    requests = [  # shots (averaged down first), faces (averaged), quality (bicubic, direct)
        VideoRequest(size=(48, 27)),
        VideoRequest(size=(640, 640), fps=2.0, interpolation="AREA", keep_aspect=True),
        VideoRequest(size=(320, 320), keep_aspect=True),
    ]
    info = probe(clip)

    def scaled(threads: int) -> list[np.ndarray]:
        monkeypatch.setattr(video, "SCALER_THREADS", threads)
        scalers = [video.FrameScaler(r, video.frame_size(r, info)) for r in requests]
        with av.open(str(clip)) as container:
            return [scale(frame) for frame in container.decode(video=0) for scale in scalers]

    assert video.SCALER_THREADS == 1
    one, per_core = scaled(1), scaled(0)
    assert len(one) == len(per_core) == 3 * len(requests)
    for a, b in zip(one, per_core, strict=True):
        assert a.shape == b.shape and np.array_equal(a, b)


@pytest.mark.parametrize("size", [(1920, 1080), (1279, 719), (3840, 2160)])
def test_halvings_give_each_planes_block_means_and_the_pixels_of_swscales_averaging(size):
    """The 2x2 halvings that average a big picture down before an analyser's own filter stand in for
    swscale's AREA filter: each plane's exact block means within rounding (odd sizes too), in the
    frame's own layout, made once per frame, and 48x27 frames within rounding of swscale's."""
    import av

    from engine.media.video import PRESCALE_TO, FrameScaler, Pyramid, plane_pixels

    width, height = size
    rng = np.random.default_rng(11)
    x, y = np.meshgrid(np.linspace(0, 6, width), np.linspace(0, 4, height))
    smooth = (np.stack([np.sin(x), np.cos(y), np.sin(x + y)], axis=-1) + 1) * 100
    noisy = np.clip(smooth + rng.normal(0, 20, smooth.shape), 0, 255).astype(np.uint8)
    frame = av.VideoFrame.from_ndarray(noisy, format="rgb24").reformat(format="yuv420p")
    target = (PRESCALE_TO * 48, PRESCALE_TO * 27)

    pictures = Pyramid(frame)
    halved = pictures.at_least(*target)
    assert halved.format.name == "yuv420p"
    assert target[0] <= halved.width < 2 * target[0] and target[1] <= halved.height < 2 * target[1]
    block = width // halved.width  # a power of two
    for source, ours in zip(frame.planes, halved.planes, strict=True):
        got = plane_pixels(ours).astype(float)
        rows, cols = plane_pixels(source).shape[0] // block, plane_pixels(source).shape[1] // block
        means = plane_pixels(source)[: rows * block, : cols * block].reshape(rows, block, cols, block)
        difference = np.abs(got[:rows, :cols] - means.mean(axis=(1, 3)))
        assert float(difference.mean()) < 0.6 and float(difference.max()) <= 1.5
        assert np.array_equal(got[rows:, :cols], np.repeat(got[rows - 1 : rows, :cols], len(got) - rows, 0))

    assert pictures.at_least(*target) is halved  # made once, for every request of the frame
    assert pictures.at_least(2 * width, 2 * height) is frame  # never scaled up

    request = VideoRequest(size=(48, 27))
    fast, reference = FrameScaler(request, request.size), FrameScaler(request, request.size, halve=False)
    difference = np.abs(fast(pictures).astype(int) - reference(frame).astype(int))
    # RGB amplifies the chroma's rounding: measured 0.7-1.5 here, 0.48 on 1080p films
    assert difference.shape == (27, 48, 3) and float(difference.mean()) < 2.0
