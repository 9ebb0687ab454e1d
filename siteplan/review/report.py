"""The printable review report ``review_report.html``: A4 print CSS, Chinese first, self-contained.

Everything the bureau needs on paper: progress against the targets, coverage figures and a static map (PNG made
with matplotlib, embedded as base64: the page makes no external request), the top coverage gaps, the compliance
summary, EMF flags, the award estimate, the parameters used and the inputs' hashes. Rendered by Jinja2 with
autoescape on, so no input text can inject markup.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..config import SCENARIOS, config_to_dict
from ..io import atomic_path
from ..io.labels import format_pct
from ..io.writers import provenance_html_meta
from .labels import SAMPLE_NOTICE, STATUS_ZH, text
from .progress import progress_status
from .registry import STATE_ZH, Registry, open_registry, registry_path

if TYPE_CHECKING:  # pragma: no cover
    from markupsafe import Markup

__all__ = ["FONT_STACK", "REPORT_NAME", "map_png", "render_report", "write_report"]

REPORT_NAME = "review_report.html"
#: CSS font stack: CJK fonts first (Debian's fonts-noto-cjk), then common Windows/macOS ones.
FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", '
              '"Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", sans-serif')
_TOP_GAPS = 10
_MAX_FLAGS = 40
_STATE_COLOURS = {"proposed": "#9e9e9e", "under_review": "#1f77b4", "approved": "#2ca02c",
                  "approved_with_changes": "#98df8a", "rejected": "#d62728", "under_construction": "#ff7f0e",
                  "in_service": "#9467bd"}


def map_png(district, *, check=None, selected=None, sites: pd.DataFrame | None = None, coverage=None,
            gaps=None, dpi: int = 110) -> bytes:
    """A static A4-width map of the district as PNG bytes (working CRS, metres; no basemap, no network)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ..fonts import cjk_rc, zh_en

    layers = district.layers
    with cjk_rc(**{"svg.hashsalt": "siteplan"}) as cjk:
        fig, ax = plt.subplots(figsize=(7.0, 6.2), dpi=dpi)
        handles: list = []
        cov_drawn = False
        try:
            if coverage is not None and getattr(coverage, "covered", None) is not None:
                g = coverage.grid
                t = g.transform
                rows, cols = np.asarray(coverage.covered).shape
                extent = (t.c, t.c + t.a * cols, t.f + t.e * rows, t.f)
                mask = np.where(np.asarray(g.inside), np.asarray(coverage.covered, dtype=float), np.nan)
                ax.imshow(mask, extent=extent, origin="upper", cmap="Greens", vmin=-0.5, vmax=1.5, alpha=0.45,
                          interpolation="nearest", zorder=0)
                cov_drawn = True
        except (AttributeError, TypeError, ValueError):
            cov_drawn = False  # a coverage result of another shape: the map goes without it
        if cov_drawn:
            handles.append(Patch(color="#74c476", alpha=0.6, label=zh_en("各网均覆盖 covered by every network (outdoor, last phase)", "covered by every network (outdoor, last phase)")))
        subs = layers.get("subdistricts")
        if subs is not None and len(subs):
            subs.boundary.plot(ax=ax, color="#bbbbbb", linewidth=0.6, zorder=1)
            names = subs["name"] if cjk else subs.get("code", subs["name"])  # no CJK font: codes, not boxes
            for name, pt in zip(names, subs.geometry.representative_point()):
                ax.annotate(str(name), (pt.x, pt.y), fontsize=6, color="#777777", ha="center", zorder=1)
        zones = layers.get("plan_zones")
        if zones is not None and len(zones):
            for cat, colour, label in (("prohibited", "#d62728", zh_en("禁建区 prohibited", "prohibited")),
                                       ("restricted", "#ff7f0e", zh_en("限建区 restricted", "restricted"))):
                z = zones[zones["category"] == cat]
                if len(z):
                    z.plot(ax=ax, color=colour, alpha=0.18, edgecolor=colour, linewidth=0.5, zorder=2)
                    handles.append(Patch(color=colour, alpha=0.3, label=label))
        if gaps is not None and len(gaps):
            top = gaps.sort_values("score", ascending=False).head(_TOP_GAPS) if "score" in gaps else gaps.head(_TOP_GAPS)
            top.plot(ax=ax, color="none", edgecolor="#e31a1c", linewidth=1.2, zorder=3)
            handles.append(Patch(facecolor="none", edgecolor="#e31a1c", label=zh_en("主要覆盖缺口 top gaps", "top gaps")))
        b = layers["boundary"]
        b.boundary.plot(ax=ax, color="black", linewidth=1.2, zorder=4)
        if check is not None and len(check) and "status" in check:
            nc = check[check["status"] == "non_compliant"]
            if len(nc):
                ax.scatter(nc.geometry.x, nc.geometry.y, s=6, marker="x", color="#d62728", linewidths=0.6, zorder=5)
                handles.append(Line2D([], [], marker="x", color="#d62728", linestyle="", label=zh_en("不合规候选 non-compliant", "non-compliant")))
        if sites is not None and len(sites):
            from ..crs import convert

            x, y = convert(sites["lon"].to_numpy(float), sites["lat"].to_numpy(float), "WGS84", district.crs)
            for state, colour in _STATE_COLOURS.items():
                m = (sites["state"] == state).to_numpy()
                if m.any():
                    ax.scatter(np.asarray(x)[m], np.asarray(y)[m], s=9, color=colour, edgecolors="white",
                               linewidths=0.2, zorder=6)
                    handles.append(Line2D([], [], marker="o", color=colour, linestyle="",
                                          label=f"{zh_en(STATE_ZH[state] + ' ', '')}{state} ({int(m.sum())})"))
        if selected is not None and len(selected):
            ax.scatter(selected.geometry.x, selected.geometry.y, s=22, facecolors="none", edgecolors="#333333",
                       linewidths=0.5, zorder=7)
            handles.append(Line2D([], [], marker="o", markerfacecolor="none", color="#333333", linestyle="",
                                  label=zh_en("建设时序入选 in the rollout", "in the rollout")))
        x0, y0, x1, y1 = b.total_bounds
        pad = 0.03 * max(x1 - x0, y1 - y0)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        # Scale bar: 1 km in working-CRS metres.
        sx, sy = x0, y0 - pad * 0.6
        ax.plot([sx, sx + 1000], [sy, sy], color="black", linewidth=2, zorder=8)
        ax.annotate("1 km", (sx + 500, sy), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7)
        ax.annotate("N ↑", (0.97, 0.95), xycoords="axes fraction", ha="right", fontsize=9)
        if district.sample:
            # no bold: the packaged CJK font has one weight (matplotlib would warn and use it anyway)
            ax.annotate(zh_en("样例数据 SAMPLE DATA", "SAMPLE DATA"), (0.02, 0.97), xycoords="axes fraction",
                        fontsize=9, color="#c00000", va="top")
        if handles:
            ax.legend(handles=handles, loc="lower right", fontsize=6.5, framealpha=0.85)
        name = district.config.district
        ax.set_title(zh_en(f"{name.name_zh} 站址与审查状态 sites and review state ({district.crs})",
                           f"{name.name}: sites and review state ({district.crs})"),
                     fontsize=9)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        plt.close(fig)
    return buf.getvalue()


def _css_string(v: Any) -> Markup:
    """A quoted CSS string (for ``@page`` margin boxes): quotes, backslashes, "<" and line breaks escaped, so
    no input text can end the string or the ``<style>`` element."""
    from markupsafe import Markup

    out = "".join(f"\\{ord(ch):x} " if ch in '"\\<>&\n\r' else ch for ch in str(v))
    return Markup(f'"{out}"')


def _reason_rows(check) -> list[dict]:
    if check is None or not len(check) or "reasons" not in check:
        return []
    try:
        from ..compliance import REASONS
    except ImportError:  # pragma: no cover
        REASONS = {}
    codes = check["reasons"].astype(str).str.split(";").explode()
    codes = codes[codes.str.len() > 0]
    out = []
    for code, n in codes.value_counts().sort_index().items():
        r = REASONS.get(code)
        out.append({"code": code, "zh": r.zh if r else "", "en": r.en if r else "", "effect": r.effect if r else "",
                    "effect_zh": STATUS_ZH.get(r.effect, "") if r else "", "count": int(n)})
    return out


def _emf_rows(check) -> tuple[list[dict], int]:
    if check is None or not len(check) or "reasons" not in check:
        return [], 0
    flagged = check[check["reasons"].astype(str).str.contains("EMF_SENSITIVE_RECEPTOR", regex=False)]
    return [{"site_id": text(r.get("site_id")), "name": text(r.get("name")), "subdistrict": text(r.get("subdistrict")),
             "emf_distance_m": r.get("emf_distance_m"), "status": STATUS_ZH.get(text(r.get("status")), "")}
            for r in flagged.head(_MAX_FLAGS).to_dict("records")], len(flagged)


def _gap_rows(gaps) -> list[dict]:
    if gaps is None or not len(gaps):
        return []
    g = gaps.sort_values("score", ascending=False) if "score" in gaps else gaps
    out = []
    for r in g.head(_TOP_GAPS).to_dict("records"):
        out.append({k: (", ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v)
                    for k, v in r.items() if k != "geometry"})
    return out


def _share(v) -> str:
    return "—" if v is None else format_pct(v)


def _coverage_tables(summary: dict | None) -> dict:
    """The plan's figures (evaluate step) as small tables: per phase and network, district views, sub-districts
    and hotspot scenarios at the last phase, money and sharing."""
    plan = (summary or {}).get("plan")
    if not isinstance(plan, dict) or not plan.get("networks"):
        return {}
    nets = plan["networks"]
    label = {k: (v.get("name_zh") or k) for k, v in nets.items()}
    short = {t.get("key"): (t.get("short_zh") or t.get("key")) for t in (summary or {}).get("networks", [])}
    phases = []
    for key, net in nets.items():
        for p in net.get("phases", []):
            g = p.get("goal") or {}
            goal = g.get("goal") or {}
            phases.append({
                "phase": p.get("id"), "network": label[key], "sites": p.get("sites"), "target": p.get("target_sites"),
                "outdoor": _share(((p.get("coverage") or {}).get("outdoor") or {}).get("covered_share")),
                "indoor": _share(((p.get("coverage") or {}).get("indoor") or {}).get("covered_share")),
                "goal": (f"{_share(goal.get('share'))} {goal.get('layer', '')} ({goal.get('area', '')})"
                         if goal else "—"),
                "reached": _share(g.get("area_share")),
                "met": {True: "是 yes", False: "否 no", None: "不适用 n/a"}[g.get("met")],
                "why": "; ".join(g.get("why") or []),
            })
    phases.sort(key=lambda r: str(r["phase"]))
    views = [{"phase": ph.get("id"), "sites": ph.get("sites"), "target": ph.get("target_sites"),
              "every_out": _share(((ph.get("views") or {}).get("outdoor") or {}).get("every_network")),
              "any_out": _share(((ph.get("views") or {}).get("outdoor") or {}).get("any_network")),
              "every_in": _share(((ph.get("views") or {}).get("indoor") or {}).get("every_network")),
              "any_in": _share(((ph.get("views") or {}).get("indoor") or {}).get("any_network"))}
             for ph in plan.get("phases", [])]
    subd: dict[str, dict] = {}
    hot = []
    for key, net in nets.items():
        last = (net.get("phases") or [{}])[-1]
        cov = last.get("coverage") or {}
        for r in cov.get("by_subdistrict") or []:
            row = subd.setdefault(r.get("name", ""), {"name": r.get("name", ""), "area_km2": r.get("area_km2")})
            row[key] = f"{_share(r.get('outdoor_share'))} / {_share(r.get('indoor_share'))}"
        for scen, h in sorted((cov.get("hotspots") or {}).items()):
            if isinstance(h, dict):
                hot.append({"network": label[key], "label": f"{SCENARIOS.get(scen, '')} {scen}".strip(),
                            "outdoor": f"{h.get('covered', '—')}/{h.get('total', '—')}",
                            "indoor": f"{h.get('indoor_covered', '—')}/{h.get('total', '—')}"})
    money = plan.get("money") or {}
    savings = []
    for key, v in (money.get("savings") or {}).items():
        savings.append({"network": "合计 total" if key == "total" else label.get(key, key), **v})
    return {"phases": phases, "views": views, "subdistricts": list(subd.values()), "network_keys": list(nets),
            "network_names": [short.get(k) or label[k] for k in nets], "hotspots": hot, "savings": savings,
            "money": money, "sharing": plan.get("sharing") or {}, "kpi": plan.get("kpi", ""),
            "search_requests": (plan.get("search_requests") or {}).get("count", 0),
            "threshold_dbm": ((summary or {}).get("coverage") or {}).get("radio", {}).get("rsrp_threshold_dbm"),
            "sinr_threshold_db": ((summary or {}).get("coverage") or {}).get("radio", {}).get("sinr_threshold_db"),
            "uplink_mbps": (((summary or {}).get("coverage") or {}).get("radio", {}).get("uplink") or {})
            .get("edge_rate_mbps")}


def _flat_config(cfg) -> list[tuple[str, str]]:
    d = config_to_dict(cfg)
    d.pop("layers", None)
    rows: list[tuple[str, str]] = []

    def walk(v: Any, key: str) -> None:
        if isinstance(v, dict) and v and key.count(".") < 2:
            for k in sorted(v):
                walk(v[k], f"{key}.{k}" if key else str(k))
        else:
            rows.append((key, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)))

    walk(d, "")
    return rows


def render_report(district, *, check=None, selected=None, summary=None, coverage=None, gaps=None,
                  registry: Registry | None = None, export_id: str = "", status: dict | None = None) -> str:
    """The report's HTML text (see :func:`write_report`)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    reg = registry or open_registry(district)
    status = status or progress_status(district, reg)
    sites = reg.sites()
    png = map_png(district, check=check, selected=selected, sites=sites, coverage=coverage, gaps=gaps)
    emf_rows, emf_total = _emf_rows(check)
    by_status = ({s: int((check["status"] == s).sum()) for s in STATUS_ZH}
                 if check is not None and len(check) and "status" in check else {})
    cfg = district.config
    env = Environment(loader=FileSystemLoader(str(Path(__file__).with_name("templates"))), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["cny"] = lambda v: f"{float(v):,.0f}"
    env.filters["css_string"] = _css_string
    env.filters["pct"] = format_pct
    env.filters["num"] = lambda v, nd=1: "—" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{float(v):,.{nd}f}"
    tpl = env.get_template("report.html.j2")
    return tpl.render(
        cfg=cfg,
        font_stack=FONT_STACK,
        issuer=cfg.review.units.get("planning", ""),
        running_title=f"{cfg.district.name_zh} 5G 基站站址审查报告",
        running_notice="样例数据 SAMPLE DATA" if district.sample else "",
        provenance_meta=provenance_html_meta(district),
        sample_notice=SAMPLE_NOTICE if district.sample else "",
        status=status,
        state_zh=STATE_ZH,
        status_zh=STATUS_ZH,
        area_km2=district.area_km2,
        map_png_b64=base64.b64encode(png).decode("ascii"),
        coverage=_coverage_tables(summary),
        rollout_run=selected is not None and len(selected) > 0,
        gap_rows=_gap_rows(gaps),
        by_status=by_status,
        n_candidates=0 if check is None else len(check),
        reason_rows=_reason_rows(check),
        emf_rows=emf_rows,
        emf_total=emf_total,
        config_rows=_flat_config(cfg),
        hashes=sorted(district.input_hashes.items()),
        export_id=export_id,
        registry_name=registry_path(district).name,
        version=__version__,
    )


def write_report(district, out_dir, *, check=None, selected=None, summary=None, coverage=None, gaps=None,
                 registry: Registry | None = None, export_id: str = "", status: dict | None = None) -> Path:
    """Write ``review_report.html`` (A4 print CSS, Chinese first, self-contained) into ``out_dir``.

    Parameters are the results of the earlier steps; any of them may be None (the report then says the step was
    not run). ``status`` defaults to :func:`progress_status` of the district's registry.
    """
    html = render_report(district, check=check, selected=selected, summary=summary, coverage=coverage, gaps=gaps,
                         registry=registry, export_id=export_id, status=status)
    path = Path(out_dir) / REPORT_NAME
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
