"""Writing a sample district: deterministic files in the frames real data arrives in, and the ``[layers.*]``
tables of its ``district.toml``.

Frames and formats are mixed on purpose, as real inputs are: candidates GCJ-02 CSV (UTF-8 with BOM), poles,
layout plan and buildings CGCS2000 GeoPackage, public facilities BD-09 CSV in GB18030, existing sites CGCS2000
XLSX, hotspots and sub-districts WGS 84 GeoJSON. Same content -> same bytes: GeoPackage dates are pinned with
:func:`siteplan.io.writers.fixed_gdal_date`, XLSX zip entries with :func:`siteplan.io.writers.reproducible_zip`.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import mapping

from ..io.writers import _cell_value, reproducible_zip, write_gpkg_layers

__all__ = ["LAYER_TABLES", "layer_tables_text", "replace_layer_tables", "update_district_toml", "write_csv",
           "write_geojson",
           "write_gpkg", "write_xlsx"]


def _round_coords(obj, nd: int):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), nd) for v in obj]
        return [_round_coords(o, nd) for o in obj]
    return obj


def write_geojson(path: Path, gdf: gpd.GeoDataFrame, *, name: str, description: str, nd: int = 8) -> None:
    """GeoJSON (RFC 7946, WGS 84) with a top-level name and description; one feature per line, deterministic."""
    g = gdf.to_crs("EPSG:4326") if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf
    cols = [c for c in g.columns if c != g.geometry.name]
    lines = []
    for rec, geom in zip(g[cols].to_dict("records"), g.geometry, strict=True):
        gj = mapping(geom)
        feat = {"type": "Feature", "properties": {k: _cell_value(v) for k, v in rec.items()},
                "geometry": {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"], nd)}}
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection", "name": name, "description": description}, ensure_ascii=False)
    Path(path).write_text(head[:-1] + ',\n"features":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Layers into one GeoPackage with pinned timestamps (identical layers -> identical bytes), replacing the file.

    No R-tree: sample layers are read whole, and the index would double the committed buildings file.
    """
    write_gpkg_layers(path, layers, spatial_index=False)


def write_xlsx(path: Path, sheets: dict[str, pd.DataFrame], *, title: str) -> None:
    """XLSX via openpyxl: text cells stored as text (never formulas), frozen header, fixed dates in the zip."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "siteplan.sample"
    wb.properties.created = _dt.datetime(2020, 1, 1)
    wb.properties.title = title
    for name, df in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False):
            ws.append([_cell_value(v) for v in row])
        for col in ws.iter_cols(min_row=2):
            for cell in col:
                if isinstance(cell.value, str):
                    cell.data_type = TYPE_STRING
        ws.freeze_panes = "A2"
        if len(df):
            ws.auto_filter.ref = ws.dimensions
        for i, c in enumerate(df.columns, start=1):
            width = max([len(str(c))] + [len(str(v)) for v in df[c].head(200)]) if len(df) else len(str(c))
            ws.column_dimensions[get_column_letter(i)].width = min(40, 2 + 1.6 * width)
    buf = io.BytesIO()
    wb.save(buf)
    Path(path).write_bytes(buf.getvalue())
    reproducible_zip(path)


def write_csv(path: Path, df: pd.DataFrame, encoding: str) -> None:
    """CSV with CRLF line ends, as Excel writes it; text encoded by Python so GB18030 covers every character."""
    Path(path).write_bytes(df.to_csv(index=False, lineterminator="\r\n").encode(encoding))


#: The ``[layers.*]`` tables of a sample district: name -> (keys, comment on the file line).
LAYER_TABLES = {
    "boundary": ({"file": "boundary.geojson", "frame": "WGS84"}, None),
    "subdistricts": ({"file": "subdistricts.geojson", "frame": "WGS84"}, None),
    "existing_sites": ({"file": "existing_sites.xlsx", "sheet": "sites", "frame": "CGCS2000"},
                       "operator engineering-parameter sheet (工参), Chinese headers"),
    "candidates": ({"file": "candidates.csv", "frame": "GCJ02"}, "operators' candidate list, AMap coordinates"),
    "poles": ({"file": "poles.gpkg", "layer": "poles", "frame": "CGCS2000"},
              "urban-management commission pole inventory"),
    "plan_sites": ({"file": "layout_plan.gpkg", "layer": "plan_sites", "frame": "CGCS2000"}, "站址布局专项规划"),
    "plan_zones": ({"file": "layout_plan.gpkg", "layer": "plan_zones", "frame": "CGCS2000"}, None),
    "public_facilities": ({"file": "public_facilities.csv", "frame": "BD09", "encoding": "gb18030"},
                          "from a Baidu-map based portal, GBK-encoded as Chinese Excel writes it"),
    "hotspots": ({"file": "hotspots.geojson", "frame": "WGS84"}, None),
    "buildings": ({"file": "buildings.gpkg", "layer": "buildings", "frame": "CGCS2000"},
                  "building footprints (surveying / OSM-style), floors and use"),
}


def layer_tables_text(names=tuple(LAYER_TABLES)) -> str:
    """The ``[layers.*]`` tables, every layer but the boundary marked ``sample = true``."""
    out = ["# Layers come in the frames real data arrives in."]
    for name in names:
        keys, comment = LAYER_TABLES[name]
        out.append(f"[layers.{name}]")
        for k, v in keys.items():
            line = f"{k} = {json.dumps(v, ensure_ascii=False)}"
            if k == "file" and comment:
                line = f"{line:<30} # {comment}"
            out.append(line)
        if name != "boundary":
            out.append("sample = true")
        out.append("")
    return "\n".join(out)


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def replace_layer_tables(toml_text: str, tables: str) -> str:
    """``toml_text`` with every ``[layers.*]`` table (and the comment lines just above the first) replaced by
    ``tables``, at the place of the first; other tables are kept byte for byte."""
    lines = toml_text.splitlines(keepends=True)
    # Table blocks: (start, end, name); a block runs to the next header.
    heads = [(i, m.group(1)) for i, ln in enumerate(lines) if (m := _HEADER.match(ln))]
    spans = [(s, heads[k + 1][0] if k + 1 < len(heads) else len(lines), name)
             for k, (s, name) in enumerate(heads)]
    layer_spans = [(s, e) for s, e, name in spans if name.split(".")[0].strip() == "layers"]
    if not layer_spans:
        return toml_text.rstrip("\n") + "\n\n" + tables.rstrip("\n") + "\n"
    first = layer_spans[0][0]
    while first > 0 and lines[first - 1].lstrip().startswith("#"):
        first -= 1
    drop = set()
    for s, e in layer_spans:
        drop.update(range(s, e))
    drop.update(range(first, layer_spans[0][0]))
    # Trailing comment lines of a dropped block that introduce the next kept table stay with that table.
    for s, e in layer_spans:
        k = e
        while k - 1 >= s and (lines[k - 1].lstrip().startswith("#") or not lines[k - 1].strip()) and k < len(lines):
            if lines[k - 1].lstrip().startswith("#") and k - 1 > s:
                drop.discard(k - 1)
            k -= 1
    kept = [ln for i, ln in enumerate(lines) if i not in drop]
    insert_at = sum(1 for i in range(first) if i not in drop)
    block = tables.rstrip("\n") + "\n\n"
    return "".join(kept[:insert_at]) + block + "".join(kept[insert_at:])


def update_district_toml(path: Path, *, sample: bool = False) -> bool:
    """Rewrite the ``[layers.*]`` tables of a district.toml to the sample layers (and, with ``sample``, set
    ``[district] sample = true`` so every output carries the sample notice); True if it changed."""
    path = Path(path)
    old = path.read_text(encoding="utf-8")
    new = replace_layer_tables(old, layer_tables_text())
    if sample:
        new = re.sub(r"(?m)^(\[district\][^\[]*?^sample\s*=\s*)false", r"\1true", new, count=1)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old
