"""The coverage grid: square cells aligned to multiples of the resolution, and the tiles it is computed in.

A cell belongs to the district when its centre lies inside the boundary. Cells are addressed row-major
(row 0 at the north edge); "inside cells" are numbered in that order (:attr:`Grid.cell_index`), which is the
row order of :func:`siteplan.coverage.coverage_matrix`.

Layers: with a building map (:mod:`siteplan.coverage.buildings`), the **indoor** layer is the inside cells in a
building footprint, weighted by floor area, and the **outdoor** layer the other inside cells, weighted by area
(:meth:`Grid.layer_mask`, :meth:`Grid.layer_weight_m2`); without one, both layers are every inside cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from affine import Affine
from rasterio.features import geometry_mask

__all__ = ["Grid", "TileSpec", "grid_for_district", "make_grid"]


@dataclass(frozen=True)
class TileSpec:
    """One rectangular block of the grid; everything a tile kernel needs to know about its cells.

    ``x0_m``/``y0_m`` are the centre of the tile's first (north-west) cell; ``inside`` is the tile's slice of
    the district mask. Plain data, so a tile can be shipped to another process unchanged.
    """

    row_off: int
    col_off: int
    height: int
    width: int
    x0_m: float
    y0_m: float
    resolution_m: float
    inside: np.ndarray
    #: The tile's slice of the building map: class (-1 off the indoor layer) and building (-1 none) of each cell;
    #: None without a building map (every cell indoor-capable, generic class 0, no building).
    cell_class: np.ndarray | None = None
    cell_building: np.ndarray | None = None

    def cell_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Centres [m] of the tile's inside cells, row-major."""
        r, c = np.nonzero(self.inside)
        return self.x0_m + c * self.resolution_m, self.y0_m - r * self.resolution_m

    @property
    def centre_xy(self) -> tuple[float, float]:
        return (
            self.x0_m + (self.width - 1) * self.resolution_m / 2.0,
            self.y0_m - (self.height - 1) * self.resolution_m / 2.0,
        )

    @property
    def half_diagonal_m(self) -> float:
        return 0.5 * self.resolution_m * math.hypot(self.width - 1, self.height - 1)


@dataclass(frozen=True, eq=False)
class Grid:
    """A north-up grid in a projected CRS [m].

    Attributes
    ----------
    transform : affine.Affine
        Pixel-corner transform (rasterio convention).
    crs : str
        Working CRS, e.g. ``"EPSG:4548"``.
    shape : tuple[int, int]
        (rows, cols).
    inside : numpy.ndarray
        Bool mask of cells whose centre is inside the district.
    buildings : BuildingMap, optional
        Building footprints on the grid (:func:`siteplan.coverage.buildings.attach_buildings`).
    """

    transform: Affine
    crs: str
    shape: tuple[int, int]
    inside: np.ndarray
    buildings: object | None = None

    @property
    def classes(self) -> tuple[str, ...]:
        """Building classes of the indoor layer (the generic class alone without a building map)."""
        from .buildings import GENERIC_CLASS

        return self.buildings.classes if self.buildings is not None else (GENERIC_CLASS,)

    def layer_mask(self, layer: str) -> np.ndarray:
        """Bool grid of the cells on ``layer``: "outdoor" (inside, no building) or "indoor" (inside, in one)."""
        if layer not in ("outdoor", "indoor"):
            raise ValueError(f"layer = {layer!r}: expected 'outdoor' or 'indoor'")
        if self.buildings is None:
            return self.inside
        bld = self.buildings.cell_building >= 0
        return self.inside & (bld if layer == "indoor" else ~bld)

    def layer_weight_m2(self, layer: str) -> np.ndarray:
        """Weight of each cell on ``layer`` [m²]: area outdoors, floor area indoors (without a building map,
        the cell's area on both); 0 off the layer."""
        mask = self.layer_mask(layer)
        if layer == "indoor" and self.buildings is not None:
            return np.where(mask, self.buildings.cell_floor_area_m2, 0.0)
        return np.where(mask, self.cell_area_m2, 0.0)

    @property
    def resolution_m(self) -> float:
        return float(self.transform.a)

    @property
    def cell_area_m2(self) -> float:
        return float(abs(self.transform.a * self.transform.e))

    @property
    def n_inside(self) -> int:
        return int(self.inside.sum())

    @cached_property
    def cell_index(self) -> np.ndarray:
        """Flat (row-major) grid index of each inside cell, in inside-cell order."""
        return np.flatnonzero(self.inside.ravel())

    def cell_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Centres [m] of all inside cells, in inside-cell order."""
        r, c = np.divmod(self.cell_index, self.shape[1])
        return self.col_x(c), self.row_y(r)

    def col_x(self, cols) -> np.ndarray:
        return self.transform.c + (np.asarray(cols) + 0.5) * self.transform.a

    def row_y(self, rows) -> np.ndarray:
        return self.transform.f + (np.asarray(rows) + 0.5) * self.transform.e

    def rowcol(self, x, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, cols of points [m] and a bool mask of those on the grid (rows/cols are -1 elsewhere)."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        c = np.floor((x - self.transform.c) / self.transform.a).astype(np.int64)
        r = np.floor((y - self.transform.f) / self.transform.e).astype(np.int64)
        ok = (r >= 0) & (r < self.shape[0]) & (c >= 0) & (c < self.shape[1]) & np.isfinite(x) & np.isfinite(y)
        return np.where(ok, r, -1), np.where(ok, c, -1), ok

    def tiles(self, tile_size: int) -> list[TileSpec]:
        """Tiles of ``tile_size`` x ``tile_size`` cells that hold at least one inside cell."""
        if tile_size < 1:
            raise ValueError(f"tile_size = {tile_size}: expected >= 1 cell")
        out = []
        res = self.resolution_m
        for r0 in range(0, self.shape[0], tile_size):
            for c0 in range(0, self.shape[1], tile_size):
                sub = self.inside[r0 : r0 + tile_size, c0 : c0 + tile_size]
                if not sub.any():
                    continue
                b = self.buildings
                win = (slice(r0, r0 + tile_size), slice(c0, c0 + tile_size))
                out.append(
                    TileSpec(
                        r0, c0, sub.shape[0], sub.shape[1],
                        float(self.col_x(c0)), float(self.row_y(r0)), res, sub.copy(),
                        None if b is None else b.cell_class[win].copy(),
                        None if b is None else b.cell_building[win].copy(),
                    )
                )
        return out

    def full(self, values: np.ndarray, fill, dtype) -> np.ndarray:
        """Scatter inside-cell values into a full grid array, ``fill`` elsewhere."""
        out = np.full(self.shape, fill, dtype=dtype)
        out.ravel()[self.cell_index] = values
        return out


def make_grid(boundary, crs: str, resolution_m: float) -> Grid:
    """Grid covering ``boundary`` (shapely, projected CRS [m]) with origin at multiples of ``resolution_m``.

    Aligning the origin keeps cells identical between runs and between districts' neighbouring grids.
    """
    res = float(resolution_m)
    if not res > 0:
        raise ValueError(f"resolution_m = {resolution_m}: expected > 0")
    minx, miny, maxx, maxy = boundary.bounds
    x0 = math.floor(minx / res) * res
    y0 = math.ceil(maxy / res) * res
    width = max(1, math.ceil((maxx - x0) / res))
    height = max(1, math.ceil((y0 - miny) / res))
    transform = Affine(res, 0.0, x0, 0.0, -res, y0)
    inside = geometry_mask([boundary], out_shape=(height, width), transform=transform, invert=True)
    return Grid(transform, str(crs), (height, width), inside)


def grid_for_district(district, resolution_m: float | None = None) -> Grid:
    """Grid of a loaded district at ``resolution_m`` (default ``config.radio.grid_resolution_m``), with the
    building map of its ``buildings`` layer when it has one."""
    from .buildings import attach_buildings

    res = district.config.radio.grid_resolution_m if resolution_m is None else resolution_m
    return attach_buildings(make_grid(district.boundary, district.crs, res), district.layers.get("buildings"))
