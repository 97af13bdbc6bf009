"""The helper the Lua entry script runs in the engine's Python (autoedit_host.py -> main here).

DaVinci Resolve's free edition runs Lua scripts from Workspace > Scripts but (reportedly, from 21.1)
no Python in-app, and Lua cannot speak ZeroMQ. So the Lua script does only Resolve calls and file I/O,
and this helper does the engine work through the same code as the Python entry:

    job       --request REQ.json --plan PLAN.lua   {"media", "values" (the dialog's strings), "resolve_version"}
                                                    -> engine job -> result files
                                                    + a Lua table telling the script what to import
                                                    and which marker/colour goes on which clip
    transcript --request REQ.json                   {"media", "transcript"} -> the words, written to that file
    transcript-edit --request REQ.json --plan PLAN.lua   {"transcript"} -> the edited transcript's
                                                    timeline, described like a job's plan
    review    --snapshot SNAP.json                  the marks the script read -> accept/reject events
    edit-back --snapshot SNAP.json --exported F     Resolve's OTIO export -> trim/reorder/reject events

It prints `PROGRESS <percent> <stage>: <message>` lines while working and ends with one line,
`OK <summary>` or `ERROR <message>` (exit status 0, or 2 for something the editor can fix, 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import actions, dialog, edit_back, importer, review, speech_notes
from .errors import HostError
from .otio_json import parse_timeline
from .resolve_host import OTIO_IMPORT_SINCE
from .session import Session, save
from .settings import HostSettings, load_settings
from .snapshot import SnapshotTimeline


def lua_literal(value: Any, indent: str = "") -> str:
    """Python data -> a Lua 5.1 expression (the plan is read back with dofile)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        out = []
        for ch in value:
            code = ord(ch)
            if ch in '\\"':
                out.append("\\" + ch)
            elif ch == "\n":
                out.append("\\n")
            elif code < 32 or code == 127:
                out.append(f"\\{code:03d}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    inner = indent + "  "
    if isinstance(value, dict):
        parts = [f"{inner}[{lua_literal(str(k))}] = {lua_literal(v, inner)}" for k, v in value.items()]
    else:
        parts = [f"{inner}{lua_literal(v, inner)}" for v in value]
    return "{\n" + ",\n".join(parts) + "\n" + indent + "}" if parts else "{}"


def _progress(stage: str, fraction: float, message: str) -> None:
    print(f"PROGRESS {int(round(fraction * 100))} {stage}: {message}", flush=True)


def plan_for(
    result: dict[str, Any], settings: HostSettings, fmt: str, request: actions.EditRequest
) -> dict[str, Any]:
    """Write the result files, remember the session, and describe the import for the Lua script."""
    from . import marks

    files = importer.write_result(result, settings, fmt)
    engine = parse_timeline(files.engine_otio.read_text(encoding="utf-8"))
    prompt = request.prompt.strip()
    base = request.timeline_name or f"AutoEdit - {prompt[:40]}"
    timeline_id = str(result["timeline_id"])
    save(
        settings.sessions_dir,
        Session(timeline_id, base, None, str(files.engine_otio), str(files.to_import), files.fmt, prompt),
    )
    rate = engine.rate or Fraction(25)
    tracks = []
    for index in range(1, engine.track_count("Video") + 1):
        tracks.append(
            [
                {
                    "decision_id": c.decision_id,
                    "note": marks.decision_note(c.reason, c.decision_id),
                    "record_start": float(c.record_start),
                }
                for c in engine.track("Video", index)
                if c.decision_id
            ]
        )
    return {
        "import_path": str(files.to_import),
        "format": files.fmt,
        "base_name": base,
        "timeline_id": timeline_id,
        "timeline_marker": {
            "color": marks.TIMELINE_MARKER_COLOR,
            "name": "AutoEdit",
            "note": f"Prompt: {prompt}",
            "custom_data": marks.TIMELINE_MARKER_PREFIX + timeline_id,
        },
        "decision_marker": {"color": marks.DECISION_MARKER_COLOR, "name": marks.DECISION_MARKER_NAME},
        "review_color": marks.REVIEW_CLIP_COLOR,
        "tracks": tracks,
        "speech_markers": [  # what the speech edit cut, at its joins (speech_notes)
            {
                "record_s": float(Fraction(m.frame) / rate),
                "color": speech_notes.SPEECH_MARKER_COLOR,
                "name": m.name,
                "note": m.note,
                "custom_data": m.custom_data,
            }
            for m in speech_notes.speech_markers(engine, rate)
        ],  # fmt: skip
        "notes": [str(n) for n in (result.get("report") or {}).get("notes") or []]
        + ([fades] if (fades := speech_notes.fade_note(engine)) and files.fmt == importer.OTIO else []),
    }


def cmd_job(args: argparse.Namespace, settings: HostSettings) -> str:
    from .engine_link import make_client, run_job

    req = json.loads(Path(args.request).read_text(encoding="utf-8"))
    request = dialog.request_from_values(req.get("values") or {})
    media = [m for m in req.get("media") or [] if m.get("path")]
    if not media:
        raise HostError("No media: select clips in the Media Pool or open a timeline with clips.")
    version = tuple(int(v) for v in (req.get("resolve_version") or [0, 0])[:2])
    fmt = importer.OTIO if version >= OTIO_IMPORT_SINCE else importer.FCP7
    client = make_client(settings)
    try:
        options = settings.job_options(request.options(fmt))
        result = run_job(client, media, request.prompt.strip(), options, _progress)
    finally:
        client.close()
    plan = plan_for(result, settings, fmt, request)
    Path(args.plan).write_text("return " + lua_literal(plan) + "\n", encoding="utf-8")
    return f"{sum(len(t) for t in plan['tracks'])} clips to import from {plan['import_path']}"


def cmd_transcript(args: argparse.Namespace, settings: HostSettings) -> str:
    from .engine_link import make_client, run_job

    req = json.loads(Path(args.request).read_text(encoding="utf-8"))
    asked = dialog.transcript_from_values({"transcript": req.get("transcript")})
    media = [m for m in req.get("media") or [] if m.get("path")]
    if not media:
        raise HostError("No media: select clips in the Media Pool or open a timeline with clips.")
    client = make_client(settings)
    try:
        result = run_job(client, media, "", {}, _progress, kind=actions.TRANSCRIPT)
    finally:
        client.close()
    report = result.get("report") or {}
    out = Path(asked.path).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(str(report.get("text", "")), encoding="utf-8")
    return f"Wrote {int(report.get('words', 0))} words to {out}"


def cmd_transcript_edit(args: argparse.Namespace, settings: HostSettings) -> str:
    from .engine_link import make_client, run_job

    req = json.loads(Path(args.request).read_text(encoding="utf-8"))
    path = Path(dialog.transcript_from_values({"transcript": req.get("transcript")}).path).expanduser()
    if not path.is_file():
        raise HostError(f"No transcript file at {path}.")
    version = tuple(int(v) for v in (req.get("resolve_version") or [0, 0])[:2])
    if version < OTIO_IMPORT_SINCE:
        raise HostError("Edit by transcript imports OTIO timelines: it needs Resolve 18.5 or later.")
    client = make_client(settings)
    try:
        result = run_job(client, [{"path": str(path)}], "", {}, _progress, kind=actions.TRANSCRIPT_EDIT)
    finally:
        client.close()
    request = actions.EditRequest(f"edit by transcript {path.name}", timeline_name=f"AutoEdit - {path.stem}")
    plan = plan_for(result, settings, importer.OTIO, request)
    Path(args.plan).write_text("return " + lua_literal(plan) + "\n", encoding="utf-8")
    return f"{sum(len(t) for t in plan['tracks'])} clips to import from {plan['import_path']}"


def _snapshot_session(args: argparse.Namespace, settings: HostSettings) -> tuple[SnapshotTimeline, Session]:
    snap = SnapshotTimeline(json.loads(Path(args.snapshot).read_text(encoding="utf-8")))
    return review.session_for(None, settings, timeline=snap)


def cmd_review(args: argparse.Namespace, settings: HostSettings) -> str:
    from bridge.events import make_event

    timeline, session = _snapshot_session(args, settings)
    report = review.collect_review(timeline, session, make_event)
    unacked = actions.deliver(settings, None, session, report.events, args.timeout)
    return report.summary() + (f"; {unacked} events wait in the spool for the engine" if unacked else "")


def cmd_edit_back(args: argparse.Namespace, settings: HostSettings) -> str:
    from bridge.events import make_event

    _timeline, session = _snapshot_session(args, settings)
    engine = edit_back.read_engine(session)
    changes = edit_back.diff(engine, parse_timeline(Path(args.exported).read_text(encoding="utf-8")))
    events = edit_back.events_for(changes, session, make_event)
    unacked = actions.deliver(settings, None, session, events, args.timeout)
    return (
        f"{len(changes.trims)} trimmed, {len(changes.reorders)} moved, {len(changes.removed)} removed; "
        f"{len(events)} new events" + (f"; {unacked} wait in the spool" if unacked else "")
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autoedit_host", description=__doc__.splitlines()[0])
    parser.add_argument("--settings", help="autoedit_resolve.json written by `autoedit install-resolve`")
    subs = parser.add_subparsers(dest="command", required=True)
    job = subs.add_parser("job")
    job.add_argument("--request", required=True)
    job.add_argument("--plan", required=True)
    transcript = subs.add_parser("transcript")
    transcript.add_argument("--request", required=True)
    transcript_edit = subs.add_parser("transcript-edit")
    transcript_edit.add_argument("--request", required=True)
    transcript_edit.add_argument("--plan", required=True)
    for name in ("review", "edit-back"):
        sub = subs.add_parser(name)
        sub.add_argument("--snapshot", required=True)
        sub.add_argument("--timeout", type=float, default=10.0)
        if name == "edit-back":
            sub.add_argument("--exported", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings(args.settings)
    command = {
        "job": cmd_job,
        "transcript": cmd_transcript,
        "transcript-edit": cmd_transcript_edit,
        "review": cmd_review,
        "edit-back": cmd_edit_back,
    }[args.command]
    try:
        summary = command(args, settings)
    except HostError as exc:
        print(f"ERROR {exc}", flush=True)
        return 2
    except Exception as exc:  # the Lua side shows this line; the traceback goes to stderr
        import traceback

        traceback.print_exc()
        print(f"ERROR {type(exc).__name__}: {exc}", flush=True)
        return 1
    print(f"OK {summary}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
