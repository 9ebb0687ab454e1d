"""The city overview map: offline, small, safe with hostile names, district links; in headless Chromium.

Built from a hand-made city summary (three square districts, a coarse coverage aggregate), so no run is needed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from test_map import XSS_NAME
from test_map_browser import ARTIFACTS, TAG_JS, Browser, check_page, require_chromium

from siteplan.city.overview_map import build_city_map, write_city_map
from siteplan.city.raster import CoarseShare
from siteplan.coverage import make_grid

CRS = "EPSG:4548"
X0, Y0 = 500_000.0, 4_330_000.0


class _Tile:
    def __init__(self, grid):
        self.row_off = self.col_off = 0
        self.inside = grid.inside


def _city(tmp_path):
    boxes = [shapely.box(X0 + i * 4000, Y0, X0 + (i + 1) * 4000, Y0 + 4000) for i in range(3)]
    outlines = gpd.GeoDataFrame({"code": ["120101", "120102", "120105"]}, geometry=boxes, crs=CRS)
    grid = make_grid(shapely.union_all(boxes), CRS, 100.0)
    agg = CoarseShare(grid, 5)
    n = grid.n_inside
    agg.add(_Tile(grid), np.arange(n) % 3 > 0, np.arange(n) % 4 == 0)
    nets = {"ctcu": {"name_zh": "电信联通", "short_zh": "电信联通", "sites": 120, "target_sites": 150,
                     "outdoor_share_alone": 0.91, "outdoor_share_city": 0.92, "removable_border_sites": 3,
                     "sites_bound": 117}}
    districts = []
    for i, (code, name) in enumerate((("120101", XSS_NAME), ("120102", "河东区"), ("120105", "河北区"))):
        districts.append({"code": code, "name_zh": name, "area_km2": 16.0, "progress": ["met", "sites", "short"][i],
                          "networks": {"ctcu": {"sites": 40, "target_sites": 50, "outdoor_share_alone": 0.9 - i / 5,
                                                "outdoor_share_city": 0.91 - i / 5}}})
    summary = {"city": {"name": "tj3", "name_zh": "天津市", "sample_data": True}, "networks": nets,
               "districts": districts, "overview_resolution_m": 500.0}
    links = {"120101": "districts/120101", "120102": "districts/120102", "120105": "../../etc"}
    m = build_city_map(summary, outlines, aggregates={"ctcu": agg}, crs=CRS, links=links)
    return write_city_map(m, tmp_path / "city_map.html")


def test_city_map_is_small_offline_and_links_only_safe_folders(tmp_path):
    path = _city(tmp_path)
    html = path.read_text(encoding="utf-8")
    assert path.stat().st_size < 500_000
    assert XSS_NAME not in html  # only ever as escaped data for textContent
    assert "districts\\/120101\\/coverage_map.html" in html
    assert "etc\\/coverage_map.html" not in html  # a folder name that leaves the city folder is not linked
    assert "data:image/png;base64," in html


@pytest.mark.browser
def test_city_map_in_headless_chromium(tmp_path):
    chromium = require_chromium()
    path = _city(tmp_path)
    with Browser(chromium) as b:
        fig = check_page(b, path, ["区县 Districts"], "city_map_synthetic.png")
        assert any(XSS_NAME in t for t in fig["popup_texts"])  # shown, as text
        assert b.evaluate(TAG_JS)["visible"] == [True] * 3  # the title's sample tag, uncovered
        links = b.evaluate("Array.from(document.querySelectorAll('#sp-city-districts a'))"
                           ".map(function (a) { return a.getAttribute('href'); })")
        assert links == ["districts/120101/coverage_map.html", "districts/120102/coverage_map.html"]
        b.evaluate("siteplanSetCityMode('progress')")
        assert b.evaluate("document.querySelectorAll('.leaflet-image-layer').length") == 0
        b.evaluate("siteplanSetCityMode('cov:ctcu')")
        assert b.evaluate("document.querySelectorAll('.leaflet-image-layer').length") == 1
        b.screenshot(ARTIFACTS / "city_map_synthetic_coverage.png")
        assert b.console_errors() == []
