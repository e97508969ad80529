"""Whole and real numbers as arguments arrive: Python's or NumPy's (``fps // 2`` is an ``np.int64``)."""

from __future__ import annotations

import math
import operator


def as_int(value: object) -> int | None:
    """``value`` as an ``int`` when it is a whole number of any integer type, else ``None``.

    Args:
        value: An argument (``bool`` is not a number here).
    """
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


def as_finite(value: object) -> float | None:
    """``value`` as a finite ``float`` when it is a real number of any type, else ``None``.

    Args:
        value: An argument (``bool``, strings, NaN and infinities are not).
    """
    if isinstance(value, (bool, str, bytes)) or not hasattr(value, "__float__"):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None
