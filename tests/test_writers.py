"""Writers: atomic, formula-safe, deterministic."""

from __future__ import annotations

import json
import re

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
    # A text cell is inert in XLSX: the text is kept as it is (no apostrophe, which is for CSV only).
    # (XML turns a bare carriage return into a line feed)
    assert [row[0].value for row in ws.iter_rows(min_row=3, max_row=8, max_col=1)] == HOSTILE[:5] + ["\nCR"]
    for row in ws.iter_rows(min_row=3, max_col=1):
        assert row[0].data_type == "s"
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


# --- issue 12: printing, one language policy, standards, provenance -----------------------------------------

def test_xlsx_page_setup_for_print(tmp_path):
    """Every sheet prints landscape, one page wide, header rows repeated, with district, sheet, page x/y and the
    sample notice in its page header/footer (issue 12, item 3)."""
    wide = pd.DataFrame({f"第{i}列 column {i}": ["很长的文字内容" * 3] * 50 for i in range(14)})
    p = write_xlsx(tmp_path / "a.xlsx", {"窄 Narrow": _frame(), "宽 Wide": wide}, notice="样例数据 SAMPLE DATA —— 说明",
                   metadata={"k": "v"}, district="河东区 hedong")
    wb = openpyxl.load_workbook(p)
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert ps.orientation == "landscape", ws.title
        assert ps.fitToWidth == 1 and ps.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$2"  # the notice and the header on every page
        assert ws.print_area.endswith(f"$A$1:${openpyxl.utils.get_column_letter(ws.max_column)}${ws.max_row}")
        assert ws.freeze_panes == "A3"
        assert ws.oddHeader.left.text == "河东区 hedong" and ws.oddHeader.center.text == "&A"
        assert ws.oddHeader.right.text == "样例数据 SAMPLE DATA"
        assert "第 &P 页 共 &N 页" in ws.oddFooter.center.text and "&P of &N" in ws.oddFooter.center.text
    assert wb["窄 Narrow"].page_setup.paperSize == 9  # A4
    assert wb["宽 Wide"].page_setup.paperSize == 8  # A3 for a wide table
    assert all(d.width <= 40 for d in wb["宽 Wide"].column_dimensions.values())


def test_xlsx_labels_formats_and_typed_cells(tmp_path):
    """labels=True: Chinese-first headers, labelled values, shares as percentages, phases as numbers, due months as
    dates (issue 12, item 9)."""
    from siteplan.io.labels import HEADERS

    df = pd.DataFrame({"phase": ["2020", "2022", "fixed"], "status": ["compliant", "conditional", "non_compliant"],
                       "site_type": ["macro", "micro", "indoor"], "coverage_outdoor": [0.9423, 0.999923, 1.0],
                       "due": ["2020-12", "2022-12", ""], "met": [True, False, True], "free_field": ["a", "b", "c"]})
    csv = pd.read_csv(write_csv(df, tmp_path / "a.csv", labels=True), encoding="utf-8-sig", dtype=str)
    assert list(csv.columns)[:4] == [HEADERS["phase"], HEADERS["status"], HEADERS["site_type"],
                                     HEADERS["coverage_outdoor"]]
    assert csv[HEADERS["status"]].tolist() == ["compliant", "conditional", "non_compliant"]  # codes in the CSV
    ws = openpyxl.load_workbook(write_xlsx(tmp_path / "a.xlsx", {"s": df}, labels=True))["s"]
    head = [c.value for c in ws[1]]
    assert head == [HEADERS[c] for c in df.columns[:-1]] + ["free_field"]
    row = {h: c for h, c in zip(head, ws[2])}
    assert row[HEADERS["phase"]].value == 2020 and row[HEADERS["phase"]].data_type == "n"
    assert row[HEADERS["status"]].value == "合规 compliant" and row[HEADERS["site_type"]].value == "宏站 macro"
    cov = row[HEADERS["coverage_outdoor"]]
    assert cov.value == 0.9423 and cov.number_format == "0.00%"
    due = row[HEADERS["due"]]
    assert due.is_date and due.value.date().isoformat() == "2020-12-31" and due.number_format == "yyyy-mm"
    assert row[HEADERS["met"]].value == "是 yes"
    assert ws.cell(row=4, column=1).value == "已批/在网 fixed"


def test_format_pct_never_rounds_to_full_or_empty():
    from siteplan.io.labels import format_pct

    assert format_pct(0.999923) == "99.99%"
    assert format_pct(0.9512) == "95.1%" and format_pct(1.0) == "100.0%" and format_pct(0.0) == "0.0%"
    assert format_pct(0.00004) == "0.004%" and format_pct(None) == "—"
    assert format_pct(0.99999999).startswith("99.9")


def test_xlsx_caps_long_text_and_says_so(tmp_path):
    """A 100,000-character name is not cut silently to Excel's 32,767: it ends in an ellipsis at the display cap
    and the About sheet says how many cells were cut (issue 13, item 9)."""
    from siteplan.io.writers import XLSX_MAX_TEXT

    df = pd.DataFrame({"name": ["名" * 100_000, "ok"], "n": [1, 2]})
    wb = openpyxl.load_workbook(write_xlsx(tmp_path / "a.xlsx", {"s": df}, metadata={"k": "v"}))
    cell = wb["s"]["A2"].value
    assert len(cell) == XLSX_MAX_TEXT and cell.endswith("…") and wb["s"]["A3"].value == "ok"
    about = {r[0].value: r[1].value for r in wb["说明 About"].iter_rows(min_row=2)}
    assert "1" in about["截断的单元格 Cells cut"] and "CSV" in about["截断的单元格 Cells cut"]
    csv = pd.read_csv(write_csv(df, tmp_path / "a.csv"), encoding="utf-8-sig")
    assert len(csv["name"][0]) == 100_000  # the CSV keeps the full text


def test_xlsx_past_practical_size_keeps_first_rows_and_says_so(tmp_path):
    df = pd.DataFrame({"site_id": [f"S{i:05d}" for i in range(120)], "v": range(120)})
    wb = openpyxl.load_workbook(write_xlsx(tmp_path / "a.xlsx", {"s": df}, max_rows=50, metadata={},
                                           complete_in=" a.csv"))
    ws = wb["s"]
    assert "前 50 行，共 120 行" in ws["A1"].value and "first 50 of 120 rows" in ws["A1"].value
    assert ws["A2"].value == "site_id" and ws.max_row == 2 + 50 and ws["A52"].value == "S00049"
    about = {r[0].value: r[1].value for r in wb["说明 About"].iter_rows(min_row=2)}
    assert "s: 50 / 120" in about["截断的工作表 Sheets cut to their first rows"]


def _rings_ccw(coords: list) -> list[bool]:
    import shapely

    return [shapely.LinearRing(r).is_ccw for r in coords]


def test_geojson_polygons_follow_rfc7946_winding_and_carry_provenance(tmp_path):
    """Exterior rings counter-clockwise, holes clockwise (RFC 7946 3.1.6), whatever the input's winding."""
    import shapely

    cw_outer = shapely.Polygon([(516000, 4331000), (516000, 4332000), (517000, 4332000), (517000, 4331000)],
                               holes=[[(516200, 4331200), (516400, 4331200), (516400, 4331400), (516200, 4331400)]])
    assert not cw_outer.exterior.is_ccw
    multi = shapely.MultiPolygon([cw_outer, shapely.box(518000, 4331000, 518500, 4331500, ccw=False)])
    gdf = gpd.GeoDataFrame({"gap_id": ["a", "b"]}, geometry=[cw_outer, multi], crs="EPSG:4548")
    data = json.loads(write_geojson(gdf, tmp_path / "g.geojson", provenance={"siteplan_version": "x"})
                      .read_text(encoding="utf-8"))
    polys = [data["features"][0]["geometry"]["coordinates"]] + data["features"][1]["geometry"]["coordinates"]
    for rings in polys:
        ccw = _rings_ccw(rings)
        assert ccw[0] and not any(ccw[1:]), ccw
    assert data["siteplan"] == {"siteplan_version": "x"}


def test_gpkg_is_version_1_2_with_metadata_and_styles(tmp_path):
    import sqlite3

    from siteplan.io.qgis import vector_qml

    a = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(1, 2)], crs="EPSG:4548")
    p = write_gpkg_layers(tmp_path / "r.gpkg", {"a": a, "b": a}, metadata={"siteplan_version": "9", "k": "v"},
                          styles={"a": vector_qml("point", {"colour": "#ff0000"})})
    conn = sqlite3.connect(p)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10200
        for (ts,) in conn.execute("SELECT last_change FROM gpkg_contents"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts), ts
        md = "".join(r[0] for r in conn.execute("SELECT metadata FROM gpkg_metadata"))
        assert "siteplan_version" in md and ">9<" in md
        styles = conn.execute("SELECT f_table_name, useAsDefault, styleQML FROM layer_styles").fetchall()
        assert [(t, d) for t, d, _ in styles] == [("a", 1)] and "255,0,0,255" in styles[0][2]
        assert conn.execute("SELECT data_type FROM gpkg_contents WHERE table_name='layer_styles'").fetchone() == (
            "attributes",)
    finally:
        conn.close()


def test_map_summary_panel_never_rounds_a_share_to_full():
    """Issue 12, item 9: the map's panel formats its shares with format_pct (0.999923 is not 100.0%)."""
    from siteplan.maps.layers import summary_panel_html

    from siteplan.config import Target

    phase = {"sites": 1, "target_sites": 1, "coverage": {"outdoor": {"covered_share": 0.999923},
                                                          "indoor": {"covered_share": 0.5}}, "goal": {}}
    html = summary_panel_html({"plan": {"networks": {"x": {"phases": [phase]}}}},
                              targets=[Target(id="2020", sites=1, due="2020-12")])
    assert ">99.99%<" in html and "100.0%" not in html


def test_geotiff_styles_follow_band_descriptions_and_large_rasters_get_overviews(tmp_path):
    """Item 5, designed for per-network rasters: the QML comes from the band descriptions (a phase prefix is
    fine; a SINR-only raster gets the SINR ramp; other rasters get none); units per band; overviews when large."""
    import xml.etree.ElementTree as ET

    import affine
    import numpy as np
    import rasterio

    from siteplan.io.raster import write_geotiff
    from siteplan.styles import RSRP_BELOW_COLOUR, SINR_RAMP

    t = affine.Affine(20, 0, 500000, 0, -20, 4340000)
    big = np.full((300, 1100), -95.0, dtype=np.float32)
    p = write_geotiff(tmp_path / "coverage_cm.tif", {"2022_outdoor_rsrp_dbm": big, "2022_sinr_db": big},
                      transform=t, crs="EPSG:4548", style={"rsrp": -105.0, "sinr": -3.0})
    with rasterio.open(p) as src:
        assert src.units == ("dBm", "dB") and src.overviews(1) == [2, 4]  # down to ~256 pixels
    items = ET.parse(p.with_suffix(".qml")).getroot().findall(".//colorrampshader/item")
    assert items[0].get("value") == "-105" and items[0].get("color") == RSRP_BELOW_COLOUR
    p = write_geotiff(tmp_path / "sinr.tif", {"sinr_db": big[:10, :10]}, transform=t, crs="EPSG:4548",
                      style={"rsrp": -105.0, "sinr": -3.0})
    root = ET.parse(p.with_suffix(".qml")).getroot()
    assert root.find("pipe/rasterrenderer").get("band") == "1"
    assert [i.get("color") for i in root.findall(".//colorrampshader/item")][0] == SINR_RAMP.below
    with rasterio.open(p) as src:
        assert src.overviews(1) == []  # small: none
    p = write_geotiff(tmp_path / "other.tif", {"height_m": big[:10, :10]}, transform=t, crs="EPSG:4548",
                      style={"rsrp": -105.0})
    assert not p.with_suffix(".qml").exists()
