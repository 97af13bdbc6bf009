"""The Auto Edit menu in the Sequencer header, its sidebar panel and File > Import/Export entries."""

from __future__ import annotations

import bpy

from . import engine_link, review, transcript_view, vse_read


class SEQUENCER_MT_autoedit(bpy.types.Menu):
    bl_label = "Auto Edit"
    bl_idname = "SEQUENCER_MT_autoedit"

    def draw(self, context):  # noqa: ARG002
        layout = self.layout
        layout.operator("autoedit.run", icon="PLAY")
        layout.operator("autoedit.cancel", icon="CANCEL")
        layout.separator()
        layout.operator("autoedit.accept", icon="CHECKMARK")
        layout.operator("autoedit.reject", icon="X")
        layout.operator("autoedit.accept_all")
        layout.operator("autoedit.reject_edit")
        layout.operator("autoedit.sync", icon="FILE_REFRESH")
        layout.separator()
        layout.operator("autoedit.import_otio", text="Import OpenTimelineIO...")
        layout.operator("autoedit.export_otio", text="Export OpenTimelineIO...")


class SEQUENCER_PT_autoedit(bpy.types.Panel):
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Auto Edit"
    bl_label = "Auto Edit"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.autoedit
        layout.prop(settings, "prompt", text="")
        col = layout.column(align=True)
        col.prop(settings, "target_duration")
        col.prop(settings, "aspect")
        col.prop(settings, "style")
        editor = context.scene.sequence_editor
        if editor is not None:
            collection = "strips_all" if hasattr(editor, "strips_all") else "sequences_all"
            col.prop_search(settings, "music_strip", editor, collection)
        col.prop(settings, "music_file")
        layout.prop(settings, "target", expand=True)
        state = engine_link.JOBS.get(settings.job_id)
        running = state is not None and not state.done
        row = layout.row(align=True)
        row.enabled = not running
        row.operator("autoedit.run", icon="PLAY")
        if running:
            layout.operator("autoedit.cancel", icon="CANCEL")
            if hasattr(layout, "progress"):  # 4.0+
                layout.progress(factor=settings.progress, text=settings.status)
            else:
                layout.label(text=settings.status)
        elif settings.status:
            layout.label(text=settings.status)
        box = layout.box()
        box.label(text="Review")
        box.operator("autoedit.review_next", icon="VIEWZOOM")
        confidence = context.scene.get(review.PROP_CONFIDENCE)
        if confidence:
            box.label(text=str(confidence), icon="INFO")
        row = box.row(align=True)
        row.operator("autoedit.accept", icon="CHECKMARK")
        row.operator("autoedit.reject", icon="X")
        row = box.row(align=True)
        row.operator("autoedit.accept_all")
        row.operator("autoedit.reject_edit")
        box.operator("autoedit.sync", icon="FILE_REFRESH")
        prefs = engine_link.settings(context)
        layout.label(
            text=f"Engine: {prefs.endpoint if prefs else engine_link.bridge().DEFAULT_ENDPOINT}",
            icon="LINKED",
        )


WORDS_PER_ROW = 6
MAX_WORDS = 600  # the panel draws at most this many words around the playhead


def active_transcript(scene) -> tuple[str | None, list[transcript_view.ShownWord]]:
    """The active strip's source and its words, each kept (with the scene frame playing it) or cut."""
    editor = scene.sequence_editor
    active = getattr(editor, "active_strip", None) if editor is not None else None
    if active is None:
        return None, []
    state = vse_read.read_state(scene)
    strip = next((s for s in state.strips if s.name == active.name), None)
    if strip is None or not strip.path:
        return None, []
    words = transcript_view.words_of(str(scene.get(transcript_view.TRANSCRIPTS_KEY, "")), strip.path)
    return strip.path, transcript_view.shown_words(words, state.strips, strip.path, state.rate)


def active_removed(scene, path: str | None) -> list[transcript_view.RemovedSpeech]:
    """What the engine cut from the speech of `path` (the active strip's source), with the joins' frames."""
    return transcript_view.removed_of(str(scene.get(transcript_view.REMOVED_KEY, "")), path)


class SEQUENCER_PT_autoedit_transcript(bpy.types.Panel):
    """The selected strip's source as words: kept ones jump the playhead there, cut ones show red."""

    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Auto Edit"
    bl_label = "Transcript"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        path, words = active_transcript(context.scene)
        if not words:
            layout.label(
                text="Select a strip the engine transcribed" if path is None else "No words for this source"
            )
            return
        kept = sum(w.kept for w in words)
        layout.label(text=f"{kept} of {len(words)} words kept", icon="TEXT")
        now = context.scene.frame_current
        centre = min(range(len(words)), key=lambda k: abs((words[k].frame or 10**9) - now))
        first = max(0, centre - MAX_WORDS // 2)
        column = layout.column(align=True)
        for k in range(first, min(len(words), first + MAX_WORDS), WORDS_PER_ROW):
            row = column.row(align=True)
            for w in words[k : k + WORDS_PER_ROW]:
                cell = row.row(align=True)
                label = f"{{{w.text}}}" if w.kind else w.text
                if w.kept:
                    op = cell.operator("autoedit.transcript_seek", text=label, depress=w.frame == now)
                    op.frame = w.frame
                else:
                    cell.alert = True  # cut: red, and nowhere to go
                    cell.label(text=label)
        removed = active_removed(context.scene, path)
        if removed:
            box = layout.box()
            box.label(text=f"Cut from the speech ({len(removed)})", icon="MUTE_IPO_ON")
            for r in removed:
                row = box.row(align=True)
                if r.frame is not None:  # its join: the red marker of the same name sits there
                    row.operator("autoedit.transcript_seek", text=r.label, icon="MARKER").frame = r.frame
                else:
                    row.label(text=f"{r.label} (in a stretch left out)")
                row.label(text=r.reason)


def header_menu(self, context):  # noqa: ARG001
    self.layout.menu(SEQUENCER_MT_autoedit.bl_idname)


def import_menu(self, context):  # noqa: ARG001
    self.layout.operator("autoedit.import_otio", text="OpenTimelineIO (.otio, .xml, .edl)")


def export_menu(self, context):  # noqa: ARG001
    self.layout.operator("autoedit.export_otio", text="OpenTimelineIO (.otio, .xml, .edl)")


CLASSES = (SEQUENCER_MT_autoedit, SEQUENCER_PT_autoedit, SEQUENCER_PT_autoedit_transcript)
MENUS = (
    (bpy.types.SEQUENCER_MT_editor_menus, header_menu),
    (bpy.types.TOPBAR_MT_file_import, import_menu),
    (bpy.types.TOPBAR_MT_file_export, export_menu),
)
