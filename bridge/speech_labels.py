"""How a piece of speech the edit cut is named wherever it is shown: the engine's timeline markers,
Blender's sidebar and Resolve's markers (issue 13). Standard library only: both hosts ship it."""

from __future__ import annotations

MAX_LABEL_CHARS = 60  # Blender's marker names hold 63 bytes


def speech_label(kind: str, text: str) -> str:
    """'false_start', 'we  go' -> 'false start: we go', cut to MAX_LABEL_CHARS with '...'."""
    kind = str(kind or "").replace("_", " ")
    text = " ".join(str(text or "").split())
    label = f"{kind}: {text}" if text else kind
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 3].rstrip() + "..."
