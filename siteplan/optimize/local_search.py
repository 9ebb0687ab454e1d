"""Iterated local search for site selection on incremental coverage counts.

Two searches share one state, `Coverage`: per demand row the number of selected candidates covering
it, and per candidate what adding it would gain and what dropping it would lose [weight units]. Adding
or dropping a candidate touches only the rows it covers and the candidates covering those rows, so a
move costs a few thousand array operations whatever the size of the model.

* `MaxCoverageSearch` (MCLP): best-improvement swaps (one selected site out, one other in) and adds
  while there is room, then ruin-and-recreate perturbations: drop a few neighbouring selected sites,
  re-add greedily (randomised among the best few), improve locally, keep the result when it covers at
  least as much (plateaus are walked), else return to the best selection.
* `CoverSearch` (partial set cover / LSCP): drops of redundant sites and cheaper swaps that keep the
  target, with the same ruin-and-recreate perturbation repaired by cost-effectiveness.

Both are deterministic: the same inputs, ``seed`` and number of rounds give the same selections (a
deadline can only cut a run short). ``run`` may be called repeatedly; each call continues the search.
"""

from __future__ import annotations

import time

import numba as nb
import numpy as np
import scipy.sparse as sp

from siteplan.optimize.greedy import _gather, conflict_matrix

__all__ = ["CoverSearch", "Coverage", "MaxCoverageSearch"]


# Compiled kernels of the moves (each call touches a few hundred nonzeros; numpy's per-call overhead
# dominated: about half of Hedong's optimize step). Same arithmetic in the same order as the numpy
# versions they replaced, so every selection is unchanged.


@nb.njit(cache=True, nogil=True)
def _spread_nb(indptr, indices, w, rows, sign, gain, acc):
    """gain[k] += sign * (sum of w[i] over ``rows`` i covered by k), summed per k in input order
    first (as ``np.bincount`` does); ``acc`` is an all-zero (n,) scratch array, left all zero."""
    size = 0
    for i in rows:
        size += indptr[i + 1] - indptr[i]
    touched = np.empty(size, dtype=np.int64)
    nt = 0
    for i in rows:
        for t in range(indptr[i], indptr[i + 1]):
            k = indices[t]
            if acc[k] == 0.0:
                touched[nt] = k
                nt += 1
            acc[k] += w[i]
    for q in range(nt):
        k = touched[q]
        if acc[k] != 0.0:
            gain[k] += sign * acc[k]
            acc[k] = 0.0


@nb.njit(cache=True, nogil=True)
def _neighbours_nb(c_indptr, c_indices, r_indptr, r_indices, cols, hops, n, m):
    mark = np.zeros(n, dtype=np.bool_)
    for c in cols:
        mark[c] = True
    rmark = np.zeros(m, dtype=np.bool_)
    for _ in range(hops):
        for c in np.flatnonzero(mark):
            for t in range(c_indptr[c], c_indptr[c + 1]):
                rmark[c_indices[t]] = True
        for r in np.flatnonzero(rmark):
            for t in range(r_indptr[r], r_indptr[r + 1]):
                mark[r_indices[t]] = True
    return np.flatnonzero(mark)


class Coverage:
    """A selection on a 0/1 coverage matrix with incremental counts.

    Attributes
    ----------
    cnt : (m,) int
        Number of selected columns covering each row.
    own : (m,) int
        Sum of the selected column indices covering each row: the row's only coverer when ``cnt == 1``.
    gain : (n,) float
        Weight of the uncovered rows each column covers [weight units] (meaningful for unselected ones).
    loss : (n,) float
        Weight of the rows only this column covers [weight units] (meaningful for selected ones).
    value : float
        Covered weight [weight units].
    """

    def __init__(self, A, w, selected=(), *, conflicts=None):
        csc = sp.csc_array(A, dtype=np.float64)
        csc.sum_duplicates()
        csc.sort_indices()
        self.csc = csc
        self.csr = sp.csr_array(csc)
        self.csr.sort_indices()
        self.m, self.n = csc.shape
        self.w = np.asarray(w, dtype=np.float64)
        self.conf = (
            conflicts
            if (conflicts is None or sp.issparse(conflicts))
            else conflict_matrix(conflicts, self.n)
        )
        self.total = float(self.w.sum())
        self.tol = 1e-9 * max(1.0, self.total)
        self.in_sel = np.zeros(self.n, dtype=bool)
        self.confcnt = np.zeros(self.n, dtype=np.int64)
        self._acc = np.zeros(self.n)  # _spread's per-column sums, all zero between calls
        self.reset(selected)

    def reset(self, selected) -> None:
        """Recount everything from scratch for ``selected`` (also clears accumulated rounding)."""
        sel = np.unique(np.asarray(selected, dtype=np.int64))
        self.in_sel[:] = False
        self.in_sel[sel] = True
        x = self.in_sel.astype(np.float64)
        self.cnt = np.rint(self.csc @ x).astype(np.int64)
        self.own = np.zeros(self.m, dtype=np.int64)
        rows, lens = _gather(self.csc.indptr, self.csc.indices, sel)
        np.add.at(self.own, rows, np.repeat(sel, lens))
        uncovered = self.w * (self.cnt == 0)
        self.gain = self.csc.T @ uncovered
        self.loss = self.csc.T @ (self.w * (self.cnt == 1)) * self.in_sel
        self.value = float(self.w[self.cnt > 0].sum())
        if self.conf is not None:
            self.confcnt = np.rint(self.conf @ x).astype(np.int64)

    @property
    def selected(self) -> np.ndarray:
        return np.flatnonzero(self.in_sel)

    def rows(self, j: int) -> np.ndarray:
        return self.csc.indices[self.csc.indptr[j] : self.csc.indptr[j + 1]]

    def _spread(self, rows: np.ndarray, sign: float) -> None:
        """gain[k] += sign * w[i] for every column k covering each of ``rows``."""
        if len(rows):
            _spread_nb(self.csr.indptr, self.csr.indices, self.w, rows, sign, self.gain, self._acc)

    def add(self, j: int) -> None:
        r = self.rows(j)
        c = self.cnt[r]
        new, dbl = r[c == 0], r[c == 1]
        self._spread(new, -1.0)
        got = float(self.w[new].sum())
        self.loss[j] = got
        self.value += got
        if len(dbl):  # their only coverer shares them now
            np.subtract.at(self.loss, self.own[dbl], self.w[dbl])
        self.cnt[r] += 1
        self.own[r] += j
        self.in_sel[j] = True
        if self.conf is not None:
            self.confcnt[self.conf.indices[self.conf.indptr[j] : self.conf.indptr[j + 1]]] += 1

    def drop(self, j: int) -> None:
        r = self.rows(j)
        self.cnt[r] -= 1
        self.own[r] -= j
        self.in_sel[j] = False
        c = self.cnt[r]
        gone, single = r[c == 0], r[c == 1]
        self._spread(gone, 1.0)
        self.value -= float(self.w[gone].sum())
        self.loss[j] = 0.0
        if len(single):  # the one coverer left owns them now
            np.add.at(self.loss, self.own[single], self.w[single])
        if self.conf is not None:
            self.confcnt[self.conf.indices[self.conf.indptr[j] : self.conf.indptr[j + 1]]] -= 1

    def move_to(self, target: np.ndarray) -> None:
        """Change the selection to ``target`` by dropping and adding only the differences."""
        cur = self.selected
        for j in np.setdiff1d(cur, target, assume_unique=True):
            self.drop(int(j))
        for j in np.setdiff1d(target, cur, assume_unique=True):
            self.add(int(j))

    def _unique_rows(self, rows: np.ndarray) -> np.ndarray:
        mark = np.zeros(self.m, dtype=bool)  # a mask beats np.unique on these short arrays
        mark[rows] = True
        return np.flatnonzero(mark)

    def neighbours(self, cols: np.ndarray, hops: int = 1) -> np.ndarray:
        """Sorted columns within ``hops`` shared rows of any of ``cols`` (``cols`` included)."""
        c, r = self.csc, self.csr
        cols = np.asarray(cols, dtype=np.int64)
        return _neighbours_nb(c.indptr, c.indices, r.indptr, r.indices, cols, hops, self.n, self.m)

    def swap_table(self, outs: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """Coverage change of every swap (``cand[a]`` in, ``outs[b]`` out) as a ``(len(cand), len(outs))`` array.

        ``delta = gain[in] - loss[out] + weight of the rows only ``out`` covers that ``in`` covers too``.
        """
        k = len(outs)
        pos = np.full(self.n, -1, dtype=np.int64)
        pos[outs] = np.arange(k)
        rows, _ = _gather(self.csc.indptr, self.csc.indices, outs)
        rows = self._unique_rows(rows[self.cnt[rows] == 1])
        rows = rows[pos[self.own[rows]] >= 0]
        cpos = np.full(self.n, -1, dtype=np.int64)
        cpos[cand] = np.arange(len(cand))
        cols, lens = _gather(self.csr.indptr, self.csr.indices, rows)
        owner = np.repeat(pos[self.own[rows]], lens)
        wts = np.repeat(self.w[rows], lens)
        keep = cpos[cols] >= 0
        cross = np.bincount(
            cpos[cols[keep]] * k + owner[keep], weights=wts[keep], minlength=len(cand) * k
        ).reshape(len(cand), k)
        return self.gain[cand][:, None] - self.loss[outs][None, :] + cross

    def swap_allowed(self, outs: np.ndarray, cand: np.ndarray) -> np.ndarray | None:
        """Which swaps keep the conflicts: ``in`` conflicts with no selected site other than ``out``."""
        if self.conf is None:
            return None
        cc = self.confcnt[cand]
        ok = np.broadcast_to((cc == 0)[:, None], (len(cand), len(outs))).copy()
        one = np.flatnonzero(cc == 1)
        if len(one):
            ok[one] = self.conf[cand[one]][:, outs].toarray() > 0
        return ok


class _Search:
    """What both searches share: the state, the random stream, the best selection and its revert."""

    def __init__(self, A, w, start, *, cost, conflicts, seed: int, deadline=None):
        self.deadline = deadline  # ``time.perf_counter()`` value that stops the first local search
        self.cov = Coverage(A, w, start, conflicts=conflicts)
        n = self.cov.n
        self.cost = np.ones(n) if cost is None else np.asarray(cost, dtype=np.float64)
        self.ctol = 1e-9 * max(1.0, float(np.abs(self.cost).sum()))
        self.rng = np.random.default_rng(seed)
        self.rounds = 0
        self.moves = 0
        self.improvements = 0
        self.time_s = 0.0  # wall time spent in run() [s]
        self.cut = False  # a deadline cut a local search or a run short (the result depends on timing)

    def _pick(self, score: np.ndarray) -> int:
        """Index of the best score, or, half of the time, one of the three best (diversification)."""
        if self.rng.random() < 0.5 or len(score) < 3:
            return int(np.argmax(score))
        top = np.argpartition(-score, 2)[:3]
        top = top[np.isfinite(score[top])]
        return int(top[self.rng.integers(len(top))]) if len(top) else int(np.argmax(score))

    def _ruin(self) -> np.ndarray:
        """Drop a random selected site and some of its selected neighbours; return the area touched."""
        cov = self.cov
        sel = cov.selected
        s = int(sel[self.rng.integers(len(sel))])
        nb = cov.neighbours(np.array([s]))
        near = nb[cov.in_sel[nb]]
        k = int(self.rng.integers(2, 5))
        if len(near) > k:
            near = np.r_[s, self.rng.choice(near[near != s], k - 1, replace=False)]
        for j in near:
            cov.drop(int(j))
        return near

    def _late(self) -> bool:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.cut = True
            return True
        return False

    def _merge(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        mark = np.zeros(self.cov.n, dtype=bool)
        mark[a] = True
        mark[b] = True
        return np.flatnonzero(mark)

    def _area(self, cols: np.ndarray) -> np.ndarray:
        """Selected sites within two overlap hops of ``cols`` (where a change can open a move)."""
        cov = self.cov
        two = cov.neighbours(cols, hops=2)
        return two[cov.in_sel[two]]

    # what a search defines: its score of the current selection (higher is better), its tolerance,
    # one perturbation round, and how the best score reads from outside
    _tol: float

    def _score(self) -> float:
        raise NotImplementedError

    def _round(self) -> None:
        raise NotImplementedError

    def _set_best(self, score: float) -> None:
        raise NotImplementedError

    def _start(self) -> None:
        """After the first local search: the start selection is the best and current one."""
        self._best_score = self._cur_score = self._score()
        self.best = self._cur = self.cov.selected
        self._set_best(self._best_score)

    def run(self, rounds: int, *, deadline: float | None = None, stop_at=None) -> bool:
        """Run ``rounds`` perturbation rounds (fewer at ``deadline`` or once the best reaches
        ``stop_at``, a bound nothing can pass). Returns True when the best selection improved.

        A round's result replaces the best one only when strictly better; one as good as the current
        is kept to walk plateaus from; a worse one is undone. So once the best reaches a proven
        bound it stays put, which keeps checkpoints of a stream deterministic.
        """
        cov = self.cov
        t_run = time.perf_counter()
        before = self._best_score
        stop = None if stop_at is None else self._sign * stop_at
        for _ in range(rounds):
            if deadline is not None and time.perf_counter() > deadline:
                self.cut = True
                break
            if stop is not None and self._best_score >= stop - self._tol:
                break
            if len(self.best) == 0:
                break
            self.rounds += 1
            self._round()
            score = self._score()
            if score > self._best_score + self._tol:
                self.improvements += 1
                self.best = self._cur = cov.selected
                self._best_score = self._cur_score = score
            elif score >= self._cur_score - self._tol:
                self._cur, self._cur_score = cov.selected, score
            else:
                cov.move_to(self._cur)
            if self.rounds % 256 == 0:  # incremental sums drift: recount now and then
                cov.reset(cov.selected)
                self._cur_score = self._score()
        cov.move_to(self.best)
        cov.reset(self.best)  # recount the best one exactly; the next call walks on from it
        self._best_score = self._cur_score = self._score()
        self._cur = self.best
        self._set_best(self._best_score)
        self.time_s += time.perf_counter() - t_run
        return self._best_score > before + self._tol


class MaxCoverageSearch(_Search):
    """Iterated local search for maximal covering: at most ``p`` sites (and/or a ``budget``).

    Parameters
    ----------
    A : sparse (m x n)
        Coverage matrix (rows x candidates).
    w : (m,) float
        Row weights [weight units].
    p : int or None
        Maximum number of selected sites.
    start : int indices
        A feasible starting selection (e.g. the greedy's).
    cost, budget : (n,) float, float, optional
        Candidate costs and the budget on their sum [cost units].
    conflicts : (k, 2) int or sparse (n x n), optional
        Pairs that may not both be selected.
    seed : int
        Seed of the perturbations.
    deadline : float, optional
        ``time.perf_counter()`` value at which the first local search (in the constructor) stops.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csc_array(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]]))
    >>> s = MaxCoverageSearch(A, np.array([1.0, 1.0, 2.0, 5.0]), 2, start=[0])
    >>> _ = s.run(rounds=5)
    >>> s.best.tolist(), s.best_value
    ([1, 2], 8.0)
    """

    def __init__(
        self, A, w, p, *, start=(), cost=None, budget=None, conflicts=None, seed=0, deadline=None
    ):
        super().__init__(A, w, start, cost=cost, conflicts=conflicts, seed=seed, deadline=deadline)
        self.p = self.cov.n if p is None else int(p)
        self.budget = budget
        self._sign, self._tol = 1.0, self.cov.tol
        self._improve(None)
        self._start()

    def _spent(self) -> float:
        return float(self.cost[self.cov.in_sel].sum())

    def _addable(self) -> np.ndarray:
        cov = self.cov
        ok = ~cov.in_sel & (cov.gain > cov.tol)
        if cov.conf is not None:
            ok &= cov.confcnt == 0
        if self.budget is not None:
            ok &= self.cost <= self.budget - self._spent() + self.ctol
        return ok

    def _fill(self, randomised: bool) -> None:
        """Add the best (or one of the best few) sites while there is room and gain."""
        cov = self.cov
        while int(cov.in_sel.sum()) < self.p:
            ok = self._addable()
            if not ok.any():
                return
            g = cov.gain if self.budget is None else cov.gain / np.maximum(self.cost, 1e-300)
            score = np.where(ok, g, -np.inf)
            j = self._pick(score) if randomised else int(np.argmax(score))
            cov.add(j)

    def _improve(self, outs) -> None:
        """Best-improvement swaps among ``outs`` (None = every selected site) until none improves."""
        cov = self.cov
        while not self._late():
            self._fill(randomised=False)
            sel = cov.selected
            if len(sel) == 0:
                return
            if outs is None:
                o_set = sel
            else:
                o_set = outs[cov.in_sel[outs]]
                o_set = (
                    np.r_[o_set, sel[np.argmin(cov.loss[sel])]] if len(o_set) < len(sel) else o_set
                )
                o_set = np.unique(o_set)
            cand = np.flatnonzero(~cov.in_sel & (cov.gain > cov.tol))
            if len(cand) == 0:
                return
            D = cov.swap_table(o_set, cand)
            ok = cov.swap_allowed(o_set, cand)
            if ok is not None:
                D = np.where(ok, D, -np.inf)
            if self.budget is not None:
                room = self.budget - self._spent() + self.ctol
                D = np.where(
                    self.cost[cand][:, None] - self.cost[o_set][None, :] <= room, D, -np.inf
                )
            b = int(np.argmax(D))
            if not D.flat[b] > cov.tol:
                return
            a, c = divmod(b, len(o_set))
            j_in, j_out = int(cand[a]), int(o_set[c])
            cov.drop(j_out)
            cov.add(j_in)
            self.moves += 1
            # next time look only at the sites that still had an improving swap and at the area of
            # this one (elsewhere nothing changed); the first full table is the only full one
            live = o_set[D.max(axis=0) > cov.tol]
            outs = self._merge(live[live != j_out], self._area(np.array([j_in, j_out])))

    def _score(self) -> float:
        return self.cov.value

    def _set_best(self, score: float) -> None:
        self.best_value = score

    def _round(self) -> None:
        gone = self._ruin()
        kept = self.cov.selected
        self._fill(randomised=True)
        self._improve(self._area(np.r_[gone, np.setdiff1d(self.cov.selected, kept)]))


class CoverSearch(_Search):
    """Iterated local search for the cheapest selection covering at least ``need`` weight.

    Parameters
    ----------
    A, w, cost, conflicts, seed
        As in `MaxCoverageSearch`; ``cost`` defaults to 1 per site.
    need : float
        Weight to cover [weight units].
    start : int indices
        A selection covering ``need`` (e.g. greedy + pruning).
    max_sites : int, optional
        At most this many sites.
    """

    def __init__(
        self,
        A,
        w,
        need: float,
        *,
        start,
        cost=None,
        conflicts=None,
        max_sites=None,
        seed: int = 0,
        deadline=None,
    ):
        super().__init__(A, w, start, cost=cost, conflicts=conflicts, seed=seed, deadline=deadline)
        self.need = float(need)
        self.max_sites = max_sites
        if self.cov.value < self.need - self.cov.tol:
            raise ValueError("CoverSearch: the start selection does not cover the weight needed")
        self._sign, self._tol = -1.0, self.ctol
        self._improve(None)
        self._start()

    def _cost(self) -> float:
        return float(self.cost[self.cov.in_sel].sum())

    def _prune(self) -> None:
        """Drop redundant sites, most expensive first (ties: least loss, then lowest index)."""
        cov = self.cov
        while True:
            sel = cov.selected
            red = sel[cov.value - cov.loss[sel] >= self.need - cov.tol]
            if len(red) == 0:
                return
            j = red[np.lexsort((red, cov.loss[red], -self.cost[red]))[0]]
            cov.drop(int(j))
            self.moves += 1

    def _improve(self, outs) -> None:
        cov = self.cov
        while not self._late():
            self._prune()
            sel = cov.selected
            o_set = sel if outs is None else outs[cov.in_sel[outs]]
            if len(o_set) == 0:
                return
            cand = np.flatnonzero(~cov.in_sel & (self.cost < self.cost[o_set].max() - self.ctol))
            if len(cand) == 0:
                return
            D = cov.swap_table(o_set, cand)
            ok = cov.value + D >= self.need - cov.tol
            ok &= self.cost[cand][:, None] < self.cost[o_set][None, :] - self.ctol
            allowed = cov.swap_allowed(o_set, cand)
            if allowed is not None:
                ok &= allowed
            if not ok.any():
                return
            sav = np.where(ok, self.cost[o_set][None, :] - self.cost[cand][:, None], -np.inf)
            best = sav.max()
            b = int(np.argmax(np.where(sav >= best - self.ctol, D, -np.inf)))
            a, c = divmod(b, len(o_set))
            j_in, j_out = int(cand[a]), int(o_set[c])
            cov.drop(j_out)
            cov.add(j_in)
            self.moves += 1
            live = o_set[ok.any(axis=0)]  # as in MaxCoverageSearch._improve
            outs = self._merge(live[live != j_out], self._area(np.array([j_in, j_out])))

    def _repair(self) -> bool:
        """Add cost-effective sites (randomised among the best few) until the target is met."""
        cov = self.cov
        while cov.value < self.need - cov.tol:
            if self.max_sites is not None and int(cov.in_sel.sum()) >= self.max_sites:
                return False
            ok = ~cov.in_sel & (cov.gain > cov.tol)
            if cov.conf is not None:
                ok &= cov.confcnt == 0
            if not ok.any():
                return False
            short = self.need - cov.value
            eff = np.minimum(cov.gain, short) / np.maximum(self.cost, 1e-12)
            cov.add(self._pick(np.where(ok, eff, -np.inf)))
        return True

    def _score(self) -> float:
        """Minus the cost (higher is better); minus infinity while the target is not met."""
        return -self._cost() if self.cov.value >= self.need - self.cov.tol else -np.inf

    def _set_best(self, score: float) -> None:
        self.best_cost = -score

    def _round(self) -> None:
        gone = self._ruin()
        kept = self.cov.selected
        if self._repair():
            self._improve(self._area(np.r_[gone, np.setdiff1d(self.cov.selected, kept)]))
