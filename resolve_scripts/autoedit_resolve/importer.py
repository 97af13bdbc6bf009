"""The engine's result -> a file under the data dir -> a NEW Resolve timeline, annotated for review.

Format: `.otio` where Resolve imports it (18.5+), otherwise the FCP7 XML the engine exported for us
(the host asks for it in the job's options when it sees an older Resolve). Either way the engine's own
OTIO is kept beside it, because decision ids, reasons and the diff for "Send my edit back" come from it.
The import always goes through MediaPool.ImportTimelineFromFile with a timeline name nobody uses yet,
so no existing timeline is touched. Annotation walks the new timeline's video items
(Timeline.GetItemListInTrack) and pairs them with the engine's clips track by track.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import effects_map, marks, speech_notes
from .errors import HostError
from .otio_json import ClipInfo, TimelineInfo, parse_timeline
from .resolve_host import (
    current_project,
    supports_otio_import,
    timeline_rate,
    unique_timeline_name,
    video_items,
)
from .session import Session, load, save
from .settings import HostSettings

OTIO = "otio"
FCP7 = "fcp7"


def import_format(resolve: Any) -> str:
    return OTIO if supports_otio_import(resolve) else FCP7


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "timeline"


@dataclass(frozen=True)
class ResultFiles:
    engine_otio: Path  # the engine's timeline, always
    to_import: Path  # what ImportTimelineFromFile gets (the same file for OTIO, an .xml for FCP7)
    fmt: str


def write_result(result: dict[str, Any], settings: HostSettings, fmt: str) -> ResultFiles:
    """Write the engine's timeline (and the FCP7 export when needed) under <data dir>/resolve/timelines."""
    settings.make_dirs()
    timeline_id = str(result.get("timeline_id") or "")
    otio_text = result.get("otio")
    if not timeline_id or not isinstance(otio_text, str):
        raise HostError("The engine's result has no timeline (no timeline_id / otio); nothing to import.")
    stem = settings.timelines_dir / _safe(timeline_id)
    engine_otio = stem.with_suffix(".otio")
    _write_text(engine_otio, otio_text)
    if fmt == OTIO:
        return ResultFiles(engine_otio, engine_otio, OTIO)
    xml = (result.get("exports") or {}).get(FCP7)
    if not isinstance(xml, str) or not xml.strip():
        raise HostError(
            "This Resolve version imports no OTIO (18.5+ does) and the engine sent no FCP7 XML export; "
            "update Resolve or ask for exports=['fcp7']."
        )
    to_import = stem.with_suffix(".xml")
    _write_text(to_import, xml)
    return ResultFiles(engine_otio, to_import, FCP7)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def import_as_new_timeline(resolve: Any, files: ResultFiles, base_name: str) -> Any:
    """MediaPool.ImportTimelineFromFile(filePath, {timelineName, importSourceClips}) under a fresh name."""
    project = current_project(resolve)
    name = unique_timeline_name(project, base_name)
    timeline = project.GetMediaPool().ImportTimelineFromFile(
        str(files.to_import), {"timelineName": name, "importSourceClips": True}
    )
    if not timeline:
        raise HostError(
            f"Resolve could not import {files.to_import} as a timeline. Check that the source media is "
            "online at the paths the engine used (Resolve looks for them there)."
        )
    return timeline


def _item_start_s(item: Any, start_frame: int, rate: Fraction) -> Fraction:
    return Fraction(int(round(item.GetStart(False))) - start_frame) / rate


def pair_items(
    items: list[Any], clips: list[ClipInfo], start_frame: int, rate: Fraction
) -> list[tuple[Any, ClipInfo]]:
    """Resolve items <-> engine clips of one track: in order when the counts agree, else by nearest start."""
    if len(items) == len(clips):
        return list(zip(items, clips, strict=True))
    half_frame = Fraction(1, 2) / rate
    pairs: list[tuple[Any, ClipInfo]] = []
    used: set[int] = set()
    for clip in clips:
        best = None
        for i, item in enumerate(items):
            if i in used:
                continue
            delta = abs(_item_start_s(item, start_frame, rate) - clip.record_start)
            if delta <= 2 * half_frame and (best is None or delta < best[0]):
                best = (delta, i)
        if best is not None:
            used.add(best[1])
            pairs.append((items[best[1]], clip))
    return pairs


def annotate(timeline: Any, engine: TimelineInfo, timeline_id: str, prompt: str) -> list[str]:
    """Markers (decision id + reason) and the review colour on each placed clip; returns the ids marked."""
    rate = timeline_rate(timeline)
    start_frame = int(timeline.GetStartFrame() or 0)
    note = f"Prompt: {prompt}" if prompt else "AutoEdit timeline"
    confidence = (engine.metadata.get("autoedit") or {}).get("scorer_confidence")
    if isinstance(confidence, dict) and isinstance(confidence.get("mean_certainty"), int | float):
        note += "\nReview the markers in name order (AutoEdit #001 first): the scorer is "
        note += f"{confidence['mean_certainty']:.0%} sure of this edit"
    timeline.AddMarker(
        0, marks.TIMELINE_MARKER_COLOR, "AutoEdit", note, 1, marks.TIMELINE_MARKER_PREFIX + timeline_id
    )
    marked: list[str] = []
    for track_index, items in video_items(timeline):
        for item, clip in pair_items(items, engine.track("Video", track_index), start_frame, rate):
            decision_id = clip.decision_id
            if not decision_id:
                continue
            args = (
                marks.DECISION_MARKER_COLOR,
                marks.decision_name(clip.review_rank),
                marks.decision_note(clip.reason, decision_id),
                1,
                decision_id,
            )
            # The README gives item markers at a "clip offset"; if Resolve counts that from the media's
            # start rather than the item's, offset 0 lies outside the item and the call fails: retry
            # at the item's first frame in media terms (its left offset).
            if not item.AddMarker(0, *args):
                item.AddMarker(int(item.GetLeftOffset(False) or 0), *args)
            item.SetClipColor(marks.REVIEW_CLIP_COLOR)
            marked.append(decision_id)
    return marked


def _timeline_size(timeline: Any) -> tuple[int, int]:
    return effects_map.resolution(
        f"{timeline.GetSetting('timelineResolutionWidth')}x{timeline.GetSetting('timelineResolutionHeight')}"
    )


def apply_effects(timeline: Any, engine: TimelineInfo) -> list[str]:
    """The effects Resolve's API can set (a CDL, a static zoom and pan) on each item; notes for the rest,
    which the engine's preview shows."""
    rate = timeline_rate(timeline)
    start_frame = int(timeline.GetStartFrame() or 0)
    size = _timeline_size(timeline)
    notes: list[str] = []
    for track_index, items in video_items(timeline):
        for item, clip in pair_items(items, engine.track("Video", track_index), start_frame, rate):
            if not clip.effects:
                continue
            mpi = item.GetMediaPoolItem()
            source = effects_map.resolution(mpi.GetClipProperty("Resolution") if mpi else "")
            settings = effects_map.item_settings(clip.effects, source, size)
            if settings.cdl is not None and not item.SetCDL(settings.cdl):
                settings.preview_only.append("colour (SetCDL refused)")
            for key, value in settings.properties.items():
                if not item.SetProperty(key, value):
                    settings.preview_only.append(f"{key} (SetProperty refused)")
            if settings.preview_only:
                notes.append(
                    f"{clip.name}: {', '.join(settings.preview_only)} shown in the engine's preview only"
                )
    return notes


def apply_result(
    resolve: Any, result: dict[str, Any], settings: HostSettings, fmt: str, base_name: str, prompt: str = ""
) -> tuple[Any, Session, list[str]]:
    """The whole import: files, new timeline, annotations, effects, and the session that remembers them;
    notes on what only the engine's preview shows."""
    files = write_result(result, settings, fmt)
    engine = parse_timeline(files.engine_otio.read_text(encoding="utf-8"))
    timeline = import_as_new_timeline(resolve, files, base_name)
    timeline_id = str(result["timeline_id"])
    marked = annotate(timeline, engine, timeline_id, prompt)
    speech_notes.add_speech_markers(timeline, engine, timeline_rate(timeline))
    effect_notes = apply_effects(timeline, engine)
    fades = speech_notes.fade_note(engine) if files.fmt == OTIO else None  # FCP7 XML has them
    if fades:
        effect_notes.append(fades)
    if not marked and any(c.decision_id for c in engine.clips):
        raise HostError(
            f"Imported '{timeline.GetName()}' but could not match its clips to the engine's decisions; "
            "review marks on it cannot be sent."
        )
    uid = timeline.GetUniqueId() if hasattr(timeline, "GetUniqueId") else None
    # The engine's ids are deterministic: the same inputs give the same timeline_id, so an earlier
    # import's ledger still says what was sent about these decisions.
    earlier = load(settings.sessions_dir, timeline_id)
    session = Session(
        timeline_id=timeline_id,
        resolve_timeline_name=str(timeline.GetName()),
        resolve_timeline_uid=str(uid) if uid else None,
        engine_otio_path=str(files.engine_otio),
        imported_path=str(files.to_import),
        import_format=files.fmt,
        prompt=prompt,
        ledger=dict(earlier.ledger) if earlier else {},
        profile=settings.editor_profile,
    )
    save(settings.sessions_dir, session)
    return timeline, session, effect_notes
