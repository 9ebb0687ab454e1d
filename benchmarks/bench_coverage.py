"""Benchmark: the pruned, tiled coverage engine against a plain dense numpy computation, same process.

Scene: Hedong's real boundary (data/districts/hedong/boundary.geojson, else a 42 km^2 rectangle) on a 10 m grid
(~420k cells) with 773 three-sector macro sites at seeded random positions inside it (the 2022 target).

Runs:
- ``pruned``: ``compute_coverage`` (tiles + KD-tree, only sites within ``max_reach_m`` of a cell evaluated);
- ``dense``: every site against every cell, one site at a time, float64, with the public model functions
  (``path_loss``, ``sector_pattern_db``): the plain numpy baseline;
- ``dense-kernel`` (``--kernel-baseline``): the engine's own float32 kernel fed one site at a time over all
  cells, no pruning, to separate the gain of pruning from the gain of the kernel's arithmetic.

Prints time, peak traced memory (tracemalloc), site-cell evaluations per second, the speed-up and
throughput ratios, and how far the results differ. Run: ``python benchmarks/bench_coverage.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from siteplan.config import RadioConfig
from siteplan.coverage import compute_coverage, make_grid, sectors_from_sites
from siteplan.coverage.engine import kernel_params, tile_kernel
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
    p = radio.site_types["macro"]
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
                tilt_deg=p.tilt_deg, am_db=p.front_to_back_db,
            )
            better = rx > best
            best = np.where(better, rx, best)
            server = np.where(better, j, server)
            total += 10.0 ** (rx / 10.0)
    noise = 10.0 ** (lb.noise_per_re_dbm(band, noise_figure_db=radio.noise_figure_db) / 10.0)
    s = 10.0 ** (best / 10.0)
    sinr = 10.0 * np.log10(s / (np.maximum(total - s, 0.0) + noise))
    return best, server, sinr


def dense_kernel(grid, sites, radio):
    """The engine's kernel, one site at a time over one tile holding every cell (no pruning)."""
    s = sectors_from_sites(sites, radio)
    p = kernel_params(radio, s.bands, max_reach_m=1e9, origin_xy=(grid.transform.c, grid.transform.f),
                      block_pairs=1 << 22)
    tile = grid.tiles(max(grid.shape))[0]
    n = tile.inside.sum()
    best = np.full(n, -np.inf, dtype=np.float32)
    for j in range(s.n_sites):
        r = tile_kernel(tile, s.subset([j]), p)
        best = np.maximum(best, r.rsrp_dbm)
    return best


def measure(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, dt, peak


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=float, default=10.0, help="grid resolution [m] (default 10)")
    ap.add_argument("--sites", type=int, default=773, help="number of three-sector sites (default 773)")
    ap.add_argument("--reach", type=float, default=1000.0, help="max_reach_m of the pruned run (default 1000)")
    ap.add_argument("--tile", type=int, default=32, help="tile edge in cells (default 32)")
    ap.add_argument("--seed", type=int, default=20220)
    ap.add_argument("--kernel-baseline", action="store_true", help="also time the kernel without pruning")
    a = ap.parse_args(argv)

    radio = dataclasses.replace(RadioConfig(), grid_resolution_m=a.resolution)
    poly, what = boundary_polygon()
    grid = make_grid(poly, CRS, a.resolution)
    sites = random_sites(poly, a.sites, a.seed)
    n_cells = grid.n_inside
    print(f"scene: {what}, {poly.area / 1e6:.1f} km^2, {a.resolution:g} m grid, {n_cells} cells, "
          f"{a.sites} three-sector macro sites, reach {a.reach:g} m, tile {a.tile} cells")

    res, t_p, m_p = measure(lambda: compute_coverage(grid, sites, radio, tile_size=a.tile, max_reach_m=a.reach))
    evals_p = res.n_pairs / 3  # sector-cell pairs -> site-cell evaluations (3 sectors per site)
    print(f"pruned : {t_p:8.2f} s  peak {m_p / 2**20:7.1f} MiB  {evals_p / 1e6:8.1f} M site-cell evals  "
          f"{evals_p / t_p / 1e6:6.2f} M evals/s")

    (best_d, server_d, sinr_d), t_d, m_d = measure(lambda: dense_numpy(grid, sites, radio))
    evals_d = float(a.sites) * n_cells
    print(f"dense  : {t_d:8.2f} s  peak {m_d / 2**20:7.1f} MiB  {evals_d / 1e6:8.1f} M site-cell evals  "
          f"{evals_d / t_d / 1e6:6.2f} M evals/s")
    print(f"speed-up pruned vs dense: {t_d / t_p:.2f}x   "
          f"throughput pruned/dense per evaluation: {(evals_p / t_p) / (evals_d / t_d):.2f}")

    got = res.rsrp_dbm.ravel()[grid.cell_index].astype(float)
    x, y = grid.cell_xy()
    sx, sy = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    near = np.hypot(x - sx[server_d], y - sy[server_d]) <= a.reach  # dense best server within reach
    print(f"same result where the dense best server is within reach ({near.mean():.4%} of cells): "
          f"max |dRSRP| {np.max(np.abs(got[near] - best_d[near])):.1e} dB, best server agrees in "
          f"{np.mean(res.server.ravel()[grid.cell_index][near] == server_d[near]):.4%}; elsewhere the best "
          f"server is beyond reach: max dense RSRP there {best_d[~near].max() if (~near).any() else float('nan'):.1f} dBm")
    ds = res.sinr_db.ravel()[grid.cell_index] - sinr_d
    ds = ds[np.isfinite(ds)]
    print(f"SINR (interference beyond {a.reach:g} m ignored): pruned - dense median {np.median(ds):+.3f} dB, "
          f"95th pct {np.percentile(ds, 95):+.3f} dB, max {ds.max():+.3f} dB")
    print(f"covered share (RSRP >= {radio.rsrp_threshold_dbm:g} dBm): pruned {res.covered.sum() / n_cells:.4f}, "
          f"dense {(best_d >= radio.rsrp_threshold_dbm).mean():.4f}")

    if a.kernel_baseline:
        _best_k, t_k, m_k = measure(lambda: dense_kernel(grid, sites, radio))
        print(f"dense-kernel (engine kernel, no pruning): {t_k:8.2f} s  peak {m_k / 2**20:7.1f} MiB  "
              f"{evals_d / t_k / 1e6:6.2f} M evals/s  -> pruning alone: {t_k / t_p:.2f}x")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
