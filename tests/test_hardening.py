"""Issue 13 — inputs that lie, folders that are shared, runs that die: one test per case, on copies of Hedong.

A refused case asserts the typed error, that its one line names the file, the row or feature (or layer) and the
field, that the CLI prints exactly that line and exits 2, and that neither the district folder nor the previous
output changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import shapely
from click.testing import CliRunner
from scipy.spatial import cKDTree

from siteplan.cli import cli
from siteplan.crs import convert
from siteplan.errors import ConfigError, CRSError, InputFileError, OutputError, SchemaError
from siteplan.io import read_district
from siteplan.io.outfolder import lock_output

from conftest import HEDONG

CANDIDATES_TOML = 'file = "candidates.csv"        # operators\' candidate list, AMap coordinates\nframe = "GCJ02"'

#: Candidates of the bundled sample (its candidates.csv rows).
N_CANDIDATES = sum(1 for _ in open(Path(__file__).resolve().parents[1] / "data/districts/hedong/candidates.csv",
                                     encoding="utf-8-sig")) - 1


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _write_rows(path: Path, rows: list[list[str]], *, bom: bool = True) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(("\ufeff" if bom else "") + buf.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A copy of Hedong and the output folder of a `siteplan check` on it: "the previous output"."""
    root = tmp_path_factory.mktemp("previous")
    district = root / "hedong"
    shutil.copytree(HEDONG, district, ignore=shutil.ignore_patterns("registry.gpkg*"))
    out = root / "out"
    res = CliRunner().invoke(cli, ["check", str(district), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return district, out


@pytest.fixture
def hd(previous, tmp_path):
    """A private copy of Hedong for one test, and the shared previous output folder."""
    district = tmp_path / "hedong"
    shutil.copytree(previous[0], district)
    return district, previous[1]


def _refused(district: Path, out: Path, cls: type, *needles: str, command: str = "check") -> str:
    """The case fails with ``cls`` naming every needle, as one CLI line with exit 2, and changes nothing."""
    before_in, before_out = _hashes(district), _hashes(out)
    with pytest.raises(cls) as info:
        read_district(district)
    msg = str(info.value)
    for needle in needles:
        assert needle in msg, f"{needle!r} not in: {msg}"
    res = CliRunner().invoke(cli, [command, str(district)] + (["--out", str(out)] if command != "info" else []))
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines == [f"siteplan: error: {msg}"] and "Traceback" not in res.output
    assert _hashes(district) == before_in, "the district folder changed"
    assert _hashes(out) == before_out, "the previous output changed"
    return msg


# ---------------------------------------------------------------------------------- 1. a frame that lies

def _points_off_every_reference(district: Path, n: int, seed: int) -> np.ndarray:
    """``n`` points inside the boundary [EPSG:4548], none within 20 m of a pole, plan site or existing site."""
    d = read_district(district)
    refs = cKDTree(np.concatenate([shapely.get_coordinates(d.layers[k].geometry.values)
                                   for k in ("poles", "plan_sites", "existing_sites")]))
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = d.boundary.bounds
    xy = np.column_stack([rng.uniform(x0, x1, 20 * n), rng.uniform(y0, y1, 20 * n)])
    keep = shapely.contains_xy(d.boundary, xy[:, 0], xy[:, 1]) & (refs.query(xy)[0] > 20.0)
    assert keep.sum() >= n
    return xy[keep][:n]


def _write_candidates(district: Path, xy: np.ndarray, frame: str) -> None:
    lon, lat = convert(xy[:, 0], xy[:, 1], "EPSG:4548", frame)
    rows = [["站址编号", "站名", "站型", "经度", "纬度"]]
    rows += [[f"X{i:03d}", f"候选{i}", "宏站", f"{a:.7f}", f"{b:.7f}"] for i, (a, b) in enumerate(zip(lon, lat))]
    _write_rows(district / "candidates.csv", rows)


@pytest.mark.parametrize(("data", "declared"), [("GCJ02", "WGS84"), ("WGS84", "GCJ02"), ("BD09", "CGCS2000")])
def test_layer_in_another_frame_is_refused_with_the_frame_and_offset(hd, data, declared):
    """The issue's case: a candidate list on no pole, plan site or existing site, read in the wrong frame."""
    district, out = hd
    _write_candidates(district, _points_off_every_reference(district, 60, seed=13), data)
    _edit(district / "district.toml", CANDIDATES_TOML, f'file = "candidates.csv"\nframe = "{declared}"')
    msg = _refused(district, out, CRSError, "candidates.csv: layer 'candidates'", f"is declared {declared}",
                   f"most likely {data}", "outside the district boundary as declared", "fix `frame` in [layers.candidates]")
    offset = float(re.search(r"lies ~(\d+) m off", msg).group(1))
    assert (500 < offset < 600) if "BD09" not in (data, declared) else (1200 < offset < 1500), msg


def test_weak_frame_evidence_is_a_warning_recorded_in_the_summary(hd, tmp_path):
    """Three candidates near the east edge pushed out by an undeclared GCJ-02 offset: a warning, not an error."""
    district, _ = hd
    d = read_district(district)
    inner = _points_off_every_reference(district, 200, seed=5)
    dist = shapely.distance(shapely.points(inner), d.boundary.boundary)
    lon, lat = convert(inner[:, 0], inner[:, 1], "EPSG:4548", "GCJ02")
    read_as_wgs = shapely.points(np.column_stack(convert(lon, lat, "WGS84", "EPSG:4548")))
    pushed_out = ~shapely.contains(d.boundary, read_as_wgs)
    xy = np.concatenate([inner[pushed_out][:3], inner[dist > 1500.0][:7]])
    _write_candidates(district, xy, "GCJ02")
    _edit(district / "district.toml", CANDIDATES_TOML, 'file = "candidates.csv"\nframe = "WGS84"')
    before = _hashes(district)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["check", str(district), "--out", str(out)])
    assert res.exit_code == 0, res.output
    warnings = json.loads((out / "summary.json").read_text(encoding="utf-8"))["warnings"]
    assert [(w["code"], w["layer"], w["file"]) for w in warnings] == [("FRAME_DOUBTFUL", "candidates", "candidates.csv")]
    assert "declared WGS84, but some evidence says GCJ02" in warnings[0]["message"]
    assert f"siteplan: warning: {warnings[0]['message']}" in res.stderr
    assert _hashes(district) == before


def test_boundary_in_another_frame_is_refused(hd):
    district, out = hd
    _edit(district / "district.toml", 'file = "boundary.geojson"\nframe = "WGS84"',
          'file = "boundary.geojson"\nframe = "GCJ02"')
    _refused(district, out, CRSError, "boundary.geojson: layer 'boundary' is declared GCJ02", "most likely WGS84",
             "of the other layers'", "fix `frame` in [layers.boundary]")


def test_hedong_as_bundled_gives_no_frame_warning():
    assert read_district(HEDONG).warnings == []


# ---------------------------------------------------------------------------------- 2. paths that leave

@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_layer_file_outside_the_district_folder_is_refused(hd, how):
    district, out = hd
    outside = district.parent / "elsewhere.csv"
    shutil.copy(district / "candidates.csv", outside)
    value = {"dotdot": "../elsewhere.csv", "absolute": str(outside), "symlink": "link.csv"}[how]
    if how == "symlink":
        os.symlink(outside, district / "link.csv")
    _edit(district / "district.toml", 'file = "candidates.csv"', f"file = '{value}'")
    msg = _refused(district, out, InputFileError, "district.toml: layers.candidates.file", "leads outside the district folder",
                   "[district] data_dirs")
    assert ("(through a symbolic link)" in msg) == (how == "symlink")


def test_shared_data_folder_is_an_explicit_opt_in(hd):
    district, _ = hd
    shared = district.parent / "shared"
    shared.mkdir()
    shutil.move(district / "candidates.csv", shared / "candidates.csv")
    _edit(district / "district.toml", 'file = "candidates.csv"', "file = '../shared/candidates.csv'")
    with pytest.raises(InputFileError, match="leads outside the district folder"):
        read_district(district)
    _edit(district / "district.toml", "sample = true", 'sample = true\ndata_dirs = ["../shared"]')
    d = read_district(district)
    assert len(d.layers["candidates"]) == N_CANDIDATES and "../shared/candidates.csv" in d.input_hashes


def test_a_file_that_is_not_a_layer_is_never_quoted_beyond_its_header(hd):
    district, out = hd
    (district / "notes.csv").write_text("password=hunter2 do not share\nline two hunter2\n", encoding="utf-8")
    _edit(district / "district.toml", 'file = "candidates.csv"', 'file = "notes.csv"')
    msg = _refused(district, out, SchemaError, "notes.csv: missing coordinate column 'lon'", "rows 1-2")
    assert "hunter2" not in msg


# ---------------------------------------------------------------------------------- 3. empty layers

def test_header_only_candidate_file_is_refused(hd):
    district, out = hd
    p = district / "candidates.csv"
    _write_rows(p, _rows(p)[:1])
    _refused(district, out, SchemaError, "candidates.csv: layer 'candidates' has no rows")


def test_header_only_optional_layer_is_a_warning_in_the_summary(hd, tmp_path):
    district, _ = hd
    p = district / "public_facilities.csv"
    p.write_bytes(p.read_bytes().split(b"\r\n" if b"\r\n" in p.read_bytes() else b"\n", 1)[0] + b"\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["check", str(district), "--out", str(out)])
    assert res.exit_code == 0, res.output
    warnings = json.loads((out / "summary.json").read_text(encoding="utf-8"))["warnings"]
    assert {(w["code"], w["layer"], w["file"]) for w in warnings} == {
        ("EMPTY_LAYER", "public_facilities", "public_facilities.csv")}
    assert "public_facilities.csv: layer 'public_facilities' has no rows" in res.stderr


# ---------------------------------------------------------------------------------- 4. misspelt config

@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ('micro = ["street_lamp", "monitoring", "other"]', 'micro = ["streetlamp", "monitoring", "other"]',
         "rules.pole_kinds_for_type.micro[0] = 'streetlamp' is not a known value; did you mean 'street_lamp'?"),
        ('emf_receptors = ["school", "kindergarten", "hospital"]', 'emf_receptors = ["school", "kindergarden", "hospital"]',
         "rules.emf_receptors[1] = 'kindergarden' is not a known value; did you mean 'kindergarten'?"),
        ("min_spacing_m = { macro = 150.0,", "min_spacing_m = { marco = 150.0,",
         "unknown key 'rules.min_spacing_m.marco'; did you mean 'macro'?"),
    ],
)
def test_misspelt_rules_value_is_refused_with_a_suggestion(hd, old, new, needle):
    district, out = hd
    _edit(district / "district.toml", old, new)
    _refused(district, out, ConfigError, "district.toml: ", needle)


# ---------------------------------------------------------------------------------- 5. shared output folders

def test_concurrent_run_into_the_same_folder_is_refused(hd):
    district, out = hd
    before = _hashes(out)
    with lock_output(out):
        res = CliRunner().invoke(cli, ["check", str(district), "--out", str(out)])
    assert res.exit_code == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and f"{out}: another siteplan run (pid {os.getpid()}) is writing" in lines[0]
    assert _hashes(out) == before


def test_a_run_replaces_the_whole_output_set_and_cleans_leftovers(hd, tmp_path):
    district, previous = hd
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    (out / "coverage_map.html").write_text("a map of an older run", encoding="utf-8")
    (out / ".candidates.csv.k3j4h5g6.tmp.csv").write_text("half a file", encoding="utf-8")
    (tmp_path / ".out.staging-99999-abcd1234").mkdir()
    (tmp_path / ".out.staging-99999-abcd1234" / "summary.json").write_text("{}", encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", str(district), "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert sorted(p.name for p in out.iterdir()) == sorted(summary["outputs"])
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == [".out.lock"]


def test_a_folder_of_other_files_is_never_replaced(hd, tmp_path):
    district, _ = hd
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.docx").write_bytes(b"mine")
    res = CliRunner().invoke(cli, ["check", str(district), "--out", str(out)])
    assert res.exit_code == 2 and "holds files siteplan did not write (e.g. 'chapter1.docx')" in res.stderr
    assert [p.name for p in out.iterdir()] == ["chapter1.docx"]
    with pytest.raises(OutputError):
        from siteplan.pipeline import run

        run(district, out, steps=["check"])


# ---------------------------------------------------------------------------------- 6. every problem named

def test_every_bad_row_of_a_layer_is_named(hd):
    district, out = hd
    p = district / "candidates.csv"
    rows = _rows(p)
    head = rows[0]
    lon, lat, height, band = head.index("经度"), head.index("纬度"), head.index("挂高"), head.index("频段")
    rows[3][lat] = ""          # row 4
    rows[7][lon] = " "         # row 8
    rows[10][height] = "高"    # row 11
    rows[12][band] = "n999"    # row 13
    _write_rows(p, rows)
    msg = _refused(district, out, SchemaError, "candidates.csv: 4 problems: ", "row 4: field 'lat' is empty",
                   "row 8: field 'lon' is empty", f"row 11 (id {rows[10][0]}): field 'height_m' = '高'",
                   f"row 13 (id {rows[12][0]}): field 'band' = 'n999'")
    assert msg.index("row 4") < msg.index("row 8") < msg.index("row 11") < msg.index("row 13")


def test_many_bad_rows_are_capped_and_counted(hd):
    district, out = hd
    p = district / "candidates.csv"
    rows = _rows(p)
    h = rows[0].index("挂高")
    for r in rows[1:41]:
        r[h] = "-5"
    for r in rows[41:71]:
        r[rows[0].index("站型")] = "宏基站x"
    _write_rows(p, rows)
    msg = _refused(district, out, SchemaError, "candidates.csv: 70 problems: ", "row 2 (id ",
                   "field 'height_m' = -5: expected 0 to 1000 m", "35 more rows: field 'height_m' out of range",
                   "25 more rows: field 'site_type' not one of macro, micro, indoor")
    assert msg.count("; ") == 11 and len(msg) < 2500  # 5 rows + a count for each of the two checks


def test_problems_past_the_cap_are_counted():
    from siteplan.io._problems import MAX_LISTED, Problems

    problems = Problems(Path("x.csv"), lambda i, with_id: f"row {i + 2}")
    for i in range(MAX_LISTED + 10):
        problems.add(SchemaError, i, f"field 'k{i}' is odd")
    with pytest.raises(SchemaError) as info:
        problems.raise_if_any()
    msg = str(info.value)
    assert msg.startswith("x.csv: 30 problems: row 2: field 'k0' is odd; row 3:")
    assert msg.endswith(f"row {MAX_LISTED + 1}: field 'k{MAX_LISTED - 1}' is odd; … and 10 more")
    assert len(info.value.problems) == MAX_LISTED


# ---------------------------------------------------------------------------------- 7. office sheets

def test_xlsx_with_title_and_notes_above_the_header_loads(hd):
    district, _ = hd
    ref = read_district(district).layers["existing_sites"]
    p = district / "existing_sites.xlsx"
    wb = openpyxl.load_workbook(p)
    ws = wb["sites"]
    ws.insert_rows(1, 3)
    ws["A1"] = "河东区现网站点工参表（样例）"
    ws["A2"] = "注：坐标为 CGCS2000；挂高单位 m"
    wb.save(p)
    got = read_district(district).layers["existing_sites"]
    assert got["site_id"].tolist() == ref["site_id"].tolist()
    assert shapely.equals_exact(got.geometry.values, ref.geometry.values, tolerance=1e-6).all()


def test_csv_title_row_and_header_row_setting(hd):
    district, out = hd
    p = district / "candidates.csv"
    rows = _rows(p)
    _write_rows(p, [["2020年河东区5G候选站址清单"], ["说明：样例数据"], [], *rows])
    assert len(read_district(district).layers["candidates"]) == N_CANDIDATES
    _write_rows(p, [[f"注{i}"] for i in range(12)] + rows)
    _refused(district, out, SchemaError, "candidates.csv: missing coordinate column 'lon'",
             "no header row in rows 1-10", "`header_row`")
    _edit(district / "district.toml", CANDIDATES_TOML, CANDIDATES_TOML + "\nheader_row = 13")
    d = read_district(district)
    assert len(d.layers["candidates"]) == N_CANDIDATES
    rows2 = [[f"注{i}"] for i in range(12)] + rows
    rows2[20][rows[0].index("经度")] = "x"
    _write_rows(p, rows2)
    with pytest.raises(SchemaError, match=r"candidates\.csv: row 21: field 'lon' = 'x'"):  # rows as the sheet shows
        read_district(district)
    _edit(district / "district.toml", "header_row = 13", "header_row = 3")
    with pytest.raises(SchemaError, match=r"no header row in row 3 \(header_row in district\.toml\)"):
        read_district(district)


# ---------------------------------------------------------------------------------- 9. smaller things

def test_unknown_band_is_named_on_load(hd):
    district, out = hd
    p = district / "candidates.csv"
    rows = _rows(p)
    rows[5][rows[0].index("频段")] = "n999"
    _write_rows(p, rows)
    _refused(district, out, SchemaError, f"candidates.csv: row 6 (id {rows[5][0]}): field 'band' = 'n999': "
             "expected one of n78, n41, n79, n28 (or empty)", command="info")


def test_full_width_digits_and_stray_bom_read_as_numbers(hd):
    district, _ = hd
    p = district / "candidates.csv"
    rows = _rows(p)
    head = rows[0]
    ref = read_district(district).layers["candidates"]
    rows[1][head.index("经度")] = rows[1][head.index("经度")].translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    rows[1][head.index("挂高")] = "\ufeff１５"
    _write_rows(p, rows)
    got = read_district(district).layers["candidates"]
    assert got.geometry.values[0].equals_exact(ref.geometry.values[0], 1e-6)
    assert got["height_m"].iloc[0] == 15.0


def test_run_help_does_not_claim_the_review_workbook():
    res = CliRunner().invoke(cli, ["run", "--help"])
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    assert "map and review workbook" not in text
    assert "written by `siteplan review export`" in text
