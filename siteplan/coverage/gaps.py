"""Coverage gaps: uncovered district cells as ranked polygons with the candidates that could close them.

A gap is a 4-connected group of uncovered inside cells, vectorized with ``rasterio.features.shapes`` and clipped
to the district boundary (cells straddle it by up to half a cell), so gaps lie inside the district and hold no
covered cell. Gaps under ``min_area_m2`` are dropped. Each gap gets:

- ``area_m2`` (after clipping), ``n_cells``;
- ``subdistrict_code``/``subdistrict``: the sub-district holding most of its cells;
- ``hotspots``: ids of hotspots intersecting it (";"-joined), ``hotspot_weight`` their summed weight;
- ``nearest_candidates``: up to ``k`` candidates nearest to the gap (distance to the polygon) whose own range
  (peak-gain RSRP down to the threshold, see :func:`siteplan.coverage.engine.site_ranges_m`) reaches it;
- ``score = area_m2 * (1 + hotspot_weight)``; ``rank`` 1 = highest score; ``gap_id`` ``GAP-0001``...
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.features import shapes
from scipy import ndimage

from ..config import RadioConfig
from .engine import CoverageResult, sectors_from_sites, site_ranges_m
from .figures import subdistrict_index

__all__ = ["GAP_COLUMNS", "find_gaps"]

GAP_COLUMNS = [
    "gap_id", "rank", "area_m2", "n_cells", "subdistrict_code", "subdistrict", "hotspots", "hotspot_weight",
    "nearest_candidates", "nearest_distance_m", "score",
]


def _empty(crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in GAP_COLUMNS}, geometry=gpd.GeoSeries([], crs=crs),
                            crs=crs)


def find_gaps(
    result: CoverageResult,
    *,
    boundary,
    min_area_m2: float,
    layer: str = "outdoor",
    subdistricts=None,
    hotspots=None,
    candidates=None,
    radio: RadioConfig | None = None,
    k: int = 3,
) -> gpd.GeoDataFrame:
    """Ranked gap polygons of ``result`` (working CRS); columns :data:`GAP_COLUMNS` + geometry.

    Parameters
    ----------
    result : CoverageResult
        Coverage to find the gaps of.
    boundary : shapely geometry
        District boundary (working CRS); gaps are clipped to it.
    min_area_m2 : float
        Smallest gap kept [m^2].
    layer : str
        ``"outdoor"`` or ``"indoor"`` coverage.
    subdistricts, hotspots, candidates : GeoDataFrame, optional
        District layers (working CRS). ``candidates`` should be the compliant ones.
    radio : RadioConfig, optional
        Needed with ``candidates`` to compute their ranges.
    k : int
        Nearest candidates listed per gap.
    """
    g = result.grid
    crs = g.crs
    covered = result.covered if layer == "outdoor" else result.indoor_covered
    mask = g.layer_mask(layer) & ~covered
    if not mask.any():
        return _empty(crs)
    labels, n_lab = ndimage.label(mask)  # 4-connectivity, as rasterio.features.shapes
    polys = {}
    for geom, val in shapes(labels.astype(np.int32), mask=mask, transform=g.transform, connectivity=4):
        polys.setdefault(int(val), []).append(shapely.geometry.shape(geom))
    lab_ids = np.array(sorted(polys), dtype=np.int64)
    geoms = np.array([shapely.union_all(polys[i]) if len(polys[i]) > 1 else polys[i][0] for i in lab_ids],
                     dtype=object)
    geoms = shapely.make_valid(shapely.intersection(geoms, boundary))
    area = shapely.area(geoms)
    n_cells = np.bincount(labels.ravel(), minlength=n_lab + 1)[lab_ids]
    keep = area >= float(min_area_m2)
    if not keep.any():
        return _empty(crs)
    lab_ids, geoms, area, n_cells = lab_ids[keep], geoms[keep], area[keep], n_cells[keep]
    n = lab_ids.size
    # Sub-district: the most frequent sub-district among the gap's cells.
    sd_code = np.array([""] * n, dtype=object)
    sd_name = np.array([""] * n, dtype=object)
    if subdistricts is not None and len(subdistricts):
        idx = subdistrict_index(g, subdistricts)
        pos = np.full(n_lab + 1, -1, dtype=np.int64)
        pos[lab_ids] = np.arange(n)
        cell_gap = pos[labels[mask]]
        cell_sd = idx[mask]
        ok = (cell_gap >= 0) & (cell_sd >= 0)
        m = len(subdistricts)
        counts = np.bincount(cell_gap[ok] * m + cell_sd[ok], minlength=n * m).reshape(n, m)
        best = counts.argmax(axis=1)
        has = counts.max(axis=1) > 0
        codes = subdistricts["code"].astype(str).to_numpy()
        names = subdistricts["name"].astype(str).to_numpy()
        sd_code = np.where(has, codes[best], "")
        sd_name = np.where(has, names[best], "")
    # Hotspots intersecting each gap.
    hs_text = np.array([""] * n, dtype=object)
    hs_weight = np.zeros(n)
    tree = shapely.STRtree(geoms)
    if hotspots is not None and len(hotspots):
        h_idx, gap_idx = tree.query(hotspots.geometry.values, predicate="intersects")
        w = hotspots["weight"].astype(float).fillna(1.0).to_numpy() if "weight" in hotspots else np.ones(len(hotspots))
        hs_weight = np.bincount(gap_idx, weights=w[h_idx], minlength=n)
        ids = hotspots["hotspot_id"].astype(str).to_numpy()
        order = np.lexsort((h_idx, gap_idx))
        for gi, grp in pd.Series(ids[h_idx[order]]).groupby(gap_idx[order]):
            hs_text[int(gi)] = ";".join(grp)
    # Nearest candidates whose own range reaches the gap.
    near_text = np.array([""] * n, dtype=object)
    near_dist = np.full(n, np.nan)
    if candidates is not None and len(candidates) and radio is not None and k > 0:
        s = sectors_from_sites(candidates, radio, on_invalid="skip")
        if s.n_sites:
            rng = np.minimum(site_ranges_m(s, radio, threshold_dbm=radio.rsrp_threshold_dbm, layer=layer),
                             radio.max_reach_m)
            pts = shapely.points(s.x_m, s.y_m)
            gi, ci = tree.query(pts, predicate="dwithin", distance=float(rng.max()))[::-1]
            d = shapely.distance(geoms[gi], pts[ci])
            ok = d <= rng[ci]
            gi, ci, d = gi[ok], ci[ok], d[ok]
        if s.n_sites and gi.size:
            order = np.lexsort((ci, d, gi))
            gi, ci, d = gi[order], ci[order], d[order]
            first = np.r_[True, gi[1:] != gi[:-1]]
            rank_in = np.arange(gi.size) - np.maximum.accumulate(np.where(first, np.arange(gi.size), 0))
            sel = rank_in < k
            cid = s.site_id
            for gj, grp in pd.Series(cid[ci[sel]]).groupby(gi[sel]):
                near_text[int(gj)] = ";".join(grp)
            near_dist[gi[first]] = d[first]
    score = area * (1.0 + hs_weight)
    out = gpd.GeoDataFrame(
        {
            "area_m2": np.round(area, 1),
            "n_cells": n_cells.astype(np.int64),
            "subdistrict_code": sd_code,
            "subdistrict": sd_name,
            "hotspots": hs_text,
            "hotspot_weight": hs_weight,
            "nearest_candidates": near_text,
            "nearest_distance_m": np.round(near_dist, 1),
            "score": np.round(score, 1),
        },
        geometry=gpd.GeoSeries(geoms, crs=crs),
        crs=crs,
    )
    out = out.sort_values(["score", "area_m2"], ascending=[False, False], kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out.insert(0, "gap_id", [f"GAP-{i:04d}" for i in out["rank"]])
    return out[GAP_COLUMNS + ["geometry"]]
