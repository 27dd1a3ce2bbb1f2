"""The one way numbers and times are shown: JSON-safe floats, clocks, fixed digits.

JSON has no infinity or NaN (silence measures -inf LUFS), so every value bound for a
document passes through ``finite``; every time shown to a person through ``clock``.
"""

from __future__ import annotations

import math


def finite(value: float | None, digits: int | None = None) -> float | None:
    """``value`` rounded to ``digits``, or None when it is missing, infinite or NaN."""
    if value is None or not math.isfinite(value):
        return None
    return float(value) if digits is None else round(float(value), digits)


def fixed(value: float | None, digits: int = 1, unit: str = "", missing: str = "-") -> str:
    """``value`` with ``digits`` decimals and a unit, or ``missing`` when not finite."""
    number = finite(value)
    return missing if number is None else f"{number:.{digits}f}{unit}"


def clock(seconds: float | None, *, pad: bool = False, missing: str = "?") -> str:
    """The second a time falls in, as M:SS (MM:SS with ``pad``), or H:MM:SS from an hour
    on; ``missing`` when unknown. A millisecond of slack keeps 9.9999 from showing 0:09."""
    number = finite(seconds)
    if number is None:
        return missing
    total = int(max(0.0, number) + 1e-3)
    hours, rest = divmod(total, 3600)
    if hours:
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{rest // 60:02d}:{rest % 60:02d}" if pad else f"{rest // 60}:{rest % 60:02d}"


def clock_tenths(seconds: float) -> str:
    """MM:SS.s, for a pickup list that a narrator seeks to by hand."""
    t = max(0.0, seconds)
    return f"{int(t // 60):02d}:{t % 60:04.1f}"
