"""Review operators: Next to review, Accept / Reject selected strips, Accept all, Reject edit, Sync feedback.

Every decision goes out as a preference event through the bridge's spool, so it survives an engine that
is down: the spool is flushed on the next sync or run.
"""

from __future__ import annotations

import json
from typing import Any

import bpy

from bridge import events

from . import compat, engine_link, feedback, review_order, vse_read
from .vse_model import PROP_APPLIED, PROP_DECISION, PROP_STATUS, PROP_TIMELINE, STATUS_COLOURS

APPLIED_KEY = "autoedit_applied_decisions"  # scene property: {timeline_id: [decision ids]} as JSON
PROP_CONFIDENCE = "autoedit_scorer_confidence"  # scene property: how sure the scorer of the last edit was


def applied_decisions(scene: Any) -> dict[str, list[str]]:
    """The decisions each applied edit put into this scene (a deleted strip is found against it)."""
    return json.loads(scene.get(APPLIED_KEY, "{}"))


def record_applied(scene: Any, timeline_id: str, decision_ids: set[str] | list[str]) -> None:
    applied = applied_decisions(scene)
    applied[timeline_id] = sorted(decision_ids)
    scene[APPLIED_KEY] = json.dumps(applied)


def sync_feedback(context: Any) -> int:
    """Report trims, moves and deletions of applied strips since the last sync; returns events sent."""
    scene = context.scene
    state = vse_read.read_state(scene)
    applied = applied_decisions(scene)
    findings = feedback.implicit_findings(state.strips, applied, state.rate)
    if not findings:
        return 0
    sent = send_findings(context, findings)
    for f in findings:
        if f.kind == "reject" and f.value.get("implicit") == events.IMPLICIT_DELETED:
            decisions = applied.get(str(f.timeline_id), [])
            if f.decision_id in decisions:
                decisions.remove(f.decision_id)
    scene[APPLIED_KEY] = json.dumps(applied)
    return sent


def send_findings(context: Any, findings: list[feedback.Finding]) -> int:
    """Turn findings into events, spool and send them, and record what was reported on the strips."""
    events = [
        engine_link.make_event(context, f.kind, f.timeline_id, f.decision_id, f.value) for f in findings
    ]
    engine_link.send_events(context, events)
    editor = context.scene.sequence_editor
    all_strips = compat.strips_all(editor) if editor else {}
    for f in findings:
        strip = all_strips.get(f.strip) if f.strip else None
        if strip is None:
            continue
        if f.applied is not None:
            strip[PROP_APPLIED] = f.applied
        if f.kind in ("accept", "reject"):
            strip[PROP_STATUS] = "accepted" if f.kind == "accept" else "rejected"
            strip.color_tag = STATUS_COLOURS[strip[PROP_STATUS]]
    return len(events)


def _decision_strips(context: Any, selected_only: bool) -> list[Any]:
    state = vse_read.read_state(context.scene)
    editor = context.scene.sequence_editor
    names = {s.name for s in compat.strips(editor) if s.select} if (editor and selected_only) else None
    return [s for s in state.strips if s.props.get(PROP_DECISION) and (names is None or s.name in names)]


class _Review(bpy.types.Operator):
    bl_options = {"REGISTER", "UNDO"}
    kind = "accept"
    selected_only = True

    @classmethod
    def poll(cls, context):
        return context.scene is not None and context.scene.sequence_editor is not None

    def execute(self, context):
        sync_feedback(context)
        strips = _decision_strips(context, self.selected_only)
        findings = feedback.explicit_findings(strips, self.kind)
        n = send_findings(context, findings)
        self.report({"INFO"}, f"Auto Edit: {n} {self.kind} event(s)")
        return {"FINISHED"}


class AUTOEDIT_OT_accept(_Review):
    """Tell the engine these cuts are good"""

    bl_idname = "autoedit.accept"
    bl_label = "Accept"
    kind = "accept"


class AUTOEDIT_OT_reject(_Review):
    """Tell the engine these cuts are wrong"""

    bl_idname = "autoedit.reject"
    bl_label = "Reject"
    kind = "reject"


class AUTOEDIT_OT_accept_all(_Review):
    """Accept every cut of the edits in this scene"""

    bl_idname = "autoedit.accept_all"
    bl_label = "Accept All"
    kind = "accept"
    selected_only = False


class AUTOEDIT_OT_reject_edit(bpy.types.Operator):
    """Reject the whole edit: one timeline-level reject per edit in this scene, its cuts marked rejected"""

    bl_idname = "autoedit.reject_edit"
    bl_label = "Reject Edit"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        strips = _decision_strips(context, selected_only=False)
        timelines = sorted({str(s.props.get(PROP_TIMELINE)) for s in strips if s.props.get(PROP_TIMELINE)})
        findings = [feedback.Finding("reject", t, None, {}) for t in timelines]
        findings += [
            feedback.Finding(
                "reject",
                s.props.get(PROP_TIMELINE),
                str(s.props[PROP_DECISION]),
                {},
                s.name,
            )
            for s in strips
            if s.props.get(PROP_STATUS) != "rejected"
        ]
        n = send_findings(context, findings)
        self.report({"INFO"}, f"Auto Edit: edit rejected ({n} event(s))")
        return {"FINISHED"}


class AUTOEDIT_OT_review_next(bpy.types.Operator):
    """Select the cut the engine is least sure about and put the playhead on it: its verdict teaches most"""

    bl_idname = "autoedit.review_next"
    bl_label = "Next to Review"

    @classmethod
    def poll(cls, context):
        return context.scene is not None and context.scene.sequence_editor is not None

    def execute(self, context):
        queue = review_order.review_queue(vse_read.read_state(context.scene))
        if not queue:
            self.report({"INFO"}, "Auto Edit: every cut has a verdict")
            return {"CANCELLED"}
        first = queue[0]
        editor = context.scene.sequence_editor
        for strip in compat.strips_all(editor):
            strip.select = strip.name == first.strip
        editor.active_strip = compat.strips_all(editor)[first.strip]
        context.scene.frame_current = first.start
        sure = f", uncertainty {first.uncertainty:.2f}" if first.uncertainty is not None else ""
        self.report({"INFO"}, f"Auto Edit: review {first.strip} ({len(queue)} left{sure})")
        return {"FINISHED"}


class AUTOEDIT_OT_sync(bpy.types.Operator):
    """Send trims, moves and deletions of the edit's strips, and anything still spooled"""

    bl_idname = "autoedit.sync"
    bl_label = "Sync Feedback"

    def execute(self, context):
        n = sync_feedback(context)
        left = engine_link.client(context).flush(timeout_s=2.0)
        self.report({"INFO"}, f"Auto Edit: {n} new event(s), {left} waiting for the engine")
        return {"FINISHED"}


CLASSES = (
    AUTOEDIT_OT_review_next,
    AUTOEDIT_OT_accept,
    AUTOEDIT_OT_reject,
    AUTOEDIT_OT_accept_all,
    AUTOEDIT_OT_reject_edit,
    AUTOEDIT_OT_sync,
)
