"""Runs autoedit_resolve.host_cli in the engine's Python; the Lua entry script starts this file.

<engine python> autoedit_host.py [--settings FILE] job|review|edit-back ...
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from autoedit_resolve.host_cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
