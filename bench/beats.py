"""Measure the beat trackers on the annotated music in ../shared/media/music and print the table.

    .venv/bin/python bench/beats.py [--repeat N]

F-measure at +-70 ms (mir_eval): `F` scores every annotated beat, `F>5s` ignores the first 5 s as
mir_eval.beat.evaluate does (not applicable to the 2.8 s madmom sample), `Fdown` scores downbeats.
Speed is x real time (audio seconds per second of tracking, best of --repeat runs after a warm-up).
Which data each model was trained on matters here: BeatNet model 1 held GTZAN out, model 2 held
Ballroom out, model 3 held the Rock corpus out (so 3 has seen Ballroom and GTZAN); madmom's RNNs were
trained on Ballroom among others. The `auto` backend is the row this table supports best.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import mir_eval
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import shared_media  # noqa: E402

from engine.analysis.base import AudioRequest  # noqa: E402
from engine.analysis.beats import BeatNetBeats, LibrosaBeats, MadmomBeats  # noqa: E402
from engine.config import ModelSpec, load_config  # noqa: E402
from engine.media.audio import decode_audio  # noqa: E402
from engine.progress import Job  # noqa: E402


def candidates():
    config = load_config()
    out = {}
    for k in (1, 2, 3):
        tracker = BeatNetBeats(config)
        tracker.spec = ModelSpec(
            name=f"beatnet-{k}", source="package", package="BeatNet", file=f"models/model_{k}_weights.pt"
        )
        out[f"beatnet-{k} + madmom DBN"] = tracker
    out["madmom RNN downbeats + DBN"] = MadmomBeats(config)
    out["librosa beat_track"] = LibrosaBeats(config)
    return out


class _Inputs:
    def __init__(self, audio: dict[int, np.ndarray]):
        self._audio = audio

    def audio(self, request: AudioRequest):
        return self._audio[request.sample_rate]


def f_measure(reference, estimate, trim: bool) -> float:
    ref, est = np.asarray(reference, float), np.asarray(estimate, float)
    if trim:
        ref, est = mir_eval.beat.trim_beats(ref), mir_eval.beat.trim_beats(est)
    return float(mir_eval.beat.f_measure(ref, est, f_measure_threshold=0.07))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    files = sorted(shared_media.BEAT_FILES)
    audio = {name: decode_audio(shared_media.media_path(name), [22050, 44100]) for name in files}
    print(f"{'tracker':30} {'file':34} {'F':>6} {'F>5s':>6} {'Fdown':>6} {'bpm':>7} {'ref':>6} {'xRT':>7}")
    for label, tracker in candidates().items():
        scores = []
        for name in files:
            inputs = _Inputs(audio[name])
            tracker.analyse(inputs, Job())  # warm-up: model load, numba compilation
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                result = tracker.analyse(inputs, Job())
                best = min(best, time.perf_counter() - start)
            truth = shared_media.beat_truth(name)
            duration = len(audio[name][22050]) / 22050
            f_all = f_measure(truth.beats, result["beats"], trim=False)
            f_trim = f_measure(truth.beats, result["beats"], trim=True) if duration > 10 else float("nan")
            f_down = (
                f_measure(truth.downbeats, result["downbeats"], trim=False)
                if result["downbeats"]
                else float("nan")
            )
            scores.append(f_trim if duration > 10 else f_all)
            tempo = result["tempo"] if result["tempo"] is not None else float("nan")
            print(
                f"{label:30} {Path(name).name:34} {f_all:6.3f} {f_trim:6.3f} {f_down:6.3f} "
                f"{tempo:7.2f} {truth.tempo_bpm:6.2f} {duration / best:7.1f}"
            )
        print(f"{label:30} {'min F (F>5s on the 30 s files)':34} {min(scores):6.3f}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
