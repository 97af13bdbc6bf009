"""Frame positions in exact rational time, and the rate an editor counts a source's frames in."""

from __future__ import annotations

import functools
from fractions import Fraction

from bridge.rates import exact_rate

EDITORIAL_RATES = tuple(
    Fraction(r) for r in ("24000/1001", "24", "25", "30000/1001", "30", "48", "50", "60000/1001", "60")
)


def frame_of(seconds: float, rate: Fraction) -> int:
    """Nearest frame; exact rational arithmetic so long sources never drift."""
    return int(round(Fraction(seconds).limit_denominator(10**6) * rate))


@functools.lru_cache(maxsize=256)
def _average_rate(path: str) -> Fraction | None:
    import av

    try:
        with av.open(path) as container:
            if not container.streams.video:
                return None
            rate = container.streams.video[0].average_rate
            return Fraction(rate.numerator, rate.denominator) if rate else None
    except (av.error.FFmpegError, OSError):
        return None


def edit_rate(nominal: Fraction | None, fps: float, variable: bool, path: str) -> Fraction:
    """The rate positions are counted in: the source's own rate; for a variable-frame-rate source,
    the editorial rate nearest its average (what NLEs conform such footage to), since its stream
    rate is only a time base (often 90000 or 120) that timecode cannot express."""
    rate = nominal if nominal is not None and nominal > 0 else None
    if rate is None:
        rate = exact_rate(fps) if fps > 0 else Fraction(25)
    if variable:
        average = _average_rate(path) or rate
        return min(EDITORIAL_RATES, key=lambda r: abs(r - average))
    return rate
