"""Coverage dimensioning: cell range from a MAPL, inter-site distance, sites per area, the limiting link.

The planner's sanity check of a link budget: the range at which the median path loss of the model reaches the
maximum allowable path loss, the inter-site distance of a regular hexagonal layout with that cell range, and the
number of sites that tile an area.

Hexagonal layouts (R = cell range, the hexagon's circumradius):

- 3-sector (clover-leaf) sites: ISD = 1.5 R, site area = (sqrt 3 / 2) ISD^2 = 1.949 R^2;
- omni sites: ISD = sqrt 3 R, site area = (sqrt 3 / 2) ISD^2 = 2.598 R^2.

(e.g. Holma & Toskala, *LTE for UMTS*, coverage dimensioning; the same figures Huawei/ZTE dimensioning sheets use.)

Examples
--------
>>> float(inter_site_distance_m(200.0, sectors=3))
300.0
>>> int(sites_for_area(42.0, 1.5 * 230.0))
408
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import RadioConfigError
from ._validate import positive
from .linkbudget import max_range_from_budget_m

__all__ = [
    "CellDimensioning",
    "dimension_cell",
    "inter_site_distance_m",
    "limiting_link",
    "range_for_mapl_m",
    "site_area_km2",
    "sites_for_area",
]

_ISD_FACTOR = {1: math.sqrt(3.0), 3: 1.5}


def range_for_mapl_m(mapl_db, *, model: str, freq_ghz: float, h_bs_m, h_ut_m: float, los,
                     d_max_m: float = 20_000.0) -> np.ndarray:
    """Largest 2D distance [m] at which the model's path loss stays within ``mapl_db`` [dB].

    The inverse of :func:`siteplan.radio.propagation.path_loss` by bisection
    (:func:`siteplan.radio.linkbudget.max_range_from_budget_m` with a 0 dBm threshold); 0 where even the
    model's minimum distance exceeds the MAPL (also for MAPL = -inf).
    """
    mapl = np.asarray(mapl_db, dtype=float)
    mapl = np.where(np.isneginf(mapl), -1e9, mapl)  # bisection wants finite budgets
    return max_range_from_budget_m(mapl, threshold_dbm=0.0, model=model, freq_ghz=freq_ghz, h_bs_m=h_bs_m,
                                   h_ut_m=h_ut_m, los=los, d_max_m=d_max_m)


def inter_site_distance_m(cell_range_m, *, sectors: int = 3) -> np.ndarray:
    """Inter-site distance [m] of a hexagonal layout: 1.5 R for 3-sector sites, sqrt(3) R for omni sites."""
    if sectors not in _ISD_FACTOR:
        raise RadioConfigError(f"sectors = {sectors!r}: hexagonal ISD is defined for 1 (omni) or 3 sectors")
    return _ISD_FACTOR[sectors] * np.asarray(cell_range_m, dtype=float)


def site_area_km2(isd_m) -> np.ndarray:
    """Area one site covers in a hexagonal layout [km²]: (sqrt 3 / 2) ISD² (ISD in m)."""
    return math.sqrt(3.0) / 2.0 * np.asarray(isd_m, dtype=float) ** 2 / 1e6


def sites_for_area(area_km2, isd_m) -> np.ndarray:
    """Sites [-] that tile ``area_km2`` [km²] at inter-site distance ``isd_m`` [m] (rounded up)."""
    isd = positive(isd_m, "isd_m", "m")
    return np.ceil(np.asarray(area_km2, dtype=float) / site_area_km2(isd) - 1e-9).astype(int)


def limiting_link(dl_mapl_db, ul_mapl_db) -> np.ndarray:
    """Which link limits coverage where: ``"uplink"`` if its MAPL is lower, else ``"downlink"`` (ties too)."""
    dl, ul = np.broadcast_arrays(np.asarray(dl_mapl_db, dtype=float), np.asarray(ul_mapl_db, dtype=float))
    return np.where(ul < dl, "uplink", "downlink")


@dataclass(frozen=True)
class CellDimensioning:
    """Ranges, ISD and site count implied by a downlink and an uplink MAPL (all scalars)."""

    dl_mapl_db: float
    ul_mapl_db: float
    #: UL MAPL - DL MAPL [dB]: > 0, the uplink has headroom over the downlink criterion.
    ul_headroom_db: float
    limiting: str
    dl_range_m: float
    ul_range_m: float
    range_m: float
    isd_m: float
    sites: int | None


def dimension_cell(dl_mapl_db: float, ul_mapl_db: float, *, model: str, freq_ghz: float, h_bs_m: float,
                   h_ut_m: float, los, sectors: int = 3, area_km2: float | None = None) -> CellDimensioning:
    """Cell range, ISD and sites for an area from a downlink and an uplink MAPL [dB].

    Parameters
    ----------
    dl_mapl_db, ul_mapl_db : float
        Downlink (e.g. :func:`siteplan.radio.uplink.ssb_rsrp_mapl_db`) and uplink
        (:func:`siteplan.radio.uplink.pusch_mapl_db`) MAPL [dB], with the same margins and penetration.
    model, freq_ghz, h_bs_m, h_ut_m, los
        Path-loss model and its inputs (:func:`siteplan.radio.propagation.path_loss`).
    sectors : int
        3 (hexagonal 3-sector sites) or 1 (omni).
    area_km2 : float, optional
        Area to tile [km²]; ``sites`` is None without it (or when the range is 0).
    """
    kw = {"model": model, "freq_ghz": freq_ghz, "h_bs_m": h_bs_m, "h_ut_m": h_ut_m, "los": los}
    r_dl = float(range_for_mapl_m(dl_mapl_db, **kw))
    r_ul = float(range_for_mapl_m(ul_mapl_db, **kw))
    r = min(r_dl, r_ul)
    isd = float(inter_site_distance_m(r, sectors=sectors))
    sites = int(sites_for_area(area_km2, isd)) if area_km2 is not None and isd > 0.0 else None
    return CellDimensioning(
        dl_mapl_db=float(dl_mapl_db),
        ul_mapl_db=float(ul_mapl_db),
        ul_headroom_db=float(ul_mapl_db) - float(dl_mapl_db),
        limiting=str(limiting_link(dl_mapl_db, ul_mapl_db)),
        dl_range_m=r_dl,
        ul_range_m=r_ul,
        range_m=r,
        isd_m=isd,
        sites=sites,
    )
