"""Writing (and reading back) timelines through the OTIO adapters, with thin fixes where they are wrong.

Known adapter faults (DESIGN.md, re-checked in tests/timeline):
- otio-fcpx-xml-adapter 1.0.0 looks frame durations up in a table keyed by int/float rate, so 23.976
  and 29.97 give an empty `frameDuration` and the writer fails; on reading it truncates the rate to an
  int (24000/1001 -> 23) and frames with int(), so cuts drift. `fcpx_rate_fix()` swaps those three
  helpers for exact rational ones while we write or read.
- otio-cmx3600-adapter keeps one video track and drops audio: the EDL gets the picture track only
  (said in the file's title comment), and reading needs the rate we wrote with.
- FCP7 XML drops metadata and track names: the .otio beside it keeps them. Our dialog fades
  (`audio_fade`, 10 ms at each join where the source jumps) are metadata the adapter cannot write as
  volume keys; `_fcp7_ready()` turns each such join into the audio transition FCP7 has, a centred
  "Cross Fade (+3dB)" of one frame each side of the cut (the adapter writes what the transition's
  `fcp_xml` metadata says, and extends both clips into their handles).
- CMX 3600 keeps none of it: the EDL is picture only, so no audio and no fades (its title says so).
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from bridge.formats import EXPORT_FORMATS, OTIO_ADAPTERS, TIMELINE_SUFFIXES, format_for_suffix
from bridge.rates import exact_rate
from engine.errors import BadInput


def format_for(path: str | Path, fmt: str | None = None) -> str:
    if fmt:
        if fmt not in TIMELINE_SUFFIXES:
            raise BadInput(f"unknown timeline format '{fmt}' (choose from {', '.join(EXPORT_FORMATS)})")
        return fmt
    suffix = Path(path).suffix.lower()
    found = format_for_suffix(suffix)
    if found is None:
        raise BadInput(f"cannot tell the timeline format from the suffix '{suffix}'; pass --format", path)
    return found


_FCPX_LOCK = threading.RLock()  # the fix swaps module attributes: one block at a time across threads


@contextlib.contextmanager
def fcpx_rate_fix() -> Iterator[None]:
    """Exact frame durations and rates in the FCPXML adapter while inside the block."""
    with _FCPX_LOCK:
        yield from _fcpx_patched()


def _fcpx_patched() -> Iterator[None]:
    # The plugin system may load its own copy of the module: patch the one the adapter calls.
    mod = otio.adapters.from_name("fcpx_xml").module()

    def frame_duration(framerate: float) -> str:
        r = exact_rate(float(framerate))
        return f"{r.denominator}/{r.numerator}s"

    def format_frame_rate(self, format_id):  # type: ignore[no-untyped-def]
        total, rate = self._format_frame_duration(format_id)
        return float(Fraction(int(rate), int(total)))

    def to_rational_time(rational_number, fps):  # type: ignore[no-untyped-def]
        rate = float(fps)
        if rational_number in ("0s", None):
            return otio.opentime.RationalTime(0, rate)
        text = rational_number.replace("s", "")
        seconds = Fraction(*map(int, text.split("/"))) if "/" in text else Fraction(text)
        return otio.opentime.RationalTime(round(seconds * exact_rate(rate)), rate)

    # Class __dict__ entries, so the staticmethod wrapper itself is saved and put back.
    saved = (
        mod.FcpxOtio.__dict__["_framerate_to_frame_duration"],
        mod.FcpxXml.__dict__["_format_frame_rate"],
        mod.to_rational_time,
    )
    mod.FcpxOtio._framerate_to_frame_duration = staticmethod(frame_duration)
    mod.FcpxXml._format_frame_rate = format_frame_rate
    mod.to_rational_time = to_rational_time
    try:
        yield
    finally:
        mod.FcpxOtio._framerate_to_frame_duration, mod.FcpxXml._format_frame_rate, mod.to_rational_time = (
            saved
        )


def _timeline_rate(timeline: otio.schema.Timeline) -> float:
    if timeline.global_start_time is not None:
        return float(timeline.global_start_time.rate)
    clips = list(timeline.find_clips())
    return float(clips[0].source_range.duration.rate) if clips else 24.0


def _edl_ready(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """CMX 3600 holds one picture track: keep V1, say so in the title, and give clips short reel names."""
    out = copy.deepcopy(timeline)
    video = [t for t in out.tracks if t.kind == otio.schema.TrackKind.Video][:1]
    for track in list(out.tracks):
        out.tracks.remove(track)
    for track in video:
        out.tracks.append(track)
    out.name = (timeline.name or "AutoEdit") + " (picture only)"
    return out


# FCP7's equal-power audio cross fade, as FCP7, Premiere and Resolve write it in their XML.
AUDIO_CROSS_FADE = {
    "name": "Cross Fade (+3dB)",
    "effectid": "KGAudioTransCrossFade3dB",
    "effecttype": "transition",
    "mediatype": "audio",
}


def _fade(item: object, end: str) -> bool:
    if not isinstance(item, otio.schema.Clip):
        return False
    fade = (item.metadata.get("autoedit") or {}).get("audio_fade") or {}
    return bool(fade.get(end))


def _has_handles(a: otio.schema.Clip, b: otio.schema.Clip, frame_a: otio.opentime.RationalTime,
                 frame_b: otio.opentime.RationalTime) -> bool:  # fmt: skip
    """A frame of media after the outgoing clip and before the incoming one, for the fade to play."""
    avail_a, avail_b = a.available_range(), b.available_range()
    return (
        a.source_range.end_time_exclusive() + frame_a <= avail_a.end_time_exclusive()
        and b.source_range.start_time - frame_b >= avail_b.start_time
    )


def _fcp7_ready(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """Dialog fades as FCP7 audio cross fades: where the clip before a join fades out and the one after
    fades in, a centred one-frame-each-side Cross Fade (+3dB), if both have that frame of handle (the
    frame played under the fade comes from what the cut removed, at falling level). Fades at the edit's
    start and end have no neighbour to cross with: FCP7 gets a plain cut there."""
    out = copy.deepcopy(timeline)
    rate = _timeline_rate(out)
    one = otio.opentime.RationalTime(1, rate)
    for track in out.tracks:
        if track.kind != otio.schema.TrackKind.Audio:
            continue
        k = 0
        while k + 1 < len(track):
            a, b = track[k], track[k + 1]
            if _fade(a, "out_s") and _fade(b, "in_s"):
                frame_a = otio.opentime.RationalTime(1, a.source_range.duration.rate)
                frame_b = otio.opentime.RationalTime(1, b.source_range.duration.rate)
                if _has_handles(a, b, frame_a, frame_b):
                    fade = otio.schema.Transition(
                        name=AUDIO_CROSS_FADE["name"],
                        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                        in_offset=one,
                        out_offset=one,
                        metadata={"fcp_xml": {"alignment": "center", "effect": dict(AUDIO_CROSS_FADE)}},
                    )
                    track.insert(k + 1, fade)
                    k += 1
            k += 1
    return out


def export_timeline(timeline: otio.schema.Timeline, path: str | Path, fmt: str | None = None) -> Path:
    """Write the timeline as otio|fcpxml|fcp7|edl; the format comes from `fmt` or the suffix."""
    path = Path(path)
    name = format_for(path, fmt)
    adapter = OTIO_ADAPTERS[name]
    path.parent.mkdir(parents=True, exist_ok=True)
    if name == "otio":
        otio.adapters.write_to_file(timeline, str(path), adapter_name=adapter)
    elif name == "fcpxml":
        with fcpx_rate_fix():
            otio.adapters.write_to_file(timeline, str(path), adapter_name=adapter)
    elif name == "edl":
        otio.adapters.write_to_file(_edl_ready(timeline), str(path), adapter_name=adapter)
    elif name == "fcp7":
        otio.adapters.write_to_file(_fcp7_ready(timeline), str(path), adapter_name=adapter)
    else:
        otio.adapters.write_to_file(timeline, str(path), adapter_name=adapter)
    return path


def export_string(timeline: otio.schema.Timeline, fmt: str) -> str:
    name = format_for("x", fmt)
    adapter = OTIO_ADAPTERS[name]
    if name == "fcpxml":
        with fcpx_rate_fix():
            return otio.adapters.write_to_string(timeline, adapter_name=adapter)
    if name == "edl":
        return otio.adapters.write_to_string(_edl_ready(timeline), adapter_name=adapter)
    if name == "fcp7":
        return otio.adapters.write_to_string(_fcp7_ready(timeline), adapter_name=adapter)
    return otio.adapters.write_to_string(timeline, adapter_name=adapter)


def read_timeline(
    path: str | Path, fmt: str | None = None, rate: float | None = None
) -> otio.schema.Timeline:
    """Read a timeline we (or an NLE) wrote, with the same fixes; `rate` is needed for EDLs."""
    name = format_for(path, fmt)
    adapter = OTIO_ADAPTERS[name]
    if name == "fcpxml":
        with fcpx_rate_fix():
            result = otio.adapters.read_from_file(str(path), adapter_name=adapter)
    elif name == "edl":
        result = otio.adapters.read_from_file(str(path), adapter_name=adapter, rate=rate or 24.0)
    else:
        result = otio.adapters.read_from_file(str(path), adapter_name=adapter)
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline)) or list(result)
        result = timelines[0]
    return result


__all__ = [
    "export_string",
    "export_timeline",
    "fcpx_rate_fix",
    "format_for",
    "read_timeline",
    "_timeline_rate",
]
