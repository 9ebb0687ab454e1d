"""The ``evaluate`` step: the plan judged the way a radio planner and the leading group read it.

For each network and phase, the network's selected sites up to that phase (registry-fixed ones included) are
evaluated on the district grid with the operators' joint KPI (:mod:`siteplan.coverage.networks`): outdoor and
indoor shares, by sub-district and hotspot scenario; the phase's goal (``[targets.goal]``) is met or not, and when
not, the step says why — the band has no service yet, the phase's site count is too small, interference holds
SINR down, or no candidate can cover part of the goal area, in which case it writes **candidate search requests**
(:mod:`siteplan.evaluate.search`). District views (every network / any network in service) per phase, the gaps of
each network's final plan, the work plan's award, ten-year costs, what free public property and direct supply
save (:mod:`siteplan.costs`), and sharing KPIs complete it.

Writes ``coverage_<network>.tif`` (bands ``<phase>_outdoor_rsrp_dbm``, ``<phase>_indoor_rsrp_dbm``,
``<phase>_sinr_db`` per phase), ``selected_sites.csv/.xlsx/.geojson``, ``rollout.csv``, ``rollout.png``,
``gaps.geojson/.csv``, ``search_requests.csv/.xlsx/.geojson``; sets ``ctx.summary["plan"]`` and
``ctx.results["plan"]`` (:class:`PlanEvaluation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..compliance.sharing import existing_hosts, sharing_figures
from ..config import network_target_sites
from ..costs import award_eligible, award_network_start, cost_measure_savings, site_costs
from ..coverage.figures import hotspot_coverage
from ..coverage.gaps import find_gaps
from ..coverage.grid import Grid, grid_for_district
from ..coverage.networks import KPI_DEFINITION, district_views, network_coverage, share, write_network_tif
from ..coverage.step import HOTSPOT_POLYGON_RULE, clean_json, gaps_table
from ..io import provenance, write_csv, write_geojson, write_xlsx
from ..io.writers import provenance_tags
from ..io.schema import SAMPLE_NOTICE
from ..networks import ALL, networks_of, site_networks
from ..optimize.step import demand_weights, goal_area_mask
from ..radio import linkbudget as _lb
from .capacity import network_capacity
from .search import SEARCH_COLUMNS, hotspot_rings, search_rings

__all__ = ["PlanEvaluation", "evaluate_goal", "plan_award_eligible", "run"]

@dataclass(eq=False)
class PlanEvaluation:
    """The plan's coverage: ``results[network][phase]`` on one grid, and the search requests."""

    grid: Grid
    results: dict[str, dict[str, object]] = field(default_factory=dict)
    search_requests: pd.DataFrame | None = None


def _layer_mask(res, layer: str, rsrp_only: bool = False) -> np.ndarray:
    """Inside-cell (cell_index order) covered mask of a result on ``layer``."""
    g = res.grid
    if rsrp_only:
        a = res.rsrp_covered if layer == "outdoor" else res.indoor_rsrp_covered
    else:
        a = res.covered if layer == "outdoor" else res.indoor_covered
    return a.ravel()[g.cell_index]


def _wshare(mask: np.ndarray, weight: np.ndarray) -> float | None:
    total = float(weight.sum())
    return round(float(weight[mask].sum()) / total, 6) if total > 0 else None


def evaluate_goal(res, pool, goal, *, area_mask: np.ndarray, hotspots: gpd.GeoDataFrame, available: bool,
                  sites: int, target_sites: int, optimizer_share: dict | None = None) -> dict:
    """Whether a network's plan at a phase meets the phase's goal on the joint KPI, and why not.

    ``pool`` is the network's coverage with every eligible candidate (its RSRP-only masks say what no candidate
    can reach). Shares are of the goal area's cells on the goal's layer, weighted by area outdoors and floor area
    indoors. Returns ``met``, the shares reached (joint KPI, downlink only, RSRP only, the pool's reach), hotspot
    counts, and ``why``: a list of plain reasons.
    """
    out: dict = {"met": True, "why": [], "why_codes": []}
    if goal is None:
        out["goal"] = None
        return out
    out["goal"] = {"layer": goal.layer, "area": goal.area, "share": goal.share,
                   "hotspot_scenarios": list(goal.hotspot_scenarios), "hotspot_layer": goal.hotspot_layer,
                   "hotspot_share": goal.hotspot_share}
    g = res.grid
    weight = g.layer_weight_m2(goal.layer).ravel()[g.cell_index][area_mask]
    pre = "indoor_" if goal.layer == "indoor" else ""
    cov = _layer_mask(res, goal.layer)[area_mask]
    rsrp = _layer_mask(res, goal.layer, True)[area_mask]
    dl = getattr(res, f"{pre}dl_covered").ravel()[g.cell_index][area_mask]
    reach = _layer_mask(pool, goal.layer, True)[area_mask] if pool is not None else np.zeros_like(cov)
    out["area_share"] = _wshare(cov, weight)
    out["area_dl_share"] = _wshare(dl, weight)
    out["area_rsrp_share"] = _wshare(rsrp, weight)
    out["pool_rsrp_share"] = _wshare(reach, weight)
    met_area = (out["area_share"] or 0.0) + 1e-9 >= goal.share
    why = out["why"]
    codes = out.setdefault("why_codes", [])

    def say(code: str, zh: str, en: str) -> None:
        codes.append(code)
        why.append(f"{zh} / {en}")

    layer_zh = {"outdoor": "室外", "indoor": "室内"}
    if not available:
        say("NO_SERVICE", "截止日前该网络频段尚无5G商用服务", "the network's band carries no 5G service by the due date")
    elif not met_area:
        pool_share = out["pool_rsrp_share"] or 0.0
        if pool_share + 1e-9 < goal.share:
            say("NO_CANDIDATE_COVERS",
                f"目标区域有 {1 - pool_share:.1%} 无任何候选站址可覆盖（候选最多覆盖 {pool_share:.1%}），已生成站址需求",
                f"no candidate can cover {1 - pool_share:.1%} of the goal area: the pool reaches at most "
                f"{pool_share:.1%} (RSRP) — candidate search requests issued")
        if (out["area_dl_share"] or 0.0) + 1e-9 >= goal.share:
            lost = out["area_dl_share"] - out["area_share"]
            say("UPLINK_LIMITED",
                f"下行覆盖 {out['area_dl_share']:.1%}，但目标区域 {lost:.1%} 的上行不达标（上行受限）",
                f"the downlink reaches {out['area_dl_share']:.1%} but the uplink fails on {lost:.1%} of the goal "
                "area: uplink-limited")
        elif (out["area_rsrp_share"] or 0.0) + 1e-9 >= goal.share:
            lost = out["area_rsrp_share"] - out["area_dl_share"]
            say("INTERFERENCE_LIMITED",
                f"RSRP 达标 {out['area_rsrp_share']:.1%}，但目标区域 {lost:.1%} 的 SS-SINR 低于门限（干扰受限）",
                f"RSRP reaches {out['area_rsrp_share']:.1%} but SS-SINR < threshold on {lost:.1%} of the goal area: "
                "interference-limited")
        elif (out["area_rsrp_share"] or 0.0) + 1e-6 >= pool_share:
            pass  # the plan reaches all the candidates can: the search requests above are the remedy
        elif sites >= target_sites:
            view = f" (optimizer view {optimizer_share.get('area', 0):.1%})" if optimizer_share else ""
            say("TOO_FEW_SITES",
                f"本期 {target_sites} 个站址不足，目标区域 RSRP 覆盖 {out['area_rsrp_share']:.1%}",
                f"the phase's {target_sites} sites are too few: they cover {out['area_rsrp_share']:.1%} (RSRP) of "
                f"the goal area{view}")
        else:
            say("SITES_UNUSED", f"允许 {target_sites} 个站址，仅 {sites} 个有覆盖增益",
                f"only {sites} of the {target_sites} sites allowed could be placed usefully")
    met_hot = True
    if goal.hotspot_scenarios:
        hs = hotspots[hotspots["scenario"].isin(list(goal.hotspot_scenarios))] if len(hotspots) else hotspots
        layer_plan = res.covered if goal.hotspot_layer == "outdoor" else res.indoor_covered
        plan_h = hotspot_coverage(g, layer_plan, hs, polygon_rule=HOTSPOT_POLYGON_RULE, layer=goal.hotspot_layer)
        on = plan_h["on_grid"].to_numpy(dtype=bool) if len(plan_h) else np.zeros(0, bool)
        n_on = int(on.sum())
        n_cov = int(plan_h["covered"].to_numpy(dtype=bool)[on].sum()) if n_on else 0
        out["hotspots_total"] = n_on
        out["hotspots_covered"] = n_cov
        out["hotspot_share"] = round(n_cov / n_on, 6) if n_on else None
        if pool is not None and n_on:
            pl = pool.rsrp_covered if goal.hotspot_layer == "outdoor" else pool.indoor_rsrp_covered
            pool_h = hotspot_coverage(g, pl, hs, polygon_rule=HOTSPOT_POLYGON_RULE, layer=goal.hotspot_layer)
            out["hotspots_reachable"] = int(pool_h["covered"].to_numpy(dtype=bool)[on].sum())
            unreach = on & ~pool_h["covered"].to_numpy(dtype=bool) & ~plan_h["covered"].to_numpy(dtype=bool)
            out["hotspots_unreachable"] = plan_h.loc[unreach, "hotspot_id"].astype(str).tolist()
        met_hot = n_on == 0 or n_cov + 1e-9 >= goal.hotspot_share * n_on
        if available and not met_hot:
            bad = out.get("hotspots_unreachable", [])
            if bad:
                say("HOTSPOTS_NO_CANDIDATE",
                    f"{len(bad)} 个目标热点无任何候选可{layer_zh[goal.hotspot_layer]}覆盖（需室分），已生成站址需求",
                    f"{len(bad)} goal hotspots cannot be covered {goal.hotspot_layer} by any candidate (indoor "
                    "systems needed) — candidate search requests issued")
            else:
                say("HOTSPOTS_LEFT", f"{n_on - n_cov} 个目标热点在本期站址内未{layer_zh[goal.hotspot_layer]}覆盖",
                    f"{n_on - n_cov} goal hotspots stay uncovered {goal.hotspot_layer} within the phase's sites")
    out["met"] = bool(available and met_area and met_hot)
    return out


def _not_due(verdict: dict) -> dict:
    """A phase in which the network owes nothing (no sites, no service yet): the goal does not apply."""
    verdict["met"] = None
    verdict["why"] = ["不适用：本期该网络无站址（频段尚无5G商用） / not due: the network has no sites in this phase "
                      "(no 5G service on its band yet)"]
    verdict["why_codes"] = ["NOT_DUE"]
    return verdict


def plan_award_eligible(selected: pd.DataFrame, cfg) -> np.ndarray:
    """Which planned 5G base stations earn the award if they go live on their planned in-service date; the same
    rule :func:`siteplan.review.progress.award_estimate` applies to the registry's real dates."""
    nets = networks_of(cfg)
    start = award_network_start(selected["network"].to_numpy(dtype=object), nets)
    return award_eligible(selected["in_service_planned"].to_numpy(dtype=object), start, cfg.award)


def _site_radius_m(radio, band: str, layer: str) -> float:
    """Radius one macro of the band covers at the threshold on ``layer`` (peak gain) [m], within max reach."""
    preset = radio.preset("macro", band) if "macro" in radio.site_types else next(iter(radio.site_types.values()))
    r = float(_lb.max_range_m(preset, radio, band=band, indoor=layer == "indoor"))
    return float(np.clip(r, 100.0, radio.max_reach_m))


def _lonlat(crs: str, x, y) -> tuple[np.ndarray, np.ndarray]:
    from ..crs import convert

    return convert(np.asarray(x, float), np.asarray(y, float), crs, "WGS84")


def _plot_rollout(path: Path, rows: pd.DataFrame, sample: bool, threshold_dbm: float, sinr_db: float,
                  uplink_mbps: float | None = None) -> Path:
    """Each network's outdoor and indoor coverage (joint KPI) after each phase, against its sites; each phase's
    goal, and what the phase reaches in the goal's own area when that is not the whole district."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..fonts import cjk_rc, zh_en
    from ..io.writers import atomic_path

    nets = [n for n in dict.fromkeys(rows["network"]) if n != "district"]
    with cjk_rc():
        fig, axes = plt.subplots(1, 2, figsize=(10, 5.2), dpi=110, sharey=True)
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for ax, layer, title in ((axes[0], "outdoor", zh_en("室外 outdoor", "outdoor")),
                                 (axes[1], "indoor", zh_en("室内 indoor", "indoor"))):
            for i, key in enumerate(nets):
                r = rows[rows["network"] == key]
                xs = [0] + r["sites"].tolist()
                ys = [0.0] + (100 * r[f"coverage_{layer}"].astype(float)).tolist()
                label = str(r["network_label"].iloc[0])
                ax.plot(xs, ys, marker="o", color=colours[i % len(colours)], label=zh_en(label, key))
                for _, ph in r.iterrows():
                    if not ph["sites"]:  # a phase the network owes nothing in (no service yet): no point, no goal
                        continue
                    ax.annotate(str(ph["phase"]), (ph["sites"], 100 * float(ph[f"coverage_{layer}"])), fontsize=7,
                                xytext=(3, -10), textcoords="offset points")
                    goal = ph.get("goal_share")
                    if layer == ph.get("goal_layer") and isinstance(goal, float) and np.isfinite(goal):
                        ax.scatter([ph["sites"]], [100 * goal], marker="_", s=200, color=colours[i % len(colours)])
                        # A goal on part of the district (the core in 2020) is judged there, not on the
                        # district-wide share the line shows: mark what the phase reaches in that area.
                        reached = ph.get("goal_reached")
                        if ph.get("goal_area") not in (None, "district") and isinstance(reached, float) \
                                and np.isfinite(reached):
                            ax.scatter([ph["sites"]], [100 * reached], marker="o", s=45, facecolors="none",
                                       edgecolors=colours[i % len(colours)], linewidths=1.5, zorder=3)
            ax.set_title(title)
            ax.set_xlabel(zh_en("5G 站点数（累计） 5G sites of the network (cumulative)",
                                "5G sites of the network (cumulative)"))
            ax.grid(alpha=0.3)
            ax.set_ylim(0, 102)
        kpi = (f"RSRP ≥ {threshold_dbm:g} dBm, SINR ≥ {sinr_db:g} dB"
               + (f", UL ≥ {uplink_mbps:g} Mbit/s" if uplink_mbps is not None else ""))
        axes[0].set_ylabel(zh_en(f"覆盖率 covered share [%]\n{kpi}", f"covered share [%]\n{kpi}"))
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=1, fontsize=7, frameon=False)
        fig.suptitle(zh_en("各网络分期覆盖 Coverage per network and phase"
                           "（— 阶段目标 phase goal，○ 目标区域内达到 reached in the goal area）",
                           "Coverage per network and phase (- = phase goal, o = reached in the goal area)")
                     + (zh_en("  — 样例数据 SAMPLE DATA", "  - SAMPLE DATA") if sample else ""), fontsize=10)
        fig.tight_layout(rect=(0, 0.05 + 0.035 * len(nets), 1, 1))
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", metadata={"Software": None})
        plt.close(fig)
    return path


def run(ctx) -> None:
    """Evaluate the plan per network and phase; write rasters, lists, gaps, search requests and the rollout."""
    from ..optimize.step import write_selected

    d = ctx.district
    cfg = d.config
    radio = cfg.radio
    table = ctx.results.get("optimize")
    if table is None:
        raise RuntimeError("the evaluate step needs the optimize step's selection (run 'optimize' first)")
    nc = ctx.results.get("coverage")
    grid = nc.grid if nc is not None else grid_for_district(d)
    opt = ctx.results.get("optimize_networks", {})
    nets = networks_of(cfg)
    counts = network_target_sites(cfg) if cfg.networks else {ALL: {t.id: t.sites for t in cfg.targets}}
    hotspots = d.layers["hotspots"]
    phase_ids = [t.id for t in cfg.targets]
    ev = PlanEvaluation(grid)
    written: list[Path] = []
    per_net: dict[str, dict] = {}
    requests = []
    gap_frames = []
    w_demand = {layer: demand_weights(grid, hotspots, cfg.scenarios, cfg.optimize.hotspot_radius_m, layer)
                for layer in ("outdoor", "indoor")}
    core = goal_area_mask(grid, d, next((t.goal for t in cfg.targets if t.goal and t.goal.area == "core"), None))
    for key, net in nets.items():
        mine = table[table["network"] == key]
        pool = nc.results.get(key, {}).get("pool") if nc is not None else None
        ev.results[key] = {}
        phases = []
        for i, t in enumerate(cfg.targets):
            upto = mine[mine["phase"].isin(["fixed", *phase_ids[: i + 1]])]
            res = network_coverage(d, grid, upto, progress=ctx.progress, polygon_rule=HOTSPOT_POLYGON_RULE)
            ev.results[key][t.id] = res
            available = net.available_from <= t.due
            mask = goal_area_mask(grid, d, t.goal)
            opt_phase = opt.get(key, {}).get("phases", [None] * len(cfg.targets))[i]
            verdict = evaluate_goal(res, pool, t.goal, area_mask=mask, hotspots=hotspots, available=available,
                                    sites=len(upto), target_sites=int(counts[key][t.id]),
                                    optimizer_share=getattr(opt_phase, "goal_share", None))
            if not available and int(counts[key][t.id]) == 0:
                verdict = _not_due(verdict)
            new = mine[mine["phase"] == t.id]
            cap = network_capacity(d, res, key)
            phases.append({
                "id": t.id, "due": t.due, "available": available, "target_sites": int(counts[key][t.id]),
                "sites": len(upto), "new_sites": len(new),
                "coverage": {"outdoor": res.figures["outdoor"], "indoor": res.figures["indoor"],
                             "sinr_median_db": res.figures.get("sinr_median_db"),
                             "by_subdistrict": res.figures["by_subdistrict"], "hotspots": res.figures["hotspots"]},
                "goal": verdict,
                "capacity": cap,
                "tco_cny": round(float(new["tco_cny"].astype(float).sum()), 0),
                "capex_cny": round(float(new["capex_cny"].astype(float).sum()), 0),
                "by_build_kind": {k: int(v) for k, v in new["build_kind"].value_counts().sort_index().items()},
            })
            if available and verdict["met"] is False and pool is not None and t.goal is not None:
                plan_cov = _layer_mask(res, t.goal.layer)
                reach = _layer_mask(pool, t.goal.layer, True)
                on_layer = grid.layer_mask(t.goal.layer).ravel()[grid.cell_index]
                unc = mask & on_layer & ~plan_cov & ~reach
                reason = (f"phase {t.id} goal {t.goal.share:.0%} {t.goal.layer} of the {t.goal.area}: no eligible "
                          f"candidate of the network covers this area")
                rings = search_rings(grid, unc, network=key, phase=t.id,
                                     site_radius_m=_site_radius_m(radio, net.primary_band, t.goal.layer),
                                     min_area_m2=float(radio.gap_min_area_m2), weight=w_demand[t.goal.layer],
                                     high_priority=core,
                                     reason=reason)
                requests.append(rings)
                bad = verdict.get("hotspots_unreachable", [])
                if bad:
                    hs = hotspots.set_index(hotspots["hotspot_id"].astype(str)).loc[bad]
                    xy = shapely.get_coordinates(shapely.point_on_surface(hs.geometry.values))
                    requests.append(hotspot_rings(bad, xy, network=key, phase=t.id, reason=(
                        f"phase {t.id}: goal hotspot not covered {t.goal.hotspot_layer} by any eligible candidate")))
        last = ev.results[key][cfg.targets[-1].id] if cfg.targets else None
        if last is not None:
            cands = opt.get(key, {}).get("candidates")
            unselected = (cands[~cands["site_id"].isin(set(mine["site_id"]))] if cands is not None else None)
            g = find_gaps(last, boundary=d.boundary, min_area_m2=float(radio.gap_min_area_m2), layer=radio.gap_layer,
                          subdistricts=d.layers.get("subdistricts"), hotspots=hotspots, candidates=unselected,
                          radio=radio)
            g.insert(0, "network", key)
            g.insert(1, "phase", cfg.targets[-1].id)
            gap_frames.append(g)
        per_net[key] = {"name": net.name, "name_zh": net.name_zh, "available_from": net.available_from,
                        "phases": phases}
        with_sites = {pid: r for pid, r in ev.results[key].items() if r.sectors.n_sites}
        if with_sites:  # a phase with no site of the network (no service yet) has no raster band
            tif = write_network_tif(ctx.out_dir / f"coverage_{key}.tif", with_sites, network=key,
                                    tags={"sample_data": bool(d.sample), **provenance_tags(d)})
            written += [tif, tif.with_suffix(".qml")]

    # District views per phase: the networks in service by its due date.
    district_phases = []
    for t in cfg.targets:
        live = {k: v[t.id] for k, v in ev.results.items() if nets[k].available_from <= t.due}
        views = district_views(live)
        n_sites = int(sum(p["sites"] for v in per_net.values() for p in v["phases"] if p["id"] == t.id))
        district_phases.append({"id": t.id, "label": t.label, "label_zh": t.label_zh, "due": t.due,
                                "target_sites": t.sites, "sites": n_sites, "met_sites": n_sites >= t.sites,
                                "goal_met_all_networks": all(p["goal"]["met"] is not False
                                                             for v in per_net.values() for p in v["phases"]
                                                             if p["id"] == t.id),
                                "views": views})

    # Money and sharing over the whole plan.
    planned = table[table["phase"] != "fixed"]
    eligible = plan_award_eligible(planned, cfg)
    money = site_costs(planned["build_kind"], planned["site_type"], planned["band"], planned["power_supply"],
                       tenants=planned["host_operators"].to_numpy(dtype=np.int64), costs=cfg.costs)
    award_by = {}
    for key in nets:
        sel = (planned["network"] == key).to_numpy()
        award_by[key] = {pid: {"stations": int((eligible & sel & (planned["phase"] == pid).to_numpy()).sum()),
                               "award_cny": float((eligible & sel & (planned["phase"] == pid).to_numpy()).sum()
                                                  * cfg.award.per_site_cny)} for pid in phase_ids}
    savings = {"total": cost_measure_savings(planned["build_kind"], planned["free_access"], planned["power_supply"],
                                             planned["needs_direct_supply"], money["kwh_per_year"], cfg.costs)}
    for key in nets:
        sel = (planned["network"] == key).to_numpy()
        savings[key] = cost_measure_savings(planned["build_kind"][sel], planned["free_access"][sel],
                                            planned["power_supply"][sel], planned["needs_direct_supply"][sel],
                                            money["kwh_per_year"][sel], cfg.costs)
    ex = d.layers["existing_sites"]
    sharing = sharing_figures(planned["host_id"], planned["network"], planned["operator"],
                              existing_host=existing_hosts(ex["site_id"].to_numpy(dtype=object),
                                                           ex["tower_site_id"].to_numpy(dtype=object)
                                                           if "tower_site_id" in ex else None),
                              existing_operator=ex["operator"].to_numpy(dtype=object),
                              group=planned["subdistrict"])
    money_summary = {
        "award": {"per_site_cny": cfg.award.per_site_cny, "window": [cfg.award.window_start, cfg.award.window_end],
                  "stations": int(eligible.sum()), "award_cny": float(eligible.sum() * cfg.award.per_site_cny),
                  "by_network": award_by,
                  "rule": "each new 5G base station in service inside the window on a band in service by then "
                          "(siteplan.costs.award_eligible; siteplan status applies the same rule to the registry)"},
        "tco_cny": round(float(planned["tco_cny"].astype(float).sum()), 0),
        "capex_cny": round(float(planned["capex_cny"].astype(float).sum()), 0),
        "opex_cny_per_year": round(float(planned["opex_cny_per_year"].astype(float).sum()), 0),
        "horizon_years": cfg.costs.horizon_years,
        "savings": savings,
    }

    # Files: rasters (above), selected sites, rollout, gaps, search requests.
    rollout = _rollout_table(per_net, nets, district_phases, award_by)
    written.extend(write_selected(d, table, ctx.out_dir, rollout=rollout))
    written.append(write_csv(rollout, ctx.out_dir / "rollout.csv", labels=True))
    written.append(_plot_rollout(ctx.out_dir / "rollout.png", rollout[rollout["network"] != "district"], d.sample,
                                 radio.rsrp_threshold_dbm, radio.sinr_threshold_db, radio.uplink.edge_rate_mbps))
    gaps = (gpd.GeoDataFrame(pd.concat(gap_frames, ignore_index=True), crs=grid.crs) if gap_frames
            else gpd.GeoDataFrame({"network": []}, geometry=gpd.GeoSeries([], crs=grid.crs)))
    written.append(write_geojson(gaps, ctx.out_dir / "gaps.geojson", provenance=provenance(d, full=False)))
    written.append(write_csv(gaps_table(gaps), ctx.out_dir / "gaps.csv", labels=True))
    req = _requests_table(d, requests)
    ev.search_requests = req
    written.extend(_write_requests(d, req, ctx.out_dir))
    ctx.results["plan"] = ev
    ctx.results["gaps"] = gaps
    ctx.gpkg_layers["gaps"] = gaps
    if len(req):
        ctx.gpkg_layers["search_requests"] = gpd.GeoDataFrame(
            req.drop(columns=["geometry"]), geometry=req["geometry"], crs=d.crs)
    ctx.written.extend(written)
    ctx.summary["plan"] = clean_json({
        "kpi": KPI_DEFINITION,
        "networks": per_net,
        "phases": district_phases,
        "money": money_summary,
        "sharing": sharing,
        "capacity": _capacity_summary(per_net, cfg),
        "search_requests": {"count": len(req),
                            "by_network": req.groupby("network").size().to_dict() if len(req) else {}},
        "gaps": {"count": len(gaps), "layer": radio.gap_layer, "phase": phase_ids[-1] if phase_ids else None,
                 "by_network": gaps.groupby("network").size().to_dict() if len(gaps) else {},
                 "area_km2": round(float(gaps["area_m2"].astype(float).sum()) / 1e6, 4) if len(gaps) else 0.0},
    })


def _capacity_summary(per_net: dict, cfg) -> dict:
    """The capacity check of each network's last phase: capacity-limited hotspots (or none) with the load figures."""
    c = cfg.capacity
    out = {"trigger": c.trigger, "definition": "a sector is over the trigger when its busy-hour demand needs more "
           "than capacity.trigger of its PRB-time (siteplan.evaluate.capacity)", "networks": {}}
    for key, v in per_net.items():
        if not v["phases"]:
            continue
        last = v["phases"][-1]
        cap = last.get("capacity", {})
        out["networks"][key] = {
            "phase": last["id"],
            "capacity_limited_hotspots": cap.get("capacity_limited_hotspots", []),
            "sectors_over_trigger": cap.get("sectors_over_trigger"),
            "utilisation": cap.get("utilisation"),
            "demand_mbps": cap.get("demand_mbps"),
            "hotspot_loads": {h["hotspot_id"]: h.get("max_utilisation") for h in cap.get("hotspots", [])
                              if h.get("on_grid")},
        }
    limited = sorted({h for v in out["networks"].values() for h in v["capacity_limited_hotspots"]})
    out["capacity_limited_hotspots"] = limited
    out["verdict"] = (f"{len(limited)} hotspot(s) capacity-limited at the last phase" if limited else
                      "no hotspot is capacity-limited at the last phase (loads per hotspot in networks.*.hotspot_loads)")
    return out


def _rollout_table(per_net: dict, nets: dict, district_phases: list[dict], award_by: dict) -> pd.DataFrame:
    from ..networks import network_label

    rows = []
    for key, v in per_net.items():
        for p in v["phases"]:
            g = p["goal"]
            goal = g.get("goal") or {}
            rows.append({
                "phase": p["id"], "due": p["due"], "network": key, "network_label": network_label(key, nets[key]),
                "available": p["available"], "target_sites": p["target_sites"], "sites": p["sites"],
                "new_sites": p["new_sites"],
                "coverage_outdoor": p["coverage"]["outdoor"]["covered_share"],
                "coverage_indoor": p["coverage"]["indoor"]["covered_share"],
                "rsrp_outdoor": p["coverage"]["outdoor"].get("rsrp_share"),
                "goal_layer": goal.get("layer"), "goal_area": goal.get("area"), "goal_share": goal.get("share"),
                "goal_reached": g.get("area_share"), "hotspots_covered": g.get("hotspots_covered"),
                "hotspots_total": g.get("hotspots_total"), "goal_met": g.get("met"),
                "why": "; ".join(g.get("why", [])),
                "tco_cny": p["tco_cny"], "capex_cny": p["capex_cny"],
                "award_cny": award_by.get(key, {}).get(p["id"], {}).get("award_cny", 0.0),
            })
    for ph in district_phases:
        v = ph["views"]
        rows.append({
            "phase": ph["id"], "due": ph["due"], "network": "district", "network_label": "全区 District",
            "available": True, "target_sites": ph["target_sites"], "sites": ph["sites"],
            "new_sites": None,
            "coverage_outdoor": v.get("outdoor", {}).get("every_network"),
            "coverage_indoor": v.get("indoor", {}).get("every_network"),
            "rsrp_outdoor": None, "goal_layer": None, "goal_area": None, "goal_share": None,
            "goal_reached": v.get("outdoor", {}).get("any_network"), "hotspots_covered": None, "hotspots_total": None,
            "goal_met": ph["goal_met_all_networks"],
            "why": "district row: coverage = every network in service covers; goal_reached = any network covers",
            "tco_cny": None, "capex_cny": None,
            "award_cny": sum(a.get(ph["id"], {}).get("award_cny", 0.0) for a in award_by.values()),
        })
    return pd.DataFrame(rows)


def _requests_table(d, frames: list[pd.DataFrame]) -> gpd.GeoDataFrame:
    cols = SEARCH_COLUMNS
    df = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else \
        pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    if len(df) == 0:
        return gpd.GeoDataFrame(df.assign(lon=[], lat=[], subdistrict=[]), geometry=gpd.GeoSeries([], crs=d.crs),
                                crs=d.crs)
    df["request_id"] = [f"REQ-{n}-{p}-{i + 1:03d}" for i, (n, p) in
                        enumerate(zip(df["network"], df["phase"]))]
    # Number within network and phase, deterministic.
    df["request_id"] = (df["network"].astype(str).str.upper() + "-" + df["phase"].astype(str) + "-"
                        + (df.groupby(["network", "phase"]).cumcount() + 1).map("{:03d}".format))
    df["request_id"] = "REQ-" + df["request_id"]
    centre = shapely.points(df["x_m"].to_numpy(float), df["y_m"].to_numpy(float))
    lon, lat = _lonlat(d.crs, df["x_m"], df["y_m"])
    df["lon"], df["lat"] = np.round(lon, 7), np.round(lat, 7)
    sd = d.layers["subdistricts"]
    df["subdistrict"] = ""
    if len(sd):
        tree = shapely.STRtree(sd.geometry.values)
        i, j = tree.query(centre, predicate="intersects")
        names = sd["name"].to_numpy(dtype=object)
        first = pd.Series(j).groupby(i).min()
        df.loc[first.index.to_numpy(), "subdistrict"] = names[first.to_numpy()]
    df["responsible_unit"] = "中国铁塔天津分公司 / 运营商"
    if d.sample:
        from ..io.schema import SAMPLE_NOTE

        df["data_note"] = SAMPLE_NOTE
    geom = shapely.buffer(centre, df["radius_m"].to_numpy(float), quad_segs=16)
    return gpd.GeoDataFrame(df, geometry=geom, crs=d.crs)


def _write_requests(d, req: gpd.GeoDataFrame, out_dir: Path) -> list[Path]:
    cols = ["request_id", "network", "phase", "kind", "site_type", "priority", "lon", "lat", "radius_m", "area_m2",
            "subdistrict", "hotspot_id", "reason", "responsible_unit"] + (["data_note"] if d.sample else [])
    flat = pd.DataFrame(req[[c for c in cols if c in req.columns]]) if len(req) else \
        pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    cfg = d.config
    headers = {"lon": "中心经度 Centre lon (WGS84)", "lat": "中心纬度 Centre lat (WGS84)",
               "site_type": "建议站型 Suggested site type"}
    return [
        write_csv(flat, out_dir / "search_requests.csv", labels=True, headers=headers),
        write_xlsx(out_dir / "search_requests.xlsx", {"站址需求 Search requests": flat},
                   notice=SAMPLE_NOTICE if d.sample else None, metadata=provenance(d), labels=True, headers=headers,
                   district=f"{cfg.district.name_zh} {cfg.district.name}"),
        write_geojson(req[[c for c in cols if c in req.columns] + ["geometry"]] if len(req) else req,
                      out_dir / "search_requests.geojson", provenance=provenance(d, full=False)),
    ]
