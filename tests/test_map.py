"""Structural tests of the HTML coverage map (rendered HTML asserted on, as geopandas tests ``explore``).

The district here is synthetic: small GeoDataFrames built in code in the working CRS (EPSG:4548, CGCS2000 GK CM
117E) around Hedong, held in a SimpleNamespace with the District contract's attributes.
"""

from __future__ import annotations

import base64
import html as htmlmod
import io
import json
import re
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine

from siteplan.config import DistrictConfig, DistrictInfo, GoalConfig, LayerSpec, NetworkConfig, RadioConfig, Target
from siteplan.crs import convert, wgs84_to_gcj02
from siteplan.errors import ConfigError
from siteplan.maps import (
    LAYER_LABELS,
    SAMPLE_NOTICE,
    OfflineAssetError,
    build_map,
    check_offline,
    write_map,
)
from siteplan.maps.coverage_map import render_map
from siteplan.maps.escape import js_json
from siteplan.maps.layers import (
    _affine,
    encode_png_indexed,
    rsrp_bands,
    rsrp_palette_index,
    warp_to_web_mercator,
)
from siteplan.maps.offline import asset_manifest, read_asset

CRS = "EPSG:4548"
CENTRE_WGS84 = (117.245, 39.12)
XSS_NAME = "<img src=x onerror=window.__xss=1>"
TEMPLATE_NAME = "${window.__tpl=1}{{ 7*7 }}</script><script>window.__xss2=1</script>"


def _xy(lon, lat):
    return convert(np.asarray(lon, float), np.asarray(lat, float), "WGS84", CRS)


def _points(n, rng, half_m=1800.0):
    cx, cy = _xy(*CENTRE_WGS84)
    return gpd.points_from_xy(cx + rng.uniform(-half_m, half_m, n), cy + rng.uniform(-half_m, half_m, n), crs=CRS)


def make_district(*, n_poles=300, n_candidates=24, sample=True, seed=7):
    """A small District-like object: every layer of the contract, in the working CRS."""
    rng = np.random.default_rng(seed)
    cx, cy = _xy(*CENTRE_WGS84)
    box = shapely.box(cx - 2000, cy - 2000, cx + 2000, cy + 2000)
    west, east = shapely.box(cx - 2000, cy - 2000, cx, cy + 2000), shapely.box(cx, cy - 2000, cx + 2000, cy + 2000)
    g = lambda geoms, **cols: gpd.GeoDataFrame(cols, geometry=list(geoms) if not isinstance(geoms, gpd.array.GeometryArray) else geoms, crs=CRS)
    cand_names = [f"候选{i}" for i in range(n_candidates)]
    cand_names[0] = XSS_NAME
    cand_names[1] = TEMPLATE_NAME
    statuses = np.array(["compliant", "conditional", "non_compliant"])[np.arange(n_candidates) % 3]
    kinds = np.array(["street_lamp", "street_lamp", "monitoring"])[np.arange(n_poles) % 3]
    layers = {
        "boundary": g([box], name=["测试区 Test district"]),
        "subdistricts": g([west, east], code=["120102001", "120102002"], name=["西街道", "东街道"],
                          approximate=[True, True]),
        "existing_sites": g(_points(6, rng), site_id=[f"E{i}" for i in range(6)],
                            name=[f"现网{i}" for i in range(6)], operator="china_unicom", band="n78",
                            site_type="macro",
                            height_m=30.0, power_supply="direct"),
        "candidates": g(_points(n_candidates, rng), site_id=[f"C{i:03d}" for i in range(n_candidates)],
                        name=cand_names, operator="china_unicom", band="n78", site_type="micro",
                        mount="street_lamp",
                        height_m=10.0, power_supply="unknown", pole_id="", responsible_unit="区城管委",
                        eirp_dbm=50.0),
        "poles": g(_points(n_poles, rng), pole_id=[f"P{i:05d}" for i in range(n_poles)], kind=kinds,
                   height_m=9.0, owner="区城管委", power_w=np.nan),
        "plan_sites": g(_points(3, rng), plan_id=["PL1", "PL2", "PL3"], site_type="macro",
                        ring_radius_m=[100.0, 150.0, 200.0], name=["规划1", "规划2", "规划3"]),
        "plan_zones": g([shapely.box(cx - 1900, cy - 1900, cx - 1500, cy - 1500).buffer(0),
                         shapely.box(cx + 1000, cy + 1000, cx + 1600, cy + 1500)],
                        zone_id=["Z1", "Z2"], category=["prohibited", "restricted"], name=["禁建区", "限建区"],
                        reason=["机场净空", "文物保护"]),
        "public_facilities": g(_points(5, rng), facility_id=[f"F{i}" for i in range(5)],
                               name=[f"设施{i}" for i in range(5)], kind="government", free_access=True),
        "hotspots": g(list(_points(2, rng)) + [shapely.Point(cx, cy).buffer(150)],
                      hotspot_id=["H1", "H2", "H3"], scenario=["healthcare", "education", "commercial"],
                      name=["医院", "学校", "商圈"], weight=[3.0, 2.0, 1.0], receptor=["hospital", "school", ""]),
    }
    cfg = DistrictConfig(
        district=DistrictInfo(name="Test", name_zh="测试区", code="120102", working_crs=CRS, sample=sample),
        targets=(Target(id="p2020", sites=150, due="2020-12", label="basic", label_zh="基本覆盖",
                        goal=GoalConfig(share=0.9)),
                 Target(id="p2022", sites=773, due="2022-12", label="full", label_zh="全面覆盖",
                        goal=GoalConfig(share=0.98))),
        networks={"ctcu": NetworkConfig(name="CT+CU", name_zh="电信联通", short_zh="电信联通",
                                        operators=("china_telecom", "china_unicom"), bands=("n78",),
                                        share={"p2020": 0.5, "p2022": 0.5}),
                  "cm": NetworkConfig(name="CM", name_zh="中国移动", short_zh="移动", operators=("china_mobile",),
                                      bands=("n41",), share={"p2020": 0.5, "p2022": 0.5})},
        layers={"boundary": LayerSpec(file="boundary.geojson", frame="WGS84")},
        radio=RadioConfig(rsrp_threshold_dbm=-105.0),
    )
    cands = layers["candidates"].copy()
    cands["status"] = statuses
    cands["reasons"] = np.where(statuses == "compliant", "", "IN_RESTRICTED_ZONE")
    cands["reasons_zh"] = np.where(statuses == "compliant", "", "位于限建区")
    cands["reasons_en"] = np.where(statuses == "compliant", "", "inside a restricted zone")
    cands["reuse_kind"] = "street_lamp"
    cands["reuse_distance_m"] = np.nan
    cands["free_access"] = False
    district = SimpleNamespace(
        config=cfg, crs=CRS, layers=layers, boundary=box, area_km2=box.area / 1e6, sample=sample,
        input_hashes={}, root=Path("."), name="Test",
    )
    return district, cands


def make_coverage(district, res_m=20.0, *, offset_db=0.0):
    """A synthetic CoverageResult: RSRP falling with distance from the centre, NaN outside the district; SINR
    below -3 dB in a ring, so the SINR-limited colour occurs."""
    minx, miny, maxx, maxy = district.boundary.bounds
    w, h = int((maxx - minx) / res_m), int((maxy - miny) / res_m)
    transform = Affine(res_m, 0, minx, 0, -res_m, maxy)
    cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    x, y = _affine(transform, cols, rows)
    d = np.hypot(x - (minx + maxx) / 2, y - (miny + maxy) / 2)
    rsrp = (-60.0 - d / 40.0 + offset_db).astype(np.float32)
    inside = shapely.contains_xy(district.boundary, x, y)
    rsrp[~inside] = np.nan
    sinr = np.where((d > 800) & (d < 900), -6.0, 8.0).astype(np.float32)
    sinr[~inside] = np.nan
    grid = SimpleNamespace(transform=transform, crs=CRS, shape=(h, w), inside=inside, cell_area_m2=res_m * res_m)
    return SimpleNamespace(grid=grid, rsrp_dbm=rsrp, indoor_rsrp_dbm=rsrp - 15.0, sinr_db=sinr,
                           covered=(rsrp >= -105) & (sinr >= -3), indoor_covered=(rsrp - 15 >= -105) & (sinr >= -3),
                           figures={}, sectors=SimpleNamespace(n_sites=3))


def make_plan(district):
    """A plan-like result: two networks, two phases each."""
    res = {key: {"p2020": make_coverage(district, offset_db=off), "p2022": make_coverage(district, offset_db=off + 5)}
           for key, off in (("ctcu", 0.0), ("cm", -3.0))}
    return SimpleNamespace(grid=res["ctcu"]["p2020"].grid, results=res, search_requests=None)


def make_gaps(district):
    cx, cy = district.boundary.centroid.coords[0]
    return gpd.GeoDataFrame(
        {"gap_id": ["G1"], "network": ["ctcu"], "area_m2": [40000.0], "subdistrict": ["东街道"],
         "hotspots": [["H2", "H3"]],
         "nearest_candidates": [["C001", "C002"]], "score": [1.5]},
        geometry=[shapely.box(cx + 1700, cy + 1700, cx + 1900, cy + 1900)], crs=CRS)


def make_selected(district, cands):
    sel = cands.iloc[:4][["site_id", "name", "geometry"]].copy()
    sel["phase"] = ["p2020", "p2020", "p2022", "p2022"]
    sel["rank"] = [1, 2, 3, 4]
    sel["marginal_gain_m2"] = [1e5, 8e4, 5e4, 2e4]
    sel["cost_cny"] = 120000.0
    sel["reuse_kind"] = "street_lamp"
    sel["build_kind"] = "pole"
    sel["subdistrict"] = "东街道"
    sel["responsible_unit"] = "区城管委"
    sel["site_type"] = "micro"
    sel["network"] = ["ctcu", "ctcu", "cm", "cm"]
    return gpd.GeoDataFrame(sel, geometry="geometry", crs=CRS)


def make_requests(district):
    cx, cy = district.boundary.centroid.coords[0]
    return gpd.GeoDataFrame({"request_id": ["REQ-CM-p2022-001"], "network": ["cm"], "phase": ["p2022"],
                             "kind": ["area"], "site_type": ["macro"], "priority": [1], "radius_m": [120.0],
                             "subdistrict": ["东街道"], "hotspot_id": [""], "reason": ["no candidate covers"]},
                            geometry=[shapely.Point(cx - 1500, cy + 1500).buffer(120)], crs=CRS)


def _net_phase(sites, target, out, ind, share, met):
    return {"id": "", "sites": sites, "target_sites": target,
            "coverage": {"outdoor": {"covered_share": out}, "indoor": {"covered_share": ind}},
            "goal": {"met": met, "area_share": share, "goal": {"share": 0.9, "layer": "outdoor", "area": "district"},
                     "why": [] if met else ["too few sites"]}}


SUMMARY = {
    "check": {"by_status": {"compliant": 8, "conditional": 8, "non_compliant": 8}, "reuse": {"ratio": 0.4167},
              "candidates": 24},
    "plan": {
        "networks": {
            "ctcu": {"phases": [_net_phase(75, 75, 0.8123, 0.4571, 0.9031, True),
                                _net_phase(386, 387, 0.9412, 0.61, 0.9412, False)]},
            "cm": {"phases": [_net_phase(75, 75, 0.71, 0.35, 0.8, False),
                              _net_phase(386, 386, 0.999923, 0.6, 0.999923, True)]},
        },
        "phases": [
            {"id": "p2020", "sites": 150, "target_sites": 150, "goal_met_all_networks": False,
             "views": {"outdoor": {"every_network": 0.66, "any_network": 0.9},
                       "indoor": {"every_network": 0.2, "any_network": 0.5}}},
            {"id": "p2022", "sites": 772, "target_sites": 773, "goal_met_all_networks": False,
             "views": {"outdoor": {"every_network": 0.93, "any_network": 0.99},
                       "indoor": {"every_network": 0.5, "any_network": 0.7}}},
        ],
        "money": {"award": {"award_cny": 3000000.0}, "tco_cny": 4.3e8, "horizon_years": 10,
                  "savings": {"total": {"free_public_property_cny_per_year": 1620000.0,
                                        "direct_supply_cny_per_year": 3405888.0,
                                        "retrofit_potential_cny_per_year": 2764918.8,
                                        "total_cny_horizon": 50258880.0}}},
        "sharing": {"share_ratio": 0.1113},
        "search_requests": {"count": 1},
        "gaps": {"count": 1},
    },
}


def full_map(**kw):
    district, cands = make_district(**{k: kw.pop(k) for k in ("n_poles", "sample") if k in kw})
    m = build_map(district, candidates=cands, plan=make_plan(district), gaps=make_gaps(district),
                  selected=make_selected(district, cands), search_requests=make_requests(district), summary=SUMMARY,
                  **kw)
    return m, district, cands


@pytest.fixture(scope="module")
def rendered():
    m, district, cands = full_map()
    return render_map(m), m, district, cands


def _control_names(html):
    """Overlay names in the layer control (folium writes them as JSON strings)."""
    block = re.search(r"overlays :  \{(.*?)\},\s*\};", html, re.DOTALL).group(1)
    return [json.loads(s) for s in re.findall(r'^\s*("(?:[^"\\]|\\.)*") :', block, re.MULTILINE)]


def _layer_calls(html):
    """(data, spec) of every siteplanLayer(...) call in the page."""
    out = []
    for mo in re.finditer(r"siteplanLayer\((\{.*?\}), (\{.*?\})\);\n", html):
        out.append((json.loads(mo.group(1)), json.loads(mo.group(2))))
    return out


# ------------------------------------------------------------------------------------------------ layers

def test_layer_control_lists_every_layer_chinese_first(rendered):
    html = rendered[0]
    expected = [LAYER_LABELS[k] for k in (
        "boundary", "subdistricts", "existing_sites", "candidates", "street_lamps", "monitoring_poles", "plan_zones",
        "plan_sites", "hotspots", "public_facilities")]
    names = _control_names(html)
    assert set(expected) <= set(names)
    assert "其他杆 Other poles" not in names  # no pole of kind "other": no empty layer
    # Per-network results are switched with the network, not listed in the layer control.
    for key in ("gaps", "selected", "search_requests"):
        assert LAYER_LABELS[key] not in names
    for n in names:
        assert re.match(r"^[\u4e00-\u9fff]", n), n  # Chinese first, English after
        assert re.search(r"[A-Za-z]", n), n


def test_network_switch_shows_one_network_at_a_time(rendered):
    html = rendered[0]
    call = re.search(r"siteplanNetworkSwitch\((\w+), \{networks: \[(.*?)\], phases: (.*?), initial: (.*?)\}\);",
                     html, re.DOTALL)
    assert call, "no network switch in the page"
    body = call.group(2)
    assert '"ctcu"' in body and '"cm"' in body
    # Every raster variable the switch names is defined in the page, two per phase and network.
    names = re.findall(r"(?:outdoor|indoor): (\w+)", body)
    assert len(names) == 2 * 2 * 2
    for n in names:
        assert f"var {n} = L.imageOverlay(" in html
    assert json.loads(call.group(4))["network"] == "ctcu"
    assert [p["id"] for p in json.loads(call.group(3))] == ["p2020", "p2022"]


def test_no_awesome_markers_bootstrap_or_jquery(rendered):
    html = rendered[0]
    for word in ("AwesomeMarkers", "bootstrap", "jquery", "font-awesome", "fontawesome", "<link"):
        assert word.lower() not in html.lower(), word


def test_candidates_coloured_by_status_with_reasons(rendered):
    html, _m, _district, cands = rendered
    calls = {spec["layerLabel"]: (data, spec) for data, spec in _layer_calls(html)}
    data, spec = calls[LAYER_LABELS["candidates"]]
    assert spec["styleBy"] == "status"
    assert set(spec["styles"]) >= {"compliant", "conditional", "non_compliant"}
    assert len({spec["styles"][s]["fillColor"] for s in ("compliant", "conditional", "non_compliant")}) == 3
    assert data["p"]["status"] == cands["status"].tolist()
    assert "位于限建区" in data["p"]["reasons_zh"]
    assert ["reasons_zh", "原因 Reasons"] in spec["fields"]


def test_poles_are_canvas_points_not_dom_markers():
    m, _district, _ = full_map(n_poles=4000)
    html = render_map(m)
    assert "preferCanvas" in html and '"preferCanvas": true' in html
    assert "L.marker(" not in html and "new L.Marker" not in html
    calls = {spec["layerLabel"]: data for data, spec in _layer_calls(html)}
    lamps, mon = calls[LAYER_LABELS["street_lamps"]], calls[LAYER_LABELS["monitoring_poles"]]
    assert len(lamps["c"]) + len(mon["c"]) == 4000
    per_pole = len(html.encode()) / 4000
    assert per_pole < 400  # a few dozen bytes of columnar data each, whole page included


def test_coordinates_rounded_to_1e6_degrees(rendered):
    html = rendered[0]
    for data, _ in _layer_calls(html):
        for lon, lat in data.get("c", []):
            assert round(lon, 6) == lon and round(lat, 6) == lat
    assert not re.search(r"\d\.\d{7,}\b", "".join(json.dumps(d) for d, _ in _layer_calls(html)))


def test_selected_sites_by_phase_and_plan_rings(rendered):
    html = rendered[0]
    calls = {}
    for data, spec in _layer_calls(html):
        calls.setdefault(spec["layerLabel"], []).append((data, spec))
    sel = calls[LAYER_LABELS["selected"]]
    assert len(sel) == 2  # one per network
    spec = sel[0][1]
    assert spec["styleBy"] == "phase" and {"p2020", "p2022"} <= set(spec["styles"])
    assert spec["styles"]["p2020"]["fillColor"] != spec["styles"]["p2022"]["fillColor"]
    assert sorted(d["p"]["network"][0] for d, _ in sel) == ["cm", "ctcu"]
    pdata, pspec = calls[LAYER_LABELS["plan_sites"]][0]
    assert pspec["ring"] == "ring_radius_m" and pdata["p"]["ring_radius_m"] == [100.0, 150.0, 200.0]
    gdata, _ = calls[LAYER_LABELS["gaps"]][0]
    assert gdata["p"]["hotspots"] == ["H2; H3"] and gdata["g"][0]["type"] == "Polygon"
    rdata, _ = calls[LAYER_LABELS["search_requests"]][0]
    assert rdata["p"]["request_id"] == ["REQ-CM-p2022-001"] and rdata["p"]["network"] == ["cm"]


# ------------------------------------------------------------------------------------------------ raster

def test_rsrp_palette_bands_and_threshold():
    edges = rsrp_bands(-105.0)
    assert edges == [-70.0, -80.0, -90.0, -100.0, -105.0]
    v = np.array([[np.nan, -120.0, -105.0, -104.9, -100.0, -65.0]])
    assert rsrp_palette_index(v, edges).tolist() == [[0, 1, 2, 2, 3, 6]]
    assert rsrp_bands(-90.0) == [-70.0, -80.0, -90.0]


def test_png_is_indexed_with_alpha_and_decodes():
    from PIL import Image

    idx = np.array([[0, 1], [2, 1]], dtype=np.uint8)
    png = encode_png_indexed(idx, [(0, 0, 0, 0), (255, 0, 0, 150), (0, 255, 0, 190)])
    img = Image.open(io.BytesIO(png)).convert("RGBA")
    assert img.size == (2, 2)
    assert img.getpixel((0, 0))[3] == 0 and img.getpixel((1, 0)) == (255, 0, 0, 150)
    assert img.getpixel((0, 1)) == (0, 255, 0, 190)


def test_raster_overlay_is_mercator_aligned_png_with_transparency(rendered):
    from PIL import Image

    html = rendered[0]
    imgs = re.findall(r'L\.imageOverlay\(\s*"data:image/png;base64,([A-Za-z0-9+/=]+)",\s*(\[\[.*?\]\])', html, re.DOTALL)
    assert len(imgs) == 8  # two networks x two phases x outdoor and indoor
    png = base64.b64decode(imgs[0][0])
    img = Image.open(io.BytesIO(png)).convert("RGBA")
    alpha = np.asarray(img)[..., 3]
    assert (alpha == 0).any() and (alpha > 0).any()
    bounds = json.loads(imgs[0][1])
    (s, w), (n, e) = bounds
    # The image's pixel rows are evenly spaced in Web Mercator y, so height/width = dy/dx in Mercator metres.
    (x0, x1), (y0, y1) = convert(np.array([w, e]), np.array([s, n]), "WGS84", "EPSG:3857")
    assert img.size[1] / img.size[0] == pytest.approx((y1 - y0) / (x1 - x0), rel=0.02)
    assert "mercator_project" not in html


def test_warp_keeps_centre_value_at_its_lonlat():
    district, _ = make_district(n_poles=3)
    cov = make_coverage(district)
    out, bounds = warp_to_web_mercator(cov.rsrp_dbm, cov.grid.transform, CRS, "WGS84")
    (s, w), (n, e) = bounds
    (mx0, mx1), (my0, my1) = convert(np.array([w, e]), np.array([s, n]), "WGS84", "EPSG:3857")
    # A source cell 500 m east and 300 m north of the grid's corner: same value at its lon/lat in the output.
    col, row = 25, 60
    x, y = _affine(cov.grid.transform, col + 0.5, row + 0.5)
    lon, lat = convert(x, y, CRS, "WGS84")
    mx, my = convert(lon, lat, "WGS84", "EPSG:3857")
    oc = int((mx - mx0) / (mx1 - mx0) * out.shape[1])
    orow = int((my1 - my) / (my1 - my0) * out.shape[0])
    assert out[orow, oc] == pytest.approx(float(cov.rsrp_dbm[row, col]), abs=0.6)


def test_legend_shows_bands_and_threshold(rendered):
    html = rendered[0]
    legend = re.search(r'<div class="sp-panel sp-legend".*?</details></div>', html, re.DOTALL).group(0)
    assert 'data-threshold-dbm="-105"' in legend
    assert [float(x) for x in re.findall(r'data-band-min="([-\d.]+)"', legend)] == [-70, -80, -90, -100, -105]
    assert "未覆盖 not covered" in legend and "interference-limited" in legend
    # the KPI line names all three conditions of the joint KPI, the uplink's edge rate included
    assert "SINR ≥ -3 dB" in legend and "上行 ≥ 1 Mbit/s" in legend


def test_every_overlay_has_its_legend_block(rendered):
    html = rendered[0]
    blocks = set(htmlmod.unescape(b) for b in re.findall(r'class="sp-legend-block" data-layer="([^"]+)"', html))
    overlays = {spec["layerLabel"] for _, spec in _layer_calls(html)}
    assert overlays <= blocks, overlays - blocks
    assert "coverage" in blocks


def test_sinr_limited_cells_have_their_own_colour(rendered):
    from PIL import Image

    from siteplan.maps.layers import RSRP_BELOW_COLOUR, SINR_LIMITED_COLOUR

    html = rendered[0]
    png = base64.b64decode(re.search(r'L\.imageOverlay\(\s*"data:image/png;base64,([A-Za-z0-9+/=]+)"', html).group(1))
    rgb = {tuple(px[:3]) for px in np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).reshape(-1, 4) if px[3]}
    hexes = {"#%02x%02x%02x" % c for c in rgb}
    assert SINR_LIMITED_COLOUR in hexes and RSRP_BELOW_COLOUR in hexes


# ------------------------------------------------------------------------------------------------ summary

def _flatten(d, prefix=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}{k}."))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out.update(_flatten(v, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = d
    return out


def test_summary_panel_figures_equal_summary_json(rendered):
    html = rendered[0]
    panel = re.search(r'<div class="sp-panel sp-summary".*?</details></div>', html, re.DOTALL).group(0)
    cells = re.findall(r'data-key="([^"]+)" data-value="([^"]*)"', panel)
    flat = _flatten(SUMMARY)
    assert len(cells) >= 2 * 2 * 6 + 2 * 7 + 10
    for key, raw in cells:
        assert json.loads(htmlmod.unescape(raw)) == flat[key], key
    for key in ("plan.networks.cm.phases.1.coverage.outdoor.covered_share", "plan.networks.ctcu.phases.0.goal.met",
                "plan.phases.1.views.outdoor.every_network", "plan.phases.0.views.indoor.any_network",
                "plan.money.award.award_cny", "plan.money.savings.total.free_public_property_cny_per_year",
                "plan.money.savings.total.direct_supply_cny_per_year", "plan.sharing.share_ratio",
                "check.by_status.non_compliant", "check.reuse.ratio"):
        assert f'data-key="{key}"' in panel, key
    assert "81.2%" in panel and "99.99%" in panel and "100.0%" not in panel  # never rounded up to 100 %


def test_sample_notice_only_for_sample_data():
    html = render_map(full_map(n_poles=3, sample=True)[0])
    assert SAMPLE_NOTICE in html
    # The title never folds away: it carries the sample tag too.
    assert re.search(r'<div class="sp-title" id="sp-title">[^<]*<span class="sp-sample" id="sp-title-sample">'
                     r"样例数据 SAMPLE</span></div>", html)
    html = render_map(full_map(n_poles=3, sample=False)[0])
    assert SAMPLE_NOTICE not in html and "sp-title-sample" not in html


def test_map_without_results_draws_raw_candidates_unchecked():
    district, _ = make_district(n_poles=3)
    html = render_map(build_map(district))
    calls = {spec["layerLabel"]: data for data, spec in _layer_calls(html)}
    assert set(calls[LAYER_LABELS["candidates"]]["p"]["status"]) == {"unchecked"}
    assert "L.imageOverlay(" not in html
    assert 'id="sp-summary"' in html


# ------------------------------------------------------------------------------------------------ safety

def test_input_strings_are_escaped_in_script_and_markup(rendered):
    html = rendered[0]
    assert XSS_NAME not in html
    assert "<img src=x" not in html
    assert "</script><script>window.__xss2" not in html
    # The names are still there, as escaped JSON text the page writes with textContent.
    assert js_json(XSS_NAME) in html
    js = Path(__import__("siteplan.maps", fromlist=["x"]).__file__).with_name("assets") / "siteplan_map.js"
    code = re.sub(r"/\*.*?\*/", "", js.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert "innerHTML" not in code and "`" not in code and "eval(" not in code


def test_jinja_and_template_syntax_in_input_stays_text():
    district, cands = make_district(n_poles=3)
    district.config = district.config.__class__(
        **{**district.config.__dict__,
           "district": DistrictInfo(name="{{ 7*7 }}", name_zh="<b>${x}</b>", working_crs=CRS, sample=True)})
    html = render_map(build_map(district, candidates=cands, summary={"check": {"by_status": {"<i>x</i>": 1}}}))
    assert "{{ 7*7 }}" in html and ">49<" not in html
    assert "<b>${x}</b>" not in html and "&lt;b&gt;${x}&lt;/b&gt;" in html
    assert "<i>x</i>" not in html and "&lt;i&gt;x&lt;/i&gt;" in html


def test_long_names_are_cut_for_display_and_say_so():
    """Issue 13 item 9: a 100,000-character name once made a popup 50,000 px tall."""
    from siteplan.maps.layers import MAX_DISPLAY_CHARS

    district, cands = make_district(n_poles=3)
    cands = cands.copy()
    cands.loc[cands.index[0], "name"] = "长" * 100_000
    html = render_map(build_map(district, candidates=cands))
    assert "长" * (MAX_DISPLAY_CHARS + 1) not in html
    assert "长" * MAX_DISPLAY_CHARS + "… (+99,800 characters, in full in the lists)" in html
    assert len(html.encode()) < 2_000_000


# ------------------------------------------------------------------------------------------------ offline

def test_rendered_map_has_no_external_reference(rendered):
    html = rendered[0]
    check_offline(html)  # does not raise
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]*)""", html)
    assert set(refs) <= {"https://leafletjs.com"}  # Leaflet's attribution link, followed only if clicked
    assert "leaflet.js.map" not in html
    assert "L.map(" in html and "Leaflet 1.9.3" in html  # inlined, from the xstatic package


@pytest.mark.parametrize("snippet", [
    '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>',
    '<link rel="stylesheet" href="leaflet.css"/>',
    '<style>@import url("//fonts.googleapis.com/css?family=x");</style>',
    '<style>.a{background:url(images/layers.png)}</style>',
    '<div style="background:url(http://evil.example/x.png)"></div>',
    '<script>var t = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png");</script>',
    '<img src="//evil.example/p.gif">',
])
def test_check_offline_fails_closed(snippet):
    page = f"<html><head></head><body>{snippet}</body></html>"
    with pytest.raises(OfflineAssetError):
        check_offline(page)


def test_check_offline_lets_chosen_basemap_tiles_through():
    page = '<script>L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png")</script>'
    check_offline(page, allowed_url_prefixes=("https://tile.openstreetmap.org/{z}/",))


def test_assets_match_manifest_hashes():
    names = {rec["name"] for rec in asset_manifest()}
    assert {"leaflet.js", "leaflet.css"} <= names
    for rec in asset_manifest():
        assert rec["licence"] and rec["version"] and rec["source"]["package"]
        assert len(read_asset(rec["name"])) > 0  # read_asset checks the sha256


# ------------------------------------------------------------------------------------------------ basemaps

def test_default_basemap_none_sets_max_zoom(rendered):
    html = rendered[0]
    assert "L.tileLayer" not in html
    assert '"maxZoom": 19' in html


def test_osm_basemap_tile_url_allowed_and_attributed():
    m, _, _ = full_map(n_poles=3, basemap="osm")
    html = render_map(m)
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    assert "OpenStreetMap contributors" in html


def test_tianditu_needs_key_and_uses_w_layers(monkeypatch):
    monkeypatch.delenv("SITEPLAN_TIANDITU_KEY", raising=False)
    with pytest.raises(ConfigError, match="SITEPLAN_TIANDITU_KEY"):
        full_map(n_poles=3, basemap="tianditu")
    monkeypatch.setenv("SITEPLAN_TIANDITU_KEY", "abc123")
    html = render_map(full_map(n_poles=3, basemap="tianditu")[0])
    assert "vec_w/wmts" in html and "cva_w/wmts" in html and "tk=abc123" in html


def test_unknown_basemap_is_refused():
    with pytest.raises(ConfigError, match="invalid basemap"):
        full_map(n_poles=3, basemap="bing")


def test_amap_basemap_shifts_every_overlay_into_gcj02():
    district, _cands = make_district(n_poles=3)
    # A known point: an existing site at WGS84 (117.25, 39.13).
    x, y = _xy(117.25, 39.13)
    district.layers["existing_sites"] = gpd.GeoDataFrame(
        {"site_id": ["K1"], "name": ["known"]}, geometry=gpd.points_from_xy([x], [y]), crs=CRS)
    plan = make_plan(district)
    wgs = render_map(build_map(district, plan=plan))
    gcj = render_map(build_map(district, plan=plan, basemap="amap"))
    assert "autonavi.com/appmaptile" in gcj
    glon, glat = wgs84_to_gcj02(117.25, 39.13)
    calls = {spec["layerLabel"]: data for data, spec in _layer_calls(gcj)}
    lon, lat = calls[LAYER_LABELS["existing_sites"]]["c"][0]
    assert lon == pytest.approx(float(glon), abs=2e-6) and lat == pytest.approx(float(glat), abs=2e-6)
    # ~500 m from its WGS84 position, which the plain map keeps.
    wlon, wlat = {s["layerLabel"]: d for d, s in _layer_calls(wgs)}[LAYER_LABELS["existing_sites"]]["c"][0]
    assert wlon == pytest.approx(117.25, abs=2e-6) and wlat == pytest.approx(39.13, abs=2e-6)
    assert 300 < np.hypot((lon - wlon) * 86000, (lat - wlat) * 111000) < 700
    # Boundary polygon and raster bounds shift by the same offset.
    b_w = {s["layerLabel"]: d for d, s in _layer_calls(wgs)}[LAYER_LABELS["boundary"]]["g"][0]["coordinates"][0][0]
    b_g = calls[LAYER_LABELS["boundary"]]["g"][0]["coordinates"][0][0]
    exp = wgs84_to_gcj02(*b_w)
    assert b_g[0] == pytest.approx(float(exp[0]), abs=2e-6) and b_g[1] == pytest.approx(float(exp[1]), abs=2e-6)
    rb_w = json.loads(re.search(r"L\.imageOverlay\(\s*\"[^\"]+\",\s*(\[\[.*?\]\])", wgs, re.DOTALL).group(1))
    rb_g = json.loads(re.search(r"L\.imageOverlay\(\s*\"[^\"]+\",\s*(\[\[.*?\]\])", gcj, re.DOTALL).group(1))
    d_lon = rb_g[0][1] - rb_w[0][1]
    d_lat = rb_g[0][0] - rb_w[0][0]
    off_lon, off_lat = np.asarray(wgs84_to_gcj02(rb_w[0][1], rb_w[0][0])) - np.array([rb_w[0][1], rb_w[0][0]])
    assert d_lon == pytest.approx(float(off_lon), abs=3e-4) and d_lat == pytest.approx(float(off_lat), abs=3e-4)


# ------------------------------------------------------------------------------------------------ writing

def test_write_map_atomic_and_refuses_remote_assets(tmp_path, monkeypatch):
    m, _, _ = full_map(n_poles=3)
    out = write_map(m, tmp_path / "coverage_map.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    m2, _, _ = full_map(n_poles=3)
    m2.default_js = [("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")]
    with pytest.raises(OfflineAssetError, match="cdn.jsdelivr.net"):
        write_map(m2, tmp_path / "bad.html")
    assert not (tmp_path / "bad.html").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["coverage_map.html"]  # no temp file left behind


def test_map_is_light(rendered):
    assert len(rendered[0].encode("utf-8")) < 1_000_000


# ------------------------------------------------------------------------------------------------ Hedong

HEDONG = Path(__file__).resolve().parents[1] / "data" / "districts" / "hedong"


def hedong_results():
    """Hedong through the real pipeline: check, coverage (per network, upgrade and pool) and the plan."""
    if not (HEDONG / "district.toml").exists():
        pytest.skip("Hedong district data not available")
    from siteplan.pipeline import RunContext, base_summary
    from siteplan.io import read_district
    import importlib
    import tempfile

    district = read_district(HEDONG)
    ctx = RunContext(district=district, out_dir=Path(tempfile.mkdtemp(prefix="sp-map-")),
                     summary=base_summary(district), progress=lambda it, **kw: it)
    for step in ("compliance", "coverage", "optimize", "evaluate"):
        importlib.import_module(f"siteplan.{step}.step").run(ctx)
    return district, ctx


@pytest.fixture(scope="module")
def hedong():
    district, ctx = hedong_results()
    r = ctx.results
    html = render_map(build_map(district, candidates=r["check"], plan=r["plan"], gaps=r["gaps"],
                                selected=r["optimize"], search_requests=r["plan"].search_requests,
                                summary=ctx.summary))
    return district, r["check"], ctx.summary, html, ctx


@pytest.mark.slow
def test_hedong_map_structure(hedong):
    district, checked, summary, html, ctx = hedong
    assert len(html.encode("utf-8")) < 5_000_000
    check_offline(html)
    calls = {}
    for data, spec in _layer_calls(html):
        calls.setdefault(spec["layerLabel"], []).append(data)
    for key, layer in (("candidates", "candidates"), ("existing_sites", "existing_sites"),
                       ("subdistricts", "subdistricts"), ("plan_zones", "plan_zones"), ("hotspots", "hotspots"),
                       ("public_facilities", "public_facilities"), ("plan_sites", "plan_sites")):
        n = len(district.layers[layer])
        if n:
            data = calls[LAYER_LABELS[key]][0]
            assert len(data.get("c", data.get("g", []))) == n, key
    poles = district.layers["poles"]
    assert len(calls[LAYER_LABELS["street_lamps"]][0]["c"]) == int((poles["kind"] == "street_lamp").sum())
    assert calls[LAYER_LABELS["candidates"]][0]["p"]["status"] == checked["status"].tolist()
    assert 'id="sp-legend"' in html and "siteplanNetworkSwitch(" in html
    # Each network's selected sites, gaps and search requests are drawn (with the network switch).
    n_sel = sum(len(d["c"]) for d in calls.get(LAYER_LABELS["selected"], []))
    assert n_sel == len(ctx.results["optimize"])
    n_gaps = sum(len(d["g"]) for d in calls.get(LAYER_LABELS["gaps"], []))
    assert n_gaps == summary["plan"]["gaps"]["count"]
    n_req = sum(len(d["g"]) for d in calls.get(LAYER_LABELS["search_requests"], []))
    assert n_req == summary["plan"]["search_requests"]["count"]
    assert (SAMPLE_NOTICE in html) == bool(district.sample)
    panel = re.search(r'<div class="sp-panel sp-summary".*?</details></div>', html, re.DOTALL).group(0)
    flat = _flatten(summary)
    cells = re.findall(r'data-key="([^"]+)" data-value="([^"]*)"', panel)
    assert {k for k, _ in cells} >= {f"check.by_status.{s}" for s in ("compliant", "conditional", "non_compliant")} | {
        "plan.money.savings.total.free_public_property_cny_per_year",
        "plan.money.savings.total.direct_supply_cny_per_year", "check.reuse.ratio"}
    for key, raw in cells:
        assert json.loads(htmlmod.unescape(raw)) == flat[key], key


@pytest.mark.slow
def test_hedong_known_site_lands_on_its_gcj02_position_under_amap(hedong):
    district, checked, _summary, _, _ctx = hedong
    html = render_map(build_map(district, candidates=checked, basemap="amap"))
    site = district.layers["existing_sites"].iloc[0]
    lon, lat = convert(site.geometry.x, site.geometry.y, district.crs, "WGS84")
    glon, glat = wgs84_to_gcj02(lon, lat)
    drawn = {s["layerLabel"]: d for d, s in _layer_calls(html)}[LAYER_LABELS["existing_sites"]]["c"][0]
    assert drawn[0] == pytest.approx(float(glon), abs=2e-6) and drawn[1] == pytest.approx(float(glat), abs=2e-6)
