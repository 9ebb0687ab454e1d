"""City-wide lists, streamed district by district from the districts' own outputs.

``candidates.csv`` / ``selected_sites.csv`` are the districts' lists one after another (code order) with the
district's code and name in front: the same rows and values as each district's file. ``candidates.gpkg`` /
``selected_sites.gpkg`` hold one layer each, read from the district runs' GeoPackages. Only one district's rows are
in memory at a time; every file is written beside its target and renamed over it at the end. The XLSX lists stay
per district (``districts/<code>/candidates.xlsx``): a sheet holds 10,000 rows, and each bureau reviews its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..io.writers import atomic_path, fixed_gdal_date

__all__ = ["DISTRICT_COLUMNS", "concat_csv", "concat_gpkg", "read_only_gdal"]

#: Columns put in front of every city-wide row: (canonical name, CSV header).
DISTRICT_COLUMNS = (("district_code", "区县代码 District code"), ("district", "区县 District"))

_CHUNK_ROWS = 50_000


@contextlib.contextmanager
def read_only_gdal() -> Iterator[None]:
    """Reading a district's GeoPackage must leave its folder as the district run wrote it: GDAL would otherwise
    write a ``.aux.xml`` sidecar (its persistent auxiliary metadata) beside a file whose metadata it reads."""
    import pyogrio

    pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": "NO"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": None})


def _header(path: Path) -> list[str]:
    return list(pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns)


def concat_csv(parts: list[tuple[str, str, Path]], path: str | Path) -> Path:
    """Concatenate district CSVs ``(code, name, csv)`` into ``path`` (UTF-8 with BOM, CRLF) with the district
    columns in front. Columns are the union of the districts' in first-seen order ("" where a district lacks one);
    values are copied as written (already formula-safe), in chunks."""
    cols: list[str] = []
    for _, _, csv in parts:
        cols += [c for c in _header(csv) if c not in cols]
    head = [h for _, h in DISTRICT_COLUMNS] + cols
    with atomic_path(Path(path)) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as f:
        pd.DataFrame(columns=head).to_csv(f, index=False, lineterminator="\r\n")
        for code, name, csv in parts:
            for chunk in pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                     chunksize=_CHUNK_ROWS):
                chunk = chunk.reindex(columns=cols, fill_value="")
                chunk.insert(0, DISTRICT_COLUMNS[1][1], name)
                chunk.insert(0, DISTRICT_COLUMNS[0][1], code)
                chunk.to_csv(f, index=False, header=False, lineterminator="\r\n")
    return Path(path)


def concat_gpkg(parts: list[tuple[str, str, Path]], path: str | Path, *, source_layer: str, layer: str,
                metadata: dict[str, str] | None = None) -> Path:
    """One GeoPackage layer ``layer`` from the ``source_layer`` of each district's GeoPackage
    ``(code, name, gpkg)``, with the district columns in front, appended district by district (GeoPackage 1.2,
    fixed dates: same inputs, same bytes)."""
    import pyogrio

    from ..io.writers import GPKG_VERSION

    with read_only_gdal():
        parts = [p for p in parts if source_layer in {row[0] for row in pyogrio.list_layers(p[2])}]
        fields: list[str] = []
        for _, _, gpkg in parts:  # one schema for every district: the union of their fields, first-seen order
            fields += [f for f in pyogrio.read_info(gpkg, layer=source_layer)["fields"] if f not in fields]
    first = True
    with atomic_path(Path(path)) as tmp, fixed_gdal_date(), read_only_gdal():
        for code, name, gpkg in parts:
            gdf = pyogrio.read_dataframe(gpkg, layer=source_layer)
            gdf = gdf[[*(c for c in fields if c in gdf.columns), gdf.geometry.name]].reindex(
                columns=[*fields, gdf.geometry.name])
            gdf.insert(0, DISTRICT_COLUMNS[1][0], name)
            gdf.insert(0, DISTRICT_COLUMNS[0][0], code)
            kw: dict = {"layer": layer, "driver": "GPKG"}
            if first:
                kw["dataset_options"] = {"VERSION": GPKG_VERSION}
                if metadata:
                    kw["dataset_metadata"] = {str(k): str(v) for k, v in sorted(metadata.items())}
            else:
                kw["append"] = True
            if len(gdf) == 0:
                if not first:
                    continue
                kw["geometry_type"] = "Unknown"
            pyogrio.write_dataframe(gdf, tmp, **kw)
            first = False
    return Path(path)
