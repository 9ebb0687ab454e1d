"""Coverage figures: share covered (outdoor, indoor), by sub-district and per hotspot scenario.

Outdoor shares are shares of the outdoor layer's cells (outside buildings; every cell has the same area), indoor
shares of the indoor layer's floor area (:meth:`siteplan.coverage.Grid.layer_weight_m2`). A hotspot is *covered*
when:

- a point: its cell is covered (:func:`hotspot_cells`: indoors, the cell of its building — its ``building_id``,
  else the building it stands in — where its own cell is not in that building);
- a polygon: with ``polygon_rule="majority"`` (default) more than half of the cells whose centres lie inside it
  are covered; with ``"any"`` at least one is. A polygon smaller than a cell uses the cell of its
  representative point.

Hotspots outside the district grid are listed separately and left out of the counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from rasterio.features import rasterize

from .grid import Grid

__all__ = ["coverage_figures", "hotspot_cells", "hotspot_coverage", "subdistrict_index"]


def subdistrict_index(grid: Grid, subdistricts) -> np.ndarray:
    """Grid of sub-district row positions (0..n-1) by cell centre; -1 where none (or outside)."""
    if subdistricts is None or len(subdistricts) == 0:
        return np.full(grid.shape, -1, dtype=np.int32)
    shapes = [(g, i) for i, g in enumerate(subdistricts.geometry.values) if g is not None and not g.is_empty]
    idx = rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=-1, dtype="int32")
    return np.where(grid.inside, idx, -1).astype(np.int32)


def hotspot_cells(grid: Grid, hotspots, layer: str = "outdoor") -> np.ndarray:
    """Flat grid index of the cell that stands for each point hotspot (its point on surface), -1 off the grid.

    Indoors, with a building map, a hotspot in (or naming, by ``building_id``) a building whose cells do not
    include its own cell is moved to that building's representative cell, so a hotspot is judged inside its
    building.
    """
    if hotspots is None or len(hotspots) == 0:
        return np.zeros(0, dtype=np.int64)
    pts = shapely.point_on_surface(hotspots.geometry.values)
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    r, c, ok = grid.rowcol(x, y)
    ok &= grid.inside[np.maximum(r, 0), np.maximum(c, 0)]
    flat = np.where(ok, r * grid.shape[1] + c, -1).astype(np.int64)
    b = grid.buildings
    if layer != "indoor" or b is None:
        return flat
    bld = b.index_of(hotspots["building_id"].astype(str)) if "building_id" in hotspots else np.full(flat.size, -1)
    bld = np.where(bld >= 0, bld, b.building_at(x, y))
    own = np.where(flat >= 0, b.cell_building.ravel()[np.maximum(flat, 0)], -1)
    move = (bld >= 0) & (own != bld)
    rep = b.building_cell[np.maximum(bld, 0)]
    return np.where(move & (rep >= 0), rep, flat)


def hotspot_coverage(grid: Grid, covered: np.ndarray, hotspots, *, polygon_rule: str = "majority",
                     layer: str = "outdoor") -> pd.DataFrame:
    """Per hotspot: ``hotspot_id, scenario, weight, on_grid, n_cells, covered_cells, covered``.

    ``covered`` is a bool grid (e.g. ``CoverageResult.covered``) of ``layer``: a polygon hotspot counts the cells of
    that layer in it; a point hotspot its cell (:func:`hotspot_cells`).
    """
    if polygon_rule not in ("majority", "any"):
        raise ValueError(f"polygon_rule = {polygon_rule!r}: expected 'majority' or 'any'")
    cols = ["hotspot_id", "scenario", "weight", "on_grid", "n_cells", "covered_cells", "covered"]
    if hotspots is None or len(hotspots) == 0:
        return pd.DataFrame(columns=cols)
    geoms = hotspots.geometry.values
    n = len(geoms)
    n_cells = np.zeros(n, dtype=np.int64)
    n_cov = np.zeros(n, dtype=np.int64)
    is_poly = np.isin(shapely.get_type_id(geoms), [3, 6])
    layer_cells = grid.layer_mask(layer)
    # Polygons: cells whose centres fall inside (one vectorized test per polygon over its bbox window).
    for i in np.flatnonzero(is_poly):
        minx, miny, maxx, maxy = geoms[i].bounds
        r0, c0, _ = grid.rowcol(minx, maxy)
        r1, c1, _ = grid.rowcol(maxx, miny)
        r0, c0 = max(int(r0), 0), max(int(c0), 0)
        r1 = grid.shape[0] - 1 if r1 < 0 else int(r1)
        c1 = grid.shape[1] - 1 if c1 < 0 else int(c1)
        rr, cc = np.mgrid[r0 : r1 + 1, c0 : c1 + 1]
        inside = shapely.contains_xy(geoms[i], grid.col_x(cc), grid.row_y(rr)) & layer_cells[rr, cc]
        n_cells[i] = int(inside.sum())
        n_cov[i] = int((inside & covered[rr, cc]).sum())
    # Points, and polygons smaller than a cell: the cell of the (representative) point.
    single = ~is_poly | (n_cells == 0)
    flat = hotspot_cells(grid, hotspots.iloc[np.flatnonzero(single)], layer)
    ok = flat >= 0
    n_cells[single] = ok.astype(np.int64)
    n_cov[single] = (ok & covered.ravel()[np.maximum(flat, 0)]).astype(np.int64)
    if polygon_rule == "majority":
        cov = (n_cells > 0) & (2 * n_cov > n_cells)
    else:
        cov = n_cov > 0
    weight = hotspots["weight"].astype(float).to_numpy() if "weight" in hotspots else np.ones(n)
    return pd.DataFrame(
        {
            "hotspot_id": hotspots["hotspot_id"].astype(str).to_numpy(),
            "scenario": hotspots["scenario"].astype(str).to_numpy(),
            "weight": weight,
            "on_grid": n_cells > 0,
            "n_cells": n_cells,
            "covered_cells": n_cov,
            "covered": cov,
        }
    )


def _share(num: float, den: float) -> float | None:
    return round(float(num) / float(den), 6) if den else None


def _wshare(mask: np.ndarray, weight: np.ndarray) -> float | None:
    """Share of the total ``weight`` (a layer's weights, 0 off it) that ``mask`` holds."""
    return _share(weight[mask].sum(), weight.sum())


def coverage_figures(
    result,
    *,
    subdistricts=None,
    hotspots=None,
    polygon_rule: str = "majority",
    sinr_threshold_db: float | None = None,
) -> dict:
    """Figures of a :class:`~siteplan.coverage.CoverageResult` as plain JSON-able data.

    Returns a dict with ``outdoor`` (``covered_share``, ``covered_km2``, ``layer_km2``), ``indoor``
    (``covered_share`` of floor area, ``covered_floor_km2``, ``floor_area_km2``, ``footprint_km2``), ``area_km2``,
    ``by_subdistrict`` (list of ``code, name, area_km2, outdoor_share, indoor_share``), ``hotspots`` (per
    scenario: ``covered``, ``total``, ``indoor_covered``, ``label`` such as ``"healthcare: 11/12 covered"``),
    ``hotspots_off_grid`` and, when ``sinr_threshold_db`` is given, ``sinr_ok_share`` (covered outdoor and
    SINR >= threshold).
    """
    g = result.grid
    inside = g.inside
    n_in = int(inside.sum())
    km2 = g.cell_area_m2 / 1e6
    out_mask, in_mask = g.layer_mask("outdoor"), g.layer_mask("indoor")
    w_out, w_in = g.layer_weight_m2("outdoor"), g.layer_weight_m2("indoor")
    fig: dict = {
        "cells_inside": n_in,
        "cell_area_m2": g.cell_area_m2,
        "area_km2": round(n_in * km2, 4),
        "threshold_dbm": result.threshold_dbm,
        "sites": int(result.sectors.n_sites),
        "sectors": int(result.sectors.n_sectors),
        "outdoor": {"covered_share": _wshare(result.covered, w_out),
                    "covered_km2": round(float(w_out[result.covered].sum()) / 1e6, 4),
                    "layer_km2": round(float(w_out.sum()) / 1e6, 4)},
        "indoor": {"covered_share": _wshare(result.indoor_covered, w_in),
                   "covered_floor_km2": round(float(w_in[result.indoor_covered].sum()) / 1e6, 4),
                   "floor_area_km2": round(float(w_in.sum()) / 1e6, 4),
                   "footprint_km2": round(int(in_mask.sum()) * km2, 4)},
    }
    if sinr_threshold_db is not None:
        with np.errstate(invalid="ignore"):
            ok = result.covered & (result.sinr_db >= sinr_threshold_db)
        fig["sinr_threshold_db"] = float(sinr_threshold_db)
        fig["sinr_ok_share"] = _wshare(ok, w_out)
        fin = result.sinr_db[result.covered]
        fig["sinr_median_db"] = round(float(np.median(fin)), 2) if fin.size else None
    rows = []
    if subdistricts is not None and len(subdistricts):
        idx = subdistrict_index(g, subdistricts)
        k = len(subdistricts)

        def by_zone(weight, mask):
            return np.bincount(idx[mask] + 1, weights=weight[mask], minlength=k + 1)[1:]

        tot_o, tot_i = by_zone(w_out, out_mask), by_zone(w_in, in_mask)
        cov_o, cov_i = by_zone(w_out, result.covered), by_zone(w_in, result.indoor_covered)
        area = np.bincount(idx[inside] + 1, minlength=k + 1)[1:]
        for j, (code, name) in enumerate(zip(subdistricts["code"].astype(str), subdistricts["name"].astype(str))):
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "area_km2": round(int(area[j]) * km2, 4),
                    "outdoor_share": _share(cov_o[j], tot_o[j]),
                    "indoor_share": _share(cov_i[j], tot_i[j]),
                }
            )
        fig["unassigned_cells"] = int((idx[inside] < 0).sum())
    fig["by_subdistrict"] = rows
    hs: dict = {}
    off_grid: list[str] = []
    if hotspots is not None and len(hotspots):
        h_out = hotspot_coverage(g, result.covered, hotspots, polygon_rule=polygon_rule)
        h_in = hotspot_coverage(g, result.indoor_covered, hotspots, polygon_rule=polygon_rule, layer="indoor")
        h_out["indoor_covered"] = h_in["covered"].to_numpy()
        off_grid = sorted(h_out.loc[~h_out["on_grid"], "hotspot_id"].tolist())
        on = h_out[h_out["on_grid"]]
        for scen, grp in on.groupby("scenario", sort=True):
            c, t, ci = int(grp["covered"].sum()), len(grp), int(grp["indoor_covered"].sum())
            hs[str(scen)] = {"covered": c, "total": t, "indoor_covered": ci, "label": f"{scen}: {c}/{t} covered"}
    fig["hotspots"] = hs
    fig["hotspot_polygon_rule"] = polygon_rule
    fig["hotspots_off_grid"] = off_grid
    return fig
