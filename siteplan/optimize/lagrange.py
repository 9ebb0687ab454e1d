"""Lagrangian relaxation of (partial) set covering: certified lower bounds, reduced-cost fixing, heuristics.

Problem (reduced form): rows ``i`` with weights ``w_i > 0``, columns ``j`` with costs ``c_j >= 0``,

    min c.x   s.t.  A x >= y,  w.y >= need,  0 <= y <= 1,  x binary

(``full=True``: every row must be covered, ``y = 1``). Relaxing ``A x >= y`` with multipliers
``u >= 0`` gives

    L(u) = sum_j min(0, rc_j) + K(u),   rc = c - A^T u,
    K(u) = min{u.y : w.y >= need, 0 <= y <= 1}   (fractional knapsack; ``sum(u)`` when full),

a lower bound on the optimum for EVERY ``u >= 0``: it is evaluated exactly here, so it stays valid
whatever produced ``u`` (an inexact interior-point LP, a subgradient step). The same ``u`` proves
that column ``j`` takes its Lagrangian value ``x*_j = [rc_j < 0]`` in every solution cheaper than
``L(u) + |rc_j|`` (reduced-cost fixing), and steers a greedy (Lagrangian costs in the spirit of
Beasley 1990 / Caprara, Fischetti & Toth 1999) to good covers.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

__all__ = [
    "cost_granularity",
    "cover_lagrangian",
    "cover_subgradient",
    "lagrangian_cover_heuristic",
    "round_up_to",
]


def _knapsack_min(u: np.ndarray, w: np.ndarray, need: float) -> tuple[float, np.ndarray]:
    """min u.y s.t. w.y >= need, 0 <= y <= 1 (fractional; rows by u/w ascending). Returns (value, y)."""
    y = np.zeros(len(u))
    if need <= 0:
        return 0.0, y
    free = u <= 0
    y[free] = 1.0
    got = float(w[free].sum())
    if got >= need:
        return 0.0, y
    rest = np.flatnonzero(~free)
    rest = rest[np.argsort(u[rest] / w[rest], kind="stable")]
    cw = got + np.cumsum(w[rest])
    k = int(np.searchsorted(cw, need))
    y[rest[:k]] = 1.0
    if k < len(rest):
        prev = cw[k - 1] if k else got
        y[rest[k]] = (need - prev) / w[rest[k]]
    return float(u @ y), y


def cover_lagrangian(
    A: sp.csc_array, w: np.ndarray, need: float, cost: np.ndarray, u: np.ndarray, *, full: bool
) -> tuple[float, np.ndarray, np.ndarray]:
    """Exact Lagrangian value at ``u`` (clipped to >= 0).

    Parameters
    ----------
    A : sparse (m x n)
        0/1 coverage matrix.
    w : (m,) float
        Row weights [weight units], > 0.
    need : float
        Weight to cover [weight units] (ignored when ``full``).
    cost : (n,) float
        Column costs [cost units], >= 0.
    u : (m,) float
        Multipliers [cost / row].
    full : bool
        Every row must be covered (set covering).

    Returns
    -------
    L : float
        Lower bound on the optimal cost [cost units].
    rc : (n,) float
        Lagrangian reduced costs ``c - A^T u``.
    y : (m,) float
        The knapsack's ``y`` (ones when ``full``), for the subgradient ``y - A x``.
    """
    u = np.maximum(np.asarray(u, dtype=np.float64), 0.0)
    rc = cost - A.T @ u
    if full:
        k, y = float(u.sum()), np.ones(len(u))
    else:
        k, y = _knapsack_min(u, w, need)
    return float(rc[rc < 0].sum()) + k, rc, y


def cover_subgradient(
    A: sp.csc_array,
    w: np.ndarray,
    need: float,
    cost: np.ndarray,
    *,
    full: bool,
    upper: float,
    u0: np.ndarray | None = None,
    iters: int = 300,
    time_limit_s: float | None = None,
    step0: float = 0.1,
) -> tuple[float, np.ndarray]:
    """Subgradient ascent on ``L(u)`` from ``u0``; returns the best ``(L, u)`` seen.

    Polyak steps ``t = f (upper - L) / |g|^2`` towards ``upper`` (the incumbent's cost), ``f`` halved
    after 15 non-improving steps. Start from LP duals when available (``step0`` small then), else
    from ``u_i = min_j c_j / |column j|`` over the columns covering ``i``.
    """
    t0 = time.perf_counter()
    csr = sp.csr_array(A)
    if u0 is None:
        size = np.diff(A.indptr).astype(np.float64)
        ratio = cost / np.maximum(size, 1.0)
        u = np.full(A.shape[0], np.inf)
        np.minimum.at(u, A.indices, np.repeat(ratio, np.diff(A.indptr)))
        u[~np.isfinite(u)] = 0.0
        step0 = max(step0, 1.0)
    else:
        u = np.maximum(np.asarray(u0, dtype=np.float64), 0.0)
    best_l, best_u = -np.inf, u
    f, stall = step0, 0
    for _ in range(iters):
        if time_limit_s is not None and time.perf_counter() - t0 > time_limit_s:
            break
        L, rc, y = cover_lagrangian(A, w, need, cost, u, full=full)
        if L > best_l + 1e-12 * max(1.0, abs(L)):
            best_l, best_u, stall = L, u, 0
        else:
            stall += 1
            if stall >= 15:
                f, stall = f / 2, 0
        if f < 1e-4 or best_l >= upper * (1 - 1e-12):
            break
        g = y - csr @ (rc < 0).astype(np.float64)
        g[(u <= 0) & (g < 0)] = 0.0  # projected: a zero multiplier cannot go lower
        gg = float(g @ g)
        if gg == 0:
            break
        u = np.maximum(u + f * max(upper - L, 1e-9 * max(1.0, abs(upper))) / gg * g, 0.0)
    return best_l, best_u


def lagrangian_cover_heuristic(
    A: sp.csc_array,
    w: np.ndarray,
    need: float,
    cost: np.ndarray,
    u: np.ndarray,
    *,
    allowed: np.ndarray | None = None,
) -> np.ndarray | None:
    """Greedy cover scored by Lagrangian costs; ``None`` when the allowed columns cannot reach ``need``.

    Each pick minimises ``g_j / m_j`` when ``g_j > 0`` else ``g_j * m_j`` (Caprara-Fischetti-Toth),
    with ``g_j = c_j - sum of u over j's uncovered rows`` and ``m_j`` = j's uncovered weight [weight
    units]. Only newly covered rows are touched per pick (one pass over the nonzeros in total).

    Returns
    -------
    int ndarray or None
        Picked columns in pick order (not yet pruned of redundant ones).
    """
    csc = sp.csc_array(A)
    csr = sp.csr_array(csc)
    m, n = csc.shape
    u = np.maximum(np.asarray(u, dtype=np.float64), 0.0)
    tol = 1e-9 * max(1.0, float(w.sum()))
    covered = np.zeros(m, dtype=bool)
    gw = csc.T @ w  # uncovered weight per column
    gu = csc.T @ u  # uncovered multiplier sum per column
    ok = np.ones(n, dtype=bool) if allowed is None else np.array(allowed, dtype=bool)
    got = 0.0
    order: list[int] = []
    while got < need - tol:
        live = ok & (gw > tol)
        if not live.any():
            return None
        g = cost - gu
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(g > 0, g / gw, g * gw)
        j = int(np.argmin(np.where(live, score, np.inf)))
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        rows = rows[~covered[rows]]
        covered[rows] = True
        starts, ends = csr.indptr[rows], csr.indptr[rows + 1]
        lens = ends - starts
        cols = csr.indices[
            np.repeat(starts, lens)
            + (np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens))
        ]
        gw -= np.bincount(cols, weights=np.repeat(w[rows], lens), minlength=n)
        gu -= np.bincount(cols, weights=np.repeat(u[rows], lens), minlength=n)
        got += float(w[rows].sum())
        order.append(j)
        ok[j] = False
    return np.array(order, dtype=np.int64)


def cost_granularity(cost: np.ndarray) -> float:
    """Largest ``g`` such that every cost is an integer multiple of it; 0 when there is none.

    Every cover's cost is then a multiple of ``g`` too, so a lower bound may be rounded up to one.
    Only integer-valued costs (up to 2^53) qualify.
    """
    c = np.asarray(cost, dtype=np.float64)
    c = c[c > 0]
    if len(c) == 0 or not np.all(c == np.round(c)) or c.max() > 2.0**53:
        return 0.0
    return float(np.gcd.reduce(c.astype(np.int64)))


def round_up_to(bound: float, g: float) -> float:
    """``bound`` rounded up to a multiple of ``g`` (unchanged when ``g == 0``), with a relative slack for rounding."""
    if g <= 0 or not np.isfinite(bound):
        return bound
    return float(np.ceil(bound / g - 1e-9 * max(1.0, abs(bound / g))) * g)
