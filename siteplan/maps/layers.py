"""Layer constructors for the coverage map: vector overlays, the RSRP raster, the legend and the summary panel.

Everything here draws finished results. The only arithmetic is display work: reprojecting coordinates into the
frame of the basemap (WGS 84, or GCJ-02 under AMap tiles), rounding them to 1e-6 degrees (about 0.1 m), resampling
the coverage raster onto a Web-Mercator-aligned grid and colouring it.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..crs import convert, normalize_frame
from ..io.labels import format_pct
from ..io.schema import SAMPLE_NOTICE  # one notice for every output
from ..styles import PHASE_COLOURS as _PHASE_COLOURS  # noqa: F401 (coverage_map imports it from here)
from ..styles import (  # one ramp for the map and the QGIS styles
    RSRP_BAND_COLOURS,
    RSRP_BAND_EDGES_DBM,
    RSRP_BELOW_COLOUR,
    SINR_LIMITED_COLOUR,
    STATUS_COLOURS,
    rsrp_bands,
)
from .escape import html_text, js_json, json_safe

__all__ = [
    "LAYER_LABELS",
    "MAX_DISPLAY_CHARS",
    "RSRP_BAND_COLOURS",
    "RSRP_BAND_EDGES_DBM",
    "RSRP_BELOW_COLOUR",
    "SAMPLE_NOTICE",
    "SINR_LIMITED_COLOUR",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "RawHtml",
    "VectorLayer",
    "columnar_payload",
    "display_geometries",
    "coverage_overlay",
    "encode_png_indexed",
    "legend_html",
    "legend_rows",
    "rsrp_bands",
    "rsrp_overlay",
    "rsrp_palette_index",
    "summary_panel_html",
    "title_html",
    "vector_layer",
    "warp_to_web_mercator",
]

#: Overlay names in the layer control, Chinese first.
LAYER_LABELS: dict[str, str] = {
    "boundary": "行政边界 District boundary",
    "subdistricts": "街道 Sub-districts",
    "coverage_outdoor": "覆盖 RSRP（室外）Coverage outdoor",
    "coverage_indoor": "覆盖 RSRP（室内）Coverage indoor",
    "gaps": "覆盖空洞 Coverage gaps",
    "search_requests": "站址需求 Candidate search requests",
    "existing_sites": "现网站址 Existing sites",
    "candidates": "候选站址 Candidates",
    "selected": "入选站址 Selected sites",
    "street_lamps": "路灯杆 Street-lamp poles",
    "monitoring_poles": "监控杆 Monitoring poles",
    "other_poles": "其他杆 Other poles",
    "plan_zones": "规划禁建/限建区 Plan zones",
    "plan_sites": "规划站址 Planned sites (search rings)",
    "hotspots": "热点场景 Hotspots",
    "public_facilities": "公共设施 Public facilities",
}


STATUS_LABELS = {
    "compliant": "合规 compliant",
    "conditional": "有条件 conditional",
    "non_compliant": "不合规 non-compliant",
    "unchecked": "未检查 unchecked",
}
_REUSE_LABELS = {
    "existing_site": "现网站址 existing site",
    "street_lamp": "路灯杆 street lamp",
    "monitoring": "监控杆 monitoring pole",
    "public_facility": "公共设施 public facility",
    "": "无 none",
}
_BUILD_LABELS = {
    "co_site_upgrade": "本网现网站址升级 co-site upgrade",
    "public_facility": "公共设施 public facility",
    "existing_site": "共享他网站址 shared existing site",
    "pole": "杆体 pole",
    "rooftop": "楼顶 rooftop",
    "tower": "落地塔 tower",
    "indoor": "室分 indoor",
}
_SITE_TYPE_LABELS = {"macro": "宏站 macro", "micro": "微站 micro", "indoor": "室分 indoor"}
_POLE_KIND_LABELS = {"street_lamp": "路灯杆 street lamp", "monitoring": "监控杆 monitoring", "other": "其他 other"}
_ZONE_LABELS = {"prohibited": "禁建 prohibited", "restricted": "限建 restricted"}
_POWER_LABELS = {"direct": "直供电 direct", "transferred": "转供电 transferred", "unknown": "未知 unknown"}
_SCENARIO_COLOURS = {
    "manufacturing": "#8c510a",
    "smart_grid": "#01665e",
    "commercial": "#c51b7d",
    "healthcare": "#e41a1c",
    "education": "#377eb8",
    "culture_tourism": "#984ea3",
    "media": "#ff7f00",
}

_COVERED_ALPHA = 190
_BELOW_ALPHA = 150


# ---------------------------------------------------------------------------------------------- elements

try:  # folium is a core dependency; imported here so the helpers above stay importable without it
    import folium
    from branca.element import Element
    from folium.map import Layer
    from folium.template import Template
except ImportError as exc:  # pragma: no cover
    raise ImportError("the coverage map needs folium: pip install 'folium>=0.17'") from exc


class RawHtml(Element):
    """Markup rendered verbatim: built from :func:`~siteplan.maps.escape.html_text` pieces, never passed through
    Jinja (a ``{{ ... }}`` in input data must stay text)."""

    def __init__(self, markup: str):
        super().__init__()
        self._name = "RawHtml"
        self.markup = markup

    def render(self, **kwargs):
        return self.markup


class VectorLayer(Layer):
    """One overlay drawn by ``siteplanLayer`` (assets/siteplan_map.js) from columnar, escaped JSON."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = siteplanLayer({{ this.data_js }}, {{ this.spec_js }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, spec: dict, *, name: str, show: bool = True, control: bool = True):
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "VectorLayer"
        self.data_js = js_json(data)
        self.spec_js = js_json(spec)
        self.n_features = len(data.get("c", data.get("g", [])))


# ---------------------------------------------------------------------------------------------- vectors

def display_geometries(geoms, src_crs: str, frame: str = "WGS84", *, decimals: int = 6) -> np.ndarray:
    """Geometries reprojected from ``src_crs`` into ``frame`` ("WGS84" or "GCJ02") and rounded [degrees].

    Rounding to 6 decimals keeps about 0.1 m, far below anything a planner reads off a web map.
    """
    arr = np.asarray(geoms, dtype=object)
    src, dst = normalize_frame(src_crs), normalize_frame(frame)

    def _fn(xy: np.ndarray) -> np.ndarray:
        x, y = convert(xy[:, 0], xy[:, 1], src, dst)
        return np.round(np.column_stack([x, y]), decimals)

    return shapely.transform(arr, _fn)


#: Longest text a popup or tooltip shows [characters]; longer text is cut with an ellipsis that says so (the
#: lists keep it whole). A 100,000-character name would otherwise make a popup 50,000 px tall.
MAX_DISPLAY_CHARS = 200


def _display_text(v):
    if isinstance(v, str) and len(v) > MAX_DISPLAY_CHARS:
        return f"{v[:MAX_DISPLAY_CHARS]}… (+{len(v) - MAX_DISPLAY_CHARS:,} characters, in full in the lists)"
    return v


def _column_values(series: pd.Series) -> list:
    """A column as JSON-safe values for display; list-like cells become '; '-joined text, long text is cut."""
    def one(v):
        if isinstance(v, (list, tuple, np.ndarray)):
            return _display_text("; ".join(str(x) for x in v))
        return _display_text(json_safe(v))

    return [one(v) for v in series.tolist()]


def columnar_payload(gdf, fields: Sequence[str], src_crs: str, frame: str = "WGS84") -> dict:
    """Columnar data for ``siteplanLayer``: ``{"c": [[lon, lat], ...]}`` when every geometry is a point, else
    ``{"g": [GeoJSON geometry, ...]}``; plus ``{"p": {field: [values]}}`` for the fields present."""
    geoms = display_geometries(gdf.geometry.values, src_crs, frame)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms = geoms[keep]
    sub = gdf.loc[keep]
    props = {f: _column_values(sub[f]) for f in fields if f in sub.columns}
    types = shapely.get_type_id(geoms)
    if len(geoms) and np.all(types == 0):
        coords = shapely.get_coordinates(geoms)
        return {"c": coords.tolist(), "p": props}
    import json

    return {"g": [json.loads(s) for s in shapely.to_geojson(geoms)], "p": props}


def _fields(pairs: Sequence[tuple[str, str]], columns) -> list[list[str]]:
    return [[k, label] for k, label in pairs if k in columns]


def vector_layer(
    gdf,
    key: str,
    *,
    src_crs: str,
    frame: str,
    fields: Sequence[tuple[str, str]] = (),
    title: str | None = "name",
    tooltip: str | None = None,
    style: Mapping[str, Any] | None = None,
    style_by: str | None = None,
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
    ring: str | None = None,
    ring_style: Mapping[str, Any] | None = None,
    show: bool = True,
    control: bool = True,
) -> VectorLayer | None:
    """An overlay named ``LAYER_LABELS[key]`` from a GeoDataFrame in ``src_crs``; None when it has no feature."""
    if gdf is None or len(gdf) == 0:
        return None
    cols = set(gdf.columns)
    wanted = [k for k, _ in fields]
    for extra in (title, tooltip, style_by, ring):
        if extra and extra not in wanted:
            wanted.append(extra)
    data = columnar_payload(gdf, wanted, src_crs, frame)
    if not len(data.get("c", data.get("g", []))):
        return None
    spec = {
        "layerLabel": LAYER_LABELS[key],
        "fields": _fields(fields, cols) if fields else None,
        "title": title if title in cols else None,
        "tooltip": tooltip if tooltip in cols else None,
        "style": dict(style or {}),
        "styleBy": style_by if style_by in cols else None,
        "styles": {str(k): dict(v) for k, v in (styles or {}).items()},
        "valueLabels": {k: dict(v) for k, v in (value_labels or {}).items()},
        "ring": ring if ring in cols else None,
        "ringStyle": dict(ring_style or {}),
    }
    return VectorLayer(data, spec, name=LAYER_LABELS[key], show=show, control=control)


# ---------------------------------------------------------------------------------------------- raster

def rsrp_palette_index(rsrp_dbm: np.ndarray, edges_dbm: Sequence[float]) -> np.ndarray:
    """Palette index per cell: 0 = no data (transparent), 1 = below the threshold, 2.. = covered bands weakest to
    strongest. ``edges_dbm`` as from :func:`rsrp_bands` (strongest first, threshold last)."""
    v = np.asarray(rsrp_dbm, dtype=float)
    asc = np.asarray(edges_dbm, dtype=float)[::-1]
    k = np.searchsorted(asc, np.nan_to_num(v, nan=-np.inf), side="right")
    return np.where(np.isnan(v), 0, 1 + k).astype(np.uint8)


def _hex_rgba(colour: str, alpha: int) -> tuple[int, int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), alpha


def _rsrp_palette(n_edges: int) -> list[tuple[int, int, int, int]]:
    covered = [_hex_rgba(RSRP_BAND_COLOURS[min(i, len(RSRP_BAND_COLOURS) - 1)], _COVERED_ALPHA) for i in range(n_edges)]
    return [(0, 0, 0, 0), _hex_rgba(RSRP_BELOW_COLOUR, _BELOW_ALPHA)] + covered[::-1]


def encode_png_indexed(index: np.ndarray, palette: Sequence[tuple[int, int, int, int]]) -> bytes:
    """An 8-bit indexed PNG (PLTE + tRNS, so alpha survives) of a 2-D uint8 index array."""
    idx = np.ascontiguousarray(index, dtype=np.uint8)
    if idx.ndim != 2 or idx.size == 0:
        raise ValueError(f"expected a non-empty 2-D index array, got shape {idx.shape}")
    if int(idx.max()) >= len(palette):
        raise ValueError(f"index {int(idx.max())} outside a palette of {len(palette)} colours")
    h, w = idx.shape
    raw = np.zeros((h, w + 1), dtype=np.uint8)  # filter byte 0 (None) per row
    raw[:, 1:] = idx

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    plte = bytes(v for c in palette for v in c[:3])
    trns = bytes(c[3] for c in palette)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
        + chunk(b"PLTE", plte)
        + chunk(b"tRNS", trns)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
        + chunk(b"IEND", b"")
    )


def _affine(t, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Apply an affine.Affine to coordinate arrays (element-wise, without the deprecated ``*`` operator)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


def warp_to_web_mercator(
    values: np.ndarray,
    transform,
    src_crs: str,
    frame: str = "WGS84",
    *,
    pixel_m: float | None = None,
    max_pixels: int = 4_000_000,
) -> tuple[np.ndarray, list[list[float]]]:
    """Resample a north-up raster in ``src_crs`` onto a Web-Mercator-aligned grid of ``frame`` lon/lat.

    Each output pixel centre goes back to ``frame`` lon/lat (spherical Mercator inverse), then to ``src_crs``
    (through WGS 84 for GCJ-02), and takes the nearest source cell, so NaN edges stay sharp. Under AMap
    (``frame="GCJ02"``) the image is thus in GCJ-02 like the tiles.

    Parameters
    ----------
    values : 2-D array
        Raster values (NaN = no data).
    transform : affine.Affine
        Source cell -> ``src_crs`` coordinates [m].
    pixel_m : float, optional
        Output pixel size in Web-Mercator metres; default: the source cell size scaled by 1/cos(latitude),
        i.e. the same ground size.

    Returns
    -------
    (array, bounds)
        The resampled float array and its ``[[south, west], [north, east]]`` bounds in ``frame`` [degrees],
        as Leaflet's ``ImageOverlay`` wants them.
    """
    vals = np.asarray(values, dtype=float)
    h, w = vals.shape
    src, dst = normalize_frame(src_crs), normalize_frame(frame)
    # Outline of the source grid, densely sampled so curved edges in Mercator are enclosed.
    t = np.linspace(0.0, 1.0, 33)
    cols = np.concatenate([t * w, np.full_like(t, w), (1 - t) * w, np.zeros_like(t)])
    rows = np.concatenate([np.zeros_like(t), t * h, np.full_like(t, h), (1 - t) * h])
    xs, ys = _affine(transform, cols, rows)
    lon, lat = convert(xs, ys, src, dst)
    mx, my = convert(lon, lat, "WGS84", "EPSG:3857")  # spherical Mercator of the frame's lon/lat numbers
    x0, x1, y0, y1 = float(mx.min()), float(mx.max()), float(my.min()), float(my.max())
    if pixel_m is None:
        cell_m = math.hypot(transform.a, transform.d)
        pixel_m = cell_m / math.cos(math.radians(float(np.mean(lat))))
    while math.ceil((x1 - x0) / pixel_m) * math.ceil((y1 - y0) / pixel_m) > max_pixels:
        pixel_m *= 1.25
    nx, ny = math.ceil((x1 - x0) / pixel_m), math.ceil((y1 - y0) / pixel_m)
    x1, y0 = x0 + nx * pixel_m, y1 - ny * pixel_m
    cx = x0 + (np.arange(nx) + 0.5) * pixel_m
    cy = y1 - (np.arange(ny) + 0.5) * pixel_m
    gx, gy = np.meshgrid(cx, cy)
    plon, plat = convert(gx.ravel(), gy.ravel(), "EPSG:3857", "WGS84")
    sx, sy = convert(plon, plat, dst, src)
    c, r = _affine(~transform, sx, sy)
    ci, ri = np.floor(c).astype(np.int64), np.floor(r).astype(np.int64)
    ok = (ci >= 0) & (ci < w) & (ri >= 0) & (ri < h)
    out = np.full(ci.shape, np.nan)
    out[ok] = vals[ri[ok], ci[ok]]
    (west, east), (south, north) = convert(np.array([x0, x1]), np.array([y0, y1]), "EPSG:3857", "WGS84")
    bounds = [[round(float(south), 7), round(float(west), 7)], [round(float(north), 7), round(float(east), 7)]]
    return out.reshape(ny, nx), bounds


def rsrp_overlay(
    rsrp_dbm: np.ndarray,
    transform,
    src_crs: str,
    *,
    threshold_dbm: float,
    key: str,
    frame: str = "WGS84",
    show: bool = True,
    opacity: float = 0.75,
    pane: str | None = None,
):
    """A coloured RSRP ``ImageOverlay`` (base64 PNG, already on a Mercator grid: no ``mercator_project``)."""
    img, bounds = warp_to_web_mercator(rsrp_dbm, transform, src_crs, frame)
    edges = rsrp_bands(threshold_dbm)
    png = encode_png_indexed(rsrp_palette_index(img, edges), _rsrp_palette(len(edges)))
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    kwargs = {"pane": pane} if pane else {}
    overlay = folium.raster_layers.ImageOverlay(
        image=url,
        bounds=bounds,
        name=LAYER_LABELS[key],
        opacity=opacity,
        mercator_project=False,
        pixelated=False,
        interactive=False,
        show=show,
        **kwargs,
    )
    overlay.png_bytes = len(png)
    overlay.png_shape = img.shape
    return overlay


def coverage_overlay(
    rsrp_dbm: np.ndarray,
    sinr_db: np.ndarray | None,
    transform,
    src_crs: str,
    *,
    threshold_dbm: float,
    sinr_threshold_db: float | None,
    name: str,
    frame: str = "WGS84",
    opacity: float = 0.75,
    pane: str | None = None,
):
    """A coverage ``ImageOverlay`` on the joint KPI: RSRP bands where covered, :data:`SINR_LIMITED_COLOUR` where
    RSRP clears the threshold but SS-SINR does not, :data:`RSRP_BELOW_COLOUR` where RSRP does not.

    Not in the layer control: the map's network switch shows one at a time.
    """
    edges = rsrp_bands(threshold_dbm)
    values = np.asarray(rsrp_dbm, dtype=float)
    if sinr_db is not None and sinr_threshold_db is not None:
        # Encode the SINR-limited class as a sentinel below any RSRP before warping (nearest-cell resampling).
        with np.errstate(invalid="ignore"):
            limited = (values >= threshold_dbm) & ~(np.nan_to_num(sinr_db, nan=-np.inf) >= sinr_threshold_db)
        values = np.where(limited, -1e9, values)
    img, bounds = warp_to_web_mercator(values, transform, src_crs, frame)
    idx = rsrp_palette_index(img, edges)
    limited_img = np.isfinite(img) & (img <= -1e8)
    idx = np.where(idx >= 2, idx + 1, idx).astype(np.uint8)  # make room: 1 below, 2 SINR-limited, 3.. bands
    idx[limited_img] = 2
    palette = _rsrp_palette(len(edges))
    palette = palette[:2] + [_hex_rgba(SINR_LIMITED_COLOUR, _BELOW_ALPHA)] + palette[2:]
    png = encode_png_indexed(idx, palette)
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    kwargs = {"pane": pane} if pane else {}
    overlay = folium.raster_layers.ImageOverlay(
        image=url, bounds=bounds, name=name, opacity=opacity, mercator_project=False, pixelated=False,
        interactive=False, show=False, control=False, **kwargs,
    )
    overlay.png_bytes = len(png)
    overlay.png_shape = img.shape
    return overlay


# ---------------------------------------------------------------------------------------------- panels

def _fmt_dbm(v: float) -> str:
    return f"{v:g}"


def _swatch(kind: str, colour: str, *, border: str | None = None, dashed: bool = False) -> str:
    """A legend symbol: ``box`` (area), ``dot`` (point marker), ``line`` or ``ring`` (dashed circle)."""
    b = border or colour
    style = {
        "box": f"background:{colour};border:1px solid {b}",
        "dot": f"background:{colour};border:1.5px solid {b};border-radius:50%;width:10px;height:10px",
        "line": f"background:transparent;border:0;border-top:2px {'dashed' if dashed else 'solid'} {colour};"
                "height:0;margin-bottom:3px",
        "ring": f"background:transparent;border:1.5px dashed {colour};border-radius:50%;width:11px;height:11px",
        "hollow": f"background:transparent;border:2px solid {colour}",
    }[kind]
    return f'<span class="sp-swatch sp-swatch-{kind}" style="{style}"></span>'


def legend_html(threshold_dbm: float, sinr_threshold_db: float | None = None,
                entries: Sequence[tuple[str, str]] = (), uplink_mbps: float | None = None) -> str:
    """The legend: the coverage colours (joint KPI) and one block per overlay.

    ``entries`` are ``(layer label, rows html)``; each block carries ``data-layer`` with the overlay's name so the
    map script shows only the blocks of the overlays on the map. ``uplink_mbps``: the uplink edge rate the joint
    KPI also requires (``radio.uplink.edge_rate_mbps``), stated in the KPI line.
    """
    edges = rsrp_bands(threshold_dbm)
    rows = []
    for i, e in enumerate(edges):
        colour = RSRP_BAND_COLOURS[min(i, len(RSRP_BAND_COLOURS) - 1)]
        rng = f"≥ {_fmt_dbm(e)}" if i == 0 else f"{_fmt_dbm(e)} … {_fmt_dbm(edges[i - 1])}"
        cls = ' class="sp-threshold-row"' if i == len(edges) - 1 else ""
        rows.append(f'<tr{cls} data-band-min="{_fmt_dbm(e)}"><td>{_swatch("box", colour)}{html_text(rng)} dBm</td></tr>')
    if sinr_threshold_db is not None:
        rows.append(f'<tr class="sp-sinr-limited"><td>{_swatch("box", SINR_LIMITED_COLOUR)}'
                    f"SINR &lt; {html_text(_fmt_dbm(sinr_threshold_db))} dB 干扰受限 interference-limited</td></tr>")
    rows.append(
        f'<tr class="sp-threshold" data-band-max="{_fmt_dbm(edges[-1])}"><td>{_swatch("box", RSRP_BELOW_COLOUR)}'
        f"&lt; {html_text(_fmt_dbm(edges[-1]))} dBm 未覆盖 not covered</td></tr>"
    )
    kpi = (f"覆盖 = RSRP ≥ {_fmt_dbm(threshold_dbm)} dBm"
           + (f" 且 SINR ≥ {_fmt_dbm(sinr_threshold_db)} dB" if sinr_threshold_db is not None else "")
           + (f" 且上行 ≥ {uplink_mbps:g} Mbit/s (uplink)" if uplink_mbps is not None else ""))
    blocks = [
        '<div class="sp-legend-block" data-layer="coverage"><h5>SS-RSRP 覆盖 Coverage</h5>'
        f'<div class="sp-legend-threshold" data-threshold-dbm="{_fmt_dbm(threshold_dbm)}">{html_text(kpi)}</div>'
        f"<table>{''.join(rows)}</table></div>"
    ]
    for label, body in entries:
        blocks.append(f'<div class="sp-legend-block" data-layer="{html_text(label)}"><h5>{html_text(label)}</h5>'
                      f"{body}</div>")
    return ('<div class="sp-panel sp-legend" id="sp-legend"><details open><summary>图例 Legend</summary>'
            + "".join(blocks) + "</details></div>")


def legend_rows(items: Sequence[tuple[str, str, str]], **kw) -> str:
    """Legend rows from ``(symbol kind, colour, text)``."""
    return "<table>" + "".join(f"<tr><td>{_swatch(k, c, **kw)}{html_text(t)}</td></tr>" for k, c, t in items) + "</table>"


def _get(d: Any, *path) -> Any:
    for p in path:
        if isinstance(d, Mapping) and p in d or isinstance(d, (list, tuple)) and isinstance(p, int) and -len(d) <= p < len(d):
            d = d[p]
        else:
            return None
    return d


def _cell(value: Any, key: str | None, kind: str = "num") -> str:
    """A table cell showing ``value``; the raw figure from summary.json is kept in ``data-value``."""
    v = json_safe(value)
    if v is None:
        return '<td class="sp-na">—</td>'
    if isinstance(v, bool):
        shown = "是 yes" if v else "否 no"
    elif kind == "pct" and isinstance(v, (int, float)):
        shown = format_pct(v)
    elif kind == "cny" and isinstance(v, (int, float)):
        shown = f"{v / 1e4:,.0f} 万" if abs(v) >= 1e5 else f"{v:,.0f}"
    elif isinstance(v, float):
        shown = f"{v:,.4g}"
    else:
        shown = str(v)
    raw = v if isinstance(v, str) else js_json(v)
    kattr = f' data-key="{html_text(key)}"' if key else ""
    return f'<td{kattr} data-value="{html_text(raw)}">{html_text(shown)}</td>'


def summary_panel_html(summary: Mapping | None, *, targets: Sequence = (), sample: bool = False,
                       network_labels: Mapping[str, str] | None = None) -> str:
    """The summary panel: per phase and network the sites against the network's target, coverage on the joint
    KPI, the goal verdict; district views; money (award, cost, what free public property and direct supply
    save); sharing; check figures. Figures come verbatim from ``summary`` (summary.json): each cell keeps the
    raw figure in ``data-value`` and its key in ``data-key``.
    """
    s = summary or {}
    labels = dict(network_labels or {})
    parts = ['<div class="sp-panel sp-summary" id="sp-summary"><details open><summary>汇总 Summary</summary>']
    if sample:
        parts.append(f'<div class="sp-sample" id="sp-sample-notice">{html_text(SAMPLE_NOTICE)}</div>')
    plan = s.get("plan") or {}
    nets = plan.get("networks") or {}
    head = ("<tr><th>阶段<br>Phase</th><th>网络<br>Network</th><th>站数<br>Sites</th><th>目标<br>Target</th>"
            "<th>室外<br>Outdoor</th><th>室内<br>Indoor</th><th>目标区域<br>Goal area</th><th>要求<br>Goal</th>"
            "<th>达标<br>Met</th></tr>")
    rows = []
    tmap = {getattr(t, "id", None): t for t in targets}
    for i, t in enumerate(targets):
        for key, net in nets.items():
            phases = net.get("phases") or []
            if i >= len(phases):
                continue
            ph = phases[i]
            k = f"plan.networks.{key}.phases.{i}"
            g = ph.get("goal") or {}
            goal = g.get("goal") or {}
            rows.append(
                f"<tr><td>{html_text(t.id + ' ' + (t.label_zh or t.label))}</td>"
                f"<td>{html_text(labels.get(key, key))}</td>"
                + _cell(ph.get("sites"), f"{k}.sites") + _cell(ph.get("target_sites"), f"{k}.target_sites")
                + _cell(_get(ph, "coverage", "outdoor", "covered_share"), f"{k}.coverage.outdoor.covered_share", "pct")
                + _cell(_get(ph, "coverage", "indoor", "covered_share"), f"{k}.coverage.indoor.covered_share", "pct")
                + _cell(g.get("area_share"), f"{k}.goal.area_share", "pct")
                + _cell(goal.get("share"), None, "pct")
                + _cell(g.get("met"), f"{k}.goal.met", "bool") + "</tr>"
            )
    for i, ph in enumerate(plan.get("phases") or []):
        k = f"plan.phases.{i}.views"
        t = tmap.get(ph.get("id"))
        name = f"{ph.get('id')} {(t.label_zh or t.label) if t else ''}".strip()
        rows.append(
            f'<tr class="sp-district-row"><td>{html_text(name)}</td><td>全区 各网均覆盖 every network</td>'
            + _cell(ph.get("sites"), f"plan.phases.{i}.sites") + _cell(ph.get("target_sites"), f"plan.phases.{i}.target_sites")
            + _cell(_get(ph, "views", "outdoor", "every_network"), f"{k}.outdoor.every_network", "pct")
            + _cell(_get(ph, "views", "indoor", "every_network"), f"{k}.indoor.every_network", "pct")
            + _cell(None, None) + _cell(None, None)
            + _cell(ph.get("goal_met_all_networks"), f"plan.phases.{i}.goal_met_all_networks", "bool") + "</tr>"
            + f'<tr class="sp-district-row"><td></td><td>全区 任一网络 any network</td>' + _cell(None, None) * 2
            + _cell(_get(ph, "views", "outdoor", "any_network"), f"{k}.outdoor.any_network", "pct")
            + _cell(_get(ph, "views", "indoor", "any_network"), f"{k}.indoor.any_network", "pct")
            + _cell(None, None) * 3 + "</tr>"
        )
    parts.append("<h4>分期与各网络 Phases by network (RSRP+SINR+上行 uplink; 室内按建筑面积 indoor by floor area)</h4>")
    if rows:
        parts.append(f'<table class="sp-targets">{head}{"".join(rows)}</table>')
    else:
        parts.append('<div class="sp-na">未规划 no plan in this run</div>')

    figs = []
    money = plan.get("money") or {}
    sav = _get(money, "savings", "total") or {}
    for label, value, key, kind in (
        ("奖励估算 Award estimate (CNY)", _get(money, "award", "award_cny"), "plan.money.award.award_cny", "cny"),
        ("十年总成本 10-year cost of ownership (CNY)", money.get("tco_cny"), "plan.money.tco_cny", "cny"),
        ("公共资源免费开放 节省/年 Free public property saves /yr", sav.get("free_public_property_cny_per_year"),
         "plan.money.savings.total.free_public_property_cny_per_year", "cny"),
        ("直供电 节省/年 Direct supply saves /yr", sav.get("direct_supply_cny_per_year"),
         "plan.money.savings.total.direct_supply_cny_per_year", "cny"),
        ("改造后可再节省/年 Retrofit would add /yr", sav.get("retrofit_potential_cny_per_year"),
         "plan.money.savings.total.retrofit_potential_cny_per_year", "cny"),
        (f"合计节省 Savings over {money.get('horizon_years', '')} years", sav.get("total_cny_horizon"),
         "plan.money.savings.total.total_cny_horizon", "cny"),
        ("共享站址比例 Shared sites (plan)", _get(plan, "sharing", "share_ratio"), "plan.sharing.share_ratio", "pct"),
        ("站址需求 Search requests", _get(plan, "search_requests", "count"), "plan.search_requests.count", "num"),
        ("覆盖空洞 Coverage gaps (final phase)", _get(plan, "gaps", "count"), "plan.gaps.count", "num"),
        ("候选站址 Candidates", _get(s, "check", "candidates"), "check.candidates", "num"),
        ("候选复用率 Candidate reuse ratio", _get(s, "check", "reuse", "ratio"), "check.reuse.ratio", "pct"),
    ):
        if value is not None and not isinstance(value, (Mapping, list)):
            figs.append(f"<tr><td>{html_text(label)}</td>{_cell(value, key, kind)}</tr>")
    counts = _get(s, "check", "by_status")
    if isinstance(counts, Mapping):
        for st, n in counts.items():
            figs.append(f"<tr><td>{html_text(STATUS_LABELS.get(str(st), str(st)))}</td>"
                        f"{_cell(n, f'check.by_status.{st}')}</tr>")
    if figs:
        parts.append(f'<h4>成本与共享 Money, sharing, candidates</h4><table class="sp-figures">{"".join(figs)}</table>')
    parts.append("</details></div>")
    return "".join(parts)


def title_html(name_zh: str, name: str, *, sample: bool = False, what: str = "site plan") -> str:
    """The map title (fixed, top centre). With ``sample``, a sample tag in it: the title is the one panel that
    never folds away, so sample data stays labelled on a phone too."""
    tag = ' <span class="sp-sample" id="sp-title-sample">样例数据 SAMPLE</span>' if sample else ""
    label = {"site plan": "5G 站址规划 site plan", "city overview": "5G 站址规划 city overview"}[what]
    return f'<div class="sp-title" id="sp-title">{html_text(name_zh)} {html_text(name)} {label}{tag}</div>'
