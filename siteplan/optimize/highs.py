"""HiGHS plumbing for `siteplan.optimize`: silent instances, one LP or MILP run from sparse arrays.

A model is passed column-wise in one call (``Highs.passModel``) straight from scipy.sparse arrays.
`run_milp` reports HiGHS's own model status, primal objective and dual bound unchanged, and can be fed
solutions found elsewhere through HiGHS's user-solution callback (``on_query``), which HiGHS calls at
fixed points of its own search (after set-up, during the root node, before each dive): that is what
keeps a MILP fed by a concurrent heuristic deterministic (`siteplan.optimize.portfolio`).

HiGHS releases the GIL while it runs, so a run in a worker thread leaves the calling thread free.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["LimitClock", "Model", "highs_version", "run_lp_ipm", "run_milp"]

#: Callback-free stretches between HiGHS's limit checks longer than this [s] are the ones worth
#: predicting (nodes take milliseconds; root cut rounds on 40,000 x 2,500 models take up to 75 s).
_LONG_STRETCH_S = 0.5

_STATUS = {
    "kOptimal": "optimal",
    "kTimeLimit": "time_limit",
    "kInfeasible": "infeasible",
    "kIterationLimit": "iteration_limit",
    "kSolutionLimit": "solution_limit",
    "kInterrupt": "interrupt",
    "kMemoryLimit": "memory_limit",
    "kUnknown": "unknown",
    "kObjectiveBound": "objective_bound",
    "kObjectiveTarget": "objective_target",
    "kUnboundedOrInfeasible": "unbounded_or_infeasible",
    "kUnbounded": "unbounded",
    "kModelEmpty": "optimal",
}

#: HiGHS options of the MILPs here that differ from HiGHS's defaults, and why (measured on the hard
#: MCLP family of benchmarks/bench_optimize.py, 1,600 x 200 at ~90 % coverage, optimum known):
#: strong branching costs a third of the LP iterations and does not shrink the tree there (4.3 s
#: instead of 7.6 s without it); cut separation in the tree doubles the node time (2.9 s instead of
#: 4.3 s without); HiGHS's own primal heuristics find nothing the local search has not (7.6 s
#: instead of 10.5 s without). Presolve is off because the reduction in `solvers` did its work
#: (presolve on is 1.3-1.8x slower).
PROOF_OPTIONS = {
    "presolve": "off",
    "mip_pscost_minreliable": 0,
    "mip_allow_cut_separation_at_nodes": False,
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_zi_round": False,
    "mip_heuristic_run_shifting": False,
}


def _highspy():
    try:
        import highspy
    except ImportError as e:  # pragma: no cover - highspy is a core dependency
        raise ImportError("siteplan.optimize needs highspy: pip install highspy") from e
    return highspy


def highs_version() -> str:
    """HiGHS version as ``"major.minor.patch"``."""
    h = _highspy()
    return f"{h.HIGHS_VERSION_MAJOR}.{h.HIGHS_VERSION_MINOR}.{h.HIGHS_VERSION_PATCH}"


@contextlib.contextmanager
def _quiet_fd1():
    """Silence C-level stdout: HiGHS 1.16 prints its banner in the constructor, before any option can stop it."""
    # The C library writes to file descriptor 1 whatever sys.stdout is (a notebook kernel, pytest's capture).
    fd = 1
    try:
        sys.stdout.flush()
        saved = os.dup(fd)
    except (AttributeError, OSError, ValueError):  # no descriptor 1 at all: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _new_highs(seed: int, time_limit_s: float | None, options: dict | None = None):
    """A silent HiGHS instance (output off before anything is passed to it), single-threaded."""
    highspy = _highspy()
    with _quiet_fd1():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("threads", 1)
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    for k, v in (options or {}).items():
        h.setOptionValue(k, v)
    return h


class LimitClock:
    """Whether to stop HiGHS at a limit check rather than let it start a stretch it cannot finish.

    HiGHS checks its time limit only at fixed points (after set-up, after the root LP, after each
    round of root cut separation, at each node). On 40,000 x 2,500 models a cut round took 3-75 s
    (2026-12-01, clustered 90 % MCLP), so a 300 s solve whose limit fell inside one ran 331 s.
    At each check this predicts the next stretch by the longest so far, or ``expected_s`` if
    longer (time spent in our own callbacks excluded), and stops when it would end after
    ``deadline``. That is cautious (a shorter round might have fitted); the solvers give the time
    left to the local search.

    Examples
    --------
    >>> c = LimitClock(deadline=100.0)
    >>> c.check(0.0), c.check(10.0), c.check(30.0), c.check(85.0)
    (False, False, False, True)
    """

    def __init__(self, deadline: float, expected_s: float = 0.0):
        self.deadline = float(deadline)
        self.last: float | None = None
        self.longest = float(expected_s)  # longest stretch between two checks so far [s]
        self.paused = 0.0  # time spent in our callbacks since the last check [s]
        self.stopped = False

    def pause(self, seconds: float) -> None:
        """Time spent outside HiGHS's own work (e.g. waiting for a fed solution) [s]."""
        self.paused += seconds

    def check(self, now: float) -> bool:
        """At a limit check at ``now`` [s, same clock as the deadline]: True to stop here."""
        if self.last is not None:
            self.longest = max(self.longest, now - self.last - self.paused)
        self.last, self.paused = now, 0.0
        if self.longest > _LONG_STRETCH_S and now + self.longest > self.deadline:
            self.stopped = True
        return self.stopped


def _run(h) -> None:
    """``h.run()``, once more after resetting this thread's HiGHS scheduler if another library (e.g.
    PuLP's HiGHS) started it with a different thread count: HiGHS then refuses ``threads=1``."""
    highspy = _highspy()
    st = h.run()
    if st == highspy.HighsStatus.kError and h.getModelStatus() == highspy.HighsModelStatus.kNotset:
        highspy.Highs.resetGlobalScheduler(True)
        h.run()


@dataclass
class Model:
    """``max/min col_cost @ x + offset`` s.t. ``row_lower <= M x <= row_upper``, ``0 <= x <= col_upper``.

    ``integer`` marks the integer columns; infinite row bounds are allowed.
    """

    M: sp.csc_array
    sense: str
    col_cost: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    offset: float = 0.0

    def objective(self, x: np.ndarray) -> float:
        return float(np.dot(self.col_cost, x)) + self.offset

    def pass_to(self, h, *, relax: bool = False) -> None:
        highspy = _highspy()
        M = sp.csc_array(self.M)
        M.sort_indices()
        inf = highspy.kHighsInf
        rl = np.asarray(self.row_lower, dtype=np.float64)
        ru = np.asarray(self.row_upper, dtype=np.float64)
        ncol = int(M.shape[1])
        st = h.passModel(
            ncol,
            int(M.shape[0]),
            int(M.nnz),
            int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMaximize if self.sense == "max" else highspy.ObjSense.kMinimize),
            float(self.offset),
            np.ascontiguousarray(self.col_cost, dtype=np.float64),
            np.zeros(ncol),
            np.ascontiguousarray(self.col_upper, dtype=np.float64),
            np.where(np.isfinite(rl), rl, -inf),
            np.where(np.isfinite(ru), ru, inf),
            M.indptr.astype(np.int32),
            M.indices.astype(np.int32),
            M.data.astype(np.float64),
            (np.zeros(ncol) if relax else np.asarray(self.integer)).astype(np.int32),
        )
        if st != highspy.HighsStatus.kOk:
            raise RuntimeError(f"HiGHS rejected the model: {st}")


def run_lp_ipm(model: Model, *, time_limit_s: float | None, seed: int):
    """The LP relaxation by interior point, no crossover (fast on these models; only duals are used).

    Returns ``(status, solution, objective)``: HiGHS's model status string and solution object.
    """
    h = _new_highs(seed, time_limit_s, {"solver": "ipm", "run_crossover": "off"})
    model.pass_to(h, relax=True)
    _run(h)
    return (
        h.modelStatusToString(h.getModelStatus()),
        h.getSolution(),
        float(h.getInfo().objective_function_value),
    )


def run_milp(
    model: Model,
    *,
    warm: np.ndarray | None,
    time_limit_s: float | None,
    mip_rel_gap: float,
    mip_abs_gap: float = 0.0,
    seed: int,
    options: dict | None = None,
    on_query: Callable[[float], np.ndarray | None] | None = None,
    on_bounds: Callable[[float, float], None] | None = None,
    max_nodes: int | None = None,
    max_checks: int | None = None,
    stretch_s: float = 0.0,
) -> dict:
    """Run HiGHS on ``model`` and report what it proved.

    Parameters
    ----------
    warm : (ncol,) float, optional
        A feasible solution to start from.
    time_limit_s : float or None
        HiGHS's time limit [s].
    mip_rel_gap, mip_abs_gap : float
        HiGHS's termination gaps (the absolute one [objective units] also prunes nodes: an objective
        known to move in steps of ``g`` can take ``mip_abs_gap`` just below ``g``).
    options : dict, optional
        Further HiGHS options (e.g. `PROOF_OPTIONS`).
    on_query : callable, optional
        ``on_query(primal_bound)`` is called at each of HiGHS's user-solution queries and may return a
        feasible solution (full column vector) for HiGHS to take as its incumbent when better.
    on_bounds : callable, optional
        ``on_bounds(primal_bound, dual_bound)`` at the same points, e.g. for a progress line.
    max_nodes : int, optional
        Deterministic work limit: HiGHS's ``mip_max_nodes`` (branch-and-bound nodes).
    max_checks : int, optional
        Deterministic work limit: HiGHS is interrupted at its limit check number ``max_checks + 1``
        (HiGHS checks its limits at fixed points of its search: after set-up, after each round of
        root cut separation, at each node), so a root that does not finish its cut loop is cut at
        the same point on every run.

    stretch_s : float
        The longest stretch between HiGHS's limit checks to expect [s] (e.g. a root cut round on a
        large model). With a time limit, HiGHS is stopped at a check when a stretch that long, or
        the longest seen, would not end in time (`LimitClock`); the status is then ``"time_limit"``.

    Returns
    -------
    dict
        ``status`` (snake case; ``"work_limit"`` when ``max_nodes`` or ``max_checks`` ended the run),
        ``highs_status``, ``x`` (a solution or None), ``objective``, ``dual_bound``, ``mip_gap``,
        ``nodes``, ``version``, ``queries``, ``checks``.
    """
    h = _new_highs(seed, time_limit_s, options)
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if mip_abs_gap > 0:
        h.setOptionValue("mip_abs_gap", float(mip_abs_gap))
    model.pass_to(h)
    queries = [0]
    t_start = time.perf_counter()
    clock = None if time_limit_s is None else LimitClock(t_start + time_limit_s, stretch_s)
    if on_query is not None or on_bounds is not None:

        def _query(e):
            t = time.perf_counter()
            queries[0] += 1
            out = e.data_out
            if on_bounds is not None:
                on_bounds(float(out.mip_primal_bound), float(out.mip_dual_bound))
            if on_query is not None:
                x = on_query(float(out.mip_primal_bound))
                if (
                    x is not None
                ):  # (assigning user_solution directly makes HiGHS 1.16 fail: "Solve error")
                    e.data_in.setSolution(np.ascontiguousarray(x, dtype=np.float64))
            if clock is not None:
                clock.pause(time.perf_counter() - t)

        h.cbMipUserSolution.subscribe(_query)
    if max_nodes is not None:
        h.setOptionValue("mip_max_nodes", int(max(max_nodes, 1)))
    checks = [0]
    if max_checks is not None or clock is not None:

        def _check(e):
            checks[0] += 1
            if max_checks is not None and checks[0] > max_checks:
                e.data_in.user_interrupt = True
            elif clock is not None and clock.check(time.perf_counter()):
                e.data_in.user_interrupt = True

        h.cbMipInterrupt.subscribe(_check)
    if warm is not None:
        sol = _highspy().HighsSolution()
        sol.col_value = np.ascontiguousarray(warm, dtype=np.float64)
        h.setSolution(sol)
    _run(h)
    ms = h.getModelStatus()
    name = str(ms).split(".")[-1]
    info = h.getInfo()
    has_sol = int(info.primal_solution_status) >= 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_sol else None
    ref = float(info.objective_function_value)
    if (
        x is not None
        and warm is not None
        and abs(model.objective(x) - ref) > 1e-6 * max(1.0, abs(ref))
    ):
        # HiGHS 1.16 can report the optimum's objective while col_value still holds the warm start
        # (seen when the MIP is solved at the root). Never trust a solution whose objective disagrees.
        left = None if time_limit_s is None else time_limit_s - (time.perf_counter() - t_start)
        if left is None or left > 0.05:
            out = run_milp(
                model,
                warm=None,
                time_limit_s=left,
                mip_rel_gap=mip_rel_gap,
                mip_abs_gap=mip_abs_gap,
                seed=seed,
                options=options,
                on_query=on_query,
                on_bounds=on_bounds,
                max_nodes=max_nodes,
                max_checks=max_checks,
                stretch_s=stretch_s,
            )
            out["warm_start_mismatch"] = True
            return out
        x = warm
    status = _STATUS.get(name, name.lstrip("k").lower())
    if status == "interrupt" and clock is not None and clock.stopped:
        status = "time_limit"
    elif (max_nodes is not None or max_checks is not None) and status in (
        "interrupt",
        "solution_limit",  # HiGHS's status at mip_max_nodes / mip_max_leaves
    ):
        status = "work_limit"
    return {
        "status": status,
        "highs_status": h.modelStatusToString(ms),
        "x": x,
        "objective": model.objective(x) if x is not None else np.nan,
        "dual_bound": float(info.mip_dual_bound),
        "mip_gap": float(info.mip_gap),
        "nodes": int(info.mip_node_count),
        "version": highs_version(),
        "queries": queries[0],
        "checks": checks[0],
    }
