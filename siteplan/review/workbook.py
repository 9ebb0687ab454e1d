"""The review workbook for the planning bureau: ``review_workbook.xlsx``.

Sheet 审查 Review holds one row per site up for decision (or already decided, with its decision filled in);
its descriptive columns are protected and only the four decision columns are unlocked, with a drop-down for the
decision. A very-hidden sheet and a custom document property carry the export id (a hash of the district and
the rows) and a checksum per row; the registry remembers every export's rows, so :func:`import_review` names
any protected cell that was edited and refuses a workbook from another export.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..crs import convert
from ..io import atomic_path, provenance
from ..io.labels import Share, phase_value
from ..io.writers import (
    XLSX_FONT,
    XLSX_MAX_TEXT,
    _col_width,
    _sheet_title,
    header_height,
    page_setup,
    reproducible_zip,
    xlsx_text,
)
from .labels import (
    DECISION_COLUMNS,
    DECISION_OF_STATE,
    MOUNT_ZH,
    POWER_ZH,
    PROTECTED,
    REUSE_ZH,
    SAMPLE_NOTICE,
    SITE_TYPE_ZH,
    STATUS_ZH,
    text,
)
from .progress import due_date, phase_target_index, progress_from_sites
from .registry import (
    REVIEW_STATES,
    STATE_ZH,
    Registry,
    open_registry,
    record_export,
    register_sites,
    transaction,
)

__all__ = [
    "META_FORMAT",
    "META_SHEET",
    "REVIEW_SHEET",
    "WORKBOOK_NAME",
    "candidate_table",
    "canon",
    "export_id_of",
    "export_review",
    "review_rows",
    "row_checksum",
]

WORKBOOK_NAME = "review_workbook.xlsx"
REVIEW_SHEET = "审查 Review"
SUMMARY_SHEET = "汇总 Summary"
META_SHEET = "_siteplan"
META_FORMAT = "siteplan-review-workbook/1"
_POLE_MOUNTS = ("street_lamp", "monitoring_pole", "smart_pole")
_POLE_REUSE = ("street_lamp", "monitoring")


# --- canonical values and hashes ---------------------------------------------------------------------------

def canon(v: Any) -> str:
    """A cell value as canonical text for checksums: numbers by their float repr, None/"" -> ""."""
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return "" if math.isnan(f) else repr(f)
    return str(v)


def row_checksum(values: dict[str, str]) -> str:
    """sha256 (first 16 hex digits) of a row's protected values, in :data:`PROTECTED` order."""
    payload = json.dumps([values.get(k, "") for k in PROTECTED], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def export_id_of(district_name: str, rows: dict[str, dict[str, str]]) -> str:
    """The export id: sha256 (first 20 hex digits) of the district and every row's protected values."""
    payload = json.dumps({"district": district_name, "rows": rows}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


# --- rows ----------------------------------------------------------------------------------------------------

def _col(df: pd.DataFrame, name: str, default: Any = "") -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index, dtype=object)


def _lonlat(gdf, crs: str) -> tuple[np.ndarray, np.ndarray]:
    import shapely

    if len(gdf) == 0:
        return np.zeros(0), np.zeros(0)
    xy = shapely.get_coordinates(shapely.centroid(gdf.geometry.values))
    src = str(gdf.crs.to_string()) if gdf.crs is not None else crs
    lon, lat = convert(xy[:, 0], xy[:, 1], src, "WGS84")
    return np.round(np.atleast_1d(lon), 7), np.round(np.atleast_1d(lat), 7)


def candidate_table(district, check, selected=None) -> pd.DataFrame:
    """The candidates up for decision, as plain columns (lon/lat in WGS 84).

    With a rollout (``selected`` not empty) these are its selected sites, with phase and marginal gain;
    without one, every checked candidate that is not non-compliant. A site id listed twice keeps its first row.
    """
    c = check
    lon, lat = _lonlat(c, district.crs)
    t = pd.DataFrame({
        "site_id": _col(c, "site_id").map(text).to_numpy(),
        "name": _col(c, "name").map(text).to_numpy(),
        "lon": lon, "lat": lat,
        "site_type": _col(c, "site_type").map(text).to_numpy(),
        "mount": _col(c, "mount").map(text).to_numpy(),
        "operator": _col(c, "operator").map(text).to_numpy(),
        "network": _col(c, "network").map(text).to_numpy(),
        "band": _col(c, "band").map(text).to_numpy(),
        "subdistrict": _col(c, "subdistrict").map(text).to_numpy(),
        "responsible_unit": _col(c, "responsible_unit").map(text).to_numpy(),
        "power_supply": _col(c, "power_supply", "unknown").map(text).to_numpy(),
        "build_kind": _col(c, "build_kind").map(text).to_numpy(),
        "reuse_kind": _col(c, "reuse_kind").map(text).to_numpy(),
        "reuse_id": _col(c, "reuse_id").map(text).to_numpy(),
        "new_build": _col(c, "new_build", True).fillna(True).astype(bool).to_numpy(),
        "needs_direct_supply": _col(c, "needs_direct_supply", False).fillna(False).astype(bool).to_numpy(),
        "status": _col(c, "status").map(text).to_numpy(),
        "reasons_zh": _col(c, "reasons_zh").map(text).to_numpy(),
        "emf_distance_m": pd.to_numeric(_col(c, "emf_distance_m", np.nan), errors="coerce").to_numpy(),
    })
    if selected is not None and len(selected):
        sel = pd.DataFrame({
            "site_id": _col(selected, "site_id").map(text).to_numpy(),
            "phase": _col(selected, "phase").map(text).to_numpy(),
            "rank": pd.to_numeric(_col(selected, "rank", np.nan), errors="coerce").to_numpy(),
            "coverage_gain_m2": pd.to_numeric(_col(selected, "marginal_gain_m2", np.nan), errors="coerce").to_numpy(),
        }).drop_duplicates("site_id")
        t = t[t["status"] != "non_compliant"].drop_duplicates("site_id")
        t = sel.merge(t, on="site_id", how="left")
        missing = t["lon"].isna()
        if missing.any():
            # A selected site absent from the check (e.g. an existing site kept by the rollout): not for review.
            t = t[~missing]
    else:
        t = t[t["status"] != "non_compliant"].drop_duplicates("site_id")
        t["phase"], t["rank"], t["coverage_gain_m2"] = "", np.nan, np.nan
    return t.reset_index(drop=True)


def _last_decisions(reg: Registry) -> pd.DataFrame:
    log = reg.log()
    dec = log[log["to_state"].isin(("approved", "rejected", "approved_with_changes"))]
    return dec.groupby("site_id", sort=False).tail(1).set_index("site_id")


def review_rows(district, reg: Registry, cands: pd.DataFrame) -> pd.DataFrame:
    """Rows of the review sheet: every registry site in a review state, joined with its check and rollout data."""
    sites = reg.sites()
    # Proposed sites the current run no longer puts up (e.g. left out of the rollout) stay in the registry as
    # they are, but are not asked about; anything under review or decided is always shown.
    current = set(cands["site_id"])
    sites = sites[sites["state"].isin(REVIEW_STATES) & (sites["site_id"].isin(current) | (sites["state"] != "proposed"))]
    info = cands.drop_duplicates("site_id").set_index("site_id")
    last = _last_decisions(reg)
    units = district.config.review.units
    rows = []
    for s in sites.to_dict("records"):
        sid = s["site_id"]
        ci = info.loc[sid] if sid in info.index else None
        def g(k: str, d: Any = "", ci=ci) -> Any:
            return d if ci is None else ci.get(k, d)

        reuse_kind = text(g("reuse_kind", s["reuse_kind"]))
        reuse = REUSE_ZH.get(reuse_kind, reuse_kind)
        if reuse_kind and text(g("reuse_id")):
            reuse = f"{reuse} {text(g('reuse_id'))}"
        gain = g("coverage_gain_m2", np.nan)
        gain = float(gain) if gain is not None and not pd.isna(gain) else None
        unit = units.get(s["responsible_unit"], s["responsible_unit"])
        phase = text(g("phase")) or s["phase"]
        d = last.loc[sid] if sid in last.index and s["state"] in DECISION_OF_STATE else None
        rows.append({
            "site_id": sid,
            "name": s["name"],
            "lon": round(float(s["lon"]), 7),
            "lat": round(float(s["lat"]), 7),
            "site_type": SITE_TYPE_ZH.get(s["site_type"], s["site_type"]),
            "mount": MOUNT_ZH.get(s["mount"], s["mount"]),
            "operator": s["operator"],
            "status": STATUS_ZH.get(text(g("status")), text(g("status"))),
            "reasons": text(g("reasons_zh")),
            "reuse": reuse,
            "subdistrict": s["subdistrict"],
            "responsible_unit": unit,
            "power": POWER_ZH.get(s["power_supply"], s["power_supply"]),
            "phase": phase_value(phase),
            "coverage_gain_m2": None if gain is None else round(gain, 1),
            "state": STATE_ZH[s["state"]],
            "decision": DECISION_OF_STATE.get(s["state"], ""),
            "comment": s["comment"] if d is not None else "",
            "reviewer": text(d["who"]) if d is not None else "",
            "date": text(d["when_date"]) if d is not None else "",
            # not shown in the review sheet; used by the work lists
            "_state": s["state"],
            "_mount": s["mount"],
            "_reuse_kind": reuse_kind,
            "_power": s["power_supply"],
            "_needs_direct": bool(g("needs_direct_supply", s["power_supply"] != "direct")),
            "_rank": g("rank", np.nan),
        })
    df = pd.DataFrame(rows, columns=[*PROTECTED, *DECISION_COLUMNS, "_state", "_mount", "_reuse_kind", "_power",
                                     "_needs_direct", "_rank"])
    if len(df):
        targets = district.config.targets
        idx = [phase_target_index(p, targets) for p in df["phase"]]
        df["_phase_idx"] = [len(targets) if k is None else k for k in idx]
        df["_rank"] = pd.to_numeric(df["_rank"], errors="coerce").fillna(np.inf)
        df = df.sort_values(["_phase_idx", "_rank", "site_id"], kind="stable").reset_index(drop=True)
        # Due dates from each row's own phase, after sorting (never from the unsorted order).
        df["_due"] = ["" if k >= len(targets) else due_date(targets[k].due) for k in df["_phase_idx"]]
    else:
        df["_phase_idx"], df["_due"] = [], []
    return df


# --- openpyxl writing ------------------------------------------------------------------------------------------

def _shown(value: Any) -> Any:
    """A value as its cell holds it: text capped for display (checksums are taken of this, too)."""
    return xlsx_text(value, XLSX_MAX_TEXT)[0] if isinstance(value, str) else value


def _put(ws, row: int, col: int, value: Any):
    """Write one cell: text always typed as a string (never a formula), numbers as numbers, dates as dates."""
    if isinstance(value, (np.integer,)):
        value = int(value)
    elif isinstance(value, Share):
        cell = ws.cell(row=row, column=col, value=float(value))
        cell.number_format = Share.number_format
        return cell
    elif isinstance(value, (np.floating,)):
        value = None if np.isnan(value) else float(value)
    elif isinstance(value, float) and math.isnan(value):
        value = None
    elif isinstance(value, (np.bool_,)):
        value = bool(value)
    cell = ws.cell(row=row, column=col, value=_shown(value))
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, _dt.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _head_cell(cell, fill: str = "DDEBF7") -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    cell.font = Font(name=XLSX_FONT, bold=True)
    cell.fill = PatternFill("solid", fgColor=fill)
    cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")


def _table_sheet(wb, title: str, df: pd.DataFrame, notice: str | None, district: str, *, protect: bool = True):
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=_sheet_title(title))
    r0 = 1
    if notice:
        _put(ws, 1, 1, notice).font = Font(name=XLSX_FONT, bold=True, color="C00000")
        r0 = 2
    for j, col in enumerate(df.columns, start=1):
        _head_cell(_put(ws, r0, j, str(col)))
    for i, rec in enumerate(df.itertuples(index=False, name=None), start=r0 + 1):
        for j, v in enumerate(rec, start=1):
            _put(ws, i, j, v)
    widths = [_col_width(str(col), df[col].map(_shown)) for col in df.columns]
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.row_dimensions[r0].height = header_height([str(c) for c in df.columns], widths)
    if len(df.columns):
        page_setup(ws, header_row=r0, last_row=r0 + len(df), last_col=len(df.columns), district=district,
                   notice=notice, widths=widths)
        ws.auto_filter.ref = f"A{r0}:{get_column_letter(len(df.columns))}{r0 + max(len(df), 1)}"
    if protect:
        _protect(ws)
    return ws


def _protect(ws) -> None:
    ws.protection.sheet = True
    # Still allow filtering and resizing columns on the protected sheet.
    ws.protection.autoFilter = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _review_sheet(wb, rows: pd.DataFrame, notice: str | None, district: str) -> None:
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    ws = wb.create_sheet(title=REVIEW_SHEET)
    r0 = 1
    if notice:
        _put(ws, 1, 1, notice).font = Font(name=XLSX_FONT, bold=True, color="C00000")
        r0 = 2
    headers = [*PROTECTED.values(), *DECISION_COLUMNS.values()]
    n_prot = len(PROTECTED)
    for j, h in enumerate(headers, start=1):
        _head_cell(_put(ws, r0, j, h), "FFF2CC" if j > n_prot else "DDEBF7")
    fill = PatternFill("solid", fgColor="FFF9E5")
    keys = [*PROTECTED, *DECISION_COLUMNS]
    for i, rec in enumerate(rows[keys].to_dict("records"), start=r0 + 1):
        for j, k in enumerate(keys, start=1):
            v = rec[k]
            if k == "date" and v:
                v = _dt.date.fromisoformat(v)  # a real date cell, as the reviewer would enter it
            cell = _put(ws, i, j, v if v != "" else None)
            if j > n_prot:
                cell.protection = Protection(locked=False)
                cell.fill = fill
        ws.cell(row=i, column=keys.index("date") + 1).number_format = "yyyy-mm-dd"
    last = r0 + max(len(rows), 1)
    dcol = get_column_letter(keys.index("decision") + 1)
    dv = DataValidation(type="list", formula1='"通过,不通过,修改后通过"', allow_blank=True, showDropDown=False,
                        showErrorMessage=True, errorTitle="审查意见 Decision",
                        error="请选择：通过 / 不通过 / 修改后通过 (choose from the list)",
                        promptTitle="审查意见 Decision", prompt="通过 / 不通过 / 修改后通过", showInputMessage=True)
    dv.add(f"{dcol}{r0 + 1}:{dcol}{last}")
    ws.add_data_validation(dv)
    tcol = get_column_letter(keys.index("date") + 1)
    dv_date = DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=True,
                             showErrorMessage=True, errorTitle="审查日期 Date",
                             error="请填写日期 YYYY-MM-DD (enter a date)")
    dv_date.add(f"{tcol}{r0 + 1}:{tcol}{last}")
    ws.add_data_validation(dv_date)
    widths = [_col_width(headers[j], rows[k].map(_shown) if len(rows) else pd.Series([], dtype=object))
              for j, k in enumerate(keys)]
    widths[keys.index("comment")] = 30.0
    widths[keys.index("date")] = max(widths[keys.index("date")], 12.0)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.row_dimensions[r0].height = header_height(headers, widths)
    # Site codes stay in view (frozen column A) and the decision columns print on the same page as them.
    page_setup(ws, header_row=r0, last_row=last, last_col=len(keys), district=district, notice=notice,
               widths=widths, freeze_col=2)
    ws.auto_filter.ref = f"A{r0}:{get_column_letter(len(keys))}{last}"
    _protect(ws)


def _meta_sheet(wb, export_id: str, district_name: str, checks: dict[str, str]) -> None:
    ws = wb.create_sheet(title=META_SHEET)
    meta = [("format", META_FORMAT), ("export_id", export_id), ("district", district_name),
            ("siteplan_version", __version__), ("site_id", "checksum")]
    for i, (k, v) in enumerate(meta, start=1):
        _put(ws, i, 1, k)
        _put(ws, i, 2, v)
    for i, (sid, cs) in enumerate(sorted(checks.items()), start=len(meta) + 1):
        _put(ws, i, 1, sid)
        _put(ws, i, 2, cs)
    ws.sheet_state = "veryHidden"
    _protect(ws)


def _worklists(district, rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Work-list sheets: per sub-district office, the direct-supply retrofit list, the pole list, per unit."""
    live = rows[rows["_state"] != "rejected"] if len(rows) else rows
    cols = {
        "site_id": "站址编号 Site code", "name": "名称 Name", "site_type": "站型 Type", "mount": "建设形式 Mount",
        "lon": "经度 Lon (WGS84)", "lat": "纬度 Lat (WGS84)", "subdistrict": "所属街道 Sub-district",
        "responsible_unit": "责任单位 Responsible unit", "power": "供电方式 Power supply",
        "reuse": "共享利用 Reuse", "status": "合规状态 Compliance", "state": "登记状态 Registry state",
        "phase": "实施阶段 Phase", "_due": "完成时限 Due",
    }

    def table(df: pd.DataFrame, task: str, unit: str | None = None) -> pd.DataFrame:
        out = df[list(cols)].copy()
        out["_due"] = [_dt.date.fromisoformat(d) if d else None for d in out["_due"]]
        out = out.rename(columns=cols)
        if unit is not None:
            out[cols["responsible_unit"]] = unit
        out["工作内容 Task"] = task
        return out.reset_index(drop=True)

    units = district.config.review.units
    sheets: dict[str, pd.DataFrame] = {}
    power = units.get("power", "供电公司")
    um = units.get("urban_management", "城管部门")
    if len(live):
        retro = live[live["_needs_direct"].astype(bool)]
        sheets[f"直供电改造 {power}"] = table(retro, "直供电改造 direct-supply retrofit", power)
        poles = live[live["_mount"].isin(_POLE_MOUNTS) | live["_reuse_kind"].isin(_POLE_REUSE)]
        sheets[f"杆站 {um}"] = table(poles, "杆体开放与挂载 open the pole for mounting", um)
        for sub, part in live.groupby(live["subdistrict"].replace("", "未归属"), sort=True):
            sheets[f"街道 {sub}"] = table(part, "协调进场 coordinate site access")
        for unit, part in live.groupby(live["responsible_unit"].replace("", "未指定"), sort=True):
            name = f"单位 {unit}"
            if name not in sheets:
                sheets[name] = table(part, "组织建设 organise the build")
    return sheets


def _summary_table(district, progress: dict, rows: pd.DataFrame, check, summary: dict | None,
                   selected, export_id: str) -> pd.DataFrame:
    cfg = district.config
    items: list[tuple[str, Any, str]] = []
    add = items.append
    add(("区县 District", f"{cfg.district.name_zh} {cfg.district.name}", cfg.district.code))
    if district.sample:
        add(("数据性质 Data", "样例数据 SAMPLE", "生成的样例图层 generated sample layers"))
    add(("导出编号 Export id", export_id, "导入时校验 checked on import"))
    add(("登记截至 Registry as of", progress["as_of"] or "—", "登记簿中最近的日期 latest date in the registry"))
    for t in progress["targets"]:
        lab = f"目标 {t['label_zh'] or t['id']} Target {t['label'] or t['id']}"
        add((lab, t["target_sites"], f"截止 due {t['due_date']}"))
        add(("  已开通 in service", t["in_service"], f"截至 by {t['due_date']}; 最近开通 last {t['last_in_service_date'] or '—'}"))
        add(("  已批准 approved", t["approved"], f"截至 by {t['due_date']}"))
        add(("  已规划 planned", t["planned"], "未否决且阶段不晚于该目标 not rejected, phase at or before it"))
        add(("  状态 state", {"met": "已完成 met", "open": "进行中 open", "missed": "未完成 missed"}[t["state"]], ""))
    for state, n in progress["counts"].items():
        add((f"登记状态 {STATE_ZH[state]} {state}", n, ""))
    if check is not None and len(check) and "status" in check.columns:
        for st, n in check["status"].value_counts().sort_index().items():
            add((f"候选站 {STATUS_ZH.get(st, st)} candidates {st}", int(n), ""))
    add(("待审查行 Rows in review sheet", len(rows), ""))
    left_out = progress["counts"]["proposed"] - int((rows["_state"] == "proposed").sum()) if len(rows) else \
        progress["counts"]["proposed"]
    if left_out:
        add(("已提出未列入 Proposed, not in this review", left_out, "本次未列入审查（如未入选建设时序）not put up by this run"))
    if len(rows):
        reuse_share = float((rows["_reuse_kind"] != "").mean())
        add(("共享利用率 Reuse ratio", Share(round(reuse_share, 4)), "利用现有站址/杆/公共设施 reuses a site, pole or facility"))
    cov = (summary or {}).get("coverage")
    if isinstance(cov, dict) and cov:
        for k, v in sorted(_flatten(cov).items()):
            share = k.endswith(("_share", "_ratio")) and isinstance(v, (float, np.floating))
            add((f"覆盖 coverage.{k}", Share(v) if share else v, ""))
    else:
        add(("覆盖 Coverage", "未运行 not run", "覆盖计算未运行 the coverage step was not run"))
    if selected is None or len(selected) == 0:
        add(("建设时序 Rollout", "未运行 not run", "阶段与覆盖增益列为空 phase and coverage-gain columns are empty"))
    a = progress["award"]
    add(("奖励 每站 Award per new site (CNY)", a["per_site_cny"], f"窗口 window {a['window_start']} – {a['window_end']}"))
    add(("奖励 已获 Award earned (CNY)", a["award_cny"], f"{a['eligible_sites']} 个新站在窗口内开通 new sites in service in window"))
    add(("奖励 潜在 Award potential (CNY)", a["potential_cny"],
         f"{a['potential_sites']} 个已批准新站若按期开通 approved new sites if in service in time"))
    return pd.DataFrame(items, columns=["项目 Item", "数值 Value", "说明 Note"])


def _flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, (int, float, str, bool, np.integer, np.floating)) and not isinstance(v, bool):
            out[key] = v
    return out


def _about_table(district, export_id: str) -> pd.DataFrame:
    prov = provenance(district)
    items = [("siteplan_version", prov["siteplan_version"]), ("district", prov["district"]),
             ("sample_data", str(prov["sample_data"])), ("export_id", export_id)]
    items += [(f"input sha256: {k}", v) for k, v in prov["input_hashes"].items()]
    items.append(("config", json.dumps(prov["config"], ensure_ascii=False, sort_keys=True)))
    return pd.DataFrame(items, columns=["项目 Item", "内容 Value"])


def _compute_check(district):
    try:
        from ..compliance import check_candidates
    except ImportError as e:  # pragma: no cover - the compliance module ships with siteplan
        raise ImportError(f"export_review needs siteplan.compliance.check_candidates ({e}); pass check= instead") from e
    return check_candidates(district)


def export_review(district, out_dir, *, check=None, selected=None, summary=None) -> Path:
    """Write ``review_workbook.xlsx`` into ``out_dir`` and register newly proposed sites.

    Parameters
    ----------
    district : siteplan.io.District
    out_dir : path-like
    check : GeoDataFrame, optional
        The compliance result (``ctx.results["check"]``); computed with ``check_candidates`` when None.
    selected : GeoDataFrame, optional
        The rollout's selected sites (``ctx.results["optimize"]``); without it every non-non-compliant candidate
        is up for decision and the phase / coverage-gain columns stay empty.
    summary : dict, optional
        The run summary (``ctx.summary``) for the coverage figures.

    Returns
    -------
    Path
        The workbook written (atomically).
    """
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.workbook.protection import WorkbookProtection

    if check is None:
        check = _compute_check(district)
    reg = open_registry(district)
    cands = candidate_table(district, check, selected)
    cand_file = district.config.layers["candidates"].file if "candidates" in district.config.layers else ""
    register_sites(reg, cands, source_file=cand_file, source_sha256=district.input_hashes.get(cand_file, ""))
    rows = review_rows(district, reg, cands)
    name = district.config.district.name
    # Checksums cover the values as written (text as shown in its cell).
    canon_rows = {r["site_id"]: {k: canon(_shown(r[k])) for k in PROTECTED} for r in rows.to_dict("records")}
    export_id = export_id_of(name, canon_rows)
    with transaction(reg.path) as conn:
        record_export(conn, export_id, name, canon_rows)
    progress = progress_from_sites(district.config, reg.sites())
    notice = SAMPLE_NOTICE if district.sample else None

    wb = Workbook()
    wb.remove(wb.active)
    label = f"{district.config.district.name_zh} {name}"
    _review_sheet(wb, rows, notice, label)
    _table_sheet(wb, SUMMARY_SHEET, _summary_table(district, progress, rows, check, summary, selected, export_id),
                 notice, label)
    if check is not None and len(check) and "status" in check.columns:
        nc = check[check["status"] == "non_compliant"]
        lon, lat = _lonlat(nc, district.crs)
        _table_sheet(wb, "不合规 Non-compliant", pd.DataFrame({
            "站址编号 Site code": _col(nc, "site_id").map(text).to_numpy(),
            "名称 Name": _col(nc, "name").map(text).to_numpy(),
            "经度 Lon (WGS84)": lon, "纬度 Lat (WGS84)": lat,
            "原因 Reasons": _col(nc, "reasons_zh").map(text).to_numpy(),
            "原因代码 Codes": _col(nc, "reasons").map(text).to_numpy(),
        }), notice, label)
    for title, df in _worklists(district, rows).items():
        _table_sheet(wb, title, df, notice, label)
    _table_sheet(wb, "说明 About", _about_table(district, export_id), notice, label)
    _meta_sheet(wb, export_id, name, {sid: row_checksum(v) for sid, v in canon_rows.items()})
    wb.active = 0
    wb.security = WorkbookProtection(lockStructure=True)
    wb.custom_doc_props.append(StringProperty(name="siteplan_export_id", value=export_id))
    wb.custom_doc_props.append(StringProperty(name="siteplan_district", value=name))
    fixed = _dt.datetime(2020, 1, 1)  # fixed document dates keep the content reproducible
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = f"siteplan {__version__}"
    wb.properties.title = f"{district.config.district.name_zh} 5G 站址审查 review"
    path = Path(out_dir) / WORKBOOK_NAME
    with atomic_path(path) as tmp:
        wb.save(tmp)
        reproducible_zip(tmp)
    return path
