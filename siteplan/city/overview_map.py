"""The city overview map (``city_map.html``): one page for the whole city, small enough to open anywhere.

It draws finished results only: the districts (simplified outlines) coloured by a switch — each network's covered
share of the district (last phase, cross-border sites counted) or the district's progress against its targets —
the city's coarse coverage aggregate per network as an image, and for each district a popup with its figures and
a link to its own ``districts/<code>/coverage_map.html``, which holds the detail (sites, gaps, requests). Like the
district map it is offline (Leaflet and siteplan's script inlined, :mod:`siteplan.maps.offline`) and every value
from input is written by the page's script with ``textContent``; links are built by the script from folder names
checked here.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import geopandas as gpd
import numpy as np

from ..maps.escape import html_text, js_json

__all__ = ["COVERAGE_CLASSES", "PROGRESS_CLASSES", "build_city_map", "write_city_map"]

#: Covered-share classes of the map: (lower bound, colour, label).
COVERAGE_CLASSES = (
    (0.95, "#1a9641", "≥ 95%"),
    (0.90, "#a6d96a", "90–95%"),
    (0.80, "#ffffbf", "80–90%"),
    (0.50, "#fdae61", "50–80%"),
    (0.0, "#d7191c", "< 50%"),
)
#: Progress classes of a district against its last target: key -> (colour, label).
PROGRESS_CLASSES = {
    "met": ("#1a9641", "目标达成 every network meets its goal"),
    "sites": ("#fdae61", "站数达标、覆盖目标未达 site count reached, a coverage goal missed"),
    "short": ("#d7191c", "站数未达目标 fewer sites planned than the target"),
}
#: Simplification tolerance of the district outlines [m]: invisible at city scale, a few KB per district.
OUTLINE_TOLERANCE_M = 25.0
_SAFE_FOLDER = re.compile(r"^[A-Za-z0-9_-]+$")

_JS = r"""
(function (w) {
  "use strict";
  function el(tag, cls, content) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (content !== undefined && content !== null) { e.textContent = String(content); }
    return e;
  }
  function pct(v) { return (v === null || v === undefined) ? "–" : (Math.floor(v * 10000) / 100).toFixed(2) + "%"; }
  function popup(d, data) {
    var root = el("div", "sp-popup");
    root.appendChild(el("div", "sp-popup-title", d.name));
    var t = el("table");
    function row(k, v) { var tr = t.insertRow(); tr.appendChild(el("th", null, k)); tr.appendChild(el("td", null, v)); }
    row("代码 Code", d.code);
    row("面积 Area [km²]", d.area_km2);
    row("进度 Progress", data.progressLabels[d.progress]);
    data.networks.forEach(function (n) {
      var x = d.networks[n.key];
      if (!x) { return; }
      row(n.label + " 站址 sites / 目标 target", x.sites + " / " + x.target_sites);
      row(n.label + " 覆盖 outdoor (本区 alone → 含邻区 with neighbours)", pct(x.alone) + " → " + pct(x.city));
    });
    root.appendChild(t);
    if (d.link) {
      var a = el("a", null, "打开本区地图 Open the district map");
      a.setAttribute("href", d.link);
      a.setAttribute("target", "_blank");
      root.appendChild(a);
    }
    return root;
  }
  w.siteplanCityMap = function (map, data) {
    var state = { mode: data.modes[0].key };
    var group = L.featureGroup();
    data.districts.forEach(function (d) {
      var lyr = L.geoJSON(d.g, { style: function () { return { color: "#333", weight: 1.2, fillOpacity: 0.55,
        fillColor: d.colours[state.mode] }; } });
      lyr.spDistrict = d;
      lyr.bindPopup(function () { return popup(d, data); }, { maxWidth: 420 });
      lyr.bindTooltip(function () { return el("span", null, d.name); }, { sticky: true });
      group.addLayer(lyr);
    });
    group.addTo(map);
    (w.siteplanLayers = w.siteplanLayers || []).push({ name: data.districtLayer, layer: group, count: data.districts.length });
    var images = {}, control = L.control.layers(null, null, { collapsed: true, position: "topright" });
    control.addOverlay(group, data.districtLayer);
    data.networks.forEach(function (n) {
      if (!n.image) { return; }
      images[n.key] = L.imageOverlay(n.image.url, n.image.bounds, { opacity: 0.8, interactive: false });
      (w.siteplanLayers = w.siteplanLayers || []).push({ name: n.imageLabel, layer: images[n.key], count: 1 });
      control.addOverlay(images[n.key], n.imageLabel);
    });
    control.addTo(map);
    function restyle() {
      /* the aggregated coverage shows through when it is on the map; the districts keep their colour as a rim */
      var under = Object.keys(images).some(function (k) { return map.hasLayer(images[k]); });
      group.eachLayer(function (l) {
        l.setStyle({ fillColor: l.spDistrict.colours[state.mode], fillOpacity: under ? 0.12 : 0.55 });
      });
    }
    function apply() {
      var net = state.mode.indexOf("cov:") === 0 ? state.mode.slice(4) : null;
      Object.keys(images).forEach(function (k) {
        if (k === net) { images[k].addTo(map); } else if (map.hasLayer(images[k])) { map.removeLayer(images[k]); }
      });
      restyle();
      group.bringToFront();
      var legends = document.querySelectorAll(".sp-city-legend");
      for (var i = 0; i < legends.length; i++) {
        legends[i].style.display = legends[i].dataset.kind === (net ? "coverage" : "progress") ? "" : "none";
      }
    }
    var sw = L.control({ position: "topleft" });
    sw.onAdd = function () {
      var box = el("div", "sp-panel sp-switch"), sel = el("select");
      box.style.position = "static";
      box.appendChild(el("span", null, "着色 Colour by "));
      data.modes.forEach(function (m) { var o = el("option", null, m.label); o.value = m.key; sel.appendChild(o); });
      sel.addEventListener("change", function () { state.mode = sel.value; apply(); });
      box.appendChild(sel);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    sw.addTo(map);
    var list = document.getElementById("sp-city-districts");
    data.districts.forEach(function (d) {
      var tr = list.insertRow();
      var td = el("td");
      if (d.link) { var a = el("a", null, d.name); a.setAttribute("href", d.link); a.setAttribute("target", "_blank");
        td.appendChild(a); } else { td.textContent = d.name; }
      tr.appendChild(td);
      tr.appendChild(el("td", null, data.progressLabels[d.progress]));
    });
    map.on("overlayadd overlayremove", restyle);
    w.siteplanSetCityMode = function (mode) { state.mode = mode; apply(); };
    apply();
    map.fitBounds(group.getBounds());
  };
})(window);
"""


def _coverage_colour(share) -> str:
    if share is None or not np.isfinite(share):
        return "#bdbdbd"
    return next(c for lo, c, _ in COVERAGE_CLASSES if share >= lo)


def _image(aggregate, crs: str) -> dict | None:
    """The coarse outdoor covered share as a classed PNG on a Web-Mercator grid (data URI + bounds)."""
    from ..maps.layers import encode_png_indexed, warp_to_web_mercator

    share = aggregate.share("outdoor")
    if not np.isfinite(share).any():
        return None
    img, bounds = warp_to_web_mercator(share, aggregate.transform, crs, "WGS84")
    lows = np.array([lo for lo, _, _ in COVERAGE_CLASSES][::-1])  # ascending
    idx = np.where(np.isnan(img), 0, np.searchsorted(lows, np.nan_to_num(img, nan=0.0), side="right"))
    palette = [(0, 0, 0, 0)] + [(int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16), 200)
                                for _, c, _ in COVERAGE_CLASSES[::-1]]
    png = encode_png_indexed(idx.astype(np.uint8), palette)
    return {"url": "data:image/png;base64," + base64.b64encode(png).decode("ascii"), "bounds": bounds}


def build_city_map(summary: dict, outlines: gpd.GeoDataFrame, *, aggregates: dict | None = None, crs: str,
                   links: dict[str, str] | None = None):
    """The city overview map as a folium map (every asset inlined); write it with :func:`write_city_map`.

    Parameters
    ----------
    summary : dict
        ``city_summary.json``'s content (:func:`siteplan.city.summary.city_summary`).
    outlines : GeoDataFrame
        One row per district (``code`` column), working CRS.
    aggregates : dict, optional
        Network -> :class:`siteplan.city.raster.CoarseShare`: the aggregated coverage images.
    crs : str
        The working CRS.
    links : dict, optional
        District code -> its folder under the city output folder (``"districts/<code>"``); each district's popup
        links to ``<folder>/coverage_map.html``. Folder names other than ``[A-Za-z0-9_-]`` are not linked.
    """
    import folium

    from ..maps.coverage_map import _ReadyMarker, _script_element
    from ..maps.layers import RawHtml, display_geometries, title_html
    from ..maps.offline import inline_assets

    city = summary["city"]
    nets = summary.get("networks", {})
    geoms = display_geometries(outlines.geometry.simplify(OUTLINE_TOLERANCE_M).values, crs, "WGS84", decimals=5)
    minx, miny, maxx, maxy = (float(v) for v in gpd.GeoSeries(geoms).total_bounds)
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=9, prefer_canvas=True,
                   control_scale=False)
    m.options["max_zoom"], m.options["min_zoom"] = 16, 6
    m.siteplan_allowed_urls = ()
    inline_assets(m)
    root = m.get_root()
    root.title = html_text(f"{city.get('name_zh', '')} {city.get('name', '')} 5G 站址规划 city overview")
    by_code = {d["code"]: d for d in summary.get("districts", [])}
    districts = []
    for code, g in zip(outlines["code"].astype(str), geoms):
        d = by_code.get(code, {})
        folder = (links or {}).get(code, "")
        link = f"{folder}/coverage_map.html" if folder and all(_SAFE_FOLDER.match(p) for p in folder.split("/")) \
            else None
        per = {k: {"sites": v.get("sites"), "target_sites": v.get("target_sites"),
                   "alone": v.get("outdoor_share_alone"), "city": v.get("outdoor_share_city")}
               for k, v in d.get("networks", {}).items()}
        colours = {f"cov:{k}": _coverage_colour(v["city"]) for k, v in per.items()}
        colours["progress"] = PROGRESS_CLASSES[d.get("progress", "short")][0]
        districts.append({"code": code, "name": d.get("name_zh", code), "area_km2": d.get("area_km2"),
                          "progress": d.get("progress", "short"), "networks": per, "colours": colours,
                          "link": link, "g": shapely_geojson(g)})
    net_rows = []
    for k, v in nets.items():
        img = _image(aggregates[k], crs) if aggregates and k in aggregates else None
        net_rows.append({"key": k, "label": v.get("short_zh") or v.get("name_zh") or k, "image": img,
                         "imageLabel": f"汇总覆盖 {v.get('short_zh') or k} aggregated coverage "
                                       f"({summary.get('overview_resolution_m', 0):g} m)"})
    data = {"districts": districts, "networks": net_rows, "districtLayer": "区县 Districts",
            "modes": [{"key": f"cov:{n['key']}", "label": f"{n['label']} 室外覆盖 outdoor coverage"}
                      for n in net_rows] + [{"key": "progress", "label": "目标进度 progress against targets"}],
            "progressLabels": {k: v[1] for k, v in PROGRESS_CLASSES.items()}}
    root.header.add_child(RawHtml(f"<script>{_JS}</script>"), name="sp_city_js")
    title = title_html(city.get("name_zh", ""), city.get("name", ""), sample=bool(city.get("sample_data")),
                       what="city overview")
    root.html.add_child(RawHtml(title), name="sp_title")
    root.html.add_child(RawHtml(_panel_html(summary)), name="sp_summary")
    root.html.add_child(RawHtml(_legend_html()), name="sp_legend")
    _script_element("siteplanCityMap({{ this._parent.get_name() }}, " + js_json(data) + ");").add_to(m)
    _script_element("L.control.scale({imperial: false, metric: true}).addTo({{ this._parent.get_name() }});"
                    ).add_to(m)
    _ReadyMarker().add_to(m)
    return m


def shapely_geojson(g) -> dict:
    import json

    import shapely

    return json.loads(shapely.to_geojson(g))


def _pct(v) -> str:
    from ..io.labels import format_pct

    return "–" if v is None else format_pct(v)


def _panel_html(summary: dict) -> str:
    """The summary panel: per network the city's figures; the district list is filled in by the page's script."""
    rows = []
    for k, v in summary.get("networks", {}).items():
        rows.append("<tr>" + "".join(f"<td>{html_text(x)}</td>" for x in (
            v.get("short_zh") or k, f"{v.get('sites', 0):,} / {v.get('target_sites', 0):,}",
            _pct(v.get("outdoor_share_alone")), _pct(v.get("outdoor_share_city")),
            f"{v.get('removable_border_sites', 0):,}", f"{v.get('sites_bound', 0):,}")) + "</tr>")
    head = "".join(f"<th>{html_text(h)}</th>" for h in (
        "网络 Network", "站址/目标 Sites/target", "室外覆盖 各区单独 Outdoor, districts alone",
        "含跨区 with cross-border", "可省边界站 Removable border sites", "站数上界 Sites bound"))
    city = summary.get("city", {})
    sample = ('<div style="color:#b00;font-weight:bold">样例数据 SAMPLE DATA</div>'
              if city.get("sample_data") else "")
    return ('<div class="sp-panel sp-summary" id="sp-summary"><details open><summary>'
            f"{html_text(city.get('name_zh', ''))} 汇总 City summary</summary>{sample}"
            f'<table class="sp-figures"><tr>{head}</tr>{"".join(rows)}</table>'
            '<h4>区县 Districts</h4><table id="sp-city-districts"></table></details></div>')


def _legend_html() -> str:
    cov = "".join(f'<div><span style="display:inline-block;width:14px;height:10px;background:{c}"></span> '
                  f"{html_text(lab)}</div>" for _, c, lab in COVERAGE_CLASSES)
    prog = "".join(f'<div><span style="display:inline-block;width:14px;height:10px;background:{c}"></span> '
                   f"{html_text(lab)}</div>" for c, lab in PROGRESS_CLASSES.values())
    return ('<div class="sp-panel sp-legend" id="sp-legend"><details open><summary>图例 Legend</summary>'
            f'<div class="sp-city-legend" data-kind="coverage"><h5>室外覆盖 Outdoor covered share '
            f"(RSRP+SINR+上行 uplink)</h5>{cov}</div>"
            f'<div class="sp-city-legend" data-kind="progress"><h5>目标进度 Progress</h5>{prog}</div>'
            "</details></div>")


def write_city_map(m, path: str | Path) -> Path:
    """Render the city map, check that it loads nothing remote, write it atomically (:func:`siteplan.maps.write_map`)."""
    from ..maps import write_map

    return write_map(m, path)
