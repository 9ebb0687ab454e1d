"""Reading districts and writing outputs."""

from .district import District, empty_layer, read_district, read_layer
from .writers import (
    atomic_path,
    provenance,
    write_csv,
    write_geojson,
    write_gpkg_layers,
    write_json,
    write_xlsx,
)

__all__ = [
    "District",
    "atomic_path",
    "empty_layer",
    "provenance",
    "read_district",
    "read_layer",
    "write_csv",
    "write_geojson",
    "write_gpkg_layers",
    "write_json",
    "write_xlsx",
]
