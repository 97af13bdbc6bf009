"""One bridge from a transformers Trainer's steps to our `Job`, so training reports progress and can be
cancelled (Job.report raises Cancelled at the next step) the same way every other long job does."""

from __future__ import annotations

import logging
from typing import Any

from engine.progress import Job

log = logging.getLogger(__name__)


def trainer_progress(job: Job, stage: str, share: float = 0.9, label: str = "") -> Any:
    """A TrainerCallback reporting steps as `stage` over the first `share` of the job, logging metrics."""
    from transformers import TrainerCallback

    class JobProgress(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001
            job.report(
                stage,
                share * state.global_step / max(state.max_steps, 1),
                f"step {state.global_step}/{state.max_steps}",
            )

        def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
            if logs:
                log.info("%s %s step %d: %s", stage, label, state.global_step, logs)

    return JobProgress()
