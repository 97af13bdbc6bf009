"""Separated audio in the timeline: ducking by the dialog stem and one (disabled) audio track per stem.

When the analysis has stems (engine/analysis/stems.py), the music ducks where the dialog stem has voice,
not only where the recogniser found words (laughs, shouts and untranscribed lines duck too), and the
timeline carries the dialog and music stems as their own audio tracks, clip for clip in step with A1.
They are disabled (OTIO `enabled: false`): the mixture on A1 plays, and the editor switches to a stem
where the location sound needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import opentimelineio as otio

from engine.analysis.report import MediaAnalysis, media_rate
from engine.media.timebase import frame_of
from engine.timeline.placement import PlacedClip

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange
STEM_TRACKS = (("dialog", "A3 dialog stem"), ("music", "A4 music stem"))


def stem_speech(media: MediaAnalysis) -> list[tuple[float, float]] | None:
    """Voice activity on the file's dialog stem (source seconds), or None when it has no stems."""
    if media.stems is None:
        return None
    return [(s.start, s.end) for s in media.stems.speech]


def _stem_reference(media: MediaAnalysis, path: str) -> otio.schema.ExternalReference:
    rate = media_rate(media)
    return otio.schema.ExternalReference(
        target_url=Path(path).resolve().as_uri(),
        available_range=TR(RT(0, float(rate)), RT(frame_of(media.duration, rate), float(rate))),
        metadata={"autoedit": {"stem_of": media.path, "rate": [rate.numerator, rate.denominator]}},
    )


def stem_tracks(clips: Sequence[PlacedClip], media: Sequence[MediaAnalysis]) -> list[otio.schema.Track]:
    """One audio track per stem, the same source ranges as the dialog track; [] when no clip has stems."""
    if not any(media[c.media_index].stems for c in clips):
        return []
    tracks = []
    for stem, name in STEM_TRACKS:
        track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio)
        track.enabled = False
        for c in clips:
            info = media[c.media_index]
            rate = float(media_rate(info))
            path = info.stems.files.get(stem) if info.stems else None
            if path is None or c.muted:  # a muted clip's stems are left out with its sound
                track.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(c.end - c.start, rate))))
                continue
            # The stem files start at the media's first sample: no start timecode on them.
            track.append(
                otio.schema.Clip(
                    name=f"{Path(info.path).stem} {stem}",
                    media_reference=_stem_reference(info, path),
                    source_range=TR(RT(c.start, rate), RT(c.end - c.start, rate)),
                    metadata={"autoedit": {"decision_id": c.decision_id, "stem": stem}},
                )
            )
        tracks.append(track)
    return tracks
