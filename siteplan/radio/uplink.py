"""Uplink (PUSCH) link budget at a cell-edge rate, and the downlink SS-RSRP budget to compare it with.

Maximum allowable path loss of the PUSCH [dB], as Chinese operators' and vendors' budgets write it::

    MAPL_UL = P_UE + G_UE - L_body                               (UE EIRP)
              + G_gNB - L_cable                                  (gNB receive gain)
              - (N_thermal(B_alloc) + NF_gNB + SINR_req + M_interference)   (required level at the gNB)
              - M_shadow - L_penetration - L_other

with ``B_alloc = 12 n_PRB SCS`` the allocated bandwidth and ``SINR_req`` the SINR at which the edge rate is
carried on it: the rate asks for a spectral efficiency

    SE_req = R_edge / (B_alloc * UL share * (1 - overhead) [* (1 - BLER)])

(the TDD uplink share of :mod:`siteplan.radio.tdd`; the BLER factor only for the MCS-table mapping, since
attenuated Shannon already describes net link-level throughput), mapped to SINR by attenuated Shannon or the
lowest TS 38.214 MCS reaching it (:mod:`siteplan.radio.spectral`).

Defaults of :class:`PuschLink` and their sources:

=========================  ========  ============================================================================
field                      default   source
=========================  ========  ============================================================================
ue_power_dbm               23.0      PC3, TS 38.101-1 Table 6.2.1-1 (PC2 = 26 dBm is specified for n41/n78/n79
                                     and common in Chinese handsets; :data:`POWER_CLASS_DBM`)
ue_antenna_gain_dbi        0.0       handset, usual budget value
body_loss_db               0.0       data session (voice budgets use ~3 dB)
n_prb                      20        assumption: a UE at the edge is power-limited, so its best allocation is
                                     small (:func:`pusch_best_prbs` finds it); 20 PRB = 7.2 MHz at 30 kHz
scs_khz                    30.0      n41/n78/n79 as deployed in China
ul_share                   0.30      CT/CU n78 2.5 ms double period DDDSUDDSUU (tdd.py); CM n41 DDDDDDDSUU: 0.20
overhead                   0.08      TS 38.306 §4.1.2: OH = 0.08 for FR1 uplink
gnb_rx_gain_dbi            25.0      typical 64T64R AAU (192 elements) receive array gain in vendor budgets;
                                     assumption — 8T8R/4T4R units: ~15-18 dBi
gnb_cable_loss_db          0.0       AAU (radio and antenna integrated)
gnb_noise_figure_db        3.5       typical vendor value in operator budgets (ITU-R M.2412's evaluation
                                     assumption is 5 dB)
interference_margin_db     2.0       typical uplink value at 50 % load (1-3 dB in operator budgets)
edge_rate_mbps             1.0       the usual Chinese 5G uplink edge target (DL 10 Mbit/s, UL 1 Mbit/s)
mapping                    shannon   attenuated Shannon (alpha 0.6, SINR_min -10 dB, SE_max 5.5547)
bler                       0.1       MCS-table mapping only: thresholds are for 10 % BLER
=========================  ========  ============================================================================

Examples
--------
>>> round(float(pusch_mapl_db(PuschLink(ue_power_dbm=26.0))), 2)
151.93
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..errors import RadioConfigError
from . import spectral as _se
from ._validate import checked, positive
from .linkbudget import _K_BOLTZMANN, _T0_K

__all__ = [
    "POWER_CLASS_DBM",
    "PuschLink",
    "pusch_best_prbs",
    "pusch_budget_lines",
    "pusch_mapl_db",
    "pusch_required_se",
    "pusch_required_sinr_db",
    "ssb_rsrp_mapl_db",
    "thermal_noise_dbm",
    "ue_power_dbm",
]

#: UE maximum output power per power class [dBm], TS 38.101-1 Table 6.2.1-1 (FR1).
POWER_CLASS_DBM: dict[str, float] = {"PC1.5": 29.0, "PC2": 26.0, "PC3": 23.0}


@dataclass(frozen=True)
class PuschLink:
    """PUSCH budget parameters of one band and site type (defaults and sources in the module notes)."""

    ue_power_dbm: float = 23.0
    ue_antenna_gain_dbi: float = 0.0
    body_loss_db: float = 0.0
    #: PRBs allocated to the edge UE.
    n_prb: int = 20
    scs_khz: float = 30.0
    #: Share of time the uplink carries PUSCH (tdd.uplink_share).
    ul_share: float = 0.30
    #: Share of uplink resources not carrying data (DMRS, PUCCH, SRS).
    overhead: float = 0.08
    gnb_rx_gain_dbi: float = 25.0
    gnb_cable_loss_db: float = 0.0
    gnb_noise_figure_db: float = 3.5
    interference_margin_db: float = 2.0
    edge_rate_mbps: float = 1.0
    #: "shannon", "mcs_64qam" or "mcs_256qam".
    mapping: str = "shannon"
    alpha: float = 0.6
    sinr_min_db: float = -10.0
    se_max: float = 5.5547
    bler: float = 0.1


def ue_power_dbm(power_class: str) -> float:
    """UE maximum output power [dBm] of a power class (``"PC2"``, ``"PC3"``, ...), TS 38.101-1."""
    key = str(power_class).strip().upper()
    if key not in POWER_CLASS_DBM:
        raise RadioConfigError(
            f"ue power class {power_class!r}: unknown; expected one of: {', '.join(POWER_CLASS_DBM)}"
        )
    return POWER_CLASS_DBM[key]


def _check_link(link: PuschLink) -> None:
    where = "uplink"
    if link.mapping not in ("shannon", *_se.MCS_TABLES):
        raise RadioConfigError(
            f"{where}.mapping = {link.mapping!r}: expected one of: shannon, {', '.join(_se.MCS_TABLES)}"
        )
    checked(link.ul_share, f"{where}.ul_share", lo=0.0, hi=1.0, lo_open=True, expected="a time share in (0, 1]")
    for key in ("overhead", "bler"):
        checked(getattr(link, key), f"{where}.{key}", lo=0.0, hi=1.0, hi_open=True, expected="a share in [0, 1)")
    for key in ("body_loss_db", "gnb_cable_loss_db", "gnb_noise_figure_db", "interference_margin_db"):
        checked(getattr(link, key), f"{where}.{key}", lo=0.0, expected="a loss/margin >= 0 dB")
    positive(link.scs_khz, f"{where}.scs_khz", "kHz")


def thermal_noise_dbm(bandwidth_hz, noise_figure_db=0.0) -> np.ndarray:
    """Thermal noise kT0 B plus a noise figure [dBm]: 10 log10(k 290 K B 1000) + NF (-173.98 dBm/Hz)."""
    b = np.asarray(bandwidth_hz, dtype=float)
    return 10.0 * np.log10(_K_BOLTZMANN * _T0_K * b * 1e3) + np.asarray(noise_figure_db, dtype=float)


def pusch_required_se(edge_rate_mbps, *, n_prb, scs_khz, ul_share, overhead, bler=0.0) -> np.ndarray:
    """Spectral efficiency [bit/s/Hz] that carries ``edge_rate_mbps`` [Mbit/s] on the allocation.

    ``R / (12 n_prb SCS * ul_share * (1 - overhead) * (1 - bler))``; arguments broadcast.
    """
    rate = positive(edge_rate_mbps, "uplink.edge_rate_mbps", "Mbit/s")
    n = checked(n_prb, "uplink.n_prb", lo=1.0, expected="at least 1 PRB")
    carried = _se.occupied_bandwidth_hz(n, scs_khz) * ul_share * (1.0 - overhead) * (1.0 - bler)
    return rate * 1e6 / carried


def pusch_required_sinr_db(link: PuschLink, *, edge_rate_mbps=None, n_prb=None) -> np.ndarray:
    """SINR [dB] at which the PUSCH carries the edge rate; inf where no MCS / SE_max reaches it.

    ``edge_rate_mbps`` and ``n_prb`` override the link's (arrays allowed, they broadcast).
    """
    _check_link(link)
    rate = link.edge_rate_mbps if edge_rate_mbps is None else edge_rate_mbps
    n = link.n_prb if n_prb is None else n_prb
    if link.mapping == "shannon":
        se = pusch_required_se(rate, n_prb=n, scs_khz=link.scs_khz, ul_share=link.ul_share, overhead=link.overhead)
        return _se.shannon_required_sinr_db(se, alpha=link.alpha, sinr_min_db=link.sinr_min_db, se_max=link.se_max)
    se = pusch_required_se(rate, n_prb=n, scs_khz=link.scs_khz, ul_share=link.ul_share, overhead=link.overhead,
                           bler=link.bler)
    return _se.mcs_for_spectral_efficiency(se, table=link.mapping)[1]


def pusch_mapl_db(
    link: PuschLink,
    *,
    shadow_margin_db=0.0,
    penetration_loss_db=0.0,
    other_loss_db=0.0,
    edge_rate_mbps=None,
    n_prb=None,
) -> np.ndarray:
    """Maximum allowable path loss of the PUSCH at the edge rate [dB] (formula in the module notes).

    Parameters
    ----------
    link : PuschLink
        UE, gNB, allocation and rate parameters.
    shadow_margin_db, penetration_loss_db, other_loss_db : float or array_like
        Shadowing margin, building penetration (0 outdoors) and any other loss (foliage, car) [dB].
    edge_rate_mbps, n_prb : float or array_like, optional
        Override the link's edge rate [Mbit/s] / allocated PRBs.

    Returns
    -------
    numpy.ndarray
        MAPL [dB]; -inf where the edge rate cannot be carried at all on the allocation.
    """
    sinr = pusch_required_sinr_db(link, edge_rate_mbps=edge_rate_mbps, n_prb=n_prb)
    n = link.n_prb if n_prb is None else n_prb
    noise = thermal_noise_dbm(_se.occupied_bandwidth_hz(n, link.scs_khz), link.gnb_noise_figure_db)
    eirp = link.ue_power_dbm + link.ue_antenna_gain_dbi - link.body_loss_db
    rx_gain = link.gnb_rx_gain_dbi - link.gnb_cable_loss_db
    required_dbm = noise + sinr + link.interference_margin_db
    margins = (np.asarray(shadow_margin_db, dtype=float) + np.asarray(penetration_loss_db, dtype=float)
               + np.asarray(other_loss_db, dtype=float))
    return eirp + rx_gain - required_dbm - margins


def pusch_budget_lines(link: PuschLink, *, shadow_margin_db: float = 0.0, penetration_loss_db: float = 0.0,
                       other_loss_db: float = 0.0) -> dict[str, float]:
    """The PUSCH budget line by line (plain floats, for a summary or a planner's table)."""
    sinr = float(pusch_required_sinr_db(link))
    bw = float(_se.occupied_bandwidth_hz(link.n_prb, link.scs_khz))
    noise = float(thermal_noise_dbm(bw, link.gnb_noise_figure_db))
    se_kw = {"bler": link.bler} if link.mapping != "shannon" else {}
    se = float(pusch_required_se(link.edge_rate_mbps, n_prb=link.n_prb, scs_khz=link.scs_khz,
                                 ul_share=link.ul_share, overhead=link.overhead, **se_kw))
    lines = {
        **{k: float(v) if not isinstance(v, str) else v for k, v in dataclasses.asdict(link).items()},
        "ue_eirp_dbm": link.ue_power_dbm + link.ue_antenna_gain_dbi - link.body_loss_db,
        "allocated_bandwidth_hz": bw,
        "required_se_bps_hz": se,
        "required_sinr_db": sinr,
        "noise_dbm": noise,
        "required_level_dbm": noise + sinr + link.interference_margin_db,
        "shadow_margin_db": float(shadow_margin_db),
        "penetration_loss_db": float(penetration_loss_db),
        "other_loss_db": float(other_loss_db),
    }
    lines["mapl_db"] = float(pusch_mapl_db(link, shadow_margin_db=shadow_margin_db,
                                           penetration_loss_db=penetration_loss_db, other_loss_db=other_loss_db))
    return lines


def pusch_best_prbs(link: PuschLink, *, n_prb_max: int, shadow_margin_db=0.0, penetration_loss_db=0.0,
                    other_loss_db=0.0) -> tuple[int, float]:
    """Allocation 1..``n_prb_max`` PRBs that maximises the PUSCH MAPL, and that MAPL [dB].

    A power-limited UE gains SNR per PRB by narrowing its allocation but needs more spectral efficiency for
    the same rate; a planner sizes the edge allocation at the optimum (ties: the fewest PRBs).
    """
    if int(n_prb_max) < 1:
        raise RadioConfigError(f"n_prb_max = {n_prb_max!r}: expected at least 1 PRB")
    n = np.arange(1, int(n_prb_max) + 1)
    mapl = pusch_mapl_db(link, shadow_margin_db=shadow_margin_db, penetration_loss_db=penetration_loss_db,
                         other_loss_db=other_loss_db, n_prb=n)
    i = int(np.argmax(mapl))
    return int(n[i]), float(mapl[i])


def ssb_rsrp_mapl_db(
    *,
    tx_power_per_re_dbm,
    antenna_gain_dbi,
    rsrp_threshold_dbm,
    cable_loss_db=0.0,
    ue_antenna_gain_dbi=0.0,
    body_loss_db=0.0,
    shadow_margin_db=0.0,
    penetration_loss_db=0.0,
    other_loss_db=0.0,
) -> np.ndarray:
    """Downlink MAPL at an SS-RSRP threshold [dB], in the terms of :func:`siteplan.radio.linkbudget.budget_db`.

    ``P_RE + G_SSB - L_cable + G_UE - L_body - M_shadow - L_penetration - L_other - RSRP_threshold``; with a
    :class:`~siteplan.config.SiteTypePreset` and :class:`~siteplan.config.RadioConfig` it equals
    ``budget_db(preset, radio, indoor=...) - radio.rsrp_threshold_dbm``. All arguments [dBm, dBi, dB] broadcast.

    >>> float(ssb_rsrp_mapl_db(tx_power_per_re_dbm=18.0, antenna_gain_dbi=17.0, cable_loss_db=2.0,
    ...                        body_loss_db=3.0, rsrp_threshold_dbm=-105.0))
    135.0
    """
    a = np.asarray
    return (a(tx_power_per_re_dbm, dtype=float) + a(antenna_gain_dbi, dtype=float) - a(cable_loss_db, dtype=float)
            + a(ue_antenna_gain_dbi, dtype=float) - a(body_loss_db, dtype=float) - a(shadow_margin_db, dtype=float)
            - a(penetration_loss_db, dtype=float) - a(other_loss_db, dtype=float)
            - a(rsrp_threshold_dbm, dtype=float))
