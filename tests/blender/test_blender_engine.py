"""Run against a real engine on loopback: strips in, edit applied, feedback stored exactly once, also
when the engine is down when the editor gives it and comes back later."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import AUTOEDIT, ENGINE_PYTHON, free_port

CLIP = "video_cuts/movienet_test1_titanic.mp4"
# a fast engine for a host test: rule planner (no LLM load), PySceneDetect shots
CONFIG = "planner:\n  backend: rules\nanalysis:\n  shots_backend: pyscenedetect\n"
# what the trainers will learn from: the preference pairs the stored events make (engine's venv)
PAIRS = """
import json, sys
from engine.learning.pairs import preference_pairs
from engine.learning.store import EventStore
store = EventStore(sys.argv[1])
print(json.dumps([[p.source, p.chosen_id, p.rejected_id] for p in preference_pairs(store)]))
"""


class Engine:
    def __init__(self, root: Path):
        self.port = free_port()
        self.endpoint = f"tcp://127.0.0.1:{self.port}"
        self.data_dir = root / "data"
        self.config = root / "engine.yaml"
        self.config.write_text(CONFIG, encoding="utf-8")
        self.log = root / "engine.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        argv = [
            str(AUTOEDIT),
            "--config",
            str(self.config),
            "--data-dir",
            str(self.data_dir),
            "serve",
            "--endpoint",
            self.endpoint,
        ]
        self.proc = subprocess.Popen(argv, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None

    def pairs(self) -> list[tuple[str, str, str]]:
        out = subprocess.run(
            [str(ENGINE_PYTHON), "-c", PAIRS, str(self.data_dir / "feedback.sqlite3")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return [tuple(p) for p in json.loads(out.stdout)]

    def values(self) -> dict[tuple[str, str], dict[str, Any]]:
        db = sqlite3.connect(self.data_dir / "feedback.sqlite3")
        try:
            rows = db.execute("SELECT kind, decision_id, value FROM events ORDER BY rowid").fetchall()
        finally:
            db.close()
        return {(kind, decision): json.loads(value) for kind, decision, value in rows}

    def events(self) -> list[tuple[str, str, str | None]]:
        db = sqlite3.connect(self.data_dir / "feedback.sqlite3")
        try:
            return db.execute("SELECT event_id, kind, decision_id FROM events ORDER BY rowid").fetchall()
        finally:
            db.close()


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Any:
    engine = Engine(tmp_path_factory.mktemp("engine"))
    engine.start()
    yield engine
    engine.stop()


@pytest.fixture(scope="module")
def edited(bpy_addon, addon_module, engine: Engine, media: Path) -> dict[str, Any]:
    """One real Run: a movie + its sound as strips, a prompt, polled to the end, applied."""
    bpy = bpy_addon
    bpy.ops.wm.read_homefile(use_empty=True)
    prefs = bpy.context.preferences.addons["bl_ext.user_default.autoedit"].preferences
    prefs.endpoint, prefs.autostart, prefs.data_dir = engine.endpoint, False, str(engine.data_dir)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.001
    editor = scene.sequence_editor_create()
    editor.strips.new_movie(name="source", filepath=str(media / CLIP), channel=1, frame_start=1)
    editor.strips.new_sound(name="source-sound", filepath=str(media / CLIP), channel=2, frame_start=1)
    settings = scene.autoedit
    settings.prompt, settings.target_duration = "a short cut of the best moments", 6.0
    link = addon_module.engine_link
    link.client(bpy.context).ensure_engine(timeout_s=120)
    assert bpy.ops.autoedit.run() in ({"FINISHED"}, {"RUNNING_MODAL"})
    state = link.JOBS[settings.job_id]
    deadline = time.monotonic() + 540
    while not state.done and time.monotonic() < deadline:
        link.poll_step(bpy.context, timeout_ms=500)  # what the modal operator's timer does
    assert state.done and state.error is None, (state.error, engine.log.read_text(errors="replace")[-3000:])
    return {"state": state, "scene": bpy.data.scenes[state.applied_scene], "user_scene": scene.name}


def test_run_applies_the_engines_edit_exactly(bpy_addon, addon_module, edited) -> None:
    import opentimelineio as otio

    state, scene = edited["state"], edited["scene"]
    timeline = otio.adapters.read_from_string(state.result["otio"], "otio_json")
    plan = addon_module.otio_to_vse.plan_from_timeline(timeline)
    strips = {s.name: s for s in scene.sequence_editor.strips_all}
    assert plan.strips, "the engine returned an empty edit"
    for planned in plan.strips:
        strip = strips[planned.name]
        assert (strip.frame_final_start, strip.frame_final_end, strip.channel) == (
            planned.record_start, planned.record_end, planned.channel,
        )  # fmt: skip
        if planned.decision_id:
            assert strip["autoedit_decision_id"] == planned.decision_id
            assert strip["autoedit_timeline_id"] == state.result["timeline_id"]
    decided = {s.decision_id for s in plan.strips if s.decision_id}
    reported = {c["decision_id"] for c in state.result["report"]["clips"]}
    assert decided == reported
    # the user's own strips are where they were
    user = bpy_addon.data.scenes[edited["user_scene"]].sequence_editor.strips_all
    assert sorted(s.name for s in user) == ["source", "source-sound"]


def test_review_starts_with_the_least_certain_cut_and_speaks_as_the_editor_profile(
    bpy_addon, addon_module, edited, engine: Engine
) -> None:
    import opentimelineio as otio

    bpy, state, scene = bpy_addon, edited["state"], edited["scene"]
    timeline = otio.adapters.read_from_string(state.result["otio"], "otio_json")
    ranks = {
        c.metadata["autoedit"]["decision_id"]: c.metadata["autoedit"]["review_rank"]
        for c in timeline.video_tracks()[0].find_clips()
        if "review_rank" in c.metadata.get("autoedit", {})
    }
    assert sorted(ranks.values()) == list(range(1, len(ranks) + 1)) and len(ranks) >= 2
    assert "sure of this edit" in scene.get("autoedit_scorer_confidence", "")
    prefs = bpy.context.preferences.addons["bl_ext.user_default.autoedit"].preferences
    saved = prefs.editor_profile
    try:
        prefs.editor_profile = "alice"
        with bpy.context.temp_override(scene=scene):
            assert bpy.ops.autoedit.review_next() == {"FINISHED"}
            first = scene.sequence_editor.active_strip
            assert ranks[first["autoedit_decision_id"]] == 1 and first.select
            assert scene.frame_current == first.frame_final_start
            assert bpy.ops.autoedit.reject() == {"FINISHED"}
            assert addon_module.engine_link.client(bpy.context).flush(timeout_s=30) == 0
            assert bpy.ops.autoedit.review_next() == {"FINISHED"}  # the verdict given, the next one
            assert ranks[scene.sequence_editor.active_strip["autoedit_decision_id"]] == 2
    finally:
        prefs.editor_profile = saved
    db = sqlite3.connect(engine.data_dir / "feedback.sqlite3")
    try:
        rows = db.execute("SELECT kind, decision_id, profile FROM events ORDER BY rowid").fetchall()
    finally:
        db.close()
    assert ("reject", first["autoedit_decision_id"], "alice") in rows


def _decision_strips(scene) -> list[Any]:
    return [
        s for s in scene.sequence_editor.strips_all if s.get("autoedit_decision_id") and s.type == "MOVIE"
    ]


def test_accept_and_trim_reach_the_store_once(bpy_addon, addon_module, edited, engine: Engine) -> None:
    bpy, scene = bpy_addon, edited["scene"]
    strips = _decision_strips(scene)
    assert len(strips) >= 2
    before = len(engine.events())
    with bpy.context.temp_override(scene=scene):
        for s in scene.sequence_editor.strips_all:
            s.select = s.name == strips[0].name
        assert bpy.ops.autoedit.accept() == {"FINISHED"}
        trimmed = strips[1]["autoedit_decision_id"]
        kept_frames = strips[1].frame_final_end - strips[1].frame_final_start - 8
        strips[1].frame_final_end = strips[1].frame_final_end - 8  # an implicit trim, 1/3 s
        assert bpy.ops.autoedit.sync() == {"FINISHED"}
        client = addon_module.engine_link.client(bpy.context)
        assert client.flush(timeout_s=30) == 0
        stored = engine.events()[before:]
        kinds = sorted((kind, decision) for _, kind, decision in stored)
        assert kinds == sorted(
            [("accept", strips[0]["autoedit_decision_id"]), ("trim", strips[1]["autoedit_decision_id"])]
        )
        assert strips[0].color_tag == "COLOR_04"
        # nothing new to say: a second sync sends nothing, a second flush stores nothing twice
        assert bpy.ops.autoedit.sync() == {"FINISHED"}
        assert client.flush(timeout_s=10) == 0
    assert len(engine.events()) == before + 2
    assert len({e[0] for e in engine.events()}) == len(engine.events())
    # DESIGN.md's trim value: the kept range in the media's seconds, which the learning loop reads
    trim = engine.values()[("trim", trimmed)]
    assert trim["tail_frames"] == -8 and trim["head_frames"] == 0
    rate = trim["rate"][0] / trim["rate"][1]
    assert abs((trim["source_end"] - trim["source_start"]) - kept_frames / rate) < 1e-6
    assert ("trim", trimmed, f"{trimmed}#trimmed") in engine.pairs()


def test_feedback_given_while_the_engine_is_down_arrives_once(
    bpy_addon, addon_module, edited, engine: Engine
) -> None:
    bpy, scene = bpy_addon, edited["scene"]
    link = addon_module.engine_link
    strip = _decision_strips(scene)[-1]
    before = len(engine.events())
    engine.stop()
    with bpy.context.temp_override(scene=scene):
        for s in scene.sequence_editor.strips_all:
            s.select = s.name == strip.name
        assert bpy.ops.autoedit.reject() == {"FINISHED"}  # spooled on disk, not acknowledged
        client = link.client(bpy.context)
        assert client.flush(timeout_s=1) == 1
        engine.start()
        client.ensure_engine(timeout_s=120)
        assert client.flush(timeout_s=60) == 0
    stored = engine.events()[before:]
    assert [(kind, decision) for _, kind, decision in stored] == [("reject", strip["autoedit_decision_id"])]
    assert strip.color_tag == "COLOR_01"


def test_the_profile_preference_reaches_the_engine_it_starts(bpy_addon, addon_module, tmp_path) -> None:
    bpy = bpy_addon
    prefs = bpy.context.preferences.addons["bl_ext.user_default.autoedit"].preferences
    saved = (prefs.profile, prefs.autostart, prefs.engine_command, prefs.data_dir)
    link = addon_module.engine_link
    try:
        assert prefs.profile == "embedded"  # the default
        prefs.profile, prefs.autostart, prefs.engine_command = "studio", True, "/opt/autoedit/bin/autoedit"
        prefs.data_dir = str(tmp_path)
        argv = link.client(bpy.context).autostart
        assert argv[:2] == ["/opt/autoedit/bin/autoedit", "serve"] and argv[-2:] == ["--profile", "studio"]
    finally:
        link.close()
        prefs.profile, prefs.autostart, prefs.engine_command, prefs.data_dir = saved
