"""Shadow-fading margins: edge probability, Jakes area reliability, TR 38.901 sigmas, and the issue's figures."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from siteplan.errors import RadioConfigError
from siteplan.radio import margins as mg


@pytest.mark.parametrize(
    "p,sigma,expected",
    [
        # M = sigma * Phi^-1(P): Phi^-1(0.90) = 1.28155, Phi^-1(0.95) = 1.64485, Phi^-1(0.75) = 0.67449.
        (0.90, 8.0, 10.2524),
        (0.95, 6.0, 9.8691),
        (0.75, 8.0, 5.3959),
        (0.50, 7.0, 0.0),
    ],
)
def test_edge_margin_by_hand(p, sigma, expected):
    assert float(mg.edge_margin_db(p, sigma)) == pytest.approx(expected, abs=1e-3)
    assert float(mg.edge_probability(expected, sigma)) == pytest.approx(p, abs=1e-5)


def test_jakes_by_hand_at_zero_margin():
    """sigma = 8, n = 4, M = 0: a = 0, b = 10 * 4 * log10(e) / (8 sqrt 2) = 1.53554; F_u = (1 + erfcx(1/b)) / 2.

    erfcx(0.65123) = exp(0.42410) erfc(0.65123) = 1.52826 * 0.35683 = 0.54533 -> F_u = 0.77267.
    """
    assert float(mg.area_reliability(0.0, 8.0, 4.0)) == pytest.approx(0.77267, abs=2e-4)


def test_jakes_classic_75_percent_edge_is_90_percent_area():
    # Jakes (1974) / Rappaport Fig. 4.18: sigma/n = 2 with 75 % at the edge covers ~90 % of the area.
    m = float(mg.edge_margin_db(0.75, 8.0))
    assert float(mg.area_reliability(m, 8.0, 4.0)) == pytest.approx(0.908, abs=2e-3)


def test_jakes_matches_its_textbook_form():
    # The overflow-free erfcx form equals 1/2 [1 - erf(a) + exp((1-2ab)/b^2)(1 - erf((1-ab)/b))].
    for m, s, n in [(5.6, 6.0, 3.908), (-2.0, 8.0, 3.5), (10.0, 10.0, 2.2)]:
        a = -m / (s * math.sqrt(2))
        b = 10 * n * math.log10(math.e) / (s * math.sqrt(2))
        ref = 0.5 * (1 - math.erf(a) + math.exp((1 - 2 * a * b) / b**2) * (1 - math.erf((1 - a * b) / b)))
        assert float(mg.area_reliability(m, s, n)) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize(
    "sigma,n,expected",
    [
        # Issue 11's figures: 95 % area reliability, Jakes, n = 3.908 (UMa NLOS's 39.08 log10 d).
        (6.0, 3.908, 5.6),              # outdoor macro, UMa NLOS sigma 6 dB
        (7.82, 3.908, 8.1),             # "UMi NLOS" sigma 7.82 dB, with UMa's exponent
        (math.hypot(6.0, 4.4), 3.908, 7.6),   # indoor, low-loss sigma_P 4.4 dB
        (math.hypot(6.0, 6.5), 3.908, 9.6),   # indoor, high-loss sigma_P 6.5 dB
        (7.82, 3.53, 8.4),              # UMi NLOS with its own exponent (35.3 log10 d)
    ],
)
def test_issue_margins_are_95_percent_area_with_the_uma_exponent(sigma, n, expected):
    assert round(float(mg.area_margin_db(0.95, sigma, n)), 1) == expected


def test_area_margin_inverts_area_reliability_vectorized():
    p = np.array([0.8, 0.9, 0.95, 0.99])
    m = mg.area_margin_db(p, 7.0, np.array([[3.0], [4.0]]))
    assert m.shape == (2, 4)
    np.testing.assert_allclose(mg.area_reliability(m, 7.0, np.array([[3.0], [4.0]])), np.broadcast_to(p, (2, 4)),
                               atol=1e-9)


def test_dispatcher():
    assert float(mg.shadow_margin_db(0.9, 8.0, kind="edge")) == pytest.approx(10.2524, abs=1e-3)
    assert float(mg.shadow_margin_db(0.95, 6.0, kind="area", path_loss_exponent=3.908)) == pytest.approx(
        float(mg.area_margin_db(0.95, 6.0, 3.908)))
    with pytest.raises(RadioConfigError, match="exponent"):
        mg.shadow_margin_db(0.95, 6.0, kind="area")
    with pytest.raises(RadioConfigError, match="'cell'"):
        mg.shadow_margin_db(0.95, 6.0, kind="cell")


@pytest.mark.parametrize(
    "model,los,bp,sigma",
    [
        # TR 38.901 Table 7.4.1-1
        ("uma", True, False, 4.0), ("uma", False, False, 6.0),
        ("umi", "los", False, 4.0), ("umi", "nlos", False, 7.82),
        ("rma", True, False, 4.0), ("rma", True, True, 6.0), ("rma", False, True, 8.0),
        ("inh", True, False, 3.0), ("inh", False, False, 8.03),
    ],
)
def test_sigma_table_7_4_1_1(model, los, bp, sigma):
    assert mg.shadow_fading_sigma_db(model, los, beyond_breakpoint=bp) == sigma


def test_sigma_unknown_model_and_los_are_named():
    with pytest.raises(RadioConfigError, match="'cost231'"):
        mg.shadow_fading_sigma_db("cost231", False)
    with pytest.raises(RadioConfigError, match="'weighted'"):
        mg.shadow_fading_sigma_db("uma", "weighted")


@pytest.mark.parametrize(
    "model,los,kw,n",
    [
        ("uma", False, {}, 3.908), ("uma", True, {}, 2.2), ("uma", True, {"beyond_breakpoint": True}, 4.0),
        ("umi", False, {}, 3.53), ("inh", False, {}, 3.83),
        ("rma", False, {"h_bs_m": 35.0}, (43.42 - 3.1 * math.log10(35.0)) / 10),
        ("cost231", False, {"h_bs_m": 30.0}, (44.9 - 6.55 * math.log10(30.0)) / 10),
    ],
)
def test_distance_exponents(model, los, kw, n):
    assert mg.distance_exponent(model, los, **kw) == pytest.approx(n)


def test_combined_sigma_is_root_sum_square():
    assert float(mg.combined_sigma_db(6.0, 4.4)) == pytest.approx(7.4404, abs=1e-4)
    assert float(mg.combined_sigma_db(3.0, 4.0)) == 5.0
    with pytest.raises(RadioConfigError):
        mg.combined_sigma_db(-1.0)


@pytest.mark.parametrize("p", [0.0, 1.0, 1.2, float("nan")])
def test_probability_outside_0_1_is_refused(p):
    with pytest.raises(RadioConfigError, match="probability"):
        mg.edge_margin_db(p, 6.0)
    with pytest.raises(RadioConfigError, match="probability"):
        mg.area_margin_db(p, 6.0, 3.9)


@given(p1=st.floats(0.05, 0.995), p2=st.floats(0.05, 0.995), sigma=st.floats(1.0, 12.0), n=st.floats(2.0, 4.5))
def test_margin_grows_with_reliability(p1, p2, sigma, n):
    lo, hi = sorted((p1, p2))
    assert float(mg.edge_margin_db(hi, sigma)) >= float(mg.edge_margin_db(lo, sigma))
    assert float(mg.area_margin_db(hi, sigma, n)) >= float(mg.area_margin_db(lo, sigma, n)) - 1e-9


@given(p=st.floats(0.6, 0.995), sigma=st.floats(1.0, 12.0), n=st.floats(2.0, 4.5))
def test_area_margin_is_below_edge_margin(p, sigma, n):
    # Covering a share p of the area is easier than covering the edge with probability p.
    assert float(mg.area_margin_db(p, sigma, n)) < float(mg.edge_margin_db(p, sigma))
