"""Existing 4G sites of each operator, with China Tower ownership and co-located tenants.

Each operator's 4G grid is its own jittered hexagonal lattice at the density of the local urban character
(:mod:`siteplan.sample.character`), thinned by zone class. Sites of different operators that stand close together
are then merged into **China Tower sites** (one 铁塔站址编码, tenants 1-3 m apart on one tower or roof), until
the shares below hold; the remaining China Tower sites have one tenant and the rest are operator-owned (自有).

* ~65 % of operator sites are China Tower tenancies (产权属性 铁塔). China Tower took over the three operators'
  towers in 2015 and leases them per tenant; urban rooftop sites often stayed with the operators. The 65 % is an
  assumption for a dense city district.
* Of China Tower sites ~45 % host one operator, ~40 % two and ~15 % all three (a tenancy ratio of 1.7 tenants per
  site). China Tower reported about 1.5 tenants per tower site nationally around 2019; dense urban areas share more.
  These shares are assumptions in line with that figure.

Rooftop sites stand on a real (sample) building that :func:`siteplan.sample.heights.rooftop_hosts` allows (at least
the character's ``rooftop_min_floors``, a roof 12-45 m high, never a school or hospital); antenna heights follow
:mod:`siteplan.sample.heights` (roof plus a 3-6 m mast, ground towers 25-40 m, landscape towers 20-35 m, indoor
2.5-4 m). Ground and landscape towers (落地塔, 景观塔) stand in open ground, off roads and buildings; about 4 % of
operator-owned urban sites are indoor systems (室分) in malls, offices and hospitals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .character import CHARACTERS, PROFILES, ZONE_FACTOR, CharacterMap
from ._common import OP_CODE, first_unique, hex_lattice, near_any
from .heights import fit_heights, indoor_heights, rooftop_heights, rooftop_hosts, tower_heights

__all__ = ["LTE_BANDS", "TENANT_SHARES", "TOWER_SHARE", "make_existing"]

#: Share of operator sites that are China Tower tenancies.
TOWER_SHARE = 0.65
#: Share of China Tower sites with 1, 2 and 3 operator tenants.
TENANT_SHARES = (0.45, 0.40, 0.15)
#: 4G bands an operator's site carries (LTE频段), with their shares.
LTE_BANDS = {
    "china_mobile": (("TDD-F/TDD-D", 0.55), ("TDD-D", 0.15), ("TDD-F/TDD-D/FDD900", 0.30)),
    "china_telecom": (("FDD1800/FDD2100", 0.55), ("FDD1800", 0.15), ("FDD1800/FDD2100/FDD850", 0.30)),
    "china_unicom": (("FDD1800/FDD2100", 0.50), ("FDD1800", 0.20), ("FDD1800/FDD2100/FDD900", 0.30)),
}
_MAX_FACTOR = max(ZONE_FACTOR.values())


def _operator_lattices(rng, boundary, cmap: CharacterMap, counts: dict[str, int] | None,
                       blocked) -> pd.DataFrame:
    """Each operator's own jittered lattice per character, thinned by zone class; exactly ``counts`` if given."""
    inner = shapely.buffer(boundary, -20.0)
    shapely.prepare(inner)
    pts = cmap.sample_points(rng, boundary, max(50.0, np.sqrt(boundary.area / 40000.0)))
    fac = cmap.factor_at(pts[:, 0], pts[:, 1])
    chp = cmap.character_at(pts[:, 0], pts[:, 1])
    cell_km2 = boundary.area / 1e6 / max(len(pts), 1)
    frames = []
    for op in ("china_mobile", "china_telecom", "china_unicom"):
        dens = {k: PROFILES[k].sites_per_km2[op] for k in CHARACTERS}
        expected = sum(dens[k] * fac[chp == i].sum() * cell_km2 for i, k in enumerate(CHARACTERS))
        scale = counts[op] / expected * 1.15 if counts and expected > 0 else 1.0
        for i, k in enumerate(CHARACTERS):
            if not (chp == i).any():
                continue
            rho = dens[k] * scale * _MAX_FACTOR / 1e6  # per m² at the highest zone factor
            s = np.sqrt(2.0 / (np.sqrt(3.0) * rho))
            xy = hex_lattice(rng, boundary.bounds, s, jitter=0.2)
            ok = shapely.contains_xy(inner, xy[:, 0], xy[:, 1])
            xy = xy[ok]
            ok = (cmap.character_at(xy[:, 0], xy[:, 1]) == i) & ~blocked(xy[:, 0], xy[:, 1])
            ok &= rng.random(len(xy)) < cmap.factor_at(xy[:, 0], xy[:, 1]) / _MAX_FACTOR
            xy = xy[ok]
            frames.append(pd.DataFrame({"operator": op, "x": xy[:, 0], "y": xy[:, 1], "spacing": s}))
    ex = pd.concat(frames, ignore_index=True)
    ex = ex.iloc[rng.permutation(len(ex))].reset_index(drop=True)
    if counts:
        # A few more than asked: some find no roof or open ground; the surplus is trimmed at the end.
        ex = ex[ex.groupby("operator").cumcount() < (ex.operator.map(counts) * 1.06).round()].reset_index(drop=True)
    return ex


def _nearest_unused(tree_xy: np.ndarray, free: np.ndarray, q: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Index (into tree_xy) of the nearest free point within ``radius`` of each query point; -1 if none."""
    out = np.full(len(q), -1)
    idx = np.flatnonzero(free)
    if len(idx) == 0 or len(q) == 0:
        return out
    d, j = cKDTree(tree_xy[idx]).query(q, k=1, distance_upper_bound=float(radius.max()))
    ok = np.isfinite(d) & (d <= radius)
    out[ok] = idx[j[ok]]
    return out


def _colocate(rng, ex: pd.DataFrame) -> np.ndarray:
    """Group sites of different operators into shared China Tower sites; returns group number per site (-1: alone).

    Group sizes follow :data:`TENANT_SHARES` as far as nearby pairs and triples exist (within half the local
    lattice spacing).
    """
    n = len(ex)
    op = ex.operator.to_numpy()
    xy = ex[["x", "y"]].to_numpy()
    rad = 0.5 * ex.spacing.to_numpy()
    t1, t2, t3 = TENANT_SHARES
    towers = TOWER_SHARE * n / (t1 + 2 * t2 + 3 * t3)
    n3, n2 = int(round(t3 * towers)), int(round(t2 * towers))
    group = np.full(n, -1)
    used = np.zeros(n, bool)
    cm, ct, cu = (np.flatnonzero(op == o) for o in ("china_mobile", "china_telecom", "china_unicom"))
    g = 0
    # Triples: a China Mobile site, the nearest China Telecom and China Unicom sites, all within the radius.
    if len(cm) and len(ct) and len(cu) and n3:
        a = cm[rng.permutation(len(cm))]
        j = _nearest_unused(xy, np.isin(np.arange(n), ct), xy[a], rad[a])
        k = _nearest_unused(xy, np.isin(np.arange(n), cu), xy[a], rad[a])
        ok = (j >= 0) & (k >= 0)
        ok &= np.hypot(*(xy[np.maximum(j, 0)] - xy[np.maximum(k, 0)]).T) <= rad[a]
        ok &= first_unique(j, ok)
        ok &= first_unique(k, ok)
        sel = np.flatnonzero(ok)[:n3]
        for members in (a[sel], j[sel], k[sel]):
            group[members] = g + np.arange(len(sel))
            used[members] = True
        g += len(sel)
    # Pairs, split over the operator pairs by the product of their remaining counts.
    pairs = [(cm, ct), (cm, cu), (ct, cu)]
    left = [len(x) - used[x].sum() for x in (cm, ct, cu)]
    w = np.array([left[0] * left[1], left[0] * left[2], left[1] * left[2]], float)
    want = np.floor(n2 * w / max(w.sum(), 1.0)).astype(int)
    for (A, B), m in zip(pairs, want, strict=True):
        a = A[~used[A]]
        a = a[rng.permutation(len(a))]
        j = _nearest_unused(xy, np.isin(np.arange(n), B) & ~used, xy[a], rad[a])
        ok = (j >= 0) & first_unique(j, j >= 0)
        sel = np.flatnonzero(ok)[:m]
        for members in (a[sel], j[sel]):
            group[members] = g + np.arange(len(sel))
            used[members] = True
        g += len(sel)
    return group


def _open_spot(rng, x, y, buildings: shapely.STRtree, roads: shapely.STRtree, blocked, inner, reach: float = 80.0):
    """A spot near each (x, y) at least 6 m from buildings and 20 m from roads (first of 24 random tries); NaN where
    none."""
    n, k = len(x), 24
    ang = rng.uniform(0, 2 * np.pi, (n, k))
    r = np.sqrt(rng.random((n, k))) * reach
    r[:, 0] = 0.0
    px, py = (x[:, None] + np.cos(ang) * r).ravel(), (y[:, None] + np.sin(ang) * r).ravel()
    ok = shapely.contains_xy(inner, px, py) & ~near_any(buildings, px, py, 6.0) & ~near_any(roads, px, py, 20.0)
    ok &= ~blocked(px, py)
    ok = ok.reshape(n, k)
    first = np.argmax(ok, axis=1)
    found = ok[np.arange(n), first]
    rows = np.arange(n)
    return (np.where(found, px.reshape(n, k)[rows, first], np.nan),
            np.where(found, py.reshape(n, k)[rows, first], np.nan))


def _claim_buildings(bxy: np.ndarray, gxy: np.ndarray, reach: float, rounds: int = 6) -> np.ndarray:
    """The nearest unclaimed building (index into bxy) within ``reach`` of each point; -1 where none."""
    out = np.full(len(gxy), -1)
    if len(bxy) == 0 or len(gxy) == 0:
        return out
    kk = min(rounds, len(bxy))
    d, j = cKDTree(bxy).query(gxy, k=kk, distance_upper_bound=reach)
    d, j = d.reshape(len(gxy), kk), j.reshape(len(gxy), kk)
    claimed = np.zeros(len(bxy) + 1, bool)
    claimed[-1] = True  # the "not found" index
    for r in range(kk):
        want = (out < 0) & np.isfinite(d[:, r])
        cand = np.where(want, j[:, r], len(bxy))
        want &= ~claimed[cand]
        win = first_unique(cand, want)
        out[win] = cand[win]
        claimed[cand[win]] = True
    return out


def make_existing(
    rng: np.random.Generator,
    boundary,
    cmap: CharacterMap,
    buildings: pd.DataFrame,
    street_lines: np.ndarray,
    *,
    nr_band: dict[str, str],
    code: str,
    prefix: str,
    counts: dict[str, int] | None = None,
    blocked=None,
    radio=None,
) -> pd.DataFrame:
    """Existing 4G sites of China Mobile, China Telecom and China Unicom.

    Parameters
    ----------
    buildings : DataFrame
        From :func:`siteplan.sample.buildings.make_buildings` (rooftop and indoor sites stand on them).
    street_lines : array of LineString
        Streets, kept clear of ground towers.
    nr_band : dict
        Operator -> the NR band it would add on the site (the 频段 column), e.g. ``{"china_mobile": "n41"}``.
    code : str
        The district's division code (prefix of China Tower site codes).
    prefix : str
        Prefix of the operators' site ids, e.g. ``"HD"`` -> ``HD4G-CM-0001``.
    counts : dict, optional
        Exact number of sites per operator; default from the character densities.
    blocked : callable, optional
        ``blocked(x, y) -> bool array``: where no site may stand (prohibited zones).
    radio : RadioConfig, optional
        The district's ``[radio]``: heights stay inside each site type's model range (default presets if None).

    Returns
    -------
    DataFrame
        One row per operator site: ``site_id, operator, technology, lte_band, band, site_type, mount, tower_kind,
        height_m, owner, tower_site_id, power_supply, group, x, y`` (``group``: the physical site; tenants of one
        China Tower site share it).
    """
    blocked = blocked or (lambda x, y: np.zeros(len(np.atleast_1d(x)), bool))
    ex = _operator_lattices(rng, boundary, cmap, counts, blocked)
    grp = _colocate(rng, ex)
    n = len(ex)
    loners = np.flatnonzero(grp < 0)
    t1 = TENANT_SHARES[0]
    shared_groups = grp.max() + 1 if n else 0
    n1 = int(round(t1 / (1 - t1) * shared_groups)) if shared_groups else int(round(TOWER_SHARE * n))
    tower_single = loners[rng.permutation(len(loners))][:n1]
    owner = np.full(n, "operator", dtype=object)
    owner[grp >= 0] = "china_tower"
    owner[tower_single] = "china_tower"
    grp = grp.copy()
    grp[loners] = shared_groups + np.arange(len(loners))
    ex["owner"] = owner
    ex["group"] = grp
    # Physical sites: position = centroid of the tenants; mount, then snapped to a roof or to open ground.
    phys = ex.groupby("group", sort=True).agg(x=("x", "mean"), y=("y", "mean"), owner=("owner", "first"),
                                              tenants=("operator", "size"))
    m = len(phys)
    ch = cmap.character_at(phys.x.to_numpy(), phys.y.to_numpy())
    roof_p = np.array([PROFILES[k].rooftop_share for k in CHARACTERS])[ch]
    roof_p = np.where(phys.owner.to_numpy() == "china_tower", roof_p * 0.8, np.minimum(roof_p * 1.2, 0.95))
    kind = np.where(rng.random(m) < roof_p, "rooftop", "tower").astype(object)
    urban = ch <= CHARACTERS.index("suburban")
    indoor = (phys.tenants.to_numpy() == 1) & (phys.owner.to_numpy() == "operator") & urban & (rng.random(m) < 0.06)
    kind[indoor] = "indoor"
    bx, by = buildings.x.to_numpy(), buildings.y.to_numpy()
    use = buildings.use.to_numpy()
    px, py = phys.x.to_numpy().copy(), phys.y.to_numpy().copy()
    top = np.full(m, np.nan)
    claimed_any = np.zeros(len(buildings), bool)
    for which, ok_b in (
        ("indoor", np.isin(use, ["commercial", "office", "hospital"]) & (buildings.floors.to_numpy() >= 3)),
        ("rooftop", rooftop_hosts(buildings, cmap, radio)),
    ):
        gi = np.flatnonzero(kind == which)
        cand = np.flatnonzero(ok_b & ~claimed_any)
        j = _claim_buildings(np.column_stack([bx[cand], by[cand]]), np.column_stack([px[gi], py[gi]]), 250.0)
        hit = j >= 0
        b = cand[j[hit]]
        claimed_any[b] = True
        # On the roof, within a quarter of the building's depth of its centre (inside the footprint).
        r = rng.uniform(0, 2.5, hit.sum())
        a = rng.uniform(0, 2 * np.pi, hit.sum())
        px[gi[hit]], py[gi[hit]] = bx[b] + r * np.cos(a), by[b] + r * np.sin(a)
        top[gi[hit]] = buildings.height_m.to_numpy()[b]
        kind[gi[~hit]] = "tower"
    tw = np.flatnonzero(kind == "tower")
    btree = shapely.STRtree(buildings.geometry.to_numpy())
    rtree = shapely.STRtree(street_lines)

    inner = shapely.buffer(boundary, -15.0)
    shapely.prepare(inner)
    px[tw], py[tw] = _open_spot(rng, px[tw], py[tw], btree, rtree, blocked, inner)
    keep_g = np.isfinite(px) & ~blocked(np.nan_to_num(px), np.nan_to_num(py))
    phys = phys.assign(x=px, y=py, kind=kind, roof=top)[keep_g]
    ex = ex[ex.group.isin(phys.index)].reset_index(drop=True)
    # Tenants 1-3 m apart around the physical site's point.
    g = phys.loc[ex.group]
    rank = ex.groupby("group").cumcount().to_numpy()
    size = ex.group.map(ex.group.value_counts()).to_numpy()
    base = rng.uniform(0, 2 * np.pi, len(ex))
    base = pd.Series(base).groupby(ex.group.to_numpy()).transform("first").to_numpy()
    ang = base + 2 * np.pi * rank / size
    rr = np.where(size > 1, rng.uniform(0.8, 1.5, len(ex)), 0.0)
    ex["x"], ex["y"] = g.x.to_numpy() + rr * np.cos(ang), g.y.to_numpy() + rr * np.sin(ang)
    k = g.kind.to_numpy()
    ex["site_type"] = np.where(k == "indoor", "indoor", "macro")
    ex["mount"] = np.where(k == "indoor", "indoor", k)
    # Half the towers of the urban core are landscape towers: one kind per physical site, shared by its tenants.
    gk = phys.kind.to_numpy()
    landscape = (gk == "tower") & (cmap.character_at(phys.x.to_numpy(), phys.y.to_numpy()) == 0)
    landscape &= rng.random(len(phys)) < 0.5
    ex["tower_kind"] = np.where(pd.Series(landscape, index=phys.index).loc[ex.group].to_numpy(), "landscape_tower",
                                ex["mount"])
    # Antenna heights: each tenant at its own height on the shared roof or tower.
    h = np.zeros(len(ex))
    roof, tower, indoor = k == "rooftop", k == "tower", k == "indoor"
    h[roof] = rooftop_heights(rng, g.roof.to_numpy()[roof])
    h[tower] = tower_heights(rng, ex.tower_kind.to_numpy()[tower])
    h[indoor] = indoor_heights(rng, int(indoor.sum()))
    ex["height_m"] = fit_heights(h, ex.site_type.to_numpy(), radio)
    ex["technology"] = "4G"
    ex["lte_band"] = ""
    for op, choices in LTE_BANDS.items():
        sel = (ex.operator == op).to_numpy()
        names, p = zip(*choices, strict=True)
        ex.loc[sel, "lte_band"] = rng.choice(np.asarray(names, dtype=object), sel.sum(), p=np.asarray(p) / sum(p))
    ex["band"] = ex.operator.map(nr_band).fillna("")
    ex["power_supply"] = rng.choice(np.array(["direct", "transferred", "unknown"], dtype=object), len(ex),
                                    p=[0.55, 0.38, 0.07])
    # China Tower site codes: one per tower site, shared by its tenants.
    tower_groups = np.unique(ex.group[ex.owner == "china_tower"])
    tcode = pd.Series([f"{code}{i:012d}" for i in range(1, len(tower_groups) + 1)],
                      index=tower_groups[rng.permutation(len(tower_groups))])
    ex["tower_site_id"] = ex.group.map(tcode).fillna("")
    ex = ex.iloc[rng.permutation(len(ex))].reset_index(drop=True)
    if counts:  # exact counts: drop surplus operator-owned sites
        rank = ex.assign(_o=(ex.owner != "operator")).sort_values("_o", kind="stable").groupby("operator").cumcount()
        rank = rank.reindex(ex.index).to_numpy()
        surplus = (ex.operator.map(ex.operator.value_counts()) - ex.operator.map(counts)).clip(lower=0).to_numpy()
        ex = ex[~((ex.owner == "operator").to_numpy() & (rank < surplus))].reset_index(drop=True)
    num = ex.groupby("operator").cumcount() + 1
    ex.insert(0, "site_id", f"{prefix}4G-" + ex.operator.map(OP_CODE) + "-" + num.map("{:04d}".format))
    return ex.drop(columns=["spacing"])
