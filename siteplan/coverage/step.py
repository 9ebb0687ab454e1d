"""The coverage step of ``siteplan run`` and the ``siteplan coverage`` command.

Two scenarios are computed on the district grid (``radio.grid_resolution_m``):

- ``existing``: the existing sites only (today's network);
- ``existing+candidates``: existing sites plus every *compliant* candidate of the check step
  (``ctx.results["check"]``); when no check ran, plus *all* candidates, which the summary says.

Outputs (working CRS rasters, WGS 84 vectors):

- ``coverage.tif``: the **existing** scenario, the one the gaps describe; bands 1 ``outdoor_rsrp_dbm``,
  2 ``indoor_rsrp_dbm``, 3 ``sinr_db`` (float32; nodata -9999 outside the district; cells inside with no site
  within reach hold ``no_signal_dbm`` = -200 dBm, and SINR nodata);
- ``coverage_candidates.tif``: the same bands for ``existing+candidates``;
- ``gaps.geojson`` / ``gaps.csv``: gaps of the existing network's outdoor coverage, with the compliant candidates
  that could close them.

``ctx.results["coverage"]`` is the existing scenario's :class:`~siteplan.coverage.CoverageResult` (the optimizer's
baseline), ``ctx.results["coverage_candidates"]`` the other, ``ctx.results["gaps"]`` the gap GeoDataFrame.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import LayerSpec
from ..errors import InputFileError
from ..io import District, provenance, read_district, read_layer, write_csv, write_geojson, write_json
from ..io.writers import provenance_tags
from ..io.raster import NODATA, write_geotiff
from ..radio import linkbudget as _lb
from .engine import CoverageResult, SectorSet, compute_coverage, sectors_from_sites
from .figures import coverage_figures
from .gaps import find_gaps
from .grid import grid_for_district

__all__ = ["HOTSPOT_POLYGON_RULE", "NO_SIGNAL_DBM", "run", "run_coverage", "write_coverage_tif"]

#: Value written for inside cells that no site reaches (RSRP is -inf in memory).
NO_SIGNAL_DBM = -200.0
#: How a polygon hotspot counts as covered (see siteplan.coverage.figures).
HOTSPOT_POLYGON_RULE = "majority"


def write_coverage_tif(path: str | Path, result: CoverageResult, *, scenario: str, extra_tags: dict | None = None,
                       no_signal_dbm: float = NO_SIGNAL_DBM, sinr_threshold_db: float | None = None) -> Path:
    """Write a coverage result as a 3-band float32 GeoTIFF (outdoor RSRP, indoor RSRP, SINR) and its QGIS style
    ``.qml`` beside it (the map's RSRP classes with the result's threshold)."""
    g = result.grid

    def floor(a):
        return np.where(np.isneginf(a), np.float32(no_signal_dbm), a).astype(np.float32)

    tags = {
        "scenario": scenario,
        "rsrp_threshold_dbm": result.threshold_dbm,
        "no_signal_dbm": no_signal_dbm,
        "units": "RSRP per resource element [dBm]; SINR [dB]",
        "radio": result.params,
    }
    tags.update(extra_tags or {})
    return write_geotiff(
        path,
        {
            "outdoor_rsrp_dbm": floor(result.rsrp_dbm),
            "indoor_rsrp_dbm": floor(result.indoor_rsrp_dbm),
            "sinr_db": result.sinr_db,
        },
        transform=g.transform,
        crs=g.crs,
        nodata=NODATA,
        tags=tags,
        style={"rsrp": result.threshold_dbm,
               **({"sinr": sinr_threshold_db} if sinr_threshold_db is not None else {})},
    )


def _gaps_for_csv(gaps) -> pd.DataFrame:
    df = pd.DataFrame(gaps.drop(columns=gaps.geometry.name))
    if len(gaps):
        pts = gaps.geometry.representative_point().to_crs("EPSG:4326")
        df["lon"] = np.round(pts.x.to_numpy(), 7)
        df["lat"] = np.round(pts.y.to_numpy(), 7)
    else:
        df["lon"] = pd.Series(dtype=float)
        df["lat"] = pd.Series(dtype=float)
    return df


def _clean(obj):
    """JSON-safe: NaN/inf floats become None, numpy scalars Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if np.isfinite(f) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _scenario(district: District, grid, sectors: SectorSet, progress) -> tuple[CoverageResult, float]:
    t0 = time.perf_counter()
    radio = district.config.radio
    res = compute_coverage(grid, sectors, radio, progress=progress)
    res.figures = coverage_figures(
        res,
        subdistricts=district.layers.get("subdistricts"),
        hotspots=district.layers.get("hotspots"),
        polygon_rule=HOTSPOT_POLYGON_RULE,
        sinr_threshold_db=radio.sinr_threshold_db,
    )
    return res, time.perf_counter() - t0


def _compute(district: District, out_dir: Path, scenarios: dict[str, object], gap_source: str,
             candidates, candidates_note: str, progress=None) -> tuple[dict, dict, list[Path]]:
    """Compute the named scenarios (name -> site GeoDataFrame or SectorSet), write outputs, return summary."""
    radio = district.config.radio
    _lb.check_radio(radio)
    grid = grid_for_district(district)
    results: dict[str, CoverageResult] = {}
    timing = {}
    for name, sites in scenarios.items():
        results[name], timing[name] = _scenario(district, grid, sites, progress)
    min_area = float(radio.gap_min_area_m2)
    gaps = find_gaps(
        results[gap_source],
        boundary=district.boundary,
        min_area_m2=min_area,
        layer=radio.gap_layer,
        subdistricts=district.layers.get("subdistricts"),
        hotspots=district.layers.get("hotspots"),
        candidates=candidates,
        radio=radio,
    )
    written = []
    files = {"existing": "coverage.tif", "existing+candidates": "coverage_candidates.tif", "file": "coverage.tif"}
    for name, res in results.items():
        tif = write_coverage_tif(out_dir / files[name], res, scenario=name, sinr_threshold_db=radio.sinr_threshold_db,
                                 extra_tags=provenance_tags(district))
        written += [tif, tif.with_suffix(".qml")]
    written.append(write_geojson(gaps, out_dir / "gaps.geojson", provenance=provenance(district, full=False)))
    written.append(write_csv(_gaps_for_csv(gaps), out_dir / "gaps.csv", labels=True))
    summary = {
        "scenarios": {name: res.figures for name, res in results.items()},
        "files": {name: files[name] for name in results},
        "candidates": candidates_note,
        "grid": {
            "resolution_m": grid.resolution_m,
            "shape": list(grid.shape),
            "cells_inside": grid.n_inside,
            "crs": grid.crs,
            "transform": list(grid.transform)[:6],
        },
        "radio": next(iter(results.values())).params,
        "covered_definition": "RSRP >= radio.rsrp_threshold_dbm (SINR reported as sinr_ok_share, not required)",
        "indoor_definition": "outdoor RSRP minus radio.indoor_penetration_db (indoor-type sites: the reverse)",
        "hotspot_polygon_rule": HOTSPOT_POLYGON_RULE,
        "no_signal_dbm": NO_SIGNAL_DBM,
        "gaps": {
            "scenario": gap_source,
            "layer": radio.gap_layer,
            "min_area_m2": min_area,
            "count": len(gaps),
            "area_km2": round(float(gaps["area_m2"].sum()) / 1e6, 4) if len(gaps) else 0.0,
            "top": [
                {k: r[k] for k in ("gap_id", "area_m2", "subdistrict", "hotspots", "nearest_candidates", "score")}
                for r in gaps.head(10).to_dict("records")
            ],
        },
        "skipped_sites": [
            {"site_id": sid, "reason": why}
            for res in results.values() for sid, why in res.sectors.skipped
        ],
        "timing_s": {k: round(v, 2) for k, v in timing.items()},
        "sample_data": bool(district.sample),
    }
    return _clean(summary), {"results": results, "gaps": gaps}, written


def run(ctx) -> None:
    """Pipeline step (see docs/briefs/contracts.md): both scenarios, coverage rasters, gaps, summary."""
    d = ctx.district
    radio = d.config.radio
    existing = d.layers["existing_sites"]
    if "check" in ctx.results and ctx.results["check"] is not None:
        chk = ctx.results["check"]
        cands = chk[chk["status"] == "compliant"]
        note = f"compliant candidates of the check step ({len(cands)} of {len(chk)})"
    else:
        cands = d.layers["candidates"]
        note = f"all {len(cands)} candidates: no compliance check ran, so none were screened out"
    s_exist = sectors_from_sites(existing, radio)
    s_cand = sectors_from_sites(cands, radio, on_invalid="skip")
    both = SectorSet.concat(s_exist, s_cand)
    both = SectorSet(**{**both.__dict__, "skipped": s_cand.skipped})
    summary, res, written = _compute(
        d, ctx.out_dir, {"existing": s_exist, "existing+candidates": both}, "existing", cands, note,
        progress=ctx.progress,
    )
    ctx.summary["coverage"] = summary
    ctx.results["coverage"] = res["results"]["existing"]
    ctx.results["coverage_candidates"] = res["results"]["existing+candidates"]
    ctx.results["gaps"] = res["gaps"]
    ctx.written.extend(written)
    gpkg = getattr(ctx, "gpkg_layers", None)
    if gpkg is not None:
        gpkg["gaps"] = res["gaps"]


def run_coverage(district, out_dir, sites: str = "existing+candidates", *, sites_frame: str = "WGS84",
                 progress=None) -> dict:
    """Coverage of a district for the CLI: ``sites`` is ``"existing"``, ``"existing+candidates"`` or a file.

    A file is read like the candidates layer (GeoJSON, GeoPackage, CSV/XLSX with lon/lat in ``sites_frame``)
    and evaluated alone. Writes ``coverage.tif`` (+ ``coverage_candidates.tif`` for existing+candidates),
    ``gaps.geojson``, ``gaps.csv`` and ``coverage.json`` into ``out_dir``; returns the summary dict (with
    ``"written"``: the paths).
    """
    d = district if isinstance(district, District) else read_district(district)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    radio = d.config.radio
    cands = d.layers["candidates"]
    note = f"all {len(cands)} candidates (no compliance check in `siteplan coverage`; `siteplan run` screens them)"
    if sites == "existing":
        scen = {"existing": sectors_from_sites(d.layers["existing_sites"], radio)}
        gap_source = "existing"
    elif sites == "existing+candidates":
        s_exist = sectors_from_sites(d.layers["existing_sites"], radio)
        s_cand = sectors_from_sites(cands, radio, on_invalid="skip")
        both = SectorSet.concat(s_exist, s_cand)
        both = SectorSet(**{**both.__dict__, "skipped": s_cand.skipped})
        scen = {"existing": s_exist, "existing+candidates": both}
        gap_source = "existing"
    else:
        path = Path(sites)
        if not path.is_file():
            raise InputFileError(
                f"{sites}: --sites must be 'existing', 'existing+candidates' or an existing site file"
            )
        spec = LayerSpec(file=str(path.resolve()), frame=sites_frame)
        file_sites = read_layer(spec, "candidates", d.config)
        scen = {"file": sectors_from_sites(file_sites, radio)}
        gap_source = "file"
        note = f"sites from {path.name} ({len(file_sites)}) evaluated alone"
    summary, _res, written = _compute(d, out, scen, gap_source, cands, note, progress=progress)
    written.append(write_json(summary, out / "coverage.json"))
    summary["written"] = [str(p) for p in written]
    return summary
