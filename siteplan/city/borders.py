"""Cross-border reconciliation of a city's district plans.

Each district is planned alone (its own candidates, targets and grid), so a cell near a district's edge is judged
without the neighbour's sites that also reach it. Afterwards, per district and network, with ``R`` the
district's ``radio.max_reach_m`` (a cell's result depends only on the sites within ``R`` of it):

* **Border band**: the district's cells within ``R`` of a neighbour's selected site. Everywhere else the
  district's results are exactly those of its own run. On the band, coverage of the district's own plan (its
  last phase, every site it selected) is computed alone and together with the neighbours' sites, on the
  district's own grid and the operators' joint KPI (RSRP, SINR and the uplink): neighbours' cells add coverage
  where they serve, and can take some away where they only interfere. Both are counted (``gained`` / ``lost``).
* **Border sites**: the district's sites within ``2 R`` of a neighbour's site (only those can share a cell with
  one). For them and the cells they reach, :func:`reconcile_district` returns which site covers which cell on
  its own (RSRP >= threshold, outdoor and indoor: the optimizer's coverage model), so that
  :func:`removable_sites` can find, across the whole city, border sites whose every covered cell stays covered by
  other sites once the neighbours count: a city-wide plan reaches the same coverage without them.

Everything here is a pure function of arrays and frames; :mod:`siteplan.city.tasks` runs it per district on Dask.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from ..config import RadioConfig
from ..coverage import coverage_matrix, make_grid
from ..coverage.engine import compute_coverage
from ..coverage.grid import Grid
from ..coverage.networks import apply_kpi
from ..crs import normalize_frame

__all__ = ["BORDER_REACH_FACTOR", "neighbours_of", "reconcile_district", "removable_sites", "sub_grid"]

#: Neighbour sites farther than this many reaches from a district's boundary cannot touch its cells, nor share a
#: cell with one of its sites.
BORDER_REACH_FACTOR = 2.0


def neighbours_of(boundary, sites: pd.DataFrame, reach_m: float) -> np.ndarray:
    """Bool mask of ``sites`` (other districts' sites, working CRS) within ``2 x reach_m`` of ``boundary``."""
    if len(sites) == 0:
        return np.zeros(0, dtype=bool)
    return shapely.dwithin(np.asarray(sites.geometry.values), boundary, BORDER_REACH_FACTOR * float(reach_m))


def sub_grid(grid: Grid, cells: np.ndarray) -> Grid:
    """The same grid with only the inside cells flagged in ``cells`` (bool, inside-cell order) inside."""
    mask = np.zeros(grid.shape, dtype=bool)
    mask.ravel()[grid.cell_index[np.asarray(cells, bool)]] = True
    return Grid(grid.transform, grid.crs, grid.shape, mask)


def _xy(gdf) -> np.ndarray:
    return shapely.get_coordinates(gdf.geometry.values) if len(gdf) else np.empty((0, 2))


def _within(cells_xy: np.ndarray, points_xy: np.ndarray, radius_m: float) -> np.ndarray:
    """Bool per cell: some point lies within ``radius_m`` of it."""
    if len(points_xy) == 0 or len(cells_xy) == 0:
        return np.zeros(len(cells_xy), dtype=bool)
    d, _ = cKDTree(points_xy).query(cells_xy, k=1, distance_upper_bound=radius_m)
    return np.isfinite(d)


def _kpi(grid: Grid, sites, radio: RadioConfig):
    return apply_kpi(compute_coverage(grid, sites, radio), radio.sinr_threshold_db)


def reconcile_district(boundary, crs: str, radio: RadioConfig, own: pd.DataFrame, neighbours: pd.DataFrame, *,
                       code: str = "", networks=None) -> dict[str, dict]:
    """What the neighbours' sites change on one district's border, per network.

    Parameters
    ----------
    boundary : shapely (Multi)Polygon
        The district, working CRS [m].
    crs : str
        Working CRS (every district of a city shares it).
    radio : RadioConfig
        The district's radio settings (its grid resolution, reach, thresholds).
    own : GeoDataFrame
        The district's selected sites (``network`` column), in its plan's order.
    neighbours : GeoDataFrame
        Other districts' selected sites near it (``network``, ``district``, ``site_id`` columns).
    code : str
        The district's code: the ``district`` of its own sites in the returned keys.
    networks : iterable of str, optional
        Networks to reconcile (default: every network in ``own`` or ``neighbours``).

    Returns
    -------
    dict
        Per network: ``inside_cells``, ``cell_area_m2``, ``neighbour_sites``, ``border_cells`` (the band),
        ``outdoor`` / ``indoor`` ``{"gained", "lost"}`` cells on the joint KPI, ``border_sites`` (own site ids
        within 2 R of a neighbour's site) and ``matrix``: ``{"indptr", "indices", "keys", "own_cols"}``, which site
        alone covers which cell (rows: outdoor then indoor cells the border sites reach; columns: ``keys``,
        ``"<district>:<site_id>"``; ``own_cols`` marks the district's own).
    """
    grid = make_grid(boundary, normalize_frame(crs), radio.grid_resolution_m)
    reach = float(radio.max_reach_m)
    cells = np.column_stack(grid.cell_xy())
    keys = sorted(set(own.get("network", pd.Series(dtype=object)))
                  | set(neighbours.get("network", pd.Series(dtype=object)))) if networks is None else list(networks)
    out: dict[str, dict] = {}
    for key in keys:
        mine = own[own["network"] == key]
        nb = neighbours[neighbours["network"] == key]
        res = {"inside_cells": int(grid.n_inside), "cell_area_m2": grid.cell_area_m2, "own_sites": len(mine),
               "neighbour_sites": len(nb), "border_cells": 0, "outdoor": {"gained": 0, "lost": 0},
               "indoor": {"gained": 0, "lost": 0}, "border_sites": [],
               "matrix": {"indptr": np.zeros(1, np.int64), "indices": np.zeros(0, np.int32), "keys": [],
                          "own_cols": np.zeros(0, bool)}}
        out[key] = res
        if len(nb) == 0:
            continue
        nb_xy = _xy(nb)
        band = _within(cells, nb_xy, reach)
        res["border_cells"] = int(band.sum())
        both = pd.concat([mine, nb], ignore_index=True)
        if band.any():
            g1 = sub_grid(grid, band)
            alone, joint = _kpi(g1, mine, radio), _kpi(g1, both, radio)
            inside = g1.inside
            for layer, attr in (("outdoor", "covered"), ("indoor", "indoor_covered")):
                a, b = getattr(alone, attr)[inside], getattr(joint, attr)[inside]
                res[layer] = {"gained": int((b & ~a).sum()), "lost": int((a & ~b).sum())}
        # Border sites and every district cell they reach: which site alone covers which cell.
        near = _within(_xy(mine), nb_xy, BORDER_REACH_FACTOR * reach)
        res["border_sites"] = mine["site_id"].astype(str).to_numpy()[near].tolist()
        reached = band | _within(cells, _xy(mine)[near], reach)
        if not reached.any():
            continue
        g2 = sub_grid(grid, reached)
        m = sparse.vstack([coverage_matrix(g2, both, radio, layer=layer) for layer in ("outdoor", "indoor")]).tocsr()
        owner = np.concatenate([np.full(len(mine), code, dtype=object), nb["district"].astype(str).to_numpy()])
        res["matrix"] = {"indptr": m.indptr, "indices": m.indices,
                         "keys": [f"{d}:{s}" for d, s in zip(owner, both["site_id"].astype(str))],
                         "own_cols": np.arange(len(both)) < len(mine)}
    return out


def removable_sites(blocks: list[dict], candidates: list[str], cost: dict[str, float] | None = None) -> list[str]:
    """Border sites a city-wide plan can do without, keeping every covered cell covered.

    ``blocks`` are the ``matrix`` entries of :func:`reconcile_district` for one network, one per district; a site
    appears in the blocks of every district whose cells it reaches. Sites of ``candidates`` are tried in order of
    ``cost`` (dearest first), then key; one is removed when each cell it covers in any block is still covered by
    another site not removed. The result is a set that can be removed together (a greedy one, not the largest).
    """
    cost = cost or {}
    allkeys = sorted({k for b in blocks for k in b["keys"]} | set(candidates))
    col = {k: i for i, k in enumerate(allkeys)}
    mats = []
    for b in blocks:
        indptr = np.asarray(b["indptr"], dtype=np.int64)
        if indptr.size < 2:
            continue
        cols = np.asarray([col[k] for k in b["keys"]], dtype=np.int64)
        idx = cols[np.asarray(b["indices"], dtype=np.int64)]
        mats.append(sparse.csr_matrix((np.ones(idx.size, dtype=np.int32), idx, indptr),
                                      shape=(indptr.size - 1, len(allkeys))))
    if not mats:
        return []
    a = sparse.vstack(mats).tocsc()
    a.sum_duplicates()
    count = np.asarray((a > 0).sum(axis=1)).ravel()
    order = sorted(set(candidates), key=lambda k: (-float(cost.get(k, 0.0)), k))
    removed = []
    for k in order:  # a loop over a few hundred border sites, each a slice of one sparse column
        j = col[k]
        rows = a.indices[a.indptr[j]:a.indptr[j + 1]]
        if rows.size and (count[rows] >= 2).all():
            count[rows] -= 1
            removed.append(k)
    return sorted(removed)
