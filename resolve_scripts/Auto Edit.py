"""AutoEdit for DaVinci Resolve: Workspace > Scripts > Utility > Auto Edit.

Edits the selected Media Pool clips (or the current timeline) from a prompt with the AutoEdit engine
and imports the result as a NEW timeline; then sends your review (clip colours / flags) and your own
trims back so AutoEdit learns. Installed by `autoedit install-resolve`, which writes the location of
its settings below. See resolve_scripts/README.md.
"""

import json
import os
import sys

SETTINGS_FILE = None  # autoedit install-resolve writes the path of autoedit_resolve.json here


def _settings_file():
    if SETTINGS_FILE:
        return SETTINGS_FILE
    if os.environ.get("AUTOEDIT_RESOLVE_SETTINGS"):
        return os.environ["AUTOEDIT_RESOLVE_SETTINGS"]
    here = os.path.dirname(os.path.abspath(globals().get("__file__") or "."))
    return os.path.join(here, "autoedit_resolve.json")


def _bootstrap(path):
    """Make autoedit_resolve, the bridge and (when this Python matches the engine's) pyzmq importable."""
    if not os.path.isfile(path):
        raise SystemExit(
            f"AutoEdit: settings not found at {path}. Run `autoedit install-resolve` in the AutoEdit environment."
        )
    with open(path) as fh:
        cfg = json.load(fh)
    for entry in reversed(cfg.get("lib_paths") or []):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    if list(sys.version_info[:2]) == list(cfg.get("engine_python_version") or [])[:2]:
        for entry in cfg.get("engine_site_packages") or []:
            if entry not in sys.path:
                sys.path.append(entry)


def _resolve_app():
    app = globals().get("resolve")
    if app is not None:
        return app
    bmd_module = globals().get("bmd")
    if bmd_module is not None:
        return bmd_module.scriptapp("Resolve")
    import DaVinciResolveScript

    return DaVinciResolveScript.scriptapp("Resolve")


def _run():
    path = _settings_file()
    _bootstrap(path)
    from autoedit_resolve.entry import main
    from autoedit_resolve.settings import load_settings

    app = _resolve_app()
    fusion_app = globals().get("fusion") or globals().get("fu") or (app.Fusion() if app is not None else None)
    return main(app, load_settings(path), fusion=fusion_app, bmd=globals().get("bmd"))


_run()
