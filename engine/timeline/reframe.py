"""Reframing for 9:16, 1:1 and 4:5: one crop window per clip, centred on the faces in it.

The crop is stored in the clip's `autoedit` metadata as fractions of the source frame
(`crop: [x, y, w, h]`), which hosts turn into their own transform; the preview applies it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.analysis.report import MediaAnalysis
from engine.timeline.placement import PlacedClip

RATIOS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0, "4:5": 4 / 5}


def crop_for(media: MediaAnalysis, start_s: float, end_s: float, aspect: str) -> dict[str, Any]:
    """Crop window of `aspect` inside the source frame, centred on the biggest face of each sample."""
    want = RATIOS[aspect]
    w_px, h_px = max(1, media.width), max(1, media.height)
    rotated = media.rotation in (90, 270)
    if rotated:
        w_px, h_px = h_px, w_px
    source = w_px / h_px
    centres = []
    for sample in media.faces:
        if start_s <= sample.time <= end_s and sample.boxes:
            x, y, w, h = max(sample.boxes, key=lambda b: b[2] * b[3])[:4]
            centres.append((x + w / 2, y + h / 2))
    cx = sum(c[0] for c in centres) / len(centres) if centres else 0.5
    cy = sum(c[1] for c in centres) / len(centres) if centres else 0.45
    if source >= want:  # keep full height, narrow the width
        cw, ch = want / source, 1.0
    else:  # keep full width, lower the height
        cw, ch = 1.0, source / want
    x = min(max(cx - cw / 2, 0.0), 1.0 - cw)
    y = min(max(cy - ch / 2, 0.0), 1.0 - ch)
    return {
        "aspect": aspect,
        "crop": [round(x, 4), round(y, 4), round(cw, 4), round(ch, 4)],
        "centred_on": "faces" if centres else "frame centre (no face found)",
        "faces_seen": len(centres),
    }


def reframe_clips(
    clips: Sequence[PlacedClip], media: Sequence[MediaAnalysis], aspect: str
) -> dict[str, dict[str, Any]]:
    out = {}
    for c in clips:
        info = media[c.media_index]
        if info.width <= 0:
            continue
        out[c.decision_id] = crop_for(info, c.source_start_s, c.source_end_s, aspect)
    return out
