"""Engine-shaped OTIO timelines for the host tests that need no engine (reader, diff).

Built with opentimelineio the way engine/timeline/build.py lays them out (DESIGN.md metadata), with
clips from real files at their own rates, so the stdlib reader and the diff see realistic documents.
"""

from __future__ import annotations

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

NTSC_FILM = 24000 / 1001


def engine_timeline(
    clips: list[tuple[str, float, int, int]], timeline_id: str = "tl-test"
) -> otio.schema.Timeline:
    """clips: (path, rate, source start frame, frame count) -> a timeline with one video and one audio track."""
    tl = otio.schema.Timeline(name="AutoEdit test", global_start_time=RationalTime(0, clips[0][1]))
    tl.metadata["autoedit"] = {
        "version": 1,
        "timeline_id": timeline_id,
        "prompt": "test",
        "spec": {},
        "models": {},
    }
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for n, (path, rate, start, count) in enumerate(clips):
        for track in (video, audio):
            clip = otio.schema.Clip(
                name=f"clip {n}",
                media_reference=otio.schema.ExternalReference(target_url=path),
                source_range=TimeRange(RationalTime(start, rate), RationalTime(count, rate)),
            )
            clip.metadata["autoedit"] = {
                "decision_id": f"d{n}",
                "reason": f"reason {n}",
                "score": 0.5,
                "features": {},
            }
            track.append(clip)
    tl.tracks.append(video)
    tl.tracks.append(audio)
    return tl
