"""Phased rollout over arrays: nesting, cumulative targets, build order, coverage targets."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from siteplan.optimize import fewest_sites_for, maximize_coverage, minimize_sites, plan_rollout


def _spatial(seed, n_cand=60, r=0.12):
    rng = np.random.default_rng(seed)
    g = (np.arange(25) + 0.5) / 25
    cells = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    cand = rng.random((n_cand, 2))
    d = np.hypot(*(cells[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    A = sp.csr_array(d <= r * rng.uniform(0.7, 1.3, n_cand))
    return A, rng.uniform(0.5, 2.0, len(cells)), rng.choice([1.0, 2.0, 3.0], n_cand)


def test_phases_are_nested_and_meet_cumulative_counts():
    A, w, cost = _spatial(1)
    fixed = [0, 1, 2]
    plan = plan_rollout(
        A, w, cost, fixed=fixed, phases=[("2020", 8), ("2022", 15)], count_fixed=True
    )
    p1, p2 = plan.phases
    assert len(p1.new_sites) == 8 - 3 and p1.n_sites == 8
    assert len(p2.new_sites) == 15 - 8 and p2.n_sites == 15
    assert not set(p1.new_sites) & set(p2.new_sites) and not set(p1.new_sites) & set(fixed)
    assert set(p1.result.selected) <= set(p2.result.selected)  # nested: phase 2 keeps phase 1
    assert plan.fixed_weight <= p1.covered_weight <= p2.covered_weight
    assert p1.rank.tolist() == [1, 2, 3, 4, 5]
    # build order: marginal gains never increase within a phase (greedy order of a coverage function)
    for ph in plan.phases:
        assert np.all(np.diff(ph.marginal_gain) <= 1e-9)
        # gains add up to the phase's coverage increase
    assert p1.marginal_gain.sum() == pytest.approx(p1.covered_weight - plan.fixed_weight)
    assert p2.marginal_gain.sum() == pytest.approx(p2.covered_weight - p1.covered_weight)
    t = plan.table()
    assert t["site"].tolist() == p1.new_sites.tolist() + p2.new_sites.tolist()
    assert t["phase"].tolist() == ["2020"] * 5 + ["2022"] * 7


def test_count_fixed_false_counts_new_sites_only():
    A, w, _ = _spatial(2)
    plan = plan_rollout(A, w, None, fixed=[0, 1], phases=[("a", 4), ("b", 6)], count_fixed=False)
    assert [len(ph.new_sites) for ph in plan.phases] == [4, 2]
    assert plan.phases[-1].n_sites == 8


def test_first_phase_equals_single_mclp():
    A, w, _ = _spatial(3)
    plan = plan_rollout(A, w, None, fixed=None, phases=[("only", 6)], mip_rel_gap=0.0)
    direct = maximize_coverage(A, w, 6, mip_rel_gap=0.0)
    assert plan.phases[0].covered_weight == pytest.approx(direct.covered_weight)


def test_prefer_cheap_keeps_coverage_and_lowers_cost():
    A, w, cost = _spatial(4)
    cheap = plan_rollout(A, w, cost, phases=[("x", 6)], prefer_cheap=True, mip_rel_gap=0.0)
    plain = plan_rollout(A, w, cost, phases=[("x", 6)], prefer_cheap=False, mip_rel_gap=0.0)
    assert cheap.phases[0].covered_weight >= plain.phases[0].covered_weight - 1e-9
    assert cheap.phases[0].cost <= plain.phases[0].cost + 1e-9


def test_coverage_target_met_with_fewer_sites_or_explained():
    A, w, _ = _spatial(5)
    plan = plan_rollout(
        A, w, None, phases=[("easy", 30, 0.5), ("hard", 32, 0.999)], count_fixed=False
    )
    easy, hard = plan.phases
    assert easy.met and easy.coverage_fraction >= 0.5 - 1e-9
    assert len(easy.new_sites) == fewest_sites_for(A, w, 0.5).objective  # fewest sites, not all 30
    assert hard.met is False and "not reached" in hard.note
    assert hard.n_sites <= 32


def test_fewest_sites_for_is_unit_cost_minimize():
    A, w, _ = _spatial(6)
    r = fewest_sites_for(A, w, 0.7, fixed=[3])
    assert r.objective == len(r.new) == minimize_sites(A, w, 0.7, fixed=[3]).objective
    assert r.coverage_fraction >= 0.7 - 1e-9 and 3 in r.selected


def test_existing_sites_above_target_are_reported():
    A, w, _ = _spatial(7)
    plan = plan_rollout(A, w, None, fixed=[0, 1, 2, 3], phases=[("p", 2)], count_fixed=True)
    assert len(plan.phases[0].new_sites) == 0 and "already exceed" in plan.phases[0].note


@pytest.mark.parametrize(
    ("phases", "match"),
    [
        ([("a", 5), ("b", 3)], "targets are cumulative"),
        ([("a", -1)], "non-negative"),
        ([("a",)], "expected"),
        ([("a", 3, 1.5)], "coverage_fraction"),
    ],
)
def test_bad_phases_raise(phases, match):
    A, w, _ = _spatial(8)
    with pytest.raises(ValueError, match=match):
        plan_rollout(A, w, None, phases=phases)
