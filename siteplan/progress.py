"""Progress reporting that shows on a terminal and stays quiet when piped or in CI."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["interactive", "progress", "status"]

T = TypeVar("T")


def interactive() -> bool:
    """True on a terminal outside CI (``CI`` unset) unless ``SITEPLAN_PROGRESS=0``."""
    if os.environ.get("SITEPLAN_PROGRESS") == "0" or os.environ.get("CI"):
        return False
    if os.environ.get("SITEPLAN_PROGRESS") == "1":
        return True
    return sys.stderr.isatty()


def progress(iterable: Iterable[T], *, desc: str = "", total: int | None = None) -> Iterator[T]:
    """Yield from ``iterable`` while drawing a one-line bar on stderr (only when :func:`interactive`)."""
    if not interactive():
        yield from iterable
        return
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    start = time.perf_counter()
    last = 0.0
    n = 0
    for n, item in enumerate(iterable, start=1):
        yield item
        now = time.perf_counter()
        if now - last > 0.1 or (total and n == total):
            last = now
            frac = f"{n}/{total}" if total else str(n)
            bar = ""
            if total:
                filled = int(24 * n / total)
                bar = "[" + "#" * filled + "." * (24 - filled) + "] "
            sys.stderr.write(f"\r{desc} {bar}{frac} ({now - start:.1f} s)")
            sys.stderr.flush()
    if n:
        sys.stderr.write("\n")
        sys.stderr.flush()


def status(message: str) -> None:
    """A one-line step announcement on a terminal; silent when piped or in CI."""
    if interactive():
        sys.stderr.write(f"… {message}\n")
        sys.stderr.flush()
