"""The coverage grid: square cells aligned to multiples of the resolution, and the tiles it is computed in.

A cell belongs to the district when its centre lies inside the boundary. Cells are addressed row-major
(row 0 at the north edge); "inside cells" are numbered in that order (:attr:`Grid.cell_index`), which is the
row order of :func:`siteplan.coverage.coverage_matrix`.
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
    """

    transform: Affine
    crs: str
    shape: tuple[int, int]
    inside: np.ndarray

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
                out.append(
                    TileSpec(
                        r0, c0, sub.shape[0], sub.shape[1],
                        float(self.col_x(c0)), float(self.row_y(r0)), res, sub.copy(),
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
    """Grid of a loaded district at ``resolution_m`` (default ``config.radio.grid_resolution_m``)."""
    res = district.config.radio.grid_resolution_m if resolution_m is None else resolution_m
    return make_grid(district.boundary, district.crs, res)
