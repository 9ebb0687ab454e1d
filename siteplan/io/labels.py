"""One language policy for the tables people read: Chinese first, English beside.

Every table a planner opens in Excel/WPS (CSV and XLSX lists, sheets of the workbooks) takes its column headers,
its value labels and its number formats from here. Code that writes a new table keeps canonical English column
names in its frame and asks the writer for labels::

    write_csv(df, path, labels=True)               # headers "站址编号 Site ID"; values stay codes ("compliant")
    write_xlsx(path, {"表 Sheet": df}, labels=True)  # + values "合规 compliant", percentages, dates, phases as numbers

CSV values stay canonical codes so that scripts and spreadsheet filters keep working on them; the XLSX, the
sheet people read and print, shows their labels. Machine-readable files (GeoJSON, GeoPackage, summary.json)
keep the canonical English names and values.

Percentages shown as text anywhere (map panel, report, CLI) go through :func:`format_pct`, which never shows a
share below 1 as "100.0%" nor a share above 0 as "0.0%".
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = [
    "HEADERS",
    "NUMBER_FORMATS",
    "PERCENT_COLUMNS",
    "Share",
    "VALUE_LABELS",
    "column_format",
    "format_pct",
    "header",
    "labelled",
    "phase_value",
]

#: Canonical column -> header, Chinese first. Outputs may override single headers (``labelled(headers=...)``).
HEADERS: dict[str, str] = {
    # sites and candidates
    "site_id": "站址编号 Site ID",
    "name": "站名 Name",
    "operator": "运营商 Operator",
    "technology": "网络制式 Technology",
    "band": "频段 Band",
    "site_type": "站型 Site type",
    "mount": "建设形式 Mount",
    "height_m": "挂高(m) Height (m)",
    "lon": "经度 Longitude (WGS84)",
    "lat": "纬度 Latitude (WGS84)",
    "subdistrict_code": "街道代码 Sub-district code",
    "subdistrict": "所属街道 Sub-district",
    "responsible_unit": "责任单位 Responsible unit",
    "status": "合规状态 Status",
    "status_zh": "合规状态(中文) Status (zh)",
    "reasons": "原因代码 Reason codes",
    "reasons_zh": "原因说明 Reasons (zh)",
    "reasons_en": "原因说明(英文) Reasons (en)",
    "reuse_kind": "共享设施类型 Reuse kind",
    "reuse_id": "共享设施编号 Reuse asset ID",
    "reuse_distance_m": "共享设施距离(m) Reuse distance (m)",
    "free_access": "免费开放 Free access",
    "new_build": "新建 New build",
    "build_kind": "建设类别 Build kind",
    "power_supply": "供电方式 Power supply",
    "needs_direct_supply": "需直供电改造 Needs direct supply",
    "eirp_dbm": "EIRP(dBm) EIRP (dBm)",
    "emf_distance_m": "电磁合规距离(m) EMF distance (m)",
    "pole_id": "杆号 Pole ID",
    "power_unit": "供电单位 Power unit",
    "data_note": "数据说明 Data note",
    # rollout: selected sites
    "phase": "建设期 Phase",
    "rank": "排序 Rank",
    "phase_rank": "期内顺序 Rank in phase",
    "fixed": "已批/在网 Fixed",
    "marginal_gain_m2": "新增覆盖面积(m², 需求层) Marginal gain m² (demand layer)",
    "marginal_gain_weight": "新增加权覆盖 Marginal gain (weighted)",
    "cost_cny": "造价(元) Cost CNY",
    # rollout: phases
    "label": "目标 Target (en)",
    "label_zh": "目标 Target",
    "due": "完成时限 Due",
    "target_sites": "目标站址数 Target sites",
    "target_coverage": "目标覆盖率(需求层) Target coverage (demand layer)",
    "target_coverage_outdoor": "目标室外覆盖率 Target outdoor coverage",
    "target_coverage_indoor": "目标室内覆盖率 Target indoor coverage",
    "sites": "站址数 Sites",
    "new_sites": "新建站址数 New sites",
    "fixed_sites": "已批/在网站址数 Fixed sites",
    "coverage_outdoor": "室外覆盖率 Outdoor coverage",
    "coverage_indoor": "室内覆盖率 Indoor coverage",
    "reuse_ratio": "共享率 Reuse ratio",
    "award_cny": "奖励估算(元) Award CNY",
    "award_note": "奖励说明 Award note",
    "met": "达标 Met",
    "note": "说明 Note",
    # gaps
    "gap_id": "缺口编号 Gap ID",
    "area_m2": "面积(m²) Area (m²)",
    "n_cells": "栅格数 Cells",
    "hotspots": "热点 Hotspots",
    "hotspot_weight": "热点权重 Hotspot weight",
    "nearest_candidates": "最近候选站址 Nearest candidates",
    "nearest_distance_m": "最近距离(m) Nearest distance (m)",
    "score": "评分 Score",
    # networks, upgrades, sharing and money (issue 10)
    "network": "网络 Network",
    "network_label": "网络名称 Network name",
    "available": "频段可商用 Band in service",
    "in_service_planned": "计划开通日期 Planned in service",
    "upgrade_of": "升级现网站址 Upgrade of",
    "host_id": "物理站址 Physical site",
    "host_operators": "站址运营商数 Operators on site",
    "host_networks": "站址网络数 Networks on site",
    "shared": "共享 Shared",
    "capex_cny": "建设投资(元) Capex CNY",
    "opex_cny_per_year": "年运营成本(元/年) Opex CNY/yr",
    "tco_cny": "十年总成本(元) 10-yr TCO CNY",
    "lte_band": "LTE频段 LTE band",
    "owner": "产权属性 Owner",
    "tower_site_id": "铁塔站址编码 Tower site code",
    "rsrp_outdoor": "室外RSRP达标率 Outdoor RSRP only",
    "goal_layer": "目标层 Goal layer",
    "goal_area": "目标区域 Goal area",
    "goal_share": "目标覆盖率 Goal share",
    "goal_reached": "达到 Reached",
    "hotspots_covered": "热点已覆盖 Hotspots covered",
    "hotspots_total": "热点总数 Hotspots",
    "goal_met": "达标 Goal met",
    "why": "原因 Why",
    # search requests
    "request_id": "需求编号 Request ID",
    "kind": "类型 Kind",
    "priority": "优先级 Priority",
    "radius_m": "搜索半径(m) Search radius (m)",
    "hotspot_id": "热点编号 Hotspot",
    "reason": "原因 Reason",
    # generic
    "share": "占比 Share",
}

#: Canonical column -> value -> label ("中文 english"); values not listed are shown as they are.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "status": {"compliant": "合规 compliant", "conditional": "有条件合规 conditional",
               "non_compliant": "不合规 non-compliant"},
    "site_type": {"macro": "宏站 macro", "micro": "微站 micro", "indoor": "室分 indoor"},
    "mount": {"rooftop": "楼顶抱杆 rooftop", "tower": "落地塔 tower", "street_lamp": "路灯杆 street lamp",
              "monitoring_pole": "监控杆 monitoring pole", "smart_pole": "智慧杆 smart pole", "indoor": "室内 indoor"},
    "build_kind": {"co_site_upgrade": "本网站址升级 co-site upgrade",
                   "public_facility": "公共设施 public facility", "existing_site": "共享他网站址 shared existing site",
                   "pole": "杆体 pole", "rooftop": "楼顶 rooftop", "tower": "落地塔 tower", "indoor": "室分 indoor"},
    "reuse_kind": {"existing_site": "共享现有站址 existing site", "street_lamp": "利用路灯杆 street lamp",
                   "monitoring": "利用监控杆 monitoring pole", "public_facility": "利用公共设施 public facility",
                   "": "新建 new build"},
    "power_supply": {"direct": "直供电 direct", "transferred": "转供电 transferred", "unknown": "未知 unknown"},
    "phase": {"fixed": "已批/在网 fixed"},
    "operator": {"china_mobile": "中国移动 China Mobile", "china_telecom": "中国电信 China Telecom",
                 "china_unicom": "中国联通 China Unicom", "china_broadnet": "中国广电 China Broadnet",
                 "china_tower": "中国铁塔 China Tower"},
    "owner": {"china_tower": "铁塔 China Tower", "operator": "自有 operator", "other": "其他 other"},
    "kind": {"area": "区域 area", "hotspot": "热点 hotspot"},
}
#: Boolean columns: shown as 是 / 否 with the English beside.
_BOOL_LABELS = {True: "是 yes", False: "否 no"}

#: Columns holding a share in [0, 1]: a percentage number format in XLSX (the value stays the share).
PERCENT_COLUMNS = frozenset({
    "coverage_outdoor", "coverage_indoor", "reuse_ratio", "target_coverage", "target_coverage_outdoor",
    "target_coverage_indoor", "share", "covered_share", "rsrp_outdoor", "goal_share", "goal_reached",
})
#: Canonical column -> Excel number format.
NUMBER_FORMATS: dict[str, str] = {
    **{c: "0.00%" for c in PERCENT_COLUMNS},
    "cost_cny": "#,##0", "award_cny": "#,##0", "area_m2": "#,##0.0", "marginal_gain_m2": "#,##0.0",
    "capex_cny": "#,##0", "opex_cny_per_year": "#,##0", "tco_cny": "#,##0", "radius_m": "#,##0",
    "marginal_gain_weight": "#,##0.0",
    "due": "yyyy-mm", "date": "yyyy-mm-dd",
}
_BY_HEADER = {h: c for c, h in HEADERS.items()}


class Share(float):
    """A share in [0, 1] that a spreadsheet shows as a percentage (cell value stays the share, format 0.00%):
    for single cells of mixed tables, e.g. a summary sheet's "reuse ratio" row."""

    number_format = "0.00%"


def header(column: str, headers: Mapping[str, str] | None = None) -> str:
    """The header of a canonical column (``headers`` overrides); unknown columns are returned unchanged."""
    if headers and column in headers:
        return headers[column]
    return HEADERS.get(column, column)


def column_format(column: str) -> str | None:
    """Excel number format of a column, by canonical name or by its header; None if it has none."""
    return NUMBER_FORMATS.get(column) or NUMBER_FORMATS.get(_BY_HEADER.get(column, ""))


def phase_value(phase: Any) -> Any:
    """A phase id as a spreadsheet reads it: ``"2020"`` -> 2020 (a number); anything else unchanged."""
    if isinstance(phase, str) and phase.strip().isdigit():
        return int(phase.strip())
    return phase


def _due_value(v: Any) -> Any:
    """``"2020-12"`` -> the month's last day as a date (shown ``yyyy-mm``); ``"2020-12-31"`` -> that date."""
    if not isinstance(v, str):
        return v
    import calendar

    parts = v.strip().split("-")
    try:
        y, m = int(parts[0]), int(parts[1])
        d = int(parts[2]) if len(parts) > 2 else calendar.monthrange(y, m)[1]
        return _dt.date(y, m, d)
    except (ValueError, IndexError):
        return v


def labelled(df: pd.DataFrame, *, headers: Mapping[str, str] | None = None, values: bool = True,
             typed: bool = False) -> pd.DataFrame:
    """``df`` with Chinese-first headers and value labels, for people.

    Parameters
    ----------
    headers
        Overrides of :data:`HEADERS` for this table (e.g. ``{"rank": "建设顺序 Build rank"}``).
    values
        Replace codes by their labels (:data:`VALUE_LABELS`; booleans as 是 / 否).
    typed
        For XLSX: phases as numbers and due months as dates (CSV keeps the text).
    """
    out = pd.DataFrame(df).copy()
    for col in out.columns:
        if values and col in VALUE_LABELS:
            table = VALUE_LABELS[col]
            out[col] = out[col].map(lambda v, t=table: t.get(v, v) if isinstance(v, str) else v).astype(object)
        elif values and (out[col].dtype == bool or col in ("met", "free_access", "new_build",
                                                             "needs_direct_supply", "fixed")):
            out[col] = out[col].map(lambda v: _BOOL_LABELS.get(v, v) if isinstance(v, (bool,)) or
                                    type(v).__name__ == "bool_" else v).astype(object)
        if typed and col == "phase":
            out[col] = out[col].map(phase_value).astype(object)
        if typed and col == "due":
            out[col] = out[col].map(_due_value).astype(object)
    return out.rename(columns={c: header(c, headers) for c in out.columns})


def format_pct(share: float | None, decimals: int = 1, *, na: str = "—") -> str:
    """A share in [0, 1] as a percentage for text: ``0.9512 -> "95.1%"``.

    Rounding never claims a full or an empty share that is not: ``0.999923 -> "99.99%"`` (not "100.0%"),
    ``0.00004 -> "0.004%"``; up to 4 extra decimals are added until the shown figure is honest.
    """
    if share is None:
        return na
    try:
        v = 100.0 * float(share)
    except (TypeError, ValueError):
        return na
    if math.isnan(v):
        return na
    nd = decimals
    while nd < decimals + 4 and ((v < 100.0 <= round(v, nd)) or (round(v, nd) <= 0.0 < v)):
        nd += 1
    if v < 100.0 <= round(v, nd):
        # still rounds up at the finest precision shown: truncate instead
        return f"{math.floor(v * 10**nd) / 10**nd:.{nd}f}%"
    return f"{v:.{nd}f}%"
