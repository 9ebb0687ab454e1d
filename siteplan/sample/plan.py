"""The district's site layout plan (站址布局专项规划): planned sites with search rings, and restricted zones.

Planned sites (``plan_sites``), as Tianjin's district plans place them:

* **existing sites kept** (现状保留, status ``existing``): one point per physical existing site (a China Tower
  site with all its tenants is one point), ring 30-50 m;
* **new macro sites** (新建): a lattice in the gaps of the existing grid, ring radius by zone class — 高密 50-70 m,
  密集 60-100 m, 一般 100-150 m, 边缘 150-200 m — so the rings of one zone never overlap; about 30 % of them are
  centred on a free public facility (the plans' siting priority: government and public buildings first);
* **micro sites** on street-lamp and monitoring poles in the built-up zones, ring 30-50 m, at least 75 m apart;
* **indoor systems** (室分) at the buildings the plan names for indoor coverage (hospitals, schools, malls,
  offices), ring 30-50 m.

Zones (``plan_zones``): prohibited (禁建: heritage, water-source protection, substation safety areas) and
restricted (限建: historic blocks). A district module can place its own; :func:`make_zones` invents a few per area.
The ring sizes follow the issue brief for realistic plans; the lattice spacings are the character profiles'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from .character import CHARACTERS, PROFILES, ZONE_FACTOR, CharacterMap
from ._common import DATA_NOTE, OP_ZH, TYPE_ZH, drop_later, first_unique, hex_lattice, points_in, thin

__all__ = ["RING_M", "blob", "make_plan", "make_zones"]

#: Search-ring radius range of new macro sites by zone class [m].
RING_M = {"高密": (50.0, 70.0), "密集": (60.0, 100.0), "一般": (100.0, 150.0), "边缘": (150.0, 200.0)}
#: Ring radius range of kept existing sites, micro and indoor points [m].
SMALL_RING_M = (30.0, 50.0)


def blob(rng, cx: float, cy: float, rx: float, ry: float, rot_deg: float) -> Polygon:
    """An irregular oval [m], for invented zones."""
    a = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    r = 1.0 + 0.12 * np.sin(3 * a + rng.uniform(0, 6))
    px, py = rx * r * np.cos(a), ry * r * np.sin(a)
    c, s = np.cos(np.deg2rad(rot_deg)), np.sin(np.deg2rad(rot_deg))
    return Polygon(np.column_stack([cx + c * px - s * py, cy + s * px + c * py]))


def make_zones(rng, boundary, cmap: CharacterMap, crs: str):
    """Invented prohibited and restricted zones: per 15 km² of core one heritage site and one historic block
    every other time, per 150 km² of suburban or rural land a water-source area, per 25 km² a substation."""
    import geopandas as gpd

    land = cmap.land_km2_by_character()
    core, open_ = land["core"], land["suburban"] + land["rural"]
    spec = [
        ("prohibited", "示例文物保护单位保护范围", "文物保护单位保护范围内禁止建设基站", max(int(core / 15), 0),
         (70, 110), "core"),
        ("prohibited", "示例饮用水源保护区", "水源保护区一级保护区内禁止建设", int(open_ / 150), (200, 400), None),
        ("prohibited", "示例变电站安全防护区", "电力设施保护区", max(int(boundary.area / 1e6 / 25), 1), (60, 80), None),
        ("restricted", "示例历史风貌街区", "历史风貌保护区：新建室外宏站须专项审批、美化天线", max(int(core / 30), 0),
         (250, 380), "core"),
    ]
    inner = shapely.buffer(boundary, -300.0)
    if inner.is_empty:
        inner = boundary
    rows, count = [], {"prohibited": 0, "restricted": 0}
    for cat, name, reason, n, (lo, hi), where in spec:
        if n <= 0:
            continue
        xy = points_in(rng, inner, n * 20)
        if where == "core":
            xy = xy[cmap.character_at(xy[:, 0], xy[:, 1]) == 0]
        for x, y in xy[:n]:
            count[cat] += 1
            zid = f"{'JJ' if cat == 'prohibited' else 'XJ'}-{count[cat]:02d}"
            rx = rng.uniform(lo, hi)
            g = shapely.intersection(blob(rng, x, y, rx, rx * rng.uniform(0.6, 0.9), rng.uniform(-40, 40)), boundary)
            rows.append((zid, cat, f"{name} {count[cat]}", reason, g))
    return gpd.GeoDataFrame({"zone_id": [r[0] for r in rows], "category": [r[1] for r in rows],
                             "name": [r[2] for r in rows], "reason": [r[3] for r in rows], "data_note": DATA_NOTE},
                            geometry=[r[4] for r in rows], crs=crs)


def make_plan(
    rng: np.random.Generator,
    boundary,
    cmap: CharacterMap,
    existing: pd.DataFrame,
    poles: pd.DataFrame,
    indoor_xy: np.ndarray,
    facilities: pd.DataFrame,
    *,
    blocked,
    micro_scale: float = 1.0,
) -> pd.DataFrame:
    """Planned sites with search rings.

    Parameters
    ----------
    existing : DataFrame
        Existing sites (``group``, ``site_type``, ``operator``, ``tower_site_id``, ``x``, ``y``).
    poles : DataFrame
        The pole inventory (micro points stand on tall lamp and monitoring poles).
    indoor_xy : (n, 2) array
        Buildings the plan names for indoor systems [m].
    facilities : DataFrame
        Public facilities (``free_access`` 是/否, ``x``, ``y``): new macro rings centre on free ones first.
    blocked : callable
        ``blocked(x, y)``: prohibited zones, where no plan point may stand.
    micro_scale : float
        Multiplies the characters' micro-point density.

    Returns
    -------
    DataFrame
        ``plan_id, name, site_type, ring_radius_m, zone_class, status, status_zh, term, shared_operators,
        tower_site_id, x, y``.
    """
    inner = shapely.buffer(boundary, -20.0)
    shapely.prepare(inner)
    # Kept existing sites: one point per physical site.
    g = existing.groupby("group", sort=True)
    kept = pd.DataFrame({
        "x": g.x.mean(), "y": g.y.mean(), "site_type": g.site_type.first(), "tower_site_id": g.tower_site_id.first(),
        "shared_operators": g.operator.agg(lambda s: ";".join(sorted(OP_ZH[o] for o in s))),
    }).reset_index(drop=True)
    kept["ring_radius_m"] = np.round(rng.uniform(*SMALL_RING_M, len(kept)), 0)
    kept["status"], kept["status_zh"], kept["term"] = "existing", "现状保留", "near"
    ex_tree = cKDTree(kept[["x", "y"]].to_numpy()) if len(kept) else None

    # New macro sites: a lattice per (character, zone class), spacing wide enough for the zone's rings.
    frames = []
    zones_of = cmap.zone_at
    for ci, ck in enumerate(CHARACTERS):
        prof = PROFILES[ck]
        for zc, (lo, hi) in RING_M.items():
            s = max(prof.new_macro_spacing_m / np.sqrt(ZONE_FACTOR[zc]), 2.2 * hi)
            xy = hex_lattice(rng, boundary.bounds, s, jitter=0.15)
            xy = xy[shapely.contains_xy(inner, xy[:, 0], xy[:, 1])]
            ok = (cmap.character_at(xy[:, 0], xy[:, 1]) == ci) & (zones_of(xy[:, 0], xy[:, 1]) == zc)
            xy = xy[ok]
            if not len(xy):
                continue
            r = np.round(rng.uniform(lo, hi, len(xy)), 0)
            frames.append(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "ring_radius_m": r}))
    new = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["x", "y", "ring_radius_m"])
    new = new.iloc[rng.permutation(len(new))].reset_index(drop=True)
    # Siting priority: a free public facility inside the ring becomes its centre (30 % of rings).
    free = facilities[facilities.free_access == "是"][["x", "y"]].to_numpy()
    if len(free) and len(new):
        d, j = cKDTree(free).query(new[["x", "y"]].to_numpy(), k=1)
        snap = (d < new.ring_radius_m.to_numpy()) & (rng.random(len(new)) < 0.3 / 0.6)
        snap &= first_unique(j, snap)
        new.loc[snap, "x"], new.loc[snap, "y"] = free[j[snap], 0], free[j[snap], 1]
    nxy = new[["x", "y"]].to_numpy()
    ok = ~blocked(nxy[:, 0], nxy[:, 1]) & shapely.contains_xy(inner, nxy[:, 0], nxy[:, 1])
    if ex_tree is not None and len(new):
        d, _ = ex_tree.query(nxy, k=1)
        ok &= d >= new.ring_radius_m.to_numpy() + 20.0
    new = new[ok].reset_index(drop=True)
    new = new[_thin_rings(new)].reset_index(drop=True)
    new["site_type"], new["status"], new["status_zh"] = "macro", "new", "新建"
    new["term"] = np.where(rng.random(len(new)) < 0.7, "near", "far")

    # Micro points on tall lamp and monitoring poles in built-up zones, >= 100 m apart.
    pk = poles.kind.to_numpy()
    pxy = poles[["x", "y"]].to_numpy()
    okp = np.isin(pk, ["street_lamp", "monitoring"]) & (poles.height_m.to_numpy() >= 8.0)
    pz = zones_of(pxy[:, 0], pxy[:, 1])
    okp &= np.isin(pz, ["高密", "密集", "一般"])
    if ex_tree is not None:
        d, _ = ex_tree.query(pxy, k=1)
        okp &= d >= 80.0
    okp &= ~blocked(pxy[:, 0], pxy[:, 1])
    dens = np.array([PROFILES[k].micro_points_per_km2 for k in CHARACTERS])
    ch = cmap.character_at(pxy[:, 0], pxy[:, 1])
    # Expected micro points near each pole ~ density x factor x (area per eligible pole).
    area_per_pole = boundary.area / 1e6 / max(okp.sum(), 1)
    p_pick = np.clip(dens[ch] * micro_scale * cmap.factor_at(pxy[:, 0], pxy[:, 1]) * area_per_pole * 2.5, 0, 1)
    cand = np.flatnonzero(okp & (rng.random(len(pk)) < p_pick))
    cand = cand[rng.permutation(len(cand))]
    cand = cand[thin(pxy[cand], 75.0)]
    if len(new):
        d, j = cKDTree(new[["x", "y"]].to_numpy()).query(pxy[cand], k=1)
        cand = cand[d > new.ring_radius_m.to_numpy()[j] + 20.0]
    micro = pd.DataFrame({"x": pxy[cand, 0] + rng.uniform(-4, 4, len(cand)),
                          "y": pxy[cand, 1] + rng.uniform(-4, 4, len(cand)),
                          "ring_radius_m": np.round(rng.uniform(*SMALL_RING_M, len(cand)), 0),
                          "site_type": "micro", "status": "new", "status_zh": "新建",
                          "term": np.where(rng.random(len(cand)) < 0.6, "near", "far")})
    indoor = pd.DataFrame({"x": indoor_xy[:, 0], "y": indoor_xy[:, 1],
                           "ring_radius_m": np.round(rng.uniform(*SMALL_RING_M, len(indoor_xy)), 0),
                           "site_type": "indoor", "status": "new", "status_zh": "新建", "term": "near"})
    plan = pd.concat([kept, new, micro, indoor], ignore_index=True)
    plan["shared_operators"] = plan["shared_operators"].fillna("")
    plan["tower_site_id"] = plan["tower_site_id"].fillna("")
    plan["zone_class"] = zones_of(plan.x.to_numpy(), plan.y.to_numpy())
    plan = plan.iloc[rng.permutation(len(plan))].reset_index(drop=True)
    width = max(4, len(str(len(plan))))
    plan.insert(0, "plan_id", [f"GH-{i:0{width}d}" for i in range(1, len(plan) + 1)])
    label = np.where(plan.status == "existing", "现状", "规划")
    plan.insert(1, "name", [f"{lab}{TYPE_ZH[t]}{i:0{width}d}"
                            for i, (lab, t) in enumerate(zip(label, plan.site_type, strict=True), start=1)])
    cols = ["plan_id", "name", "site_type", "ring_radius_m", "zone_class", "status", "status_zh", "term",
            "shared_operators", "tower_site_id", "x", "y"]
    return plan[cols]


def _thin_rings(new: pd.DataFrame) -> np.ndarray:
    """Drop the later of two new macro rings that overlap by more than a third of the smaller radius."""
    xy = new[["x", "y"]].to_numpy()
    r = new.ring_radius_m.to_numpy()
    if len(new) < 2:
        return np.ones(len(new), bool)
    pairs = cKDTree(xy).query_pairs(2 * r.max(), output_type="ndarray")
    d = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    ri, rj = r[pairs[:, 0]], r[pairs[:, 1]]
    return drop_later(len(new), pairs[d < ri + rj - np.minimum(ri, rj) / 3])
