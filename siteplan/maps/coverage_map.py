"""The HTML coverage map planners open: every layer of a run, offline, light and safe.

:func:`build_map` draws finished results (it computes nothing of substance) onto a folium map whose scripts and
stylesheets are all inlined; :func:`write_map` renders it, refuses a page that would load anything remote, and
writes it atomically.

Basemaps are optional (the default is none, so the map is complete offline):

* ``"osm"`` — OpenStreetMap tiles (WGS 84 / Web Mercator);
* ``"tianditu"`` — Tianditu vector tiles, ``vec_w`` + ``cva_w`` (CGCS2000 ~ WGS 84, Web Mercator). It needs a key,
  from ``tianditu_key`` or the environment variable ``SITEPLAN_TIANDITU_KEY``. **The key is written into the HTML
  in the tile URL, readable by anyone who gets the file**: use a key restricted to your domain/intranet;
* ``"amap"`` — AMap/Gaode tiles, which are in GCJ-02. Every overlay (vectors and the coverage raster) is then
  shifted into GCJ-02 with :func:`siteplan.crs.convert`; drawn in WGS 84 it would sit 300–600 m off.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np

from ..config import SCENARIOS
from ..errors import ConfigError
from ..io.writers import provenance, provenance_html_meta
from .escape import html_text
from .layers import (
    _BUILD_LABELS,
    _PHASE_COLOURS,
    _POLE_KIND_LABELS,
    _POWER_LABELS,
    _REUSE_LABELS,
    _SCENARIO_COLOURS,
    _SITE_TYPE_LABELS,
    _ZONE_LABELS,
    STATUS_COLOURS,
    STATUS_LABELS,
    RawHtml,
    display_geometries,
    legend_html,
    rsrp_overlay,
    summary_panel_html,
    title_html,
    vector_layer,
)
from .offline import check_offline, inline_assets

__all__ = ["BASEMAPS", "DEFAULT_MAX_ZOOM", "TIANDITU_KEY_ENV", "build_map", "render_map", "write_map"]

TIANDITU_KEY_ENV = "SITEPLAN_TIANDITU_KEY"
#: Zoom limit of the map (with no tile layer Leaflet has none, and clustering/fitBounds need one).
DEFAULT_MAX_ZOOM = 19

#: Basemap name -> (frame the overlays are drawn in, tile URL prefixes the offline check lets through).
BASEMAPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "none": ("WGS84", ()),
    "osm": ("WGS84", ("https://tile.openstreetmap.org/{z}/",)),
    "tianditu": ("WGS84", ("https://t{s}.tianditu.gov.cn/vec_w/wmts?", "https://t{s}.tianditu.gov.cn/cva_w/wmts?")),
    "amap": ("GCJ02", ("https://webrd0{s}.is.autonavi.com/appmaptile?",)),
}
_BASEMAP_ALIASES = {"openstreetmap": "osm", "gaode": "amap", "autonavi": "amap", "tdt": "tianditu", "": "none"}

_RASTER_PANE = "siteplanRaster"


def _basemap_name(basemap: str | None) -> str:
    key = (basemap or "none").strip().lower()
    key = _BASEMAP_ALIASES.get(key, key)
    if key not in BASEMAPS:
        raise ConfigError(f"invalid basemap {basemap!r}: expected one of {', '.join(BASEMAPS)}")
    return key


def _add_basemap(m, name: str, tianditu_key: str | None) -> None:
    import folium

    if name == "osm":
        folium.TileLayer(
            tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            attr="© OpenStreetMap contributors",
            name="OpenStreetMap 底图 basemap",
            max_zoom=DEFAULT_MAX_ZOOM,
            max_native_zoom=19,
            overlay=False,
            control=True,
        ).add_to(m)
    elif name == "tianditu":
        key = tianditu_key or os.environ.get(TIANDITU_KEY_ENV, "")
        if not key:
            raise ConfigError(
                f"basemap 'tianditu' needs a key: pass tianditu_key or set {TIANDITU_KEY_ENV} "
                "(note: the key is written into the HTML, readable by anyone with the file)"
            )
        tk = quote(key, safe="")
        for layer, label, overlay in (("vec", "天地图 Tianditu", False), ("cva", "天地图注记 Tianditu labels", True)):
            folium.TileLayer(
                tiles=(
                    f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                    f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
                    f"&TILECOL={{x}}&tk={tk}"
                ),
                attr="© 天地图 Tianditu",
                name=label,
                subdomains="01234567",
                max_zoom=DEFAULT_MAX_ZOOM,
                max_native_zoom=18,
                overlay=overlay,
                control=True,
            ).add_to(m)
    elif name == "amap":
        folium.TileLayer(
            tiles="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            attr="© 高德 AMap (GCJ-02)",
            name="高德 AMap 底图 basemap (GCJ-02)",
            subdomains="1234",
            max_zoom=DEFAULT_MAX_ZOOM,
            max_native_zoom=18,
            overlay=False,
            control=True,
        ).add_to(m)


def _candidates_frame(district, candidates):
    if candidates is not None:
        return candidates
    raw = district.layers.get("candidates")
    if raw is None or len(raw) == 0:
        return raw
    out = raw.copy()
    out["status"] = "unchecked"
    return out


def _status_styles() -> dict:
    return {k: {"color": "#222", "fillColor": c} for k, c in STATUS_COLOURS.items()}


def _phase_styles(selected, summary: Mapping | None) -> dict:
    order: list = []
    for ph in (summary or {}).get("optimize", {}).get("phases", []) or []:
        if isinstance(ph, Mapping) and ph.get("id") is not None:
            order.append(str(ph["id"]))
    if selected is not None and "phase" in selected.columns:
        for p in selected["phase"].astype(str).unique().tolist():
            if p not in order:
                order.append(p)
    return {p: {"fillColor": _PHASE_COLOURS[i % len(_PHASE_COLOURS)], "color": _PHASE_COLOURS[i % len(_PHASE_COLOURS)]}
            for i, p in enumerate(order)}


def build_map(
    district,
    *,
    candidates: gpd.GeoDataFrame | None = None,
    coverage: Any = None,
    gaps: gpd.GeoDataFrame | None = None,
    selected: gpd.GeoDataFrame | None = None,
    summary: Mapping | None = None,
    basemap: str = "none",
    tianditu_key: str | None = None,
):
    """Draw a district's layers and a run's results on an offline folium map.

    Parameters
    ----------
    district : siteplan.io.District
        Config, working CRS, layers (working CRS), boundary and the sample flag.
    candidates : GeoDataFrame, optional
        The compliance check's result (``status``, ``reasons_*``, reuse columns); default: the raw candidates,
        drawn as unchecked.
    coverage : siteplan.coverage.CoverageResult, optional
        ``.grid`` (``transform``, ``crs``), ``.rsrp_dbm`` and ``.indoor_rsrp_dbm`` [dBm, NaN outside].
    gaps, selected : GeoDataFrame, optional
        Coverage gaps and the optimizer's selected sites (working CRS).
    summary : dict, optional
        summary.json's content; the panel shows its figures verbatim.
    basemap : {"none", "osm", "tianditu", "amap"}
        Tile basemap; ``"amap"`` shifts every overlay into GCJ-02.
    tianditu_key : str, optional
        Tianditu key (else ``$SITEPLAN_TIANDITU_KEY``); it ends up readable in the HTML.

    Returns
    -------
    folium.Map
        With every script and stylesheet inlined; write it with :func:`write_map`.
    """
    import folium
    from folium.map import CustomPane

    bname = _basemap_name(basemap)
    frame = BASEMAPS[bname][0]
    crs = district.crs
    cfg = district.config
    layers = district.layers
    # The threshold the coverage was judged with (the result records it), else the district's.
    threshold = float(getattr(coverage, "threshold_dbm", None) or cfg.radio.rsrp_threshold_dbm)

    boundary_disp = display_geometries([district.boundary], crs, frame)[0]
    minx, miny, maxx, maxy = boundary_disp.bounds
    m = folium.Map(
        location=[(miny + maxy) / 2.0, (minx + maxx) / 2.0],
        tiles=None,
        zoom_start=13,
        prefer_canvas=True,
        control_scale=False,  # added below, metric only: planners in China work in metres
    )
    m.options["max_zoom"] = DEFAULT_MAX_ZOOM
    m.options["min_zoom"] = 8
    m.siteplan_frame = frame
    m.siteplan_basemap = bname
    m.siteplan_allowed_urls = BASEMAPS[bname][1]
    inline_assets(m)
    root = m.get_root()
    root.title = html_text(f"{cfg.district.name_zh} {cfg.district.name} 5G 站址规划")  # branca writes it verbatim
    _add_basemap(m, bname, tianditu_key)
    CustomPane(_RASTER_PANE, z_index=350, pointer_events=False).add_to(m)

    def add(layer):
        if layer is not None:
            layer.add_to(m)
        return layer

    # Coverage first: raster below all vectors (own pane), outdoor shown, indoor off by default.
    if coverage is not None:
        grid = coverage.grid
        gcrs = getattr(grid, "crs", None) or crs
        for key, attr, show in (("coverage_outdoor", "rsrp_dbm", True), ("coverage_indoor", "indoor_rsrp_dbm", False)):
            arr = getattr(coverage, attr, None)
            if arr is not None and np.isfinite(arr).any():
                add(rsrp_overlay(arr, grid.transform, str(gcrs), threshold_dbm=threshold, key=key, frame=frame,
                                 show=show, pane=_RASTER_PANE))

    add(vector_layer(
        layers.get("plan_zones"), "plan_zones", src_crs=crs, frame=frame,
        fields=[("zone_id", "编号 ID"), ("name", "名称 Name"), ("category", "类别 Category"), ("reason", "原因 Reason")],
        style={"weight": 1, "fillOpacity": 0.25, "color": "#b2182b", "fillColor": "#b2182b"},
        style_by="category",
        styles={"prohibited": {"color": "#b2182b", "fillColor": "#b2182b"},
                "restricted": {"color": "#e08214", "fillColor": "#fdb863", "dashArray": "4 3"}},
        value_labels={"category": _ZONE_LABELS},
    ))
    add(vector_layer(
        layers.get("subdistricts"), "subdistricts", src_crs=crs, frame=frame,
        fields=[("code", "代码 Code"), ("name", "街道 Sub-district"), ("approximate", "近似边界 Approximate")],
        style={"color": "#555", "weight": 1.2, "dashArray": "5 4", "fill": True, "fillOpacity": 0.0},
    ))
    if gaps is not None and len(gaps):
        add(vector_layer(
            gaps, "gaps", src_crs=crs, frame=frame, title="gap_id",
            fields=[("gap_id", "编号 Gap ID"), ("rank", "排序 Rank"), ("area_m2", "面积 Area [m²]"),
                    ("subdistrict", "街道 Sub-district"), ("hotspots", "热点 Hotspots inside"),
                    ("nearest_candidates", "最近候选 Nearest candidates"),
                    ("nearest_distance_m", "最近距离 Nearest distance [m]"), ("score", "评分 Score")],
            style={"color": "#67001f", "weight": 1.5, "fillColor": "#d6604d", "fillOpacity": 0.45},
        ))
    add(vector_layer(
        layers.get("hotspots"), "hotspots", src_crs=crs, frame=frame, tooltip="name", show=False,
        fields=[("hotspot_id", "编号 ID"), ("name", "名称 Name"), ("scenario", "场景 Scenario"),
                ("weight", "权重 Weight"), ("receptor", "敏感目标 Receptor")],
        style={"radius": 6, "weight": 1.5, "color": "#333", "fillOpacity": 0.35},
        style_by="scenario",
        styles={k: {"fillColor": c, "color": c} for k, c in _SCENARIO_COLOURS.items()},
        value_labels={"scenario": {k: f"{v} {k}" for k, v in SCENARIOS.items()}},
    ))
    add(vector_layer(
        layers.get("public_facilities"), "public_facilities", src_crs=crs, frame=frame, tooltip="name", show=False,
        fields=[("facility_id", "编号 ID"), ("name", "名称 Name"), ("kind", "类型 Kind"),
                ("free_access", "免费开放 Free access")],
        style={"radius": 4, "weight": 1, "color": "#00695c", "fillColor": "#26a69a", "fillOpacity": 0.5},
    ))
    add(vector_layer(
        layers.get("plan_sites"), "plan_sites", src_crs=crs, frame=frame, tooltip="name", ring="ring_radius_m",
        show=False,
        fields=[("plan_id", "规划编号 Plan ID"), ("name", "名称 Name"), ("site_type", "站型 Type"),
                ("ring_radius_m", "搜索半径 Search ring [m]"), ("zone_class", "分区 Zone class"),
                ("status", "状态 Status"), ("term", "期限 Term")],
        title="plan_id",
        style={"radius": 3, "weight": 1, "color": "#4a1486", "fillColor": "#807dba", "fillOpacity": 0.9},
        ring_style={"weight": 1, "dashArray": "3 3", "fillOpacity": 0.04},
        value_labels={"site_type": _SITE_TYPE_LABELS},
    ))
    poles = layers.get("poles")
    if poles is not None and len(poles):
        pole_fields = [("pole_id", "杆号 Pole ID"), ("kind", "类型 Kind"), ("height_m", "高度 Height [m]"),
                       ("owner", "权属 Owner"), ("power_w", "供电能力 Power [W]")]
        kinds = poles["kind"].astype(str)
        for key, sel, colour in (("street_lamps", kinds == "street_lamp", "#b8860b"),
                                 ("monitoring_poles", kinds == "monitoring", "#6a3d9a"),
                                 ("other_poles", ~kinds.isin(["street_lamp", "monitoring"]), "#666666")):
            add(vector_layer(
                poles[sel.to_numpy()], key, src_crs=crs, frame=frame, title="pole_id", show=False,
                fields=pole_fields, value_labels={"kind": _POLE_KIND_LABELS},
                style={"radius": 2.5, "weight": 0.5, "color": colour, "fillColor": colour, "fillOpacity": 0.8},
            ))
    add(vector_layer(
        layers.get("existing_sites"), "existing_sites", src_crs=crs, frame=frame, tooltip="name",
        fields=[("site_id", "站址编号 Site ID"), ("name", "名称 Name"), ("operator", "运营商 Operator"),
                ("band", "频段 Band"), ("site_type", "站型 Type"), ("height_m", "挂高 Height [m]"),
                ("power_supply", "供电 Power"), ("data_note", "数据说明 Data note")],
        style={"radius": 4.5, "weight": 1.5, "color": "#08306b", "fillColor": "#4292c6", "fillOpacity": 0.9},
        value_labels={"site_type": _SITE_TYPE_LABELS, "power_supply": _POWER_LABELS},
    ))
    cands = _candidates_frame(district, candidates)
    add(vector_layer(
        cands, "candidates", src_crs=crs, frame=frame, tooltip="name",
        fields=[("site_id", "站址编号 Site ID"), ("name", "名称 Name"), ("status", "状态 Status"),
                ("reasons_zh", "原因 Reasons"), ("reasons_en", "Reasons"), ("subdistrict", "街道 Sub-district"),
                ("site_type", "站型 Type"), ("mount", "安装 Mount"), ("height_m", "挂高 Height [m]"),
                ("operator", "运营商 Operator"), ("band", "频段 Band"), ("reuse_kind", "复用 Reuse"),
                ("reuse_id", "复用设施 Reuse ID"), ("reuse_distance_m", "复用距离 Reuse distance [m]"),
                ("free_access", "免费开放 Free access"), ("build_kind", "建设类型 Build kind"),
                ("power_supply", "供电 Power"), ("needs_direct_supply", "需直供电改造 Needs direct supply"),
                ("emf_distance_m", "电磁合规距离 EMF distance [m]"), ("responsible_unit", "责任单位 Responsible unit"),
                ("data_note", "数据说明 Data note")],
        style={"radius": 4, "weight": 1, "fillOpacity": 0.85},
        style_by="status", styles=_status_styles(),
        value_labels={"status": STATUS_LABELS, "reuse_kind": _REUSE_LABELS, "build_kind": _BUILD_LABELS,
                      "site_type": _SITE_TYPE_LABELS, "power_supply": _POWER_LABELS},
    ))
    if selected is not None and len(selected):
        sel = selected.copy()
        if "phase" in sel.columns:
            sel["phase"] = sel["phase"].astype(str)
        add(vector_layer(
            sel, "selected", src_crs=crs, frame=frame, tooltip="name",
            fields=[("site_id", "站址编号 Site ID"), ("name", "名称 Name"), ("phase", "阶段 Phase"),
                    ("rank", "建设顺序 Rank"), ("marginal_gain_m2", "新增覆盖 Gain [m²]"), ("cost_cny", "造价 Cost [CNY]"),
                    ("reuse_kind", "复用 Reuse"), ("build_kind", "建设类型 Build kind"),
                    ("subdistrict", "街道 Sub-district"), ("responsible_unit", "责任单位 Responsible unit"),
                    ("site_type", "站型 Type")],
            style={"radius": 7, "weight": 2.5, "fillOpacity": 0.35},
            style_by="phase", styles=_phase_styles(sel, summary),
            value_labels={"reuse_kind": _REUSE_LABELS, "build_kind": _BUILD_LABELS, "site_type": _SITE_TYPE_LABELS},
        ))
    add(vector_layer(
        layers.get("boundary"), "boundary", src_crs=crs, frame=frame, fields=(), title=None,
        style={"color": "#000", "weight": 3, "fill": False, "interactive": False},
    ))

    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    root.html.add_child(RawHtml(title_html(cfg.district.name_zh, cfg.district.name)), name="sp_title")
    root.html.add_child(RawHtml(summary_panel_html(summary, targets=cfg.targets, sample=district.sample)),
                        name="sp_summary")
    if coverage is not None:
        root.html.add_child(RawHtml(legend_html(threshold)), name="sp_legend")
    # Provenance: <meta> elements for tools, a collapsed About box for people (version, config and input hashes).
    root.header.add_child(RawHtml(provenance_html_meta(district)), name="sp_provenance")
    root.html.add_child(RawHtml(_about_html(district)), name="sp_about")
    _script_element("L.control.scale({imperial: false, metric: true}).addTo({{ this._parent.get_name() }});").add_to(m)
    _ReadyMarker().add_to(m)  # last child: its script runs after every layer was added
    return m


def _about_html(district) -> str:
    """The map's About box: what made it (collapsed; fixed bottom left, above the scale bar)."""
    prov = provenance(district, full=False)
    rows = [("siteplan", prov["siteplan_version"]), ("区县 District", prov["district"]),
            ("样例数据 Sample data", "是 yes" if prov["sample_data"] else "否 no"),
            ("配置 Config sha256", prov["config_sha256"])]
    rows += [(f"输入 {name}", digest) for name, digest in prov["input_hashes"].items()]
    body = "".join(f"<tr><td>{html_text(k)}</td><td style=\"font-family:monospace;word-break:break-all\">"
                   f"{html_text(v)}</td></tr>" for k, v in rows)
    return ('<details class="sp-panel sp-about" id="sp-about" style="position:fixed;left:10px;bottom:34px;'
            'z-index:1000;max-width:420px;max-height:40vh;overflow:auto;font-size:11px">'
            f"<summary>关于 About</summary><table>{body}</table></details>")


def _script_element(js: str):
    """A folium element whose only output is ``js`` in the map's script (``{{ this._parent... }}`` allowed)."""
    from branca.element import MacroElement
    from folium.template import Template

    class _Script(MacroElement):
        _template = Template("{% macro script(this, kwargs) %}" + js + "{% endmacro %}")

    return _Script()


def _ready_marker_cls():
    return type(_script_element("siteplanMarkReady({{ this._parent.get_name() }});"))


def _ReadyMarker():
    return _ready_marker_cls()()


def _stable_ids(root) -> None:
    """Number every element in tree order: folium's random uuid ids would make each render differ."""
    n = 0

    def walk(el) -> None:
        nonlocal n
        el._id = f"{n:08x}"
        n += 1
        for child in list(getattr(el, "_children", {}).values()):
            walk(child)

    walk(root)


def render_map(m) -> str:
    """The map's HTML, checked offline (only the chosen basemap's tile URLs may remain); same map, same bytes."""
    _stable_ids(m.get_root())
    html = m.get_root().render()
    check_offline(html, allowed_url_prefixes=tuple(getattr(m, "siteplan_allowed_urls", ())))
    return html


def write_map(m, path: str | Path) -> Path:
    """Render ``m``, check that it loads nothing remote, and write it atomically as UTF-8. Returns the path."""
    from ..io.writers import atomic_path

    html = render_map(m)
    target = Path(path)
    with atomic_path(target) as tmp:
        Path(tmp).write_text(html, encoding="utf-8")
    return target
