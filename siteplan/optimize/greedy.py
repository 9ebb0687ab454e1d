"""Greedy heuristics, swap local search and cheap bounds on coverage matrices.

All functions take a sparse coverage matrix ``A`` (demand rows x candidate columns, nonzero = the
candidate covers the row) and demand weights ``w`` [weight units]. They never loop over rows in
Python: each greedy step touches only the rows it newly covers, so a whole greedy run costs one pass
over the nonzeros of ``A`` plus one ``argmax`` over the candidates per pick.
"""

from __future__ import annotations

import time

import numba as nb
import numpy as np
import scipy.sparse as sp

__all__ = [
    "conflict_matrix",
    "cover_cost_lower_bound",
    "coverage_upper_bound",
    "greedy_max_coverage",
    "greedy_order",
    "greedy_partial_cover",
    "prune_redundant",
    "swap_search",
]


def _csc_csr(A) -> tuple[sp.csc_array, sp.csr_array]:
    csc = sp.csc_array(A, dtype=np.float64)
    csc.sum_duplicates()
    csc.data[:] = 1.0
    return csc, sp.csr_array(csc)


def _prepare(A, w, cost=None, conflicts=None):
    """The arrays every heuristic here starts from: CSC/CSR 0-1 matrix, float weights and costs, conflicts."""
    csc, csr = _csc_csr(A)
    n = csc.shape[1]
    w = np.asarray(w, dtype=np.float64)
    cost = np.ones(n) if cost is None else np.asarray(cost, dtype=np.float64)
    conf = conflicts if (conflicts is None or sp.issparse(conflicts)) else conflict_matrix(conflicts, n)
    return csc, csr, w, cost, conf


@nb.njit(cache=True, nogil=True)
def _gather_nb(indptr, indices, which):
    lens = np.empty(len(which), dtype=indptr.dtype)
    total = 0
    for k in range(len(which)):
        lens[k] = indptr[which[k] + 1] - indptr[which[k]]
        total += lens[k]
    out = np.empty(total, dtype=indices.dtype)
    pos = 0
    for k in range(len(which)):
        s = indptr[which[k]]
        for t in range(lens[k]):
            out[pos] = indices[s + t]
            pos += 1
    return out, lens


def _gather(
    indptr: np.ndarray, indices: np.ndarray, which: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``indices[indptr[k]:indptr[k+1]]`` for every k in ``which``; also return the
    lengths.

    The local search calls this ~10^5 times per solve on short slices: compiled, it costs a few
    microseconds where the numpy version (repeat + arange) cost ~60.
    """
    return _gather_nb(indptr, indices, np.asarray(which, dtype=np.int64))


def conflict_matrix(conflicts, n: int) -> sp.csr_array | None:
    """Symmetric boolean adjacency (n x n) of candidate pairs that may not both be chosen."""
    if conflicts is None:
        return None
    pairs = np.asarray(conflicts, dtype=np.int64).reshape(-1, 2)
    if len(pairs) == 0:
        return None
    i, j = pairs[:, 0], pairs[:, 1]
    m = sp.coo_array((np.ones(2 * len(pairs)), (np.r_[i, j], np.r_[j, i])), shape=(n, n)).tocsr()
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def _block(conf: sp.csr_array | None, eligible: np.ndarray, j: int) -> None:
    if conf is not None:
        eligible[conf.indices[conf.indptr[j] : conf.indptr[j + 1]]] = False


def _cover_rows(csc, csr, covered, gain, w, j) -> float:
    """Mark column j's rows covered, lower every column's gain by the newly covered weight."""
    rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
    rows = rows[~covered[rows]]
    if len(rows) == 0:
        return 0.0
    covered[rows] = True
    cols, lens = _gather(csr.indptr, csr.indices, rows)
    gain -= np.bincount(cols, weights=np.repeat(w[rows], lens), minlength=len(gain))
    return float(w[rows].sum())


def greedy_max_coverage(
    A,
    w,
    p: int | None,
    *,
    cost=None,
    budget: float | None = None,
    conflicts=None,
    covered=None,
    candidates=None,
    take_all: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy maximum coverage: repeatedly pick the candidate with the largest uncovered weight.

    With a ``budget`` the pick maximises gain per cost [weight/cost unit] among affordable candidates,
    and the result is compared with the best single affordable candidate (the classic guarantee).

    Parameters
    ----------
    A : sparse (m x n)
        Coverage matrix.
    w : (m,) float
        Demand weights [weight units], >= 0.
    p : int or None
        Maximum number of picks; None = no count limit.
    cost, budget : (n,) float, float
        Candidate costs and total budget [cost units]; ignored when ``budget`` is None.
    conflicts : (k, 2) int or sparse (n x n), optional
        Pairs that may not both be picked.
    covered : (m,) bool, optional
        Rows already covered (by fixed sites).
    candidates : int array, optional
        Restrict picks to these columns.
    take_all : bool
        Keep picking zero-gain candidates until ``p`` (used to order a given set).

    Returns
    -------
    order : int ndarray
        Picked columns in pick order.
    gains : float ndarray
        Marginal covered weight of each pick [weight units].
    """
    csc, csr, w, _, conf = _prepare(A, w, None, conflicts)
    m, n = csc.shape
    covered = np.zeros(m, dtype=bool) if covered is None else np.array(covered, dtype=bool)
    covered0 = covered.copy()
    eligible = np.ones(n, dtype=bool)
    if candidates is not None:
        eligible[:] = False
        eligible[np.asarray(candidates, dtype=np.int64)] = True
    cost = np.ones(n) if cost is None else np.asarray(cost, dtype=np.float64)
    gain = csc.T @ (w * ~covered)
    limit = n if p is None else int(p)
    remaining = np.inf if budget is None else float(budget)
    order: list[int] = []
    gains: list[float] = []
    for _ in range(limit):
        ok = eligible & (cost <= remaining + 1e-9 * max(1.0, abs(remaining)))
        if not ok.any():
            break
        if budget is None:
            score = np.where(ok, gain, -np.inf)
        else:
            free = ok & (cost <= 0) & (gain > 0)
            score = (
                np.where(free, gain, -np.inf)
                if free.any()
                else np.where(ok, gain / np.where(cost > 0, cost, 1.0), -np.inf)
            )
        j = int(np.argmax(score))
        if not take_all and gain[j] <= 0:
            break
        g = _cover_rows(csc, csr, covered, gain, w, j)
        if not take_all and g <= 0:
            # accumulated rounding said > 0 but nothing new is covered: no more gain anywhere
            break
        order.append(j)
        gains.append(g)
        eligible[j] = False
        _block(conf, eligible, j)
        remaining -= cost[j]
    order_a, gains_a = np.array(order, dtype=np.int64), np.array(gains, dtype=np.float64)
    if budget is not None and len(order_a):
        # best single affordable candidate (guards the ratio rule against one big cheap-per-unit miss)
        base = csc.T @ (w * ~covered0)
        ok = cost <= budget + 1e-9 * max(1.0, budget)
        if candidates is not None:
            mask = np.zeros(n, bool)
            mask[np.asarray(candidates, dtype=np.int64)] = True
            ok &= mask
        j = int(np.argmax(np.where(ok, base, -np.inf)))
        if base[j] > gains_a.sum() + 1e-12 * max(1.0, base[j]):
            return np.array([j], dtype=np.int64), np.array([base[j]])
    return order_a, gains_a


def _counts(csc, selected) -> np.ndarray:
    """How many of ``selected`` columns cover each row."""
    x = np.zeros(csc.shape[1])
    x[np.asarray(selected, dtype=np.int64)] = 1.0
    return np.rint(csc @ x).astype(np.int64)


def greedy_order(A, w, selected, *, covered=None) -> tuple[np.ndarray, np.ndarray]:
    """Order a chosen set by greedy marginal gain (build order), with each pick's gain.

    Returns ``(order, gains)``: all of ``selected``, largest marginal covered weight first, given the
    rows already ``covered`` (e.g. by earlier phases); ties go to the lower index.
    """
    selected = np.asarray(selected, dtype=np.int64)
    return greedy_max_coverage(
        A, w, len(selected), covered=covered, candidates=selected, take_all=True
    )


def greedy_partial_cover(
    A, w, need: float, *, cost=None, conflicts=None
) -> tuple[np.ndarray, bool]:
    """Greedy partial set cover: cheapest-per-weight picks until ``need`` weight is covered.

    The last pick is the cheapest candidate that alone completes the target when one exists.

    Returns
    -------
    order : int ndarray
        Picked columns in pick order.
    reached : bool
        Whether the covered weight reached ``need`` (False when conflicts or an unreachable target stop it).
    """
    csc, csr, w, cost, conf = _prepare(A, w, cost, conflicts)
    m, n = csc.shape
    tol = 1e-9 * max(1.0, float(w.sum()))
    covered = np.zeros(m, dtype=bool)
    eligible = np.ones(n, dtype=bool)
    gain = csc.T @ w
    got = 0.0
    order: list[int] = []
    while got < need - tol:
        ok = eligible & (gain > tol)
        if not ok.any():
            return np.array(order, dtype=np.int64), False
        finish = ok & (gain >= need - got - tol)
        if finish.any():
            # cheapest single completion; among equal costs the largest gain
            c = np.where(finish, cost, np.inf)
            j = int(np.lexsort((-gain, c))[0])
        else:
            free = ok & (cost <= 0)
            if free.any():
                j = int(np.argmax(np.where(free, gain, -np.inf)))
            else:
                j = int(np.argmax(np.where(ok, gain / np.where(cost > 0, cost, 1.0), -np.inf)))
        got += _cover_rows(csc, csr, covered, gain, w, j)
        order.append(j)
        eligible[j] = False
        _block(conf, eligible, j)
    return np.array(order, dtype=np.int64), True


def prune_redundant(A, w, selected, need: float, *, cost=None) -> np.ndarray:
    """Drop selected columns, most expensive first, while the covered weight stays >= ``need``."""
    csc, _ = _csc_csr(A)
    w = np.asarray(w, dtype=np.float64)
    n = csc.shape[1]
    cost = np.ones(n) if cost is None else np.asarray(cost, dtype=np.float64)
    sel = np.asarray(selected, dtype=np.int64)
    cnt = _counts(csc, sel)
    got = float(w[cnt > 0].sum())
    tol = 1e-9 * max(1.0, float(w.sum()))
    keep = np.ones(len(sel), dtype=bool)
    # expensive first; among equal cost the one that covers least alone first
    own = (
        np.array([w[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]].sum() for j in sel])
        if len(sel)
        else np.empty(0)
    )
    for k in np.lexsort((own, -cost[sel])):
        j = sel[k]
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        loss = float(w[rows[cnt[rows] == 1]].sum())
        if got - loss >= need - tol:
            keep[k] = False
            cnt[rows] -= 1
            got -= loss
    return np.sort(sel[keep])


def swap_search(
    A,
    w,
    selected,
    *,
    p: int | None = None,
    cost=None,
    budget: float | None = None,
    conflicts=None,
    need: float | None = None,
    max_iter: int = 100_000,
    time_limit_s: float | None = None,
) -> np.ndarray:
    """Best-improvement 1-swap local search (one selected site out, one other in).

    Without ``need`` it maximises covered weight under ``p`` / ``budget`` / ``conflicts`` (and adds a
    site while there is room). With ``need`` it minimises cost while keeping covered weight >= ``need``.
    Every swap's coverage change is exact: ``gain(in) - loss(out) + weight covered only by out and also
    by in``, the last term from one sparse product per iteration.

    Returns
    -------
    int ndarray
        Sorted improved selection.
    """
    t0 = time.perf_counter()
    csc, csr, w, cost, conf = _prepare(A, w, cost, conflicts)
    m, n = csc.shape
    sel = np.array(sorted(set(np.asarray(selected, dtype=np.int64).tolist())), dtype=np.int64)
    in_sel = np.zeros(n, dtype=bool)
    in_sel[sel] = True
    cnt = _counts(csc, sel)
    tol = 1e-9 * max(1.0, float(w.sum()))
    ctol = 1e-9 * max(1.0, float(np.abs(cost).sum()))
    for _ in range(max_iter):
        if time_limit_s is not None and time.perf_counter() - t0 > time_limit_s:
            break
        gain = csc.T @ (w * (cnt == 0))
        got = float(w[cnt > 0].sum())
        spent = float(cost[sel].sum())
        confcnt = (conf @ in_sel.astype(np.float64)) if conf is not None else np.zeros(n)
        # 1) add a site while there is room (maximise mode only)
        if need is None and (p is None or len(sel) < p):
            ok = ~in_sel & (confcnt == 0) & (gain > tol)
            if budget is not None:
                ok &= spent + cost <= budget + ctol
            if ok.any():
                j = int(np.argmax(np.where(ok, gain, -np.inf)))
                sel = np.sort(np.r_[sel, j])
                in_sel[j] = True
                cnt[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] += 1
                continue
        k = len(sel)
        if k == 0:
            break
        pos_of = np.full(n, -1, dtype=np.int64)
        pos_of[sel] = np.arange(k)
        single = np.flatnonzero(cnt == 1)
        cols, lens = _gather(csr.indptr, csr.indices, single)
        rows_rep = np.repeat(single, lens)
        mine = in_sel[cols]
        owner_row, owner = rows_rep[mine], pos_of[cols[mine]]
        loss = np.bincount(owner, weights=w[owner_row], minlength=k)
        S = sp.csr_array((w[owner_row], (owner_row, owner)), shape=(m, k))
        if need is None:
            cand = np.flatnonzero(
                ~in_sel & (gain > tol)
            )  # zero-gain entrants cannot improve coverage
        else:
            cand = np.flatnonzero(~in_sel & (cost < cost[sel].max() - ctol))
        if len(cand) == 0:
            break
        C = (csc[:, cand].T @ S).toarray()
        delta = gain[cand][:, None] - loss[None, :] + C
        ok = np.ones_like(delta, dtype=bool)
        if conf is not None:
            cc = confcnt[cand]
            ok &= (cc == 0)[:, None] | ((cc == 1)[:, None] & (conf[cand][:, sel].toarray() > 0))
        dcost = cost[cand][:, None] - cost[sel][None, :]
        if budget is not None:
            ok &= spent + dcost <= budget + ctol
        if need is None:
            score = np.where(ok, delta, -np.inf)
            b = int(np.argmax(score))
            if score.flat[b] <= tol:
                break
        else:
            ok &= got + delta >= need - tol
            ok &= dcost < -ctol
            if not ok.any():
                break
            # biggest saving; among equal savings the biggest coverage
            sav = np.where(ok, -dcost, -np.inf)
            best = sav.max()
            b = int(np.argmax(np.where(sav >= best - ctol, delta, -np.inf)))
        ci, pj = np.unravel_index(b, delta.shape)
        j_in, j_out = int(cand[ci]), int(sel[pj])
        cnt[csc.indices[csc.indptr[j_out] : csc.indptr[j_out + 1]]] -= 1
        cnt[csc.indices[csc.indptr[j_in] : csc.indptr[j_in + 1]]] += 1
        in_sel[j_out], in_sel[j_in] = False, True
        sel = np.flatnonzero(in_sel)
    return sel


def _knapsack_value(
    score: np.ndarray, p: int | None, cost: np.ndarray, budget: float | None
) -> tuple[float, np.ndarray]:
    """Upper bound of max score.x, 0<=x<=1, sum x<=p, cost.x<=budget; returns (value, an x attaining the smaller relaxation)."""
    pos = np.flatnonzero(score > 0)
    best = (np.inf, np.zeros(len(score)))
    if p is not None:
        x = np.zeros(len(score))
        top = pos[np.argsort(-score[pos], kind="stable")[: int(p)]]
        x[top] = 1.0
        best = (float(score[top].sum()), x)
    if budget is not None:
        x = np.zeros(len(score))
        free = pos[cost[pos] <= 0]
        x[free] = 1.0
        rest = pos[cost[pos] > 0]
        rest = rest[np.argsort(-score[rest] / cost[rest], kind="stable")]
        csum = np.cumsum(cost[rest])
        full = rest[csum <= budget]
        x[full] = 1.0
        if len(full) < len(rest):
            nxt = rest[len(full)]
            x[nxt] = (budget - (csum[len(full) - 1] if len(full) else 0.0)) / cost[nxt]
        val = float(score @ x)
        if val < best[0]:
            best = (val, x)
    if p is None and budget is None:
        x = (score > 0).astype(np.float64)
        best = (float(score[pos].sum()), x)
    return best


def coverage_upper_bound(
    A,
    w,
    p: int | None,
    *,
    cost=None,
    budget: float | None = None,
    lower: float | None = None,
    iters: int = 300,
    lam0=None,
) -> float:
    """Lagrangian upper bound on the maximum covered weight [weight units].

    Relaxes ``y_i <= sum_j a_ij x_j`` with multipliers ``0 <= lam_i <= w_i``:
    ``L(lam) = sum_i max(0, w_i - lam_i) + max{(A^T lam).x : sum x <= p, cost.x <= budget, 0<=x<=1}``,
    minimised by subgradient steps (Polyak step towards ``lower``, e.g. the greedy value) from ``lam0``
    (default ``w / 2``; LP duals make a good start). Every ``L(lam)`` is a valid bound; the smallest
    seen is returned. Conflicts are ignored (a relaxation).
    """
    csc, _ = _csc_csr(A)
    m, n = csc.shape
    w = np.asarray(w, dtype=np.float64)
    cost = np.ones(n) if cost is None else np.asarray(cost, dtype=np.float64)
    total = float(w.sum())
    if m == 0 or n == 0 or total == 0:
        return 0.0
    best = total
    lam = 0.5 * w if lam0 is None else np.clip(np.asarray(lam0, dtype=np.float64), 0.0, w)
    theta = 1.0 if lam0 is None else 0.1
    stall = 0
    lower = 0.0 if lower is None else float(lower)
    for _ in range(iters):
        s = csc.T @ lam
        v, x = _knapsack_value(s, p, cost, budget)
        y = w > lam
        L = float((w - lam)[y].sum()) + v
        if L < best - 1e-12 * total:
            best, stall = L, 0
        else:
            stall += 1
            if stall >= 10:
                theta, stall = theta / 2, 0
        if best <= lower * (1 + 1e-12) or theta < 1e-6:
            break
        g = csc @ x - y  # dL/dlam
        gg = float(g @ g)
        if gg == 0:
            break
        step = theta * max(L - lower, 1e-9 * total) / gg
        lam = np.clip(lam - step * g, 0.0, w)
    return max(best, lower)


def cover_cost_lower_bound(A, w, need: float, *, cost=None) -> float:
    """Lower bound on the cost of covering ``need`` weight, ignoring overlaps between candidates.

    Any cover satisfies ``sum_j colweight_j x_j >= need``; the fractional knapsack over that single
    constraint gives the bound [cost units]. Returns ``inf`` when even all candidates fall short.
    """
    csc, _ = _csc_csr(A)
    n = csc.shape[1]
    w = np.asarray(w, dtype=np.float64)
    cost = np.ones(n) if cost is None else np.asarray(cost, dtype=np.float64)
    if need <= 0:
        return 0.0
    colw = csc.T @ w
    free = (cost <= 0) & (colw > 0)
    need = need - float(colw[free].sum())
    if need <= 0:
        return 0.0
    pos = np.flatnonzero(~free & (colw > 0))
    order = pos[np.argsort(-colw[pos] / cost[pos], kind="stable")]
    cw = np.cumsum(colw[order])
    k = int(np.searchsorted(cw, need))
    if k >= len(order):
        return np.inf
    prev_w = cw[k - 1] if k else 0.0
    prev_c = float(cost[order[:k]].sum())
    return prev_c + (need - prev_w) / colw[order[k]] * cost[order[k]]
