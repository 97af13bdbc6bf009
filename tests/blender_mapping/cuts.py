"""Cut lists of OTIO timelines, measured with OTIO's own time transforms, shared by the bpy-free
mapping tests and the Blender round-trip tests."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from addon_blender import vse_model

READERS = {".otio", ".xml", ".edl", ".fcpxml"}


def corpus(nle: Path) -> list[Path]:
    """Files under ../shared/media/nle that OTIO's adapters read into a timeline with clips."""
    found = []
    for path in sorted(nle.rglob("*")):
        if path.suffix not in READERS or not path.is_file():
            continue
        try:
            timeline = otio.adapters.read_from_file(str(path))
        except Exception:  # files OTIO's adapters cannot read are not part of the round trip
            continue
        if isinstance(timeline, otio.schema.Timeline) and any(True for _ in timeline.find_clips()):
            found.append(path)
    return found


def clip_cuts(timeline: otio.schema.Timeline, rate: Fraction) -> list[tuple[str, int, int, Fraction, str]]:
    """(kind, record start, record end, media seconds at record start, clip name) of every visible clip,
    in scene frames, measured with OTIO's own time transforms (independent of the mapping's walk)."""
    out = []
    for track in timeline.tracks:
        for clip in track.find_clips():
            trimmed = clip.trimmed_range()
            shown = clip.transformed_time_range(trimmed, track)
            lo, hi = vse_model.seconds(shown.start_time), vse_model.seconds(shown.end_time_exclusive())
            source = vse_model.seconds(trimmed.start_time)
            ancestor = clip.parent()
            while ancestor is not None and ancestor is not track:  # a nested composition trims what shows
                if ancestor.parent() is track:
                    window = ancestor.range_in_parent()
                    w_lo, w_hi = (
                        vse_model.seconds(window.start_time),
                        vse_model.seconds(window.end_time_exclusive()),
                    )
                    source += max(lo, w_lo) - lo
                    lo, hi = max(lo, w_lo), min(hi, w_hi)
                ancestor = ancestor.parent()
            start, end = round(lo * rate), round(hi * rate)
            if end <= start:
                continue
            available = getattr(clip.media_reference, "available_range", None)
            origin = vse_model.seconds(available.start_time) if available is not None else Fraction(0)
            out.append((str(track.kind), start, end, source - origin, clip.name))
    return sorted(out, key=lambda c: (c[0], c[1], c[4]))


def exported_cuts(
    timeline: otio.schema.Timeline, rate: Fraction
) -> list[tuple[str, int, int, Fraction, str]]:
    out = []
    for track in timeline.tracks:
        for clip in track.find_clips():
            r = clip.range_in_parent()
            start = vse_model.seconds(r.start_time) * rate
            end = vse_model.seconds(r.end_time_exclusive()) * rate
            assert start.denominator == 1 and end.denominator == 1, (clip.name, start, end)
            origin = Fraction(0)
            reference = clip.media_reference
            available = getattr(reference, "available_range", None)
            if available is not None:
                origin = vse_model.seconds(available.start_time)
            source = vse_model.seconds(clip.source_range.start_time) - origin
            out.append((str(track.kind), int(start), int(end), source, clip.name))
    return sorted(out, key=lambda c: (c[0], c[1], c[4]))
