"""Writers: atomic, formula-safe, deterministic."""

from __future__ import annotations

import json

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely

from siteplan.io.writers import atomic_path, write_csv, write_geojson, write_gpkg_layers, write_json, write_xlsx

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "站名 Name": HOSTILE + ["普通站"],
        "RSRP (dBm)": [-95.5, -101.0, -88.0, -110.2, -99.0, -120.0, -70.0],
        "count": [1, 2, 3, 4, 5, 6, 7],
    })


def test_csv_neutralises_formulas_keeps_numbers(tmp_path):
    p = write_csv(_frame(), tmp_path / "a.csv")
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 correctly
    back = pd.read_csv(p, encoding="utf-8-sig", keep_default_na=False)
    for v in back["站名 Name"][:-1]:
        assert v.startswith("'"), v
    assert back["站名 Name"].iloc[-1] == "普通站"
    assert back["RSRP (dBm)"].tolist() == [-95.5, -101.0, -88.0, -110.2, -99.0, -120.0, -70.0]
    assert back["RSRP (dBm)"].dtype.kind == "f"


def test_xlsx_strings_are_never_formulas(tmp_path):
    p = write_xlsx(tmp_path / "a.xlsx", {"表 Sheet": _frame()}, notice="样例数据 SAMPLE", metadata={"k": {"a": 1}})
    wb = openpyxl.load_workbook(p)
    ws = wb["表 Sheet"]
    assert ws["A1"].value == "样例数据 SAMPLE"
    assert [c.value for c in ws[2]] == ["站名 Name", "RSRP (dBm)", "count"]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref.startswith("A2:")
    for row in ws.iter_rows(min_row=3, max_col=1):
        assert row[0].data_type == "s"
        assert not str(row[0].value).startswith("=")
    assert ws["B3"].value == -95.5 and ws["B3"].data_type == "n"
    assert "说明 About" in wb.sheetnames


def test_xlsx_is_reproducible(tmp_path):
    a = write_xlsx(tmp_path / "a.xlsx", {"s": _frame()})
    b = write_xlsx(tmp_path / "b.xlsx", {"s": _frame()})
    za = openpyxl.load_workbook(a)["s"]
    zb = openpyxl.load_workbook(b)["s"]
    assert [[c.value for c in r] for r in za.iter_rows()] == [[c.value for c in r] for r in zb.iter_rows()]
    assert openpyxl.load_workbook(a).properties.modified == openpyxl.load_workbook(b).properties.modified


def test_atomic_failure_leaves_previous_output_whole(tmp_path):
    target = tmp_path / "out.json"
    write_json({"v": 1}, target)
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"v": 2, "half', encoding="utf-8")
            raise RuntimeError("crash mid-write")
    assert json.loads(target.read_text(encoding="utf-8")) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temp file left behind


def test_json_is_deterministic_and_rejects_nan(tmp_path):
    a = write_json({"b": 1, "a": [1, 2]}, tmp_path / "a.json").read_bytes()
    b = write_json({"a": [1, 2], "b": 1}, tmp_path / "b.json").read_bytes()
    assert a == b
    with pytest.raises(ValueError):
        write_json({"x": float("nan")}, tmp_path / "c.json")


def test_geojson_is_wgs84(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["<b>x</b>"]}, geometry=[shapely.Point(516750.2, 4331728.5)], crs="EPSG:4548")
    p = write_geojson(gdf, tmp_path / "a.geojson")
    data = json.loads(p.read_text(encoding="utf-8"))
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert abs(lon - 117.194) < 0.01 and abs(lat - 39.121) < 0.01
    assert data["features"][0]["properties"]["name"] == "<b>x</b>"


def test_gpkg_layers_roundtrip(tmp_path):
    a = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(1, 2)], crs="EPSG:4548")
    empty = gpd.GeoDataFrame({"id": []}, geometry=gpd.GeoSeries([], crs="EPSG:4548"), crs="EPSG:4548")
    p = write_gpkg_layers(tmp_path / "r.gpkg", {"a": a, "empty": empty})
    back = gpd.read_file(p, layer="a")
    assert back.crs == "EPSG:4548" and back["id"].tolist() == ["a"]
    assert len(gpd.read_file(p, layer="empty")) == 0
