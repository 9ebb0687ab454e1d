"""GeoTIFF writer for coverage rasters (rasterio), written atomically.

Each band is float32 with a nodata value outside the district, the working CRS, a description (QGIS shows
it as the band name) and tags; the file is written beside its target and renamed over it only on success.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import rasterio

from .writers import atomic_path

__all__ = ["NODATA", "write_geotiff"]

#: Nodata value of siteplan's float32 rasters (outside the district). NaN is avoided: some viewers and
#: statistics tools treat NaN nodata inconsistently.
NODATA = -9999.0


def write_geotiff(
    path: str | Path,
    bands: Mapping[str, np.ndarray],
    *,
    transform,
    crs: str,
    nodata: float = NODATA,
    tags: Mapping[str, object] | None = None,
    band_tags: Mapping[str, Mapping[str, object]] | None = None,
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
        Dataset tags and per-band tags (non-strings are stored as JSON).
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
            if band_tags and name in band_tags:
                dst.update_tags(i, **{k: text(v) for k, v in band_tags[name].items()})
        if tags:
            dst.update_tags(**{k: text(v) for k, v in tags.items()})
    return path
