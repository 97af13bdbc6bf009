"""Progress reporting and cancellation shared by the CLI (rich), the server (progress pushes) and batch.

Long work takes a `Job` and calls `job.report(stage, fraction, message)` between units of work;
`report` raises `Cancelled` as soon as cancellation was asked for, so cancel is honoured at the next unit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.errors import Cancelled

ProgressCallback = Callable[[str, float, str], None]


@dataclass
class Job:
    on_progress: ProgressCallback | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def report(self, stage: str, fraction: float, message: str = "") -> None:
        self.check()
        if self.on_progress is not None:
            self.on_progress(stage, min(max(fraction, 0.0), 1.0), message)

    def check(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled("cancelled")

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def sub(self, stage: str, start: float, end: float) -> Job:
        """A child job whose fractions map into [start, end] of this one's `stage`."""
        parent = self

        def forward(child_stage: str, fraction: float, message: str) -> None:
            if parent.on_progress is not None:
                label = f"{stage}/{child_stage}" if child_stage and child_stage != stage else stage
                parent.on_progress(label, start + (end - start) * fraction, message)

        return Job(on_progress=forward, cancel_event=self.cancel_event)


def silent() -> Job:
    return Job()
