/* siteplan coverage map helpers (MIT, part of siteplan).
 * Data arrive as JSON literals; every value from input is written with textContent, never innerHTML,
 * so markup or ${...} in a name shows as text. */
(function (w) {
  "use strict";

  function text(v) {
    if (v === null || v === undefined) { return ""; }
    if (v === true) { return "\u662f yes"; }
    if (v === false) { return "\u5426 no"; }
    return String(v);
  }

  function el(tag, cls, content) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (content !== undefined) { e.textContent = content; }
    return e;
  }

  function valueText(spec, key, v) {
    var labels = spec.valueLabels && spec.valueLabels[key];
    if (labels && typeof v === "string" && Object.prototype.hasOwnProperty.call(labels, v)) {
      return labels[v];
    }
    if (typeof v === "number" && !Number.isInteger(v)) {
      return String(Math.round(v * 100) / 100);
    }
    return text(v);
  }

  function popupNode(p, spec) {
    var root = el("div", "sp-popup");
    if (spec.layerLabel) { root.appendChild(el("div", "sp-popup-layer", spec.layerLabel)); }
    if (spec.title) { root.appendChild(el("div", "sp-popup-title", text(p[spec.title]))); }
    var table = el("table");
    spec.fields.forEach(function (f) {
      var v = p[f[0]];
      if (v === null || v === undefined || v === "") { return; }
      var tr = table.insertRow();
      tr.appendChild(el("th", null, f[1]));
      tr.appendChild(el("td", null, valueText(spec, f[0], v)));
    });
    root.appendChild(table);
    return root;
  }

  function props(data, i) {
    var p = {};
    for (var k in data.p) {
      if (Object.prototype.hasOwnProperty.call(data.p, k)) { p[k] = data.p[k][i]; }
    }
    return p;
  }

  function styleFor(spec, p) {
    var s = {};
    Object.assign(s, spec.style || {});
    if (spec.styleBy && spec.styles) {
      var extra = spec.styles[String(p[spec.styleBy])];
      if (extra) { Object.assign(s, extra); }
    }
    return s;
  }

  function bind(layer, p, spec) {
    if (spec.fields) {
      layer.bindPopup(function () { return popupNode(p, spec); }, { maxWidth: 380 });
    }
    if (spec.tooltip) {
      var t = text(p[spec.tooltip]);
      if (t) { layer.bindTooltip(function () { return el("span", null, t); }, { sticky: !!spec.stickyTooltip }); }
    }
  }

  /* One overlay from columnar data: {c: [[lon, lat], ...]} for points or {g: [geometry, ...]} for any
   * geometry, plus {p: {field: [values]}}. Points become canvas circle markers (the map prefers canvas),
   * so thousands of poles stay one drawing surface rather than thousands of DOM nodes. */
  w.siteplanLayer = function (data, spec) {
    var group = L.featureGroup();
    var n = data.c ? data.c.length : data.g.length;
    for (var i = 0; i < n; i++) {
      var p = props(data, i);
      var st = styleFor(spec, p);
      var lyr;
      if (data.c) {
        var ll = [data.c[i][1], data.c[i][0]];
        if (spec.ring && typeof p[spec.ring] === "number" && p[spec.ring] > 0) {
          var ro = Object.assign({}, st, spec.ringStyle || {}, { radius: p[spec.ring] });
          var ring = L.circle(ll, ro);
          bind(ring, p, spec);
          group.addLayer(ring);
        }
        lyr = L.circleMarker(ll, st);
        lyr.spBaseRadius = st.radius || 10;
      } else {
        lyr = L.geoJSON(data.g[i], {
          style: function () { return st; },
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, st); }
        });
      }
      bind(lyr, p, spec);
      group.addLayer(lyr);
    }
    /* Markers shrink when zoomed out, so a district-wide view shows the coverage under them. */
    group.on("add", function () {
      var map = group._map;
      if (!map || group.spZoomHooked) { return; }
      group.spZoomHooked = true;
      var rescale = function () {
        if (!map.hasLayer(group)) { return; }
        var f = Math.min(1.2, Math.max(0.45, Math.pow(2, (map.getZoom() - 15) / 2)));
        group.eachLayer(function (l) { if (l.spBaseRadius && l.setRadius) { l.setRadius(l.spBaseRadius * f); } });
      };
      map.on("zoomend", rescale);
      group.on("add", rescale);
      rescale();
    });
    /* registry of the overlays, for scripted checks (browser test, benchmark) */
    (w.siteplanLayers = w.siteplanLayers || []).push({ name: spec.layerLabel, layer: group, count: n });
    return group;
  };

  function overlayOn(map, name) {
    return (w.siteplanLayers || []).some(function (e) { return e.name === name && map.hasLayer(e.layer); });
  }

  /* Show the legend blocks of the overlays on the map only. */
  w.siteplanUpdateLegend = function (map) {
    var blocks = document.querySelectorAll(".sp-legend-block[data-layer]");
    for (var i = 0; i < blocks.length; i++) {
      var name = blocks[i].getAttribute("data-layer");
      var on = name === "coverage" ? !!(w.siteplanView && w.siteplanView.raster) : overlayOn(map, name);
      blocks[i].style.display = on ? "" : "none";
    }
  };

  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }

  /* The network switch: one network's coverage (phase, outdoor/indoor) and its sites, gaps and search
   * requests at a time. cfg = {networks: [{key, label, rasters: {phase: {outdoor, indoor}}, layers: [...]}],
   * phases: [{id, label}], initial: {network, phase, layer}}. */
  w.siteplanNetworkSwitch = function (map, cfg) {
    var state = { network: cfg.initial.network, phase: cfg.initial.phase, layer: cfg.initial.layer };
    var ctl = L.control({ position: "topleft" });
    var selects = {};
    function byKey(key) {
      for (var i = 0; i < cfg.networks.length; i++) { if (cfg.networks[i].key === key) { return cfg.networks[i]; } }
      return cfg.networks[0];
    }
    function apply() {
      cfg.networks.forEach(function (n) {
        Object.keys(n.rasters).forEach(function (ph) {
          ["outdoor", "indoor"].forEach(function (ly) {
            var r = n.rasters[ph][ly];
            if (r && map.hasLayer(r)) { map.removeLayer(r); }
          });
        });
        n.layers.forEach(function (l) { if (map.hasLayer(l)) { map.removeLayer(l); } });
      });
      var net = byKey(state.network);
      var raster = net.rasters[state.phase] && net.rasters[state.phase][state.layer];
      if (raster) { raster.addTo(map); }
      net.layers.forEach(function (l) { l.addTo(map); });
      w.siteplanView = { network: net.key, phase: state.phase, layer: state.layer, raster: !!raster };
      w.siteplanUpdateLegend(map);
    }
    ctl.onAdd = function () {
      var div = L.DomUtil.create("div", "sp-switch leaflet-bar");
      div.appendChild(el("div", "sp-switch-title", "\u7f51\u7edc Network"));
      selects.network = document.createElement("select");
      cfg.networks.forEach(function (n) { option(selects.network, n.key, n.label); });
      selects.phase = document.createElement("select");
      cfg.phases.forEach(function (p) { option(selects.phase, p.id, p.label); });
      selects.layer = document.createElement("select");
      option(selects.layer, "outdoor", "\u5ba4\u5916 outdoor");
      option(selects.layer, "indoor", "\u5ba4\u5185 indoor");
      ["network", "phase", "layer"].forEach(function (k) {
        selects[k].value = state[k];
        selects[k].setAttribute("data-switch", k);
        selects[k].addEventListener("change", function () { state[k] = selects[k].value; apply(); });
        div.appendChild(selects[k]);
      });
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(map);
    w.siteplanSetView = function (network, phase, layer) {
      if (network) { state.network = network; selects.network.value = network; }
      if (phase) { state.phase = phase; selects.phase.value = phase; }
      if (layer) { state.layer = layer; selects.layer.value = layer; }
      apply();
    };
    map.on("overlayadd overlayremove", function () { w.siteplanUpdateLegend(map); });
    apply();
  };

  /* Small screens: panels start folded so the map stays visible. */
  w.siteplanFoldPanels = function () {
    var d = document.querySelectorAll(".sp-panel > details");
    for (var i = 0; i < d.length; i++) {
      var summary = d[i].parentNode.id === "sp-summary";
      /* phones: everything folded; small laptops: the summary folded, the legend open */
      if (w.innerWidth < 760 || w.innerHeight < 560 || (summary && (w.innerWidth < 1200 || w.innerHeight < 820))) {
        d[i].open = false;
      }
    }
  };

  /* Marks the moment every layer has been added; the benchmark and browser test read it. */
  w.siteplanMarkReady = function (map) {
    w.siteplanReady = { ms: (w.performance ? w.performance.now() : 0), layers: 0 };
    map.eachLayer(function () { w.siteplanReady.layers += 1; });
  };
})(window);
