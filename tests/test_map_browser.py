"""The coverage map in a real browser: Debian's headless Chromium driven over the Chrome DevTools Protocol.

Checks, from a file:// URL with no network: no console error or exception, no request leaves the file (only
file:// and data: URLs), the layer control lists the expected layers, the page is ready, a screenshot is not
blank (kept under test-artifacts/), and the XSS payload in a candidate's name never runs, even with every popup
and tooltip opened.

Skipped when /usr/bin/chromium (or $SITEPLAN_CHROMIUM) is missing, unless SITEPLAN_REQUIRE_BROWSER=1.
Needs the ``websocket-client`` package (test dependency). Install the browser with ``.ci/install-browser.sh``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--mute-audio",
    "--window-size=1280,900",
)


# ------------------------------------------------------------------------------------------- CDP helpers

def chromium_path() -> str | None:
    """The Chromium binary to drive: $SITEPLAN_CHROMIUM, else Debian's /usr/bin/chromium, else on PATH."""
    env = os.environ.get("SITEPLAN_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """The binary, or skip (fail instead when SITEPLAN_REQUIRE_BROWSER=1)."""
    path = chromium_path()
    if path is None:
        msg = "Chromium not installed (run .ci/install-browser.sh)"
        if os.environ.get("SITEPLAN_REQUIRE_BROWSER") == "1":
            pytest.fail(msg + " and SITEPLAN_REQUIRE_BROWSER=1")
        pytest.skip(msg)
    try:
        import websocket  # noqa: F401
    except ImportError:
        if os.environ.get("SITEPLAN_REQUIRE_BROWSER") == "1":
            pytest.fail("websocket-client not installed: pip install websocket-client")
        pytest.skip("websocket-client not installed: pip install websocket-client")
    return path


def websocket_errors() -> type[Exception]:
    import websocket

    return websocket.WebSocketException


class Browser:
    """A headless Chromium with one page, spoken to over CDP (websocket-client). Use as a context manager."""

    def __init__(self, binary: str, *, timeout_s: float = 30.0):
        self.binary = binary
        self.timeout_s = timeout_s
        self.events: list[dict] = []
        self._id = 0

    def __enter__(self):
        import websocket

        self._profile = tempfile.mkdtemp(prefix="siteplan-chromium-")
        args = [self.binary, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-port=0",
                "about:blank"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout_s
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace")[-2000:] if self.proc.poll() is not None else ""
                self.close()
                raise RuntimeError(f"Chromium did not open its DevTools port: {err}")
            time.sleep(0.05)
        port = int(port_file.read_text().splitlines()[0])
        pages = []
        while not pages:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if not pages:
                time.sleep(0.05)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=self.timeout_s,
                                              suppress_origin=True)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        ws = getattr(self, "ws", None)
        if ws is not None:
            with contextlib.suppress(OSError, websocket_errors()):  # the browser may have gone already
                ws.close()
        if getattr(self, "proc", None) is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(getattr(self, "_profile", ""), ignore_errors=True)

    def _recv(self) -> dict:
        msg = json.loads(self.ws.recv())
        if "method" in msg:
            self.events.append(msg)
        return msg

    def send(self, method: str, **params) -> dict:
        self._id += 1
        mid = self._id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = self._recv()
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"CDP {method}: {msg['error']}")
                return msg.get("result", {})

    def wait_event(self, method: str, timeout_s: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        seen = len(self.events)
        for ev in self.events[:seen]:
            if ev["method"] == method and not ev.get("_used"):
                ev["_used"] = True
                return ev
        while time.monotonic() < deadline:
            msg = self._recv()
            if msg.get("method") == method:
                msg["_used"] = True
                return msg
        raise TimeoutError(method)

    def evaluate(self, expr: str, *, await_promise: bool = False):
        res = self.send("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=await_promise)
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def load(self, path: Path, *, ready_timeout_s: float = 30.0) -> dict:
        """Open a file:// URL; return {'load_s': wall time to the load event, 'ready': window.siteplanReady}."""
        url = path.resolve().as_uri()
        t0 = time.perf_counter()
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        load_s = time.perf_counter() - t0
        deadline = time.monotonic() + ready_timeout_s
        ready = None
        while ready is None and time.monotonic() < deadline:
            ready = self.evaluate("window.siteplanReady || null")
            if ready is None:
                time.sleep(0.05)
        return {"load_s": load_s, "ready": ready, "url": url}

    def pump(self, seconds: float) -> None:
        """Collect events for a while (e.g. an onerror that would fire late)."""
        end = time.monotonic() + seconds
        self.ws.settimeout(0.05)
        try:
            while time.monotonic() < end:
                with contextlib.suppress(websocket_errors()):  # timeout: nothing arrived in this slice
                    self._recv()
        finally:
            self.ws.settimeout(self.timeout_s)

    def screenshot(self, path: Path) -> bytes:
        png = base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        return png

    # -- what the page did
    def console_errors(self) -> list[str]:
        out = []
        for ev in self.events:
            m, p = ev["method"], ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(json.dumps(p.get("exceptionDetails", {}))[:500])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(json.dumps(p.get("args", []))[:500])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(json.dumps(p["entry"])[:500])
        return out

    def request_urls(self) -> list[str]:
        return [ev["params"]["request"]["url"] for ev in self.events if ev["method"] == "Network.requestWillBeSent"]

    def failed_requests(self) -> list[str]:
        return [json.dumps(ev["params"])[:300] for ev in self.events if ev["method"] == "Network.loadingFailed"]


#: JS: the overlay names in the layer control.
LAYER_NAMES_JS = (
    "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
    ".map(function (l) { return l.textContent.trim(); })"
)
#: JS: open the popup and tooltip of the first 60 features of every overlay (a popup built with innerHTML would
#: run the payload now); returns their text.
OPEN_ALL_POPUPS_JS = """
(function () {
  var texts = [], opened = 0;
  function visit(l, budget) {
    var n = 0;
    function one(x) {
      if (n >= budget) { return; }
      if (x.eachLayer && !x.getPopup()) { x.eachLayer(one); return; }
      n += 1;
      if (x.getPopup && x.getPopup()) {
        x.getPopup().options.autoPan = false;
        x.openPopup(); opened += 1;
        var el = x.getPopup().getElement(); if (el) { texts.push(el.textContent); }
        x.closePopup();
      }
      if (x.getTooltip && x.getTooltip()) {
        x.openTooltip(); var te = x.getTooltip().getElement(); if (te) { texts.push(te.textContent); } x.closeTooltip();
      }
    }
    l.eachLayer ? l.eachLayer(one) : one(l);
  }
  window.siteplanLayers.forEach(function (e) {
    /* the first features of each overlay (the tests put the payload first): opening a popup costs more as
       the page grows, so every one of thousands would take minutes */
    visit(e.layer, 60);
  });
  return {opened: opened, texts: texts};
})()
"""


def image_is_not_blank(png: bytes) -> float:
    """Standard deviation of the screenshot's grey levels (0 for a blank page)."""
    from PIL import Image

    grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    return float(grey.std())


def check_page(browser: Browser, path: Path, expected_layers, shot_name: str) -> dict:
    """Load ``path`` and run every check; return figures (load time, ready time) for the caller to report."""
    info = browser.load(path)
    assert info["ready"] is not None, "the map never signalled ready (a script failed before the end)"
    names = browser.evaluate(LAYER_NAMES_JS)
    for expected in expected_layers:
        assert expected in names, (expected, names)
    png = browser.screenshot(ARTIFACTS / shot_name)
    assert image_is_not_blank(png) > 8.0
    popups = browser.evaluate(OPEN_ALL_POPUPS_JS)
    assert popups["opened"] > 0
    browser.pump(0.5)
    assert browser.evaluate("typeof window.__xss") == "undefined"
    assert browser.evaluate("typeof window.__xss2") == "undefined"
    assert browser.evaluate("typeof window.__tpl") == "undefined"
    assert browser.console_errors() == []
    urls = browser.request_urls()
    assert urls, "no request recorded at all: the Network domain did not report"
    leaving = [u for u in urls if not u.startswith(("file://", "data:"))]
    assert leaving == []
    assert [u for u in urls if u.startswith("file://") and u != info["url"]] == []  # only the page itself
    assert browser.failed_requests() == []
    return {"load_s": info["load_s"], "ready_ms": info["ready"]["ms"], "popup_texts": popups["texts"],
            "layers": names}


# ------------------------------------------------------------------------------------------------ tests

@pytest.fixture(scope="module")
def chromium():
    return require_chromium()


def test_synthetic_map_in_headless_chromium(chromium, tmp_path):
    from test_map import XSS_NAME, full_map

    from siteplan.maps import LAYER_LABELS, write_map

    m, _district, _ = full_map(n_poles=2000)
    path = write_map(m, tmp_path / "coverage_map.html")
    expected = [LAYER_LABELS[k] for k in ("boundary", "subdistricts", "existing_sites", "candidates", "street_lamps",
                                          "monitoring_poles", "plan_zones", "plan_sites", "hotspots",
                                          "public_facilities")]
    with Browser(chromium) as b:
        fig = check_page(b, path, expected, "coverage_map_synthetic.png")
    assert any(XSS_NAME in t for t in fig["popup_texts"])  # the payload is shown, as text


#: JS: the overlays on the map now (by name), the switch's view and the legend blocks shown.
VIEW_JS = """
(function () {
  var on = (window.siteplanLayers || []).filter(function (e) { return e.layer._map; })
    .map(function (e) { return e.name; });
  var legend = Array.from(document.querySelectorAll('.sp-legend-block[data-layer]'))
    .filter(function (b) { return b.style.display !== 'none'; }).map(function (b) { return b.dataset.layer; });
  var images = document.querySelectorAll('.leaflet-image-layer').length;
  var open = Array.from(document.querySelectorAll('.sp-panel > details')).map(function (d) { return d.open; });
  return {on: on, legend: legend, images: images, view: window.siteplanView, open: open};
})()
"""


# The title's sample tag: its box, and whether it is the topmost element at its left end, middle and right end.
TAG_JS = """
(function () {
  var el = document.getElementById('sp-title-sample'), r = el.getBoundingClientRect(), y = (r.top + r.bottom) / 2;
  var visible = [r.left + 2, (r.left + r.right) / 2, r.right - 2].map(function (x) {
    var hit = document.elementFromPoint(x, y); return hit === el || el.contains(hit); });
  return {box: [r.left, r.top, r.right, r.bottom], visible: visible};
})()
"""


def test_network_switch_and_legend_follow_the_view(chromium, tmp_path):
    """One network at a time: its raster and its sites/gaps/search requests; the legend shows the blocks of the
    overlays on the map only, and follows an overlay turned on in the layer control."""
    from test_map import full_map

    from siteplan.maps import LAYER_LABELS, write_map

    m, _district, _ = full_map(n_poles=20)
    path = write_map(m, tmp_path / "coverage_map.html")
    with Browser(chromium) as b:
        b.send("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1, mobile=False)
        assert b.load(path)["ready"] is not None
        v = b.evaluate(VIEW_JS)
        assert v["view"] == {"network": "ctcu", "phase": "p2022", "layer": "outdoor", "raster": True}
        assert v["images"] == 1
        assert LAYER_LABELS["selected"] in v["on"] and LAYER_LABELS["gaps"] in v["on"]
        assert "coverage" in v["legend"] and LAYER_LABELS["selected"] in v["legend"]
        assert LAYER_LABELS["candidates"] not in v["legend"]  # hidden at first, so no legend block
        # Switch to China Mobile's 2020 indoor view: its search request ring appears, one raster still.
        b.evaluate("siteplanSetView('cm', 'p2020', 'indoor')")
        v = b.evaluate(VIEW_JS)
        assert v["view"]["network"] == "cm" and v["view"]["layer"] == "indoor" and v["images"] == 1
        assert LAYER_LABELS["search_requests"] in v["on"] and LAYER_LABELS["gaps"] not in v["on"]
        # Turning candidates on in the layer control brings their legend block.
        b.evaluate("""(function () {
            var l = (window.siteplanLayers || []).filter(function (e) { return e.name === %s; })[0];
            l.layer.addTo(window[Object.keys(window).filter(function (k) { return k.indexOf('map_') === 0; })[0]]);
        })()""" % json.dumps(LAYER_LABELS["candidates"]))
        b.pump(0.2)
        assert LAYER_LABELS["candidates"] in b.evaluate(VIEW_JS)["legend"]
        assert b.console_errors() == []


@pytest.mark.slow
def test_hedong_map_in_headless_chromium(chromium, tmp_path):
    """Hedong through the real pipeline; screenshots at a desktop, a small laptop and a phone size
    (test-artifacts/coverage_map_hedong_<w>x<h>.png): panels fold where the screen is small."""
    from test_map import XSS_NAME, hedong_results

    from siteplan.maps import LAYER_LABELS, build_map, write_map

    district, ctx = hedong_results()
    r = ctx.results
    checked = r["check"].copy()
    selected = r["optimize"].copy()
    # The payload, in real data: on a selected site of the network shown first (its layer is on the map).
    selected.loc[selected.index[selected["network"] == "ctcu"][0], "name"] = XSS_NAME
    checked.loc[checked.index[0], "name"] = XSS_NAME
    m = build_map(district, candidates=checked, plan=r["plan"], gaps=r["gaps"], selected=selected,
                  search_requests=r["plan"].search_requests, summary=ctx.summary)
    path = write_map(m, tmp_path / "coverage_map.html")
    expected = [LAYER_LABELS[k] for k in ("boundary", "candidates")]
    expected += [LAYER_LABELS[k] for k in ("existing_sites", "subdistricts", "plan_zones", "hotspots",
                                           "public_facilities", "plan_sites") if len(district.layers[k])]
    with Browser(chromium) as b:
        fig = check_page(b, path, expected, "coverage_map_hedong.png")
        assert any(XSS_NAME in t for t in fig["popup_texts"])
        folded = {}
        for w, h in ((1400, 900), (1024, 768), (390, 844)):
            b.send("Emulation.setDeviceMetricsOverride", width=w, height=h, deviceScaleFactor=1, mobile=w < 500)
            assert b.load(path)["ready"] is not None
            b.pump(0.3)
            png = b.screenshot(ARTIFACTS / f"coverage_map_hedong_{w}x{h}.png")
            assert image_is_not_blank(png) > 8.0
            folded[(w, h)] = b.evaluate(VIEW_JS)["open"]
            # Sample data stays labelled at every size: the title's tag is on screen and nothing covers it.
            tag = b.evaluate(TAG_JS)
            assert tag["box"][0] >= 0 and tag["box"][1] >= 0 and tag["box"][2] <= w and tag["box"][3] <= h, (w, h, tag)
            assert tag["visible"] == [True] * 3, (w, h, tag)
        assert all(folded[(1400, 900)]) and not any(folded[(390, 844)])
        assert folded[(1024, 768)][0] is False  # the summary folds on a small laptop; the legend stays open
        assert b.console_errors() == []
    assert path.stat().st_size < 5_000_000
