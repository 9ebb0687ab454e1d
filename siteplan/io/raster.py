"""GeoTIFF writer for coverage rasters (rasterio), written atomically.

Each band is float32 with a nodata value outside the district, the working CRS, a description (QGIS shows
it as the band name), a unit (dBm, dB) and tags; a large raster gets internal overviews; a QGIS style
(``.qml``, same name) is written beside it when thresholds are given. The file is written beside its target and
renamed over it only on success.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import rasterio

from .writers import atomic_path

__all__ = ["NODATA", "OVERVIEW_MIN_SIZE", "band_unit", "write_geotiff"]

#: Nodata value of siteplan's float32 rasters (outside the district). NaN is avoided: some viewers and
#: statistics tools treat NaN nodata inconsistently.
NODATA = -9999.0
#: Rasters with a side longer than this [pixels] get internal overviews (2x, 4x, ... down to ~256 pixels).
OVERVIEW_MIN_SIZE = 1024


def band_unit(description: str) -> str:
    """The unit of a band from its description's suffix: ``*_dbm`` -> "dBm", ``*_db`` -> "dB", else ""."""
    d = description.lower()
    return "dBm" if d.endswith("_dbm") else "dB" if d.endswith("_db") else ""


def write_geotiff(
    path: str | Path,
    bands: Mapping[str, np.ndarray],
    *,
    transform,
    crs: str,
    nodata: float = NODATA,
    tags: Mapping[str, object] | None = None,
    band_tags: Mapping[str, Mapping[str, object]] | None = None,
    style: Mapping[str, float] | None = None,
) -> Path:
    """Write 2-D arrays as bands of one float32 GeoTIFF.

    Parameters
    ----------
    path : path
        Target file (``.tif``).
    bands : mapping
        Band description -> 2-D array, all the same shape; NaN becomes ``nodata``. Callers replace -inf
        (no signal) with a documented floor before writing.
    transform : affine.Affine
        Pixel-corner transform.
    crs : str
        CRS, e.g. ``"EPSG:4548"``.
    tags, band_tags : mapping, optional
        Dataset tags (e.g. :func:`siteplan.io.writers.provenance_tags`) and per-band tags (non-strings are
        stored as JSON).
    style : mapping, optional
        ``{"rsrp": threshold_dbm, "sinr": threshold_db}``: also write a QGIS style ``<name>.qml`` beside the
        raster (:func:`siteplan.io.qgis.write_raster_qml`) from the band descriptions.
    """
    arrays = [np.asarray(a, dtype=np.float32) for a in bands.values()]
    if not arrays:
        raise ValueError("write_geotiff: no bands")
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        raise ValueError("write_geotiff: bands differ in shape")
    height, width = shape
    profile = {
        "driver": "GTiff",
        "height": height,
        "width": width,
        "count": len(arrays),
        "dtype": "float32",
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
        "predictor": 3,
    }
    if height >= 256 and width >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)

    def text(v):
        return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)

    path = Path(path)
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        for i, (name, a) in enumerate(zip(bands.keys(), arrays), start=1):
            dst.write(np.where(np.isnan(a), np.float32(nodata), a), i)
            dst.set_band_description(i, name)
            if band_unit(name):
                dst.set_band_unit(i, band_unit(name))
            if band_tags and name in band_tags:
                dst.update_tags(i, **{k: text(v) for k, v in band_tags[name].items()})
        if tags:
            dst.update_tags(**{k: text(v) for k, v in tags.items()})
        factors = []
        while max(height, width) // (2 ** (len(factors) + 1)) >= 256 and max(height, width) > OVERVIEW_MIN_SIZE:
            factors.append(2 ** (len(factors) + 1))
        if factors:
            from rasterio.enums import Resampling

            # nearest: every overview pixel is a value the model computed (averaged dBm would be neither)
            dst.build_overviews(factors, Resampling.nearest)
            dst.update_tags(ns="rio_overview", resampling="nearest")
    if style:
        from .qgis import write_raster_qml

        write_raster_qml(path, style)
    return path
