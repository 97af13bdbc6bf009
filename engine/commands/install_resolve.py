"""`autoedit install-resolve`: not built yet (issue #7)."""

from __future__ import annotations

from engine.errors import NotImplementedYet


def add_arguments(parser) -> None:
    parser.add_argument("--dest")


def run(args, ctx) -> int:
    raise NotImplementedYet("'autoedit install-resolve' is not implemented yet (issue #7); it produces no output rather than a fake one")
