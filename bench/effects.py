"""Effects speed: the preview render with and without effects, and the sandbox's cost per frame.

    .venv/bin/python bench/effects.py [--seconds 6] [--frames 200]

Prints ratios against baselines measured in the same run: the preview of the same timeline with no
effects, and the same frame function called in-process (so machine load does not spoil them).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import opentimelineio as otio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.effects.library import Effect  # noqa: E402
from engine.effects.otio import attach  # noqa: E402
from engine.effects.sandbox import Limits, Sandbox  # noqa: E402
from engine.synthetic import write_speech  # noqa: E402
from engine.timeline.preview import render_preview  # noqa: E402

SEPIA = """import numpy as np
M = [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]
def effect(frame, t, info):
    return np.clip(frame.astype(np.float32) @ np.array(M, np.float32).T, 0, 255)
"""
LOOKS = {
    "black and white + vignette + punch-in": [
        Effect("black_and_white"), Effect("vignette"), Effect("punch_in", {"scale": 1.3}, data={"centre": [0.6, 0.4]}),
    ],
    "grade + blur region": [
        Effect("grade", {"temperature": 0.5, "contrast": 1.2}),
        Effect("blur_region", data={"track": [[0.0, 0.4, 0.3, 0.2, 0.2, 0], [6.0, 0.5, 0.3, 0.2, 0.2, 0]]}),
    ],
    "sandboxed code (sepia)": [Effect("code", {}, "bench", "user", {"source": SEPIA})],
}  # fmt: skip


def timeline_of(path: Path, seconds: float, rate: Fraction, effects: list[Effect]) -> otio.schema.Timeline:
    r = float(rate)
    rt, tr = otio.opentime.RationalTime, otio.opentime.TimeRange
    frames = int(seconds * r)
    ref = otio.schema.ExternalReference(target_url=path.as_uri(), available_range=tr(rt(0, r), rt(frames, r)))
    clip = otio.schema.Clip(name="talk", media_reference=ref, source_range=tr(rt(0, r), rt(frames, r)))
    attach(clip, effects)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    track.append(clip)
    timeline = otio.schema.Timeline(name="bench")
    timeline.metadata["autoedit"] = {"rate": [rate.numerator, rate.denominator], "spec": {"aspect": "16:9"}}
    timeline.tracks.append(track)
    return timeline


def best_of(n: int, run) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--frames", type=int, default=200)
    args = parser.parse_args()
    rate = Fraction(25)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = root / "talk.mp4"
        write_speech(
            src, (("A sentence to look at.", 0.5),), args.seconds, rate=rate, cuts=[60], size=(640, 360)
        )
        base = best_of(
            2, lambda: render_preview(timeline_of(src, args.seconds, rate, []), root / "plain.mp4")
        )
        frames = int(args.seconds * float(rate))
        print(f"preview without effects: {frames / base:.0f} frames/s (baseline 1.00x)")
        for name, effects in LOOKS.items():
            spent = best_of(
                2, lambda e=effects: render_preview(timeline_of(src, args.seconds, rate, e), root / "fx.mp4")
            )
            print(f"preview with {name}: {frames / spent:.0f} frames/s ({spent / base:.2f}x the time)")
    frame = (np.random.default_rng(0).random((240, 426, 3)) * 255).astype(np.uint8)
    scope: dict[str, object] = {}
    exec(compile(SEPIA, "<bench>", "exec"), scope)  # our own constant code, to time it in-process
    func: Any = scope["effect"]
    inline = best_of(
        3, lambda: [np.clip(func(frame, 0.0, {}), 0, 255).astype(np.uint8) for _ in range(args.frames)]
    )
    t0 = time.perf_counter()
    with Sandbox(SEPIA, Limits(cpu_s=120)) as box:
        start = time.perf_counter() - t0
        boxed = best_of(3, lambda: [box.render(frame, 0.0, {}) for _ in range(args.frames)])
    per_in, per_box = inline / args.frames * 1e3, boxed / args.frames * 1e3
    print(f"sandbox start (process, limits, numpy warm-up): {start * 1e3:.0f} ms")
    print(
        f"sepia on 426x240: in-process {per_in:.2f} ms/frame, sandboxed {per_box:.2f} ms/frame "
        f"(ratio {per_box / per_in:.2f}x; overhead {per_box - per_in:.2f} ms/frame)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
