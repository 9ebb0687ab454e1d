"""Benchmark: the compiled coverage kernel's compile cost, thread scaling, and coverage on Dask, 1 -> 2 workers.

Plain script: ``python benchmarks/bench_kernel.py [--quick] [--skip-compile] [--skip-dask]``.

1. Compile: a fresh Python process with an empty numba cache (``NUMBA_CACHE_DIR``) computes a tiny coverage
   raster and coverage matrix (cold: numba compiles the kernels and writes its cache), then a second process
   does the same from that cache (warm). Printed: import time of numba and the first calls' CPU time.
2. Threads: the Hedong scene of ``bench_coverage.py`` (10 m, 773 three-sector macros), its tiles run by a
   thread pool of 1 and of 2 threads in one process (the kernel releases the GIL). The kernel itself is
   single-threaded (no ``prange``): tiles are the unit of parallelism, in a process or on Dask.
3. Dask: a synthetic city block of ``--cells`` cells (20 m grid) with ``--sites`` sites (three-sector macros
   and omni micros, seeded), computed by ``siteplan.distributed`` on a LocalCluster of 1, then 2 single-threaded
   worker processes: once with the results only gathered (compute), once streamed tile by tile into a COG
   (``write_coverage_cog``: the raster is never assembled; the driver writes while the workers compute, then
   builds overviews and the COG layout). Printed: wall times, speed-ups, CPU seconds and peak RSS per worker,
   the driver's peak RSS. Workers are warmed (numba imported, its cache loaded) before the clock starts; their
   start-up is printed apart. Under contention from other processes the speed-up says little: read the CPU
   seconds per worker (the split of the work) and the CPUs busy on average (CPU seconds / wall time: below the
   number of workers means the machine did not give them their cores), and rerun idle.

The machine's load average is printed; on a shared machine, rerun idle for figures to quote.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_coverage import CRS, boundary_polygon, random_sites  # noqa: E402

from siteplan.config import RadioConfig  # noqa: E402
from siteplan.coverage import make_grid  # noqa: E402
from siteplan.coverage.engine import coverage_inputs, tile_kernel, tile_tasks  # noqa: E402

COLD_SNIPPET = """
import time, resource
t0 = time.perf_counter(); c0 = time.process_time()
import numba
t_import = time.perf_counter() - t0
import geopandas as gpd, shapely
from siteplan.config import RadioConfig
from siteplan.coverage import compute_coverage, coverage_matrix, make_grid
g = make_grid(shapely.box(520000, 4330000, 520400, 4330400), "EPSG:4548", 20.0)
sites = gpd.GeoDataFrame({"site_id": ["a", "b"], "site_type": ["macro", "micro"]},
                         geometry=[shapely.Point(520100, 4330100), shapely.Point(520300, 4330200)], crs="EPSG:4548")
c1 = time.process_time(); compute_coverage(g, sites, RadioConfig()); c2 = time.process_time()
coverage_matrix(g, sites, RadioConfig()); c3 = time.process_time()
print(f"{t_import:.2f} {c2 - c1:.2f} {c3 - c2:.2f}")
"""


def compile_cost() -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "SITEPLAN_PROGRESS": "0"}
        for label in ("cold (empty cache)", "warm (cached)     "):
            t = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", COLD_SNIPPET], env=env, capture_output=True, text=True,
                                 check=True).stdout.split()
            wall = time.perf_counter() - t
            imp, cov, mat = (float(x) for x in out)
            print(f"compile {label}: import numba {imp:.2f} s; first compute_coverage {cov:.2f} s CPU, first "
                  f"coverage_matrix {mat:.2f} s CPU; whole process {wall:.1f} s wall")


def thread_scaling(resolution: float, n_sites: int) -> None:
    radio = dataclasses.replace(RadioConfig(), grid_resolution_m=resolution)
    poly, what = boundary_polygon()
    grid = make_grid(poly, CRS, resolution)
    s, p, _ = coverage_inputs(grid, random_sites(poly, n_sites, 20220), radio, kernel="numba")
    tasks = tile_tasks(grid, s, p, tile_size=128)  # 128 rather than 256: enough tiles to share out
    tile_kernel(*tasks[0])
    base = None
    for threads in (1, 2):
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            t, c = time.perf_counter(), time.process_time()
            n_pairs = sum(r.n_pairs for r in pool.map(lambda task: tile_kernel(*task), tasks))
            wall, cpu = time.perf_counter() - t, time.process_time() - c
        evals = n_pairs / 3
        base = base or wall
        print(f"threads {threads}: {what}, {resolution:g} m, {grid.n_inside} cells, {len(tasks)} tiles, {n_sites} sites: "
              f"{wall:.2f} s wall, {evals / wall / 1e6:.1f} M site-cell evals/s, speed-up {base / wall:.2f}x; "
              f"{cpu / wall:.2f} CPUs busy on average (of {threads}); load {os.getloadavg()[0]:.1f}")


def synthetic_city(n_cells: int, n_sites: int, seed: int = 14):
    """A square of ``n_cells`` 20 m cells and ``n_sites`` sites (4 in 5 three-sector macros) over it."""
    side = 20.0 * int(np.sqrt(n_cells))
    rng = np.random.default_rng(seed)
    x0, y0 = 500_000.0, 4_300_000.0
    xy = rng.uniform(0.0, side, (n_sites, 2))
    types = np.where(rng.random(n_sites) < 0.8, "macro", "micro")
    sites = gpd.GeoDataFrame({"site_id": [f"C{i:05d}" for i in range(n_sites)], "site_type": types},
                             geometry=shapely.points(xy[:, 0] + x0, xy[:, 1] + y0), crs=CRS)
    return make_grid(shapely.box(x0, y0, x0 + side, y0 + side), CRS, 20.0), sites


def _warm() -> float:
    """Load the compiled kernel on a worker (numba's import and cache); returns the time it took."""
    t = time.perf_counter()
    from siteplan.coverage.engine import warm_up

    warm_up()
    return time.perf_counter() - t


def _cpu_s() -> float:
    return time.process_time()


def _max_rss_mib() -> float:
    """This process's peak resident memory [MiB]: VmHWM on Linux (ru_maxrss survives fork + exec, so a spawned
    Dask worker would report its parent's peak)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dask_scaling(n_cells: int, n_sites: int, out_dir: Path) -> None:
    import distributed

    from siteplan import distributed as sd

    grid, sites = synthetic_city(n_cells, n_sites)
    radio = RadioConfig()
    s, p, ts = coverage_inputs(grid, sites, radio)
    print(f"dask: synthetic {grid.shape[0]} x {grid.shape[1]} grid, {grid.n_inside} cells at 20 m, {n_sites} sites "
          f"({s.n_sectors} sectors), reach {p.max_reach_m:g} m, streamed into a COG")
    base = {}
    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=":0", memory_limit="4GiB") as cluster, \
                distributed.Client(cluster) as client:
            t = time.perf_counter()
            warm = client.run(_warm)
            t_start = time.perf_counter() - t
            cpu0 = client.run(_cpu_s)
            t = time.perf_counter()
            n_pairs = sum(r.n_pairs for _, r in sd.coverage_tiles_on_dask(grid, s, p, client, tile_size=ts,
                                                                             progress=None))
            wall_c = time.perf_counter() - t
            cpu = {k: v - cpu0[k] for k, v in client.run(_cpu_s).items()}
            t = time.perf_counter()
            pairs = sd.coverage_tiles_on_dask(grid, s, p, client, tile_size=ts, progress=None)
            counts = sd.write_coverage_cog(out_dir / f"city_{workers}.tif", grid, pairs,
                                           threshold_dbm=radio.rsrp_threshold_dbm)
            wall = time.perf_counter() - t
            rss = client.run(_max_rss_mib)
        base.setdefault("c", wall_c)
        base.setdefault("w", wall)
        print(f"  {workers} worker(s): compute {wall_c:.1f} s wall ({n_pairs / 3 / wall_c / 1e6:.1f} M site-cell "
              f"evals/s, speed-up {base['c'] / wall_c:.2f}x; CPU per worker "
              f"{', '.join(f'{v:.1f}' for v in cpu.values())} s, {sum(cpu.values()) / wall_c:.2f} CPUs busy on "
              f"average); into a COG {wall:.1f} s wall (speed-up "
              f"{base['w'] / wall:.2f}x); warm-up {t_start:.1f} s (max {max(warm.values()):.1f} s per worker); peak "
              f"RSS per worker {', '.join(f'{v:.0f}' for v in rss.values())} MiB; covered "
              f"{counts['covered_cells'] / counts['inside_cells']:.3f}; load {os.getloadavg()[0]:.1f}")
    size = (out_dir / "city_2.tif").stat().st_size / 2**20
    same = (out_dir / "city_1.tif").read_bytes() == (out_dir / "city_2.tif").read_bytes()
    print(f"  COG {size:.1f} MiB; 1- and 2-worker files byte-identical: {same}; driver peak RSS {_max_rss_mib():.0f} MiB")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller scenes (a smoke run)")
    ap.add_argument("--skip-compile", action="store_true")
    ap.add_argument("--skip-threads", action="store_true")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--cells", type=int, default=1_500_000, help="cells of the Dask scene (default 1.5 M)")
    ap.add_argument("--sites", type=int, default=3_000, help="sites of the Dask scene (default 3,000)")
    a = ap.parse_args(argv)
    os.environ.setdefault("SITEPLAN_PROGRESS", "0")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if not a.skip_compile:
        compile_cost()
    if not a.skip_threads:
        thread_scaling(20.0 if a.quick else 10.0, 300 if a.quick else 773)
    if not a.skip_dask:
        with tempfile.TemporaryDirectory() as out:
            dask_scaling(200_000 if a.quick else a.cells, 500 if a.quick else a.sites, Path(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
