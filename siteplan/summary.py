"""Human-readable summaries of a district and a run (the CLI prints these; notebooks can too)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .crs import convert
from .io import write_json
from .io.labels import format_pct

__all__ = ["coverage_lines", "district_info", "run_summary_lines", "status_lines", "update_summary_status"]


def district_info(district) -> str:
    """Each layer's count, frame and extent (WGS84 degrees), and the district's area."""
    cfg = district.config
    lines = [
        f"{cfg.district.name_zh} {cfg.district.name} ({cfg.district.code}) — working CRS {district.crs}, "
        f"area {district.area_km2:.2f} km²" + ("  [样例数据 SAMPLE DATA: only the boundary is real]" if district.sample else ""),
        f"{'layer':<18} {'count':>7}  {'frame':<10} {'extent (lon/lat, WGS84)':<44} file",
    ]
    for name, gdf in district.layers.items():
        spec = cfg.layers.get(name)
        if len(gdf):
            x0, y0, x1, y1 = gdf.total_bounds
            lon, lat = convert(np.array([x0, x1]), np.array([y0, y1]), district.crs, "WGS84")
            extent = f"{lon[0]:.4f},{lat[0]:.4f} .. {lon[1]:.4f},{lat[1]:.4f}"
        else:
            extent = "—"
        lines.append(
            f"{name:<18} {len(gdf):>7}  {(spec.frame if spec else '—'):<10} {extent:<44} {spec.file if spec else '(absent)'}"
        )
    for t in cfg.targets:
        lines.append(f"target {t.id}: {t.sites} sites by {t.due} ({t.label_zh} {t.label})")
    return "\n".join(lines)


def run_summary_lines(ctx, title: str) -> list[str]:
    """A short summary of a run: the figures a planner looks at first, per network."""
    s = ctx.summary
    d = s["district"]
    lines = [f"siteplan {title}: {d['name_zh']} {d['name']}, {d['area_km2']:.2f} km²"
             + ("  [样例数据 SAMPLE DATA]" if d.get("sample_data") else "")]
    chk = s.get("check")
    if chk:
        by = chk.get("by_status", {})
        lines.append(
            f"  candidates: {chk.get('candidates', sum(by.values()))} — compliant {by.get('compliant', 0)}, "
            f"conditional {by.get('conditional', 0)}, non-compliant {by.get('non_compliant', 0)}; "
            f"reuse ratio {format_pct(chk.get('reuse', {}).get('ratio'))}"
        )
    plan = s.get("plan")
    if plan:
        for key, net in plan.get("networks", {}).items():
            for ph in net.get("phases", []):
                g = ph.get("goal") or {}
                verdict = {True: "goal met", False: "goal NOT met", None: "not due"}[g.get("met")]
                lines.append(
                    f"  {ph['id']} {key}: {ph['sites']}/{ph['target_sites']} sites, outdoor "
                    f"{format_pct(ph['coverage']['outdoor'].get('covered_share'))}, indoor "
                    f"{format_pct(ph['coverage']['indoor'].get('covered_share'))} of floor area (RSRP+SINR+uplink)"
                    f" — {verdict}")
                if g.get("met") is False and g.get("why"):
                    lines.append(f"      why: {'; '.join(g['why'])}")
        for ph in plan.get("phases", []):
            v = ph.get("views") or {}
            lines.append(f"  {ph['id']} district: {ph['sites']}/{ph['target_sites']} sites; outdoor every network "
                         f"{format_pct((v.get('outdoor') or {}).get('every_network'))}, any network "
                         f"{format_pct((v.get('outdoor') or {}).get('any_network'))}")
        money = plan.get("money") or {}
        sav = (money.get("savings") or {}).get("total") or {}
        lines.append(f"  award estimate CNY {(money.get('award') or {}).get('award_cny', 0):,.0f}; 10-year cost "
                     f"CNY {money.get('tco_cny', 0) or 0:,.0f}; free public property + direct supply save CNY "
                     f"{sav.get('total_cny_per_year', 0):,.0f}/year")
        cap = plan.get("capacity") or {}
        if cap.get("verdict"):
            limited = cap.get("capacity_limited_hotspots") or []
            lines.append(f"  capacity: {cap['verdict']}" + (f" ({', '.join(limited)})" if limited else ""))
        lines.append(f"  search requests: {(plan.get('search_requests') or {}).get('count', 0)}; gaps after the last "
                     f"phase: {(plan.get('gaps') or {}).get('count', 0)}; shared sites "
                     f"{format_pct((plan.get('sharing') or {}).get('share_ratio'))}")
    elif s.get("coverage"):
        lines += ["  " + ln for ln in coverage_lines(s["coverage"])]
    return lines


def coverage_lines(cov: dict) -> list[str]:
    """Coverage figures of each network and scenario (joint RSRP + SINR + uplink KPI), and the gaps, one line each."""
    lines = []
    for key, net in (cov.get("networks") or {}).items():
        for name, sc in net.items():
            if not isinstance(sc, dict) or "outdoor" not in sc:
                continue
            lines.append(f"coverage {key} ({name}, {sc.get('sites')} sites): outdoor "
                         f"{format_pct(sc['outdoor'].get('covered_share'))} (RSRP only {format_pct(sc['outdoor'].get('rsrp_share'))}),"
                         f" indoor {format_pct(sc['indoor'].get('covered_share'))}")
    for name, v in (cov.get("district") or {}).items():
        lines.append(f"district ({name}): outdoor every network {format_pct((v.get('outdoor') or {}).get('every_network'))},"
                     f" any network {format_pct((v.get('outdoor') or {}).get('any_network'))}")
    gaps = cov.get("gaps")
    if gaps:
        lines.append(f"gaps ({gaps.get('layer')}): {gaps.get('count')} ({gaps.get('by_network')})")
    if cov.get("candidates"):
        lines.append(f"candidates: {cov['candidates']}")
    return lines


def status_lines(st: dict) -> list[str]:
    """Progress against each target, one line each."""
    lines = [st["note"]] if st.get("note") else []
    counts = st.get("counts", {})
    lines.append("sites: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for t in st.get("targets", []):
        lines.append(
            f"target {t.get('id')} ({t.get('due')}): {t.get('in_service', 0)} in service, {t.get('approved', 0)} approved, "
            f"{t.get('planned', 0)} planned of {t.get('sites')}"
        )
    return lines


def update_summary_status(out_dir: Path, st: dict) -> Path:
    """Put the status figures into ``out_dir/summary.json``, keeping what an earlier run wrote."""
    path = Path(out_dir) / "summary.json"
    data = {}
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = {}
    data["status"] = st
    return write_json(data, path)

