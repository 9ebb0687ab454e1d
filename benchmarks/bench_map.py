"""Benchmark: size and load time of the Hedong coverage map, against a plain folium map of the same layers.

    python benchmarks/bench_map.py [--no-optimize] [--runs N]

Runs the real pipeline pieces that exist (compliance check, coverage engine with the existing sites, optimizer),
builds siteplan's map and, as the baseline in the same process, a default folium map of the same layers drawn
the way folium's docs show (``folium.GeoJson`` + ``GeoJsonTooltip`` per layer, ``ImageOverlay`` with
``mercator_project=True`` and a colormap, default CDN assets). Prints sizes, build+render times, and for
siteplan's map the load and ready time in headless Chromium from a file:// URL (no network). The baseline's
load time is printed too, but it cannot work offline (its scripts come from CDNs), so it is not a fair timing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the CDP client lives in tests/test_map_browser.py


def hedong_context(optimize: bool):
    from siteplan.coverage import compute_coverage, grid_for_district
    from siteplan.io import read_district
    from siteplan.pipeline import RunContext, base_summary

    district = read_district(REPO / "data" / "districts" / "hedong")
    out = Path(tempfile.mkdtemp(prefix="bench-map-"))
    ctx = RunContext(district=district, out_dir=out, summary=base_summary(district))
    from siteplan.compliance import step as check_step

    check_step.run(ctx)
    try:
        from siteplan.coverage import step as coverage_step  # when the coverage step exists, use it

        coverage_step.run(ctx)
    except ImportError:
        ctx.results["coverage"] = compute_coverage(
            grid_for_district(district), district.layers["existing_sites"], district.config.radio)
    if optimize:
        from siteplan.optimize import step as optimize_step

        optimize_step.run(ctx)
    return ctx


def baseline_map(ctx):
    """A default folium map of the same layers, as folium's docs draw them."""
    import folium
    import numpy as np

    d = ctx.district
    m = folium.Map(location=[39.12, 117.25], zoom_start=13)
    res = ctx.results
    cov = res.get("coverage")
    if cov is not None:

        from siteplan.maps.layers import _affine

        h, w = cov.rsrp_dbm.shape
        x0, y1 = _affine(cov.grid.transform, 0, 0)
        x1, y0 = _affine(cov.grid.transform, w, h)
        (lon0, lon1), (lat0, lat1) = __import__("siteplan.crs", fromlist=["convert"]).convert(
            np.array([x0, x1]), np.array([y0, y1]), d.crs, "WGS84")
        norm = np.nan_to_num((cov.rsrp_dbm + 130.0) / 70.0, nan=0.0).clip(0, 1)
        folium.raster_layers.ImageOverlay(
            norm, bounds=[[float(lat0), float(lon0)], [float(lat1), float(lon1)]], mercator_project=True,
            colormap=lambda v: (1 - v, v, 0, 0.7), name="coverage").add_to(m)
    frames = dict(d.layers)
    if res.get("check") is not None:
        frames["candidates"] = res["check"]
    if res.get("optimize") is not None:
        frames["selected"] = res["optimize"]
    for name, gdf in frames.items():
        if gdf is None or not len(gdf):
            continue
        g = gdf.to_crs(4326)
        fields = [c for c in g.columns if c != "geometry"][:8]
        g = g[fields + ["geometry"]].copy()
        for c in fields:
            if g[c].dtype == object:
                g[c] = g[c].astype(str)
        folium.GeoJson(g, name=name, tooltip=folium.GeoJsonTooltip(fields=fields) if fields else None).add_to(m)
    folium.LayerControl().add_to(m)
    return m


def timed(fn, runs: int):
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-optimize", action="store_true", help="skip the optimizer (it takes ~15 s on Hedong)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)

    from siteplan.maps import build_map, render_map

    t0 = time.perf_counter()
    ctx = hedong_context(optimize=not args.no_optimize)
    print(f"pipeline pieces (check, coverage{'' if args.no_optimize else ', optimize'}): "
          f"{time.perf_counter() - t0:.1f} s")
    res = ctx.results

    def ours():
        m = build_map(ctx.district, candidates=res.get("check"), coverage=res.get("coverage"), gaps=res.get("gaps"),
                      selected=res.get("optimize"), summary=ctx.summary)
        return render_map(m)

    def base():
        return baseline_map(ctx).get_root().render()

    html, t_ours = timed(ours, args.runs)
    bhtml, t_base = timed(base, args.runs)
    out = ctx.out_dir
    p_ours, p_base = out / "coverage_map.html", out / "folium_default.html"
    p_ours.write_text(html, encoding="utf-8")
    p_base.write_text(bhtml, encoding="utf-8")
    s_ours, s_base = p_ours.stat().st_size, p_base.stat().st_size
    print(f"siteplan map : {s_ours / 1e6:6.2f} MB, build+render {t_ours:5.2f} s (median of {args.runs})")
    print(f"folium default: {s_base / 1e6:6.2f} MB, build+render {t_base:5.2f} s")
    print(f"size ratio siteplan/folium-default: {s_ours / s_base:.2f}; build ratio {t_ours / t_base:.2f}")

    from test_map_browser import Browser, chromium_path

    binary = chromium_path()
    if binary is None:
        print("chromium not installed: no load timing (run .ci/install-browser.sh)")
        return 0
    loads, readies = [], []
    for _ in range(args.runs):
        with Browser(binary) as b:
            info = b.load(p_ours)
            loads.append(info["load_s"])
            readies.append(info["ready"]["ms"] / 1000.0)
            errors = b.console_errors()
            remote = [u for u in b.request_urls() if not u.startswith(("file://", "data:"))]
    print(f"siteplan map in headless chromium: load event {statistics.median(loads):.2f} s, "
          f"ready (all layers added) {statistics.median(readies):.2f} s (median of {args.runs}); "
          f"console errors {len(errors)}, remote requests {len(remote)}")
    with Browser(binary) as b:
        info = b.load(p_base, ready_timeout_s=0.1)
        broken = b.evaluate("typeof L") == "undefined"
        remote = [u for u in b.request_urls() if not u.startswith(("file://", "data:"))]
    print(f"folium default in headless chromium: load event {info['load_s']:.2f} s; offline it "
          f"{'is broken (Leaflet never loads)' if broken else 'loaded Leaflet'}; {len(remote)} remote requests")
    print(f"load ratio siteplan/folium-default (not comparable offline): {statistics.median(loads) / info['load_s']:.2f}")
    print(f"files: {p_ours} {p_base}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
