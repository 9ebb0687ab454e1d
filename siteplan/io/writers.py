"""Output writers: atomic (temp file + rename), spreadsheet-safe, deterministic, traceable.

A failed run never leaves a half-written file: each writer writes beside the target and renames over it only
once the file is complete. Text that Excel would run as a formula is neutralised in CSV (a leading apostrophe);
in XLSX every text cell is typed as a string, which is inert as it is, so it is written unchanged.

Tables for people take their headers, value labels and number formats from :mod:`siteplan.io.labels`
(``labels=True``); every printed sheet gets one page setup (:func:`page_setup`); every output records what made
it (:func:`provenance`, :func:`provenance_tags`).
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = [
    "FORMULA_PREFIXES",
    "GPKG_VERSION",
    "XLSX_MAX_ROWS",
    "XLSX_MAX_TEXT",
    "atomic_path",
    "config_sha256",
    "fixed_gdal_date",
    "header_height",
    "neutralize_formula",
    "page_setup",
    "provenance",
    "provenance_html_meta",
    "provenance_tags",
    "reproducible_zip",
    "write_csv",
    "write_geojson",
    "write_gpkg_layers",
    "write_json",
    "write_xlsx",
    "xlsx_text",
]

#: Leading characters that make Excel/LibreOffice treat a cell as a formula (OWASP CSV injection list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``, on error remove it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers (GDAL, openpyxl) want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def neutralize_formula(value: Any) -> Any:
    """Prefix ``'`` to a string that a spreadsheet would run as a formula; other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _plain_frame(df: pd.DataFrame, *, neutralise: bool = True) -> pd.DataFrame:
    """Drop geometry, turn lists into '; '-joined text; with ``neutralise``, defuse formulas in text columns."""
    out = pd.DataFrame(df).copy()
    geom_cols = [c for c in out.columns if str(out[c].dtype) == "geometry"]
    out = out.drop(columns=geom_cols)
    for col in out.columns:
        s = out[col]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        s = s.astype(object)
        if pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty", "boolean", "integer", "floating",
                                                            "mixed-integer-float", "decimal", "date", "datetime"):
            s = s.map(lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
        if neutralise and pd.api.types.infer_dtype(s, skipna=True) in ("string", "mixed", "mixed-integer"):
            # vectorised over the text cells only (a column may mix text with numbers or booleans): a string
            # starting with a formula character gets the apostrophe
            text = s.where(s.map(type) == str)
            hit = text.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool).to_numpy()
            if hit.any():
                s = s.copy()
                s[hit] = "'" + s[hit]
        out[col] = s
    return out


def write_csv(df: pd.DataFrame, path: str | Path, *, labels: bool = False,
              headers: dict[str, str] | None = None) -> Path:
    """Write a CSV that Excel opens correctly: UTF-8 with BOM, formulas neutralised, numbers kept as numbers.

    With ``labels`` the canonical columns get Chinese-first headers (:func:`siteplan.io.labels.labelled`;
    ``headers`` overrides single headers). Values stay canonical codes ("compliant", "street_lamp"), so scripts
    and spreadsheet filters keep working on the CSV; the XLSX shows their labels.
    """
    from .labels import labelled

    path = Path(path)
    table = labelled(df, headers=headers, values=False) if labels else df
    with atomic_path(path) as tmp:
        _plain_frame(table).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def _text_width(v: Any) -> int:
    s = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
    # East Asian characters take two columns in Excel.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _col_width(header: str, values: pd.Series) -> float:
    """Column width [characters]: the longest of the first 500 values; a long header wraps instead of widening."""
    longest = max([min(_text_width(header), 16)] + [_text_width(v) for v in values.head(500)])
    return float(min(max(longest + 2, 6), 40))


#: The date stamped into every output container that records one (zip entries, GeoPackage contents).
FIXED_DATE = (2020, 1, 1, 0, 0, 0)
_FIXED_ISO = "2020-01-01T00:00:00Z"
#: The same instant in the form the GeoPackage standard wants for ``last_change`` (milliseconds, "Z").
GPKG_FIXED_TIMESTAMP = "2020-01-01T00:00:00.000Z"
#: GeoPackage version written: 1.2 (user_version 10200). 1.4 uses nothing siteplan needs, and GDAL < 3.7 (QGIS
#: 3.22 LTR on Debian 12) warns on every open of a 1.4 file.
GPKG_VERSION = "1.2"


def reproducible_zip(path: str | Path) -> Path:
    """Rewrite a zip container (XLSX) in place with fixed entry dates and document dates: same content, same bytes."""
    import io
    import re
    import zipfile

    path = Path(path)
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, body in entries:
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + _FIXED_ISO.encode() + rb"\2", body)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    path.write_bytes(out.getvalue())
    return path


@contextlib.contextmanager
def fixed_gdal_date() -> Iterator[None]:
    """GDAL stamps GeoPackages with the current time; pin it so identical layers give identical files."""
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_FIXED_TIMESTAMP})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


#: Rows of one sheet past which an XLSX holds only the first rows and says so (the CSV and the GeoPackage hold
#: all): Excel opens up to 1,048,576, but filtering, printing and WPS crawl long before.
XLSX_MAX_ROWS = 10_000
#: Longest text shown in one XLSX data cell; longer text ends in "…" and the About sheet says how many were cut
#: (Excel's own hard limit is 32,767 characters, which it applies silently).
XLSX_MAX_TEXT = 1_000
_EXCEL_TEXT_LIMIT = 32_767
#: Font of styled cells (headers, notices): the workbook's body font, so a styled cell never falls back to a
#: serif face where a font name is missing (LibreOffice does that).
XLSX_FONT = "Calibri"
_ELLIPSIS = "…"


def header_height(headers: list[str], widths: list[float]) -> float:
    """Height [points] of a header row whose wrapped headers fit their column widths (no spreadsheet
    re-measures a row on opening, so a wrapped header would otherwise show its first line only)."""
    lines = max((math.ceil(_text_width(h) / max(w - 1.5, 1.0)) for h, w in zip(headers, widths)), default=1)
    return 15.0 * max(lines, 1) + 2.0


def _short_notice(notice: str | None) -> str:
    """The notice's first clause, for a page header (Excel allows 255 characters per header)."""
    if not notice:
        return ""
    first = notice.split("——")[0].split(" — ")[0].strip()
    return first[:60]


def page_setup(ws, *, header_row: int, last_row: int, last_col: int, district: str = "",
               notice: str | None = None, widths: list[float] | None = None, freeze_col: int = 1) -> None:
    """Page layout of a sheet a person prints (openpyxl worksheet, normal or write-only).

    Landscape, one page wide (A4, or A3 when the columns are wider than ~1.5 A4 pages would take), rows 1 to
    ``header_row`` repeated on every page, print area = the table, panes frozen below the header (and right of
    column ``freeze_col - 1``), header "district | sheet | notice", footer "第 x 页 共 y 页 Page x of y".

    Parameters
    ----------
    header_row, last_row, last_col
        1-based row of the column headers, last row and last column of the table.
    widths
        Column widths [characters], to choose the paper.
    """
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    total = sum(widths) if widths else 12.0 * last_col
    ps = ws.page_setup
    ps.orientation = "landscape"
    ps.paperSize = 8 if total > 190 else 9  # 8 = A3, 9 = A4 (ECMA-376 ST_PaperSize)
    ps.fitToWidth = 1
    ps.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.6, header=0.3, footer=0.3)
    ws.print_title_rows = f"1:{header_row}"
    last = get_column_letter(max(last_col, 1))
    ws.print_area = f"A1:{last}{max(last_row, header_row)}"
    ws.freeze_panes = f"{get_column_letter(freeze_col)}{header_row + 1}"
    ws.oddHeader.left.text = district[:80]
    ws.oddHeader.center.text = "&A"  # the sheet's name
    ws.oddHeader.right.text = _short_notice(notice)
    ws.oddHeader.right.color = "C00000"
    ws.oddFooter.left.text = f"siteplan {__version__}"
    ws.oddFooter.center.text = "第 &P 页 共 &N 页  Page &P of &N"
    ws.oddFooter.right.text = "&F"  # the file's name


def xlsx_text(v: str, limit: int) -> tuple[str, bool]:
    """Text as an XLSX cell holds it: characters XML cannot carry dropped, capped at ``limit`` with "…"."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    v = ILLEGAL_CHARACTERS_RE.sub("", v)
    if len(v) > limit:
        return v[: limit - 1] + _ELLIPSIS, True
    return v, False


def _write_sheet(wb, title: str, df: pd.DataFrame, notes: list[str], *, labels: bool,
                 headers: dict[str, str] | None, district: str, notice: str | None, text_limit: int) -> int:
    """Stream one table into a write-only workbook; return how many text cells were cut to ``text_limit``."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from .labels import column_format, labelled

    formats = [column_format(str(c)) for c in df.columns]
    table = labelled(df, headers=headers, typed=True) if labels else df
    table = _plain_frame(table, neutralise=False)
    ws = wb.create_sheet(title=_sheet_title(title))
    n_cols = len(table.columns)
    header_row = len(notes) + 1
    last_row = header_row + len(table)
    widths = [_col_width(str(c), table[c]) for c in table.columns]
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.row_dimensions[header_row].height = header_height([str(c) for c in table.columns], widths)
    if n_cols:
        page_setup(ws, header_row=header_row, last_row=last_row, last_col=n_cols, district=district,
                   notice=notice, widths=widths)
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(n_cols)}{max(last_row, header_row + 1)}"
    red = Font(name=XLSX_FONT, bold=True, color="C00000")
    for note in notes:
        c = WriteOnlyCell(ws, value=xlsx_text(note, _EXCEL_TEXT_LIMIT)[0])
        c.data_type = "s"
        c.font = red
        ws.append([c])
    bold, fill = Font(name=XLSX_FONT, bold=True), PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(horizontal="center", vertical="center", wrap_text=True)
    head = []
    for col in table.columns:
        c = WriteOnlyCell(ws, value=xlsx_text(str(col), 255)[0])
        c.data_type, c.font, c.fill, c.alignment = "s", bold, fill, wrap
        head.append(c)
    ws.append(head)
    cut = 0
    styled: dict[str, Any] = {}
    for rec in table.itertuples(index=False, name=None):
        row: list[Any] = []
        for v, fmt in zip(rec, formats):
            fmt = fmt or getattr(v, "number_format", None)  # a labels.Share in a mixed column
            v = _cell_value(v)
            if isinstance(v, str):
                v, was_cut = xlsx_text(v, text_limit)
                cut += was_cut
                if v.startswith("="):  # openpyxl would take it for a formula: type it as text
                    c = WriteOnlyCell(ws, value=v)
                    c.data_type = "s"
                    v = c
            elif fmt is not None and v is not None and not isinstance(v, bool):
                if fmt not in styled:  # register the format once; later cells copy its style
                    styled[fmt] = WriteOnlyCell(ws)
                    styled[fmt].number_format = fmt
                c = WriteOnlyCell(ws, value=v)
                c._style = copy.copy(styled[fmt]._style)
                v = c
            row.append(v)
        ws.append(row)
    return cut


def write_xlsx(
    path: str | Path,
    sheets: dict[str, pd.DataFrame],
    *,
    notice: str | None = None,
    metadata: dict[str, Any] | None = None,
    labels: bool = False,
    headers: dict[str, str] | None = None,
    district: str = "",
    max_rows: int | None = XLSX_MAX_ROWS,
    text_limit: int = XLSX_MAX_TEXT,
    complete_in: str = "同名 CSV 与 siteplan.gpkg / the CSV of the same name and siteplan.gpkg",
) -> Path:
    """Write sheets to an XLSX workbook, streamed (constant memory); every text cell is a string, never a formula.

    Parameters
    ----------
    sheets
        Sheet name -> table. With ``labels`` the canonical columns get Chinese-first headers, value labels and
        number formats (percentages, dates, phases as numbers); otherwise headers are used as they are.
    notice
        Shown in red bold in a first row above each sheet's header (the sample-data notice), and in the page header.
    metadata
        Written as key/value rows to a final sheet "说明 About" (provenance, config, hashes), with a note of any
        sheet or cell that was cut.
    district
        Shown in the page header when printed.
    max_rows
        A sheet with more rows holds its first ``max_rows`` and says so above its header; the full table belongs in
        ``complete_in`` (the CSV / GeoPackage written beside it). None: no limit.
    text_limit
        Longest text of a data cell [characters]; longer text ends in "…" (counted in the About sheet).
    """
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    cut_cells = 0
    cut_sheets: list[str] = []
    for name, df in sheets.items():
        notes = [notice] if notice else []
        if max_rows is not None and len(df) > max_rows:
            notes.append(f"仅列出前 {max_rows:,} 行，共 {len(df):,} 行；完整列表见{complete_in}。"
                         f" Only the first {max_rows:,} of {len(df):,} rows are listed here.")
            cut_sheets.append(f"{name}: {max_rows:,} / {len(df):,}")
            df = df.iloc[:max_rows]
        cut_cells += _write_sheet(wb, name, df, notes, labels=labels, headers=headers, district=district,
                                  notice=notice, text_limit=text_limit)
    if metadata is not None:
        meta = {k: _meta_text(v) for k, v in metadata.items()}
        if cut_sheets:
            meta["截断的工作表 Sheets cut to their first rows"] = "; ".join(cut_sheets) + f" — {complete_in}"
        if cut_cells:
            meta["截断的单元格 Cells cut"] = (
                f"{cut_cells} 个单元格的文字超过 {text_limit:,} 字符，以“…”结尾 / {cut_cells} cells longer than "
                f"{text_limit:,} characters end in '…'; the full text is in {complete_in}")
        about = pd.DataFrame({"项目 Item": list(meta), "内容 Value": list(meta.values())})
        _write_sheet(wb, "说明 About", about, [notice] if notice else [], labels=False, headers=None,
                     district=district, notice=notice, text_limit=_EXCEL_TEXT_LIMIT)
    wb.properties.creator = f"siteplan {__version__}"
    path = Path(path)
    with atomic_path(path) as tmp:
        wb.save(tmp)
        reproducible_zip(tmp)
    return path


def _sheet_title(s: str) -> str:
    """A valid, unique-enough sheet name: no []:*?/\\, at most 31 characters."""
    for ch in "[]:*?/\\":
        s = s.replace(ch, "_")
    return s[:31]


def _meta_text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True, default=_json_default)


def _cell_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def _ccw(geoms: np.ndarray) -> np.ndarray:
    """Polygons with counter-clockwise exterior and clockwise interior rings (RFC 7946, section 3.1.6)."""
    import shapely

    return shapely.orient_polygons(geoms, exterior_cw=False)


def _json_column(values: pd.Series, dump) -> np.ndarray:
    """Each value of a column as JSON text (NaN/None/inf -> null), encoding every distinct value once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    enc = []
    for u in uniques:
        if isinstance(u, (list, tuple)):
            u = "; ".join(map(str, u))
        elif isinstance(u, (float, np.floating)) and not math.isfinite(u):
            u = None
        enc.append(dump(u))
    return np.asarray(enc + ["null"], dtype=object)[codes]  # code -1 (missing) -> the last: null


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path, *, precision: int = 7,
                  provenance: dict | None = None, chunk: int = 20_000) -> Path:
    """Write a GeoDataFrame as RFC 7946 GeoJSON: WGS 84, coordinates rounded to ``precision`` decimals,
    polygon exteriors counter-clockwise and holes clockwise.

    ``provenance`` (e.g. ``provenance(district, full=False)``) goes into a top-level foreign member
    ``"siteplan"``. The text is what ``json.dumps`` of the whole collection with sorted keys would give, built
    column by column (each distinct value encoded once) and written ``chunk`` features at a time.
    """
    import shapely
    from shapely.geometry import mapping

    def dump(o: Any) -> str:
        return json.dumps(o, ensure_ascii=False, sort_keys=True, default=_json_default, allow_nan=False)

    out = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf
    geoms = np.asarray(shapely.set_precision(out.geometry.values, 10.0**-precision, mode="pointwise"))
    geoms = _ccw(geoms)  # after rounding, which could flip a sliver ring
    props = pd.DataFrame(out.drop(columns=out.geometry.name))
    keys = sorted(props.columns, key=str)
    points = shapely.get_type_id(geoms) == 0
    xy = np.full((len(geoms), 2), np.nan)
    if points.any():
        xy[points] = shapely.get_coordinates(geoms[points])
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write('{"features": [')
        for start in range(0, len(geoms), chunk):
            stop = min(start + chunk, len(geoms))
            text = np.full(stop - start, '{"geometry": ', dtype=object)
            for i in range(start, stop):
                g = geoms[i]
                if g is None or g.is_empty:
                    gj = "null"
                elif points[i]:
                    gj = f'{{"coordinates": [{float(xy[i, 0])!r}, {float(xy[i, 1])!r}], "type": "Point"}}'
                else:
                    gj = dump(mapping(g))
                text[i - start] += gj
            text += ', "properties": {'
            for j, k in enumerate(keys):
                text += (", " if j else "") + dump(str(k)) + ": "
                text += _json_column(props[k].iloc[start:stop], dump)
            text += '}, "type": "Feature"}'
            f.write((", " if start else "") + ", ".join(text))
        f.write("]")
        if provenance:
            f.write(', "siteplan": ' + dump(provenance))
        f.write(', "type": "FeatureCollection"}')
    return path


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if np.isnan(o) else float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def write_json(obj: Any, path: str | Path) -> Path:
    """Write JSON (UTF-8, sorted keys, indent 2) atomically."""
    path = Path(path)
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2, default=_json_default, allow_nan=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return path


def write_gpkg_layers(path: str | Path, layers: dict[str, gpd.GeoDataFrame], *,
                      metadata: dict[str, str] | None = None, styles: dict[str, str] | None = None,
                      spatial_index: bool = True) -> Path:
    """Write several layers into one GeoPackage 1.2 atomically (the old file stays whole if any layer fails).

    Parameters
    ----------
    spatial_index
        Write GDAL's R-tree per layer (False: a smaller file, for data read whole, like a committed sample).
    metadata
        Dataset metadata (e.g. :func:`provenance_tags`), stored by GDAL in the standard ``gpkg_metadata`` table
        (metadata extension) and shown by ``ogrinfo`` / QGIS layer properties.
    styles
        Layer name -> QGIS style (QML text, see :mod:`siteplan.io.qgis`), written to the ``layer_styles`` table
        QGIS reads, as each layer's default style.
    """
    import pyogrio

    path = Path(path)
    with atomic_path(path) as tmp, fixed_gdal_date():
        for i, (name, gdf) in enumerate(layers.items()):
            out = gdf.copy()
            for col in out.columns:
                if col != out.geometry.name and out[col].dtype == object:
                    out[col] = out[col].map(lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
            kw: dict[str, Any] = {"layer": name, "driver": "GPKG"}
            if not spatial_index:
                kw["layer_options"] = {"SPATIAL_INDEX": "NO"}
            if i == 0:
                kw["dataset_options"] = {"VERSION": GPKG_VERSION}
                if metadata:
                    kw["dataset_metadata"] = {str(k): str(v) for k, v in sorted(metadata.items())}
            if len(out) == 0:
                kw["geometry_type"] = "Unknown"  # GDAL cannot infer a geometry type from an empty frame
            pyogrio.write_dataframe(out, tmp, **kw)
        if styles:
            from .qgis import write_layer_styles

            write_layer_styles(tmp, {k: v for k, v in styles.items() if k in layers})
    return path


def config_sha256(config: Any) -> str:
    """sha256 of a district config as canonical JSON (sorted keys): the same settings give the same hash."""
    import hashlib

    from ..config import config_to_dict

    text = json.dumps(config_to_dict(config), ensure_ascii=False, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def provenance(district: Any, *, full: bool = True) -> dict:
    """What made an output: siteplan version, the district config (and its hash), the inputs' sha256 hashes.

    ``full=False`` leaves out the config itself (its hash stays): for outputs that carry provenance in a
    small metadata block (GeoJSON, GeoTIFF tags, HTML meta, GeoPackage metadata).
    """
    from ..config import config_to_dict

    out = {
        "siteplan_version": __version__,
        "district": district.config.district.name,
        "sample_data": bool(district.sample),
        "config_sha256": config_sha256(district.config),
        "input_hashes": dict(sorted(district.input_hashes.items())),
    }
    if full:
        out["config"] = config_to_dict(district.config)
    return out


def provenance_html_meta(district: Any) -> str:
    """:func:`provenance_tags` as HTML ``<meta name="siteplan:<key>" content="...">`` elements (escaped), for
    the ``<head>`` of the map and the report."""
    from html import escape

    return "\n".join(f'<meta name="siteplan:{escape(k)}" content="{escape(v, quote=True)}">'
                     for k, v in provenance_tags(district).items())


def provenance_tags(district: Any) -> dict[str, str]:
    """:func:`provenance` without the config, every value a string (JSON for the input hashes): for GeoTIFF
    tags, HTML ``<meta>`` elements and GeoPackage dataset metadata."""
    return {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)
            for k, v in provenance(district, full=False).items()}
