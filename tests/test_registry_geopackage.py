"""The site registry is a standard GeoPackage (issue 12, item 7): version 1.2, spatial index on ``sites``, DATE
columns, integer primary keys, ``last_change`` in the standard's format, and GDAL's validator and ogrinfo say
nothing against it. A registry of the former schema is upgraded in place, keeping everything."""

from __future__ import annotations

import re
import sqlite3

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from client_tools import require, run_quiet, validate_gpkg
from review_fixtures import make_check, make_district, make_selected

from siteplan.review import export_review, open_registry
from siteplan.review import registry as R


@pytest.fixture
def registry(tmp_path):
    d = make_district(tmp_path)
    check = make_check()
    export_review(d, tmp_path / "o", check=check, selected=make_selected(check))
    reg = open_registry(d)
    with R.transaction(reg.path) as conn:
        R.transition(conn, "C001", "under_review", when="2020-05-01")
        R.transition(conn, "C001", "approved", when="2020-05-02", decision="通过")
    return reg


def _schema(conn, table: str) -> dict[str, str]:
    return {r[1]: r[2] for r in conn.execute(f'PRAGMA table_info("{table}")')}


def test_registry_is_a_geopackage_1_2_with_index_dates_and_integer_keys(registry):
    conn = sqlite3.connect(registry.path)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10200
        # spatial index on sites, kept up to date by its triggers
        assert conn.execute("SELECT count(*) FROM gpkg_extensions WHERE table_name='sites' "
                            "AND extension_name='gpkg_rtree_index'").fetchone()[0] == 1
        n_sites = conn.execute("SELECT count(*) FROM sites").fetchone()[0]
        assert n_sites == 5 and conn.execute("SELECT count(*) FROM rtree_sites_geom").fetchone()[0] == n_sites
        cols = _schema(conn, "sites")
        for c in R._DATES:
            assert cols[c] == "DATE", (c, cols[c])
        row = dict(zip(cols, conn.execute("SELECT * FROM sites WHERE site_id='C001'").fetchone()))
        assert row["date_decided"] == "2020-05-02" and row["date_in_service"] is None
        # every attribute table has an integer primary key
        for (t,) in conn.execute("SELECT table_name FROM gpkg_contents WHERE data_type='attributes'"):
            pk = [r for r in conn.execute(f'PRAGMA table_info("{t}")') if r[5]]
            assert len(pk) == 1 and pk[0][2] == "INTEGER", (t, pk)
        for (ts,) in conn.execute("SELECT last_change FROM gpkg_contents"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts), ts
    finally:
        conn.close()
    assert registry.sites().set_index("site_id").loc["C002", "date_decided"] == ""  # reads back as before


def test_registry_passes_gdals_checks(registry):
    validate_gpkg(registry.path)
    run_quiet(require("ogrinfo"), "-ro", "-al", "-so", str(registry.path))
    sites = pyogrio.read_dataframe(registry.path, layer="sites")
    assert pd.api.types.is_datetime64_any_dtype(sites["date_decided"])  # GDAL reads a date, not text


_V1_DDL = """
CREATE TABLE decision_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, site_id TEXT NOT NULL, from_state TEXT,
  to_state TEXT NOT NULL, decision TEXT NOT NULL DEFAULT '', who TEXT NOT NULL DEFAULT '',
  when_date TEXT NOT NULL DEFAULT '', comment TEXT NOT NULL DEFAULT '', source_file TEXT NOT NULL DEFAULT '',
  source_sha256 TEXT NOT NULL DEFAULT '');
CREATE TABLE imports (seq INTEGER PRIMARY KEY AUTOINCREMENT, sha256 TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL,
  export_id TEXT NOT NULL, decisions INTEGER NOT NULL, changes INTEGER NOT NULL, applied TEXT NOT NULL);
CREATE TABLE exports (export_id TEXT PRIMARY KEY, district TEXT NOT NULL, n_rows INTEGER NOT NULL,
  rows_json TEXT NOT NULL);
CREATE TABLE registry_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def test_schema_1_registry_is_upgraded_keeping_everything(tmp_path):
    """A registry written by siteplan before this change (text dates, no index, text keys) opens as schema 2."""
    path = tmp_path / "registry.gpkg"
    sites = pd.DataFrame({c: ["C001"] if c == "site_id" else (["approved"] if c == "state" else [""])
                          for c in R.SITE_COLUMNS})
    sites["lon"], sites["lat"], sites["new_build"] = 117.24, 39.12, 1
    sites["date_decided"] = "2020-05-02"
    gdf = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy([517000.0], [4330000.0]), crs="EPSG:4548")
    pyogrio.write_dataframe(gdf, path, layer="sites", driver="GPKG", layer_options={"SPATIAL_INDEX": "NO"})
    conn = sqlite3.connect(path)
    conn.executescript(_V1_DDL)
    conn.execute("INSERT INTO decision_log(site_id, to_state, when_date) VALUES ('C001', 'approved', '2020-05-02')")
    conn.execute("INSERT INTO exports VALUES ('e1', 'testville', 1, '{}')")
    conn.executemany("INSERT INTO registry_meta VALUES (?, ?)",
                     [("schema_version", "1"), ("district", "testville"), ("crs", "EPSG:4548")])
    conn.commit()
    conn.close()
    reg = open_registry(path)
    assert reg.meta()["schema_version"] == R.SCHEMA_VERSION
    s = reg.sites().iloc[0]
    assert (s["site_id"], s["state"], s["date_decided"], s["date_proposed"]) == ("C001", "approved", "2020-05-02", "")
    assert reg.log()["to_state"].tolist() == ["approved"] and reg.export_rows("e1") == ("testville", {})
    assert reg.sites_gdf().geometry.x.tolist() == [517000.0]
    conn = sqlite3.connect(path)
    try:
        assert _schema(conn, "sites")["date_decided"] == "DATE"
        assert conn.execute("SELECT count(*) FROM rtree_sites_geom").fetchone()[0] == 1
    finally:
        conn.close()
