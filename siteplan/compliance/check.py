"""The compliance check: every candidate against the layout plan, with reuse matching and attribution.

:func:`check_arrays` is the pure array core (rules of :mod:`.rules` over :class:`~.rules.CheckInputs`);
:func:`check_candidates` is the thin GeoDataFrame adapter a pipeline step or a notebook calls.

Status is the worst effect among a candidate's reasons (``non_compliant`` > ``conditional`` > ``compliant``);
``reasons`` lists every code that applies in the fixed order of :data:`~.reasons.REASONS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import RulesConfig
from ..errors import RadioConfigError
from .attribution import attribute_subdistricts, needs_direct_supply
from ..costs import site_costs
from ..networks import networks_of, site_networks
from .reasons import EFFECT_RANK, REASON_CODES, REASONS, STATUSES
from .rules import POLE_MOUNTS, RULES, CheckInputs, Rule, own_site_match
from .sharing import match_reuse, physical_hosts

__all__ = [
    "CHECK_COLUMNS",
    "CheckResult",
    "band_freq_mhz",
    "build_kinds",
    "check_arrays",
    "check_candidates",
    "inputs_from_district",
    "traffic_eirp_dbm",
]

#: Columns the check adds to the candidates (docs/architecture.md).
CHECK_COLUMNS = (
    "network", "subdistrict_code", "subdistrict", "status", "reasons", "reasons_zh", "reasons_en", "reuse_kind",
    "reuse_id", "reuse_distance_m", "upgrade_of", "free_access", "new_build", "emf_distance_m",
    "needs_direct_supply", "build_kind", "host_id", "host_operators", "host_networks", "shared", "capex_cny",
    "opex_cny_per_year", "tco_cny",
)


@dataclass
class CheckResult:
    """Array result of :func:`check_arrays`: ``masks`` (n x rules, bool, columns in ``codes`` order),
    ``status``, ``reasons``, ``reasons_zh``, ``reasons_en`` (object arrays) and per-rule ``details``."""

    codes: tuple[str, ...]
    masks: np.ndarray
    status: np.ndarray
    reasons: np.ndarray
    reasons_zh: np.ndarray
    reasons_en: np.ndarray
    details: dict


def check_arrays(inp: CheckInputs, rules: RulesConfig, registry: list[Rule] | None = None) -> CheckResult:
    """Run every rule of ``registry`` (default :data:`~.rules.RULES`) and combine the masks into statuses.

    Reason texts are built once per distinct combination of reasons (a few dozen), not per candidate.
    """
    registry = RULES if registry is None else registry
    n = inp.n
    details: dict = {}
    masks = np.zeros((n, len(registry)), dtype=bool)
    for j, rule in enumerate(registry):
        masks[:, j] = np.asarray(rule.func(inp, rules, details), dtype=bool)
    codes = tuple(r.code for r in registry)
    rank = np.array([EFFECT_RANK[REASONS[c].effect] for c in codes], dtype=np.int8)
    worst = (masks * rank).max(axis=1) if len(codes) and n else np.zeros(n, dtype=np.int8)
    status = np.asarray(STATUSES, dtype=object)[worst]
    weights = np.left_shift(np.int64(1), np.arange(len(codes), dtype=np.int64))
    bits = masks.astype(np.int64) @ weights if n else np.zeros(0, np.int64)
    combos, inv = np.unique(bits, return_inverse=True)
    texts = {"code": [], "zh": [], "en": []}
    for b in combos:  # distinct reason combinations only
        on = [c for k, c in enumerate(codes) if (int(b) >> k) & 1]
        texts["code"].append(";".join(on))
        texts["zh"].append("; ".join(REASONS[c].zh for c in on))
        texts["en"].append("; ".join(REASONS[c].en for c in on))
    pick = {k: np.asarray(v, dtype=object)[inv] if n else np.empty(0, dtype=object) for k, v in texts.items()}
    return CheckResult(codes, masks, status, pick["code"], pick["zh"], pick["en"], details)


def band_freq_mhz(band: np.ndarray, site_id: np.ndarray | None = None) -> np.ndarray:
    """Carrier frequency [MHz] of each band name (siteplan.radio.linkbudget.BANDS); unknown band -> RadioConfigError."""
    from ..radio.linkbudget import BANDS

    s = pd.Series(np.asarray(band, dtype=object))
    f = s.map({k: b.freq_mhz for k, b in BANDS.items()}).astype(float)
    bad = np.flatnonzero(f.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        who = f"candidate {site_id[i]!r}" if site_id is not None else f"candidate #{i}"
        raise RadioConfigError(
            f"{who}: band {s.iloc[i]!r} is unknown; expected one of {', '.join(BANDS)}"
        )
    return f.to_numpy()


def traffic_eirp_dbm(candidates, radio, power_factor: float = 1.0) -> np.ndarray | None:
    """EIRP [dBm] of each candidate's traffic beam for the EMF distance: its ``eirp_dbm`` (total power + SS/PBCH
    beam gain - cable loss) plus its preset's traffic-beam gain over the SS/PBCH beam gain (64T64R: ~7 dB); for such
    a beamforming site, times ``power_factor`` (``rules.emf_power_factor``, the time-averaged actual maximum)."""
    if "eirp_dbm" not in candidates:
        return None
    eirp = candidates["eirp_dbm"].astype(float).to_numpy()
    if not len(candidates):
        return eirp
    pairs = list(zip(candidates["site_type"].astype(str), candidates["band"].astype(str)))
    table = {k: radio.preset(*k) for k in dict.fromkeys(pairs) if k[0] in radio.site_types}
    gain = np.array([table[k].traffic_gain_dbi - table[k].antenna_gain_dbi if k in table else 0.0 for k in pairs])
    return eirp + gain + np.where(gain > 0.0, 10.0 * np.log10(power_factor), 0.0)


def inputs_from_district(district) -> CheckInputs:
    """Extract the arrays the rules need from a :class:`~siteplan.io.District` (working CRS)."""
    L = district.layers
    nets = networks_of(district.config)
    c = L["candidates"]
    xy = shapely.get_coordinates(c.geometry.values) if len(c) else np.empty((0, 2))
    site_id = c["site_id"].astype(str).to_numpy(dtype=object)
    ex, po, ps, zo, ho = L["existing_sites"], L["poles"], L["plan_sites"], L["plan_zones"], L["hotspots"]
    exy = shapely.get_coordinates(ex.geometry.values) if len(ex) else np.empty((0, 2))
    pxy = shapely.get_coordinates(po.geometry.values) if len(po) else np.empty((0, 2))
    sxy = shapely.get_coordinates(ps.geometry.values) if len(ps) else np.empty((0, 2))
    text = lambda df, col: df[col].astype(object).to_numpy(dtype=object) if col in df else None
    num = lambda df, col: df[col].astype(float).to_numpy() if col in df else None
    return CheckInputs(
        x=xy[:, 0], y=xy[:, 1], site_id=site_id,
        site_type=text(c, "site_type"), operator=text(c, "operator"), band=text(c, "band"), mount=text(c, "mount"),
        pole_id=text(c, "pole_id"), eirp_dbm=traffic_eirp_dbm(c, district.config.radio, district.config.rules.emf_power_factor),
        freq_mhz=band_freq_mhz(text(c, "band"), site_id) if len(c) else np.empty(0),
        boundary=district.boundary,
        network=site_networks(c["operator"].to_numpy(dtype=object), c["band"].to_numpy(dtype=object), nets),
        exist_network=site_networks(ex["operator"].to_numpy(dtype=object), ex["band"].to_numpy(dtype=object), nets),
        own_pairs=frozenset(f"{k}|{op}" for k, n in nets.items() for op in n.operators),
        zone_geoms=zo.geometry.values, zone_category=text(zo, "category"),
        plan_x=sxy[:, 0], plan_y=sxy[:, 1], plan_type=text(ps, "site_type"), plan_radius_m=num(ps, "ring_radius_m"),
        exist_x=exy[:, 0], exist_y=exy[:, 1], exist_operator=text(ex, "operator"), exist_band=text(ex, "band"),
        exist_site_id=text(ex, "site_id"),
        pole_x=pxy[:, 0], pole_y=pxy[:, 1], pole_ids=text(po, "pole_id"), pole_kind=text(po, "kind"),
        pole_height_m=num(po, "height_m"),
        hotspot_geoms=ho.geometry.values, hotspot_receptor=text(ho, "receptor"),
    )


def build_kinds(reuse_kind: np.ndarray, mount: np.ndarray, site_type: np.ndarray,
                free_access: np.ndarray, upgrade: np.ndarray | None = None) -> np.ndarray:
    """The cost class of each candidate, first that applies: upgrade of its own network's existing site ->
    ``co_site_upgrade``; another operator's existing site -> ``existing_site`` (sharing); pole reuse or pole mount
    -> ``pole``; free-access public facility -> ``public_facility``; indoor -> ``indoor``; tower mount -> ``tower``;
    else ``rooftop``."""
    rk = np.asarray(reuse_kind, dtype=object)
    mt = np.asarray(mount, dtype=object)
    st = np.asarray(site_type, dtype=object)
    up = np.zeros(len(rk), dtype=bool) if upgrade is None else np.asarray(upgrade, dtype=bool)
    return np.select(
        [up,
         rk == "existing_site",
         np.isin(rk, ["street_lamp", "monitoring"]) | np.isin(mt, POLE_MOUNTS),
         np.asarray(free_access, bool),
         (st == "indoor") | (mt == "indoor"),
         mt == "tower"],
        ["co_site_upgrade", "existing_site", "pole", "public_facility", "indoor", "tower"],
        default="rooftop",
    ).astype(object)


def check_candidates(district, registry: list[Rule] | None = None) -> gpd.GeoDataFrame:
    """Check every candidate of a district against its layout plan; match reuse; attribute sub-districts.

    Returns
    -------
    GeoDataFrame
        The candidates (working CRS, input order) with the district columns plus :data:`CHECK_COLUMNS`.
        ``subdistrict`` comes from the spatial join and replaces any sub-district column the file carried.
    """
    cfg = district.config
    rules = cfg.rules
    inp = inputs_from_district(district)
    res = check_arrays(inp, rules, registry)
    L = district.layers
    ex, fa, sd = L["existing_sites"], L["public_facilities"], L["subdistricts"]
    exy = shapely.get_coordinates(ex.geometry.values) if len(ex) else np.empty((0, 2))
    reuse = match_reuse(
        inp.x, inp.y, inp.site_type, rules,
        existing_xy=exy if len(ex) else None,
        existing_ids=ex["site_id"].to_numpy(dtype=object),
        pole_xy=np.column_stack([inp.pole_x, inp.pole_y]), pole_ids=inp.pole_ids, pole_kind=inp.pole_kind,
        facility_geoms=fa.geometry.values, facility_ids=fa["facility_id"].to_numpy(dtype=object),
        facility_free=fa["free_access"].to_numpy(dtype=bool), stand_on_m=rules.co_location_m,
    )
    # An own-network existing site within reach is the site this candidate upgrades, whatever else is nearer.
    own, own_d = own_site_match(inp, rules)
    upgrade = own >= 0
    ex_ids = ex["site_id"].to_numpy(dtype=object)
    reuse.kind[upgrade] = "existing_site"
    reuse.asset_id[upgrade] = ex_ids[own[upgrade]]
    reuse.distance_m[upgrade] = own_d[upgrade]
    if "OUTSIDE_DISTRICT" in res.codes:
        inside = ~res.masks[:, res.codes.index("OUTSIDE_DISTRICT")]
    else:
        inside = shapely.intersects_xy(district.boundary, inp.x, inp.y)
    sub_code, sub_name = attribute_subdistricts(
        inp.x, inp.y, sd.geometry.values, sd["code"].to_numpy(dtype=object), sd["name"].to_numpy(dtype=object),
        inside,
    )
    hosts = physical_hosts(
        inp.x, inp.y, inp.site_id, inp.operator, inp.network, reuse.kind, reuse.asset_id, rules.co_location_m,
        existing_ids=ex_ids, existing_operator=ex["operator"].to_numpy(dtype=object),
        existing_tower_id=ex["tower_site_id"].to_numpy(dtype=object) if "tower_site_id" in ex else None,
    )
    c = L["candidates"]
    build_kind = build_kinds(reuse.kind, inp.mount, inp.site_type, reuse.free_access, upgrade)
    # The operator joins the site's existing tenants unless it is already one of them (its own upgrade).
    tenants = hosts.operators + np.where(hosts.operator_present, 0, 1)
    money = site_costs(build_kind, inp.site_type, inp.band, c["power_supply"].to_numpy(dtype=object),
                       tenants=tenants, costs=cfg.costs, conditional=res.status == "conditional")
    out = gpd.GeoDataFrame(c.copy(), geometry=c.geometry.name, crs=c.crs)
    emf = res.details.get("emf_distance_m", np.full(inp.n, np.nan))
    cols = {
        "network": inp.network,
        "subdistrict_code": sub_code,
        "subdistrict": sub_name,
        "status": res.status,
        "reasons": res.reasons,
        "reasons_zh": res.reasons_zh,
        "reasons_en": res.reasons_en,
        "reuse_kind": reuse.kind,
        "reuse_id": reuse.asset_id,
        "reuse_distance_m": np.round(reuse.distance_m, 2),
        "upgrade_of": np.where(upgrade, reuse.asset_id, "").astype(object),
        "free_access": reuse.free_access,
        "new_build": reuse.new_build,
        "emf_distance_m": np.round(emf, 2),
        "needs_direct_supply": needs_direct_supply(c["power_supply"].to_numpy(dtype=object), res.status),
        "build_kind": build_kind,
        "host_id": hosts.host_id,
        "host_operators": tenants,
        "host_networks": hosts.networks,
        "shared": (tenants >= 2) | (hosts.networks >= 2),
        "capex_cny": np.round(money["capex_cny"], 0),
        "opex_cny_per_year": np.round(money["opex_cny_per_year"], 0),
        "tco_cny": np.round(money["tco_cny"], 0),
    }
    for k, v in cols.items():
        out[k] = pd.Series(v, index=out.index, dtype=object if np.asarray(v).dtype == object else None)
    return out


# Keep the documented order of reasons and the rule registry in step.
assert set(REASON_CODES) == set(REASONS)
