"""One numeric vector per clip, the input of the reward head: the planner's features as numbers (not
bands), what is said (MiniLM sentence embedding of the transcript) and what it looks like
(engine.learning.visual). The same function reads a recorded decision (training) and the planner's
candidate (scoring), so both sides see the same clip the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.learning.render import as_dict
from engine.learning.visual import EMBED_DIM, VISUAL_DIM, VisualIndex

if TYPE_CHECKING:
    from engine.config import EngineConfig

NUMERIC = (
    "speech",
    "relevance",
    "avoid",
    "faces",
    "face_size",
    "sharpness",
    "motion",
    "loudness",
    "novelty",
    "fillers",
    "duration",
    "position",
)
EXTRA = ("log_seconds", "speech_unit", "picture_found")
TEXT_DIM = 384
# Blocks of the vector: (name, width). The head standardises every column and then weighs each block,
# so the 1024 embedding units together count about as much as a handful of plain measurements.
BLOCKS = (
    ("numeric", len(NUMERIC) + len(EXTRA)),
    ("text", TEXT_DIM),
    ("embedding", EMBED_DIM),
    ("pixels", VISUAL_DIM - EMBED_DIM),
)
BLOCK_WEIGHT = {"numeric": 1.0, "text": 0.08, "embedding": 0.08, "pixels": 1.0}
DIM = sum(width for _, width in BLOCKS)


def block_weights() -> np.ndarray:
    return np.concatenate([np.full(width, BLOCK_WEIGHT[name], dtype=np.float32) for name, width in BLOCKS])


def _seconds(d: Mapping[str, Any]) -> float:
    start, end = d.get("source_start"), d.get("source_end")
    if isinstance(start, int | float) and isinstance(end, int | float):
        return max(float(end) - float(start), 0.0)
    duration = as_dict(d.get("features")).get("duration")
    return 10.0 * float(duration) if isinstance(duration, int | float) else 0.0


def _transcript(d: Mapping[str, Any]) -> str:
    text = d.get("transcript", d.get("text"))
    if isinstance(text, list):
        text = " ".join(str(w.get("text", w) if isinstance(w, Mapping) else w) for w in text)
    return " ".join(str(text or "").split())


class ClipEncoder:
    """Clip vectors for decisions or candidates; open per use (the text cache is one SQLite file)."""

    def __init__(self, config: EngineConfig, data_dir: Path):
        self.config = config
        self.data_dir = Path(data_dir)
        self.visual = VisualIndex(config, self.data_dir)

    def encode(self, decisions: Sequence[Any]) -> np.ndarray:
        rows = [as_dict(d) for d in decisions]
        out = np.zeros((len(rows), DIM), dtype=np.float32)
        if not rows:
            return out
        texts = [_transcript(r) for r in rows]
        said = [i for i, t in enumerate(texts) if t]
        n_num = len(NUMERIC) + len(EXTRA)
        if said:
            from engine.planning.features import TextEmbedder

            embedder = TextEmbedder(self.config, self.data_dir)
            try:
                out[said, n_num : n_num + TEXT_DIM] = embedder.embed([texts[i] for i in said])
            finally:
                embedder.close()
        for i, r in enumerate(rows):
            features = as_dict(r.get("features"))
            seconds = _seconds(r)
            start = r.get("source_start")
            start_s = float(start) if isinstance(start, int | float) else 0.0
            picture, found = self.visual.clip(r.get("path"), start_s, start_s + seconds)
            numeric = [float(features.get(k, 0.0) or 0.0) for k in NUMERIC]
            numeric += [math.log1p(seconds), float(r.get("kind") == "speech"), float(found)]
            out[i, :n_num] = numeric
            out[i, n_num + TEXT_DIM :] = picture
        return out
