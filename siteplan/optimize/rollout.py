"""Nested phased rollout over arrays: which new sites to build in each phase, and in what order.

Each phase keeps every site of the earlier phases (they are passed on as ``fixed``), so the plan is
a build order: phase 1's sites, then phase 2's additions, and so on. Phase site counts are
cumulative targets, as in ``district.toml`` (e.g. 150 sites by 2020, 773 by 2022).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from siteplan.errors import InfeasibleError
from siteplan.optimize.greedy import greedy_order
from siteplan.optimize.result import OptimizeResult
from siteplan.optimize.solvers import (
    DEFAULT_TIME_LIMIT_S,
    _validate,
    maximize_coverage,
    minimize_sites,
)

__all__ = ["PhasePlan", "RolloutPlan", "fewest_sites_for", "plan_rollout"]


@dataclass(frozen=True, eq=False)
class PhasePlan:
    """One phase of a rollout.

    Attributes
    ----------
    id : str
        Phase (target) id, e.g. ``"2020"``.
    target_sites : int
        Cumulative site target of the phase, as given.
    target_fraction : float or None
        Coverage share the phase aims for, if any [-].
    new_sites : int ndarray
        Candidate indices added in this phase, in build order (``rank`` 1 first).
    marginal_gain : float ndarray
        Weight each new site adds when built in that order after all earlier sites [weight units].
    covered_weight, total_weight : float
        Covered and total weight after the phase [weight units].
    cost : float
        Cost of this phase's new sites [cost units].
    n_sites : int
        All sites after the phase, fixed ones included.
    met : bool
        The phase reached its coverage share (when given) within its site count.
    note : str
        Why a target was not met, or how the phase was decided; empty when nothing to say.
    result : OptimizeResult
        The solve behind the phase (status, bound, gap).
    """

    id: str
    target_sites: int
    target_fraction: float | None
    new_sites: np.ndarray
    marginal_gain: np.ndarray
    covered_weight: float
    total_weight: float
    cost: float
    n_sites: int
    met: bool
    note: str
    result: OptimizeResult

    @property
    def rank(self) -> np.ndarray:
        """Build order of ``new_sites`` within the phase, 1-based."""
        return np.arange(1, len(self.new_sites) + 1)

    @property
    def coverage_fraction(self) -> float:
        """Covered share of the total weight after the phase [-]."""
        return self.covered_weight / self.total_weight if self.total_weight > 0 else 0.0


@dataclass(frozen=True, eq=False)
class RolloutPlan:
    """A nested rollout: the fixed sites, then each phase's additions in build order."""

    phases: tuple[PhasePlan, ...]
    fixed: np.ndarray
    fixed_weight: float
    total_weight: float
    count_fixed: bool
    time_s: float
    info: dict = field(default_factory=dict)

    def table(self) -> dict[str, np.ndarray]:
        """Flat columns, one entry per new site: ``site``, ``phase``, ``rank``, ``marginal_gain``."""
        if not self.phases:
            return {
                "site": np.empty(0, np.int64),
                "phase": np.empty(0, object),
                "rank": np.empty(0, np.int64),
                "marginal_gain": np.empty(0),
            }
        return {
            "site": np.concatenate([ph.new_sites for ph in self.phases]).astype(np.int64),
            "phase": np.concatenate(
                [np.full(len(ph.new_sites), ph.id, dtype=object) for ph in self.phases]
            ),
            "rank": np.concatenate([ph.rank for ph in self.phases]).astype(np.int64),
            "marginal_gain": np.concatenate([ph.marginal_gain for ph in self.phases]),
        }


def _phase_spec(ph) -> tuple[str, int, float | None]:
    if len(ph) == 2:
        pid, sites = ph
        frac = None
    elif len(ph) == 3:
        pid, sites, frac = ph
    else:
        raise ValueError(f"phase {ph!r}: expected (id, sites) or (id, sites, coverage_fraction)")
    if int(sites) != sites or sites < 0:
        raise ValueError(f"phase {pid!r}: sites = {sites!r}, expected a non-negative integer")
    if frac is not None and not (0 <= frac <= 1):
        raise ValueError(
            f"phase {pid!r}: coverage_fraction = {frac!r}, expected a share between 0 and 1"
        )
    return str(pid), int(sites), None if frac is None else float(frac)


def plan_rollout(
    A,
    w,
    cost=None,
    *,
    fixed=None,
    phases,
    conflicts=None,
    time_limit_s: float | None = DEFAULT_TIME_LIMIT_S,
    count_fixed: bool = True,
    prefer_cheap: bool = True,
    mip_rel_gap: float = 1e-4,
    seed: int = 0,
    threads: int | None = None,
    progress=None,
    work_limit: int | None = None,
) -> RolloutPlan:
    """Plan a nested, phased build order against cumulative site targets.

    Per phase, with every earlier site kept (``fixed``):

    * with a ``coverage_fraction``: the cheapest new sites reaching it (`minimize_sites`), if that fits
      in the phase's site count; otherwise the phase's sites maximise coverage and ``met`` is False;
    * without one: the phase's sites maximise covered weight (`maximize_coverage`); with
      ``prefer_cheap`` a second solve then picks the cheapest set of at most as many sites covering at
      least as much (never less coverage, only lower cost).

    New sites are ranked within the phase by greedy marginal gain given all earlier sites.

    Parameters
    ----------
    A : scipy.sparse (m x n), bool
        Coverage matrix (cells x candidates).
    w : (m,) float
        Demand weights [weight units].
    cost : (n,) float, optional
        Cost per candidate [cost units]; default 1 each.
    fixed : int indices or (n,) bool, optional
        Sites present before the first phase (existing sites being upgraded, approved sites).
    phases : sequence of (id, sites) or (id, sites, coverage_fraction)
        Cumulative site targets in order, e.g. ``[("2020", 150), ("2022", 773)]``.
    conflicts : (k, 2) int, optional
        Candidate pairs that may not both be chosen.
    time_limit_s : float or None
        Time limit of each solve [s], default `DEFAULT_TIME_LIMIT_S` (60 s); a phase may run two
        solves, so a plan of k phases takes at most 2 k limits. None lifts it.
    count_fixed : bool
        True: ``sites`` counts the fixed sites too (Hedong's existing 4G sites upgraded to 5G count
        towards the 150 / 773 targets); False: ``sites`` counts new sites only.
    prefer_cheap : bool
        Run the second, cost-minimising solve in coverage-first phases.
    mip_rel_gap, seed, threads, progress
        Passed to the solvers (``threads=None``: up to two cores; the answer of a solve that ends by
        proof does not depend on it).
    work_limit : int or None
        Deterministic work limit of each solve [local-search rounds] (see `maximize_coverage`); with
        it the plan is the same on every run and ``time_limit_s`` is only a safety net. None = none.

    Returns
    -------
    RolloutPlan

    Raises
    ------
    ValueError
        Decreasing site targets, bad phase tuples, or any input error of the solvers.
    """
    t0 = time.perf_counter()
    csr, w_a, cost_a, fixed_i, pairs = _validate(A, w, cost, fixed, conflicts)
    specs = [_phase_spec(ph) for ph in phases]
    for (pa, sa, _), (pb, sb, _) in itertools.pairwise(specs):
        if sb < sa:
            raise ValueError(
                f"phase {pb!r}: sites = {sb} is below phase {pa!r}'s {sa}; targets are cumulative"
            )
    kw = {
        "conflicts": pairs if len(pairs) else None,
        "time_limit_s": time_limit_s,
        "mip_rel_gap": mip_rel_gap,
        "seed": seed,
        "threads": threads,
        "progress": progress,
        "work_limit": work_limit,
    }
    current = fixed_i.copy()
    n_fixed = len(fixed_i)
    covered0 = (csr @ np.isin(np.arange(csr.shape[1]), fixed_i).astype(float)) > 0
    out: list[PhasePlan] = []
    uniform_cost = np.all(cost_a == cost_a[0]) if len(cost_a) else True
    for pid, sites, frac in specs:
        new_allowed_total = sites - n_fixed if count_fixed else sites
        p_phase = max(new_allowed_total - (len(current) - n_fixed), 0)
        notes: list[str] = []
        if count_fixed and sites < n_fixed:
            notes.append(f"the {n_fixed} fixed sites already exceed the target of {sites}")
        res: OptimizeResult | None = None
        met = True
        if frac is not None:
            try:
                res = minimize_sites(
                    csr, w_a, frac, cost=cost_a, fixed=current, max_sites=p_phase, **kw
                )
                notes.append(f"cheapest new sites reaching {frac:.4g} coverage")
            except InfeasibleError as e:
                met = False
                notes.append(f"coverage {frac:.4g} not reached with {p_phase} new sites: {e}")
        if res is None:
            res = maximize_coverage(csr, w_a, p_phase, cost=cost_a, fixed=current, **kw)
            if prefer_cheap and not uniform_cost and len(res.new):
                # same coverage (or more) at lower cost, with no more sites
                frac2 = res.covered_weight / res.total_weight
                try:
                    res2 = minimize_sites(
                        csr,
                        w_a,
                        frac2,
                        cost=cost_a,
                        fixed=current,
                        max_sites=len(res.new),
                        initial=res.selected,
                        **kw,
                    )
                    if res2.cost < res.cost - 1e-9 * max(1.0, res.cost):
                        notes.append(
                            f"cost lowered {res.cost:.6g} -> {res2.cost:.6g} at equal coverage"
                        )
                        res = res2
                except InfeasibleError:  # pragma: no cover - res.selected is feasible
                    pass
        new = res.new
        cov_before = covered0 | (
            (csr @ np.isin(np.arange(csr.shape[1]), current).astype(float)) > 0
        )
        order, gains = greedy_order(csr, w_a, new, covered=cov_before)
        if frac is not None and met is False:
            pass
        elif frac is not None and res.coverage_fraction < frac - 1e-9:
            met = False
        out.append(
            PhasePlan(
                id=pid,
                target_sites=sites,
                target_fraction=frac,
                new_sites=order,
                marginal_gain=gains,
                covered_weight=res.covered_weight,
                total_weight=res.total_weight,
                cost=float(cost_a[order].sum()),
                n_sites=len(res.selected),
                met=met,
                note="; ".join(notes),
                result=res,
            )
        )
        current = res.selected
    fixed_weight = float(w_a[covered0].sum())
    return RolloutPlan(
        phases=tuple(out),
        fixed=fixed_i,
        fixed_weight=fixed_weight,
        total_weight=float(w_a.sum()),
        count_fixed=count_fixed,
        time_s=time.perf_counter() - t0,
    )


def fewest_sites_for(
    A,
    w,
    fraction: float,
    *,
    fixed=None,
    conflicts=None,
    time_limit_s: float | None = DEFAULT_TIME_LIMIT_S,
    work_limit: int | None = None,
    **kw,
) -> OptimizeResult:
    """The planner's question: the fewest new sites reaching ``fraction`` of the weight.

    `minimize_sites` with unit cost (default time limit `DEFAULT_TIME_LIMIT_S`, 60 s);
    ``result.objective`` is the number of new sites and ``len(result.selected)`` the total
    including ``fixed``. ``work_limit`` (deterministic, in local-search rounds; None = none) and the
    other keywords are passed to `minimize_sites`.
    """
    return minimize_sites(
        A,
        w,
        fraction,
        cost=None,
        fixed=fixed,
        conflicts=conflicts,
        time_limit_s=time_limit_s,
        work_limit=work_limit,
        **kw,
    )
