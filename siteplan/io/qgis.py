"""QGIS styles: so a planner who drags the outputs into QGIS sees the same picture as in the HTML map.

- :func:`raster_qml` / :func:`write_raster_qml`: a ``.qml`` beside a coverage GeoTIFF (QGIS loads
  ``name.qml`` with ``name.tif`` by itself). The style follows the raster's band descriptions: the first RSRP
  band (``*_rsrp_dbm``) with the map's RSRP classes and threshold, or else the first SINR band (``*_sinr_db``)
  with the SINR classes; any other raster gets no style. Works for ``coverage.tif`` and for per-network rasters
  (``coverage_<network>.tif``, bands like ``2022_outdoor_rsrp_dbm``) alike.
- :func:`vector_qml` / :func:`layer_styles` / :func:`write_layer_styles`: default styles of the run
  GeoPackage's layers in its ``layer_styles`` table, which QGIS reads when a layer is added.

The classes and colours come from :mod:`siteplan.styles`, the same definitions the map draws with.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

from ..styles import PHASE_COLOURS, RSRP_RAMP, SINR_RAMP, STATUS_COLOURS, Ramp, band_kind
from .labels import VALUE_LABELS

__all__ = [
    "layer_styles",
    "raster_qml",
    "vector_qml",
    "write_layer_styles",
    "write_raster_qml",
]

_QGIS_VERSION = "3.22.0"  # oldest QGIS LTR in wide use (Debian 12); newer versions read its styles
_HEAD = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"


def _rgba(colour: str, alpha: int = 255) -> str:
    c = colour.lstrip("#")
    return f"{int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{alpha}"


def _num(v: float) -> str:
    return f"{v:g}"


def _ramp_items(ramp: Ramp, threshold: float) -> list[tuple[str, str, int, str]]:
    """(upper value, colour, alpha, label) per class, weakest first, in QGIS's DISCRETE sense (a cell takes the
    first class whose value is >= its own)."""
    edges = ramp.bands(threshold)  # strongest first, threshold last
    items = [(_num(threshold), ramp.below, ramp.alpha_below,
              f"< {_num(threshold)} {ramp.unit} 未达标 below threshold")]
    for i in range(len(edges) - 1, -1, -1):
        upper = "inf" if i == 0 else _num(edges[i - 1])
        label = f"≥ {_num(edges[0])}" if i == 0 else f"{_num(edges[i])} … {_num(edges[i - 1])}"
        items.append((upper, ramp.colour(i), ramp.alpha_covered, f"{label} {ramp.unit}"))
    return items


def raster_qml(band_descriptions: Sequence[str], thresholds: Mapping[str, float]) -> str | None:
    """A QGIS raster style (QML text) for a raster with these band descriptions, or None if no band is styled.

    Parameters
    ----------
    band_descriptions
        The bands' descriptions in band order (GDAL band descriptions).
    thresholds
        ``{"rsrp": threshold_dbm, "sinr": threshold_db}``: the coverage thresholds, the lowest covered class edge.
    """
    kinds = [band_kind(d) for d in band_descriptions]
    for wanted in ("rsrp", "sinr"):
        if wanted in kinds and wanted in thresholds:
            band = kinds.index(wanted) + 1
            break
    else:
        return None
    ramp = RSRP_RAMP if wanted == "rsrp" else SINR_RAMP
    threshold = float(thresholds[wanted])
    items = _ramp_items(ramp, threshold)
    lo = threshold - 20.0
    hi = max(float(e) for e in ramp.bands(threshold))
    rows = "\n".join(
        f'          <item alpha="{a}" value="{v}" color="#{c.lstrip("#").lower()}" label={quoteattr(lab)}/>'
        for v, c, a, lab in items)
    desc = band_descriptions[band - 1]
    return _HEAD + f"""<qgis version="{_QGIS_VERSION}" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0">
  <!-- siteplan: {ramp.quantity} [{ramp.unit}] of band {band} ({desc}); classes and colours as in coverage_map.html -->
  <pipe>
    <provider>
      <resampling enabled="false" maxOversampling="2" zoomedInResamplingMethod="nearestNeighbour" zoomedOutResamplingMethod="nearestNeighbour"/>
    </provider>
    <rasterrenderer type="singlebandpseudocolor" band="{band}" opacity="1" alphaBand="-1" nodataColor="" classificationMin="{_num(lo)}" classificationMax="{_num(hi)}">
      <rasterTransparency/>
      <minMaxOrigin>
        <limits>None</limits>
        <extent>WholeRaster</extent>
        <statAccuracy>Estimated</statAccuracy>
        <cumulativeCutLower>0.02</cumulativeCutLower>
        <cumulativeCutUpper>0.98</cumulativeCutUpper>
        <stdDevFactor>2</stdDevFactor>
      </minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="DISCRETE" classificationMode="3" clip="0" minimumValue="{_num(lo)}" maximumValue="{_num(hi)}" labelPrecision="0">
{rows}
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>
    <huesaturation saturation="0" colorizeOn="0" colorizeRed="255" colorizeGreen="128" colorizeBlue="128" colorizeStrength="100" grayscaleMode="0"/>
    <rasterresampler maxOversampling="2"/>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
"""


def write_raster_qml(tif: str | Path, thresholds: Mapping[str, float]) -> Path | None:
    """Write ``<tif stem>.qml`` beside a GeoTIFF from its band descriptions (see :func:`raster_qml`).

    Returns the path written, or None when the raster has no RSRP or SINR band.
    """
    import rasterio

    from .writers import atomic_path

    tif = Path(tif)
    with rasterio.open(tif) as src:
        descriptions = [d or "" for d in src.descriptions]
    qml = raster_qml(descriptions, thresholds)
    if qml is None:
        return None
    path = tif.with_suffix(".qml")
    with atomic_path(path) as tmp:
        tmp.write_text(qml, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ vector styles

def _props(props: Mapping[str, str]) -> str:
    opts = "".join(f'<Option type="QString" name="{k}" value={quoteattr(v)}/>' for k, v in props.items())
    legacy = "".join(f'<prop k="{k}" v={quoteattr(v)}/>' for k, v in props.items())
    return f'<Option type="Map">{opts}</Option>{legacy}'


def _symbol(name: str, geometry: str, style: Mapping[str, str]) -> str:
    """One symbol: ``geometry`` "point" | "line" | "polygon"; ``style`` keys colour, outline, width, size, dash."""
    colour = style.get("colour", "#7f7f7f")
    outline = style.get("outline", "#232323")
    if geometry == "point":
        kind, cls = "marker", "SimpleMarker"
        props = {"name": style.get("shape", "circle"), "color": _rgba(colour), "outline_color": _rgba(outline),
                 "outline_width": style.get("width", "0.2"), "outline_width_unit": "MM",
                 "size": style.get("size", "2"), "size_unit": "MM", "outline_style": "solid"}
    elif geometry == "line":
        kind, cls = "line", "SimpleLine"
        props = {"line_color": _rgba(colour), "line_width": style.get("width", "0.5"), "line_width_unit": "MM",
                 "line_style": "dash" if style.get("dash") else "solid"}
    else:
        kind, cls = "fill", "SimpleFill"
        fill = style.get("fill")
        props = {"color": _rgba(fill or colour, int(style.get("alpha", "110"))) if fill != "none" else "0,0,0,0",
                 "style": "no" if fill == "none" else "solid", "outline_color": _rgba(outline),
                 "outline_width": style.get("width", "0.4"), "outline_width_unit": "MM",
                 "outline_style": "dash" if style.get("dash") else "solid"}
    return (f'<symbol type="{kind}" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="{cls}" enabled="1" locked="0" pass="0">{_props(props)}</layer></symbol>')


def vector_qml(geometry: str, style: Mapping[str, str], *, by: str | None = None,
               categories: Sequence[tuple[str, str, Mapping[str, str]]] = ()) -> str:
    """A QGIS vector style (QML text): one symbol, or one per value of field ``by``.

    Parameters
    ----------
    geometry
        "point", "line" or "polygon".
    style
        The symbol (or, with ``by``, the symbol of values not listed): keys ``colour``, ``outline``, ``width``
        [mm], ``size`` [mm], ``fill`` ("none" for outline only), ``alpha`` (0-255), ``dash``.
    categories
        ``(value, label, style overrides)`` per category of field ``by``.
    """
    if by:
        cats = "".join(f'<category symbol="{i}" value={quoteattr(v)} label={quoteattr(lab)} render="true"/>'
                       for i, (v, lab, _) in enumerate(categories))
        n = len(categories)
        cats += f'<category symbol="{n}" value="" label="其他 other" render="true"/>'
        syms = "".join(_symbol(str(i), geometry, {**style, **st}) for i, (_, _, st) in enumerate(categories))
        syms += _symbol(str(n), geometry, style)
        renderer = (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(by)} symbollevels="0" forceraster="0" '
                    f'enableorderby="0"><categories>{cats}</categories><symbols>{syms}</symbols></renderer-v2>')
    else:
        renderer = (f'<renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" enableorderby="0">'
                    f'<symbols>{_symbol("0", geometry, style)}</symbols></renderer-v2>')
    return (_HEAD + f'<qgis version="{_QGIS_VERSION}" styleCategories="Symbology">\n  {renderer}\n'
            "  <blendMode>0</blendMode>\n  <featureBlendMode>0</featureBlendMode>\n</qgis>\n")


def layer_styles(layers: Mapping[str, object]) -> dict[str, str]:
    """Default QGIS styles (QML text) for the run GeoPackage's layers that siteplan knows, by layer name."""
    status = [(k, lab, {"colour": STATUS_COLOURS[k]}) for k, lab in VALUE_LABELS["status"].items()]
    styles = {
        "boundary": vector_qml("polygon", {"fill": "none", "outline": "#000000", "width": "0.8"}),
        "subdistricts": vector_qml("polygon", {"fill": "none", "outline": "#555555", "width": "0.3", "dash": "1"}),
        "plan_zones": vector_qml("polygon", {"colour": "#b2182b", "outline": "#b2182b", "alpha": "64"},
                                 by="category",
                                 categories=[("prohibited", "禁建 prohibited", {}),
                                             ("restricted", "限建 restricted",
                                              {"colour": "#fdb863", "outline": "#e08214", "dash": "1"})]),
        "gaps": vector_qml("polygon", {"colour": "#d6604d", "outline": "#67001f", "alpha": "115", "width": "0.4"}),
        "existing_sites": vector_qml("point", {"colour": "#4292c6", "outline": "#08306b", "size": "2.4"}),
        "candidates": vector_qml("point", {"colour": "#7f7f7f", "size": "1.8"}),
        "candidates_checked": vector_qml("point", {"colour": "#7f7f7f", "size": "2"}, by="status",
                                         categories=status),
        "poles": vector_qml("point", {"colour": "#b8860b", "outline": "#b8860b", "size": "1"}, by="kind",
                            categories=[("street_lamp", "路灯杆 street lamp", {}),
                                        ("monitoring", "监控杆 monitoring", {"colour": "#6a3d9a",
                                                                            "outline": "#6a3d9a"})]),
        "plan_sites": vector_qml("point", {"colour": "#807dba", "outline": "#4a1486", "size": "1.8",
                                           "shape": "diamond"}),
        "hotspots": vector_qml("point", {"colour": "#e41a1c", "size": "2.2", "shape": "star"}),
        "public_facilities": vector_qml("point", {"colour": "#26a69a", "outline": "#00695c", "size": "1.8",
                                                  "shape": "square"}),
    }
    sel = layers.get("selected_sites")
    if sel is not None and "phase" in getattr(sel, "columns", ()):
        phases = list(dict.fromkeys(str(p) for p in sel["phase"]))
        styles["selected_sites"] = vector_qml(
            "point", {"colour": "#252525", "size": "3", "fill": "none"}, by="phase",
            categories=[(p, f"建设期 phase {p}", {"colour": PHASE_COLOURS[i % len(PHASE_COLOURS)]})
                        for i, p in enumerate(phases)])
    return {k: v for k, v in styles.items() if k in layers}


def write_layer_styles(gpkg: str | Path, styles: Mapping[str, str], *,
                       timestamp: str = "2020-01-01T00:00:00.000Z") -> None:
    """Store QML styles in a GeoPackage's ``layer_styles`` table (QGIS's own schema), each the default style of
    its layer, and register the table in ``gpkg_contents``. A fixed ``timestamp`` keeps the file reproducible."""
    if not styles:
        return
    conn = sqlite3.connect(str(gpkg))
    try:
        with conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
                "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
                "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME)")
            geom = dict(conn.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
            for layer, qml in sorted(styles.items()):
                conn.execute(
                    "INSERT INTO layer_styles(f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                    "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                    "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'siteplan', NULL, ?)",
                    (layer, geom.get(layer, "geom"), layer, qml, "siteplan default style", timestamp))
            conn.execute(
                "INSERT OR REPLACE INTO gpkg_contents(table_name, data_type, identifier, description, last_change) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?)", (timestamp,))
    finally:
        conn.close()
