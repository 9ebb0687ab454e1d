"""Plumbing shared by the sample generator's modules: labels, vocabularies, frames and small array helpers."""

from __future__ import annotations

import numpy as np
import shapely

from ..config import OPERATORS
from ..crs import convert
from ..io.schema import SAMPLE_NOTE

__all__ = [
    "DATA_NOTE",
    "MOUNT_ZH",
    "OP_CODE",
    "OP_ZH",
    "POWER_ZH",
    "TYPE_ZH",
    "drop_later",
    "from_work",
    "first_unique",
    "hex_lattice",
    "near_any",
    "points_in",
    "thin",
    "to_work",
    "transform_geom",
]

#: The label of every generated row (the same as :data:`siteplan.io.schema.SAMPLE_NOTE`).
DATA_NOTE = SAMPLE_NOTE

#: Canonical operator key -> Chinese name, as operators' sheets write it (the four network operators of
#: :data:`siteplan.config.OPERATORS`).
OP_ZH = {k: v for k, v in OPERATORS.items() if k != "china_tower"}
#: Canonical operator key -> two-letter code used in site ids (HD4G-CM-0001).
OP_CODE = {"china_mobile": "CM", "china_telecom": "CT", "china_unicom": "CU", "china_broadnet": "CB"}
TYPE_ZH = {"macro": "宏站", "micro": "微站", "indoor": "室分"}
MOUNT_ZH = {
    "rooftop": "楼顶抱杆",
    "tower": "落地塔",
    "landscape_tower": "景观塔",
    "street_lamp": "灯杆",
    "monitoring_pole": "监控杆",
    "smart_pole": "智慧杆",
    "indoor": "室内",
}
POWER_ZH = {"direct": "直供电", "transferred": "转供电", "unknown": "未知"}


def to_work(lon, lat, frame: str, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Degrees in ``frame`` -> working-CRS metres."""
    return convert(np.asarray(lon, float), np.asarray(lat, float), frame, crs)


def from_work(x, y, crs: str, frame: str) -> tuple[np.ndarray, np.ndarray]:
    """Working-CRS metres -> degrees in ``frame``."""
    return convert(np.asarray(x, float), np.asarray(y, float), crs, frame)


def transform_geom(geom, src: str, dst: str):
    """Any geometry (or array of them) from frame ``src`` to ``dst``, vertex by vertex."""
    return shapely.transform(geom, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1], src, dst)))


def near_any(tree: shapely.STRtree, x, y, distance: float = 0.0) -> np.ndarray:
    """True where ``(x, y)`` lies within ``distance`` [m] of (or, at 0, in or on) any geometry of ``tree``."""
    x = np.asarray(x, float)
    out = np.zeros(len(x), bool)
    if len(x) == 0 or len(tree) == 0:
        return out
    pts = shapely.points(x, np.asarray(y, float))
    if distance > 0:
        hit, _ = tree.query(pts, predicate="dwithin", distance=distance)
    else:
        hit, _ = tree.query(pts, predicate="intersects")
    out[hit] = True
    return out


def points_in(rng: np.random.Generator, poly, n: int, *, oversample: int = 4) -> np.ndarray:
    """``n`` uniform random points in a polygon, (n, 2) [m] (rejection sampling in its bounding box)."""
    if n <= 0 or poly.is_empty:
        return np.empty((0, 2))
    x0, y0, x1, y1 = poly.bounds
    shapely.prepare(poly)
    frac = max(poly.area / max((x1 - x0) * (y1 - y0), 1e-9), 1e-3)
    out = np.empty((0, 2))
    while len(out) < n:
        m = int(np.ceil(n * oversample / frac))
        pts = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        out = np.vstack([out, pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]])
    return out[:n]


def hex_lattice(rng: np.random.Generator, bounds, spacing_m: float, *, jitter: float = 0.0) -> np.ndarray:
    """A hexagonal lattice of ``spacing_m`` over ``bounds`` (x0, y0, x1, y1) with a random origin, (n, 2) [m].

    ``jitter`` moves each point uniformly by up to that fraction of the spacing in x and y.
    """
    x0, y0, x1, y1 = bounds
    s = float(spacing_m)
    ox, oy = rng.uniform(0.0, s, 2)
    xs = np.arange(x0 - s + ox, x1 + s, s)
    ys = np.arange(y0 - s + oy, y1 + s, s * np.sqrt(3.0) / 2.0)
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + (np.arange(len(ys))[:, None] % 2) * s / 2.0
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    if jitter:
        xy = xy + rng.uniform(-jitter * s, jitter * s, xy.shape)
    return xy


def first_unique(a: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mask of the first valid occurrence of each value of ``a``."""
    keep = np.zeros(len(a), bool)
    v = np.flatnonzero(valid)
    _, first = np.unique(np.asarray(a)[v], return_index=True)
    keep[v[first]] = True
    return keep


def drop_later(n: int, pairs: np.ndarray) -> np.ndarray:
    """Keep-mask of ``n`` items that drops the later item of each conflicting pair (rows of ``pairs``, (m, 2)),
    pair by pair until none is left whose two items are both kept."""
    keep = np.ones(n, bool)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    while len(pairs):
        keep[np.unique(pairs.max(axis=1))] = False
        pairs = pairs[keep[pairs[:, 0]] & keep[pairs[:, 1]]]
    return keep


def thin(xy: np.ndarray, min_dist: float) -> np.ndarray:
    """Keep-mask that drops the later point of every pair closer than ``min_dist`` [m]."""
    from scipy.spatial import cKDTree

    if len(xy) < 2:
        return np.ones(len(xy), bool)
    return drop_later(len(xy), cKDTree(xy).query_pairs(min_dist, output_type="ndarray"))
