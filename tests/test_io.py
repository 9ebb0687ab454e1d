"""Loading districts: every malformed input raises a typed error naming the file, row/feature and field."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from siteplan.cli import cli
from siteplan.crs import convert
from siteplan.errors import ConfigError, CRSError, GeometryError, InputFileError, SchemaError
from siteplan.io import read_district

from conftest import LON0, LAT0


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _csv_line(path: Path, n: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[n]


def test_tiny_district_loads_in_working_crs(tiny_district):
    d = read_district(tiny_district)
    assert d.crs == "EPSG:4548"
    for gdf in d.layers.values():
        assert gdf.crs == "EPSG:4548"
    assert len(d.layers["poles"]) == 49 and len(d.layers["candidates"]) == 12
    assert set(d.layers["poles"]["kind"]) == {"street_lamp"}
    assert d.layers["candidates"]["site_type"].eq("micro").all()
    assert d.layers["plan_zones"]["category"].tolist() == ["prohibited"]
    # absent layers are empty frames with canonical columns
    assert len(d.layers["hotspots"]) == 0 and "scenario" in d.layers["hotspots"].columns
    # ~2 km x 2.2 km square
    assert 3.5 < d.area_km2 < 4.0
    assert set(d.input_hashes) == {"district.toml", "boundary.geojson", "poles.csv", "candidates.csv", "zones.geojson"}


def test_gcj02_candidates_land_on_their_poles(tiny_district):
    d = read_district(tiny_district)
    poles = d.layers["poles"].geometry.values
    cands = d.layers["candidates"].geometry.values[:7]
    assert shapely.distance(cands, poles[np.arange(0, 49, 7)]).max() < 0.01  # metres


def test_missing_file(tiny_district):
    (tiny_district / "poles.csv").unlink()
    with pytest.raises(InputFileError, match=r"poles\.csv: layer file not found"):
        read_district(tiny_district)


def test_missing_district_toml(tmp_path):
    with pytest.raises(ConfigError, match="district.toml"):
        read_district(tmp_path)


def test_unknown_frame(tiny_district):
    _edit(tiny_district / "district.toml", 'frame = "CGCS2000"', 'frame = "Beijing54-ish"')
    with pytest.raises(CRSError, match=r"layers\.poles\.frame.*Beijing54-ish"):
        read_district(tiny_district)


def test_missing_required_column(tiny_district):
    _edit(tiny_district / "poles.csv", "杆类型", "颜色")
    with pytest.raises(SchemaError, match=r"poles\.csv: layer 'poles' is missing required column 'kind'"):
        read_district(tiny_district)


def test_non_numeric_coordinate(tiny_district):
    p = tiny_district / "poles.csv"
    line = _csv_line(p, 4)
    _edit(p, line, line.rsplit(",", 2)[0] + ",117.2x," + line.rsplit(",", 1)[1])
    with pytest.raises(SchemaError, match=r"poles\.csv: row 5: field 'lon' = '117\.2x': expected a number"):
        read_district(tiny_district)


def test_empty_coordinate(tiny_district):
    p = tiny_district / "candidates.csv"
    line = _csv_line(p, 3)
    _edit(p, line, line.rsplit(",", 1)[0] + ",")
    with pytest.raises(SchemaError, match=r"candidates\.csv: row 4: field 'lat' is empty"):
        read_district(tiny_district)


def test_swapped_lon_lat(tiny_district):
    p = tiny_district / "poles.csv"
    _edit(p, "经度,纬度", "纬度,经度")
    with pytest.raises(CRSError, match=r"poles\.csv: 49 problems: row 2 \(id P000\): longitude/latitude look swapped"):
        read_district(tiny_district)


def test_point_far_outside_district(tiny_district):
    p = tiny_district / "poles.csv"
    line = _csv_line(p, 10)
    _edit(p, line, "P009,路灯杆,10,121.47,31.23")  # Shanghai
    with pytest.raises(CRSError, match=r"poles\.csv: row 11 \(id P009\): lies \d+ km outside the district"):
        read_district(tiny_district)


def _zones(root: Path) -> dict:
    return json.loads((root / "zones.geojson").read_text(encoding="utf-8"))


def test_invalid_geometry(tiny_district):
    z = _zones(tiny_district)
    x, y = LON0, LAT0
    bowtie = [[x, y], [x + 0.002, y + 0.002], [x + 0.002, y], [x, y + 0.002], [x, y]]
    z["features"][0]["geometry"]["coordinates"] = [bowtie]
    (tiny_district / "zones.geojson").write_text(json.dumps(z), encoding="utf-8")
    with pytest.raises(GeometryError, match=r"zones\.geojson: feature 1 \(id Z1\): invalid geometry \(Self-intersection"):
        read_district(tiny_district)


def test_empty_geometry(tiny_district):
    z = _zones(tiny_district)
    z["features"][0]["geometry"] = None
    (tiny_district / "zones.geojson").write_text(json.dumps(z), encoding="utf-8")
    with pytest.raises(GeometryError, match=r"zones\.geojson: feature 1 \(id Z1\): geometry is empty"):
        read_district(tiny_district)


def test_wrong_geometry_type(tiny_district):
    z = _zones(tiny_district)
    z["features"][0]["geometry"] = {"type": "LineString", "coordinates": [[LON0, LAT0], [LON0 + 0.001, LAT0]]}
    (tiny_district / "zones.geojson").write_text(json.dumps(z), encoding="utf-8")
    with pytest.raises(GeometryError, match=r"feature 1 \(id Z1\): geometry is a LineString: layer 'plan_zones' expects Polygon"):
        read_district(tiny_district)


def test_duplicate_ids(tiny_district):
    p = tiny_district / "poles.csv"
    _edit(p, "P005,", "P004,")
    with pytest.raises(SchemaError, match=r"poles\.csv: field 'pole_id': duplicate id 'P004' at row 6, row 7"):
        read_district(tiny_district)


def test_duplicate_candidate_codes_load_for_the_check(tiny_district):
    """Duplicate candidate codes are a compliance finding (DUPLICATE), not a load error."""
    _edit(tiny_district / "candidates.csv", "C03,", "C02,")
    d = read_district(tiny_district)
    assert (d.layers["candidates"]["site_id"] == "C02").sum() == 2


def test_bad_enum_value(tiny_district):
    _edit(tiny_district / "poles.csv", "P002,路灯杆", "P002,电线杆")
    with pytest.raises(SchemaError, match=r"row 4 \(id P002\): field 'kind' = '电线杆': expected one of street_lamp"):
        read_district(tiny_district)


def test_gbk_csv_loads(tiny_district):
    p = tiny_district / "candidates.csv"
    text = p.read_text(encoding="utf-8")
    p.write_bytes(text.encode("gb18030"))
    d = read_district(tiny_district)
    assert d.layers["candidates"]["name"].iloc[0] == "候选0"


def test_utf8_bom_csv_loads(tiny_district):
    p = tiny_district / "poles.csv"
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert len(read_district(tiny_district).layers["poles"]) == 49


def test_gcj02_declared_wgs84_is_detected(tiny_district):
    _edit(tiny_district / "district.toml", 'frame = "GCJ02"', 'frame = "WGS84"')
    with pytest.raises(CRSError, match=r"candidates\.csv: layer 'candidates' is declared WGS84, .* sit on 'poles' only when read as GCJ02"):
        read_district(tiny_district)


def test_bd09_declared_as_gcj02_is_detected(tiny_district):
    p = tiny_district / "candidates.csv"
    d0 = read_district(tiny_district)
    lon, lat = convert(*shapely.get_coordinates(d0.layers["candidates"].geometry.values).T, "EPSG:4548", "BD09")
    rows = ["站址编号,站名,站型,挂高,运营商,经度,纬度"]
    rows += [f"C{i:02d},候选{i},微站,10,中国移动,{x:.9f},{y:.9f}" for i, (x, y) in enumerate(zip(lon, lat))]
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(CRSError, match="only when read as BD09"):
        read_district(tiny_district)


def test_unknown_config_key(tiny_district):
    _edit(tiny_district / "district.toml", 'sample = true', 'sample = true\nworking_src = "EPSG:4326"')
    with pytest.raises(ConfigError, match=r"district\.toml: unknown key 'district\.working_src'"):
        read_district(tiny_district)


def test_unknown_radio_key(tiny_district):
    (tiny_district / "district.toml").write_text(
        (tiny_district / "district.toml").read_text(encoding="utf-8") + "\n[radio]\nrsrp_treshold_dbm = -100\n",
        encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key 'radio\.rsrp_treshold_dbm'"):
        read_district(tiny_district)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("sites = 10", "sites = 3", r"targets\[1\] \(id 'b'\)\.sites = 3 is below the previous target's 5"),
        ("sites = 5", "sites = -5", r"targets\[0\] \(id 'a'\)\.sites = -5: expected a positive number"),
        ('due = "2022-12"', 'due = "2019-12"', r"targets\[1\] \(id 'b'\)\.due = '2019-12' is not after"),
        ('due = "2020-12"', 'due = "end of 2020"', r"\.due = 'end of 2020': expected a month as YYYY-MM"),
        ('sites = 5', 'sites = "many"', r"targets\[0\]\.sites must be a whole number"),
        ('working_crs = "EPSG:4548"', 'working_crs = "EPSG:4326"', r"working_crs 'EPSG:4326' is geographic"),
        ('working_crs = "EPSG:4548"', 'working_crs = "EPSG:3857"', r"must not be Web Mercator"),
    ],
)
def test_targets_and_crs_that_make_no_sense(tiny_district, old, new, message):
    _edit(tiny_district / "district.toml", old, new)
    with pytest.raises(ConfigError, match=message):
        read_district(tiny_district)


@pytest.mark.parametrize(
    "file_value",
    ["https://example.com/poles.csv", '{"type": "FeatureCollection", "features": []}', "/vsicurl/http://x/p.csv"],
)
def test_non_local_paths_are_refused(tiny_district, file_value):
    _edit(tiny_district / "district.toml", 'file = "poles.csv"', f"file = '{file_value}'")
    with pytest.raises(InputFileError, match="must be a local file path"):
        read_district(tiny_district)


def test_archives_are_refused(tiny_district):
    with zipfile.ZipFile(tiny_district / "poles.zip", "w") as z:
        z.write(tiny_district / "poles.csv", "poles.csv")
    (tiny_district / "poles.geojson").write_bytes((tiny_district / "poles.zip").read_bytes())
    _edit(tiny_district / "district.toml", 'file = "poles.csv"', 'file = "poles.geojson"')
    with pytest.raises(InputFileError, match=r"poles\.geojson: layer file is an archive"):
        read_district(tiny_district)


def test_inputs_are_never_modified(tiny_district):
    before = {p.name: p.read_bytes() for p in tiny_district.iterdir()}
    read_district(tiny_district)
    assert {p.name: p.read_bytes() for p in tiny_district.iterdir()} == before


def test_cli_error_is_one_line_exit_2(tiny_district):
    _edit(tiny_district / "poles.csv", "杆类型", "颜色")
    res = CliRunner().invoke(cli, ["info", str(tiny_district)])
    assert res.exit_code == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("siteplan: error: ") and "poles.csv" in lines[0]
    assert "Traceback" not in res.output


def test_cli_info(tiny_district):
    res = CliRunner().invoke(cli, ["info", str(tiny_district)])
    assert res.exit_code == 0, res.output
    assert "EPSG:4548" in res.stdout and "km²" in res.stdout
    assert "poles" in res.stdout and "49" in res.stdout and "GCJ02" in res.stdout


def test_shapefile_and_geopackage_layers_load(tiny_district):
    """The same poles as a Shapefile (CGCS2000) and as a named GeoPackage layer load like the CSV."""
    import geopandas as gpd

    ref = read_district(tiny_district).layers["poles"]
    wgs = ref.to_crs("EPSG:4490")
    wgs[["pole_id", "kind", "height_m"]].set_geometry(wgs.geometry).to_file(tiny_district / "poles.shp")
    _edit(tiny_district / "district.toml", 'file = "poles.csv"', 'file = "poles.shp"')
    shp = read_district(tiny_district).layers["poles"]
    assert shp["pole_id"].tolist() == ref["pole_id"].tolist()
    assert shapely.distance(shp.geometry.values, ref.geometry.values).max() < 1e-3
    gpd.GeoDataFrame(wgs[["pole_id", "kind", "height_m"]], geometry=wgs.geometry).to_file(
        tiny_district / "assets.gpkg", layer="poles")
    gpd.GeoDataFrame({"x": [1]}, geometry=[shapely.Point(117.24, 39.12)], crs="EPSG:4490").to_file(
        tiny_district / "assets.gpkg", layer="other")
    _edit(tiny_district / "district.toml", 'file = "poles.shp"', 'file = "assets.gpkg"')
    with pytest.raises(InputFileError, match=r"assets\.gpkg: holds several layers \(.*\); name one"):
        read_district(tiny_district)
    _edit(tiny_district / "district.toml", 'file = "assets.gpkg"', 'file = "assets.gpkg"\nlayer = "poles"')
    assert read_district(tiny_district).layers["poles"]["pole_id"].tolist() == ref["pole_id"].tolist()


def test_file_crs_contradicting_declared_frame(tiny_district):
    ref = read_district(tiny_district).layers["poles"]
    ref[["pole_id", "kind", "height_m", "geometry"]].to_file(tiny_district / "poles.gpkg", layer="poles")  # EPSG:4548
    _edit(tiny_district / "district.toml", 'file = "poles.csv"', 'file = "poles.gpkg"')
    with pytest.raises(CRSError, match=r"poles\.gpkg: the file states CRS EPSG:4548 but district\.toml declares frame 'CGCS2000'"):
        read_district(tiny_district)


def test_corrupt_files_are_named(tiny_district):
    (tiny_district / "zones.geojson").write_text('{"type": "FeatureCollection", "features": [ {broken', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"zones\.geojson: not a readable vector file"):
        read_district(tiny_district)
    (tiny_district / "zones.geojson").write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    _edit(tiny_district / "district.toml", 'file = "poles.csv"', 'file = "poles.xlsx"')
    (tiny_district / "poles.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputFileError, match=r"poles\.xlsx: not a readable XLSX workbook"):
        read_district(tiny_district)
