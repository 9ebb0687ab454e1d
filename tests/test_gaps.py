"""Gap polygons: inside the district, outside covered cells, attributed, ranked; and the pipeline step."""

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely

from siteplan.config import RadioConfig
from siteplan.coverage import compute_coverage, make_grid
from siteplan.coverage.gaps import GAP_COLUMNS, find_gaps
from siteplan.io.labels import HEADERS

CRS = "EPSG:4548"
X0, Y0 = 520_000.0, 4_330_000.0
HEDONG = Path(__file__).resolve().parents[1] / "data" / "districts" / "hedong"


def _pts(xy, **cols):
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(cols, geometry=shapely.points(xy[:, 0] + X0, xy[:, 1] + Y0), crs=CRS)


@pytest.fixture
def scene():
    radio = RadioConfig()
    boundary = shapely.Polygon([(X0, Y0), (X0 + 1500, Y0), (X0 + 1500, Y0 + 900), (X0 + 700, Y0 + 1300),
                                (X0, Y0 + 900)])
    grid = make_grid(boundary, CRS, 20.0)
    sites = _pts([[200, 300], [1300, 300]], site_id=["E1", "E2"], site_type=["micro", "micro"])
    res = compute_coverage(grid, sites, radio)
    subs = gpd.GeoDataFrame({"code": ["W", "E"], "name": ["west", "east"]},
                            geometry=[shapely.box(X0, Y0, X0 + 750, Y0 + 1300),
                                      shapely.box(X0 + 750, Y0, X0 + 1500, Y0 + 1300)], crs=CRS)
    hs = _pts([[700, 1000], [720, 1020], [200, 300]], hotspot_id=["H1", "H2", "H3"],
              scenario=["healthcare", "education", "media"], weight=[5.0, 4.0, 2.0])
    cands = _pts([[700, 1100], [650, 600], [5000, 5000]], site_id=["C1", "C2", "C3"],
                 site_type=["micro", "micro", "micro"])
    return radio, boundary, grid, res, subs, hs, cands


def test_gaps_lie_inside_the_district_and_outside_covered_cells(scene):
    radio, boundary, grid, res, subs, hs, cands = scene
    gaps = find_gaps(res, boundary=boundary, min_area_m2=0.0, subdistricts=subs, hotspots=hs, candidates=cands,
                     radio=radio)
    assert list(gaps.columns) == GAP_COLUMNS + ["geometry"]
    assert len(gaps) >= 1
    assert shapely.within(gaps.geometry.values, boundary.buffer(1e-6)).all()
    x, y = grid.cell_xy()
    cov = res.covered.ravel()[grid.cell_index]
    union = shapely.union_all(gaps.geometry.values)
    assert not shapely.contains_xy(union, x[cov], y[cov]).any()
    # Every uncovered inside cell is in some gap when no area filter applies.
    assert shapely.contains_xy(union.buffer(1e-6), x[~cov], y[~cov]).all()
    assert gaps["area_m2"].sum() == pytest.approx(boundary.area - cov.sum() * grid.cell_area_m2, rel=0.02)


def test_gap_attributes_and_ranking(scene):
    radio, boundary, _grid, res, subs, hs, cands = scene
    gaps = find_gaps(res, boundary=boundary, min_area_m2=0.0, subdistricts=subs, hotspots=hs, candidates=cands,
                     radio=radio, k=2)
    assert gaps["rank"].tolist() == list(range(1, len(gaps) + 1))
    assert (np.diff(gaps["score"].to_numpy()) <= 0).all()
    assert gaps["gap_id"].iloc[0] == "GAP-0001"
    np.testing.assert_allclose(gaps["score"], gaps["area_m2"] * (1 + gaps["hotspot_weight"]), rtol=1e-6)
    big = gaps.iloc[0]
    assert big["hotspots"] == "H1;H2" and big["hotspot_weight"] == 9.0
    # C3 is 5 km away: out of its range; C1 sits in the gap, so it comes first.
    assert big["nearest_candidates"].split(";")[0] == "C1"
    assert "C3" not in ";".join(gaps["nearest_candidates"])
    assert set(gaps["subdistrict"]) <= {"west", "east"}
    # H3 sits next to a site: covered, so in no gap.
    assert "H3" not in ";".join(gaps["hotspots"])


def test_min_area_filter(scene):
    _radio, boundary, _grid, res, _subs, _hs, _cands = scene
    all_gaps = find_gaps(res, boundary=boundary, min_area_m2=0.0)
    limit = float(all_gaps["area_m2"].median()) + 1.0
    some = find_gaps(res, boundary=boundary, min_area_m2=limit)
    assert (some["area_m2"] >= limit).all()
    assert len(some) == int((all_gaps["area_m2"] >= limit).sum())


def test_no_gaps_when_everything_is_covered():
    radio = RadioConfig()
    boundary = shapely.box(X0, Y0, X0 + 200, Y0 + 200)
    grid = make_grid(boundary, CRS, 20.0)
    res = compute_coverage(grid, _pts([[100, 100]], site_id=["E"], site_type=["macro"]), radio)
    gaps = find_gaps(res, boundary=boundary, min_area_m2=0.0)
    assert len(gaps) == 0 and list(gaps.columns) == GAP_COLUMNS + ["geometry"]


@pytest.fixture(scope="module")
def hedong_coarse():
    if not (HEDONG / "district.toml").is_file():
        pytest.skip("Hedong sample district not generated")
    from siteplan.io import read_district

    d = read_district(HEDONG)
    radio = dataclasses.replace(d.config.radio, grid_resolution_m=100.0)
    return dataclasses.replace(d, config=dataclasses.replace(d.config, radio=radio))


def test_step_on_hedong_at_coarse_resolution(tmp_path, hedong_coarse):
    from siteplan.coverage.step import NetworkCoverage, run
    from siteplan.pipeline import RunContext

    ctx = RunContext(district=hedong_coarse, out_dir=tmp_path)
    run(ctx)
    cov = ctx.summary["coverage"]
    assert "no compliance check" in cov["candidates"]
    nc = ctx.results["coverage"]
    assert isinstance(nc, NetworkCoverage) and set(nc.results) == set(hedong_coarse.config.networks)
    for key, net in cov["networks"].items():
        up, pool = net["upgrade"], net["pool"]
        # Joint KPI never above RSRP alone; every candidate of the network at once reaches at least the RSRP of
        # the upgraded grid's cells it contains (the pool holds the upgrades).
        for sc in (up, pool):
            assert sc["outdoor"]["covered_share"] <= sc["outdoor"]["rsrp_share"] + 1e-9
        assert pool["outdoor"]["rsrp_share"] + 1e-9 >= up["outdoor"]["rsrp_share"] - 0.05, key
    # Only the network's own sites: the 700 MHz network's upgrade reference is China Mobile's / Broadnet's sites.
    ex = hedong_coarse.layers["existing_sites"]
    cbn_ops = set(hedong_coarse.config.networks["cbn"].operators)
    assert cov["networks"]["cbn"]["upgrade"]["sites"] <= int(ex["operator"].isin(cbn_ops).sum())
    views = cov["district"]["pool"]
    assert views["outdoor"]["every_network"] <= views["outdoor"]["any_network"]
    assert ctx.written == []  # the step of a run writes no file; the plan's rasters are the evaluate step's


def test_step_uses_only_eligible_candidates_from_check(tmp_path, hedong_coarse):
    from siteplan.compliance import check_candidates
    from siteplan.coverage.step import run
    from siteplan.pipeline import RunContext

    cands = check_candidates(hedong_coarse)
    cands["status"] = np.where(np.arange(len(cands)) < 10, "compliant", "non_compliant")
    ctx = RunContext(district=hedong_coarse, out_dir=tmp_path, results={"check": cands})
    run(ctx)
    n_pool = sum(v["pool"]["sites"] for v in ctx.summary["coverage"]["networks"].values())
    assert n_pool == int((cands["network"].iloc[:10] != "").sum())
    assert ctx.summary["coverage"]["candidates"].startswith("compliant and conditional candidates of the check")


def test_run_coverage_with_a_site_file(tmp_path, hedong_coarse):
    from siteplan.coverage.step import run_coverage

    c = hedong_coarse.boundary.representative_point()
    sites = gpd.GeoDataFrame({"site_id": ["F1", "F2"], "site_type": ["macro", "micro"],
                              "operator": ["中国移动", "中国联通"], "band": ["n41", "n78"]},
                             geometry=[c, shapely.Point(c.x + 300, c.y)], crs=hedong_coarse.crs).to_crs(4326)
    f = tmp_path / "sites.geojson"
    sites.to_file(f)
    out = run_coverage(hedong_coarse, tmp_path / "out", sites=str(f))
    assert out["networks"]["cm"]["file"]["sites"] == 1 and out["networks"]["ctcu"]["file"]["sites"] == 1
    assert out["networks"]["cbn"]["file"]["sites"] == 0
    for key in ("ctcu", "cm", "cbn"):
        with rasterio.open(tmp_path / "out" / f"coverage_{key}.tif") as src:
            assert src.descriptions[0] == "file_outdoor_rsrp_dbm"
    assert (tmp_path / "out" / "coverage.json").is_file()
    gj = gpd.read_file(tmp_path / "out" / "gaps.geojson")
    assert gj.crs.to_epsg() == 4326 and set(gj["network"]) <= {"ctcu", "cm", "cbn"}
    csv = pd.read_csv(tmp_path / "out" / "gaps.csv", encoding="utf-8-sig")
    # Chinese-first headers (issue 12, item 9)
    assert {HEADERS[c] for c in ("gap_id", "network", "area_m2", "subdistrict", "nearest_candidates", "score", "lon",
                                 "lat")} <= set(csv.columns)
    only = run_coverage(hedong_coarse, tmp_path / "ex", sites="existing")
    assert all(list(v) == ["name", "name_zh", "upgrade", "link_budget"] for v in only["networks"].values())
