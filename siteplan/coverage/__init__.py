"""Coverage: the grid and its building map, the tiled best-server engine, coverage figures and gaps."""

from .buildings import BuildingMap, attach_buildings, building_map
from .engine import (
    CoverageResult,
    KernelParams,
    SectorSet,
    TileResult,
    assemble_coverage,
    compute_coverage,
    coverage_matrix,
    kernel_params,
    sectors_from_sites,
    tile_kernel,
    tile_tasks,
)
from .figures import coverage_figures, hotspot_coverage
from .gaps import find_gaps
from .grid import Grid, TileSpec, grid_for_district, make_grid

__all__ = [
    "BuildingMap",
    "CoverageResult",
    "Grid",
    "KernelParams",
    "SectorSet",
    "TileResult",
    "TileSpec",
    "assemble_coverage",
    "attach_buildings",
    "building_map",
    "compute_coverage",
    "coverage_figures",
    "coverage_matrix",
    "find_gaps",
    "grid_for_district",
    "hotspot_coverage",
    "kernel_params",
    "make_grid",
    "sectors_from_sites",
    "tile_kernel",
    "tile_tasks",
]
