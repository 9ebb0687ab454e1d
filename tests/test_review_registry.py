"""The site registry: lifecycle, append-only log, transactions, GeoPackage readability, progress figures."""

from __future__ import annotations

import shutil
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from review_fixtures import make_district

from siteplan.crs import convert
from siteplan.review import progress_status
from siteplan.review import registry as R


def _sites(ids, phase=""):
    return pd.DataFrame({"site_id": ids, "name": [f"站{i}" for i in ids], "lon": 117.22 + 0.001 * np.arange(len(ids)),
                         "lat": 39.11 + 0.001 * np.arange(len(ids)), "site_type": "macro", "phase": phase,
                         "new_build": True})


@pytest.fixture
def reg(tmp_path):
    return R.open_registry(tmp_path / "registry.gpkg", crs="EPSG:4548", district_name="testville")


def test_register_is_idempotent_and_logged(reg):
    assert R.register_sites(reg, _sites(["A", "B"]), source_file="c.csv", source_sha256="f" * 64) == ["A", "B"]
    before = reg.tables()
    assert R.register_sites(reg, _sites(["A", "B"])) == []
    assert reg.tables() == before
    log = reg.log()
    assert list(log["to_state"]) == ["proposed", "proposed"]
    assert log["from_state"].isna().all() and set(log["source_sha256"]) == {"f" * 64}


def test_phase_refresh_is_logged_not_silent(reg):
    R.register_sites(reg, _sites(["A"], phase="2022"))
    R.register_sites(reg, _sites(["A"], phase="2020"))
    assert reg.sites().loc[0, "phase"] == "2020"
    last = reg.log().iloc[-1]
    assert last["from_state"] == last["to_state"] == "proposed" and "2022 -> 2020" in last["comment"]


def test_geopackage_layer_readable_and_located(reg):
    R.register_sites(reg, _sites(["A", "B", "C"]))
    gdf = gpd.read_file(reg.path, layer="sites")
    assert gdf.crs.to_epsg() == 4548 and len(gdf) == 3
    x, y = convert(gdf["lon"].to_numpy(), gdf["lat"].to_numpy(), "WGS84", "EPSG:4548")
    assert np.allclose(gdf.geometry.x, x, atol=1e-6) and np.allclose(gdf.geometry.y, y, atol=1e-6)
    ours = reg.sites_gdf()
    theirs = gdf.sort_values("site_id").reset_index(drop=True)
    assert ours.geometry.geom_equals_exact(theirs.geometry, tolerance=1e-6).all()


def test_full_lifecycle_stamps_dates(reg):
    R.register_sites(reg, _sites(["A"]))
    with R.transaction(reg.path) as conn:
        R.transition(conn, "A", "under_review", when="2020-03-01", who="规划局")
        R.transition(conn, "A", "approved", when="2020-03-15", who="张三", decision="通过")
    R.advance(reg, "A", "under_construction", when="2020-05-01", who="铁塔公司")
    R.advance(reg, "A", "in_service", when="2020-08-01", who="铁塔公司")
    s = reg.sites().iloc[0]
    assert s["state"] == "in_service"
    assert (s["date_under_review"], s["date_decided"], s["date_under_construction"], s["date_in_service"]) == (
        "2020-03-01", "2020-03-15", "2020-05-01", "2020-08-01")
    assert list(reg.log()["to_state"]) == ["proposed", *R.STATES[1:3], "under_construction", "in_service"]


@pytest.mark.parametrize("frm_path,to", [
    ((), "approved"),                                        # skips review
    ((), "in_service"),
    (("under_review",), "under_construction"),               # not decided yet
    (("under_review", "rejected"), "under_construction"),    # rejected is final
    (("under_review", "approved"), "rejected"),              # a decision is not overwritten
])
def test_illegal_transition_rejected_and_nothing_changes(reg, frm_path, to):
    R.register_sites(reg, _sites(["A"]))
    with R.transaction(reg.path) as conn:
        for s in frm_path:
            R.transition(conn, "A", s, when="2020-01-01")
    before = reg.tables()
    with pytest.raises(R.RegistryError, match="illegal transition"):
        with R.transaction(reg.path) as conn:
            R.transition(conn, "A", to, when="2020-02-02")
    assert reg.tables() == before


def test_log_is_append_only(reg):
    R.register_sites(reg, _sites(["A"]))
    for sql in ("DELETE FROM decision_log", "UPDATE decision_log SET who='x'"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with R.transaction(reg.path) as conn:
                conn.execute(sql)
    assert len(reg.log()) == 1


def test_transaction_rolls_back_everything_on_error(reg):
    R.register_sites(reg, _sites(["A", "B"]))
    before = reg.tables()
    raw = reg.path.read_bytes()
    with pytest.raises(RuntimeError), R.transaction(reg.path) as conn:
        R.transition(conn, "A", "under_review", when="2020-01-01")
        raise RuntimeError("crash midway")
    assert reg.tables() == before
    assert reg.path.read_bytes() == raw


def test_advance_refuses_decisions_and_bad_dates(reg):
    R.register_sites(reg, _sites(["A"]))
    with pytest.raises(R.RegistryError, match="review workbook"):
        R.advance(reg, "A", "approved", when="2020-01-01", who="x")
    with pytest.raises(R.RegistryError, match="YYYY-MM-DD"):
        R.advance(reg, "A", "under_construction", when="1.1.2020", who="x")


def test_not_a_registry(tmp_path):
    p = tmp_path / "other.gpkg"
    p.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(R.RegistryError, match="not a siteplan registry"):
        R.open_registry(p)
    with pytest.raises(R.RegistryError, match="no site registry"):
        R.open_registry(tmp_path / "missing.gpkg", create=False)


def test_progress_and_award_against_targets(tmp_path):
    d = make_district(tmp_path)
    reg = R.open_registry(d)
    R.register_sites(reg, pd.concat([_sites(["A", "B", "C"], phase="2020"), _sites(["D", "E"], phase="2022")
                                    .assign(lon=117.25)], ignore_index=True))
    dates = {"A": "2020-10-01", "B": "2021-02-01", "C": None, "D": None, "E": None}
    decisions = {"A": "approved", "B": "approved_with_changes", "C": "approved", "D": "rejected", "E": None}
    with R.transaction(reg.path) as conn:
        for sid, dec in decisions.items():
            if dec:
                R.transition(conn, sid, "under_review", when="2020-04-01")
                R.transition(conn, sid, dec, when="2020-05-01")
    for sid, day in dates.items():
        if day:
            R.advance(reg, sid, "under_construction", when="2020-06-01", who="x")
            R.advance(reg, sid, "in_service", when=day, who="x")
    p = progress_status(d)
    t2020, t2022 = p["targets"]
    # A in service by 2020-12-31; B only in 2021. Approved by due: A, B, C. Planned: not rejected, phase <= target.
    assert (t2020["in_service"], t2020["approved"], t2020["planned"], t2020["target_sites"]) == (1, 3, 3, 3)
    assert (t2022["in_service"], t2022["planned"]) == (2, 4)
    assert t2020["state"] == "missed" and t2022["state"] == "open" and p["as_of"] == "2021-02-01"
    assert t2020["last_in_service_date"] == "2020-10-01"
    # Award: CNY 20,000 per new site in service inside 2019-01-01..2020-12-31 (district config) -> only A.
    a = p["award"]
    assert (a["eligible_sites"], a["award_cny"]) == (1, 20_000.0)
    assert a["potential_sites"] == 1  # C: approved, phase 2020 due 2020-12-31, not yet in service


_MOVES = st.lists(st.sampled_from(R.STATES), min_size=1, max_size=8)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    p = tmp_path_factory.mktemp("tpl") / "registry.gpkg"
    reg = R.open_registry(p, crs="EPSG:4548", district_name="t")
    R.register_sites(reg, _sites(["A"]))
    return p


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=_MOVES)
def test_state_always_follows_the_log(template, tmp_path, moves):
    """Invariant: whatever is attempted, the site's state is the last logged to_state and only legal moves land."""
    p = tmp_path / f"r{abs(hash(tuple(moves)))}.gpkg"
    shutil.copyfile(template, p)
    reg = R.Registry(p)
    state = "proposed"
    for i, to in enumerate(moves):
        legal = to in R.TRANSITIONS[state]
        try:
            with R.transaction(p) as conn:
                R.transition(conn, "A", to, when=f"2020-01-{i + 1:02d}")
        except R.RegistryError:
            assert not legal
        else:
            assert legal
            state = to
    log = reg.log()
    assert reg.sites().iloc[0]["state"] == state == log.iloc[-1]["to_state"]
    for a, b in zip(log["to_state"][:-1], log["to_state"][1:]):
        assert b in R.TRANSITIONS[a]


def test_cli_advance_is_all_or_nothing(tmp_path):
    """`siteplan review advance` moves every named site or, on any bad one, none."""
    import shutil

    import pandas as pd
    from click.testing import CliRunner

    from conftest import HEDONG
    from siteplan.cli import cli
    from siteplan.io import read_district
    from siteplan.review import open_registry, register_sites
    from siteplan.review.registry import transaction, transition

    district = tmp_path / "hedong"
    shutil.copytree(HEDONG, district, ignore=shutil.ignore_patterns("registry.gpkg*"))
    runner = CliRunner()
    res = runner.invoke(cli, ["review", "advance", str(district), "X", "--to", "in_service", "--date", "2020-11-30",
                              "--who", "t"])
    assert res.exit_code == 2 and "no site registry yet" in res.stderr
    d = read_district(district)
    reg = open_registry(d)
    sites = pd.DataFrame({"site_id": ["A", "B"], "name": ["a", "b"], "lon": [117.24, 117.25], "lat": [39.12, 39.13]})
    register_sites(reg, sites)
    with transaction(reg.path) as conn:
        for sid in ("A", "B"):
            transition(conn, sid, "under_review", when="2020-06-01")
            transition(conn, sid, "approved", when="2020-06-02")
    before = reg.tables()
    # B cannot go into service before construction: nothing may change, A included.
    res = runner.invoke(cli, ["review", "advance", str(district), "A", "B", "--to", "in_service",
                              "--date", "2020-11-30", "--who", "tower co"])
    assert res.exit_code == 2 and "illegal transition approved -> in_service" in res.stderr
    assert reg.tables() == before
    res = runner.invoke(cli, ["review", "advance", str(district), "A", "B", "--to", "under_construction",
                              "--date", "2020-07-01", "--who", "tower co"])
    assert res.exit_code == 0, res.output
    assert set(reg.sites()["state"]) == {"under_construction"}
    assert list(reg.log()["to_state"][-2:]) == ["under_construction", "under_construction"]
