"""`autoedit analyze`: not built yet (issue #3)."""

from __future__ import annotations

from engine.errors import NotImplementedYet


def add_arguments(parser) -> None:
    parser.add_argument("media", nargs="+")
    parser.add_argument("-o", "--output")


def run(args, ctx) -> int:
    raise NotImplementedYet("'autoedit analyze' is not implemented yet (issue #3); it produces no output rather than a fake one")
