"""siteplan.optimize solvers: known optima, brute force on tiny instances, errors, fixed/conflicts, bounds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteplan.errors import InfeasibleError
from siteplan.optimize import maximize_coverage, minimize_sites
from siteplan.optimize.greedy import (
    cover_cost_lower_bound,
    coverage_upper_bound,
    greedy_max_coverage,
    greedy_order,
    greedy_partial_cover,
)

# ---------------------------------------------------------------- brute force references


def _covered(A: np.ndarray, w: np.ndarray, S) -> float:
    S = list(S)
    return float(w[A[:, S].any(axis=1)].sum()) if S else 0.0


def _conflict_ok(S, pairs) -> bool:
    s = set(S)
    return not any(i in s and j in s for i, j in pairs)


def brute_max(A, w, p, *, cost=None, budget=None, fixed=(), pairs=()):
    n = A.shape[1]
    free = [j for j in range(n) if j not in set(fixed)]
    best = -1.0
    for k in range(len(free) + 1 if p is None else min(p, len(free)) + 1):
        for S in itertools.combinations(free, k):
            if budget is not None and cost[list(S)].sum() > budget + 1e-9:
                continue
            T = list(fixed) + list(S)
            if _conflict_ok(T, pairs):
                best = max(best, _covered(A, w, T))
    return best


def brute_min(A, w, frac, *, cost=None, fixed=(), pairs=()):
    n = A.shape[1]
    cost = np.ones(n) if cost is None else cost
    tot = w.sum()
    free = [j for j in range(n) if j not in set(fixed)]
    best = np.inf
    for k in range(len(free) + 1):
        for S in itertools.combinations(free, k):
            T = list(fixed) + list(S)
            if _conflict_ok(T, pairs) and _covered(A, w, T) >= frac * tot - 1e-9 * tot:
                best = min(best, float(cost[list(S)].sum()))
    return best


def _M(rows) -> sp.csr_array:
    return sp.csr_array(np.array(rows, dtype=bool))


# ---------------------------------------------------------------- hand-made optima

# Rows 0-5, candidates 0-3. Candidate 3 alone covers the heavy rows 4-5; 0 and 1 overlap on row 1.
HAND = _M(
    [
        [1, 0, 0, 0],
        [1, 1, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 1],
    ]
)
HAND_W = np.array([1.0, 1.0, 2.0, 1.5, 4.0, 4.0])  # total 13.5


@pytest.mark.parametrize(
    ("p", "selected", "weight"),
    [(0, [], 0.0), (1, [3], 8.0), (2, [1, 3], 11.0), (3, [1, 2, 3], 12.5), (4, [0, 1, 2, 3], 13.5)],
)
def test_maximize_coverage_hand_made_optima(p, selected, weight):
    r = maximize_coverage(HAND, HAND_W, p)
    assert r.selected.tolist() == selected
    assert r.covered_weight == weight
    assert r.status == "optimal"
    assert r.gap == 0.0 or r.gap <= 1e-4
    assert r.bound >= weight - 1e-9
    assert r.total_weight == 13.5


def test_minimize_sites_hand_made_lscp():
    r = minimize_sites(HAND, HAND_W, 1.0)
    # rows 0 and 2 force candidates 0 and 1; row 3 forces 2; row 5 forces 3
    assert r.selected.tolist() == [0, 1, 2, 3]
    assert r.objective == 4.0 and r.status == "optimal"


def test_minimize_sites_partial_and_costs():
    # 8 of 13.5 = candidate 3 alone; with candidate 3 made expensive, {1, 2} (8.5) is cheapest
    r = minimize_sites(HAND, HAND_W, 8 / 13.5)
    assert r.selected.tolist() == [3] and r.objective == 1.0
    cost = np.array([1.0, 1.0, 1.0, 10.0])
    r = minimize_sites(HAND, HAND_W, 8 / 13.5, cost=cost)
    assert r.selected.tolist() == [1, 2]
    assert r.objective == brute_min(HAND.toarray(), HAND_W, 8 / 13.5, cost=cost) == 2.0
    assert r.covered_weight >= 8.0


def test_budget_limits_cost():
    cost = np.array([1.0, 1.0, 1.0, 5.0])
    r = maximize_coverage(HAND, HAND_W, None, cost=cost, budget=3.0)
    assert r.cost <= 3.0
    assert r.covered_weight == brute_max(HAND.toarray(), HAND_W, None, cost=cost, budget=3.0) == 9.5


def test_fixed_counts_coverage_not_p():
    # fixed site 3 covers rows 4-5; p counts NEW sites beyond it
    r = maximize_coverage(HAND, HAND_W, 1, fixed=[3])
    assert r.selected.tolist() == [1, 3] and r.new.tolist() == [1]
    assert r.covered_weight == 11.0
    assert r.cost == 1.0  # fixed sites cost nothing
    # count_fixed=True: p is the total
    r2 = maximize_coverage(HAND, HAND_W, 2, fixed=[3], count_fixed=True)
    assert r2.selected.tolist() == [1, 3]
    with pytest.raises(InfeasibleError, match="fewer than the 1 fixed"):
        maximize_coverage(HAND, HAND_W, 0, fixed=[3], count_fixed=True)


def test_fixed_as_mask_and_minimize_with_fixed():
    mask = np.array([False, False, False, True])
    r = minimize_sites(HAND, HAND_W, 11 / 13.5, fixed=mask)
    assert r.selected.tolist() == [1, 3] and r.objective == 1.0


def test_conflicts_forbid_pairs():
    # 1 and 3 may not both be built: the best pair becomes {0, 3}
    pairs = [(1, 3)]
    r = maximize_coverage(HAND, HAND_W, 2, conflicts=pairs)
    assert not {1, 3} <= set(r.selected.tolist())
    assert r.covered_weight == brute_max(HAND.toarray(), HAND_W, 2, pairs=pairs) == 10.0


def test_conflict_with_fixed_excludes_candidate():
    r = maximize_coverage(HAND, HAND_W, 1, fixed=[3], conflicts=np.array([[1, 3]]))
    assert 1 not in r.selected
    assert r.selected.tolist() == [0, 3] and r.covered_weight == 10.0  # 0 adds 2.0, 2 only 1.5


def test_fixed_pair_in_conflict_raises():
    with pytest.raises(InfeasibleError, match="fixed candidates 1 and 3 are in conflict"):
        maximize_coverage(HAND, HAND_W, 1, fixed=[1, 3], conflicts=[(3, 1)])


def test_lscp_infeasible_under_conflicts():
    # rows 0 and 2 force candidates 0 and 1 to both be built
    with pytest.raises(InfeasibleError, match="conflicts"):
        minimize_sites(HAND, HAND_W, 1.0, conflicts=[(0, 1)])


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"w": np.array([1.0, -1.0, 1.0, 1.0, 1.0, 1.0])}, ValueError, "row 1 has negative weight"),
        ({"w": np.ones(5)}, ValueError, r"shape \(5,\), expected \(6,\)"),
        ({"w": np.array([1.0, np.nan, 1, 1, 1, 1])}, ValueError, "row 1 is not finite"),
        ({"cost": np.ones(3)}, ValueError, r"cost: shape \(3,\), expected \(4,\)"),
        ({"cost": np.array([1.0, -2.0, 1.0, 1.0])}, ValueError, "candidate 1 has cost -2"),
        ({"fixed": [4]}, ValueError, "index 4 outside 0..3"),
        ({"conflicts": [(0, 0)]}, ValueError, "pairs a candidate with itself"),
        ({"conflicts": [(0, 9)]}, ValueError, "outside 0..3"),
        ({"conflicts": [0, 1, 2]}, ValueError, r"expected \(k, 2\)"),
        ({"p": -1}, ValueError, "non-negative integer"),
        ({"p": None}, ValueError, "give p"),
        ({"budget": -1.0}, ValueError, "budget"),
        ({"method": "exact"}, ValueError, "invalid method 'exact'"),
        ({"time_limit_s": 0}, ValueError, "time_limit_s"),
    ],
)
def test_maximize_coverage_rejects_bad_input(kwargs, exc, match):
    args = {"A": HAND, "w": HAND_W, "p": 2}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        maximize_coverage(**args)


@pytest.mark.parametrize("frac", [-0.1, 1.5, float("nan")])
def test_minimize_sites_rejects_bad_fraction(frac):
    with pytest.raises(ValueError, match="target_fraction"):
        minimize_sites(HAND, HAND_W, frac)


def test_unreachable_target_raises_with_reachable_share():
    A = _M([[1, 0], [0, 1], [0, 0]])  # row 2 is covered by nobody
    with pytest.raises(InfeasibleError, match=r"unreachable.*cover 0\.666667"):
        minimize_sites(A, np.ones(3), 0.9)
    r = minimize_sites(A, np.ones(3), 2 / 3)
    assert r.objective == 2.0


def test_max_sites_cap():
    with pytest.raises(InfeasibleError):
        minimize_sites(HAND, HAND_W, 1.0, max_sites=3)
    # without the cap {0, 1, 2} (cost 3, 9.5) is too little, so 11 needs 3; with 2 sites only {1, 3} reaches it
    r = minimize_sites(HAND, HAND_W, 11 / 13.5, cost=np.array([1.0, 1.0, 1.0, 10.0]), max_sites=2)
    assert r.selected.tolist() == [1, 3] and r.objective == 11.0


def test_zero_weight_rows_need_no_cover():
    w = HAND_W.copy()
    w[0] = 0.0  # row 0 (only candidate 0) no longer matters
    r = minimize_sites(HAND, w, 1.0)
    assert r.selected.tolist() == [1, 2, 3]


def test_identical_rows_are_merged_without_changing_the_answer():
    rng = np.random.default_rng(3)
    base = rng.random((30, 8)) < 0.3
    A = np.repeat(base, 5, axis=0)  # every row 5 times
    w = rng.random(150)
    r = maximize_coverage(sp.csr_array(A), w, 3)
    assert r.info["rows_model"] <= 30
    assert r.covered_weight == pytest.approx(brute_max(A, w, 3))


def test_accepts_dense_and_sparse_matrix_types():
    a = maximize_coverage(HAND.toarray(), HAND_W, 2)
    b = maximize_coverage(sp.csc_matrix(HAND.toarray()), HAND_W, 2)
    assert a.selected.tolist() == b.selected.tolist() == [1, 3]


# ---------------------------------------------------------------- brute force on random tiny instances


def _random_instance(seed, m=10, n=7, density=0.3):
    rng = np.random.default_rng(seed)
    A = rng.random((m, n)) < density
    w = rng.integers(0, 6, m).astype(float)
    cost = rng.integers(1, 5, n).astype(float)
    return rng, A, w, cost


@pytest.mark.parametrize("seed", range(12))
def test_milp_matches_brute_force(seed):
    rng, A, w, cost = _random_instance(seed)
    n = A.shape[1]
    p = int(rng.integers(1, 4))
    fixed = [int(rng.integers(n))] if seed % 3 == 0 else []
    pairs = [tuple(int(v) for v in rng.choice(n, 2, replace=False)) for _ in range(seed % 4)]
    pairs = [(i, j) for i, j in pairs if not (i in fixed and j in fixed)]
    r = maximize_coverage(
        sp.csr_array(A), w, p, fixed=fixed, conflicts=pairs or None, mip_rel_gap=0.0
    )
    assert r.status == "optimal"
    assert r.covered_weight == pytest.approx(brute_max(A, w, p, fixed=fixed, pairs=pairs))
    budget = float(cost.sum() / 3)
    r = maximize_coverage(sp.csr_array(A), w, None, cost=cost, budget=budget, mip_rel_gap=0.0)
    assert r.covered_weight == pytest.approx(brute_max(A, w, None, cost=cost, budget=budget))
    frac = float(rng.choice([0.5, 0.8, 1.0]))
    best = brute_min(A, w, frac, cost=cost, fixed=fixed, pairs=pairs)
    if np.isfinite(best):
        r = minimize_sites(
            sp.csr_array(A),
            w,
            frac,
            cost=cost,
            fixed=fixed,
            conflicts=pairs or None,
            mip_rel_gap=0.0,
        )
        assert r.objective == pytest.approx(best)
        assert r.covered_weight >= frac * w.sum() - 1e-9
    else:
        with pytest.raises(InfeasibleError):
            minimize_sites(
                sp.csr_array(A), w, frac, cost=cost, fixed=fixed, conflicts=pairs or None
            )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), p=st.integers(0, 5), frac=st.sampled_from([0.3, 0.6, 0.9, 1.0]))
def test_greedy_never_beats_optimum_and_bounds_hold(seed, p, frac):
    """Greedy <= proven optimum <= every reported upper bound; reversed for the min problem."""
    _, A, w, cost = _random_instance(seed, m=9, n=6)
    opt = brute_max(A, w, p)
    g = maximize_coverage(sp.csr_array(A), w, p, method="greedy")
    e = maximize_coverage(sp.csr_array(A), w, p, mip_rel_gap=0.0)
    assert g.covered_weight <= opt + 1e-9
    assert e.covered_weight == pytest.approx(opt)
    assert g.bound >= opt - 1e-9 and e.bound >= opt - 1e-9
    assert coverage_upper_bound(sp.csr_array(A), w, p) >= opt - 1e-9
    _, gains = greedy_max_coverage(sp.csr_array(A), w, p)
    assert gains.sum() <= opt + 1e-9
    best = brute_min(A, w, frac, cost=cost)
    if np.isfinite(best):
        gm = minimize_sites(sp.csr_array(A), w, frac, cost=cost, method="greedy")
        em = minimize_sites(sp.csr_array(A), w, frac, cost=cost, mip_rel_gap=0.0)
        assert gm.objective >= best - 1e-9
        assert em.objective == pytest.approx(best)
        assert gm.bound <= best + 1e-9 and em.bound <= best + 1e-9
        assert cover_cost_lower_bound(sp.csr_array(A), w, frac * w.sum(), cost=cost) <= best + 1e-9


def test_greedy_helpers_on_hand_matrix():
    order, gains = greedy_max_coverage(HAND, HAND_W, 4)
    assert order.tolist() == [3, 1, 2, 0] and gains.tolist() == [8.0, 3.0, 1.5, 1.0]
    order, gains = greedy_order(HAND, HAND_W, [0, 1, 2])
    assert order.tolist() == [2, 1, 0] and gains.tolist() == [5.5, 3.0, 1.0]
    covered = np.array([False, False, False, False, True, True])  # as if candidate 3 were built
    order, gains = greedy_order(HAND, HAND_W, [0, 1, 2], covered=covered)
    assert order.tolist() == [1, 2, 0] and gains.tolist() == [3.0, 1.5, 1.0]
    sel, reached = greedy_partial_cover(HAND, HAND_W, 13.0)
    assert reached and set(sel.tolist()) == {0, 1, 2, 3}


# ---------------------------------------------------------------- larger instances: determinism, time limit


def _spatial(seed, n_cells=900, n_cand=120, r=0.09):
    rng = np.random.default_rng(seed)
    g = (np.arange(30) + 0.5) / 30
    cells = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)[:n_cells]
    cand = rng.random((n_cand, 2))
    d = np.hypot(*(cells[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    A = sp.csr_array(d <= r * rng.uniform(0.7, 1.3, n_cand))
    return A, rng.uniform(0.5, 2.0, len(cells)), rng.choice([1.0, 2.0, 3.0], n_cand)


def test_same_result_twice():
    A, w, cost = _spatial(5)
    a = maximize_coverage(A, w, 12)
    b = maximize_coverage(A, w, 12)
    assert a.status == b.status == "optimal"
    assert a.selected.tolist() == b.selected.tolist() and a.covered_weight == b.covered_weight
    c = minimize_sites(A, w, 0.8, cost=cost)
    d = minimize_sites(A, w, 0.8, cost=cost)
    assert c.selected.tolist() == d.selected.tolist() and c.objective == d.objective


def test_milp_at_least_as_good_as_greedy_with_honest_status():
    A, w, _ = _spatial(7)
    g = maximize_coverage(A, w, 10, method="greedy")
    e = maximize_coverage(A, w, 10)
    assert e.covered_weight >= g.covered_weight - 1e-9
    assert e.status == "optimal" and e.gap <= 1e-4
    assert g.status in ("greedy_only", "optimal")
    assert g.bound >= e.covered_weight - 1e-9  # Lagrangian bound is a true upper bound
    assert e.method.startswith("greedy+ils")  # proven by the bound, or by the MILP after it


def test_large_model_path_lp_bound_beside_the_search(monkeypatch):
    """The district-scale path (interior-point LP bound beside the local search, then the fed MILP)."""
    from siteplan.optimize import solvers

    A, w, _ = _spatial(11, n_cand=150)
    exact = maximize_coverage(A, w, 12, mip_rel_gap=0.0)
    monkeypatch.setattr(solvers, "_LP_NNZ", 0)
    r = maximize_coverage(A, w, 12, time_limit_s=30.0, mip_rel_gap=0.0)
    assert "lp_bound" in r.info and r.info["lp_bound"] >= exact.covered_weight - 1e-9
    assert r.covered_weight <= exact.covered_weight + 1e-9
    assert r.bound >= exact.covered_weight - 1e-9
    assert r.status in ("optimal", "time_limit")
    assert r.gap == pytest.approx((r.bound - r.covered_weight) / r.covered_weight)
    g = maximize_coverage(A, w, 12, method="greedy")
    assert r.covered_weight >= g.covered_weight - 1e-9
