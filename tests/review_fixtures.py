"""A tiny hand-built district and compliance result for the review tests (EPSG:4548, near Hedong)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from openpyxl import load_workbook

from siteplan.config import GoalConfig, DistrictConfig, DistrictInfo, ReviewConfig, Target
from siteplan.io import District
from siteplan.review.labels import DECISION_COLUMNS, PROTECTED
from siteplan.review.workbook import REVIEW_SHEET

__all__ = ["data_rows", "fill", "header_cols", "make_check", "make_district", "make_selected"]

CRS = "EPSG:4548"
X0, Y0 = 517_000.0, 4_329_000.0


def make_district(root: Path, *, sample: bool = True) -> District:
    cfg = DistrictConfig(
        district=DistrictInfo(name="testville", name_zh="测试区", code="120199", working_crs=CRS, sample=sample),
        targets=(Target("2020", 3, "2020-12", "basic coverage", "基本覆盖"),
                 Target("2022", 6, "2022-12", "full coverage", "全覆盖", GoalConfig(share=0.98))),
        layers={},
        review=ReviewConfig(registry="registry.gpkg",
                            units={"power": "城东供电公司", "urban_management": "区城管委", "industry": "区产促局"}),
        root=Path(root),
    )
    boundary = gpd.GeoDataFrame({"name": ["测试区"]}, geometry=[shapely.box(X0, Y0, X0 + 4000, Y0 + 3000)], crs=CRS)
    subs = gpd.GeoDataFrame(
        {"code": ["1", "2"], "name": ["大王庄街道", "春华街道"], "approximate": [True, True]},
        geometry=[shapely.box(X0, Y0, X0 + 2000, Y0 + 3000), shapely.box(X0 + 2000, Y0, X0 + 4000, Y0 + 3000)],
        crs=CRS,
    )
    empty = gpd.GeoDataFrame({"site_id": pd.Series([], dtype=object)}, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    layers = {"boundary": boundary, "subdistricts": subs, "existing_sites": empty.copy(), "candidates": empty.copy(),
              "poles": empty.copy(), "plan_sites": empty.copy(), "plan_zones": empty.copy(),
              "public_facilities": empty.copy(), "hotspots": empty.copy()}
    return District(config=cfg, layers=layers, input_hashes={"district.toml": "0" * 64, "candidates.csv": "1" * 64})


def make_check(n: int = 6) -> gpd.GeoDataFrame:
    """``n`` candidates in the contract's columns; C005 is non-compliant, C003 conditional, C002 on a lamp pole."""
    rng = np.random.default_rng(7)
    xs = X0 + 300 + rng.uniform(0, 3400, n)
    ys = Y0 + 300 + rng.uniform(0, 2400, n)
    ids = [f"C{i:03d}" for i in range(1, n + 1)]
    status = ["compliant"] * n
    status[2] = "conditional"
    status[4] = "non_compliant"
    reasons_zh = ["" for _ in ids]
    reasons_zh[2] = "位于限建区，需专项审批"
    reasons_zh[4] = "位于禁建区"
    return gpd.GeoDataFrame({
        "site_id": ids,
        "name": [f"测试站{i}" for i in range(1, n + 1)],
        "operator": ["中国移动", "中国联通"] * (n // 2) + ["中国移动"] * (n % 2),
        "band": "n78",
        "site_type": ["macro", "micro", "macro", "indoor", "macro", "micro"][:n] + ["macro"] * max(0, n - 6),
        "mount": ["rooftop", "street_lamp", "tower", "indoor", "rooftop", "monitoring_pole"][:n] + ["rooftop"] * max(0, n - 6),
        "height_m": 30.0,
        "power_supply": ["direct", "transferred", "unknown", "direct", "direct", "transferred"][:n] + ["direct"] * max(0, n - 6),
        "pole_id": "",
        "responsible_unit": ["industry", "urban_management", "中国铁塔河东分公司", "industry", "", "urban_management"][:n]
                            + [""] * max(0, n - 6),
        "eirp_dbm": 68.0,
        "subdistrict_code": ["1" if x < X0 + 2000 else "2" for x in xs],
        "subdistrict": ["大王庄街道" if x < X0 + 2000 else "春华街道" for x in xs],
        "status": status,
        "reasons": ["" if not r else "zone" for r in reasons_zh],
        "reasons_zh": reasons_zh,
        "reasons_en": ["" if not r else "zone" for r in reasons_zh],
        "reuse_kind": ["", "street_lamp", "", "public_facility", "", "monitoring"][:n] + [""] * max(0, n - 6),
        "reuse_id": ["", "P-17", "", "F-2", "", "P-9"][:n] + [""] * max(0, n - 6),
        "reuse_distance_m": np.nan,
        "free_access": False,
        "new_build": True,
        "emf_distance_m": 12.5,
        "build_kind": "rooftop",
    }, geometry=gpd.points_from_xy(xs, ys), crs=CRS).assign(
        needs_direct_supply=lambda d: d["power_supply"] != "direct")  # the contract's flag, as compliance sets it


def make_selected(check: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    ok = check[check["status"] != "non_compliant"].reset_index(drop=True)
    return gpd.GeoDataFrame({
        "site_id": ok["site_id"], "name": ok["name"],
        "phase": ["2020" if i < 3 else "2022" for i in range(len(ok))],
        "rank": np.arange(1, len(ok) + 1), "marginal_gain_m2": 10_000.0 / (1 + np.arange(len(ok))),
        "cost_cny": 100_000.0, "reuse_kind": ok["reuse_kind"], "build_kind": ok["build_kind"],
        "subdistrict": ok["subdistrict"], "responsible_unit": ok["responsible_unit"], "site_type": ok["site_type"],
    }, geometry=ok.geometry.values, crs=CRS)


def header_cols(ws) -> tuple[int, dict[str, int]]:
    """(header row, key -> column) of the review sheet."""
    for r in range(1, 6):
        vals = {ws.cell(row=r, column=c).value: c for c in range(1, ws.max_column + 1)}
        if PROTECTED["site_id"] in vals:
            return r, {k: vals[h] for k, h in {**PROTECTED, **DECISION_COLUMNS}.items()}
    raise AssertionError("no header")


def data_rows(path: Path) -> dict[str, dict]:
    """site_id -> {key: value, "_row": n} of the review sheet."""
    ws = load_workbook(path)[REVIEW_SHEET]
    hr, cols = header_cols(ws)
    out = {}
    for r in range(hr + 1, ws.max_row + 1):
        rec = {k: ws.cell(row=r, column=c).value for k, c in cols.items()}
        if rec["site_id"]:
            out[rec["site_id"]] = {**rec, "_row": r}
    return out


def fill(src: Path, dst: Path, decisions: dict[str, tuple], *, edit=None) -> Path:
    """Copy ``src`` to ``dst`` with decisions filled: site_id -> (decision, comment, reviewer, date).

    ``edit(ws, header_row, cols)`` may change the sheet further (to build bad files).
    """
    import datetime as dt

    wb = load_workbook(src)
    ws = wb[REVIEW_SHEET]
    hr, cols = header_cols(ws)
    for r in range(hr + 1, ws.max_row + 1):
        sid = ws.cell(row=r, column=cols["site_id"]).value
        if sid in decisions:
            dec, comment, who, date = decisions[sid]
            ws.cell(row=r, column=cols["decision"], value=dec)
            ws.cell(row=r, column=cols["comment"], value=comment)
            ws.cell(row=r, column=cols["reviewer"], value=who)
            ws.cell(row=r, column=cols["date"], value=dt.date.fromisoformat(date) if isinstance(date, str) and
                    date[:4].isdigit() and len(date) == 10 else date)
    if edit is not None:
        edit(ws, hr, cols)
    wb.save(dst)
    return dst
