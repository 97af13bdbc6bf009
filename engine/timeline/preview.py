"""Something to look at: a small preview render of a timeline (PyAV) and a contact sheet (one frame per clip).

The preview applies what the timeline says: each clip's source range and reframing crop, the dialog
track, and the music with its ducking keyframes. It is for judging an edit, not for delivery.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

import av
import numpy as np
import opentimelineio as otio
from PIL import Image, ImageDraw, ImageFont

from engine.effects.otio import effects_of
from engine.effects.render import ClipRenderer, audio_for_clip, renderer_for
from engine.errors import BadInput
from engine.progress import Job

AUDIO_RATE = 48000
PREVIEW_HEIGHT = 240
RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5)}


@dataclass
class Preview:
    video: Path
    contact_sheet: Path
    frames: int
    duration_s: float


def path_of(clip: otio.schema.Clip) -> str:
    url = clip.media_reference.target_url
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else url


def _file_seconds(clip: otio.schema.Clip) -> tuple[float, float]:
    """Source range in seconds from the file's start (the reference's start timecode taken off)."""
    sr = clip.source_range
    avail = clip.media_reference.available_range
    origin = avail.start_time.to_seconds() if avail is not None else 0.0
    return sr.start_time.to_seconds() - origin, sr.end_time_exclusive().to_seconds() - origin


def _size(aspect: str) -> tuple[int, int]:
    w, h = RATIOS.get(aspect, (16, 9))
    height = PREVIEW_HEIGHT
    width = int(round(height * w / h / 2)) * 2
    return width, height


def _crop_resize(image: np.ndarray, crop: list[float] | None, size: tuple[int, int]) -> np.ndarray:
    h, w = image.shape[:2]
    if crop:
        x, y, cw, ch = crop
        x0, y0 = int(round(x * w)), int(round(y * h))
        x1, y1 = max(x0 + 2, int(round((x + cw) * w))), max(y0 + 2, int(round((y + ch) * h)))
        image = image[y0:y1, x0:x1]
    else:  # centre crop to the output aspect
        want = size[0] / size[1]
        if w / h > want:
            nw = int(h * want)
            image = image[:, (w - nw) // 2 : (w - nw) // 2 + nw]
        else:
            nh = int(w / want)
            image = image[(h - nh) // 2 : (h - nh) // 2 + nh]
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))


def _frames_between(path: str, start: float, end: float) -> Iterator[tuple[float, np.ndarray]]:
    with av.open(path) as container:
        if not container.streams.video:
            return
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = stream.time_base or Fraction(1, 90000)
        base = float(stream.start_time * tb) if stream.start_time is not None else 0.0
        container.seek(int(max(0.0, start - 1.0 + base) / tb), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            t = float(frame.pts * tb) - base
            if t < start - 1.0 / 10:
                yield t, frame.to_ndarray(format="rgb24")
                continue
            yield t, frame.to_ndarray(format="rgb24")
            if t >= end:
                return


@functools.lru_cache(maxsize=8)
def _audio(path: str) -> np.ndarray:
    from engine.media.audio import decode_audio

    return decode_audio(path, [AUDIO_RATE]).get(AUDIO_RATE, np.zeros(0, np.float32))


def _slice(samples: np.ndarray, start: float, n: int) -> np.ndarray:
    a = int(round(start * AUDIO_RATE))
    out = np.zeros(n, np.float32)
    if a < len(samples):
        seg = samples[max(a, 0) : a + n]
        out[max(0, -a) : max(0, -a) + len(seg)] = seg[: n - max(0, -a)]
    return out


def _gain(keys: list[list[float]], n: int) -> np.ndarray:
    if not keys:
        return np.ones(n, np.float32)
    t = np.arange(n) / AUDIO_RATE
    db = np.interp(t, [k[0] for k in keys], [k[1] for k in keys])
    return (10.0 ** (db / 20.0)).astype(np.float32)


def fade_gain(fade: dict[str, float], n: int) -> np.ndarray:
    """A clip's `audio_fade` ({"in_s", "out_s"}, raised-cosine ramps) as gains over its n samples."""
    gain = np.ones(n, np.float32)
    for key, at_start in (("in_s", True), ("out_s", False)):
        m = min(n, int(round(float(fade.get(key, 0.0)) * AUDIO_RATE)))
        if m <= 0:
            continue
        ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(m) + 0.5) / m)).astype(np.float32)
        if at_start:
            gain[:m] *= ramp
        else:
            gain[n - m :] *= ramp[::-1]
    return gain


def join_steps(mix: np.ndarray, joins_s: Sequence[float]) -> list[float]:
    """The click at each join: the largest sample-to-sample step within a millisecond of it."""
    out = []
    for t in joins_s:
        at = int(round(t * AUDIO_RATE))
        lo, hi = max(1, at - AUDIO_RATE // 1000), min(len(mix), at + AUDIO_RATE // 1000 + 1)
        out.append(float(np.abs(np.diff(mix[lo - 1 : hi])).max()) if hi > lo else 0.0)
    return out


def _tracks(timeline: otio.schema.Timeline, kind: str) -> list[otio.schema.Track]:
    return [t for t in timeline.tracks if t.kind == kind]


def mix_audio(timeline: otio.schema.Timeline, length_s: float) -> np.ndarray:
    """Dialog plus ducked music, mono float32 at 48 kHz."""
    n = int(round(length_s * AUDIO_RATE))
    mix = np.zeros(n, np.float32)
    for track in _tracks(timeline, otio.schema.TrackKind.Audio):
        for clip in track.find_clips():
            rng = clip.range_in_parent()
            at = int(round(rng.start_time.to_seconds() * AUDIO_RATE))
            count = min(n - at, int(round(rng.duration.to_seconds() * AUDIO_RATE)))
            if count <= 0:
                continue
            src_start, _ = _file_seconds(clip)
            effects = effects_of(clip)
            audio = _audio(path_of(clip))
            samples = (
                audio_for_clip(effects, functools.partial(_slice, audio), src_start, count, AUDIO_RATE)
                if effects
                else _slice(audio, src_start, count)
            )
            fade = (clip.metadata.get("autoedit") or {}).get("audio_fade")
            if fade:
                samples = samples * fade_gain(fade, count)
            duck = (clip.metadata.get("autoedit") or {}).get("ducking")
            if duck:
                gain = _gain(duck["keyframes"], n)[at : at + count]
                samples = samples * gain
            mix[at : at + count] += samples
    peak = float(np.abs(mix).max()) if n else 0.0
    if peak > 0.99:
        mix *= 0.99 / peak
    return mix


def clip_effects(
    clip: otio.schema.Clip, size: tuple[int, int], crop: list[float] | None, previous: np.ndarray | None
) -> tuple[ClipRenderer | None, Callable[[], None]]:
    """The clip's effects as a renderer (None when it has none) and the function that stops it."""
    effects = effects_of(clip)
    if not effects:
        return None, lambda: None
    box = (crop[0], crop[1], crop[2], crop[3]) if crop else None
    return renderer_for(effects, clip.source_range.duration.to_seconds(), size, box, previous)


def render_preview(timeline: otio.schema.Timeline, out: Path, job: Job | None = None) -> Preview:
    job = job or Job()
    meta = timeline.metadata.get("autoedit") or {}
    aspect = (meta.get("spec") or {}).get("aspect", "16:9")
    num, den = meta.get("rate") or [25, 1]
    rate = Fraction(int(num), int(den))
    size = _size(aspect)
    video_tracks = _tracks(timeline, otio.schema.TrackKind.Video)
    if not video_tracks:
        raise BadInput("the timeline has no video track to preview")
    clips = list(video_tracks[0].find_clips())
    length_s = float(video_tracks[0].duration().to_seconds())
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet_frames: list[tuple[np.ndarray, str]] = []
    total_frames = 0
    with av.open(str(out), "w") as container:
        vstream = container.add_stream("libx264", rate=rate)
        vstream.width, vstream.height = size
        vstream.pix_fmt = "yuv420p"
        vstream.options = {"preset": "veryfast", "crf": "28"}
        astream = container.add_stream("aac", rate=AUDIO_RATE)
        astream.layout = "mono"
        shown: np.ndarray | None = None  # the last picture written (a crossfade starts from it)
        for k, clip in enumerate(clips):
            job.report("preview", k / max(1, len(clips)), f"clip {k + 1}/{len(clips)}")
            info = clip.metadata.get("autoedit") or {}
            crop = (info.get("reframe") or {}).get("crop")
            start, end = _file_seconds(clip)
            rng = clip.range_in_parent()
            first = int(round(rng.start_time.to_seconds() * rate))
            last = int(round(rng.end_time_exclusive().to_seconds() * rate))
            fx, stop_fx = clip_effects(clip, size, crop, shown)
            end = start + fx.source_offset(end - start) if fx else end
            offset = fx.source_offset if fx else float
            wanted = [start + offset((i - first) / float(rate)) for i in range(first, last)]
            held: np.ndarray | None = None
            frames = _frames_between(path_of(clip), start, end)
            pending = next(frames, None)
            middle = wanted[len(wanted) // 2] if wanted else start
            for j, t in enumerate(wanted):
                while pending is not None and pending[0] <= t + 1e-6:
                    held = pending[1]
                    pending = next(frames, None)
                if held is None:
                    held = pending[1] if pending is not None else np.zeros((size[1], size[0], 3), np.uint8)
                picture = fx.render(held, j / float(rate)) if fx else _crop_resize(held, crop, size)
                if abs(t - middle) < 0.5 / float(rate) and len(sheet_frames) == k:
                    sheet_frames.append((picture, info.get("reason", "")))
                frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
                frame.pts = total_frames
                frame.time_base = Fraction(1) / rate
                for packet in vstream.encode(frame):
                    container.mux(packet)
                total_frames += 1
                shown = picture
            if len(sheet_frames) == k:
                sheet_frames.append((np.zeros((size[1], size[0], 3), np.uint8), info.get("reason", "")))
            stop_fx()
        for packet in vstream.encode():
            container.mux(packet)
        audio = mix_audio(timeline, length_s)
        step = 1024
        for i in range(0, len(audio), step):
            chunk = audio[i : i + step]
            sound = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
            sound.sample_rate = AUDIO_RATE
            sound.pts = i
            for packet in astream.encode(sound):
                container.mux(packet)
        for packet in astream.encode():
            container.mux(packet)
    sheet = write_contact_sheet(sheet_frames, out.with_suffix(".png"))
    job.report("preview", 1.0, f"wrote {out.name}")
    return Preview(out, sheet, total_frames, length_s)


def write_contact_sheet(frames: list[tuple[np.ndarray, str]], out: Path, columns: int = 4) -> Path:
    """One tile per clip: its middle frame and the reason it was chosen."""
    if not frames:
        raise BadInput("no clips to put on a contact sheet")
    tile_w = 240
    h0, w0 = frames[0][0].shape[:2]
    tile_h = int(tile_w * h0 / w0)
    text_h = 64
    cols = min(columns, len(frames))
    rows = (len(frames) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * tile_w, rows * (tile_h + text_h)), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, (image, reason) in enumerate(frames):
        x, y = (i % cols) * tile_w, (i // cols) * (tile_h + text_h)
        sheet.paste(Image.fromarray(image).resize((tile_w, tile_h)), (x, y))
        lines = textwrap.wrap(f"{i + 1}. {reason}", width=38)[:4]
        draw.multiline_text(
            (x + 4, y + tile_h + 3), "\n".join(lines), fill=(235, 235, 235), font=font, spacing=2
        )
    sheet.save(out)
    return out
