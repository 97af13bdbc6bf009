"""`autoedit train reward|policy|status [--rollback]`: the learning loop by hand."""

from __future__ import annotations

import json


def add_arguments(parser) -> None:
    parser.add_argument(
        "what", choices=["reward", "policy", "status"], help="which model to train, or show the state of both"
    )
    parser.add_argument(
        "--rollback", action="store_true", help="make the previous version current instead of training"
    )
    parser.add_argument("--epochs", type=int, help="override learning.reward_epochs / learning.policy_epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="status: print JSON")


def run(args, ctx) -> int:
    from engine.learning import trainer

    if args.what == "status":
        status = trainer.training_status(ctx.config, ctx.data_dir)
        print(json.dumps(status, indent=2, sort_keys=True) if args.json else trainer.describe_status(status))
        return 0
    if args.rollback:
        now = trainer.rollback(ctx.data_dir, args.what)
        print(
            f"{args.what}: current version is now {now.name if now else 'none (the planner prior is used)'}"
        )
        return 0
    from engine.console import progress_job

    with progress_job(f"training the {args.what} model") as job:
        result = trainer.train_now(
            ctx.config, ctx.data_dir, args.what, job=job, epochs=args.epochs, seed=args.seed
        )
    print(trainer.describe_result(args.what, result))
    return 0
