"""The site-selection step of the main job: district -> coverage matrix -> phased rollout -> lists and figures.

Demand is the district grid's cells (outdoor, indoor or both, from ``[optimize] demand``), each weighted by its
area and by the scenario weights of the hotspots within ``hotspot_radius_m``. A candidate covers the cells where
its own predicted RSRP clears the threshold. Only compliant candidates are eligible (conditional ones too when
``include_conditional``, at ``costs.conditional_penalty`` times their cost). Sites approved or in service in the
site registry are fixed and count towards the targets.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from ..config import SCENARIOS
from ..errors import InfeasibleError
from ..io import provenance, write_csv, write_geojson, write_xlsx
from ..io.schema import SAMPLE_NOTE, SAMPLE_NOTICE
from ..io.writers import atomic_path
from .rollout import fewest_sites_for, plan_rollout

__all__ = ["candidate_costs", "cell_zones", "demand_weights", "fixed_from_registry", "run", "spacing_conflicts", "target_fraction"]

#: Registry states whose sites exist or are committed (fixed in the rollout).
COMMITTED_STATES = ("approved", "approved_with_changes", "under_construction", "in_service")

#: Header of the build rank in the selected-sites list (the shared "排序 Rank" of siteplan.io.labels is generic).
_HEADERS = {"rank": "建设顺序 Build rank"}


def demand_weights(grid, hotspots: gpd.GeoDataFrame, scenario_weights: dict[str, float], radius_m: float) -> np.ndarray:
    """Weight of each inside cell: its area x (1 + the weights of hotspots within ``radius_m``) [m²]."""
    x, y = grid.cell_xy()
    w = np.full(x.size, grid.cell_area_m2)
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


def candidate_costs(check: pd.DataFrame, costs) -> np.ndarray:
    """Cost per candidate [CNY] by build kind, times the penalty for conditional ones."""
    table = {"public_facility": costs.public_facility, "existing_site": costs.existing_site, "pole": costs.pole,
             "rooftop": costs.rooftop, "tower": costs.tower, "indoor": costs.indoor}
    base = check["build_kind"].map(table).fillna(costs.rooftop).to_numpy(dtype=float)
    return np.where(check["status"].to_numpy() == "conditional", base * costs.conditional_penalty, base)


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


def target_fraction(target, demand: str) -> float | None:
    """The coverage share a phase aims for on the optimizer's demand layer."""
    if demand == "outdoor":
        return target.coverage_outdoor
    if demand == "indoor":
        return target.coverage_indoor
    return target.coverage_indoor if target.coverage_indoor is not None else target.coverage_outdoor


def _phase_note(ph, target, n_sites: int, n_eligible: int) -> str:
    """Why a phase has fewer sites than its target, or missed its coverage share; the solver's own note."""
    notes = [ph.note] if ph.note else []
    if n_sites < target.sites:
        if n_eligible < target.sites:
            notes.append(f"only {n_eligible} eligible candidates for a target of {target.sites} sites")
        elif ph.target_fraction is not None and ph.met:
            notes.append(f"coverage target reached with {n_sites} of the {target.sites} sites allowed")
        else:
            notes.append(f"no further candidate adds coverage after {n_sites} sites")
    return "; ".join(notes)


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


def _shares(mask: np.ndarray, groups: np.ndarray, weight: np.ndarray) -> dict[str, float]:
    out = {}
    for g in sorted(set(groups) - {""}):
        sel = groups == g
        total = weight[sel].sum()
        out[g] = round(float(weight[sel & mask].sum() / total), 6) if total else None
    return out


def _hotspot_cells(grid, hotspots: gpd.GeoDataFrame) -> np.ndarray:
    """Inside-cell ordinal of each hotspot's representative point (-1 off the grid)."""
    if len(hotspots) == 0:
        return np.zeros(0, dtype=np.int64)
    pts = shapely.get_coordinates(shapely.point_on_surface(hotspots.geometry.values))
    r, c, ok = grid.rowcol(pts[:, 0], pts[:, 1])
    ordinal = np.full(grid.shape, -1, dtype=np.int64)
    ordinal.ravel()[grid.cell_index] = np.arange(grid.n_inside)
    return np.where(ok, ordinal[np.clip(r, 0, None), np.clip(c, 0, None)], -1)


def _scenario_counts(covered: np.ndarray, hot_cells: np.ndarray, hotspots: gpd.GeoDataFrame) -> dict:
    out = {}
    for key, zh in SCENARIOS.items():
        sel = (hotspots["scenario"] == key).to_numpy()
        if not sel.any():
            continue
        cells = hot_cells[sel]
        ok = int(np.sum((cells >= 0) & covered[np.clip(cells, 0, None)]))
        out[key] = {"name_zh": zh, "covered": ok, "total": int(sel.sum()), "text": f"{zh} {key}: {ok}/{int(sel.sum())}"}
    return out


def _plot_rollout(path: Path, curve_sites: np.ndarray, curves: dict[str, np.ndarray], phases: list[dict],
                  sample: bool, threshold_dbm: float) -> Path:
    """Coverage (outdoor and indoor) against the number of sites in build order, with the targets marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..fonts import cjk_rc, zh_en

    colours = {"outdoor": "#1f77b4", "indoor": "#ff7f0e"}
    with cjk_rc():
        labels = {"outdoor": zh_en("室外 outdoor", "outdoor"), "indoor": zh_en("室内 indoor", "indoor")}
        fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
        for layer, curve in curves.items():
            ax.plot(curve_sites, 100 * curve, color=colours[layer], lw=2, label=f"{labels[layer]} (build order)")
        for ph in phases:
            ax.axvline(ph["target_sites"], color="#d62728", ls="--", lw=1)
            ax.annotate(f"{ph['id']}: {ph['target_sites']} sites", (ph["target_sites"], 3), rotation=90,
                        va="bottom", ha="right", fontsize=8, color="#d62728")
            for layer in ("outdoor", "indoor"):
                goal = ph.get(f"target_coverage_{layer}")
                if goal:
                    ax.axhline(100 * goal, color=colours[layer], ls=":", lw=1)
                    ax.annotate(f"{ph['id']} {layer} target {100 * goal:.0f}%", (0, 100 * goal), va="bottom",
                                fontsize=8, color=colours[layer])
        ax.set_xlabel(zh_en("5G 站址数（累计） 5G sites (cumulative)", "5G sites (cumulative)"))
        ax.set_ylabel(zh_en(f"覆盖面积占比 area with RSRP ≥ {threshold_dbm:g} dBm [%]",
                            f"area with RSRP ≥ {threshold_dbm:g} dBm [%]"))
        ax.set_ylim(0, 102)
        ax.grid(alpha=0.3)
        ax.set_title(zh_en("覆盖率与站址数 Coverage against number of sites", "Coverage against number of sites")
                     + (zh_en("  — 样例数据 SAMPLE DATA", "  — SAMPLE DATA") if sample else ""))
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", metadata={"Software": None})
        plt.close(fig)
    return path


def run(ctx) -> None:
    """Phased site selection; writes selected_sites.csv/.xlsx/.geojson, rollout.csv, rollout.png."""
    from ..compliance import check_candidates
    from ..coverage import coverage_matrix, grid_for_district

    d = ctx.district
    cfg = d.config
    o = cfg.optimize
    check = ctx.results.get("check")
    if check is None:
        check = check_candidates(d)
    cov = ctx.results.get("coverage")
    grid = cov.grid if cov is not None else grid_for_district(d)
    statuses = ("compliant", "conditional") if o.include_conditional else ("compliant",)
    site_ids_all = check["site_id"].to_numpy()
    fixed_all, fixed_note = fixed_from_registry(d, site_ids_all)
    eligible_mask = check["status"].isin(statuses).to_numpy().copy()
    eligible_mask[fixed_all] = True  # an approved site stays in the plan whatever today's check says
    cands = check[eligible_mask].reset_index(drop=True)
    fixed = np.flatnonzero(np.isin(cands["site_id"].to_numpy(), site_ids_all[fixed_all]))

    layers = ["outdoor", "indoor"]
    mats = {layer: coverage_matrix(grid, cands, cfg.radio, layer=layer, progress=ctx.progress) for layer in layers}
    w_out = demand_weights(grid, d.layers["hotspots"], cfg.scenarios, o.hotspot_radius_m)
    if o.demand == "outdoor":
        A, w = mats["outdoor"], w_out
    elif o.demand == "indoor":
        A, w = mats["indoor"], w_out
    else:
        A, w = sparse.vstack([mats["outdoor"], mats["indoor"]]).tocsr(), np.concatenate([w_out, w_out])
    cost = candidate_costs(cands, cfg.costs)
    conflicts = spacing_conflicts(cands, cfg.rules.min_spacing_m)
    phases_in = []
    for t in cfg.targets:
        frac = target_fraction(t, o.demand)
        phases_in.append((t.id, t.sites, frac) if frac is not None else (t.id, t.sites))
    plan = plan_rollout(A, w, cost, fixed=fixed, phases=phases_in, conflicts=conflicts if len(conflicts) else None,
                        time_limit_s=o.time_limit_s, mip_rel_gap=o.mip_rel_gap, count_fixed=True)

    area = np.full(grid.n_inside, grid.cell_area_m2)
    total_area = float(area.sum())
    subd = cell_zones(grid, d.layers["subdistricts"], "name")
    hot_cells = _hotspot_cells(grid, d.layers["hotspots"])
    cscs = {layer: mats[layer].tocsc() for layer in layers}
    rows = []
    phases_out = []
    chosen = fixed.copy()
    rank = 0
    covered_now = {layer: _covered(mats[layer], fixed) for layer in layers}
    curve_sites = [len(fixed)]
    curves = {layer: [float(area[covered_now[layer]].sum() / total_area)] for layer in layers}
    win_start, win_end = cfg.award.window_start, cfg.award.window_end
    for t, ph in zip(cfg.targets, plan.phases):
        order = ph.new_sites
        gains = {layer: _marginal_area(cscs[layer], order, area, covered_now[layer]) for layer in layers}
        for k, j in enumerate(order):
            rank += 1
            rows.append({"idx": int(j), "phase": ph.id, "rank": rank, "phase_rank": k + 1,
                         "marginal_gain_weight": float(ph.marginal_gain[k]),
                         "marginal_gain_m2": float(gains[o.demand if o.demand != "both" else "indoor"][k])})
            curve_sites.append(curve_sites[-1] + 1)
            for layer in layers:
                curves[layer].append(curves[layer][-1] + float(gains[layer][k]) / total_area)
        chosen = np.concatenate([chosen, order])
        covered_now = {layer: _covered(mats[layer], chosen) for layer in layers}
        covered_out, covered_in = covered_now["outdoor"], covered_now["indoor"]
        new_rows = cands.iloc[order]
        reuse = int((new_rows["reuse_kind"] != "").sum())
        due_end = f"{t.due}-31"
        award_sites = len(order) if win_start[:7] <= t.due <= win_end[:7] else 0
        res = ph.result
        phases_out.append({
            "id": ph.id, "label": t.label, "label_zh": t.label_zh, "due": t.due,
            "target_sites": t.sites, "target_coverage_outdoor": t.coverage_outdoor,
            "sites": len(chosen), "new_sites": len(order), "fixed_sites": len(fixed),
            "coverage_outdoor": round(float(area[covered_out].sum() / total_area), 6),
            "coverage_indoor": round(float(area[covered_in].sum() / total_area), 6),
            "coverage_outdoor_by_subdistrict": _shares(covered_out, subd, area),
            "coverage_by_scenario": _scenario_counts(covered_out, hot_cells, d.layers["hotspots"]),
            "cost_cny": round(float(ph.cost), 2),
            "reuse_ratio": round(reuse / len(order), 6) if len(order) else None,
            "reuse_by_kind": {k: int(v) for k, v in new_rows["reuse_kind"].replace("", "new_build").value_counts().sort_index().items()},
            "award_cny": float(award_sites * cfg.award.per_site_cny),
            "award_note": f"CNY {cfg.award.per_site_cny:,.0f} per new site in service {win_start}..{win_end}; "
                          f"phase due {due_end[:7]}" + ("" if award_sites else " (outside the award window)"),
            "target_coverage": target_fraction(t, o.demand),
            "target_coverage_indoor": t.coverage_indoor,
            "met": bool(ph.met),
            "note": _phase_note(ph, t, len(chosen), len(cands)),
            "solver": {"status": res.status, "method": res.method, "objective": res.objective, "bound": res.bound,
                       "gap": res.gap, "time_s": round(res.time_s, 3)},
        })

    # The planner's question: the fewest sites for X% coverage (weighted demand).
    fewest = []
    for frac in o.fewest_sites_fractions:
        try:
            r = fewest_sites_for(A, w, frac, fixed=fixed, conflicts=conflicts if len(conflicts) else None,
                                 time_limit_s=o.time_limit_s, mip_rel_gap=o.mip_rel_gap)
            fewest.append({"coverage_fraction": frac, "sites": len(r.selected), "new_sites": len(r.new),
                           "status": r.status, "bound": r.bound, "gap": r.gap})
        except InfeasibleError as e:  # the candidates cannot reach it: say so, with what they do reach
            fewest.append({"coverage_fraction": frac, "sites": None, "note": str(e)})

    sel = pd.DataFrame(rows)
    if len(fixed):
        fx = pd.DataFrame({"idx": fixed, "phase": "fixed", "rank": 0, "phase_rank": 0,
                           "marginal_gain_weight": np.nan, "marginal_gain_m2": np.nan})
        sel = pd.concat([fx, sel], ignore_index=True)
    if len(sel) == 0:
        sel = pd.DataFrame(columns=["idx", "phase", "rank", "phase_rank", "marginal_gain_weight", "marginal_gain_m2"])
    picked = cands.iloc[sel["idx"].to_numpy(dtype=np.int64)].reset_index(drop=True)
    out = gpd.GeoDataFrame(
        {
            "site_id": picked["site_id"].to_numpy(), "name": picked["name"].to_numpy(),
            "phase": sel["phase"].to_numpy(), "rank": sel["rank"].to_numpy(dtype=np.int64),
            "phase_rank": sel["phase_rank"].to_numpy(dtype=np.int64),
            "marginal_gain_m2": sel["marginal_gain_m2"].to_numpy(dtype=float).round(1),
            "marginal_gain_weight": sel["marginal_gain_weight"].to_numpy(dtype=float).round(1),
            "cost_cny": cost[sel["idx"].to_numpy(dtype=np.int64)],
            "build_kind": picked["build_kind"].to_numpy(), "reuse_kind": picked["reuse_kind"].to_numpy(),
            "reuse_id": picked["reuse_id"].to_numpy(), "subdistrict": picked["subdistrict"].to_numpy(),
            "responsible_unit": picked["responsible_unit"].to_numpy(), "site_type": picked["site_type"].to_numpy(),
            "operator": picked["operator"].to_numpy(), "band": picked["band"].to_numpy(),
            "status": picked["status"].to_numpy(),
        },
        geometry=picked.geometry.values, crs=d.crs,
    )
    if d.sample:
        out["data_note"] = SAMPLE_NOTE
    ctx.results["optimize"] = out
    ctx.gpkg_layers["selected_sites"] = out

    lonlat = out.to_crs("EPSG:4326").geometry
    table = pd.DataFrame(out.drop(columns="geometry"))
    table.insert(2, "lon", np.round(lonlat.x.to_numpy(), 7) if len(out) else [])
    table.insert(3, "lat", np.round(lonlat.y.to_numpy(), 7) if len(out) else [])
    od = ctx.out_dir
    ctx.written.append(write_csv(table, od / "selected_sites.csv", labels=True, headers=_HEADERS))
    rollout = pd.DataFrame([{k: v for k, v in p.items() if not isinstance(v, dict)} for p in phases_out])
    rollout = rollout.rename(columns={"id": "phase"})
    first = [c for c in ("phase", "label_zh", "label", "due") if c in rollout.columns]
    rollout = rollout[first + [c for c in rollout.columns if c not in first]]
    ctx.written.append(write_csv(rollout, od / "rollout.csv", labels=True))
    notice = SAMPLE_NOTICE if d.sample else None
    ctx.written.append(write_xlsx(
        od / "selected_sites.xlsx", {"入选站址 Selected": table, "分期 Rollout": rollout},
        notice=notice, metadata=provenance(d), labels=True, headers=_HEADERS,
        district=f"{cfg.district.name_zh} {cfg.district.name}",
        complete_in=" selected_sites.csv 与 siteplan.gpkg / selected_sites.csv and siteplan.gpkg",
    ))
    ctx.written.append(write_geojson(out, od / "selected_sites.geojson", provenance=provenance(d, full=False)))
    ctx.written.append(_plot_rollout(od / "rollout.png", np.array(curve_sites),
                                     {k: np.array(v) for k, v in curves.items()}, phases_out, d.sample,
                                     cfg.radio.rsrp_threshold_dbm))
    ctx.summary["optimize"] = {
        "eligible_candidates": len(cands),
        "eligible_statuses": list(statuses),
        "fixed": {"count": len(fixed), "note": fixed_note},
        "demand": {"layer": o.demand, "cells": int(A.shape[0]), "hotspot_radius_m": o.hotspot_radius_m,
                   "marginal_gain_m2_layer": o.demand if o.demand != "both" else "indoor",
                   "total_weight": float(w.sum())},
        "conflict_pairs": len(conflicts),
        "phases": phases_out,
        "fewest_sites": fewest,
        "time_s": round(plan.time_s, 3),
    }
