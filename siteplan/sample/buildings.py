"""Building footprints laid out in the blocks of the street grid.

Each block (the cell between neighbouring street lines) is inset from its streets by the road's half width and a
setback, so no building stands on a road; a built block is split into one to three parcels, each with one use
(residential compound, commercial, office, school, hospital, industrial, public; parks stay open) drawn from the
character's mix (:mod:`siteplan.sample.character`). A parcel is filled with one typology as a regular grid of
rectangles aligned with the streets — how Chinese compounds (小区) are laid out:

=================  ==============  ==========  ===========================================================
typology           footprint [m]   floors      notes
=================  ==============  ==========  ===========================================================
walk-up slab       60-95 x 12-14   5-7         1980s-90s 板楼; rows ~0.55x their height apart (old, tight)
mid-rise slab      60-100 x 13-16   9-18        1990s-2000s; rows 15-26 m apart
residential tower  24-32 x 20-26   18-33       点式高层, 2000s on; half with low-E glazing (high loss)
low-rise           16-24 x 10-14   2-3         suburban townhouses
village row        30-60 x 9-11    1-2         rows of attached courtyard houses
dormitory          50-70 x 12-14   5-6         port and industrial areas
mall               80-150 x 50-90  3-6         commercial podium, IRR glass curtain wall (high loss)
office tower       28-40 x 24-32   18-40       glass towers (high loss), clustered round commercial centres
school             55-80 x 14-18   4-5         teaching blocks on half the parcel, a sports ground on the rest
hospital           50-80 x 30-45   8-20        ward and outpatient blocks (high loss)
street shops       30-60 x 12-15   2-3         沿街商铺: a row along the street side of most housing parcels
industrial shed    60-150 x 30-70  1-2         sheds and warehouses
public             40-70 x 16-24   4-10        government and institution offices
=================  ==============  ==========  ===========================================================

Heights are 3.0 m per floor for housing, 3.5 m for other buildings and 4.5 m for industrial sheds. ``loss_class``
is the TR 38.901 O2I class: ``high`` for IRR/low-E glass (office towers, malls, hospitals, half the new residential
towers), ``low`` elsewhere (concrete with standard glass). All figures are assumptions for sample data, chosen so
that an urban core has 25-35 % of its land under buildings, as Chinese old-city districts do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .character import CHARACTERS, PROFILES, CharacterMap
from .streets import HALF_WIDTH_M, SETBACK_M, Streets

__all__ = ["TYPOLOGIES", "USE_TYPOLOGY", "make_buildings"]

#: typology -> (length range, depth range, gap along u, gap along v (None: from height), floors range,
#: max buildings per parcel (0: no cap), share of high-loss buildings, metres per floor).
TYPOLOGIES = {
    "walkup": ((60, 95), (12, 14), (5, 8), None, (5, 7), 0, 0.0, 3.0),
    "midrise": ((60, 100), (13, 16), (10, 16), None, (9, 18), 0, 0.3, 3.0),
    "tower": ((24, 32), (20, 26), (14, 20), (20, 28), (18, 33), 0, 0.5, 3.0),
    "lowrise": ((16, 24), (10, 14), (8, 12), (12, 18), (2, 3), 0, 0.0, 3.0),
    "village": ((30, 60), (9, 11), (6, 10), (10, 14), (1, 2), 0, 0.0, 3.0),
    "dorm": ((50, 70), (12, 14), (15, 20), (18, 24), (5, 6), 0, 0.0, 3.0),
    "mall": ((80, 150), (50, 90), (20, 30), (20, 30), (3, 6), 2, 1.0, 3.5),
    "office": ((28, 40), (24, 32), (25, 40), (25, 40), (18, 40), 3, 1.0, 3.5),
    "school": ((55, 80), (14, 18), (12, 18), (16, 24), (4, 5), 3, 0.0, 3.5),
    "hospital": ((50, 80), (30, 45), (16, 22), (16, 22), (8, 20), 4, 1.0, 3.5),
    "shops": ((30, 60), (12, 15), (4, 8), (20, 20), (2, 3), 0, 0.0, 3.5),
    "industrial": ((60, 150), (30, 70), (12, 20), (12, 20), (1, 2), 0, 0.0, 4.5),
    "public": ((40, 70), (16, 24), (15, 25), (20, 30), (4, 10), 4, 0.3, 3.5),
}
#: Parcel use -> typology (residential picks one of the character's residential typologies).
USE_TYPOLOGY = {"commercial": "mall", "office": "office", "school": "school", "hospital": "hospital",
                "industrial": "industrial", "public": "public"}
_USES = ("residential", "commercial", "office", "school", "hospital", "industrial", "public", "park")
#: Weight of industrial parcels and of walk-ups vs towers by zone class: industry and new towers at the edge.
_ZONE_WEIGHT = {
    "industrial": {"高密": 0.0, "密集": 0.5, "一般": 2.0, "边缘": 5.0},
    "walkup": {"高密": 1.6, "密集": 1.2, "一般": 0.6, "边缘": 0.4},
    "tower": {"高密": 0.5, "密集": 0.8, "一般": 1.5, "边缘": 2.0},
}


def _blocks(streets: Streets, boundary, cmap: CharacterMap) -> pd.DataFrame:
    """Every block near the district, with its inset rectangle (u0, u1, v0, v1) in the street frame."""
    U, V = streets.U, streets.V
    ii, jj = np.meshgrid(np.arange(len(U) - 1), np.arange(len(V) - 1), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    cu, cv = (U[ii] + U[ii + 1]) / 2, (V[jj] + V[jj + 1]) / 2
    cx, cy = streets.to_xy(cu, cv)
    near = shapely.buffer(boundary, 150.0)
    shapely.prepare(near)
    keep = shapely.contains_xy(near, cx, cy)
    ii, jj, cx, cy = ii[keep], jj[keep], cx[keep], cy[keep]

    def inset(exists, level):
        street = np.where(level <= 2, HALF_WIDTH_M["arterial"] + SETBACK_M["arterial"],
                          HALF_WIDTH_M["local"] + SETBACK_M["local"])
        return np.where(exists, street, SETBACK_M["none"])

    return pd.DataFrame({
        "s_u0": streets.u_seg[ii, jj], "s_u1": streets.u_seg[ii + 1, jj],
        "s_v0": streets.v_seg[jj, ii], "s_v1": streets.v_seg[jj + 1, ii],
        "u0": U[ii] + inset(streets.u_seg[ii, jj], streets.u_level[ii]),
        "u1": U[ii + 1] - inset(streets.u_seg[ii + 1, jj], streets.u_level[ii + 1]),
        "v0": V[jj] + inset(streets.v_seg[jj, ii], streets.v_level[jj]),
        "v1": V[jj + 1] - inset(streets.v_seg[jj + 1, ii], streets.v_level[jj + 1]),
        "x": cx, "y": cy,
        "character": cmap.character_at(cx, cy),
        "zone": cmap.zone_at(cx, cy),
    })


def _weighted_choice(rng, weights: np.ndarray, labels) -> np.ndarray:
    """One label per row of ``weights`` (n, k), drawn with the row's weights."""
    w = np.maximum(weights, 0.0)
    cum = np.cumsum(w, axis=1)
    r = rng.random(len(w)) * cum[:, -1]
    return np.asarray(labels, dtype=object)[(cum < r[:, None]).sum(axis=1).clip(0, w.shape[1] - 1)]


def _parcels(rng, blocks: pd.DataFrame, centres: np.ndarray | None, min_parcels: dict[str, int]) -> pd.DataFrame:
    """Split built blocks into parcels along their longer side and give each a use and a typology."""
    b = blocks[(blocks.u1 - blocks.u0 > 30) & (blocks.v1 - blocks.v0 > 30)].reset_index(drop=True)
    prof = [PROFILES[k] for k in CHARACTERS]
    built = rng.random(len(b)) < np.array([p.block_built for p in prof])[b.character]
    b = b[built].reset_index(drop=True)
    rural = b.character.to_numpy() == CHARACTERS.index("rural")
    # Villages take a 150-250 m patch of a rural block.
    w, h = (b.u1 - b.u0).to_numpy(), (b.v1 - b.v0).to_numpy()
    vw, vh = np.minimum(w, rng.uniform(150, 250, len(b))), np.minimum(h, rng.uniform(150, 250, len(b)))
    su, sv = rng.uniform(0, 1, len(b)) * (w - vw), rng.uniform(0, 1, len(b)) * (h - vh)
    b.loc[rural, "u0"] = (b.u0 + su)[rural]
    b.loc[rural, "u1"] = (b.u0 + vw)[rural]
    b.loc[rural, "v0"] = (b.v0 + sv)[rural]
    b.loc[rural, "v1"] = (b.v0 + vh)[rural]
    # 1-3 parcels per block, split across the longer side with a 6 m gap (compound walls, lanes).
    nparts = np.where(rural, 1, rng.choice([1, 2, 2, 3], len(b)))
    rep = np.repeat(np.arange(len(b)), nparts)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(nparts) - nparts, nparts)
    p = b.iloc[rep].reset_index(drop=True)
    n = nparts[rep]
    along_u = (p.u1 - p.u0).to_numpy() >= (p.v1 - p.v0).to_numpy()
    lo = np.where(along_u, p.u0, p.v0)
    hi = np.where(along_u, p.u1, p.v1)
    step = (hi - lo) / n
    a, z = lo + k * step + np.where(k > 0, 2.0, 0.0), lo + (k + 1) * step - np.where(k < n - 1, 2.0, 0.0)
    p["u0"], p["u1"] = np.where(along_u, a, p.u0), np.where(along_u, z, p.u1)
    p["v0"], p["v1"] = np.where(along_u, p.v0, a), np.where(along_u, p.v1, z)
    # Inner cuts are not street sides.
    p["s_u0"] &= ~along_u | (k == 0)
    p["s_u1"] &= ~along_u | (k == n - 1)
    p["s_v0"] &= along_u | (k == 0)
    p["s_v1"] &= along_u | (k == n - 1)
    p["block"] = rep
    # Use: the character's mix, industry pushed to the edge zones.
    mix = np.array([[pr.uses.get(u, 0.0) for u in _USES] for pr in prof])[p.character]
    zw = p.zone.map(_ZONE_WEIGHT["industrial"]).to_numpy(float)
    core = p.character.to_numpy() == 0
    mix[:, _USES.index("industrial")] *= np.where(core, zw, 1.0)
    use = _weighted_choice(rng, mix, _USES)
    cu, cv = (p.u0 + p.u1).to_numpy() / 2, (p.v0 + p.v1).to_numpy() / 2
    # Commercial centres: parcels within 250 m of one are offices and malls.
    if centres is not None and len(centres):
        from scipy.spatial import cKDTree

        d, _ = cKDTree(centres).query(np.column_stack([p.x, p.y]), k=1)
        near = (d < 250.0) & (rng.random(len(p)) < 0.7) & (use != "park")
        use[near] = np.where(rng.random(near.sum()) < 0.55, "office", "commercial")
    # At least the wanted number of schools, hospitals...: convert residential parcels, spread over the district.
    for u, nmin in min_parcels.items():
        have = int((use == u).sum())
        if have < nmin:
            pool = np.flatnonzero((use == "residential") & (core if core.any() else True))
            pool = pool[rng.permutation(len(pool))][: nmin - have]
            use[pool] = u
    p["use"] = use
    # Typology.
    res_keys = sorted({k for pr in prof for k in pr.residential})
    rmix = np.array([[pr.residential.get(t, 0.0) for t in res_keys] for pr in prof])[p.character]
    for t in ("walkup", "tower"):
        if t in res_keys:
            rmix[:, res_keys.index(t)] *= np.where(core, p.zone.map(_ZONE_WEIGHT[t]).to_numpy(float), 1.0)
    res_typ = _weighted_choice(rng, rmix, res_keys)
    p["typology"] = np.where(use == "residential", res_typ, pd.Series(use).map(USE_TYPOLOGY).fillna("").to_numpy())
    parks = p[p.use == "park"].reset_index(drop=True)
    p = p[p.use != "park"].reset_index(drop=True)
    return pd.concat([p, _shop_rows(rng, p)], ignore_index=True), parks


def _shop_rows(rng, p: pd.DataFrame) -> pd.DataFrame:
    """Street shops (沿街商铺): a 15 m strip cut from one street side of most urban housing parcels."""
    urban = np.isin(p.character.to_numpy(), [CHARACTERS.index("core"), CHARACTERS.index("suburban")])
    sides = p[["s_v0", "s_v1", "s_u0", "s_u1"]].to_numpy()
    want = urban & (p.use.to_numpy() == "residential") & sides.any(axis=1) & (rng.random(len(p)) < 0.8)
    want &= ((p.u1 - p.u0) > 80).to_numpy() & ((p.v1 - p.v0) > 80).to_numpy()
    side = np.argmax(sides, axis=1)  # first street side: v0, v1, u0, u1
    strip, gap = 15.0, 6.0
    s = p[want].copy()
    sd = side[want]
    for j, (lo, hi, sign) in enumerate((("v0", "v1", 1), ("v1", "v0", -1), ("u0", "u1", 1), ("u1", "u0", -1))):
        m = sd == j
        edge = s[lo].to_numpy()[m]
        s.loc[s.index[m], hi] = edge + sign * strip
        # The housing parcel gives the strip and a gap up.
        p.loc[s.index[m], lo] = edge + sign * (strip + gap)
    s["use"], s["typology"] = "commercial", "shops"
    return s



def _fill(rng, p: pd.DataFrame) -> pd.DataFrame:
    """Buildings of each parcel as a regular grid of rectangles (vectorized over parcels)."""
    n = len(p)
    spec = [TYPOLOGIES[t] for t in p.typology]
    r = rng.random((n, 6))

    def draw(i, col):
        lo = np.array([s[i][0] for s in spec], float)
        hi = np.array([s[i][1] for s in spec], float)
        return lo + r[:, col] * (hi - lo)

    L, D, gu = draw(0, 0), draw(1, 1), draw(2, 2)
    flo = np.array([s[4][0] for s in spec], float)
    fhi = np.array([s[4][1] for s in spec], float)
    floors = np.floor(flo + r[:, 3] * (fhi - flo + 1)).clip(flo, fhi)
    per_floor = np.array([s[7] for s in spec])
    height = floors * per_floor
    gv_given = np.array([np.nan if s[3] is None else s[3][0] + r[i, 4] * (s[3][1] - s[3][0])
                         for i, s in enumerate(spec)])
    walk = p.typology.to_numpy() == "walkup"
    gv = np.where(np.isnan(gv_given), np.where(walk, 0.55 * height, np.clip(0.45 * height, 15.0, 26.0)), gv_given)
    cap = np.array([s[5] for s in spec])
    u0, u1, v0, v1 = (p[c].to_numpy(float) for c in ("u0", "u1", "v0", "v1"))
    school = p.typology.to_numpy() == "school"
    u1 = np.where(school, u0 + (u1 - u0) * 0.5, u1)  # the other half is the sports ground
    W, H = u1 - u0, v1 - v0
    L, D = np.minimum(L, W), np.minimum(D, H)
    nu = np.floor((W + gu) / (L + gu)).astype(np.int64).clip(0)
    nv = np.floor((H + gv) / (D + gv)).astype(np.int64).clip(0)
    capped = cap > 0
    nu = np.where(capped, np.minimum(nu, cap), nu)
    nv = np.where(capped, np.minimum(nv, np.maximum(cap // np.maximum(nu, 1), 1)), nv)
    # Rows of slabs, sheds and shops stretch to the parcel's length (up to 1.4x): no leftover strip at the ends.
    stretch = np.isin(p.typology.to_numpy(), ["walkup", "midrise", "shops", "village", "dorm", "industrial"])
    L = np.where(stretch & (nu > 0), np.minimum((W - (nu - 1) * gu) / np.maximum(nu, 1), 1.4 * L), L)
    cnt = nu * nv
    idx = np.repeat(np.arange(n), cnt)
    k = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    iu, iv = k % nu[idx], k // nu[idx]
    ou = u0 + (W - (nu * L + (nu - 1) * gu)) / 2
    ov = v0 + (H - (nv * D + (nv - 1) * gv)) / 2
    uc = ou[idx] + iu * (L + gu)[idx] + L[idx] / 2
    vc = ov[idx] + iv * (D + gv)[idx] + D[idx] / 2
    m = len(idx)
    shrink = np.where(rng.random(m) < 0.3, rng.uniform(0.7, 1.0, m), 1.0)  # some shorter blocks in a row
    fl = np.clip(floors[idx] + np.where(walk[idx] | (cap[idx] > 0), 0, rng.integers(-1, 2, m)), flo[idx], fhi[idx])
    high = rng.random(m) < np.array([s[6] for s in spec])[idx]
    out = pd.DataFrame({
        "parcel": idx, "uc": uc, "vc": vc, "L": L[idx] * shrink, "D": D[idx],
        "floors": fl, "height_m": np.round(fl * per_floor[idx], 1),
        "use": p.use.to_numpy()[idx], "typology": p.typology.to_numpy()[idx],
        "loss_class": np.where(high, "high", "low").astype(object),
    })
    return out[rng.random(m) >= 0.03].reset_index(drop=True)  # a few plots left empty


def rectangles(streets: Streets, uc, vc, length, depth) -> np.ndarray:
    """Rectangles centred at (uc, vc) in the street frame, ``length`` along u and ``depth`` along v, as Polygons."""
    du = np.array([-0.5, 0.5, 0.5, -0.5, -0.5])
    dv = np.array([-0.5, -0.5, 0.5, 0.5, -0.5])
    u = np.asarray(uc, float)[:, None] + np.asarray(length, float)[:, None] * du
    v = np.asarray(vc, float)[:, None] + np.asarray(depth, float)[:, None] * dv
    x, y = streets.to_xy(u, v)
    return shapely.polygons(np.stack([x, y], axis=-1))


def make_buildings(
    rng: np.random.Generator,
    streets: Streets,
    boundary,
    cmap: CharacterMap,
    *,
    centres: np.ndarray | None = None,
    min_parcels: dict[str, int] | None = None,
    exclude=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Footprints of a district's buildings and its open parcels (parks).

    Parameters
    ----------
    centres : (n, 2) array, optional
        Commercial centres [m]: parcels within 250 m are mostly offices and malls.
    min_parcels : dict, optional
        At least this many parcels of a use (e.g. ``{"hospital": 10}``), converted from core housing.
    exclude : shapely geometry, optional
        No building may touch it (river banks, stations, water works).

    Returns
    -------
    buildings : DataFrame
        ``floors, height_m, use, typology, loss_class, x, y, geometry`` (footprint Polygons, working CRS).
    parks : DataFrame
        Open parcels: ``x, y, geometry``.
    """
    blocks = _blocks(streets, boundary, cmap)
    parcels, parks = _parcels(rng, blocks, centres, min_parcels or {})
    bl = _fill(rng, parcels)
    geom = rectangles(streets, bl.uc, bl.vc, bl.L, bl.D)
    inner = shapely.buffer(boundary, -4.0)
    shapely.prepare(inner)
    ok = shapely.contains(inner, geom)
    # Buildings across the district edge (a river bank, a neighbour's street) are cut to it when most remains.
    edge = np.flatnonzero(~ok & shapely.intersects(inner, geom))
    if len(edge):
        cut = shapely.intersection(geom[edge], inner)
        keep = (shapely.get_type_id(cut) == 3) & (shapely.area(cut) > 0.6 * shapely.area(geom[edge]))
        geom[edge[keep]] = shapely.normalize(shapely.set_precision(cut[keep], 0.01))
        ok[edge[keep]] = True
    blockers = [g for g in (exclude,) if g is not None and not g.is_empty]
    diag = [d for d in streets.diagonals if not d.is_empty]
    if diag:
        blockers.append(shapely.buffer(shapely.union_all(np.asarray(diag, dtype=object)), HALF_WIDTH_M["arterial"] + 5))
    for g in blockers:
        tree = shapely.STRtree(geom)
        hit = tree.query(g, predicate="intersects")
        if len(hit):  # a diagonal only clears buildings in the core, where it exists
            c = shapely.centroid(geom[hit])
            core = cmap.character_at(shapely.get_x(c), shapely.get_y(c)) == 0 if g is not exclude else True
            ok[hit[np.asarray(core, bool) | np.zeros(len(hit), bool)]] = False
    bl, geom = bl[ok].reset_index(drop=True), geom[ok]
    c = shapely.centroid(geom)
    bl["x"], bl["y"] = shapely.get_x(c), shapely.get_y(c)
    bl["geometry"] = geom
    pc = rectangles(streets, (parks.u0 + parks.u1) / 2, (parks.v0 + parks.v1) / 2, parks.u1 - parks.u0,
                    parks.v1 - parks.v0)
    pk = pd.DataFrame({"x": shapely.get_x(shapely.centroid(pc)), "y": shapely.get_y(shapely.centroid(pc)),
                       "geometry": pc})
    pk = pk[shapely.contains_xy(inner, pk.x.to_numpy(), pk.y.to_numpy())].reset_index(drop=True)
    return bl.drop(columns=["uc", "vc", "parcel"]), pk
