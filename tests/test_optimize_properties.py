"""Every answer against exhaustive search on small instances: objectives recount, bounds hold,
conflicts and fixed sites respected (issue 15, acceptance 5); the local search's counts stay exact."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from siteplan.errors import InfeasibleError
from siteplan.optimize import maximize_coverage, minimize_sites
from siteplan.optimize.local_search import Coverage, CoverSearch, MaxCoverageSearch


def _instance(seed: int, m: int, n: int, density: float, integer: bool):
    rng = np.random.default_rng(seed)
    A = rng.random((m, n)) < density
    w = rng.integers(0, 6, m).astype(float) if integer else np.round(rng.uniform(0, 5, m), 3)
    cost = rng.integers(1, 4, n).astype(float)
    fixed = [int(rng.integers(n))] if rng.random() < 0.3 else []
    pairs = []
    for _ in range(int(rng.integers(0, 3))):
        i, j = (int(v) for v in rng.choice(n, 2, replace=False))
        if not (i in fixed and j in fixed):
            pairs.append((i, j))
    return A, w, cost, fixed, pairs


def _recount(A: np.ndarray, w: np.ndarray, selected) -> float:
    sel = list(selected)
    return float(w[A[:, sel].any(axis=1)].sum()) if sel else 0.0


def _feasible(selected, fixed, pairs) -> bool:
    s = {int(v) for v in selected}
    return set(fixed) <= s and not any(i in s and j in s for i, j in pairs)


def _subsets(n, fixed, k_max):
    free = [j for j in range(n) if j not in set(fixed)]
    for k in range(min(k_max, len(free)) + 1):
        for S in itertools.combinations(free, k):
            yield list(fixed) + list(S), S


instances = st.tuples(
    st.integers(0, 100_000),  # seed
    st.integers(3, 10),  # rows
    st.integers(2, 7),  # candidates
    st.sampled_from([0.2, 0.35, 0.5]),  # density
    st.booleans(),  # integer weights
)


@given(inst=instances, p=st.integers(0, 4), threads=st.sampled_from([1, 2]))
def test_maximize_coverage_matches_exhaustive_search(inst, p, threads):
    A, w, _, fixed, pairs = _instance(*inst)
    n = A.shape[1]
    best = max(_recount(A, w, T) for T, _ in _subsets(n, fixed, p) if _feasible(T, fixed, pairs))
    r = maximize_coverage(
        sp.csr_array(A),
        w,
        p,
        fixed=fixed,
        conflicts=pairs or None,
        mip_rel_gap=0.0,
        threads=threads,
    )
    assert r.covered_weight == pytest.approx(_recount(A, w, r.selected), abs=1e-9)
    assert r.objective == r.covered_weight
    assert _feasible(r.selected, fixed, pairs) and len(r.new) <= p
    assert r.bound >= best - 1e-9  # a valid upper bound
    assert r.status == "optimal" and r.objective == pytest.approx(best, abs=1e-9)
    assert r.gap == pytest.approx(max(r.bound - r.objective, 0) / r.objective if r.objective else 0)


@given(inst=instances, frac=st.sampled_from([0.3, 0.6, 0.9, 1.0]), costed=st.booleans())
def test_minimize_sites_matches_exhaustive_search(inst, frac, costed):
    A, w, cost, fixed, pairs = _instance(*inst)
    cost = cost if costed else np.ones(A.shape[1])
    n, total = A.shape[1], w.sum()
    feasible = [
        float(cost[list(S)].sum())
        for T, S in _subsets(n, fixed, n)
        if _feasible(T, fixed, pairs) and _recount(A, w, T) >= frac * total - 1e-9 * total
    ]
    if not feasible:
        with pytest.raises(InfeasibleError):
            minimize_sites(
                sp.csr_array(A), w, frac, cost=cost, fixed=fixed, conflicts=pairs or None
            )
        return
    r = minimize_sites(
        sp.csr_array(A), w, frac, cost=cost, fixed=fixed, conflicts=pairs or None, mip_rel_gap=0.0
    )
    assert r.covered_weight == pytest.approx(_recount(A, w, r.selected), abs=1e-9)
    assert r.covered_weight >= frac * total - 1e-9 * max(total, 1.0)
    assert r.cost == pytest.approx(float(cost[r.new].sum())) and r.objective == r.cost
    assert _feasible(r.selected, fixed, pairs)
    assert r.bound <= min(feasible) + 1e-9  # a valid lower bound
    assert r.status == "optimal" and r.objective == pytest.approx(min(feasible))


@given(seed=st.integers(0, 100_000), moves=st.integers(1, 30))
def test_coverage_counts_stay_exact_under_adds_and_drops(seed, moves):
    rng = np.random.default_rng(seed)
    A = rng.random((30, 12)) < 0.25
    w = rng.uniform(0, 3, 30)
    cov = Coverage(sp.csc_array(A), w)
    for _ in range(moves):
        j = int(rng.integers(12))
        (cov.drop if cov.in_sel[j] else cov.add)(j)
    sel = cov.selected
    cnt = A[:, sel].sum(axis=1)
    assert np.array_equal(cov.cnt, cnt)
    assert cov.value == pytest.approx(_recount(A, w, sel))
    gain = (A & (cnt == 0)[:, None]).T @ w
    assert np.allclose(cov.gain[~cov.in_sel], gain[~cov.in_sel])
    for j in sel:  # loss = what dropping j alone would lose
        assert cov.loss[j] == pytest.approx(
            _recount(A, w, sel) - _recount(A, w, [k for k in sel if k != j])
        )


def test_searches_are_deterministic_and_never_worse_than_their_start():
    rng = np.random.default_rng(3)
    A = sp.csc_array(rng.random((200, 40)) < 0.08)
    w = rng.uniform(0.5, 2.0, 200)
    runs = []
    for _ in range(2):
        s = MaxCoverageSearch(A, w, 6, start=[0, 1, 2], seed=7)
        start = s.best_value
        s.run(60)
        assert s.best_value >= start and len(s.best) <= 6
        runs.append(s.best.tolist())
    assert runs[0] == runs[1]
    full = np.flatnonzero(np.asarray(A.sum(axis=0)).ravel() > 0)
    c = CoverSearch(A, w, 0.8 * w.sum(), start=full, seed=1)
    c.run(60)
    assert _recount(A.toarray(), w, c.best) >= 0.8 * w.sum() - 1e-9
    assert c.best_cost <= len(full)


@given(
    seed=st.integers(0, 100_000),
    size=st.sampled_from([(60, 25), (120, 40)]),
    work=st.integers(1, 120),
    sense=st.sampled_from(["max", "min"]),
)
@settings(max_examples=15, deadline=None)
def test_work_limited_answers_are_reproducible_on_one_core_or_two(seed, size, work, sense):
    """A work-limited solve gives the same selection, bound and status with threads=1 and 2; an unproven one
    says "work_limit", and a proven one is what exhaustive search would call optimal (here: within the gap)."""
    rng = np.random.default_rng(seed)
    m, n = size
    A = sp.csr_array(rng.random((m, n)) < 0.08)
    w = rng.integers(1, 6, m).astype(float)
    cost = rng.integers(1, 4, n).astype(float)
    runs = []
    for t in (1, 2):
        if sense == "max":
            r = maximize_coverage(A, w, 6, cost=cost, work_limit=work, threads=t, mip_rel_gap=0.0)
        else:
            reach = float(w[np.asarray(A.sum(axis=1)).ravel() > 0].sum()) / w.sum()
            r = minimize_sites(A, w, 0.9 * reach, cost=cost, work_limit=work, threads=t, mip_rel_gap=0.0)
        runs.append(r)
    a, b = runs
    assert a.selected.tolist() == b.selected.tolist()
    assert (a.objective, a.bound, a.status) == (b.objective, b.bound, b.status)
    assert a.status in ("optimal", "work_limit")
    assert (a.status == "optimal") == (a.gap <= 1e-9)
