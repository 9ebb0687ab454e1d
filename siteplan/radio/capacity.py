"""Capacity: busy-hour traffic demand from public figures, cell throughput, PRB load, trigger and remedy.

Demand. Busy-hour demand of a group of subscribers [Mbit/s]::

    D = subscribers * fiveg_share * network_share * GB/user/month * 8000 Mbit/GB / days_per_month
        * busy_hour_share * downlink_fraction / 3600 s

:data:`TRAFFIC_DEFAULTS` and their standing:

====================  =======  ====================================================================================
parameter             value    source / standing
====================  =======  ====================================================================================
traffic_gb_per_month  15.2     MIIT, 2022 communications statistical bulletin: mobile internet traffic per user per
                               month (DOU) 15.2 GB averaged over 2022 (~16 GB in December 2022). All users, all
                               technologies; 5G users use more (assumption to raise it for 5G-only demand).
fiveg_share           0.333    MIIT, same bulletin: 561 million 5G handset users of 1.68 billion mobile users
                               at end-2022.
busy_hour_share       0.08     assumption: the busiest hour carries ~7-10 % of a day's traffic (operators'
                               planning practice; no single public source).
days_per_month        30.0     convention.
downlink_fraction     1.0      conservative: the DOU counts both directions; the downlink carries ~85-90 %.
network_share         1.0      set per network (the operator's subscriber share, e.g. CT + CU for the shared
                               n78 RAN); not defaulted, the operators' shares change year by year.
====================  =======  ====================================================================================

GB are decimal (10^9 byte = 8000 Mbit).

Load. A cell's PRB utilisation is the airtime its demand needs: each demand point i served by the cell at
spectral efficiency SE_i needs ``D_i / (SE_i * B * DL share * (1 - overhead) * layers)`` of the cell's
time-frequency resources (TS 38.306 §4.1.2: overhead 0.14 for the FR1 downlink), summed over the cell's
points. Points without a server or at SE = 0 are reported as unserved demand, not as load.

Trigger and remedy. A cell above the trigger (e.g. 70 % PRB utilisation, operators' usual expansion threshold)
needs ``ceil(u * carriers / trigger) - carriers`` more carriers of the same capacity, or, to offload to new
cells (micro sites, indoor systems) of capacity C_new, ``ceil((D - trigger C) / (trigger C_new))`` of them.

Examples
--------
>>> round(float(busy_hour_demand_mbps(10_000, traffic_gb_per_month=15.2, fiveg_share=1.0, busy_hour_share=0.08)), 1)
900.7
>>> int(extra_carriers(0.91, carriers=1, trigger=0.7))
1
"""

from __future__ import annotations

import numpy as np

from ..errors import RadioConfigError
from ._validate import checked, positive, share
from .spectral import occupied_bandwidth_hz

__all__ = [
    "TRAFFIC_DEFAULTS",
    "busy_hour_demand_mbps",
    "cell_capacity_mbps",
    "cell_load",
    "extra_carriers",
    "extra_cells",
    "over_trigger",
]

#: Public-figure defaults of :func:`busy_hour_demand_mbps` (sources in the module notes).
TRAFFIC_DEFAULTS: dict[str, float] = {
    "traffic_gb_per_month": 15.2,
    "fiveg_share": 0.333,
    "busy_hour_share": 0.08,
    "days_per_month": 30.0,
    "downlink_fraction": 1.0,
    "network_share": 1.0,
}

_MBIT_PER_GB = 8000.0


def busy_hour_demand_mbps(
    subscribers,
    *,
    traffic_gb_per_month=TRAFFIC_DEFAULTS["traffic_gb_per_month"],
    fiveg_share=TRAFFIC_DEFAULTS["fiveg_share"],
    busy_hour_share=TRAFFIC_DEFAULTS["busy_hour_share"],
    days_per_month=TRAFFIC_DEFAULTS["days_per_month"],
    downlink_fraction=TRAFFIC_DEFAULTS["downlink_fraction"],
    network_share=TRAFFIC_DEFAULTS["network_share"],
) -> np.ndarray:
    """Busy-hour demand [Mbit/s] of a number of subscribers (or a density per km²: gives Mbit/s/km²).

    Parameters
    ----------
    subscribers : float or array_like
        Mobile subscribers in the hotspot / grid cell / km² (>= 0).
    traffic_gb_per_month : float or array_like
        Traffic per user per month [GB].
    fiveg_share, busy_hour_share, downlink_fraction, network_share : float or array_like
        Shares in [0, 1] (see the module notes).
    days_per_month : float
        Days the monthly traffic spreads over.
    """
    subs = checked(subscribers, "subscribers", lo=0.0, expected="counts >= 0")
    gb = checked(traffic_gb_per_month, "traffic_gb_per_month", lo=0.0, expected=">= 0 GB")
    positive(days_per_month, "days_per_month")
    shares = (share(fiveg_share, "fiveg_share") * share(busy_hour_share, "busy_hour_share")
              * share(downlink_fraction, "downlink_fraction") * share(network_share, "network_share"))
    return subs * gb * _MBIT_PER_GB / float(days_per_month) * shares / 3600.0


def cell_capacity_mbps(se_bps_hz, *, n_prb, scs_khz, dl_share, overhead=0.14, mimo_layers=1.0) -> np.ndarray:
    """Cell throughput [Mbit/s] at a mean spectral efficiency: SE x B x DL share x (1 - overhead) x layers.

    Parameters
    ----------
    se_bps_hz : float or array_like
        Mean spectral efficiency per layer [bit/s/Hz] (e.g. :func:`siteplan.radio.spectral.get_spectral_efficiency`
        of the cell's SINR, averaged over its users).
    n_prb, scs_khz : int, float
        Carrier PRBs and subcarrier spacing [kHz] (B = 12 n_prb SCS).
    dl_share : float
        TDD downlink time share (:func:`siteplan.radio.tdd.downlink_share`); 1 for FDD.
    overhead : float
        Share of resources not carrying data (TS 38.306 §4.1.2: 0.14 FR1 DL, 0.08 FR1 UL).
    mimo_layers : float
        Average spatial layers (SU/MU-MIMO multiplexing gain over one layer) — an assumption per network.
    """
    share(dl_share, "dl_share")
    share(overhead, "overhead")
    bw = occupied_bandwidth_hz(n_prb, scs_khz)
    return np.asarray(se_bps_hz, dtype=float) * bw * dl_share * (1.0 - overhead) * mimo_layers / 1e6


def cell_load(server, demand_mbps, se_bps_hz, *, n_cells: int, n_prb, scs_khz, dl_share, overhead=0.14,
              mimo_layers=1.0):
    """PRB utilisation of each cell from the demand it serves and the SE it serves it at.

    Parameters
    ----------
    server : array_like of int
        Serving cell of each demand point (grid cell, hotspot), -1 = none; any shape.
    demand_mbps : array_like
        Busy-hour demand of each point [Mbit/s], same shape.
    se_bps_hz : array_like
        Spectral efficiency at each point [bit/s/Hz], same shape.
    n_cells : int
        Number of cells (server values are 0 .. n_cells - 1).
    n_prb, scs_khz, dl_share, overhead, mimo_layers
        As :func:`cell_capacity_mbps`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, float)
        Utilisation per cell (share of PRB-time, may exceed 1), served demand per cell [Mbit/s], and the
        demand with no server or SE = 0 [Mbit/s].
    """
    srv = np.asarray(server).ravel()
    dem = np.asarray(demand_mbps, dtype=float).ravel()
    se = np.asarray(se_bps_hz, dtype=float).ravel()
    if not (srv.shape == dem.shape == se.shape):
        raise RadioConfigError("cell_load: server, demand_mbps and se_bps_hz must have the same shape")
    if srv.size and (srv.max() >= n_cells or srv.min() < -1):
        raise RadioConfigError(f"cell_load: server indices must be -1 or 0..{n_cells - 1}")
    served = (srv >= 0) & (se > 0.0)
    full_rate = cell_capacity_mbps(1.0, n_prb=n_prb, scs_khz=scs_khz, dl_share=dl_share, overhead=overhead,
                                   mimo_layers=mimo_layers)  # Mbit/s per bit/s/Hz
    airtime = np.zeros(dem.shape)
    np.divide(dem, se * full_rate, out=airtime, where=served)
    util = np.bincount(srv[served], weights=airtime[served], minlength=n_cells)
    per_cell = np.bincount(srv[served], weights=dem[served], minlength=n_cells)
    return util, per_cell, float(dem[~served].sum())


def over_trigger(utilisation, trigger=0.7) -> np.ndarray:
    """Cells whose PRB utilisation exceeds the expansion trigger (e.g. 0.7) [bool]."""
    t = checked(trigger, "capacity trigger", lo=0.0, hi=1.0, lo_open=True, expected="a utilisation share in (0, 1]")
    return np.asarray(utilisation, dtype=float) > t


def extra_carriers(utilisation, *, carriers=1, trigger=0.7) -> np.ndarray:
    """Carriers [-] to add so the cell's utilisation falls to the trigger: ceil(u c / t) - c, at least 0."""
    over_trigger(0.0, trigger)
    u = np.asarray(utilisation, dtype=float)
    c = np.asarray(carriers, dtype=float)
    need = np.ceil(u * c / trigger - 1e-9)
    return np.maximum(need - c, 0.0).astype(int)


def extra_cells(demand_mbps, capacity_mbps, *, new_cell_capacity_mbps, trigger=0.7) -> np.ndarray:
    """New cells [-] (micro, indoor) that take the demand above ``trigger x capacity`` at ``trigger`` load each.

    ``ceil(max(D - t C, 0) / (t C_new))``: the offloaded demand moves wholly to the new cells (an upper bound on
    what a micro site at a hotspot relieves; a planner checks its footprint).
    """
    over_trigger(0.0, trigger)
    new_c = positive(new_cell_capacity_mbps, "new_cell_capacity_mbps", "Mbit/s")
    excess = np.maximum(np.asarray(demand_mbps, dtype=float) - trigger * np.asarray(capacity_mbps, dtype=float), 0.0)
    return np.ceil(excess / (trigger * new_c) - 1e-9).astype(int)
