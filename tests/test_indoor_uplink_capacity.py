"""Issue 11: indoor on building footprints, margins from reliability, antennas as configured, uplink in the KPI,
capacity at hotspots. Small hand-built districts with hand-computed figures."""

from __future__ import annotations

import dataclasses
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siteplan.config import CapacityConfig, DistrictConfig, DistrictInfo, RadioConfig, load_config
from siteplan.coverage import compute_coverage, coverage_matrix, make_grid
from siteplan.coverage.buildings import attach_buildings, building_map
from siteplan.coverage.networks import apply_kpi, network_coverage
from siteplan.errors import ConfigError
from siteplan.evaluate.capacity import network_capacity, sector_loads
from siteplan.io import District
from siteplan.io.district import empty_layer
from siteplan.io.schema import SCHEMAS
from siteplan.radio import budgets
from siteplan.radio.margins import area_margin_db

CRS = "EPSG:4548"
X0, Y0 = 520_000.0, 4_330_000.0

# TR 38.901 Table 7.4.3-2 at 3.5 GHz, by hand:
#   low-loss  PL_tw = 5 - 10 log10(0.3 x 10^(-(2 + 0.2 x 3.5)/10) + 0.7 x 10^(-(5 + 4 x 3.5)/10))
#                   = 5 - 10 log10(0.3 x 0.53703 + 0.7 x 0.012589) = 5 - 10 log10(0.169922) = 12.698 dB
#   high-loss PL_tw = 5 - 10 log10(0.7 x 10^(-(23 + 0.3 x 3.5)/10) + 0.3 x 10^(-19/10))
#                   = 5 - 10 log10(0.7 x 0.0039355 + 0.3 x 0.012589) = 5 - 10 log10(0.0065317) = 26.850 dB
#   PL_in = 0.5 x 25/3 = 4.167 dB -> 16.865 dB and 31.017 dB.
LOW_3500_DB, HIGH_3500_DB = 16.865, 31.017
# Extra indoor margin at 95 % area reliability (Jakes, UMa n = 3.908): M(rss(6, sigma_P)) - M(6) with
# M(6) = 5.598, M(7.440) = 7.588, M(8.846) = 9.586 dB.
EXTRA_LOW_DB, EXTRA_HIGH_DB = 7.588 - 5.598, 9.586 - 5.598


def _sites(xy, **cols):
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    data = {"site_id": [f"S{i}" for i in range(n)], "site_type": ["macro"] * n, "band": ["n78"] * n}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=shapely.points(xy[:, 0] + X0, xy[:, 1] + Y0), crs=CRS)


def _buildings(boxes, **cols):
    n = len(boxes)
    data = {"building_id": [f"B{i}" for i in range(n)], "floors": [6.0] * n, "use": ["residential"] * n,
            "loss_class": [""] * n}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=[shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes],
                            crs=CRS)


def _one_building_grid(**cols):
    """A 400 x 400 m district on a 10 m grid with one 40 x 40 m building 150 m east of the site's column."""
    g = make_grid(shapely.box(X0, Y0, X0 + 400, Y0 + 400), CRS, 10.0)
    return attach_buildings(g, _buildings([(240, 180, 280, 220)], **cols))


# ------------------------------------------------------------------------------------------ acceptance 1
def test_one_building_indoor_loss_is_tr38901_by_hand():
    """Indoor RSRP in the building = outdoor RSRP - (16.865 dB low-loss O2I + 1.99 dB extra margin); no indoor
    layer off the footprint, and the outdoor figures leave the building's cells out."""
    radio = dataclasses.replace(RadioConfig(), los_mode="nlos")
    g = _one_building_grid(loss_class=["low"])
    res = compute_coverage(g, _sites([[100.0, 200.0]]), radio)
    inside_b = g.buildings.cell_building == 0
    assert inside_b.sum() == 16  # 40 x 40 m: 4 x 4 cell centres
    diff = (res.rsrp_dbm - res.indoor_rsrp_dbm)[inside_b]
    np.testing.assert_allclose(diff, LOW_3500_DB + EXTRA_LOW_DB, atol=0.01)
    assert np.isnan(res.indoor_rsrp_dbm[g.inside & ~inside_b]).all()
    assert not res.covered[inside_b].any() and not res.indoor_covered[~inside_b].any()
    # The floor area: 40 x 40 m x 6 floors over the 16 cells.
    assert g.layer_weight_m2("indoor").sum() == pytest.approx(1600.0 * 6)
    assert g.layer_weight_m2("outdoor").sum() == pytest.approx((g.inside.sum() - 16) * 100.0)


@pytest.mark.parametrize(("share", "expected_db"), [(0.0, LOW_3500_DB + EXTRA_LOW_DB),
                                                    (1.0, HIGH_3500_DB + EXTRA_HIGH_DB)])
def test_class_mix_of_a_use_gives_the_tr38901_model(share, expected_db):
    """An office without its own loss class takes the use's mix: all low-loss or all high-loss by hand."""
    base = RadioConfig()
    radio = dataclasses.replace(base, los_mode="nlos", buildings=dataclasses.replace(
        base.buildings, high_loss_share={**base.buildings.high_loss_share, "office": share}))
    g = _one_building_grid(use=["office"])
    res = compute_coverage(g, _sites([[100.0, 200.0]]), radio)
    inside_b = g.buildings.cell_building == 0
    np.testing.assert_allclose((res.rsrp_dbm - res.indoor_rsrp_dbm)[inside_b], expected_db, atol=0.01)


def test_half_and_half_mix_is_the_moment_matched_mixture():
    """w = 0.5: mean (16.865 + 31.017) / 2 = 23.941 dB; sigma^2 = 0.5 (4.4^2 + 16.865^2) + 0.5 (6.5^2 + 31.017^2)
    - 23.941^2 = 80.88 -> 8.99 dB; extra margin M(rss(6, 8.99)) - M(6) (Jakes, n 3.908)."""
    base = RadioConfig()
    radio = dataclasses.replace(base, buildings=dataclasses.replace(
        base.buildings, high_loss_share={**base.buildings.high_loss_share, "office": 0.5}))
    mean, sigma = budgets.class_o2i_db(radio, ["use:office"], 3.5)
    assert mean[0] == pytest.approx(23.941, abs=0.005) and sigma[0] == pytest.approx(8.993, abs=0.01)
    extra = float(area_margin_db(0.95, math.hypot(6.0, 8.993), 3.908) - area_margin_db(0.95, 6.0, 3.908))
    got = budgets.indoor_loss_table_db(radio, ["use:office"], ["n78"])[0, 0]
    assert got == pytest.approx(23.941 + extra, abs=0.01)


def test_heavier_mix_lowers_indoor_coverage_as_the_loss_grows():
    """Across a block of offices, raising the high-loss share lowers the covered floor share, by the loss step
    TR 38.901 predicts (the indoor RSRP falls by exactly the difference of the two classes' losses)."""
    base = RadioConfig()
    g = make_grid(shapely.box(X0, Y0, X0 + 800, Y0 + 800), CRS, 10.0)
    boxes = [(x, y, x + 40, y + 30) for x in range(60, 760, 80) for y in range(60, 760, 80)]
    g = attach_buildings(g, _buildings(boxes, use=["office"] * len(boxes)))
    sites = _sites([[400.0, 400.0]])
    shares, rsrp = [], []
    for w in (0.0, 0.5, 1.0):
        radio = dataclasses.replace(base, buildings=dataclasses.replace(
            base.buildings, high_loss_share={**base.buildings.high_loss_share, "office": w}))
        res = apply_kpi(compute_coverage(g, sites, radio), -3.0)
        m = g.layer_mask("indoor")
        shares.append(float(g.layer_weight_m2("indoor")[res.indoor_covered].sum() / g.layer_weight_m2("indoor").sum()))
        rsrp.append(res.indoor_rsrp_dbm[m].astype(float))
    assert shares[0] > shares[1] > shares[2]
    step = budgets.indoor_loss_table_db(base, ["high"], ["n78"])[0, 0] - budgets.indoor_loss_table_db(
        base, ["low"], ["n78"])[0, 0]
    np.testing.assert_allclose(rsrp[0] - rsrp[2], step, atol=1e-3)


@settings(max_examples=20)
@given(w1=st.floats(0.0, 1.0), w2=st.floats(0.0, 1.0), d_in=st.floats(0.0, 20.0))
def test_more_loss_never_raises_indoor_coverage(w1, w2, d_in):
    """Invariant: a building mix with more high-loss buildings (or a longer indoor distance) never raises the
    indoor RSRP or the indoor covered cells."""
    lo, hi = sorted((w1, w2))
    base = RadioConfig()
    g = _one_building_grid(use=["office"])
    sites = _sites([[100.0, 200.0], [300.0, 120.0]])

    def run(w, dist):
        b = dataclasses.replace(base.buildings, indoor_distance_m=dist,
                                high_loss_share={**base.buildings.high_loss_share, "office": w})
        return compute_coverage(g, sites, dataclasses.replace(base, buildings=b))

    a, b = run(lo, 25.0 / 3.0), run(hi, 25.0 / 3.0 + d_in)
    m = g.layer_mask("indoor")
    assert (b.indoor_rsrp_dbm[m] <= a.indoor_rsrp_dbm[m] + 1e-9).all()
    assert (b.indoor_covered <= a.indoor_covered).all()


def test_small_buildings_keep_their_floor_area():
    """A building smaller than a cell takes the cell of its point; the layer's floor area is the buildings' own."""
    g = make_grid(shapely.box(X0, Y0, X0 + 200, Y0 + 200), CRS, 20.0)
    b = _buildings([(52, 52, 58, 58), (100, 100, 160, 140), (101, 101, 104, 104)], floors=[3.0, 10.0, 2.0])
    m = building_map(g, b)
    total = 36 * 3 + 2400 * 10 + 9 * 2
    assert m.cell_floor_area_m2.sum() == pytest.approx(total)
    assert (m.cell_building == 0).sum() == 1  # the 6 x 6 m hut got a cell
    assert m.building_at(np.array([X0 + 55, X0 + 120, X0 + 10]), np.array([Y0 + 55, Y0 + 120, Y0 + 10])).tolist() == [
        0, 1, -1]


def test_optimizer_matrix_uses_the_evaluations_indoor_model():
    """A site covers exactly the indoor cells the evaluation says it covers on its own (downlink and uplink)."""
    radio = RadioConfig()
    g = _one_building_grid(loss_class=["high"])
    sites = _sites([[150.0, 200.0], [330.0, 330.0]], site_type=["macro", "micro"])
    m = coverage_matrix(g, sites, radio, layer="indoor")
    for j in range(2):
        single = apply_kpi(compute_coverage(g, sites.iloc[[j]], radio), -math.inf)
        np.testing.assert_array_equal(m[:, j].toarray().ravel(), single.indoor_covered.ravel()[g.cell_index])


# ------------------------------------------------------------------------------------------ margins
def test_margins_follow_the_area_reliability_per_model():
    r = RadioConfig()
    assert budgets.outdoor_margin_db(r, "uma") == pytest.approx(5.598, abs=0.005)   # sigma 6, n 3.908
    assert budgets.outdoor_margin_db(r, "umi") == pytest.approx(8.415, abs=0.005)   # sigma 7.82, n 3.53
    assert budgets.outdoor_margin_db(dataclasses.replace(r, area_reliability=0.9), "uma") < 5.598
    fixed = dataclasses.replace(r, shadowing_margin_db=6.0)
    assert budgets.outdoor_margin_db(fixed, "umi") == 6.0
    np.testing.assert_allclose(budgets.indoor_extra_margin_db(r, "uma", [4.4, 6.5]), [EXTRA_LOW_DB, EXTRA_HIGH_DB],
                               atol=0.005)
    # A fixed indoor margin replaces the combined one: 8 dB in all, 8 - 5.598 above the outdoor margin.
    np.testing.assert_allclose(budgets.indoor_extra_margin_db(dataclasses.replace(r, indoor_margin_db=8.0), "uma",
                                                              [4.4, 6.5]), 8.0 - 5.598, atol=0.005)


# ------------------------------------------------------------------------------------------ acceptance 5
def _append(root, text: str) -> None:
    p = root / "district.toml"
    p.write_text(p.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")


def test_impossible_preset_in_district_toml_is_refused_naming_the_key(tiny_district):
    _append(tiny_district, "[radio.presets.n41.micro]\nazimuths_deg = []\nh_beamwidth_deg = 360.0\n"
                           "antenna_gain_dbi = 10.0\n")
    with pytest.raises(ConfigError, match=r"radio\.presets\.n41\.micro\.antenna_gain_dbi = 10 dBi: an omni antenna "
                                          r"with a 30 deg vertical beam has at most 5\.6 dBi.*\(band n41\)"):
        load_config(tiny_district)


def test_unknown_beam_scenario_and_beam_gain_above_its_bound_are_refused(tiny_district, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(tiny_district, other)
    _append(tiny_district, '[radio.presets.n78.macro]\nssb_beam = "h65_v13"\n')
    with pytest.raises(ConfigError, match=r"radio\.presets\.n78\.macro\.ssb_beam = 'h65_v13'.*did you mean"):
        load_config(tiny_district)
    _append(other, '[radio.presets.n78.macro]\nssb_beam = "h110_v25"\n')  # 17 dBi on 110 x 25 deg: at most 11.8
    with pytest.raises(ConfigError, match=r"radio\.presets\.n78\.macro\.antenna_gain_dbi = 17 dBi: a 110 x 25 deg"):
        load_config(other)


def test_side_lobe_level_and_beam_scenario_are_config(tiny_district):
    """SLA_V and the SSB beam scenario come from district.toml: the scenario sets the beamwidths, SLA_V reaches
    the kernel and lifts the signal under the site."""
    _append(tiny_district, '[radio.presets.n78.macro]\nssb_beam = "h105_v6"\nsla_v_db = 12.0\n')
    radio = load_config(tiny_district).radio
    p = radio.preset("macro", "n78")
    assert (p.h_beamwidth_deg, p.v_beamwidth_deg, p.sla_v_db) == (105.0, 6.0, 12.0)
    g = make_grid(shapely.box(X0, Y0, X0 + 400, Y0 + 400), CRS, 10.0)
    low = compute_coverage(g, _sites([[200.0, 200.0]]), radio)
    high = compute_coverage(g, _sites([[200.0, 200.0]]), dataclasses.replace(radio, presets={}))
    assert low.sectors.sla_v_db.tolist() == [12.0] * 3
    near = g.inside & (np.hypot(*np.meshgrid(g.col_x(np.arange(40)) - X0 - 200, g.row_y(np.arange(40)) - Y0 - 200))
                       < 60.0)
    assert np.median(low.rsrp_dbm[near]) > np.median(high.rsrp_dbm[near]) - 6.0


def test_pattern_file_is_fitted_into_the_preset(tiny_district):
    a = np.arange(360)
    h = np.minimum(12 * (np.minimum(a, 360 - a) / 60.0) ** 2, 28.0)
    v = np.minimum(12 * ((np.where(a <= 180, a, a - 360)) - 5.0) ** 2 / 11.0**2, 19.0)
    text = ("NAME TEST-PANEL\nGAIN 15.85 dBd\nHORIZONTAL 360\n" + "\n".join(f"{x} {y:.4f}" for x, y in zip(a, h))
            + "\nVERTICAL 360\n" + "\n".join(f"{x} {y:.4f}" for x, y in zip(a, v)) + "\n")
    (tiny_district / "panel.msi").write_text(text, encoding="utf-8")
    _append(tiny_district, '[radio.presets.n41.macro]\npattern_file = "panel.msi"\ntilt_deg = 3.0\n'
                           'ssb_beam = ""\ntraffic_beam_gain_dbi = 18.0\nn_elements = 0\n')
    p = load_config(tiny_district).radio.preset("macro", "n41")
    assert p.antenna_gain_dbi == pytest.approx(18.0)  # 15.85 dBd
    assert p.h_beamwidth_deg == pytest.approx(60.0, abs=0.2) and p.v_beamwidth_deg == pytest.approx(11.0, abs=0.1)
    assert (p.front_to_back_db, p.sla_v_db) == (28.0, 19.0)
    assert p.tilt_deg == pytest.approx(3.0 + 5.0)  # mechanical + the file's electrical tilt


# ------------------------------------------------------------------------------------------ uplink
def test_uplink_floor_decides_where_the_downlink_alone_would_cover():
    """A micro whose uplink is made weak (40 dB noise figure): its cells keep their RSRP but fail the joint KPI
    where RSRP is below the uplink floor (budget + margin - MAPL_UL), and the figures say uplink-limited."""
    base = RadioConfig()
    weak = dataclasses.replace(base.site_types["micro"], ul_noise_figure_db=30.0)
    radio = dataclasses.replace(base, site_types={**base.site_types, "micro": weak})
    g = make_grid(shapely.box(X0, Y0, X0 + 600, Y0 + 600), CRS, 10.0)
    res = apply_kpi(compute_coverage(g, _sites([[300.0, 300.0]], site_type=["micro"]), radio), -3.0)
    p = radio.preset("micro", "n78")
    floor = budgets.ul_floor_offset_db(radio, p, "n78") + res.sectors.budget_db[0]
    assert floor > radio.rsrp_threshold_dbm  # the uplink is the tighter criterion here
    np.testing.assert_array_equal(res.ul_ok, g.inside & (np.nan_to_num(res.rsrp_dbm, nan=-np.inf) >= floor))
    assert (res.rsrp_covered & ~res.covered).any()
    from siteplan.coverage.networks import link_figures

    f = link_figures(res, "outdoor")
    assert f["uplink_limited"] > 0.0 and f["downlink_limited"] == 0.0


# ------------------------------------------------------------------------------------------ acceptance 4
def _capacity_district(users: float) -> District:
    """One macro site, one office tower with a busy hotspot, no background demand."""
    cfg = DistrictConfig(district=DistrictInfo(name="cap", working_crs=CRS), targets=(), layers={},
                         capacity=CapacityConfig(residents=0.0, hotspot_users_by_id={"H1": users},
                                                 fiveg_share=1.0, network_share={"all": 1.0}))
    layers = {name: empty_layer(name, CRS) for name in SCHEMAS}
    layers["boundary"] = gpd.GeoDataFrame({"name": ["cap"]}, geometry=[shapely.box(X0, Y0, X0 + 600, Y0 + 600)],
                                          crs=CRS)
    layers["buildings"] = _buildings([(380, 280, 420, 320)], use=["office"], floors=[20.0])
    layers["hotspots"] = gpd.GeoDataFrame({"hotspot_id": ["H1"], "scenario": ["commercial"], "name": ["站"],
                                           "weight": [3.0], "building_id": ["B0"]},
                                          geometry=[shapely.Point(X0 + 400, Y0 + 300)], crs=CRS)
    return District(config=cfg, layers=layers, input_hashes={})


def test_one_overloaded_hotspot_is_flagged_with_a_remedy():
    """40,000 busy-hour users at 0.0901 Mbit/s each (15.2 GB x 8000 / 30 x 0.08 / 3600) = 3,603 Mbit/s on one
    macro sector's few cells: far above 70 % of its PRB-time. It is flagged, with a remedy; 10 users are not."""
    d = _capacity_district(40_000.0)
    g = attach_buildings(make_grid(d.layers["boundary"].geometry.iloc[0], CRS, 10.0), d.layers["buildings"])
    sites = _sites([[300.0, 300.0]])
    res = network_coverage(d, g, sites)
    cap = network_capacity(d, res, "all")
    assert cap["user_busy_hour_kbps"] == pytest.approx(15.2 * 8000 / 30 * 0.08 / 3600 * 1000, rel=1e-6)
    assert cap["capacity_limited_hotspots"] == ["H1"]
    hot = cap["hotspots"][0]
    assert hot["demand_mbps"] == pytest.approx(40_000 * 0.0901, rel=1e-3) and hot["max_utilisation"] > 0.7
    flag = cap["flagged_sectors"][0]
    assert flag["hotspots"] == ["H1"] and flag["utilisation"] > 0.7
    assert flag["remedy"]["action"] == "capacity_cells" and flag["remedy"]["capacity_cells"] >= 1
    calm = network_capacity(_capacity_district(10.0), res, "all")
    assert calm["capacity_limited_hotspots"] == [] and calm["sectors_over_trigger"] == 0


def test_sector_load_by_hand():
    """Two points on sector 0: 60 Mbit/s at SINR 10 dB (TS 38.214 CQI 256QAM table: CQI 5 at 8.1 dB, SE 1.9141)
    and 30 Mbit/s at 4 dB (CQI 3 at 2.4 dB, SE 0.877); per-SE rate 100 Mbit/s: load 60/191.41 + 30/87.7 = 0.6555."""
    out = sector_loads([0, 0, -1], [60.0, 30.0, 5.0], [10.0, 4.0, 0.0], sector_band=np.array(["n78"], object),
                       sector_rate_mbps_per_se=[100.0], n_sectors=1)
    assert out["utilisation"][0] == pytest.approx(60 / 191.41 + 30 / 87.70, rel=1e-3)
    assert float(out["unserved_mbps"]) == 5.0
