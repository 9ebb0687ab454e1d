"""SINR <-> spectral efficiency (TS 38.214 tables, TR 36.942 attenuated Shannon) and TDD shares."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from siteplan.errors import RadioConfigError
from siteplan.radio import spectral as se
from siteplan.radio import tdd


@pytest.mark.parametrize("table", [*se.CQI_TABLES, *se.MCS_TABLES])
def test_table_efficiency_is_qm_times_rate(table):
    # TS 38.214 defines each row's efficiency as Qm * R / 1024, printed to 4 decimals.
    rows = {**se.CQI_TABLES, **se.MCS_TABLES}[table]
    for qm, r, eff in rows:
        assert eff == pytest.approx(qm * r / 1024, abs=6e-5)


def test_table_sizes_and_anchors():
    assert len(se.CQI_TABLES["cqi_64qam"]) == 15 and len(se.CQI_TABLES["cqi_256qam"]) == 15
    assert len(se.MCS_TABLES["mcs_64qam"]) == 29 and len(se.MCS_TABLES["mcs_256qam"]) == 28
    assert se.CQI_TABLES["cqi_64qam"][-1][2] == 5.5547  # Table 5.2.2.1-2, CQI 15
    assert se.CQI_TABLES["cqi_256qam"][-1][2] == 7.4063  # Table 5.2.2.1-3, CQI 15
    assert se.MCS_TABLES["mcs_256qam"][20][:2] == (8, 682.5)  # Table 5.1.3.1-2, MCS 20


@pytest.mark.parametrize(
    "sinr,table,expected",
    [
        (-7.0, "cqi_64qam", 0.0),      # below CQI 1 (-6.7 dB)
        (-6.7, "cqi_64qam", 0.1523),   # CQI 1
        (10.0, "cqi_64qam", 1.9141),   # CQI 8 (8.1 dB) — CQI 9 needs 10.3 dB
        (30.0, "cqi_64qam", 5.5547),   # CQI 15
        (23.0, "cqi_256qam", 5.5547),  # CQI 12 of Table 5.2.2.1-3 (22.7 dB)
        (30.0, "cqi_256qam", 7.4063),  # CQI 15 (28.3 dB, the extension in the module notes)
    ],
)
def test_cqi_spectral_efficiency(sinr, table, expected):
    assert float(se.cqi_spectral_efficiency(sinr, table=table)) == expected


def test_thresholds_of_the_64qam_cqi_table_are_the_published_ones():
    np.testing.assert_allclose(se.table_sinr_thresholds_db("cqi_64qam"), se.CQI_SINR_10PCT_BLER_DB)
    thr256 = se.table_sinr_thresholds_db("cqi_256qam")
    # Rows shared with the 64QAM table keep their thresholds; the 256QAM rows continue at a constant gap:
    # Gamma = 10^2.27 / (2^5.5547 - 1) = 4.049 -> SE 7.4063: 10 log10(4.049 (2^7.4063 - 1)) = 28.34 dB.
    assert thr256[[0, 3, 11]] == pytest.approx([-6.7, 5.9, 22.7])
    assert thr256[-1] == pytest.approx(28.34, abs=0.01)
    assert np.all(np.diff(thr256) > 0)


def test_shannon_by_hand():
    # TR 36.942 A.2 form: 0.6 log2(1 + 10) = 2.0757; below -10 dB nothing; capped at se_max.
    assert float(se.shannon_spectral_efficiency(10.0)) == pytest.approx(0.6 * math.log2(11.0))
    assert float(se.shannon_spectral_efficiency(-10.5)) == 0.0
    assert float(se.shannon_spectral_efficiency(60.0, se_max=4.4)) == 4.4
    # Inverse: SE 1 bit/s/Hz at alpha 0.6 needs 2^(1/0.6) - 1 = 2.1748 -> 3.374 dB.
    assert float(se.shannon_required_sinr_db(1.0)) == pytest.approx(10 * math.log10(2 ** (1 / 0.6) - 1))
    assert float(se.shannon_required_sinr_db(0.001)) == -10.0  # floored at SINR_min
    assert math.isinf(float(se.shannon_required_sinr_db(8.0)))


def test_lowest_mcs_reaching_an_efficiency():
    mcs, sinr = se.mcs_for_spectral_efficiency([0.1, 1.0, 2.568, 5.5547, 5.6], table="mcs_64qam")
    # 2.568: MCS 16 (2.5703) comes before MCS 17 (2.5664) in Table 5.1.3.1-1.
    np.testing.assert_array_equal(mcs, [0, 7, 16, 28, -1])
    assert sinr[0] == pytest.approx(-4.7)  # MCS 0 = CQI 2's efficiency 0.2344
    assert math.isinf(sinr[-1])
    mcs256, _ = se.mcs_for_spectral_efficiency(7.4063, table="mcs_256qam")
    assert int(mcs256) == 27


def test_dispatchers_name_unknown_models():
    assert float(se.get_spectral_efficiency(10.0, "shannon")) == pytest.approx(2.0757, abs=1e-4)
    assert float(se.required_sinr_db(1.0, "mcs_64qam")) == pytest.approx(
        float(se.mcs_for_spectral_efficiency(1.0)[1]))
    with pytest.raises(RadioConfigError, match="'cqi_1024qam'"):
        se.get_spectral_efficiency(10.0, "cqi_1024qam")
    with pytest.raises(RadioConfigError, match="'turbo'"):
        se.required_sinr_db(1.0, "turbo")
    with pytest.raises(RadioConfigError, match="alpha"):
        se.shannon_spectral_efficiency(3.0, alpha=1.5)


def test_occupied_bandwidth():
    assert float(se.occupied_bandwidth_hz(273, 30.0)) == 98.28e6  # TS 38.104: 100 MHz at 30 kHz
    assert float(se.occupied_bandwidth_hz(160, 15.0)) == 28.8e6


@given(s1=st.floats(-20, 40), s2=st.floats(-20, 40),
       model=st.sampled_from(["cqi_64qam", "cqi_256qam", "shannon"]))
def test_spectral_efficiency_grows_with_sinr(s1, s2, model):
    lo, hi = sorted((s1, s2))
    assert float(se.get_spectral_efficiency(hi, model)) >= float(se.get_spectral_efficiency(lo, model))


@given(x=st.floats(0.01, 7.4))
def test_shannon_inverse_round_trip(x):
    s = float(se.shannon_required_sinr_db(x))
    assert float(se.shannon_spectral_efficiency(s)) >= x - 1e-9


# --- TDD shares -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "key,ul,ul_with_s,dl",
    [
        # DDDSUDDSUU, S 10:2:2: UL 3/10; with S's 2 UL symbols (3 + 2*2/14)/10; DL (5 + 2*10/14)/10.
        ("ct_cu_n78_2p5ms_double", 0.30, (3 + 4 / 14) / 10, (5 + 20 / 14) / 10),
        # DDDDDDDSUU, S 6:4:4: UL 2/10; with S (2 + 4/14)/10; DL (7 + 6/14)/10.
        ("cm_n41_5ms_single", 0.20, (2 + 4 / 14) / 10, (7 + 6 / 14) / 10),
        ("dddsu_2p5ms", 0.20, (1 + 2 / 14) / 5, (3 + 10 / 14) / 5),
    ],
)
def test_tdd_shares_by_hand(key, ul, ul_with_s, dl):
    p = tdd.get_tdd_pattern(key)
    assert tdd.uplink_share(p.slots, p.special_slot_symbols) == pytest.approx(ul)
    assert tdd.uplink_share(p.slots, p.special_slot_symbols, special_ul_for_data=True) == pytest.approx(ul_with_s)
    assert tdd.downlink_share(p.slots, p.special_slot_symbols) == pytest.approx(dl)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: tdd.uplink_share("DDXU"), "D, S and U"),
        (lambda: tdd.uplink_share(""), "D, S and U"),
        (lambda: tdd.uplink_share("DDDSU", (10, 2, 3)), "summing to 14"),
        (lambda: tdd.get_tdd_pattern("n78"), "'n78'"),
    ],
)
def test_tdd_bad_patterns_are_named(call, match):
    with pytest.raises(RadioConfigError, match=match):
        call()
