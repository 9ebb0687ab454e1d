"""Operators' 5G candidate sites, per network, the way 2019-2022 5G was built.

About 97 % of China's 2019-20 5G sites were added to existing sites (China Tower's reports; operators' notices ask
to "严控新增站址，充分利用现有基站站址资源"), so most candidates are **co-site upgrades**: a network's candidate
within 0-3 m of one of its own operators' 4G sites (one candidate per physical site and network, even where China
Telecom and China Unicom share a tower: their shared RAN needs one gNB). Upgrades keep the 4G site's code about
half the time. Then new builds:

* **rooftop macros** in the layout plan's new search rings (towers in rural and port areas); rings centred on a
  free public facility put the candidate on that building;
* ~10 % of new macros on **another operator's China Tower site** (co-location, 0-3 m from it);
* **pole micros** on lamp, monitoring and smart poles inside micro rings (one per network and ring);
* **indoor systems** in the buildings the plan names for indoor coverage;
* **shared new locations**: pairs of candidates of two networks within 0-3 m at one new place (a roof, a smart
  pole, a building's indoor system).

Who builds: in Tianjin, China Unicom and China Telecom split the shared n78 RAN 6 : 4 by area (their 2019 co-build
agreement), so a ``ctcu`` candidate's operator is the area's builder (by sub-district); China Mobile builds its
n41/n79 network and most 700 MHz (n28) sites of the ``cbn`` network on its own sites, China Broadnet the new
700 MHz sites. Counts come from a :class:`Recipe` per network (rates per existing site or plan point, or exact
counts from a district module).

Every candidate made here passes :func:`siteplan.sample.rules.read_rules` with :data:`CLEAN_MARGIN_M` to spare,
and its build kind is unambiguous at that margin; two candidates within ``duplicate_distance_m`` plus twice the
margin are always of different networks at one intended shared location.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .character import CHARACTERS, CharacterMap
from ._common import OP_CODE, OP_ZH, drop_later, first_unique
from .heights import fit_heights, indoor_heights, rooftop_heights, rooftop_hosts, tower_heights
from .rules import Reading, RuleWorld, read_rules

__all__ = ["CLEAN_MARGIN_M", "RECIPES", "Recipe", "area_builders", "finish_ids", "make_candidates"]

#: Distance by which every clean candidate stays clear of each rule's threshold [m].
CLEAN_MARGIN_M = 8.0
_COLS = ["site_id", "operator", "band", "site_type", "mount", "height_m", "pole_id", "eirp_dbm", "power_supply",
         "responsible_unit", "x", "y", "kind", "loc", "case", "partner"]


@dataclass(frozen=True)
class Recipe:
    """How one network's candidates are made. Rates are per own macro location (upgrades), per new macro ring
    (rooftop), per micro plan point (micro, per band) and per indoor plan point (indoor, per band); ``counts``
    (same keys: ``"rooftop"``, ``"micro:<band>"``, ``"indoor:<band>"``) fixes exact numbers instead."""

    upgrade_share: float = 0.8
    keep_code_share: float = 0.5
    rooftop_per_ring: float = 0.3
    micro_per_point: dict[str, float] = field(default_factory=dict)
    indoor_per_point: dict[str, float] = field(default_factory=dict)
    #: Operator building new sites -> share of the district's area.
    builders: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


#: Recipes of the networks shipped with Hedong (keys of ``[networks.*]``); other keys get a generic one.
RECIPES = {
    "ctcu": Recipe(0.82, 0.5, 0.36, {"n78": 0.45}, {"n78": 0.4}, {"china_unicom": 0.6, "china_telecom": 0.4}),
    "cm": Recipe(0.82, 0.5, 0.28, {"n41": 0.33, "n79": 0.18}, {"n79": 0.4}, {"china_mobile": 1.0}),
    "cbn": Recipe(0.62, 0.0, 0.08, {}, {}, {"china_broadnet": 1.0}),
}
#: Share of new macro candidates placed on another operator's China Tower site.
SHARED_EXISTING_SHARE = 0.10
#: Shared new locations (pairs of two networks) per 100 new macro rings / micro points / indoor points.
SHARED_NEW_RATE = {"rooftop": 6.0, "smart_pole": 2.0, "indoor": 12.0}


def recipe_for(key: str, net) -> Recipe:
    """The recipe of a network key (a generic one for keys not in :data:`RECIPES`)."""
    if key in RECIPES:
        return RECIPES[key]
    return Recipe(micro_per_point={net.bands[0]: 0.3}, indoor_per_point={net.bands[-1]: 0.3},
                  builders={net.operators[0]: 1.0})


def area_builders(rng, zone_codes: np.ndarray, zone_area: np.ndarray, builders: dict[str, float]) -> dict[str, str]:
    """Builder operator of each sub-district: zones are given out in random order until each operator's share
    of the area is reached (China Unicom : China Telecom = 6 : 4 in Tianjin)."""
    ops = list(builders)
    if len(ops) == 1 or len(zone_codes) == 0:
        return {z: ops[0] for z in zone_codes}
    order = rng.permutation(len(zone_codes))
    cum = np.cumsum(zone_area[order]) / zone_area.sum()
    edges = np.cumsum([builders[o] for o in ops]) / sum(builders.values())
    who = np.searchsorted(edges, cum - 1e-9 - zone_area[order] / zone_area.sum() / 2)
    return {zone_codes[i]: ops[min(k, len(ops) - 1)] for i, k in zip(order, who, strict=True)}


def _frame(n: int, **cols) -> pd.DataFrame:
    base = {"site_id": "", "pole_id": "", "case": "", "partner": "", "power_supply": "", "responsible_unit": ""}
    base.update(cols)
    df = pd.DataFrame({k: (np.broadcast_to(v, n) if np.ndim(v) == 0 else v) for k, v in base.items()})
    return df.reindex(columns=_COLS)


def _eirp(rng, site_type: str, n: int) -> np.ndarray:
    lo, hi = {"macro": (65.0, 69.0), "micro": (46.0, 50.0), "indoor": (24.0, 28.0)}[site_type]
    return np.round(rng.uniform(lo, hi, n), 1)


def _jitter(rng, x, y, r_max: float) -> tuple[np.ndarray, np.ndarray]:
    a = rng.uniform(0, 2 * np.pi, len(x))
    r = np.sqrt(rng.random(len(x))) * r_max
    return np.asarray(x) + r * np.cos(a), np.asarray(y) + r * np.sin(a)


@dataclass
class _Ctx:
    rng: np.random.Generator
    w: RuleWorld
    cmap: CharacterMap
    buildings: pd.DataFrame
    theta: float
    builder_at: callable  # (network key, x array, y array) -> operator keys
    branch: str
    poles_owner: dict


def _branch_units(c: _Ctx, ops) -> list[str]:
    """Each operator's city branch (中国移动天津分公司), the responsible unit of its own sites."""
    return [f"{OP_ZH[o]}{c.branch}分公司" for o in ops]


#: Distance a picked roof, pole or building keeps inside its search ring's edge [m].
_RING_INSET_M = 12.0


def _pick_in_rings(rng, rings: pd.DataFrame, pts: np.ndarray, prefer_nearest: float, k: int = 12) -> np.ndarray:
    """Index into ``pts`` of one point within each ring, :data:`_RING_INSET_M` inside its edge (-1: none): the
    nearest with probability ``prefer_nearest``, else a random one."""
    cx, cy = rings.x.to_numpy(), rings.y.to_numpy()
    r = rings.ring_radius_m.to_numpy() - _RING_INSET_M
    if len(pts) == 0 or len(cx) == 0:
        return np.full(len(cx), -1)
    kk = min(k, len(pts))
    d, j = cKDTree(pts).query(np.column_stack([cx, cy]), k=kk)
    d, j = d.reshape(len(cx), kk), j.reshape(len(cx), kk)
    ok = d <= np.asarray(r)[:, None]
    key = rng.random(ok.shape) + np.where(ok, 0.0, 2.0)
    key[:, 0] -= np.where(rng.random(len(cx)) < prefer_nearest, 1.0, 0.0)
    col = np.argmin(key, axis=1)
    rows = np.arange(len(cx))
    return np.where(ok[rows, col], j[rows, col], -1)


def _upgrades(c: _Ctx, key: str, rec: Recipe) -> tuple[pd.DataFrame, int]:
    """Co-site upgrades of ``rec.upgrade_share`` of the network's own macro locations (and how many are wanted)."""
    rng, ex = c.rng, c.w.existing
    own = ex[ex.operator.isin(c.w.own_operators(key)) & (ex.site_type == "macro")]
    if own.empty:
        return _frame(0), 0
    groups = own.group.unique()
    n_want = int(round(rec.upgrade_share * len(groups)))
    groups = groups[rng.permutation(len(groups))][: int(round(n_want * 1.15))]
    own = own[own.group.isin(groups)]
    # One candidate per physical site: the area's builder where it is a tenant, else the first own tenant.
    builder = c.builder_at(key, own.x.to_numpy(), own.y.to_numpy())
    pref = (own.operator.to_numpy() == builder).astype(int)
    own = own.assign(_pref=pref).sort_values(["group", "_pref"], ascending=[True, False], kind="stable")
    own = own.drop_duplicates("group")
    n = len(own)
    x, y = _jitter(rng, own.x, own.y, 2.5)
    keep = rng.random(n) < rec.keep_code_share

    return _frame(
        n, site_id=np.where(keep, own.site_id, ""), operator=own.operator.to_numpy(),
        band=c.w.cfg.networks[key].bands[0], site_type="macro", mount=own["mount"].to_numpy(),
        height_m=own.height_m.to_numpy(), eirp_dbm=_eirp(rng, "macro", n), power_supply=own.power_supply.to_numpy(),
        responsible_unit=_branch_units(c, own.operator), x=x, y=y, kind="upgrade",
        loc=[f"G{g}" for g in own.group], case="UPGRADE"), n_want


def _suitable_roofs(c: _Ctx) -> np.ndarray:
    return np.flatnonzero(rooftop_hosts(c.buildings, c.cmap, c.w.cfg.radio))


def _new_macros(c: _Ctx, key: str, rec: Recipe, rings: pd.DataFrame, n_want: int, *, kind="rooftop") -> pd.DataFrame:
    rng, b = c.rng, c.buildings
    if rings.empty or n_want <= 0:
        return _frame(0)
    rings = rings.iloc[rng.permutation(len(rings))[: int(n_want * 2.0) + 5]]
    roofs = _suitable_roofs(c)
    j = _pick_in_rings(rng, rings, b[["x", "y"]].to_numpy()[roofs], prefer_nearest=0.5)
    rural = np.isin(c.cmap.character_at(rings.x.to_numpy(), rings.y.to_numpy()),
                    [CHARACTERS.index("rural"), CHARACTERS.index("port")])
    n = len(rings)
    roof = (j >= 0) & ~rural
    # Rural and port rings, and rings with no roof fit for a macro (a district may have none at all): a ground
    # tower near the ring centre (open spots are checked by the rules).
    x, y = _jitter(rng, rings.x.to_numpy(), rings.y.to_numpy(), 0.5 * rings.ring_radius_m.to_numpy())
    h = tower_heights(rng, np.full(n, "tower"))
    bi = roofs[j[roof]]
    x[roof], y[roof] = _jitter(rng, b.x.to_numpy()[bi], b.y.to_numpy()[bi], 2.0)
    h[roof] = rooftop_heights(rng, b.height_m.to_numpy()[bi])
    tower = ~roof
    ops = c.builder_at(key, x, y)
    return _frame(n, operator=ops, band=c.w.cfg.networks[key].bands[0], site_type="macro",
                  mount=np.where(tower, "tower", "rooftop"), height_m=np.round(h, 1), eirp_dbm=_eirp(rng, "macro", n),
                  responsible_unit=f"中国铁塔{c.branch}分公司", x=x, y=y, kind=kind,
                  loc=[f"N{key}{i}" for i in range(n)], case="")


def _shared_existing(c: _Ctx, key: str, n_want: int) -> pd.DataFrame:
    """New macros of ``key`` at China Tower sites none of whose tenants is one of its operators."""
    rng, ex = c.rng, c.w.existing
    if n_want <= 0:
        return _frame(0)
    own_ops = c.w.own_operators(key)
    tw = ex[(ex.owner == "china_tower") & (ex.site_type == "macro")]
    has_own = tw.groupby("group").operator.agg(lambda s: bool(set(s) & set(own_ops)))
    host = tw[~tw.group.map(has_own)].drop_duplicates("group")
    host = host.iloc[rng.permutation(len(host))][: n_want * 4]
    n = len(host)
    x, y = _jitter(rng, host.x, host.y, 2.5)
    ops = c.builder_at(key, x, y)
    return _frame(n, operator=ops, band=c.w.cfg.networks[key].bands[0], site_type="macro",
                  mount=host["mount"].to_numpy(), height_m=host.height_m.to_numpy(), eirp_dbm=_eirp(rng, "macro", n),
                  responsible_unit=f"中国铁塔{c.branch}分公司", x=x, y=y, kind="shared_existing",
                  loc=[f"G{g}" for g in host.group], case="SHARED_EXISTING")


def _pole_micros(c: _Ctx, key: str, band: str, rings: pd.DataFrame, n_want: int, taken: np.ndarray,
                 ring_used: np.ndarray) -> pd.DataFrame:
    rng, po = c.rng, c.w.poles
    if rings.empty or n_want <= 0:
        return _frame(0)
    rules = c.w.cfg.rules
    ok = po.kind.isin(rules.pole_kinds_for_type.get("micro", [])).to_numpy().copy()
    ok &= po.height_m.to_numpy() >= rules.pole_min_height_m + 1.0
    ok &= ~taken
    cand = np.flatnonzero(ok)
    # Rings no other network uses first (two networks' micros in one small ring would stand too close).
    order = np.lexsort((rng.random(len(rings)), ring_used))[: int(n_want * 1.25) + 5]
    ring_used[order] = True
    rings = rings.iloc[order]
    j = _pick_in_rings(rng, rings, po[["x", "y"]].to_numpy()[cand], prefer_nearest=0.3, k=8)
    j = j[(j >= 0) & first_unique(j, j >= 0)]
    pi = cand[j]
    taken[pi] = True
    return _pole_frame(c, key, band, pi, kind="micro", loc=[f"P{i}" for i in pi])


def _pole_frame(c: _Ctx, key: str, band: str, pi: np.ndarray, *, kind: str, loc, case: str = "",
                partner="") -> pd.DataFrame:
    rng, po = c.rng, c.w.poles
    n = len(pi)
    x, y = _jitter(rng, po.x.to_numpy()[pi], po.y.to_numpy()[pi], 1.5)
    pk = po.kind.to_numpy()[pi]
    mount = np.select([pk == "street_lamp", pk == "monitoring"], ["street_lamp", "monitoring_pole"], "smart_pole")
    ops = c.builder_at(key, x, y)
    return _frame(n, operator=ops, band=band, site_type="micro", mount=mount, height_m=po.height_m.to_numpy()[pi],
                  pole_id=po.pole_id.to_numpy()[pi], eirp_dbm=_eirp(rng, "micro", n),
                  responsible_unit=[c.poles_owner.get(k, "") for k in pk], x=x, y=y, kind=kind, loc=loc, case=case,
                  partner=partner)


def _inside_building(c: _Ctx, bi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A point 25-40 % of the length from the centre of each building, along its long side (indoor systems)."""
    rng, b = c.rng, c.buildings
    n = len(bi)
    t = rng.uniform(0.25, 0.4, n) * np.where(rng.random(n) < 0.5, 1.0, -1.0) * b.L.to_numpy()[bi]
    return b.x.to_numpy()[bi] + t * np.cos(c.theta), b.y.to_numpy()[bi] + t * np.sin(c.theta)


def _indoor(c: _Ctx, key: str, band: str, rings: pd.DataFrame, n_want: int, used: np.ndarray, *, kind="indoor",
            loc=None, case="", partner="") -> pd.DataFrame:
    rng, b = c.rng, c.buildings
    if rings.empty or n_want <= 0:
        return _frame(0)
    rings = rings.iloc[rng.permutation(len(rings))[: int(n_want * 3) + 3]]
    cand = np.flatnonzero(~used & (b.floors.to_numpy() >= 3) & (b.L.to_numpy() >= 40.0))
    j = _pick_in_rings(rng, rings, b[["x", "y"]].to_numpy()[cand], prefer_nearest=1.0, k=3)
    j = j[(j >= 0) & first_unique(j, j >= 0)]
    bi = cand[j]
    x, y = _inside_building(c, bi)
    n = len(bi)
    ops = c.builder_at(key, x, y)

    return _frame(n, operator=ops, band=band, site_type="indoor", mount="indoor",
                  height_m=np.round(indoor_heights(rng, n), 1), eirp_dbm=_eirp(rng, "indoor", n),
                  responsible_unit=_branch_units(c, ops),
                  x=x, y=y, kind=kind, loc=loc if loc is not None else [f"B{i}" for i in bi], case=case,
                  partner=partner)


def _pairs(a: pd.DataFrame, b: pd.DataFrame, tag: str) -> pd.DataFrame:
    """Two networks' candidates at one new location: same location key, each naming the other's."""
    n = min(len(a), len(b))
    a, b = a.iloc[:n].copy(), b.iloc[:n].copy()
    keys = [f"S{tag}{i}" for i in range(n)]
    a["loc"], b["loc"] = keys, keys
    a["case"] = b["case"] = "SHARED_NEW"
    a["partner"], b["partner"] = [f"{k}:b" for k in keys], [f"{k}:a" for k in keys]
    a["kind"] = b["kind"] = "shared_new"
    return pd.concat([a, b], ignore_index=True)


def _shared_new(c: _Ctx, nets: tuple[str, str], rings_new, rings_micro, rings_indoor, n_pairs: dict[str, int],
                taken_poles, used_b) -> pd.DataFrame:
    rng, b, po = c.rng, c.buildings, c.w.poles
    k1, k2 = nets
    n1, n2 = c.w.cfg.networks[k1], c.w.cfg.networks[k2]
    out = []
    # Rooftops in new rings (both on one roof, 0-3 m apart).
    m = n_pairs.get("rooftop", 0)
    if m and not rings_new.empty:
        r = rings_new.iloc[rng.permutation(len(rings_new))[: m * 6]]
        roofs = _suitable_roofs(c)
        roofs = roofs[~used_b[roofs]]
        j = _pick_in_rings(rng, r, b[["x", "y"]].to_numpy()[roofs], prefer_nearest=0.5)
        j = j[(j >= 0) & first_unique(j, j >= 0)]
        bi = roofs[j]
        used_b[bi] = True
        hx, hy = b.x.to_numpy()[bi], b.y.to_numpy()[bi]
        h = rooftop_heights(rng, b.height_m.to_numpy()[bi])
        fr = []
        for k, net in ((k1, n1), (k2, n2)):
            x, y = _jitter(rng, hx, hy, 1.4)
            ops = c.builder_at(k, x, y)
            fr.append(_frame(len(bi), operator=ops, band=net.bands[0], site_type="macro", mount="rooftop",
                             height_m=np.round(h, 1), eirp_dbm=_eirp(rng, "macro", len(bi)),
                             responsible_unit=f"中国铁塔{c.branch}分公司", x=x, y=y, kind="shared_new", loc="", case=""))
        out.append(_pairs(*fr, "R"))
    # Smart poles (kind "other"): two networks' micro units on one pole.
    m = n_pairs.get("smart_pole", 0)
    smart = np.flatnonzero((po.kind.to_numpy() == "other") & ~taken_poles)
    if m and len(smart):
        pi = smart[rng.permutation(len(smart))]
        taken_poles[pi] = True
        a = _pole_frame(c, k1, n1.bands[0], pi, kind="shared_new", loc="")
        bb = _pole_frame(c, k2, n2.bands[0], pi, kind="shared_new", loc="")
        out.append(_pairs(a, bb, "P"))
    # Indoor systems of both networks in one building.
    m = n_pairs.get("indoor", 0)
    if m and not rings_indoor.empty:
        a = _indoor(c, k1, n1.bands[-1], rings_indoor, m * 3, used_b)
        bi_x, bi_y = a.x.to_numpy(), a.y.to_numpy()
        bb = a.copy()
        bx, by = _jitter(rng, bi_x, bi_y, 1.4)
        ops = c.builder_at(k2, bx, by)

        bb = bb.assign(operator=ops, band=n2.bands[-1], x=bx, y=by,
                       responsible_unit=_branch_units(c, ops))
        out.append(_pairs(a, bb, "I"))
    return pd.concat(out, ignore_index=True) if out else _frame(0)


def _deconflict(w: RuleWorld, df: pd.DataFrame, margin: float) -> np.ndarray:
    """Keep-mask: of two candidates within the duplicate distance plus twice the margin, the later goes unless
    they are of different networks at one intended shared location; a shared pair loses both members together."""
    if len(df) < 2:
        return np.ones(len(df), bool)
    net = w.network_of(df.operator.to_numpy(dtype=object), df.band.to_numpy(dtype=object))
    loc = df["loc"].to_numpy(dtype=object)
    pairs = cKDTree(df[["x", "y"]].to_numpy()).query_pairs(w.cfg.rules.duplicate_distance_m + 2 * margin,
                                                           output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    return _whole_pairs(df, drop_later(len(df), pairs[(net[i] == net[j]) | (loc[i] != loc[j])]))


def _whole_pairs(df: pd.DataFrame, keep: np.ndarray) -> np.ndarray:
    shared = (df.case == "SHARED_NEW").to_numpy()
    if shared.any():
        alive = pd.Series(keep[shared]).groupby(df["loc"].to_numpy()[shared]).transform("all").to_numpy()
        keep = keep.copy()
        keep[np.flatnonzero(shared)] = alive
    return keep


def make_candidates(
    rng: np.random.Generator,
    w: RuleWorld,
    cmap: CharacterMap,
    buildings: pd.DataFrame,
    theta: float,
    builder_at,
    *,
    recipes: dict[str, Recipe] | None = None,
    shared_new: dict[str, int] | None = None,
    shared_nets: tuple[str, str] | None = None,
    branch: str = "",
    poles_owner: dict | None = None,
) -> tuple[pd.DataFrame, Reading]:
    """Clean candidates of every network of ``w.cfg.networks``.

    Parameters
    ----------
    builder_at : callable
        ``(network key, x, y) -> operator keys`` (arrays) of the operator that builds new sites there.
    recipes : dict, optional
        Network key -> :class:`Recipe`; default :func:`recipe_for`.
    shared_new : dict, optional
        Pairs at new shared locations by kind (``rooftop``, ``smart_pole``, ``indoor``); default from
        :data:`SHARED_NEW_RATE`.
    shared_nets : (str, str), optional
        The two networks of the shared new pairs; default the first two networks.
    branch : str
        City of the operators' branches in responsible units (``"天津"`` -> 中国移动天津分公司).

    Returns
    -------
    candidates : DataFrame
        ``site_id`` ("" where a new id is due), canonical columns, ``x, y``, ``kind`` (build group), ``loc``
        (location key: equal for candidates meant to share a location), ``case`` (UPGRADE, SHARED_EXISTING,
        SHARED_NEW or ""), ``partner``.
    reading : Reading
        :func:`read_rules` of the result at margin 0.
    """
    nets = w.cfg.networks
    c = _Ctx(rng, w, cmap, buildings, theta, builder_at, branch, poles_owner or {})
    rec = {k: (recipes or {}).get(k) or recipe_for(k, n) for k, n in nets.items()}
    plan = w.plan
    rings_new = plan[(plan.site_type == "macro") & (plan.status == "new")]
    rings_micro = plan[plan.site_type == "micro"]
    rings_indoor = plan[plan.site_type == "indoor"]
    taken_poles = np.zeros(len(w.poles), bool)
    ring_used = np.zeros(len(rings_micro), bool)
    used_b = np.zeros(len(buildings), bool)
    parts: list[tuple[pd.DataFrame, int]] = []
    for k in nets:
        parts.append(_upgrades(c, k, rec[k]))
    for k in nets:
        n_roof = rec[k].counts.get("rooftop", int(round(rec[k].rooftop_per_ring * len(rings_new))))
        n_shared = int(round(SHARED_EXISTING_SHARE * n_roof))
        parts.append((_shared_existing(c, k, n_shared), n_shared))
        parts.append((_new_macros(c, k, rec[k], rings_new, n_roof - n_shared), n_roof - n_shared))
    pair_nets = shared_nets or tuple(list(nets)[:2])
    if len(pair_nets) == 2:
        want = shared_new if shared_new is not None else {
            "rooftop": int(round(SHARED_NEW_RATE["rooftop"] * len(rings_new) / 100)),
            "smart_pole": int(round(SHARED_NEW_RATE["smart_pole"] * len(rings_micro) / 100)),
            "indoor": int(round(SHARED_NEW_RATE["indoor"] * len(rings_indoor) / 100)),
        }
        sn = _shared_new(c, pair_nets, rings_new, rings_micro, rings_indoor, want, taken_poles, used_b)
        parts.append((sn, 2 * sum(want.values())))
    for k in nets:
        for band, rate in rec[k].micro_per_point.items():
            n = rec[k].counts.get(f"micro:{band}", int(round(rate * len(rings_micro))))
            parts.append((_pole_micros(c, k, band, rings_micro, n, taken_poles, ring_used), n))
        for band, rate in rec[k].indoor_per_point.items():
            n = rec[k].counts.get(f"indoor:{band}", int(round(rate * len(rings_indoor))))
            parts.append((_indoor(c, k, band, rings_indoor, n, used_b), n))
    frames = []
    for df, n in parts:
        if df.empty:
            continue
        df = df.reset_index(drop=True)
        tmp = df.assign(site_id=np.where(df.site_id != "", df.site_id, [f"tmp{i}" for i in range(len(df))]))
        rd = read_rules(w, tmp, CLEAN_MARGIN_M)
        ok = ~rd.failing()
        # An upgrade must be one; a shared-existing candidate must be at another operator's site.
        ok &= np.where(df.kind == "upgrade", rd.build_kind == "co_site_upgrade", True)
        ok &= np.where(df.kind == "shared_existing", rd.build_kind == "existing_site", True)
        ok = _whole_pairs(df, ok)
        df = df[ok]
        frames.append((df, n))
    allc = pd.concat([f for f, _ in frames], ignore_index=True)
    keep = _deconflict(w, allc, CLEAN_MARGIN_M)
    # Trim each part to its wanted size (pairs count both members), in order.
    start, trim = 0, np.zeros(len(allc), bool)
    for f, n in frames:
        idx = np.arange(start, start + len(f))
        alive = idx[keep[idx]]
        if (f.case == "SHARED_NEW").all() and len(f):
            locs = allc["loc"].to_numpy()[alive]
            first = pd.unique(locs)[: n // 2]
            trim[alive[np.isin(locs, first)]] = True
        else:
            trim[alive[:n]] = True
        start += len(f)
    allc = allc[trim].reset_index(drop=True)
    allc["height_m"] = fit_heights(allc.height_m, allc.site_type, w.cfg.radio)
    return allc, read_rules(w, allc.assign(site_id=np.where(allc.site_id != "", allc.site_id,
                                                             [f"tmp{i}" for i in range(len(allc))])), 0.0)


def finish_ids(rng, cands: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Shuffle, and give every candidate without one a new id ``<prefix>5G-<OP>-<nnnnn>``, numbered per operator;
    partners named by location key become ids."""
    c = cands.iloc[rng.permutation(len(cands))].reset_index(drop=True)
    num = c.groupby("operator").cumcount() + 1
    new = f"{prefix}5G-" + c.operator.map(OP_CODE) + "-" + num.map("{:05d}".format)
    c["site_id"] = np.where(c.site_id != "", c.site_id, new)
    shared = c.case == "SHARED_NEW"
    if shared.any():
        by_loc = c[shared].groupby("loc").site_id.agg(list)
        c.loc[shared, "partner"] = [next(s for s in by_loc[l] if s != me) for l, me in
                                    zip(c.loc[shared, "loc"], c.loc[shared, "site_id"], strict=True)]
    return c
