"""Exact site selection on a coverage matrix: MCLP and partial set cover through HiGHS.

Both solvers share one pipeline:

1. validate the arrays (shapes, signs, indices) and the ``fixed`` / ``conflicts`` inputs;
2. reduce: rows covered by a fixed site leave the model (their weight is a constant), zero-weight and
   uncoverable rows leave, candidates in conflict with a fixed site leave, columns covering nothing
   leave, columns dominated by a no-conflict column at no higher cost leave, identical rows merge
   (weights summed);
3. greedy + 1-swap local search give an incumbent in well under a second at district scale;
4. the MILP is built column-wise straight from the sparse arrays and passed to HiGHS in one call
   (``Highs.passModel``), warm-started with the incumbent (``setSolution``); HiGHS's own model status,
   primal objective and dual bound are reported unchanged (``status``, ``bound``, ``gap``).

District-scale MCLP (model above ``_DIRECT_MILP_NNZ`` nonzeros, with a time limit): HiGHS's root LP
by dual simplex alone takes most of a minute there, so the bound comes from an interior-point LP whose
duals are turned into a certified Lagrangian bound, and the primal side is improved by MILP
neighbourhood search (free ~6 nearby selected sites, re-solve their area exactly with HiGHS); the full
MILP gets any time left. Status is ``"optimal"`` once the gap is within ``mip_rel_gap``, else
``"time_limit"``.

District-scale partial set cover / LSCP (same size test): the bound is the Lagrangian relaxation of
the covering rows (`siteplan.optimize.lagrange`) evaluated exactly at interior-point LP duals (so it is
certified whatever the LP's accuracy), rounded up to the costs' common granularity; a greedy on
Lagrangian costs and MILP neighbourhood search (``_LNS_COVER_SITES`` nearby selected sites freed,
widened when a pass finds nothing) improve the incumbent; reduced-cost fixing then drops the columns
that cannot be in any cheaper cover, and HiGHS gets that smaller model with the time left when its
root LP can finish in it (else LNS keeps the time: HiGHS overruns its limit inside the root LP).

MCLP MILPs run with HiGHS presolve off: the reduction above already did its work, and on the
6,400 x 800 benchmark (p = 50..250) the MILP was 1.3-2x faster without it.

Determinism: HiGHS runs with ``random_seed=seed`` and ``threads`` fixed (default 1), so a solve that
ends by proof (``status == "optimal"``) returns the same selection every time. A solve stopped by
``time_limit_s`` depends on machine speed; its ``status`` says so.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from siteplan.errors import InfeasibleError
from siteplan.optimize.greedy import (
    conflict_matrix,
    cover_cost_lower_bound,
    coverage_upper_bound,
    greedy_max_coverage,
    greedy_partial_cover,
    prune_redundant,
    swap_search,
)
from siteplan.optimize.lagrange import (
    cost_granularity,
    cover_lagrangian,
    cover_subgradient,
    lagrangian_cover_heuristic,
    round_up_to,
)
from siteplan.optimize.result import OptimizeResult, relative_gap

__all__ = ["METHODS", "maximize_coverage", "minimize_sites"]

#: Accepted ``method`` values: ``"auto"`` (greedy + swap, then the MILP warm-started with it),
#: ``"milp"`` (same), ``"greedy"`` (no MILP; a Lagrangian / knapsack bound is reported).
METHODS = ("auto", "milp", "greedy")

# Share of ``time_limit_s`` the swap search may use before the MILP gets the rest.
_SWAP_SHARE = 0.25
# Models with more nonzeros than this (after reduction) skip the direct MILP when a time limit is set:
# its root LP alone (dual simplex) takes most of a minute at district scale. They get an interior-point
# LP bound, certified as a Lagrangian bound, and MILP neighbourhood search (LNS) on the primal side;
# the full MILP then gets whatever time is left. Without a time limit the full MILP always runs.
_DIRECT_MILP_NNZ = 100_000
# LNS: how many selected sites a neighbourhood frees at most, and the time cap of one sub-MILP [s].
_LNS_SITES = 6
_LNS_SUB_LIMIT_S = 5.0
# Set-cover LNS frees more sites per neighbourhood (its sub-MILPs are easy covering problems), and
# widens the neighbourhoods each time a whole pass finds no cheaper cover.
_LNS_COVER_SITES = (12, 20, 30)
# Large partial-cover models: share of the time limit the interior-point LP may use, share of what is
# left after the LP that LNS may use (the MILP on the reduced-cost-fixed model gets the rest), and the
# least time worth giving that MILP [s].
_LP_SHARE = 0.4
_LNS_MIN_SHARE = 0.7
_MIN_MILP_S = 2.0
_ROOT_LP_FACTOR = 5.0


# ----------------------------------------------------------------------------- validation + reduction


def _as_indices(x, n: int, what: str) -> np.ndarray:
    if x is None:
        return np.empty(0, dtype=np.int64)
    a = np.asarray(x)
    if a.dtype == bool:
        if a.shape != (n,):
            raise ValueError(f"{what}: boolean mask of shape {a.shape}, expected ({n},)")
        return np.flatnonzero(a)
    a = a.reshape(-1)
    if len(a) and not np.issubdtype(a.dtype, np.integer):
        if not np.all(np.equal(np.mod(a, 1), 0)):
            raise ValueError(f"{what}: expected integer candidate indices, got {a.dtype}")
        a = a.astype(np.int64)
    a = a.astype(np.int64)
    bad = (a < 0) | (a >= n)
    if bad.any():
        raise ValueError(
            f"{what}: index {int(a[bad][0])} outside 0..{n - 1} (number of candidates)"
        )
    return np.unique(a)


def _validate(A, w, cost, fixed, conflicts):
    if not sp.issparse(A):
        A = np.asarray(A)
        if A.ndim != 2:
            raise ValueError(f"A: expected a 2-D (cells x candidates) matrix, got shape {A.shape}")
    csr = sp.csr_array(A)
    csr.sum_duplicates()
    csr.eliminate_zeros()
    csr = sp.csr_array(
        (np.ones(csr.nnz, dtype=np.float64), csr.indices, csr.indptr), shape=csr.shape
    )
    m, n = csr.shape
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (m,):
        raise ValueError(f"w: shape {w.shape}, expected ({m},) = one weight per row of A")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"w: row {int(np.flatnonzero(~np.isfinite(w))[0])} is not finite")
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise ValueError(f"w: row {i} has negative weight {w[i]}; weights must be >= 0")
    if cost is None:
        cost = np.ones(n)
    else:
        cost = np.asarray(cost, dtype=np.float64)
        if cost.shape != (n,):
            raise ValueError(
                f"cost: shape {cost.shape}, expected ({n},) = one cost per column of A"
            )
        bad = ~np.isfinite(cost) | (cost < 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"cost: candidate {j} has cost {cost[j]}; costs must be finite and >= 0"
            )
    fixed = _as_indices(fixed, n, "fixed")
    if conflicts is None:
        pairs = np.empty((0, 2), dtype=np.int64)
    else:
        pairs = np.asarray(conflicts)
        if pairs.size == 0:
            pairs = np.empty((0, 2), dtype=np.int64)
        if pairs.ndim != 2 or pairs.shape[1] != 2:
            raise ValueError(
                f"conflicts: shape {pairs.shape}, expected (k, 2) candidate index pairs"
            )
        if not np.issubdtype(pairs.dtype, np.integer):
            raise ValueError(f"conflicts: expected integer candidate indices, got {pairs.dtype}")
        pairs = pairs.astype(np.int64)
        bad = (pairs < 0) | (pairs >= n)
        if bad.any():
            k = int(np.flatnonzero(bad.any(axis=1))[0])
            raise ValueError(
                f"conflicts: pair {k} {tuple(pairs[k])} has an index outside 0..{n - 1}"
            )
        same = pairs[:, 0] == pairs[:, 1]
        if same.any():
            k = int(np.flatnonzero(same)[0])
            raise ValueError(f"conflicts: pair {k} {tuple(pairs[k])} pairs a candidate with itself")
        pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    return csr, w, cost, fixed, pairs


@dataclass
class _Reduced:
    A: sp.csc_array  # reduced rows x reduced columns, 0/1 float
    w: np.ndarray
    cost: np.ndarray
    cols: np.ndarray  # original index of each reduced column
    conflicts: np.ndarray  # (k, 2) reduced-column pairs
    fixed: np.ndarray  # original indices
    fixed_weight: float  # weight covered by the fixed sites
    total_weight: float
    coverable_weight: float  # fixed_weight + weight coverable by allowed candidates
    n: int
    info: dict = field(default_factory=dict)

    def conf_matrix(self):
        return conflict_matrix(self.conflicts, self.A.shape[1])


def _merge_identical_rows(R: sp.csr_array, w: np.ndarray) -> tuple[sp.csr_array, np.ndarray]:
    """Merge rows with the same column pattern, summing their weights (exact: hashes are verified)."""
    m, n = R.shape
    if m <= 1:
        return R, w
    R = R.copy()
    R.sort_indices()
    rng = np.random.default_rng(
        0
    )  # hash keys only; equality is verified below, results do not depend on it
    k1 = rng.integers(1, np.iinfo(np.int64).max, n, dtype=np.int64).astype(np.uint64)
    k2 = rng.integers(1, np.iinfo(np.int64).max, n, dtype=np.int64).astype(np.uint64)
    starts = R.indptr[:-1]
    with np.errstate(over="ignore"):
        h1 = np.add.reduceat(k1[R.indices], starts)
        h2 = np.bitwise_xor.reduceat(k2[R.indices], starts)
    nnz = np.diff(R.indptr).astype(np.uint64)
    keys = np.stack([h1, h2, nnz], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    rep = first[inverse]
    diff = (R - R[rep]).tocsr()
    diff.eliminate_zeros()
    clash = np.flatnonzero(np.diff(diff.indptr) > 0)
    if len(clash):  # hash collision between different rows: keep those rows on their own
        inverse = inverse.copy()
        inverse[clash] = inverse.max() + 1 + np.arange(len(clash))
        _, inverse = np.unique(inverse, return_inverse=True)
    groups = int(inverse.max()) + 1
    first_of = np.full(groups, m, dtype=np.int64)
    np.minimum.at(first_of, inverse, np.arange(m))
    return R[first_of], np.bincount(inverse, weights=w, minlength=groups)


def _dominated(B: sp.csc_array, cost: np.ndarray, has_conflict: np.ndarray) -> np.ndarray:
    """Columns whose rows are a subset of a conflict-free column's rows at no higher cost."""
    n = B.shape[1]
    size = np.diff(B.indptr)
    O = (B.T @ B).tocoo()
    r, c, v = O.row, O.col, np.rint(O.data).astype(np.int64)
    sub = (r != c) & (v == size[r]) & ~has_conflict[c] & (cost[c] <= cost[r])
    r, c = r[sub], c[sub]
    # strict order so that of identical columns exactly one survives
    beats = (size[c] > size[r]) | (
        (size[c] == size[r]) & ((cost[c] < cost[r]) | ((cost[c] == cost[r]) & (c < r)))
    )
    out = np.zeros(n, dtype=bool)
    out[r[beats]] = True
    return out


def _reduce(csr, w, cost, fixed, pairs, *, dominance: bool = True) -> _Reduced:
    m, n = csr.shape
    total = float(w.sum())
    is_fixed = np.zeros(n, dtype=bool)
    is_fixed[fixed] = True
    if len(pairs):
        both = is_fixed[pairs[:, 0]] & is_fixed[pairs[:, 1]]
        if both.any():
            i, j = pairs[np.flatnonzero(both)[0]]
            raise InfeasibleError(
                f"fixed candidates {i} and {j} are in conflict (conflicts pair); both cannot be kept"
            )
    allowed = ~is_fixed
    if len(pairs):
        banned = np.r_[pairs[is_fixed[pairs[:, 0]], 1], pairs[is_fixed[pairs[:, 1]], 0]]
        allowed[banned] = False
    fixed_cov = (csr @ is_fixed.astype(np.float64)) > 0
    fixed_weight = float(w[fixed_cov].sum())
    rows = np.flatnonzero(~fixed_cov & (w > 0))
    cols = np.flatnonzero(allowed)
    R = csr[rows][:, cols]
    rnz = np.diff(R.indptr)
    coverable = rnz > 0
    rows, R = rows[coverable], R[coverable]
    wr = w[rows]
    coverable_weight = fixed_weight + float(wr.sum())
    B = sp.csc_array(R)
    keepc = np.diff(B.indptr) > 0
    cols, B = cols[keepc], B[:, keepc]
    colpos = np.full(n, -1, dtype=np.int64)
    colpos[cols] = np.arange(len(cols))
    rp = colpos[pairs] if len(pairs) else np.empty((0, 2), dtype=np.int64)
    rp = rp[(rp >= 0).all(axis=1)] if len(rp) else rp
    n_dom = 0
    if dominance and B.shape[1] > 1:
        has_conf = np.zeros(B.shape[1], dtype=bool)
        has_conf[rp.reshape(-1)] = True
        dom = _dominated(B, cost[cols], has_conf)
        n_dom = int(dom.sum())
        if n_dom:
            keep = ~dom
            cols, B = cols[keep], B[:, keep]
            colpos[:] = -1
            colpos[cols] = np.arange(len(cols))
            rp = colpos[pairs] if len(pairs) else np.empty((0, 2), dtype=np.int64)
            rp = rp[(rp >= 0).all(axis=1)] if len(rp) else rp
    R2, w2 = _merge_identical_rows(sp.csr_array(B), wr)
    info = {
        "rows_in": m,
        "cols_in": n,
        "rows_model": int(R2.shape[0]),
        "cols_model": int(R2.shape[1]),
        "nnz_model": int(R2.nnz),
        "dominated_cols": n_dom,
        "conflict_pairs_model": len(rp),
    }
    return _Reduced(
        A=sp.csc_array(R2),
        w=w2,
        cost=cost[cols],
        cols=cols,
        conflicts=rp.astype(np.int64),
        fixed=fixed,
        fixed_weight=fixed_weight,
        total_weight=total,
        coverable_weight=coverable_weight,
        n=n,
        info=info,
    )


# ----------------------------------------------------------------------------- HiGHS


_STATUS = {
    "kOptimal": "optimal",
    "kTimeLimit": "time_limit",
    "kInfeasible": "infeasible",
    "kIterationLimit": "iteration_limit",
    "kSolutionLimit": "solution_limit",
    "kInterrupt": "interrupt",
    "kMemoryLimit": "memory_limit",
    "kUnknown": "unknown",
    "kObjectiveBound": "objective_bound",
    "kObjectiveTarget": "objective_target",
    "kUnboundedOrInfeasible": "unbounded_or_infeasible",
    "kUnbounded": "unbounded",
    "kModelEmpty": "optimal",
}


def _highs():
    try:
        import highspy
    except ImportError as e:  # pragma: no cover - highspy is a core dependency
        raise ImportError("siteplan.optimize needs highspy: pip install highspy") from e
    return highspy


@contextlib.contextmanager
def _quiet_fd1():
    """Silence C-level stdout: HiGHS 1.16 prints its banner in the constructor, before any option can stop it."""
    # The C library writes to file descriptor 1 whatever sys.stdout is (a notebook kernel, pytest's capture).
    fd = 1
    try:
        sys.stdout.flush()
        saved = os.dup(fd)
    except (AttributeError, OSError, ValueError):  # no descriptor 1 at all: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _new_highs():
    """A silent HiGHS instance (output off before anything is passed to it)."""
    highspy = _highs()
    with _quiet_fd1():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def _run_highs(
    *,
    M: sp.csc_array,
    sense: str,
    offset: float,
    col_cost: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    warm: np.ndarray | None,
    time_limit_s: float | None,
    mip_rel_gap: float,
    seed: int,
    threads: int,
    presolve: bool = True,
) -> dict:
    highspy = _highs()
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    if not presolve:
        h.setOptionValue("presolve", "off")
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    M = sp.csc_array(M)
    M.sort_indices()
    inf = highspy.kHighsInf
    st = h.passModel(
        int(M.shape[1]),
        int(M.shape[0]),
        int(M.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMaximize if sense == "max" else highspy.ObjSense.kMinimize),
        float(offset),
        np.ascontiguousarray(col_cost, dtype=np.float64),
        np.zeros(M.shape[1]),
        np.ascontiguousarray(col_upper, dtype=np.float64),
        np.where(np.isfinite(row_lower), row_lower, -inf).astype(np.float64),
        np.where(np.isfinite(row_upper), row_upper, inf).astype(np.float64),
        M.indptr.astype(np.int32),
        M.indices.astype(np.int32),
        M.data.astype(np.float64),
        integer.astype(np.int32),
    )
    if st != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS rejected the model: {st}")
    t_start = time.perf_counter()
    if warm is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.ascontiguousarray(warm, dtype=np.float64)
        h.setSolution(sol)
    h.run()
    ms = h.getModelStatus()
    name = str(ms).split(".")[-1]
    info = h.getInfo()
    has_sol = int(info.primal_solution_status) >= 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_sol else None
    if x is not None and warm is not None:
        # HiGHS 1.16 can report the optimum's objective while col_value still holds the warm start
        # (seen when the MIP is solved at the root). Never trust a solution whose objective disagrees.
        val = float(np.dot(col_cost, x)) + offset
        ref = float(info.objective_function_value)
        if abs(val - ref) > 1e-6 * max(1.0, abs(ref)):
            left = None if time_limit_s is None else time_limit_s - (time.perf_counter() - t_start)
            if left is None or left > 0.05:
                out = _run_highs(
                    M=M,
                    sense=sense,
                    offset=offset,
                    col_cost=col_cost,
                    col_upper=col_upper,
                    integer=integer,
                    row_lower=row_lower,
                    row_upper=row_upper,
                    warm=None,
                    time_limit_s=left,
                    mip_rel_gap=mip_rel_gap,
                    seed=seed,
                    threads=threads,
                    presolve=presolve,
                )
                out["warm_start_mismatch"] = True
                return out
            x = warm  # no time to re-solve: keep the (feasible) warm start, objective from it
    return {
        "status": _STATUS.get(name, name.lstrip("k").lower()),
        "highs_status": h.modelStatusToString(ms),
        "x": x,
        "objective": float(info.objective_function_value) if has_sol else np.nan,
        "dual_bound": float(info.mip_dual_bound),
        "mip_gap": float(info.mip_gap),
        "nodes": int(info.mip_node_count),
        "version": f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}",
    }


def _conflict_rows(pairs: np.ndarray, n: int, extra_cols: int) -> sp.csr_array:
    k = len(pairs)
    data = np.ones(2 * k)
    r = np.repeat(np.arange(k), 2)
    return sp.csr_array((data, (r, pairs.reshape(-1))), shape=(k, n + extra_cols))


def _milp_max(red: _Reduced, p, budget, warm_cols, **kw) -> dict:
    A = red.A
    m, n = A.shape
    blocks = [sp.hstack([A, -sp.eye_array(m, format="csc")], format="csr")]
    lo, up = [np.zeros(m)], [np.full(m, np.inf)]
    if p is not None:
        blocks.append(sp.csr_array(np.r_[np.ones(n), np.zeros(m)][None, :]))
        lo.append([-np.inf]), up.append([float(p)])
    if budget is not None:
        blocks.append(sp.csr_array(np.r_[red.cost, np.zeros(m)][None, :]))
        lo.append([-np.inf]), up.append([float(budget)])
    if len(red.conflicts):
        blocks.append(_conflict_rows(red.conflicts, n, m))
        lo.append(np.full(len(red.conflicts), -np.inf)), up.append(np.ones(len(red.conflicts)))
    M = sp.vstack(blocks, format="csc")
    warm = None
    if warm_cols is not None:
        x = np.zeros(n)
        x[warm_cols] = 1.0
        y = np.minimum(A @ x, 1.0)
        warm = np.r_[x, y]
    return _run_highs(
        M=M,
        sense="max",
        offset=red.fixed_weight,
        col_cost=np.r_[np.zeros(n), red.w],
        col_upper=np.ones(n + m),
        integer=np.r_[np.ones(n), np.zeros(m)],
        row_lower=np.concatenate([np.asarray(a, float) for a in lo]),
        row_upper=np.concatenate([np.asarray(a, float) for a in up]),
        warm=warm,
        presolve=False,
        **kw,
    )


def _milp_min(
    red: _Reduced, need: float, full_cover: bool, warm_cols, max_sites=None, **kw
) -> dict:
    A = red.A
    m, n = A.shape
    if full_cover:
        # every remaining row must be covered: classic set cover, no y variables (tighter and smaller)
        blocks = [sp.csr_array(A)]
        lo, up = [np.ones(m)], [np.full(m, np.inf)]
        ny = 0
    else:
        blocks = [sp.hstack([A, -sp.eye_array(m, format="csc")], format="csr")]
        blocks.append(sp.csr_array(np.r_[np.zeros(n), red.w][None, :]))
        lo, up = [np.zeros(m), [need]], [np.full(m, np.inf), [np.inf]]
        ny = m
    if max_sites is not None:
        blocks.append(sp.csr_array(np.r_[np.ones(n), np.zeros(ny)][None, :]))
        lo.append([-np.inf]), up.append([float(max_sites)])
    if len(red.conflicts):
        blocks.append(_conflict_rows(red.conflicts, n, ny))
        lo.append(np.full(len(red.conflicts), -np.inf)), up.append(np.ones(len(red.conflicts)))
    M = sp.vstack(blocks, format="csc")
    warm = None
    if warm_cols is not None:
        x = np.zeros(n)
        x[warm_cols] = 1.0
        warm = x if full_cover else np.r_[x, np.minimum(A @ x, 1.0)]
    return _run_highs(
        M=M,
        sense="min",
        offset=0.0,
        col_cost=np.r_[red.cost, np.zeros(ny)],
        col_upper=np.ones(n + ny),
        integer=np.r_[np.ones(n), np.zeros(ny)],
        row_lower=np.concatenate([np.asarray(a, float) for a in lo]),
        row_upper=np.concatenate([np.asarray(a, float) for a in up]),
        warm=warm,
        **kw,
    )


def _lp_ipm(M, col_cost, sense: str, row_lower, row_upper, *, time_limit_s, seed: int, threads: int):
    """Solve the LP relaxation ``min/max col_cost @ x, row_lower <= M x <= row_upper, 0 <= x <= 1`` by interior
    point without crossover (fast on these models; only the duals are used, turned into certified bounds).

    Returns ``(status, solution, objective)`` with HiGHS's own status string and solution object.
    """
    highspy = _highs()
    h = _new_highs()
    for k, v in (("random_seed", int(seed)), ("threads", int(threads)), ("solver", "ipm"),
                 ("run_crossover", "off")):
        h.setOptionValue(k, v)
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    M = sp.csc_array(M)
    M.sort_indices()
    inf = highspy.kHighsInf
    rl = np.asarray(row_lower, dtype=np.float64)
    ru = np.asarray(row_upper, dtype=np.float64)
    ncol = int(M.shape[1])
    h.passModel(
        ncol, int(M.shape[0]), int(M.nnz), int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMaximize if sense == "max" else highspy.ObjSense.kMinimize), 0.0,
        np.asarray(col_cost, dtype=np.float64), np.zeros(ncol), np.ones(ncol),
        np.where(np.isfinite(rl), rl, -inf), np.where(np.isfinite(ru), ru, inf),
        M.indptr.astype(np.int32), M.indices.astype(np.int32), M.data.astype(np.float64),
        np.zeros(ncol, dtype=np.int32),
    )
    h.run()
    return h.modelStatusToString(h.getModelStatus()), h.getSolution(), float(h.getInfo().objective_function_value)


def _lp_bound_max(
    red: _Reduced, p, budget, time_limit_s, seed, threads, lower
) -> tuple[float, dict]:
    """Certified LP-quality upper bound on the reduced model's covered weight (fixed weight excluded).

    HiGHS solves the LP relaxation by interior point (no crossover); its duals of the rows
    ``sum_j a_ij x_j - y_i >= 0``, clipped to ``[0, w_i]``, are Lagrange multipliers, and the Lagrangian
    function evaluated exactly at them is a valid bound whatever the LP's accuracy.
    """
    A = red.A
    m, n = A.shape
    blocks = [sp.hstack([A, -sp.eye_array(m, format="csc")], format="csr")]
    up = [np.full(m, np.inf)]
    lo = [np.zeros(m)]
    if p is not None:
        blocks.append(sp.csr_array(np.r_[np.ones(n), np.zeros(m)][None, :]))
        lo.append([-np.inf]), up.append([float(p)])
    if budget is not None:
        blocks.append(sp.csr_array(np.r_[red.cost, np.zeros(m)][None, :]))
        lo.append([-np.inf]), up.append([float(budget)])
    status, sol, objective = _lp_ipm(
        sp.vstack(blocks, format="csc"), np.r_[np.zeros(n), red.w], "max",
        np.concatenate([np.asarray(a, float) for a in lo]), np.concatenate([np.asarray(a, float) for a in up]),
        time_limit_s=time_limit_s, seed=seed, threads=threads,
    )
    info = {"lp_status": status}
    best = np.inf
    if sol.dual_valid:
        lam = np.clip(np.abs(np.asarray(sol.row_dual, dtype=np.float64)[:m]), 0.0, red.w)
        best = coverage_upper_bound(
            A, red.w, p, cost=red.cost, budget=budget, lower=lower, iters=30, lam0=lam
        )
        info["lp_objective"] = objective
    return best, info


def _lns_max(
    red: _Reduced,
    sel: np.ndarray,
    p,
    deadline: float | None,
    seed: int,
    threads: int,
    stop_at: float,
) -> tuple[np.ndarray, dict]:
    """MILP neighbourhood search: free the selected sites around one site, re-solve that area exactly.

    A neighbourhood is a seed site and the selected sites nearest to it in the candidate overlap graph
    (at most ``_LNS_SITES``), with every candidate overlapping one of them; all other selected sites
    stay. The sub-MILP covers the rows the staying sites leave uncovered and is warm-started with the
    current sites, so an accepted move never lowers coverage. Passes repeat until a whole pass finds
    nothing, the deadline passes, or coverage reaches ``stop_at``.
    """
    A = red.A
    n = A.shape[1]
    G = sp.csr_array(A.T @ A)  # candidate overlap graph
    conf = red.conf_matrix()
    sel = np.array(sel, dtype=np.int64)
    in_sel = np.zeros(n, dtype=bool)
    in_sel[sel] = True
    cnt = np.rint(A @ in_sel.astype(np.float64)).astype(np.int64)
    got = float(red.w[cnt > 0].sum())
    stats = {"lns_moves": 0, "lns_subproblems": 0, "lns_passes": 0}
    tried_since_change: set[int] = set()
    while True:
        stats["lns_passes"] += 1
        improved_pass = False
        for s0 in np.flatnonzero(in_sel):
            if deadline is not None and time.perf_counter() > deadline:
                return np.flatnonzero(in_sel), stats
            if got >= stop_at or not in_sel[s0] or int(s0) in tried_since_change:
                continue
            # nearest selected sites to s0: by overlap with s0's neighbourhood (two hops)
            nb = G.indices[G.indptr[s0] : G.indptr[s0 + 1]]
            hop2 = np.unique(np.concatenate([G.indices[G.indptr[j] : G.indptr[j + 1]] for j in nb]))
            near = hop2[in_sel[hop2]]
            if len(near) > _LNS_SITES:
                # closeness = overlap weight with s0's neighbours; ties by index (deterministic)
                score = np.asarray(G[nb][:, near].sum(axis=0)).ravel()
                near = near[np.lexsort((near, -score))[:_LNS_SITES]]
                if s0 not in near:
                    near = np.r_[near[:-1], s0]
            near = np.unique(near)
            cols = np.unique(
                np.concatenate([G.indices[G.indptr[j] : G.indptr[j + 1]] for j in near])
            )
            cols = cols[~in_sel[cols] | np.isin(cols, near)]
            stay = in_sel.copy()
            stay[near] = False
            if conf is not None:
                clash = np.asarray(conf[cols] @ stay.astype(np.float64)).ravel() > 0
                cols = cols[~clash | np.isin(cols, near)]
            subred, _, colpos = _sub_cover(red, cols, np.flatnonzero(stay), 0.0)
            warm = colpos[near].astype(np.int64)
            cur = _covered(subred, warm)
            lim = (
                _LNS_SUB_LIMIT_S
                if deadline is None
                else min(_LNS_SUB_LIMIT_S, deadline - time.perf_counter())
            )
            if lim <= 0.05:
                return np.flatnonzero(in_sel), stats
            out = _milp_max(
                subred,
                len(near),
                None,
                warm,
                time_limit_s=lim,
                mip_rel_gap=0.0,
                seed=seed,
                threads=threads,
            )
            stats["lns_subproblems"] += 1
            tried_since_change.add(int(s0))
            if out["x"] is None:
                continue
            new = np.flatnonzero(out["x"][: len(cols)] > 0.5)
            if len(new) > len(near) or not _conflict_free(subred, new):
                continue
            val = _covered(subred, new)
            if val > cur + 1e-9 * max(1.0, cur):
                new_cols = cols[new]
                for j in near:
                    cnt[A.indices[A.indptr[j] : A.indptr[j + 1]]] -= 1
                for j in new_cols:
                    cnt[A.indices[A.indptr[j] : A.indptr[j + 1]]] += 1
                in_sel[near] = False
                in_sel[new_cols] = True
                got = float(red.w[cnt > 0].sum())
                stats["lns_moves"] += 1
                improved_pass = True
                # the area changed: its sites are worth another try
                touched = set(np.flatnonzero(in_sel & np.isin(np.arange(n), hop2)).tolist())
                tried_since_change -= touched
        if not improved_pass or got >= stop_at:
            return np.flatnonzero(in_sel), stats


def _lp_duals_min(red: _Reduced, need: float, full_cover: bool, time_limit_s, seed, threads):
    """Duals of the covering rows of the partial-cover LP by interior point (no crossover), or None.

    Only the multipliers are used: `cover_lagrangian` turns them into a bound that is valid whatever
    the LP's accuracy or status.
    """
    A = red.A
    m, n = A.shape
    if full_cover:
        M, ny = sp.csc_array(A), 0
        rl, ru = np.ones(m), np.full(m, np.inf)
    else:
        M = sp.vstack(
            [
                sp.hstack([A, -sp.eye_array(m, format="csc")], format="csr"),
                sp.csr_array(np.r_[np.zeros(n), red.w][None, :]),
            ],
            format="csc",
        )
        ny = m
        rl, ru = np.r_[np.zeros(m), need], np.full(m + 1, np.inf)
    status, sol, _ = _lp_ipm(M, np.r_[red.cost, np.zeros(ny)], "min", rl, ru, time_limit_s=time_limit_s,
                             seed=seed, threads=threads)
    if not sol.dual_valid:
        return None, status
    return np.abs(np.asarray(sol.row_dual, dtype=np.float64)[:m]), status


def _sub_cover(red: _Reduced, cols: np.ndarray, stay: np.ndarray, need: float):
    """The partial-cover model left when the ``stay`` columns are kept and only ``cols`` may change.

    Returns ``(sub, sub_need, colpos)``: ``sub`` covers the rows ``stay`` leaves uncovered that ``cols``
    can reach, ``sub_need`` is the weight it must add [weight units] (may be <= 0).
    """
    A = red.A
    csr = sp.csr_array(A)
    x = np.zeros(A.shape[1])
    x[stay] = 1.0
    cnt_stay = A @ x
    got_stay = float(red.w[cnt_stay > 0.5].sum())
    reach = np.asarray(csr[:, cols].sum(axis=1)).ravel() > 0
    rows = np.flatnonzero((cnt_stay < 0.5) & reach)
    Rm, wm = _merge_identical_rows(sp.csr_array(csr[rows][:, cols]), red.w[rows])
    colpos = np.full(A.shape[1], -1, dtype=np.int64)
    colpos[cols] = np.arange(len(cols))
    sub_pairs = np.empty((0, 2), dtype=np.int64)
    if len(red.conflicts):
        keep = (colpos[red.conflicts] >= 0).all(axis=1)
        sub_pairs = colpos[red.conflicts[keep]].astype(np.int64)
    sub = _Reduced(
        A=sp.csc_array(Rm),
        w=wm,
        cost=red.cost[cols],
        cols=cols,
        conflicts=sub_pairs,
        fixed=np.empty(0, np.int64),
        fixed_weight=0.0,
        total_weight=float(wm.sum()),
        coverable_weight=float(wm.sum()),
        n=len(cols),
    )
    return sub, need - got_stay, colpos


def _lns_min(
    red: _Reduced,
    sel: np.ndarray,
    need: float,
    full_cover: bool,
    max_sites,
    deadline: float | None,
    seed: int,
    threads: int,
    stop_at: float,
) -> tuple[np.ndarray, dict]:
    """MILP neighbourhood search for partial set cover: free the selected sites around one site and
    re-solve their area exactly (cheapest cover of what the other sites leave), as `_lns_max` does
    for MCLP. ``need`` is the weight the selection must cover [weight units]; an accepted move
    never raises the cost nor breaks the target. Stops when a pass finds nothing, at the deadline,
    or once the cost is at most ``stop_at``.
    """
    A = red.A
    n = A.shape[1]
    G = sp.csr_array(A.T @ A)  # candidate overlap graph
    conf = red.conf_matrix()
    in_sel = np.zeros(n, dtype=bool)
    in_sel[np.asarray(sel, dtype=np.int64)] = True
    stats = {"lns_moves": 0, "lns_subproblems": 0, "lns_passes": 0, "lns_sizes": []}
    ctol = 1e-9 * max(1.0, float(red.cost.sum()))
    wtol = 1e-9 * max(1.0, abs(need))

    def nbrs(js):
        return np.unique(
            G.indices[np.concatenate([np.arange(G.indptr[j], G.indptr[j + 1]) for j in js])]
        )

    level = 0
    tried: set[int] = set()
    while level < len(_LNS_COVER_SITES):
        k_sites = _LNS_COVER_SITES[level]
        stats["lns_passes"] += 1
        stats["lns_sizes"].append(k_sites)
        improved = False
        # most expensive sites first (the biggest savings are around them); ties by index
        seeds = np.flatnonzero(in_sel)
        seeds = seeds[np.lexsort((seeds, -red.cost[seeds]))]
        for s0 in seeds:
            if deadline is not None and time.perf_counter() > deadline - 0.05:
                return np.flatnonzero(in_sel), stats
            if float(red.cost[in_sel].sum()) <= stop_at:
                return np.flatnonzero(in_sel), stats
            if not in_sel[s0] or int(s0) in tried:
                continue
            # the selected sites nearest s0: by overlap with s0's neighbours, growing hop by hop
            nb = G.indices[G.indptr[s0] : G.indptr[s0 + 1]]
            ring = nbrs(nb)
            while int(in_sel[ring].sum()) < k_sites:
                wider = nbrs(ring)
                if len(wider) == len(ring):
                    break
                ring = wider
            near = ring[in_sel[ring]]
            if len(near) > k_sites:
                score = np.asarray(G[nb][:, near].sum(axis=0)).ravel()
                score = score + np.asarray(G[ring][:, near].sum(axis=0)).ravel() * 1e-6
                near = near[np.lexsort((near, -score))[:k_sites]]
                if s0 not in near:
                    near = np.r_[near[:-1], s0]
            near = np.unique(near)
            cols = nbrs(near)
            cols = cols[~in_sel[cols] | np.isin(cols, near)]
            stay = in_sel.copy()
            stay[near] = False
            if conf is not None:
                clash = np.asarray(conf[cols] @ stay.astype(np.float64)).ravel() > 0
                cols = cols[~clash | np.isin(cols, near)]
            sub, sub_need, colpos = _sub_cover(red, cols, np.flatnonzero(stay), need)
            tried.add(int(s0))
            cur = float(red.cost[near].sum())
            lim = _LNS_SUB_LIMIT_S
            if deadline is not None:
                lim = min(lim, deadline - time.perf_counter())
            if lim <= 0.05:
                return np.flatnonzero(in_sel), stats
            sub_full = full_cover or sub_need >= float(sub.w.sum()) - wtol
            ms = None if max_sites is None else max_sites - int(stay.sum())
            out = _milp_min(
                sub,
                float(sub.w.sum()) if sub_full else sub_need,
                sub_full,
                colpos[near],
                ms,
                time_limit_s=lim,
                mip_rel_gap=0.0,
                seed=seed,
                threads=threads,
            )
            stats["lns_subproblems"] += 1
            if out["x"] is None:
                continue
            new = np.flatnonzero(out["x"][: len(cols)] > 0.5)
            if float(sub.cost[new].sum()) >= cur - ctol or not _conflict_free(sub, new):
                continue
            trial = stay.copy()
            trial[cols[new]] = True
            if _covered(red, np.flatnonzero(trial)) < red.fixed_weight + need - wtol:
                continue  # never accept a move that breaks the target (rounding in the sub-MILP)
            in_sel = trial
            stats["lns_moves"] += 1
            improved = True
            tried -= set(np.flatnonzero(in_sel)[np.isin(np.flatnonzero(in_sel), ring)].tolist())
        if not improved:
            level += 1  # local optimum for this size: widen the neighbourhoods
            tried = set()
    return np.flatnonzero(in_sel), stats


def _fix_and_restrict(red: _Reduced, rc: np.ndarray, L: float, upper: float):
    """Reduced-cost fixing: columns whose Lagrangian value ``x*_j = [rc_j < 0]`` must hold in every
    solution cheaper than ``upper``. Returns ``(free, forced)`` boolean masks over the columns."""
    dev = L + np.abs(rc) > upper + 1e-9 * max(1.0, abs(upper))
    forced = dev & (rc < 0)
    free = ~dev
    return free, forced


def _large_min(red, sel, need, full_cover, max_sites, lb, deadline, mip_rel_gap, seed, threads):
    """District-scale partial cover: certified Lagrangian bound, Lagrangian greedy, LNS, fixing.

    Returns ``(sel, bound, big)``; ``big["red"]`` is the model restricted to the columns that
    reduced-cost fixing leaves (every solution using another column costs more than ``big["upper"]``),
    ``big["warm"]`` the incumbent in its columns, ``big["info"]`` figures for the result.
    """
    t0 = time.perf_counter()
    info: dict = {}
    gran = cost_granularity(red.cost)
    info["cost_granularity"] = gran
    u, lp_status = _lp_duals_min(red, need, full_cover, _LP_SHARE * (deadline - t0), seed, threads)
    info["lp_status"] = lp_status
    info["lp_time_s"] = time.perf_counter() - t0
    upper = float(red.cost[sel].sum())
    if u is None:  # no LP duals in time: subgradient from the usual start
        L, u = cover_subgradient(
            red.A,
            red.w,
            need,
            red.cost,
            full=full_cover,
            upper=upper,
            iters=300,
            time_limit_s=0.1 * max(deadline - time.perf_counter(), 0.0),
        )
    L, rc, _ = cover_lagrangian(red.A, red.w, need, red.cost, u, full=full_cover)
    info["lagrangian_bound"] = L
    lb = max(lb, round_up_to(L, gran))
    # Lagrangian greedy: a cheap second incumbent, often better than plain greedy
    order = lagrangian_cover_heuristic(red.A, red.w, need, red.cost, u)
    if order is not None:
        cand = prune_redundant(red.A, red.w, order, need, cost=red.cost)
        ok = _conflict_free(red, cand) and (max_sites is None or len(cand) <= max_sites)
        info["lagrangian_greedy_cost"] = float(red.cost[cand].sum())
        if ok and red.cost[cand].sum() < upper:
            sel, upper = cand, float(red.cost[cand].sum())
    stop_at = lb / (1 - mip_rel_gap)
    # the closing MILP is worth its time only if HiGHS can finish its root LP (dual simplex, some
    # _ROOT_LP_FACTOR times the interior-point time here) in it; HiGHS also overruns its time
    # limit while in that LP. Otherwise LNS gets all the time.
    left = deadline - time.perf_counter()
    milp = (1 - _LNS_MIN_SHARE) * left >= _MIN_MILP_S + _ROOT_LP_FACTOR * info["lp_time_s"]
    info["closing_milp"] = bool(milp)
    if upper > stop_at:
        lns_end = time.perf_counter() + (_LNS_MIN_SHARE * left if milp else left)
        sel, lns = _lns_min(red, sel, need, full_cover, max_sites, lns_end, seed, threads, stop_at)
        info.update(lns)
        upper = float(red.cost[sel].sum())
        info["lns_cost"] = upper
    free, forced = _fix_and_restrict(red, rc, L, upper)
    keep = free | forced
    keep[sel] = True  # the incumbent never costs more than upper; kept for the warm start anyway
    keep = np.flatnonzero(keep)
    info["fixed_by_reduced_cost"] = int(red.A.shape[1] - len(keep))
    sub, _, colpos = _sub_cover(red, keep, np.empty(0, np.int64), need)
    return sel, lb, {"red": sub, "warm": colpos[sel], "upper": upper, "info": info, "milp": milp}


# ----------------------------------------------------------------------------- helpers


def _covered(red: _Reduced, cols: np.ndarray) -> float:
    x = np.zeros(red.A.shape[1])
    x[cols] = 1.0
    return red.fixed_weight + float(red.w[(red.A @ x) > 0.5].sum())


def _feasible_max(red, cols, p, budget) -> bool:
    if p is not None and len(cols) > p:
        return False
    if budget is not None and red.cost[cols].sum() > budget * (1 + 1e-9) + 1e-9:
        return False
    return _conflict_free(red, cols)


def _conflict_free(red, cols) -> bool:
    if not len(red.conflicts):
        return True
    s = np.zeros(red.A.shape[1], dtype=bool)
    s[cols] = True
    return not (s[red.conflicts[:, 0]] & s[red.conflicts[:, 1]]).any()


def _check_common(method, time_limit_s, mip_rel_gap):
    if method not in METHODS:
        raise ValueError(f"invalid method {method!r}: expected one of {METHODS}")
    if time_limit_s is not None and not (time_limit_s > 0):
        raise ValueError(f"time_limit_s = {time_limit_s}: expected > 0 seconds or None")
    if not (0 <= mip_rel_gap < 1):
        raise ValueError(f"mip_rel_gap = {mip_rel_gap}: expected 0 <= gap < 1")


def _result(
    red, cols_red, *, sense, objective, bound, status, method, t0, extra, gap_tol=None
) -> OptimizeResult:
    sel = np.union1d(red.fixed, red.cols[np.asarray(cols_red, dtype=np.int64)]).astype(np.int64)
    covered = _covered(red, np.asarray(cols_red, dtype=np.int64))
    cost = float(red.cost[np.asarray(cols_red, dtype=np.int64)].sum())
    if sense == "max":
        bound = max(
            bound, objective
        )  # solver tolerances must not put the bound below a found solution
    else:
        bound = min(bound, objective)
    gap = relative_gap(objective, bound, sense)
    if status == "optimal" and gap_tol is not None and gap > gap_tol * (1 + 1e-9) + 1e-12:
        status = "feasible"  # a solver said optimal but the solution we hold is not proven so
    info = dict(red.info)
    info.update(extra)
    info["fixed_weight"] = red.fixed_weight
    info["coverable_weight"] = red.coverable_weight
    return OptimizeResult(
        selected=sel,
        fixed=red.fixed.astype(np.int64),
        covered_weight=covered,
        total_weight=red.total_weight,
        cost=cost,
        objective=float(objective),
        bound=float(bound),
        gap=gap,
        status=status,
        method=method,
        time_s=time.perf_counter() - t0,
        sense=sense,
        info=info,
    )


def _remaining(t0, time_limit_s):
    return None if time_limit_s is None else time_limit_s - (time.perf_counter() - t0)


# ----------------------------------------------------------------------------- public


def maximize_coverage(
    A,
    w,
    p: int | None,
    *,
    cost=None,
    budget: float | None = None,
    fixed=None,
    conflicts=None,
    time_limit_s: float | None = None,
    count_fixed: bool = False,
    method: str = "auto",
    mip_rel_gap: float = 1e-4,
    seed: int = 0,
    threads: int = 1,
) -> OptimizeResult:
    """Maximal covering location (MCLP): at most ``p`` new sites (and/or a budget) covering most weight.

    Parameters
    ----------
    A : scipy.sparse (m x n), bool
        Coverage matrix: ``A[i, j]`` is true when candidate j covers demand cell i.
    w : (m,) float
        Demand weight of each cell [weight units, e.g. m2 times scenario weight], >= 0.
    p : int or None
        Number of NEW sites allowed beyond ``fixed`` (``count_fixed=False``), or the total number of
        sites including ``fixed`` (``count_fixed=True``). None = no count limit (then give ``budget``).
    cost : (n,) float, optional
        Cost per candidate [cost units, e.g. CNY]; default 1 each. Fixed sites cost nothing extra.
    budget : float, optional
        Maximum total cost of the new sites [cost units].
    fixed : int indices or (n,) bool mask, optional
        Sites that must be in the solution (existing or approved).
    conflicts : (k, 2) int, optional
        Candidate pairs that may not both be chosen (minimum spacing). A candidate in conflict with a
        fixed site is excluded.
    time_limit_s : float, optional
        Wall-time limit for the whole call [s]; None = solve to proven optimality.
    count_fixed : bool
        Whether ``p`` includes the fixed sites (see ``p``).
    method : {"auto", "milp", "greedy"}
        ``"greedy"`` skips the MILP and reports a Lagrangian bound.
    mip_rel_gap : float
        HiGHS stops and reports ``"optimal"`` once the relative gap is at most this [-].
    seed, threads : int
        HiGHS ``random_seed`` and ``threads``, fixed for reproducible runs.

    Returns
    -------
    OptimizeResult
        ``objective = covered_weight`` (fixed sites' coverage included); ``bound`` is an upper bound.

    Raises
    ------
    ValueError
        Bad shapes, negative weights/costs, indices out of range, ``p`` / ``budget`` missing or < 0.
    InfeasibleError
        Two fixed sites conflict, or ``count_fixed=True`` and ``p < len(fixed)``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_array(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool))
    >>> r = maximize_coverage(A, np.array([1.0, 1.0, 2.0, 5.0]), 2)
    >>> r.selected.tolist(), r.covered_weight, r.status
    ([1, 2], 8.0, 'optimal')
    """
    t0 = time.perf_counter()
    _check_common(method, time_limit_s, mip_rel_gap)
    csr, w, cost_a, fixed_i, pairs = _validate(A, w, cost, fixed, conflicts)
    if p is None and budget is None:
        raise ValueError(
            "maximize_coverage: give p (number of sites) or budget (total cost), or both"
        )
    if p is not None:
        if int(p) != p or p < 0:
            raise ValueError(f"p = {p!r}: expected a non-negative integer number of sites")
        p = int(p)
        if count_fixed:
            if p < len(fixed_i):
                raise InfeasibleError(
                    f"p = {p} total sites (count_fixed=True) is fewer than the {len(fixed_i)} fixed sites"
                )
            p -= len(fixed_i)
    if budget is not None and not (np.isfinite(budget) and budget >= 0):
        raise ValueError(f"budget = {budget!r}: expected a finite cost >= 0")
    red = _reduce(csr, w, cost_a, fixed_i, pairs)
    n = red.A.shape[1]
    conf = red.conf_matrix()
    extra: dict = {"p_new": p, "budget": budget}

    if n == 0 or (p == 0) or red.coverable_weight <= red.fixed_weight:
        obj = red.fixed_weight
        return _result(
            red,
            np.empty(0, np.int64),
            sense="max",
            objective=obj,
            bound=obj,
            status="optimal",
            method="trivial",
            t0=t0,
            extra=extra,
        )

    order, _ = greedy_max_coverage(red.A, red.w, p, cost=red.cost, budget=budget, conflicts=conf)
    rem = _remaining(t0, time_limit_s)
    sel = swap_search(
        red.A,
        red.w,
        order,
        p=p,
        cost=red.cost,
        budget=budget,
        conflicts=conf,
        time_limit_s=None if rem is None else _SWAP_SHARE * rem,
    )
    if not _feasible_max(red, sel, p, budget):  # pragma: no cover - swap_search keeps feasibility
        sel = np.sort(order)
    obj = _covered(red, sel)
    extra["greedy_weight"] = _covered(red, order)
    extra["swap_weight"] = obj
    method_s = "greedy+swap"

    if obj >= red.coverable_weight * (1 - 1e-12):
        return _result(
            red,
            sel,
            sense="max",
            objective=obj,
            bound=red.coverable_weight,
            status="optimal",
            method=method_s,
            t0=t0,
            extra=extra,
        )

    if method == "greedy":
        ub = red.fixed_weight + coverage_upper_bound(
            red.A, red.w, p, cost=red.cost, budget=budget, lower=obj - red.fixed_weight
        )
        status = "optimal" if ub <= obj * (1 + 1e-12) else "greedy_only"
        return _result(
            red,
            sel,
            sense="max",
            objective=obj,
            bound=ub,
            status=status,
            method=method_s,
            t0=t0,
            extra=extra,
        )

    lp_ub = np.inf
    if time_limit_s is not None and red.A.nnz > _DIRECT_MILP_NNZ:
        # large model: LP bound first (is the greedy answer already good enough?), then LNS
        lp_ub, lp_info = _lp_bound_max(
            red,
            p,
            budget,
            _remaining(t0, time_limit_s),
            seed,
            threads,
            lower=obj - red.fixed_weight,
        )
        lp_ub += red.fixed_weight
        extra.update(lp_info)
        extra["lp_bound"] = lp_ub
        if budget is None and relative_gap(obj, lp_ub, "max") > mip_rel_gap:
            stop_at = lp_ub / (1 + mip_rel_gap) - red.fixed_weight
            sel, lns = _lns_max(red, sel, p, t0 + time_limit_s, seed, threads, stop_at)
            extra.update(lns)
            obj = _covered(red, sel)
            extra["lns_weight"] = obj
            method_s = "greedy+swap+lns"
        rem = _remaining(t0, time_limit_s)
        if relative_gap(obj, lp_ub, "max") <= mip_rel_gap or rem <= 0.05:
            status = "optimal" if relative_gap(obj, lp_ub, "max") <= mip_rel_gap else "time_limit"
            extra["bound_source"] = "lp-lagrangian"
            return _result(
                red,
                sel,
                sense="max",
                objective=obj,
                bound=min(lp_ub, red.coverable_weight),
                status=status,
                method=f"{method_s}:highs-lp",
                t0=t0,
                extra=extra,
            )
    rem = _remaining(t0, time_limit_s)
    out = _milp_max(
        red, p, budget, sel, time_limit_s=rem, mip_rel_gap=mip_rel_gap, seed=seed, threads=threads
    )
    extra.update(
        {
            k: out[k]
            for k in ("highs_status", "dual_bound", "mip_gap", "nodes", "warm_start_mismatch")
            if k in out
        }
    )
    method_s = (
        f"{method_s}+milp:highs-{out['version']}"
        if method_s != "greedy+swap"
        else f"milp:highs-{out['version']}"
    )
    if out["x"] is not None:
        cand = np.flatnonzero(out["x"][:n] > 0.5)
        if _feasible_max(red, cand, p, budget):
            c_obj = _covered(red, cand)
            if c_obj > obj:
                sel, obj = cand, c_obj
    bound = out["dual_bound"]
    if not np.isfinite(bound) and not np.isfinite(lp_ub):
        bound = red.fixed_weight + coverage_upper_bound(
            red.A, red.w, p, cost=red.cost, budget=budget, lower=obj - red.fixed_weight
        )
        extra["bound_source"] = "lagrangian"
    else:
        extra["bound_source"] = "highs" if bound <= lp_ub else "lp-lagrangian"
        bound = min(bound, lp_ub)
    bound = min(bound, red.coverable_weight)
    return _result(
        red,
        sel,
        sense="max",
        objective=obj,
        bound=bound,
        status=out["status"],
        method=method_s,
        t0=t0,
        extra=extra,
        gap_tol=mip_rel_gap,
    )


def minimize_sites(
    A,
    w,
    target_fraction: float,
    *,
    cost=None,
    fixed=None,
    conflicts=None,
    time_limit_s: float | None = None,
    max_sites: int | None = None,
    initial=None,
    method: str = "auto",
    mip_rel_gap: float = 1e-4,
    seed: int = 0,
    threads: int = 1,
) -> OptimizeResult:
    """Cheapest set of new sites covering at least ``target_fraction`` of the total weight.

    Partial set cover; ``target_fraction = 1.0`` is the location set covering problem (LSCP). The
    target is a share of ALL weight, including cells no candidate can reach; the fixed sites' coverage
    counts towards it and their cost does not. A cell with zero weight never needs covering.
    Coverage meets the target when ``covered >= target_fraction * total - 1e-9 * total``.

    Parameters
    ----------
    A, w, cost, fixed, conflicts, time_limit_s, method, mip_rel_gap, seed, threads
        As in `maximize_coverage`; ``cost`` defaults to 1 per site (= fewest sites).
    target_fraction : float
        Share of the total weight to cover, 0..1 [-].
    max_sites : int, optional
        At most this many NEW sites (beyond ``fixed``); None = no cap.
    initial : int indices, optional
        A known feasible selection (original indices, fixed ones may be included) used as a starting
        incumbent when it meets the target, e.g. the answer of an earlier coverage-first stage.

    Returns
    -------
    OptimizeResult
        ``objective = cost`` of the new sites; ``bound`` is a lower bound.

    Raises
    ------
    InfeasibleError
        The target exceeds what all allowed candidates together cover, two fixed sites conflict, or
        the conflicts leave no feasible selection.
        With ``max_sites``, also when no selection of that size reaches the target.
    ValueError
        Bad shapes, negative weights/costs, ``target_fraction`` outside 0..1.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_array(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))
    >>> r = minimize_sites(A, np.ones(4), 1.0)
    >>> r.selected.tolist(), r.objective, r.status
    ([0, 2], 2.0, 'optimal')
    """
    t0 = time.perf_counter()
    _check_common(method, time_limit_s, mip_rel_gap)
    if not (np.isfinite(target_fraction) and 0 <= target_fraction <= 1):
        raise ValueError(f"target_fraction = {target_fraction!r}: expected a share between 0 and 1")
    if max_sites is not None and (int(max_sites) != max_sites or max_sites < 0):
        raise ValueError(
            f"max_sites = {max_sites!r}: expected a non-negative integer number of new sites"
        )
    csr, w, cost_a, fixed_i, pairs = _validate(A, w, cost, fixed, conflicts)
    red = _reduce(csr, w, cost_a, fixed_i, pairs)
    n = red.A.shape[1]
    tol = 1e-9 * max(red.total_weight, 1e-300)
    target = float(target_fraction) * red.total_weight
    extra: dict = {"target_fraction": float(target_fraction), "target_weight": target}
    if red.coverable_weight < target - tol:
        raise InfeasibleError(
            f"target {target_fraction:.6g} of the weight is unreachable: all allowed candidates together "
            f"(with the fixed sites) cover {red.coverable_weight / red.total_weight if red.total_weight else 0:.6g}"
        )
    need = target - red.fixed_weight  # weight the new sites must add
    extra["max_sites"] = max_sites
    if need > tol and max_sites == 0:
        raise InfeasibleError(f"target {target_fraction:.6g} needs new sites but max_sites = 0")
    if need <= tol or n == 0:
        return _result(
            red,
            np.empty(0, np.int64),
            sense="min",
            objective=0.0,
            bound=0.0,
            status="optimal",
            method="trivial",
            t0=t0,
            extra=extra,
        )
    conf = red.conf_matrix()
    # within tolerance of everything coverable: require every remaining row (plain set cover)
    full_cover = float(red.w.sum()) - float(red.w.min()) < need - tol
    order, reached = greedy_partial_cover(red.A, red.w, need - tol, cost=red.cost, conflicts=conf)
    sel = None
    if reached:
        sel = prune_redundant(red.A, red.w, order, need - tol, cost=red.cost)
        rem = _remaining(t0, time_limit_s)
        sel = swap_search(
            red.A,
            red.w,
            sel,
            cost=red.cost,
            conflicts=conf,
            need=need - tol,
            time_limit_s=None if rem is None else _SWAP_SHARE * rem,
        )
        sel = prune_redundant(red.A, red.w, sel, need - tol, cost=red.cost)
        extra["greedy_cost"] = float(red.cost[order].sum())
        if max_sites is not None and len(sel) > max_sites:
            sel = None
    if initial is not None:
        colpos = np.full(red.n, -1, dtype=np.int64)
        colpos[red.cols] = np.arange(n)
        ini = colpos[_as_indices(initial, red.n, "initial")]
        ini = ini[ini >= 0]
        if (
            _conflict_free(red, ini)
            and _covered(red, ini) >= target - tol
            and (max_sites is None or len(ini) <= max_sites)
        ):
            ini = prune_redundant(red.A, red.w, ini, need - tol, cost=red.cost)
            if sel is None or red.cost[ini].sum() < red.cost[sel].sum():
                sel = ini
    lb = cover_cost_lower_bound(red.A, red.w, need - tol, cost=red.cost)
    method_s = "greedy+swap"
    obj = float(red.cost[sel].sum()) if sel is not None else np.inf
    if sel is not None and obj <= lb * (1 + 1e-12):
        return _result(
            red,
            sel,
            sense="min",
            objective=obj,
            bound=lb,
            status="optimal",
            method=method_s,
            t0=t0,
            extra=extra,
        )
    if method == "greedy":
        if sel is None:
            raise InfeasibleError(
                f"greedy found no selection reaching {target_fraction:.6g} of the weight under the conflicts "
                "/ max_sites (not proven infeasible; try method='auto')"
            )
        return _result(
            red,
            sel,
            sense="min",
            objective=obj,
            bound=lb,
            status="greedy_only",
            method=method_s,
            t0=t0,
            extra=extra,
        )
    milp_red, milp_warm, fix_upper = red, sel, np.inf
    nd = need - tol if not full_cover else need
    if time_limit_s is not None and red.A.nnz > _DIRECT_MILP_NNZ and sel is not None:
        # large model: certified Lagrangian bound + Lagrangian greedy + LNS, then the MILP on
        # the columns reduced-cost fixing leaves, with the time left
        sel, lb, big = _large_min(
            red, sel, nd, full_cover, max_sites, lb, t0 + time_limit_s, mip_rel_gap, seed, threads
        )
        extra.update(big.pop("info"))
        obj = float(red.cost[sel].sum())
        method_s = "greedy+swap+lagrangian+lns"
        rem = _remaining(t0, time_limit_s)
        if relative_gap(obj, lb, "min") <= mip_rel_gap or rem <= _MIN_MILP_S or not big["milp"]:
            proven = relative_gap(obj, lb, "min") <= mip_rel_gap
            extra["bound_source"] = "lagrangian"
            return _result(
                red,
                sel,
                sense="min",
                objective=obj,
                bound=lb,
                status="optimal" if proven else "time_limit",
                method=method_s,
                t0=t0,
                extra=extra,
            )
        milp_red, milp_warm, fix_upper = big["red"], big["warm"], big["upper"]
    rem = _remaining(t0, time_limit_s)
    out = _milp_min(
        milp_red,
        nd,
        full_cover,
        milp_warm,
        max_sites,
        time_limit_s=rem,
        mip_rel_gap=mip_rel_gap,
        seed=seed,
        threads=threads,
    )
    extra.update(
        {
            k: out[k]
            for k in ("highs_status", "dual_bound", "mip_gap", "nodes", "warm_start_mismatch")
            if k in out
        }
    )
    if out["status"] == "infeasible":
        raise InfeasibleError(
            f"no selection reaches {target_fraction:.6g} of the weight without breaking a conflicts pair "
            f"or exceeding max_sites = {max_sites} (HiGHS proved the model infeasible)"
        )
    method_s = (
        f"milp:highs-{out['version']}"
        if milp_red is red
        else f"{method_s}+milp:highs-{out['version']}"
    )
    if out["x"] is not None:
        cand = (
            milp_red.cols[np.flatnonzero(out["x"][: milp_red.A.shape[1]] > 0.5)]
            if milp_red is not red
            else np.flatnonzero(out["x"][:n] > 0.5)
        )
        ok = _conflict_free(red, cand) and _covered(red, cand) >= target - tol
        ok = ok and (max_sites is None or len(cand) <= max_sites)
        if ok:
            cand = prune_redundant(red.A, red.w, cand, need - tol, cost=red.cost)
            c_obj = float(red.cost[cand].sum())
            if sel is None or c_obj < obj:
                sel, obj = cand, c_obj
    if sel is None:
        raise InfeasibleError(
            f"no selection reaching {target_fraction:.6g} of the weight was found within the time limit "
            f"(HiGHS status {out['highs_status']!r}; not proven infeasible)"
        )
    bound = out["dual_bound"]
    if milp_red is not red and np.isfinite(bound):
        # the MILP saw only the columns reduced-cost fixing left: every other solution costs more
        # than fix_upper, so the bound holds for the whole model up to there
        bound = min(bound, fix_upper)
    if np.isfinite(bound) and bound > lb:
        extra["bound_source"] = "highs"
        bound = round_up_to(bound, cost_granularity(red.cost))
    else:
        extra["bound_source"] = "knapsack" if milp_red is red else "lagrangian"
        bound = lb
    if milp_red is not red and out["status"] == "optimal":
        # proven optimal on the restricted model = proven within its gap on the whole model
        out["status"] = (
            "optimal" if relative_gap(obj, bound, "min") <= mip_rel_gap else "time_limit"
        )
    return _result(
        red,
        sel,
        sense="min",
        objective=obj,
        bound=bound,
        status=out["status"],
        method=method_s,
        t0=t0,
        extra=extra,
        gap_tol=mip_rel_gap,
    )
