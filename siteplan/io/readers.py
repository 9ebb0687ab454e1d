"""Read one layer file (GeoJSON, GeoPackage, Shapefile, CSV, XLSX) into a GeoDataFrame in its declared frame.

Readers accept real local files only: pyogrio/GDAL would otherwise take inline GeoJSON, URLs (and fetch them)
or ``/vsi…`` paths, and open archives transparently.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from openpyxl.utils.exceptions import InvalidFileException
from pyogrio.errors import DataLayerError, DataSourceError, FieldError
from pyogrio.errors import GeometryError as GeometryError_

from ..errors import InputFileError, SchemaError
from .schema import ALIASES

__all__ = ["canonical_columns", "check_local_file", "read_table_or_vector", "refuse_non_local", "row_label", "sha256_file"]

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


def row_label(path: Path, i: int, tabular: bool, ident: object = None) -> str:
    """How a row is named in errors: spreadsheet row number for tables, feature number for vector files."""
    if tabular:
        where = f"row {i + 2}"  # header is row 1, as a spreadsheet shows it
    else:
        where = f"feature {i + 1}"
    if ident is not None and not (isinstance(ident, float) and np.isnan(ident)) and str(ident) != "":
        where += f" (id {ident})"
    return f"{path}: {where}"


def _read_csv(path: Path, encoding: str | None) -> pd.DataFrame:
    encodings = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    last: Exception | None = None
    for enc in encodings:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc, skipinitialspace=True)
        except UnicodeDecodeError as e:
            last = e
        except LookupError:
            raise InputFileError(f"{path}: unknown encoding {enc!r}") from None
        except pd.errors.ParserError as e:
            raise InputFileError(f"{path}: not a readable CSV: {e}") from None
        except pd.errors.EmptyDataError:
            raise InputFileError(f"{path}: the CSV file is empty (expected a header row)") from None
    raise InputFileError(f"{path}: cannot decode as {' or '.join(encodings)} ({last})")


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, InvalidFileException) as e:  # a corrupt workbook
        raise InputFileError(f"{path}: not a readable XLSX workbook ({type(e).__name__}: {e})") from None
    with book:
        name = sheet if sheet is not None else book.sheet_names[0]
        if name not in book.sheet_names:
            raise InputFileError(f"{path}: no sheet {name!r}; sheets are: {', '.join(book.sheet_names)}")
        df = pd.read_excel(book, sheet_name=name, dtype=object)
    # Spreadsheets give numbers as numbers and empties as NaN: make everything text, as from a CSV.
    return df.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)).astype(object)


def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except (DataSourceError, DataLayerError, OSError) as e:
        raise InputFileError(f"{path}: not a readable vector file ({e})") from None
    names = [str(n) for n in layers[:, 0]]
    if layer is None and len(names) > 1:
        raise InputFileError(f"{path}: holds several layers ({', '.join(names)}); name one with `layer =` in district.toml")
    if layer is not None and layer not in names:
        raise InputFileError(f"{path}: no layer {layer!r}; layers are: {', '.join(names)}")
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except (DataSourceError, DataLayerError, FieldError, GeometryError_, OSError, ValueError) as e:
        raise InputFileError(f"{path}: cannot read layer {layer or names[0]!r}: {e}") from None


def read_table_or_vector(
    path: Path,
    *,
    layer: str | None = None,
    sheet: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    encoding: str | None = None,
) -> tuple[gpd.GeoDataFrame, bool]:
    """Read a layer file; return (frame with canonical column names and geometry, is_tabular).

    For tables the geometry is built from the longitude/latitude columns (aliases accepted); coordinates stay in
    the file's frame. Every non-geometry column comes back as text for tables; conversion is the schema's job.
    """
    path = check_local_file(path)
    suffix = path.suffix.lower()
    if suffix in VECTOR_SUFFIXES:
        gdf = _read_vector(path, layer)
        geom_name = gdf.geometry.name
        mapping = {k: v for k, v in canonical_columns([c for c in gdf.columns if c != geom_name]).items()}
        gdf = gdf.rename(columns=mapping)
        return gdf, False
    if suffix not in TABLE_SUFFIXES:
        raise InputFileError(
            f"{path}: unsupported format {suffix!r}; expected GeoJSON, GeoPackage, Shapefile, CSV or XLSX"
        )
    df = _read_xlsx(path, sheet) if suffix == ".xlsx" else _read_csv(path, encoding)
    renamed = canonical_columns(list(df.columns))
    if lon:
        renamed = {k: ("lon" if str(k).strip() == lon else v) for k, v in renamed.items()}
    if lat:
        renamed = {k: ("lat" if str(k).strip() == lat else v) for k, v in renamed.items()}
    df = df.rename(columns=renamed)
    dupes = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dupes:
        raise SchemaError(f"{path}: several columns map to {dupes[0]!r}; keep one")
    for need in ("lon", "lat"):
        if need not in df.columns:
            raise SchemaError(
                f"{path}: missing coordinate column {need!r} (expected a header such as "
                f"{'经度/lon/longitude' if need == 'lon' else '纬度/lat/latitude'}; found: {', '.join(map(str, df.columns))})"
            )
    xs = _coords(df["lon"], path, "lon")
    ys = _coords(df["lat"], path, "lat")
    gdf = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]), geometry=shapely.points(xs, ys), crs=None)
    return gdf, True


def _coords(values: pd.Series, path: Path, field: str) -> np.ndarray:
    text = pd.Series(["" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
                      for v in values], dtype=object)
    nums = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(nums))
    if bad.size:
        i = int(bad[0])
        shown = text.iloc[i]
        more = f" (and {bad.size - 1} more rows)" if bad.size > 1 else ""
        raise SchemaError(
            f"{row_label(path, i, True)}: field {field!r} = {shown!r}: expected a number in degrees{more}"
            if shown else f"{row_label(path, i, True)}: field {field!r} is empty: expected a number in degrees{more}"
        )
    return nums
