"""Coverage engine: agreement with the link budget, tiling independence, invariants, matrix, GeoTIFF."""

import dataclasses
import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteplan.config import RadioConfig
from siteplan.coverage import compute_coverage, coverage_matrix, make_grid, sectors_from_sites
from siteplan.coverage.engine import SectorSet
from siteplan.coverage.figures import coverage_figures, hotspot_coverage
from siteplan.coverage.networks import apply_kpi, write_network_tif
from siteplan.errors import RadioConfigError
from siteplan.io.raster import NODATA
from siteplan.radio import antenna, budgets
from siteplan.radio import linkbudget as lb

CRS = "EPSG:4548"
X0, Y0 = 520_000.0, 4_330_000.0


def _sites(xy, **cols):
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    data = {"site_id": [f"S{i}" for i in range(n)], "site_type": ["macro"] * n}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=shapely.points(xy[:, 0] + X0, xy[:, 1] + Y0), crs=CRS)


def _grid(size_m=1000.0, res=10.0, poly=None):
    poly = poly if poly is not None else shapely.box(X0, Y0, X0 + size_m, Y0 + size_m)
    return make_grid(poly, CRS, res)


def test_grid_is_aligned_and_masks_cell_centres():
    tri = shapely.Polygon([(X0 + 3, Y0 + 3), (X0 + 503, Y0 + 3), (X0 + 3, Y0 + 503)])
    g = _grid(poly=tri, res=10.0)
    assert g.transform.c % 10 == 0 and g.transform.f % 10 == 0
    x, y = g.cell_xy()
    assert shapely.contains_xy(tri, x, y).all()
    assert g.n_inside == pytest.approx(tri.area / 100.0, rel=0.03)


def test_rsrp_matches_link_budget_and_pattern():
    radio = RadioConfig()
    pos = [(300.0, 400.0), (700.0, 600.0), (500.0, 900.0)]
    types = ["macro", "micro", "macro"]
    rows = ["30;150;270", "", "90,200"]  # 3 and 2 sectors in one model group: the general path
    sites = _sites(pos, site_type=types, azimuths_deg=rows)
    g = _grid()
    res = compute_coverage(g, sites, radio, tile_size=16)
    x, y = g.cell_xy()
    # Reference: every sector computed with the public functions, float64, from each type's resolved preset.
    best = np.full(x.size, -np.inf)
    for (sx, sy), t, row in zip(pos, types, rows):
        p = radio.preset(t, "n78")
        az_list = [float(a) for a in row.replace(";", ",").split(",")] if row else list(p.azimuths_deg)
        dx, dy = x - (X0 + sx), y - (Y0 + sy)
        d = np.hypot(dx, dy)
        for az in az_list:
            pat = antenna.sector_pattern_db(
                antenna.bearing_deg(dx, dy) - az, antenna.depression_deg(d, p.height_m - 1.5),
                h_beamwidth_deg=p.h_beamwidth_deg, v_beamwidth_deg=p.v_beamwidth_deg, tilt_deg=p.tilt_deg,
                am_db=p.front_to_back_db, sla_v_db=p.sla_v_db,
            )
            best = np.maximum(best, lb.rsrp_dbm(d, preset=p, radio=radio, pattern_db=pat))
    got = res.rsrp_dbm.ravel()[g.cell_index]
    np.testing.assert_allclose(got, best, atol=2e-3)
    # Without a building map every cell is indoors too, in a generic building.
    np.testing.assert_allclose(res.indoor_rsrp_dbm.ravel()[g.cell_index],
                               best - budgets.reference_indoor_loss_db(radio, "n78"), atol=2e-3)
    assert np.isnan(res.rsrp_dbm[~g.inside]).all()
    # Same sites, uniform 3-sector macros (broadcast path).
    sites3 = _sites(pos[:1], site_type=["macro"])
    res3 = compute_coverage(g, sites3, radio)
    dx, dy = x - (X0 + 300.0), y - (Y0 + 400.0)
    d = np.hypot(dx, dy)
    p = radio.preset("macro", "n78")
    ref = np.max([lb.rsrp_dbm(d, preset=p, radio=radio, pattern_db=antenna.sector_pattern_db(
        antenna.bearing_deg(dx, dy) - az, antenna.depression_deg(d, 28.5), h_beamwidth_deg=p.h_beamwidth_deg,
        v_beamwidth_deg=p.v_beamwidth_deg, tilt_deg=p.tilt_deg, am_db=p.front_to_back_db, sla_v_db=p.sla_v_db))
        for az in (0.0, 120.0, 240.0)], axis=0)
    np.testing.assert_allclose(res3.rsrp_dbm.ravel()[g.cell_index], ref, atol=2e-3)


def _omni_micro(radio: RadioConfig, **changes) -> RadioConfig:
    """``radio`` with an omni micro of 5 dBi (an omni with a 30 deg vertical beam has at most 5.6 dBi)."""
    p = dataclasses.replace(radio.site_types["micro"], azimuths_deg=(), h_beamwidth_deg=360.0, antenna_gain_dbi=5.0)
    return dataclasses.replace(radio, site_types={**radio.site_types, "micro": p}, **changes)


def test_single_site_sinr_is_rsrp_over_noise():
    radio = _omni_micro(RadioConfig())
    res = compute_coverage(_grid(400.0), _sites([[200.0, 200.0]], site_type=["micro"]), radio)
    noise = lb.noise_per_re_dbm("n78", noise_figure_db=radio.noise_figure_db)
    inside = res.grid.inside
    np.testing.assert_allclose(res.sinr_db[inside], res.rsrp_dbm[inside] - noise, atol=1e-3)
    assert (res.server[inside] == 0).all()


@pytest.mark.parametrize(("load", "sinr_db"), [(1.0, 0.0), (0.5, 10 * math.log10(2.0)), (0.25, 10 * math.log10(4.0))])
def test_two_equal_sites_on_the_bisector_give_the_neighbour_load_as_sinr(load, sinr_db):
    """S / (load x I) with S = I: 0 dB fully loaded, +3.01 dB at half load (noise ~40 dB below the signal)."""
    radio = _omni_micro(RadioConfig(), noise_figure_db=0.0, neighbour_load=load)
    res = compute_coverage(_grid(400.0, 10.0), _sites([[105.0, 205.0], [305.0, 205.0]], site_type=["micro"] * 2),
                           radio)
    r, c, _ = res.grid.rowcol(X0 + 205.0, Y0 + 105.0)
    assert float(res.sinr_db[r, c]) == pytest.approx(sinr_db, abs=0.2)


def test_tiling_does_not_change_the_result():
    radio = RadioConfig()
    rng = np.random.default_rng(3)
    sites = _sites(rng.uniform(0, 1000, (12, 2)), site_type=list(rng.choice(["macro", "micro", "indoor"], 12)))
    g = _grid(res=20.0)
    a = compute_coverage(g, sites, radio, tile_size=5, max_reach_m=600.0, block_pairs=5_000)
    b = compute_coverage(g, sites, radio, tile_size=64, max_reach_m=600.0)
    for f in ("rsrp_dbm", "indoor_rsrp_dbm", "server", "server_sector"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    np.testing.assert_allclose(a.sinr_db, b.sinr_db, atol=1e-4)


def test_reach_limits_evaluation():
    radio = RadioConfig()
    res = compute_coverage(_grid(1000.0, 20.0), _sites([[0.0, 0.0]]), radio, max_reach_m=300.0)
    x, y = res.grid.cell_xy()
    far = np.hypot(x - X0, y - Y0) > 300.0
    assert np.isneginf(res.rsrp_dbm.ravel()[res.grid.cell_index][far]).all()
    assert (res.server.ravel()[res.grid.cell_index][far] == -1).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    xy=st.lists(st.tuples(st.floats(-200, 1200), st.floats(-200, 1200)), min_size=0, max_size=5),
    new=st.tuples(st.floats(-200, 1200), st.floats(-200, 1200)),
    types=st.lists(st.sampled_from(["macro", "micro", "indoor"]), min_size=6, max_size=6),
)
def test_adding_a_site_never_lowers_rsrp_or_coverage(xy, new, types):
    radio = RadioConfig()
    g = _grid(1000.0, 25.0)
    before = _sites(xy, site_type=types[: len(xy)]) if xy else _sites(np.zeros((0, 2)))
    after = _sites(list(xy) + [new], site_type=types[: len(xy) + 1])
    a = compute_coverage(g, before, radio, max_reach_m=800.0)
    b = compute_coverage(g, after, radio, max_reach_m=800.0)
    ins = g.inside
    assert (b.rsrp_dbm[ins] >= a.rsrp_dbm[ins]).all()
    assert (b.indoor_rsrp_dbm[ins] >= a.indoor_rsrp_dbm[ins]).all()
    assert (b.covered >= a.covered).all() and (b.indoor_covered >= a.indoor_covered).all()


@pytest.mark.parametrize("site_type", ["micro", "macro"])
def test_one_omni_site_covers_the_disc_of_the_inverted_budget(site_type):
    base = RadioConfig()
    # An omni antenna (no pattern) and a deterministic LOS state, so the covered set is exactly a disc.
    p = dataclasses.replace(base.site_types[site_type], azimuths_deg=())
    radio = dataclasses.replace(base, site_types={**base.site_types, site_type: p}, los_mode="nlos")
    r = float(lb.max_range_m(p, radio))
    half = math.ceil(r / 50.0) * 50.0 + 50.0
    g = make_grid(shapely.box(X0 - half, Y0 - half, X0 + half, Y0 + half), CRS, 2.0)
    res = compute_coverage(g, _sites([[0.0, 0.0]], site_type=[site_type]), radio, max_reach_m=2 * half)
    area = res.covered.sum() * g.cell_area_m2
    assert area == pytest.approx(math.pi * r * r, rel=0.02)


def test_coverage_matrix_columns_are_single_site_coverage():
    radio = RadioConfig()
    rng = np.random.default_rng(5)
    sites = _sites(rng.uniform(0, 1000, (6, 2)), site_type=["macro", "micro", "indoor", "micro", "macro", "micro"])
    g = _grid(res=20.0)
    m = coverage_matrix(g, sites, radio, tile_size=16)
    assert m.shape == (g.n_inside, 6) and m.dtype == bool
    # A site alone covers a cell where its RSRP clears the threshold and its uplink holds (no SINR test).
    for j in range(6):
        single = apply_kpi(compute_coverage(g, sites.iloc[[j]], radio), -math.inf)
        np.testing.assert_array_equal(m[:, j].toarray().ravel(), single.covered.ravel()[g.cell_index])
    full = compute_coverage(g, sites, radio)
    np.testing.assert_array_equal(np.asarray(m.sum(axis=1)).ravel() > 0, full.covered.ravel()[g.cell_index])
    mi = coverage_matrix(g, sites, radio, layer="indoor")
    np.testing.assert_array_equal(np.asarray(mi.sum(axis=1)).ravel() > 0,
                                  full.indoor_covered.ravel()[g.cell_index])


def test_unknown_band_and_bad_height_name_the_site():
    radio = RadioConfig()
    with pytest.raises(RadioConfigError, match="'S1'.*n99"):
        sectors_from_sites(_sites([[0, 0], [10, 10]], band=["n78", "n99"]), radio)
    with pytest.raises(RadioConfigError, match="'S0'.*h_bs_m = 90"):
        sectors_from_sites(_sites([[0, 0]], height_m=[90.0]), radio)
    s = sectors_from_sites(_sites([[0, 0], [10, 10]], height_m=[90.0, 30.0]), radio, on_invalid="skip")
    assert s.n_sites == 1 and s.skipped[0][0] == "S0"


def test_sector_expansion_uses_row_azimuths_then_preset_and_eirp_offset():
    radio = RadioConfig()
    sites = _sites([[0, 0], [5, 5], [9, 9], [12, 12]], site_type=["macro", "macro", "micro", "indoor"],
                   azimuths_deg=["10,200", "", "", ""], eirp_dbm=[71.0, np.nan, np.nan, np.nan])
    s = sectors_from_sites(sites, radio)
    assert s.sec_site.tolist() == [0, 0, 1, 1, 1, 2, 2, 3]
    # Micros are two directional panels by default, indoor systems omni.
    assert s.azimuth_deg[:7].tolist() == [10.0, 200.0, 0.0, 120.0, 240.0, 0.0, 180.0] and np.isnan(s.azimuth_deg[7])
    # 71 dBm EIRP vs the macro preset's 53 + 17 - 2 = 68 dBm: +3 dB.
    assert s.budget_db[0] - s.budget_db[2] == pytest.approx(3.0)
    both = SectorSet.concat(s, s.subset([2]))
    assert both.n_sites == 5 and both.sec_site[-1] == 4 and both.ul_floor_dbm.size == both.n_sectors


def test_figures_and_hotspots():
    radio = RadioConfig()
    g = _grid(1000.0, 20.0)
    res = compute_coverage(g, _sites([[100.0, 100.0]], site_type=["micro"]), radio)
    subs = gpd.GeoDataFrame({"code": ["A", "B"], "name": ["west", "east"]},
                            geometry=[shapely.box(X0, Y0, X0 + 500, Y0 + 1000),
                                      shapely.box(X0 + 500, Y0, X0 + 1000, Y0 + 1000)], crs=CRS)
    hs = gpd.GeoDataFrame(
        {"hotspot_id": ["h1", "h2", "h3", "h4"], "scenario": ["healthcare", "healthcare", "education", "media"],
         "weight": [5.0, 5.0, 4.0, 2.0]},
        geometry=[shapely.Point(X0 + 110, Y0 + 90), shapely.Point(X0 + 900, Y0 + 900),
                  shapely.box(X0 + 60, Y0 + 60, X0 + 140, Y0 + 140), shapely.Point(X0 + 5000, Y0)], crs=CRS)
    fig = coverage_figures(res, subdistricts=subs, hotspots=hs, sinr_threshold_db=-3.0)
    share = res.covered.sum() / g.n_inside
    assert fig["outdoor"]["covered_share"] == pytest.approx(share, abs=1e-6)
    west, east = fig["by_subdistrict"]
    assert west["outdoor_share"] > 0 and east["outdoor_share"] == 0.0
    assert fig["hotspots"]["healthcare"]["label"] == "healthcare: 1/2 covered"
    assert fig["hotspots"]["education"]["covered"] == 1
    assert fig["hotspots_off_grid"] == ["h4"]
    # Polygon rule: "any" counts a polygon with one covered cell, "majority" needs more than half.
    cov = np.zeros(g.shape, dtype=bool)
    r, c, _ = g.rowcol(X0 + 70, Y0 + 70)
    cov[r, c] = True
    assert hotspot_coverage(g, cov, hs.iloc[[2]], polygon_rule="any")["covered"].item()
    assert not hotspot_coverage(g, cov, hs.iloc[[2]], polygon_rule="majority")["covered"].item()


def test_coverage_tif_reopens_with_crs_transform_nodata(tmp_path):
    radio = RadioConfig()
    tri = shapely.Polygon([(X0, Y0), (X0 + 800, Y0), (X0, Y0 + 800)])
    g = make_grid(tri, CRS, 20.0)
    res = compute_coverage(g, _sites([[100.0, 100.0]], site_type=["micro"]), radio, max_reach_m=400.0)
    path = write_network_tif(tmp_path / "coverage_x.tif", {"2020": res, "2022": res}, network="x")
    assert not list(tmp_path.glob(".*tmp*"))
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4548
        assert src.transform == g.transform
        assert src.nodata == NODATA
        assert src.descriptions == ("2020_outdoor_rsrp_dbm", "2020_indoor_rsrp_dbm", "2020_sinr_db",
                                    "2022_outdoor_rsrp_dbm", "2022_indoor_rsrp_dbm", "2022_sinr_db")
        assert src.dtypes[0] == "float32"
        assert src.tags()["network"] == "x"
        band = src.read(1)
    assert (band[~g.inside] == NODATA).all()
    inside = band[g.inside]
    assert (inside != NODATA).all()
    finite = np.isfinite(res.rsrp_dbm) & g.inside
    np.testing.assert_array_equal(band[finite], res.rsrp_dbm[finite])
    assert (band[g.inside & np.isneginf(res.rsrp_dbm)] == -200.0).all()


def test_joint_kpi_needs_rsrp_and_sinr():
    """Covered = RSRP >= threshold and SINR >= threshold; on the bisector of two equal sites SINR is 0 dB, so a
    -3 dB threshold keeps it and a +3 dB threshold drops it, whatever the RSRP."""
    boundary = shapely.box(X0, Y0, X0 + 400, Y0 + 400)
    g = make_grid(boundary, CRS, 20.0)
    sites = _sites([[110.0, 200.0], [270.0, 200.0]], site_type=["micro", "micro"])  # bisector on cell centres
    radio = _omni_micro(RadioConfig(), neighbour_load=1.0)
    loose = apply_kpi(compute_coverage(g, sites, radio), -3.0)
    strict = apply_kpi(compute_coverage(g, sites, radio), 3.0)
    assert (loose.covered <= loose.rsrp_covered).all() and (strict.covered <= loose.covered).all()
    with np.errstate(invalid="ignore"):
        near_zero = g.inside & (np.abs(loose.sinr_db) < 1.0) & loose.rsrp_covered
    assert near_zero.any()
    assert loose.covered[near_zero].all() and not strict.covered[near_zero].any()


def _run_task(task):
    from siteplan.coverage import tile_kernel

    return task[0], tile_kernel(*task)


def test_tiles_run_in_other_processes_in_any_order_give_the_same_raster():
    """Coverage is a pure function of (tile, sectors within reach): the tasks can be shipped to worker processes
    (as a distributed engine such as Dask would) and run in any order, and the assembled raster is identical."""
    from concurrent.futures import ProcessPoolExecutor

    from siteplan.coverage import assemble_coverage, kernel_params, tile_tasks

    radio = RadioConfig()
    rng = np.random.default_rng(11)
    sites = _sites(rng.uniform(0, 1000, (10, 2)), site_type=list(rng.choice(["macro", "micro"], 10)))
    g = _grid(res=20.0)
    whole = compute_coverage(g, sites, radio, tile_size=8, max_reach_m=600.0)
    s = sectors_from_sites(sites, radio)
    p = kernel_params(radio, s.bands, max_reach_m=600.0, origin_xy=(g.transform.c, g.transform.f))
    tasks = tile_tasks(g, s, p, tile_size=8)[::-1]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_run_task, tasks))
    parts = assemble_coverage(g, s, p, radio, results, tile_size=8)
    for f in ("rsrp_dbm", "indoor_rsrp_dbm", "server", "server_sector", "sinr_db", "covered"):
        np.testing.assert_array_equal(getattr(parts, f), getattr(whole, f))
