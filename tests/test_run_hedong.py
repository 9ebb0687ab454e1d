"""The main job end to end on the bundled Hedong district, through the CLI a planner uses."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from siteplan.cli import cli

from conftest import HEDONG

MAIN_OUTPUTS = [
    "summary.json", "timings.json", "siteplan.gpkg",
    "candidates.csv", "candidates.xlsx", "candidates.geojson",
    "coverage_ctcu.tif", "coverage_cm.tif", "coverage_cbn.tif", "gaps.geojson", "gaps.csv",
    "selected_sites.csv", "selected_sites.xlsx", "selected_sites.geojson", "rollout.csv", "rollout.png",
    "search_requests.csv", "search_requests.xlsx", "search_requests.geojson",
    "coverage_map.html",
]


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def hedong_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    district = root / "hedong"
    shutil.copytree(HEDONG, district, ignore=shutil.ignore_patterns("registry.gpkg*"))
    before = _hashes(district)
    out = root / "out"
    res = CliRunner().invoke(cli, ["run", str(district), "--out", str(out)])
    return district, out, res, before


@pytest.mark.slow
def test_run_writes_every_output_and_says_where(hedong_run):
    district, out, res, _ = hedong_run
    assert res.exit_code == 0, res.output
    for name in MAIN_OUTPUTS:
        assert (out / name).is_file(), name
        assert str(out / name) in res.stdout, f"{name} not listed in the run's summary"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(MAIN_OUTPUTS) <= set(summary["outputs"])
    assert "SAMPLE" in res.stdout


@pytest.mark.slow
def test_run_records_inputs_config_and_version(hedong_run):
    district, out, _, _ = hedong_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    prov = summary["provenance"]
    assert prov["siteplan_version"]
    assert prov["config"]["district"]["working_crs"] == "EPSG:4548"
    for name, digest in prov["input_hashes"].items():
        assert hashlib.sha256((district / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.slow
def test_run_never_modifies_inputs(hedong_run):
    district, _, _, before = hedong_run
    assert _hashes(district) == before


@pytest.mark.slow
def test_rollout_meets_or_explains_each_target(hedong_run):
    """Acceptance of the per-network plan on Hedong: coverage per network on the joint KPI, district views,
    no 700 MHz site before its service start, each goal met or explained, search requests when no candidate can
    cover, savings reported."""
    _, out, _, _ = hedong_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    plan = summary["plan"]
    assert set(plan["networks"]) == {"ctcu", "cm", "cbn"}
    for key, net in plan["networks"].items():
        phases = net["phases"]
        assert [p["id"] for p in phases] == ["2020", "2022"]
        assert phases[1]["sites"] >= phases[0]["sites"]  # nested
        for p in phases:
            assert p["sites"] <= p["target_sites"]
            cov = p["coverage"]["outdoor"]
            assert cov["covered_share"] <= cov["rsrp_share"] + 1e-9  # joint KPI never above RSRP alone
            g = p["goal"]
            assert g["met"] in (True, False, None)
            if g["met"] is False:
                assert g["why"], (key, p["id"])
    # China Broadnet's 700 MHz has no service before 2022-06: no site in 2020, its goal not due.
    cbn2020 = plan["networks"]["cbn"]["phases"][0]
    assert cbn2020["sites"] == 0 and cbn2020["goal"]["met"] is None
    sel = pd.read_csv(out / "selected_sites.csv", encoding="utf-8-sig")
    assert not ((sel["band"] == "n28") & (sel["phase"].astype(str) == "2020")).any()
    # The district total is what the work plan counts: per network counts add up to the target.
    assert sum(n["phases"][0]["target_sites"] for n in plan["networks"].values()) == 150
    assert sum(n["phases"][1]["target_sites"] for n in plan["networks"].values()) == 773
    for ph in plan["phases"]:
        v = ph["views"]
        assert v["outdoor"]["every_network"] <= v["outdoor"]["any_network"]
    # Search requests exist exactly when some goal could not be reached by any candidate, and are written.
    n_req = plan["search_requests"]["count"]
    req = pd.read_csv(out / "search_requests.csv", encoding="utf-8-sig")
    assert len(req) == n_req
    if n_req:
        assert {"需求编号 Request ID", "网络 Network", "搜索半径(m) Search radius (m)"} <= set(req.columns)
    sav = plan["money"]["savings"]["total"]
    assert sav["free_public_property_cny_per_year"] >= 0 and sav["direct_supply_cny_per_year"] >= 0
    assert plan["money"]["award"]["award_cny"] == plan["money"]["award"]["stations"] * 20000.0


@pytest.mark.slow
def test_failed_run_leaves_earlier_outputs_whole(hedong_run, tmp_path):
    district, out, _, _ = hedong_run
    before = _hashes(out)
    broken = tmp_path / "broken"
    shutil.copytree(district, broken)
    text = (broken / "candidates.csv").read_text(encoding="utf-8-sig")
    (broken / "candidates.csv").write_text(text.replace("经度", "经 度", 1), encoding="utf-8")
    res = CliRunner().invoke(cli, ["run", str(broken), "--out", str(out)])
    assert res.exit_code == 2
    assert "candidates.csv" in res.stderr and "lon" in res.stderr
    assert _hashes(out) == before


@pytest.mark.slow
def test_same_inputs_give_identical_outputs(hedong_run, tmp_path):
    """Every output is byte-identical on a second run; only timings.json (wall-clock) may differ."""
    district, out, _, _ = hedong_run
    again = tmp_path / "again"
    res = CliRunner().invoke(cli, ["run", str(district), "--out", str(again)])
    assert res.exit_code == 0, res.output
    first, second = _hashes(out), _hashes(again)
    assert set(first) == set(second)
    differ = sorted(name for name in first if first[name] != second[name])
    assert differ == ["timings.json"]


@pytest.mark.slow
def test_coverage_command(hedong_copy, tmp_path):
    out = tmp_path / "cov"
    res = CliRunner().invoke(cli, ["coverage", str(hedong_copy), "--out", str(out), "--sites", "existing"])
    assert res.exit_code == 0, res.output
    assert "coverage ctcu (upgrade, " in res.stdout and "RSRP only" in res.stdout
    for key in ("ctcu", "cm", "cbn"):
        assert (out / f"coverage_{key}.tif").is_file() and str(out / f"coverage_{key}.tif") in res.stdout
    bad = CliRunner().invoke(cli, ["coverage", str(hedong_copy), "--out", str(out), "--sites", "nowhere.csv"])
    assert bad.exit_code == 2 and "--sites must be" in bad.stderr
