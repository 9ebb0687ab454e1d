"""Compliance rules: one small vectorized function per reason code, over plain arrays.

Each rule takes the :class:`CheckInputs` arrays, the district's :class:`~siteplan.config.RulesConfig` and a
``details`` dict (where it may leave per-candidate figures, e.g. the matched pole) and returns a boolean mask,
True where the reason applies. :data:`RULES` lists them in the fixed reason order; adding a rule is adding a
function and a line there (and its messages in :mod:`.reasons`).

Spatial work uses shapely 2 STRtree queries (``dwithin`` / ``intersects``) and scipy's cKDTree; no Python loop
runs per candidate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..config import RulesConfig
from ..errors import ConfigError
from .reasons import REASON_CODES

__all__ = [
    "POLE_MOUNTS",
    "RULES",
    "CheckInputs",
    "Rule",
    "allowed_table",
    "duplicate",
    "emf_sensitive_receptor",
    "in_prohibited_zone",
    "in_restricted_zone",
    "match_poles",
    "no_network",
    "not_in_plan",
    "own_site_match",
    "outside_district",
    "per_type",
    "plan_ring_pairs",
    "plan_type_mismatch",
    "pole_unsuitable",
    "too_close_to_existing",
]

#: Candidate mounts that put the site on a pole.
POLE_MOUNTS = ("street_lamp", "monitoring_pole", "smart_pole")


def _s(a, n: int | None = None) -> np.ndarray:
    """Text array (object dtype, missing values as "")."""
    if a is None:
        return np.full(n or 0, "", dtype=object)
    arr = np.asarray(a, dtype=object)
    if arr.size == 0:
        return arr
    out = arr.copy()
    out[pd.isna(arr)] = ""
    return out


def _f(a, n: int | None = None) -> np.ndarray:
    if a is None:
        return np.full(n or 0, np.nan)
    return np.asarray(a, dtype=float)


@dataclass
class CheckInputs:
    """Everything the rules read, as arrays in one projected CRS [m].

    Candidates: ``x, y`` [m], ``site_id, site_type, operator, band, mount, pole_id, network`` (text), ``eirp_dbm``
    [dBm], ``freq_mhz`` [MHz] (of the candidate's band). ``network`` / ``exist_network`` are network keys ("" = none,
    see :mod:`siteplan.networks`). Other layers as named; geometries as shapely arrays.
    """

    x: np.ndarray
    y: np.ndarray
    site_id: np.ndarray
    site_type: np.ndarray
    operator: np.ndarray
    band: np.ndarray
    mount: np.ndarray
    pole_id: np.ndarray
    eirp_dbm: np.ndarray
    freq_mhz: np.ndarray
    boundary: object  # shapely (Multi)Polygon
    network: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    zone_geoms: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    zone_category: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    plan_x: np.ndarray = field(default_factory=lambda: np.empty(0))
    plan_y: np.ndarray = field(default_factory=lambda: np.empty(0))
    plan_type: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    plan_radius_m: np.ndarray = field(default_factory=lambda: np.empty(0))
    exist_x: np.ndarray = field(default_factory=lambda: np.empty(0))
    exist_y: np.ndarray = field(default_factory=lambda: np.empty(0))
    exist_operator: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    exist_band: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    exist_site_id: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    exist_network: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    #: "network|operator" pairs: an existing site of that operator is the network's own (an operator's 4G site,
    #: either operator's for a shared RAN, the partner's for a co-built one). Empty: same ``exist_network``.
    own_pairs: frozenset = frozenset()
    pole_x: np.ndarray = field(default_factory=lambda: np.empty(0))
    pole_y: np.ndarray = field(default_factory=lambda: np.empty(0))
    pole_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    pole_kind: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    pole_height_m: np.ndarray = field(default_factory=lambda: np.empty(0))
    hotspot_geoms: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    hotspot_receptor: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    #: Cache of derived structures shared between rules (trees, pairs); not an input.
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.x)
        self.x, self.y = _f(self.x), _f(self.y)
        for name in ("site_id", "site_type", "operator", "band", "mount", "pole_id"):
            setattr(self, name, _s(getattr(self, name), n))
        # Without networks every candidate is one network's (the pre-network behaviour).
        self.network = _s(self.network, n) if len(self.network) == n else np.full(n, "all", dtype=object)
        self.eirp_dbm, self.freq_mhz = _f(self.eirp_dbm, n), _f(self.freq_mhz, n)
        for name in ("zone_category", "plan_type", "exist_operator", "exist_band", "exist_site_id", "exist_network",
                     "pole_ids", "pole_kind", "hotspot_receptor"):
            setattr(self, name, _s(getattr(self, name)))
        for name in ("plan_x", "plan_y", "plan_radius_m", "exist_x", "exist_y", "pole_x", "pole_y", "pole_height_m"):
            setattr(self, name, _f(getattr(self, name)))
        if len(self.exist_network) != len(self.exist_x):
            self.exist_network = np.full(len(self.exist_x), "all", dtype=object)
        self.zone_geoms = np.asarray(self.zone_geoms, dtype=object)
        self.hotspot_geoms = np.asarray(self.hotspot_geoms, dtype=object)

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def points(self) -> np.ndarray:
        if "points" not in self.cache:
            self.cache["points"] = shapely.points(self.x, self.y)
        return self.cache["points"]


def _check_types(mapping: dict, site_type: np.ndarray, key: str) -> None:
    missing = sorted(set(np.unique(site_type)) - set(mapping))
    if missing:
        raise ConfigError(
            f"district.toml: rules.{key} has no entry for site type {missing[0]!r} "
            f"(has: {', '.join(sorted(mapping)) or 'none'})"
        )


def per_type(mapping: dict, site_type: np.ndarray, key: str) -> np.ndarray:
    """A numeric per-site-type setting [as configured] for each candidate; a type missing from the config is a
    ConfigError naming ``rules.<key>``."""
    _check_types(mapping, site_type, key)
    types = np.array(sorted(mapping), dtype=object)
    values = np.array([float(mapping[t]) for t in types])
    return values[np.searchsorted(types, site_type)] if len(site_type) else np.empty(0)


def allowed_table(mapping: dict, row_values: np.ndarray, col_values: np.ndarray, key: str) -> np.ndarray:
    """``mapping[row][...]`` lists allowed column values: True where ``col_values[k]`` is allowed for
    ``row_values[k]`` (element-wise), via a small type x value table rather than a per-element lookup."""
    _check_types(mapping, row_values, key)
    rows = np.array(sorted(mapping), dtype=object)
    cols = np.array(sorted(set(np.unique(col_values)) | {v for vs in mapping.values() for v in vs}), dtype=object)
    table = np.zeros((len(rows), len(cols)), dtype=bool)
    for i, r in enumerate(rows):
        if len(mapping[r]):
            table[i, np.searchsorted(cols, list(mapping[r]))] = True
    if len(row_values) == 0:
        return np.zeros(0, dtype=bool)
    return table[np.searchsorted(rows, row_values), np.searchsorted(cols, col_values)]


# --- rules -------------------------------------------------------------------------------------------------------

def outside_district(inp: CheckInputs, rules: RulesConfig, details: dict) -> np.ndarray:
    """Not inside or on the district boundary."""
    b = inp.boundary
    shapely.prepare(b)
    return ~shapely.intersects_xy(b, inp.x, inp.y)


def _zone_hits(inp: CheckInputs, category: str) -> np.ndarray:
    key = ("zone_pairs",)
    if key not in inp.cache:
        if len(inp.zone_geoms) == 0 or inp.n == 0:
            inp.cache[key] = np.empty((2, 0), dtype=np.intp)
        else:
            tree = shapely.STRtree(inp.zone_geoms)
            inp.cache[key] = tree.query(inp.points, predicate="intersects")
    pairs = inp.cache[key]
    sel = inp.zone_category[pairs[1]] == category
    hit = np.zeros(inp.n, dtype=bool)
    hit[pairs[0, sel]] = True
    return hit


def in_prohibited_zone(inp: CheckInputs, rules: RulesConfig, details: dict) -> np.ndarray:
    """Inside (or on the edge of) a prohibited (禁建) zone."""
    return _zone_hits(inp, "prohibited")


def in_restricted_zone(inp: CheckInputs, rules: RulesConfig, details: dict) -> np.ndarray:
    """Inside (or on the edge of) a restricted (限建) zone; conditional."""
    return _zone_hits(inp, "restricted")


def plan_ring_pairs(inp: CheckInputs) -> np.ndarray:
    """(candidate, plan site) index pairs where the candidate lies within the plan site's search ring [m]."""
    key = ("ring_pairs",)
    if key not in inp.cache:
        if len(inp.plan_x) == 0 or inp.n == 0:
            pairs = np.empty((2, 0), dtype=np.intp)
        else:
            # The tree holds candidates so each plan point can carry its own radius as the query distance.
            tree = shapely.STRtree(inp.points)
            plan_pts = shapely.points(inp.plan_x, inp.plan_y)
            p, c = tree.query(plan_pts, predicate="dwithin", distance=inp.plan_radius_m)
            pairs = np.vstack([c, p])
        inp.cache[key] = pairs
    return inp.cache[key]


def not_in_plan(inp: CheckInputs, rules: RulesConfig, details: dict) -> np.ndarray:
    """No planned site's search ring contains the candidate."""
    pairs = plan_ring_pairs(inp)
    return np.bincount(pairs[0], minlength=inp.n) == 0


def plan_type_mismatch(inp: CheckInputs, rules: RulesConfig, details: dict) -> np.ndarray:
    """Inside at least one ring, but every containing ring is planned for a type the candidate may not fill."""
    pairs = plan_ring_pairs(inp)
    mask = np.zeros(inp.n, dtype=bool)
    if pairs.shape[1] == 0:
        return mask
    ok = allowed_table(rules.plan_type_compatible, inp.site_type[pairs[0]], inp.plan_type[pairs[1]],
                       "plan_type_compatible")
    n_ok = np.bincount(pairs[0], weights=ok, minlength=inp.n)
    in_ring = np.bincount(pairs[0], minlength=inp.n) > 0
    return in_ring & (n_ok == 0)


def _own(inp: CheckInputs, c: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Whether existing site ``e`` belongs to candidate ``c``'s network (pairs of indices)."""
    if inp.own_pairs:
        key = inp.network[c].astype(str) + "|" + inp.exist_operator[e].astype(str)
        return np.isin(key, list(inp.own_pairs)) & (inp.network[c] != "")
    return (inp.network[c] == inp.exist_network[e]) & (inp.network[c] != "")


def own_site_match(inp: CheckInputs, rules: RulesConfig) -> tuple[np.ndarray, np.ndarray]:
    """The existing site of the candidate's own network each candidate upgrades: index into the existing-site
    arrays (-1: none) and distance [m]. The nearest own-network site within ``reuse_distance_m.existing_site``.

    An operator's 4G site is where its 5G goes first (co-site upgrade); for a shared RAN (China Telecom + China
    Unicom) either operator's site is the network's own.
    """
    key = ("own_site",)
    if key in inp.cache:
        return inp.cache[key]
    idx = np.full(inp.n, -1, dtype=np.intp)
    dist = np.full(inp.n, np.nan)
    lim = float(rules.reuse_distance_m.get("existing_site", 0.0))
    if inp.n and len(inp.exist_x) and lim > 0:
        tree = shapely.STRtree(shapely.points(inp.exist_x, inp.exist_y))
        c, e = tree.query(inp.points, predicate="dwithin", distance=lim)
        own = _own(inp, c, e)
        c, e = c[own], e[own]
        d = np.hypot(inp.x[c] - inp.exist_x[e], inp.y[c] - inp.exist_y[e])
        # Nearest per candidate (ties: lower existing index), without a loop: sort by (candidate, distance, index).
        order = np.lexsort((e, d, c))
        first = order[np.r_[True, c[order][1:] != c[order][:-1]]] if order.size else order
        idx[c[first]] = e[first]
        dist[c[first]] = d[first]
        # A candidate carrying the code of one of its network's sites in reach upgrades that very site (where CT and
        # CU share a tower, the one whose code it keeps), not merely the nearest.
        same = inp.site_id.astype(str)[c] == inp.exist_site_id.astype(str)[e]
        idx[c[same]] = e[same]
        dist[c[same]] = d[same]
    inp.cache[key] = (idx, dist)
    return idx, dist


def no_network(inp: CheckInputs, rules: RulesConfig, details: dict) -> np.ndarray:
    """The operator and band belong to no configured network (e.g. China Mobile on n78)."""
    return inp.network == ""


def too_close_to_existing(inp: CheckInputs, rules: RulesConfig, details: dict) -> np.ndarray:
    """Not an upgrade of an own-network site, yet closer than ``min_spacing_m[site_type]`` to one (a warning).

    A candidate with no network is never matched (its network cannot be established).
    """
    mask = np.zeros(inp.n, dtype=bool)
    if inp.n == 0 or len(inp.exist_x) == 0:
        return mask
    upgrade, _ = own_site_match(inp, rules)
    spacing = per_type(rules.min_spacing_m, inp.site_type, "min_spacing_m")
    tree = shapely.STRtree(shapely.points(inp.exist_x, inp.exist_y))
    c, e = tree.query(inp.points, predicate="dwithin", distance=spacing)
    d = np.hypot(inp.x[c] - inp.exist_x[e], inp.y[c] - inp.exist_y[e])
    hit = _own(inp, c, e) & (d < spacing[c]) & (upgrade[c] < 0)
    mask[c[hit]] = True
    return mask


def duplicate(inp: CheckInputs, rules: RulesConfig, details: dict) -> np.ndarray:
    """A site id used by two candidates (all flagged); an existing site's id on a candidate that is not that
    site's own-network upgrade; or a candidate within ``duplicate_distance_m`` of another of the SAME network.

    Two networks at one spot are one shared site with two tenants (共享), never a duplicate. Of a near pair with
    different ids only the larger ``site_id`` (string order) is flagged, so the result does not depend on row order.
    """
    mask = np.zeros(inp.n, dtype=bool)
    if inp.n == 0:
        return mask
    ids = inp.site_id.astype(str)
    upgrade, _ = own_site_match(inp, rules)
    exist_ids = inp.exist_site_id.astype(str)
    # Existing-site ids are unique (checked on load); the first match where a test builds them otherwise.
    pos = pd.Index(exist_ids).drop_duplicates().get_indexer(ids) if len(exist_ids) else np.full(inp.n, -1)
    mask |= (pos >= 0) & (pos != upgrade)
    _, inv, counts = np.unique(ids, return_inverse=True, return_counts=True)
    mask |= counts[inv] > 1
    tree = cKDTree(np.column_stack([inp.x, inp.y]))
    pairs = tree.query_pairs(r=rules.duplicate_distance_m, output_type="ndarray")
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        same = inp.network[i] == inp.network[j]
        later = np.where(inv[i] > inv[j], i, j)[same]  # equal ids: already flagged above
        mask[later] = True
    return mask


def match_poles(inp: CheckInputs, rules: RulesConfig) -> tuple[np.ndarray, np.ndarray]:
    """The pole each candidate stands on: index into the pole arrays (-1: none) and distance [m].

    A candidate naming a ``pole_id`` is matched to that pole only, and only if it lies within
    ``pole_match_distance_m``; otherwise the nearest pole within that distance is taken.
    """
    key = ("pole_match",)
    if key in inp.cache:
        return inp.cache[key]
    n, lim = inp.n, rules.pole_match_distance_m
    idx = np.full(n, -1, dtype=np.intp)
    dist = np.full(n, np.nan)
    if n and len(inp.pole_x):
        named = inp.pole_id != ""
        pos = pd.Index(inp.pole_ids).get_indexer(inp.pole_id[named])
        d_named = np.full(pos.shape, np.inf)
        found = pos >= 0
        d_named[found] = np.hypot(inp.x[named][found] - inp.pole_x[pos[found]],
                                  inp.y[named][found] - inp.pole_y[pos[found]])
        ok = found & (d_named <= lim)
        ni = np.flatnonzero(named)
        idx[ni[ok]] = pos[ok]
        dist[ni[ok]] = d_named[ok]
        un = np.flatnonzero(~named)
        if un.size:
            tree = cKDTree(np.column_stack([inp.pole_x, inp.pole_y]))
            dd, ii = tree.query(np.column_stack([inp.x[un], inp.y[un]]), k=1, distance_upper_bound=lim)
            hit = np.isfinite(dd)
            idx[un[hit]] = ii[hit]
            dist[un[hit]] = dd[hit]
    inp.cache[key] = (idx, dist)
    return idx, dist


def pole_unsuitable(inp: CheckInputs, rules: RulesConfig, details: dict) -> np.ndarray:
    """A pole-mounted candidate (pole mount, or a ``pole_id`` given) whose pole is lower than
    ``pole_min_height_m``, of a kind not in ``pole_kinds_for_type[site_type]``, or not found.

    A pole of unknown height (NaN) is not flagged for height: the inventory cannot say it is too low.
    """
    idx, dist = match_poles(inp, rules)
    details["pole_index"], details["pole_distance_m"] = idx, dist
    on_pole = np.isin(inp.mount, POLE_MOUNTS) | (inp.pole_id != "")
    mask = np.zeros(inp.n, dtype=bool)
    if not on_pole.any():
        return mask
    sel = np.flatnonzero(on_pole)
    has = idx[sel] >= 0
    kind = np.full(sel.size, "", dtype=object)
    height = np.full(sel.size, np.nan)
    kind[has] = inp.pole_kind[idx[sel][has]]
    height[has] = inp.pole_height_m[idx[sel][has]]
    kind_ok = allowed_table(rules.pole_kinds_for_type, inp.site_type[sel], kind, "pole_kinds_for_type")
    low = height < rules.pole_min_height_m  # NaN (unknown height) -> False
    mask[sel] = ~has | low | ~kind_ok
    return mask


def emf_sensitive_receptor(inp: CheckInputs, rules: RulesConfig, details: dict) -> np.ndarray:
    """A hotspot whose receptor is in ``emf_receptors`` lies within the site's GB 8702-2014 compliance distance
    (from its EIRP, at its band's frequency, limit scaled by ``emf_limit_fraction``); conditional."""
    from ..radio.linkbudget import emf_compliance_distance_m

    d_emf = np.asarray(emf_compliance_distance_m(inp.eirp_dbm, inp.freq_mhz, rules.emf_limit_fraction), dtype=float)
    d_emf = np.broadcast_to(d_emf, (inp.n,)).astype(float)
    details["emf_distance_m"] = d_emf
    mask = np.zeros(inp.n, dtype=bool)
    sens = np.isin(inp.hotspot_receptor, list(rules.emf_receptors)) & (inp.hotspot_receptor != "")
    if inp.n == 0 or not sens.any():
        return mask
    tree = shapely.STRtree(inp.hotspot_geoms[sens])
    valid = np.isfinite(d_emf)
    c, _ = tree.query(inp.points[valid], predicate="dwithin", distance=d_emf[valid])
    mask[np.flatnonzero(valid)[c]] = True
    return mask


class Rule(NamedTuple):
    code: str
    func: Callable[[CheckInputs, RulesConfig, dict], np.ndarray]


#: The rules in the fixed reason order.
RULES: list[Rule] = [
    Rule("OUTSIDE_DISTRICT", outside_district),
    Rule("IN_PROHIBITED_ZONE", in_prohibited_zone),
    Rule("IN_RESTRICTED_ZONE", in_restricted_zone),
    Rule("NOT_IN_PLAN", not_in_plan),
    Rule("PLAN_TYPE_MISMATCH", plan_type_mismatch),
    Rule("TOO_CLOSE_TO_EXISTING", too_close_to_existing),
    Rule("DUPLICATE", duplicate),
    Rule("NO_NETWORK", no_network),
    Rule("POLE_UNSUITABLE", pole_unsuitable),
    Rule("EMF_SENSITIVE_RECEPTOR", emf_sensitive_receptor),
]

assert tuple(r.code for r in RULES) == REASON_CODES, "RULES and REASONS must list the same codes in one order"
