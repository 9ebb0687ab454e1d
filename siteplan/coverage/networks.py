"""Coverage per operator network, on the operators' joint KPI, and the district views across networks.

A subscriber is served by its own network only: best server and interference (SINR) are taken among the
network's own sites (:func:`network_coverage` evaluates one network's sites alone; cells of another network are on
another carrier and neither serve nor interfere). A cell is **covered** when the network's best server gives
SS-RSRP >= ``radio.rsrp_threshold_dbm`` **and** SS-SINR >= ``radio.sinr_threshold_db`` (the operators' drive-test
KPI); the RSRP-only share is reported beside it. Indoors the same SINR is used (building loss attenuates serving
and interfering cells alike).

District views (:func:`district_views`) answer two different questions and are labelled as such:
``every_network`` (a subscriber of any network is covered) and ``any_network`` (at least one network covers).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..io.raster import NODATA, write_geotiff
from .engine import CoverageResult, compute_coverage
from .figures import coverage_figures

__all__ = [
    "KPI_DEFINITION",
    "NO_SIGNAL_DBM",
    "apply_kpi",
    "district_views",
    "network_coverage",
    "share",
    "write_network_tif",
]

#: Value written for inside cells that no site reaches (RSRP is -inf in memory).
NO_SIGNAL_DBM = -200.0

KPI_DEFINITION = ("covered = the network's own best server gives SS-RSRP >= radio.rsrp_threshold_dbm and "
                  "SS-SINR >= radio.sinr_threshold_db (interference from the network's own co-channel cells within "
                  "radio.max_reach_m, fully loaded); other networks neither serve nor interfere")


def share(mask: np.ndarray, weight: np.ndarray | None = None) -> float | None:
    """Covered share of ``mask`` (bool over cells), optionally weighted; None for no cells."""
    if mask.size == 0:
        return None
    if weight is None:
        return round(float(mask.mean()), 6)
    total = float(weight.sum())
    return round(float(weight[mask].sum()) / total, 6) if total > 0 else None


def apply_kpi(result: CoverageResult, sinr_threshold_db: float) -> CoverageResult:
    """Turn ``covered`` / ``indoor_covered`` into the joint RSRP + SINR KPI; keep the RSRP-only masks as
    ``rsrp_covered`` / ``indoor_rsrp_covered``. Returns the same object."""
    if getattr(result, "kpi_applied", False):
        return result
    with np.errstate(invalid="ignore"):
        sinr_ok = np.nan_to_num(result.sinr_db, nan=-np.inf) >= sinr_threshold_db
    result.rsrp_covered = result.covered
    result.indoor_rsrp_covered = result.indoor_covered
    result.covered = result.covered & sinr_ok
    result.indoor_covered = result.indoor_covered & sinr_ok
    result.sinr_threshold_db = float(sinr_threshold_db)
    result.kpi_applied = True
    return result


def network_coverage(district, grid, sites, *, progress: Callable | None = None,
                     polygon_rule: str = "majority") -> CoverageResult:
    """One network's coverage of the district grid on the joint KPI, with its figures.

    Parameters
    ----------
    district : siteplan.io.District
    grid : siteplan.coverage.Grid
    sites : GeoDataFrame or SectorSet
        The network's sites only.
    """
    radio = district.config.radio
    res = apply_kpi(compute_coverage(grid, sites, radio, progress=progress), radio.sinr_threshold_db)
    res.figures = coverage_figures(res, subdistricts=district.layers.get("subdistricts"),
                                   hotspots=district.layers.get("hotspots"), polygon_rule=polygon_rule,
                                   sinr_threshold_db=radio.sinr_threshold_db)
    inside = grid.inside
    for layer, mask in (("outdoor", res.rsrp_covered), ("indoor", res.indoor_rsrp_covered)):
        res.figures[layer]["rsrp_share"] = share(mask[inside])
    return res


def district_views(results: dict[str, CoverageResult]) -> dict:
    """Shares of the district covered by every network and by at least one, outdoor and indoor.

    ``results`` maps network key -> its coverage on one grid (networks without sites are left out by the caller
    or count as covering nothing).
    """
    if not results:
        return {}
    first = next(iter(results.values()))
    inside = first.grid.inside
    out: dict = {"networks": sorted(results)}
    for layer, attr in (("outdoor", "covered"), ("indoor", "indoor_covered")):
        stack = np.stack([getattr(r, attr)[inside] for r in results.values()])
        out[layer] = {"every_network": share(stack.all(axis=0)), "any_network": share(stack.any(axis=0))}
    out["definition"] = ("every_network: a subscriber of each listed network is covered by its own network; "
                         "any_network: at least one listed network covers the cell")
    return out


def _floor(a: np.ndarray, no_signal_dbm: float) -> np.ndarray:
    return np.where(np.isneginf(a), np.float32(no_signal_dbm), a).astype(np.float32)


def write_network_tif(path, results: dict[str, CoverageResult], *, network: str, tags: dict | None = None,
                      no_signal_dbm: float = NO_SIGNAL_DBM):
    """One network's coverage rasters in one float32 GeoTIFF: for each ``prefix`` (a phase or scenario) of
    ``results``, bands ``<prefix>_outdoor_rsrp_dbm``, ``<prefix>_indoor_rsrp_dbm``, ``<prefix>_sinr_db``.

    Nodata -9999 outside the district; inside cells no site reaches hold ``no_signal_dbm`` (-200 dBm).
    """
    first = next(iter(results.values()))
    g = first.grid
    bands = {}
    for prefix, r in results.items():
        bands[f"{prefix}_outdoor_rsrp_dbm"] = _floor(r.rsrp_dbm, no_signal_dbm)
        bands[f"{prefix}_indoor_rsrp_dbm"] = _floor(r.indoor_rsrp_dbm, no_signal_dbm)
        bands[f"{prefix}_sinr_db"] = r.sinr_db.astype(np.float32)
    meta = {
        "network": network,
        "layers": list(results),
        "rsrp_threshold_dbm": first.threshold_dbm,
        "sinr_threshold_db": getattr(first, "sinr_threshold_db", None),
        "kpi": KPI_DEFINITION,
        "no_signal_dbm": no_signal_dbm,
        "units": "RSRP per resource element [dBm]; SINR [dB]",
        "radio": first.params,
    }
    meta.update(tags or {})
    sinr_thr = getattr(first, "sinr_threshold_db", None)
    style = {"rsrp": first.threshold_dbm, **({"sinr": sinr_thr} if sinr_thr is not None else {})}
    return write_geotiff(path, bands, transform=g.transform, crs=g.crs, nodata=NODATA, tags=meta, style=style)
