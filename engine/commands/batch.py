"""`autoedit batch`: not built yet (issue #5)."""

from __future__ import annotations

from engine.errors import NotImplementedYet


def add_arguments(parser) -> None:
    parser.add_argument("in_dir")
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--out", required=True)


def run(args, ctx) -> int:
    raise NotImplementedYet("'autoedit batch' is not implemented yet (issue #5); it produces no output rather than a fake one")
