"""Result of a site-selection solve (MCLP or partial set cover)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["OptimizeResult", "relative_gap"]


def relative_gap(objective: float, bound: float, sense: str) -> float:
    """Relative optimality gap, ``|bound - objective| / |objective|`` [-].

    ``sense`` is ``"max"`` (bound is an upper bound) or ``"min"`` (lower bound). The gap is 0 when
    the objective equals the bound, ``inf`` when the objective is 0 and the bound is not.
    """
    if sense not in ("max", "min"):
        raise ValueError(f"invalid sense {sense!r}: expected 'max' or 'min'")
    diff = (bound - objective) if sense == "max" else (objective - bound)
    diff = max(float(diff), 0.0)
    if diff == 0.0:
        return 0.0
    scale = abs(float(objective))
    return diff / scale if scale > 0 else float("inf")


@dataclass(frozen=True, eq=False)
class OptimizeResult:
    """Selected sites and the evidence of how good they are.

    Attributes
    ----------
    selected : int ndarray
        Sorted candidate indices of the whole solution, ``fixed`` ones included.
    fixed : int ndarray
        Sorted indices that were forced in (existing or approved sites).
    covered_weight : float
        Demand weight covered by ``selected`` [weight units, e.g. m2].
    total_weight : float
        Weight of all demand rows, coverable or not [weight units].
    cost : float
        Cost of the NEW sites only (``selected`` minus ``fixed``); fixed sites are sunk [cost units].
    objective : float
        ``covered_weight`` for maximize problems, ``cost`` for minimize problems.
    bound : float
        Proven bound on the optimum objective: upper bound (``sense == "max"``) or lower bound
        (``"min"``). Never worse than ``objective``.
    gap : float
        ``relative_gap(objective, bound, sense)`` [-]; 0 means proven optimal.
    status : str
        ``"optimal"`` (proven within ``mip_rel_gap``, or closed by integrality; the same selection on
        every run), ``"work_limit"`` (stopped once its deterministic ``work_limit`` was spent: the gap is
        what was proven; the same selection on every run), ``"time_limit"`` (stopped at
        ``time_limit_s``: the gap is what was proven, the selection may differ from run to run), ``"greedy_only"`` (``method="greedy"``: no search, no
        MILP), ``"feasible"`` (a solver claimed optimality for a solution it did not hand back; the
        gap says what is proven), or another HiGHS model status in snake case
        (``"iteration_limit"``, ``"interrupt"``, ...).
    method : str
        How ``selected`` was found, e.g. ``"greedy+ils"`` (local search, proven by the bound) or
        ``"greedy+ils+milp:highs-1.16.0"``.
    time_s : float
        Wall time of the whole call [s].
    sense : str
        ``"max"`` or ``"min"``.
    info : dict
        Sizes before/after reduction and raw solver figures, for logs and summaries; wall-clock
        figures among them (``phase_s``, ``search_time_s``, ``search_rounds``, ``checkpoints``)
        differ from run to run, so keep them out of outputs that must be reproducible.
    """

    selected: np.ndarray
    fixed: np.ndarray
    covered_weight: float
    total_weight: float
    cost: float
    objective: float
    bound: float
    gap: float
    status: str
    method: str
    time_s: float
    sense: str
    info: dict = field(default_factory=dict)

    @property
    def new(self) -> np.ndarray:
        """Sorted indices of selected sites that were not fixed."""
        return np.setdiff1d(self.selected, self.fixed, assume_unique=True)

    @property
    def coverage_fraction(self) -> float:
        """Covered share of the total weight [-]."""
        return self.covered_weight / self.total_weight if self.total_weight > 0 else 0.0

    @property
    def proven_optimal(self) -> bool:
        """True when ``status == "optimal"``."""
        return self.status == "optimal"
