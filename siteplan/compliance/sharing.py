"""Shared-infrastructure matching (集约利用): the nearest reusable asset of each candidate.

Asset kinds, in tie-break order: ``existing_site``, ``street_lamp``, ``monitoring`` (poles by their ``kind``),
``public_facility``. Each kind has its own search distance (``rules.reuse_distance_m[kind]``). Poles are reusable
only by site types whose ``rules.pole_kinds_for_type`` lists the pole's kind (a macro never reuses a lamp pole);
existing sites and public facilities by every type. ``free_access`` is True when a public facility open free of
charge lies within the public-facility distance, whichever asset is nearest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..config import RulesConfig
from ..errors import ConfigError
from .rules import allowed_table

__all__ = ["REUSE_KINDS", "ReuseMatch", "match_reuse", "reuse_ratios"]

REUSE_KINDS = ("existing_site", "street_lamp", "monitoring", "public_facility")


@dataclass
class ReuseMatch:
    """Per-candidate reuse match: ``kind`` ("" = none), ``asset_id``, ``distance_m`` [m] (NaN = none),
    ``free_access`` (bool)."""

    kind: np.ndarray
    asset_id: np.ndarray
    distance_m: np.ndarray
    free_access: np.ndarray

    @property
    def new_build(self) -> np.ndarray:
        return self.kind == ""


def _reuse_distance(rules: RulesConfig, kind: str) -> float:
    try:
        return float(rules.reuse_distance_m[kind])
    except KeyError:
        raise ConfigError(
            f"district.toml: rules.reuse_distance_m has no entry for {kind!r} (expected keys: {', '.join(REUSE_KINDS)})"
        ) from None


def match_reuse(
    x: np.ndarray,
    y: np.ndarray,
    site_type: np.ndarray,
    rules: RulesConfig,
    *,
    existing_xy: np.ndarray | None = None,
    existing_ids: np.ndarray | None = None,
    pole_xy: np.ndarray | None = None,
    pole_ids: np.ndarray | None = None,
    pole_kind: np.ndarray | None = None,
    facility_geoms: np.ndarray | None = None,
    facility_ids: np.ndarray | None = None,
    facility_free: np.ndarray | None = None,
) -> ReuseMatch:
    """Match candidates at ``x, y`` [m] to the nearest reusable asset within its kind's reuse distance.

    Examples
    --------
    >>> from siteplan.config import RulesConfig
    >>> m = match_reuse(np.array([0.0]), np.array([0.0]), np.array(["micro"]), RulesConfig(),
    ...                 pole_xy=np.array([[3.0, 4.0]]), pole_ids=np.array(["P1"]), pole_kind=np.array(["street_lamp"]))
    >>> m.kind[0], m.asset_id[0], float(m.distance_m[0])
    ('street_lamp', 'P1', 5.0)
    """
    n = len(x)
    xy = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    site_type = np.asarray(site_type, dtype=object)
    dist = np.full((len(REUSE_KINDS), n), np.inf)
    which = np.full((len(REUSE_KINDS), n), -1, dtype=np.intp)
    ids: list[np.ndarray] = [np.empty(0, dtype=object)] * len(REUSE_KINDS)

    def nearest_points(k: int, pts: np.ndarray, names: np.ndarray, usable: np.ndarray) -> None:
        if len(pts) == 0 or n == 0:
            return
        d, i = cKDTree(pts).query(xy, k=1, distance_upper_bound=_reuse_distance(rules, REUSE_KINDS[k]))
        ok = np.isfinite(d) & usable
        dist[k, ok], which[k, ok] = d[ok], i[ok]
        ids[k] = np.asarray(names, dtype=object)

    if existing_xy is not None:
        nearest_points(0, np.asarray(existing_xy, float).reshape(-1, 2), existing_ids, np.ones(n, bool))
    if pole_xy is not None and len(pole_xy):
        pole_xy = np.asarray(pole_xy, float).reshape(-1, 2)
        pole_kind = np.asarray(pole_kind, dtype=object)
        for k, kind in ((1, "street_lamp"), (2, "monitoring")):
            sel = pole_kind == kind
            usable = allowed_table(rules.pole_kinds_for_type, site_type, np.full(n, kind, dtype=object),
                                   "pole_kinds_for_type")
            nearest_points(k, pole_xy[sel], np.asarray(pole_ids, dtype=object)[sel], usable)
    free = np.zeros(n, dtype=bool)
    if facility_geoms is not None and len(facility_geoms) and n:
        geoms = np.asarray(facility_geoms, dtype=object)
        lim = _reuse_distance(rules, "public_facility")
        pts = shapely.points(xy)
        tree = shapely.STRtree(geoms)
        (c, f), d = tree.query_nearest(pts, max_distance=lim, return_distance=True, all_matches=False)
        dist[3, c], which[3, c] = d, f
        ids[3] = np.asarray(facility_ids, dtype=object)
        fa = np.asarray(facility_free, dtype=bool)
        if fa.any():
            c2, _ = shapely.STRtree(geoms[fa]).query(pts, predicate="dwithin", distance=lim)
            free[c2] = True
    best = np.argmin(dist, axis=0) if n else np.empty(0, np.intp)  # first minimum = tie-break order of REUSE_KINDS
    cols = np.arange(n)
    best_d = dist[best, cols] if n else np.empty(0)
    found = np.isfinite(best_d)
    kind = np.full(n, "", dtype=object)
    asset = np.full(n, "", dtype=object)
    for k in range(len(REUSE_KINDS)):  # four kinds, not candidates
        sel = found & (best == k)
        kind[sel] = REUSE_KINDS[k]
        asset[sel] = ids[k][which[k, sel]]
    return ReuseMatch(kind, asset, np.where(found, best_d, np.nan), free)


def reuse_ratios(reuse_kind, group=None) -> dict:
    """Reuse figures: share of candidates that reuse something, overall and by kind; by ``group`` when given.

    Returns ``{"candidates", "reusing", "ratio", "by_kind": {kind: {"count", "ratio"}}}`` and, with ``group``,
    ``"by_group": {value: {"candidates", "reusing", "ratio"}}``. Ratios are rounded to 4 decimals.
    """
    k = pd.Series(np.asarray(reuse_kind, dtype=object)).fillna("")
    total = len(k)
    reusing = int((k != "").sum())

    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 0.0

    out = {
        "candidates": total,
        "reusing": reusing,
        "ratio": ratio(reusing, total),
        "by_kind": {kind: {"count": int((k == kind).sum()), "ratio": ratio(int((k == kind).sum()), total)}
                    for kind in REUSE_KINDS},
    }
    if group is not None:
        g = pd.DataFrame({"g": np.asarray(group, dtype=object), "r": (k != "").to_numpy()})
        agg = g.groupby("g", sort=True)["r"].agg(["size", "sum"])
        out["by_group"] = {str(name): {"candidates": int(row["size"]), "reusing": int(row["sum"]),
                                       "ratio": ratio(int(row["sum"]), int(row["size"]))}
                           for name, row in agg.iterrows()}
    return out
