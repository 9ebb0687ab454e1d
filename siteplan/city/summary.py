"""``city_summary.json`` from the districts' summaries, the border reconciliation and the city raster; and the
short terminal summary of a city run.

Everything in the city summary is decided by the inputs and config (wall-clock times, workers and which districts
a resumed run skipped go to ``timings.json``), so the same city gives the same file with any number of workers.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..io.labels import format_pct

__all__ = ["city_summary", "district_progress", "summary_lines"]


def district_progress(summary: Mapping) -> str:
    """A district's progress against its last target: ``met`` (every network meets its goal), ``sites`` (the
    site count is reached but a goal is missed) or ``short`` (fewer sites planned than the target)."""
    phases = summary.get("plan", {}).get("phases", [])
    if not phases:
        return "short"
    last = phases[-1]
    if not last.get("met_sites"):
        return "short"
    return "met" if last.get("goal_met_all_networks") else "sites"


def _share(covered: float, cells: float) -> float | None:
    return round(covered / cells, 6) if cells else None


def city_summary(city, districts: list[dict], borders: Mapping[str, Mapping], removable: Mapping[str, list[str]],
                 raster: Mapping[str, Mapping], *, outputs: list[str], keys: Mapping[str, str]) -> dict:
    """The city summary.

    Parameters
    ----------
    city : siteplan.cities.CityConfig
    districts : list of dict
        Per district in city order: ``code``, ``folder`` (relative to the city output), ``summary`` (its
        summary.json).
    borders : mapping
        District code -> network -> :func:`siteplan.city.borders.reconcile_district` result (without ``matrix``).
    removable : mapping
        Network -> border sites (``"<code>:<site_id>"``) a city-wide plan can do without
        (:func:`siteplan.city.borders.removable_sites`).
    raster : mapping
        Network -> the city raster's figures (:func:`siteplan.city.raster.city_coverage_cog`).
    outputs, keys
        Files of the city folder; each district's run key (:func:`siteplan.city.records.run_key`).
    """
    net_info: dict[str, dict] = {}
    rows = []
    totals: dict[str, dict[str, float]] = {}
    time_limited = []
    for d in districts:
        s, code = d["summary"], d["code"]
        for n in s.get("networks", []):
            net_info.setdefault(n["key"], {"name": n.get("name"), "name_zh": n.get("name_zh"),
                                           "short_zh": n.get("short_zh")})
        plan = s.get("plan", {})
        per = {}
        for key, net in plan.get("networks", {}).items():
            last = net.get("phases", [{}])[-1] if net.get("phases") else {}
            b = borders.get(code, {}).get(key, {})
            cells = float(b.get("inside_cells", 0))
            alone = {layer: (last.get("coverage", {}).get(layer, {}) or {}).get("covered_share")
                     for layer in ("outdoor", "indoor")}
            city_share, delta = {}, {}
            for layer in ("outdoor", "indoor"):
                g = b.get(layer, {"gained": 0, "lost": 0})
                delta[layer] = int(g["gained"]) - int(g["lost"])
                city_share[layer] = (None if alone[layer] is None or not cells
                                     else round(alone[layer] + delta[layer] / cells, 6))
            removed = [k for k in removable.get(key, []) if k.split(":", 1)[0] == code]
            per[key] = {
                "phase": last.get("id"), "sites": last.get("sites", 0), "target_sites": last.get("target_sites", 0),
                "goal_met": (last.get("goal") or {}).get("met"),
                "outdoor_share_alone": alone["outdoor"], "outdoor_share_city": city_share["outdoor"],
                "indoor_share_alone": alone["indoor"], "indoor_share_city": city_share["indoor"],
                "border": {"cells": b.get("border_cells", 0), "neighbour_sites": b.get("neighbour_sites", 0),
                           "outdoor_cells_gained": b.get("outdoor", {}).get("gained", 0),
                           "outdoor_cells_lost": b.get("outdoor", {}).get("lost", 0),
                           "indoor_cells_gained": b.get("indoor", {}).get("gained", 0),
                           "indoor_cells_lost": b.get("indoor", {}).get("lost", 0),
                           "border_sites": len(b.get("border_sites", [])), "removable_sites": len(removed)},
            }
            t = totals.setdefault(key, {"alone": 0.0, "city": 0.0, "sites": 0, "target": 0, "area_m2": 0.0})
            if cells and alone["outdoor"] is not None:
                area = cells * b.get("cell_area_m2", 0)
                t["alone"] += alone["outdoor"] * area
                t["city"] += city_share["outdoor"] * area
                t["area_m2"] += area
            t["sites"] += int(per[key]["sites"] or 0)
            t["target"] += int(per[key]["target_sites"] or 0)
        for key, net in s.get("optimize", {}).get("networks", {}).items():
            for ph in net.get("phases", []):
                for solve in ph.get("solves", []):
                    if solve.get("status") == "time_limit":
                        time_limited.append({"district": code, "network": key, "phase": ph.get("id"),
                                             "step": solve.get("step")})
        rows.append({
            "code": code, "name_zh": s.get("district", {}).get("name_zh", ""), "folder": d["folder"],
            "area_km2": s.get("district", {}).get("area_km2"),
            "grid_resolution_m": s.get("coverage", {}).get("grid", {}).get("resolution_m"),
            "candidates": s.get("check", {}).get("candidates"), "targets": [
                {"id": t.get("id"), "sites": t.get("sites"), "due": t.get("due")} for t in s.get("targets", [])],
            "progress": district_progress(s), "networks": per, "run_key": keys.get(code),
            "map": f"{d['folder']}/coverage_map.html",
        })
    networks = {}
    for key, info in net_info.items():
        t = totals.get(key, {"area_m2": 0, "alone": 0, "city": 0, "sites": 0, "target": 0})
        rem = len(removable.get(key, []))
        networks[key] = {
            **info, "sites": t["sites"], "target_sites": t["target"],
            "outdoor_share_alone": _share(t["alone"], t["area_m2"]),
            "outdoor_share_city": _share(t["city"], t["area_m2"]),
            "removable_border_sites": rem, "sites_bound": t["sites"] - rem,
            "raster": dict(raster.get(key, {})),
        }
    return {
        "city": {"name": city.name, "name_zh": city.name_zh, "code": city.code, "working_crs": city.working_crs,
                 "districts": len(rows), "area_km2": round(sum(r["area_km2"] or 0 for r in rows), 2),
                 "sample_data": bool(city.sample or any(d["summary"].get("district", {}).get("sample_data")
                                                        for d in districts))},
        "grid_resolution_m": city.grid_resolution_m,
        "overview_resolution_m": city.overview_resolution_m,
        "networks": networks,
        "districts": rows,
        "definitions": {
            "outdoor_share_alone": "covered share (joint KPI: RSRP, SINR and the uplink; outdoors) of the "
                                   "district's cells by its own plan, last phase: the district run's figure "
                                   "(area-weighted over the city)",
            "outdoor_share_city": "the same with the other districts' selected sites counted: cells within "
                                  "radio.max_reach_m of a neighbour's site are recomputed on the district's grid "
                                  "(cells gained where a neighbour's cell serves, lost where it only interferes); "
                                  "every other cell is exactly the district run's",
            "removable_border_sites": "border sites (within 2 x radio.max_reach_m of another district's site) a "
                                      "city-wide plan can do without: every cell each covers alone (RSRP >= "
                                      "threshold, outdoors and indoors, the optimizer's coverage model) stays "
                                      "covered by another site kept (greedy, dearest first; border_sites.csv)",
            "sites_bound": "sites - removable_border_sites: the same coverage of every district's cells (the "
                           "optimizer's model) is reached with at most this many sites",
            "raster": "the city COG coverage_<network>.tif at grid_resolution_m: the last phase's sites of every "
                      "district, each cell seeing the sites within reach across district borders",
        },
        "reproducibility": {
            "time_limited_solves": time_limited,
            "note": "a solve stopped by optimize.time_limit_s depends on machine speed and load; with none listed, "
                    "the same inputs give byte-identical outputs with any number of workers",
        },
        "outputs": sorted(outputs),
    }


def summary_lines(summary: Mapping, timings: Mapping | None = None) -> list[str]:
    """The short terminal summary of a city run."""
    c = summary["city"]
    lines = [f"siteplan run (city): {c['name_zh']} {c['code']}, {c['districts']} districts, {c['area_km2']:,} km²"
             + ("  [样例数据 SAMPLE DATA]" if c.get("sample_data") else "")]
    for key, n in summary["networks"].items():
        a, b = n.get("outdoor_share_alone"), n.get("outdoor_share_city")
        lines.append(f"  {key}: {n['sites']:,}/{n['target_sites']:,} sites; outdoor "
                     f"{format_pct(a) if a is not None else '–'} by districts alone, "
                     f"{format_pct(b) if b is not None else '–'} with cross-border sites; "
                     f"{n['removable_border_sites']} border sites removable (bound {n['sites_bound']:,})")
    prog = {}
    for d in summary["districts"]:
        prog[d["progress"]] = prog.get(d["progress"], 0) + 1
    lines.append(f"  districts: {prog.get('met', 0)} meet every goal, {prog.get('sites', 0)} reach their site "
                 f"count only, {prog.get('short', 0)} fall short of it")
    if summary.get("reproducibility", {}).get("time_limited_solves"):
        lines.append(f"  note: {len(summary['reproducibility']['time_limited_solves'])} solves stopped at their "
                     "time limit (results may differ on another machine)")
    if timings:
        lines.append(f"  {timings.get('districts_run', 0)} districts run, {timings.get('districts_resumed', 0)} "
                     f"resumed from earlier outputs; {timings.get('total_s', 0):,.0f} s on "
                     f"{timings.get('workers', '?')} worker(s)")
    return lines
