"""PUSCH budget, downlink SS-RSRP MAPL, and the dimensioning they imply (issue 11, acceptance 2)."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from siteplan.config import RadioConfig
from siteplan.errors import RadioConfigError
from siteplan.radio import budgets
from siteplan.radio import dimensioning as dim
from siteplan.radio import linkbudget as lb
from siteplan.radio import uplink as ul
from siteplan.radio.margins import area_margin_db, combined_sigma_db, distance_exponent
from siteplan.radio.propagation import path_loss

# The hand-computed case's inputs: n78 (3.5 GHz) macro of the CT/CU shared RAN, 64T64R AAU, indoor UE.
HAND_LINK = ul.PuschLink(
    ue_power_dbm=26.0,          # PC2, TS 38.101-1 Table 6.2.1-1
    ue_antenna_gain_dbi=0.0,
    body_loss_db=0.0,
    n_prb=20,
    scs_khz=30.0,
    ul_share=0.30,              # DDDSUDDSUU, special-slot UL symbols not used for PUSCH
    overhead=0.08,              # TS 38.306 §4.1.2, FR1 UL
    gnb_rx_gain_dbi=25.0,
    gnb_cable_loss_db=0.0,
    gnb_noise_figure_db=3.5,
    interference_margin_db=2.0,
    edge_rate_mbps=1.0,
    mapping="shannon",
    alpha=0.6,
    sinr_min_db=-10.0,
    se_max=5.5547,
)
HAND_SHADOW_DB = 7.6    # 95 % area, sigma = rss(6, 4.4) = 7.44 dB, n = 3.908 (Jakes) -> 7.59, rounded
HAND_O2I_DB = 16.9      # TR 38.901 low-loss at 3.5 GHz incl. 0.5 x 25/3 m indoor, rounded


def test_hand_computed_uplink_case():
    """n78 macro, indoor UE at a 1 Mbit/s edge; UMa NLOS, h_BS 30 m, h_UT 1.5 m. Every number by hand:

    1. UE EIRP = 26 dBm (PC2) + 0 dBi - 0 dB body = 26.000 dBm.
    2. Allocation B = 20 PRB x 12 x 30 kHz = 7.2 MHz.
    3. Carried per Hz of allocation: 0.30 (UL share) x (1 - 0.08) (overhead) = 0.276;
       SE_req = 1e6 / (7.2e6 x 0.276) = 0.503221 bit/s/Hz.
    4. Attenuated Shannon: SINR = 2^(0.503221 / 0.6) - 1 = 2^0.838701 - 1 = 0.788439 -> -1.0323 dB
       (above SINR_min = -10 dB, SE below SE_max).
    5. Noise: kT0 = 10 log10(1.380649e-23 x 290 x 1000) = -173.9752 dBm/Hz; 10 log10(7.2e6) = 68.5733 dB;
       + NF 3.5 dB -> N = -101.9019 dBm.
    6. Required level at the gNB = N + SINR + IM = -101.9019 - 1.0323 + 2.0 = -100.9342 dBm.
    7. MAPL before margins = 26 + 25 (gNB gain) - 0 (cable) - (-100.9342) = 151.9342 dB.
    8. Minus shadow margin 7.6 dB and O2I 16.9 dB: MAPL = 127.4342 dB.
    9. Range, UMa NLOS (TR 38.901): PL = 13.54 + 39.08 log10(d3D) + 20 log10(3.5) - 0.6 (1.5 - 1.5);
       20 log10(3.5) = 10.8814; log10(d3D) = (127.4342 - 13.54 - 10.8814) / 39.08 = 2.635947;
       d3D = 432.46 m; d2D = sqrt(432.46^2 - 28.5^2) = 431.52 m. (LOS PL there: 96.9 dB < NLOS', and
       d2D < d'BP = 4 x 29 x 0.5 x 3.5e9 / 3e8 = 676.7 m, so PL_NLOS = PL'_NLOS.)
    10. ISD (3-sector hex) = 1.5 x 431.52 = 647.28 m.
    """
    mapl = float(ul.pusch_mapl_db(HAND_LINK, shadow_margin_db=HAND_SHADOW_DB, penetration_loss_db=HAND_O2I_DB))
    assert abs(mapl - 127.4342) <= 0.1
    lines = ul.pusch_budget_lines(HAND_LINK, shadow_margin_db=HAND_SHADOW_DB, penetration_loss_db=HAND_O2I_DB)
    assert lines["required_se_bps_hz"] == pytest.approx(0.503221, abs=1e-6)
    assert lines["required_sinr_db"] == pytest.approx(-1.0323, abs=1e-4)
    assert lines["noise_dbm"] == pytest.approx(-101.9019, abs=1e-4)
    assert lines["mapl_db"] == pytest.approx(mapl)
    r = float(dim.range_for_mapl_m(mapl, model="uma", freq_ghz=3.5, h_bs_m=30.0, h_ut_m=1.5, los=False))
    assert abs(r - 431.52) <= 1.0
    assert float(dim.inter_site_distance_m(r, sectors=3)) == pytest.approx(647.28, abs=1.5)


def test_hand_computed_mcs_mapping():
    """Same link, TS 38.214 Table 5.1.3.1-1 at 10 % BLER.

    SE_req = 1e6 / (7.2e6 x 0.30 x 0.92 x 0.9) = 0.559134 bit/s/Hz -> lowest MCS reaching it: MCS 4
    (QPSK 308/1024, 0.6016 = CQI 4's efficiency) -> SINR 0.2 dB. MAPL before margins =
    26 + 25 - (-101.9019 + 0.2 + 2.0) = 150.7019 dB.
    """
    link = dataclasses.replace(HAND_LINK, mapping="mcs_64qam", bler=0.1)
    assert float(ul.pusch_required_sinr_db(link)) == pytest.approx(0.2)
    assert float(ul.pusch_mapl_db(link)) == pytest.approx(150.7019, abs=1e-3)


def test_power_class_adds_its_power():
    assert ul.ue_power_dbm("pc2") == 26.0 and ul.ue_power_dbm("PC3") == 23.0
    pc3 = dataclasses.replace(HAND_LINK, ue_power_dbm=ul.ue_power_dbm("PC3"))
    assert float(ul.pusch_mapl_db(HAND_LINK) - ul.pusch_mapl_db(pc3)) == pytest.approx(3.0)
    with pytest.raises(RadioConfigError, match="'PC4'"):
        ul.ue_power_dbm("PC4")


def test_smaller_uplink_share_costs_margin():
    n41 = dataclasses.replace(HAND_LINK, ul_share=0.20)  # DDDDDDDSUU
    assert float(ul.pusch_mapl_db(n41)) < float(ul.pusch_mapl_db(HAND_LINK))


def test_rate_beyond_the_allocation_gives_no_coverage():
    # 1 PRB at 20 % UL cannot carry 1 Mbit/s even at SE_max: MAPL -inf, range 0.
    link = dataclasses.replace(HAND_LINK, n_prb=1, ul_share=0.2)
    assert float(ul.pusch_mapl_db(link)) == -math.inf
    assert float(dim.range_for_mapl_m(-math.inf, model="uma", freq_ghz=3.5, h_bs_m=30.0, h_ut_m=1.5,
                                      los=False)) == 0.0


def test_best_allocation_is_the_maximum_over_prbs():
    n, best = ul.pusch_best_prbs(HAND_LINK, n_prb_max=273)
    all_mapl = ul.pusch_mapl_db(HAND_LINK, n_prb=np.arange(1, 274))
    assert best == pytest.approx(float(np.max(all_mapl)))
    assert 1 <= n <= 273 and best >= float(ul.pusch_mapl_db(HAND_LINK))


def test_vectorized_over_margins_and_penetration():
    pen = np.array([[16.9, 31.0], [0.0, 20.0]])
    got = ul.pusch_mapl_db(HAND_LINK, shadow_margin_db=7.6, penetration_loss_db=pen)
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got, 151.9342 - 7.6 - pen, atol=1e-3)


@pytest.mark.parametrize(
    "changes,match",
    [
        ({"mapping": "cqi"}, "uplink.mapping"),
        ({"ul_share": 0.0}, "uplink.ul_share"),
        ({"overhead": 1.0}, "uplink.overhead"),
        ({"gnb_noise_figure_db": -1.0}, "uplink.gnb_noise_figure_db"),
        ({"edge_rate_mbps": 0.0}, "uplink.edge_rate_mbps"),
        ({"n_prb": 0}, "uplink.n_prb"),
    ],
)
def test_bad_uplink_settings_are_named(changes, match):
    with pytest.raises(RadioConfigError, match=match):
        ul.pusch_mapl_db(dataclasses.replace(HAND_LINK, **changes))


@given(r1=st.floats(0.05, 50.0), r2=st.floats(0.05, 50.0), mapping=st.sampled_from(["shannon", "mcs_64qam",
                                                                                     "mcs_256qam"]))
def test_mapl_falls_as_edge_rate_rises(r1, r2, mapping):
    link = dataclasses.replace(HAND_LINK, mapping=mapping, n_prb=100, se_max=7.4063)
    lo, hi = sorted((r1, r2))
    assert float(ul.pusch_mapl_db(link, edge_rate_mbps=hi)) <= float(ul.pusch_mapl_db(link, edge_rate_mbps=lo))


def test_downlink_mapl_matches_the_existing_budget():
    radio = RadioConfig()
    for name in radio.site_types:
        p = radio.preset(name, "n78")
        for indoor in (False, True):
            got = float(ul.ssb_rsrp_mapl_db(
                tx_power_per_re_dbm=p.tx_power_per_re_dbm, antenna_gain_dbi=p.antenna_gain_dbi,
                cable_loss_db=p.cable_loss_db, body_loss_db=radio.body_loss_db,
                shadow_margin_db=budgets.outdoor_margin_db(radio, p.model),
                penetration_loss_db=budgets.reference_indoor_loss_db(radio, "n78") if indoor else 0.0,
                rsrp_threshold_dbm=radio.rsrp_threshold_dbm))
            assert got == pytest.approx(lb.budget_db(p, radio, indoor=indoor) - radio.rsrp_threshold_dbm), name


# --- dimensioning -------------------------------------------------------------------------------------------

def test_hexagon_geometry_by_hand():
    # 3-sector: ISD 1.5 R; omni: sqrt(3) R; site area (sqrt 3 / 2) ISD^2 = 1.949 R^2 (3-sector).
    assert float(dim.inter_site_distance_m(200.0, sectors=3)) == 300.0
    assert float(dim.inter_site_distance_m(200.0, sectors=1)) == pytest.approx(346.41, abs=0.01)
    assert float(dim.site_area_km2(300.0)) == pytest.approx(0.077942, abs=1e-6)
    # R = 230 m: ISD 345 m, site 0.103078 km^2 -> 42 / 0.103078 = 407.5 -> 408 sites;
    # R = 290 m: ISD 435 m, site 0.163874 km^2 -> 256.3 -> 257 sites (the "~260-410").
    assert int(dim.sites_for_area(42.0, 345.0)) == 408
    assert int(dim.sites_for_area(42.0, 435.0)) == 257
    with pytest.raises(RadioConfigError, match="sectors"):
        dim.inter_site_distance_m(200.0, sectors=6)


def test_range_inverts_the_path_loss_model():
    r = dim.range_for_mapl_m(np.array([110.0, 125.0, 140.0]), model="umi", freq_ghz=2.6, h_bs_m=10.0, h_ut_m=1.5,
                             los=False)
    pl = path_loss("umi", r, freq_ghz=2.6, h_bs_m=10.0, h_ut_m=1.5, los=False)
    np.testing.assert_allclose(pl, [110.0, 125.0, 140.0], atol=1e-3)


def test_limiting_link():
    np.testing.assert_array_equal(dim.limiting_link([130.0, 120.0, 125.0], [125.0, 128.0, 125.0]),
                                  ["uplink", "downlink", "downlink"])


def test_dimension_cell_reports_both_links():
    d = dim.dimension_cell(120.0, 127.4342, model="uma", freq_ghz=3.5, h_bs_m=30.0, h_ut_m=1.5, los=False,
                           sectors=3, area_km2=42.0)
    assert d.limiting == "downlink" and d.ul_headroom_db == pytest.approx(7.4342)
    assert d.ul_range_m == pytest.approx(431.52, abs=1.0) and d.range_m == d.dl_range_m < d.ul_range_m
    assert d.isd_m == pytest.approx(1.5 * d.range_m) and d.sites == int(dim.sites_for_area(42.0, d.isd_m))


def _central_ul_range_m(freq_ghz, ul_share, ue_power_dbm, o2i_db, sigma_p_db):
    link = dataclasses.replace(HAND_LINK, ue_power_dbm=ue_power_dbm, ul_share=ul_share)
    margin = float(area_margin_db(0.95, combined_sigma_db(6.0, sigma_p_db), distance_exponent("uma", False)))
    mapl = float(ul.pusch_mapl_db(link, shadow_margin_db=margin, penetration_loss_db=o2i_db))
    return float(dim.range_for_mapl_m(mapl, model="uma", freq_ghz=freq_ghz, h_bs_m=30.0, h_ut_m=1.5, los=False))


@pytest.mark.parametrize("freq_ghz,ul_share", [(3.5, 0.30), (2.6, 0.20)])
def test_sanity_uplink_limited_indoor_range_of_a_dense_urban_macro(freq_ghz, ul_share):
    """Issue 11's planner check: n78 / n41 macros, UMa NLOS, 95 % area, deep indoor (O2I 22 dB, the middle of
    Chinese dense-urban budgets' 18-26 dB, sigma_P 5.45 dB between TR 38.901's 4.4 and 6.5 -> margin 8.53 dB),
    1 Mbit/s uplink edge on 20 PRB, 64T64R 25 dBi, NF 3.5 dB, IM 2 dB. PC3..PC2 UEs give a ~250-300 m range,
    ~240-340 3-sector sites per 42 km² per network: the order of the issue's ~230-290 m / ~260-410 sites.
    (n41's 20 % UL share costs ~2.5 dB against n78's 30 %, its lower frequency gives ~2.6 dB back.)
    """
    r_pc3 = _central_ul_range_m(freq_ghz, ul_share, 23.0, 22.0, 5.45)
    r_pc2 = _central_ul_range_m(freq_ghz, ul_share, 26.0, 22.0, 5.45)
    assert 240.0 <= r_pc3 < r_pc2 <= 310.0
    sites = [int(dim.sites_for_area(42.0, dim.inter_site_distance_m(r, sectors=3))) for r in (r_pc2, r_pc3)]
    assert 230 <= sites[0] < sites[1] <= 350


def test_dimensioning_of_an_indoor_system_has_only_its_own_building():
    """An indoor system serves its own building without O2I loss (coverage.engine): its budget shows that one
    case, per antenna head, with no sites for the area; an outdoor-type site keeps outdoor plus the O2I cases."""
    radio = RadioConfig()
    losses = {"indoor_low_loss": 20.0, "indoor_high_loss": 35.0}
    indoor = budgets.dimensioning(radio, "indoor", "n78", area_km2=42.0, indoor_losses=losses)
    assert list(indoor["cases"]) == ["own_building"] and indoor["cases"]["own_building"]["loss_db"] == 0.0
    own = indoor["cases"]["own_building"]
    assert own["sites_for_area"] is None and own["sites_per_km2"] is None and "antenna head" in indoor["range_model"]
    # An InH head at -11 dBm per RE reaches tens of metres in its building, not the 2-8 m an O2I case implied.
    assert 15.0 <= indoor["cases"]["own_building"]["range_m"] <= 200.0
    macro = budgets.dimensioning(radio, "macro", "n78", area_km2=42.0, indoor_losses=losses)
    assert list(macro["cases"]) == ["outdoor", *losses] and macro["cases"]["outdoor"]["sites_for_area"] > 0
