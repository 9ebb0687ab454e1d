"""Escaping for the HTML map: every string that comes from input data goes through here.

Two routes, never mixed:

* text placed in HTML markup (summary panel, legend, title) -> :func:`html_text` (``html.escape``);
* data handed to the page's script -> :func:`js_json`, a JSON literal safe inside ``<script>``: ``<``, ``>``,
  ``&``, ``'``, ``/`` and the JS line separators are ``\\u``/``\\/``-escaped, so no input can close the script
  element, and no URL from input appears literally in the page (the offline check stays exact). The page's
  script then writes these strings with ``textContent`` only, never ``innerHTML`` or template literals, so
  ``<img src=x onerror=...>`` or ``${...}`` shows as text.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
from typing import Any

import numpy as np

__all__ = ["html_text", "js_json", "json_safe"]

_JS_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "'": "\\u0027",
    "/": "\\/",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JS_TABLE = str.maketrans(_JS_ESCAPES)


def json_safe(value: Any) -> Any:
    """A value as plain JSON data: numpy scalars unwrapped, NaN/inf/NA -> None, dates -> ISO text."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in value]
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
    except ImportError:  # pragma: no cover - pandas is a core dependency
        pass
    return str(value)


def js_json(obj: Any) -> str:
    """``obj`` as a compact JSON literal that is safe inside an HTML ``<script>`` element.

    Examples
    --------
    >>> js_json({"name": "</script>", "url": "http://x.cn"})
    '{"name":"\\\\u003c\\\\/script\\\\u003e","url":"http:\\\\/\\\\/x.cn"}'
    """
    text = json.dumps(json_safe(obj), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.translate(_JS_TABLE)


def html_text(value: Any) -> str:
    """``value`` as escaped HTML text ("" for None/NaN); quotes are escaped too, so it is safe in attributes."""
    v = json_safe(value)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是 yes" if v else "否 no"
    return html.escape(str(v), quote=True)
