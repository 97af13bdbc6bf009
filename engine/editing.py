"""The edit use case: media + prompt -> analysis -> EditSpec -> candidates -> scores -> selection -> OTIO.

It sits above the layers it drives (analysis, planning, timeline, learning), none of which imports
another's use of it; the CLI, the server and batch all call `run_edit`. Same inputs and seed give the
same timeline (and the same `timeline_id`); the timeline and every decision, chosen or the best
rejected, go into the event store so the learning loop can later tie feedback to them.
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

import numpy as np
import opentimelineio as otio

from engine.analysis.report import AnalysisReport, MediaAnalysis, media_rate
from engine.config import EngineConfig
from engine.errors import BadInput
from engine.planning.candidates import Candidate, build_candidates
from engine.planning.features import TextEmbedder
from engine.planning.rules import ParsedPrompt
from engine.planning.scoring import PriorScorer, Scorer
from engine.planning.selection import Selection
from engine.planning.spec import ASPECTS, STYLES, EditSpec
from engine.progress import Job
from engine.timeline.placement import PlacedClip

log = logging.getLogger("autoedit.edit")

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
    "editor_profile",  # whose taste: the events' `profile` (the settings profile is the job's `profile`)
}
TRIMMED_SPREAD = 1.25  # learned pacing: shots from kept/1.25 to 1.25 x the median kept length
MIN_LEARNED_SHOT_S = 0.3
REPORT_CLIP_KEYS = (
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


# ------------------------------------------------------------------------------------------- inputs


def check_options(options: dict[str, Any]) -> dict[str, Any]:
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


def check_media(media: list[MediaRef]) -> list[MediaRef]:
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


# ------------------------------------------------------------------------------------------- steps


def load_scorer(config: EngineConfig, data_dir: Path, profile: str = "default") -> Scorer:
    """The editor profile's current reward model when it has one, else the planner's prior (a new profile)."""
    from engine.learning.reward import latest_scorer

    return latest_scorer(config, data_dir, profile) or PriorScorer()


def _analyse(paths: list[Path], config: EngineConfig, data_dir: Path, job: Job) -> AnalysisReport:
    from engine.analysis.runner import analyse_files

    return analyse_files([str(p) for p in paths], config, data_dir, job)


def _analysed_sources(
    refs: list[MediaRef], analysis: AnalysisReport, notes: list[str]
) -> tuple[list[MediaAnalysis], list[MediaRef]]:
    """The sources that could be analysed, in order, with their refs; a note for each left out."""
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
    return items, kept_refs


def _analysed_music(music_path: Path, config: EngineConfig, data_dir: Path, job: Job) -> MediaAnalysis:
    report = _analyse([music_path], config, data_dir, job)
    if not report.media:
        err = report.errors[0]["error"] if report.errors else "not analysed"
        raise BadInput(f"the music could not be analysed ({err})", music_path)
    return report.media[0]


def _speech_share(media: list[MediaAnalysis]) -> float:
    total = sum(m.duration for m in media) or 1.0
    spoken = sum(
        sum(s.end - s.start for s in m.speech) or sum(w.end - w.start for w in m.words) for m in media
    )
    return spoken / total


def _settled_spec(
    spec: EditSpec,
    spec_source: str,
    parsed: ParsedPrompt,
    opts: dict[str, Any],
    items: list[MediaAnalysis],
    music: MediaAnalysis | None,
    notes: list[str],
) -> EditSpec:
    """Options and the footage settle what the prompt left open."""
    if parsed.stated_style is None and "style" not in opts and spec_source == "rules":
        spec = spec.model_copy(update={"style": "tighten" if _speech_share(items) > 0.4 else "highlight"})
    for key in ("target_duration", "aspect", "style", "captions"):
        if opts.get(key) is not None and getattr(spec, key) != opts[key]:
            notes.append(f"{key} set by the caller: {opts[key]} (the prompt gave {getattr(spec, key)})")
            spec = spec.model_copy(update={key: opts[key]})
    if music is not None:
        spec = spec.model_copy(update={"music": True})
        if not music.beats:
            notes.append("no beats found in the music; cuts are not snapped to it")
    elif spec.music:
        notes.append(
            "the prompt asks for music but no music file was given (--music FILE); edited without it"
        )
        spec = spec.model_copy(update={"music": False})
    return EditSpec.model_validate(spec.model_dump())


def _learned_pacing(spec: EditSpec, scorer: Scorer, notes: list[str]) -> EditSpec:
    """Clip lengths follow the editor's trims: a scorer trained on enough of them knows the length the
    editor keeps, and the shots are cut around it. A unit's score is per second of it, so no score
    can shorten a unit's clip; the pacing is what sets the lengths the units and their versions have."""
    lengths = getattr(scorer, "trimmed_lengths", None)
    taste = lengths() if callable(lengths) else None
    if not taste:
        return spec
    kept = float(taste["kept_median_s"])
    lo, hi = spec.pacing.min_shot_s, spec.pacing.max_shot_s
    new_hi = min(hi, max(TRIMMED_SPREAD * kept, MIN_LEARNED_SHOT_S))
    new_lo = min(lo, max(kept / TRIMMED_SPREAD, MIN_LEARNED_SHOT_S), new_hi)
    if (new_lo, new_hi) == (lo, hi):
        return spec
    notes.append(
        f"shots {new_lo:.2g}-{new_hi:.2g} s instead of {lo:g}-{hi:g} s: your {taste['trims']} trims kept "
        f"{kept:.2g} s of each clip (median)"
    )
    pacing = spec.pacing.model_copy(update={"min_shot_s": round(new_lo, 3), "max_shot_s": round(new_hi, 3)})
    return EditSpec.model_validate({**spec.model_dump(), "pacing": pacing.model_dump()})


def _candidates(items: list[MediaAnalysis], refs: list[MediaRef], spec: EditSpec) -> list[Candidate]:
    candidates: list[Candidate] = []
    for i, (m, ref) in enumerate(zip(items, refs, strict=True)):
        candidates += build_candidates(m, i, spec, ref.in_s, ref.out_s)
    if not candidates:
        raise BadInput(
            "the media has nothing to cut from (no picture or sound in the chosen range)", refs[0].path
        )
    return candidates


def _with_meaning(items: list[MediaAnalysis], embedder: TextEmbedder, job: Job) -> list[MediaAnalysis]:
    """Each source with the retakes and asides found by meaning (its lines embedded, with progress)."""
    from engine.planning import speech_cuts

    out = []
    for k, m in enumerate(items):
        part = job.sub(Path(m.path).name, k / len(items), (k + 1) / len(items))

        def embed(texts: list[str], part: Job = part) -> np.ndarray:
            return embedder.embed(texts, part)

        out.append(speech_cuts.with_meaning(m, embed))
    return out


def _speech_removed(
    candidates: list[Candidate],
    selection: Selection,
    spec: EditSpec,
    items: list[MediaAnalysis],
    notes: list[str],
) -> list[dict[str, object]]:
    """The disfluencies the edit cut (issue 13), and notes on whole thoughts left out to fit."""
    from engine.planning import speech_cuts

    chosen = {c.candidate.id for c in selection.choices}
    notes += speech_cuts.thought_notes(candidates, chosen, spec, items)
    played = speech_cuts.Played(
        [
            (c.candidate.path, float(c.start / c.candidate.rate), float(c.end / c.candidate.rate))
            for c in selection.choices
        ]
    )
    removed = speech_cuts.removed_report([(m.path, speech_cuts.cuts_for(m, spec)) for m in items], played)
    if removed:
        notes.append(f"{len(removed)} disfluencies cut (see speech_removed)")
    left = speech_cuts.left_in_note(items, spec, played)
    if left:
        notes.append(left)
    return removed


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


def _placed_clips(selection: Selection, timeline_id: str) -> list[PlacedClip]:
    """The chosen units as the timeline places them, each with its decision id and reason."""
    from engine.planning.features import describe

    out = []
    for k, c in enumerate(selection.choices):
        cand = c.candidate
        out.append(
            PlacedClip(
                decision_id=str(uuid.uuid5(uuid.UUID(timeline_id), f"{cand.id}:{k}")),
                reason=describe(cand),
                media_index=cand.media_index,
                path=cand.path,
                rate=cand.rate,
                start=c.start,
                end=c.end,
                record_start=c.record_start,
                record_end=c.record_end,
                kind=cand.kind,
                score=float(cand.score),
                features=dict(cand.features),
                text=cand.text,
                words=tuple(cand.words),
                muted=cand.muted,
            )
        )
    return out


def _decision_records(
    clips: list[PlacedClip], selection: Selection, timeline_id: str
) -> list[dict[str, Any]]:
    """What the learning loop needs: every placed decision and the best ones left out."""
    from engine.planning.features import describe

    records: list[dict[str, Any]] = []
    for k, c in enumerate(clips):
        records.append(
            {
                "decision_id": c.decision_id,
                "chosen": True,
                "path": c.path,
                "source_start": c.source_start_s,
                "source_end": c.source_end_s,
                "record_start": float(c.record_start),
                "record_end": float(c.record_end),
                "index": k,
                "score": c.score,
                "reason": c.reason,
                "features": dict(c.features),
                "transcript": c.text,
                "kind": c.kind,
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
    return records


def _remember(
    data_dir: Path,
    timeline_id: str,
    prompt: str,
    spec: EditSpec,
    records: list[dict[str, Any]],
    timeline: otio.schema.Timeline,
) -> None:
    from engine.learning.store import default_store

    store = default_store(data_dir)
    try:
        store.record_timeline(
            timeline_id, prompt, spec.model_dump(mode="json"), records, timeline.to_json_string()
        )
    finally:
        store.close()


def _review_order(
    timeline: otio.schema.Timeline,
    report: dict[str, Any],
    clips: list[PlacedClip],
    pool_scores: list[float],
    scorer: Scorer,
) -> None:
    """Most informative clips first for the host's review list, and how sure the scorer is (in place)."""
    from engine.learning.review import apply_review_order

    apply_review_order(
        timeline, report, [c.decision_id for c in clips], [float(c.score) for c in clips], pool_scores, scorer
    )


# --------------------------------------------------------------------------------------- the job


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
    from engine.learning.policy import latest_adapter
    from engine.planning import speech_cuts
    from engine.planning.features import compute_features
    from engine.planning.prompt import plan_spec
    from engine.planning.scoring import ScoringContext
    from engine.planning.selection import select
    from engine.timeline.build import build_timeline

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    opts = check_options(options or {})
    seed = int(opts.pop("seed", seed) or 0)
    refs = check_media(list(media))
    music_path = Path(music).expanduser().resolve() if music else None
    if music_path is not None and not music_path.is_file():
        raise BadInput("no such music file", music_path)

    job.report("plan", 0.0, "reading the prompt")
    adapter = latest_adapter(data_dir) if config.planner.backend != "rules" else None
    spec, spec_source, notes, parsed = plan_spec(prompt, config, job.sub("plan", 0.0, 0.2), adapter)
    timings["plan_spec_s"] = time.perf_counter() - t0

    t1 = time.perf_counter()  # analysis, cached by content hash by the runner
    if analysis is None:
        analysis = _analyse([Path(r.path) for r in refs], config, data_dir, job.sub("analyse", 0.2, 0.75))
    items, kept_refs = _analysed_sources(refs, analysis, notes)
    if music_path is not None and music_analysis is None:
        music_analysis = _analysed_music(music_path, config, data_dir, job.sub("analyse music", 0.75, 0.8))
    timings["analysis_s"] = time.perf_counter() - t1
    spec = _settled_spec(spec, spec_source, parsed, opts, items, music_analysis, notes)

    t2 = time.perf_counter()  # candidates, features, scores, selection
    scorer = load_scorer(config, data_dir, str(opts.get("editor_profile") or "default"))
    spec = _learned_pacing(spec, scorer, notes)
    # Progress from here to the end (issue 19: minutes on a 10-hour source): meaning of the lines,
    # candidates, features (their text embeddings), scores, selection, timeline, effects, records.
    job.report("candidates", 0.8, "finding candidate units")
    embedder = TextEmbedder(config, data_dir)
    try:
        if speech_cuts.wants_cuts(spec):  # retakes and asides by meaning too (MiniLM), before the units
            items = _with_meaning(items, embedder, job.sub("retakes by meaning", 0.8, 0.82))
        candidates = _candidates(items, kept_refs, spec)
        job.report("candidates", 0.82, f"{len(candidates)} candidate units")
        vectors = compute_features(candidates, items, spec, prompt, embedder, job.sub("features", 0.82, 0.87))
    finally:
        embedder.close()
    job.report("scoring", 0.87, f"scoring {len(candidates)} candidates")
    context = ScoringContext(
        prompt=prompt, spec=spec.model_dump(mode="json"), style=spec.style, media=[m.path for m in items]
    )
    scores = scorer.score(context, candidates)
    video_items = [m for m in items if m.width > 0]
    rate = media_rate(video_items[0] if video_items else items[0])
    beats = music_analysis.beats if music_analysis is not None and music_analysis.beats else None
    job.report("selection", 0.88, "selecting")
    selection = select(candidates, scores, spec, rate, seed=seed, beats=beats, vectors=vectors)
    job.report("selection", 0.9, f"{len(selection.choices)} units chosen")
    notes += selection.notes
    speech_removed = _speech_removed(candidates, selection, spec, items, notes)
    if not selection.choices:
        raise BadInput(
            "nothing in the media fits this edit (" + "; ".join(selection.notes) + ")", kept_refs[0].path
        )
    timings["selection_s"] = time.perf_counter() - t2

    timeline_id = _timeline_id(items, kept_refs, prompt, spec, seed, str(music_path) if music_path else None)
    clips = _placed_clips(selection, timeline_id)
    reframes = None
    if spec.aspect != "16:9" or any(m.width and m.height and m.width < m.height for m in items):
        from engine.timeline.reframe import reframe_clips

        reframes = reframe_clips(clips, items, spec.aspect)
    job.report("timeline", 0.91, f"building the timeline of {len(clips)} clips")
    models = {k: v for m in items for k, v in m.models.items()}
    models["text_embedding"] = config.models.text_embedding.name
    models["scorer"] = scorer.name
    if spec_source == "llm":
        models["planner"] = config.models.planner.name
    timeline = build_timeline(
        clips, items, spec.model_dump(mode="json"), prompt, timeline_id, models, rate, music_analysis,
        selection.music_start, reframes, jl_cuts=bool(opts.get("jl_cuts", True)),
    )  # fmt: skip
    from engine.timeline.speech_marks import mark_removed_speech

    speech_removed = mark_removed_speech(timeline, clips, speech_removed, rate)  # + record_s, host markers
    job.report("timeline", 0.93, f"{len(timeline.tracks)} tracks")
    from engine.effects.apply import add_effects

    effects = add_effects(timeline, prompt, items, config, data_dir, job.sub("effects", 0.93, 0.96))
    notes += effects["notes"]
    captions = None
    if spec.captions:
        from engine.timeline.captions import srt_for

        captions = srt_for(clips)
    job.report("record", 0.97, "recording the decisions")
    records = _decision_records(clips, selection, timeline_id)
    timings["total_s"] = time.perf_counter() - t0

    duration = float(clips[-1].record_end)
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
        "clips": [{k: rec[k] for k in REPORT_CLIP_KEYS} for rec in records if rec["chosen"]],
        "effects": effects["effects"],
        "speech_removed": speech_removed,
        "rejected": len(selection.rejected),
        "candidates": len(candidates),
        "media": [m.path for m in items],
        "music": str(music_path) if music_path else None,
        "models": models,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    _review_order(timeline, report, clips, [float(c.score) for c in candidates], scorer)
    _remember(data_dir, timeline_id, prompt, spec, records, timeline)  # the timeline with its review order
    job.report("plan", 1.0, f"{len(clips)} clips, {duration:.1f} s")
    log.info(
        "edit %s: %d clips, %.2f s (%s spec, %s scorer)",
        timeline_id,
        len(clips),
        duration,
        spec_source,
        scorer.name,
    )
    return EditResult(timeline, timeline_id, report, captions, analysis, music_analysis, records)


def edit_from_transcript(path: Path, config: EngineConfig, data_dir: Path, job: Job) -> EditResult:
    """The timeline an edited `autoedit transcript` file describes: its kept runs in file order, back
    to back, each cut frame-exact in the gaps around its words (engine/planning/transcript.py)."""
    from engine.planning.transcript import analyse_for_transcript, candidates_from, read_transcript
    from engine.timeline.build import build_timeline

    path = Path(path)
    kept = read_transcript(
        path, lambda paths: analyse_for_transcript(paths, config, data_dir, job.sub("analyse", 0.0, 0.8))
    )
    job.report("plan", 0.8, "placing the kept words")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    timeline_id = str(uuid.uuid5(TIMELINE_NAMESPACE, f"transcript:{digest}"))
    clips: list[PlacedClip] = []
    cursor = Fraction(0)
    for k, (cand, fa, fb) in enumerate(candidates_from(kept)):
        end = cursor + Fraction(fb - fa) / cand.rate
        clips.append(
            PlacedClip(
                decision_id=str(uuid.uuid5(uuid.UUID(timeline_id), f"{cand.id}:{k}")),
                reason=f'kept in the transcript: "{cand.text[:60]}"',
                media_index=cand.media_index,
                path=cand.path,
                rate=cand.rate,
                start=fa,
                end=fb,
                record_start=cursor,
                record_end=end,
                kind="speech",
                score=1.0,
                text=cand.text,
                words=tuple(cand.words),
            )
        )
        cursor = end
    spec = EditSpec.for_style("tighten")
    video = [m for m in kept.media if m.width > 0]
    rate = media_rate(video[0] if video else kept.media[0])
    prompt = f"edit by transcript {path.name}"
    timeline = build_timeline(clips, kept.media, spec.model_dump(mode="json"), prompt, timeline_id, {}, rate)
    records = [
        {
            "decision_id": c.decision_id, "path": c.path, "source_start": c.source_start_s,
            "source_end": c.source_end_s, "record_start": float(c.record_start),
            "record_end": float(c.record_end), "reason": c.reason, "score": 1.0, "kind": "speech",
            "transcript": c.text,
        }
        for c in clips
    ]  # fmt: skip
    report: dict[str, Any] = {
        "timeline_id": timeline_id, "prompt": prompt, "spec": spec.model_dump(mode="json"),
        "spec_source": "transcript", "spec_summary": f"the kept words of {path.name}, in its order",
        "notes": [], "scorer": "none", "solver": "transcript", "seed": 0, "duration": float(cursor),
        "clips": records, "effects": [], "speech_removed": [], "rejected": 0, "candidates": len(clips),
        "media": [m.path for m in kept.media], "music": None, "models": {}, "timings": {},
    }  # fmt: skip
    job.report("plan", 1.0, f"{len(clips)} clips, {float(cursor):.1f} s")
    return EditResult(timeline, timeline_id, report, analysis=None)


def report_digest(result: EditResult) -> str:
    """A short fingerprint of the cut list, to compare two edits."""
    clips = [
        (c["path"], round(c["source_start"], 3), round(c["source_end"], 3)) for c in result.report["clips"]
    ]
    return hashlib.sha1(json.dumps(clips).encode()).hexdigest()[:12]
