"""Terminal output: rich progress bars driven by a `Job`, and logging set-up for -v."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from engine.progress import Job

err_console = Console(stderr=True, soft_wrap=True)


def setup_logging(verbosity: int) -> None:
    level = logging.WARNING - 10 * min(verbosity, 2)
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False)],
        force=True,
    )


def progress_bar() -> Progress:
    """The one bar layout every long command shows: stage, bar, percentage, elapsed, latest message."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[message]}"),
        console=err_console,
        transient=False,
    )


@contextmanager
def progress_job(description: str, enabled: bool = True) -> Iterator[Job]:
    """A Job whose reports draw one bar on stderr; Ctrl-C cancels the job cleanly."""
    if not enabled or not err_console.is_terminal:
        # Not a terminal (a pipe, a log file): one line per stage instead of a redrawn bar.
        last: dict[str, str | None] = {"stage": None}

        def log_stage(stage: str, fraction: float, message: str) -> None:
            if stage != last["stage"]:
                last["stage"] = stage
                err_console.print(f"{description} · {stage} {fraction:.0%} {message}", highlight=False)

        yield Job(on_progress=log_stage)
        return
    with progress_bar() as bar:
        task = bar.add_task(description, total=1.0, message="")

        def update(stage: str, fraction: float, message: str) -> None:
            bar.update(task, completed=fraction, description=f"{description} · {stage}", message=message[:60])

        job = Job(on_progress=update)
        try:
            yield job
        except KeyboardInterrupt:
            job.cancel()
            raise
