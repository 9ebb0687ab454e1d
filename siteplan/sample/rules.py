"""The sample generator's own reading of the compliance rules, vectorized, to make candidates that pass every rule
with a margin and rule-breakers that break exactly one.

This is *not* :mod:`siteplan.compliance` (which is checked against the sample); it reads ``[rules]`` and
``[networks.*]`` of ``district.toml`` the way the per-network semantics define them:

* a candidate's **network** is the one whose operators hold its operator and whose bands hold its band; none ->
  ``NO_NETWORK`` (non-compliant);
* an existing site is **own** to a candidate when the site's operator is one of the candidate's network's
  operators (a China Mobile 4G site is own to both the ``cm`` and the ``cbn`` network); a candidate within
  ``rules.reuse_distance_m.existing_site`` of an own site is an **upgrade** of it (build kind
  ``co_site_upgrade``);
* ``TOO_CLOSE_TO_EXISTING`` is a **warning** (status stays compliant): not an upgrade, and closer than
  ``rules.min_spacing_m[site_type]`` to an own existing site;
* ``DUPLICATE``: two candidates of the same network within ``rules.duplicate_distance_m`` (only the larger
  ``site_id``), an id used by two candidates (both), or an existing site's id on a candidate that is not that
  site's upgrade (the site's operator outside the candidate's network, or farther than the reuse distance);
* the others as before: district, zones, plan rings and type compatibility, pole suitability, EMF receptors.

The **expected build kind** is the first that applies: own existing site within the reuse distance ->
``co_site_upgrade``; another operator's existing site -> ``existing_site``; lamp / monitoring / smart pole ->
``pole``; free public facility -> ``public_facility``; indoor -> ``indoor``; tower mount -> ``tower``; else
``rooftop``.

With ``margin`` > 0 every threshold is tightened by that many metres and :attr:`Reading.ambiguous` flags
candidates whose build kind would change if a distance moved by the margin, so that "clean" candidates pass with
room to spare; with ``margin`` < 0 thresholds are loosened (a rule-breaker must break its rule even then).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..config import DistrictConfig
from ..io.schema import SITE_TYPES

__all__ = ["REASON_ORDER", "STATUS_EFFECT", "Reading", "RuleWorld", "expected_status", "read_rules"]

#: Reason codes in the order they are listed in ``expected_reasons``.
REASON_ORDER = ("OUTSIDE_DISTRICT", "IN_PROHIBITED_ZONE", "IN_RESTRICTED_ZONE", "NOT_IN_PLAN", "PLAN_TYPE_MISMATCH",
                "NO_NETWORK", "TOO_CLOSE_TO_EXISTING", "DUPLICATE", "POLE_UNSUITABLE", "EMF_SENSITIVE_RECEPTOR")
#: What each reason does to the status ("warning" leaves it compliant).
STATUS_EFFECT = {
    "OUTSIDE_DISTRICT": "non_compliant", "IN_PROHIBITED_ZONE": "non_compliant", "IN_RESTRICTED_ZONE": "conditional",
    "NOT_IN_PLAN": "non_compliant", "PLAN_TYPE_MISMATCH": "non_compliant", "NO_NETWORK": "non_compliant",
    "TOO_CLOSE_TO_EXISTING": "warning", "DUPLICATE": "non_compliant", "POLE_UNSUITABLE": "non_compliant",
    "EMF_SENSITIVE_RECEPTOR": "conditional",
}
_POLE_MOUNTS = ("street_lamp", "monitoring_pole", "smart_pole")
#: Carrier frequency per NR band [MHz], for the GB 8702-2014 limit.
BAND_MHZ = {"n28": 700.0, "n41": 2600.0, "n78": 3500.0, "n79": 4900.0}


@dataclass
class RuleWorld:
    """Everything the rules read, in the working CRS [m]."""

    cfg: DistrictConfig
    boundary: object
    zones: pd.DataFrame  # category, geometry
    plan: pd.DataFrame  # site_type, ring_radius_m, x, y
    existing: pd.DataFrame  # site_id, operator, x, y
    poles: pd.DataFrame  # pole_id, kind, height_m, x, y
    hotspots: pd.DataFrame  # receptor, x, y
    facilities: pd.DataFrame  # free_access (是/否), x, y
    _cache: dict = field(default_factory=dict, repr=False)

    def network_of(self, operator: np.ndarray, band: np.ndarray) -> np.ndarray:
        """Network key of each (operator, band); "" where none."""
        table = {(op, b): k for k, n in self.cfg.networks.items() for op in n.operators for b in n.bands}
        return np.array([table.get((o, b), "") for o, b in zip(operator, band, strict=True)], dtype=object)

    def own_operators(self, network: str) -> tuple[str, ...]:
        n = self.cfg.networks.get(network)
        return tuple(n.operators) if n else ()

    def zone_union(self, category: str, buffer_m: float):
        key = ("zone", category, round(buffer_m, 3))
        if key not in self._cache:
            g = self.zones.geometry[self.zones.category == category].to_numpy()
            u = shapely.union_all(shapely.buffer(g, buffer_m)) if len(g) and buffer_m else shapely.union_all(g)
            shapely.prepare(u)
            self._cache[key] = u
        return self._cache[key]


@dataclass
class Reading:
    """Per candidate: each reason's mask, the network, upgrade flag, distances and the expected build kind."""

    reasons: dict[str, np.ndarray]
    network: np.ndarray
    upgrade: np.ndarray
    d_own: np.ndarray
    d_other: np.ndarray
    build_kind: np.ndarray
    ambiguous: np.ndarray

    def reason_text(self) -> np.ndarray:
        m = np.column_stack([self.reasons[k] for k in REASON_ORDER])
        return np.array([";".join(k for k, on in zip(REASON_ORDER, row, strict=True) if on) for row in m],
                        dtype=object)

    def failing(self, *, warnings: bool = True) -> np.ndarray:
        """Any reason (warnings included unless told) or an ambiguous build kind."""
        keys = [k for k in REASON_ORDER if warnings or STATUS_EFFECT[k] != "warning"]
        return np.column_stack([self.reasons[k] for k in keys]).any(axis=1) | self.ambiguous


def expected_status(reasons: str) -> str:
    """The worst status effect of ';'-joined reasons (warnings leave a candidate compliant)."""
    eff = {STATUS_EFFECT[r] for r in reasons.split(";") if r}
    return "non_compliant" if "non_compliant" in eff else "conditional" if "conditional" in eff else "compliant"


def _nearest(tree_xy: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(tree_xy) == 0 or len(q) == 0:
        return np.full(len(q), np.inf), np.full(len(q), -1)
    d, j = cKDTree(tree_xy).query(q, k=1)
    return d, j


def read_rules(w: RuleWorld, c: pd.DataFrame, margin: float = 0.0) -> Reading:
    """Read every rule for candidates ``c`` (``site_id, operator, band, site_type, mount, pole_id, eirp_dbm,
    x, y``; operators as canonical keys)."""
    rules = w.cfg.rules
    n = len(c)
    x, y = c.x.to_numpy(float), c.y.to_numpy(float)
    xy = np.column_stack([x, y])
    st = c.site_type.to_numpy(dtype=object)
    mount = c["mount"].to_numpy(dtype=object)
    out: dict[str, np.ndarray] = {}
    inside = shapely.buffer(w.boundary, -margin) if margin else w.boundary
    shapely.prepare(inside)
    out["OUTSIDE_DISTRICT"] = ~shapely.intersects_xy(inside, x, y)
    for cat, code in (("prohibited", "IN_PROHIBITED_ZONE"), ("restricted", "IN_RESTRICTED_ZONE")):
        out[code] = shapely.intersects_xy(w.zone_union(cat, margin), x, y)
    # Plan rings and type compatibility.
    plan = w.plan
    r = plan.ring_radius_m.to_numpy(float)
    in_ring = np.zeros(n, bool)
    near_ring = np.zeros(n, bool)
    compat_in = np.zeros(n, bool)
    if len(plan) and n:
        pairs = cKDTree(xy).sparse_distance_matrix(cKDTree(plan[["x", "y"]].to_numpy()), r.max() + abs(margin),
                                                   output_type="ndarray")
        ci, pj, d = pairs["i"], pairs["j"], pairs["v"]
        inn, nea = d <= r[pj] - margin, d <= r[pj] + margin
        table = {(a, b) for a in SITE_TYPES for b in rules.plan_type_compatible.get(a, [])}
        ok = np.array([(a, b) in table for a, b in zip(st[ci], plan.site_type.to_numpy()[pj], strict=True)], bool)
        np.logical_or.at(in_ring, ci[inn], True)
        np.logical_or.at(near_ring, ci[nea], True)
        np.logical_or.at(compat_in, ci[inn & ok], True)
    # With margin > 0, "in" is firmly inside and "near" anywhere close; with margin < 0 the other way round.
    out["NOT_IN_PLAN"] = ~in_ring
    out["PLAN_TYPE_MISMATCH"] = near_ring & ~compat_in
    # Networks, own and other existing sites.
    net = w.network_of(c.operator.to_numpy(dtype=object), c.band.to_numpy(dtype=object))
    out["NO_NETWORK"] = net == ""
    ex = w.existing
    exy = ex[["x", "y"]].to_numpy()
    eop = ex.operator.to_numpy(dtype=object)
    d_own = np.full(n, np.inf)
    d_other = np.full(n, np.inf)
    for key in [*w.cfg.networks, ""]:
        sel = net == key
        if not sel.any():
            continue
        own = np.isin(eop, w.own_operators(key))
        d_own[sel], _ = _nearest(exy[own], xy[sel])
        d_other[sel], _ = _nearest(exy[~own], xy[sel])
    reuse = float(rules.reuse_distance_m["existing_site"])
    upgrade = d_own <= reuse
    spacing = np.array([rules.min_spacing_m.get(t, 0.0) for t in st])
    out["TOO_CLOSE_TO_EXISTING"] = ~upgrade & (spacing > 0) & (d_own < spacing + margin)
    # Duplicates.
    ids = c.site_id.astype(str).to_numpy()
    _, inv, counts = np.unique(ids, return_inverse=True, return_counts=True)
    dup = counts[inv] > 1
    ex_pos = pd.Index(ex.site_id.astype(str)).get_indexer(ids)
    carries = ex_pos >= 0
    if carries.any():
        k = np.flatnonzero(carries)
        e = ex_pos[k]
        own_op = np.array([eop[ei] in w.own_operators(nk) for ei, nk in zip(e, net[k], strict=True)], bool)
        dist = np.hypot(x[k] - exy[e, 0], y[k] - exy[e, 1])
        dup[k] |= ~own_op | (dist > reuse - max(margin, 0.0))
    pairs = cKDTree(xy).query_pairs(rules.duplicate_distance_m + max(margin, 0.0), output_type="ndarray") if n else []
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        same = (net[i] == net[j]) & (net[i] != "")
        i, j = i[same], j[same]
        if margin > 0:
            dup[i] = dup[j] = True
        else:
            dup[np.where(ids[i] > ids[j], i, j)] = True
    out["DUPLICATE"] = dup
    # Poles: a pole mount or a named pole must be a known pole near enough, tall enough and of a usable kind.
    po = w.poles
    pid = c.pole_id.fillna("").astype(str).to_numpy()
    on_pole = np.isin(mount, _POLE_MOUNTS) | (pid != "")
    bad = np.zeros(n, bool)
    if on_pole.any():
        pos = pd.Index(po.pole_id).get_indexer(pid)
        sel = np.flatnonzero(on_pole)
        found = pos[sel] >= 0
        bad[sel[~found]] = True
        s2, p2 = sel[found], pos[sel][found]
        kinds_ok = np.array([k in rules.pole_kinds_for_type.get(t, []) for k, t in
                             zip(po.kind.to_numpy()[p2], st[s2], strict=True)], bool)
        dist = np.hypot(po.x.to_numpy()[p2] - x[s2], po.y.to_numpy()[p2] - y[s2])
        bad[s2] = ~kinds_ok | (po.height_m.to_numpy()[p2] < rules.pole_min_height_m) | (
            dist > rules.pole_match_distance_m - margin / 4)
    out["POLE_UNSUITABLE"] = bad
    # EMF: a receptor hotspot inside the far-field compliance distance.
    hs = w.hotspots[w.hotspots.receptor.isin(rules.emf_receptors) & (w.hotspots.receptor != "")]
    f = np.array([BAND_MHZ.get(b, 3500.0) for b in c.band])
    s_lim = np.where(f < 3000.0, 0.4, f / 7500.0) * rules.emf_limit_fraction
    d_emf = np.sqrt(10.0 ** ((c.eirp_dbm.to_numpy(float) - 30.0) / 10.0) / (4.0 * np.pi * s_lim))
    dh, _ = _nearest(hs[["x", "y"]].to_numpy(), xy)
    out["EMF_SENSITIVE_RECEPTOR"] = dh < d_emf + 2 * margin
    # Build kind, first that applies.
    fa = w.facilities
    d_free, _ = _nearest(fa.loc[fa.free_access == "是", ["x", "y"]].to_numpy(), xy)
    lim_fac = float(rules.reuse_distance_m["public_facility"])
    pole_kinds = [k for k in ("street_lamp", "monitoring")]
    d_pole = np.full(n, np.inf)
    for t in SITE_TYPES:
        usable = [k for k in pole_kinds if k in rules.pole_kinds_for_type.get(t, [])]
        sel = st == t
        if usable and sel.any():
            pk = po.kind.isin(usable).to_numpy()
            d_pole[sel], _ = _nearest(po[["x", "y"]].to_numpy()[pk], xy[sel])
    lim_pole = np.array([rules.reuse_distance_m.get(k, 15.0) for k in pole_kinds]).min()
    other = d_other <= reuse
    kind = np.select(
        [upgrade, other, np.isin(mount, _POLE_MOUNTS) | (d_pole <= lim_pole), d_free <= lim_fac,
         (st == "indoor") | (mount == "indoor"), mount == "tower"],
        ["co_site_upgrade", "existing_site", "pole", "public_facility", "indoor", "tower"], "rooftop").astype(object)
    m = max(margin, 0.0)
    amb = np.zeros(n, bool)
    if m:
        for d, lim in ((d_own, reuse), (d_other, reuse), (d_free, lim_fac)):
            amb |= np.abs(d - lim) <= m
        amb |= ~np.isin(mount, _POLE_MOUNTS) & (np.abs(d_pole - lim_pole) <= m)
    return Reading(out, net, upgrade, d_own, d_other, kind, amb)
