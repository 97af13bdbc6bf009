"""Exact frame rates from the floats and strings NLEs write: the one rule every side applies.

OTIO stores rates as floats (23.976023976023978), Resolve shows them as text ("23.976", "29.97 DF").
The NTSC family is n*1000/1001; a rate within 0.005 of one of those is that rate (so "23.976", written
to three decimals, is 24000/1001 as well), anything else is the simplest fraction with a denominator
up to 1001 (25, 30, 12.5 = 25/2, ...).
"""

from __future__ import annotations

import math
from fractions import Fraction

NTSC_RATES = tuple(Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120, 240))
NTSC_TOLERANCE = 0.005


def exact_rate(rate: float | int | str | Fraction) -> Fraction:
    """A frame rate as an exact fraction; ValueError for what is not a usable rate."""
    if isinstance(rate, Fraction):
        if rate <= 0:
            raise ValueError(f"unusable frame rate {rate!r}")
        return rate
    if isinstance(rate, str):
        text = rate.strip().split()[0] if rate.strip() else ""
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"unusable frame rate {rate!r}") from None
    else:
        value = float(rate)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"unusable frame rate {rate!r}")
    for ntsc in NTSC_RATES:
        if abs(value - float(ntsc)) < NTSC_TOLERANCE:
            return ntsc
    return Fraction(value).limit_denominator(1001)
