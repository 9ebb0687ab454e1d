"""The candidate-site lists: ``candidates.csv``, ``candidates.xlsx``, ``candidates.geojson``, and their figures.

The CSV and the XLSX main sheet hold the same table with bilingual headers ("站址编号 Site ID"), one row per
candidate in input order, longitude/latitude in WGS 84. The GeoJSON keeps the canonical English column names for
web maps. Writers come from :mod:`siteplan.io.writers` (atomic, formula-safe, numbers kept as numbers).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..io import provenance, write_csv, write_geojson, write_xlsx
from ..io.labels import header
from ..io.schema import SAMPLE_NOTICE
from .attribution import retrofit_list
from .reasons import REASON_CODES, REASONS, STATUS_ZH, STATUSES
from .sharing import REUSE_KINDS, reuse_ratios

__all__ = [
    "HEADERS",
    "LIST_COLUMNS",
    "NO_SUBDISTRICT",
    "REUSE_FILTERS",
    "candidate_table",
    "check_figures",
    "filter_candidates",
    "sample_notice",
    "subdistrict_table",
    "summary_table",
    "write_lists",
]

#: Columns of the list, in order.
LIST_COLUMNS = (
    "site_id", "name", "operator", "band", "site_type", "mount", "height_m", "lon", "lat", "subdistrict_code",
    "subdistrict", "responsible_unit", "status", "status_zh", "reasons", "reasons_zh", "reasons_en", "reuse_kind",
    "reuse_id", "reuse_distance_m", "free_access", "new_build", "build_kind", "power_supply",
    "needs_direct_supply", "eirp_dbm", "emf_distance_m", "pole_id", "data_note",
)
#: Canonical column -> list header (Chinese first, English beside), in list order (from siteplan.io.labels).
HEADERS: dict[str, str] = {c: header(c) for c in LIST_COLUMNS}

#: Label of candidates in no sub-district (outside the district) in figures and tables.
NO_SUBDISTRICT = "无 none"

#: ``reuse=`` values of :func:`filter_candidates` -> reuse kinds they select ("none": a new build).
REUSE_FILTERS: dict[str, tuple[str, ...]] = {
    "any": REUSE_KINDS,
    "pole": ("street_lamp", "monitoring"),
    "none": ("",),
    **{k: (k,) for k in REUSE_KINDS},
}


def sample_notice(district) -> str | None:
    """The notice shown above every sheet when the district's layers are sample data."""
    if not district.sample:
        return None
    return SAMPLE_NOTICE


def candidate_table(checked: gpd.GeoDataFrame, *, headers: bool = True) -> pd.DataFrame:
    """The list table of checked candidates: :data:`LIST_COLUMNS` (present ones), WGS 84 lon/lat [deg]."""
    df = pd.DataFrame(checked.drop(columns=checked.geometry.name))
    if len(checked) and checked.crs is not None:
        ll = shapely.get_coordinates(checked.geometry.to_crs("EPSG:4326").values)
        df["lon"], df["lat"] = np.round(ll[:, 0], 7), np.round(ll[:, 1], 7)
    else:
        df["lon"], df["lat"] = np.nan, np.nan
    df["status_zh"] = df["status"].map(STATUS_ZH)
    cols = [c for c in LIST_COLUMNS if c in df.columns]
    out = df[cols].reset_index(drop=True)
    return out.rename(columns=HEADERS) if headers else out


def _sub(checked: pd.DataFrame) -> pd.Series:
    return checked["subdistrict"].astype(object).replace({"": NO_SUBDISTRICT}).fillna(NO_SUBDISTRICT)


def check_figures(checked: pd.DataFrame, *, power_unit: str = "") -> dict:
    """The check's figures for ``summary.json``: counts by status, reason, build kind and sub-district; reuse
    ratio overall, by kind and by sub-district; free access, new builds; direct-supply retrofits."""
    n = len(checked)
    status = checked["status"].astype(object)
    codes = checked["reasons"].astype(object).str.split(";").explode()
    sub = _sub(checked)
    reuse = reuse_ratios(checked["reuse_kind"], sub)
    by_sub_reuse = reuse.pop("by_group", {})
    retro = checked["needs_direct_supply"].astype(bool)
    by_sub = {}
    for name in sorted(sub.unique()):
        m = (sub == name).to_numpy()
        by_sub[name] = {
            "candidates": int(m.sum()),
            **{s: int((status[m] == s).sum()) for s in STATUSES},
            "reuse_ratio": by_sub_reuse.get(name, {}).get("ratio", 0.0),
            "retrofit": int(retro[m].sum()),
        }
    return {
        "candidates": n,
        "by_status": {s: int((status == s).sum()) for s in STATUSES},
        "by_reason": {c: int((codes == c).sum()) for c in REASON_CODES},
        "by_build_kind": {k: int(v) for k, v in checked["build_kind"].value_counts().sort_index().items()},
        "reuse": {**reuse, "by_subdistrict": by_sub_reuse},
        "free_access": int(checked["free_access"].astype(bool).sum()),
        "new_build": int(checked["new_build"].astype(bool).sum()),
        "retrofit": {
            "count": int(retro.sum()),
            "power_unit": power_unit,
            "by_subdistrict": {k: int(v) for k, v in sub[retro].value_counts().sort_index().items()},
            "by_responsible_unit": {
                str(k): int(v) for k, v in checked.loc[retro, "responsible_unit"].value_counts().sort_index().items()
            },
        },
        "by_subdistrict": by_sub,
    }


def summary_table(figures: dict) -> pd.DataFrame:
    """The XLSX summary sheet: one row per count (by status, reason, sub-district, reuse kind, build kind)."""
    n = figures["candidates"] or 1
    rows = [("合计 Total", "候选站址 candidates", figures["candidates"])]
    rows += [("状态 Status", f"{STATUS_ZH[s]} {s}", c) for s, c in figures["by_status"].items()]
    rows += [("原因 Reason", f"{c} {REASONS[c].zh}", v) for c, v in figures["by_reason"].items()]
    rows += [("街道 Sub-district", k, v["candidates"]) for k, v in figures["by_subdistrict"].items()]
    rows += [("共享 Reuse", "共享合计 reusing any", figures["reuse"]["reusing"])]
    rows += [("共享 Reuse", k, v["count"]) for k, v in figures["reuse"]["by_kind"].items()]
    rows += [("建设类别 Build kind", k, v) for k, v in figures["by_build_kind"].items()]
    rows += [("免费开放 Free access", "免费开放 free access", figures["free_access"]),
             ("新建 New build", "新建 new build", figures["new_build"]),
             ("直供电改造 Retrofit", "需直供电改造 needs direct supply", figures["retrofit"]["count"])]
    df = pd.DataFrame(rows, columns=["类别 Category", "项目 Item", "数量 Count"])
    df["占比 Share"] = (df["数量 Count"] / n).round(4)
    return df


def subdistrict_table(figures: dict) -> pd.DataFrame:
    """Per sub-district: candidates, counts by status, reuse ratio, retrofits."""
    rows = [{"所属街道 Sub-district": k, "候选站址 Candidates": v["candidates"],
             **{f"{STATUS_ZH[s]} {s}": v[s] for s in STATUSES},
             "共享率 Reuse ratio": v["reuse_ratio"], "需直供电改造 Retrofit": v["retrofit"]}
            for k, v in figures["by_subdistrict"].items()]
    return pd.DataFrame(rows)


def filter_candidates(checked: pd.DataFrame, *, subdistrict: str | None = None, status: str | None = None,
                      reuse: str | None = None, build_kind: str | None = None,
                      site_type: str | None = None) -> pd.DataFrame:
    """Rows of ``checked`` matching every given filter (``subdistrict`` by name or code; ``reuse`` one of
    :data:`REUSE_FILTERS`). Raises ValueError naming an unknown value."""
    m = np.ones(len(checked), dtype=bool)
    if subdistrict is not None:
        m &= ((checked["subdistrict"] == subdistrict) | (checked["subdistrict_code"] == subdistrict)).to_numpy()
    if status is not None:
        if status not in STATUSES:
            raise ValueError(f"invalid status {status!r}; expected one of {', '.join(STATUSES)}")
        m &= (checked["status"] == status).to_numpy()
    if reuse is not None:
        if reuse not in REUSE_FILTERS:
            raise ValueError(f"invalid reuse {reuse!r}; expected one of {', '.join(REUSE_FILTERS)}")
        m &= checked["reuse_kind"].isin(REUSE_FILTERS[reuse]).to_numpy()
    if build_kind is not None:
        m &= (checked["build_kind"] == build_kind).to_numpy()
    if site_type is not None:
        m &= (checked["site_type"] == site_type).to_numpy()
    return checked[m]


def write_lists(checked: gpd.GeoDataFrame, out_dir: str | Path, district, *, stem: str = "candidates",
                figures: dict | None = None, formats: tuple[str, ...] = ("csv", "xlsx", "geojson")) -> list[Path]:
    """Write ``<stem>.csv`` (UTF-8 BOM), ``<stem>.xlsx`` (bilingual headers; summary, sub-district and
    retrofit sheets; sample notice; provenance in the About sheet) and ``<stem>.geojson`` (WGS 84), or only
    the ``formats`` asked for. Returns the paths written."""
    unknown = sorted(set(formats) - {"csv", "xlsx", "geojson"})
    if unknown:
        raise ValueError(f"invalid format {unknown[0]!r}; expected csv, xlsx or geojson")
    out_dir = Path(out_dir)
    power_unit = district.config.review.units.get("power", "")
    if figures is None:
        figures = check_figures(checked, power_unit=power_unit)
    table = candidate_table(checked, headers=False)
    notice = sample_notice(district)
    meta = provenance(district)
    paths = []
    if "csv" in formats:
        paths.append(write_csv(table, out_dir / f"{stem}.csv", labels=True))
    if "xlsx" not in formats:
        if "geojson" in formats:
            paths.append(write_geojson(checked, out_dir / f"{stem}.geojson", provenance=provenance(district, full=False)))
        return paths
    retro = retrofit_list(checked, power_unit)
    sheets = {
        "候选站址 Candidates": table,
        "汇总 Summary": summary_table(figures),
        "分街道 By sub-district": subdistrict_table(figures),
        "直供电改造 Retrofit": retro,
        "原因代码 Reason codes": pd.DataFrame(
            [(c, r.effect, r.zh, r.en) for c, r in REASONS.items()],
            columns=["原因代码 Code", "影响 Effect", "说明 Message (zh)", "说明(英文) Message (en)"]),
    }
    district_label = f"{district.config.district.name_zh} {district.config.district.name}"
    paths.append(write_xlsx(out_dir / f"{stem}.xlsx", sheets, notice=notice, metadata=meta, labels=True,
                            district=district_label,
                            complete_in=f" {stem}.csv 与 siteplan.gpkg / {stem}.csv and siteplan.gpkg"))
    if "geojson" in formats:
        paths.append(write_geojson(checked, out_dir / f"{stem}.geojson", provenance=provenance(district, full=False)))
    return paths
