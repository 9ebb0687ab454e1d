"""Output writers: atomic (temp file + rename), spreadsheet-safe, deterministic, traceable.

A failed run never leaves a half-written file: each writer writes beside the target and renames over it only
once the file is complete. Text that Excel would run as a formula is neutralised in CSV and XLSX.
"""

from __future__ import annotations

import contextlib
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
    "atomic_path",
    "fixed_gdal_date",
    "neutralize_formula",
    "provenance",
    "reproducible_zip",
    "write_csv",
    "write_geojson",
    "write_gpkg_layers",
    "write_json",
    "write_xlsx",
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


def _plain_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Drop geometry, turn lists into '; '-joined text, neutralise formulas in text (object) columns only."""
    out = pd.DataFrame(df).copy()
    geom_cols = [c for c in out.columns if str(out[c].dtype) == "geometry"]
    out = out.drop(columns=geom_cols)
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            s = s.map(lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
            out[col] = s.map(neutralize_formula).astype(object)
    return out


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a CSV that Excel opens correctly: UTF-8 with BOM, formulas neutralised, numbers kept as numbers."""
    path = Path(path)
    with atomic_path(path) as tmp:
        _plain_frame(df).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def _col_width(header: str, values: pd.Series) -> float:
    def width(v: Any) -> int:
        s = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        # East Asian characters take two columns in Excel.
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    sample = values.head(500)
    longest = max([width(header)] + [width(v) for v in sample])
    return float(min(max(longest + 2, 6), 60))


#: The date stamped into every output container that records one (zip entries, GeoPackage contents).
FIXED_DATE = (2020, 1, 1, 0, 0, 0)
_FIXED_ISO = "2020-01-01T00:00:00Z"


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

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _FIXED_ISO})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def write_xlsx(
    path: str | Path,
    sheets: dict[str, pd.DataFrame],
    *,
    notice: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write sheets to an XLSX workbook; every text cell is stored as a string, never a formula.

    Parameters
    ----------
    sheets
        Sheet name -> table (headers as they should appear, e.g. Chinese).
    notice
        Shown in red bold in a first row above each sheet's header (the sample-data notice).
    metadata
        Written as key/value rows to a final sheet "说明 About" (provenance, config, hashes).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    all_sheets = dict(sheets)
    if metadata:
        all_sheets["说明 About"] = pd.DataFrame(
            {"项目 Item": list(metadata), "内容 Value": [_meta_text(v) for v in metadata.values()]}
        )
    for name, df in all_sheets.items():
        ws = wb.create_sheet(title=name[:31])
        table = _plain_frame(df)
        header_row = 1
        if notice:
            ws.cell(row=1, column=1, value=notice).font = Font(bold=True, color="C00000")
            header_row = 2
        for j, col in enumerate(table.columns, start=1):
            c = ws.cell(row=header_row, column=j, value=str(col))
            c.font = Font(bold=True)
            c.fill = PatternFill("solid", fgColor="DDEBF7")
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            c.data_type = "s"
        for i, row in enumerate(table.itertuples(index=False, name=None), start=header_row + 1):
            for j, v in enumerate(row, start=1):
                v = _cell_value(v)
                cell = ws.cell(row=i, column=j, value=v)
                if isinstance(v, str):
                    # openpyxl guesses a formula for "=..." strings: force the string type.
                    cell.data_type = "s"
        for j, col in enumerate(table.columns, start=1):
            ws.column_dimensions[get_column_letter(j)].width = _col_width(str(col), table[col])
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        if len(table.columns):
            last = get_column_letter(len(table.columns))
            ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(len(table), 1)}"
    wb.properties.creator = f"siteplan {__version__}"
    path = Path(path)
    with atomic_path(path) as tmp:
        wb.save(tmp)
        reproducible_zip(tmp)
    return path


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
        return None if math.isnan(f) else f
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path, *, precision: int = 7) -> Path:
    """Write a GeoDataFrame as RFC 7946 GeoJSON in WGS 84, coordinates rounded to ``precision`` decimals."""
    import shapely

    out = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf.copy()
    out = out.copy()
    out.geometry = shapely.set_precision(out.geometry.values, 10.0**-precision, mode="pointwise")
    for col in out.columns:
        if col != out.geometry.name and out[col].dtype == object:
            out[col] = out[col].map(lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    text = out.to_json(drop_id=True, ensure_ascii=False, sort_keys=True)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
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


def write_gpkg_layers(path: str | Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    """Write several layers into one GeoPackage atomically (the old file stays whole if any layer fails)."""
    path = Path(path)
    with atomic_path(path) as tmp, fixed_gdal_date():
        for name, gdf in layers.items():
            out = gdf.copy()
            for col in out.columns:
                if col != out.geometry.name and out[col].dtype == object:
                    out[col] = out[col].map(lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
            if len(out) == 0:
                # GDAL cannot infer a geometry type from an empty frame.
                out.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", geometry_type="Unknown")
            else:
                out.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return path


def provenance(district: Any) -> dict:
    """What made an output: siteplan version, the district config, and the inputs' sha256 hashes."""
    from ..config import config_to_dict

    return {
        "siteplan_version": __version__,
        "district": district.config.district.name,
        "sample_data": bool(district.sample),
        "config": config_to_dict(district.config),
        "input_hashes": dict(sorted(district.input_hashes.items())),
    }
