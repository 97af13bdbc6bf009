"""Learning curve of the feedback loop: events -> held-out pairwise accuracy -> acceptance of fresh edits.

A simulated editor (engine.learning.simulate) reviews edits of real footage from ../shared/media
through the real bridge against `autoedit serve`; after every EVERY events a reward model is trained
on the events so far and the editor reviews fresh edits. Acceptance is printed next to the untrained
engine's, measured in the same run (the ratio column), and the curve is written as a PNG.

    .venv/bin/python bench/learning.py [--events 100] [--every 25] [--taste steady|opposite|random]
                                       [--seed 0] [--out bench/out/learning.png]
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
from engine.learning.pairs import preference_pairs  # noqa: E402
from engine.learning.reward import train_reward  # noqa: E402
from engine.learning.simulate import (  # noqa: E402
    SIMULATION_FOOTAGE,
    STEADY_FACES,
    SimulatedEditor,
    Taste,
    acceptance_of,
    collect_feedback,
    local_engine,
    requests_for,
)
from engine.learning.store import default_store  # noqa: E402

MEDIA = REPO / ".." / "shared" / "media"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--every", type=int, default=25)
    ap.add_argument("--taste", choices=["steady", "opposite", "random"], default="steady")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--cache-from", help="a data dir whose analysis and text caches to reuse (read through symlinks)"
    )
    ap.add_argument("--out", default=str(REPO / "bench" / "out" / "learning.png"))
    args = ap.parse_args()

    taste: Taste = {
        "steady": STEADY_FACES,
        "opposite": STEADY_FACES.opposite(),
        "random": Taste.random(args.seed),
    }[args.taste]
    media = [str((MEDIA / p).resolve()) for p in SIMULATION_FOOTAGE]
    work = Path(tempfile.mkdtemp(prefix="autoedit-bench-learning-"))
    data = work / "data"
    data.mkdir(parents=True)
    if args.cache_from:
        for cache in ("analysis", "planning"):
            source = Path(args.cache_from).resolve() / cache
            source.mkdir(parents=True, exist_ok=True)
            (data / cache).symlink_to(source, target_is_directory=True)
    cfg_file = work / "engine.yaml"
    cfg_file.write_text("planner:\n  backend: rules\n", encoding="utf-8")
    config = load_config(cfg_file)
    editor = SimulatedEditor(taste)
    fresh = requests_for(
        media,
        ["a highlight reel of this footage", "cut the strongest moments"],
        [10.0, 14.0],
        range(1000, 1004),
    )
    stream = iter(
        requests_for(
            media,
            ["a short highlight reel", "the best moments", "a quick teaser"],
            [10.0, 15.0, 20.0, 25.0],
            range(0, 500),
        )
    )

    rows: list[tuple[int, int, float | None, float, float]] = []
    print(f"taste: {taste.name} {dict(taste.weights)}")
    with local_engine(data, work, cfg_file) as client:
        t0 = time.perf_counter()
        baseline, _ = acceptance_of(client, editor, fresh)
        print(
            f"untrained engine: acceptance {baseline:.3f} (first edits incl. analysis {time.perf_counter() - t0:.0f} s)"
        )
        rows.append((0, 0, None, baseline, 1.0))
        store = default_store(data)
        try:
            target = 0
            while target < args.events:
                target = min(args.events, target + args.every)
                collect_feedback(client, editor, stream, target - store.count())
                n = store.count()
                pairs = preference_pairs(store, upto=n)
                t1 = time.perf_counter()
                result = train_reward(
                    config, data, pairs, heldout_fraction=config.learning.heldout_fraction, seed=args.seed
                )
                train_s = time.perf_counter() - t1
                accepted, _ = acceptance_of(client, editor, fresh)
                ratio = accepted / baseline if baseline else float("inf")
                rows.append((n, len(pairs), result.heldout_accuracy, accepted, ratio))
                acc = f"{result.heldout_accuracy:.3f}" if result.heldout_accuracy is not None else "n/a"
                print(
                    f"events {n:4d}  pairs {len(pairs):4d}  held-out accuracy {acc} ({result.heldout_pairs} pairs)"
                    f"  acceptance {accepted:.3f} (x{ratio:.2f} the untrained engine, {accepted - baseline:+.3f})"
                    f"  [{result.version}, trained in {train_s:.0f} s]"
                )
        finally:
            store.close()

    print("\nevents  pairs  held-out-acc  acceptance  vs-untrained")
    for n, p, acc, a, r in rows:
        print(f"{n:6d}  {p:5d}  {'-' if acc is None else f'{acc:.3f}':>12}  {a:10.3f}  x{r:.2f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    xs = [r[0] for r in rows]
    ax.plot(xs, [r[3] for r in rows], marker="o", label="acceptance of fresh edits")
    ax.plot(
        [r[0] for r in rows if r[2] is not None],
        [r[2] for r in rows if r[2] is not None],
        marker="s",
        label="held-out pairwise accuracy",
    )
    ax.axhline(baseline, color="grey", linestyle=":", label="untrained engine")
    ax.set_xlabel("preference events")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"AutoEdit learning curve: {taste.name}", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"plot: {out}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
