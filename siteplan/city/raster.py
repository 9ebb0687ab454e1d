"""The city-wide coverage raster of each network, tile by tile on Dask, and its coarse aggregate.

The city grid covers the union of the districts at ``[city] grid_resolution_m`` (its origin at multiples of the
resolution, like every district grid, so a district on the same resolution shares its cells). Each tile of it is
computed from the sites within ``radio.max_reach_m`` of its cells (:func:`siteplan.distributed.coverage_tiles_on_dask`:
blocks of tiles are the Dask tasks, each carrying only its halo of sites), so a cell on a district border sees the
neighbour district's sites. Tiles are written as they arrive into a tiled, compressed Cloud-Optimized GeoTIFF
(:func:`siteplan.distributed.write_coverage_cog`): the city's raster is never held in memory.

On the way, every tile is folded into a coarse aggregate at ``[city] overview_resolution_m``: per coarse cell, the
share of its inside cells covered on the joint KPI (RSRP, SINR and the uplink, each layer with its own server and
SINR, as :func:`siteplan.coverage.networks.apply_kpi` judges a district), outdoors and indoors — what the city
overview map draws, and ``coverage_overview.tif``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from affine import Affine

from ..config import RadioConfig
from ..coverage.grid import Grid
from ..coverage.networks import NO_SIGNAL_DBM, uplink_ok

__all__ = ["CoarseShare", "city_coverage_cog", "write_overview"]


@dataclass
class CoarseShare:
    """Covered and inside cell counts of a fine grid, summed into coarse cells of ``factor`` x ``factor``."""

    grid: Grid
    factor: int
    shape: tuple[int, int] = field(init=False)
    inside: np.ndarray = field(init=False)
    outdoor: np.ndarray = field(init=False)
    indoor: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        h, w = self.grid.shape
        self.shape = (-(-h // self.factor), -(-w // self.factor))
        n = self.shape[0] * self.shape[1]
        self.inside = np.zeros(n, np.int64)
        self.outdoor = np.zeros(n, np.int64)
        self.indoor = np.zeros(n, np.int64)

    @property
    def transform(self) -> Affine:
        return self.grid.transform @ Affine.scale(self.factor)

    def add(self, tile, outdoor: np.ndarray, indoor: np.ndarray) -> None:
        """Fold one tile's covered masks (inside cells, row-major) in."""
        r, c = np.nonzero(tile.inside)
        flat = ((tile.row_off + r) // self.factor) * self.shape[1] + (tile.col_off + c) // self.factor
        n = self.inside.size
        self.inside += np.bincount(flat, minlength=n)
        self.outdoor += np.bincount(flat, weights=outdoor, minlength=n).astype(np.int64)
        self.indoor += np.bincount(flat, weights=indoor, minlength=n).astype(np.int64)

    def share(self, layer: str) -> np.ndarray:
        """Covered share per coarse cell (NaN where it holds no inside cell), 2-D."""
        num = self.outdoor if layer == "outdoor" else self.indoor
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(self.inside > 0, num / np.maximum(self.inside, 1), np.nan)
        return out.reshape(self.shape).astype(np.float32)


def _folded(pairs, agg: CoarseShare, rsrp_dbm: float, sinr_db: float, ul_floor_dbm: np.ndarray) -> Iterator:
    """Pass ``(tile, TileResult)`` pairs through, folding each into ``agg`` on the joint KPI: RSRP, SINR and the
    serving sector's uplink (``ul_floor_dbm`` per global sector), each layer with its own server and SINR (values
    as float32, as a district's raster holds them)."""
    thr, sthr = np.float32(rsrp_dbm), np.float32(sinr_db)
    for tile, res in pairs:
        masks = []
        indoor_sinr = res.sinr_db if res.indoor_sinr_db is None else res.indoor_sinr_db
        indoor_server = res.server_sector if res.indoor_server_sector is None else res.indoor_server_sector
        for rsrp, sinr, server in ((res.rsrp_dbm, res.sinr_db, res.server_sector),
                                   (res.indoor_rsrp_dbm, indoor_sinr, indoor_server)):
            r32 = rsrp.astype(np.float32)
            masks.append((r32 >= thr) & (np.nan_to_num(sinr.astype(np.float32), nan=-np.inf) >= sthr)
                         & uplink_ok(r32, server, ul_floor_dbm))
        agg.add(tile, *masks)
        yield tile, res


def city_coverage_cog(path, grid: Grid, sites, radio: RadioConfig, client, *, band_prefix: str, factor: int,
                      tags: dict | None = None, progress: Callable | None = None, desc: str = "coverage") -> dict:
    """One network's city-wide coverage COG from its sites, computed on ``client``'s cluster.

    Returns
    -------
    dict
        ``figures``: inside cells, covered cells (joint KPI) outdoors and indoors, and the evaluations made;
        ``aggregate``: the :class:`CoarseShare` at ``factor`` x the city resolution.
    """
    from ..coverage.engine import coverage_inputs
    from ..distributed import coverage_tiles_on_dask, write_coverage_cog

    s, p, ts = coverage_inputs(grid, sites, radio)
    agg = CoarseShare(grid, factor)
    pairs = coverage_tiles_on_dask(grid, s, p, client, tile_size=ts, progress=progress, desc=desc)
    meta = {"rsrp_threshold_dbm": radio.rsrp_threshold_dbm, "sinr_threshold_db": radio.sinr_threshold_db,
            "uplink_edge_rate_mbps": radio.uplink.edge_rate_mbps,
            "sites": s.n_sites, **(tags or {})}
    counts = write_coverage_cog(path, grid, _folded(pairs, agg, radio.rsrp_threshold_dbm, radio.sinr_threshold_db,
                                                 s.ul_floor_dbm),
                                threshold_dbm=radio.rsrp_threshold_dbm, no_signal_dbm=NO_SIGNAL_DBM, tags=meta,
                                band_prefix=band_prefix)
    figures = {"inside_cells": int(agg.inside.sum()), "outdoor_covered_cells": int(agg.outdoor.sum()),
               "indoor_covered_cells": int(agg.indoor.sum()), "sites": int(s.n_sites),
               "evaluations": int(counts["n_pairs"])}
    return {"figures": figures, "aggregate": agg}


def write_overview(path, aggregates: dict[str, CoarseShare], *, crs: str, tags: dict | None = None):
    """``coverage_overview.tif``: per network, bands ``<network>_outdoor_share`` and ``<network>_indoor_share``
    (0-1 of the coarse cell's inside cells covered on the joint KPI; nodata where the city has no cell)."""
    from ..io.raster import write_geotiff

    first = next(iter(aggregates.values()))
    bands = {f"{k}_{layer}_share": a.share(layer) for k, a in aggregates.items() for layer in ("outdoor", "indoor")}
    return write_geotiff(path, bands, transform=first.transform, crs=crs, tags=tags)
