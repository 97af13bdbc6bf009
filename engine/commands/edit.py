"""`autoedit edit`: not built yet (issue #4)."""

from __future__ import annotations

from engine.errors import NotImplementedYet


def add_arguments(parser) -> None:
    parser.add_argument("media", nargs="+")
    parser.add_argument("--prompt", required=True)


def run(args, ctx) -> int:
    raise NotImplementedYet("'autoedit edit' is not implemented yet (issue #4); it produces no output rather than a fake one")
