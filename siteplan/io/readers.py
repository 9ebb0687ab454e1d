"""Read one layer file (GeoJSON, GeoPackage, Shapefile, CSV, XLSX) into a GeoDataFrame in its declared frame.

Readers accept real local files only: pyogrio/GDAL would otherwise take inline GeoJSON, URLs (and fetch them)
or ``/vsi…`` paths, and open archives transparently.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from openpyxl.utils.exceptions import InvalidFileException
from pyogrio.errors import DataLayerError, DataSourceError, FieldError
from pyogrio.errors import GeometryError as GeometryError_

from ..errors import InputFileError, SchemaError
from ._problems import cut_list, shown
from .schema import ALIASES

__all__ = [
    "HEADER_SEARCH_ROWS",
    "LayerFile",
    "canonical_columns",
    "check_local_file",
    "clean_column",
    "clean_text",
    "number_text",
    "read_table_or_vector",
    "refuse_non_local",
    "row_label",
    "row_name",
    "sha256_file",
    "to_numbers",
]

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp"}
TABLE_SUFFIXES = {".csv", ".txt", ".xlsx"}
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BZh")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def refuse_non_local(text: str, *, what: str = "layer file") -> None:
    """Raise InputFileError for a URL, inline GeoJSON/XML or a GDAL ``/vsi…`` path, which GDAL would happily open."""
    if _URL.match(text) or text.lstrip().startswith(("{", "[", "<")) or "/vsi" in text:
        raise InputFileError(f"{text[:80]!r}: {what} must be a local file path, not a URL, inline data or GDAL virtual path")


def check_local_file(path: str | Path, *, what: str = "layer file") -> Path:
    """Return ``path`` if it is an existing local regular file that is not an archive; else raise InputFileError."""
    text = str(path)
    refuse_non_local(text, what=what)
    p = Path(text)
    if not p.exists():
        raise InputFileError(f"{p}: {what} not found")
    if not p.is_file():
        raise InputFileError(f"{p}: {what} is not a regular file")
    with open(p, "rb") as f:
        head = f.read(8)
    if head.startswith(_ARCHIVE_MAGIC) and p.suffix.lower() != ".xlsx":
        raise InputFileError(f"{p}: {what} is an archive; extract it and name the file inside (archives are not opened)")
    if p.suffix.lower() == ".xlsx" and not head.startswith(b"PK\x03\x04"):
        raise InputFileError(f"{p}: not an XLSX workbook (expected a zip container)")
    return p


def canonical_columns(columns: list[str]) -> dict[str, str]:
    """Map the file's headers to canonical names via :data:`ALIASES` (canonical names map to themselves)."""
    mapping = {}
    for c in columns:
        key = str(c).strip().lstrip("\ufeff")
        mapping[c] = ALIASES.get(key, ALIASES.get(key.lower(), key.lower() if key.isascii() else key))
    return mapping


def row_name(i: int, tabular: bool, ident: object = None, rows: np.ndarray | None = None) -> str:
    """How row ``i`` (0-based, in file order) is named: its spreadsheet row number for tables (``rows[i]``, or
    ``i + 2`` under a first-row header), its feature number for vector files; plus its id when it has one."""
    if tabular:
        where = f"row {int(rows[i]) if rows is not None else i + 2}"
    else:
        where = f"feature {i + 1}"
    if ident is not None and not (isinstance(ident, float) and np.isnan(ident)) and str(ident) != "":
        where += f" (id {ident})"
    return where


def row_label(path: Path, i: int, tabular: bool, ident: object = None) -> str:
    """``"<file>: <row name>"``, as errors name a row (see :func:`row_name`)."""
    return f"{path}: {row_name(i, tabular, ident)}"


#: Rows searched for the header of a CSV/XLSX when ``header_row`` is not given (title and notes rows above it).
HEADER_SEARCH_ROWS = 10
#: Characters that are invisible but break a number or a match: BOM, zero-width space/joiners.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
#: Stripped from both ends of every cell: all Unicode whitespace (ideographic space included) and the above.
_STRIP = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()) + _INVISIBLE


def clean_text(value: object) -> str:
    """A cell as stripped text: missing -> "", whitespace, stray BOMs and zero-width characters removed."""
    if type(value) is str:
        return value.strip(_STRIP)
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip(_STRIP)


def clean_column(values) -> pd.Series:
    """:func:`clean_text` of every value (a plain loop: per value it beats pandas' string methods)."""
    index = values.index if isinstance(values, pd.Series) else None
    vals = values.tolist() if isinstance(values, pd.Series) else list(values)
    return pd.Series([v.strip(_STRIP) if type(v) is str else clean_text(v) for v in vals], index=index, dtype=object)


def number_text(text: str) -> str:
    """Text meant as a number, NFKC-normalised so full-width digits and signs (``１１７．２``, ``－５``) read as
    ASCII, as Chinese input methods type them; invisible characters removed."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).strip(_STRIP)


def to_numbers(texts: pd.Series) -> np.ndarray:
    """Clean text cells (:func:`clean_column`) -> float (NaN where empty or not a number); full-width digits
    accepted."""
    norm = [t if t.isascii() else number_text(t) for t in texts.tolist()]
    return pd.to_numeric(pd.Series(norm, dtype=object), errors="coerce").to_numpy(dtype=float)


def _frame(rows: list) -> pd.DataFrame:
    """Rows of cells (of any lengths) as a frame with columns 0..n-1, short rows padded."""
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], columns=range(width), dtype=object)


def _read_csv(path: Path, encoding: str | None, top: int) -> tuple[list[list[str]], list[int], Callable]:
    """The first ``top`` records (for the header search), the lines each ends on, and a function giving the
    records after a line count as a frame. Tries UTF-8 (with or without BOM), then GB18030."""
    encodings = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    last: Exception | None = None
    for enc in encodings:
        try:
            records, lines = [], []
            with open(path, encoding=enc, newline="") as f:
                reader = csv.reader(f, skipinitialspace=True)
                for rec in reader:
                    records.append(rec)
                    lines.append(reader.line_num)
                    if len(records) >= top:
                        break
                f.read()  # decode the rest now: a GB18030 file may be plain ASCII in its first rows

            def body(skip: int, enc: str = enc) -> pd.DataFrame:
                try:  # the C parser; rows wider than the first one fall back to the csv module
                    return pd.read_csv(path, encoding=enc, header=None, skiprows=skip, dtype=str, na_filter=False,
                                       skip_blank_lines=False, skipinitialspace=True)
                except pd.errors.EmptyDataError:
                    return pd.DataFrame()
                except pd.errors.ParserError:
                    with open(path, encoding=enc, newline="") as f:
                        for _ in range(skip):
                            f.readline()
                        return _frame(list(csv.reader(f, skipinitialspace=True)))

            return records, lines, body
        except UnicodeDecodeError as e:
            last = e
        except LookupError:
            raise InputFileError(f"{path}: unknown encoding {shown(enc)}") from None
        except csv.Error as e:
            raise InputFileError(f"{path}: not a readable CSV ({shown(str(e), 120)})") from None
    raise InputFileError(f"{path}: cannot decode as {' or '.join(encodings)} ({shown(str(last), 120)})")


def _rows_xlsx(path: Path, sheet: str | None) -> list[tuple]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, InvalidFileException) as e:  # a corrupt workbook
        raise InputFileError(f"{path}: not a readable XLSX workbook ({type(e).__name__}: {shown(str(e), 120)})") from None
    try:
        name = sheet if sheet is not None else book.sheetnames[0]
        if name not in book.sheetnames:
            raise InputFileError(f"{path}: no sheet {name!r}; sheets are: {', '.join(book.sheetnames)}")
        return list(book[name].iter_rows(values_only=True))  # numbers stay numbers until the columns are cleaned
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise InputFileError(f"{path}: not a readable XLSX workbook ({type(e).__name__}: {shown(str(e), 120)})") from None
    finally:
        book.close()


def _header_names(row, lon: str | None, lat: str | None) -> list[str]:
    cells = [clean_text(c) for c in row]
    mapping = canonical_columns(cells)
    return ["lon" if lon and c == lon else "lat" if lat and c == lat else mapping[c] for c in cells]


def _find_header(rows: list, path: Path, lon: str | None, lat: str | None, header_row: int | None) -> int:
    """Index of the header row: the first of the first rows naming both coordinate columns (or ``header_row``)."""
    if not rows:
        raise InputFileError(f"{path}: the file is empty (expected a header row)")
    search = [header_row - 1] if header_row else list(range(min(len(rows), HEADER_SEARCH_ROWS)))
    for r in search:
        if r < len(rows):
            names = _header_names(rows[r], lon, lat)
            if "lon" in names and "lat" in names:
                return r
    where = (f"row {header_row} (header_row in district.toml)" if header_row
             else f"rows 1-{min(len(rows), HEADER_SEARCH_ROWS)}")
    # Show the likeliest header (the fullest row searched), cut short: never a foreign file's lines.
    best = max((r for r in search if r < len(rows)), key=lambda r: sum(bool(clean_text(c)) for c in rows[r]),
               default=None)
    cells = [c for c in (clean_text(c) for c in rows[best]) if c] if best is not None else []
    names = _header_names(rows[best], lon, lat) if best is not None else []
    missing = [n for n in ("lon", "lat") if n not in names]
    found = f"; row {best + 1} holds: {cut_list(cells, 12, 24)}" if len(cells) >= 2 else ""
    raise SchemaError(
        f"{path}: missing coordinate column {missing[0]!r}: no header row in {where} names both longitude and "
        f"latitude (expected headers such as 经度/lon/longitude and 纬度/lat/latitude; or set `header_row`, "
        f"`lon`, `lat` for the layer in district.toml){found}"
    )


def _table(head_row, body: pd.DataFrame, first: int, path: Path, lon: str | None, lat: str | None
           ) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows below the header (``body``, its first row numbered ``first`` as a spreadsheet shows it) as a clean
    text frame with canonical column names, and each row's spreadsheet number.

    Fully empty rows are skipped (numbers stay those a spreadsheet shows); a cell beyond the header's width or
    under an empty header cell gets a column ``column_<n>``.
    """
    head = [clean_text(c) for c in head_row]
    width = max(len(head), body.shape[1])
    head += [""] * (width - len(head))
    columns = [clean_column(body.iloc[:, j]) if j < body.shape[1] else pd.Series([""] * len(body), dtype=object)
               for j in range(width)]
    filled = [(c != "").to_numpy() for c in columns]
    keep = np.logical_or.reduce(filled) if filled and len(body) else np.zeros(len(body), dtype=bool)
    used = [j for j in range(width) if head[j] or filled[j][keep].any()]
    names = _header_names([head[j] or f"column_{j + 1}" for j in used], lon, lat)
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise SchemaError(f"{path}: several columns of the header (row {first - 1}) map to {dupes[0]!r}; keep one")
    frame = pd.DataFrame({name: columns[j].to_numpy()[keep] for name, j in zip(names, used)}, dtype=object)
    return frame, np.flatnonzero(keep) + first


def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except (DataSourceError, DataLayerError, OSError) as e:
        raise InputFileError(f"{path}: not a readable vector file ({shown(str(e), 120)})") from None
    names = [str(n) for n in layers[:, 0]]
    if layer is None and len(names) > 1:
        raise InputFileError(f"{path}: holds several layers ({', '.join(names)}); name one with `layer =` in district.toml")
    if layer is not None and layer not in names:
        raise InputFileError(f"{path}: no layer {layer!r}; layers are: {', '.join(names)}")
    try:
        with warnings.catch_warnings():  # a JSON-typed column of mixed values stays text: the schema judges it
            warnings.filterwarnings("ignore", message="Could not parse column", category=UserWarning)
            return gpd.read_file(path, layer=layer, engine="pyogrio")
    except (DataSourceError, DataLayerError, FieldError, GeometryError_, OSError, ValueError) as e:
        raise InputFileError(f"{path}: cannot read layer {layer or names[0]!r}: {shown(str(e), 120)}") from None


@dataclass
class LayerFile:
    """One layer file as read, before validation."""

    #: Canonical column names; geometry in the file's frame (None where a table row's coordinates are bad).
    frame: gpd.GeoDataFrame
    #: True for CSV/XLSX (rows named by spreadsheet row number), False for vector files (by feature number).
    tabular: bool
    #: Spreadsheet row number of each row (tables); None for vector files.
    rows: np.ndarray | None = None
    #: Tables: "lon"/"lat" -> (the values read, NaN where empty or not a finite number; the cells' text).
    coordinates: dict[str, tuple[np.ndarray, pd.Series]] = field(default_factory=dict)


def read_table_or_vector(
    path: Path,
    *,
    layer: str | None = None,
    sheet: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
) -> LayerFile:
    """Read a layer file with canonical column names.

    For tables the header is the first of the first :data:`HEADER_SEARCH_ROWS` rows that names both coordinate
    columns (or row ``header_row``), and the geometry is built from the longitude/latitude columns (aliases
    accepted; full-width digits read as digits); coordinates stay in the file's frame. Every non-geometry column
    comes back as text for tables; conversion is the schema's job.
    """
    path = check_local_file(path)
    suffix = path.suffix.lower()
    if suffix in VECTOR_SUFFIXES:
        gdf = _read_vector(path, layer)
        geom_name = gdf.geometry.name
        mapping = {k: v for k, v in canonical_columns([c for c in gdf.columns if c != geom_name]).items()}
        return LayerFile(gdf.rename(columns=mapping), False)
    if suffix not in TABLE_SUFFIXES:
        raise InputFileError(
            f"{path}: unsupported format {shown(suffix)}; expected GeoJSON, GeoPackage, Shapefile, CSV or XLSX"
        )
    if suffix == ".xlsx":
        rows = _rows_xlsx(path, sheet)
        header = _find_header(rows, path, lon, lat, header_row)
        body = _frame(rows[header + 1:])
    else:
        rows, lines, read_body = _read_csv(path, encoding, max(HEADER_SEARCH_ROWS, header_row or 0))
        header = _find_header(rows, path, lon, lat, header_row)
        body = read_body(lines[header])
    df, numbers = _table(rows[header], body, header + 2, path, lon, lat)
    xs, ys = to_numbers(df["lon"]), to_numbers(df["lat"])
    ok = np.isfinite(xs) & np.isfinite(ys)
    geoms = np.full(len(df), None, dtype=object)
    geoms[ok] = shapely.points(xs[ok], ys[ok])
    return LayerFile(gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]), geometry=gpd.GeoSeries(geoms), crs=None),
                     True, numbers, {"lon": (xs, df["lon"]), "lat": (ys, df["lat"])})
