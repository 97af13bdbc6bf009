"""Operators: Run (non-blocking), Cancel, apply a result, OTIO import and export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy
from bpy_extras.io_utils import ExportHelper, ImportHelper

from bridge import formats

from . import (
    compat,
    effects_apply,
    engine_link,
    feedback,
    review,
    review_order,
    transcript_view,
    vse_apply,
    vse_read,
)
from .otio_to_vse import plan_from_timeline
from .vse_model import MappingError
from .vse_to_otio import timeline_from_state

TARGETS = [
    ("NEW_SCENE", "New scene", "Build the edit in a new scene at the edit's frame rate"),
    ("CHANNELS", "New channels", "Build the edit above the strips of this scene"),
]
ASPECTS = [(a, a, f"{a} frame") for a in ("16:9", "9:16", "1:1", "4:5")]


class AutoEditSettings(bpy.types.PropertyGroup):
    prompt: bpy.props.StringProperty(name="Prompt", default="")  # type: ignore[valid-type]
    target_duration: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Duration",
        description="Target length in seconds (0: the engine decides)",
        default=0.0,
        min=0.0,
        unit="TIME_ABSOLUTE",
    )
    aspect: bpy.props.EnumProperty(name="Aspect", items=ASPECTS, default="16:9")  # type: ignore[valid-type]
    style: bpy.props.StringProperty(name="Style", description="e.g. tight, calm, energetic", default="")  # type: ignore[valid-type]
    music_strip: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Music strip", description="A sound strip to cut to", default=""
    )
    music_file: bpy.props.StringProperty(name="Music file", default="", subtype="FILE_PATH")  # type: ignore[valid-type]
    target: bpy.props.EnumProperty(name="Apply to", items=TARGETS, default="NEW_SCENE")  # type: ignore[valid-type]
    job_id: bpy.props.StringProperty(default="")  # type: ignore[valid-type]
    status: bpy.props.StringProperty(default="")  # type: ignore[valid-type]
    progress: bpy.props.FloatProperty(default=0.0, min=0.0, max=1.0, subtype="FACTOR")  # type: ignore[valid-type]


def input_media(context: Any, settings: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Selected movie/sound strips (else all of them) -> engine media; the music strip goes apart."""
    scene = context.scene
    state = vse_read.read_state(scene)
    selected = (
        {s.name for s in compat.strips(scene.sequence_editor).values() if s.select}
        if scene.sequence_editor
        else set()
    )
    strips = [s for s in state.strips if s.kind in ("movie", "sound")]
    if selected & {s.name for s in strips}:
        strips = [s for s in strips if s.name in selected]
    music = None
    if settings.music_strip:
        music_strip = next((s for s in state.strips if s.name == settings.music_strip), None)
        music = music_strip.path if music_strip is not None else None
    elif settings.music_file:
        music = bpy.path.abspath(settings.music_file)
    return feedback.media_refs(strips, state.rate, exclude={settings.music_strip}), music


def apply_timeline(context: Any, timeline: Any, target: str, name: str) -> Any:
    """Lay `timeline` into a new scene (default) or new channels of the current one. Returns the scene."""
    if target == "NEW_SCENE":
        plan = plan_from_timeline(timeline)
        scene = vse_apply.new_scene(name, plan)
        if context.window is not None:  # show it first: activating a scene re-syncs all its sounds
            context.window.scene = scene
        created = vse_apply.apply_plan(scene, plan, adopt_resolution=True)
    else:
        scene = context.scene
        editor = scene.sequence_editor or scene.sequence_editor_create()
        used = [s.channel for s in compat.strips_all(editor)]
        plan = plan_from_timeline(
            timeline, rate=vse_apply.scene_rate(scene), start_frame=scene.frame_start,
            first_channel=(max(used) + 1) if used else 1, resolution=(scene.render.resolution_x, scene.render.resolution_y),
        )  # fmt: skip
        created = vse_apply.apply_plan(scene, plan)
        scene.frame_end = max(scene.frame_end, plan.end_frame - 1)
    effects_apply.apply_effects(scene, timeline, plan, created)
    confidence = review_order.confidence_text(plan.timeline_metadata_json)
    if confidence:
        scene[review.PROP_CONFIDENCE] = confidence
    key = transcript_view.TRANSCRIPTS_KEY
    scene[key] = transcript_view.merged_transcripts(str(scene.get(key, "")), timeline.metadata)
    key = transcript_view.REMOVED_KEY
    scene[key] = transcript_view.merged_removed(
        str(scene.get(key, "")), timeline.metadata, plan.start_frame, plan.rate
    )
    if plan.timeline_id:
        review.record_applied(scene, plan.timeline_id, {s.decision_id for s in plan.strips if s.decision_id})
    return scene


class AUTOEDIT_OT_run(bpy.types.Operator):
    """Send the strips and the prompt to the engine; the edit appears when it is ready (Esc cancels)"""

    bl_idname = "autoedit.run"
    bl_label = "Run Auto Edit"

    _timer = None

    def execute(self, context):
        settings = context.scene.autoedit
        if not settings.prompt.strip():
            self.report({"ERROR"}, "Write a prompt first")
            return {"CANCELLED"}
        media, music = input_media(context, settings)
        if not media:
            self.report({"ERROR"}, "No movie or sound strips to edit")
            return {"CANCELLED"}
        options: dict[str, Any] = {"aspect": settings.aspect}
        if settings.target_duration > 0:
            options["target_duration"] = float(settings.target_duration)
        if settings.style:
            options["style"] = settings.style
        review.sync_feedback(context)
        try:
            state = engine_link.submit(context, media, settings.prompt, options, settings.target, music=music)
        except Exception as exc:  # the bridge explains what is wrong (engine not running, refused input)
            self.report({"ERROR"}, f"Auto Edit: {exc}")
            return {"CANCELLED"}
        settings.job_id = state.job_id
        settings.status = "queued"
        settings.progress = 0.0
        if context.window is None:  # no event loop (background/module mode): callers poll themselves
            return {"FINISHED"}
        self._timer = context.window_manager.event_timer_add(0.2, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        settings = context.scene.autoedit
        if event.type == "ESC":
            engine_link.cancel(settings.job_id)
            settings.status = "cancelled"
            return self._finish(context, {"CANCELLED"})
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        engine_link.poll_step(context)
        state = engine_link.JOBS.get(settings.job_id)
        if state is None:
            return self._finish(context, {"CANCELLED"})
        update_status(settings, state)
        context.workspace.status_text_set(f"Auto Edit: {settings.status}")
        if context.area is not None:
            context.area.tag_redraw()
        if state.done:
            if state.error:
                self.report({"ERROR"}, f"Auto Edit: {state.error}")
            return self._finish(context, {"FINISHED"})
        return {"PASS_THROUGH"}

    def _finish(self, context, result):
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
        context.workspace.status_text_set(None)
        return result


def update_status(settings: Any, state: engine_link.RunState) -> None:
    settings.progress = state.fraction
    if state.error:
        settings.status = f"failed: {state.error}"
    elif state.done:
        settings.status = f"done: {state.applied_scene or ''}"
    else:
        settings.status = f"{state.stage} {state.fraction:.0%} {state.message}".strip()


class AUTOEDIT_OT_cancel(bpy.types.Operator):
    """Cancel the running Auto Edit job"""

    bl_idname = "autoedit.cancel"
    bl_label = "Cancel Auto Edit"

    def execute(self, context):
        settings = context.scene.autoedit
        engine_link.cancel(settings.job_id)
        settings.status = "cancelled"
        return {"FINISHED"}


class AUTOEDIT_OT_apply_result(bpy.types.Operator):
    """Build the engine's timeline in the VSE (one undo step removes it)"""

    bl_idname = "autoedit.apply_result"
    bl_label = "Apply Auto Edit Result"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    job_id: bpy.props.StringProperty()  # type: ignore[valid-type]

    def execute(self, context):
        import opentimelineio as otio

        state = engine_link.JOBS.get(self.job_id)
        if state is None or state.result is None or not state.result.get("otio"):
            self.report({"ERROR"}, f"no result for job {self.job_id}")
            return {"CANCELLED"}
        timeline = otio.adapters.read_from_string(state.result["otio"], "otio_json")
        try:
            scene = apply_timeline(context, timeline, state.target, "Auto Edit")
        except MappingError as exc:
            state.error = str(exc)
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        state.applied_scene = scene.name
        update_status(context.scene.autoedit, state)
        return {"FINISHED"}


# The formats File > Export offers (bridge.formats names each one's suffix and OTIO adapter).
EXPORT_CHOICES = [
    ("otio", "OpenTimelineIO (.otio)", "Lossless; Resolve 18.5+ imports it"),
    ("fcp7", "Final Cut Pro 7 XML (.xml)", "Cuts and dissolves for most NLEs"),
    ("edl", "CMX 3600 EDL (.edl)", "One video track"),
]


class AUTOEDIT_OT_import_otio(bpy.types.Operator, ImportHelper):
    """Import an OpenTimelineIO timeline (.otio, FCP7 .xml, .edl, .fcpxml) as strips"""

    bl_idname = "autoedit.import_otio"
    bl_label = "Import OpenTimelineIO"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: bpy.props.StringProperty(default="*.otio;*.xml;*.edl;*.fcpxml", options={"HIDDEN"})  # type: ignore[valid-type]
    target: bpy.props.EnumProperty(name="Into", items=TARGETS, default="NEW_SCENE")  # type: ignore[valid-type]

    def execute(self, context):
        import opentimelineio as otio

        path = Path(self.filepath)
        try:
            kwargs = {}
            if path.suffix.lower() == ".edl":
                kwargs["rate"] = float(vse_apply.scene_rate(context.scene))
            timeline = otio.adapters.read_from_file(str(path), **kwargs)
        except Exception as exc:  # the adapter says what it could not read
            self.report({"ERROR"}, f"{path}: {exc}")
            return {"CANCELLED"}
        if not isinstance(timeline, otio.schema.Timeline):
            timelines = (
                list(timeline.find_children(descended_from_type=otio.schema.Timeline))
                if hasattr(timeline, "find_children")
                else []
            )
            if not timelines:
                self.report({"ERROR"}, f"{path}: holds no timeline")
                return {"CANCELLED"}
            timeline = timelines[0]
        try:
            apply_timeline(context, timeline, self.target, timeline.name or path.stem)
        except MappingError as exc:
            self.report({"ERROR"}, f"{path}: {exc}")
            return {"CANCELLED"}
        return {"FINISHED"}


class AUTOEDIT_OT_export_otio(bpy.types.Operator, ExportHelper):
    """Export the scene's strips as an OpenTimelineIO timeline"""

    bl_idname = "autoedit.export_otio"
    bl_label = "Export OpenTimelineIO"

    filename_ext = ".otio"
    filter_glob: bpy.props.StringProperty(default="*.otio;*.xml;*.edl", options={"HIDDEN"})  # type: ignore[valid-type]
    file_format: bpy.props.EnumProperty(name="Format", items=EXPORT_CHOICES, default="otio")  # type: ignore[valid-type]

    def execute(self, context):
        import opentimelineio as otio

        timeline = timeline_from_state(vse_read.read_state(context.scene))
        suffix = formats.suffix_for(self.file_format)
        path = Path(self.filepath)
        if path.suffix.lower() != suffix:
            path = path.with_suffix(suffix)
        try:
            otio.adapters.write_to_file(
                timeline, str(path), adapter_name=formats.OTIO_ADAPTERS[self.file_format]
            )
        except Exception as exc:  # adapters refuse what their format cannot hold
            self.report({"ERROR"}, f"{path}: {exc}")
            return {"CANCELLED"}
        return {"FINISHED"}


class AUTOEDIT_OT_transcript_seek(bpy.types.Operator):
    """Move the playhead to this word"""

    bl_idname = "autoedit.transcript_seek"
    bl_label = "Go to word"
    bl_options = {"REGISTER"}

    frame: bpy.props.IntProperty(name="Frame", default=0)  # type: ignore[valid-type]

    def execute(self, context):
        context.scene.frame_current = self.frame
        return {"FINISHED"}


CLASSES = (
    AUTOEDIT_OT_transcript_seek,
    AutoEditSettings,
    AUTOEDIT_OT_run,
    AUTOEDIT_OT_cancel,
    AUTOEDIT_OT_apply_result,
    AUTOEDIT_OT_import_otio,
    AUTOEDIT_OT_export_otio,
)
