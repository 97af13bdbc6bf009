"""Auto Edit for Blender's Sequencer: prompt -> engine -> edit in the VSE, review, OTIO import/export.

bpy is imported only in register(), so the bpy-free modules (vse_model, otio_to_vse, vse_to_otio, feedback) import anywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The built extension vendors the bridge (the contracts every side shares: events, formats, rates)
# under vendor/; run from the repository, the repository's own bridge is importable already.
_VENDOR = Path(__file__).resolve().parent / "vendor"
if _VENDOR.is_dir() and str(_VENDOR) not in sys.path:
    sys.path.insert(0, str(_VENDOR))

_registered: list = []


def register() -> None:
    import bpy

    from . import ops, preferences, review, ui

    for cls in (*preferences.CLASSES, *ops.CLASSES, *review.CLASSES, *ui.CLASSES):
        bpy.utils.register_class(cls)
        _registered.append(cls)
    bpy.types.Scene.autoedit = bpy.props.PointerProperty(type=ops.AutoEditSettings)
    for menu, draw in ui.MENUS:
        menu.append(draw)


def unregister() -> None:
    import bpy

    from . import engine_link, ui

    engine_link.close()
    for menu, draw in ui.MENUS:
        menu.remove(draw)
    if hasattr(bpy.types.Scene, "autoedit"):
        del bpy.types.Scene.autoedit
    while _registered:
        bpy.utils.unregister_class(_registered.pop())
