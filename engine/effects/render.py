"""The effects as numpy frame functions: what `--preview` shows, and the reference the host mappings are
tested against (Blender's render of the same timeline matches these within a small tolerance).

Pictures are HxWx3 uint8 RGB in display (sRGB) space, as decoded; effects work in float32 0..1 and
round once. Geometry effects (punch-in, Ken Burns) do not touch pixels: they narrow the *view box*, the
part of the source frame (fractions, y down) that fills the output, the same box a host turns into a
strip transform. Time effects map record time on the clip to source time.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from bridge import effect_geometry
from engine.effects.library import Effect

Box = effect_geometry.Box
REFERENCE_HEIGHT = 240.0  # pixel parameters (blur radius, mosaic cell) are given at this height


def _float(frame: np.ndarray) -> np.ndarray:
    return frame.astype(np.float32) / 255.0


def _bytes(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


# ------------------------------------------------------------------------------------------- pixels


def grade(
    x: np.ndarray, exposure: float, contrast: float, saturation: float, temperature: float
) -> np.ndarray:
    """Saturation about the HSV value, then exposure, contrast about mid grey, warm/cool gains: the
    order and the formulas a host's strip colour controls apply (Blender: saturation, multiply, a
    curve, colour balance gains)."""
    x = saturate(x, saturation)
    x = np.clip(x * (2.0**exposure), 0.0, 1.0)
    x = np.clip((x - 0.5) * contrast + 0.5, 0.0, 1.0)
    if temperature:
        x = x * np.array(effect_geometry.temperature_gain(temperature), np.float32)
    return np.clip(x, 0.0, 1.0)


def saturate(x: np.ndarray, factor: float) -> np.ndarray:
    """Scale HSV saturation with hue and value kept: each channel moves towards or away from the
    pixel's maximum (what Blender's strip saturation and its HSV colour maths do)."""
    value = x.max(axis=-1, keepdims=True)
    return np.clip(value + (x - value) * factor, 0.0, 1.0)


def black_and_white(x: np.ndarray, strength: float) -> np.ndarray:
    """Grey at the HSV value (saturation to 0), so the hosts' saturation control shows the same."""
    return saturate(x, 1.0 - strength)


@functools.lru_cache(maxsize=16)
def vignette_gain(height: int, width: int, amount: float, radius: float, softness: float) -> np.ndarray:
    """HxW gain: 1 in the middle, 1 - amount at the corners (cached: one per output size)."""
    return np.asarray(effect_geometry.vignette_gain(height, width, amount, radius, softness))


def vignette(x: np.ndarray, amount: float, radius: float, softness: float) -> np.ndarray:
    return x * vignette_gain(x.shape[0], x.shape[1], amount, radius, softness)[..., None]


def _pixel_box(box: Box, grow: float, width: int, height: int) -> tuple[int, int, int, int] | None:
    x, y, w, h = box
    x, y, w, h = x - w * grow / 2, y - h * grow / 2, w * (1 + grow), h * (1 + grow)
    x0, y0 = max(0, int(math.floor(x * width))), max(0, int(math.floor(y * height)))
    x1, y1 = min(width, int(math.ceil((x + w) * width))), min(height, int(math.ceil((y + h) * height)))
    return (x0, y0, x1, y1) if x1 - x0 >= 2 and y1 - y0 >= 2 else None


def region(frame: np.ndarray, boxes: Sequence[Box], how: str, size: float, grow: float) -> np.ndarray:
    """Blur ("blur") or pixelate ("pixelate") each box of the uint8 frame."""
    out = frame.copy()
    height, width = frame.shape[:2]
    scale = height / REFERENCE_HEIGHT
    for box in boxes:
        px = _pixel_box(box, grow, width, height)
        if px is None:
            continue
        x0, y0, x1, y1 = px
        patch = Image.fromarray(frame[y0:y1, x0:x1])
        if how == "blur":
            patch = patch.filter(ImageFilter.GaussianBlur(radius=size * scale))
        else:
            cell = max(1, int(round(size * scale)))
            small = patch.resize((max(1, (x1 - x0) // cell), max(1, (y1 - y0) // cell)), Image.Resampling.BOX)
            patch = small.resize((x1 - x0, y1 - y0), Image.Resampling.NEAREST)
        out[y0:y1, x0:x1] = np.asarray(patch)
    return out


def track_at(track: Sequence[Sequence[float]], t: float) -> list[Box]:
    """Boxes of a region track [[t, x, y, w, h, id], ...] at clip time t: each id's nearest samples,
    linearly interpolated (held before the first and after the last)."""
    by_id: dict[int, list[Sequence[float]]] = {}
    for row in track:
        by_id.setdefault(int(row[5]) if len(row) > 5 else 0, []).append(row)
    boxes: list[Box] = []
    for rows in by_id.values():
        rows = sorted(rows, key=lambda r: r[0])
        times = [r[0] for r in rows]
        values = np.array([r[1:5] for r in rows], np.float64)
        interp = [float(np.interp(t, times, values[:, k])) for k in range(4)]
        boxes.append((interp[0], interp[1], interp[2], interp[3]))
    return boxes


def box_in_view(box: Box, view: Box) -> Box:
    """A box in source fractions, in fractions of the view (what fills the output)."""
    vx, vy, vw, vh = view
    return ((box[0] - vx) / vw, (box[1] - vy) / vh, box[2] / vw, box[3] / vh)


# ------------------------------------------------------------------------------------------ geometry


fill_box = effect_geometry.fill_box
zoom_box = effect_geometry.zoom_box


def view_box(effects: Sequence[Effect], base: Box, t: float, duration: float) -> Box:
    """The view box at clip time t after the frame effects, in order."""
    return effect_geometry.view_box([e.to_dict() for e in effects], base, t, duration)


def crop_to(frame: np.ndarray, box: Box, size: tuple[int, int]) -> np.ndarray:
    """The box of the frame resized to `size` (w, h), sub-pixel exact (PIL bilinear with a float box)."""
    h, w = frame.shape[:2]
    x, y, bw, bh = box
    src = (x * w, y * h, (x + bw) * w, (y + bh) * h)
    return np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BILINEAR, box=src))


# ---------------------------------------------------------------------------------------------- time


def source_offset(effects: Sequence[Effect], t: float, duration: float) -> float:
    """Seconds of media consumed by clip time t (speed and ramp integrate; pitch-kept audio follows)."""
    return effect_geometry.source_offset([e.to_dict() for e in effects], t, duration)


def media_used(effects: Sequence[Effect], duration: float) -> float:
    return source_offset(effects, duration, duration)


def fade_gain(effects: Sequence[Effect], t: float, duration: float) -> float:
    gain = 1.0
    for e in effects:
        if e.kind == "fade":
            if e.params["in_s"] > 0:
                gain = min(gain, t / e.params["in_s"])
            if e.params["out_s"] > 0:
                gain = min(gain, (duration - t) / e.params["out_s"])
    return min(max(gain, 0.0), 1.0)


# ------------------------------------------------------------------------------------------ one clip


CodeRunner = Callable[[np.ndarray, float, dict[str, Any]], np.ndarray | None]


@dataclass
class ClipRenderer:
    """Everything one clip's effects do to its frames, for the preview (and the tests)."""

    effects: list[Effect]
    duration: float  # the clip's record length, seconds
    size: tuple[int, int]  # output (w, h)
    base_crop: Box | None = None  # the reframe crop (source fractions), else the centred fill
    previous: np.ndarray | None = None  # the previous clip's last output frame, for a crossfade
    code: dict[int, CodeRunner] = field(default_factory=dict)  # effect index -> sandboxed runner
    notes: list[str] = field(default_factory=list)

    def view(self, source_size: tuple[int, int], t: float) -> Box:
        base = self.base_crop or fill_box(source_size, self.size)
        return view_box(self.effects, base, t, self.duration)

    def render(self, source: np.ndarray, t: float) -> np.ndarray:
        """The output picture at clip time t from the source frame shown then."""
        view = self.view((source.shape[1], source.shape[0]), t)
        frame = crop_to(source, view, self.size)
        x: np.ndarray | None = None
        for k, e in enumerate(self.effects):
            if e.kind in ("blur_region", "pixelate_region"):
                if x is not None:
                    frame, x = _bytes(x), None
                boxes = [
                    box_in_view(b, view) for b in track_at(e.data.get("track") or [], self.source_offset(t))
                ]
                how, size = (
                    ("blur", e.params["strength"])
                    if e.kind == "blur_region"
                    else ("pixelate", e.params["block"])
                )
                frame = region(frame, boxes, how, size, e.params["grow"])
            elif e.kind == "code":
                runner = self.code.get(k)
                if runner is None:
                    continue
                if x is not None:
                    frame, x = _bytes(x), None
                faces = track_at(e.data.get("track") or [], self.source_offset(t))
                info = {"duration": self.duration, "width": self.size[0], "height": self.size[1],
                        "faces": [list(box_in_view(b, view)) for b in faces]}  # fmt: skip
                got = runner(frame, t, info)
                if got is None:  # failed or refused: the runner said why; the edit goes on without it
                    self.code.pop(k, None)
                else:
                    frame = got
            elif e.kind in ("grade", "black_and_white", "vignette"):
                x = _float(frame) if x is None else x
                x = PIXEL_FUNCTIONS[e.kind](x, **e.params)
        gain = fade_gain(self.effects, t, self.duration)
        crossfade = next((e for e in self.effects if e.kind == "crossfade"), None)
        if gain < 1.0 or (crossfade is not None and self.previous is not None):
            x = _float(frame) if x is None else x
            x = x * gain
            if crossfade is not None and self.previous is not None and t < crossfade.params["duration_s"]:
                a = t / crossfade.params["duration_s"]
                x = _float(self.previous) * (1 - a) + x * a
        return frame if x is None else _bytes(x)

    def source_offset(self, t: float) -> float:
        return source_offset(self.effects, t, self.duration)


PIXEL_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "grade": grade,
    "black_and_white": black_and_white,
    "vignette": vignette,
}


def stretch_audio(samples: np.ndarray, count: int) -> np.ndarray:
    """`samples` played in `count` samples, pitch kept (librosa's phase vocoder), padded or cut to fit."""
    if len(samples) == count or len(samples) < 2048 or count <= 0:
        out = np.zeros(max(count, 0), np.float32)
        out[: min(count, len(samples))] = samples[:count]
        return out
    import librosa

    stretched = librosa.effects.time_stretch(samples.astype(np.float32), rate=len(samples) / count)
    out = np.zeros(count, np.float32)
    out[: min(count, len(stretched))] = stretched[:count]
    return out


def audio_for_clip(
    effects: Sequence[Effect], read: Callable[[float, int], np.ndarray], start: float, count: int, rate: int
) -> np.ndarray:
    """`count` samples of a clip's sound from file second `start`, after its speed (pitch kept) and
    fades. `read(start, n)` gives n samples from file second `start`."""
    duration = count / rate
    used = media_used(effects, duration)
    if abs(used - duration) * rate >= 1:
        samples = stretch_audio(read(start, int(round(used * rate))), count)
    else:
        samples = read(start, count)
    if any(e.kind == "fade" for e in effects):
        times = np.arange(count) / rate
        gains = np.array([fade_gain(effects, float(t), duration) for t in times[:: rate // 100]], np.float32)
        samples = samples * np.interp(times, times[:: rate // 100], gains).astype(np.float32)
    return samples


def renderer_for(
    effects: list[Effect],
    duration: float,
    size: tuple[int, int],
    crop: Box | None,
    previous: np.ndarray | None,
    limits: Any = None,
) -> tuple[ClipRenderer, Callable[[], None]]:
    """A renderer for one clip, with each code effect started in its own sandbox, and the function
    that stops them. Code that fails to start is a note; the clip renders without it."""
    import logging

    from engine.effects.sandbox import EffectFailed, EffectRefused, Sandbox

    log = logging.getLogger("autoedit.effects")
    renderer = ClipRenderer(effects, duration, size, crop, previous)
    boxes: list[Sandbox] = []
    for k, e in enumerate(effects):
        if e.kind != "code":
            continue
        try:
            box = Sandbox(str(e.data.get("source", "")), limits)
        except (EffectRefused, EffectFailed) as exc:
            renderer.notes.append(f"{e.data.get('description') or 'code effect'}: {exc}")
            log.warning("%s", renderer.notes[-1])
            continue
        boxes.append(box)

        def run(frame: np.ndarray, t: float, info: dict[str, Any], box: Sandbox = box) -> np.ndarray | None:
            try:
                return box.render(frame, t, info)
            except EffectFailed as exc:
                renderer.notes.append(str(exc))
                log.warning("code effect dropped for the rest of the clip: %s", exc)
                return None

        renderer.code[k] = run

    def close() -> None:
        for box in boxes:
            box.close()

    return renderer, close
