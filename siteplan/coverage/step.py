"""The coverage step of ``siteplan run`` and the ``siteplan coverage`` command: per operator network.

For each network of the district (``[networks.*]``; see :mod:`siteplan.coverage.networks` for the KPI), two
reference scenarios are computed on the district grid (``radio.grid_resolution_m``) before any site is chosen:

- ``upgrade``: the network's existing 4G sites, each upgraded 1:1 to 5G on the network's band (one 5G site per
  physical site: co-located operators of one network share it) — what the existing grid could give;
- ``pool``: every eligible candidate of the network (compliant, and conditional when ``optimize.include_conditional``;
  all candidates when no check ran) — the most the candidate lists can give. An area the pool does not cover
  needs new candidates: the plan's candidate search requests come from it.

The plan itself (the selected sites per phase) is evaluated by the ``evaluate`` step. ``ctx.results["coverage"]``
is a :class:`NetworkCoverage`; ``ctx.summary["coverage"]`` holds per network and scenario the figures
(``outdoor``/``indoor`` covered share on the joint KPI and RSRP-only, by sub-district, hotspots) and the district
views (every network / any network).

``siteplan coverage`` writes, per network, ``coverage_<network>.tif`` (bands ``<scenario>_outdoor_rsrp_dbm``,
``<scenario>_indoor_rsrp_dbm``, ``<scenario>_sinr_db``) and the gaps of the last scenario (``gaps.geojson/.csv``,
column ``network``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..compliance.sharing import existing_hosts
from ..config import LayerSpec
from ..errors import InputFileError
from ..io import District, provenance, read_district, read_layer, write_csv, write_geojson, write_json
from ..io.writers import provenance_tags
from ..networks import ALL, eligible_statuses, network_table, networks_of, site_networks
from ..radio import budgets as _budgets
from ..radio import linkbudget as _lb
from .engine import CoverageResult
from .gaps import find_gaps
from .grid import Grid, grid_for_district
from .networks import KPI_DEFINITION, NO_SIGNAL_DBM, district_views, network_coverage, write_network_tif

__all__ = ["HOTSPOT_POLYGON_RULE", "NO_SIGNAL_DBM", "NetworkCoverage", "clean_json", "gaps_table",
           "indoor_cases_db", "link_budgets", "run", "run_coverage", "scenario_sites"]

#: How a polygon hotspot counts as covered (see siteplan.coverage.figures).
HOTSPOT_POLYGON_RULE = "majority"


@dataclass(eq=False)
class NetworkCoverage:
    """Coverage results by network and scenario on one grid: ``results[network][scenario]``."""

    grid: Grid
    results: dict[str, dict[str, CoverageResult]] = field(default_factory=dict)

    def scenario(self, name: str) -> dict[str, CoverageResult]:
        """``{network: result}`` of one scenario (networks without it left out)."""
        return {k: v[name] for k, v in self.results.items() if name in v}


def clean_json(obj):
    """JSON-safe: NaN/inf floats become None, numpy scalars Python numbers."""
    if isinstance(obj, dict):
        return {str(k): clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_json(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if np.isfinite(f) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def gaps_table(gaps: gpd.GeoDataFrame) -> pd.DataFrame:
    """The gaps as a table with a representative point's WGS 84 lon/lat (for CSV/XLSX)."""
    df = pd.DataFrame(gaps.drop(columns=gaps.geometry.name))
    if len(gaps):
        pts = gaps.geometry.representative_point().to_crs("EPSG:4326")
        df["lon"] = np.round(pts.x.to_numpy(), 7)
        df["lat"] = np.round(pts.y.to_numpy(), 7)
    else:
        df["lon"] = pd.Series(dtype=float)
        df["lat"] = pd.Series(dtype=float)
    return df


def scenario_sites(district: District, candidates: gpd.GeoDataFrame | None) -> dict[str, dict[str, gpd.GeoDataFrame]]:
    """Sites of each reference scenario per network: ``{network: {"upgrade": ..., "pool": ...}}``.

    ``upgrade``: the existing sites of the network's operators (a shared RAN's either operator, a co-built
    network's partner) on the network's main band, one per physical site. ``candidates`` are the (already
    screened) candidates with a ``network`` column; None = only ``upgrade``.
    """
    nets = networks_of(district.config)
    ex = district.layers["existing_sites"].copy()
    ex["host_id"] = existing_hosts(ex["site_id"].to_numpy(dtype=object),
                                   ex["tower_site_id"].to_numpy(dtype=object) if "tower_site_id" in ex else None)
    out: dict[str, dict[str, gpd.GeoDataFrame]] = {}
    for key, net in nets.items():
        own = ex[ex["operator"].isin(net.operators)].sort_values("site_id", kind="stable")
        # One 5G gNB per physical site and network (a shared RAN puts one where CT and CU share a tower).
        own = own.drop_duplicates("host_id").reset_index(drop=True)
        if key != ALL:
            own["band"] = net.primary_band
        scen = {"upgrade": own}
        if candidates is not None:
            scen["pool"] = candidates[candidates["network"] == key].reset_index(drop=True)
        out[key] = scen
    return out


def indoor_cases_db(grid: Grid, radio, band: str) -> dict[str, float]:
    """Indoor losses [dB] a planner dimensions with on ``band`` (building loss + extra indoor margin): TR 38.901
    low- and high-loss buildings, and the district's own mix (its classes weighted by floor area)."""
    table = _budgets.indoor_loss_table_db(radio, ["low", "high"], [band])[0]
    out = {"indoor_low_loss": float(table[0]), "indoor_high_loss": float(table[1])}
    b = grid.buildings
    if b is not None and b.n_buildings:
        per_class = _budgets.indoor_loss_table_db(radio, b.classes, [band])[0]
        cls = b.cell_class[grid.layer_mask("indoor")]
        w = b.cell_floor_area_m2[grid.layer_mask("indoor")]
        # The mix as one loss: the floor-area-weighted mean of the classes' linear attenuation.
        lin = np.average(10.0 ** (-per_class[cls] / 10.0), weights=w)
        out["indoor_district_mix"] = float(-10.0 * np.log10(lin))
    return out


def link_budgets(district: District, grid: Grid, network, site_types) -> dict:
    """The planner's dimensioning of a network on its primary band for each site type it builds
    (siteplan.radio.budgets.dimensioning): DL and UL MAPL, ranges, ISD, limiting link, sites for the district."""
    radio = district.config.radio
    band = network.primary_band or radio.band
    cases = indoor_cases_db(grid, radio, band)
    return {t: _budgets.dimensioning(radio, t, band, area_km2=round(district.area_km2, 4), indoor_losses=cases)
            for t in site_types if t in radio.site_types}


def _network_figures(nc: NetworkCoverage, district: District, scenario_sites: dict | None = None) -> dict:
    nets = networks_of(district.config)
    scenarios = sorted({s for v in nc.results.values() for s in v})
    out = {
        "kpi": KPI_DEFINITION,
        "networks": {
            k: {"name": nets[k].name, "name_zh": nets[k].name_zh,
                **{s: r.figures for s, r in nc.results.get(k, {}).items()}}
            for k in nets
        },
        "district": {s: district_views(nc.scenario(s)) for s in scenarios},
    }
    for k, net in nets.items():
        types = ["macro"]
        for frame in (scenario_sites or {}).get(k, {}).values():
            if "site_type" in frame:
                types += sorted(set(frame["site_type"].astype(str)) - set(types))
        out["networks"][k]["link_budget"] = link_budgets(district, nc.grid, net, types)
    return out


def _compute(district: District, scenarios: dict[str, dict[str, object]], progress=None) -> tuple[NetworkCoverage, dict]:
    radio = district.config.radio
    _lb.check_radio(radio)
    grid = grid_for_district(district)
    nc = NetworkCoverage(grid)
    timing = {}
    for net, scen in scenarios.items():
        nc.results[net] = {}
        for name, sites in scen.items():
            t0 = time.perf_counter()
            nc.results[net][name] = network_coverage(district, grid, sites, progress=progress,
                                                     polygon_rule=HOTSPOT_POLYGON_RULE)
            timing[f"{net}.{name}"] = round(time.perf_counter() - t0, 2)
    summary = _network_figures(nc, district, scenarios)
    summary.update({
        "grid": {"resolution_m": grid.resolution_m, "shape": list(grid.shape), "cells_inside": grid.n_inside,
                 "crs": grid.crs, "transform": list(grid.transform)[:6]},
        "radio": _lb.radio_parameters(radio),
        "indoor_definition": ("indoors = building footprints (cells whose centre is in one, weighted by floor area); "
                              "RSRP of outdoor-type sites less the cell's building loss on the band (TR 38.901 "
                              "low/high-loss O2I per building class) and the extra indoor margin; indoor systems "
                              "serve their own building without it (siteplan.coverage.engine)"),
        "building_classes": list(nc.grid.classes),
        "indoor_layer": {"floor_area_km2": round(float(nc.grid.layer_weight_m2("indoor").sum()) / 1e6, 4),
                         "footprint_cells": int(nc.grid.layer_mask("indoor").sum()),
                         "outdoor_cells": int(nc.grid.layer_mask("outdoor").sum())},
        "hotspot_polygon_rule": HOTSPOT_POLYGON_RULE,
        "no_signal_dbm": NO_SIGNAL_DBM,
        "skipped_sites": [{"network": net, "scenario": s, "site_id": sid, "reason": why}
                          for net, v in nc.results.items() for s, r in v.items() for sid, why in r.sectors.skipped],
        "timing_s": timing,
        "sample_data": bool(district.sample),
    })
    return nc, summary


def run(ctx) -> None:
    """Pipeline step: the ``upgrade`` and ``pool`` scenarios of every network (figures; no files)."""
    d = ctx.district
    chk = ctx.results.get("check")
    if chk is not None:
        statuses = eligible_statuses(d.config)
        cands = chk[chk["status"].isin(statuses) & (chk["network"] != "")]
        note = f"{' and '.join(statuses)} candidates of the check step ({len(cands)} of {len(chk)})"
    else:
        from ..compliance import check_candidates

        chk = check_candidates(d)
        cands = chk[chk["network"] != ""]
        note = f"all {len(cands)} candidates with a network: no compliance check ran, so none were screened out"
    nc, summary = _compute(d, scenario_sites(d, cands), progress=ctx.progress)
    summary["candidates"] = note
    summary["scenarios_definition"] = {
        "upgrade": "the network's existing 4G sites upgraded 1:1 (one 5G gNB per physical site)",
        "pool": "every eligible candidate of the network: the most the candidate lists can give",
    }
    summary["network_table"] = network_table(d.config)
    ctx.summary["coverage"] = clean_json(summary)
    ctx.results["coverage"] = nc


def run_coverage(district, out_dir, sites: str = "existing+candidates", *, sites_frame: str = "WGS84",
                 progress=None) -> dict:
    """Coverage of a district per network for the CLI: ``sites`` is ``"existing"`` (the 4G grid upgraded 1:1),
    ``"existing+candidates"`` (that, then every candidate) or a site file evaluated alone.

    A file is read like the candidates layer (GeoJSON, GeoPackage, CSV/XLSX with lon/lat in ``sites_frame``).
    Writes ``coverage_<network>.tif`` per network, ``gaps.geojson``/``gaps.csv`` (last scenario, outdoor) and
    ``coverage.json`` into ``out_dir``; returns the summary dict (with ``"written"``: the paths).
    """
    d = district if isinstance(district, District) else read_district(district)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nets = networks_of(d.config)
    cands = d.layers["candidates"].copy()
    cands["network"] = site_networks(cands["operator"].to_numpy(dtype=object), cands["band"].to_numpy(dtype=object),
                                     nets)
    note = (f"all {len(cands)} candidates (no compliance check in `siteplan coverage`; `siteplan run` screens "
            "them)")
    if sites == "existing":
        scen = {k: {"upgrade": v["upgrade"]} for k, v in scenario_sites(d, None).items()}
    elif sites == "existing+candidates":
        both = scenario_sites(d, cands)
        scen = {k: {"upgrade": v["upgrade"], "upgrade+candidates": pd.concat([v["upgrade"], v["pool"]],
                                                                             ignore_index=True)}
                for k, v in both.items()}
    else:
        path = Path(sites)
        if not path.is_file():
            raise InputFileError(f"{sites}: --sites must be 'existing', 'existing+candidates' or an existing site file")
        spec = LayerSpec(file=str(path.resolve()), frame=sites_frame)
        file_sites = read_layer(spec, "candidates", d.config)
        file_sites["network"] = site_networks(file_sites["operator"].to_numpy(dtype=object),
                                              file_sites["band"].to_numpy(dtype=object), nets)
        scen = {k: {"file": file_sites[file_sites["network"] == k].reset_index(drop=True)} for k in nets}
        note = f"sites from {path.name} ({len(file_sites)}) evaluated alone, each in its own network"
    nc, summary = _compute(d, scen, progress=progress)
    summary["candidates"] = note
    radio = d.config.radio
    written = []
    gap_frames = []
    for net, res in nc.results.items():
        tif = write_network_tif(out / f"coverage_{net}.tif", res, network=net,
                                tags={"sample_data": bool(d.sample), **provenance_tags(d)})
        written += [tif, tif.with_suffix(".qml")]
        last = list(res.values())[-1]
        g = find_gaps(last, boundary=d.boundary, min_area_m2=float(radio.gap_min_area_m2), layer=radio.gap_layer,
                      subdistricts=d.layers.get("subdistricts"), hotspots=d.layers.get("hotspots"),
                      candidates=cands[cands["network"] == net], radio=radio)
        g.insert(0, "network", net)
        gap_frames.append(g)
    gaps = gpd.GeoDataFrame(pd.concat(gap_frames, ignore_index=True), crs=nc.grid.crs)
    written.append(write_geojson(gaps, out / "gaps.geojson", provenance=provenance(d, full=False)))
    written.append(write_csv(gaps_table(gaps), out / "gaps.csv", labels=True))
    summary["gaps"] = {"count": len(gaps), "by_network": gaps.groupby("network").size().to_dict() if len(gaps) else {},
                       "layer": radio.gap_layer, "min_area_m2": float(radio.gap_min_area_m2)}
    summary = clean_json(summary)
    written.append(write_json(summary, out / "coverage.json"))
    summary["written"] = [str(p) for p in written]
    return summary
