"""`autoedit analyze MEDIA... [-o analysis.json]`: analyse footage and write the report (DESIGN.md).

Good files always land in the report; each file that cannot be analysed is named on stderr with the
reason, and the exit status is then 2 (bad input) even though the report was written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from engine.distributed.options import add_ray_argument, leave_cluster, ray_address
from engine.paths import write_output

QUICK_EXIT = True  # nothing it starts outlives run(): engine.cli.console may end the process at once


def add_arguments(parser) -> None:
    parser.add_argument("media", nargs="+", metavar="MEDIA", help="video or audio files to analyse")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the JSON report here (default: stdout)")
    parser.add_argument(
        "--fields",
        metavar="LIST",
        help="only these report fields, comma-separated (e.g. shots,faces); default: all",
    )
    add_ray_argument(parser)


def run(args, ctx) -> int:
    from engine.analysis.runner import analyse_files
    from engine.console import err_console, progress_job

    fields = [f.strip() for f in args.fields.split(",") if f.strip()] if args.fields else None
    output = Path(args.output) if args.output else None
    if ray_address(args, ctx):
        from engine.distributed.run import analyse_files_on_cluster

        try:
            with progress_job("analyse") as job:
                report, cluster = analyse_files_on_cluster(args.media, ctx.config, ctx.data_dir, job, fields)
        finally:
            leave_cluster()
        err_console.print(f"cluster: {cluster.tasks} task(s); {cluster.node_counts() or 'all cached'}")
    else:
        with progress_job("analyse") as job:
            report = analyse_files(args.media, ctx.config, ctx.data_dir, job, fields=fields)
    text = json.dumps(report.model_dump(mode="json"), indent=2)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        write_output(output, text + "\n")
        err_console.print(f"wrote {output} ({len(report.media)} file(s) analysed)", highlight=False)
    for error in report.errors:
        err_console.print(
            f"[bold red]autoedit analyze:[/] {error['path']}: {error['error']}", highlight=False
        )
    return 2 if report.errors else 0
