"""Sub-district zones, demand hotspots and public facilities of a sample district.

* **Sub-districts** (街道) have no public polygons: the zones are Voronoi cells of centre points clipped to the
  district, labelled approximate — of the published centres where a district module has them (Hedong), else of
  a lattice of invented centres (one zone per ~3.5 km², at most 40; codes ``<division code>9NN``, names
  ``样例街道NN``, both invented).
* **Hotspots** of the work plan's seven scenarios stand on buildings of a matching use: hospitals on hospital
  buildings, schools and kindergartens on school buildings, commercial districts at malls and office towers,
  manufacturing at industrial sheds; the point is the building's centroid.
* **Public facilities** (free access per the work plan) likewise: government and institution buildings, district
  state-owned enterprises' offices, schools, parks (open parcels), municipal sites (pump houses, refuse-transfer
  and bus stations: small public or industrial buildings), and commercial buildings (not free).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint

from ..config import SCENARIOS
from ._common import hex_lattice

__all__ = ["FACILITY_SPEC", "HOTSPOT_SPEC", "make_facilities", "make_hotspots", "place_on_buildings",
           "voronoi_zones", "zone_centres"]

#: scenario -> (count per 100 km² of core-equivalent built-up area, name stem, building uses, receptor)
HOTSPOT_SPEC = {
    "manufacturing": (19, "示例智能工厂", ("industrial",), ""),
    "smart_grid": (14, "示例变电站", ("industrial", "public"), ""),
    "commercial": (24, "示例商圈", ("commercial", "office"), ""),
    "healthcare": (24, "示例医院", ("hospital",), "hospital"),
    "education": (34, None, ("school",), "school"),
    "culture_tourism": (17, "示例文旅街区", ("public", "commercial"), ""),
    "media": (12, "示例融媒体中心", ("office", "public"), ""),
}
#: facility kind -> (count per 100 km² of built-up area, name stem, building uses, free access)
FACILITY_SPEC = {
    "政府机关": (48, "示例区级机关办公楼", ("public",), True),
    "事业单位": (67, "示例事业单位楼", ("public", "office"), True),
    "区属国企": (34, "示例区属国企大楼", ("office", "public"), True),
    "学校": (53, "示例学校教学楼", ("school",), True),
    "公园绿地": (34, "示例公园", ("park",), True),
    "市政设施": (72, None, ("public", "industrial"), True),
    "商业楼宇": (53, "示例商业楼宇", ("commercial", "office"), False),
}
_MUNICIPAL = ("示例泵站", "示例垃圾转运站", "示例公交场站")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _label(i: int) -> str:
    """A, B, ..., Z, AA, AB, ..."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = _LETTERS[r] + s
    return s


def zone_centres(rng, boundary, *, km2_per_zone: float = 3.5, max_zones: int = 40) -> np.ndarray:
    """Invented sub-district centres: a lattice of about one point per ``km2_per_zone`` inside the district."""
    n = int(np.clip(round(boundary.area / 1e6 / km2_per_zone), 2, max_zones))
    s = np.sqrt(boundary.area / n / 0.866)
    for _ in range(20):
        xy = hex_lattice(rng, boundary.bounds, s, jitter=0.15)
        xy = xy[shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])]
        if len(xy) >= 2:
            return xy
        s *= 0.7
    c = boundary.centroid
    return np.array([[c.x, c.y]])


def voronoi_zones(boundary, centres: np.ndarray) -> np.ndarray:
    """Voronoi cells of ``centres`` clipped to the district, in centre order (Polygons/MultiPolygons)."""
    if len(centres) == 1:
        return np.array([boundary], dtype=object)
    cells = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(centres), extend_to=boundary.envelope.buffer(5000),
                                                       ordered=True))
    return shapely.intersection(cells, boundary)


def place_on_buildings(rng, buildings: pd.DataFrame, uses, n: int, taken: np.ndarray,
                       *, prefer_large: bool = True) -> np.ndarray:
    """``n`` distinct buildings (indices) of the given uses not yet ``taken``, larger ones first when preferred."""
    pool = np.flatnonzero(np.isin(buildings.use.to_numpy(), list(uses)) & ~taken)
    if prefer_large and len(pool):
        area = shapely.area(buildings.geometry.to_numpy()[pool])
        w = area / area.sum()
        pick = rng.choice(pool, size=min(n, len(pool)), replace=False, p=w)
    else:
        pick = pool[rng.permutation(len(pool))][:n]
    taken[pick] = True
    return pick


def make_hotspots(rng, buildings: pd.DataFrame, scenarios: dict[str, float], counts: dict[str, int],
                  *, taken: np.ndarray | None = None) -> pd.DataFrame:
    """Hotspots per scenario on matching buildings (see :data:`HOTSPOT_SPEC`); ``counts`` per scenario."""
    taken = np.zeros(len(buildings), bool) if taken is None else taken
    rows = []
    for scen, (_, stem, uses, receptor) in HOTSPOT_SPEC.items():
        idx = place_on_buildings(rng, buildings, uses, counts.get(scen, 0), taken,
                                 prefer_large=scen != "education")
        for i, b in enumerate(idx):
            if scen == "education":
                kg = i % 3 == 2
                rec = "kindergarten" if kg else "school"
                name = f"示例{'幼儿园' if kg else ('小学' if i % 3 == 0 else '中学')} {_label(i)}"
            else:
                rec, name = receptor, f"{stem} {_label(i)}"
            rows.append((scen, name, rec, buildings.x.iat[b], buildings.y.iat[b], b))
    hs = pd.DataFrame(rows, columns=["scenario", "name", "receptor", "x", "y", "building"]).astype({"building": np.int64})
    hs.insert(0, "hotspot_id", [f"RD-{i:03d}" for i in range(1, len(hs) + 1)])
    hs.insert(3, "scenario_zh", hs.scenario.map(SCENARIOS))
    hs.insert(4, "weight", hs.scenario.map(scenarios).astype(float).fillna(1.0))
    return hs


def make_facilities(rng, buildings: pd.DataFrame, parks: pd.DataFrame, counts: dict[str, int],
                    *, taken: np.ndarray | None = None, special_name: tuple[str, int, str] | None = None
                    ) -> pd.DataFrame:
    """Public facilities on matching buildings and parks (see :data:`FACILITY_SPEC`); ``counts`` per kind.

    ``special_name`` = (kind, index, name) renames one facility (e.g. a name only GB18030 can encode).
    """
    taken = np.zeros(len(buildings), bool) if taken is None else taken
    rows = []
    for kind, (_, stem, uses, free) in FACILITY_SPEC.items():
        n = counts.get(kind, 0)
        if uses == ("park",):
            k = rng.permutation(len(parks))[:n]
            pts = parks[["x", "y"]].to_numpy()[k]
        else:
            idx = place_on_buildings(rng, buildings, uses, n, taken)
            pts = buildings[["x", "y"]].to_numpy()[idx]
        for i, (x, y) in enumerate(pts):
            nm = f"{_MUNICIPAL[i % 3]} {i + 1}" if stem is None else f"{stem} {i + 1}"
            if special_name and special_name[0] == kind and special_name[1] == i:
                nm = special_name[2]
            rows.append((nm, kind, "是" if free else "否", x, y))
    fa = pd.DataFrame(rows, columns=["name", "kind", "free_access", "x", "y"])
    fa = fa.iloc[rng.permutation(len(fa))].reset_index(drop=True)
    fa.insert(0, "facility_id", [f"GG-{i:03d}" for i in range(1, len(fa) + 1)])
    return fa
