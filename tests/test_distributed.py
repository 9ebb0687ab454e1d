"""Coverage on Dask: identical to the in-process engine with 1 and 2 workers; tasks carry only their sites."""

import dataclasses
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely

from siteplan.config import RadioConfig
from siteplan.coverage import compute_coverage, coverage_matrix, make_grid
from siteplan.coverage.engine import block_tasks, coverage_inputs, run_block

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed: pip install 'siteplan[city]'")

from siteplan import distributed as sd  # noqa: E402

CRS = "EPSG:4548"
X0, Y0 = 520_000.0, 4_330_000.0
FIELDS = ("rsrp_dbm", "indoor_rsrp_dbm", "server", "server_sector", "sinr_db", "covered", "indoor_covered")


@pytest.fixture(scope="module")
def scene():
    """An L-shaped district on a 20 m grid, 40 sites of every default type, some outside the district."""
    rng = np.random.default_rng(14)
    poly = shapely.Polygon([(0, 0), (2400, 0), (2400, 900), (1100, 900), (1100, 1800), (0, 1800)])
    poly = shapely.affinity.translate(poly, X0, Y0)
    n = 40
    xy = rng.uniform(-300, 2700, (n, 2))
    sites = gpd.GeoDataFrame(
        {"site_id": [f"S{i}" for i in range(n)], "site_type": rng.choice(["macro", "micro", "indoor"], n)},
        geometry=shapely.points(xy[:, 0] + X0, xy[:, 1] + Y0), crs=CRS)
    return make_grid(poly, CRS, 20.0), sites, RadioConfig()


@pytest.fixture(scope="module")
def clusters():
    """A one-worker and a two-worker LocalCluster, in-process threads (fast to start, no dashboard)."""
    made = {}
    kw = {"threads_per_worker": 1, "processes": False, "dashboard_address": ":0"}
    with distributed.LocalCluster(n_workers=1, **kw) as c1, distributed.Client(c1) as one, \
            distributed.LocalCluster(n_workers=2, **kw) as c2, distributed.Client(c2) as two:
        made[1], made[2] = one, two
        yield made


@pytest.mark.parametrize("workers", [1, 2])
def test_coverage_on_dask_equals_the_in_process_raster(scene, clusters, workers):
    grid, sites, radio = scene
    ref = compute_coverage(grid, sites, radio, max_reach_m=800.0, tile_size=16)
    got = sd.coverage_on_dask(grid, sites, radio, client=clusters[workers], max_reach_m=800.0, tile_size=16,
                              block_tiles=2, progress=None)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(got, f), getattr(ref, f), err_msg=f)
    assert got.n_pairs == ref.n_pairs and got.params == ref.params


def test_one_and_two_workers_and_any_block_size_agree(scene, clusters):
    grid, sites, radio = scene
    a = sd.coverage_on_dask(grid, sites, radio, client=clusters[1], max_reach_m=800.0, block_tiles=1, progress=None)
    b = sd.coverage_on_dask(grid, sites, radio, client=clusters[2], max_reach_m=800.0, tile_size=32, block_tiles=3,
                            progress=None)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)


@pytest.mark.parametrize("layer", ["outdoor", "indoor"])
def test_coverage_matrix_on_dask_equals_the_in_process_matrix(scene, clusters, layer):
    grid, sites, radio = scene
    ref = coverage_matrix(grid, sites, radio, layer=layer, max_reach_m=800.0)
    got = sd.coverage_matrix_on_dask(grid, sites, radio, layer=layer, client=clusters[2], max_reach_m=800.0,
                                     tile_size=16, block_tiles=2, progress=None)
    assert ref.nnz > 0 and got.shape == ref.shape and (got != ref).nnz == 0


def test_blocks_carry_only_the_sites_within_reach(scene):
    grid, sites, radio = scene
    s, p, _ = coverage_inputs(grid, sites, radio, max_reach_m=500.0)
    tasks = block_tasks(grid, s, p, tile_size=16, block_tiles=2)
    assert len(tasks) > 4
    for tiles, sub, _ in tasks:
        assert sub.n_sites < s.n_sites
        # every site within reach of any of the block's cells is there (the halo)
        xy = np.concatenate([np.column_stack(t.cell_xy()) for t in tiles])
        d = np.hypot(xy[:, None, 0] - s.x_m[None, :], xy[:, None, 1] - s.y_m[None, :]).min(axis=0)
        assert set(np.flatnonzero(d <= p.max_reach_m)) <= set(sub.site_index)
        assert len(run_block(tiles, sub, p)) == len(tiles)


def test_tiles_stream_with_one_block_in_flight(scene, clusters):
    grid, sites, radio = scene
    s, p, _ = coverage_inputs(grid, sites, radio, max_reach_m=800.0)
    seen = list(sd.coverage_tiles_on_dask(grid, s, p, clusters[2], tile_size=32, block_tiles=1, max_in_flight=1,
                                          progress=None))
    assert sorted((t.row_off, t.col_off) for t, _ in seen) == sorted((t.row_off, t.col_off) for t in grid.tiles(32))


def test_a_local_cluster_is_started_and_closed_when_none_is_given(scene, monkeypatch, capsys):
    monkeypatch.setenv("SITEPLAN_PROGRESS", "1")  # as on a terminal: the cluster is announced
    monkeypatch.delenv("CI", raising=False)
    grid, sites, radio = scene
    got = sd.coverage_on_dask(grid, sites.iloc[:5], radio, n_workers=1, max_reach_m=500.0, tile_size=64)
    assert np.isfinite(got.rsrp_dbm[grid.inside]).any()
    err = capsys.readouterr().err
    assert "Dask: 1 worker(s) at tcp://" in err and "coverage [" in err  # the announcement and the bar


def test_without_dask_the_error_says_how_to_install(monkeypatch, scene):
    monkeypatch.setitem(sys.modules, "distributed", None)
    grid, sites, radio = scene
    with pytest.raises(ImportError, match=r"siteplan\[city\]"):
        sd.coverage_on_dask(grid, sites, radio)


def test_tiles_stream_from_the_cluster_into_a_cog_equal_to_the_network_raster(scene, clusters, tmp_path):
    import rasterio

    from siteplan.coverage.networks import write_network_tif

    grid, sites, radio = scene
    ref = compute_coverage(grid, sites, radio, max_reach_m=800.0)
    s, p, _ = coverage_inputs(grid, sites, radio, max_reach_m=800.0)
    pairs = sd.coverage_tiles_on_dask(grid, s, p, clusters[2], tile_size=16, block_tiles=2, progress=None)
    counts = sd.write_coverage_cog(tmp_path / "cog.tif", grid, pairs, threshold_dbm=radio.rsrp_threshold_dbm,
                                   blocksize=64, band_prefix="x")
    write_network_tif(tmp_path / "plain.tif", {"x": ref}, network="n")
    with rasterio.open(tmp_path / "cog.tif") as a, rasterio.open(tmp_path / "plain.tif") as b:
        assert a.descriptions == b.descriptions and a.overviews(1)
        np.testing.assert_array_equal(a.read(), b.read())
    assert counts["inside_cells"] == grid.n_inside and counts["n_pairs"] == ref.n_pairs
    assert counts["covered_cells"] == int(ref.covered.sum())
    assert counts["indoor_covered_cells"] == int(ref.indoor_covered.sum())


def test_city_raster_aggregate_counts_the_joint_kpi_of_a_district(scene, clusters, tmp_path):
    """The city overview's covered cells are the district's on the same KPI: RSRP, SINR and the uplink, each
    layer with its own server and SINR (coverage.networks.apply_kpi), not RSRP and the outdoor SINR only."""
    from siteplan.city.raster import city_coverage_cog
    from siteplan.coverage.networks import apply_kpi

    grid, sites, radio = scene
    # A 10 Mbit/s uplink edge: the uplink gives out before the downlink on part of the district.
    radio = dataclasses.replace(radio, uplink=dataclasses.replace(radio.uplink, edge_rate_mbps=10.0))
    ref = apply_kpi(compute_coverage(grid, sites, radio), radio.sinr_threshold_db)
    got = city_coverage_cog(tmp_path / "c.tif", grid, sites, radio, clusters[2], band_prefix="x", factor=5)
    fig, inside = got["figures"], grid.inside
    assert fig["inside_cells"] == grid.n_inside
    assert fig["outdoor_covered_cells"] == int(ref.covered[inside].sum())
    assert fig["indoor_covered_cells"] == int(ref.indoor_covered[inside].sum())
    # the uplink check bites on both layers (the RSRP and SINR test alone would count these cells)
    assert int((ref.dl_covered & ~ref.ul_ok)[inside].sum()) > 0
    assert int((ref.indoor_dl_covered & ~ref.indoor_ul_ok)[inside].sum()) > 0
