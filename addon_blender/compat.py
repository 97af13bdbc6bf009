"""Blender 4.2 LTS through 5.x: the VSE API renamed `sequences` to `strips` (4.4/5.0) and the effect
arguments `frame_end`/`seq1`/`seq2` to `length`/`input1`/`input2` (5.0)."""

from __future__ import annotations

from typing import Any


def strips(editor: Any) -> Any:
    """Top-level strips collection (`strips` in 5.x, `sequences` before)."""
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def strips_all(editor: Any) -> Any:
    return editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all


def new_effect(
    editor: Any, name: str, kind: str, channel: int, start: int, end: int, inputs: list[Any]
) -> Any:
    collection = strips(editor)
    try:  # 5.x
        kwargs: dict[str, Any] = {"length": end - start}
        for i, strip in enumerate(inputs[:2]):
            kwargs[f"input{i + 1}"] = strip
        return collection.new_effect(name=name, type=kind, channel=channel, frame_start=start, **kwargs)
    except TypeError:  # 4.2 .. 4.5
        kwargs = {"frame_end": end}
        for i, strip in enumerate(inputs[:2]):
            kwargs[f"seq{i + 1}"] = strip
        return collection.new_effect(name=name, type=kind, channel=channel, frame_start=start, **kwargs)
