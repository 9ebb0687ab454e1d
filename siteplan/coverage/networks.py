"""Coverage per operator network, on the operators' joint KPI, and the district views across networks.

A subscriber is served by its own network only: best server and interference (SINR) are taken among the
network's own sites (:func:`network_coverage` evaluates one network's sites alone; cells of another network are on
another carrier and neither serve nor interfere). A cell is **covered** when the network's best server gives
SS-RSRP >= ``radio.rsrp_threshold_dbm`` **and** SS-SINR >= ``radio.sinr_threshold_db`` (the operators' drive-test
KPI), and the uplink carries ``radio.uplink.edge_rate_mbps`` to that server (:func:`apply_kpi`); the RSRP-only
share is reported beside it, and which link limits where (:func:`link_figures`). Outdoor figures are shares of
the cells outside buildings, indoor ones of building floor area (:meth:`siteplan.coverage.Grid.layer_mask`).

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
    "link_figures",
    "network_coverage",
    "share",
    "write_network_tif",
]

#: Value written for inside cells that no site reaches (RSRP is -inf in memory).
NO_SIGNAL_DBM = -200.0

KPI_DEFINITION = ("covered = the network's own best server gives SS-RSRP >= radio.rsrp_threshold_dbm and "
                  "SS-SINR >= radio.sinr_threshold_db (interference from the network's own co-channel cells within "
                  "radio.max_reach_m at radio.neighbour_load), and its uplink carries radio.uplink.edge_rate_mbps "
                  "to that server; outdoors on the cells outside buildings, indoors on building footprints "
                  "weighted by floor area; other networks neither serve nor interfere")


def share(mask: np.ndarray, weight: np.ndarray | None = None) -> float | None:
    """Covered share of ``mask`` (bool over cells), optionally weighted; None for no cells."""
    if mask.size == 0:
        return None
    if weight is None:
        return round(float(mask.mean()), 6)
    total = float(weight.sum())
    return round(float(weight[mask].sum()) / total, 6) if total > 0 else None


def uplink_ok(rsrp: np.ndarray, server_sector: np.ndarray, ul_floor_dbm: np.ndarray) -> np.ndarray:
    """Cells whose serving sector's uplink carries the edge rate: RSRP >= that sector's uplink floor."""
    has = server_sector >= 0
    floor = np.where(has, ul_floor_dbm[np.maximum(server_sector, 0)] if ul_floor_dbm.size else -np.inf, np.inf)
    with np.errstate(invalid="ignore"):
        return has & (np.nan_to_num(rsrp, nan=-np.inf) >= floor)


def apply_kpi(result: CoverageResult, sinr_threshold_db: float) -> CoverageResult:
    """Turn ``covered`` / ``indoor_covered`` into the joint KPI: RSRP, SINR and the uplink all hold.

    Keeps the RSRP-only masks as ``rsrp_covered`` / ``indoor_rsrp_covered``, the downlink's (RSRP and SINR) as
    ``dl_covered`` / ``indoor_dl_covered`` and where the uplink holds as ``ul_ok`` / ``indoor_ul_ok`` (each on its
    layer's cells). Returns the same object.
    """
    if getattr(result, "kpi_applied", False):
        return result
    g = result.grid
    floors = result.sectors.ul_floor_dbm
    for prefix, rsrp, sinr, srv in (("", result.rsrp_dbm, result.sinr_db, result.server_sector),
                                    ("indoor_", result.indoor_rsrp_dbm, result.indoor_sinr_db,
                                     result.indoor_server_sector)):
        layer = g.layer_mask("indoor" if prefix else "outdoor")
        covered = getattr(result, f"{prefix}covered")
        with np.errstate(invalid="ignore"):
            sinr_ok = np.nan_to_num(sinr, nan=-np.inf) >= sinr_threshold_db
        setattr(result, f"{prefix}rsrp_covered", covered)
        setattr(result, f"{prefix}dl_covered", covered & sinr_ok)
        setattr(result, f"{prefix}ul_ok", layer & uplink_ok(rsrp, srv, floors))
        setattr(result, f"{prefix}covered", covered & sinr_ok & getattr(result, f"{prefix}ul_ok"))
    result.sinr_threshold_db = float(sinr_threshold_db)
    result.kpi_applied = True
    return result


def link_figures(result: CoverageResult, layer: str) -> dict:
    """Which link limits where on ``layer`` (shares of the layer, weighted as :meth:`Grid.layer_weight_m2`):
    ``downlink`` (RSRP and SINR hold), ``uplink`` (the uplink holds), ``uplink_limited`` (the downlink holds, the
    uplink not), ``downlink_limited`` (the reverse), ``neither``; and the SINR distribution of the layer's served
    cells (p5, p50, p95 [dB], share below the SINR threshold)."""
    g = result.grid
    pre = "indoor_" if layer == "indoor" else ""
    mask = g.layer_mask(layer)
    w = g.layer_weight_m2(layer)[mask]
    dl = getattr(result, f"{pre}dl_covered")[mask]
    ul = getattr(result, f"{pre}ul_ok")[mask]
    sinr = (result.indoor_sinr_db if pre else result.sinr_db)[mask]
    served = np.isfinite(sinr)
    out = {
        "downlink": share(dl, w), "uplink": share(ul, w),
        "uplink_limited": share(dl & ~ul, w), "downlink_limited": share(~dl & ul, w), "neither": share(~dl & ~ul, w),
    }
    if served.any():
        p5, p50, p95 = np.percentile(sinr[served].astype(float), [5, 50, 95])
        out["sinr_db"] = {"p5": round(float(p5), 2), "p50": round(float(p50), 2), "p95": round(float(p95), 2),
                          "below_threshold_share": share(sinr[served] < getattr(result, "sinr_threshold_db", -3.0),
                                                         w[served])}
    return out


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
    for layer in ("outdoor", "indoor"):
        mask = grid.layer_mask(layer)
        pre = "indoor_" if layer == "indoor" else ""
        res.figures[layer]["rsrp_share"] = share(getattr(res, f"{pre}rsrp_covered")[mask],
                                                 grid.layer_weight_m2(layer)[mask])
        res.figures[layer]["links"] = link_figures(res, layer)
    return res


def district_views(results: dict[str, CoverageResult]) -> dict:
    """Shares of the district covered by every network and by at least one, outdoor and indoor.

    ``results`` maps network key -> its coverage on one grid (networks without sites are left out by the caller
    or count as covering nothing).
    """
    if not results:
        return {}
    first = next(iter(results.values()))
    g = first.grid
    out: dict = {"networks": sorted(results)}
    for layer, attr in (("outdoor", "covered"), ("indoor", "indoor_covered")):
        mask = g.layer_mask(layer)
        w = g.layer_weight_m2(layer)[mask]
        stack = np.stack([getattr(r, attr)[mask] for r in results.values()])
        out[layer] = {"every_network": share(stack.all(axis=0), w), "any_network": share(stack.any(axis=0), w)}
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
