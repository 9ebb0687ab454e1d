"""Collecting every problem of one layer file, each naming its row, raised together as one typed error.

A file with empty coordinates in two rows names both rows (as the review import does for workbooks); past
:data:`MAX_LISTED` problems the message says how many more there are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import SiteplanError

__all__ = ["MAX_LISTED", "Problems", "cut_list", "shown"]

#: Problems named in one error message; the rest are counted.
MAX_LISTED = 20
#: Rows named one by one for one check (e.g. every row swapped); the check's further rows are summed up.
MAX_PER_CHECK = 5
#: Characters of a value quoted back in a message: enough to recognise it, never a whole line of a foreign file.
_SHOWN_CHARS = 40


def shown(value: object, limit: int = _SHOWN_CHARS) -> str:
    """``repr`` of a value quoted in a message, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cut_list(items, limit: int = 12, chars: int = 26) -> str:
    """Names for a message (a header's cells, a file's columns): at most ``limit``, each cut to ``chars``."""
    names = [str(n) for n in items]
    cut = [n if len(n) <= chars else n[: chars - 1] + "…" for n in names[:limit]]
    return ", ".join(cut) + (", …" if len(names) > limit else "")


class Problems:
    """The problems found in one layer file.

    Parameters
    ----------
    path
        The file, named at the start of the message.
    label
        (row index (0-based, in file order), with its id?) -> how the row is named ("row 5 (id P004)", "feature 3").
    """

    def __init__(self, path: Path, label: Callable[[int, bool], str]):
        self.path = path
        self.label = label
        self.count = 0
        #: (row, order added, error class, message, problems it covers)
        self._items: list[tuple[int, int, type[SiteplanError], str, int]] = []

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, cls: type[SiteplanError], row: int, text: str, *, labelled: bool = True,
            with_id: bool = True) -> None:
        """One problem; ``row`` orders it (and names it, with its id or not, unless ``labelled`` is False)."""
        self.count += 1
        self._items.append((row, len(self._items), cls, f"{self.label(row, with_id)}: {text}" if labelled else text, 1))

    def add_rows(self, cls: type[SiteplanError], rows, text: Callable[[int], str], what: str, *,
                 with_id: bool = True) -> None:
        """One problem per row index in ``rows``: the first :data:`MAX_PER_CHECK` named with ``text(i)`` (called
        here and now, so a lambda over loop variables is safe), the rest summed up as "N more rows: ``what``"."""
        rows = np.asarray(rows, dtype=int)
        for i in rows[:MAX_PER_CHECK]:
            self.add(cls, int(i), text(int(i)), with_id=with_id)
        if len(rows) > MAX_PER_CHECK:
            rest = len(rows) - MAX_PER_CHECK
            self._items.append((int(rows[MAX_PER_CHECK]), len(self._items), cls,
                                f"{rest} more row{'s' if rest > 1 else ''}: {what}", rest))
            self.count += rest

    def raise_if_any(self) -> None:
        """Raise the problems as one error of the first one's type, in row order, naming up to MAX_LISTED."""
        if not self.count:
            return
        items = sorted(self._items, key=lambda t: t[:2])[:MAX_LISTED]
        messages = [t[3] for t in items]
        if self.count == 1:
            text = messages[0]
        else:
            more = self.count - sum(t[4] for t in items)
            text = f"{self.count} problems: " + "; ".join(messages) + (f"; … and {more} more" if more else "")
        err = items[0][2](f"{self.path}: {text}")
        err.problems = messages  # type: ignore[attr-defined]
        raise err
