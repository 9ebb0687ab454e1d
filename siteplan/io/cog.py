"""Cloud-Optimized GeoTIFF written window by window, for rasters too big to hold in memory (rasterio / GDAL).

A :class:`CogWriter` takes windows in any order and never holds the raster: windows go into a tiled, lightly
compressed staging GeoTIFF beside the target; on close GDAL builds the overviews from that file block by block
and its COG driver copies everything into the final layout (tiled, compressed, overviews, LAYOUT=COG), which
is renamed over the target only on success. Bands are float32 with a description (the band name QGIS shows),
nodata (NaN in a window becomes ``nodata``), the CRS and tags, as :func:`siteplan.io.raster.write_geotiff`
writes them. :func:`validate_cog` returns reason codes for what a file lacks.

Example
-------
>>> with CogWriter("coverage.tif", width=w, height=h, band_names=["outdoor_rsrp_dbm"], transform=t,
...                crs="EPSG:4548") as cog:                                      # doctest: +SKIP
...     for row_off, col_off, window in windows:                                  # doctest: +SKIP
...         cog.write(row_off, col_off, {"outdoor_rsrp_dbm": window})             # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.enums import Resampling
from rasterio.windows import Window

from .raster import NODATA
from .writers import atomic_path

__all__ = ["COMPRESSIONS", "CogWriter", "validate_cog", "write_cog"]

#: Compression name -> GDAL's; DEFLATE and ZSTD get the floating-point predictor.
COMPRESSIONS = {"deflate": "DEFLATE", "zstd": "ZSTD", "lzw": "LZW", "none": "NONE"}


def _tag_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _overview_factors(width: int, height: int, blocksize: int) -> list[int]:
    """2, 4, 8, ... until the overview fits one block (GDAL's COG driver's own rule)."""
    factors = []
    f = 2
    while max(width, height) / (f // 2) > blocksize:
        factors.append(f)
        f *= 2
    return factors


class CogWriter:
    """Write a float32 raster window by window into a Cloud-Optimized GeoTIFF; use as a context manager.

    Parameters
    ----------
    path : path
        Target file (``.tif``); written only when the ``with`` block ends without an error.
    width, height : int
        Raster size [cells].
    band_names : sequence of str
        Band descriptions, in band order; :meth:`write` takes windows keyed by these names.
    transform : affine.Affine
        Pixel-corner transform.
    crs : str
        CRS, e.g. ``"EPSG:4548"``.
    nodata : float
        Nodata value (NaN in a window is written as this).
    tags, band_tags : mapping, optional
        Dataset tags and per-band tags (non-strings are stored as JSON).
    compress : str
        ``"deflate"`` (default), ``"zstd"``, ``"lzw"`` or ``"none"``.
    blocksize : int
        Internal tile edge [cells] of the COG (a multiple of 16).
    resampling : str
        Overview resampling: ``"nearest"`` (default; every overview pixel is a value the model computed, where
        an average of dBm would be neither), ``"average"``, ``"mode"``, ...
    cache_mb : int
        GDAL's block cache while writing [MiB] (GDAL's own default is 5 % of the machine's memory).
    num_threads : int or "ALL_CPUS"
        Threads GDAL compresses with when it builds the overviews and the COG at the end.
    """

    def __init__(self, path, *, width: int, height: int, band_names: Sequence[str], transform, crs: str,
                 nodata: float = NODATA, tags: Mapping[str, object] | None = None,
                 band_tags: Mapping[str, Mapping[str, object]] | None = None, compress: str = "deflate",
                 blocksize: int = 512, resampling: str = "nearest", cache_mb: int = 256,
                 num_threads: int | str = "ALL_CPUS"):
        if compress not in COMPRESSIONS:
            raise ValueError(f"invalid compress {compress!r}; expected one of: {', '.join(COMPRESSIONS)}")
        if blocksize < 16 or blocksize % 16:
            raise ValueError(f"blocksize = {blocksize}: expected a multiple of 16")
        if not band_names or len(set(band_names)) != len(band_names):
            raise ValueError(f"band_names = {list(band_names)!r}: expected distinct names")
        self.path = Path(path)
        self.width, self.height = int(width), int(height)
        self.band_names = list(band_names)
        self.nodata = float(nodata)
        self.compress = compress
        self.blocksize = int(blocksize)
        self.resampling = Resampling[resampling]
        self._index = {name: i for i, name in enumerate(self.band_names, start=1)}
        self._tags = dict(tags or {})
        self._band_tags = {k: dict(v) for k, v in (band_tags or {}).items()}
        self._transform, self._crs = transform, crs
        self._stage_path = self.path.with_name(f".{self.path.name}.stage.tif")
        self._stage = None
        self._env = rasterio.Env(GDAL_CACHEMAX=int(cache_mb) * 2**20, GDAL_NUM_THREADS=str(num_threads))
        self._num_threads = str(num_threads)

    def __enter__(self) -> CogWriter:
        self.open()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def open(self) -> None:
        """Create the staging file (done by ``with``)."""
        block = min(self.blocksize, 256)
        profile = {
            "driver": "GTiff", "width": self.width, "height": self.height, "count": len(self.band_names),
            "dtype": "float32", "crs": self._crs, "transform": self._transform, "nodata": self.nodata,
            "tiled": True, "blockxsize": block, "blockysize": block, "interleave": "band", "BIGTIFF": "IF_SAFER",
            # Staging only, so cheap compression: a block rewritten after a partial window may leave dead space
            # here, never in the COG, which is a fresh copy.
            "compress": "ZSTD", "zstd_level": 1, "predictor": 3,
        }
        self._stage_path.unlink(missing_ok=True)
        self._env.__enter__()
        self._stage = rasterio.open(self._stage_path, "w", **profile)
        for name, i in self._index.items():
            self._stage.set_band_description(i, name)

    def write(self, row_off: int, col_off: int, bands: Mapping[str, np.ndarray]) -> None:
        """Write one window: ``bands`` maps band names to 2-D arrays of the same shape, placed at
        (``row_off``, ``col_off``) [cells]; NaN becomes nodata. Bands not given keep nodata there."""
        if self._stage is None:
            raise RuntimeError("CogWriter.write outside its with block")
        unknown = sorted(set(bands) - set(self._index))
        if unknown:
            raise KeyError(f"CogWriter: unknown band {unknown[0]!r}; expected one of: {', '.join(self.band_names)}")
        for name, a in bands.items():
            a = np.asarray(a, dtype=np.float32)
            h, w = a.shape
            if row_off < 0 or col_off < 0 or row_off + h > self.height or col_off + w > self.width:
                raise ValueError(f"CogWriter: window {h}x{w} at ({row_off}, {col_off}) is outside the "
                                 f"{self.height}x{self.width} raster")
            self._stage.write(np.where(np.isnan(a), np.float32(self.nodata), a), self._index[name],
                              window=Window(col_off, row_off, w, h))

    def close(self) -> Path:
        """Build the overviews, copy into the COG layout, rename over the target; returns its path."""
        if self._stage is None:
            return self.path
        stage, self._stage = self._stage, None
        try:
            if self._tags:
                stage.update_tags(**{k: _tag_text(v) for k, v in self._tags.items()})
            for name, t in self._band_tags.items():
                stage.update_tags(self._index[name], **{k: _tag_text(v) for k, v in t.items()})
            factors = _overview_factors(self.width, self.height, self.blocksize)
            if factors:
                stage.build_overviews(factors, self.resampling)
            stage.close()
            options = {"COMPRESS": COMPRESSIONS[self.compress], "BLOCKSIZE": self.blocksize,
                       "OVERVIEWS": "FORCE_USE_EXISTING", "BIGTIFF": "IF_SAFER", "NUM_THREADS": self._num_threads}
            if self.compress in ("deflate", "zstd"):
                options["PREDICTOR"] = "FLOATING_POINT"
            with atomic_path(self.path) as tmp:
                rasterio.shutil.copy(self._stage_path, tmp, driver="COG", **options)
        finally:
            stage.close()
            self._stage_path.unlink(missing_ok=True)
            self._env.__exit__(None, None, None)
        return self.path

    def abort(self) -> None:
        """Discard the staging file; the target is left as it was."""
        if self._stage is not None:
            self._stage.close()
            self._stage = None
            self._env.__exit__(None, None, None)
        self._stage_path.unlink(missing_ok=True)


def write_cog(
    path: str | os.PathLike,
    bands: Mapping[str, np.ndarray],
    *,
    transform,
    crs: str,
    nodata: float = NODATA,
    tags: Mapping[str, object] | None = None,
    band_tags: Mapping[str, Mapping[str, object]] | None = None,
    compress: str = "deflate",
    blocksize: int = 512,
    resampling: str = "nearest",
    window_rows: int = 1024,
) -> Path:
    """Write 2-D arrays (band name -> array, as :func:`siteplan.io.raster.write_geotiff`) as a COG, by windows of
    ``window_rows`` rows (the arrays may be memory maps). Other arguments as :class:`CogWriter`."""
    arrays = list(bands.values())
    if not arrays:
        raise ValueError("write_cog: no bands")
    height, width = arrays[0].shape
    if any(a.shape != (height, width) for a in arrays):
        raise ValueError("write_cog: bands differ in shape")
    with CogWriter(path, width=width, height=height, band_names=list(bands), transform=transform, crs=crs,
                   nodata=nodata, tags=tags, band_tags=band_tags, compress=compress, blocksize=blocksize,
                   resampling=resampling) as cog:
        for r0 in range(0, height, window_rows):
            cog.write(r0, 0, {name: a[r0 : r0 + window_rows] for name, a in bands.items()})
    return Path(path)


def validate_cog(path: str | os.PathLike) -> list[str]:
    """Reason codes for what keeps ``path`` from being a cloud-optimized GeoTIFF; empty when it is one.

    ``NOT_TILED``, ``NOT_COMPRESSED``, ``NO_OVERVIEWS`` (for rasters larger than one block), ``NOT_COG_LAYOUT``
    (GDAL's COG layout marker missing: overviews and tiles not in the cloud-friendly order), ``OVERVIEWS_NOT_TILED``.
    """
    reasons: list[str] = []
    with rasterio.open(path) as src:
        tiled = bool(src.profile.get("tiled", False))
        if not tiled:
            reasons.append("NOT_TILED")
        if src.compression is None:
            reasons.append("NOT_COMPRESSED")
        # Overviews are due once the raster spans more than one tile (512 cells, GDAL's COG default, for strips).
        limit = max(src.block_shapes[0]) if tiled else 512
        if max(src.width, src.height) > limit and not src.overviews(1):
            reasons.append("NO_OVERVIEWS")
        if src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") != "COG":
            reasons.append("NOT_COG_LAYOUT")
        for factor in src.overviews(1):
            with rasterio.open(path, overview_level=int(math.log2(factor)) - 1) as ovr:
                if ovr.width > ovr.block_shapes[0][1] and not ovr.profile.get("tiled", False):
                    reasons.append("OVERVIEWS_NOT_TILED")
                    break
    return reasons
