"""Chinese in the charts (issue 12, item 2): no empty boxes, whatever matplotlib's font cache holds.

The tests simulate the machine of the issue: matplotlib's font cache knows no CJK font (it was built before
fonts-noto-cjk was installed, or there is none). siteplan must then register a CJK font by path itself; and
when it can find none, say so once and draw English labels instead of boxes.
"""

from __future__ import annotations

import warnings

import pytest
from matplotlib import font_manager as fm

from siteplan import fonts
import pandas as pd

from siteplan.evaluate.step import _plot_rollout

CJK_LABELS = "室外室内站址数累计覆盖面积占比率与样例数据"
ROWS = pd.DataFrame({
    "network": ["ctcu", "ctcu", "cm", "cm"], "network_label": ["电信联通 ctcu", "电信联通 ctcu", "移动 cm", "移动 cm"],
    "phase": ["2020", "2022", "2020", "2022"], "sites": [69, 340, 81, 271],
    "coverage_outdoor": [0.6, 0.9, 0.65, 0.92], "coverage_indoor": [0.2, 0.5, 0.25, 0.55],
    "goal_layer": ["outdoor"] * 4, "goal_share": [0.9, 0.95, 0.9, 0.95],
    "goal_area": ["core", "district", "core", "district"], "goal_reached": [0.88, 0.9, 0.92, 0.92]})


def _reset_caches() -> None:
    fonts.cjk_font.cache_clear()
    fonts.cjk_font_path.cache_clear()
    fm.fontManager._findfont_cached.cache_clear()
    fm._get_font.cache_clear()


@pytest.fixture
def stale_font_cache(monkeypatch):
    """matplotlib's font list without any font that has Chinese glyphs (a cache built before they existed)."""
    seen: dict[str, bool] = {}

    def cjk(path: str) -> bool:
        if path not in seen:
            seen[path] = fonts.has_glyphs(path, "覆")
        return seen[path]

    monkeypatch.setattr(fm.fontManager, "ttflist", [f for f in fm.fontManager.ttflist if not cjk(f.fname)])
    _reset_caches()
    yield
    _reset_caches()


def _render_rollout(path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _plot_rollout(path, ROWS, True, -105.0, -3.0, 1.0)
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def test_rollout_chart_has_every_glyph_with_a_stale_font_cache(stale_font_cache, tmp_path):
    msgs = _render_rollout(tmp_path / "rollout.png")
    assert not [m for m in msgs if "missing from font" in m], msgs  # no empty boxes
    assert not [m for m in msgs if "FontWarning" in m]
    path = fonts.cjk_font_path()
    assert path is not None and fonts.has_glyphs(path, CJK_LABELS)
    # the family matplotlib resolves for the chart's text is the registered CJK font
    with fonts.cjk_rc() as family:
        found = fm.findfont(fm.FontProperties(family=["sans-serif"]))
    assert family and fonts.has_glyphs(found, CJK_LABELS), (family, found)


def test_report_map_has_every_glyph_with_a_stale_font_cache(stale_font_cache, tmp_path):
    from review_fixtures import make_check, make_district

    from siteplan.review.report import map_png

    d = make_district(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = map_png(d, check=make_check())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_without_any_cjk_font_it_says_so_once_and_draws_english(stale_font_cache, monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "_candidates", lambda: [])
    msgs = _render_rollout(tmp_path / "a.png") + _render_rollout(tmp_path / "b.png")
    assert len([m for m in msgs if m.startswith("FontWarning")]) == 1, msgs  # once, not per chart
    assert not [m for m in msgs if "missing from font" in m], msgs  # English labels, not boxes
    assert fonts.zh_en("室外 outdoor", "outdoor") == "outdoor"
