"""The main job end to end on the bundled Hedong district, through the CLI a planner uses."""

from __future__ import annotations

import hashlib
import os
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from siteplan.cli import cli
from siteplan.io.labels import HEADERS

from conftest import HEDONG

MAIN_OUTPUTS = [
    "summary.json", "timings.json", "siteplan.gpkg",
    "candidates.csv", "candidates.xlsx", "candidates.geojson",
    "coverage_ctcu.tif", "coverage_cm.tif", "coverage_cbn.tif", "gaps.geojson", "gaps.csv",
    "selected_sites.csv", "selected_sites.xlsx", "selected_sites.geojson", "rollout.csv", "rollout.png",
    "search_requests.csv", "search_requests.xlsx", "search_requests.geojson",
    "coverage_map.html",
]


NETWORK_RASTERS = ("coverage_ctcu.tif", "coverage_cm.tif", "coverage_cbn.tif")


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def hedong_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    district = root / "hedong"
    shutil.copytree(HEDONG, district, ignore=shutil.ignore_patterns("registry.gpkg*"))
    before = _hashes(district)
    out = root / "out"
    res = CliRunner().invoke(cli, ["run", str(district), "--out", str(out)])
    return district, out, res, before


@pytest.mark.slow
def test_run_writes_every_output_and_says_where(hedong_run):
    district, out, res, _ = hedong_run
    assert res.exit_code == 0, res.output
    for name in MAIN_OUTPUTS:
        assert (out / name).is_file(), name
        assert str(out / name) in res.stdout, f"{name} not listed in the run's summary"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(MAIN_OUTPUTS) <= set(summary["outputs"])
    assert "SAMPLE" in res.stdout


@pytest.mark.slow
def test_run_records_inputs_config_and_version(hedong_run):
    district, out, _, _ = hedong_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    prov = summary["provenance"]
    assert prov["siteplan_version"]
    assert prov["config"]["district"]["working_crs"] == "EPSG:4548"
    for name, digest in prov["input_hashes"].items():
        assert hashlib.sha256((district / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.slow
def test_run_never_modifies_inputs(hedong_run):
    district, _, _, before = hedong_run
    assert _hashes(district) == before


@pytest.mark.slow
def test_rollout_meets_or_explains_each_target(hedong_run):
    """Acceptance of the per-network plan on Hedong: coverage per network on the joint KPI, district views,
    no 700 MHz site before its service start, each goal met or explained, search requests when no candidate can
    cover, savings reported."""
    _, out, _, _ = hedong_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    plan = summary["plan"]
    assert set(plan["networks"]) == {"ctcu", "cm", "cbn"}
    for key, net in plan["networks"].items():
        phases = net["phases"]
        assert [p["id"] for p in phases] == ["2020", "2022"]
        assert phases[1]["sites"] >= phases[0]["sites"]  # nested
        for p in phases:
            assert p["sites"] <= p["target_sites"]
            cov = p["coverage"]["outdoor"]
            assert cov["covered_share"] <= cov["rsrp_share"] + 1e-9  # joint KPI never above RSRP alone
            g = p["goal"]
            assert g["met"] in (True, False, None)
            if g["met"] is False:
                assert g["why"], (key, p["id"])
    # China Broadnet's 700 MHz has no service before 2022-06: no site in 2020, its goal not due.
    cbn2020 = plan["networks"]["cbn"]["phases"][0]
    assert cbn2020["sites"] == 0 and cbn2020["goal"]["met"] is None
    sel = pd.read_csv(out / "selected_sites.csv", encoding="utf-8-sig", dtype=str)
    band, phase = sel[HEADERS["band"]], sel[HEADERS["phase"]]
    assert (band == "n28").any() and not ((band == "n28") & (phase == "2020")).any()
    # The district total is what the work plan counts: per network counts add up to the target.
    assert sum(n["phases"][0]["target_sites"] for n in plan["networks"].values()) == 150
    assert sum(n["phases"][1]["target_sites"] for n in plan["networks"].values()) == 773
    for ph in plan["phases"]:
        v = ph["views"]
        assert v["outdoor"]["every_network"] <= v["outdoor"]["any_network"]
    # Search requests exist exactly when some goal could not be reached by any candidate, and are written.
    n_req = plan["search_requests"]["count"]
    req = pd.read_csv(out / "search_requests.csv", encoding="utf-8-sig")
    assert len(req) == n_req
    if n_req:
        assert {"需求编号 Request ID", "网络 Network", "搜索半径(m) Search radius (m)"} <= set(req.columns)
    sav = plan["money"]["savings"]["total"]
    assert sav["free_public_property_cny_per_year"] >= 0 and sav["direct_supply_cny_per_year"] >= 0
    assert plan["money"]["award"]["award_cny"] == plan["money"]["award"]["stations"] * 20000.0


@pytest.mark.slow
def test_summary_reports_indoor_uplink_and_capacity(hedong_run):
    """Issue 11 on Hedong: indoor figures on building footprints (by floor area); per network the cell range and
    inter-site distance of the downlink and uplink budgets, the limiting link and coverage on the joint
    downlink + uplink KPI; hotspot capacity: the capacity-limited hotspots or none, with the load figures."""
    _, out, _, _ = hedong_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    cov = summary["coverage"]
    layer = cov["indoor_layer"]
    assert 0 < layer["footprint_cells"] < layer["footprint_cells"] + layer["outdoor_cells"]
    assert layer["floor_area_km2"] > 10.0  # 9,145 buildings of ~12 floors on ~10 km² of footprint
    for key in ("ctcu", "cm", "cbn"):
        lb = cov["networks"][key]["link_budget"]["macro"]
        for case in ("outdoor", "indoor_low_loss", "indoor_high_loss", "indoor_district_mix"):
            c = lb["cases"][case]
            assert c["limiting_link"] in ("downlink", "uplink")
            assert c["range_m"] == min(c["dl_range_m"], c["ul_range_m"]) > 0
            assert c["isd_m"] == pytest.approx(1.5 * c["range_m"], abs=0.2)
            assert c["ul_headroom_db"] == pytest.approx(c["ul_mapl_db"] - c["dl_mapl_db"], abs=0.02)
        assert lb["cases"]["indoor_high_loss"]["range_m"] < lb["cases"]["indoor_low_loss"]["range_m"]
        last = summary["plan"]["networks"][key]["phases"][-1]["coverage"]
        for name in ("outdoor", "indoor"):
            links = last[name]["links"]
            assert last[name]["covered_share"] <= min(links["downlink"], links["uplink"]) + 1e-9
            assert links["uplink_limited"] + links["downlink_limited"] + links["neither"] + last[name][
                "covered_share"] == pytest.approx(1.0, abs=1e-5)
    capacity = summary["plan"]["capacity"]
    assert capacity["verdict"]
    for key in ("ctcu", "cm"):
        net = capacity["networks"][key]
        assert net["demand_mbps"]["total"] > 0 and net["utilisation"]["max"] > 0
        assert set(net["hotspot_loads"]) and set(net["capacity_limited_hotspots"]) <= set(net["hotspot_loads"])
    flagged = [f for k in ("ctcu", "cm") for f in
               summary["plan"]["networks"][k]["phases"][-1]["capacity"]["flagged_sectors"]]
    assert all(f["utilisation"] > 0.7 and f["remedy"]["text"] for f in flagged)


@pytest.mark.slow
def test_failed_run_leaves_earlier_outputs_whole(hedong_run, tmp_path):
    district, out, _, _ = hedong_run
    before = _hashes(out)
    broken = tmp_path / "broken"
    shutil.copytree(district, broken)
    text = (broken / "candidates.csv").read_text(encoding="utf-8-sig")
    (broken / "candidates.csv").write_text(text.replace("经度", "经 度", 1), encoding="utf-8")
    res = CliRunner().invoke(cli, ["run", str(broken), "--out", str(out)])
    assert res.exit_code == 2
    assert "candidates.csv" in res.stderr and "lon" in res.stderr
    assert _hashes(out) == before


@pytest.mark.slow
def test_same_inputs_give_identical_outputs(hedong_run, tmp_path):
    """Every output is byte-identical on a second run; only timings.json (wall-clock) may differ."""
    district, out, _, _ = hedong_run
    again = tmp_path / "again"
    res = CliRunner().invoke(cli, ["run", str(district), "--out", str(again)])
    assert res.exit_code == 0, res.output
    first, second = _hashes(out), _hashes(again)
    assert set(first) == set(second)
    differ = sorted(name for name in first if first[name] != second[name])
    assert differ == ["timings.json"]


@pytest.mark.slow
def test_coverage_command(hedong_copy, tmp_path):
    out = tmp_path / "cov"
    res = CliRunner().invoke(cli, ["coverage", str(hedong_copy), "--out", str(out), "--sites", "existing"])
    assert res.exit_code == 0, res.output
    assert "coverage ctcu (upgrade, " in res.stdout and "RSRP only" in res.stdout
    for key in ("ctcu", "cm", "cbn"):
        assert (out / f"coverage_{key}.tif").is_file() and str(out / f"coverage_{key}.tif") in res.stdout
    bad = CliRunner().invoke(cli, ["coverage", str(hedong_copy), "--out", str(out), "--sites", "nowhere.csv"])
    assert bad.exit_code == 2 and "--sites must be" in bad.stderr


# --- issue 12: every output right in the program its reader opens it with ------------------------------------

def _geojsons(out: Path) -> list[Path]:
    return sorted(out.glob("*.geojson"))


@pytest.mark.slow
def test_every_geojson_has_rfc7946_winding_and_provenance(hedong_run):
    """Item 7 and 8: exterior rings counter-clockwise, holes clockwise; a "siteplan" foreign member."""
    import shapely

    district, out, _, _ = hedong_run
    files = _geojsons(out)
    assert {"candidates.geojson", "gaps.geojson", "selected_sites.geojson"} <= {p.name for p in files}
    n_polys = 0
    for p in files:
        data = json.loads(p.read_text(encoding="utf-8"))
        assert set(data["siteplan"]) >= {"siteplan_version", "config_sha256", "input_hashes"}, p.name
        assert data["siteplan"]["input_hashes"]["candidates.csv"] == hashlib.sha256(
            (district / "candidates.csv").read_bytes()).hexdigest()
        for f in data["features"]:
            g = f["geometry"]
            polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"] if g["type"] == "MultiPolygon" else []
            for rings in polys:
                n_polys += 1
                ccw = [shapely.LinearRing(r).is_ccw for r in rings]
                assert ccw[0] and not any(ccw[1:]), (p.name, f["properties"].get("gap_id"))
    assert n_polys > 0


@pytest.mark.slow
def test_provenance_in_every_output(hedong_run):
    """Item 8: version, config hash and input hashes in the raster, the map, the GeoPackage, the workbooks."""
    import sqlite3

    import openpyxl
    import rasterio

    _, out, _, _ = hedong_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["provenance"]
    want = {"siteplan_version": summary["siteplan_version"], "config_sha256": summary["config_sha256"]}
    for tif in NETWORK_RASTERS:
        with rasterio.open(out / tif) as src:
            tags = src.tags()
        assert {k: tags[k] for k in want} == want and json.loads(tags["input_hashes"]) == summary["input_hashes"]
    html = (out / "coverage_map.html").read_text(encoding="utf-8")
    for k, v in want.items():
        assert f'<meta name="siteplan:{k}" content="{v}">' in html
    assert 'id="sp-about"' in html and summary["config_sha256"] in html
    conn = sqlite3.connect(out / "siteplan.gpkg")
    try:
        md = "".join(r[0] for r in conn.execute("SELECT metadata FROM gpkg_metadata"))
    finally:
        conn.close()
    assert summary["config_sha256"] in md and "siteplan_version" in md and "input_hashes" in md
    for book in ("candidates.xlsx", "selected_sites.xlsx"):
        about = {r[0].value: r[1].value for r in openpyxl.load_workbook(out / book)["说明 About"].iter_rows(min_row=3)}
        assert about["config_sha256"] == summary["config_sha256"] and "input_hashes" in about, book


@pytest.mark.slow
def test_qgis_style_beside_each_raster_matches_the_map(hedong_run):
    """Item 5: a valid QML beside each coverage raster, with the map's RSRP classes, colours and threshold;
    bands carry descriptions and units."""
    import xml.etree.ElementTree as ET

    import rasterio

    from siteplan.maps.layers import RSRP_BAND_COLOURS, RSRP_BELOW_COLOUR, rsrp_bands

    _, out, _, _ = hedong_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    threshold = summary["coverage"]["radio"]["rsrp_threshold_dbm"]
    edges = rsrp_bands(threshold)  # the map's legend, strongest first
    for tif in NETWORK_RASTERS:
        phases = ("2022",) if tif == "coverage_cbn.tif" else ("2020", "2022")  # no 700 MHz site in 2020
        with rasterio.open(out / tif) as src:
            assert src.descriptions == tuple(f"{ph}_{b}" for ph in phases
                                             for b in ("outdoor_rsrp_dbm", "indoor_rsrp_dbm", "sinr_db"))
            assert src.units == ("dBm", "dBm", "dB") * len(phases)
        root = ET.parse(out / tif.replace(".tif", ".qml")).getroot()
        renderer = root.find("pipe/rasterrenderer")
        assert renderer.get("type") == "singlebandpseudocolor" and renderer.get("band") == "1"
        shader = renderer.find("rastershader/colorrampshader")
        assert shader.get("colorRampType") == "DISCRETE"
        items = [(i.get("value"), i.get("color")) for i in shader.findall("item")]
        assert [v for v, _ in items] == [f"{e:g}" for e in reversed(edges)] + ["inf"]
        assert [c for _, c in items] == [RSRP_BELOW_COLOUR] + [RSRP_BAND_COLOURS[i] for i in
                                                                range(len(edges) - 1, -1, -1)]


@pytest.mark.slow
@pytest.mark.browser
def test_outputs_open_in_gdal_without_warnings(hedong_run):
    """Acceptance 2: ogrinfo and gdalinfo read every GeoPackage, GeoJSON and GeoTIFF without a warning, GDAL's
    GeoPackage validator passes, and QGIS will find a default style for the run GeoPackage's layers."""
    import sqlite3

    from client_tools import require, run_quiet, validate_gpkg

    _, out, _, _ = hedong_run
    ogrinfo, gdalinfo = require("ogrinfo"), require("gdalinfo")
    gpkg = out / "siteplan.gpkg"
    validate_gpkg(gpkg)
    info = run_quiet(ogrinfo, "-ro", "-al", "-so", str(gpkg))
    assert "siteplan_version=" in info
    for p in _geojsons(out):
        run_quiet(ogrinfo, "-ro", "-al", "-so", str(p))
    for tif in NETWORK_RASTERS:
        text = run_quiet(gdalinfo, "-stats", str(out / tif))
        assert "Unit Type: dBm" in text and "Description = 2022_sinr_db" in text
    assert not list(out.glob("*.aux.xml"))
    conn = sqlite3.connect(gpkg)
    try:
        styled = {r[0] for r in conn.execute("SELECT f_table_name FROM layer_styles WHERE useAsDefault")}
    finally:
        conn.close()
    assert {"candidates_checked", "gaps", "selected_sites", "boundary"} <= styled


@pytest.fixture(scope="module")
def hedong_review(tmp_path_factory):
    """`siteplan review export` on a private copy of Hedong (it writes the registry beside the district)."""
    root = tmp_path_factory.mktemp("review")
    district = root / "hedong"
    shutil.copytree(HEDONG, district, ignore=shutil.ignore_patterns("registry.gpkg*"))
    out = root / "out"
    res = CliRunner().invoke(cli, ["review", "export", str(district), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return district, out


@pytest.mark.slow
@pytest.mark.browser
def test_hedong_review_outputs_print(hedong_review, tmp_path):
    """Acceptance 2 and 3 on Hedong: the report prints to PDF in headless Chromium with page numbers and the
    sign-off; the review workbook prints in LibreOffice with the site codes and the decisions on one page width;
    the registry passes GDAL's validator. First pages go to test-artifacts/."""
    import re
    import subprocess
    import unicodedata

    from client_tools import soffice, validate_gpkg
    from test_review_report import _chromium, _page_text, _print_to_pdf
    from test_review_workbook_print import ARTIFACTS

    district, out = hedong_review
    validate_gpkg(district / "registry.gpkg")
    pdf = _print_to_pdf(_chromium(), out / "review_report.html", tmp_path)
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                              text=True, check=True).stdout).group(1))
    assert f"第1页共{pages}页" in _page_text(pdf, 1) and f"第{pages}页共{pages}页" in _page_text(pdf, pages)
    assert "市规划和自然资源局河东分局" in _page_text(pdf, 1)
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(ARTIFACTS / "hedong_review_report_page1")], check=True, timeout=60)
    subprocess.run([soffice(), "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path / "wb"),
                    str(out / "review_workbook.xlsx")], check=True, capture_output=True, timeout=300,
                   env={**os.environ, "HOME": str(tmp_path)})
    wb_pdf = tmp_path / "wb" / "review_workbook.pdf"
    first = unicodedata.normalize("NFKC", subprocess.run(
        ["pdftotext", "-layout", "-f", "1", "-l", "1", str(wb_pdf), "-"], capture_output=True, text=True,
        check=True).stdout)
    assert "审查意见" in first and "HD5G-" in first and "第 1 页 共" in first
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(wb_pdf),
                    str(ARTIFACTS / "hedong_review_workbook_page1")], check=True, timeout=60)


@pytest.mark.slow
def test_every_table_for_people_is_chinese_first(hedong_run):
    """Item 9: every header of the CSV lists and the workbooks' sheets starts in Chinese (English beside); codes
    are labelled in the sheets; shares are percentages, phases numbers."""
    import re

    import openpyxl
    import pandas as pd

    _, out, _, _ = hedong_run
    cjk = re.compile(r"^[\u3400-\u9fff（(]")
    for name in ("candidates.csv", "selected_sites.csv", "rollout.csv", "gaps.csv"):
        cols = pd.read_csv(out / name, encoding="utf-8-sig", nrows=1).columns
        raw = [c for c in cols if not cjk.match(c) and not c.startswith("EIRP")]
        assert not raw, (name, raw)
    for book in ("candidates.xlsx", "selected_sites.xlsx"):
        wb = openpyxl.load_workbook(out / book)
        for ws in wb.worksheets:
            head = [c.value for c in ws[2] if c.value is not None]
            raw = [h for h in head if not cjk.match(str(h)) and not str(h).startswith("EIRP")]
            assert not raw, (book, ws.title, raw)
    ws = openpyxl.load_workbook(out / "selected_sites.xlsx")["分期 Rollout"]
    head = {c.value: i for i, c in enumerate(ws[2])}
    first = list(ws.iter_rows(min_row=3, max_row=3))[0]
    assert first[head["建设期 Phase"]].value == 2020
    cov = first[head["室外覆盖率 Outdoor coverage"]]
    assert cov.number_format == "0.00%" and 0 < cov.value <= 1
    sel = openpyxl.load_workbook(out / "selected_sites.xlsx")["入选站址 Selected"]
    head = {c.value: i for i, c in enumerate(sel[2])}
    values = {r[head["合规状态 Status"]].value for r in sel.iter_rows(min_row=3)}
    assert values <= {"合规 compliant", "有条件合规 conditional"}
