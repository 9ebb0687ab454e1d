"""Input checks shared by the radio array core: a float array back, or a RadioConfigError naming the value."""

from __future__ import annotations

import numpy as np

from ..errors import RadioConfigError


def checked(x, name: str, *, expected: str, lo: float = -np.inf, hi: float = np.inf, lo_open: bool = False,
            hi_open: bool = False) -> np.ndarray:
    """``x`` as a float array if every element is finite and within [lo, hi] (open ends as asked)."""
    a = np.asarray(x, dtype=float)
    if a.size:
        ok = np.isfinite(a) & ((a > lo) if lo_open else (a >= lo)) & ((a < hi) if hi_open else (a <= hi))
        if not np.all(ok):
            raise RadioConfigError(f"{name} = {x!r}: expected {expected}")
    return a


def share(x, name: str) -> np.ndarray:
    """A share in [0, 1]."""
    return checked(x, name, lo=0.0, hi=1.0, expected="a share in [0, 1]")


def positive(x, name: str, unit: str = "") -> np.ndarray:
    """A value > 0."""
    return checked(x, name, lo=0.0, lo_open=True, expected=f"a value > 0{' ' + unit if unit else ''}")
