"""Offline maps: inline every script and stylesheet, and refuse a page that would still load anything remote.

folium links Leaflet, jQuery, Bootstrap, awesome-markers and Font Awesome from four CDNs. A planner's map must
open on a government intranet, so :func:`inline_assets` drops those links and writes Leaflet (read from the
installed ``XStatic-Leaflet`` package and checked against ``assets/MANIFEST.json``) and siteplan's own small
script and stylesheet into the page. :func:`check_offline` then scans the rendered HTML and raises
:class:`OfflineAssetError` if any reference to another document remains (fail closed).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import re
from functools import lru_cache
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

from ..errors import SiteplanError

__all__ = [
    "INERT_URLS",
    "AssetRecord",
    "OfflineAssetError",
    "asset_manifest",
    "check_offline",
    "inline_assets",
    "read_asset",
]


class OfflineAssetError(SiteplanError):
    """An asset cannot be inlined (missing, hash mismatch) or the rendered map still references a remote file."""


#: URLs that occur inside the inlined Leaflet files but load nothing: the SVG namespace name, the
#: attribution hyperlink (followed only if clicked), and a bug link in a CSS comment.
INERT_URLS = frozenset(
    {
        "http://www.w3.org/2000/svg",
        "https://leafletjs.com",
        "https://bugzilla.mozilla.org/show_bug.cgi?id=888319",
    }
)

AssetRecord = dict


@lru_cache(maxsize=1)
def asset_manifest() -> tuple[AssetRecord, ...]:
    """The records of ``assets/MANIFEST.json``: name, version, source package, sha256, licence."""
    text = resources.files(__package__).joinpath("assets/MANIFEST.json").read_text(encoding="utf-8")
    return tuple(json.loads(text)["assets"])


def _record(name: str) -> AssetRecord:
    for rec in asset_manifest():
        if rec["name"] == name:
            return rec
    raise OfflineAssetError(f"assets/MANIFEST.json: no record named {name!r}")


def read_asset(name: str) -> bytes:
    """Bytes of a third-party asset, read from its installed package and checked against its sha256.

    Raises
    ------
    OfflineAssetError
        If the package is not installed, the file is missing, or its hash differs from the manifest
        (a different version would be inlined unrecorded).
    """
    rec = _record(name)
    src = rec["source"]
    hint = f"pip install '{src['package']}=={src['package_version']}'"
    try:
        module = importlib.import_module(src["module"])
    except ImportError:
        raise OfflineAssetError(f"asset {name!r}: package {src['package']} is not installed; {hint}") from None
    path = Path(module.__file__).parent / src["path"]
    if not path.is_file():
        raise OfflineAssetError(f"asset {name!r}: {path} not found in {src['package']}; {hint}")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != rec["sha256"]:
        raise OfflineAssetError(
            f"asset {name!r}: {path} has sha256 {digest}, expected {rec['sha256']} "
            f"({src['package']} {src['package_version']}); {hint} or update assets/MANIFEST.json"
        )
    return data


def _own_asset(name: str) -> str:
    return resources.files(__package__).joinpath(f"assets/{name}").read_text(encoding="utf-8")


def _data_uri(name: str, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(read_asset(name)).decode("ascii")


_SOURCEMAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_IMAGE = re.compile(r"url\((images/[\w.-]+\.png)\)")


def _leaflet_css() -> str:
    css = read_asset("leaflet.css").decode("utf-8")
    return _CSS_IMAGE.sub(lambda mo: f"url({_data_uri(mo.group(1), 'image/png')})", css)


def _leaflet_js() -> str:
    return _SOURCEMAP.sub("", read_asset("leaflet.js").decode("utf-8"))


class _Inline:
    """A header element rendered verbatim (no Jinja pass over the asset text)."""

    def __init__(self, tag: str, text: str):
        low = text.lower()
        if f"</{tag}" in low:
            raise OfflineAssetError(f"inlined {tag} contains '</{tag}': it would end the element early")
        self.markup = f"<{tag}>\n{text}\n</{tag}>"


def inline_assets(m) -> None:
    """Replace a folium map's CDN links with inlined Leaflet and siteplan's own script and stylesheet.

    Only Leaflet is needed: the map draws with canvas circle markers and its own popups, so jQuery,
    Bootstrap, awesome-markers and Font Awesome are dropped rather than inlined.
    """
    from branca.element import Element

    class _Raw(Element):
        def __init__(self, markup: str):
            super().__init__()
            self._markup = markup

        def render(self, **kwargs):  # verbatim: asset text never goes through Jinja
            return self._markup

    m.default_js = []
    m.default_css = []
    header = m.get_root().header
    header.add_child(_Raw(_Inline("style", _leaflet_css()).markup), name="siteplan_leaflet_css")
    header.add_child(_Raw(_Inline("style", _own_asset("siteplan_map.css")).markup), name="siteplan_css")
    header.add_child(_Raw(_Inline("script", _leaflet_js()).markup), name="siteplan_leaflet_js")
    header.add_child(_Raw(_Inline("script", _own_asset("siteplan_map.js")).markup), name="siteplan_js")


# Any absolute or protocol-relative URL whose host has a dot; input strings never match, because
# escape.js_json writes "/" as "\/" in data.
_URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+[^\s"'<>\\)`]*""", re.IGNORECASE)
_CSS_REF = re.compile(r"""(?:url\(\s*["']?\s*([^"')\s]*)|@import\s+(?:url\(\s*)?["']?([^"')\s;]*))""", re.IGNORECASE)
_LOADING_ATTRS = {"src", "href", "srcset", "poster", "data", "action", "formaction", "xlink:href", "background"}


class _RefCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        if tag == "link":
            self.refs.append(f"<link> element {dict(attrs)!r}")
        for key, value in attrs:
            key = key.lower()
            if key in _LOADING_ATTRS and value and not value.startswith(("data:", "#")):
                self.refs.append(f"<{tag} {key}={value!r}>")
            if key == "style" and value:
                self._css(value, f"<{tag} style>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self._css(data, "<style>")

    def _css(self, css: str, where: str) -> None:
        for mo in _CSS_REF.finditer(css):
            value = mo.group(1) if mo.group(1) is not None else mo.group(2)
            if value and not value.startswith(("data:", "#")):
                self.refs.append(f"{where} {mo.group(0)!r}")


def check_offline(html: str, *, allowed_url_prefixes: tuple[str, ...] = ()) -> None:
    """Raise unless ``html`` is self-contained.

    Fails on any ``<link>`` element, any ``src``/``href``/... attribute or CSS ``url()``/``@import`` that is
    not a ``data:`` URI or ``#fragment``, and any ``http(s)://`` or ``//host`` URL anywhere in the page (scripts
    included) other than :data:`INERT_URLS` and ``allowed_url_prefixes`` (the tile URL templates of a basemap
    the user chose).

    Raises
    ------
    OfflineAssetError
        Naming up to five offending references.
    """
    parser = _RefCollector()
    parser.feed(html)
    parser.close()
    bad = list(parser.refs)
    for mo in _URL.finditer(html):
        url = mo.group(0)
        if url in INERT_URLS or any(url.startswith(p) for p in allowed_url_prefixes):
            continue
        lo, hi = max(mo.start() - 40, 0), min(mo.end() + 20, len(html))
        bad.append(f"URL {url!r} in ...{html[lo:hi]!r}...")
    if bad:
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        raise OfflineAssetError(
            "coverage map would load files from outside the page: " + "; ".join(bad[:5]) + more
        )
