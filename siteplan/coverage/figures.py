"""Coverage figures: share of area covered (outdoor, indoor), by sub-district and per hotspot scenario.

Every cell has the same area, so shares are cell counts. A hotspot is *covered* when:

- a point: the cell containing it is covered;
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

__all__ = ["coverage_figures", "hotspot_coverage", "subdistrict_index"]


def subdistrict_index(grid: Grid, subdistricts) -> np.ndarray:
    """Grid of sub-district row positions (0..n-1) by cell centre; -1 where none (or outside)."""
    if subdistricts is None or len(subdistricts) == 0:
        return np.full(grid.shape, -1, dtype=np.int32)
    shapes = [(g, i) for i, g in enumerate(subdistricts.geometry.values) if g is not None and not g.is_empty]
    idx = rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=-1, dtype="int32")
    return np.where(grid.inside, idx, -1).astype(np.int32)


def hotspot_coverage(grid: Grid, covered: np.ndarray, hotspots, *, polygon_rule: str = "majority") -> pd.DataFrame:
    """Per hotspot: ``hotspot_id, scenario, weight, on_grid, n_cells, covered_cells, covered``.

    ``covered`` is a bool grid (e.g. ``CoverageResult.covered``).
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
    # Polygons: cells whose centres fall inside (one vectorized test per polygon over its bbox window).
    for i in np.flatnonzero(is_poly):
        minx, miny, maxx, maxy = geoms[i].bounds
        r0, c0, _ = grid.rowcol(minx, maxy)
        r1, c1, _ = grid.rowcol(maxx, miny)
        r0, c0 = max(int(r0), 0), max(int(c0), 0)
        r1 = grid.shape[0] - 1 if r1 < 0 else int(r1)
        c1 = grid.shape[1] - 1 if c1 < 0 else int(c1)
        rr, cc = np.mgrid[r0 : r1 + 1, c0 : c1 + 1]
        inside = shapely.contains_xy(geoms[i], grid.col_x(cc), grid.row_y(rr)) & grid.inside[rr, cc]
        n_cells[i] = int(inside.sum())
        n_cov[i] = int((inside & covered[rr, cc]).sum())
    # Points, and polygons smaller than a cell: the cell of the (representative) point.
    single = ~is_poly | (n_cells == 0)
    pts = shapely.point_on_surface(geoms[single])
    r, c, ok = grid.rowcol(shapely.get_x(pts), shapely.get_y(pts))
    ok &= grid.inside[np.maximum(r, 0), np.maximum(c, 0)]
    n_cells[single] = ok.astype(np.int64)
    n_cov[single] = (ok & covered[np.maximum(r, 0), np.maximum(c, 0)]).astype(np.int64)
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


def _share(num: int, den: int) -> float | None:
    return round(num / den, 6) if den else None


def coverage_figures(
    result,
    *,
    subdistricts=None,
    hotspots=None,
    polygon_rule: str = "majority",
    sinr_threshold_db: float | None = None,
) -> dict:
    """Figures of a :class:`~siteplan.coverage.CoverageResult` as plain JSON-able data.

    Returns a dict with ``outdoor``/``indoor`` (``covered_share``, ``covered_km2``), ``area_km2``,
    ``by_subdistrict`` (list of ``code, name, area_km2, outdoor_share, indoor_share``), ``hotspots`` (per
    scenario: ``covered``, ``total``, ``indoor_covered``, ``label`` such as ``"healthcare: 11/12 covered"``),
    ``hotspots_off_grid`` and, when ``sinr_threshold_db`` is given, ``sinr_ok_share`` (covered outdoor and
    SINR >= threshold).
    """
    g = result.grid
    inside = g.inside
    n_in = int(inside.sum())
    km2 = g.cell_area_m2 / 1e6
    out_n = int(result.covered.sum())
    in_n = int(result.indoor_covered.sum())
    fig: dict = {
        "cells_inside": n_in,
        "cell_area_m2": g.cell_area_m2,
        "area_km2": round(n_in * km2, 4),
        "threshold_dbm": result.threshold_dbm,
        "sites": int(result.sectors.n_sites),
        "sectors": int(result.sectors.n_sectors),
        "outdoor": {"covered_share": _share(out_n, n_in), "covered_km2": round(out_n * km2, 4)},
        "indoor": {"covered_share": _share(in_n, n_in), "covered_km2": round(in_n * km2, 4)},
    }
    if sinr_threshold_db is not None:
        with np.errstate(invalid="ignore"):
            ok = result.covered & (result.sinr_db >= sinr_threshold_db)
        fig["sinr_threshold_db"] = float(sinr_threshold_db)
        fig["sinr_ok_share"] = _share(int(ok.sum()), n_in)
        fin = result.sinr_db[result.covered]
        fig["sinr_median_db"] = round(float(np.median(fin)), 2) if fin.size else None
    rows = []
    if subdistricts is not None and len(subdistricts):
        idx = subdistrict_index(g, subdistricts)
        k = len(subdistricts)
        tot = np.bincount(idx[inside] + 1, minlength=k + 1)[1:]
        cov_o = np.bincount(idx[result.covered] + 1, minlength=k + 1)[1:]
        cov_i = np.bincount(idx[result.indoor_covered] + 1, minlength=k + 1)[1:]
        for j, (code, name) in enumerate(zip(subdistricts["code"].astype(str), subdistricts["name"].astype(str))):
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "area_km2": round(int(tot[j]) * km2, 4),
                    "outdoor_share": _share(int(cov_o[j]), int(tot[j])),
                    "indoor_share": _share(int(cov_i[j]), int(tot[j])),
                }
            )
        fig["unassigned_cells"] = int((idx[inside] < 0).sum())
    fig["by_subdistrict"] = rows
    hs: dict = {}
    off_grid: list[str] = []
    if hotspots is not None and len(hotspots):
        h_out = hotspot_coverage(g, result.covered, hotspots, polygon_rule=polygon_rule)
        h_in = hotspot_coverage(g, result.indoor_covered, hotspots, polygon_rule=polygon_rule)
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
