"""Lagrangian relaxation of partial set cover: bounds never above the optimum, heuristics feasible,
reduced-cost fixing never cuts off a cheaper solution, and the district-scale path of `minimize_sites`."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteplan.optimize import minimize_sites
from siteplan.optimize.greedy import prune_redundant
from siteplan.optimize.lagrange import (
    cost_granularity,
    cover_lagrangian,
    cover_subgradient,
    lagrangian_cover_heuristic,
    round_up_to,
)


def _instance(seed, m=9, n=7, density=0.35):
    rng = np.random.default_rng(seed)
    A = rng.random((m, n)) < density
    A[np.arange(m), rng.integers(0, n, m)] = True  # every row coverable
    w = rng.integers(1, 6, m).astype(float)
    cost = rng.integers(1, 5, n).astype(float)
    return rng, A, w, cost


def _all_covers(A, w, cost, need):
    """(cost, subset) of every column subset covering >= need weight (brute force, n <= 8)."""
    n = A.shape[1]
    out = []
    for k in range(n + 1):
        for S in itertools.combinations(range(n), k):
            cov = A[:, list(S)].any(axis=1) if S else np.zeros(len(w), bool)
            if w[cov].sum() >= need - 1e-9:
                out.append((float(cost[list(S)].sum()), set(S)))
    return out


FRACS = st.sampled_from([0.4, 0.7, 0.9, 1.0])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), frac=FRACS, scale=st.floats(0.0, 3.0))
def test_lagrangian_bound_never_exceeds_optimum(seed, frac, scale):
    """L(u) <= optimum for ANY u >= 0 (random, or from subgradient ascent): the bound is certified."""
    rng, A, w, cost = _instance(seed)
    need = frac * w.sum()
    full = frac == 1.0
    opt = min(c for c, _ in _all_covers(A, w, cost, need))
    csc = sp.csc_array(A.astype(float))
    u = rng.random(len(w)) * scale
    L, rc, y = cover_lagrangian(csc, w, need, cost, u, full=full)
    assert L <= opt + 1e-9
    assert np.allclose(rc, cost - A.T.astype(float) @ u)
    assert w @ y >= need - 1e-9 and np.all((y >= 0) & (y <= 1))
    Ls, us = cover_subgradient(csc, w, need, cost, full=full, upper=opt * 1.2 + 1, iters=60)
    assert np.all(us >= 0)
    assert Ls <= opt + 1e-9
    # the reported L is the exact value at the returned multipliers
    assert cover_lagrangian(csc, w, need, cost, us, full=full)[0] == pytest.approx(Ls)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), frac=FRACS, scale=st.floats(0.0, 3.0))
def test_lagrangian_heuristic_is_feasible_and_fixing_keeps_cheaper_covers(seed, frac, scale):
    rng, A, w, cost = _instance(seed)
    need = frac * w.sum()
    full = frac == 1.0
    csc = sp.csc_array(A.astype(float))
    u = rng.random(len(w)) * scale
    order = lagrangian_cover_heuristic(csc, w, need, cost, u)
    assert order is not None  # every row is coverable, so the target always is
    sel = prune_redundant(csc, w, order, need - 1e-9, cost=cost)
    assert w[A[:, sel].any(axis=1)].sum() >= need - 1e-9
    assert len(set(order.tolist())) == len(order)
    covers = _all_covers(A, w, cost, need)
    assert float(cost[sel].sum()) >= min(c for c, _ in covers) - 1e-9
    # reduced-cost fixing at upper = the heuristic's cost: every cover cheaper than that keeps
    # x_j = [rc_j < 0] on the columns with L + |rc_j| > upper
    L, rc, _ = cover_lagrangian(csc, w, need, cost, u, full=full)
    upper = float(cost[sel].sum())
    fixed = np.flatnonzero(L + np.abs(rc) > upper + 1e-9)
    for c, S in covers:
        if c < upper - 1e-9:
            for j in fixed:
                assert (j in S) == (rc[j] < 0)


def test_heuristic_returns_none_when_target_unreachable():
    A = sp.csc_array(np.array([[1, 0], [0, 0]], dtype=float))
    assert lagrangian_cover_heuristic(A, np.ones(2), 2.0, np.ones(2), np.zeros(2)) is None
    allowed = np.array([False, True])
    assert (
        lagrangian_cover_heuristic(A, np.ones(2), 1.0, np.ones(2), np.zeros(2), allowed=allowed)
        is None
    )


def test_lagrangian_at_lp_duals_of_textbook_cover():
    # triangle: 3 rows, 3 columns each covering 2 rows; LP optimum 1.5 (x = 1/2), duals u = 1/2
    A = sp.csc_array(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=float))
    L, rc, _ = cover_lagrangian(A, np.ones(3), 3.0, np.ones(3), np.full(3, 0.5), full=True)
    assert L == pytest.approx(1.5) and np.allclose(rc, 0.0)
    assert round_up_to(L, cost_granularity(np.ones(3))) == 2.0  # = the integer optimum


@pytest.mark.parametrize(
    ("cost", "gran"),
    [
        ([80_000.0, 120_000.0, 200_000.0, 350_000.0], 10_000.0),
        ([1.0, 1.0, 2.0], 1.0),
        ([0.0, 3.0, 6.0], 3.0),
        ([1.5, 3.0], 0.0),  # not integer-valued: no rounding
        ([0.0, 0.0], 0.0),
    ],
)
def test_cost_granularity(cost, gran):
    assert cost_granularity(np.array(cost)) == gran


def test_round_up_to():
    assert round_up_to(177.67, 1.0) == 178.0
    assert round_up_to(178.0 + 1e-12, 1.0) == 178.0  # rounding noise does not cost a unit
    assert round_up_to(12_654_174.8, 10_000.0) == 12_660_000.0
    assert round_up_to(5.5, 0.0) == 5.5


# ---------------------------------------------------------------- the district-scale path, forced on a small model


def _spatial(seed, n_cells=900, n_cand=120, r=0.09):
    rng = np.random.default_rng(seed)
    g = (np.arange(30) + 0.5) / 30
    cells = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)[:n_cells]
    cand = rng.random((n_cand, 2))
    d = np.hypot(*(cells[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    A = sp.csr_array(d <= r * rng.uniform(0.7, 1.3, n_cand))
    return A, rng.uniform(0.5, 2.0, len(cells)), rng.choice([1.0, 2.0, 3.0], n_cand)


@pytest.mark.parametrize(("frac", "costed"), [(1.0, False), (0.9, True)])
def test_large_model_path_bound_and_lns(monkeypatch, frac, costed):
    """LP-duals Lagrangian bound + Lagrangian greedy + local search + fixed-model MILP, against the exact MILP."""
    from siteplan.optimize import solvers

    A, w, cost = _spatial(4)
    cov = np.diff(A.indptr) > 0
    A, w = A[cov], w[cov]
    cost = cost if costed else None
    exact = minimize_sites(A, w, frac, cost=cost, mip_rel_gap=0.0)
    assert exact.status == "optimal"
    monkeypatch.setattr(solvers, "_LP_NNZ", 0)
    runs = [
        minimize_sites(A, w, frac, cost=cost, time_limit_s=30.0, mip_rel_gap=0.0) for _ in range(2)
    ]
    r = runs[0]
    assert "lagrangian_bound" in r.info
    assert r.info["lagrangian_bound"] <= exact.objective + 1e-9
    assert r.bound <= exact.objective + 1e-9 <= r.objective + 2e-9
    assert r.covered_weight >= frac * w.sum() * (1 - 1e-9)
    assert r.status in ("optimal", "time_limit")
    if r.status == "optimal":
        assert r.objective == pytest.approx(exact.objective)
        # ended by proof: the same answer every time
        assert runs[1].selected.tolist() == r.selected.tolist()
    g = minimize_sites(A, w, frac, cost=cost, method="greedy")
    assert r.objective <= g.objective + 1e-9


def test_large_model_path_closing_milp_on_fixed_model(monkeypatch):
    """From the greedy alone (no local search rounds) the reduced-cost-fixed MILP closes the gap exactly."""
    from siteplan.optimize import solvers

    A, w, cost = _spatial(4)
    cov = np.diff(A.indptr) > 0
    A, w = A[cov], w[cov]
    exact = minimize_sites(A, w, 0.9, cost=cost, mip_rel_gap=0.0)
    monkeypatch.setattr(solvers, "_LP_NNZ", 0)
    monkeypatch.setattr(solvers, "_FIRST_MIN", 0)
    monkeypatch.setattr(solvers, "_FIRST_PER_COL", 0.0)
    monkeypatch.setattr(solvers, "_PATIENCE", 0)
    r = minimize_sites(A, w, 0.9, cost=cost, time_limit_s=30.0, mip_rel_gap=0.0)
    assert "+milp:highs" in r.method and r.info["fixed_by_reduced_cost"] > 0
    assert r.status == "optimal" and r.objective == pytest.approx(exact.objective)
    assert r.bound <= exact.objective + 1e-9
