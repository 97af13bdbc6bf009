"""`autoedit transcript MEDIA... -o edit.txt`: the words as text to edit; `autoedit edit
--from-transcript edit.txt` turns the edited text into the timeline (engine/planning/transcript.py)."""

from __future__ import annotations

from pathlib import Path

QUICK_EXIT = True  # nothing it starts outlives run(): engine.cli.console may end the process at once


def add_arguments(parser) -> None:
    parser.add_argument("media", nargs="+", metavar="MEDIA", help="video or audio files to transcribe")
    parser.add_argument(
        "-o", "--output", metavar="FILE", default="edit.txt", help="where to write (default: edit.txt)"
    )


def run(args, ctx) -> int:
    from engine.console import err_console, progress_job
    from engine.paths import write_output
    from engine.planning.transcript import analyse_for_transcript, write_transcript

    with progress_job("transcript") as job:
        items = analyse_for_transcript(
            [str(Path(m).resolve()) for m in args.media], ctx.config, ctx.data_dir, job
        )
    out = Path(args.output)
    write_output(out, write_transcript(items))
    words = sum(len(m.words) for m in items)
    err_console.print(f"wrote {out} ({words} words of {len(items)} file(s))", highlight=False)
    return 0
