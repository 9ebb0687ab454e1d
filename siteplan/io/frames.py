"""Is each layer in the frame ``district.toml`` declares? Evidence from the district's own references.

GCJ-02 and BD-09 are systematic offsets of WGS 84 (in Hedong GCJ-02 sits about 540 m east and 110 m north;
BD-09 a further ~1 km): a layer read in the wrong one of these frames is shifted as a whole. For a layer declared
in one of them, every other one is tried as a hypothesis and judged against two kinds of reference:

* **the district boundary** — ``gain``: the layer's points (polygon vertices) outside the boundary as declared
  that fall inside under the hypothesis; ``loss``: points inside as declared that fall outside. Read in its right
  frame a layer loses nothing to a shift towards it; read in a wrong one it gains the points the offset pushed
  out over the edge. Genuinely outside candidates gain a few either way, and lose as many on the far edge.
* **every other point layer** — points sitting within :data:`ON_REFERENCE_M` of a reference point (a candidate
  on its pole, a plan site on an existing site) under the hypothesis and as declared.

Strong evidence (and nothing against it) refuses the layer with the likely frame and the offset in metres; weak
evidence gives a warning. The boundary itself is judged the same way against all layers pooled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

from ..crs import convert

__all__ = ["FRAME_HYPOTHESES", "ON_REFERENCE_M", "FrameEvidence", "boundary_frame_evidence", "layer_frame_evidence"]

#: Frames tried for a layer declared in one of them (CGCS2000 counts as WGS 84: they agree within centimetres).
FRAME_HYPOTHESES = ("WGS84", "GCJ02", "BD09")
#: Within this distance a point "sits on" a reference point [m] (poles are surveyed to the metre).
ON_REFERENCE_M = 3.0
#: A point this close outside the boundary [m] counts as on it (rounding of shared edges).
EDGE_TOLERANCE_M = 2.0


@dataclass(frozen=True)
class FrameEvidence:
    """How well one frame hypothesis fits a layer, against the declared frame."""

    layer: str
    declared: str
    frame: str
    #: Points (vertices) tested, and whether the layer is of points (else polygon vertices).
    n: int
    points: bool
    #: Boundary: outside as declared but inside under ``frame`` (gain), and the other way (loss).
    gain: int
    loss: int
    #: Point references: the best-supporting reference layer, and points on it under ``frame`` / as declared.
    ref: str | None
    on: int
    on_declared: int
    #: Median shift from the ``frame`` reading to the declared reading [m] (east, north).
    dx_m: float
    dy_m: float

    @property
    def offset_m(self) -> float:
        return float(np.hypot(self.dx_m, self.dy_m))

    @property
    def _boundary(self) -> tuple[bool, bool, bool]:
        strong = self.gain >= 5 and 10 * self.loss <= self.gain
        weak = self.gain >= 2 and 4 * self.loss <= self.gain
        against = self.loss >= 5 and self.loss > 2 * self.gain
        return strong, weak, against

    @property
    def _refs(self) -> tuple[bool, bool, bool]:
        strong = self.on >= 3 and self.on >= 0.05 * self.n and self.on >= 5 * self.on_declared + 2
        weak = self.on >= 2 and self.on >= 2 * self.on_declared + 2
        against = self.on_declared >= 3 and self.on_declared >= 5 * self.on + 2
        return strong, weak, against

    @property
    def strong(self) -> bool:
        """The evidence says the layer is in ``frame``, and nothing says otherwise."""
        (bs, _, ba), (rs, _, ra) = self._boundary, self._refs
        return (bs and not ra) or (rs and not ba)

    @property
    def weak(self) -> bool:
        """Some evidence for ``frame``, not enough to refuse the layer."""
        (_, bw, ba), (_, rw, ra) = self._boundary, self._refs
        return not self.strong and ((bw and not ra) or (rw and not ba))

    @property
    def from_boundary(self) -> bool:
        return self._boundary[0]

    def describe(self) -> str:
        """The evidence and the offset, for a message."""
        what = "points" if self.points else "vertices"
        parts = []
        if self.gain and self.layer == "boundary":
            parts.append(f"{self.gain} of the other layers' {self.n} points lie outside it as declared but inside "
                         f"it read as {self.frame} ({self.loss} the other way)")
        elif self.gain:
            parts.append(f"{self.gain} of its {self.n} {what} lie outside the district boundary as declared but "
                         f"inside as {self.frame} ({self.loss} the other way)")
        if self.ref and self.on > self.on_declared:
            parts.append(f"{self.on / self.n:.0%} of its points sit on {self.ref!r} only when read as {self.frame} "
                         f"({self.on_declared / self.n:.0%} as declared)")
        ew = "east" if self.dx_m >= 0 else "west"
        ns = "north" if self.dy_m >= 0 else "south"
        return (f"{'; '.join(parts)}; read as {self.declared} it lies ~{self.offset_m:.0f} m off "
                f"({abs(self.dx_m):.0f} m {ew}, {abs(self.dy_m):.0f} m {ns} of where {self.frame} puts it)")


def _hypothesis(frame: str) -> str:
    return "WGS84" if frame == "CGCS2000" else frame


def _outside(boundary_zone, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return ~shapely.intersects_xy(boundary_zone, x, y)


def _shift(xy_declared: np.ndarray, xy_alt: np.ndarray) -> tuple[float, float]:
    d = xy_declared - xy_alt
    return float(np.median(d[:, 0])), float(np.median(d[:, 1]))


def layer_frame_evidence(
    name: str,
    lonlat: np.ndarray,
    declared: str,
    working: str,
    boundary,
    refs: dict[str, cKDTree],
    *,
    points: bool,
) -> list[FrameEvidence]:
    """Evidence for each other frame of one layer.

    Parameters
    ----------
    lonlat
        The layer's points (or polygon vertices), shape (n, 2), in the declared frame [degrees].
    declared
        ``"WGS84"``, ``"CGCS2000"``, ``"GCJ02"`` or ``"BD09"``.
    boundary
        The district (Multi)Polygon in ``working``.
    refs
        Other point layers' KD-trees in ``working`` [m]; used only when ``points`` is True.
    """
    decl = _hypothesis(declared)
    zone = shapely.buffer(boundary, EDGE_TOLERANCE_M)
    shapely.prepare(zone)
    xy = {h: np.column_stack(convert(lonlat[:, 0], lonlat[:, 1], h, working)) for h in FRAME_HYPOTHESES}
    out = {h: _outside(zone, v[:, 0], v[:, 1]) for h, v in xy.items()}
    on = {}
    if points:
        for ref, tree in refs.items():
            on[ref] = {h: int(np.count_nonzero(tree.query(v, k=1, distance_upper_bound=ON_REFERENCE_M)[0]
                                               <= ON_REFERENCE_M)) for h, v in xy.items()}
    evidence = []
    for h in FRAME_HYPOTHESES:
        if h == decl:
            continue
        best = max(on, key=lambda r: on[r][h] - on[r][decl], default=None)
        evidence.append(FrameEvidence(
            layer=name, declared=declared, frame=h, n=len(lonlat), points=points,
            gain=int(np.count_nonzero(out[decl] & ~out[h])), loss=int(np.count_nonzero(~out[decl] & out[h])),
            ref=best, on=on[best][h] if best else 0, on_declared=on[best][decl] if best else 0,
            dx_m=_shift(xy[decl], xy[h])[0], dy_m=_shift(xy[decl], xy[h])[1],
        ))
    return evidence


def boundary_frame_evidence(
    boundary_lonlat_geom, declared: str, working: str, layer_xy: dict[str, np.ndarray]
) -> list[FrameEvidence]:
    """Evidence for each other frame of the boundary, against the points of every other layer pooled.

    ``boundary_lonlat_geom`` is the boundary in its declared frame; ``layer_xy`` maps layer name -> its points
    (vertices) in ``working``. A hypothesis counts only when at least two layers gain points under it: one
    misdeclared layer must not make the boundary look wrong.
    """
    decl = _hypothesis(declared)
    pts = np.concatenate([v for v in layer_xy.values()]) if layer_xy else np.empty((0, 2))
    owner = np.repeat(np.arange(len(layer_xy)), [len(v) for v in layer_xy.values()])

    def polygon(h):
        def fn(c):
            return np.column_stack(convert(c[:, 0], c[:, 1], h, working))

        zone = shapely.buffer(shapely.transform(boundary_lonlat_geom, fn), EDGE_TOLERANCE_M)
        shapely.prepare(zone)
        return zone

    out = {h: _outside(polygon(h), pts[:, 0], pts[:, 1]) for h in FRAME_HYPOTHESES}
    verts = shapely.get_coordinates(boundary_lonlat_geom)
    xy = {h: np.column_stack(convert(verts[:, 0], verts[:, 1], h, working)) for h in FRAME_HYPOTHESES}
    evidence = []
    for h in FRAME_HYPOTHESES:
        if h == decl:
            continue
        gained = out[decl] & ~out[h]
        several = len(np.unique(owner[gained])) >= 2
        evidence.append(FrameEvidence(
            layer="boundary", declared=declared, frame=h, n=len(pts), points=True,
            gain=int(np.count_nonzero(gained)) if several else 0, loss=int(np.count_nonzero(~out[decl] & out[h])),
            ref=None, on=0, on_declared=0, dx_m=_shift(xy[decl], xy[h])[0], dy_m=_shift(xy[decl], xy[h])[1],
        ))
    return evidence
