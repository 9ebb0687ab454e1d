"""Antenna heights (挂高) of sample sites, and the roofs that may carry a rooftop macro.

Heights above ground, as operators' engineering-parameter sheets record them. The figures are assumptions for
sample data, in line with Chinese urban practice:

==========================  ===========  ==============================================================
mount                       height [m]   notes
==========================  ===========  ==============================================================
rooftop macro (楼顶抱杆)    roof + 3-6   a pole (抱杆) or small frame on the roof; hosts are roofs of
                                         :data:`ROOF_HOST_M` (operators avoid very tall buildings: an
                                         antenna 80 m up overshoots its cell and interferes far away),
                                         so antennas stand mostly 20-45 m up
ground tower (落地塔)       25-40        angle-steel or monopole towers in urban and suburban areas
landscape tower (景观塔)    20-35        disguised towers (trees, lamp-like columns) in the urban core
pole micro                  the pole's   street lamps 8-12 m, monitoring poles 6-8 m, smart poles 10-15 m
                            height       (see :mod:`siteplan.sample.streets`)
indoor system (室分)        2.5-4        ceiling antennas
==========================  ===========  ==============================================================

Every height also lies inside the propagation model's validity range of its site type (``[radio.site_types]``
-> :data:`siteplan.radio.propagation.VALIDITY`, e.g. UMa 10-60 m for a macro), which the coverage engine
enforces: the roofs allowed as hosts are cut so that roof plus mast stays inside it, and :func:`fit_heights` keeps
a configuration with a narrower model range (say a macro on UMi) from receiving a height its engine refuses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..radio.propagation import VALIDITY
from .character import CHARACTERS, PROFILES, CharacterMap

__all__ = ["INDOOR_M", "ROOF_HOST_M", "ROOF_MAST_M", "TOWER_M", "fit_heights", "height_range", "indoor_heights",
           "rooftop_heights", "rooftop_hosts", "tower_heights"]

#: Height of the mast (抱杆) above the roof of a rooftop macro [m].
ROOF_MAST_M = (3.0, 6.0)
#: Roof heights that may carry a rooftop macro [m] (besides the character's ``rooftop_min_floors``).
ROOF_HOST_M = (12.0, 45.0)
#: Height ranges of ground and landscape towers [m].
TOWER_M = {"tower": (25.0, 40.0), "landscape_tower": (20.0, 35.0)}
#: Height range of indoor antennas [m].
INDOOR_M = (2.5, 4.0)
#: Buildings whose roofs never carry a macro (EMF-sensitive receptors).
_NO_ROOF_USES = ("school", "hospital")


def height_range(radio, site_type: str) -> tuple[float, float]:
    """The antenna-height range [m] the model of ``site_type`` accepts (``radio``: a :class:`RadioConfig`;
    None: the default presets)."""
    if radio is None:
        from ..config import RadioConfig

        radio = RadioConfig()
    lo, hi = VALIDITY[radio.site_types[site_type].model]["h_bs_m"]
    return float(lo), float(hi)


def rooftop_hosts(buildings: pd.DataFrame, cmap: CharacterMap, radio=None) -> np.ndarray:
    """Mask of buildings whose roof may carry a rooftop macro: at least the character's ``rooftop_min_floors``,
    roof height within :data:`ROOF_HOST_M` and low enough for roof plus mast to stay in the macro model's range,
    never a school or hospital."""
    lo, hi = height_range(radio, "macro")
    roof_lo = max(ROOF_HOST_M[0], lo - ROOF_MAST_M[0])
    roof_hi = min(ROOF_HOST_M[1], hi - ROOF_MAST_M[1])
    ch = cmap.character_at(buildings.x.to_numpy(), buildings.y.to_numpy())
    min_fl = np.array([PROFILES[k].rooftop_min_floors for k in CHARACTERS])[ch]
    h = buildings.height_m.to_numpy(float)
    return ((buildings.floors.to_numpy() >= min_fl) & (h >= roof_lo) & (h <= roof_hi)
            & ~buildings.use.isin(_NO_ROOF_USES).to_numpy())


def rooftop_heights(rng: np.random.Generator, roof_m) -> np.ndarray:
    """Antenna heights of rooftop macros on roofs of ``roof_m`` [m]: the roof plus a 3-6 m mast."""
    roof_m = np.asarray(roof_m, float)
    return roof_m + rng.uniform(*ROOF_MAST_M, len(roof_m))


def tower_heights(rng: np.random.Generator, kind) -> np.ndarray:
    """Antenna heights of towers of ``kind`` (``tower`` or ``landscape_tower`` per site) [m]."""
    kind = np.asarray(kind, dtype=object)
    u = rng.random(len(kind))
    lo = np.where(kind == "landscape_tower", TOWER_M["landscape_tower"][0], TOWER_M["tower"][0])
    hi = np.where(kind == "landscape_tower", TOWER_M["landscape_tower"][1], TOWER_M["tower"][1])
    return lo + u * (hi - lo)


def indoor_heights(rng: np.random.Generator, n: int) -> np.ndarray:
    """Antenna heights of indoor systems [m]."""
    return rng.uniform(*INDOOR_M, n)


def fit_heights(height_m, site_type, radio=None) -> np.ndarray:
    """Heights rounded to 0.1 m and held inside each site type's model range (a guard for configurations whose
    models accept less than the heights above; with the default presets nothing moves)."""
    h = np.round(np.asarray(height_m, float), 1)
    st = np.asarray(site_type, dtype=object)
    for t in pd.unique(st):
        lo, hi = height_range(radio, t)
        sel = st == t
        h[sel] = np.clip(h[sel], lo, hi)
    return h
