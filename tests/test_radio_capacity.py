"""Traffic demand, cell capacity, PRB load, the utilisation trigger and the remedy (issue 11, acceptance 4 core)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from siteplan.errors import RadioConfigError
from siteplan.radio import capacity as cap
from siteplan.radio import tdd

N78_DL_SHARE = tdd.downlink_share("DDDSUDDSUU", (10, 2, 2))  # (5 + 2 x 10/14) / 10 = 0.642857


def test_busy_hour_demand_by_hand():
    # 10 000 users x 15.2 GB x 8000 Mbit/GB / 30 days x 0.08 / 3600 s = 900.74 Mbit/s (all 5G, one network).
    got = cap.busy_hour_demand_mbps(10_000, traffic_gb_per_month=15.2, fiveg_share=1.0, busy_hour_share=0.08)
    assert float(got) == pytest.approx(900.7407, abs=1e-3)
    # Defaults: MIIT 2022 DOU 15.2 GB, 5G share 0.333, busy hour 8 %: a third of that.
    assert float(cap.busy_hour_demand_mbps(10_000)) == pytest.approx(900.7407 * 0.333, abs=1e-3)
    dens = cap.busy_hour_demand_mbps(np.array([[0.0, 5000.0], [20000.0, 1.0]]), network_share=0.42)
    assert dens.shape == (2, 2) and dens[0, 0] == 0.0


def test_cell_capacity_by_hand():
    # SE 2 x 98.28 MHz (273 PRB @ 30 kHz) x 0.642857 (DDDSUDDSUU) x (1 - 0.14) = 108.669 Mbit/s.
    got = cap.cell_capacity_mbps(2.0, n_prb=273, scs_khz=30.0, dl_share=N78_DL_SHARE, overhead=0.14)
    assert float(got) == pytest.approx(2.0 * 98.28 * (5 + 20 / 14) / 10 * 0.86, abs=1e-6)
    assert float(got) == pytest.approx(108.669, abs=1e-3)
    assert float(cap.cell_capacity_mbps(2.0, n_prb=273, scs_khz=30.0, dl_share=N78_DL_SHARE,
                                        mimo_layers=4.0)) == pytest.approx(4 * 108.669, abs=1e-2)


def test_cell_load_sums_airtime_per_cell():
    kw = {"n_prb": 273, "scs_khz": 30.0, "dl_share": N78_DL_SHARE, "overhead": 0.14}
    per_se = float(cap.cell_capacity_mbps(1.0, **kw))  # Mbit/s per bit/s/Hz
    server = np.array([[0, 0, 1], [-1, 1, 2]])
    demand = np.array([[10.0, 20.0, 30.0], [5.0, 40.0, 0.0]])
    se = np.array([[2.0, 1.0, 3.0], [2.0, 0.0, 1.0]])
    util, served, unserved = cap.cell_load(server, demand, se, n_cells=3, **kw)
    np.testing.assert_allclose(util, [(10 / 2 + 20 / 1) / per_se, (30 / 3) / per_se, 0.0])
    np.testing.assert_allclose(served, [30.0, 30.0, 0.0])
    assert unserved == 45.0  # no server (5) and SE 0 (40)
    with pytest.raises(RadioConfigError, match="server"):
        cap.cell_load(np.array([3]), np.array([1.0]), np.array([1.0]), n_cells=3, **kw)


def test_one_overloaded_hotspot_gets_a_flag_and_a_remedy():
    """A railway station of 20 000 subscribers on the CT/CU n78 RAN.

    Demand: 20 000 x 15.2 GB x 8000 / 30 x 0.08 / 3600 = 1801.48 Mbit/s for all users; x 0.333 (5G share)
    x 0.42 (network share, assumed) = 251.96 Mbit/s. Its cell serves it at SE 2 bit/s/Hz: capacity 108.669 Mbit/s,
    utilisation 251.96 / 108.669 = 2.319 > 0.7. Carriers: ceil(2.319 / 0.7) = 4, i.e. 3 more.
    Micro sites of one carrier at SE 3 (163.00 Mbit/s): excess 251.96 - 0.7 x 108.669 = 175.89 Mbit/s ->
    ceil(175.89 / (0.7 x 163.00)) = ceil(1.541) = 2 micros. The quiet neighbour cell stays unflagged.
    """
    kw = {"n_prb": 273, "scs_khz": 30.0, "dl_share": N78_DL_SHARE, "overhead": 0.14}
    demand = cap.busy_hour_demand_mbps(np.array([20_000.0, 500.0]), network_share=0.42)
    assert float(demand[0]) == pytest.approx(251.96, abs=0.01)
    util, served, _ = cap.cell_load(np.array([0, 1]), demand, np.array([2.0, 2.0]), n_cells=2, **kw)
    assert util[0] == pytest.approx(2.3186, abs=1e-3)
    np.testing.assert_array_equal(cap.over_trigger(util, 0.7), [True, False])
    np.testing.assert_array_equal(cap.extra_carriers(util, carriers=1, trigger=0.7), [3, 0])
    capacity = cap.cell_capacity_mbps(2.0, **kw)
    micro = cap.cell_capacity_mbps(3.0, **kw)
    np.testing.assert_array_equal(
        cap.extra_cells(served, capacity, new_cell_capacity_mbps=micro, trigger=0.7), [2, 0])


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: cap.busy_hour_demand_mbps(-1.0), "subscribers"),
        (lambda: cap.busy_hour_demand_mbps(1.0, fiveg_share=1.5), "fiveg_share"),
        (lambda: cap.busy_hour_demand_mbps(1.0, days_per_month=0.0), "days_per_month"),
        (lambda: cap.over_trigger(0.5, 0.0), "trigger"),
        (lambda: cap.extra_cells(10.0, 5.0, new_cell_capacity_mbps=0.0), "new_cell_capacity_mbps"),
        (lambda: cap.cell_capacity_mbps(2.0, n_prb=273, scs_khz=30.0, dl_share=1.2), "dl_share"),
    ],
)
def test_bad_inputs_are_named(call, match):
    with pytest.raises(RadioConfigError, match=match):
        call()


@given(u=st.floats(0.0, 20.0), c=st.integers(1, 4), t=st.floats(0.3, 1.0))
def test_extra_carriers_bring_utilisation_under_the_trigger(u, c, t):
    extra = int(cap.extra_carriers(u, carriers=c, trigger=t))
    assert extra >= 0
    assert u * c / (c + extra) <= t + 1e-9
    if extra > 0:  # and no fewer would do
        assert u * c / (c + extra - 1) > t - 1e-9


@given(d=st.floats(0.0, 5000.0), c=st.floats(10.0, 1000.0), new=st.floats(10.0, 1000.0), t=st.floats(0.3, 1.0))
def test_extra_cells_absorb_the_excess(d, c, new, t):
    k = int(cap.extra_cells(d, c, new_cell_capacity_mbps=new, trigger=t))
    assert d - t * c <= k * t * new + 1e-6


@given(s1=st.floats(0.0, 1e5), s2=st.floats(0.0, 1e5))
def test_demand_grows_with_subscribers(s1, s2):
    lo, hi = sorted((s1, s2))
    assert float(cap.busy_hour_demand_mbps(hi)) >= float(cap.busy_hour_demand_mbps(lo))
