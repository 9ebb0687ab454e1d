"""Colour ramps and class edges shared by every picture of a result: the HTML map, the QGIS styles beside the
rasters and in the GeoPackage, and the printed report. One definition, so a planner who opens ``coverage.tif``
in QGIS sees the same classes and colours as in ``coverage_map.html``.

Pure data and arithmetic (no matplotlib, folium or GDAL).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "PHASE_COLOURS",
    "RSRP_BAND_COLOURS",
    "RSRP_BAND_EDGES_DBM",
    "RSRP_BELOW_COLOUR",
    "RSRP_RAMP",
    "SINR_LIMITED_COLOUR",
    "SINR_RAMP",
    "STATUS_COLOURS",
    "Ramp",
    "band_kind",
    "ramp_for_band",
    "rsrp_bands",
]

#: RSRP display bands [dBm], strongest edge first; the district's threshold is added as the lowest covered edge.
RSRP_BAND_EDGES_DBM = (-70.0, -80.0, -90.0, -100.0)
#: Colours of the covered bands, strongest first (ColorBrewer RdYlGn, green = strong).
RSRP_BAND_COLOURS = ("#1a9850", "#66bd63", "#a6d96a", "#d9ef8b", "#fee08b", "#fdae61")
#: Cells with a signal below the threshold (not covered): neutral grey, so red never means "no coverage".
RSRP_BELOW_COLOUR = "#9e9e9e"
#: Cells whose RSRP clears the threshold but whose SS-SINR does not (interference-limited): not covered either.
SINR_LIMITED_COLOUR = "#de77ae"

#: Colours of the rollout's phases, in phase order (map markers, GeoPackage style).
PHASE_COLOURS = ("#252525", "#2166ac", "#542788", "#006d2c", "#7f2704", "#08306b")
#: Candidate status -> colour (map markers, GeoPackage style).
STATUS_COLOURS = {
    "compliant": "#1b9e77",
    "conditional": "#e6ab02",
    "non_compliant": "#e7298a",
    "unchecked": "#7f7f7f",
}


@dataclass(frozen=True)
class Ramp:
    """Classes of a quantity: edges strongest first (the threshold is added as the last edge), their colours,
    the colour below the threshold, the unit and the alpha [0-255] of covered / below cells."""

    quantity: str
    unit: str
    edges: tuple[float, ...]
    colours: tuple[str, ...]
    below: str
    alpha_covered: int = 190
    alpha_below: int = 150

    def bands(self, threshold: float) -> list[float]:
        """Class edges, strongest first, ending with ``threshold`` (edges at or below it are dropped)."""
        return _class_edges(self.edges, threshold)

    def colour(self, i: int) -> str:
        """Colour of covered class ``i`` (0 = strongest)."""
        return self.colours[min(i, len(self.colours) - 1)]


RSRP_RAMP = Ramp("SS-RSRP", "dBm", RSRP_BAND_EDGES_DBM, RSRP_BAND_COLOURS, RSRP_BELOW_COLOUR)
#: SINR classes [dB] (blues, so a SINR picture is never mistaken for an RSRP one); below the threshold in red.
SINR_RAMP = Ramp("SS-SINR", "dB", (20.0, 10.0, 3.0, 0.0), ("#08519c", "#3182bd", "#6baed6", "#bdd7e7", "#eff3ff"),
                 "#de2d26")


def _class_edges(edges: Sequence[float], threshold: float) -> list[float]:
    above = sorted({float(e) for e in edges if e > threshold}, reverse=True)
    return above + [float(threshold)]


def rsrp_bands(threshold_dbm: float, edges_dbm: Sequence[float] = RSRP_BAND_EDGES_DBM) -> list[float]:
    """RSRP band edges [dBm], strongest first, ending with the coverage threshold."""
    return _class_edges(edges_dbm, threshold_dbm)


_KIND = re.compile(r"(?:^|_)(rsrp_dbm|sinr_db)$")


def band_kind(description: str) -> str | None:
    """``"rsrp"`` or ``"sinr"`` from a raster band's description (``outdoor_rsrp_dbm``,
    ``2022_indoor_rsrp_dbm``, ``sinr_db``), None for anything else."""
    m = _KIND.search(description or "")
    return None if m is None else m.group(1).split("_")[0]


def ramp_for_band(description: str) -> Ramp | None:
    """The ramp that styles a band, by its description (see :func:`band_kind`)."""
    return {"rsrp": RSRP_RAMP, "sinr": SINR_RAMP}.get(band_kind(description) or "")
