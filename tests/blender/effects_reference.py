"""The engine's side of the Blender effects test (run with the engine's venv):

    python effects_reference.py SET MEDIA OUT.otio OUT.npz WIDTH HEIGHT FIRST FRAMES FRAME [FRAME ...]

Writes a one-clip timeline of MEDIA (source frames from FIRST, FRAMES long on the record) with the
effects of SET (looks: black and white, a vignette and a punch-in; speed: 2x; ramp: 1x to 0.5x) as the
engine writes them, and the preview's pictures (engine/effects/render.py on the PyAV-decoded source
frame each clip frame shows) at clip frames FRAME..., WIDTH x HEIGHT, keyed "f<frame>".
"""

from __future__ import annotations

import sys
from fractions import Fraction

import av
import numpy as np
import opentimelineio as otio

from engine.effects.library import Effect
from engine.effects.otio import attach, effects_of
from engine.effects.render import ClipRenderer, source_offset

EFFECT_SETS = {
    "looks": [
        Effect("black_and_white", {}, "the prompt says black and white"),
        Effect("vignette", {"amount": 0.7}, "the prompt says vignette"),
        Effect("punch_in", {"scale": 1.4}, "the prompt says punch in", data={"centre": [0.55, 0.42]}),
    ],
    "speed": [Effect("speed", {"factor": 2.0}, "the prompt says double speed")],
    "ramp": [Effect("speed_ramp", {"start": 1.0, "end": 0.5}, "the prompt says speed ramp")],
}


def main() -> int:
    effects = EFFECT_SETS[sys.argv[1]]
    media, out_otio, out_npz = sys.argv[2:5]
    width, height, first, count = (int(v) for v in sys.argv[5:9])
    wanted = [int(v) for v in sys.argv[9:]]
    with av.open(media) as container:
        stream = container.streams.video[0]
        rate = Fraction(stream.average_rate)
        r = float(rate)
        shown = {j: first + round(source_offset(effects, j / r, count / r) * r) for j in wanted}
        frames = {}
        for index, frame in enumerate(container.decode(stream)):
            for j, source in shown.items():
                if source == index:
                    frames[j] = frame.to_ndarray(format="rgb24")
            if index >= max(shown.values()):
                break
        total = stream.frames
    rt, tr = otio.opentime.RationalTime, otio.opentime.TimeRange
    ref = otio.schema.ExternalReference(target_url=media, available_range=tr(rt(0, r), rt(total, r)))
    clip = otio.schema.Clip(name="face", media_reference=ref, source_range=tr(rt(first, r), rt(count, r)),
                            metadata={"autoedit": {"decision_id": "fx1", "reason": "effects test"}})  # fmt: skip
    attach(clip, effects)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    track.append(clip)
    timeline = otio.schema.Timeline(name="Effects", global_start_time=rt(0, r))
    timeline.metadata["autoedit"] = {"timeline_id": "tl-fx", "rate": [rate.numerator, rate.denominator]}
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, out_otio)
    renderer = ClipRenderer(effects_of(clip), count / r, (width, height))
    pictures = {f"f{j}": renderer.render(frames[j], j / r) for j in wanted}
    np.savez(out_npz, **pictures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
