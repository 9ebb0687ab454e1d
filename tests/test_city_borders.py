"""Cross-border reconciliation (siteplan.city.borders) on hand-built districts, and the city run's completion
records (siteplan.city.records). Small, in process, no Dask."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from siteplan.city.borders import neighbours_of, reconcile_district, removable_sites
from siteplan.config import RadioConfig
from siteplan.coverage import make_grid
from siteplan.coverage.engine import compute_coverage
from siteplan.coverage.networks import apply_kpi

CRS = "EPSG:4548"
X0, Y0 = 520_000.0, 4_330_000.0
RADIO = RadioConfig(grid_resolution_m=50.0, max_reach_m=800.0)


def _sites(xy, network="n1", district="B", prefix="S"):
    xy = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame({"site_id": [f"{prefix}{i}" for i in range(len(xy))], "network": network,
                             "site_type": "micro", "district": district},
                            geometry=shapely.points(xy[:, 0] + X0, xy[:, 1] + Y0), crs=CRS)


def _block(keys, cells_sites):
    """A coverage block: ``cells_sites`` lists, per cell, the indices of ``keys`` covering it."""
    indptr = np.cumsum([0] + [len(c) for c in cells_sites])
    indices = np.array([j for c in cells_sites for j in c], dtype=np.int32)
    return {"indptr": indptr, "indices": indices, "keys": keys, "own_cols": np.ones(len(keys), bool)}


def test_removable_sites_keep_every_covered_cell_covered():
    # District A's cells: 0 by a1 and b1, 1 by a1 only, 2 by a2 and b1; district B's cell 3 by b1 only.
    a = _block(["A:a1", "A:a2", "B:b1"], [[0, 2], [0], [1, 2]])
    b = _block(["B:b1", "A:a2"], [[0]])
    # a2 is redundant once b1 counts; b1 is not (it alone covers B's cell); a1 alone covers cell 1.
    assert removable_sites([a, b], ["A:a1", "A:a2", "B:b1"]) == ["A:a2"]


def test_removable_sites_never_remove_two_that_only_cover_each_other():
    # Cells 0 and 1 each covered by x and y: either can go, not both.
    blk = _block(["A:x", "B:y"], [[0, 1], [0, 1]])
    assert removable_sites([blk], ["A:x", "B:y"], cost={"A:x": 1.0, "B:y": 2.0}) == ["B:y"]  # dearest first
    assert removable_sites([blk], ["A:x", "B:y"], cost={"A:x": 3.0, "B:y": 2.0}) == ["A:x"]


def test_neighbours_within_two_reaches_of_the_boundary():
    boundary = shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)
    others = _sites([[2500, 1000], [3500, 1000], [3700, 1000]])
    assert neighbours_of(boundary, others, 800.0).tolist() == [True, True, False]


def test_reconcile_counts_what_the_neighbours_change_on_the_border_band_only():
    boundary = shapely.box(X0, Y0, X0 + 3000, Y0 + 2000)
    own = _sites([[500, 1000], [1800, 1000], [2700, 1000]], district="A", prefix="A")
    nb = _sites([[3300, 1000], [3300, 300]], district="B", prefix="B")
    res = reconcile_district(boundary, CRS, RADIO, own, nb, code="A")["n1"]
    grid = make_grid(boundary, CRS, RADIO.grid_resolution_m)
    assert res["inside_cells"] == grid.n_inside and res["neighbour_sites"] == 2
    # The band: cells within reach of a neighbour's site.
    x, y = grid.cell_xy()
    d = np.min(np.hypot(x[:, None] - (X0 + 3300), y[:, None] - (Y0 + np.array([1000, 300]))), axis=1)
    assert res["border_cells"] == int((d <= RADIO.max_reach_m).sum()) > 0
    # Gained and lost cells equal the whole-grid comparison of the plan alone and with the neighbours.
    alone = apply_kpi(compute_coverage(grid, own, RADIO), RADIO.sinr_threshold_db)
    both = apply_kpi(compute_coverage(grid, gpd.GeoDataFrame(
        np.concatenate([own.to_numpy(), nb.to_numpy()]), columns=own.columns, geometry="geometry", crs=CRS),
        RADIO), RADIO.sinr_threshold_db)
    for layer, attr in (("outdoor", "covered"), ("indoor", "indoor_covered")):
        a, b = getattr(alone, attr)[grid.inside], getattr(both, attr)[grid.inside]
        assert res[layer] == {"gained": int((b & ~a).sum()), "lost": int((a & ~b).sum())}
        changed = np.flatnonzero(a != b)
        assert (d[changed] <= RADIO.max_reach_m).all()  # nothing changes beyond the band
    # Border sites: the district's sites within two reaches of a neighbour's site.
    assert res["border_sites"] == ["A1", "A2"]
    m = res["matrix"]
    assert m["keys"][:3] == ["A:A0", "A:A1", "A:A2"] and m["keys"][3:] == ["B:B0", "B:B1"]


def test_reconcile_without_neighbours_changes_nothing():
    boundary = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)
    own = _sites([[500, 500]], district="A")
    res = reconcile_district(boundary, CRS, RADIO, own, own.iloc[:0], code="A")["n1"]
    assert res["border_cells"] == 0 and res["outdoor"] == {"gained": 0, "lost": 0} and res["border_sites"] == []


# ------------------------------------------------------------------------------------------ completion records

def test_a_record_matches_only_the_same_inputs_and_summary(tmp_path):
    from siteplan.city.records import district_inputs, is_finished, run_key, write_record

    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "district.toml").write_text(
        '[district]\nname = "d"\nworking_crs = "EPSG:4548"\n\n[layers.boundary]\nfile = "b.geojson"\n'
        'frame = "WGS84"\n', encoding="utf-8")
    (folder / "b.geojson").write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    out = tmp_path / "out" / "districts" / "d"
    out.mkdir(parents=True)
    (out / "summary.json").write_text("{}", encoding="utf-8")
    inputs = district_inputs(folder)
    assert set(inputs) == {"district.toml", "b.geojson"}
    key = run_key(inputs, ("check",))
    assert run_key(inputs, ("check", "coverage")) != key
    assert not is_finished(tmp_path / "out", "d", key, out)
    write_record(tmp_path / "out", "d", key=key, inputs=inputs, steps=("check",), district_out=out)
    assert is_finished(tmp_path / "out", "d", key, out)
    (folder / "b.geojson").write_text('{"type": "FeatureCollection", "features": [ ]}', encoding="utf-8")
    assert run_key(district_inputs(folder), ("check",)) != key  # an edited layer: run again
    (out / "summary.json").write_text('{"x": 1}', encoding="utf-8")
    assert not is_finished(tmp_path / "out", "d", key, out)  # outputs replaced since: run again
    (folder / "registry.gpkg").write_bytes(b"x")
    assert "registry:registry.gpkg" in district_inputs(folder)  # approved sites are fixed in the plan


@pytest.mark.parametrize("bad, message", [
    ("grid_resolution_m = 0", "grid_resolution_m"),
    ("overview_resolution_m = 120.0", "whole multiple"),
])
def test_city_toml_checks_the_raster_resolutions(tmp_path, bad, message):
    from siteplan.cities import load_city
    from siteplan.errors import ConfigError

    (tmp_path / "city.toml").write_text(f'[city]\nname = "x"\n{bad}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_city(tmp_path)
