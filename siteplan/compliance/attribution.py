"""Attribution: the sub-district (街道) of each candidate, its responsible unit, and direct-supply retrofits.

A candidate is attributed to the sub-district polygon it lies in (on a shared edge: the smallest code). The
sample's sub-district zones are approximate and may leave slivers inside the district uncovered: a candidate in
the district but in no polygon takes the nearest one. A candidate outside the district has no sub-district.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

__all__ = ["attribute_subdistricts", "needs_direct_supply", "retrofit_list"]


def attribute_subdistricts(
    x: np.ndarray,
    y: np.ndarray,
    sub_geoms: np.ndarray,
    sub_codes: np.ndarray,
    sub_names: np.ndarray,
    inside_district: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sub-district code and name for points ``x, y`` [m] ("" where none).

    Parameters
    ----------
    inside_district
        Bool per point; points outside get "" even when near a sub-district (default: all inside).

    Examples
    --------
    >>> sq = shapely.box(0, 0, 10, 10)
    >>> attribute_subdistricts(np.array([5.0]), np.array([5.0]), np.array([sq]), np.array(["1"]), np.array(["A"]))
    (array(['1'], dtype=object), array(['A'], dtype=object))
    """
    n = len(x)
    code = np.full(n, "", dtype=object)
    name = np.full(n, "", dtype=object)
    geoms = np.asarray(sub_geoms, dtype=object)
    if n == 0 or len(geoms) == 0:
        return code, name
    codes = np.asarray(sub_codes, dtype=object).astype(str)
    names = np.asarray(sub_names, dtype=object)
    inside = np.ones(n, bool) if inside_district is None else np.asarray(inside_district, bool)
    pts = shapely.points(np.asarray(x, float), np.asarray(y, float))
    tree = shapely.STRtree(geoms)
    p, s = tree.query(pts, predicate="intersects")
    # Smallest code wins on shared edges: sort pairs by (point, code) and keep each point's first.
    order = np.lexsort((codes[s], p))
    p, s = p[order], s[order]
    first = np.ones(len(p), bool)
    first[1:] = p[1:] != p[:-1]
    idx = np.full(n, -1, dtype=np.intp)
    idx[p[first]] = s[first]
    gap = np.flatnonzero((idx < 0) & inside)
    if gap.size:
        gp, gs = tree.query_nearest(pts[gap], all_matches=False)
        idx[gap[gp]] = gs
    idx[~inside] = -1
    has = idx >= 0
    code[has] = codes[idx[has]]
    name[has] = names[idx[has]]
    return code, name


def needs_direct_supply(power_supply: np.ndarray, status: np.ndarray) -> np.ndarray:
    """True for sites on transferred supply (转供电) that may be built (status not ``non_compliant``): the
    direct-supply (直供电) retrofit list. ``unknown`` supply is not listed: it needs a survey first."""
    ps = np.asarray(power_supply, dtype=object)
    return (ps == "transferred") & (np.asarray(status, dtype=object) != "non_compliant")


def retrofit_list(checked: pd.DataFrame, power_unit: str = "") -> pd.DataFrame:
    """The direct-supply retrofit work list from checked candidates, sorted by sub-district and site id.

    Columns: ``site_id, name, subdistrict, responsible_unit, power_unit, power_supply, status, site_type``.
    ``power_unit`` is the power company doing the retrofit (e.g. ``review.units["power"]``).
    """
    cols = ["site_id", "name", "subdistrict", "responsible_unit", "power_supply", "status", "site_type"]
    sel = checked.loc[checked["needs_direct_supply"].astype(bool), cols].copy()
    sel.insert(4, "power_unit", power_unit)
    return pd.DataFrame(sel.sort_values(["subdistrict", "site_id"], kind="stable").reset_index(drop=True))
