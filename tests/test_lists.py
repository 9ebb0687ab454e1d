"""The "check" step on the bundled Hedong sample: lists written, spreadsheet-safe, and agreeing with summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from siteplan.compliance.lists import HEADERS, NO_SUBDISTRICT, filter_candidates, write_lists
from siteplan.compliance.reasons import STATUSES
from siteplan.pipeline import run

HEDONG = Path(__file__).resolve().parent.parent / "data" / "districts" / "hedong"
HOSTILE = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def hedong_run(tmp_path_factory):
    if not (HEDONG / "candidates.csv").exists():
        pytest.fail("data/districts/hedong is incomplete: run scripts/make_hedong_sample.py")
    out = tmp_path_factory.mktemp("check")
    ctx = run(HEDONG, out, steps=["check"])
    return ctx, out


@pytest.fixture(scope="module")
def csv_list(hedong_run) -> pd.DataFrame:
    _, out = hedong_run
    return pd.read_csv(out / "candidates.csv", encoding="utf-8-sig", dtype={HEADERS["reuse_kind"]: str},
                       keep_default_na=False, na_values=[""])


def test_lists_and_summary_are_written(hedong_run):
    ctx, out = hedong_run
    for name in ("candidates.csv", "candidates.xlsx", "candidates.geojson", "summary.json", "siteplan.gpkg"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["check"]["outputs"]) == {"candidates.csv", "candidates.xlsx", "candidates.geojson"}
    assert summary["check"]["sample_data"] is True
    assert {"candidates.csv", "candidates.xlsx", "candidates.geojson"} <= {p.name for p in ctx.written}
    import pyogrio

    assert "candidates_checked" in {name for name, _ in pyogrio.list_layers(out / "siteplan.gpkg")}


def test_csv_has_bom_bilingual_headers_and_inert_formulas(hedong_run, csv_list):
    _, out = hedong_run
    raw = (out / "candidates.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert list(csv_list.columns) == [HEADERS[c] for c in HEADERS]
    names = csv_list[HEADERS["name"]]
    assert ("'" + HOSTILE) in set(names)
    assert not names.str.startswith(("=", "+", "-", "@")).any()
    for col in ("height_m", "eirp_dbm", "lon", "lat", "emf_distance_m"):
        assert pd.api.types.is_float_dtype(csv_list[HEADERS[col]]), col


def test_xlsx_reopens_with_chinese_headers_and_string_cells(hedong_run):
    _, out = hedong_run
    wb = openpyxl.load_workbook(out / "candidates.xlsx")
    assert wb.sheetnames[:2] == ["候选站址 Candidates", "汇总 Summary"] and "说明 About" in wb.sheetnames
    ws = wb["候选站址 Candidates"]
    assert "SAMPLE" in ws.cell(row=1, column=1).value  # sample notice above the header
    assert [c.value for c in ws[2]] == list(HEADERS.values())
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref
    name_col = list(HEADERS).index("name") + 1
    eirp_col = list(HEADERS).index("eirp_dbm") + 1
    cells = [ws.cell(row=r, column=name_col) for r in range(3, ws.max_row + 1)]
    hostile = [c for c in cells if "HYPERLINK" in str(c.value)]
    # typed as text, so inert, and shown as it is (the apostrophe is for the CSV only)
    assert hostile and all(c.data_type == "s" and c.value == HOSTILE for c in hostile)
    assert ws.cell(row=3, column=eirp_col).data_type == "n"
    about = {r[0].value: r[1].value for r in wb["说明 About"].iter_rows(min_row=3)}
    assert "input_hashes" in about and "candidates.csv" in about["input_hashes"]


def test_negative_numbers_stay_numbers(hedong_run, tmp_path):
    ctx, _ = hedong_run
    checked = ctx.results["check"].copy()
    checked.loc[checked.index[0], "eirp_dbm"] = -3.5
    write_lists(checked, tmp_path, ctx.district)
    lines = (tmp_path / "candidates.csv").read_text(encoding="utf-8-sig").splitlines()
    assert ",-3.5," in lines[1] and "'-3.5" not in lines[1]
    ws = openpyxl.load_workbook(tmp_path / "candidates.xlsx")["候选站址 Candidates"]
    cell = ws.cell(row=3, column=list(HEADERS).index("eirp_dbm") + 1)
    assert (cell.value, cell.data_type) == (-3.5, "n")


def test_summary_agrees_with_the_lists(hedong_run, csv_list):
    _, out = hedong_run
    fig = json.loads((out / "summary.json").read_text(encoding="utf-8"))["check"]
    status = csv_list[HEADERS["status"]]
    assert fig["by_status"] == {s: int((status == s).sum()) for s in STATUSES}
    assert fig["candidates"] == len(csv_list) == sum(fig["by_status"].values())
    kind = csv_list[HEADERS["reuse_kind"]].fillna("")
    assert fig["reuse"]["reusing"] == int((kind != "").sum())
    assert fig["reuse"]["ratio"] == pytest.approx((kind != "").mean(), abs=1e-4)
    for k, v in fig["reuse"]["by_kind"].items():
        assert v["count"] == int((kind == k).sum()), k
    sub = csv_list[HEADERS["subdistrict"]].fillna(NO_SUBDISTRICT)
    for name, v in fig["reuse"]["by_subdistrict"].items():
        m = sub == name
        assert v["candidates"] == int(m.sum()) and v["ratio"] == pytest.approx((kind[m] != "").mean(), abs=1e-4)
    codes = csv_list[HEADERS["reasons"]].fillna("").str.split(";").explode()
    assert fig["by_reason"] == {c: int((codes == c).sum()) for c in fig["by_reason"]}
    retro = csv_list[HEADERS["needs_direct_supply"]].astype(bool)
    assert fig["retrofit"]["count"] == int(retro.sum())
    gj = json.loads((out / "candidates.geojson").read_text(encoding="utf-8"))
    assert len(gj["features"]) == len(csv_list)
    assert [f["properties"]["status"] for f in gj["features"]] == list(status)


def test_geojson_is_wgs84(hedong_run):
    _, out = hedong_run
    gj = json.loads((out / "candidates.geojson").read_text(encoding="utf-8"))
    xy = np.array([f["geometry"]["coordinates"] for f in gj["features"]])
    assert (116.9 < xy[:, 0]).all() and (xy[:, 0] < 117.6).all() and (38.9 < xy[:, 1]).all() and (xy[:, 1] < 39.4).all()


def test_seeded_rule_breakers_are_found(hedong_run):
    """seeded_cases.csv lists every seeded case with the reasons, status and build kind the check must give;
    every other candidate must be compliant with no reason.

    A code shared by two candidates is one row (both rows of the list must carry its reasons); a near-duplicate
    position of one network flags only the larger code, its partner stays compliant; two networks at one spot
    (SHARED_NEW) are both compliant and share one physical site.
    """
    ctx, _ = hedong_run
    checked = pd.DataFrame(ctx.results["check"][["site_id", "reasons", "status", "build_kind", "host_id"]])
    truth = pd.read_csv(HEDONG / "seeded_cases.csv", dtype=str, keep_default_na=False)
    both = checked.merge(truth[["site_id", "case", "expected_reasons", "expected_status", "expected_build_kind"]],
                         on="site_id", how="inner")
    assert set(both["site_id"]) == set(truth["site_id"])
    as_set = lambda r: frozenset(x for x in r.split(";") if x)  # noqa: E731
    bad = both[both["reasons"].map(as_set) != both["expected_reasons"].map(as_set)]
    assert bad.empty, bad.to_string()
    bad = both[both["status"] != both["expected_status"]]
    assert bad.empty, bad.to_string()
    kinds = both[both["case"].isin(["UPGRADE", "SHARED_EXISTING", "SHARED_NEW"])]
    bad = kinds[kinds["build_kind"] != kinds["expected_build_kind"]]
    assert bad.empty, bad.to_string()
    shared = truth.loc[truth["case"] == "DUPLICATE_CODE", "site_id"]
    assert (checked["site_id"].isin(shared).sum()) == 2 * len(shared)
    pairs = truth[truth["case"] == "SHARED_NEW"]
    host = checked.set_index("site_id")["host_id"]
    assert (host.loc[pairs["site_id"]].to_numpy() == host.loc[pairs["partner_id"]].to_numpy()).all()
    rest = checked[~checked["site_id"].isin(truth["site_id"]) & ~checked["site_id"].isin(truth["partner_id"])]
    assert len(rest) > 1000 and (rest["status"] == "compliant").all() and (rest["reasons"] == "").all()


def test_filter_candidates(hedong_run):
    ctx, _ = hedong_run
    checked = ctx.results["check"]
    sel = filter_candidates(checked, subdistrict="大王庄街道", status="compliant", reuse="pole")
    assert len(sel) > 0
    assert set(sel["subdistrict"]) == {"大王庄街道"} and set(sel["status"]) == {"compliant"}
    assert set(sel["reuse_kind"]) <= {"street_lamp", "monitoring"}
    with pytest.raises(ValueError, match="invalid status"):
        filter_candidates(checked, status="ok")


def test_planner_script_writes_a_filtered_list(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("list_candidates", HEDONG.parents[2] / "scripts" / "list_candidates.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "list.csv"
    assert mod.main([str(HEDONG), "--subdistrict", "大王庄街道", "--status", "compliant", "--reuse", "pole",
                     "--out", str(out)]) == 0
    df = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    assert len(df) > 0 and sorted(p.name for p in tmp_path.iterdir()) == ["list.csv"]
    assert set(df[HEADERS["subdistrict"]]) == {"大王庄街道"} and set(df[HEADERS["status"]]) == {"compliant"}
    assert set(df[HEADERS["reuse_kind"]]) <= {"street_lamp", "monitoring"}
