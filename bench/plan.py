"""Planning time on cached analysis for 1, 4 and 16 hours of footage (scaled synthetic analysis).

Builds an analysis report for N hours of talking footage (shots every ~6 s, a sentence every ~4 s
drawn from a fixed pool, faces, quality and loudness samples), then times run_edit's planning
(candidates, features, scoring, selection, OTIO) with the analysis given, twice per size: cold (the
sentence embeddings are computed) and warm (embeddings cached, as on a re-edit). Prints seconds and
the ratio against 1 hour measured in the same run. Usage: python bench/plan.py [--hours 1 4 16]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from engine.analysis.report import (
    AnalysisReport,
    FaceSample,
    Loudness,
    MediaAnalysis,
    Quality,
    Shot,
    Span,
    Word,
)
from engine.config import load_config
from engine.editing import MediaRef, run_edit
from engine.progress import Job

POOL = [
    "we start every morning by checking the wood for cracks",
    "the table top is glued from five boards of oak",
    "our dog sleeps under the bench while we work",
    "sanding takes longer than anyone expects",
    "each joint is cut by hand with a saw and a chisel",
    "the finish is a simple oil that we rub in by hand",
    "customers often ask how long a table takes to make",
    "this one took about three weeks from start to finish",
    "we never use screws where a joint will hold",
    "the workshop was my grandfather's before it was mine",
]

# Words mixed into every sentence so sentences differ the way real speech does (no near-duplicates).
VOCABULARY = sorted(
    {w for line in POOL for w in line.split()}
    | set(
        [
            "river",
            "winter",
            "bread",
            "engine",
            "paper",
            "garden",
            "window",
            "silver",
            "market",
            "letter",
            "violin",
            "mountain",
            "cotton",
            "harbour",
            "lantern",
            "pepper",
            "candle",
            "ladder",
            "orchard",
            "saddle",
            "marble",
            "blanket",
            "compass",
            "thunder",
            "meadow",
            "kettle",
            "velvet",
            "granite",
            "feather",
            "anchor",
            "basket",
            "copper",
            "tunnel",
            "pillow",
            "mirror",
            "island",
            "forest",
            "canyon",
            "desert",
            "glacier",
        ]
    )
)


def synthetic_analysis(path: Path, hours: float, seed: int = 0) -> MediaAnalysis:
    rng = random.Random(seed)
    duration = hours * 3600
    shots, t = [], 0.0
    while t < duration:
        end = min(duration, t + rng.uniform(3, 9))
        shots.append(Shot(start=t, end=end, confidence=1.0))
        t = end
    words, speech, t = [], [], 0.5
    while t < duration - 5:
        sentence = rng.choice(POOL).split()[: rng.randint(4, 8)] + rng.sample(VOCABULARY, rng.randint(2, 5))
        start = t
        for w in sentence:
            d = 0.12 + 0.04 * len(w)
            words.append(Word(text=w, start=round(t, 3), end=round(t + d, 3), confidence=0.9))
            t += d + 0.05
        speech.append(Span(start=start, end=t))
        t += rng.uniform(0.4, 2.5)
    samples = [i * 0.5 for i in range(int(duration * 2))]
    return MediaAnalysis(
        path=str(path), sha256="bench", duration=duration, fps=25.0, rate=(25, 1), width=1920, height=1080,
        has_audio=True, shots=shots, speech=speech, words=words,
        faces=[FaceSample(time=s, boxes=[[0.4, 0.2, 0.2, 0.3, 0.9]] if int(s) % 7 else []) for s in samples[::4]],
        loudness=Loudness(integrated_lufs=-20.0, times=samples[::2], lufs=[-20 - (i % 9) for i in range(len(samples[::2]))]),
        quality=Quality(times=samples, sharpness=[(i * 37) % 100 / 10 for i in range(len(samples))],
                        motion=[(i * 53) % 100 / 10 for i in range(len(samples))]),
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, nargs="+", default=[1, 4, 16])
    parser.add_argument("--prompt", default="a 3 minute story cut about the dog and the oak table")
    args = parser.parse_args()
    config = load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    with tempfile.TemporaryDirectory(prefix="autoedit-bench-") as tmp:
        root = Path(tmp)
        source = root / "source.mp4"
        source.write_bytes(b"bench stand-in: planning reads only the analysis")
        results = []
        for hours in args.hours:
            report = AnalysisReport(media=[synthetic_analysis(source, hours)])
            times = []
            for _ in range(2):  # cold (embeddings computed), warm (embeddings cached)
                start = time.perf_counter()
                result = run_edit(
                    [MediaRef(source)], args.prompt, config, root / "data", Job(), analysis=report
                )
                times.append(time.perf_counter() - start)
            results.append((hours, times, result.report["candidates"], result.report["duration"]))
            print(f"{hours:5g} h: cold {times[0]:7.2f} s, warm {times[1]:7.2f} s, {result.report['candidates']} candidates, "
                  f"edit {result.report['duration']:.1f} s", flush=True)  # fmt: skip
        base = results[0]
        print(f"\nratios vs {base[0]:g} h (footage x, warm planning time x, per hour of footage):")
        for hours, times, _, _ in results:
            print(f"{hours:5g} h: footage x{hours / base[0]:5.1f}  warm x{times[1] / base[1][1]:6.2f}  "
                  f"warm s/hour {times[1] / hours:6.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
