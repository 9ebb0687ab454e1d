"""Buildings on the coverage grid: which cells are indoors, of which building class, and how much floor area.

The indoor layer is the cells whose centre lies in a building footprint; the outdoor layer is every other inside
cell. A building whose footprint holds no cell centre (smaller than a cell, or thin) takes the cell of its
representative point, so no building is lost; each building's floor area (footprint x floors) is shared evenly
among its cells, so the indoor layer's total floor area is the buildings' own. A cell claimed by two buildings
keeps the first (in the layer's order) and adds the other's floor area.

Floors: the ``floors`` column, else ``height_m / 3`` (3 m per floor), else 1.

Without a buildings layer there is no map (``Grid.buildings`` is None): every inside cell is on both layers and
every building is generic (class ``"use:other"``), as siteplan did before it knew buildings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import shapely
from rasterio.features import rasterize

from ..radio.budgets import building_class

__all__ = ["GENERIC_CLASS", "BuildingMap", "attach_buildings", "building_map"]

#: The class of a building whose use and loss class are unknown, and of every cell without a building map.
GENERIC_CLASS = "use:other"

#: Metres per floor when only a height is known.
_M_PER_FLOOR = 3.0


@dataclass(frozen=True, eq=False)
class BuildingMap:
    """Buildings rasterized on a grid (arrays have the grid's shape unless noted).

    Attributes
    ----------
    cell_building : int32 array
        Building of each cell (row of the buildings layer), -1 none.
    cell_class : int16 array
        Building class of each cell (index into ``classes``), -1 none.
    cell_floor_area_m2 : float64 array
        Floor area each cell stands for [m²], 0 off the indoor layer.
    classes : tuple of str
        Building classes (:func:`siteplan.radio.budgets.building_class`), sorted; always holds
        :data:`GENERIC_CLASS`.
    building_ids : object array (buildings,)
        ``building_id`` of each building.
    building_class : int16 array (buildings,)
        Class of each building (index into ``classes``).
    building_cell : int64 array (buildings,)
        Flat grid index of a representative cell of each building (its point on surface; -1 off the grid).
    geometries : object array (buildings,)
        Footprints (working CRS), for locating sites in them.
    """

    cell_building: np.ndarray
    cell_class: np.ndarray
    cell_floor_area_m2: np.ndarray
    classes: tuple[str, ...]
    building_ids: np.ndarray
    building_class: np.ndarray
    building_cell: np.ndarray
    geometries: np.ndarray

    @property
    def n_buildings(self) -> int:
        return int(self.building_ids.size)

    def building_at(self, x, y) -> np.ndarray:
        """Building (row) containing each point [m], -1 none (the first of overlapping footprints)."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        y = np.atleast_1d(np.asarray(y, dtype=float))
        out = np.full(x.size, -1, dtype=np.int64)
        if x.size == 0 or self.n_buildings == 0:
            return out
        tree = shapely.STRtree(self.geometries)
        pi, bi = tree.query(shapely.points(x, y), predicate="within")
        if pi.size:
            order = np.lexsort((bi, pi))
            pi, bi = pi[order], bi[order]
            first = np.r_[True, pi[1:] != pi[:-1]]
            out[pi[first]] = bi[first]
        return out

    def index_of(self, building_ids) -> np.ndarray:
        """Row of each ``building_id`` (-1 unknown)."""
        lookup = {str(b): i for i, b in enumerate(self.building_ids)}
        return np.array([lookup.get(str(b), -1) for b in building_ids], dtype=np.int64)


def _floors(buildings) -> np.ndarray:
    n = len(buildings)
    floors = buildings["floors"].astype(float).to_numpy() if "floors" in buildings else np.full(n, np.nan)
    height = buildings["height_m"].astype(float).to_numpy() if "height_m" in buildings else np.full(n, np.nan)
    from_height = np.maximum(np.round(height / _M_PER_FLOOR), 1.0)
    out = np.where(np.isfinite(floors) & (floors > 0), floors, np.where(np.isfinite(height), from_height, 1.0))
    return np.maximum(out, 1.0)


def building_map(grid, buildings) -> BuildingMap:
    """Rasterize a buildings layer (working CRS, canonical columns) on ``grid`` (see the module notes)."""
    n = len(buildings)
    geoms = np.asarray(buildings.geometry.values, dtype=object)
    use = buildings["use"].to_numpy(dtype=object) if "use" in buildings else np.full(n, "other", dtype=object)
    lc = buildings["loss_class"].to_numpy(dtype=object) if "loss_class" in buildings else np.full(n, "", dtype=object)
    cls_name = building_class(np.where(use == "", "other", use), lc) if n else np.zeros(0, dtype=object)
    classes = tuple(sorted({*map(str, cls_name), GENERIC_CLASS}))
    cls_idx = np.searchsorted(np.array(classes), cls_name.astype(str)).astype(np.int16) if n else np.zeros(0, np.int16)
    shape = grid.shape
    if n:
        # Burn in reverse so that, where footprints overlap, the first building of the layer wins.
        shapes = [(g, i) for i, g in reversed(list(enumerate(geoms))) if g is not None and not g.is_empty]
        cell_b = rasterize(shapes, out_shape=shape, transform=grid.transform, fill=-1, dtype="int32")
    else:
        cell_b = np.full(shape, -1, dtype=np.int32)
    cell_b = np.where(grid.inside, cell_b, -1).astype(np.int32)
    # Buildings that own no cell take the cell of their point on surface.
    pts = shapely.point_on_surface(geoms) if n else np.zeros(0, dtype=object)
    r, c, ok = grid.rowcol(shapely.get_x(pts), shapely.get_y(pts)) if n else (np.zeros(0, int),) * 2 + (
        np.zeros(0, bool),)
    ok &= grid.inside[np.maximum(r, 0), np.maximum(c, 0)] if n else ok
    rep = np.where(ok, r * shape[1] + c, -1).astype(np.int64)
    counts = np.bincount(cell_b[cell_b >= 0], minlength=n) if n else np.zeros(0, np.int64)
    flat_b = cell_b.ravel()
    orphan = np.flatnonzero((counts == 0) & (rep >= 0))
    extra_area = np.zeros(flat_b.size)
    area = shapely.area(geoms) * _floors(buildings) if n else np.zeros(0)
    for i in orphan:  # buildings smaller than a cell: a few hundred, one cell each
        k = rep[i]
        if flat_b[k] < 0:
            flat_b[k] = i
            counts[i] = 1
        else:
            extra_area[k] += area[i]
    per_cell = np.where(counts > 0, area / np.maximum(counts, 1), 0.0)
    floor_area = np.where(flat_b >= 0, per_cell[np.maximum(flat_b, 0)], 0.0) + extra_area
    cell_b = flat_b.reshape(shape)
    cell_cls = np.where(cell_b >= 0, cls_idx[np.maximum(cell_b, 0)] if n else -1, -1).astype(np.int16)
    return BuildingMap(
        cell_building=cell_b,
        cell_class=cell_cls,
        cell_floor_area_m2=floor_area.reshape(shape),
        classes=classes,
        building_ids=buildings["building_id"].astype(str).to_numpy(dtype=object) if n else np.zeros(0, object),
        building_class=cls_idx,
        building_cell=rep,
        geometries=geoms,
    )


def attach_buildings(grid, buildings):
    """``grid`` with the building map of ``buildings`` (None or an empty layer: the grid unchanged)."""
    if buildings is None or len(buildings) == 0:
        return grid
    return dataclasses.replace(grid, buildings=building_map(grid, buildings))
