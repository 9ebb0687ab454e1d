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
from .escape import html_text, js_json
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


def _phase_styles(selected, targets) -> dict:
    """Marker colour per phase: fixed (registry) sites first, then the targets in order."""
    order = ["fixed"] + [str(getattr(t, "id", t)) for t in targets]
    if selected is not None and "phase" in selected.columns:
        order += [p for p in selected["phase"].astype(str).unique().tolist() if p not in order]
    return {p: {"fillColor": _PHASE_COLOURS[i % len(_PHASE_COLOURS)], "color": "#ffffff"}
            for i, p in enumerate(order)}


def _network_labels(district, *, short: bool = False) -> dict[str, str]:
    from ..networks import network_label, networks_of

    return {k: network_label(k, n, short=short) for k, n in networks_of(district.config).items()}


def _legend_entries(phase_styles: Mapping[str, Mapping[str, str]]) -> list[tuple[str, str]]:
    """One legend block per overlay, keyed by its layer-control name."""
    from .layers import LAYER_LABELS, legend_rows

    L_ = LAYER_LABELS
    return [
        (L_["boundary"], legend_rows([("line", "#000", "区界 district boundary")])),
        (L_["subdistricts"], legend_rows([("line", "#555", "街道界（近似）sub-district (approximate)")], dashed=True)),
        (L_["gaps"], legend_rows([("hollow", "#e66101", "末期未覆盖区 uncovered after the last phase")])),
        (L_["search_requests"], legend_rows([("ring", "#2166ac", "站址需求搜索圈 search ring (no candidate covers)")])),
        (L_["selected"], legend_rows([("dot", v["fillColor"], f"入选 {k}") for k, v in phase_styles.items()])),
        (L_["plan_zones"], legend_rows([("box", "#404040", "禁建区 prohibited"), ("box", "#fdb863", "限建区 restricted")])),
        (L_["plan_sites"], legend_rows([("dot", "#807dba", "规划站址 planned site"), ("ring", "#807dba", "搜索圈 ring")])),
        (L_["hotspots"], legend_rows([("dot", c, f"{SCENARIOS[k]} {k}") for k, c in _SCENARIO_COLOURS.items()])),
        (L_["public_facilities"], legend_rows([("dot", "#26a69a", "公共设施 public facility")])),
        (L_["street_lamps"], legend_rows([("dot", "#b8860b", "路灯杆 street lamp")])),
        (L_["monitoring_poles"], legend_rows([("dot", "#6a3d9a", "监控杆 monitoring pole")])),
        (L_["other_poles"], legend_rows([("dot", "#666666", "其他杆 other pole")])),
        (L_["existing_sites"], legend_rows([("dot", "#4292c6", "现网4G站址 existing 4G site")])),
        (L_["candidates"], legend_rows([("dot", STATUS_COLOURS[k], STATUS_LABELS[k])
                                        for k in ("compliant", "conditional", "non_compliant")])),
    ]


def build_map(
    district,
    *,
    candidates: gpd.GeoDataFrame | None = None,
    plan: Any = None,
    gaps: gpd.GeoDataFrame | None = None,
    selected: gpd.GeoDataFrame | None = None,
    search_requests: gpd.GeoDataFrame | None = None,
    summary: Mapping | None = None,
    basemap: str = "none",
    tianditu_key: str | None = None,
    coverage: Any = None,
):
    """Draw a district's layers and a run's results on an offline folium map.

    Parameters
    ----------
    district : siteplan.io.District
        Config, working CRS, layers (working CRS), boundary and the sample flag.
    candidates : GeoDataFrame, optional
        The compliance check's result (``status``, ``reasons_*``, reuse columns); default: the raw candidates,
        drawn as unchecked.
    plan : siteplan.evaluate.PlanEvaluation, optional
        ``.grid`` and ``.results[network][phase]`` (CoverageResult on the joint KPI): the network switch shows
        one network, phase and layer (outdoor/indoor) at a time.
    gaps, selected, search_requests : GeoDataFrame, optional
        Per-network gaps, selected sites and candidate search requests (working CRS, ``network`` column);
        shown with their network.
    summary : dict, optional
        summary.json's content; the panel shows its figures verbatim.
    basemap : {"none", "osm", "tianditu", "amap"}
        Tile basemap; ``"amap"`` shifts every overlay into GCJ-02.
    tianditu_key : str, optional
        Tianditu key (else ``$SITEPLAN_TIANDITU_KEY``); it ends up readable in the HTML.
    coverage : siteplan.coverage.step.NetworkCoverage, optional
        Used when there is no plan: its last scenario per network is shown.

    Returns
    -------
    folium.Map
        With every script and stylesheet inlined; write it with :func:`write_map`.
    """
    import folium
    from folium.map import CustomPane

    from .layers import coverage_overlay

    bname = _basemap_name(basemap)
    frame = BASEMAPS[bname][0]
    crs = district.crs
    cfg = district.config
    layers = district.layers
    threshold = float(cfg.radio.rsrp_threshold_dbm)
    sinr_thr = float(cfg.radio.sinr_threshold_db)
    net_labels = _network_labels(district)

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

    # Coverage rasters per network / phase / layer: none in the layer control, the network switch shows one.
    results = getattr(plan, "results", None) or {}
    if not results and coverage is not None:
        results = {k: {s: r for s, r in v.items()} for k, v in getattr(coverage, "results", {}).items()}
    rasters: dict[str, dict[str, dict[str, Any]]] = {}
    for key, per_phase in results.items():
        rasters[key] = {}
        for pid, res in per_phase.items():
            if res is None or not np.isfinite(res.rsrp_dbm).any() or not np.isfinite(res.rsrp_dbm[res.grid.inside]).any():
                continue
            rasters[key][pid] = {}
            for layer, attr, sinr_attr in (("outdoor", "rsrp_dbm", "sinr_db"),
                                           ("indoor", "indoor_rsrp_dbm", "indoor_sinr_db")):
                arr = getattr(res, attr)
                sinr = getattr(res, sinr_attr, None)
                rasters[key][pid][layer] = add(coverage_overlay(
                    arr, res.sinr_db if sinr is None else sinr, res.grid.transform, str(res.grid.crs or crs), threshold_dbm=threshold,
                    sinr_threshold_db=sinr_thr, name=f"{net_labels.get(key, key)} {pid} {layer}", frame=frame,
                    pane=_RASTER_PANE))

    add(vector_layer(
        layers.get("plan_zones"), "plan_zones", src_crs=crs, frame=frame, show=False,
        fields=[("zone_id", "编号 ID"), ("name", "名称 Name"), ("category", "类别 Category"), ("reason", "原因 Reason")],
        style={"weight": 1, "fillOpacity": 0.3, "color": "#404040", "fillColor": "#404040"},
        style_by="category",
        styles={"prohibited": {"color": "#000", "fillColor": "#404040"},
                "restricted": {"color": "#b35806", "fillColor": "#fdb863", "dashArray": "4 3"}},
        value_labels={"category": _ZONE_LABELS},
    ))
    add(vector_layer(
        layers.get("subdistricts"), "subdistricts", src_crs=crs, frame=frame,
        fields=[("code", "代码 Code"), ("name", "街道 Sub-district"), ("approximate", "近似边界 Approximate")],
        style={"color": "#555", "weight": 1.2, "dashArray": "5 4", "fill": True, "fillOpacity": 0.0},
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
        layers.get("existing_sites"), "existing_sites", src_crs=crs, frame=frame, tooltip="name", show=False,
        fields=[("site_id", "站址编号 Site ID"), ("name", "名称 Name"), ("operator", "运营商 Operator"),
                ("technology", "制式 Technology"), ("lte_band", "LTE频段 LTE band"), ("band", "5G频段 NR band"),
                ("owner", "产权 Owner"), ("tower_site_id", "铁塔站址编码 Tower site"), ("site_type", "站型 Type"),
                ("height_m", "挂高 Height [m]"), ("power_supply", "供电 Power"), ("data_note", "数据说明 Data note")],
        style={"radius": 4.5, "weight": 1.5, "color": "#08306b", "fillColor": "#4292c6", "fillOpacity": 0.9},
        value_labels={"site_type": _SITE_TYPE_LABELS, "power_supply": _POWER_LABELS},
    ))
    cands = _candidates_frame(district, candidates)
    add(vector_layer(
        cands, "candidates", src_crs=crs, frame=frame, tooltip="name", show=False,
        fields=[("site_id", "站址编号 Site ID"), ("name", "名称 Name"), ("network", "网络 Network"),
                ("status", "状态 Status"), ("reasons_zh", "原因 Reasons"), ("reasons_en", "Reasons"),
                ("subdistrict", "街道 Sub-district"), ("site_type", "站型 Type"), ("mount", "安装 Mount"),
                ("height_m", "挂高 Height [m]"), ("operator", "运营商 Operator"), ("band", "频段 Band"),
                ("build_kind", "建设类型 Build kind"), ("upgrade_of", "升级站址 Upgrade of"),
                ("reuse_kind", "复用 Reuse"), ("reuse_id", "复用设施 Reuse ID"),
                ("reuse_distance_m", "复用距离 Reuse distance [m]"), ("host_id", "物理站址 Physical site"),
                ("host_operators", "站址运营商数 Operators on site"), ("free_access", "免费开放 Free access"),
                ("tco_cny", "十年成本 10-yr TCO [CNY]"), ("power_supply", "供电 Power"),
                ("needs_direct_supply", "需直供电改造 Needs direct supply"),
                ("emf_distance_m", "电磁合规距离 EMF distance [m]"), ("responsible_unit", "责任单位 Responsible unit"),
                ("data_note", "数据说明 Data note")],
        style={"radius": 4, "weight": 1, "fillOpacity": 0.85},
        style_by="status", styles=_status_styles(),
        value_labels={"status": STATUS_LABELS, "reuse_kind": _REUSE_LABELS, "build_kind": _BUILD_LABELS,
                      "site_type": _SITE_TYPE_LABELS, "power_supply": _POWER_LABELS, "network": net_labels},
    ))

    # Per-network results: drawn with the network switch, not the layer control.
    per_net_layers: dict[str, list] = {k: [] for k in (rasters or net_labels)}
    phase_styles = _phase_styles(selected, cfg.targets)
    for key in list(per_net_layers):
        def mine(gdf, key=key):
            if gdf is None or len(gdf) == 0 or "network" not in gdf.columns:
                return None
            return gdf[gdf["network"].astype(str) == key]

        lyr = vector_layer(
            mine(gaps), "gaps", src_crs=crs, frame=frame, title="gap_id", show=False, control=False,
            fields=[("gap_id", "编号 Gap ID"), ("network", "网络 Network"), ("phase", "阶段 Phase"),
                    ("rank", "排序 Rank"), ("area_m2", "面积 Area [m²]"), ("subdistrict", "街道 Sub-district"),
                    ("hotspots", "热点 Hotspots inside"), ("nearest_candidates", "最近候选 Nearest candidates"),
                    ("nearest_distance_m", "最近距离 Nearest distance [m]"), ("score", "评分 Score")],
            style={"color": "#e66101", "weight": 1.5, "fill": False},
            value_labels={"network": net_labels},
        )
        req = mine(search_requests)
        lyr2 = vector_layer(
            req, "search_requests", src_crs=crs, frame=frame, title="request_id", show=False, control=False,
            fields=[("request_id", "需求编号 Request ID"), ("network", "网络 Network"), ("phase", "阶段 Phase"),
                    ("kind", "类型 Kind"), ("site_type", "建议站型 Site type"), ("priority", "优先级 Priority"),
                    ("radius_m", "搜索半径 Radius [m]"), ("subdistrict", "街道 Sub-district"),
                    ("hotspot_id", "热点 Hotspot"), ("reason", "原因 Reason")],
            style={"color": "#2166ac", "weight": 2, "dashArray": "6 4", "fillColor": "#92c5de", "fillOpacity": 0.15},
            value_labels={"network": net_labels},
        )
        sel = mine(selected)
        if sel is not None and len(sel):
            sel = sel.copy()
            sel["phase"] = sel["phase"].astype(str)
        lyr3 = vector_layer(
            sel, "selected", src_crs=crs, frame=frame, tooltip="name", show=False, control=False,
            fields=[("site_id", "站址编号 Site ID"), ("name", "名称 Name"), ("network", "网络 Network"),
                    ("phase", "阶段 Phase"), ("rank", "建设顺序 Rank"), ("in_service_planned", "计划开通 In service"),
                    ("build_kind", "建设类型 Build kind"), ("upgrade_of", "升级站址 Upgrade of"),
                    ("host_id", "物理站址 Physical site"), ("shared", "共享 Shared"),
                    ("tco_cny", "十年成本 10-yr TCO [CNY]"), ("marginal_gain_m2", "新增覆盖 Gain [m²]"),
                    ("subdistrict", "街道 Sub-district"), ("responsible_unit", "责任单位 Responsible unit"),
                    ("site_type", "站型 Type"), ("band", "频段 Band")],
            style={"radius": 5, "weight": 2, "color": "#fff", "fillOpacity": 0.95},
            style_by="phase", styles=phase_styles,
            value_labels={"reuse_kind": _REUSE_LABELS, "build_kind": _BUILD_LABELS, "site_type": _SITE_TYPE_LABELS,
                          "network": net_labels},
        )
        for lyr_ in (lyr, lyr2, lyr3):
            if lyr_ is not None:
                add(lyr_)
                per_net_layers[key].append(lyr_)
    add(vector_layer(
        layers.get("boundary"), "boundary", src_crs=crs, frame=frame, fields=(), title=None,
        style={"color": "#000", "weight": 3, "fill": False, "interactive": False},
    ))

    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    title = title_html(cfg.district.name_zh, cfg.district.name, sample=bool(district.sample))
    root.html.add_child(RawHtml(title), name="sp_title")
    panel = summary_panel_html(summary, targets=cfg.targets, sample=district.sample,
                               network_labels=_network_labels(district, short=True))
    panel = panel[: -len("</details></div>")] + _about_html(district) + "</details></div>"
    root.html.add_child(RawHtml(panel), name="sp_summary")
    root.html.add_child(RawHtml(legend_html(threshold, sinr_thr, _legend_entries(phase_styles),
                                                 uplink_mbps=cfg.radio.uplink.edge_rate_mbps)), name="sp_legend")
    # Provenance: <meta> elements for tools; for people an About section inside the summary panel.
    root.header.add_child(RawHtml(provenance_html_meta(district)), name="sp_provenance")
    _script_element("L.control.scale({imperial: false, metric: true}).addTo({{ this._parent.get_name() }});").add_to(m)
    if per_net_layers:
        if getattr(plan, "results", None):
            options = [(t.id, f"{t.id} {t.label_zh or t.label}") for t in cfg.targets]
        else:  # a coverage run without a plan: its scenarios instead of phases
            names = list(dict.fromkeys(p for v in rasters.values() for p in v))
            options = [(n, _SCENARIO_LABELS.get(n, n)) for n in names]
        _network_switch(m, rasters, per_net_layers, net_labels, options)
    _script_element("siteplanUpdateLegend({{ this._parent.get_name() }}); siteplanFoldPanels();").add_to(m)
    _ReadyMarker().add_to(m)  # last child: its script runs after every layer was added
    return m


#: Coverage scenarios shown by the switch when a map has no plan.
_SCENARIO_LABELS = {"upgrade": "现网升级 existing sites upgraded", "pool": "全部候选 all candidates",
                    "upgrade+candidates": "现网+候选 existing + candidates", "file": "指定站址 given sites"}


def _network_switch(m, rasters: dict, per_net_layers: dict, labels: dict, options) -> None:
    """The network / phase / layer switch: a script naming each layer's variable at render time (element ids are
    renumbered when the map is rendered, so names are resolved by the template, not here)."""
    from branca.element import MacroElement
    from folium.template import Template

    phases = [pid for pid, _ in options]
    initial_net = next((k for k in per_net_layers if rasters.get(k)), next(iter(per_net_layers)))

    class _Switch(MacroElement):
        _template = Template("""
            {% macro script(this, kwargs) %}
            siteplanNetworkSwitch({{ this._parent.get_name() }}, {networks: [
            {%- for n in this.nets %}
              {key: {{ n.key_js }}, label: {{ n.label_js }}, rasters: {
              {%- for pid, r in n.rasters %}{{ pid }}: {outdoor: {{ r.outdoor.get_name() }}, indoor: {{ r.indoor.get_name() }}},
              {%- endfor %}}, layers: [{% for l in n.layers %}{{ l.get_name() }},{% endfor %}]},
            {%- endfor %}
            ], phases: {{ this.phases_js }}, initial: {{ this.initial_js }}});
            {% endmacro %}
        """)

    sw = _Switch()
    sw.nets = [
        type("N", (), {"key_js": js_json(k), "label_js": js_json(labels.get(k, k)),
                       "rasters": [(js_json(pid), type("R", (), rasters[k][pid])) for pid in phases
                                   if pid in rasters.get(k, {})],
                       "layers": lyrs})
        for k, lyrs in per_net_layers.items()
    ]
    sw.phases_js = js_json([{"id": pid, "label": label} for pid, label in options])
    sw.initial_js = js_json({"network": initial_net, "phase": phases[-1] if phases else "", "layer": "outdoor"})
    sw.add_to(m)


def _about_html(district) -> str:
    """The map's About section (inside the summary panel, collapsed): what made the map."""
    prov = provenance(district, full=False)
    rows = [("siteplan", prov["siteplan_version"]), ("区县 District", prov["district"]),
            ("样例数据 Sample data", "是 yes" if prov["sample_data"] else "否 no"),
            ("配置 Config sha256", prov["config_sha256"])]
    rows += [(f"输入 {name}", digest) for name, digest in prov["input_hashes"].items()]
    body = "".join(f"<tr><td>{html_text(k)}</td><td style=\"font-family:monospace;word-break:break-all\">"
                   f"{html_text(v)}</td></tr>" for k, v in rows)
    return ('<details class="sp-about" id="sp-about" style="font-size:10px">'
            f"<summary>关于 About (provenance)</summary><table>{body}</table></details>")


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
