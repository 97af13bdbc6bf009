"""The built zip installs as a Blender extension whose bundled wheels provide OTIO and pyzmq."""

from __future__ import annotations

import os
from pathlib import Path


def test_extension_installs_and_registers(bpy_addon, addon_module) -> None:
    bpy = bpy_addon
    enabled = [a.module for a in bpy.context.preferences.addons]
    assert "bl_ext.user_default.autoedit" in enabled
    for op in (
        "run",
        "cancel",
        "apply_result",
        "import_otio",
        "export_otio",
        "accept",
        "reject",
        "accept_all",
        "reject_edit",
        "sync",
    ):
        assert hasattr(bpy.ops.autoedit, op), op
    assert hasattr(bpy.types, "SEQUENCER_PT_autoedit") and hasattr(bpy.types, "SEQUENCER_MT_autoedit")


def test_wheels_come_from_the_extension_not_the_venv(addon_module) -> None:
    import opentimelineio
    import zmq

    resources = Path(os.environ["BLENDER_USER_RESOURCES"]).resolve()
    for module in (opentimelineio, zmq):
        assert resources in Path(module.__file__).resolve().parents, module.__file__
    assert {"otio_json", "fcp_xml", "cmx_3600"} <= set(opentimelineio.adapters.available_adapter_names())


def test_bridge_is_the_vendored_copy(addon_module) -> None:
    bridge = addon_module.engine_link.bridge()
    assert Path(addon_module.__file__).parent in Path(bridge.__file__).resolve().parents
