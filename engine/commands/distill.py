"""`autoedit distill shots|objects|faces FOLDER... [-o DIR]`: train a small student on a teacher's outputs.

shots: TransNetV2 -> the shot-boundary student (engine/analysis/shot_student.py); objects (studio):
RT-DETR -> a small detector head; faces: not built yet, and says so. Teacher outputs are kept per clip
in the data dir, so a rerun (or a run after a cancel) does no teacher work twice.
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("student", choices=["shots", "objects", "faces"], help="which analyser to distil")
    parser.add_argument(
        "folders", nargs="+", metavar="FOLDER", help="unlabelled footage (folders or video files)"
    )
    parser.add_argument(
        "-o",
        "--out",
        metavar="DIR",
        help="where the weights and card go (default: <data dir>/models/<student>-student)",
    )
    parser.add_argument("--steps", type=int, default=None, help="training steps (default 1500)")
    parser.add_argument(
        "--splices", type=int, default=None, help="generated hard-cut clips to make (default 240)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--truth",
        metavar="FILE",
        help='ground truth to measure on, never trained on: {"clips": [{"path": ..., "cuts": [s, ...]}]}',
    )


def run(args, ctx) -> int:
    from engine.console import progress_job
    from engine.errors import NotImplementedYet

    if args.student == "faces":
        raise NotImplementedYet(
            "distill faces: no MediaPipe-face student is built yet (issue 12 did shots first); "
            "faces stay on MediaPipe (analysis.faces_backend)"
        )
    folders = [Path(f).expanduser() for f in args.folders]
    default_out = ctx.data_dir / "models" / f"{args.student}-student"
    out = Path(args.out).expanduser() if args.out else default_out
    if args.student == "objects":
        from engine.distill import studio

        with progress_job("distilling objects") as job:
            card = studio.distill_objects(
                folders, out, ctx.config, ctx.data_dir, job, steps=args.steps or 300
            )
        print(f"student written to {out}: {card['summary']}")
        return 0
    from engine.distill import shots

    settings = shots.Settings(seed=args.seed)
    if args.steps is not None:
        settings.steps = args.steps
        settings.curve_every = max(1, min(settings.curve_every, args.steps))
    if args.splices is not None:
        settings.splices = args.splices
    truth = shots.read_truth(Path(args.truth)) if args.truth else None
    with progress_job("distilling shots") as job:
        card = shots.distill_shots(folders, out, ctx.config, ctx.data_dir, job, settings, truth)
    held = card["f1_vs_teacher"]["held_out_splices_at_1_frame"]
    speed = card["speed"]["student_speedup_vs_teacher"]
    print(
        f"student written to {out / shots.WEIGHTS_NAME} (card {shots.CARD_NAME}): F1 vs teacher {held} on held-out "
        f"cuts, {speed}x the teacher's speed; teacher ran on {card['teacher_runs_this_call']} clips this time"
    )
    return 0
