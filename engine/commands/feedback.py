"""`autoedit feedback`: not built yet (issue #8)."""

from __future__ import annotations

from engine.errors import NotImplementedYet


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=["count", "export"])
    parser.add_argument("out", nargs="?")


def run(args, ctx) -> int:
    raise NotImplementedYet("'autoedit feedback' is not implemented yet (issue #8); it produces no output rather than a fake one")
