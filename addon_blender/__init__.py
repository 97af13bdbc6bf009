"""Auto Edit for Blender's Sequencer: prompt -> engine -> edit in the VSE, review, OTIO import/export.

bpy is imported only in register(), so the bpy-free modules (otio_vse, feedback) import anywhere.
"""

from __future__ import annotations

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
