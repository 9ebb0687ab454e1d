"""Row-weighting local search for set cover and partial set cover (compiled kernel).

The cheapest selection covering at least ``need`` weight, searched by RWLS (Gao, Weise and Li, "An
efficient local search heuristic with row weighting for the unicost set covering problem", EJOR
245 (2015) 750-761), generalised to costs and to partial cover:

* while the selection covers ``need``, it is recorded if cheaper and the site whose removal loses
  the least (penalty-weighted, per unit cost) is dropped;
* otherwise one selected site is dropped the same way (not the one just added), then an uncovered
  row is drawn at random and the site covering it with the best penalty-weighted gain per unit cost
  is added (configuration checking: a site just dropped comes back only once a row it covers has
  changed state);
* every row left uncovered gains penalty weight, so rows that stay uncovered pull the search there.

Scores are updated incrementally from the rows a move touches (a few hundred rows times their
candidates per move), so the kernel runs some 10^5 moves a second on Hedong-sized models, where
the greedy-and-swap search of `siteplan.optimize.local_search` cannot move at all with unit costs
(a swap there must be strictly cheaper). On the 40,000 x 2,500 uniform set cover of
``benchmarks/bench_optimize.py`` it reaches 334 sites in 10^5 moves (0.7 s) and 329 in 5 x 10^5,
where greedy, swap and a 60 s MILP ended at 347.

The search is seeded and counted in moves, never in seconds: the same arguments give the same
selection on every machine. `WeightingSearch` keeps its state between calls, so a caller can run it
in slices and stop on its own clock or budget.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import scipy.sparse as sp

__all__ = ["WeightingSearch"]

# Relative tolerance of the covered weight against ``need``.
_TOL = 1e-9


@nb.njit(cache=True, nogil=True)
def _push(items, pos, ints, k, item):
    """Append ``item`` to the list ``items[:ints[k]]`` (``pos``: each item's place in it)."""
    pos[item] = ints[k]
    items[ints[k]] = item
    ints[k] += 1


@nb.njit(cache=True, nogil=True)
def _pop(items, pos, ints, k, item):
    """Remove ``item`` from the list ``items[:ints[k]]`` in O(1) (the last item takes its place)."""
    p = pos[item]
    last = items[ints[k] - 1]
    items[p] = last
    pos[last] = p
    pos[item] = -1
    ints[k] -= 1


@nb.njit(cache=True, nogil=True)
def _add(j, rp, ri, cp, ci, qp, qi, w, st):
    (in_sel, cnt, pen, score, can, unc, upos, sel, spos, ints, flts, ccnt) = st
    in_sel[j] = True
    for t in range(qp[j], qp[j + 1]):
        ccnt[qi[t]] += 1
    score[j] = -score[j]
    _push(sel, spos, ints, 1, j)
    for t in range(cp[j], cp[j + 1]):
        r = ci[t]
        cnt[r] += 1
        if cnt[r] == 1:  # newly covered: nobody else gains it now
            flts[1] += w[r]
            for u in range(rp[r], rp[r + 1]):
                k = ri[u]
                if k != j:
                    score[k] -= pen[r]
                can[k] = True
            _pop(unc, upos, ints, 0, r)
        elif cnt[r] == 2:  # its only coverer so far no longer loses it when dropped
            for u in range(rp[r], rp[r + 1]):
                k = ri[u]
                if k != j and in_sel[k]:
                    score[k] += pen[r]
                    break


@nb.njit(cache=True, nogil=True)
def _drop(j, rp, ri, cp, ci, qp, qi, w, st):
    (in_sel, cnt, pen, score, can, unc, upos, sel, spos, ints, flts, ccnt) = st
    in_sel[j] = False
    for t in range(qp[j], qp[j + 1]):
        ccnt[qi[t]] -= 1
    score[j] = -score[j]
    can[j] = False
    _pop(sel, spos, ints, 1, j)
    for t in range(cp[j], cp[j + 1]):
        r = ci[t]
        cnt[r] -= 1
        if cnt[r] == 0:  # uncovered: every candidate of the row would gain it
            flts[1] -= w[r]
            for u in range(rp[r], rp[r + 1]):
                k = ri[u]
                if k != j:
                    score[k] += pen[r]
                    can[k] = True
            _push(unc, upos, ints, 0, r)
        elif cnt[r] == 1:  # its last coverer now loses it when dropped
            for u in range(rp[r], rp[r + 1]):
                k = ri[u]
                if in_sel[k]:
                    score[k] -= pen[r]
                    break


@nb.njit(cache=True, nogil=True)
def _draw(rng, k):
    """Uniform integer in [0, k) from the search's own xorshift64* state ``rng[0]`` (no global
    random state: the same draws whichever thread or process runs it, in whatever slices)."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    return int((x * np.uint64(0x2545F4914F6CDD1D)) >> np.uint64(33)) % k


@nb.njit(cache=True, nogil=True)
def _record(st, best, it):
    """Keep the selection as the best if it covers ``need`` more cheaply (``flts[2]``)."""
    in_sel, ints, flts = st[0], st[9], st[10]
    if flts[0] < flts[2] - 1e-9 * max(1.0, flts[0]):
        flts[2] = flts[0]
        best[:] = in_sel
        ints[4] = it
        return 1
    return 0


@nb.njit(cache=True, nogil=True)
def _worst(cost, stamp, st, skip):
    """The selected site (not ``skip``) whose removal loses least per unit cost; ties: oldest."""
    in_sel, score, sel, ints = st[0], st[3], st[7], st[9]
    bj, bv = -1, -np.inf
    for q in range(ints[1]):
        j = sel[q]
        if j == skip:
            continue
        v = score[j] / cost[j]
        if v > bv or (v == bv and stamp[j] < stamp[bj]):
            bj, bv = j, v
    return bj


@nb.njit(cache=True, nogil=True)
def _moves(rp, ri, cp, ci, qp, qi, w, cost, need, st, stamp, best, rng, n_moves, every_row):
    """``n_moves`` RWLS moves on the state ``st``; ``best`` (bool) and ``flts[2]`` hold the best
    selection covering ``need`` and its cost. Returns the number of improvements."""
    (in_sel, cnt, pen, score, can, unc, upos, sel, spos, ints, flts, ccnt) = st
    tol = _TOL * max(1.0, abs(need))
    found = 0
    for _ in range(n_moves):
        it = ints[2]
        ints[2] += 1
        while flts[1] >= need - tol and ints[1] > 0:
            found += _record(st, best, it)
            j = _worst(cost, stamp, st, -1)
            _drop(j, rp, ri, cp, ci, qp, qi, w, st)
            flts[0] -= cost[j]
            stamp[j] = it
        if ints[0] == 0:  # nothing left to cover (need above what the rows hold): nothing to do
            break
        j = _worst(cost, stamp, st, ints[3])
        if j >= 0:
            _drop(j, rp, ri, cp, ci, qp, qi, w, st)
            flts[0] -= cost[j]
            stamp[j] = it
        r = unc[_draw(rng, ints[0])]
        aj, av = -1, -np.inf
        for t in range(rp[r], rp[r + 1]):
            k = ri[t]
            if can[k] and not in_sel[k] and ccnt[k] == 0:
                v = score[k] / cost[k]
                if v > av or (v == av and stamp[k] < stamp[aj]):
                    aj, av = k, v
        if aj < 0:  # every candidate of the row is tabu or in conflict: take the best anyway
            for t in range(rp[r], rp[r + 1]):
                k = ri[t]
                v = score[k] / cost[k]
                if not in_sel[k] and v > av:
                    aj, av = k, v
            for t in range(qp[aj], qp[aj + 1]):  # and drop the selected sites it conflicts with
                k = qi[t]
                if in_sel[k]:
                    _drop(k, rp, ri, cp, ci, qp, qi, w, st)
                    flts[0] -= cost[k]
                    stamp[k] = it
        _add(aj, rp, ri, cp, ci, qp, qi, w, st)
        flts[0] += cost[aj]
        stamp[aj] = it
        ints[3] = aj
        if every_row:
            for q in range(ints[0]):
                rr = unc[q]
                pen[rr] += 1.0
                for t in range(rp[rr], rp[rr + 1]):
                    score[ri[t]] += 1.0
        elif cnt[r] == 0:
            pen[r] += 1.0
            for t in range(rp[r], rp[r + 1]):
                score[ri[t]] += 1.0
    if flts[1] >= need - tol:
        found += _record(st, best, ints[2])
    return found


@nb.njit(cache=True, nogil=True)
def _complete(rp, ri, cp, ci, qp, qi, w, cost, need, st):
    """Greedy: add the best gain per unit cost until ``need`` is covered (the search needs a cover
    to start from). Returns the cost added."""
    in_sel, score, flts, ccnt = st[0], st[3], st[10], st[11]
    tol = _TOL * max(1.0, abs(need))
    added = 0.0
    while flts[1] < need - tol:
        bj, bv = -1, 0.0
        for j in range(len(cost)):
            if not in_sel[j] and ccnt[j] == 0 and score[j] / cost[j] > bv:
                bj, bv = j, score[j] / cost[j]
        if bj < 0:
            break
        _add(bj, rp, ri, cp, ci, qp, qi, w, st)
        added += cost[bj]
    flts[0] += added
    return added




class WeightingSearch:
    """Row-weighting local search for the cheapest selection covering ``need`` weight.

    Parameters
    ----------
    A : sparse (m, n)
        Coverage, rows = demand, columns = candidates; every row must have a candidate.
    w : (m,) float
        Demand weight.
    need : float
        Weight to cover (``w.sum()``: set cover).
    cost : (n,) float, optional
        Cost per candidate (> 0); 1 by default.
    conflicts : sparse (n, n) bool, optional
        Pairs that may not both be selected (either triangle). A row drawn whose candidates all
        conflict with the selection takes its best one and drops the sites in its way.
    start : int indices, optional
        Initial selection (conflict-free); completed greedily (best gain per unit cost, no
        conflicts) up to ``need``; if that gets stuck, `best` stays empty until a cover is found.
    seed : int
        Seed of the row draws.

    Notes
    -----
    A limit on the number of sites is not modelled: callers check the result. The row draws
    come from the search's own generator, so searches in other threads do not disturb them.
    """

    def __init__(
        self, A, w, need: float, *, cost=None, conflicts=None, start=None, seed: int = 0
    ):
        R = sp.csr_array(A)
        C = sp.csc_array(A)
        m, n = R.shape
        if m and (np.diff(R.indptr) == 0).any():
            raise ValueError("WeightingSearch: every row needs a candidate covering it")
        self._rp, self._ri = R.indptr.astype(np.int64), R.indices.astype(np.int64)
        self._cp, self._ci = C.indptr.astype(np.int64), C.indices.astype(np.int64)
        self._w = np.asarray(w, dtype=np.float64)
        self.need = float(need)
        self._cost = np.ones(n) if cost is None else np.asarray(cost, dtype=np.float64)
        if (self._cost <= 0).any():
            raise ValueError("WeightingSearch: costs must be positive")
        Q = sp.csr_array((n, n), dtype=bool) if conflicts is None else sp.csr_array(conflicts)
        Q = sp.csr_array(Q + Q.T)
        self._qp, self._qi = Q.indptr.astype(np.int64), Q.indices.astype(np.int64)
        self.seed = int(seed)
        # xorshift state from the seed by splitmix64's mixer (never 0)
        z = (int(seed) + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        self._rng = np.array([(z ^ (z >> 31)) or 1], dtype=np.uint64)
        self.moves = 0
        in_sel = np.zeros(n, dtype=np.bool_)
        st = (
            in_sel,
            np.zeros(m, np.int64),  # cnt: selected sites covering the row
            np.ones(m, np.float64),  # penalty weight of the row (set below)
            np.zeros(n, np.float64),  # score: penalty gain (not selected) / minus loss (selected)
            np.ones(n, np.bool_),  # can be added (configuration checking)
            np.arange(m, dtype=np.int64),  # uncovered rows
            np.arange(m, dtype=np.int64),  # position in the uncovered list
            np.empty(n, np.int64),  # selected sites
            np.full(n, -1, np.int64),  # position in the selected list
            np.array([m, 0, 0, -1, -1], np.int64),  # n_uncovered, n_selected, move, tabu, best at
            np.array([0.0, 0.0, np.inf]),  # cost, covered weight, best cost
            np.zeros(n, np.int64),  # selected sites it conflicts with
        )
        self._st = st
        self._stamp = np.zeros(n, np.int64)
        self._best = np.zeros(n, dtype=np.bool_)
        # Set cover (RWLS): penalties start at 1 and every uncovered row gains 1 a move. Partial
        # cover: they start at the demand weight relative to its mean (which rows stay out matters)
        # and only the row drawn gains, as the rows left out for good would otherwise swamp the
        # scores (and cost a pass over thousands of rows a move).
        self._every_row = not (m and self.need < self._w.sum() * (1 - _TOL))
        if not self._every_row:
            st[2][:] = self._w / self._w.mean()
        # scores of the empty selection: every row is uncovered, each candidate gains its rows
        st[3][:] = C.T @ st[2] if m else 0.0
        if start is not None:
            for j in np.unique(np.asarray(start, dtype=np.int64)):
                _add(int(j), self._rp, self._ri, self._cp, self._ci, self._qp, self._qi, self._w,
                     st)
                st[10][0] += self._cost[j]
        _complete(
            self._rp, self._ri, self._cp, self._ci, self._qp, self._qi, self._w, self._cost,
            self.need, st,
        )

    @property
    def best(self) -> np.ndarray:
        """Best selection found (sorted indices; empty before one covers ``need``)."""
        return np.flatnonzero(self._best)

    @property
    def best_cost(self) -> float:
        """Its cost (inf before one is found)."""
        return float(self._st[10][2])

    @property
    def best_at(self) -> int:
        """The move that found it (-1: none yet)."""
        return int(self._st[9][4])

    def run(self, n_moves: int) -> int:
        """``n_moves`` more moves; returns how many improved the best. Each call reseeds the row
        draws continue one seeded stream: ``run(a); run(b)`` equals ``run(a + b)``."""
        found = _moves(
            self._rp,
            self._ri,
            self._cp,
            self._ci,
            self._qp,
            self._qi,
            self._w,
            self._cost,
            self.need,
            self._st,
            self._stamp,
            self._best,
            self._rng,
            int(n_moves),
            self._every_row,
        )
        self.moves += int(n_moves)
        return int(found)
