"""The compliance check on a small hand-built projected district (EPSG:4548) where every reason code occurs.

Networks as in Hedong: ctcu = China Telecom + China Unicom shared n78; cm = China Mobile n41/n79. An operator's
own-network existing site within 30 m is upgraded (co-site), another network's is shared; two networks at one
new spot are one shared site; spacing to an own site is a warning.

Layout (metres from X0, Y0): the district is the square 0-2000 x 0-2000; sub-district A is x < 1000, B is
x >= 1000 up to y = 1900 (a sliver at the top right is in no sub-district). Every candidate's status and reasons
are asserted exactly; the comments give the distances that decide each case.
"""

from __future__ import annotations

import dataclasses
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from shapely.geometry import Point, box

from siteplan.compliance import check_candidates
from siteplan.compliance.reasons import REASON_CODES, REASONS
from siteplan.config import DistrictConfig, DistrictInfo, NetworkConfig, RadioConfig, RulesConfig

NETWORKS = {
    "ctcu": NetworkConfig(name="CT+CU", operators=("china_telecom", "china_unicom"), bands=("n78",)),
    "cm": NetworkConfig(name="CM", operators=("china_mobile",), bands=("n41", "n79")),
    "cbn": NetworkConfig(name="CBN", operators=("china_broadnet", "china_mobile"), bands=("n28",),
                         available_from="2022-06"),
}
from siteplan.io import District, empty_layer
from siteplan.io.schema import SCHEMAS

CRS = "EPSG:4548"
X0, Y0 = 520_000.0, 4_330_000.0


def _gdf(name: str, rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    """A layer with the canonical columns (defaults filled), geometries shifted to (X0, Y0)."""
    schema = SCHEMAS[name]
    if not rows:
        return empty_layer(name, CRS)
    df = pd.DataFrame(rows)
    for col, default in schema.optional.items():
        if col not in df:
            df[col] = default
    geoms = [shapely.affinity.translate(g, X0, Y0) for g in geoms]
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


#: Candidates: (site_id, x, y, site_type, operator, band, mount, pole_id, power_supply, eirp_dbm or None)
CANDIDATES = [
    # compliant macro in ring PM1, 20 m from the free public facility F1 -> reuse public_facility, free access
    ("C01", 480, 430, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    # 100 m east of the boundary; no ring there either
    ("C02", 2100, 500, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    # in prohibited zone P1, at the centre of ring PM3
    ("C03", 200, 1600, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    # in restricted zone R1, at the centre of ring PM2
    ("C04", 1600, 1650, "macro", "china_unicom", "n78", "tower", "", "direct", None),
    # in no ring (PM1 is 707 m away); transferred supply but non_compliant -> no retrofit
    ("C05", 1000, 1000, "macro", "china_unicom", "n78", "rooftop", "", "transferred", None),
    # macro 20 m from the centre of the micro ring PU1 (and in no macro ring)
    ("C06", 1500, 520, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    # 40 m from its own network's existing site E1 (CT, n78): not an upgrade (> 30 m), < 150 m macro spacing: warning
    ("C07", 500, 600, "macro", "china_telecom", "n78", "rooftop", "", "direct", None),
    # China Telecom holds no n41: no network
    ("C08", 500, 620, "macro", "china_telecom", "n41", "rooftop", "", "direct", None),
    # the same code twice: both flagged
    ("D1", 560, 350, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    ("D1", 600, 420, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    # 2.2 m apart: the larger id (N2) is flagged, N1 kept
    ("N1", 660, 420, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    ("N2", 662, 421, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    # micro on lamp pole L1 (10 m high, 2 m away): suitable; reuses L1
    ("C13", 1500, 452, "micro", "china_telecom", "n78", "street_lamp", "L1", "direct", None),
    # micro on a lamp pole, no pole id: nearest pole L2 (2 m) is 4 m high < 6 m
    ("C14", 1452, 500, "micro", "china_telecom", "n78", "street_lamp", "", "direct", None),
    # names pole "NOPE", which is not in the inventory
    ("C15", 1400, 500, "micro", "china_telecom", "n78", "monitoring_pole", "NOPE", "direct", None),
    # macro on monitoring pole M2: no pole kind is usable by a macro; 40 m from F1 (free) -> build_kind pole
    ("C16", 401, 500, "macro", "china_unicom", "n78", "monitoring_pole", "M2", "direct", None),
    # names L1, but L1 is 30 m away > 10 m match distance: no pole found
    ("C17", 1500, 480, "micro", "china_telecom", "n78", "street_lamp", "L1", "direct", None),
    # micro on monitoring pole M1 (8 m, 1 m away), no id given: suitable
    ("C18", 1551, 520, "micro", "china_telecom", "n78", "monitoring_pole", "", "transferred", None),
    # macro (68 dBm) 60 m from school H1 < 73.3 m compliance distance
    ("C19", 620, 500, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    # micro (49 dBm, 8.2 m) 5 m from hospital polygon H2
    ("C20", 1450, 600, "micro", "china_telecom", "n78", "", "", "direct", None),
    # micro on a lamp pole in prohibited zone P1, no pole within 10 m
    ("C22", 150, 1550, "micro", "china_telecom", "n78", "street_lamp", "", "direct", None),
    # in restricted zone R1 and 50 m from kindergarten H4 (< 73.3 m): two conditional reasons
    ("C23", 1700, 1700, "macro", "china_unicom", "n78", "rooftop", "", "transferred", None),
    # in R1 but 236 m from PM2 (ring 150 m): conditional + non_compliant -> non_compliant
    ("C24", 1790, 1790, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    # indoor in the micro ring PU1 (indoor may fill micro), transferred supply -> retrofit
    ("C25", 1600, 450, "indoor", "china_mobile", "n79", "indoor", "", "transferred", None),
    # China Telecom micro 11 m from E2 (China Mobile): another network's site -> shared (existing_site)
    ("C27", 1510, 565, "micro", "china_telecom", "n78", "", "", "unknown", None),
    # China Mobile micro 20 m from its own E2: a co-site upgrade, never "too close"
    ("C28", 1520, 560, "micro", "china_mobile", "n41", "", "", "direct", None),
    # inside the district in the sliver no sub-district covers -> nearest sub-district B; in no ring
    ("C29", 1200, 1950, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    # macro with EIRP 50 dBm (9.2 m) 40 m from school H1: no EMF finding
    ("C30", 620, 520, "macro", "china_unicom", "n78", "rooftop", "", "direct", 50.0),
    # two networks at one new spot 1 m apart (in ring PM1, 206 m from E1): one shared site, both compliant
    ("S1", 600, 380, "macro", "china_mobile", "n41", "rooftop", "", "direct", None),
    ("S2", 601, 380, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    # China Unicom at China Telecom's E1 (7 m), keeping E1's code: the shared RAN upgrades its own site
    ("E1", 505, 565, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
    # China Mobile at E1 (7 m): another network's site, shared
    ("X1", 495, 555, "macro", "china_mobile", "n41", "rooftop", "", "direct", None),
    # carries E2's code 1 km from E2 (and 64 m from E1, its own network's site): id clash + spacing warning
    ("E2", 450, 520, "macro", "china_telecom", "n78", "rooftop", "", "direct", None),
    # the same network twice at one spot: N1/N2 above are one network; here CU and CT (both ctcu) 3 m apart
    ("T1", 520, 330, "macro", "china_telecom", "n78", "rooftop", "", "direct", None),
    ("T2", 523, 330, "macro", "china_unicom", "n78", "rooftop", "", "direct", None),
]

#: Expected (status, reasons) per row of CANDIDATES.
EXPECTED = {
    0: ("compliant", "TOO_CLOSE_TO_EXISTING"),  # 130 m from E1, the shared RAN's own site: a warning only
    1: ("non_compliant", "OUTSIDE_DISTRICT;NOT_IN_PLAN"),
    2: ("non_compliant", "IN_PROHIBITED_ZONE"),
    3: ("conditional", "IN_RESTRICTED_ZONE"),
    4: ("non_compliant", "NOT_IN_PLAN"),
    5: ("non_compliant", "PLAN_TYPE_MISMATCH"),
    6: ("compliant", "TOO_CLOSE_TO_EXISTING"),
    7: ("non_compliant", "NO_NETWORK"),
    8: ("non_compliant", "DUPLICATE"),
    9: ("non_compliant", "DUPLICATE"),
    10: ("compliant", ""),
    11: ("non_compliant", "DUPLICATE"),
    12: ("compliant", ""),
    13: ("non_compliant", "POLE_UNSUITABLE"),
    14: ("non_compliant", "POLE_UNSUITABLE"),
    15: ("non_compliant", "TOO_CLOSE_TO_EXISTING;POLE_UNSUITABLE"),
    16: ("non_compliant", "POLE_UNSUITABLE"),
    17: ("compliant", ""),
    18: ("conditional", "TOO_CLOSE_TO_EXISTING;EMF_SENSITIVE_RECEPTOR"),
    19: ("conditional", "EMF_SENSITIVE_RECEPTOR"),
    20: ("non_compliant", "IN_PROHIBITED_ZONE;POLE_UNSUITABLE"),
    21: ("conditional", "IN_RESTRICTED_ZONE;EMF_SENSITIVE_RECEPTOR"),
    22: ("non_compliant", "IN_RESTRICTED_ZONE;NOT_IN_PLAN"),
    23: ("compliant", ""),
    24: ("compliant", ""),
    25: ("compliant", ""),
    26: ("non_compliant", "NOT_IN_PLAN"),
    27: ("compliant", "TOO_CLOSE_TO_EXISTING"),
    28: ("compliant", ""),
    29: ("compliant", ""),
    30: ("compliant", ""),
    31: ("compliant", ""),
    32: ("non_compliant", "TOO_CLOSE_TO_EXISTING;DUPLICATE"),
    33: ("compliant", ""),
    34: ("non_compliant", "DUPLICATE"),
}


def toy_district(candidates=CANDIDATES, rules: RulesConfig | None = None, radio: RadioConfig | None = None) -> District:
    """The hand-built district; ``candidates`` rows as in :data:`CANDIDATES`. Its presets have no separate traffic
    beam (passive antennas), so the EMF distance is that of the stated EIRP, unless ``radio`` says otherwise."""
    from siteplan.config import _default_site_types

    presets = {k: dataclasses.replace(p, traffic_beam_gain_dbi=None) for k, p in _default_site_types().items()}
    radio = radio or RadioConfig(site_types=presets)
    eirp_default = {k: p.total_power_dbm + p.antenna_gain_dbi - p.cable_loss_db for k, p in presets.items()}
    cfg = DistrictConfig(district=DistrictInfo(name="toy", name_zh="测试区", working_crs=CRS, sample=True),
                         targets=(), layers={}, rules=rules or RulesConfig(), networks=NETWORKS, radio=radio)
    layers = {name: empty_layer(name, CRS) for name in SCHEMAS}
    layers["boundary"] = _gdf("boundary", [{"name": "toy"}], [box(0, 0, 2000, 2000)])
    layers["subdistricts"] = _gdf("subdistricts", [{"code": "120102001", "name": "大王庄街道"},
                                                   {"code": "120102002", "name": "大直沽街道"}],
                                  [box(0, 0, 1000, 2000), box(1000, 0, 2000, 1900)])
    layers["plan_zones"] = _gdf("plan_zones", [{"zone_id": "P1", "category": "prohibited"},
                                               {"zone_id": "R1", "category": "restricted"}],
                                [box(100, 1500, 300, 1700), box(1500, 1500, 1800, 1800)])
    plan = [("PM1", 500, 500, "macro", 200), ("PU1", 1500, 500, "micro", 150), ("PM2", 1600, 1650, "macro", 150),
            ("PM3", 200, 1600, "macro", 200)]
    layers["plan_sites"] = _gdf("plan_sites", [{"plan_id": p, "site_type": t, "ring_radius_m": float(r)}
                                               for p, _, _, t, r in plan], [Point(x, y) for _, x, y, _, _ in plan])
    layers["existing_sites"] = _gdf(
        "existing_sites",
        [{"site_id": "E1", "operator": "china_telecom", "band": "n78", "site_type": "macro", "height_m": 30.0,
          "owner": "china_tower", "tower_site_id": "T-0001"},
         {"site_id": "E2", "operator": "china_mobile", "band": "n41", "site_type": "macro", "height_m": 30.0}],
        [Point(500, 560), Point(1500, 560)])
    poles = [("L1", 1500, 450, "street_lamp", 10.0), ("L2", 1450, 500, "street_lamp", 4.0),
             ("M1", 1550, 520, "monitoring", 8.0), ("M2", 400, 500, "monitoring", 12.0)]
    layers["poles"] = _gdf("poles", [{"pole_id": p, "kind": k, "height_m": h} for p, _, _, k, h in poles],
                           [Point(x, y) for _, x, y, _, _ in poles])
    layers["public_facilities"] = _gdf(
        "public_facilities",
        [{"facility_id": "F1", "name": "区政府", "kind": "government", "free_access": True},
         {"facility_id": "F2", "name": "商场", "kind": "commercial", "free_access": False}],
        [box(400, 400, 460, 460), Point(1700, 300)])
    layers["hotspots"] = _gdf(
        "hotspots",
        [{"hotspot_id": "H1", "scenario": "education", "receptor": "school"},
         {"hotspot_id": "H2", "scenario": "healthcare", "receptor": "hospital"},
         {"hotspot_id": "H3", "scenario": "commercial", "receptor": ""},
         {"hotspot_id": "H4", "scenario": "education", "receptor": "kindergarten"}],
        [Point(620, 560), box(1455, 595, 1480, 620), Point(480, 440), Point(1700, 1750)])
    rows = [{"site_id": sid, "name": f"候选{sid}", "operator": op, "band": band, "site_type": st, "mount": mount,
             "height_m": presets[st].height_m, "power_supply": ps, "pole_id": pid, "responsible_unit": "中国铁塔",
             "eirp_dbm": eirp_default[st] if eirp is None else eirp}
            for sid, _, _, st, op, band, mount, pid, ps, eirp in candidates]
    layers["candidates"] = _gdf("candidates", rows, [Point(c[1], c[2]) for c in candidates])
    for k, v in layers.items():
        layers[k] = v.reset_index(drop=True)
    return District(config=cfg, layers=layers, input_hashes={})


@pytest.fixture(scope="module")
def checked() -> gpd.GeoDataFrame:
    return check_candidates(toy_district())


def test_every_reason_code_occurs(checked):
    seen = {c for r in checked["reasons"] for c in r.split(";") if c}
    assert seen == set(REASON_CODES)


@pytest.mark.parametrize("row", sorted(EXPECTED))
def test_status_and_reasons_of_each_candidate(checked, row):
    status, reasons = EXPECTED[row]
    got = checked.iloc[row]
    assert (got["site_id"], got["status"], got["reasons"]) == (CANDIDATES[row][0], status, reasons)


def test_expectations_cover_every_candidate(checked):
    assert sorted(EXPECTED) == list(range(len(CANDIDATES))) == list(range(len(checked)))


def test_messages_follow_the_codes(checked):
    row = checked.iloc[21]  # C23: two conditional reasons
    assert row["reasons_zh"] == "; ".join(REASONS[c].zh for c in ("IN_RESTRICTED_ZONE", "EMF_SENSITIVE_RECEPTOR"))
    assert row["reasons_en"] == "; ".join(REASONS[c].en for c in ("IN_RESTRICTED_ZONE", "EMF_SENSITIVE_RECEPTOR"))
    assert checked.iloc[10]["reasons_zh"] == "" and checked.iloc[10]["reasons_en"] == ""
    for code, r in REASONS.items():
        assert r.effect in ("warning", "conditional", "non_compliant") and r.zh and r.en, code
    # A warning is listed with its message but leaves the status alone.
    c07 = checked.iloc[6]
    assert c07["status"] == "compliant" and c07["reasons_en"] == REASONS["TOO_CLOSE_TO_EXISTING"].en


def test_contract_columns_present(checked):
    from siteplan.compliance.check import CHECK_COLUMNS

    assert set(CHECK_COLUMNS) <= set(checked.columns)
    assert checked.crs == CRS and len(checked) == len(CANDIDATES)


def _by_id(checked, sid):
    rows = checked[checked["site_id"] == sid]
    assert len(rows) == 1
    return rows.iloc[0]


def test_reuse_matching(checked):
    c01 = _by_id(checked, "C01")
    assert (c01["reuse_kind"], c01["reuse_id"], c01["reuse_distance_m"]) == ("public_facility", "F1", 20.0)
    assert c01["free_access"] and c01["build_kind"] == "public_facility" and not c01["new_build"]
    c13 = _by_id(checked, "C13")
    assert (c13["reuse_kind"], c13["reuse_id"], c13["reuse_distance_m"], c13["build_kind"]) == (
        "street_lamp", "L1", 2.0, "pole")
    c18 = _by_id(checked, "C18")
    assert (c18["reuse_kind"], c18["reuse_id"], c18["reuse_distance_m"]) == ("monitoring", "M1", 1.0)
    c27 = _by_id(checked, "C27")
    assert (c27["reuse_kind"], c27["reuse_id"], c27["build_kind"]) == ("existing_site", "E2", "existing_site")
    assert c27["reuse_distance_m"] == pytest.approx(np.hypot(10, 5), abs=0.005)
    assert c27["upgrade_of"] == "" and c27["shared"] and c27["host_operators"] == 2
    # A macro never reuses a pole: C16 stands on monitoring pole M2 but reuses the facility F1 (40 m).
    c16 = _by_id(checked, "C16")
    assert (c16["reuse_kind"], c16["reuse_id"], c16["build_kind"], c16["free_access"]) == (
        "public_facility", "F1", "pole", True)
    # Nothing in reach: a new build; F2 (not free) is 180 m from C25.
    c25 = _by_id(checked, "C25")
    assert (c25["reuse_kind"], c25["reuse_id"], c25["new_build"], c25["free_access"], c25["build_kind"]) == (
        "", "", True, False, "indoor")
    assert np.isnan(c25["reuse_distance_m"])
    assert _by_id(checked, "C04")["build_kind"] == "tower"
    assert _by_id(checked, "C05")["build_kind"] == "rooftop"


def test_attribution_and_retrofit(checked):
    assert tuple(_by_id(checked, "C01")[["subdistrict_code", "subdistrict"]]) == ("120102001", "大王庄街道")
    assert _by_id(checked, "C13")["subdistrict"] == "大直沽街道"
    assert _by_id(checked, "C29")["subdistrict"] == "大直沽街道"  # sliver: nearest sub-district
    assert tuple(_by_id(checked, "C02")[["subdistrict_code", "subdistrict"]]) == ("", "")  # outside
    retrofit = set(checked.loc[checked["needs_direct_supply"].astype(bool), "site_id"])
    # C05 is transferred but non_compliant; C27 is unknown: neither listed.
    assert retrofit == {"C18", "C23", "C25"}
    assert _by_id(checked, "C01")["responsible_unit"] == "中国铁塔"


def test_emf_distance_from_eirp(checked):
    # d = sqrt(EIRP / (4 pi S)), S = 0.2 x 3500/7500 W/m^2 (GB 8702-2014 Table 1, 3-15 GHz: f/7500).
    s = 0.2 * 3500.0 / 7500.0
    for sid, eirp in (("C19", 68.0), ("C20", 49.0), ("C30", 50.0)):
        expect = np.sqrt(10 ** ((eirp - 30) / 10) / (4 * np.pi * s))
        assert _by_id(checked, sid)["emf_distance_m"] == pytest.approx(expect, abs=0.01)


def test_emf_distance_uses_the_traffic_beam_at_its_actual_maximum():
    """A 64T64R preset (SS/PBCH beam 17 dBi, traffic beam 24 dBi): the EMF EIRP is the stated one + 7 dB, at the
    time-averaged actual maximum (rules.emf_power_factor 0.25, -6.02 dB): +0.98 dB; with the factor 1, +7 dB."""
    s = 0.2 * 3500.0 / 7500.0
    for factor, extra_db in ((0.25, 7.0 + 10 * math.log10(0.25)), (1.0, 7.0)):
        out = check_candidates(toy_district(rules=RulesConfig(emf_power_factor=factor), radio=RadioConfig()))
        expect = np.sqrt(10 ** ((68.0 + extra_db - 30) / 10) / (4 * np.pi * s))
        assert _by_id(out, "C19")["emf_distance_m"] == pytest.approx(expect, abs=0.01)
    # A micro has one beam: its distance stays that of its stated EIRP.
    assert _by_id(out, "C20")["emf_distance_m"] == pytest.approx(np.sqrt(10 ** ((49.0 - 30) / 10) / (4 * np.pi * s)),
                                                                 abs=0.01)


def test_thresholds_come_from_the_config():
    # With a 30 m macro spacing C07 (40 m from E1) is no longer too close.
    rules = RulesConfig(min_spacing_m={"macro": 30.0, "micro": 40.0, "indoor": 0.0})
    out = check_candidates(toy_district(rules=rules))
    assert (_by_id(out, "C07")["status"], _by_id(out, "C07")["reasons"]) == ("compliant", "")
    # A looser EMF fraction (whole public limit) shrinks the distance: C19 (60 m) is clear of H1.
    out = check_candidates(toy_district(rules=RulesConfig(emf_limit_fraction=1.0)))
    assert "EMF_SENSITIVE_RECEPTOR" not in _by_id(out, "C19")["reasons"]


def test_missing_site_type_in_rules_is_a_config_error():
    from siteplan.errors import ConfigError

    rules = RulesConfig(min_spacing_m={"macro": 150.0})
    with pytest.raises(ConfigError, match=r"rules\.min_spacing_m.*'(indoor|micro)'"):
        check_candidates(toy_district(rules=rules))


def test_unknown_band_names_the_candidate():
    from siteplan.errors import RadioConfigError

    rows = [CANDIDATES[0][:5] + ("n999",) + CANDIDATES[0][6:]]
    with pytest.raises(RadioConfigError, match=r"C01.*n999"):
        check_candidates(toy_district(candidates=rows))


def test_no_candidates_gives_an_empty_frame():
    d = toy_district(candidates=[])
    out = check_candidates(d)
    assert len(out) == 0


def test_upgrades_and_sharing(checked):
    """An operator's own-network site is an upgrade (the shared RAN's either operator), another network's site is
    shared, two networks at one new spot are one site with two tenants; same network twice is a duplicate."""
    c28 = _by_id(checked, "C28")  # China Mobile at its own E2
    assert (c28["build_kind"], c28["upgrade_of"], c28["network"], c28["status"]) == (
        "co_site_upgrade", "E2", "cm", "compliant")
    # alone on E2 before, but C27 (China Telecom) proposes the same site: shared
    assert c28["host_operators"] == 1 and c28["host_id"] == "E2" and c28["host_networks"] == 2 and c28["shared"]
    up = checked[(checked["site_id"] == "E1")].iloc[0]  # China Unicom at China Telecom's E1, keeping its code
    assert (up["build_kind"], up["upgrade_of"], up["network"], up["status"]) == (
        "co_site_upgrade", "E1", "ctcu", "compliant")
    x1 = _by_id(checked, "X1")  # China Mobile at E1: sharing China Tower's site T-0001
    assert (x1["build_kind"], x1["reuse_id"], x1["host_id"], x1["upgrade_of"]) == (
        "existing_site", "E1", "T-0001", "")
    assert x1["host_operators"] == 2 and x1["shared"]
    s1, s2 = _by_id(checked, "S1"), _by_id(checked, "S2")
    assert s1["host_id"] == s2["host_id"] == "NEW:S1"
    assert s1["host_networks"] == s2["host_networks"] == 2 and s1["status"] == s2["status"] == "compliant"
    assert s1["shared"] and s2["shared"]
    t2 = _by_id(checked, "T2")  # ctcu twice at one spot
    assert "DUPLICATE" in t2["reasons"] and _by_id(checked, "T1")["reasons"] == ""


def test_costs_follow_the_build_kind(checked):
    """Ten-year cost: an upgrade costs less than a new rooftop of the same type; a pole micro less than both."""
    up = _by_id(checked, "C28")["tco_cny"]
    assert up > 0 and all(np.isfinite(checked["tco_cny"].astype(float)))
    roof = checked[(checked["build_kind"] == "rooftop") & (checked["site_type"] == "macro")
                   & (checked["status"] == "compliant")]["tco_cny"].astype(float)
    macro_up = _by_id(checked, "E1")["tco_cny"]
    assert macro_up < roof.min()
    pole = _by_id(checked, "C13")["tco_cny"]
    assert pole < macro_up
