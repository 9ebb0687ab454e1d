"""Coordinate frames used for Chinese geodata: WGS 84, CGCS2000, GCJ-02, BD-09 and any EPSG code.

GCJ-02 (AMap/Gaode, Tencent) and BD-09 (Baidu) are obfuscated frames that PROJ does not model. Their
forward formulas are the ones shared by the established open implementations (eviltransform,
coordtransform, gcoord); the GCJ-02 -> WGS 84 inverse is solved iteratively to better than 1e-9 degrees.
As in those implementations, points outside mainland China's rough bounding box pass through the
GCJ-02 and BD-09 steps unchanged.

Examples
--------
>>> lon, lat = convert(117.2, 39.12, "WGS84", "GCJ02")
>>> back = convert(lon, lat, "GCJ02", "WGS84")
>>> [round(v, 9) for v in back]
[117.2, 39.12]
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyproj

from .errors import CRSError

__all__ = [
    "FRAMES",
    "bd09_to_gcj02",
    "convert",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "is_geographic_frame",
    "normalize_frame",
    "out_of_china",
    "wgs84_to_gcj02",
]

#: Named frames siteplan understands besides ``EPSG:nnnn``.
FRAMES = ("WGS84", "CGCS2000", "GCJ02", "BD09")

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

_ALIASES = {
    "WGS84": "WGS84", "WGS-84": "WGS84", "WGS 84": "WGS84", "EPSG:4326": "WGS84", "4326": "WGS84",
    "CGCS2000": "CGCS2000", "CGCS-2000": "CGCS2000", "EPSG:4490": "CGCS2000", "4490": "CGCS2000",
    "GCJ02": "GCJ02", "GCJ-02": "GCJ02", "GCJ": "GCJ02", "AMAP": "GCJ02", "GAODE": "GCJ02",
    "BD09": "BD09", "BD-09": "BD09", "BD09LL": "BD09", "BAIDU": "BD09",
}


def normalize_frame(frame: str | int) -> str:
    """Return the canonical name of a frame: one of :data:`FRAMES` or ``"EPSG:nnnn"``.

    Raises
    ------
    CRSError
        If the frame is neither a named frame nor an EPSG code PROJ knows.
    """
    key = str(frame).strip().upper()
    if key in _ALIASES:
        return _ALIASES[key]
    code = key.removeprefix("EPSG:")
    if code.isdigit():
        try:
            _pyproj_crs(f"EPSG:{code}")
        except pyproj.exceptions.CRSError:
            raise CRSError(f"unknown EPSG code {frame!r}: PROJ does not know it") from None
        return f"EPSG:{code}"
    raise CRSError(
        f"unknown coordinate frame {frame!r}: expected one of {', '.join(FRAMES)} or an EPSG code such as 'EPSG:4548'"
    )


def is_geographic_frame(frame: str | int) -> bool:
    """True where the frame's coordinates are longitude/latitude degrees."""
    name = normalize_frame(frame)
    return name in FRAMES or _pyproj_crs(name).is_geographic


@lru_cache(maxsize=64)
def _pyproj_crs(name: str) -> pyproj.CRS:
    return pyproj.CRS.from_user_input(name)


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(_pyproj_crs(src), _pyproj_crs(dst), always_xy=True)


def out_of_china(lon, lat) -> np.ndarray:
    """Boolean mask of points outside the box in which GCJ-02 applies (the shared implementations' box)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS 84 point (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    sq = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 -> GCJ-02 [degrees]; points outside China unchanged."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    keep = out_of_china(lon, lat)
    return np.where(keep, lon, lon + dlon), np.where(keep, lat, lat + dlat)


def gcj02_to_wgs84(lon, lat, *, tol_deg: float = 1e-10, max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> WGS 84 [degrees], exact: fixed-point iteration on the forward formula.

    The forward offset varies slowly, so each step gains about two digits; about five steps reach
    1e-10 degrees.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon[np.isfinite(elon)]) < tol_deg) and np.all(np.abs(elat[np.isfinite(elat)]) < tol_deg):
            break
    keep = out_of_china(glon, glat)
    return np.where(keep, glon, wlon), np.where(keep, glat, wlat)


def _gcj02_to_bd09_raw(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> BD-09 [degrees]; points outside China unchanged."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    bx, by = _gcj02_to_bd09_raw(x, y)
    keep = out_of_china(x, y)
    return np.where(keep, x, bx), np.where(keep, y, by)


def bd09_to_gcj02(lon, lat, *, tol_deg: float = 1e-10, max_iter: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 -> GCJ-02 [degrees]; outside China unchanged.

    Starts from the shared implementations' closed-form inverse (good to ~2e-6 degrees) and refines it by
    fixed-point iteration on the forward formula, so round trips close to 1e-10 degrees.
    """
    blon = np.asarray(lon, dtype=float)
    blat = np.asarray(lat, dtype=float)
    x = blon - 0.0065
    y = blat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    glon, glat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(max_iter):
        flon, flat = _gcj02_to_bd09_raw(glon, glat)
        elon, elat = flon - blon, flat - blat
        glon, glat = glon - elon, glat - elat
        if np.all(np.abs(elon[np.isfinite(elon)]) < tol_deg) and np.all(np.abs(elat[np.isfinite(elat)]) < tol_deg):
            break
    keep = out_of_china(blon, blat)
    return np.where(keep, blon, glon), np.where(keep, blat, glat)


def _to_wgs84(x: np.ndarray, y: np.ndarray, src: str) -> tuple[np.ndarray, np.ndarray]:
    if src == "WGS84":
        return x, y
    if src == "GCJ02":
        return gcj02_to_wgs84(x, y)
    if src == "BD09":
        return gcj02_to_wgs84(*bd09_to_gcj02(x, y))
    pname = "EPSG:4490" if src == "CGCS2000" else src
    return _transformer(pname, "EPSG:4326").transform(x, y)


def _from_wgs84(lon: np.ndarray, lat: np.ndarray, dst: str) -> tuple[np.ndarray, np.ndarray]:
    if dst == "WGS84":
        return lon, lat
    if dst == "GCJ02":
        return wgs84_to_gcj02(lon, lat)
    if dst == "BD09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    pname = "EPSG:4490" if dst == "CGCS2000" else dst
    return _transformer("EPSG:4326", pname).transform(lon, lat)


def convert(lon, lat, src: str | int, dst: str | int):
    """Convert coordinates between frames.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude [degrees] (or easting/northing [m] for a projected EPSG frame).
    src, dst : str or int
        ``"WGS84"``, ``"CGCS2000"``, ``"GCJ02"``, ``"BD09"`` or an EPSG code (``"EPSG:4548"``, ``4548``).

    Returns
    -------
    tuple
        ``(x, y)`` in ``dst``: floats for scalar input, numpy arrays otherwise.

    Notes
    -----
    CGCS2000 and WGS 84 agree within centimetres; PROJ treats the step as the identity, as do we.
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    s, d = normalize_frame(src), normalize_frame(dst)
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    if s != d:
        # GCJ-02 <-> BD-09 is its own formula: a WGS 84 hop would fail near the box's edges, where some
        # GCJ-02 points have no WGS 84 pre-image. Between PROJ frames the hop is skipped too (one PROJ step).
        if (s, d) == ("GCJ02", "BD09"):
            x, y = gcj02_to_bd09(x, y)
        elif (s, d) == ("BD09", "GCJ02"):
            x, y = bd09_to_gcj02(x, y)
        elif s not in ("GCJ02", "BD09") and d not in ("GCJ02", "BD09"):
            ps = "EPSG:4490" if s == "CGCS2000" else ("EPSG:4326" if s == "WGS84" else s)
            pd_ = "EPSG:4490" if d == "CGCS2000" else ("EPSG:4326" if d == "WGS84" else d)
            x, y = _transformer(ps, pd_).transform(x, y)
        else:
            x, y = _from_wgs84(*_to_wgs84(x, y, s), d)
    # Always new arrays: a caller changing the output must never change its input.
    x, y = np.array(x, dtype=float), np.array(y, dtype=float)
    if scalar:
        return float(x), float(y)
    return x, y
