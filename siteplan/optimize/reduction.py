"""Validation and exact reduction of a site-selection model before any search.

`reduce_model` removes what cannot change the answer: rows covered by a fixed site (their weight is a
constant), rows of zero weight or that no allowed candidate reaches, candidates in conflict with a
fixed site, candidates covering nothing, candidates whose rows are a subset of a conflict-free
candidate's at no higher cost; and it merges identical rows (weights summed). `forced_max` and
`forced_cover` find candidates that every optimum contains, which the solvers then fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from siteplan.errors import InfeasibleError
from siteplan.optimize.greedy import conflict_matrix

__all__ = [
    "Reduced",
    "as_indices",
    "forced_cover",
    "forced_max",
    "reduce_model",
    "sub_model",
    "validate",
]


def as_indices(x, n: int, what: str) -> np.ndarray:
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


def validate(A, w, cost, fixed, conflicts):
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
    fixed = as_indices(fixed, n, "fixed")
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
class Reduced:
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


def reduce_model(csr, w, cost, fixed, pairs, *, dominance: bool = True) -> Reduced:
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
    return Reduced(
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


def forced_cover(red: Reduced) -> np.ndarray:
    """Columns every full cover contains: the only column of some row (reduced indices, sorted)."""
    deg = np.diff(sp.csr_array(red.A).indptr)
    one = np.flatnonzero(deg == 1)
    if len(one) == 0:
        return np.empty(0, dtype=np.int64)
    return np.unique(sp.csr_array(red.A)[one].indices).astype(np.int64)


def forced_max(red: Reduced, p: int) -> np.ndarray:
    """Columns every optimum of a cardinality-only MCLP contains (reduced indices, sorted).

    A conflict-free column ``j`` whose exclusive weight (rows no other column covers) exceeds the whole
    weight of any other column is in every optimum: an optimum without it would gain by swapping it in
    for any of its sites (or adding it, when fewer than ``p``).
    """
    A = red.A
    n = A.shape[1]
    if p <= 0 or n == 0:
        return np.empty(0, dtype=np.int64)
    csr = sp.csr_array(A)
    one = np.flatnonzero(np.diff(csr.indptr) == 1)
    excl = (
        np.bincount(csr[one].indices, weights=red.w[one], minlength=n) if len(one) else np.zeros(n)
    )
    colw = A.T @ red.w
    top2 = np.sort(colw)[-2:] if n > 1 else np.r_[0.0, colw]
    other_max = np.where(colw >= top2[-1], top2[0], top2[-1])  # largest weight of any OTHER column
    tol = 1e-9 * max(1.0, float(red.w.sum()))
    hit = excl > other_max + tol
    if len(red.conflicts):
        hit[red.conflicts.reshape(-1)] = False
    cand = np.flatnonzero(hit)
    if len(cand) > p:  # cannot all be in an optimum of p sites; keep the proof simple: force none
        return np.empty(0, dtype=np.int64)
    return cand.astype(np.int64)


def sub_model(
    red: Reduced, cols: np.ndarray, stay: np.ndarray
) -> tuple[Reduced, float, np.ndarray]:
    """The model left when the ``stay`` columns are kept and only ``cols`` may change.

    Returns ``(sub, got_stay, colpos)``: ``sub`` has the rows ``stay`` leaves uncovered that ``cols``
    can reach (identical ones merged), ``got_stay`` is the weight ``stay`` covers [weight units],
    ``colpos`` maps a column of ``red`` to its position in ``sub`` (-1 when absent).
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
    sub = Reduced(
        A=sp.csc_array(Rm),
        w=wm,
        cost=red.cost[cols],
        cols=red.cols[cols],
        conflicts=sub_pairs,
        fixed=red.fixed,
        fixed_weight=red.fixed_weight + got_stay,
        total_weight=red.total_weight,
        coverable_weight=red.fixed_weight + got_stay + float(wm.sum()),
        n=red.n,
    )
    return sub, got_stay, colpos
