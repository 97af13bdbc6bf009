"""Learning curves for a family of simulated tastes judged by the MEDIA, not by the engine's features.

For each taste (engine.learning.media_tastes.TASTE_FAMILY: audio pace, skin-tone share, brightness,
steadiness, shot length, a disliked source, colourfulness) one engine (`autoedit serve`, its own data
dir, shared analysis caches) edits real footage from ../shared/media through the real bridge; the
taste's bar is the median of its measure over the untrained engine's clips, so acceptance starts near
50 %. After 25, 50 and 100 events a reward model is trained on the events so far and the editor
reviews fresh edits; acceptance is printed next to the untrained engine's (same run) and every curve
goes into one PNG. `--compare` also trains the other reward model kind on the same 100 events (same
held-out split) and prints both held-out pairwise accuracies, to pick `learning.reward_model` by.

    .venv/bin/python bench/learning.py [--tastes pace,faces,...] [--steps 25,50,100] [--compare]
                                       [--fresh 8] [--out bench/out/learning.png]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.config import load_config  # noqa: E402
from engine.learning.media_tastes import TASTE_FAMILY, MediaEditor, MediaTaste  # noqa: E402
from engine.learning.pairs import preference_pairs  # noqa: E402
from engine.learning.reward import train_reward  # noqa: E402
from engine.learning.simulate import (  # noqa: E402
    SIMULATION_FOOTAGE,
    EditRequest,
    clips_of,
    collect_feedback,
    edit_through_bridge,
    local_engine,
    requests_for,
)
from engine.learning.store import default_store  # noqa: E402

MEDIA = REPO / ".." / "shared" / "media"
CACHES = ("analysis", "planning", "learning/visual")


def fresh_requests(media: list[str], n: int) -> list[EditRequest]:
    return requests_for(
        media,
        ["a highlight reel of this footage", "cut the strongest moments"],
        [10.0, 14.0],
        range(1000, 1000 + n),
    )


def acceptance(client, taste: MediaTaste, requests: list[EditRequest], calibrate: bool = False) -> float:
    """Share of the fresh edits' clips the taste keeps (reviewed, not sent)."""
    clips = [c for r in requests for c in clips_of(edit_through_bridge(client, r))]
    if calibrate:
        taste.calibrate(clips)
    return sum(taste.accepts(c) for c in clips) / max(len(clips), 1)


def run_taste(key: str, args, media: list[str], shared: Path, work: Path) -> dict:
    taste = TASTE_FAMILY[key]()
    data = work / key / "data"
    data.mkdir(parents=True)
    for cache in CACHES:
        (shared / cache).mkdir(parents=True, exist_ok=True)
        (data / cache).parent.mkdir(parents=True, exist_ok=True)
        (data / cache).symlink_to(shared / cache, target_is_directory=True)
    cfg_file = work / key / "engine.yaml"
    cfg_file.write_text(
        "planner:\n  backend: rules\nlearning:\n  background_training: false\n", encoding="utf-8"
    )
    config = load_config(cfg_file)
    editor = MediaEditor(taste)
    fresh = fresh_requests(media, args.fresh)
    stream = iter(
        requests_for(
            media,
            ["a short highlight reel", "the best moments", "a quick teaser"],
            [10.0, 15.0, 20.0, 25.0],
            range(0, 500),
        )
    )
    out: dict = {"name": taste.name, "points": [], "compare": None}
    with local_engine(data, work / key, cfg_file) as client:
        before = acceptance(client, taste, fresh, calibrate=True)
        out["points"].append((0, before, None))
        print(f"\n[{key}] {taste.name}: bar {taste.bar:.4g}, untrained engine keeps {before:.3f}")
        store = default_store(data)
        try:
            for step in args.steps:
                collect_feedback(client, editor, stream, step - store.count())
                n = store.count()
                pairs = preference_pairs(store)
                t0 = time.perf_counter()
                result = train_reward(config, data, pairs, heldout_fraction=config.learning.heldout_fraction)
                train_s = time.perf_counter() - t0
                after = acceptance(client, taste, fresh)
                out["points"].append((n, after, result.heldout_accuracy))
                acc = "n/a" if result.heldout_accuracy is None else f"{result.heldout_accuracy:.3f}"
                print(
                    f"[{key}] events {n:4d}  pairs {len(pairs):4d}  held-out acc {acc} ({result.heldout_pairs})"
                    f"  kept {after:.3f} ({after - before:+.3f} vs untrained)  [{result.version} {result.kind},"
                    f" {train_s:.1f} s]"
                )
            if args.compare:
                other = "text" if config.learning.reward_model == "head" else "head"
                t0 = time.perf_counter()
                alt = train_reward(
                    config,
                    data,
                    preference_pairs(store),
                    heldout_fraction=config.learning.heldout_fraction,
                    make_current=False,
                    kind=other,
                )
                out["compare"] = {
                    config.learning.reward_model: out["points"][-1][2],
                    other: alt.heldout_accuracy,
                    f"{other}_train_s": round(time.perf_counter() - t0, 1),
                }
                print(f"[{key}] same {store.count()} events, same held-out pairs: {out['compare']}")
        finally:
            store.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tastes", default=",".join(TASTE_FAMILY))
    ap.add_argument("--steps", default="25,50,100")
    ap.add_argument("--fresh", type=int, default=8, help="fresh edits judged per point")
    ap.add_argument("--compare", action="store_true", help="also train the other reward model kind")
    ap.add_argument("--out", default=str(REPO / "bench" / "out" / "learning.png"))
    args = ap.parse_args()
    args.steps = [int(s) for s in args.steps.split(",")]
    keys = [k.strip() for k in args.tastes.split(",") if k.strip()]
    unknown = [k for k in keys if k not in TASTE_FAMILY]
    if unknown:
        ap.error(f"unknown taste(s) {unknown}; known: {', '.join(TASTE_FAMILY)}")
    media = [str((MEDIA / p).resolve()) for p in SIMULATION_FOOTAGE]
    work = Path(tempfile.mkdtemp(prefix="autoedit-bench-learning-"))
    shared = work / "shared-caches"
    results = {}
    t0 = time.perf_counter()
    try:
        for key in keys:
            results[key] = run_taste(key, args, media, shared, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nacceptance of fresh edits (share of clips kept), {time.perf_counter() - t0:.0f} s in all")
    print(
        f"{'taste':12s} "
        + " ".join(f"{'@' + str(n):>7s}" for n in [0, *args.steps])
        + "   gain  held-out@last"
    )
    for key, res in results.items():
        points = res["points"]
        gain = points[-1][1] - points[0][1]
        acc = points[-1][2]
        print(
            f"{key:12s} "
            + " ".join(f"{p[1]:7.3f}" for p in points)
            + f" {gain:+6.3f}  {'-' if acc is None else f'{acc:.3f}'}"
        )
        if res["compare"]:
            print(f"{'':12s} compare: {res['compare']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 4.4))
    for key, res in results.items():
        ax.plot([p[0] for p in res["points"]], [p[1] for p in res["points"]], marker="o", label=key)
    ax.axhline(0.5, color="grey", linestyle=":", label="bar = median of the untrained engine")
    ax.set_xlabel("preference events")
    ax.set_ylabel("share of clips kept in fresh edits")
    ax.set_ylim(0, 1.05)
    ax.set_title("AutoEdit learning: tastes judged by the media (decoded pixels and sound)", fontsize=9)
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"plot: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
