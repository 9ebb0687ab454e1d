"""Candidate search requests (站址需求): where a network needs a site that no candidate offers.

When a phase misses its goal and the candidate pool cannot cover part of the goal area (no eligible candidate's
own RSRP clears the threshold there), the uncoverable cells are turned into search rings — what an operator or
China Tower takes to the field to find a rooftop, pole or building:

1. uncoverable goal cells are grouped into 8-connected clusters; clusters under ``min_area_m2`` are dropped;
2. a cluster of area A gets k = ceil(A / (pi r_site^2)) rings, placed by seeded k-means on its cells
   (``r_site``: the radius one site of the network's usual type covers, from its own link budget);
3. each ring's centre is its cells' centroid and its radius half the equivalent radius of the cells it holds,
   clipped to ``[min_radius_m, max_radius_m]`` (layout plans use ~50-100 m in dense areas, up to ~200 m at the
   edge);
4. a hotspot of the goal that no candidate covers gets its own indoor ring (radius ``min_radius_m``).

Priority: 1 (high) for rings holding a goal hotspot or in the goal's core area, 2 otherwise; within a priority,
larger weighted area first.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.spatial import cKDTree

__all__ = ["SEARCH_COLUMNS", "hotspot_rings", "search_rings"]

SEARCH_COLUMNS = ["request_id", "network", "phase", "kind", "site_type", "priority", "x_m", "y_m", "radius_m",
                  "area_m2", "hotspot_id", "reason"]


def search_rings(grid, uncoverable: np.ndarray, *, network: str, phase: str, site_radius_m: float,
                 min_area_m2: float, min_radius_m: float = 50.0, max_radius_m: float = 200.0,
                 weight: np.ndarray | None = None, high_priority: np.ndarray | None = None, seed: int = 0,
                 reason: str = "") -> pd.DataFrame:
    """Search rings over the uncoverable inside cells of one network's goal; columns :data:`SEARCH_COLUMNS`.

    Parameters
    ----------
    grid : siteplan.coverage.Grid
    uncoverable : (n_inside,) bool
        Inside cells (grid.cell_index order) of the goal area that no candidate can cover.
    site_radius_m : float
        Radius one site of the network's usual type covers [m].
    min_area_m2 : float
        Smallest cluster worth a request [m^2].
    weight : (n_inside,) float, optional
        Demand weight per cell (ranks rings within a priority); default the cell area.
    high_priority : (n_inside,) bool, optional
        Cells that make a ring priority 1 (e.g. the urban core).
    """
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in SEARCH_COLUMNS})
    if not uncoverable.any():
        return out
    full = grid.full(uncoverable, False, bool)
    labels, n_lab = ndimage.label(full, structure=np.ones((3, 3), dtype=bool))
    ordinal = np.full(grid.shape, -1, dtype=np.int64)
    ordinal.ravel()[grid.cell_index] = np.arange(grid.n_inside)
    rr, cc = np.nonzero(full)
    lab = labels[rr, cc]
    cell_ord = ordinal[rr, cc]
    x, y = grid.col_x(cc), grid.row_y(rr)
    cell_area = grid.cell_area_m2
    w = np.full(grid.n_inside, cell_area) if weight is None else np.asarray(weight, dtype=float)
    hp = np.zeros(grid.n_inside, dtype=bool) if high_priority is None else np.asarray(high_priority, dtype=bool)
    order = np.argsort(lab, kind="stable")
    bounds = np.searchsorted(lab[order], np.arange(1, n_lab + 2))
    rows = []
    ring_cap = math.pi * site_radius_m ** 2
    rng = np.random.default_rng(seed)
    for k in range(n_lab):  # clusters, not cells
        idx = order[bounds[k]:bounds[k + 1]]
        area = idx.size * cell_area
        if area < min_area_m2:
            continue
        n_rings = max(1, math.ceil(area / ring_cap))
        pts = np.column_stack([x[idx], y[idx]])
        if n_rings == 1 or idx.size <= n_rings:
            assign = np.zeros(idx.size, dtype=np.int64)
        else:
            init = pts[np.sort(rng.choice(idx.size, n_rings, replace=False))]
            assign = _kmeans(pts, init, iterations=20)
        for j in np.unique(assign):
            m = idx[assign == j]
            a = m.size * cell_area
            r_eq = math.sqrt(a / math.pi)
            rows.append({
                "network": network, "phase": phase, "kind": "area", "site_type": "macro",
                "priority": 1 if hp[cell_ord[m]].any() else 2,
                "x_m": float(x[m].mean()), "y_m": float(y[m].mean()),
                "radius_m": float(np.clip(0.5 * r_eq, min_radius_m, max_radius_m)),
                "area_m2": round(float(a), 1), "hotspot_id": "", "reason": reason,
                "_w": float(w[cell_ord[m]].sum()),
            })
    if not rows:
        return out
    df = pd.DataFrame(rows).sort_values(["priority", "_w", "x_m", "y_m"], ascending=[True, False, True, True],
                                        kind="stable").drop(columns="_w").reset_index(drop=True)
    return df


def _kmeans(pts: np.ndarray, centres: np.ndarray, *, iterations: int) -> np.ndarray:
    """Lloyd's k-means from ``centres``; each cell's cluster index. Nearest centre by KD-tree (scipy's ``vq`` is
    brute force, n x k: 2 minutes on a rural district's uncoverable millions of cells); an emptied cluster keeps
    its centre."""
    k = len(centres)
    centres = centres.astype(float).copy()
    assign = np.zeros(len(pts), dtype=np.int64)
    for _ in range(iterations):
        new = cKDTree(centres).query(pts)[1].astype(np.int64)
        if _ and np.array_equal(new, assign):
            break
        assign = new
        n = np.bincount(assign, minlength=k)
        has = n > 0
        for d in range(2):
            centres[has, d] = np.bincount(assign, weights=pts[:, d], minlength=k)[has] / n[has]
    return assign


def hotspot_rings(hotspot_ids, xy: np.ndarray, *, network: str, phase: str, radius_m: float = 50.0,
                  reason: str = "") -> pd.DataFrame:
    """One indoor search ring per uncoverable goal hotspot (priority 1)."""
    ids = np.asarray(hotspot_ids, dtype=object)
    if ids.size == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SEARCH_COLUMNS})
    return pd.DataFrame({
        "network": network, "phase": phase, "kind": "hotspot", "site_type": "indoor", "priority": 1,
        "x_m": xy[:, 0], "y_m": xy[:, 1], "radius_m": float(radius_m), "area_m2": np.nan,
        "hotspot_id": ids, "reason": reason,
    })
