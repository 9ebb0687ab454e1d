"""Property: malformed rows fed to every reader give a typed error naming the row, or a clean load — never another
exception (issue 13, acceptance 2).

Malformed values: empty, text, NaN, inf, swapped lon/lat, out of range, full-width digits (``１１７．２``), stray
whitespace, BOMs. Full-width digits are read as digits (NFKC), as Chinese input methods type them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siteplan.errors import SiteplanError
from siteplan.io import read_district
from siteplan.io.schema import BANDS, SCHEMAS, SITE_TYPES

from conftest import write_tiny_district

FULL_WIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")
HEADER = ["站址编号", "站名", "站型", "频段", "挂高", "eirp_dbm", "经度", "纬度"]
FIELDS = ["site_id", "name", "site_type", "band", "height_m", "eirp_dbm", "lon", "lat"]


def _base_rows() -> list[list[object]]:
    """The tiny district's twelve candidates (GCJ-02), with a band and an EIRP."""
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tiny_district(Path(tmp) / "t")
        rows = list(csv.reader(io.StringIO((root / "candidates.csv").read_text(encoding="utf-8"))))[1:]
    return [[sid, name, kind, "n78", float(h), 60.0, float(lon), float(lat)] for sid, name, kind, h, _op, lon, lat in rows]


BASE = _base_rows()


def _malformed(true_value: object) -> st.SearchStrategy:
    """A malformed version of one cell."""
    text = str(true_value)
    return st.one_of(
        st.sampled_from(["", " ", "\t", "abc", "nan", "NaN", "inf", "-inf", "1e400", "117,24", "１１７．２", "高",
                         "n999", "宏基站x", "=1+1", "500", "-91", "1e6", "-5"]),
        st.just(text.translate(FULL_WIDTH)),
        st.just(f"  {text} \t"),
        st.just("\ufeff" + text),
        st.just(text + "\u200b"),
        st.sampled_from([float("nan"), float("inf"), -1e9, None]),
        st.text(max_size=8),
    )


@st.composite
def mutations(draw):
    """A list of (row, field, value), (row, "swap", None) or (row, "extra", value: a cell past the header) edits."""
    edits = []
    for _ in range(draw(st.integers(1, 5))):
        row = draw(st.integers(0, len(BASE) - 1))
        fld = draw(st.sampled_from([*FIELDS, "swap", "extra"]))
        value = (None if fld == "swap" else draw(_malformed("x")) if fld == "extra"
                 else draw(_malformed(BASE[row][FIELDS.index(fld)])))
        edits.append((row, fld, value))
    return edits


def _apply(edits) -> list[list[object]]:
    rows = [list(r) for r in BASE]
    for row, fld, value in edits:
        if fld == "swap":
            rows[row][6], rows[row][7] = rows[row][7], rows[row][6]
        elif fld == "extra":
            rows[row].append(value)
        else:
            rows[row][FIELDS.index(fld)] = value
    return rows


def _cell_text(v: object) -> str:
    return "" if v is None else repr(v) if isinstance(v, float) and not math.isfinite(v) else str(v)


def _as_float(v: object) -> float | None:
    try:
        return float(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def _write(root: Path, rows: list[list[object]], fmt: str, bom: bool) -> str:
    if fmt == "csv":
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows([HEADER] + [[_cell_text(v) for v in r] for r in rows])
        (root / "c.csv").write_text(("\ufeff" if bom else "") + buf.getvalue(), encoding="utf-8")
        return "c.csv"
    if fmt == "xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(HEADER)
        for r in rows:  # untouched numbers stay numbers; malformed values go in as text (no control characters,
            # which a workbook cannot hold)
            ws.append([v if isinstance(v, float) and math.isfinite(v) else ILLEGAL_CHARACTERS_RE.sub("", _cell_text(v))
                       for v in r])
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    c.data_type = "s"
        wb.save(root / "c.xlsx")
        return "c.xlsx"
    props = {f: [r[i] for r in rows] for i, f in enumerate(FIELDS[:6])}
    if fmt == "geojson":
        feats = []
        for r in rows:
            lon, lat = r[6], r[7]
            geom = None if lon is None or lat is None else {"type": "Point", "coordinates": [lon, lat]}
            feats.append({"type": "Feature", "geometry": geom, "properties": dict(zip(FIELDS[:6], r[:6]))})
        (root / "c.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}, allow_nan=True),
                                        encoding="utf-8")
        return "c.geojson"
    xs, ys = [_as_float(r[6]) for r in rows], [_as_float(r[7]) for r in rows]
    geoms = [shapely.Point(x, y) if x is not None and y is not None else None for x, y in zip(xs, ys)]
    cols = {}
    for f, vals in props.items():  # a column of numbers stays numeric; any text makes it a text column
        floats = all(v is None or isinstance(v, float) for v in vals)
        cols[f] = [v for v in vals] if floats else [None if v is None else str(v) for v in vals]
    gpd.GeoDataFrame(cols, geometry=geoms, crs="EPSG:4326").to_file(root / "c.gpkg", layer="c", engine="pyogrio")
    return "c.gpkg"


def _assert_clean(d) -> None:
    c = d.layers["candidates"]
    assert len(c) == len(BASE)
    xy = shapely.get_coordinates(c.geometry.values)
    assert len(xy) == len(c) and np.isfinite(xy).all()
    assert shapely.distance(c.geometry.values, d.boundary).max() < 20_000.0
    schema = SCHEMAS["candidates"]
    for col in schema.numeric:
        v = c[col].to_numpy(dtype=float)
        lo, hi, _ = schema.ranges[col]
        assert np.isfinite(v).all() and (v >= lo).all() and (v <= hi).all(), (col, v)
    assert c["site_type"].isin(SITE_TYPES).all()
    assert c["band"].isin([b for b in BANDS if b]).all()
    assert (c["site_id"] != "").all()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson", "gpkg"])
@settings(max_examples=25)
@given(edits=mutations(), bom=st.booleans())
def test_malformed_rows_give_a_typed_error_naming_the_row_or_a_clean_load(fmt, edits, bom):
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tiny_district(Path(tmp) / "t")
        name = _write(root, _apply(edits), fmt, bom)
        toml = root / "district.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace('file = "candidates.csv"', f'file = "{name}"'),
                        encoding="utf-8")
        try:
            d = read_district(root)
        except SiteplanError as e:
            msg = str(e)
            assert name in msg, msg
            assert re.search(r"\b(row|feature) \d+", msg) or "layer 'candidates' is declared" in msg, msg
            assert "\n" not in msg
        else:
            _assert_clean(d)
