"""The site-selection step of the main job: per operator network, a phased build order against its goals.

For each network (``[networks.*]``): its eligible candidates (compliant, and conditional ones when
``optimize.include_conditional``; sites the registry holds as approved or in service are fixed and count), a
coverage matrix per layer (a candidate covers the cells where its own RSRP clears the threshold), costs as the
ten-year cost of ownership (:mod:`siteplan.costs`), and per phase the network's share of the target site count
and the target's goal (:mod:`siteplan.optimize.phased`). A phase takes only candidates whose band carries 5G
service by its due date. Demand for filling a phase is the district grid's cells on the ``optimize.demand`` layer
(outdoors the cells outside buildings by area, indoors building cells by floor area) weighted by the scenario
weights of the hotspots within ``optimize.hotspot_radius_m``. A candidate covers a cell where its own RSRP clears
the threshold and its uplink floor, with the same indoor model as the evaluation (siteplan.coverage.engine).

The selection's coverage on the operators' joint KPI (RSRP and SINR), the goal verdicts, gaps, candidate search
requests and money are the ``evaluate`` step's. Writes ``selected_sites.csv/.xlsx/.geojson``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from ..io import provenance, write_csv, write_geojson, write_xlsx
from ..io.schema import SAMPLE_NOTE, SAMPLE_NOTICE

__all__ = ["SELECTED_COLUMNS", "cell_zones", "demand_weights", "fixed_from_registry", "goal_area_mask",
           "goal_area_weights", "hotspot_rows", "run", "spacing_conflicts", "write_selected"]

#: Registry states whose sites exist or are committed (fixed in the rollout).
COMMITTED_STATES = ("approved", "approved_with_changes", "under_construction", "in_service")

#: Header overrides of the selected-site table (the rest come from siteplan.io.labels.HEADERS).
_HEADERS = {"rank": "建设顺序 Build rank"}


def demand_weights(grid, hotspots: gpd.GeoDataFrame, scenario_weights: dict[str, float], radius_m: float,
                   layer: str = "outdoor") -> np.ndarray:
    """Weight of each inside cell on ``layer``: its area outdoors, its floor area indoors (0 off the layer;
    :meth:`~siteplan.coverage.Grid.layer_weight_m2`), x (1 + the weights of hotspots within ``radius_m``) [m²]."""
    x, y = grid.cell_xy()
    w = grid.layer_weight_m2(layer).ravel()[grid.cell_index]
    if len(hotspots) == 0:
        return w
    tree = cKDTree(np.column_stack([x, y]))
    geoms = hotspots.geometry.values
    hw = hotspots["weight"].astype(float).fillna(hotspots["scenario"].map(scenario_weights)).fillna(1.0).to_numpy()
    centres = shapely.get_coordinates(shapely.point_on_surface(geoms))
    # Polygons weight the cells they hold plus the radius around their representative point.
    extra = np.zeros(x.size)
    lists = tree.query_ball_point(centres, r=radius_m)
    counts = np.fromiter((len(li) for li in lists), dtype=np.int64, count=len(lists))
    if counts.sum():
        idx = np.concatenate([np.asarray(li, dtype=np.int64) for li in lists if li])
        np.add.at(extra, idx, np.repeat(hw, counts))
    poly = np.flatnonzero(shapely.get_type_id(geoms) != 0)
    for i in poly:  # few polygons; each a vectorized containment test
        inside = shapely.contains_xy(geoms[i], x, y)
        extra[inside] += hw[i]
    return w * (1.0 + extra)


def spacing_conflicts(check: gpd.GeoDataFrame, min_spacing_m: dict[str, float]) -> np.ndarray:
    """Pairs of candidates of the same operator and band closer than the minimum spacing of their type."""
    if len(check) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    xy = shapely.get_coordinates(check.geometry.values)
    reach = float(max(min_spacing_m.values(), default=0.0))
    if reach <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = cKDTree(xy).query_pairs(r=reach, output_type="ndarray")
    if len(pairs) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    i, j = pairs[:, 0], pairs[:, 1]
    op = check["operator"].to_numpy()
    band = check["band"].to_numpy()
    stype = check["site_type"].to_numpy()
    limit = np.minimum(pd.Series(stype[i]).map(min_spacing_m).fillna(0).to_numpy(),
                       pd.Series(stype[j]).map(min_spacing_m).fillna(0).to_numpy())
    d = np.hypot(*(xy[i] - xy[j]).T)
    keep = (op[i] == op[j]) & (band[i] == band[j]) & (d < limit)
    return np.sort(pairs[keep], axis=1)


def fixed_from_registry(district, site_ids: np.ndarray) -> tuple[np.ndarray, str]:
    """Indices of ``site_ids`` that the registry holds as approved or in service, and a note saying so."""
    from ..review.registry import open_registry, registry_path

    path = registry_path(district)
    if not path.exists():
        return np.zeros(0, dtype=np.int64), "no site registry yet: no site is fixed"
    sites = open_registry(district, create=False).sites()
    committed = set(sites.loc[sites["state"].isin(COMMITTED_STATES), "site_id"])
    idx = np.flatnonzero(np.isin(site_ids, list(committed)))
    return idx, f"{idx.size} sites approved or in service in the registry are fixed"


def cell_zones(grid, zones: gpd.GeoDataFrame, key: str) -> np.ndarray:
    """The ``key`` value of the zone holding each inside cell's centre ("" where none)."""
    x, y = grid.cell_xy()
    out = np.full(x.size, "", dtype=object)
    for geom, value in zip(zones.geometry.values, zones[key].to_numpy()):  # a dozen zones, vectorized tests
        out[shapely.contains_xy(geom, x, y) & (out == "")] = value
    return out


def _covered(A: sparse.csr_matrix, chosen: np.ndarray) -> np.ndarray:
    if chosen.size == 0:
        return np.zeros(A.shape[0], dtype=bool)
    return np.asarray(A[:, chosen].sum(axis=1)).ravel() > 0


def _marginal_area(A: sparse.csc_matrix, order: np.ndarray, area: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Area [m²] each site adds in build order (a loop over the chosen sites, not over cells)."""
    covered = start.copy()
    gains = np.zeros(order.size)
    for k, j in enumerate(order):
        rows = A.indices[A.indptr[j]:A.indptr[j + 1]]
        new = rows[~covered[rows]]
        gains[k] = area[new].sum()
        covered[new] = True
    return gains


def _hotspot_cells(grid, hotspots: gpd.GeoDataFrame, layer: str = "outdoor") -> np.ndarray:
    """Inside-cell ordinal of each hotspot's cell on ``layer`` (siteplan.coverage.figures.hotspot_cells; -1 off
    the grid)."""
    from ..coverage.figures import hotspot_cells

    if len(hotspots) == 0:
        return np.zeros(0, dtype=np.int64)
    flat = hotspot_cells(grid, hotspots, layer)
    ordinal = np.full(grid.shape[0] * grid.shape[1], -1, dtype=np.int64)
    ordinal[grid.cell_index] = np.arange(grid.n_inside)
    return np.where(flat >= 0, ordinal[np.maximum(flat, 0)], -1)


def goal_area_mask(grid, district, goal) -> np.ndarray:
    """Inside cells the goal's area covers (all, or those in ``district.core_subdistricts``)."""
    if goal is None or goal.area == "district":
        return np.ones(grid.n_inside, dtype=bool)
    codes = set(district.config.district.core_subdistricts)
    zone = cell_zones(grid, district.layers["subdistricts"], "code")
    return np.isin(zone, list(codes))


def goal_area_weights(grid, district, goal) -> np.ndarray:
    """Weight of each inside cell in the goal's area share: its layer weight (area outdoors, floor area
    indoors) inside the goal's area, 0 elsewhere [m²]."""
    layer = goal.layer if goal is not None else "outdoor"
    return grid.layer_weight_m2(layer).ravel()[grid.cell_index] * goal_area_mask(grid, district, goal)


def hotspot_rows(grid, hotspots: gpd.GeoDataFrame, scenarios, layer: str = "outdoor") -> np.ndarray:
    """Inside-cell ordinals of the hotspots of ``scenarios`` on ``layer`` (their cells), on the grid."""
    if not len(scenarios) or len(hotspots) == 0:
        return np.zeros(0, dtype=np.int64)
    sel = hotspots[hotspots["scenario"].isin(list(scenarios))]
    cells = _hotspot_cells(grid, sel, layer)
    return cells[cells >= 0]


def run(ctx) -> None:
    """Phased site selection per network; writes selected_sites.csv/.xlsx/.geojson."""
    from ..compliance import check_candidates
    from ..config import network_target_sites
    from ..coverage import coverage_matrix, grid_for_district
    from ..networks import ALL, eligible_statuses, month_end, networks_of
    from .phased import GoalPart, PhaseSpec, plan_network_phases

    d = ctx.district
    cfg = d.config
    o = cfg.optimize
    check = ctx.results.get("check")
    if check is None:
        check = check_candidates(d)
        ctx.results["check"] = check
    nc = ctx.results.get("coverage")
    grid = nc.grid if nc is not None else grid_for_district(d)
    nets = networks_of(cfg)
    counts = network_target_sites(cfg) if cfg.networks else {ALL: {t.id: t.sites for t in cfg.targets}}
    statuses = eligible_statuses(cfg)
    site_ids_all = check["site_id"].to_numpy()
    fixed_all, fixed_note = fixed_from_registry(d, site_ids_all)
    eligible = check["status"].isin(statuses).to_numpy().copy()
    eligible[fixed_all] = True  # an approved site stays in the plan whatever today's check says
    eligible &= (check["network"] != "").to_numpy()

    w_layer = {layer: demand_weights(grid, d.layers["hotspots"], cfg.scenarios, o.hotspot_radius_m, layer)
               for layer in ("outdoor", "indoor")}
    area = {layer: grid.layer_weight_m2(layer).ravel()[grid.cell_index] for layer in ("outdoor", "indoor")}
    w_demand = np.concatenate([w_layer["outdoor"], w_layer["indoor"]]) if o.demand == "both" else w_layer[o.demand]
    layers = ["outdoor", "indoor"]
    rows, net_summary, results = [], {}, {}
    for key, net in nets.items():
        sel_mask = eligible & (check["network"] == key).to_numpy()
        cands = check[sel_mask].reset_index(drop=True)
        fixed = np.flatnonzero(np.isin(cands["site_id"].to_numpy(), site_ids_all[fixed_all]))
        mats = {layer: coverage_matrix(grid, cands, cfg.radio, layer=layer, progress=ctx.progress)
                for layer in layers}
        if o.demand == "both":
            fill_A = sparse.vstack([mats["outdoor"], mats["indoor"]]).tocsr()
        else:
            fill_A = mats[o.demand]
        fill_w = w_demand
        specs = []
        for t in cfg.targets:
            goals = []
            g = t.goal
            if g is not None:
                goals.append(GoalPart("area", mats[g.layer], goal_area_weights(grid, d, g), g.share))
                hr = hotspot_rows(grid, d.layers["hotspots"], g.hotspot_scenarios, g.hotspot_layer)
                if hr.size:
                    goals.append(GoalPart("hotspots", mats[g.hotspot_layer][hr].tocsr(), np.ones(hr.size),
                                          g.hotspot_share))
            specs.append(PhaseSpec(t.id, int(counts[key][t.id]), net.available_from <= t.due, tuple(goals),
                                   fill_A, fill_w))
        cost = cands["tco_cny"].to_numpy(dtype=float) if len(cands) else np.zeros(0)
        conflicts = spacing_conflicts(cands, cfg.rules.min_spacing_m)
        phases = plan_network_phases(specs, cost, fixed=fixed, conflicts=conflicts if len(conflicts) else None,
                                     time_limit_s=o.time_limit_s, mip_rel_gap=o.mip_rel_gap,
                                     work_limit=o.work_limit or None)
        results[key] = {"candidates": cands, "mats": mats, "phases": phases, "fixed": fixed}
        rank = 0
        for j in fixed:
            rows.append({"network": key, "idx": int(j), "phase": "fixed", "rank": 0, "phase_rank": 0,
                         "in_service_planned": ""})
        phase_out = []
        start = fixed.copy()
        for t, ph in zip(cfg.targets, phases):
            gain_layer = o.demand if o.demand != "both" else "indoor"
            gains = _marginal_area(mats[gain_layer].tocsc(), ph.new_sites, area[gain_layer],
                                   _covered(mats[gain_layer], start))
            for k, j in enumerate(ph.new_sites):
                rank += 1
                rows.append({"network": key, "idx": int(j), "phase": ph.id, "rank": rank, "phase_rank": k + 1,
                             "marginal_gain_m2": round(float(gains[k]), 1), "in_service_planned": month_end(t.due)})
            start = ph.selected
            new_rows = cands.iloc[ph.new_sites]
            phase_out.append({
                "id": ph.id, "due": t.due, "target_sites": int(counts[key][t.id]), "sites": int(ph.selected.size),
                "new_sites": int(ph.new_sites.size), "available": bool(specs[len(phase_out)].available),
                "cost_tco_cny": round(float(cost[ph.new_sites].sum()), 0),
                "capex_cny": round(float(new_rows["capex_cny"].astype(float).sum()), 0),
                "by_build_kind": {k: int(v) for k, v in new_rows["build_kind"].value_counts().sort_index().items()},
                "optimizer_goal_share": ph.goal_share, "optimizer_goal_met": ph.goal_met,
                "notes": ph.notes, "solves": ph.solves,
            })
        net_summary[key] = {
            "name": net.name, "name_zh": net.name_zh, "eligible_candidates": len(cands), "fixed": len(fixed),
            "conflict_pairs": len(conflicts), "phases": phase_out,
        }

    table = _selected_table(d, results, rows)
    ctx.results["optimize"] = table
    ctx.results["optimize_networks"] = results
    ctx.gpkg_layers["selected_sites"] = table
    ctx.summary["optimize"] = {
        "eligible_statuses": list(statuses),
        "fixed": {"count": int(len(fixed_all)), "note": fixed_note},
        "demand": {"layer": o.demand, "cells": int(grid.n_inside), "hotspot_radius_m": o.hotspot_radius_m,
                   "total_weight": float(w_demand.sum())},
        "cost_measure": "ten-year cost of ownership (siteplan.costs): site capex + RAN equipment + horizon x "
                        "(rent + tower lease after sharing discount + electricity)",
        "coverage_model": "optimizer view: a candidate covers the cells of a layer where its own RSRP clears the "
                          "threshold and its uplink floor, with the evaluation's indoor model (building loss per "
                          "class and band); the joint KPI with SINR is the evaluate step's",
        "networks": net_summary,
    }


#: Columns of the selected-site table, in order.
SELECTED_COLUMNS = [
    "site_id", "name", "network", "operator", "band", "site_type", "phase", "rank", "phase_rank",
    "in_service_planned", "marginal_gain_m2", "build_kind", "reuse_kind", "reuse_id", "upgrade_of", "host_id",
    "host_operators", "shared", "capex_cny", "opex_cny_per_year", "tco_cny", "power_supply",
    "needs_direct_supply", "free_access", "subdistrict", "responsible_unit", "status",
]


def _selected_table(d, results: dict, rows: list[dict]) -> gpd.GeoDataFrame:
    """The selected sites of every network, in network then build order, as a GeoDataFrame (working CRS)."""
    parts = []
    sel = pd.DataFrame(rows)
    for key, r in results.items():
        if len(sel) == 0:
            break
        mine = sel[sel["network"] == key]
        if len(mine) == 0:
            continue
        picked = r["candidates"].iloc[mine["idx"].to_numpy(dtype=np.int64)].reset_index(drop=True)
        for col in ("phase", "rank", "phase_rank", "in_service_planned", "marginal_gain_m2"):
            picked[col] = mine[col].to_numpy() if col in mine else np.nan
        parts.append(picked)
    if parts:
        picked = pd.concat(parts, ignore_index=True)
    else:
        picked = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in SELECTED_COLUMNS},
                                  geometry=gpd.GeoSeries([], crs=d.crs), crs=d.crs)
    cols = [c for c in SELECTED_COLUMNS if c in picked.columns]
    out = gpd.GeoDataFrame(picked[cols].copy(), geometry=picked.geometry.values, crs=d.crs)
    out["rank"] = out["rank"].astype("int64") if len(out) else out["rank"]
    if d.sample:
        out["data_note"] = SAMPLE_NOTE
    return out


def write_selected(d, table: gpd.GeoDataFrame, out_dir: Path, rollout: pd.DataFrame | None = None) -> list[Path]:
    """``selected_sites.csv``, ``.xlsx`` (Chinese first, labelled values, sample notice, provenance, print layout;
    with the rollout sheet when given) and ``.geojson``."""
    lonlat = table.to_crs("EPSG:4326").geometry
    flat = pd.DataFrame(table.drop(columns="geometry"))
    flat.insert(2, "lon", np.round(lonlat.x.to_numpy(), 7) if len(table) else [])
    flat.insert(3, "lat", np.round(lonlat.y.to_numpy(), 7) if len(table) else [])
    notice = SAMPLE_NOTICE if d.sample else None
    cfg = d.config
    sheets = {"入选站址 Selected": flat}
    if rollout is not None:
        sheets["分期 Rollout"] = rollout
    return [
        write_csv(flat, out_dir / "selected_sites.csv", labels=True, headers=_HEADERS),
        write_xlsx(out_dir / "selected_sites.xlsx", sheets, notice=notice, metadata=provenance(d), labels=True,
                   headers=_HEADERS, district=f"{cfg.district.name_zh} {cfg.district.name}",
                   complete_in=" selected_sites.csv 与 siteplan.gpkg / selected_sites.csv and siteplan.gpkg"),
        write_geojson(table, out_dir / "selected_sites.geojson", provenance=provenance(d, full=False)),
    ]
