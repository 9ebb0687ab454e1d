"""Anytime solves (issue 15): default time limits, time-limited status and gap, the same proven answer
on one core or two, and the progress line only on a terminal."""

from __future__ import annotations

import inspect
import time

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial import cKDTree

from siteplan.optimize import (
    DEFAULT_TIME_LIMIT_S,
    fewest_sites_for,
    maximize_coverage,
    minimize_sites,
    plan_rollout,
)


def _lattice(k: int, n_cand: int, radius: float, seed: int = 0):
    """Unit-weight k x k lattice, candidates at random points covering a disc: a hard MCLP."""
    rng = np.random.default_rng(seed)
    g = np.arange(k) + 0.5
    cells = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    cand = rng.random((n_cand, 2)) * k
    hits = cKDTree(cells).query_ball_point(cand, radius)
    rows = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
    cols = np.repeat(np.arange(n_cand), [len(h) for h in hits])
    A = sp.csr_array((np.ones(len(rows), bool), (rows, cols)), shape=(len(cells), n_cand))
    return A, np.ones(len(cells))


@pytest.mark.parametrize("fn", [maximize_coverage, minimize_sites, fewest_sites_for, plan_rollout])
def test_every_public_solve_has_a_default_time_limit(fn):
    default = inspect.signature(fn).parameters["time_limit_s"].default
    assert default == DEFAULT_TIME_LIMIT_S == 60.0


def test_time_limited_solve_reports_time_limit_with_a_valid_gap():
    # 1,600 cells x 200 candidates at ~90 % coverage (benchmarks/bench_optimize.py's uni90-1.6k, whose
    # proven optimum is 1,448): a plain MILP needs about half a minute
    A, w = _lattice(40, 200, 5.0)
    t0 = time.perf_counter()
    r = maximize_coverage(A, w, 22, time_limit_s=1.0)
    wall = time.perf_counter() - t0
    assert (
        wall < 1.0 + 3.0
    )  # the contract: the limit plus a few seconds (generous: a loaded CI box)
    assert r.status == "time_limit"
    assert r.bound >= 1448 >= r.objective > 0.97 * 1448  # a valid bound; the search is close
    assert r.gap == pytest.approx((r.bound - r.objective) / r.objective)
    assert r.gap > 0
    assert r.covered_weight == float(w[np.asarray(A[:, r.selected].sum(axis=1)).ravel() > 0].sum())
    assert len(r.selected) <= 22


def test_time_limited_cover_reports_time_limit_with_a_valid_gap():
    A, w = _lattice(40, 200, 5.0)
    t0 = time.perf_counter()
    r = minimize_sites(A, w, 0.97, time_limit_s=1.0)
    assert time.perf_counter() - t0 < 1.0 + 3.0
    assert r.status in ("time_limit", "optimal")
    assert r.bound <= r.objective and r.covered_weight >= 0.97 * w.sum() - 1e-9
    if r.status == "time_limit":
        assert r.gap == pytest.approx((r.objective - r.bound) / r.objective)


def test_proven_answer_is_the_same_on_one_core_or_two():
    # MILP with the search fed in at HiGHS's queries; the proof makes it reproducible
    A, w = _lattice(24, 70, 3.5, seed=1)
    runs = [maximize_coverage(A, w, 9, threads=t, mip_rel_gap=0.0) for t in (1, 2, 2)]
    assert all(r.status == "optimal" for r in runs)
    assert "milp" in runs[0].method
    assert runs[0].selected.tolist() == runs[1].selected.tolist() == runs[2].selected.tolist()
    cov = [minimize_sites(A, w, 0.9, threads=t, mip_rel_gap=0.0) for t in (1, 2)]
    assert cov[0].status == cov[1].status == "optimal"
    assert cov[0].selected.tolist() == cov[1].selected.tolist()


def test_integer_weights_prove_by_rounding_the_bound():
    A, w = _lattice(20, 40, 3.0, seed=2)
    r = maximize_coverage(A, w, 6, mip_rel_gap=0.0)
    assert r.status == "optimal" and r.bound == r.objective  # bound floored to the integer optimum
    assert r.info["weight_granularity"] == 1.0


def test_progress_line_only_when_asked_or_on_a_terminal(capsys, monkeypatch):
    A, w = _lattice(20, 40, 3.0, seed=2)
    monkeypatch.delenv("SITEPLAN_PROGRESS", raising=False)
    maximize_coverage(A, w, 6)  # stderr is captured, not a terminal: quiet
    assert capsys.readouterr().err == ""
    maximize_coverage(A, w, 6, progress=True)
    err = capsys.readouterr().err
    assert "maximize_coverage: incumbent" in err and "bound" in err and "gap" in err
    monkeypatch.setenv("SITEPLAN_PROGRESS", "0")
    maximize_coverage(A, w, 6)
    assert capsys.readouterr().err == ""
    seen = []
    r = maximize_coverage(A, w, 6, progress=lambda t, inc, bound: seen.append((t, inc, bound)))
    assert capsys.readouterr().err == ""
    assert seen and seen[-1][1] == r.objective
    assert all(b >= r.objective - 1e-9 for _, _, b in seen)  # every bound shown was valid


def test_bad_threads_raise():
    A, w = _lattice(10, 10, 2.0)
    with pytest.raises(ValueError, match="threads"):
        maximize_coverage(A, w, 2, threads=0)


# --- a deterministic work limit: the same answer on any load (the main job's reproducibility) ---------


def _busy(stop):
    """A CPU hog in another process (the GIL would not let a thread compete with HiGHS)."""
    import multiprocessing as mp

    procs = [mp.get_context("spawn").Process(target=_spin, args=(stop,), daemon=True) for _ in range(2)]
    for p in procs:
        p.start()
    return procs


def _spin(stop):  # pragma: no cover - runs in a child process
    x = 0
    while not stop.is_set():
        x += 1


def _key(r):
    return (r.selected.tolist(), r.objective, r.bound, r.status)


@pytest.mark.parametrize("sense", ["max", "min"])
def test_work_limited_solve_is_the_same_on_any_load_and_core_count(sense):
    import multiprocessing as mp

    # the hard 1,600 x 200 lattice: not proven within the work limit, so the limit ends it
    A, w = _lattice(40, 200, 5.0)

    def solve(threads):
        if sense == "max":
            return maximize_coverage(A, w, 22, work_limit=300, threads=threads, mip_rel_gap=0.0)
        return minimize_sites(A, w, 0.97, work_limit=300, threads=threads, mip_rel_gap=0.0)

    quiet = [solve(t) for t in (1, 2, 2)]
    stop = mp.get_context("spawn").Event()
    procs = _busy(stop)
    try:
        loaded = [solve(t) for t in (2, 1)]
    finally:
        stop.set()
        for p in procs:
            p.join(5)
    runs = quiet + loaded
    assert all(_key(r) == _key(runs[0]) for r in runs), [_key(r)[1:] for r in runs]
    r = runs[0]
    assert r.status == "work_limit" and r.gap > 0  # unproven: the work limit ended it
    assert r.info["work_limit"] == 300 and r.info["search_rounds_asked"] <= 300


def test_work_limited_solve_ends_by_work_not_time():
    A, w = _lattice(40, 200, 5.0)
    r = maximize_coverage(A, w, 22, work_limit=200, time_limit_s=60.0, mip_rel_gap=0.0)
    assert r.status == "work_limit" and r.time_s < 30.0
    assert r.bound >= 1448 >= r.objective > 0.95 * 1448  # the proven optimum of this model
    # the safety net still cuts a solve it reaches first, and says so
    r = maximize_coverage(A, w, 22, work_limit=10**9, time_limit_s=0.5, mip_rel_gap=0.0)
    assert r.status == "time_limit"


def test_work_limited_proof_is_optimal_and_bad_work_limits_raise():
    A, w = _lattice(24, 70, 3.5, seed=1)
    r = maximize_coverage(A, w, 9, work_limit=2000, mip_rel_gap=0.0)
    assert r.status == "optimal"
    assert r.selected.tolist() == maximize_coverage(A, w, 9, mip_rel_gap=0.0).selected.tolist()
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="work_limit"):
            maximize_coverage(A, w, 9, work_limit=bad)
        with pytest.raises(ValueError, match="work_limit"):
            minimize_sites(A, w, 0.9, work_limit=bad)


@pytest.mark.parametrize("fn", [maximize_coverage, minimize_sites, fewest_sites_for, plan_rollout])
def test_every_public_solve_takes_a_work_limit_off_by_default(fn):
    assert inspect.signature(fn).parameters["work_limit"].default is None


def test_work_limited_rollout_is_reproducible():
    A, w = _lattice(30, 120, 4.0, seed=3)
    cost = np.random.default_rng(3).integers(1, 4, A.shape[1]).astype(float)
    plans = [
        plan_rollout(A, w, cost, phases=[("a", 8, 0.6), ("b", 16)], work_limit=150, threads=t)
        for t in (1, 2)
    ]
    for a, b in zip(plans[0].phases, plans[1].phases):
        assert a.new_sites.tolist() == b.new_sites.tolist()
        assert a.result.status == b.result.status and a.result.status in ("optimal", "work_limit")


# --------------------------------------------------------------- HiGHS stopped before a long stretch


def test_limit_clock_stops_before_a_stretch_that_would_overrun():
    from siteplan.optimize.highs import LimitClock

    c = LimitClock(deadline=100.0)
    assert not c.check(0.0)  # nothing measured yet
    assert not c.check(10.0)  # longest 10 s: 10 + 10 <= 100
    assert not c.check(30.0)  # longest 20 s: 30 + 20 <= 100
    assert c.check(85.0)  # longest 55 s: another would end at 140, past 100
    assert c.stopped and c.check(86.0)  # once stopped, it stays stopped


def test_limit_clock_docstring_example():
    import doctest

    import siteplan.optimize.highs as highs

    assert doctest.testmod(highs).failed == 0


def test_limit_clock_ignores_our_own_callbacks_and_short_stretches():
    from siteplan.optimize.highs import LimitClock

    c = LimitClock(deadline=10.0)
    c.check(0.0)
    c.pause(8.0)  # e.g. waiting for the local search's checkpoint: not HiGHS's work
    assert not c.check(9.0)  # HiGHS's own stretch was 1 s: 9 + 1 is not past 10
    c = LimitClock(deadline=1.0)
    for t in np.arange(0.0, 0.99, 0.1):  # node-sized stretches never stop it early
        assert not c.check(float(t))


def test_milp_stopped_by_the_limit_clock_reports_time_limit_with_its_bound(monkeypatch):
    # The real HiGHS interrupt path: the clock says "stop" at HiGHS's second limit check
    import siteplan.optimize.highs as highs
    from siteplan.optimize.reduction import reduce_model, validate
    from siteplan.optimize.solvers import _max_model

    class StopSecond(highs.LimitClock):
        def check(self, now):
            self.calls = getattr(self, "calls", 0) + 1
            self.stopped = self.stopped or self.calls >= 2
            return self.stopped

    monkeypatch.setattr(highs, "LimitClock", StopSecond)
    A, w = _lattice(40, 200, 5.0)
    csr, w, cost, fixed, pairs = validate(A, w, None, None, None)
    red = reduce_model(csr, w, cost, fixed, pairs)
    out = highs.run_milp(
        _max_model(red, 22, None), warm=None, time_limit_s=60.0, mip_rel_gap=0.0, seed=0
    )
    assert out["status"] == "time_limit"
    assert out["highs_status"] == "Interrupted by user"
    assert out["dual_bound"] >= 1448  # the proven optimum of this model: the bound stays valid
    if out["x"] is not None:
        assert out["objective"] <= 1448


def test_large_milp_starts_only_with_time_for_its_root_and_one_cut_round():
    import time as _time

    from siteplan.optimize import solvers

    extra = {"phase_s": {"lp": 10.0}}  # the bound LP took 10 s: a large model
    big = solvers._IPM_ROOT_NNZ + 1
    k = solvers._ROUND_LP
    lim, start, stretch = solvers._milp_limit(extra, _time.perf_counter() + 60.0, big)
    assert not start  # 60 s < its own root LP (10 s) + one round (k x 10 s)
    lim, start, stretch = solvers._milp_limit(
        extra, _time.perf_counter() + (1 + k) * 10.0 + 5.0, big
    )
    assert start and stretch == k * 10.0 and lim > (1 + k) * 10.0
    # under a work limit the decision never looks at the clock; small models start right away
    assert solvers._milp_limit(extra, _time.perf_counter() + 1.0, big, work_limit=100)[1]
    assert solvers._milp_limit(extra, _time.perf_counter() + 1.0, 1_000)[1:] == (True, 0.0)
