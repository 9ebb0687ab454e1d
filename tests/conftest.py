"""Shared fixtures: a tiny, valid district folder written to disk from code, and the bundled Hedong district."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from siteplan.crs import convert

# Property tests are deterministic (same examples every run, no example database) and never time out on a
# loaded CI machine; a test's own @settings only overrides what it names.
settings.register_profile(
    "siteplan", derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("siteplan")

ROOT = Path(__file__).resolve().parent.parent
HEDONG = ROOT / "data" / "districts" / "hedong"

TINY_TOML = """
[district]
name = "tiny"
name_zh = "测试区"
code = "999999"
working_crs = "EPSG:4548"
sample = true

[[targets]]
id = "a"
sites = 5
due = "2020-12"

[[targets]]
id = "b"
sites = 10
due = "2022-12"

[layers.boundary]
file = "boundary.geojson"
frame = "WGS84"

[layers.poles]
file = "poles.csv"
frame = "CGCS2000"

[layers.candidates]
file = "candidates.csv"
frame = "GCJ02"

[layers.plan_zones]
file = "zones.geojson"
frame = "WGS84"
"""

LON0, LAT0 = 117.24, 39.12  # inside Hedong


def _square(lon0: float, lat0: float, half_deg: float) -> list[list[float]]:
    return [
        [lon0 - half_deg, lat0 - half_deg], [lon0 + half_deg, lat0 - half_deg],
        [lon0 + half_deg, lat0 + half_deg], [lon0 - half_deg, lat0 + half_deg], [lon0 - half_deg, lat0 - half_deg],
    ]


def write_tiny_district(root: Path) -> Path:
    """Write a small valid district: square boundary, 49 poles, 12 candidates (7 on poles), 1 zone."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "district.toml").write_text(TINY_TOML, encoding="utf-8")
    boundary = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "tiny"},
         "geometry": {"type": "Polygon", "coordinates": [_square(LON0, LAT0, 0.01)]}}]}
    (root / "boundary.geojson").write_text(json.dumps(boundary), encoding="utf-8")
    g = np.linspace(-0.008, 0.008, 7)
    plon, plat = np.meshgrid(LON0 + g, LAT0 + g)
    plon, plat = plon.ravel(), plat.ravel()
    rows = ["杆号,杆类型,杆高,经度,纬度"]
    rows += [f"P{i:03d},路灯杆,10,{x:.9f},{y:.9f}" for i, (x, y) in enumerate(zip(plon, plat))]
    (root / "poles.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    # Candidates: 7 on poles (given in GCJ-02, as AMap exports), 5 elsewhere.
    on = np.arange(0, 49, 7)
    clon = np.concatenate([plon[on], LON0 + np.linspace(-0.006, 0.006, 5)])
    clat = np.concatenate([plat[on], LAT0 + np.linspace(0.003, -0.003, 5)])
    glon, glat = convert(clon, clat, "WGS84", "GCJ02")
    rows = ["站址编号,站名,站型,挂高,运营商,经度,纬度"]
    rows += [f"C{i:02d},候选{i},微站,10,中国移动,{x:.9f},{y:.9f}" for i, (x, y) in enumerate(zip(glon, glat))]
    (root / "candidates.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    zones = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"zone_id": "Z1", "category": "禁建", "name": "水源地"},
         "geometry": {"type": "Polygon", "coordinates": [_square(LON0 + 0.005, LAT0 + 0.005, 0.001)]}}]}
    (root / "zones.geojson").write_text(json.dumps(zones, ensure_ascii=False), encoding="utf-8")
    return root


@pytest.fixture
def tiny_district(tmp_path: Path) -> Path:
    return write_tiny_district(tmp_path / "tiny")


@pytest.fixture
def hedong_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled Hedong district (tests must never touch the original)."""
    if not (HEDONG / "boundary.geojson").exists():
        pytest.fail("data/districts/hedong is incomplete: run scripts/make_hedong_sample.py")
    dst = tmp_path / "hedong"
    shutil.copytree(HEDONG, dst, ignore=shutil.ignore_patterns("registry.gpkg*"))
    return dst
