"""Chinese text in matplotlib charts (``rollout.png``, the report's static map) on any machine.

matplotlib chooses fonts from a cache built the first time it ran; a CJK font installed later (or none at all)
leaves it drawing empty boxes, silently. So siteplan registers a CJK font with matplotlib **by path** before
drawing, checked to hold the glyphs it will draw:

1. Noto Sans SC (SIL Open Font License) from the ``pylopdf-fonts-zh-cn`` package, a dependency of siteplan, so
   ``pip install siteplan`` (the README's two commands) brings it everywhere;
2. else a system CJK font found on disk now (Debian's fonts-noto-cjk, WenQuanYi, Windows' and macOS's own);
3. else no CJK font: a :class:`FontWarning` says so once per process and charts fall back to their English
   labels (:func:`zh_en`) rather than draw boxes.

Usage::

    with cjk_rc():
        ax.set_title(zh_en("覆盖率与站址数 Coverage against number of sites", "Coverage against number of sites"))
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator
from pathlib import Path

__all__ = ["FontWarning", "cjk_font", "cjk_font_path", "cjk_rc", "has_glyphs", "zh_en"]

#: Characters a usable font must hold (common in siteplan's chart labels).
_PROBE = "覆盖率站址数样例数据禁建区审查状态已开通"
#: System font files tried when the packaged font is absent, in order (first that holds the glyphs wins).
_SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
)


class FontWarning(UserWarning):
    """No CJK font was found: charts are drawn with English labels."""


def has_glyphs(path: str | Path, text: str = _PROBE) -> bool:
    """Whether the font file (first face of a collection) has a glyph for every character of ``text``."""
    from matplotlib import ft2font

    try:
        font = ft2font.FT2Font(str(path))
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in text if not ch.isspace())


def _candidates() -> list[Path]:
    paths: list[Path] = []
    try:
        import pylopdf_fonts_zh_cn

        paths.append(Path(pylopdf_fonts_zh_cn.sans_path()))
    except ImportError:
        pass
    paths += [Path(p) for p in _SYSTEM_FONTS]
    return paths


@functools.lru_cache(maxsize=None)
def cjk_font_path() -> Path | None:
    """The CJK font file siteplan draws with, or None (warned once)."""
    for path in _candidates():
        if path.is_file() and has_glyphs(path):
            return path
    warnings.warn("no CJK font found (pip install pylopdf-fonts-zh-cn, or apt-get install fonts-noto-cjk): "
                  "charts are drawn with English labels only", FontWarning, stacklevel=2)
    return None


@functools.lru_cache(maxsize=None)
def cjk_font() -> str | None:
    """Family name of the CJK font, registered with matplotlib's font manager by path; None if there is none."""
    path = cjk_font_path()
    if path is None:
        return None
    from matplotlib import font_manager, ft2font

    font_manager.fontManager.addfont(str(path))
    return ft2font.FT2Font(str(path)).family_name


def zh_en(both: str, english: str) -> str:
    """``both`` ("中文 English") when a CJK font is available, else ``english``."""
    return both if cjk_font() is not None else english


@contextlib.contextmanager
def cjk_rc(**extra) -> Iterator[str | None]:
    """matplotlib rc settings drawing with the CJK font (DejaVu Sans as per-glyph fallback, e.g. for "≥");
    yields the family name or None."""
    import matplotlib

    family = cjk_font()
    fonts = ([family] if family else []) + ["DejaVu Sans"]
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": fonts, "axes.unicode_minus": False,
                                **extra}):
        yield family
