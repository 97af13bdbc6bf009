"""Time to apply a 1000-clip edit in Blender's VSE, against baselines measured in the same run.

    .venv-blender/bin/python bench/blender_apply.py [--clips 1000]

Builds the extension (offline, from .wheels/), installs it into a temp Blender user dir, writes a
timeline of N video clips + N dialog sound clips cut from four real files (23.976 scene), and times
`autoedit.import_otio` into a new scene. Baselines: N bare colour strips (the floor of creating any
strip) and one `new_movie` per clip (what a direct implementation pays: Blender opens the file each time).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO / ".." / "shared" / "media"
FILES = [  # (path, rate, frames)
    ("video_cuts/movienet_test1_titanic.mp4", 2997 / 125, 482),
    ("video_cuts/moviepy/big_buck_bunny_0_30.webm", 24.0, 720),
    ("video_cuts/pyscenedetect_issue-134-rotate.mp4", 24000 / 1001, 240),
    ("video_cuts/movienet_test1_titanic.mp4", 2997 / 125, 482),
]


def write_timeline(path: Path, clips: int) -> None:
    import opentimelineio as otio

    rt, tr = otio.opentime.RationalTime, otio.opentime.TimeRange
    rate = 24000 / 1001
    timeline = otio.schema.Timeline(name="bench", global_start_time=rt(0, rate))
    timeline.metadata["autoedit"] = {"timeline_id": "bench", "rate": [24000, 1001]}
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for i in range(clips):
        rel, r, frames = FILES[i % len(FILES)]
        start, dur = (i * 7) % (frames - 40), 12 + i % 20
        for track in (video, audio):
            ref = otio.schema.ExternalReference(
                target_url=str((MEDIA / rel).resolve()), available_range=tr(rt(0, r), rt(frames, r))
            )
            meta = {"autoedit": {"decision_id": f"d{i}", "reason": "bench", "score": 0.5}}
            track.append(
                otio.schema.Clip(
                    name=f"c{i}",
                    media_reference=ref,
                    source_range=tr(rt(start, r), rt(dur, r)),
                    metadata=meta,
                )
            )
    timeline.tracks.extend([video, audio])
    otio.adapters.write_to_file(timeline, str(path))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument(
        "--naive-sample", type=int, default=100, help="new_movie calls timed for the naive baseline"
    )
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="autoedit-bench-"))
    os.environ["HOME"], os.environ["BLENDER_USER_RESOURCES"] = str(home), str(home / "blender")
    built = subprocess.run(
        [sys.executable, str(REPO / "build_addon.py"), "--offline", "--out", str(home / "dist")],
        capture_output=True,
        text=True,
        check=True,
    )
    import bpy

    bpy.ops.extensions.package_install_files(
        filepath=built.stdout.strip().splitlines()[-1], repo="user_default", enable_on_install=True
    )
    timeline_path = home / "bench.otio"
    write_timeline(timeline_path, args.clips)

    bpy.ops.wm.read_homefile(use_empty=True)
    editor = bpy.context.scene.sequence_editor_create()
    t0 = time.perf_counter()
    for i in range(args.clips):
        editor.strips.new_effect(
            name=f"bare{i}", type="COLOR", channel=1 + i % 2, frame_start=1 + i * 40, length=30
        )
    bare = time.perf_counter() - t0

    bpy.ops.wm.read_homefile(use_empty=True)
    editor = bpy.context.scene.sequence_editor_create()
    movie = str((MEDIA / FILES[0][0]).resolve())
    t0 = time.perf_counter()
    for i in range(args.naive_sample):
        editor.strips.new_movie(name=f"naive{i}", filepath=movie, channel=1 + i % 2, frame_start=1 + i * 500)
    naive = (time.perf_counter() - t0) / args.naive_sample * args.clips

    import importlib

    import opentimelineio as otio

    addon = importlib.import_module("bl_ext.user_default.autoedit")
    print(f"clips: {args.clips} video + {args.clips} dialog sound, sources at 23.976/24/29.97-ish rates")
    print(f"baseline A, {args.clips} bare colour strips: {bare:.3f} s")
    print(
        f"baseline B, one new_movie per clip ({args.naive_sample} timed, x{args.clips // args.naive_sample}): {naive:.3f} s"
    )
    for label, rate in (("23.976 scene", None), ("24 fps scene", 24.0)):
        bpy.ops.wm.read_homefile(use_empty=True)
        t0 = time.perf_counter()
        timeline = otio.adapters.read_from_file(str(timeline_path))
        if rate is not None:
            timeline.metadata["autoedit"]["rate"] = [24, 1]
        t1 = time.perf_counter()
        scene = addon.ops.apply_timeline(bpy.context, timeline, "NEW_SCENE", label)
        t2 = time.perf_counter()
        bpy.context.view_layer.update()  # Blender's first evaluation of the new scene (sound handles)
        t3 = time.perf_counter()
        strips = len(scene.sequence_editor.strips_all)
        assert strips >= 2 * args.clips, strips
        apply_s = t2 - t0
        print(
            f"{label}: read {t1 - t0:.3f} s + plan and create {t2 - t1:.3f} s = apply {apply_s:.3f} s "
            f"({strips} strips; goal <= 2 s) | apply / A = {apply_s / bare:.1f}x, apply / B = {apply_s / naive:.3f}x | "
            f"then Blender's first depsgraph evaluation: {t3 - t2:.3f} s"
        )
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
