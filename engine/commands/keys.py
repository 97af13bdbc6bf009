"""`autoedit keys`: not built yet (issue #5)."""

from __future__ import annotations

from engine.errors import NotImplementedYet


def add_arguments(parser) -> None:
    parser.add_argument("out_dir", nargs="?")


def run(args, ctx) -> int:
    raise NotImplementedYet("'autoedit keys' is not implemented yet (issue #5); it produces no output rather than a fake one")
