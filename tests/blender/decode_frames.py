"""Decode chosen frames of a file with PyAV (run with the engine's venv), independently of Blender.

    python decode_frames.py MEDIA OUT.npz WIDTH HEIGHT FRAME [FRAME ...]

Writes uint8 RGB arrays (HEIGHT x WIDTH x 3) keyed "f<index>", frame index counted from the first
decoded frame, scaled with bilinear filtering like Blender's preview.
"""

from __future__ import annotations

import sys

import av
import numpy as np


def main() -> int:
    path, out, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    wanted = {int(v) for v in sys.argv[5:]}
    frames: dict[str, np.ndarray] = {}
    with av.open(path) as container:
        stream = container.streams.video[0]
        for index, frame in enumerate(container.decode(stream)):
            if index in wanted:
                image = frame.to_image().resize((width, height), resample=2)
                frames[f"f{index}"] = np.asarray(image.convert("RGB"), dtype=np.uint8)
            if index >= max(wanted):
                break
    np.savez(out, **frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
