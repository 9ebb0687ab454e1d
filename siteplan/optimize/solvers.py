"""Site selection on a coverage matrix: MCLP and partial set cover, anytime, with a proven bound.

Both solvers share one pipeline:

1. validate the arrays and the ``fixed`` / ``conflicts`` inputs, reduce the model exactly
   (`siteplan.optimize.reduction`) and fix the candidates every optimum contains;
2. greedy (for set cover, then the row-weighting search of `siteplan.optimize.weighting`), then
   iterated local search (`siteplan.optimize.local_search`) run as a deterministic stream
   with checkpoints (`siteplan.optimize.portfolio`); on large models (above `_LP_NNZ` nonzeros) an
   interior-point LP runs beside it (HiGHS releases the GIL), its duals turned into a certified
   Lagrangian bound;
3. bounds are rounded to the objective's granularity (integer weights: a bound below incumbent + 1
   is a proof); if the bound meets the incumbent the answer is proven here; else Lagrangian
   reduced-cost fixing removes the candidates that cannot be in a better solution;
4. HiGHS solves the MILP, built column-wise from the sparse arrays, warm-started with the search's
   checkpoint 0 and fed its later checkpoints at HiGHS's user-solution queries while the search runs
   beside it; HiGHS stops once its gap is within ``mip_rel_gap`` or below one granularity step
   (``mip_abs_gap``, which also prunes its nodes). Large models whose root LP would not finish in the
   time left skip the MILP and keep searching.

Every solve has a time limit (default `DEFAULT_TIME_LIMIT_S`) and returns the best selection found,
a proven bound and its status: ``"optimal"`` when the gap is within ``mip_rel_gap`` (or closed by
integrality), ``"time_limit"`` with the gap proven so far otherwise. A solve may also get a
deterministic work limit (``work_limit``, in local-search rounds): then the search's rounds are
counted (the stream's budget), HiGHS gets a node limit and is interrupted at a fixed one of its limit
checks, the LP ends by convergence, and whether the MILP starts is decided on the model's size and
gap; nothing is decided on elapsed time, the time limit is only a safety net, and an unproven result
says ``"work_limit"``. A progress line (incumbent, bound,
gap) is drawn on stderr on an interactive terminal only (`siteplan.progress.interactive`).

Determinism: the search is seeded (``seed``) and counted in rounds, not seconds; HiGHS runs
single-threaded with ``random_seed=seed`` and sees the search only at its own fixed query points. A
solve that ends by proof returns the same selection every time, with ``threads=1`` or ``2``. A solve
stopped by ``time_limit_s`` depends on machine speed and load (its selection may include what the
search found after its last checkpoint); its ``status`` is then ``"time_limit"``, even in the rare
case that its gap happens to be 0. A solve ended by ``work_limit`` (status ``"work_limit"``) is
reproducible bit for bit like a proven one: its selection is the best of HiGHS's answer, the
checkpoints and the search's state once its whole round budget is spent.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from siteplan.errors import InfeasibleError
from siteplan.optimize.greedy import (
    cover_cost_lower_bound,
    coverage_upper_bound,
    greedy_max_coverage,
    greedy_partial_cover,
    prune_redundant,
    swap_search,
)
from siteplan.optimize.highs import PROOF_OPTIONS, Model, run_lp_ipm, run_milp
from siteplan.optimize.lagrange import (
    cost_granularity,
    cover_lagrangian,
    lagrangian_cover_heuristic,
    round_up_to,
)
from siteplan.optimize.local_search import CoverSearch, MaxCoverageSearch
from siteplan.optimize.portfolio import Progress, Stream, run_beside
from siteplan.optimize.reduction import (
    Reduced,
    as_indices,
    forced_cover,
    forced_max,
    reduce_model,
    sub_model,
    validate,
)
from siteplan.optimize.result import OptimizeResult, relative_gap
from siteplan.optimize.weighting import WeightingSearch

__all__ = ["DEFAULT_TIME_LIMIT_S", "METHODS", "maximize_coverage", "minimize_sites"]

# the names rollout.py and older callers import from here
_validate = validate
_as_indices = as_indices

#: Accepted ``method`` values: ``"auto"`` (local search, bounds, then the MILP fed by the search),
#: ``"milp"`` (same), ``"greedy"`` (greedy + 1-swap only, no MILP; a Lagrangian / knapsack bound).
METHODS = ("auto", "milp", "greedy")

#: Default wall-time limit of every public solve [s]. ``time_limit_s=None`` lifts it (opt-in: a
#: hard instance can then run for hours).
DEFAULT_TIME_LIMIT_S = 60.0

# Local-search stream: rounds before checkpoint 0 (per candidate, within bounds), rounds between
# later checkpoints, and checkpoints without improvement after which the stream ends.
_FIRST_PER_COL = 1.0
_FIRST_MIN, _FIRST_MAX = 10, 200
_EVERY = 10
_PATIENCE = 20
# Models with more nonzeros than this (after reduction) get the interior-point LP bound beside the
# search before the MILP (its root may not finish in the time there); on smaller ones HiGHS's own
# root LP is quick.
_LP_NNZ = 40_000
# Iterations of the cheap subgradient bound computed before anything else.
_CHEAP_BOUND_ITERS = 60
# HiGHS solves its root LP by interior point too above this size, or when more than _FRACTIONAL of
# the candidates are fractional in the bound LP: such LPs are degenerate, and dual simplex took 15 s
# of a minute on the 6,400 x 800 benchmark at ~90 % (561 of 778 fractional), interior point 1.5 s;
# on Hedong's MCLP (LP nearly integral) dual simplex is the faster, 0.9 s against 3.6 s.
_IPM_ROOT_NNZ = 100_000
_FRACTIONAL = 0.5
# The search beside HiGHS stays a few checkpoints ahead of HiGHS's queries (on a busy machine it
# would only take CPU from HiGHS) until this share of the time limit, at least _FREE_MIN_S, has
# passed; from then on it searches freely for a time-limited result.
_FREE_SHARE, _FREE_MIN_S = 0.25, 5.0
# Share of the remaining time the bound LP may use.
_LP_SHARE = 0.7
# On large models HiGHS checks its time limit only between root cut rounds, and a round took up to
# _ROUND_LP bound-LP times (clustered 90 % MCLP 40,000 x 2,500: rounds of 3-75 s, the LP 11.3 s;
# a 60 s solve whose MILP started with 37 s left ran 104 s). Without a work limit the MILP there
# starts only with its own root LP and one such round left, and is stopped at a check when a round
# that long would not fit (highs.LimitClock); else the local search keeps the time.
_ROUND_LP = 7.0
# Work-limited solves (``work_limit`` = W local-search rounds): HiGHS may explore W // _ROUNDS_PER_NODE
# nodes and pass W // _ROUNDS_PER_CHECK of its limit checks (at least _MIN_CHECKS: set-up, root LP and a
# few cut rounds; only _MIN_CHECKS on models above _LP_NNZ, where Hedong's MCLP took 1-2 s a round,
# more under load, for a 0.1 % tighter bound and the same selection); on models that get the bound LP (above _LP_NNZ) it starts only when the gap left
# after the search's checkpoint 0 and the LP bound is within _MILP_START_GAP: on Hedong's area covers
# (5-6 % gaps) a round of root cut separation takes 2.5-5.5 s and moves the bound by 0.05 %, while
# the search's rounds lower the cost by 1-2 %.
_ROUNDS_PER_NODE = 4
_ROUNDS_PER_CHECK = 100
_MIN_CHECKS = 8
_MILP_START_GAP = 0.02
# Row-weighting search of set covers (`siteplan.optimize.weighting`), before the local search.
# Only on full covers: on partial ones (95 % of the benchmark's 40,000 x 2,500) it gained 0-3 %,
# and on Hedong's work-limited area covers it moved the local search's path, -3 % to +1.8 % per
# solve, for +10 s. It runs in slices of _WS_SLICE moves until it has gone _WS_PATIENCE times as
# many moves as its last improvement took (at least _WS_MIN_PER_COL per candidate) or meets the
# lower bound, at most _WS_MAX_MOVES (or _WS_MOVES_PER_ROUND per round of a work limit), and on the
# clock at most _WS_SHARE of the time left (on the 40,000 x 2,500 uniform set cover of the
# benchmark it improves until that share ends it, 2.5 M moves in 18 s: 327-329 sites, where greedy,
# swap and the MILP ended at 347 in 60 s and plain HiGHS at 344).
_WS_SLICE = 20_000
_WS_MIN_PER_COL = 80
_WS_PATIENCE = 4.0
_WS_MAX_MOVES = 4_000_000
_WS_MOVES_PER_ROUND = 500
_WS_SHARE = 0.3


def _threads(threads: int | None) -> int:
    if threads is None:
        return min(2, os.cpu_count() or 1)
    if int(threads) != threads or threads < 1:
        raise ValueError(f"threads = {threads!r}: expected a positive integer or None")
    return int(threads)


def _free_after(deadline: float | None, work_limit: int | None = None) -> float | None:
    if work_limit is not None:
        return -np.inf  # counted rounds: the search may run ahead at once (its budget bounds it)
    if deadline is None:
        return None  # no limit: the solve ends by proof, time-limited searching has no use
    now = time.perf_counter()
    return now + max(_FREE_MIN_S, _FREE_SHARE * (deadline - now))


def _first_rounds(n: int) -> int:
    return int(min(max(_FIRST_PER_COL * n, _FIRST_MIN), _FIRST_MAX))


def _floor_to(bound: float, base: float, g: float) -> float:
    """``bound`` rounded down to ``base`` plus a multiple of ``g`` (unchanged when ``g == 0``)."""
    if g <= 0 or not np.isfinite(bound):
        return bound
    k = (bound - base) / g
    return base + float(np.floor(k + 1e-9 * max(1.0, abs(k)))) * g


# ----------------------------------------------------------------------------- models


def _conflict_rows(pairs: np.ndarray, n: int, extra_cols: int) -> sp.csr_array:
    k = len(pairs)
    data = np.ones(2 * k)
    r = np.repeat(np.arange(k), 2)
    return sp.csr_array((data, (r, pairs.reshape(-1))), shape=(k, n + extra_cols))


def _max_model(red: Reduced, p, budget, *, conflicts: bool = True) -> Model:
    """MCLP: max w.y + fixed weight, y_i <= sum_j a_ij x_j, sum x <= p, cost.x <= budget, conflicts."""
    A = red.A
    m, n = A.shape
    blocks = [sp.hstack([A, -sp.eye_array(m, format="csc")], format="csr")]
    lo, up = [np.zeros(m)], [np.full(m, np.inf)]
    if p is not None:
        blocks.append(sp.csr_array(np.r_[np.ones(n), np.zeros(m)][None, :]))
        lo.append([-np.inf]), up.append([float(p)])
    if budget is not None:
        blocks.append(sp.csr_array(np.r_[red.cost, np.zeros(m)][None, :]))
        lo.append([-np.inf]), up.append([float(budget)])
    if conflicts and len(red.conflicts):
        blocks.append(_conflict_rows(red.conflicts, n, m))
        lo.append(np.full(len(red.conflicts), -np.inf)), up.append(np.ones(len(red.conflicts)))
    return Model(
        M=sp.vstack(blocks, format="csc"),
        sense="max",
        col_cost=np.r_[np.zeros(n), red.w],
        col_upper=np.ones(n + m),
        integer=np.r_[np.ones(n), np.zeros(m)],
        row_lower=np.concatenate([np.asarray(a, float) for a in lo]),
        row_upper=np.concatenate([np.asarray(a, float) for a in up]),
        offset=red.fixed_weight,
    )


def _max_x(red: Reduced, cols) -> np.ndarray:
    x = np.zeros(red.A.shape[1])
    x[np.asarray(cols, dtype=np.int64)] = 1.0
    return np.r_[x, np.minimum(red.A @ x, 1.0)]


def _min_model(
    red: Reduced, need: float, full_cover: bool, max_sites=None, *, conflicts=True
) -> Model:
    """Partial cover: min cost.x, A x >= y, w.y >= need (full cover: A x >= 1), sum x <= max_sites."""
    A = red.A
    m, n = A.shape
    if full_cover:
        # every remaining row must be covered: classic set cover, no y variables (tighter and smaller)
        blocks = [sp.csr_array(A)]
        lo, up = [np.ones(m)], [np.full(m, np.inf)]
        ny = 0
    else:
        blocks = [sp.hstack([A, -sp.eye_array(m, format="csc")], format="csr")]
        blocks.append(sp.csr_array(np.r_[np.zeros(n), red.w][None, :]))
        lo, up = [np.zeros(m), [need]], [np.full(m, np.inf), [np.inf]]
        ny = m
    if max_sites is not None:
        blocks.append(sp.csr_array(np.r_[np.ones(n), np.zeros(ny)][None, :]))
        lo.append([-np.inf]), up.append([float(max_sites)])
    if conflicts and len(red.conflicts):
        blocks.append(_conflict_rows(red.conflicts, n, ny))
        lo.append(np.full(len(red.conflicts), -np.inf)), up.append(np.ones(len(red.conflicts)))
    return Model(
        M=sp.vstack(blocks, format="csc"),
        sense="min",
        col_cost=np.r_[red.cost, np.zeros(ny)],
        col_upper=np.ones(n + ny),
        integer=np.r_[np.ones(n), np.zeros(ny)],
        row_lower=np.concatenate([np.asarray(a, float) for a in lo]),
        row_upper=np.concatenate([np.asarray(a, float) for a in up]),
    )


def _min_x(red: Reduced, cols, full_cover: bool) -> np.ndarray:
    x = np.zeros(red.A.shape[1])
    x[np.asarray(cols, dtype=np.int64)] = 1.0
    return x if full_cover else np.r_[x, np.minimum(red.A @ x, 1.0)]


# ----------------------------------------------------------------------------- bounds


def _lp_bound_max(
    red: Reduced, p, budget, time_limit_s, seed, lower
) -> tuple[float, np.ndarray | None, dict]:
    """Certified LP-quality upper bound on the reduced model's covered weight (fixed weight excluded).

    HiGHS solves the LP relaxation by interior point (no crossover); its duals of the rows
    ``sum_j a_ij x_j - y_i >= 0``, clipped to ``[0, w_i]``, are Lagrange multipliers, and the Lagrangian
    function evaluated exactly at them (`coverage_upper_bound`) is a valid bound whatever the LP's
    accuracy. Returns ``(bound, multipliers or None, info)``.
    """
    m = red.A.shape[0]
    status, sol, objective = run_lp_ipm(
        _max_model(red, p, budget, conflicts=False), time_limit_s=time_limit_s, seed=seed
    )
    info = {"lp_status": status}
    if not sol.dual_valid:
        return np.inf, None, info
    lam = np.clip(np.abs(np.asarray(sol.row_dual, dtype=np.float64)[:m]), 0.0, red.w)
    info["lp_fractional"] = _fractional_share(sol, red.A.shape[1])
    best = coverage_upper_bound(
        red.A, red.w, p, cost=red.cost, budget=budget, lower=lower, iters=30, lam0=lam
    )
    info["lp_objective"] = objective - red.fixed_weight
    return best, lam, info


def _fractional_share(sol, n: int) -> float:
    """Share of the candidate columns the LP solution leaves clearly fractional [-]."""
    x = np.asarray(sol.col_value, dtype=np.float64)[:n]
    return float(((x > 0.05) & (x < 0.95)).mean()) if n else 0.0


def _root_options(options: dict, extra: dict, nnz: int) -> dict:
    """HiGHS's root LP by interior point on large or degenerate models (see _IPM_ROOT_NNZ)."""
    if nnz > _IPM_ROOT_NNZ or extra.get("lp_fractional", 0.0) > _FRACTIONAL:
        options["mip_lp_solver"] = "ipm"
    return options


def _lagrangian_fixing_max(red: Reduced, p: int, lam: np.ndarray, threshold: float):
    """Lagrangian reduced-cost fixing for a cardinality-only MCLP at multipliers ``lam``.

    ``L(lam) = sum_i (w_i - lam_i)^+ + (sum of the p largest s_j)``, ``s = A^T lam``. Forcing a column
    outside the top p into a solution replaces the p-th largest ``s`` by its own; when that bound
    falls below ``threshold`` (what a better solution needs, fixed weight excluded) the column is in
    no better solution. Returns ``(zero, worst)``: the mask of those columns and the largest bound
    among them (a bound on every solution they exclude).
    """
    n = red.A.shape[1]
    zero = np.zeros(n, dtype=bool)
    if p <= 0 or p >= n:
        return zero, -np.inf
    s = red.A.T @ lam
    order = np.argsort(-s, kind="stable")
    top = np.zeros(n, dtype=bool)
    top[order[:p]] = True
    L = float(np.maximum(red.w - lam, 0.0).sum() + s[order[:p]].sum())
    Lj = L - (s[order[p - 1]] - s)
    zero = ~top & (Lj < threshold)
    return zero, (float(Lj[zero].max()) if zero.any() else -np.inf)


def _fix_and_restrict(rc: np.ndarray, L: float, upper: float):
    """Reduced-cost fixing for covers: columns whose Lagrangian value ``x*_j = [rc_j < 0]`` must hold in
    every solution cheaper than ``upper``. Returns ``(free, forced)`` boolean masks over the columns."""
    dev = L + np.abs(rc) > upper + 1e-9 * max(1.0, abs(upper))
    forced = dev & (rc < 0)
    free = ~dev
    return free, forced


def _lp_duals_min(red: Reduced, need: float, full_cover: bool, time_limit_s, seed):
    """Duals of the covering rows of the partial-cover LP by interior point (no crossover), or None;
    also the LP status and the share of fractional columns.

    Only the multipliers are used: `cover_lagrangian` turns them into a bound that is valid whatever
    the LP's accuracy or status.
    """
    m = red.A.shape[0]
    status, sol, _ = run_lp_ipm(
        _min_model(red, need, full_cover, conflicts=False), time_limit_s=time_limit_s, seed=seed
    )
    if not sol.dual_valid:
        return None, status, 0.0
    u = np.abs(np.asarray(sol.row_dual, dtype=np.float64)[:m])
    return u, status, _fractional_share(sol, red.A.shape[1])


# ----------------------------------------------------------------------------- helpers


def _covered(red: Reduced, cols: np.ndarray) -> float:
    x = np.zeros(red.A.shape[1])
    x[np.asarray(cols, dtype=np.int64)] = 1.0
    return red.fixed_weight + float(red.w[(red.A @ x) > 0.5].sum())


def _feasible_max(red, cols, p, budget) -> bool:
    if p is not None and len(cols) > p:
        return False
    if budget is not None and red.cost[cols].sum() > budget * (1 + 1e-9) + 1e-9:
        return False
    return _conflict_free(red, cols)


def _conflict_free(red, cols) -> bool:
    if not len(red.conflicts):
        return True
    s = np.zeros(red.A.shape[1], dtype=bool)
    s[np.asarray(cols, dtype=np.int64)] = True
    return not (s[red.conflicts[:, 0]] & s[red.conflicts[:, 1]]).any()


def _check_common(method, time_limit_s, mip_rel_gap, work_limit=None):
    if method not in METHODS:
        raise ValueError(f"invalid method {method!r}: expected one of {METHODS}")
    if time_limit_s is not None and not (time_limit_s > 0):
        raise ValueError(f"time_limit_s = {time_limit_s}: expected > 0 seconds or None")
    if work_limit is not None and (
        isinstance(work_limit, bool) or int(work_limit) != work_limit or work_limit < 1
    ):
        raise ValueError(f"work_limit = {work_limit!r}: expected a positive integer (rounds) or None")
    if not (0 <= mip_rel_gap < 1):
        raise ValueError(f"mip_rel_gap = {mip_rel_gap}: expected 0 <= gap < 1")


def _result(
    red, cols_red, *, sense, objective, bound, status, method, t0, extra, gap_tol=None, forced=None
) -> OptimizeResult:
    """The public result; ``forced`` are original indices of NEW sites fixed by a reduction."""
    cols_red = np.asarray(cols_red, dtype=np.int64)
    forced = np.empty(0, np.int64) if forced is None else np.asarray(forced, dtype=np.int64)
    sel = np.union1d(red.fixed, red.cols[cols_red]).astype(np.int64)
    covered = _covered(red, cols_red)
    cost = float(red.cost[cols_red].sum()) + float(extra.get("forced_cost", 0.0))
    if sense == "max":
        bound = max(
            bound, objective
        )  # solver tolerances must not put the bound below a found solution
    else:
        bound = min(bound, objective)
    gap = relative_gap(objective, bound, sense)
    if status == "optimal" and gap_tol is not None and gap > gap_tol * (1 + 1e-9) + 1e-12:
        status = "feasible"  # a solver said optimal but the solution we hold is not proven so
    info = dict(red.info)
    info.update(extra)
    info["fixed_weight"] = red.fixed_weight
    info["coverable_weight"] = red.coverable_weight
    fixed = np.setdiff1d(red.fixed, forced).astype(np.int64)
    return OptimizeResult(
        selected=sel,
        fixed=fixed,
        covered_weight=covered,
        total_weight=red.total_weight,
        cost=cost,
        objective=float(objective),
        bound=float(bound),
        gap=gap,
        status=status,
        method=method,
        time_s=time.perf_counter() - t0,
        sense=sense,
        info=info,
    )


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.perf_counter()


def _milp_limit(
    extra: dict, deadline, nnz: int, work_limit=None, gap: float = 0.0
) -> tuple[float | None, bool, float]:
    """HiGHS's time limit for the final MILP, whether to start it at all, and the stretch between
    its limit checks to expect [s] (see _ROUND_LP; with a work limit, _MILP_START_GAP: a decision
    on the model and the gap, never on the clock)."""
    rem = _remaining(deadline)
    if work_limit is not None:
        return rem, (rem is None or rem > 0.05) and (nnz <= _LP_NNZ or gap <= _MILP_START_GAP), 0.0
    lp_s = extra.get("phase_s", {}).get("lp")
    if rem is None or lp_s is None or nnz <= _IPM_ROOT_NNZ:
        return rem, rem is None or rem > 0.05, 0.0
    return rem, rem >= (1.0 + _ROUND_LP) * lp_s, _ROUND_LP * lp_s


def _spend(stream: Stream, deadline, tick) -> None:
    """The rest of the time (or of the work limit) to the local search (the MILP would not fit)."""
    while deadline is None or time.perf_counter() < deadline:
        if not stream.advance() and not stream.bonus():
            return
        tick()


@dataclass
class _Run:
    """What one solve's steps share: its deadline, tolerances, threads, progress line and figures."""

    deadline: float | None
    mip_rel_gap: float
    seed: int
    threaded: bool
    progress: Progress
    extra: dict = field(default_factory=dict)
    work_limit: int | None = None
    cut: bool = False  # the (safety) time limit cut something short: the result depends on timing

    def milp_limits(self, nnz: int) -> dict:
        """HiGHS's deterministic limits under the work limit (none without one); on models that get
        the bound LP (``nnz`` above _LP_NNZ) only _MIN_CHECKS: a cut round there takes seconds."""
        if self.work_limit is None:
            return {}
        w = self.work_limit
        checks = _MIN_CHECKS if nnz > _LP_NNZ else max(_MIN_CHECKS, w // _ROUNDS_PER_CHECK)
        return {"max_nodes": max(1, w // _ROUNDS_PER_NODE), "max_checks": checks}

    def status(self, status: str, stream: Stream | None, search=None) -> str:
        """The status of a result stopped by a limit (``status="time_limit"`` from the pipeline's own
        stops): ``"time_limit"`` when the clock cut anything short, else ``"work_limit"`` under a
        work limit. Other statuses pass unchanged."""
        if stream is not None:
            self.extra["search_rounds_asked"] = stream.used
        if status not in ("time_limit", "work_limit"):
            return status
        cut = self.cut or (stream is not None and stream.cut)
        cut = cut or (search is not None and search.cut)
        if cut or self.work_limit is None:
            return "time_limit"
        return "work_limit"

    def lp_time(self, deadline) -> float | None:
        """The bound LP's time limit: a share of the time left, or (work limit) all of it, as a
        safety net only: the LP then ends by convergence, the same on every run."""
        rem = _remaining(deadline)
        if rem is None or self.work_limit is not None:
            return rem
        return _LP_SHARE * rem


def _fed_milp(
    run: _Run, model, warm, gran, back, *, stream, feed, tick, time_limit_s, options, stretch_s=0.0
):
    """`run_milp` in a worker thread, fed by ``feed``, while this thread advances ``stream``; HiGHS's
    figures go to ``run.extra``. ``gran``: the objective's step (0 = none), sets ``mip_abs_gap``;
    ``stretch_s``: the longest stretch between HiGHS's limit checks to expect [s].

    Returns ``(out, method, candidates)``: HiGHS's answer, the method string, and the selections
    worth comparing (HiGHS's solution mapped by ``back``, then what was fed to it, latest first).
    """
    out = _timed(
        run.extra,
        "milp",
        run_beside,
        lambda: run_milp(
            model,
            warm=warm,
            time_limit_s=time_limit_s,
            mip_rel_gap=run.mip_rel_gap,
            mip_abs_gap=gran * (1 - 1e-6) if gran > 0 else 0.0,
            seed=run.seed,
            options=options,
            on_query=feed,
            on_bounds=None if feed is None else feed.bounds,
            stretch_s=stretch_s,
            **run.milp_limits(model.M.nnz),
        ),
        stream,
        threaded=run.threaded,
        tick=tick,
    )
    keys = ("highs_status", "dual_bound", "mip_gap", "nodes", "queries", "checks")
    run.extra.update({k: out[k] for k in keys if k in out})
    if feed is not None:
        s = stream.search
        run.extra.update(
            fed_solutions=len(feed.given),
            search_rounds=s.rounds,
            search_time_s=s.time_s,
            checkpoints=len(stream.snaps),
        )
    cands = [] if out["x"] is None else [back(out["x"])]
    if feed is not None:
        cands += feed.given[::-1]
    return out, f"greedy+ils+milp:highs-{out['version']}", cands


def _timed(extra: dict, key: str, fn, *args, **kw):
    """``fn(*args, **kw)``, its wall time added to ``extra["phase_s"][key]`` [s]."""
    t = time.perf_counter()
    try:
        return fn(*args, **kw)
    finally:
        extra.setdefault("phase_s", {})[key] = round(time.perf_counter() - t, 3)


def _proven(objective: float, bound: float, sense: str, mip_rel_gap: float) -> bool:
    return relative_gap(objective, bound, sense) <= mip_rel_gap * (1 + 1e-9)


class _Feed:
    """HiGHS's k-th user-solution query receives the stream's checkpoint k (see `portfolio`);
    checkpoint 0 is HiGHS's warm start."""

    def __init__(self, stream: Stream, threaded: bool, to_x, value, sense: str, progress):
        self.stream, self.threaded, self.to_x, self.value = stream, threaded, to_x, value
        self.sense, self.progress = sense, progress
        self.k = 0
        self.given: list[np.ndarray] = []

    def __call__(self, primal: float):
        self.k += 1
        snap = self.stream.at(self.k, wait=self.threaded)
        if snap is None:
            return None
        sel, _ = snap
        v = self.value(sel)
        tol = 1e-9 * max(1.0, abs(v))
        better = not np.isfinite(primal) or (
            v > primal + tol if self.sense == "max" else v < primal - tol
        )
        if not better:
            return None
        self.given.append(sel)
        return self.to_x(sel)

    def bounds(self, primal: float, dual: float) -> None:
        self.progress.update(
            primal if np.isfinite(primal) else None, dual if np.isfinite(dual) else None
        )


# ----------------------------------------------------------------------------- MCLP pipeline


def _solve_max(red: Reduced, p, budget, run: _Run):
    """Returns ``(selection, objective, bound, status, method)`` on ``red`` (reduced indices)."""
    deadline, mip_rel_gap, seed, threaded = run.deadline, run.mip_rel_gap, run.seed, run.threaded
    progress, extra = run.progress, run.extra
    A, w, fw = red.A, red.w, red.fixed_weight
    n = A.shape[1]
    conf = red.conf_matrix()
    gran = cost_granularity(w)
    extra["weight_granularity"] = gran
    order, _ = greedy_max_coverage(A, w, p, cost=red.cost, budget=budget, conflicts=conf)
    extra["greedy_weight"] = _covered(red, order)
    search = MaxCoverageSearch(
        A,
        w,
        p,
        start=order,
        cost=red.cost,
        budget=budget,
        conflicts=conf,
        seed=seed,
        deadline=deadline,
    )
    bound = red.coverable_weight
    if A.nnz <= _LP_NNZ:  # the LP phase below brings a better bound on larger models, and sooner
        bound = fw + coverage_upper_bound(
            A, w, p, cost=red.cost, budget=budget, lower=search.best_value, iters=_CHEAP_BOUND_ITERS
        )
    bound = _floor_to(min(bound, red.coverable_weight), fw, gran)
    stream = Stream(
        search,
        sense="max",
        first=_first_rounds(n),
        every=_EVERY,
        patience=_PATIENCE,
        stop_at=bound - fw,
        deadline=deadline,
        free_after=_free_after(deadline, run.work_limit),
        max_rounds=run.work_limit,
    )

    def tick():
        progress.update(fw + search.best_value, bound)

    lam = None
    extra["bound_source"] = "lagrangian"
    if A.nnz > _LP_NNZ:
        lp_s = run.lp_time(deadline)
        ub, lam, lp_info = _timed(
            extra,
            "lp",
            run_beside,
            lambda: _lp_bound_max(red, p, budget, lp_s, seed, search.best_value),
            stream,
            threaded=threaded,
            tick=tick,
        )
        extra.update(lp_info)
        run.cut |= lp_info.get("lp_status") == "Time limit reached"
        if fw + ub < bound:
            bound = _floor_to(fw + ub, fw, gran)
            extra["bound_source"] = "lp-lagrangian"
        extra["lp_bound"] = fw + ub
    # HiGHS starts from checkpoint 0 (the proof needs a good incumbent); past the deadline already,
    # there is none: the search's start then
    snap = stream.at(0, wait=False) or (search.best, search.best_value)
    sel, obj = snap[0], fw + snap[1]
    extra["search_weight_0"] = obj
    progress.update(obj, bound)
    stream.stop_at = bound - fw
    method = "greedy+ils"
    if _proven(obj, bound, "max", mip_rel_gap) or obj >= bound - 1e-9 * max(1.0, bound):
        return sel, obj, bound, "optimal", method
    rem = _remaining(deadline)
    if rem is not None and rem <= 0.05:
        run.cut = True
        return sel, obj, bound, "time_limit", method

    # Lagrangian reduced-cost fixing (cardinality only): candidates that cannot be in a better solution
    mred, fix_worst = red, -np.inf
    keep, colpos = np.arange(n), np.arange(n)
    if lam is not None and budget is None and p is not None:
        thr = obj + gran * (1 - 1e-6) if gran > 0 else obj
        zero, fix_worst = _lagrangian_fixing_max(red, p, lam, thr - fw)
        zero[sel] = False  # the incumbent stays whole (it is the warm start)
        extra["fixed_by_reduced_cost"] = int(zero.sum())
        if zero.any():
            keep = np.flatnonzero(~zero)
            mred, _, colpos = sub_model(red, keep, np.empty(0, np.int64))
            fix_worst += fw

    def to_x(s):
        s = np.asarray(s, dtype=np.int64)
        return _max_x(
            mred, colpos[s[colpos[s] >= 0]]
        )  # a fixed-out column just leaves: still feasible

    def back(x):
        return keep[np.flatnonzero(x[: len(keep)] > 0.5)]

    feed = _Feed(stream, threaded, to_x, lambda s: _covered(red, s), "max", progress)
    options = _root_options(dict(PROOF_OPTIONS), extra, mred.A.nnz)
    gap0 = relative_gap(obj, bound, "max")
    rem, start, stretch = _milp_limit(extra, deadline, mred.A.nnz, run.work_limit, gap0)
    if not start:
        _timed(extra, "search_only", _spend, stream, deadline, tick)
        best = search.best if _covered(red, search.best) > obj else sel
        extra["milp"] = (
            "skipped: no time for its root LP"
            if run.work_limit is None
            else f"skipped: gap {gap0:.3g} too wide for its root on this size"
        )
        status = run.status("time_limit", stream, search)
        return best, max(obj, _covered(red, best)), bound, status, method
    model = _max_model(mred, p, budget)
    out, method, cands = _fed_milp(
        run,
        model,
        to_x(sel),
        gran,
        back,
        stream=stream,
        feed=feed,
        tick=tick,
        time_limit_s=rem,
        options=options,
        stretch_s=stretch,
    )
    cands.append(sel)
    run.cut |= out["status"] == "time_limit"
    if out["status"] != "optimal":  # a time- or work-limited result may take the search's latest
        # work limit: its whole budget (the same state on every run); time limit: what HiGHS left
        # (it stops early rather than start a cut round it cannot finish, see highs.LimitClock)
        if run.work_limit is not None or out["status"] == "time_limit":
            _timed(extra, "search_rest", _spend, stream, deadline, tick)
        cands.append(search.best)
    best, best_v = sel, obj
    for c in cands:
        if _feasible_max(red, c, p, budget):
            v = _covered(red, c)
            if v > best_v + 1e-9 * max(1.0, best_v):
                best, best_v = c, v
    milp_bound = out["dual_bound"]
    if np.isfinite(milp_bound):
        milp_bound = max(milp_bound, fix_worst)  # what fixing excluded is below fix_worst
        if milp_bound < bound:
            bound = _floor_to(milp_bound, fw, gran)
            extra["bound_source"] = "highs"
    status = out["status"]
    if status != "time_limit":  # a time-limited result may hold the stream's latest: it stays so
        proven = _proven(best_v, bound, "max", mip_rel_gap) or best_v >= bound - 1e-9 * max(
            1.0, bound
        )
        status = "optimal" if proven else ("feasible" if status == "optimal" else status)
    return best, best_v, bound, run.status(status, stream, search), method


# ----------------------------------------------------------------------------- cover pipeline


def _weighting(red: Reduced, max_sites, sel, lb: float, run: _Run):
    """The row-weighting search's best set cover from ``sel``, if cheaper (else ``sel``)."""
    ws = WeightingSearch(
        red.A,
        red.w,
        float(red.w.sum()),
        cost=red.cost,
        conflicts=red.conf_matrix(),
        start=sel,
        seed=run.seed,
    )
    cap = _WS_MAX_MOVES if run.work_limit is None else run.work_limit * _WS_MOVES_PER_ROUND
    rem = _remaining(run.deadline)
    stop = None if rem is None else time.perf_counter() + _WS_SHARE * rem
    t = time.perf_counter()
    while ws.moves < cap:
        if ws.moves >= max(_WS_MIN_PER_COL * red.A.shape[1], _WS_PATIENCE * ws.best_at):
            break
        if ws.best_cost <= lb + 1e-9 * max(1.0, lb):  # optimal: nothing left to find
            break
        if stop is not None and time.perf_counter() > stop:
            run.cut = True
            break
        ws.run(min(_WS_SLICE, cap - ws.moves))
        run.progress.update(min(ws.best_cost, float(red.cost[sel].sum())), None)
    run.extra.update(
        weighting_moves=ws.moves,
        weighting_cost=ws.best_cost,
        weighting_time_s=round(time.perf_counter() - t, 3),
    )
    best = ws.best
    if len(best) and (max_sites is None or len(best) <= max_sites):
        if ws.best_cost < float(red.cost[sel].sum()) - 1e-9 * max(1.0, ws.best_cost):
            return best
    return sel


def _solve_min(red: Reduced, need, tol, full_cover, max_sites, sel, lb, run: _Run):
    """Returns ``(selection or None, objective, bound, status, method, milp_out)`` on ``red``."""
    deadline, mip_rel_gap, seed, threaded = run.deadline, run.mip_rel_gap, run.seed, run.threaded
    progress, extra = run.progress, run.extra
    A, w = red.A, red.w
    n = A.shape[1]
    conf = red.conf_matrix()
    gran = cost_granularity(red.cost)
    extra["cost_granularity"] = gran
    lb = round_up_to(lb, gran)
    search = None
    stream = None
    if sel is not None and full_cover:
        sel = _weighting(red, max_sites, sel, lb, run)
    if sel is not None:
        search = CoverSearch(
            A,
            w,
            need - tol,
            start=sel,
            cost=red.cost,
            conflicts=conf,
            max_sites=max_sites,
            seed=seed,
            deadline=deadline,
        )
        stream = Stream(
            search,
            sense="min",
            first=_first_rounds(n),
            every=_EVERY,
            patience=_PATIENCE,
            stop_at=lb,
            deadline=deadline,
            free_after=_free_after(deadline, run.work_limit),
            max_rounds=run.work_limit,
        )

    def tick():
        if search is not None:
            progress.update(search.best_cost, lb)

    u = None
    nd = need if full_cover else need - tol
    extra["bound_source"] = "knapsack"
    if A.nnz > _LP_NNZ and sel is not None:
        lp_s = run.lp_time(deadline)
        u, lp_status, extra["lp_fractional"] = _timed(
            extra,
            "lp",
            run_beside,
            lambda: _lp_duals_min(red, nd, full_cover, lp_s, seed),
            stream,
            threaded=threaded,
            tick=tick,
        )
        extra["lp_status"] = lp_status
        run.cut |= lp_status == "Time limit reached"
    L = rc = None
    if u is not None:
        L, rc, _ = cover_lagrangian(A, w, nd, red.cost, u, full=full_cover)
        extra["lagrangian_bound"] = L
        if round_up_to(L, gran) > lb:
            lb = round_up_to(L, gran)
            extra["bound_source"] = "lagrangian"
    obj = np.inf
    if stream is not None:
        snap = stream.at(0, wait=False) or (search.best, search.best_cost)
        sel, obj = snap[0], snap[1]
        stream.stop_at = lb
        extra["search_cost_0"] = obj
    if u is not None:
        # Lagrangian greedy: a second, different incumbent (deterministic: it only needs u)
        order = lagrangian_cover_heuristic(A, w, nd, red.cost, u)
        if order is not None:
            cand = prune_redundant(A, w, order, need - tol, cost=red.cost)
            ok = _conflict_free(red, cand) and (max_sites is None or len(cand) <= max_sites)
            extra["lagrangian_greedy_cost"] = float(red.cost[cand].sum())
            if ok and red.cost[cand].sum() < obj:
                sel, obj = cand, float(red.cost[cand].sum())
    progress.update(obj if np.isfinite(obj) else None, lb)
    method = "greedy+ils"
    if sel is not None and (
        _proven(obj, lb, "min", mip_rel_gap) or obj <= lb + 1e-9 * max(1.0, lb)
    ):
        return sel, obj, lb, "optimal", method, None
    rem = _remaining(deadline)
    if sel is not None and rem is not None and rem <= 0.05:
        run.cut = True
        return sel, obj, lb, "time_limit", method, None

    mred, upper_fix = red, np.inf
    if rc is not None and sel is not None:
        free, forced = _fix_and_restrict(rc, L, obj)
        keep = free | forced
        keep[sel] = True  # the incumbent never costs more than obj; kept for the warm start anyway
        keep = np.flatnonzero(keep)
        extra["fixed_by_reduced_cost"] = int(n - len(keep))
        if len(keep) < n:
            mred, _, colpos = sub_model(red, keep, np.empty(0, np.int64))
            upper_fix = obj

    if mred is red:
        keep = np.arange(n)
        colpos = np.arange(n)
    fc = full_cover
    mneed = need if full_cover else need - tol
    if mred is not red and not full_cover:
        fc = mneed >= float(mred.w.sum()) - tol

    def to_x(s, colpos=colpos):
        s = np.asarray(s, dtype=np.int64)
        if (colpos[s] < 0).any():  # uses a column fixing removed: not a solution of that model
            return None
        return _min_x(mred, colpos[s], fc)

    def back(x, keep=keep):
        return keep[np.flatnonzero(x[: len(keep)] > 0.5)]

    options = _root_options({}, extra, mred.A.nnz)
    gap0 = relative_gap(obj, lb, "min") if sel is not None else np.inf
    rem, start, stretch = _milp_limit(extra, deadline, mred.A.nnz, run.work_limit, gap0)
    if not start and search is None and run.work_limit is not None and not run.cut:
        # no selection to start from and a MILP too large for the work limit: none is found
        extra["milp"] = "skipped: no start and too large for the work limit"
        return None, np.inf, lb, "work_limit", method, None
    if not start and search is not None:
        _timed(extra, "search_only", _spend, stream, deadline, tick)
        extra["milp"] = (
            "skipped: no time for its root LP"
            if run.work_limit is None
            else f"skipped: gap {gap0:.3g} too wide for its root on this size"
        )
        if search.best_cost < obj:
            sel, obj = search.best, search.best_cost
        return sel, obj, lb, run.status("time_limit", stream, search), method, None
    feed = None
    if stream is not None:
        feed = _Feed(stream, threaded, to_x, lambda s: float(red.cost[s].sum()), "min", progress)
    model = _min_model(
        mred, float(mred.w.sum()) if fc and mred is not red else mneed, fc, max_sites
    )
    warm = None if sel is None else to_x(sel)
    out, method, cands = _fed_milp(
        run,
        model,
        warm,
        gran,
        back,
        stream=stream,
        feed=feed,
        tick=tick,
        time_limit_s=rem,
        options=options,
        stretch_s=stretch,
    )
    if sel is not None:
        cands.append(sel)
    run.cut |= out["status"] == "time_limit"
    if out["status"] != "optimal" and search is not None:
        if run.work_limit is not None or out["status"] == "time_limit":  # as in _solve_max
            _timed(extra, "search_rest", _spend, stream, deadline, tick)
        cands.append(search.best)
    best, best_c = None, np.inf
    for c in cands:
        c = prune_redundant(A, w, c, need - tol, cost=red.cost)
        ok = _conflict_free(red, c) and _covered(red, c) >= red.fixed_weight + need - tol
        ok = ok and (max_sites is None or len(c) <= max_sites)
        if ok and (best is None or float(red.cost[c].sum()) < best_c - 1e-9 * max(1.0, best_c)):
            best, best_c = c, float(red.cost[c].sum())
    bound = out["dual_bound"]
    if np.isfinite(bound):
        # the MILP saw only the columns reduced-cost fixing left: every other solution costs more
        # than upper_fix, so the bound holds for the whole model up to there
        bound = min(bound, upper_fix)
        if round_up_to(bound, gran) > lb:
            lb = round_up_to(bound, gran)
            extra["bound_source"] = "highs"
    status = out["status"]
    if status != "time_limit" and best is not None:
        proven = _proven(best_c, lb, "min", mip_rel_gap) or best_c <= lb + 1e-9 * max(1.0, lb)
        status = "optimal" if proven else ("feasible" if status == "optimal" else status)
    return best, best_c, lb, run.status(status, stream, search), method, out


# ----------------------------------------------------------------------------- public


def maximize_coverage(
    A,
    w,
    p: int | None,
    *,
    cost=None,
    budget: float | None = None,
    fixed=None,
    conflicts=None,
    time_limit_s: float | None = DEFAULT_TIME_LIMIT_S,
    count_fixed: bool = False,
    method: str = "auto",
    mip_rel_gap: float = 1e-4,
    seed: int = 0,
    threads: int | None = None,
    progress=None,
    work_limit: int | None = None,
) -> OptimizeResult:
    """Maximal covering location (MCLP): at most ``p`` new sites (and/or a budget) covering most weight.

    Anytime: the call returns within ``time_limit_s`` (plus the time to stop a running LP, typically
    well under a second) with the best selection found, a proven upper bound and the status.

    Parameters
    ----------
    A : scipy.sparse (m x n), bool
        Coverage matrix: ``A[i, j]`` is true when candidate j covers demand cell i.
    w : (m,) float
        Demand weight of each cell [weight units, e.g. m2 times scenario weight], >= 0.
    p : int or None
        Number of NEW sites allowed beyond ``fixed`` (``count_fixed=False``), or the total number of
        sites including ``fixed`` (``count_fixed=True``). None = no count limit (then give ``budget``).
    cost : (n,) float, optional
        Cost per candidate [cost units, e.g. CNY]; default 1 each. Fixed sites cost nothing extra.
    budget : float, optional
        Maximum total cost of the new sites [cost units].
    fixed : int indices or (n,) bool mask, optional
        Sites that must be in the solution (existing or approved).
    conflicts : (k, 2) int, optional
        Candidate pairs that may not both be chosen (minimum spacing). A candidate in conflict with a
        fixed site is excluded.
    time_limit_s : float or None
        Wall-time limit for the whole call [s], default `DEFAULT_TIME_LIMIT_S` (60 s). None lifts it:
        the call then runs until it proves ``mip_rel_gap`` (possibly for hours on a hard model).
        With ``work_limit`` it is only a safety net.
    count_fixed : bool
        Whether ``p`` includes the fixed sites (see ``p``).
    method : {"auto", "milp", "greedy"}
        ``"greedy"`` is greedy + 1-swap only, with a Lagrangian bound (no local search, no MILP).
    mip_rel_gap : float
        The solve stops as ``"optimal"`` once the relative gap is at most this [-]. With integer
        weights a gap below one unit of weight also ends it (the bound is rounded down).
    seed : int
        Seed of the local search and of HiGHS (``random_seed``).
    threads : int or None
        Cores to use: 1, or 2 (the local search beside the LP and the MILP); None = up to 2 if the
        machine has them. A solve that ends by proof returns the same answer for any value.
    progress : bool, callable or None
        Draw the progress line (incumbent, bound, gap) on stderr; None = only on an interactive
        terminal (not piped, ``CI`` unset, ``SITEPLAN_PROGRESS`` not 0). A callable draws nothing
        and is called as ``progress(elapsed_s, incumbent, bound)`` whenever either improves.
    work_limit : int or None
        Deterministic work limit [local-search rounds], None = none (the solve is anytime, ended by
        proof or ``time_limit_s``). With it, the solve ends by proof or once its counted work is
        spent, never by the clock: the local search asks for at most ``work_limit`` rounds in all
        (checkpoints and later rounds); HiGHS explores at most ``work_limit // 4`` nodes and passes
        at most ``max(8, work_limit // 100)`` of its limit checks (set-up, root LP, each round of root
        cuts, each node); on models large enough for the bound LP (above 40,000 nonzeros after
        reduction) 8 checks, and the MILP starts only when the gap left after the local search's checkpoint 0 and
        the LP bound is within 2 %, else the rounds go to the search. The
        result is then the same on every run, on ``threads=1`` or ``2``, however loaded the machine,
        and its ``status`` is ``"optimal"`` or ``"work_limit"``; ``time_limit_s`` stays as a safety
        net, and a solve it cuts says ``"time_limit"``. A round costs about the same as the
        candidates' coverage overlaps (1-7 ms on Hedong's 100,000-cell models).

    Returns
    -------
    OptimizeResult
        ``objective = covered_weight`` (fixed sites' coverage included); ``bound`` is an upper bound;
        ``status`` is ``"optimal"``, ``"time_limit"``, ``"work_limit"`` (or another HiGHS status).

    Raises
    ------
    ValueError
        Bad shapes, negative weights/costs, indices out of range, ``p`` / ``budget`` missing or < 0.
    InfeasibleError
        Two fixed sites conflict, or ``count_fixed=True`` and ``p < len(fixed)``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_array(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool))
    >>> r = maximize_coverage(A, np.array([1.0, 1.0, 2.0, 5.0]), 2)
    >>> r.selected.tolist(), r.covered_weight, r.status
    ([1, 2], 8.0, 'optimal')
    """
    t0 = time.perf_counter()
    _check_common(method, time_limit_s, mip_rel_gap, work_limit)
    nthreads = _threads(threads)
    csr, w, cost_a, fixed_i, pairs = validate(A, w, cost, fixed, conflicts)
    if p is None and budget is None:
        raise ValueError(
            "maximize_coverage: give p (number of sites) or budget (total cost), or both"
        )
    if p is not None:
        if int(p) != p or p < 0:
            raise ValueError(f"p = {p!r}: expected a non-negative integer number of sites")
        p = int(p)
        if count_fixed:
            if p < len(fixed_i):
                raise InfeasibleError(
                    f"p = {p} total sites (count_fixed=True) is fewer than the {len(fixed_i)} fixed sites"
                )
            p -= len(fixed_i)
    if budget is not None and not (np.isfinite(budget) and budget >= 0):
        raise ValueError(f"budget = {budget!r}: expected a finite cost >= 0")
    deadline = None if time_limit_s is None else t0 + time_limit_s
    red = reduce_model(csr, w, cost_a, fixed_i, pairs)
    extra: dict = {
        "p_new": p,
        "budget": budget,
        "time_limit_s": time_limit_s,
        "work_limit": work_limit,
        "threads": nthreads,
    }
    forced = np.empty(0, np.int64)
    if method != "greedy" and budget is None and p:
        fr = forced_max(red, p)
        if len(fr):  # in every optimum: fix them and reduce again
            forced = red.cols[fr]
            red = reduce_model(csr, w, cost_a, np.union1d(fixed_i, forced), pairs)
            p -= len(forced)
            extra["forced_sites"] = len(forced)
            extra["forced_cost"] = float(cost_a[forced].sum())
    n = red.A.shape[1]

    def done(cols, obj, bound, status, meth, gap_tol=None):
        return _result(
            red,
            cols,
            sense="max",
            objective=obj,
            bound=bound,
            status=status,
            method=meth,
            t0=t0,
            extra=extra,
            gap_tol=gap_tol,
            forced=forced,
        )

    if n == 0 or (p == 0) or red.coverable_weight <= red.fixed_weight:
        obj = red.fixed_weight
        return done(np.empty(0, np.int64), obj, obj, "optimal", "trivial")

    if method == "greedy":
        conf = red.conf_matrix()
        order, _ = greedy_max_coverage(
            red.A, red.w, p, cost=red.cost, budget=budget, conflicts=conf
        )
        sel = swap_search(
            red.A,
            red.w,
            order,
            p=p,
            cost=red.cost,
            budget=budget,
            conflicts=conf,
            time_limit_s=_remaining(deadline),
        )
        if not _feasible_max(
            red, sel, p, budget
        ):  # pragma: no cover - swap_search keeps feasibility
            sel = np.sort(order)
        obj = _covered(red, sel)
        ub = red.fixed_weight + coverage_upper_bound(
            red.A, red.w, p, cost=red.cost, budget=budget, lower=obj - red.fixed_weight
        )
        ub = min(_floor_to(ub, red.fixed_weight, cost_granularity(red.w)), red.coverable_weight)
        status = "optimal" if ub <= obj * (1 + 1e-12) else "greedy_only"
        return done(sel, obj, ub, status, "greedy+swap")

    prog = Progress("maximize_coverage", "max", enabled=progress)
    try:
        run = _Run(deadline, mip_rel_gap, seed, nthreads > 1, prog, extra, work_limit)
        sel, obj, bound, status, meth = _solve_max(red, p, budget, run)
    finally:
        prog.close()
    return done(sel, obj, bound, status, meth, gap_tol=max(mip_rel_gap, 1e-9))


def minimize_sites(
    A,
    w,
    target_fraction: float,
    *,
    cost=None,
    fixed=None,
    conflicts=None,
    time_limit_s: float | None = DEFAULT_TIME_LIMIT_S,
    max_sites: int | None = None,
    initial=None,
    method: str = "auto",
    mip_rel_gap: float = 1e-4,
    seed: int = 0,
    threads: int | None = None,
    progress=None,
    work_limit: int | None = None,
) -> OptimizeResult:
    """Cheapest set of new sites covering at least ``target_fraction`` of the total weight.

    Partial set cover; ``target_fraction = 1.0`` is the location set covering problem (LSCP). The
    target is a share of ALL weight, including cells no candidate can reach; the fixed sites' coverage
    counts towards it and their cost does not. A cell with zero weight never needs covering.
    Coverage meets the target when ``covered >= target_fraction * total - 1e-9 * total``.
    Anytime, as `maximize_coverage`: returns within ``time_limit_s`` with the best cover found and a
    proven lower bound (rounded up to the costs' common granularity).

    Parameters
    ----------
    A, w, cost, fixed, conflicts, time_limit_s, method, mip_rel_gap, seed, threads, progress
        As in `maximize_coverage`; ``cost`` defaults to 1 per site (= fewest sites);
        ``time_limit_s`` defaults to `DEFAULT_TIME_LIMIT_S`.
    work_limit : int or None
        Deterministic work limit [local-search rounds], as in `maximize_coverage`; None = none.
    target_fraction : float
        Share of the total weight to cover, 0..1 [-].
    max_sites : int, optional
        At most this many NEW sites (beyond ``fixed``); None = no cap.
    initial : int indices, optional
        A known feasible selection (original indices, fixed ones may be included) used as a starting
        incumbent when it meets the target, e.g. the answer of an earlier coverage-first stage.

    Returns
    -------
    OptimizeResult
        ``objective = cost`` of the new sites; ``bound`` is a lower bound.

    Raises
    ------
    InfeasibleError
        The target exceeds what all allowed candidates together cover, two fixed sites conflict, or
        the conflicts leave no feasible selection.
        With ``max_sites``, also when no selection of that size reaches the target.
    ValueError
        Bad shapes, negative weights/costs, ``target_fraction`` outside 0..1.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_array(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))
    >>> r = minimize_sites(A, np.ones(4), 1.0)
    >>> r.selected.tolist(), r.objective, r.status
    ([0, 2], 2.0, 'optimal')
    """
    t0 = time.perf_counter()
    _check_common(method, time_limit_s, mip_rel_gap, work_limit)
    nthreads = _threads(threads)
    if not (np.isfinite(target_fraction) and 0 <= target_fraction <= 1):
        raise ValueError(f"target_fraction = {target_fraction!r}: expected a share between 0 and 1")
    if max_sites is not None and (int(max_sites) != max_sites or max_sites < 0):
        raise ValueError(
            f"max_sites = {max_sites!r}: expected a non-negative integer number of new sites"
        )
    deadline = None if time_limit_s is None else t0 + time_limit_s
    csr, w, cost_a, fixed_i, pairs = validate(A, w, cost, fixed, conflicts)
    red = reduce_model(csr, w, cost_a, fixed_i, pairs)
    tol = 1e-9 * max(red.total_weight, 1e-300)
    target = float(target_fraction) * red.total_weight
    extra: dict = {
        "target_fraction": float(target_fraction),
        "target_weight": target,
        "time_limit_s": time_limit_s,
        "work_limit": work_limit,
        "threads": nthreads,
    }
    if red.coverable_weight < target - tol:
        raise InfeasibleError(
            f"target {target_fraction:.6g} of the weight is unreachable: all allowed candidates together "
            f"(with the fixed sites) cover {red.coverable_weight / red.total_weight if red.total_weight else 0:.6g}"
        )
    need = target - red.fixed_weight  # weight the new sites must add
    extra["max_sites"] = max_sites
    if need > tol and max_sites == 0:
        raise InfeasibleError(f"target {target_fraction:.6g} needs new sites but max_sites = 0")
    forced = np.empty(0, np.int64)

    def full(
        r, nd
    ):  # within tolerance of everything coverable: every remaining row (plain set cover)
        return float(r.w.sum()) - float(r.w.min()) < nd - tol if len(r.w) else False

    if method != "greedy" and need > tol and full(red, need):
        fr = forced_cover(red)
        if len(fr) and (max_sites is None or len(fr) <= max_sites):
            forced = red.cols[fr]
            red = reduce_model(csr, w, cost_a, np.union1d(fixed_i, forced), pairs)
            need = target - red.fixed_weight
            max_sites = None if max_sites is None else max_sites - len(forced)
            extra["forced_sites"] = len(forced)
            extra["forced_cost"] = float(cost_a[forced].sum())
    forced_cost = float(extra.get("forced_cost", 0.0))
    n = red.A.shape[1]

    def done(cols, obj, bound, status, meth, gap_tol=None):
        return _result(
            red,
            cols,
            sense="min",
            objective=obj + forced_cost,
            bound=bound + forced_cost,
            status=status,
            method=meth,
            t0=t0,
            extra=extra,
            gap_tol=gap_tol,
            forced=forced,
        )

    if need <= tol or n == 0:
        return done(np.empty(0, np.int64), 0.0, 0.0, "optimal", "trivial")
    conf = red.conf_matrix()
    full_cover = full(red, need)
    order, reached = greedy_partial_cover(red.A, red.w, need - tol, cost=red.cost, conflicts=conf)
    sel = None
    if reached:
        sel = prune_redundant(red.A, red.w, order, need - tol, cost=red.cost)
        extra["greedy_cost"] = float(red.cost[sel].sum())
        if method == "greedy":
            sel = swap_search(
                red.A,
                red.w,
                sel,
                cost=red.cost,
                conflicts=conf,
                need=need - tol,
                time_limit_s=_remaining(deadline),
            )
            sel = prune_redundant(red.A, red.w, sel, need - tol, cost=red.cost)
        if max_sites is not None and len(sel) > max_sites:
            sel = None
    if initial is not None:
        colpos = np.full(red.n, -1, dtype=np.int64)
        colpos[red.cols] = np.arange(n)
        ini = colpos[as_indices(initial, red.n, "initial")]
        ini = ini[ini >= 0]
        if (
            _conflict_free(red, ini)
            and _covered(red, ini) >= target - tol
            and (max_sites is None or len(ini) <= max_sites)
        ):
            ini = prune_redundant(red.A, red.w, ini, need - tol, cost=red.cost)
            if sel is None or red.cost[ini].sum() < red.cost[sel].sum():
                sel = ini
    lb = cover_cost_lower_bound(red.A, red.w, need - tol, cost=red.cost)
    if method == "greedy":
        if sel is None:
            raise InfeasibleError(
                f"greedy found no selection reaching {target_fraction:.6g} of the weight under the conflicts "
                "/ max_sites (not proven infeasible; try method='auto')"
            )
        obj = float(red.cost[sel].sum())
        lb = round_up_to(lb, cost_granularity(red.cost))
        status = "optimal" if obj <= lb * (1 + 1e-12) else "greedy_only"
        return done(sel, obj, lb, status, "greedy+swap")

    prog = Progress("minimize_sites", "min", enabled=progress, offset=forced_cost)
    try:
        run = _Run(deadline, mip_rel_gap, seed, nthreads > 1, prog, extra, work_limit)
        best, obj, bound, status, meth, out = _solve_min(
            red, need, tol, full_cover, max_sites, sel, lb, run
        )
    finally:
        prog.close()
    if best is None:
        if out is not None and out["status"] == "infeasible":
            raise InfeasibleError(
                f"no selection reaches {target_fraction:.6g} of the weight without breaking a conflicts pair "
                f"or exceeding max_sites = {max_sites} (HiGHS proved the model infeasible)"
            )
        raise InfeasibleError(
            f"no selection reaching {target_fraction:.6g} of the weight was found within the "
            f"{'time' if run.cut or work_limit is None else 'work'} limit "
            f"(HiGHS status {out['highs_status'] if out else 'not run'!r}; not proven infeasible)"
        )
    return done(best, obj, bound, status, meth, gap_tol=max(mip_rel_gap, 1e-9))
