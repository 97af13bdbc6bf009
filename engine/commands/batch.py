"""`autoedit batch IN_DIR --prompt TEXT --out OUT_DIR`: every media file in a folder, one job each.

Runs through the engine's job runner (engine/server/jobs.py), so a batch edit is the same job a host
submits. Resumable: OUT_DIR/autoedit-batch.json records each finished file with its size, mtime and
the settings used, and a rerun skips those whose output is still there. Outputs are written
atomically and only into OUT_DIR, never next to the inputs. A file that fails is reported and
skipped; exit status 2 when any failed for bad input, 1 for any other failure.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from bridge.formats import EXPORT_FORMATS, suffix_for
from engine.distributed.options import add_ray_argument, leave_cluster, ray_address
from engine.errors import BadInput

MANIFEST_NAME = "autoedit-batch.json"
MEDIA_SUFFIXES = frozenset(
    [
        ".mp4",
        ".mov",
        ".mkv",
        ".webm",
        ".avi",
        ".m4v",
        ".mxf",
        ".mts",
        ".m2ts",
        ".ts",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".flv",
        ".3gp",
        ".wav",
        ".mp3",
        ".flac",
        ".m4a",
        ".aac",
        ".ogg",
        ".opus",
        ".aif",
        ".aiff",
    ]
)


def add_arguments(parser) -> None:
    parser.add_argument("in_dir", help="folder of media files (each is edited on its own)")
    parser.add_argument("--prompt", required=True, help="what the edit should be, as for `autoedit edit`")
    parser.add_argument("--out", required=True, metavar="OUT_DIR", help="where outputs and the manifest go")
    parser.add_argument("--format", choices=sorted(EXPORT_FORMATS), default="otio", help="timeline format")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target-duration", type=float, metavar="S", help="length of each edit in seconds")
    parser.add_argument("--aspect", choices=["16:9", "9:16", "1:1", "4:5"])
    parser.add_argument(
        "--job",
        choices=["edit", "analyze", "probe"],
        default="edit",
        help="edit (default), analyze (write each analysis report) or probe (decode check)",
    )
    parser.add_argument("--recursive", action="store_true", help="include sub-folders")
    add_ray_argument(parser)


def find_media(in_dir: Path, recursive: bool, exclude: Path) -> list[Path]:
    pattern = "**/*" if recursive else "*"
    found = []
    for path in sorted(in_dir.glob(pattern)):
        if path.suffix.lower() in MEDIA_SUFFIXES and path.is_file() and exclude not in path.parents:
            found.append(path)
    return found


def _fingerprint(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def output_name(rel: Path, job: str, fmt: str) -> Path:
    """clip.mp4 -> clip.mp4.otio (keeping the suffix: clip.mov and clip.mp4 must not collide)."""
    suffix = suffix_for(fmt) if job == "edit" else f".{job}.json"
    return rel.with_name(rel.name + suffix)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class Manifest:
    """What a previous run finished; saved after every file so an interrupted batch resumes."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.entries = dict(data.get("files", {}))
            except (ValueError, AttributeError):
                raise BadInput("batch manifest is unreadable; move it away to start over", path) from None

    def finished(
        self, rel: str, fingerprint: dict[str, Any], settings: dict[str, Any], out_dir: Path
    ) -> bool:
        entry = self.entries.get(rel)
        return bool(
            entry
            and entry.get("status") == "done"
            and entry.get("fingerprint") == fingerprint
            and entry.get("settings") == settings
            and (out_dir / entry["output"]).is_file()
        )

    def record(self, rel: str, entry: dict[str, Any]) -> None:
        self.entries[rel] = entry
        write_atomic(self.path, json.dumps({"version": 1, "files": self.entries}, indent=2, sort_keys=True))


def run(args, ctx) -> int:
    from rich.console import Console
    from rich.table import Table

    from engine.console import err_console, progress_bar
    from engine.server.jobs import JOB_FUNCTIONS, JobRecord, execute
    from engine.server.requests import JobOptions, MediaItem, Submit

    in_dir = Path(args.in_dir).expanduser().resolve()
    out_dir = Path(args.out).expanduser().resolve()
    if not in_dir.is_dir():
        raise BadInput("not a folder", in_dir)
    if out_dir == in_dir or (args.recursive and in_dir in out_dir.parents):
        raise BadInput(
            "the output folder must not be the input folder (outputs never go next to the media)", out_dir
        )
    files = find_media(in_dir, args.recursive, exclude=out_dir)
    if not files:
        raise BadInput(f"no media files ({', '.join(sorted(MEDIA_SUFFIXES)[:6])}, ...) here", in_dir)
    options: dict[str, Any] = {"seed": args.seed}
    if args.target_duration is not None:
        options["target_duration"] = args.target_duration
    if args.aspect is not None:
        options["aspect"] = args.aspect
    if args.job == "edit" and args.format != "otio":
        options["exports"] = [args.format]
    settings = {"job": args.job, "prompt": args.prompt, "format": args.format, "options": options}
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out_dir / MANIFEST_NAME)
    rows: list[tuple[str, str, str, float]] = []
    failed_bad_input = failed_other = 0

    with progress_bar() as bar:
        overall = bar.add_task("batch", total=len(files), message="")
        current = bar.add_task("", total=1.0, message="")
        cluster = None
        if ray_address(args, ctx) and args.job != "probe":
            from engine.distributed.run import analyse_on_cluster
            from engine.progress import Job

            def on_cluster(stage: str, fraction: float, message: str) -> None:
                bar.update(current, description="cluster", completed=fraction, message=message[:60])

            todo = [
                str(p)
                for p in files
                if not manifest.finished(str(p.relative_to(in_dir)), _fingerprint(p), settings, out_dir)
            ]
            try:
                cluster = analyse_on_cluster(todo, ctx.config, ctx.data_dir, Job(on_progress=on_cluster))
            finally:
                leave_cluster()
        # The head's cache now holds every analysis: each file's job below only reads it (no second
        # trip to the cluster, which this command has left). A bad file meets the usual error there,
        # as in a local batch; only what the cluster lost fails its entry here.
        config = ctx.config.model_copy(deep=True)
        config.distributed.ray_address = None
        for index, path in enumerate(files):
            rel = path.relative_to(in_dir)
            fingerprint = _fingerprint(path)
            if manifest.finished(str(rel), fingerprint, settings, out_dir):
                rows.append(
                    (str(rel), "skipped", f"{manifest.entries[str(rel)]['output']} (done before)", 0.0)
                )
                bar.update(overall, completed=index + 1)
                continue
            bar.update(current, description=str(rel), completed=0.0, message="")

            def show(stage: str, fraction: float, message: str) -> None:
                bar.update(current, completed=fraction, message=f"{stage} {message}"[:60])

            started = time.monotonic()
            request = Submit(
                id="batch",
                job_id=f"batch-{index}",
                kind=args.job,
                media=[MediaItem(path=str(path))],
                prompt=args.prompt,
                options=JobOptions.model_validate(options),
            )
            record = JobRecord(request=request, peer=b"batch")
            if cluster is not None and str(path) in cluster.lost:  # the cluster failed it, past retries
                final = {"type": "error", "code": "internal", "message": f"{path}: {cluster.lost[str(path)]}"}
            else:
                final = execute(record, JOB_FUNCTIONS[args.job], config, ctx.data_dir, show)
            seconds = time.monotonic() - started
            if final["type"] == "error":
                if final["code"] == "bad_input":
                    failed_bad_input += 1
                else:
                    failed_other += 1
                rows.append((str(rel), "failed", final["message"], seconds))
                manifest.record(
                    str(rel),
                    {
                        "status": "failed",
                        "error": final["message"],
                        "code": final["code"],
                        "fingerprint": fingerprint,
                        "settings": settings,
                    },
                )
                if final["code"] == "model_not_found":
                    break  # every other file would fail the same way
            else:
                output = output_name(rel, args.job, args.format)
                if args.job == "edit":
                    text = final["otio"] if args.format == "otio" else final["exports"][args.format]
                else:
                    text = json.dumps(final["report"], indent=2)
                write_atomic(out_dir / output, text)
                manifest.record(
                    str(rel),
                    {
                        "status": "done",
                        "output": str(output),
                        "fingerprint": fingerprint,
                        "settings": settings,
                        "timeline_id": final.get("timeline_id"),
                        "seconds": round(seconds, 3),
                    },
                )
                rows.append((str(rel), "done", str(output), seconds))
            bar.update(overall, completed=index + 1)
        bar.update(current, visible=False)

    table = Table(title=f"autoedit batch: {in_dir} -> {out_dir}")
    table.add_column("file")
    table.add_column("result")
    table.add_column("output / error", overflow="fold")
    table.add_column("seconds", justify="right")
    style = {"done": "green", "skipped": "cyan", "failed": "red"}
    for name, result, detail, seconds in rows:
        table.add_row(name, f"[{style[result]}]{result}[/]", detail, f"{seconds:.1f}")
    counts = {k: sum(1 for r in rows if r[1] == k) for k in ("done", "skipped", "failed")}
    Console(width=max(120, Console().width)).print(table)
    err_console.print(
        f"{counts['done']} done, {counts['skipped']} skipped (finished before), {counts['failed']} failed"
    )
    if cluster is not None:
        err_console.print(
            f"cluster: {cluster.tasks} analysis task(s); {cluster.node_counts() or 'all cached'}; "
            f"{cluster.restarts} task(s) rerun after a worker died"
        )
    if failed_bad_input:
        return 2
    return 1 if failed_other else 0
