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
      } else {
        lyr = L.geoJSON(data.g[i], {
          style: function () { return st; },
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, st); }
        });
      }
      bind(lyr, p, spec);
      group.addLayer(lyr);
    }
    /* registry of the overlays, for scripted checks (browser test, benchmark) */
    (w.siteplanLayers = w.siteplanLayers || []).push({ name: spec.layerLabel, layer: group, count: n });
    return group;
  };

  /* Marks the moment every layer has been added; the benchmark and browser test read it. */
  w.siteplanMarkReady = function (map) {
    w.siteplanReady = { ms: (w.performance ? w.performance.now() : 0), layers: 0 };
    map.eachLayer(function () { w.siteplanReady.layers += 1; });
  };
})(window);
