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
    # Set when work running beside this one failed: stops it as cancel does, without cancelling the
    # whole job (see `together`); one per level of `together`, so an outer stop reaches inner parts.
    stop_events: tuple[threading.Event, ...] = ()

    def report(self, stage: str, fraction: float, message: str = "") -> None:
        self.check()
        if self.on_progress is not None:
            self.on_progress(stage, min(max(fraction, 0.0), 1.0), message)

    def check(self) -> None:
        if self.cancel_event.is_set() or any(e.is_set() for e in self.stop_events):
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
                parent.on_progress(_label(stage, child_stage), start + (end - start) * fraction, message)

        return Job(on_progress=forward, cancel_event=self.cancel_event, stop_events=self.stop_events)

    def quiet(self) -> Job:
        """The same cancellation, no progress: for helpers whose progress another part reports."""
        return Job(cancel_event=self.cancel_event, stop_events=self.stop_events)

    def together(
        self, shares: dict[str, float], start: float, end: float
    ) -> tuple[dict[str, Job], threading.Event]:
        """Child jobs for parts that run at the same time, each weighing its share of [start, end].

        This job's fraction is the weighted sum of the parts' own, so it only moves forward however their
        reports interleave. The returned event stops every part (as cancel does, but only them): set it
        when one part fails, so the others end at their next report instead of running on for nothing.
        """
        parent = self
        lock = threading.Lock()
        done = dict.fromkeys(shares, 0.0)
        total = sum(shares.values()) or 1.0
        stop = threading.Event()

        def forward_for(name: str) -> ProgressCallback:
            def forward(child_stage: str, fraction: float, message: str) -> None:
                if parent.on_progress is None:
                    return
                with lock:
                    done[name] = max(done[name], fraction)
                    overall = sum(shares[n] * done[n] for n in shares) / total
                    parent.on_progress(_label(name, child_stage), start + (end - start) * overall, message)

            return forward

        children = {
            name: Job(
                on_progress=forward_for(name),
                cancel_event=self.cancel_event,
                stop_events=(*self.stop_events, stop),
            )
            for name in shares
        }
        return children, stop


def _label(stage: str, child_stage: str) -> str:
    return f"{stage}/{child_stage}" if child_stage and child_stage != stage else stage


def silent() -> Job:
    return Job()
