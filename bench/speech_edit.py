"""Speech editing quality: precision/recall of filler and retake detection, tightened length, clicks.

    .venv/bin/python bench/speech_edit.py [--data-dir DIR] [--no-prompt] [--no-tighten]

1. Generated speech with known disfluencies (espeak-ng, engine.synthetic): fillers "um"/"uh", a
   false start, a retake and an aside, each placed in a known sentence. A found disfluency counts
   when it lies in the sentence that holds it (espeak gives no word times).
2. Real conversation (../shared/media/speech/pyannote/sample.wav, its STM transcript): the "you know"
   fillers the annotators wrote, matched by the STM segment that holds them.
3. Both with and without the filler-prompted second Whisper pass (analysis.disfluency_prompt).
4. "tighten this, remove silences" (and "... and the ums") on auto-editor's example against
   auto-editor's own figure (17.43 s, its tests at f304c62f), and the peak sample step at each join
   of the preview's audio against the clip's median peak step (a click shows as a ratio >> 1).
Quality figures, not speed: nothing here is timed.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.analysis.runner import analyse_file  # noqa: E402
from engine.config import load_config  # noqa: E402
from engine.progress import Job  # noqa: E402

MEDIA = REPO / ".." / "shared" / "media"
PYANNOTE = MEDIA / "speech" / "pyannote"
EXAMPLE = MEDIA / "talking_head" / "auto-editor_example.mp4"
AUTO_EDITOR_S = 17.433008
GENERATED: tuple[tuple[str, float, list[str]], ...] = (  # (sentence, start s, kinds it holds)
    ("So, um, we start with the legs of the table.", 0.5, ["filler"]),
    ("Uh, then the top goes on with four screws.", 5.0, ["filler"]),
    ("We go, we went to the shop for more glue.", 9.5, ["false_start"]),
    ("The glue dries in about an hour.", 14.0, ["retake"]),
    ("Sorry, let me say that again.", 17.5, ["aside"]),
    ("The glue dries in about one hour.", 20.5, []),
    ("Then, uh, we oil the wood and let it rest.", 24.0, ["filler"]),
)


def score(found, truth):
    """(precision, recall, tp, found, truth) of findings against [(start, end, kind)] truth spans."""
    hits = [any(a - 0.3 <= f.start and f.end <= b + 0.3 and f.kind == k for a, b, k in truth) for f in found]
    caught = [
        any(a - 0.3 <= f.start and f.end <= b + 0.3 and f.kind == k for f in found) for a, b, k in truth
    ]
    p = sum(hits) / len(found) if found else 1.0
    r = sum(caught) / len(truth) if truth else 1.0
    return p, r, sum(caught), len(found), len(truth)


def generated_truth(root: Path):
    from engine.synthetic import write_speech

    path = root / "disfluent.wav"
    truth = write_speech(path, [(t, s) for t, s, _ in GENERATED], 29.0)
    spans = []
    for sentence, (_, _, held) in zip(truth.sentences, GENERATED, strict=True):
        spans += [(sentence.start, sentence.end, k) for k in held]
    return path, spans


def stm_truth():
    spans = []
    for line in (PYANNOTE / "sample.stm").read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6:
            for _ in re.finditer(r"\byou know,", parts[5], re.IGNORECASE):
                spans.append((float(parts[3]), float(parts[4]), "filler"))
    return PYANNOTE / "sample.wav", spans


def detection(data_dir: Path, prompt: bool, root: Path) -> None:
    env = {"AUTOEDIT__ANALYSIS__DISFLUENCY_PROMPT": "true" if prompt else "false"}
    config = load_config(environ=env)
    label = "with the filler prompt" if prompt else "words only"
    for name, (path, truth) in (("generated", generated_truth(root)), ("pyannote", stm_truth())):
        media = analyse_file(path, config, data_dir, Job(), fields=["speech", "words", "disfluencies"])
        for kinds in (("filler",), ("false_start", "retake", "aside")):
            found = [d for d in media.disfluencies if d.kind in kinds]
            wanted = [t for t in truth if t[2] in kinds]
            if not wanted:
                continue
            p, r, tp, n, m = score(found, wanted)
            print(
                f"{name:9s} {'/'.join(kinds):26s} {label:22s} precision {p:.2f} recall {r:.2f} ({tp}/{m} found, {n} findings)"
            )


def tighten(data_dir: Path) -> None:
    from engine.editing import MediaRef, run_edit

    config = load_config(environ={"AUTOEDIT__PLANNER__BACKEND": "rules"})
    for prompt in ("tighten this, remove silences", "tighten this, remove silences and the ums"):
        result = run_edit([MediaRef(EXAMPLE)], prompt, config, data_dir, Job())
        got = result.report["duration"]
        print(f"{prompt!r}: {got:.2f} s vs auto-editor {AUTO_EDITOR_S:.2f} s (ratio {got / AUTO_EDITOR_S:.3f}), "
              f"{len(result.report['speech_removed'])} disfluencies cut")  # fmt: skip
        joins = [float(c["record_end"]) for c in result.report["clips"][:-1]]
        print("   clicks with the fades:    " + click_ratios(result.timeline, joins, fades=True))
        print("   clicks without the fades: " + click_ratios(result.timeline, joins, fades=False))


def click_ratios(timeline, joins: list[float], fades: bool) -> str:  # type: ignore[no-untyped-def]
    """Peak sample step within 1 ms of each join in the preview's mix (engine.timeline.preview), over the
    median of 10 ms windows' peak steps: a click shows as a ratio >> 1."""
    import copy

    from engine.timeline.preview import AUDIO_RATE, join_steps, mix_audio

    if not joins:
        return "no joins"
    timeline = copy.deepcopy(timeline)
    if not fades:
        for track in timeline.tracks:
            for clip in track.find_clips():
                (clip.metadata.get("autoedit") or {}).pop("audio_fade", None)
    length = timeline.tracks[0].duration().to_seconds()
    mix = mix_audio(timeline, length)
    step = np.abs(np.diff(mix))
    window = AUDIO_RATE // 100
    usable = step[: len(step) // window * window].reshape(-1, window).max(axis=1)
    base = float(np.median(usable[usable > 0])) if np.any(usable > 0) else 1e-9
    steps = join_steps(mix, joins)
    ratios = [x / base for x in steps]
    return (
        f"{len(ratios)} joins, peak step {max(steps):.4f} (median {np.median(steps):.4f}); "
        f"/ median window step: median {np.median(ratios):.2f}, worst {max(ratios):.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--no-prompt", action="store_true", help="skip the filler-prompted Whisper pass")
    parser.add_argument("--no-tighten", action="store_true", help="skip the tightened edit and its clicks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        root = Path(tmp)
        detection(data_dir, False, root)
        if not args.no_prompt:
            detection(data_dir, True, root)
        if not args.no_tighten:
            tighten(data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
