"""Benchmark: the pruned, tiled coverage engine (compiled and numpy kernels) against a dense numpy baseline.

Scene: Hedong's real boundary (data/districts/hedong/boundary.geojson, else a 42 km^2 rectangle) on a 10 m grid
(~420k cells) with 773 three-sector macro sites at seeded random positions inside it (the 2022 target).

Runs, all on one core (``NUMBA_NUM_THREADS=1``; the compiled kernel is single-threaded, tiles are the unit of
parallelism, see ``bench_kernel.py``):

- ``compiled``: ``compute_coverage(kernel="numba")``: tiles + KD-tree, each tile's rows only over the cells
  within ``max_reach_m`` of a site, evaluated by the compiled kernel;
- ``numpy``: ``compute_coverage(kernel="numpy")``: the same tiles, the reference kernel (float64 blocks);
- ``dense``: every site against every cell, one site at a time, float64, with the public model functions
  (``path_loss``, ``sector_pattern_db``): the plain numpy baseline;
- ``dense-kernel`` (``--kernel-baseline``): the numpy reference kernel fed one site at a time over all cells,
  no pruning, to separate the gain of pruning from the gain of the kernel's arithmetic.

An evaluation is one (site, cell) pair: for the engines, the pairs within ``max_reach_m`` (``n_pairs`` / 3
sectors), for the dense baseline every pair. Throughput is per CPU second (``time.process_time``), which a
shared machine disturbs less than wall time; both are printed. Agreement: the two kernels' float64 tile results
on a sample of tiles, and the engine against the dense baseline where the dense best server is within reach.
Run: ``python benchmarks/bench_coverage.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # one core (before numba is imported)

import geopandas as gpd
import numpy as np
import shapely

from siteplan.config import RadioConfig
from siteplan.coverage import compute_coverage, make_grid, sectors_from_sites
from siteplan.coverage.engine import coverage_inputs, kernel_params, tile_kernel, tile_tasks
from siteplan.radio import antenna
from siteplan.radio import linkbudget as lb
from siteplan.radio.propagation import los_from_mode, path_loss

ROOT = Path(__file__).resolve().parents[1]
CRS = "EPSG:4548"


def boundary_polygon():
    f = ROOT / "data" / "districts" / "hedong" / "boundary.geojson"
    if f.is_file():
        b = gpd.read_file(f).to_crs(CRS)
        return shapely.union_all(b.geometry.values), "Hedong boundary (data/districts/hedong)"
    return shapely.box(517_000.0, 4_329_000.0, 523_000.0, 4_336_000.0), "42 km^2 rectangle (no Hedong data)"


def random_sites(poly, n, seed):
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = poly.bounds
    xs, ys = [], []
    while sum(len(x) for x in xs) < n:
        x = rng.uniform(minx, maxx, 4 * n)
        y = rng.uniform(miny, maxy, 4 * n)
        ok = shapely.contains_xy(poly, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
    x = np.concatenate(xs)[:n]
    y = np.concatenate(ys)[:n]
    return gpd.GeoDataFrame(
        {"site_id": [f"B{i:04d}" for i in range(n)], "site_type": ["macro"] * n},
        geometry=shapely.points(x, y), crs=CRS,
    )


def dense_numpy(grid, sites, radio):
    """Every site against every cell, one site at a time: plain float64 numpy with the public functions."""
    p = radio.preset("macro", radio.band)
    band = lb.get_band(radio.band)
    los = los_from_mode(radio.los_mode)
    x, y = grid.cell_xy()
    best = np.full(x.size, -np.inf)
    server = np.full(x.size, -1, dtype=np.int64)
    total = np.zeros(x.size)
    budget = lb.budget_db(p, radio)
    sx = sites.geometry.x.to_numpy()
    sy = sites.geometry.y.to_numpy()
    for j in range(len(sites)):
        dx, dy = x - sx[j], y - sy[j]
        d = np.sqrt(dx * dx + dy * dy)
        pl = path_loss(p.model, d, freq_ghz=band.freq_ghz, h_bs_m=p.height_m, h_ut_m=radio.ue_height_m, los=los)
        brg = antenna.bearing_deg(dx, dy)
        dep = antenna.depression_deg(d, p.height_m - radio.ue_height_m)
        for az in p.azimuths_deg:
            rx = budget - pl + antenna.sector_pattern_db(
                brg - az, dep, h_beamwidth_deg=p.h_beamwidth_deg, v_beamwidth_deg=p.v_beamwidth_deg,
                tilt_deg=p.tilt_deg, am_db=p.front_to_back_db, sla_v_db=p.sla_v_db,
            )
            better = rx > best
            best = np.where(better, rx, best)
            server = np.where(better, j, server)
            total += 10.0 ** (rx / 10.0)
    noise = 10.0 ** (lb.noise_per_re_dbm(band, noise_figure_db=radio.noise_figure_db) / 10.0)
    s = 10.0 ** (best / 10.0)
    sinr = 10.0 * np.log10(s / (np.maximum(total - s, 0.0) * radio.neighbour_load + noise))
    return best, server, sinr


def dense_kernel(grid, sites, radio):
    """The numpy reference kernel, one site at a time over one tile holding every cell (no pruning)."""
    s = sectors_from_sites(sites, radio)
    p = kernel_params(radio, s.bands, max_reach_m=1e9, origin_xy=(grid.transform.c, grid.transform.f),
                      block_pairs=1 << 22, kernel="numpy")
    tile = grid.tiles(max(grid.shape))[0]
    n = tile.inside.sum()
    best = np.full(n, -np.inf)
    for j in range(s.n_sites):
        r = tile_kernel(tile, s.subset([j]), p)
        best = np.maximum(best, r.rsrp_dbm)
    return best


def measure(fn):
    """(result, wall [s], CPU [s], peak traced Python memory [B])."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    c = time.process_time()
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    dc = time.process_time() - c
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, dt, dc, peak


def kernel_agreement(grid, sites, radio, reach, tile_size, every=7):
    """Max |difference| [dB] between the compiled and numpy kernels' float64 tile results, on every n-th tile."""
    s, pc, _ = coverage_inputs(grid, sites, radio, max_reach_m=reach, kernel="numba")
    pn = dataclasses.replace(pc, kernel="numpy")
    worst = {"rsrp": 0.0, "indoor": 0.0, "sinr": 0.0}
    same_server = total = 0
    for tile, sub, _ in tile_tasks(grid, s, pc, tile_size=tile_size)[::every]:
        a, b = tile_kernel(tile, sub, pc), tile_kernel(tile, sub, pn)
        for key, f in (("rsrp", "rsrp_dbm"), ("indoor", "indoor_rsrp_dbm"), ("sinr", "sinr_db")):
            x, y = getattr(a, f), getattr(b, f)
            fin = np.isfinite(x) & np.isfinite(y)
            if fin.any():
                worst[key] = max(worst[key], float(np.max(np.abs(x[fin] - y[fin]))))
        same_server += int((a.server_sector == b.server_sector).sum())
        total += a.server_sector.size
    return worst, same_server / max(total, 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=float, default=10.0, help="grid resolution [m] (default 10)")
    ap.add_argument("--sites", type=int, default=773, help="number of three-sector sites (default 773)")
    ap.add_argument("--reach", type=float, default=1000.0, help="max_reach_m of the engines (default 1000)")
    ap.add_argument("--tile", type=int, default=None, help="tile edge in cells (default: the kernel's own)")
    ap.add_argument("--seed", type=int, default=20220)
    ap.add_argument("--kernel-baseline", action="store_true", help="also time the numpy kernel without pruning")
    ap.add_argument("--skip-dense", action="store_true", help="leave out the dense baseline (minutes)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each engine; the median is reported (default 3)")
    a = ap.parse_args(argv)

    radio = dataclasses.replace(RadioConfig(), grid_resolution_m=a.resolution)
    poly, what = boundary_polygon()
    grid = make_grid(poly, CRS, a.resolution)
    sites = random_sites(poly, a.sites, a.seed)
    n_cells = grid.n_inside
    print(f"scene: {what}, {poly.area / 1e6:.1f} km^2, {a.resolution:g} m grid, {n_cells} cells, "
          f"{a.sites} three-sector macro sites, reach {a.reach:g} m; one core (NUMBA_NUM_THREADS="
          f"{os.environ['NUMBA_NUM_THREADS']}); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

    compute_coverage(grid, sites.iloc[:5], radio, kernel="numba")  # load (or compile) the kernel first
    runs = {}
    for kernel in ("numba", "numpy"):
        reps = [measure(lambda k=kernel: compute_coverage(grid, sites, radio, tile_size=a.tile, max_reach_m=a.reach,
                                                          kernel=k)) for _ in range(a.repeat)]
        res, t, c, m = sorted(reps, key=lambda r: r[2])[len(reps) // 2]  # the median run by CPU time
        evals = res.n_pairs / 3  # sector-cell pairs within reach -> site-cell evaluations (3 sectors per site)
        runs[kernel] = (res, t, c, evals)
        name = "compiled" if kernel == "numba" else "numpy"
        print(f"{name:9s}: {t:8.2f} s wall {c:8.2f} s CPU  peak {m / 2**20:7.1f} MiB  {evals / 1e6:8.1f} M site-cell "
              f"evals within reach  {evals / c / 1e6:6.2f} M evals/CPU-s")
    res, t_p, c_p, evals_p = runs["numba"]
    worst, same = kernel_agreement(grid, sites, radio, a.reach, a.tile or 128)
    print(f"compiled vs numpy kernel (float64 tiles, every 7th): max |dRSRP| {worst['rsrp']:.1e} dB, indoor "
          f"{worst['indoor']:.1e} dB, SINR {worst['sinr']:.1e} dB; same best server in {same:.4%} of cells")
    a32, b32 = runs["numba"][0], runs["numpy"][0]
    ins = grid.inside
    d32 = np.abs(a32.rsrp_dbm[ins].astype(float) - b32.rsrp_dbm[ins].astype(float))
    print(f"  float32 rasters: max |dRSRP| {np.nanmax(np.where(np.isfinite(d32), d32, 0.0)):.1e} dB "
          f"(one float32 step at -100 dBm is 7.6e-06)")
    print(f"compiled vs numpy engine: {runs['numpy'][2] / c_p:.2f}x CPU")

    if not a.skip_dense:
        (best_d, server_d, sinr_d), t_d, c_d, m_d = measure(lambda: dense_numpy(grid, sites, radio))
        evals_d = float(a.sites) * n_cells
        print(f"dense    : {t_d:8.2f} s wall {c_d:8.2f} s CPU  peak {m_d / 2**20:7.1f} MiB  {evals_d / 1e6:8.1f} M "
              f"site-cell evals           {evals_d / c_d / 1e6:6.2f} M evals/CPU-s")
        print(f"per evaluation, compiled / dense: {(evals_p / c_p) / (evals_d / c_d):.2f}x  "
              f"(numpy kernel / dense: {(runs['numpy'][3] / runs['numpy'][2]) / (evals_d / c_d):.2f}x)")
        print(f"speed-up pruned compiled engine vs dense: {c_d / c_p:.1f}x CPU, {t_d / t_p:.1f}x wall; "
              f"pruned numpy engine vs dense: {c_d / runs['numpy'][2]:.1f}x CPU")
        got = res.rsrp_dbm.ravel()[grid.cell_index].astype(float)
        x, y = grid.cell_xy()
        sx, sy = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
        near = np.hypot(x - sx[server_d], y - sy[server_d]) <= a.reach  # dense best server within reach
        print(f"same result where the dense best server is within reach ({near.mean():.4%} of cells): "
              f"max |dRSRP| {np.max(np.abs(got[near] - best_d[near])):.1e} dB, best server agrees in "
              f"{np.mean(res.server.ravel()[grid.cell_index][near] == server_d[near]):.4%}; elsewhere the best "
              f"server is beyond reach: max dense RSRP there "
              f"{best_d[~near].max() if (~near).any() else float('nan'):.1f} dBm")
        ds = res.sinr_db.ravel()[grid.cell_index] - sinr_d
        ds = ds[np.isfinite(ds)]
        print(f"SINR (interference beyond {a.reach:g} m ignored): engine - dense median {np.median(ds):+.3f} dB, "
              f"95th pct {np.percentile(ds, 95):+.3f} dB, max {ds.max():+.3f} dB")
        print(f"covered share (RSRP >= {radio.rsrp_threshold_dbm:g} dBm): engine {res.covered.sum() / n_cells:.4f}, "
              f"dense {(best_d >= radio.rsrp_threshold_dbm).mean():.4f}")

    if a.kernel_baseline:
        _best_k, t_k, c_k, m_k = measure(lambda: dense_kernel(grid, sites, radio))
        evals_d = float(a.sites) * n_cells
        print(f"dense-kernel (numpy kernel, no pruning): {t_k:8.2f} s wall {c_k:8.2f} s CPU  peak "
              f"{m_k / 2**20:7.1f} MiB  {evals_d / c_k / 1e6:6.2f} M evals/CPU-s -> pruning alone: "
              f"{c_k / runs['numpy'][2]:.2f}x")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
