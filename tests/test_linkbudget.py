"""Link budget, band presets, antenna pattern, range inversion and the GB 8702-2014 EMF distance."""

import dataclasses
import math

import numpy as np
import pytest

from siteplan.config import RadioConfig, SiteTypePreset
from siteplan.errors import RadioConfigError
from siteplan.radio import antenna
from siteplan.radio import budgets
from siteplan.radio import linkbudget as lb
from siteplan.radio.propagation import path_loss


def test_band_presets():
    assert set(lb.BANDS) == {"n78", "n41", "n79", "n28"}
    n78 = lb.get_band("n78")
    assert (n78.freq_mhz, n78.bandwidth_mhz, n78.scs_khz, n78.n_prb) == (3500.0, 100.0, 30.0, 273)
    assert lb.get_band("N28").scs_khz == 15.0 and lb.get_band("n28").n_prb == 160  # TS 38.104: 30 MHz @ 15 kHz
    assert lb.resource_elements("n41") == 273 * 12


def test_power_per_re_matches_macro_preset():
    # 200 W (53 dBm) over 273 PRB x 12 RE: the 18 dBm/RE of the macro preset, to rounding.
    assert lb.power_per_re_dbm(53.0, "n78") == pytest.approx(53.0 - 10 * math.log10(3276))
    assert abs(lb.power_per_re_dbm(53.0, "n78") - 18.0) < 0.2


def test_noise_per_re():
    # kT0 = -173.98 dBm/Hz; 30 kHz SCS adds 44.77 dB.
    assert lb.noise_per_re_dbm("n78", noise_figure_db=7.0) == pytest.approx(-173.975 + 44.771 + 7.0, abs=0.01)
    assert lb.noise_per_re_dbm("n28", noise_figure_db=0.0) == pytest.approx(-173.975 + 41.761, abs=0.01)


def test_unknown_band_is_named():
    with pytest.raises(RadioConfigError, match="n99"):
        lb.get_band("n99")


def test_rsrp_is_budget_minus_path_loss():
    radio = RadioConfig()
    p = radio.site_types["macro"]
    d = np.array([50.0, 200.0, 800.0])
    got = lb.rsrp_dbm(d, preset=p, radio=radio, los=False)
    pl = path_loss("uma", d, freq_ghz=3.5, h_bs_m=30.0, h_ut_m=1.5, los=False)
    # 95 % area reliability, UMa NLOS sigma 6 dB and n 3.908 (Jakes): a 5.60 dB margin.
    expected = 18.0 + 17.0 - 2.0 - 3.0 - 5.598 - pl
    np.testing.assert_allclose(got, expected, atol=1e-3)
    fixed = lb.rsrp_dbm(d, preset=p, radio=dataclasses.replace(radio, shadowing_margin_db=6.0), los=False)
    np.testing.assert_allclose(fixed, 18.0 + 17.0 - 2.0 - 3.0 - 6.0 - pl)
    indoor = lb.rsrp_dbm(d, preset=p, radio=radio, los=False, indoor=True)
    # A generic building at 3.5 GHz: 20 % high-loss (ITU-R M.2412), mixture mean 19.7 dB + extra margin.
    np.testing.assert_allclose(got - indoor, budgets.reference_indoor_loss_db(radio, "n78"))


@pytest.mark.parametrize("los", [True, False, "weighted"])
@pytest.mark.parametrize("site_type", ["macro", "micro", "indoor"])
def test_max_range_inverts_the_budget(site_type, los):
    radio = RadioConfig()
    p = radio.site_types[site_type]
    r = float(lb.max_range_m(p, radio, los=los))
    assert r > 10.0
    thr = radio.rsrp_threshold_dbm
    assert float(lb.rsrp_dbm(r, preset=p, radio=radio, los=los)) >= thr - 1e-6
    assert float(lb.rsrp_dbm(r + 0.05, preset=p, radio=radio, los=los)) < thr


def test_max_range_vectorized_over_heights():
    radio = RadioConfig()
    p = radio.site_types["macro"]
    h = np.array([20.0, 30.0, 40.0])
    r = lb.max_range_m(p, radio, h_bs_m=h, los=False)
    assert r.shape == (3,)
    for hi, ri in zip(h, r):
        assert ri == pytest.approx(float(lb.max_range_m(p, radio, h_bs_m=hi, los=False)))


def test_max_range_zero_when_threshold_unreachable():
    radio = RadioConfig()
    assert float(lb.max_range_m(radio.site_types["macro"], radio, threshold_dbm=0.0)) == 0.0


def test_emf_limits_gb8702():
    f = np.array([700.0, 2600.0, 3000.0, 3500.0, 4900.0, 15000.0, 20000.0])
    np.testing.assert_allclose(
        lb.emf_power_density_limit_w_m2(f), [0.4, 0.4, 0.4, 3500 / 7500, 4900 / 7500, 2.0, 2.0]
    )
    assert lb.emf_power_density_limit_w_m2(3500.0) == pytest.approx(0.467, abs=5e-4)


def test_emf_compliance_distance():
    # 200 W + 17 dBi - 2 dB = 68 dBm EIRP at 3.5 GHz, one fifth of the limit.
    eirp_w = 10 ** ((68.0 - 30.0) / 10)
    expected = math.sqrt(eirp_w / (4 * math.pi * 0.2 * 3500 / 7500))
    assert float(lb.emf_compliance_distance_m(68.0, 3500.0, 0.2)) == pytest.approx(expected)
    # Holding a site to a fifth of the limit multiplies the distance by sqrt(5).
    ratio = lb.emf_compliance_distance_m(68.0, 2600.0, 0.2) / lb.emf_compliance_distance_m(68.0, 2600.0, 1.0)
    assert float(ratio) == pytest.approx(math.sqrt(5.0))
    with pytest.raises(RadioConfigError, match="emf_limit_fraction"):
        lb.emf_compliance_distance_m(68.0, 3500.0, 0.0)


def _with_preset(radio, name, **changes):
    types = dict(radio.site_types)
    types[name] = dataclasses.replace(types[name], **changes)
    return dataclasses.replace(radio, site_types=types)


@pytest.mark.parametrize(
    "radio,match",
    [
        (dataclasses.replace(RadioConfig(), band="n99"), "radio.band"),
        (_with_preset(RadioConfig(), "macro", total_power_dbm=-3.0), "macro.total_power_dbm"),
        (_with_preset(RadioConfig(), "macro", height_m=200.0), "h_bs_m = 200"),
        (_with_preset(RadioConfig(), "micro", model="hata"), "invalid model 'hata'"),
        (dataclasses.replace(RadioConfig(), ue_height_m=40.0), "h_ut_m"),
        (dataclasses.replace(RadioConfig(), los_mode="sometimes"), "los_mode"),
        (dataclasses.replace(RadioConfig(), body_loss_db=-1.0), "body_loss_db"),
    ],
)
def test_check_radio_names_the_setting(radio, match):
    with pytest.raises(RadioConfigError, match=match):
        lb.check_radio(radio)


def test_check_radio_names_unknown_site_band():
    with pytest.raises(RadioConfigError, match="n77x"):
        lb.check_radio(RadioConfig(), bands=["n78", "n77x"])


def test_default_radio_is_valid():
    lb.check_radio(RadioConfig(), bands=["n78", "n41", "n79", "n28"])


def test_sector_pattern_table_7_3_1():
    kw = {"h_beamwidth_deg": 65.0, "v_beamwidth_deg": 10.0, "tilt_deg": 6.0, "am_db": 30.0, "sla_v_db": 30.0}
    assert float(antenna.sector_pattern_db(0.0, 6.0, **kw)) == 0.0
    assert float(antenna.sector_pattern_db(32.5, 6.0, **kw)) == pytest.approx(-3.0)
    assert float(antenna.sector_pattern_db(-32.5, 6.0, **kw)) == pytest.approx(-3.0)
    assert float(antenna.sector_pattern_db(0.0, 11.0, **kw)) == pytest.approx(-3.0)
    assert float(antenna.sector_pattern_db(180.0, 6.0, **kw)) == pytest.approx(-30.0)
    # A_H + A_V is floored at Am in total.
    assert float(antenna.sector_pattern_db(100.0, 40.0, **kw)) == pytest.approx(-30.0)
    # Wrapping: 350 deg off boresight is 10 deg.
    assert float(antenna.sector_pattern_db(350.0, 6.0, **kw)) == pytest.approx(-12 * (10 / 65) ** 2)


def test_bearing_and_depression_conventions():
    assert float(antenna.bearing_deg(1.0, 0.0)) == pytest.approx(90.0)  # east
    assert float(antenna.bearing_deg(0.0, -1.0)) == pytest.approx(180.0)  # south
    assert float(antenna.depression_deg(28.5, 28.5)) == pytest.approx(45.0)
    np.testing.assert_array_equal(antenna.omni_pattern_db((2, 3)), np.zeros((2, 3)))


def test_preset_type_is_the_config_dataclass():
    assert isinstance(RadioConfig().site_types["macro"], SiteTypePreset)
