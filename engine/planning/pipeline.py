"""`run_edit`: media + prompt -> analysis -> EditSpec -> candidates -> scores -> selection -> OTIO.

The one entry point the CLI, the server and batch share. Same inputs and seed give the same
timeline (and the same `timeline_id`); the timeline and every decision, chosen or the best rejected,
go into the event store so the learning loop can later tie feedback to them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from engine.analysis.report import AnalysisReport, MediaAnalysis
from engine.config import EngineConfig
from engine.errors import BadInput
from engine.planning.candidates import Candidate, build_candidates, media_rate
from engine.planning.spec import ASPECTS, STYLES, EditSpec
from engine.progress import Job

log = logging.getLogger("autoedit.planning")

TIMELINE_NAMESPACE = uuid.UUID("5b7f3e0c-0a3c-4e55-9d7e-6f0d3c2a9e11")
OPTION_KEYS = {
    "target_duration",
    "aspect",
    "style",
    "captions",
    "seed",
    "exports",
    "preview",
    "jl_cuts",
    "format",
}


@dataclass(frozen=True)
class MediaRef:
    """A source to edit, optionally only from `in_s` to `out_s` (seconds)."""

    path: str | Path
    in_s: float | None = None
    out_s: float | None = None


@dataclass
class EditResult:
    timeline: otio.schema.Timeline
    timeline_id: str
    report: dict[str, Any]
    captions_srt: str | None = None
    analysis: AnalysisReport | None = None
    music: MediaAnalysis | None = None
    decisions: list[dict[str, Any]] = field(default_factory=list)


def _check_options(options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - OPTION_KEYS
    if unknown:
        raise BadInput(
            f"unknown edit option(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(OPTION_KEYS))})"
        )
    out = dict(options)
    if out.get("target_duration") is not None:
        try:
            out["target_duration"] = float(out["target_duration"])
        except (TypeError, ValueError):
            raise BadInput(f"target_duration must be seconds, got {out['target_duration']!r}") from None
        if not 0 < out["target_duration"] <= 4 * 3600:
            raise BadInput(f"target_duration must be between 0 and 14400 s, got {out['target_duration']}")
    if out.get("aspect") is not None and out["aspect"] not in ASPECTS:
        raise BadInput(f"aspect must be one of {', '.join(ASPECTS)}, got {out['aspect']!r}")
    if out.get("style") is not None and out["style"] not in STYLES:
        raise BadInput(f"style must be one of {', '.join(STYLES)}, got {out['style']!r}")
    return out


def _check_media(media: list[MediaRef]) -> list[MediaRef]:
    if not media:
        raise BadInput("no media given: name at least one video or audio file")
    out = []
    for ref in media:
        ref = (
            ref if isinstance(ref, MediaRef) else MediaRef(**ref) if isinstance(ref, dict) else MediaRef(ref)
        )
        path = Path(ref.path).expanduser()
        if not path.is_file():
            raise BadInput("no such file", path)
        if ref.in_s is not None and ref.out_s is not None and ref.out_s <= ref.in_s:
            raise BadInput(f"out ({ref.out_s}) is not after in ({ref.in_s})", path)
        out.append(MediaRef(path.resolve(), ref.in_s, ref.out_s))
    return out


def plan_spec(
    prompt: str, config: EngineConfig, data_dir: Path, job: Job
) -> tuple[EditSpec, str, list[str], Any]:
    """The spec from the configured planner: (spec, "llm"|"rules", notes, what the rules parser read)."""
    from engine.planning.rules import parse_prompt

    parsed = parse_prompt(prompt, config.planner.max_prompt_chars)
    if config.planner.backend == "rules":
        return parsed.spec, "rules", list(parsed.notes), parsed
    from engine.planning.llm import LLMPlanFailed, plan_with_llm

    try:
        spec, notes = plan_with_llm(prompt, parsed, config, data_dir, job)
    except LLMPlanFailed as exc:
        return (
            parsed.spec,
            "rules",
            [f"the LLM planner failed ({exc}); the rules parser planned instead", *parsed.notes],
            parsed,
        )
    return spec, "llm", notes, parsed


def _speech_share(media: list[MediaAnalysis]) -> float:
    total = sum(m.duration for m in media) or 1.0
    spoken = sum(
        sum(s.end - s.start for s in m.speech) or sum(w.end - w.start for w in m.words) for m in media
    )
    return spoken / total


def _timeline_id(
    media: list[MediaAnalysis],
    refs: list[MediaRef],
    prompt: str,
    spec: EditSpec,
    seed: int,
    music: str | None,
) -> str:
    key = json.dumps(
        {
            "media": [[m.sha256, r.in_s, r.out_s] for m, r in zip(media, refs, strict=True)],
            "prompt": prompt,
            "spec": spec.model_dump(mode="json"),
            "seed": seed,
            "music": music,
        },
        sort_keys=True,
    )
    return str(uuid.uuid5(TIMELINE_NAMESPACE, key))


def _analyse(paths: list[Path], config: EngineConfig, data_dir: Path, job: Job) -> AnalysisReport:
    from engine.analysis.runner import analyse_files

    return analyse_files([str(p) for p in paths], config, data_dir, job)


def run_edit(
    media: list[MediaRef],
    prompt: str,
    config: EngineConfig,
    data_dir: Path,
    job: Job,
    music: str | Path | None = None,
    seed: int = 0,
    options: dict[str, Any] | None = None,
    analysis: AnalysisReport | None = None,
    music_analysis: MediaAnalysis | None = None,
) -> EditResult:
    """The main job. `analysis`/`music_analysis` may be given to plan on an existing report."""
    from engine.planning.features import TextEmbedder, compute_features, describe
    from engine.planning.scoring import ScoringContext, load_scorer
    from engine.planning.selection import select
    from engine.timeline.build import Decision, build_timeline

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    opts = _check_options(options or {})
    seed = int(opts.pop("seed", seed) or 0)
    refs = _check_media(list(media))
    music_path = Path(music).expanduser().resolve() if music else None
    if music_path is not None and not music_path.is_file():
        raise BadInput("no such music file", music_path)

    job.report("plan", 0.0, "reading the prompt")
    spec, spec_source, notes, parsed = plan_spec(prompt, config, data_dir, job.sub("plan", 0.0, 0.2))
    timings["plan_spec_s"] = time.perf_counter() - t0

    # Analysis (cached by content hash by the runner).
    t1 = time.perf_counter()
    if analysis is None:
        analysis = _analyse([Path(r.path) for r in refs], config, data_dir, job.sub("analyse", 0.2, 0.75))
    by_path = {str(Path(m.path).resolve()): m for m in analysis.media}
    failed = {str(Path(e.get("path", "")).resolve()): e.get("error", "") for e in analysis.errors}
    items: list[MediaAnalysis] = []
    kept_refs: list[MediaRef] = []
    for ref in refs:
        key = str(Path(ref.path).resolve())
        if key in by_path:
            items.append(by_path[key])
            kept_refs.append(ref)
        else:
            notes.append(f"{ref.path} left out: {failed.get(key, 'not analysed')}")
    if not items:
        first = next(iter(analysis.errors), {"path": str(refs[0].path), "error": "not analysed"})
        raise BadInput(f"none of the media could be analysed ({first.get('error')})", first.get("path"))
    if music_path is not None and music_analysis is None:
        music_report = _analyse([music_path], config, data_dir, job.sub("analyse music", 0.75, 0.8))
        if not music_report.media:
            err = music_report.errors[0]["error"] if music_report.errors else "not analysed"
            raise BadInput(f"the music could not be analysed ({err})", music_path)
        music_analysis = music_report.media[0]
    timings["analysis_s"] = time.perf_counter() - t1

    # Options and the footage settle what the prompt left open.
    if parsed.stated_style is None and "style" not in opts and spec_source == "rules":
        spec = spec.model_copy(update={"style": "tighten" if _speech_share(items) > 0.4 else "highlight"})
    for key in ("target_duration", "aspect", "style", "captions"):
        if opts.get(key) is not None and getattr(spec, key) != opts[key]:
            notes.append(f"{key} set by the caller: {opts[key]} (the prompt gave {getattr(spec, key)})")
            spec = spec.model_copy(update={key: opts[key]})
    if music_analysis is not None:
        spec = spec.model_copy(update={"music": True})
        if not music_analysis.beats:
            notes.append("no beats found in the music; cuts are not snapped to it")
    elif spec.music:
        notes.append(
            "the prompt asks for music but no music file was given (--music FILE); edited without it"
        )
        spec = spec.model_copy(update={"music": False})
    spec = EditSpec.model_validate(spec.model_dump())

    # Candidates, features, scores, selection.
    t2 = time.perf_counter()
    job.report("plan", 0.8, "finding candidate units")
    candidates: list[Candidate] = []
    for i, (m, ref) in enumerate(zip(items, kept_refs, strict=True)):
        candidates += build_candidates(m, i, spec, ref.in_s, ref.out_s)
    if not candidates:
        raise BadInput(
            "the media has nothing to cut from (no picture or sound in the chosen range)", kept_refs[0].path
        )
    embedder = TextEmbedder(config, data_dir)
    try:
        vectors = compute_features(candidates, items, spec, prompt, embedder)
    finally:
        embedder.close()
    job.report("plan", 0.85, f"scoring {len(candidates)} candidates")
    scorer = load_scorer(config, data_dir)
    context = ScoringContext(
        prompt=prompt, spec=spec.model_dump(mode="json"), style=spec.style, media=[m.path for m in items]
    )
    scores = scorer.score(context, candidates)
    video_items = [m for m in items if m.width > 0]
    rate = media_rate(video_items[0] if video_items else items[0])
    beats = music_analysis.beats if music_analysis is not None and music_analysis.beats else None
    job.report("plan", 0.9, "selecting")
    selection = select(candidates, scores, spec, rate, seed=seed, beats=beats, vectors=vectors)
    notes += selection.notes
    if not selection.choices:
        raise BadInput(
            "nothing in the media fits this edit (" + "; ".join(selection.notes) + ")", kept_refs[0].path
        )
    timings["selection_s"] = time.perf_counter() - t2

    timeline_id = _timeline_id(items, kept_refs, prompt, spec, seed, str(music_path) if music_path else None)
    decisions = [
        Decision(str(uuid.uuid5(uuid.UUID(timeline_id), f"{c.candidate.id}:{k}")), c, describe(c.candidate))
        for k, c in enumerate(selection.choices)
    ]
    reframes = None
    if spec.aspect != "16:9" or any(m.width and m.height and m.width < m.height for m in items):
        from engine.timeline.reframe import reframe_decisions

        reframes = reframe_decisions(decisions, items, spec.aspect)
    models = {k: v for m in items for k, v in m.models.items()}
    models["text_embedding"] = config.models.text_embedding.name
    models["scorer"] = scorer.name
    if spec_source == "llm":
        models["planner"] = config.models.planner.name
    timeline = build_timeline(
        selection, decisions, items, spec, prompt, timeline_id, models, rate, music_analysis, reframes,
        jl_cuts=bool(opts.get("jl_cuts", True)),
    )  # fmt: skip
    captions = None
    if spec.captions:
        from engine.timeline.captions import srt_for

        captions = srt_for(decisions)

    # What the learning loop needs: every placed decision and the best ones left out.
    records: list[dict[str, Any]] = []
    for k, d in enumerate(decisions):
        c = d.choice
        records.append(
            {
                "decision_id": d.decision_id,
                "chosen": True,
                "path": c.candidate.path,
                "source_start": float(c.start / c.candidate.rate),
                "source_end": float(c.end / c.candidate.rate),
                "record_start": float(c.record_start),
                "record_end": float(c.record_end),
                "index": k,
                "score": float(c.candidate.score),
                "reason": d.reason,
                "features": dict(c.candidate.features),
                "transcript": c.candidate.text,
                "kind": c.candidate.kind,
            }
        )
    for r in selection.rejected:
        records.append(
            {
                "decision_id": str(uuid.uuid5(uuid.UUID(timeline_id), f"{r.id}:rejected")),
                "chosen": False,
                "path": r.path,
                "source_start": r.start_s,
                "source_end": r.end_s,
                "record_start": None,
                "record_end": None,
                "index": None,
                "score": float(r.score),
                "reason": describe(r),
                "features": dict(r.features),
                "transcript": r.text,
                "kind": r.kind,
            }
        )
    from engine.learning.store import default_store

    otio_json = timeline.to_json_string()
    store = default_store(data_dir)
    try:
        store.record_timeline(timeline_id, prompt, spec.model_dump(mode="json"), records, otio_json)
    finally:
        store.close()
    timings["total_s"] = time.perf_counter() - t0

    duration = float(selection.choices[-1].record_end)
    report: dict[str, Any] = {
        "timeline_id": timeline_id,
        "prompt": prompt,
        "spec": spec.model_dump(mode="json"),
        "spec_source": spec_source,
        "spec_summary": spec.describe(),
        "notes": notes,
        "scorer": scorer.name,
        "solver": selection.solver,
        "seed": seed,
        "duration": duration,
        "clips": [
            {
                k: rec[k]
                for k in (
                    "decision_id",
                    "path",
                    "source_start",
                    "source_end",
                    "record_start",
                    "record_end",
                    "reason",
                    "score",
                    "kind",
                    "transcript",
                )
            }
            for rec in records
            if rec["chosen"]
        ],
        "rejected": len(selection.rejected),
        "candidates": len(candidates),
        "media": [m.path for m in items],
        "music": str(music_path) if music_path else None,
        "models": models,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    job.report("plan", 1.0, f"{len(decisions)} clips, {duration:.1f} s")
    log.info(
        "edit %s: %d clips, %.2f s (%s spec, %s scorer)",
        timeline_id,
        len(decisions),
        duration,
        spec_source,
        scorer.name,
    )
    return EditResult(timeline, timeline_id, report, captions, analysis, music_analysis, records)


def report_digest(result: EditResult) -> str:
    """A short fingerprint of the cut list, to compare two edits."""
    clips = [
        (c["path"], round(c["source_start"], 3), round(c["source_end"], 3)) for c in result.report["clips"]
    ]
    return hashlib.sha1(json.dumps(clips).encode()).hexdigest()[:12]


__all__ = ["EditResult", "MediaRef", "run_edit", "plan_spec", "report_digest", "Fraction"]
