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

__all__ = ["REUSE_KINDS", "Hosts", "ReuseMatch", "match_reuse", "existing_hosts", "physical_hosts", "reuse_ratios",
           "sharing_figures"]

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
    stand_on_m: float = 0.0,
) -> ReuseMatch:
    """Match candidates at ``x, y`` [m] to the nearest reusable asset within its kind's reuse distance.

    A candidate within ``stand_on_m`` of an existing site stands on it: that site is its match even when a pole or
    a facility is nearer (e.g. a tower inside a public compound).

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
    if n and stand_on_m > 0:
        # A candidate standing on an existing site (within stand_on_m) shares that site, whatever else is near.
        best = np.where(dist[0] <= stand_on_m, 0, best)
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


@dataclass
class Hosts:
    """The physical site each candidate stands on and who is there.

    ``host_id``: the existing site's China Tower code (or its own id), the pole's or facility's id, or for a new
    location ``"NEW:"`` + the smallest site id among the candidates within ``co_location_m`` of each other;
    ``operators``: distinct operators already on the host (existing sites; 0 for a new location);
    ``operator_present``: the candidate's operator is one of them; ``networks``: distinct networks among the
    candidates on the host.
    """

    host_id: np.ndarray
    operators: np.ndarray
    operator_present: np.ndarray
    networks: np.ndarray


def physical_hosts(x, y, site_id, operator, network, reuse_kind, reuse_id, co_location_m: float, *,
                   existing_ids=None, existing_operator=None, existing_tower_id=None) -> Hosts:
    """Group candidates into physical sites (hosts) and count their tenants; see :class:`Hosts`.

    Existing sites sharing a China Tower code (``existing_tower_id``) are one host with several operators; new
    locations are connected components of candidates closer than ``co_location_m`` [m].
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(x)
    kind = np.asarray(reuse_kind, dtype=object)
    rid = np.asarray(reuse_id, dtype=object)
    op = np.asarray(operator, dtype=object)
    sid = np.asarray(site_id, dtype=object).astype(str)
    host = np.full(n, "", dtype=object)
    ex_ids = np.asarray(existing_ids if existing_ids is not None else [], dtype=object)
    ex_op = np.asarray(existing_operator if existing_operator is not None else [""] * len(ex_ids), dtype=object)
    ex_host = existing_hosts(ex_ids, existing_tower_id)
    on_ex = np.flatnonzero(kind == "existing_site")
    if on_ex.size:
        pos = pd.Index(ex_ids).get_indexer(rid[on_ex]) if len(ex_ids) else np.full(on_ex.size, -1)
        host[on_ex] = np.where(pos >= 0, ex_host[np.maximum(pos, 0)] if len(ex_ids) else "", rid[on_ex])
    other = (kind != "existing_site") & (kind != "")
    host[other] = rid[other]
    # Candidates closer than co_location_m stand on one physical site: the component takes the host of its
    # members by priority (an existing site, then a pole or facility), else "NEW:" + its smallest site id.
    if n:
        xy = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
        pairs = cKDTree(xy).query_pairs(r=co_location_m, output_type="ndarray")
        g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, comp = connected_components(g, directed=False)
        rank = np.select([kind == "existing_site", kind != ""], [0, 1], default=2)
        df = pd.DataFrame({"comp": comp, "rank": rank, "host": host, "sid": sid})
        df = df.sort_values(["comp", "rank", "host", "sid"], kind="stable")
        first = df.groupby("comp", sort=False).first()
        chosen = np.where(first["rank"] < 2, first["host"], "NEW:" + first["sid"].astype(str))
        host = pd.Series(chosen, index=first.index).reindex(comp).to_numpy(dtype=object)
    # Operators already on each existing host.
    present = pd.DataFrame({"host": ex_host, "op": ex_op})
    present = present[present["op"] != ""].drop_duplicates()
    operators = pd.Series(host).map(present.groupby("host")["op"].nunique()).fillna(0).to_numpy(dtype=np.int64)
    cand = pd.DataFrame({"host": host, "op": op})
    operator_present = cand.merge(present.assign(here=True), on=["host", "op"], how="left")["here"]
    operator_present = operator_present.fillna(False).to_numpy(dtype=bool)
    nets = pd.DataFrame({"host": host, "net": np.asarray(network, dtype=object)})
    n_nets = nets[nets["net"] != ""].groupby("host")["net"].nunique()
    networks = pd.Series(host).map(n_nets).fillna(0).to_numpy(dtype=np.int64)
    return Hosts(host, operators, operator_present, networks)


def existing_hosts(existing_ids, existing_tower_id) -> np.ndarray:
    """Host id of each existing site: its China Tower site code, or its own id when it has none."""
    ids = np.asarray(existing_ids, dtype=object)
    tower = pd.Series(existing_tower_id if existing_tower_id is not None else [""] * len(ids), dtype=object)
    tower = tower.fillna("").astype(str).str.strip().to_numpy(dtype=object)
    return np.where(tower != "", tower, ids).astype(object)


def sharing_figures(host_id, network, operator, *, existing_host=(), existing_operator=(), group=None) -> dict:
    """Sharing KPIs of a set of 5G base stations (e.g. a plan).

    Per physical site (host): the operators on it after the plan are its existing tenants (any technology) plus
    the plan's operators there. Returns ``stations``, ``sites``, ``tenancy`` (5G stations per site), ``shared_sites``
    (sites with two or more operators) and ``share_ratio`` (their share of the sites), overall, ``by_network``
    and, with ``group`` (e.g. sub-district per station), ``by_group``.
    """
    plan = pd.DataFrame({"host": np.asarray(host_id, dtype=object), "net": np.asarray(network, dtype=object),
                         "op": np.asarray(operator, dtype=object)})
    if group is not None:
        plan["g"] = np.asarray(group, dtype=object)
    before = pd.DataFrame({"host": np.asarray(existing_host, dtype=object),
                           "op": np.asarray(existing_operator, dtype=object)})
    before = before[before["host"].isin(set(plan["host"])) & (before["op"] != "")]

    def one(d: pd.DataFrame) -> dict:
        if len(d) == 0:
            return {"stations": 0, "sites": 0, "tenancy": 0.0, "shared_sites": 0, "share_ratio": 0.0}
        ops = pd.concat([d[["host", "op"]], before[before["host"].isin(set(d["host"]))]]).drop_duplicates()
        n_ops = ops[ops["op"] != ""].groupby("host")["op"].nunique().reindex(d["host"].unique()).fillna(0)
        n_nets = d.groupby("host")["net"].nunique().reindex(n_ops.index)
        shared = int((np.maximum(n_ops, n_nets) >= 2).sum())
        sites = len(n_ops)
        return {"stations": int(len(d)), "sites": sites, "tenancy": round(len(d) / sites, 4),
                "shared_sites": shared, "share_ratio": round(shared / sites, 4)}

    out = one(plan)
    out["by_network"] = {str(k): one(g) for k, g in plan.groupby("net", sort=True)}
    if group is not None:
        out["by_group"] = {str(k): one(g) for k, g in plan.groupby("g", sort=True)}
    return out
