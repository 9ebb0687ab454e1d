"""Candidate search requests (站址需求) and goal verdicts on synthetic grids."""

from __future__ import annotations

import math
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import shapely

from siteplan.config import GoalConfig
from siteplan.coverage.grid import make_grid
from siteplan.evaluate import evaluate_goal, search_rings
from siteplan.evaluate.search import hotspot_rings

CRS = "EPSG:4548"
X0, Y0 = 520_000.0, 4_330_000.0


def _grid():
    return make_grid(shapely.box(X0, Y0, X0 + 2000, Y0 + 2000), CRS, 20.0)


def _mask(grid, polys):
    x, y = grid.cell_xy()
    m = np.zeros(grid.n_inside, dtype=bool)
    for p in polys:
        m |= shapely.contains_xy(p, x, y)
    return m


def test_one_ring_per_site_area_inside_each_cluster():
    g = _grid()
    big = shapely.box(X0 + 100, Y0 + 100, X0 + 900, Y0 + 500)     # 0.32 km^2
    small = shapely.box(X0 + 1500, Y0 + 1500, X0 + 1600, Y0 + 1600)  # 0.01 km^2
    tiny = shapely.box(X0 + 1800, Y0 + 100, X0 + 1840, Y0 + 140)   # 1,600 m^2: under the minimum
    unc = _mask(g, [big, small, tiny])
    rings = search_rings(g, unc, network="ctcu", phase="2020", site_radius_m=200.0, min_area_m2=2500.0,
                         high_priority=_mask(g, [small]), seed=1)
    per_big = rings[rings["x_m"] < X0 + 1000]
    assert len(per_big) == math.ceil(0.32e6 / (math.pi * 200.0 ** 2))
    assert len(rings) == len(per_big) + 1  # the tiny cluster asks for nothing
    for r in rings.itertuples():
        assert 50.0 <= r.radius_m <= 200.0
        assert (big.buffer(1).contains(shapely.Point(r.x_m, r.y_m)) or small.buffer(1).contains(shapely.Point(r.x_m, r.y_m)))
    # The core cluster comes first (priority 1), then the others by weighted area.
    assert rings.iloc[0]["priority"] == 1 and (rings.iloc[1:]["priority"] == 2).all()
    assert rings["area_m2"].sum() == (per_big["area_m2"].sum() + 100 * 100)
    # Same inputs, same rings.
    again = search_rings(g, unc, network="ctcu", phase="2020", site_radius_m=200.0, min_area_m2=2500.0,
                         high_priority=_mask(g, [small]), seed=1)
    assert again.equals(rings)


def test_nothing_uncoverable_no_request():
    g = _grid()
    assert len(search_rings(g, np.zeros(g.n_inside, bool), network="cm", phase="2022", site_radius_m=300.0,
                            min_area_m2=0.0)) == 0


def test_hotspot_rings_are_indoor_priority_one():
    r = hotspot_rings(["H1", "H2"], np.array([[1.0, 2.0], [3.0, 4.0]]), network="cm", phase="2022")
    assert r["site_type"].tolist() == ["indoor", "indoor"] and (r["priority"] == 1).all()


def _result(g, covered_box, rsrp_box=None, dl_box=None):
    """A CoverageResult-like object: joint KPI covered in ``covered_box``, the downlink (RSRP and SINR) in
    ``dl_box`` (default: where covered), RSRP clear in ``rsrp_box``."""
    x, y = g.cell_xy()
    cov = g.full(shapely.contains_xy(covered_box, x, y), False, bool)
    dl = g.full(shapely.contains_xy(dl_box or covered_box, x, y), False, bool)
    rsrp = g.full(shapely.contains_xy(rsrp_box or dl_box or covered_box, x, y), False, bool)
    return SimpleNamespace(grid=g, covered=cov, indoor_covered=cov, rsrp_covered=rsrp, indoor_rsrp_covered=rsrp,
                           dl_covered=dl, indoor_dl_covered=dl)


def test_goal_verdicts_say_why():
    g = _grid()
    goal = GoalConfig(layer="outdoor", area="district", share=0.9)
    area = np.ones(g.n_inside, bool)
    hs = gpd.GeoDataFrame({"hotspot_id": [], "scenario": []}, geometry=gpd.GeoSeries([], crs=CRS))
    everything = shapely.box(X0 - 10, Y0 - 10, X0 + 2010, Y0 + 2010)
    half = shapely.box(X0 - 10, Y0 - 10, X0 + 1010, Y0 + 2010)
    # Met.
    v = evaluate_goal(_result(g, everything), _result(g, everything), goal, area_mask=area, hotspots=hs,
                      available=True, sites=10, target_sites=10)
    assert v["met"] is True and v["why"] == []
    # No candidate can reach the east half: search requests are the remedy.
    v = evaluate_goal(_result(g, half), _result(g, half), goal, area_mask=area, hotspots=hs, available=True,
                      sites=10, target_sites=10)
    assert v["met"] is False and "no candidate can cover" in v["why"][0] and v["pool_rsrp_share"] < 0.9
    assert v["why_codes"] == ["NO_CANDIDATE_COVERS"] and "无任何候选站址可覆盖" in v["why"][0]  # Chinese first
    # RSRP everywhere but SINR only on half: interference-limited.
    v = evaluate_goal(_result(g, half, everything), _result(g, everything), goal, area_mask=area, hotspots=hs,
                      available=True, sites=10, target_sites=10)
    assert v["met"] is False and "interference-limited" in v["why"][0] and v["why_codes"] == ["INTERFERENCE_LIMITED"]
    # The downlink everywhere, the uplink only on half: uplink-limited.
    v = evaluate_goal(_result(g, half, dl_box=everything), _result(g, everything), goal, area_mask=area, hotspots=hs,
                      available=True, sites=10, target_sites=10)
    assert v["met"] is False and "uplink-limited" in v["why"][0] and v["why_codes"] == ["UPLINK_LIMITED"]
    # Candidates could do it, the site count could not.
    v = evaluate_goal(_result(g, half), _result(g, everything), goal, area_mask=area, hotspots=hs, available=True,
                      sites=10, target_sites=10)
    assert v["met"] is False and "too few" in v["why"][0] and v["why_codes"] == ["TOO_FEW_SITES"]
    # No service on the band yet.
    v = evaluate_goal(_result(g, half), _result(g, everything), goal, area_mask=area, hotspots=hs, available=False,
                      sites=0, target_sites=0)
    assert v["met"] is False and "no 5G service" in v["why"][0] and v["why_codes"] == ["NO_SERVICE"]
