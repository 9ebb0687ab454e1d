"""Both cores, one answer: a heuristic stream with checkpoints beside HiGHS, and the progress line.

The local search (`siteplan.optimize.local_search`) runs as one deterministic stream of rounds, cut into
checkpoints: checkpoint 0 after ``first`` rounds, then one every ``every`` rounds, until ``patience``
checkpoints pass without improvement or the stream reaches a proven bound. Consumers never look at
"whatever the search has now", only at a numbered checkpoint:

* the interior-point LP that gives the bound runs in a worker thread while this thread runs the
  search to checkpoint 0; the two meet there;
* the MILP runs in a worker thread while this thread keeps searching; at HiGHS's k-th user-solution
  query (HiGHS asks at fixed points of its own deterministic search) it receives checkpoint k's best
  selection, waiting for it if the search is behind.

So the selections and bounds do not depend on thread timing: with ``threads=1`` the same checkpoints
are computed in the same order by the one thread (HiGHS waits while the search catches up), and the
answer of a solve that ends by proof is the same on one core or two. Once the stream has ended, a
spare core keeps searching ("bonus" rounds, no checkpoints): only a result cut by the time limit
uses them. Only the wall-clock time limit can cut a stream or a MILP at a point that depends on the
machine; such a result says ``status="time_limit"`` (even if its gap happens to be 0) and may
differ from run to run. A work-limited stream (``max_rounds``) runs ahead freely and ends once its
rounds are asked for: its checkpoints and its final state are the same on every run.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

import numpy as np

from siteplan.progress import interactive

__all__ = ["Progress", "Stream", "run_beside"]


class Stream:
    """A deterministic local search cut into numbered checkpoints.

    Parameters
    ----------
    search : MaxCoverageSearch or CoverSearch
        Anything with ``run(rounds, deadline=, stop_at=)`` and ``best`` / ``best_value`` or ``best_cost``.
    sense : {"max", "min"}
        Whether a higher (``best_value``) or lower (``best_cost``) score is better.
    first, every : int
        Rounds before checkpoint 0, and between later checkpoints.
    patience : int
        The stream ends after this many checkpoints in a row without improvement.
    stop_at : float, optional
        The stream ends once its score reaches this (a proven bound: nothing better exists).
    deadline : float, optional
        ``time.perf_counter()`` value at which the stream stops wherever it is.
    lookahead : int
        A producing thread stays at most this many checkpoints ahead of the last one asked for, so
        that it does not take CPU from HiGHS on a busy machine ...
    free_after : float, optional
        ... until this ``time.perf_counter()`` value: from then on it runs ahead freely, and once the
        stream has ended keeps searching ("bonus" rounds) for a result cut by the time limit.
        ``-inf``: free from the start (a work-limited stream: its rounds are counted, not timed).
    max_rounds : int, optional
        Work limit: the stream (checkpoints and bonus rounds together) asks the search for at most
        this many rounds; a checkpoint that would pass it gets only the rounds left, and the stream
        ends there. The search's state after the budget is spent is the same on every run.
    """

    def __init__(
        self,
        search,
        *,
        sense: str,
        first: int,
        every: int,
        patience: int,
        stop_at=None,
        deadline=None,
        lookahead: int = 3,
        free_after=None,
        max_rounds: int | None = None,
    ):
        self.search = search
        self.sense = sense
        self.first, self.every, self.patience = int(first), max(int(every), 1), int(patience)
        self.stop_at = stop_at
        self.deadline = deadline
        self.lookahead = int(lookahead)
        self.free_after = free_after
        self.max_rounds = None if max_rounds is None else int(max_rounds)
        self.used = 0  # rounds asked of the search so far (checkpoints and bonus)
        self.snaps: list[tuple[np.ndarray, float]] = []
        self.finished = False  # deterministically: patience or stop_at
        self.cut = False  # by the deadline
        self.wanted = 0  # the highest checkpoint asked for so far
        self._stale = 0
        self._cv = threading.Condition()

    def _free(self) -> bool:
        return self.free_after is not None and time.perf_counter() >= self.free_after

    def _left(self, rounds: int) -> int:
        """``rounds``, or fewer: what the work limit leaves."""
        return rounds if self.max_rounds is None else max(min(rounds, self.max_rounds - self.used), 0)

    @property
    def spent(self) -> bool:
        """The work limit is used up (no more rounds will run)."""
        return self.max_rounds is not None and self.used >= self.max_rounds

    def produce(self) -> bool:
        """One step of a producing thread: the next checkpoint if it is wanted soon, else bonus
        rounds when free; False when there is nothing to do now (then wait a little)."""
        if not self.done and (len(self.snaps) <= self.wanted + self.lookahead or self._free()):
            return self.advance()
        if self._free():
            return self.bonus()
        with self._cv:
            self._cv.wait(0.05)  # until a consumer asks for more (or a moment passes)
        return False

    def score(self) -> float:
        s = self.search
        return s.best_value if self.sense == "max" else s.best_cost

    def _better(self, a: float, b: float) -> bool:
        tol = 1e-9 * max(1.0, abs(b))
        return a > b + tol if self.sense == "max" else a < b - tol

    def _reached(self) -> bool:
        if self.stop_at is None:
            return False
        tol = 1e-9 * max(1.0, abs(self.stop_at))
        return (
            self.score() >= self.stop_at - tol
            if self.sense == "max"
            else self.score() <= self.stop_at + tol
        )

    @property
    def done(self) -> bool:
        return self.finished or self.cut

    def advance(self) -> bool:
        """Compute the next checkpoint; False when the stream has ended (nothing computed)."""
        if self.done:
            return False
        k = len(self.snaps)
        if k and self.spent:
            with self._cv:
                self.finished = True
                self._cv.notify_all()
            return False
        rounds = self._left(self.first if k == 0 else self.every)
        before = self.score() if k else None
        if not self._reached():
            self.used += rounds
            self.search.run(rounds, deadline=self.deadline, stop_at=self.stop_at)
        if (
            self.deadline is not None
            and time.perf_counter() > self.deadline
            and not self._reached()
        ):
            with self._cv:
                self.cut = True
                self._cv.notify_all()
            return False
        score = self.score()
        self._stale = 0 if (before is None or self._better(score, before)) else self._stale + 1
        with self._cv:
            self.snaps.append((self.search.best, score))
            if self._reached() or (k > 0 and self._stale >= self.patience) or self.spent:
                self.finished = True
            self._cv.notify_all()
        return True

    def bonus(self) -> bool:
        """More rounds after the stream ended by patience (threads to spare): they never make a
        checkpoint, so only a time-limited result can use them. False when there is nothing to do."""
        if not self.finished or self.cut or self._reached() or self.spent:
            return False
        if self.deadline is not None and time.perf_counter() > self.deadline:
            return False
        rounds = self._left(self.every)
        self.used += rounds
        self.search.run(rounds, deadline=self.deadline, stop_at=self.stop_at)
        return True

    def at(self, k: int, *, wait: bool) -> tuple[np.ndarray, float] | None:
        """Checkpoint ``k`` (the last one when the stream ended before it; None if there is none).

        ``wait=True``: another thread advances the stream, wait for it; else compute it here.
        """
        while True:
            with self._cv:
                if k > self.wanted:
                    self.wanted = k
                    self._cv.notify_all()
                if len(self.snaps) > k:
                    return self.snaps[k]
                if self.done:
                    return self.snaps[-1] if self.snaps else None
                if wait:
                    self._cv.wait(0.05)
                    continue
            self.advance()


def run_beside(fn: Callable[[], object], stream: Stream | None, *, threaded: bool, tick=None):
    """``fn()`` (a HiGHS call: it releases the GIL) in a worker thread while this thread advances ``stream``.

    Unthreaded, or without a stream, ``fn()`` simply runs here. ``tick()`` is called now and then
    from this thread (the progress line). Exceptions in ``fn`` are re-raised here.
    """
    if not threaded or stream is None:
        return fn()
    box: dict = {}

    def work():
        try:
            box["out"] = fn()
        except Exception as e:  # noqa: BLE001 - handed over and re-raised in the caller's thread
            box["err"] = e

    th = threading.Thread(target=work, name="siteplan-highs", daemon=True)
    th.start()
    while th.is_alive():
        if stream.done and not stream._free():
            th.join(0.2)
        elif not stream.produce() and stream.done:
            th.join(0.2)  # nothing left to search (e.g. the work limit is spent): just wait
        if tick is not None:
            tick()
    th.join()
    if "err" in box:
        raise box["err"]
    return box["out"]


class Progress:
    """One line on stderr with the incumbent, the bound and the gap, only on an interactive terminal.

    Quiet when stderr is not a TTY, when ``CI`` is set, or with ``SITEPLAN_PROGRESS=0``
    (`siteplan.progress.interactive`); ``enabled=True/False`` overrides that. A callable ``enabled``
    draws nothing and is called as ``enabled(elapsed_s, incumbent, bound)`` whenever either improves
    (e.g. a benchmark's trace).
    """

    def __init__(self, desc: str, sense: str, *, enabled=None, offset: float = 0.0):
        self.desc, self.sense = desc, sense
        self.offset = (
            offset  # added to what update() is given (e.g. the cost of sites fixed by a reduction)
        )
        self.hook = enabled if callable(enabled) else None
        self.on = interactive() if enabled is None else (bool(enabled) and self.hook is None)
        self.t0 = time.perf_counter()
        self.inc = np.nan
        self.bound = np.nan
        self._last = 0.0
        self._drawn = False
        self._lock = threading.Lock()

    def _better(self, a: float, b: float) -> bool:
        """``a`` beats ``b`` in the objective's sense (anything beats NaN, nothing is beaten by it)."""
        if np.isnan(b):
            return True
        if np.isnan(a):
            return False
        return a > b if self.sense == "max" else a < b

    def update(
        self, incumbent: float | None = None, bound: float | None = None, *, force: bool = False
    ) -> None:
        if not (self.on or self.hook):
            return
        incumbent = None if incumbent is None else incumbent + self.offset
        bound = None if bound is None else bound + self.offset
        with self._lock:
            changed = False
            if (
                incumbent is not None
                and np.isfinite(incumbent)
                and self._better(incumbent, self.inc)
            ):
                self.inc, changed = float(incumbent), True
            tighter = bound is not None and np.isfinite(bound)
            if tighter and (np.isnan(self.bound) or self._better(self.bound, bound)):
                self.bound, changed = float(bound), True
            now = time.perf_counter()
            if self.hook is not None:
                if changed:
                    self.hook(now - self.t0, self.inc, self.bound)
                return
            if not force and now - self._last < 0.25:
                return
            self._last = now
            gap = ""
            if np.isfinite(self.inc) and np.isfinite(self.bound) and self.inc != 0:
                gap = f"  gap {abs(self.bound - self.inc) / abs(self.inc):.3%}"
            sys.stderr.write(
                f"\r{self.desc}: incumbent {self.inc:.6g}  bound {self.bound:.6g}{gap}  ({now - self.t0:.1f} s) "
            )
            sys.stderr.flush()
            self._drawn = True

    def close(self) -> None:
        if self.on and self._drawn:
            self.update(force=True)
            sys.stderr.write("\n")
            sys.stderr.flush()
