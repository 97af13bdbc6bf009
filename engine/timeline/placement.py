"""What the timeline is built from: clips placed on it, in the timeline's own terms.

Planning decides which pieces of which sources go where; the edit use case (engine/editing.py) hands
the result here as `PlacedClip`s, so building, captions and reframing know nothing of how the choice
was made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from engine.analysis.report import Word


@dataclass(frozen=True)
class PlacedClip:
    """One placed clip. `start`/`end` are frames at `rate` from the file's start; record times are
    seconds on the timeline."""

    decision_id: str
    reason: str
    media_index: int
    path: str
    rate: Fraction
    start: int
    end: int
    record_start: Fraction
    record_end: Fraction
    kind: str  # "speech" | "visual"
    score: float = 0.0
    features: Mapping[str, float] = field(default_factory=dict)
    text: str = ""
    words: Sequence[Word] = ()
    muted: bool = False  # its sound left out (a visual unit over speech, under the music)

    @property
    def source_start_s(self) -> float:
        return float(self.start / self.rate)

    @property
    def source_end_s(self) -> float:
        return float(self.end / self.rate)
