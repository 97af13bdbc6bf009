"""`autoedit eval summarisation|highlights --dataset NAME [--data DIR]`: our edit on public benchmarks.

Prints a table of our figures beside the published ones (engine/evaluation/published.py). Without the
data the command exits 2 and says which files to put where; nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

TASKS = {"summarisation": ("tvsum", "summe"), "highlights": ("qvhighlights",)}


def add_arguments(parser) -> None:
    parser.add_argument(
        "task", choices=list(TASKS), help="summarisation (keyshot F1) or highlights (HD mAP, HIT@1)"
    )
    parser.add_argument(
        "--dataset", required=True, choices=[d for ds in TASKS.values() for d in ds], help="benchmark to run"
    )
    parser.add_argument(
        "--data", metavar="DIR", help="the dataset's files (default: DATA_DIR/benchmarks/DATASET)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")


def run(args, ctx) -> int:
    from rich.table import Table

    from engine.console import progress_job
    from engine.errors import BadInput
    from engine.evaluation.run import run_highlights, run_summarisation

    if args.dataset not in TASKS[args.task]:
        raise BadInput(
            f"--dataset {args.dataset} is not a {args.task} benchmark (use {', '.join(TASKS[args.task])})"
        )
    data_dir = Path(args.data).expanduser() if args.data else ctx.data_dir / "benchmarks" / args.dataset
    with progress_job("evaluate") as job:
        if args.task == "summarisation":
            result = run_summarisation(args.dataset, data_dir, job)
        else:
            result = run_highlights(data_dir, job)
    from rich.console import Console

    table = Table(
        title=f"{result.dataset}: {result.items} {'videos' if args.task == 'summarisation' else 'queries'}"
    )
    table.add_column("method")
    table.add_column("source")
    for column in result.columns:
        table.add_column(column, justify="right")
    for row in result.rows:
        table.add_row(
            row.method,
            "published" if row.published else "measured here",
            *(f"{row.values[c]:.2f}" for c in result.columns),
        )
    out = Console(soft_wrap=True)
    out.print(table)
    for note in result.notes:
        out.print(note, highlight=False)
    if args.json:
        payload = {
            "dataset": result.dataset,
            "items": result.items,
            "rows": [{"method": r.method, "published": r.published, **r.values} for r in result.rows],
            "notes": result.notes,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0
