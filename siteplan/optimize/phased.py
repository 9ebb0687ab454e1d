"""One network's phased build order against its goals, over arrays.

Per phase, with every earlier site kept, up to the phase's cumulative site count (its share of the district
target), in three steps:

1. **goal area**: the cheapest new sites covering ``share`` of the goal area (e.g. 90 % of the urban core
   outdoors); if the site count cannot reach it, the sites that cover the most of it (``met`` False);
2. **goal hotspots**: the cheapest further sites covering ``share`` of the goal's hotspot cells (e.g. deep
   coverage of hospitals, schools, commercial districts), likewise;
3. **fill**: the rest of the phase's sites where they add the most demand (the district's weighted demand), at
   the lowest cost for that coverage — the work plan counts base stations, so a phase builds its full count.

A phase whose network has no service by its due date (e.g. 700 MHz before mid-2022) gets no site. Each step is a
:func:`~siteplan.optimize.rollout.plan_rollout` solve (local search and a MILP on HiGHS, ended by proof, by a
deterministic work limit or, as a safety net, by a time limit; its status and gap are kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .greedy import greedy_order
from .rollout import plan_rollout

__all__ = ["GoalPart", "NetworkPhase", "PhaseSpec", "plan_network_phases"]


@dataclass(frozen=True, eq=False)
class GoalPart:
    """A coverage requirement on some cells: coverage matrix rows ``A`` (cells x candidates), cell weights ``w``
    and the share of the weight to cover."""

    name: str
    A: sparse.csr_matrix
    w: np.ndarray
    share: float


@dataclass(frozen=True, eq=False)
class PhaseSpec:
    """One phase of one network: cumulative ``sites`` allowed, whether its band is available by the due date,
    the goal parts (in order) and the fill demand."""

    id: str
    sites: int
    available: bool
    goals: tuple[GoalPart, ...] = ()
    fill_A: sparse.csr_matrix | None = None
    fill_w: np.ndarray | None = None


@dataclass(eq=False)
class NetworkPhase:
    """What a phase chose: ``new_sites`` in build order (greedy marginal gain on the fill demand), per goal part
    ``goal_met`` (optimizer view: RSRP-only coverage matrix) with the share reached, notes and the solves."""

    id: str
    sites_allowed: int
    new_sites: np.ndarray
    selected: np.ndarray
    goal_share: dict[str, float] = field(default_factory=dict)
    goal_met: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    solves: list[dict] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return all(self.goal_met.values())


def _share(A: sparse.csr_matrix, w: np.ndarray, chosen: np.ndarray) -> float:
    total = float(w.sum())
    if total <= 0:
        return 1.0
    if chosen.size == 0:
        return 0.0
    cov = np.asarray(A[:, chosen].sum(axis=1)).ravel() > 0
    return float(w[cov].sum()) / total


def _solve_record(step: str, plan) -> dict:
    """What summary.json keeps of a solve. ``status`` tells how it ended: ``"optimal"`` (proven within the gap),
    ``"work_limit"`` (its deterministic work limit was spent: the same answer on every run) or ``"time_limit"``
    (cut by the clock: the answer depends on the machine and its load); ``work_limit`` is the limit it had."""
    r = plan.phases[0].result
    return {"step": step, "status": r.status, "method": r.method, "objective": r.objective, "bound": r.bound,
            "gap": r.gap, "work_limit": r.info.get("work_limit"), "time_s": round(r.time_s, 3)}


def plan_network_phases(phases: list[PhaseSpec], cost: np.ndarray, *, fixed=None, conflicts=None,
                        time_limit_s: float | None = 10.0, mip_rel_gap: float = 1e-4,
                        work_limit: int | None = None) -> list[NetworkPhase]:
    """Plan one network's phases in order; see the module docstring.

    Parameters
    ----------
    phases : list of PhaseSpec
        Cumulative site counts must not decrease.
    cost : (n,) float
        Cost per candidate [CNY] (e.g. ten-year cost of ownership).
    fixed : int indices, optional
        Sites present before the first phase (approved or in service in the registry).
    conflicts : (k, 2) int, optional
        Candidate pairs that may not both be chosen.
    time_limit_s : float or None
        Wall-time limit of each solve [s]; with ``work_limit``, only a safety net. None lifts it.
    mip_rel_gap : float
        Relative gap at which a solve stops as proven good enough [-].
    work_limit : int or None
        Deterministic work limit of each solve [local-search rounds] (see
        :func:`~siteplan.optimize.solvers.maximize_coverage`): with it the phases are the same on every run,
        whatever the machine's load. None = none (anytime, ended by proof or ``time_limit_s``).
    """
    n = cost.size
    current = np.asarray([] if fixed is None else fixed, dtype=np.int64)
    kw = {"conflicts": conflicts, "time_limit_s": time_limit_s, "mip_rel_gap": mip_rel_gap,
          "work_limit": work_limit}
    out: list[NetworkPhase] = []
    for ph in phases:
        start = current.copy()
        res = NetworkPhase(ph.id, ph.sites, np.zeros(0, np.int64), current)
        if not ph.available:
            res.notes.append("the network's band carries no 5G service by the phase's due date: no site planned")
            for g in ph.goals:
                res.goal_share[g.name] = round(_share(g.A, g.w, current), 6)
                res.goal_met[g.name] = False
            out.append(res)
            continue
        if ph.sites < current.size:
            res.notes.append(f"{current.size} sites already fixed exceed the phase's {ph.sites}")
        for g in ph.goals:
            before = _share(g.A, g.w, current)
            plan = None
            if before + 1e-9 < g.share and current.size < ph.sites and n:
                plan = plan_rollout(g.A, g.w, cost, fixed=current, phases=[(ph.id, ph.sites, g.share)],
                                    count_fixed=True, prefer_cheap=False, **kw)
                current = plan.phases[0].result.selected
                res.solves.append(_solve_record(g.name, plan))
            reached = _share(g.A, g.w, current)
            res.goal_share[g.name] = round(reached, 6)
            res.goal_met[g.name] = reached + 1e-9 >= g.share
            if before + 1e-9 >= g.share:
                res.notes.append(f"{g.name}: {g.share:.4g} already covered by the earlier sites")
            elif res.goal_met[g.name]:
                res.notes.append(f"{g.name}: {g.share:.4g} reached ({reached:.4g}) with {current.size} sites")
            else:
                res.notes.append(f"{g.name}: {g.share:.4g} not reached: {reached:.4g} with {current.size} of "
                                 f"{ph.sites} sites" + (f" ({plan.phases[0].note})" if plan is not None
                                                        and plan.phases[0].note else ""))
        if ph.fill_A is not None and current.size < ph.sites and n:
            plan = plan_rollout(ph.fill_A, ph.fill_w, cost, fixed=current, phases=[(ph.id, ph.sites)],
                                count_fixed=True, prefer_cheap=True, **kw)
            res.solves.append(_solve_record("fill", plan))
            current = plan.phases[0].result.selected
            if current.size < ph.sites:
                res.notes.append(f"no further eligible candidate adds coverage after {current.size} of "
                                 f"{ph.sites} sites")
        new = np.setdiff1d(current, start)
        if ph.fill_A is not None and new.size:
            cov0 = np.asarray(ph.fill_A[:, start].sum(axis=1)).ravel() > 0 if start.size else None
            order, _ = greedy_order(ph.fill_A, ph.fill_w, new, covered=cov0)
            new = np.asarray(order, dtype=np.int64)
        res.new_sites = new
        res.selected = current
        out.append(res)
    return out
