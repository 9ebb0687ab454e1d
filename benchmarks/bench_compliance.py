"""Benchmark: the vectorized compliance check vs a straightforward per-row implementation.

Synthetic, seeded district in a 40 km square (EPSG:4548): 100,000 candidates, 200,000 poles, 5,000 planned
sites, 400 zones, 10,000 existing sites, 2,000 hotspots, 3,000 public facilities, 16 sub-districts.

The vectorized check is ``siteplan.compliance.check_candidates`` (every rule, reuse matching, attribution),
timed whole. The baseline loops over candidates with shapely scalar predicates and per-row STRtree queries
(a sensible per-row implementation, spatial index included; a naive all-pairs loop would be far slower). It is
timed on a random subsample and extrapolated linearly to all candidates; its statuses and reasons on the
subsample are checked against the vectorized result.

Usage: ``python benchmarks/bench_compliance.py [--candidates 100000] [--sample 2000] [--seed 7]``
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from siteplan.compliance import check_candidates
from siteplan.compliance.check import inputs_from_district
from siteplan.compliance.reasons import REASON_CODES, REASONS, STATUS_RANK, STATUSES
from siteplan.compliance.rules import POLE_MOUNTS
from siteplan.config import DistrictConfig, DistrictInfo, RulesConfig, _default_site_types
from siteplan.io import District, empty_layer
from siteplan.io.schema import SCHEMAS
from siteplan.radio.linkbudget import emf_compliance_distance_m

CRS = "EPSG:4548"
X0, Y0, SIDE = 500_000.0, 4_310_000.0, 40_000.0


def _layer(name: str, cols: dict, geoms) -> gpd.GeoDataFrame:
    df = pd.DataFrame(cols)
    for col, default in SCHEMAS[name].optional.items():
        if col not in df:
            df[col] = default
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


def synthetic_district(n_cand: int = 100_000, n_poles: int = 200_000, n_plan: int = 5_000, n_zones: int = 400,
                       n_exist: int = 10_000, n_hot: int = 2_000, n_fac: int = 3_000, seed: int = 7) -> District:
    rng = np.random.default_rng(seed)
    u = lambda n: (X0 + rng.uniform(0, SIDE, n), Y0 + rng.uniform(0, SIDE, n))
    layers = {name: empty_layer(name, CRS) for name in SCHEMAS}
    # Boundary: the square minus a corner notch, so some candidates fall outside.
    bnd = shapely.difference(shapely.box(X0, Y0, X0 + SIDE, Y0 + SIDE),
                             shapely.box(X0 + 0.9 * SIDE, Y0 + 0.9 * SIDE, X0 + SIDE, Y0 + SIDE))
    layers["boundary"] = _layer("boundary", {"name": ["bench"]}, [bnd])
    g = np.arange(4) * SIDE / 4
    gx, gy = np.meshgrid(g, g)
    subs = shapely.box(X0 + gx.ravel(), Y0 + gy.ravel(), X0 + gx.ravel() + SIDE / 4, Y0 + gy.ravel() + SIDE / 4)
    layers["subdistricts"] = _layer("subdistricts", {"code": [f"S{i:02d}" for i in range(16)],
                                                     "name": [f"街道{i:02d}" for i in range(16)]}, subs)
    zx, zy = u(n_zones)
    w, h = rng.uniform(100, 800, (2, n_zones))
    layers["plan_zones"] = _layer("plan_zones", {"zone_id": [f"Z{i}" for i in range(n_zones)],
                                                 "category": rng.choice(["prohibited", "restricted"], n_zones)},
                                  shapely.box(zx, zy, zx + w, zy + h))
    px, py = u(n_plan)
    layers["plan_sites"] = _layer("plan_sites", {"plan_id": [f"PL{i}" for i in range(n_plan)],
                                                 "site_type": rng.choice(["macro", "micro", "indoor"], n_plan, p=[.6, .3, .1]),
                                                 "ring_radius_m": rng.uniform(200, 500, n_plan)}, shapely.points(px, py))
    ops, bands = np.array(["CM", "CU", "CT"]), np.array(["n41", "n78"])
    ex, ey = u(n_exist)
    layers["existing_sites"] = _layer("existing_sites", {"site_id": [f"E{i}" for i in range(n_exist)],
                                                         "operator": rng.choice(ops, n_exist),
                                                         "band": rng.choice(bands, n_exist)}, shapely.points(ex, ey))
    qx, qy = u(n_poles)
    layers["poles"] = _layer("poles", {"pole_id": [f"P{i}" for i in range(n_poles)],
                                       "kind": rng.choice(["street_lamp", "monitoring", "other"], n_poles, p=[.7, .25, .05]),
                                       "height_m": rng.uniform(3, 15, n_poles)}, shapely.points(qx, qy))
    hx, hy = u(n_hot)
    layers["hotspots"] = _layer("hotspots", {"hotspot_id": [f"H{i}" for i in range(n_hot)],
                                             "scenario": "education",
                                             "receptor": rng.choice(["school", "hospital", "kindergarten", ""], n_hot)},
                                shapely.points(hx, hy))
    fx, fy = u(n_fac)
    layers["public_facilities"] = _layer("public_facilities", {"facility_id": [f"F{i}" for i in range(n_fac)],
                                                               "free_access": rng.random(n_fac) < 0.7},
                                         shapely.box(fx, fy, fx + 40, fy + 40))
    # Candidates: a third near poles (micro on the pole), the rest anywhere; a few shared codes.
    st = rng.choice(["macro", "micro", "indoor"], n_cand, p=[.5, .4, .1])
    cx, cy = u(n_cand)
    mount = np.where(st == "indoor", "indoor", np.where(st == "macro", "rooftop", ""))
    on = np.flatnonzero(st == "micro")[: n_cand // 3]
    k = rng.integers(0, n_poles, on.size)
    cx[on], cy[on] = qx[k] + rng.uniform(-3, 3, on.size), qy[k] + rng.uniform(-3, 3, on.size)
    mount[on] = "street_lamp"
    pole_id = np.full(n_cand, "", dtype=object)
    pole_id[on[::2]] = np.array([f"P{i}" for i in k[::2]], dtype=object)
    sid = np.array([f"C{i:06d}" for i in range(n_cand)], dtype=object)
    sid[rng.integers(0, n_cand, 50)] = "C000001"
    presets = _default_site_types()
    eirp = pd.Series(st).map({t: p.total_power_dbm + p.antenna_gain_dbi - p.cable_loss_db for t, p in presets.items()})
    layers["candidates"] = _layer("candidates", {
        "site_id": sid, "operator": rng.choice(ops, n_cand), "band": rng.choice(bands, n_cand), "site_type": st,
        "mount": mount, "pole_id": pole_id, "eirp_dbm": eirp.to_numpy() + rng.uniform(-3, 3, n_cand),
        "height_m": 20.0, "power_supply": rng.choice(["direct", "transferred", "unknown"], n_cand)},
        shapely.points(cx, cy))
    cfg = DistrictConfig(district=DistrictInfo(name="bench", working_crs=CRS), targets=(), layers={},
                         rules=RulesConfig())
    return District(config=cfg, layers=layers, input_hashes={})


def per_row_check(district: District, rows: np.ndarray) -> pd.DataFrame:
    """The same rules, reuse matching and attribution, one candidate at a time with shapely scalar predicates."""
    rules: RulesConfig = district.config.rules
    inp = inputs_from_district(district)
    L = district.layers
    boundary = district.boundary
    zones, zcat = L["plan_zones"].geometry.values, L["plan_zones"]["category"].to_numpy()
    ztree = shapely.STRtree(zones)
    plan_pts = L["plan_sites"].geometry.values
    ptree, prad, ptype = shapely.STRtree(plan_pts), inp.plan_radius_m, inp.plan_type
    rmax = prad.max()
    ex_pts = L["existing_sites"].geometry.values
    etree = shapely.STRtree(ex_pts)
    pole_pts = L["poles"].geometry.values
    pole_tree = shapely.STRtree(pole_pts)
    pole_pos = {p: i for i, p in enumerate(inp.pole_ids)}
    kind_trees = {k: (shapely.STRtree(pole_pts[inp.pole_kind == k]), np.flatnonzero(inp.pole_kind == k))
                  for k in ("street_lamp", "monitoring")}
    sens = np.isin(inp.hotspot_receptor, rules.emf_receptors) & (inp.hotspot_receptor != "")
    htree = shapely.STRtree(inp.hotspot_geoms[sens])
    fac = L["public_facilities"]
    ftree, ffree = shapely.STRtree(fac.geometry.values), fac["free_access"].to_numpy(bool)
    cand_pts = L["candidates"].geometry.values
    ctree = shapely.STRtree(cand_pts)
    sub = L["subdistricts"]
    stree = shapely.STRtree(sub.geometry.values)
    counts = Counter(inp.site_id)
    exist_ids = set(inp.exist_site_id)
    out = []
    for i in rows:
        p = Point(inp.x[i], inp.y[i])
        t = inp.site_type[i]
        on = set()
        inside = boundary.covers(p)
        if not inside:
            on.add("OUTSIDE_DISTRICT")
        cats = {zcat[j] for j in ztree.query(p, predicate="intersects")}
        if "prohibited" in cats:
            on.add("IN_PROHIBITED_ZONE")
        if "restricted" in cats:
            on.add("IN_RESTRICTED_ZONE")
        rings = [j for j in ptree.query(p, predicate="dwithin", distance=rmax) if p.distance(plan_pts[j]) <= prad[j]]
        if not rings:
            on.add("NOT_IN_PLAN")
        elif not any(ptype[j] in rules.plan_type_compatible[t] for j in rings):
            on.add("PLAN_TYPE_MISMATCH")
        sp = rules.min_spacing_m[t]
        for j in etree.query(p, predicate="dwithin", distance=sp):
            if (inp.operator[i] and inp.operator[i] == inp.exist_operator[j] and inp.band[i] == inp.exist_band[j]
                    and p.distance(ex_pts[j]) < sp):
                on.add("TOO_CLOSE_TO_EXISTING")
        if counts[inp.site_id[i]] > 1 or inp.site_id[i] in exist_ids:
            on.add("DUPLICATE")
        for j in ctree.query(p, predicate="dwithin", distance=rules.duplicate_distance_m):
            if j != i and inp.site_id[j] < inp.site_id[i]:
                on.add("DUPLICATE")
        if inp.mount[i] in POLE_MOUNTS or inp.pole_id[i]:
            j = -1
            if inp.pole_id[i]:
                j = pole_pos.get(inp.pole_id[i], -1)
                if j >= 0 and p.distance(pole_pts[j]) > rules.pole_match_distance_m:
                    j = -1
            else:
                near = pole_tree.query_nearest(p, max_distance=rules.pole_match_distance_m)
                j = int(near[0]) if len(near) else -1
            if (j < 0 or inp.pole_height_m[j] < rules.pole_min_height_m
                    or inp.pole_kind[j] not in rules.pole_kinds_for_type[t]):
                on.add("POLE_UNSUITABLE")
        d_emf = float(emf_compliance_distance_m(inp.eirp_dbm[i], inp.freq_mhz[i], rules.emf_limit_fraction))
        if len(htree.query(p, predicate="dwithin", distance=d_emf)):
            on.add("EMF_SENSITIVE_RECEPTOR")
        codes = [c for c in REASON_CODES if c in on]
        status = STATUSES[max([STATUS_RANK[REASONS[c].effect] for c in codes], default=0)]
        # reuse: nearest of each kind within its distance; free access
        best = ("", np.inf)
        for kind, tree_pts in (("existing_site", (etree, None)), ("street_lamp", kind_trees["street_lamp"]),
                               ("monitoring", kind_trees["monitoring"]), ("public_facility", (ftree, None))):
            if kind in ("street_lamp", "monitoring") and kind not in rules.pole_kinds_for_type[t]:
                continue
            tree = tree_pts[0]
            hit = tree.query_nearest(p, max_distance=rules.reuse_distance_m[kind], return_distance=True)
            if len(hit[0]) and hit[1][0] < best[1]:
                best = (kind, hit[1][0])
        free = any(ffree[j] for j in ftree.query(p, predicate="dwithin", distance=rules.reuse_distance_m["public_facility"]))
        s = stree.query(p, predicate="intersects")
        out.append((inp.site_id[i], status, ";".join(codes), best[0], free, len(s) > 0 and inside))
    return pd.DataFrame(out, columns=["site_id", "status", "reasons", "reuse_kind", "free_access", "has_sub"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=100_000)
    ap.add_argument("--poles", type=int, default=200_000)
    ap.add_argument("--sample", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    t = time.perf_counter()
    d = synthetic_district(args.candidates, args.poles, seed=args.seed)
    print(f"synthetic district built in {time.perf_counter() - t:.1f} s: "
          + ", ".join(f"{k} {len(v):,}" for k, v in d.layers.items()))
    print(f"cpus: {os.cpu_count()}")
    times = []
    for _ in range(3):
        t = time.perf_counter()
        out = check_candidates(d)
        times.append(time.perf_counter() - t)
    vec = min(times)
    print(f"vectorized check_candidates: {len(out):,} candidates in {vec:.2f} s (best of 3; runs {', '.join(f'{x:.2f}' for x in times)})")
    print("  statuses:", out["status"].value_counts().to_dict())
    rows = np.sort(np.random.default_rng(args.seed + 1).choice(len(out), min(args.sample, len(out)), replace=False))
    t = time.perf_counter()
    base = per_row_check(d, rows)
    t_rows = time.perf_counter() - t
    per = t_rows / len(rows)
    extrap = per * len(out)
    print(f"per-row baseline: {len(rows):,} sampled candidates in {t_rows:.2f} s ({per * 1e3:.2f} ms/candidate); "
          f"extrapolated linearly to {len(out):,}: {extrap:.0f} s (an estimate, not a full run)")
    sub = out.iloc[rows].reset_index(drop=True)
    agree = {
        "status": float((sub["status"] == base["status"]).mean()),
        "reasons": float((sub["reasons"] == base["reasons"]).mean()),
        "reuse_kind": float((sub["reuse_kind"] == base["reuse_kind"]).mean()),
        "free_access": float((sub["free_access"].astype(bool) == base["free_access"]).mean()),
        "subdistrict": float(((sub["subdistrict"] != "") == base["has_sub"]).mean()),
    }
    print("agreement with the baseline on the sample:", {k: f"{v:.4f}" for k, v in agree.items()})
    print(f"speed-up (extrapolated baseline / vectorized): {extrap / vec:.0f}x")


if __name__ == "__main__":
    main()
