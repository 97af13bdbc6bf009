"""Add-on preferences: where the engine is and whether to start one."""

from __future__ import annotations

import shutil

import bpy

from bridge import protocol


def _default_command() -> str:
    return shutil.which("autoedit") or ""


class AutoEditPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    endpoint: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Engine endpoint",
        description="ZeroMQ endpoint of the AutoEdit engine (loopback unless CURVE keys are set up)",
        default=protocol.DEFAULT_ENDPOINT,
    )
    autostart: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Start a local engine",
        description="Start `autoedit serve` when no engine answers",
        default=True,
    )
    engine_command: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="autoedit command",
        description="Path to the `autoedit` console script of the engine's environment",
        default=_default_command(),
        subtype="FILE_PATH",
    )
    profile: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Profile",
        description="Engine settings: embedded (CPU, models shipped in packages) or studio (GPU, large local models)",
        items=(
            ("embedded", "Embedded", "CPU, the models that ship inside PyPI packages"),
            ("studio", "Studio", "GPU, large models from a local directory (configs/studio.yaml)"),
        ),
        default="embedded",
    )
    editor_profile: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Editor profile",
        description="Whose taste: reviews are sent as this profile and edits use its reward model",
        default="default",
    )
    data_dir: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Data dir",
        description="Engine data dir (analysis cache, feedback store, feedback spool); empty: ~/.cache/autoedit",
        default="",
        subtype="DIR_PATH",
    )

    def draw(self, context):  # noqa: ARG002
        layout = self.layout
        layout.prop(self, "endpoint")
        layout.prop(self, "autostart")
        row = layout.row()
        row.enabled = self.autostart
        row.prop(self, "engine_command")
        layout.prop(self, "data_dir")
        layout.prop(self, "profile")
        layout.prop(self, "editor_profile")


CLASSES = (AutoEditPreferences,)
