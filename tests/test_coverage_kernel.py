"""The compiled coverage kernel against the numpy reference: its math, path loss, tiles, matrices, tiling."""

import dataclasses
import math
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siteplan.config import RadioConfig, SiteTypePreset
from siteplan.coverage import engine
from siteplan.coverage import kernel_numba as kn
from siteplan.coverage.buildings import attach_buildings
from siteplan.coverage.engine import (
    SectorSet,
    assemble_coverage,
    compute_coverage,
    coverage_matrix,
    kernel_params,
    locate_sites,
    sectors_from_sites,
    tile_kernel,
    tile_tasks,
)
from siteplan.coverage.grid import make_grid
from siteplan.radio import propagation as prop

CRS = "EPSG:4548"
X0, Y0 = 520_000.0, 4_330_000.0
TOL_DB = 1e-6  # the agreement the compiled kernel promises; it is ~1e-10 in practice

# Every model the kernel knows, with heights inside its range: (model, band, h_bs range [m]).
MODEL_RANGES = {
    "uma": ((0.5, 100.0), (10.0, 60.0), (1.5, 22.5)),
    "umi": ((0.5, 100.0), (4.0, 25.0), (1.5, 22.5)),
    "rma": ((0.5, 30.0), (10.0, 150.0), (1.0, 10.0)),
    "inh": ((0.5, 100.0), (1.0, 10.0), (0.5, 10.0)),
    "cost231": ((0.15, 2.0), (30.0, 200.0), (1.0, 10.0)),
    "fspl": ((0.1, 100.0), (0.0, 200.0), (0.0, 10.0)),
}


def _radio() -> RadioConfig:
    """The default presets plus one site type per remaining model, with 1, 2 and 4 sectors."""
    base = RadioConfig()
    extra = {
        "rural": SiteTypePreset(35.0, 18.0, 17.0, (30.0, 150.0, 270.0), 65.0, 8.0, 4.0, 25.0, 2.0, 53.0, "rma"),
        "hata": SiteTypePreset(40.0, 20.0, 15.0, (45.0, 225.0), 90.0, 12.0, 3.0, 20.0, 2.0, 53.0, "cost231"),
        "free": SiteTypePreset(20.0, 10.0, 12.0, (0.0, 90.0, 180.0, 270.0), 60.0, 15.0, 8.0, 28.0, 1.0, 45.0, "fspl"),
        "single": SiteTypePreset(25.0, 15.0, 15.0, (200.0,), 65.0, 10.0, 6.0, 30.0, 2.0, 50.0, "uma"),
    }
    return dataclasses.replace(base, site_types={**base.site_types, **extra})


def _scene(seed: int, n: int = 14, size_m: float = 1200.0):
    """Sites of every type and model at seeded positions (some on cell centres), two bands, own SLA_V on some."""
    rng = np.random.default_rng(seed)
    radio = _radio()
    types = rng.choice(["macro", "micro", "indoor", "rural", "hata", "free", "single"], n)
    band = np.where(types == "hata", "n28", rng.choice(["n78", "n41"], n))
    xy = rng.uniform(-100.0, size_m + 100.0, (n, 2))
    xy[0] = (110.0, 230.0)  # exactly on a cell centre: distance 0, bearing 0
    sites = gpd.GeoDataFrame(
        {"site_id": [f"S{i}" for i in range(n)], "site_type": types, "band": band},
        geometry=shapely.points(xy[:, 0] + X0, xy[:, 1] + Y0), crs=CRS,
    )
    # Buildings of every class: around the indoor sites (some sites in one, some in none), and a few elsewhere.
    ind = np.flatnonzero(types == "indoor")
    boxes = [shapely.box(X0 + x - 35.0, Y0 + y - 20.0, X0 + x + 35.0, Y0 + y + 20.0) for x, y in xy[ind[::2]]]
    boxes += [shapely.box(X0 + x, Y0 + y, X0 + x + rng.uniform(8.0, 90.0), Y0 + y + rng.uniform(8.0, 60.0))
              for x, y in rng.uniform(0.0, size_m, (12, 2))]
    nb = len(boxes)
    buildings = gpd.GeoDataFrame(
        {"building_id": [f"B{i}" for i in range(nb)], "floors": rng.integers(1, 30, nb).astype(float),
         "use": rng.choice(["residential", "office", "school", "other"], nb),
         "loss_class": rng.choice(["low", "high", ""], nb)},
        geometry=boxes, crs=CRS)
    s = sectors_from_sites(sites, radio)
    sla = np.where(rng.random(s.n_sectors) < 0.3, rng.uniform(15.0, 35.0, s.n_sectors), np.nan)
    s = dataclasses.replace(s, sla_v_db=sla)
    grid = attach_buildings(make_grid(shapely.box(X0, Y0, X0 + size_m, Y0 + size_m), CRS, 20.0), buildings)
    return grid, locate_sites(s, grid, _params(grid, s, radio, "numpy")), radio


def _params(grid, s, radio, kernel, los="weighted", reach=700.0):
    return kernel_params(radio, s.bands, max_reach_m=reach, los=los, sla_v_db=27.0,
                         origin_xy=(grid.transform.c, grid.transform.f), kernel=kernel, classes=grid.classes)


# ------------------------------------------------------------------------------------------ math
@given(st.floats(-745.0, 709.0))
def test_exp_matches_numpy(x):
    assert kn.exp(x) == pytest.approx(math.exp(x), rel=1e-12, abs=1e-300)


@given(st.floats(1e-300, 1e300))
def test_log10_matches_numpy(x):
    assert kn.log10(x) == pytest.approx(math.log10(x), abs=1e-12)


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6))
def test_atan2_matches_numpy_in_every_octant(y, x):
    assert kn.atan2(y, x) == pytest.approx(np.arctan2(y, x), abs=1e-12)


def test_math_edge_cases():
    assert kn.exp(-np.inf) == 0.0 and kn.exp(-800.0) == 0.0
    assert kn.log10(0.0) == -np.inf
    for y, x in [(0.0, 0.0), (0.0, -0.0), (-0.0, -1.0), (0.0, -1.0), (1.0, 0.0), (-1.0, 0.0), (0.0, 5.0), (3.0, 3.0), (-2.0, -2.0)]:
        assert kn.atan2(y, x) == pytest.approx(math.atan2(y, x), abs=1e-12), (y, x)


# ------------------------------------------------------------------------------------- path loss
@settings(max_examples=60)
@given(
    model=st.sampled_from(sorted(MODEL_RANGES)),
    los=st.sampled_from(list(kn.LOS_CODES)),
    u=st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)),
    d=st.lists(st.floats(0.0, 6000.0), min_size=1, max_size=40),
)
def test_compiled_path_loss_matches_the_numpy_models(model, los, u, d):
    (f0, f1), (h0, h1), (t0, t1) = MODEL_RANGES[model]
    fc, h_bs, h_ut = f0 + u[0] * (f1 - f0), h0 + u[1] * (h1 - h0), t0 + u[2] * (t1 - t0)
    d = np.array(d + [0.0, 1.2, 10.0, 18.0, 20.0])  # the clamps and the LOS-probability knees
    code = kn.MODEL_CODES[model]
    k = kn.site_constants_all(np.array([code]), np.array([fc]), np.array([h_bs]), h_ut)[0]
    got = kn.path_loss_pairs(code, kn.LOS_CODES[los], d, k)
    ref = prop.MODEL_FUNCTIONS[model](d, freq_ghz=fc, h_bs_m=h_bs, h_ut_m=h_ut, los=los)
    np.testing.assert_allclose(got, ref, rtol=0, atol=TOL_DB)


# ------------------------------------------------------------------------------------------ tiles
@settings(max_examples=12)
@given(seed=st.integers(0, 10_000), los=st.sampled_from([True, False, "weighted", "weighted_linear"]))
def test_compiled_tiles_match_the_numpy_reference(seed, los):
    grid, s, radio = _scene(seed)
    pn, pc = _params(grid, s, radio, "numpy", los), _params(grid, s, radio, "numba", los)
    for tile, sub, _ in tile_tasks(grid, s, pn, tile_size=24):
        a, b = tile_kernel(tile, sub, pc), tile_kernel(tile, sub, pn)
        assert a.n_pairs == b.n_pairs
        for f in ("rsrp_dbm", "indoor_rsrp_dbm", "sinr_db", "indoor_sinr_db"):
            x, y = getattr(a, f), getattr(b, f)
            np.testing.assert_array_equal(np.isfinite(x), np.isfinite(y), err_msg=f)
            fin = np.isfinite(x)
            np.testing.assert_allclose(x[fin], y[fin], rtol=0, atol=TOL_DB, err_msg=f)
            assert ((x[~fin] == y[~fin]) | (np.isnan(x[~fin]) & np.isnan(y[~fin]))).all() or "sinr" in f
        _assert_same_server_or_tie(tile, sub, pn, a, b)
        _assert_same_server_or_tie(tile, sub, pn, a, b, indoor=True)


def _one_sector(s, k):
    """The SectorSet holding only global sector ``k``."""
    pos = int(np.flatnonzero(s.sec_index == k)[0])
    site = s.subset([s.sec_site[pos]])
    keep = site.sec_index == k
    return dataclasses.replace(site, **{f: getattr(site, f)[keep] for f in SectorSet.SECTOR_FIELDS})


def _assert_same_server_or_tie(tile, sub, params, a, b, indoor=False):
    """Same best server, except where two sectors tie exactly (e.g. a cell due south of a site on a cell centre
    between its 120 and 240 deg sectors): there the last bit of an angle decides, which may differ between
    numpy's arctan2 and the compiled one. Such a cell must be a tie by the reference's own numbers."""
    pre = "indoor_" if indoor else ""
    rsrp = "indoor_rsrp_dbm" if indoor else "rsrp_dbm"
    sa, sb = getattr(a, f"{pre}server_sector"), getattr(b, f"{pre}server_sector")
    differ = np.flatnonzero(sa != sb)
    for cell in differ[:20]:
        ka, kb = sa[cell], sb[cell]
        assert ka >= 0 and kb >= 0, (cell, ka, kb)
        ra = getattr(tile_kernel(tile, _one_sector(sub, ka), params), rsrp)[cell]
        rb = getattr(tile_kernel(tile, _one_sector(sub, kb), params), rsrp)[cell]
        assert abs(ra - rb) <= 1e-9, (cell, ka, kb, ra, rb)
    assert differ.size <= max(2, sa.size // 100)
    same = sa == sb
    np.testing.assert_array_equal(getattr(a, f"{pre}server_site")[same], getattr(b, f"{pre}server_site")[same])


def test_compiled_raster_is_bit_identical_across_tilings_and_orders():
    grid, s, radio = _scene(7, n=20)
    p = _params(grid, s, radio, "numba")
    ref = compute_coverage(grid, s, radio, tile_size=128, max_reach_m=700.0, sla_v_db=27.0, kernel="numba")
    for ts in (7, 33):
        tasks = tile_tasks(grid, s, p, tile_size=ts)[::-1]
        got = assemble_coverage(grid, s, p, radio, ((t[0], tile_kernel(*t)) for t in tasks), tile_size=ts)
        for f in ("rsrp_dbm", "indoor_rsrp_dbm", "server", "server_sector", "sinr_db", "indoor_server",
                  "indoor_server_sector", "indoor_sinr_db"):
            np.testing.assert_array_equal(getattr(got, f), getattr(ref, f), err_msg=f"{f} at tile {ts}")
        assert got.n_pairs == ref.n_pairs


def test_numba_and_numpy_rasters_agree():
    grid, s, radio = _scene(3, n=20)
    kw = {"max_reach_m": 700.0, "sla_v_db": 27.0}
    a = compute_coverage(grid, s, radio, kernel="numba", **kw)
    b = compute_coverage(grid, s, radio, kernel="numpy", **kw)
    ins = grid.inside
    for f in ("rsrp_dbm", "indoor_rsrp_dbm", "sinr_db", "indoor_sinr_db"):
        x, y = getattr(a, f)[ins].astype(float), getattr(b, f)[ins].astype(float)
        fin = np.isfinite(x) & np.isfinite(y)
        assert np.max(np.abs(x[fin] - y[fin]), initial=0.0) <= 1e-5  # one float32 step at most
        np.testing.assert_array_equal(np.isfinite(x), np.isfinite(y), err_msg=f)
    np.testing.assert_array_equal(a.server, b.server)
    np.testing.assert_array_equal(a.indoor_server, b.indoor_server)
    assert a.n_pairs == b.n_pairs


@pytest.mark.parametrize("layer", ["outdoor", "indoor"])
def test_compiled_coverage_matrix_equals_the_reference(layer):
    grid, s, radio = _scene(11, n=25)
    kw = {"layer": layer, "max_reach_m": 700.0, "threshold_dbm": -100.0}
    a = coverage_matrix(grid, s, radio, kernel="numba", tile_size=40, **kw)
    b = coverage_matrix(grid, s, radio, kernel="numpy", tile_size=16, **kw)
    assert a.nnz > 0 and (a != b).nnz == 0


# ----------------------------------------------------------------------- per-sector SLA, indoor layer
@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_sector_sla_nan_inherits_the_kernel_parameter(kernel):
    grid, s, radio = _scene(5)
    inherit = dataclasses.replace(s, sla_v_db=np.full(s.n_sectors, np.nan))
    own = dataclasses.replace(s, sla_v_db=np.full(s.n_sectors, 18.0))
    a = compute_coverage(grid, inherit, radio, sla_v_db=18.0, max_reach_m=700.0, kernel=kernel)
    b = compute_coverage(grid, own, radio, sla_v_db=30.0, max_reach_m=700.0, kernel=kernel)
    np.testing.assert_array_equal(a.rsrp_dbm, b.rsrp_dbm)
    c = compute_coverage(grid, inherit, radio, sla_v_db=30.0, max_reach_m=700.0, kernel=kernel)
    # A lower SLA_V caps the vertical loss lower, so RSRP can only rise.
    assert (a.rsrp_dbm[grid.inside] >= c.rsrp_dbm[grid.inside]).all()
    assert (c.rsrp_dbm[grid.inside] != a.rsrp_dbm[grid.inside]).any()


@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_indoor_layer_is_the_outdoor_signal_less_each_cells_building_loss(kernel):
    """Outdoor-type sites only: indoors, RSRP is the outdoor RSRP less the cell's indoor loss (its class on the
    band), the server the same, off the buildings no indoor signal; SINR is the same wherever the noise is small."""
    grid, s, radio = _scene(9)
    outdoor = s.subset(np.flatnonzero(~s.indoor_site))
    p = _params(grid, outdoor, radio, kernel)
    table = np.asarray(p.indoor_loss_db)
    for tile, sub, _ in tile_tasks(grid, outdoor, p, tile_size=32):
        r = tile_kernel(tile, sub, p)
        cls = tile.cell_class[tile.inside]
        on = cls >= 0
        if not sub.n_sites or not on.any():
            continue
        band = sub.band[np.searchsorted(sub.sec_index, r.server_sector[on])][0] if len(set(sub.band)) == 1 else None
        if band is not None:
            np.testing.assert_allclose(r.indoor_rsrp_dbm[on], r.rsrp_dbm[on] - table[band, cls[on]], atol=1e-9)
        np.testing.assert_array_equal(r.indoor_server_sector[on] >= 0, r.server_sector[on] >= 0)
        assert np.isnan(r.indoor_rsrp_dbm[~on]).all() and (r.indoor_server_site[~on] == -1).all()


@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_indoor_system_serves_its_own_building_without_loss(kernel):
    """One indoor system in a 70 x 40 m building: inside it the indoor RSRP is its budget less the InH path loss to
    the nearest head (15 m at most), with no building loss; outdoors it has lost its exit loss."""
    radio = RadioConfig()
    b = gpd.GeoDataFrame({"building_id": ["H"], "floors": [10.0], "use": ["hospital"], "loss_class": ["high"]},
                         geometry=[shapely.box(X0 + 200, Y0 + 200, X0 + 270, Y0 + 240)], crs=CRS)
    grid = attach_buildings(make_grid(shapely.box(X0, Y0, X0 + 500, Y0 + 500), CRS, 10.0), b)
    site = gpd.GeoDataFrame({"site_id": ["I"], "site_type": ["indoor"], "band": ["n78"]},
                            geometry=[shapely.Point(X0 + 215, Y0 + 225)], crs=CRS)
    res = compute_coverage(grid, site, radio, kernel=kernel)
    own = grid.buildings.cell_building == 0
    s = res.sectors
    assert s.building[0] == 0
    d = np.hypot(*(np.meshgrid(grid.col_x(np.arange(grid.shape[1])) - (X0 + 215),
                               grid.row_y(np.arange(grid.shape[0])) - (Y0 + 225))))
    pl = prop.path_loss("inh", np.minimum(d, 15.0), freq_ghz=3.5, h_bs_m=3.0, h_ut_m=1.5, los="weighted")
    np.testing.assert_allclose(res.indoor_rsrp_dbm[own], (s.budget_db[0] - pl)[own], atol=1e-4)
    pl_out = prop.path_loss("inh", d, freq_ghz=3.5, h_bs_m=3.0, h_ut_m=1.5, los="weighted")
    out = grid.layer_mask("outdoor") & (d < 200)
    np.testing.assert_allclose(res.rsrp_dbm[out], (s.budget_db[0] - s.exit_db[0] - pl_out)[out], atol=1e-4)
    assert s.exit_db[0] == pytest.approx(kernel_params(radio, ("n78",), classes=grid.classes).indoor_loss_db[0][
        grid.classes.index("high")])


# ------------------------------------------------------------------------------------ selection
def test_kernel_names_are_checked_and_auto_falls_back_once(monkeypatch):
    with pytest.raises(ValueError, match="invalid kernel 'fortran'"):
        engine.resolve_kernel("fortran")
    assert engine.resolve_kernel("auto") == "numba"

    def broken():
        raise ImportError("no numba here")

    monkeypatch.setattr(engine, "_compiled", broken)
    monkeypatch.setattr(engine, "_fallback_noted", False)
    with pytest.warns(RuntimeWarning, match="numpy reference kernel"):
        assert engine.resolve_kernel("auto") == "numpy"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert engine.resolve_kernel("auto") == "numpy"  # the notice is given once
    assert engine.default_tile_size("auto") == engine.TILE_SIZE["numpy"]


def test_warm_up_compiles_or_loads_both_entry_points():
    assert engine.warm_up() >= 0.0
    assert kn.rect_kernel.signatures and kn.rect_site_coverage.signatures  # compiled (or loaded) in this process
    assert engine.warm_up("numpy") < 0.1
