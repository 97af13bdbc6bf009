"""The one call `run_edit` makes once the timeline is built: the prompt's effects, placed on clips.

For each requested effect: the clips it goes on (every clip, the first, the last, or each cut), what
it needs from the analysis for each clip (the speaker's face centre for a punch-in, tracked boxes for a
region), and for a look the library lacks, code from the user's effect file or from the code model,
checked before anything keeps it. Whatever cannot be done (no face in a clip, no code model, refused
code) is a note in the report and the edit goes on without it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import opentimelineio as otio

from engine.analysis.report import MediaAnalysis
from engine.config import EngineConfig
from engine.effects.choose import Request, choose_by_llm, choose_by_rules, merge, user_effect_files
from engine.effects.library import Effect
from engine.effects.otio import NAMESPACE, attach
from engine.effects.render import media_used
from engine.effects.sandbox import EffectRefused, check_source
from engine.errors import AutoEditError, ModelNotFound
from engine.progress import Job

log = logging.getLogger("autoedit.effects")
TRACK_GAP = 0.2  # a face whose centre moved less than this (frame fractions) between samples is the same


def _path(clip: otio.schema.Clip) -> str:
    url = clip.media_reference.target_url
    parsed = urlparse(url)
    return str(Path(unquote(parsed.path) if parsed.scheme == "file" else url).resolve())


def clip_seconds(clip: otio.schema.Clip) -> tuple[float, float]:
    """(file seconds at the clip's first frame, record seconds)."""
    sr = clip.source_range
    avail = clip.media_reference.available_range
    origin = avail.start_time.to_seconds() if avail is not None else 0.0
    return sr.start_time.to_seconds() - origin, sr.duration.to_seconds()


def face_centre(media: MediaAnalysis, start: float, end: float) -> tuple[float, float] | None:
    """The median centre of the largest face per sample in [start, end] (source fractions)."""
    centres = []
    for sample in media.faces:
        if start - 0.25 <= sample.time <= end + 0.25 and sample.boxes:
            x, y, w, h = max(sample.boxes, key=lambda b: b[2] * b[3])[:4]
            centres.append((x + w / 2, y + h / 2))
    if not centres:
        return None
    a = np.median(np.array(centres), axis=0)
    return (round(float(a[0]), 4), round(float(a[1]), 4))


def region_track(media: MediaAnalysis, target: str, start: float, end: float) -> list[list[float]]:
    """[[t, x, y, w, h, id], ...] for the faces (target "faces") or objects of a label in [start, end],
    t in media seconds from the clip's first frame; ids follow a box from sample to sample."""
    samples: list[tuple[float, list[list[float]]]] = []
    if target == "faces":
        samples = [(s.time, [b[:4] for b in s.boxes]) for s in media.faces]
    else:
        for s in media.objects:
            boxes = [b[:4] for b, label in zip(s.boxes, s.labels, strict=False) if label.lower() == target]
            samples.append((s.time, boxes))
    rows: list[list[float]] = []
    last: dict[int, tuple[float, float]] = {}
    next_id = 0
    for time, boxes in sorted(samples, key=lambda s: s[0]):
        if not start - 0.5 <= time <= end + 0.5:
            continue
        now: dict[int, tuple[float, float]] = {}
        for x, y, w, h in boxes:
            c = (x + w / 2, y + h / 2)
            near = [(abs(c[0] - p[0]) + abs(c[1] - p[1]), k) for k, p in last.items() if k not in now]
            dist, key = min(near) if near else (1.0, -1)
            if dist > TRACK_GAP:
                key, next_id = next_id, next_id + 1
            now[key] = c
            rows.append([round(time - start, 4), round(x, 4), round(y, 4), round(w, 4), round(h, 4), key])
        last = now or last
    return rows


def _targets(request: Request, clips: Sequence[otio.schema.Clip]) -> list[tuple[int, otio.schema.Clip]]:
    indexed = list(enumerate(clips))
    if request.scope == "first":
        return indexed[:1]
    if request.scope == "last":
        return indexed[-1:]
    if request.scope == "cuts" and request.kind == "crossfade":
        return indexed[1:]
    return indexed


def _code_for(request: Request, config: EngineConfig, notes: list[str]) -> dict[str, Any] | None:
    """The checked source for a code request, or None (and a note saying why)."""
    if request.file:
        try:
            source = Path(request.file).read_text(encoding="utf-8")
            check_source(source)
        except (OSError, UnicodeDecodeError) as exc:
            notes.append(f"effect file {request.file} could not be read ({exc}); left out")
            return None
        except EffectRefused as exc:
            notes.append(f"effect file {request.file}: {exc}; left out")
            return None
        return {"source": source, "file": request.file, "description": request.description}
    if not config.effects.codegen:
        notes.append(
            f'the look "{request.description}" needs generated code; effects.codegen is off, left out'
        )
        return None
    from engine.effects.codegen import generate_effect

    try:
        made = generate_effect(request.description, config, config.effects.codegen_max_new_tokens)
    except EffectRefused as exc:
        notes.append(f'the code model\'s effect for "{request.description}" was refused: {exc}; left out')
        return None
    except (ModelNotFound, AutoEditError) as exc:
        notes.append(
            f'the look "{request.description}" needs the code model, which is unavailable ({exc}); left out'
        )
        return None
    return {"source": made.source, "model": made.model, "description": request.description}


def add_effects(
    timeline: otio.schema.Timeline,
    prompt: str,
    media: Sequence[MediaAnalysis],
    config: EngineConfig,
    data_dir: Path,
    job: Job,
) -> dict[str, Any]:
    """Effects the prompt asks for, attached to the timeline's clips. Returns {"effects", "notes"}."""
    notes: list[str] = []
    summary: list[dict[str, Any]] = []
    if not config.effects.enabled:
        return {"effects": summary, "notes": notes}
    requests = choose_by_rules(prompt, user_effect_files(data_dir))
    if config.effects.chooser == "llm":
        from engine.planning.llm import load_planner

        try:
            planner = load_planner(config, data_dir)
            requests = merge(requests, choose_by_llm(prompt, planner, config.effects.llm_threshold))
        except (ModelNotFound, AutoEditError, OSError, ValueError) as exc:
            notes.append(f"the LLM effect chooser failed ({exc}); effects from the prompt's words only")
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    clips = list(video[0].find_clips()) if video else []
    by_decision: dict[str, list[otio.schema.Clip]] = {}
    for track in timeline.tracks:
        if track.kind == otio.schema.TrackKind.Audio:
            for c in track.find_clips():
                d = (c.metadata.get(NAMESPACE) or {}).get("decision_id")
                if d:
                    by_decision.setdefault(str(d), []).append(c)
    by_path = {str(Path(m.path).resolve()): m for m in media}
    for n, request in enumerate(requests):
        job.report("effects", n / max(1, len(requests)), request.kind)
        code = _code_for(request, config, notes) if request.kind == "code" else None
        if request.kind == "code" and code is None:
            continue
        placed = 0
        for index, clip in _targets(request, clips):
            effect = _effect_for_clip(request, clip, index, len(clips), by_path, code, notes)
            if effect is None:
                continue
            attach(clip, [effect])
            if effect.spec.group in ("time", "cut"):  # the clip's sound follows its picture
                d = str((clip.metadata.get(NAMESPACE) or {}).get("decision_id", ""))
                for sound in by_decision.get(d, []):
                    if effect.kind != "crossfade":
                        attach(sound, [effect])
            placed += 1
        if placed:
            summary.append({"kind": request.kind, "params": dict(request.params), "reason": request.reason,
                            "source": request.source, "clips": placed})  # fmt: skip
    if summary:
        meta = timeline.metadata.get(NAMESPACE)
        if meta is not None:
            meta["effects"] = summary
    job.report("effects", 1.0, f"{len(summary)} effects")
    return {"effects": summary, "notes": notes}


def _effect_for_clip(
    request: Request,
    clip: otio.schema.Clip,
    index: int,
    count: int,
    by_path: dict[str, MediaAnalysis],
    code: dict[str, Any] | None,
    notes: list[str],
) -> Effect | None:
    start, duration = clip_seconds(clip)
    m = by_path.get(_path(clip))
    params = dict(request.params)
    data: dict[str, Any] = {}
    if request.kind == "code":  # the faces go with it: the signature promises them in `info`
        data = dict(code or {})
        data["track"] = region_track(m, "faces", start, start + duration) if m is not None else []
        return Effect("code", {}, request.reason, request.source, data)
    if request.kind in ("speed", "speed_ramp") and m is not None:  # never past the end of the media
        trial = Effect(request.kind, params)
        used = media_used([trial], duration)
        room = max(0.0, m.duration - start)
        if used > room > 0:
            factor = room / used
            keys = ("factor",) if request.kind == "speed" else ("start", "end")
            for k in keys:
                params[k] = params[k] * factor
            notes.append(f"{clip.name}: speed lowered to {factor:.2f} of the asked value (the media ends)")
    if request.kind == "fade" and request.scope == "cuts":
        params["in_s"] = 0.0 if index == 0 else params["in_s"]
        params["out_s"] = 0.0 if index == count - 1 else params["out_s"]
        if not params["in_s"] and not params["out_s"]:
            return None
    if request.kind in ("punch_in", "ken_burns"):
        centre = face_centre(m, start, start + duration) if m is not None else None
        if centre is not None:
            data["centre"] = list(centre)
        elif request.kind == "punch_in":
            notes.append(f"{clip.name}: no face found, punched in on the centre")
    if request.kind in ("blur_region", "pixelate_region"):
        track = region_track(m, request.target, start, start + duration) if m is not None else []
        if not track:
            what = "faces" if request.target == "faces" else f'"{request.target}" objects'
            notes.append(
                f"{clip.name}: no {what} found in the analysis; nothing to {request.kind.split('_')[0]}"
            )
            return None
        data["track"] = track
        data["target"] = request.target
    return Effect(request.kind, params, request.reason, request.source, data)
