"""The HTML coverage map: offline (every asset inlined), light (canvas markers, one PNG per raster) and safe
(every input string escaped). folium is imported here; it is a core dependency."""

from .coverage_map import BASEMAPS, TIANDITU_KEY_ENV, build_map, render_map, write_map
from .layers import LAYER_LABELS, SAMPLE_NOTICE
from .offline import OfflineAssetError, check_offline

__all__ = [
    "BASEMAPS",
    "LAYER_LABELS",
    "SAMPLE_NOTICE",
    "TIANDITU_KEY_ENV",
    "OfflineAssetError",
    "build_map",
    "check_offline",
    "render_map",
    "write_map",
]
