"""AutoEdit from a terminal through Resolve's external scripting API (DaVinciResolveScript).

External scripting needs DaVinci Resolve Studio with Preferences > System > General > External
scripting using set to Local, and RESOLVE_SCRIPT_API / RESOLVE_SCRIPT_LIB / PYTHONPATH set as in
Resolve's scripting README. Run it with the AutoEdit environment's Python:

    python autoedit_resolve_console.py edit --prompt "30 second highlight reel" [--timeline] [--duration 30]
    python autoedit_resolve_console.py feedback
    python autoedit_resolve_console.py edit-back
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from autoedit_resolve import dialog  # noqa: E402
from autoedit_resolve.entry import run_action  # noqa: E402
from autoedit_resolve.errors import HostError  # noqa: E402
from autoedit_resolve.settings import SETTINGS_FILE, load_settings  # noqa: E402


def connect():
    try:
        import DaVinciResolveScript
    except ImportError:
        raise HostError(
            "DaVinciResolveScript is not importable: set PYTHONPATH to $RESOLVE_SCRIPT_API/Modules as Resolve's "
            "scripting README says (external scripting needs DaVinci Resolve Studio)."
        ) from None
    resolve = DaVinciResolveScript.scriptapp("Resolve")
    if resolve is None:
        raise HostError(
            "Resolve did not answer: is it running, and is External scripting using set to Local "
            "(Preferences > System > General)? The free edition does not allow external scripting."
        )
    return resolve


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--settings", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), SETTINGS_FILE)
    )
    subs = parser.add_subparsers(dest="action", required=True)
    edit = subs.add_parser("edit")
    edit.add_argument("--prompt", required=True)
    edit.add_argument(
        "--timeline", action="store_true", help="edit the current timeline (default: selected clips)"
    )
    edit.add_argument("--duration", default="")
    edit.add_argument("--aspect", default="")
    edit.add_argument("--style", default="")
    edit.add_argument("--music", default="")
    edit.add_argument("--seed", default="0")
    edit.add_argument("--name", default="", help="name of the new timeline")
    subs.add_parser("feedback")
    subs.add_parser("edit-back")
    args = parser.parse_args(argv)
    try:
        request = None
        if args.action == "edit":
            request = dialog.request_from_values(
                {
                    "prompt": args.prompt,
                    "source": "timeline" if args.timeline else "selected",
                    "duration": args.duration,
                    "aspect": args.aspect,
                    "style": args.style,
                    "music": args.music,
                    "seed": args.seed,
                    "timeline_name": args.name,
                }
            )
        run_action(connect(), args.action, request, load_settings(args.settings))
    except HostError as exc:
        print(f"AutoEdit: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
