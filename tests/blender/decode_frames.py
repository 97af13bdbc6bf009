"""Decode chosen frames of a file with PyAV (run with the engine's venv), independently of Blender.

    python decode_frames.py MEDIA OUT.npz WIDTH HEIGHT [--crop X,Y,W,H] FRAME [FRAME ...]

Writes uint8 RGB arrays (HEIGHT x WIDTH x 3) keyed "f<index>", frame index counted from the first
decoded frame, scaled with bilinear filtering like Blender's preview; --crop first cuts the box given
as fractions of the frame (a reframe).
"""

from __future__ import annotations

import sys

import av
import numpy as np


def main() -> int:
    path, out, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rest = sys.argv[5:]
    crop = None
    if rest and rest[0] == "--crop":
        crop = [float(v) for v in rest[1].split(",")]
        rest = rest[2:]
    wanted = {int(v) for v in rest}
    frames: dict[str, np.ndarray] = {}
    with av.open(path) as container:
        stream = container.streams.video[0]
        for index, frame in enumerate(container.decode(stream)):
            if index in wanted:
                image = frame.to_image()
                if crop is not None:
                    x, y, w, h = crop
                    image = image.crop(
                        (
                            round(x * image.width),
                            round(y * image.height),
                            round((x + w) * image.width),
                            round((y + h) * image.height),
                        )
                    )
                image = image.resize((width, height), resample=2)
                frames[f"f{index}"] = np.asarray(image.convert("RGB"), dtype=np.uint8)
            if index >= max(wanted):
                break
    np.savez(out, **frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
