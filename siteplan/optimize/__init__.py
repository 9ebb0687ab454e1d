"""Site selection on a coverage matrix: MCLP, partial set cover (LSCP) and phased rollout.

The core works on arrays only: ``A`` (scipy.sparse, demand cells x candidates, bool), weights ``w``
and costs. Building ``A`` from predicted RSRP and writing outputs live elsewhere.
"""

from siteplan.optimize.result import OptimizeResult
from siteplan.optimize.rollout import PhasePlan, RolloutPlan, fewest_sites_for, plan_rollout
from siteplan.optimize.solvers import (
    DEFAULT_TIME_LIMIT_S,
    METHODS,
    maximize_coverage,
    minimize_sites,
)

__all__ = [
    "DEFAULT_TIME_LIMIT_S",
    "METHODS",
    "OptimizeResult",
    "PhasePlan",
    "RolloutPlan",
    "fewest_sites_for",
    "maximize_coverage",
    "minimize_sites",
    "plan_rollout",
]
