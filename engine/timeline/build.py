"""OTIO timeline from a selection: video, dialog audio, music with ducking, markers, `autoedit` metadata.

Every time is a RationalTime at the source's own rate: frame numbers from the planner plus the
source's start timecode, so NLEs that honour embedded timecode line the clips up with the media.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from engine.analysis.columns import SpanIndex, merge_spans
from engine.analysis.report import MediaAnalysis, media_rate
from engine.media.timebase import frame_of
from engine.timeline.placement import PlacedClip
from engine.timeline.stems import stem_speech, stem_tracks

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange

METADATA_VERSION = 1
DUCK_DB = -12.0  # music level under speech
DUCK_RAMP_S = 0.15
JCUT_S = 0.25  # how far the incoming sentence's sound leads its picture at a J cut
# Where the dialog jumps in its source (a cut removed something), the sound fades out and back in over
# this long, so the waveform does not step at the join and click (issue 13; bench/speech_edit.py measures
# the peak sample step at each join). Hosts map it to volume keyframes; the preview mix applies it.
AUDIO_FADE_S = 0.01


def transcripts(media: Sequence[MediaAnalysis]) -> dict[str, list[list[Any]]]:
    """Per source path, every word [text, start s, end s, disfluency kind or ""]: the hosts show the
    transcript of a strip's source with its kept and cut words (issue 13)."""
    out: dict[str, list[list[Any]]] = {}
    for m in media:
        if not m.words or m.path in out:
            continue
        held_by = SpanIndex((d.start, d.end) for d in m.disfluencies)  # not a scan per word
        rows = []
        for w in sorted(m.words, key=lambda w: w.start):
            held = held_by.holding(w.start, w.end, slack=1e-3)
            kind = m.disfluencies[held[0]].kind if held else ""
            rows.append([w.text.strip(), round(w.start, 3), round(w.end, 3), kind])
        out[m.path] = rows
    return out


def _continuous(a: PlacedClip, b: PlacedClip) -> bool:
    return a.path == b.path and a.rate == b.rate and b.start == a.end


def audio_fades(clips: Sequence[PlacedClip]) -> list[dict[str, Any] | None]:
    """Per clip, the dialog fade at each end that meets a jump (or the edit's start or end)."""
    out: list[dict[str, Any] | None] = []
    for k, c in enumerate(clips):
        fade_in = 0.0 if k > 0 and _continuous(clips[k - 1], c) else AUDIO_FADE_S
        fade_out = 0.0 if k + 1 < len(clips) and _continuous(c, clips[k + 1]) else AUDIO_FADE_S
        length = float(c.record_end - c.record_start)
        fade_in, fade_out = min(fade_in, length / 3), min(fade_out, length / 3)
        out.append({"in_s": fade_in, "out_s": fade_out, "shape": "cosine"} if fade_in or fade_out else None)
    return out


def media_url(path: str) -> str:
    return Path(path).resolve().as_uri()


def _reference(media: MediaAnalysis) -> otio.schema.ExternalReference:
    rate = media_rate(media)
    tc = frame_of(media.start_timecode, rate)
    total = frame_of(media.duration, rate)
    return otio.schema.ExternalReference(
        target_url=media_url(media.path),
        available_range=TR(RT(tc, float(rate)), RT(total, float(rate))),
        metadata={"autoedit": {"rate": [rate.numerator, rate.denominator], "vfr": media.variable_frame_rate}},
    )


def _range(media: MediaAnalysis, start: int, end: int) -> otio.opentime.TimeRange:
    rate = media_rate(media)
    tc = frame_of(media.start_timecode, rate)
    return TR(RT(tc + start, float(rate)), RT(end - start, float(rate)))


def _speech_spans_on_record(
    clips: Sequence[PlacedClip], media: Sequence[MediaAnalysis] = ()
) -> list[tuple[float, float]]:
    spans = []
    for c in clips:
        if c.muted:
            continue  # its sound is left out: the music need not make room
        lo, hi = c.source_start_s, c.source_end_s
        offset = float(c.record_start) - lo
        voiced = stem_speech(media[c.media_index]) if media else None
        if voiced is not None:  # the dialog stem's voice activity, where separation ran
            spans += [(max(a, lo) + offset, min(b, hi) + offset) for a, b in voiced if b > lo and a < hi]
            continue
        for w in c.words:
            if w.end > lo and w.start < hi:
                spans.append((max(w.start, lo) + offset, min(w.end, hi) + offset))
        if not c.words and c.kind == "speech":
            spans.append((float(c.record_start), float(c.record_end)))
    return merge_spans(spans, bridge=2 * DUCK_RAMP_S + 0.3)


def ducking_keyframes(
    clips: Sequence[PlacedClip], length_s: float, media: Sequence[MediaAnalysis] = ()
) -> list[list[float]]:
    """[[record seconds, gain dB], ...], linear between points: music down under speech, up elsewhere."""
    keys: list[list[float]] = [[0.0, 0.0]]
    for a, b in _speech_spans_on_record(clips, media):
        a0, b1 = max(0.0, a - DUCK_RAMP_S), min(length_s, b + DUCK_RAMP_S)
        if a0 <= keys[-1][0]:
            keys[-1] = [keys[-1][0], DUCK_DB]
        else:
            keys += [[round(a0, 4), 0.0], [round(max(a0, a), 4), DUCK_DB]]
        keys += [[round(min(b, length_s), 4), DUCK_DB], [round(b1, 4), 0.0]]
    if keys[-1][0] < length_s:
        keys.append([round(length_s, 4), keys[-1][1]])
    return keys


def build_timeline(
    clips: Sequence[PlacedClip],
    media: Sequence[MediaAnalysis],
    spec: dict[str, Any],
    prompt: str,
    timeline_id: str,
    models: dict[str, str],
    rate: Fraction,
    music: MediaAnalysis | None = None,
    music_start: Fraction | None = None,
    reframes: dict[str, dict[str, Any]] | None = None,
    jl_cuts: bool = True,
) -> otio.schema.Timeline:
    """`spec` is the EditSpec as JSON (kept in the timeline's metadata); `music_start` the seconds
    into the music file where the edit starts."""
    tl = otio.schema.Timeline(name=f"AutoEdit: {prompt[:60]}", global_start_time=RT(0, float(rate)))
    tl.metadata["autoedit"] = {
        "version": METADATA_VERSION,
        "timeline_id": timeline_id,
        "prompt": prompt,
        "spec": dict(spec),
        "models": dict(models),
        "rate": [rate.numerator, rate.denominator],
    }
    words = transcripts(media)
    if words:
        tl.metadata["autoedit"]["transcripts"] = words
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    dialog = otio.schema.Track(name="A1 dialog", kind=otio.schema.TrackKind.Audio)
    # J cuts: where one sentence follows another from elsewhere, the picture changes a little after
    # the sound, so the new voice leads its face (only without music, whose beats fix the cuts).
    shifts = [0] * len(clips)
    if jl_cuts and music is None:
        for k in range(len(clips) - 1):
            a, b = clips[k], clips[k + 1]
            if a.kind != "speech" or b.kind != "speech":
                continue
            if a.path == b.path and abs(b.start - a.end) <= 1:
                continue  # continuous source: nothing to hide
            n = frame_of(JCUT_S, b.rate)
            total = frame_of(media[a.media_index].duration, a.rate)
            if a.rate == b.rate and b.end - b.start > 3 * n and a.end + n <= total:
                shifts[k + 1] = n
    fades = audio_fades(clips)
    for k, c in enumerate(clips):
        info = media[c.media_index]
        meta: dict[str, Any] = {
            "decision_id": c.decision_id,
            "reason": c.reason,
            "score": round(float(c.score), 4),
            "features": {key: round(float(v), 4) for key, v in c.features.items()},
            "kind": c.kind,
            "transcript": c.text,
        }
        if c.muted:
            meta["muted"] = True  # the dialog track holds a gap under it
        if reframes and c.decision_id in reframes:
            meta["reframe"] = reframes[c.decision_id]
        v_start = c.start + shifts[k]
        v_end = c.end + (shifts[k + 1] if k + 1 < len(clips) else 0)
        if shifts[k] or (k + 1 < len(clips) and shifts[k + 1]):
            meta["j_cut"] = {"picture_offset_frames": [shifts[k], shifts[k + 1] if k + 1 < len(clips) else 0]}
        name = f"{Path(info.path).stem} {k + 1:02d}"
        clip = otio.schema.Clip(
            name=name, media_reference=_reference(info), source_range=_range(info, v_start, v_end),
            metadata={"autoedit": meta},
        )  # fmt: skip
        clip.markers.append(
            otio.schema.Marker(
                name=c.reason[:80],
                marked_range=TR(clip.source_range.start_time, RT(0, clip.source_range.start_time.rate)),
                color=otio.schema.MarkerColor.GREEN if c.kind == "speech" else otio.schema.MarkerColor.BLUE,
                metadata={"autoedit": {"decision_id": c.decision_id}},
            )
        )
        video.append(clip)
        if info.has_audio and not c.muted:
            sound_meta: dict[str, Any] = {"decision_id": c.decision_id}
            if fades[k]:
                sound_meta["audio_fade"] = fades[k]
            sound = otio.schema.Clip(
                name=name, media_reference=_reference(info), source_range=_range(info, c.start, c.end),
                metadata={"autoedit": sound_meta},
            )  # fmt: skip
            dialog.append(sound)
        else:
            dialog.append(
                otio.schema.Gap(source_range=TR(RT(0, float(c.rate)), RT(c.end - c.start, float(c.rate))))
            )
    tl.tracks.append(video)
    tl.tracks.append(dialog)
    if music is not None and clips:
        length = float(clips[-1].record_end)
        mrate = rate
        start = music_start or Fraction(0)
        mframes = frame_of(float(start), mrate)
        dur = frame_of(length, mrate)
        available = frame_of(music.duration, mrate)
        track = otio.schema.Track(name="A2 music", kind=otio.schema.TrackKind.Audio)
        ref = otio.schema.ExternalReference(
            target_url=media_url(music.path),
            available_range=TR(RT(0, float(mrate)), RT(available, float(mrate))),
        )
        keys = ducking_keyframes(clips, length, media)
        clip = otio.schema.Clip(
            name=f"music: {Path(music.path).stem}",
            media_reference=ref,
            source_range=TR(RT(mframes, float(mrate)), RT(min(dur, max(1, available - mframes)), float(mrate))),
            metadata={"autoedit": {"ducking": {
                "unit": "dB",
                "interpolation": "linear",
                "time": "seconds from the start of the timeline",
                "keyframes": keys,
                "under_speech_db": DUCK_DB,
                "speech_from": "dialog stem" if any(m.stems for m in media) else "words",
                "applies_to": "this clip's volume; hosts map it to volume keyframes (Blender: strip volume "
                "= 10 ** (dB / 20); Resolve: clip volume)",
            }, "beats": list(music.beats), "music_start_s": float(start)}},
        )  # fmt: skip
        track.append(clip)
        tl.tracks.append(track)
    tl.tracks.extend(stem_tracks(clips, media))  # separated dialog and music, when analysed
    return tl
