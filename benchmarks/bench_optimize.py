"""Benchmark: siteplan.optimize on hard covering instances against a plain HiGHS MILP, and against spopt.

Plain script, run from the repo root:
``.venv/bin/python benchmarks/bench_optimize.py [--quick] [--suite hard|spopt|all] [--limit S] [--plain-limit S]``.
It prints times, objectives, gaps and ratios; it never asserts a time. The machine may be loaded by
other work: say so next to any figure taken from it.

Suite "hard" (default) -- the instances of issue 15, seeded:

* uniform: demand on a square lattice (50 m; the 40,000-cell case covers Hedong's 42 km2, 32.4 m),
  unit weights, candidates at uniform random points, each covering the cells within 250 m (circular,
  so coverage overlaps heavily); ``p`` set for about 60 / 90 / 99 % coverage at the optimum;
* clustered: demand points drawn around Gaussian clusters, lognormal weights (3 decimals), same
  candidates and radius, ``p`` for about 90 %;
* sizes 1,600 x 200 and 6,400 x 800 (MCLP), and 40,000 x 2,500 (MCLP, set cover of every coverable
  cell, 95 % partial cover; unit costs).

Per instance it reports, for ours (``maximize_coverage`` / ``minimize_sites`` with ``--limit``, default
60 s, default settings otherwise) and for a plain HiGHS MILP of the same, unreduced model (HiGHS's
defaults, ``--plain-limit``, default 120 s): the time to within 1 % of the best known objective (the
best of a stored long run and everything found in this run), the time to proof (status optimal), or
else the proven gap at the end. Ratios are plain / ours.

``--quick`` runs the 1,600 x 200 family only (a few minutes).

Suite "spopt" -- the earlier comparison with PySAL spopt (PuLP with CBC and HiGHS), on seeded spatial
instances with ragged random-radius coverage (make_instance), up to Hedong scale where spopt's dense
model fits (``--spopt-max-cells``).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from siteplan.optimize import maximize_coverage, minimize_sites

# ------------------------------------------------------------------------------------- hard family

#: name -> (kind, cells, candidates, problem, p or target). Problem "mclp" takes p; "cover" a target
#: share of the coverable weight (1.0 = set cover).
HARD = {
    "uni60-1.6k": ("uniform", 1_600, 200, "mclp", 12),
    "uni90-1.6k": ("uniform", 1_600, 200, "mclp", 22),
    "uni99-1.6k": ("uniform", 1_600, 200, "mclp", 30),
    "clu90-1.6k": ("clustered", 1_600, 200, "mclp", 16),
    "uni60-6.4k": ("uniform", 6_400, 800, "mclp", 48),
    "uni90-6.4k": ("uniform", 6_400, 800, "mclp", 84),
    "uni99-6.4k": ("uniform", 6_400, 800, "mclp", 116),
    "clu90-6.4k": ("clustered", 6_400, 800, "mclp", 80),
    "uni60-40k": ("uniform", 40_000, 2_500, "mclp", 125),
    "uni90-40k": ("uniform", 40_000, 2_500, "mclp", 215),
    "uni99-40k": ("uniform", 40_000, 2_500, "mclp", 300),
    "clu90-40k": ("clustered", 40_000, 2_500, "mclp", 200),
    "uni-lscp-40k": ("uniform", 40_000, 2_500, "cover", 1.0),
    "uni-cover95-40k": ("uniform", 40_000, 2_500, "cover", 0.95),
    "clu-lscp-40k": ("clustered", 40_000, 2_500, "cover", 1.0),
    "clu-cover95-40k": ("clustered", 40_000, 2_500, "cover", 0.95),
}

#: Best objectives known for HARD (from longer runs on this machine; the run's own best is used when
#: better). Empty entries are filled from the run itself.
BEST_KNOWN: dict[str, float] = {}

RADIUS_M = 250.0


def hard_instance(kind: str, n_cells: int, n_cand: int, *, seed: int = 0):
    """Seeded hard covering instance: ``(A csc bool, w)``; see the module docstring."""
    rng = np.random.default_rng(seed)
    area_km2 = 42.0 if n_cells >= 40_000 else n_cells * 0.05**2
    side = np.sqrt(area_km2) * 1000.0
    if kind == "uniform":
        k = round(float(np.sqrt(n_cells)))
        g = (np.arange(k) + 0.5) * side / k
        xx, yy = np.meshgrid(g, g)
        pts = np.c_[xx.ravel(), yy.ravel()]
        w = np.ones(len(pts))
    elif kind == "clustered":
        nc = max(4, n_cells // 200)
        centres = rng.random((nc, 2)) * side
        spread = rng.uniform(150.0, 600.0, nc)
        lab = rng.integers(0, nc, n_cells)
        pts = np.clip(centres[lab] + rng.normal(size=(n_cells, 2)) * spread[lab, None], 0.0, side)
        w = np.round(rng.lognormal(0.0, 1.0, n_cells), 3)
    else:
        raise ValueError(f"invalid kind {kind!r}: expected 'uniform' or 'clustered'")
    cand = rng.random((n_cand, 2)) * side
    hits = cKDTree(pts).query_ball_point(cand, RADIUS_M)
    rows = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
    cols = np.repeat(np.arange(n_cand), [len(h) for h in hits])
    A = sp.csc_array((np.ones(len(rows), bool), (rows, cols)), shape=(len(pts), n_cand))
    return A, w


def plain_milp(A, w, problem: str, arg, limit_s: float):
    """The textbook model passed to HiGHS as is (defaults, presolve on); returns a trace and the end.

    MCLP: max w.y, y <= A x, sum x <= p. Cover: min sum x, A x >= y, w.y >= target (set cover: A x >= 1
    on the coverable rows). Returns ``(trace [(t, incumbent, bound)], status, objective, bound, t_end)``.
    """
    import highspy

    A = sp.csc_array(A, dtype=np.float64)
    m, n = A.shape
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(limit_s))
    inf = highspy.kHighsInf
    if problem == "mclp":
        M = sp.vstack(
            [
                sp.hstack([A, -sp.eye_array(m)]),
                sp.csr_array(np.r_[np.ones(n), np.zeros(m)][None, :]),
            ]
        )
        sense, cost = highspy.ObjSense.kMaximize, np.r_[np.zeros(n), w]
        rl, ru = np.r_[np.zeros(m), -inf], np.r_[np.full(m, inf), arg]
        integ = np.r_[np.ones(n), np.zeros(m)]
    elif arg >= 1.0:
        M = A
        sense, cost = highspy.ObjSense.kMinimize, np.ones(n)
        rl, ru = np.ones(m), np.full(m, inf)
        integ = np.ones(n)
    else:
        M = sp.vstack(
            [sp.hstack([A, -sp.eye_array(m)]), sp.csr_array(np.r_[np.zeros(n), w][None, :])]
        )
        sense, cost = highspy.ObjSense.kMinimize, np.r_[np.ones(n), np.zeros(m)]
        rl, ru = np.r_[np.zeros(m), arg * w.sum()], np.full(m + 1, inf)
        integ = np.r_[np.ones(n), np.zeros(m)]
    M = sp.csc_array(M)
    M.sort_indices()
    ncol = M.shape[1]
    h.passModel(
        ncol,
        M.shape[0],
        M.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(sense),
        0.0,
        cost,
        np.zeros(ncol),
        np.ones(ncol),
        rl,
        ru,
        M.indptr.astype(np.int32),
        M.indices.astype(np.int32),
        M.data,
        integ.astype(np.int32),
    )
    trace: list[tuple[float, float, float]] = []
    t0 = time.perf_counter()

    def watch(e):
        out = e.data_out
        inc, bd = float(out.mip_primal_bound), float(out.mip_dual_bound)
        if not trace or (inc, bd) != trace[-1][1:]:
            trace.append((time.perf_counter() - t0, inc, bd))

    h.cbMipInterrupt.subscribe(watch)
    h.cbMipImprovingSolution.subscribe(watch)
    h.run()
    t_end = time.perf_counter() - t0
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    trace.append((t_end, float(info.objective_function_value), float(info.mip_dual_bound)))
    return trace, status, float(info.objective_function_value), float(info.mip_dual_bound), t_end


def _first_within(trace, best: float, sense: str, frac: float = 0.01):
    for t, inc, _ in trace:
        if np.isfinite(inc) and (
            inc >= best * (1 - frac) if sense == "max" else inc <= best * (1 + frac)
        ):
            return t
    return None


def _gap(inc: float, bound: float, sense: str) -> float:
    if not (np.isfinite(inc) and np.isfinite(bound)) or inc == 0:
        return float("inf")
    return max(bound - inc, 0.0) / abs(inc) if sense == "max" else max(inc - bound, 0.0) / abs(inc)


def _fmt_t(t) -> str:
    return "-" if t is None else f"{t:.2f}"


def run_hard(names, limit_s: float, plain_limit_s: float, skip_plain: bool) -> None:
    print(
        f"{'instance':>16} {'solver':>8} {'objective':>12} {'bound':>12} {'status':>11} {'t_1%':>7} "
        f"{'t_proof':>8} {'gap_end':>8}   ratios plain/ours (t_1%, t_proof)"
    )
    ratios_proof: dict[str, float] = {}
    for name in names:
        kind, m, n, problem, arg = HARD[name]
        A, w = hard_instance(kind, m, n)
        sense = "max" if problem == "mclp" else "min"
        if problem == "cover":  # cover the coverable cells only (the share is of their weight)
            cov = np.diff(sp.csr_array(A).indptr) > 0
            A, w = sp.csr_array(A)[cov], (np.ones(int(cov.sum())) if kind == "uniform" else w[cov])
        trace: list[tuple[float, float, float]] = []
        t0 = time.perf_counter()

        def hook(_t, inc, bound, trace=trace, t0=t0):
            trace.append((time.perf_counter() - t0, inc, bound))

        if problem == "mclp":
            r = maximize_coverage(A, w, arg, time_limit_s=limit_s, progress=hook)
        else:
            r = minimize_sites(A, w, arg, time_limit_s=limit_s, progress=hook)
        trace.append((r.time_s, r.objective, r.bound))
        pl = None if skip_plain else plain_milp(A, w, problem, arg, plain_limit_s)
        objs = [r.objective] + ([] if pl is None else [v for _, v, _ in pl[0] if np.isfinite(v)])
        if name in BEST_KNOWN:
            objs.append(BEST_KNOWN[name])
        best = max(objs) if sense == "max" else min(objs)
        t1 = _first_within(trace, best, sense)
        tp = r.time_s if r.status == "optimal" else None
        print(
            f"{name:>16} {'ours':>8} {r.objective:12.6g} {r.bound:12.6g} {r.status:>11} {_fmt_t(t1):>7} "
            f"{_fmt_t(tp):>8} {r.gap:8.2%}   best known {best:.6g}; {r.method}"
        )
        if pl is None:
            continue
        ptrace, pstatus, pobj, pbound, pt = pl
        pt1 = _first_within(ptrace, best, sense)
        ptp = pt if pstatus == "Optimal" else None
        at = [e for e in ptrace if e[0] <= limit_s]
        g60 = _gap(at[-1][1], at[-1][2], sense) if at else float("inf")
        r1 = f"{pt1 / t1:.1f}x" if (t1 and pt1) else ("plain never" if t1 else "-")
        rp = f"{ptp / tp:.1f}x" if (tp and ptp) else ("plain unproven" if tp else "-")
        if tp and ptp:
            ratios_proof[name] = ptp / tp
        print(
            f"{'':>16} {'plain':>8} {pobj:12.6g} {pbound:12.6g} {pstatus[:11]:>11} {_fmt_t(pt1):>7} "
            f"{_fmt_t(ptp):>8} {_gap(pobj, pbound, sense):8.2%}   gap at {limit_s:.0f}s {g60:.2%}; "
            f"ratios {r1}, {rp}"
        )
    if ratios_proof:
        print(
            "time-to-proof ratio plain/ours, median over the instances both proved: "
            f"{np.median(list(ratios_proof.values())):.1f}x ({len(ratios_proof)} instances)"
        )


# ------------------------------------------------------------------------------------- spopt suite


def make_instance(n_cells: int, n_cand: int, *, area_km2: float = 42.0, seed: int = 0):
    """Seeded spatial instance: returns (A csc bool, w [m2], cost [CNY], radius_m).

    Demand cells on a square grid, candidates at random points, each covering the cells within its own
    radius (150-400 m) with a ragged edge (a random 10% of the disc's outer ring dropped, standing in
    for shadowing), weights = cell area x a hotspot factor (a few clusters weighted 2-3x).
    """
    rng = np.random.default_rng(seed)
    side_m = np.sqrt(area_km2) * 1000.0
    k = round(float(np.sqrt(n_cells)))
    cell_m = side_m / k
    g = (np.arange(k) + 0.5) * cell_m
    xx, yy = np.meshgrid(g, g)
    cells = np.c_[xx.ravel(), yy.ravel()]
    cand = rng.random((n_cand, 2)) * side_m
    radius = rng.uniform(150.0, 400.0, n_cand)
    tree = cKDTree(cells)
    hits = tree.query_ball_point(cand, radius)
    rows, cols = [], []
    for j, h in enumerate(hits):  # loop over candidates (thousands), not cells
        h = np.asarray(h, dtype=np.int64)
        d = np.hypot(*(cells[h] - cand[j]).T)
        ring = d > 0.85 * radius[j]
        keep = ~ring | (rng.random(len(h)) > 0.10)
        rows.append(h[keep])
        cols.append(np.full(keep.sum(), j))
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    A = sp.csc_array((np.ones(len(rows), bool), (rows, cols)), shape=(len(cells), n_cand))
    hot = rng.random((6, 2)) * side_m
    near = cKDTree(hot).query(cells)[0] < 500.0
    w = cell_m**2 * np.where(near, rng.choice([2.0, 3.0], len(cells)), 1.0)
    cost = rng.choice([80_000.0, 120_000.0, 200_000.0, 350_000.0], n_cand, p=[0.2, 0.4, 0.3, 0.1])
    return A, w, cost, radius


def spopt_distance(A: sp.csc_array, radius_m: float = 1.0) -> np.ndarray:
    """Dense 'distance' matrix for spopt: 0 where covered, 2 * radius elsewhere (same coverage as A)."""
    return np.where(A.toarray(), 0.0, 2.0 * radius_m)


def run_spopt(kind: str, dist: np.ndarray, w: np.ndarray, p: int, solver_name: str, limit_s: float):
    import pulp
    from spopt.locate import LSCP, MCLP

    solver = {
        "cbc": lambda: pulp.PULP_CBC_CMD(msg=False, timeLimit=limit_s),
        "highs": lambda: pulp.HiGHS(msg=False, timeLimit=limit_s),
    }[solver_name]()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "mclp":
            model = MCLP.from_cost_matrix(dist, w, 1.0, p_facilities=p)
        else:
            model = LSCP.from_cost_matrix(dist, 1.0)
        t_build = time.perf_counter() - t0
        model = model.solve(solver)
    t = time.perf_counter() - t0
    obj = float(pulp.value(model.problem.objective))
    return obj, t, t_build, pulp.LpStatus[model.problem.status]


def run_spopt_suite(args) -> None:
    try:
        import pulp

        solvers = [
            s
            for s, name in (("cbc", "PULP_CBC_CMD"), ("highs", "HiGHS"))
            if name in pulp.listSolvers(onlyAvailable=True)
        ]
        import spopt  # noqa: F401
    except ImportError:
        solvers = []
        print("spopt / pulp not importable: siteplan only")
    sizes = [(2_500, 250), (6_400, 800), (40_000, 2_500)]
    if args.quick:
        sizes = sizes[:1]
    print(
        f"{'instance':>14} {'problem':>8} {'solver':>12} {'time_s':>8} {'objective':>14} {'status':>12} {'gap':>8} ratio"
    )
    for n_cells, n_cand in sizes:
        A, w, cost, _ = make_instance(n_cells, n_cand, seed=0)
        name = f"{A.shape[0]}x{A.shape[1]}"
        ours = maximize_coverage(A, w, args.p, time_limit_s=args.limit)
        print(
            f"{name:>14} {'mclp':>8} {'siteplan':>12} {ours.time_s:8.2f} {ours.objective:14.1f} {ours.status:>12} "
            f"{ours.gap:8.2e}   nnz={A.nnz} model={ours.info['rows_model']}x{ours.info['cols_model']}"
        )
        dist = spopt_distance(A) if (solvers and A.shape[0] <= args.spopt_max_cells) else None
        for s in solvers:
            if dist is None:
                print(
                    f"{name:>14} {'mclp':>8} {'spopt-' + s:>12}  skipped (dense PuLP model above --spopt-max-cells)"
                )
                continue
            obj, t, tb, st = run_spopt("mclp", dist, w, args.p, s, args.spopt_limit)
            hit = " (hit time limit)" if t >= args.spopt_limit * 0.95 else ""
            print(
                f"{name:>14} {'mclp':>8} {'spopt-' + s:>12} {t:8.2f} {obj:14.1f} {st:>12} {'':>8} "
                f"{t / ours.time_s:6.1f}x slower, obj {obj / ours.objective:.5f} of ours, build {tb:.1f}s{hit}"
            )
        cov = np.diff(sp.csr_array(A).indptr) > 0
        Ac, wc = sp.csr_array(A)[cov], np.ones(int(cov.sum()))
        ours_l = minimize_sites(Ac, wc, 1.0, time_limit_s=args.limit)
        print(
            f"{name:>14} {'lscp':>8} {'siteplan':>12} {ours_l.time_s:8.2f} {ours_l.objective:14.1f} "
            f"{ours_l.status:>12} {ours_l.gap:8.2e}   bound={ours_l.bound:.6g} ({ours_l.info.get('bound_source')})"
        )
        distc = dist[cov] if dist is not None else None
        for s in solvers:
            if distc is None:
                print(
                    f"{name:>14} {'lscp':>8} {'spopt-' + s:>12}  skipped (dense PuLP model above --spopt-max-cells)"
                )
                continue
            obj, t, tb, st = run_spopt("lscp", distc, wc, 0, s, args.spopt_limit)
            hit = " (hit time limit)" if t >= args.spopt_limit * 0.95 else ""
            print(
                f"{name:>14} {'lscp':>8} {'spopt-' + s:>12} {t:8.2f} {obj:14.1f} {st:>12} {'':>8} "
                f"{t / ours_l.time_s:6.1f}x slower, obj {obj / ours_l.objective:.5f} of ours, build {tb:.1f}s{hit}"
            )
        pc = minimize_sites(
            A, w, 0.95 * (w[cov].sum() / w.sum()), cost=cost, time_limit_s=args.limit
        )
        print(
            f"{name:>14} {'cover95':>8} {'siteplan':>12} {pc.time_s:8.2f} {pc.objective:14.1f} {pc.status:>12} "
            f"{pc.gap:8.2e}   sites={len(pc.selected)} (cost CNY) bound={pc.bound:.6g} ({pc.info.get('bound_source')})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="1,600 x 200 family only (spopt suite: smallest size)"
    )
    ap.add_argument("--suite", choices=("hard", "spopt", "all"), default="hard")
    ap.add_argument("--only", nargs="*", help="hard-suite instance names to run (default: all)")
    ap.add_argument("--limit", type=float, default=60.0, help="time limit per siteplan solve [s]")
    ap.add_argument(
        "--plain-limit", type=float, default=120.0, help="time limit per plain MILP [s]"
    )
    ap.add_argument("--no-plain", action="store_true", help="skip the plain MILP baseline")
    ap.add_argument(
        "--spopt-limit", type=float, default=60.0, help="time limit per spopt solve [s]"
    )
    ap.add_argument(
        "--spopt-max-cells", type=int, default=7_000, help="largest instance given to spopt"
    )
    ap.add_argument("--p", type=int, default=150, help="spopt suite: p of the MCLP")
    args = ap.parse_args()
    t_all = time.perf_counter()
    if args.suite in ("hard", "all"):
        names = args.only or [k for k in HARD if not args.quick or k.endswith("-1.6k")]
        run_hard(names, args.limit, args.plain_limit, args.no_plain)
    if args.suite in ("spopt", "all"):
        run_spopt_suite(args)
    print(f"total {time.perf_counter() - t_all:.1f} s")


if __name__ == "__main__":
    main()
