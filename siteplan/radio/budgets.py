"""The district's link budgets from its config: margins per model, building loss per class and band, the PUSCH
link per (band, site type), and the cell range each budget implies.

A thin adapter: it reads :class:`~siteplan.config.RadioConfig` and hands plain numbers to the array core
(:mod:`~siteplan.radio.margins`, :mod:`~siteplan.radio.penetration`, :mod:`~siteplan.radio.uplink`,
:mod:`~siteplan.radio.dimensioning`).

Margins
-------
Outdoors, the shadowing margin of a propagation model is the one that covers ``radio.area_reliability`` of a
cell's area (Jakes) with the model's TR 38.901 NLOS sigma and distance exponent (UMa 6 dB / n 3.908 -> 5.60 dB
at 95 %; UMi 7.82 dB / n 3.53 -> 8.42 dB; InH 8.03 dB / n 3.83 -> 7.9 dB), unless ``radio.shadowing_margin_db``
fixes it. Indoors the building's spread sigma_P adds to the model's (root sum of squares): the **extra** indoor
margin ``M(rss(sigma, sigma_P)) - M(sigma)`` (UMa: +2.0 dB low-loss, +4.0 dB high-loss) is part of each building
class's indoor loss, computed with the sigma of the band's macro model, the layer that serves buildings
(``radio.indoor_margin_db`` fixes the total indoor margin instead).

Building loss
-------------
A building class is ``"low"`` / ``"high"`` (the building's own ``loss_class``: TR 38.901's low- and high-loss
models) or ``"use:<use>"`` (its use's mix of the two, ``radio.buildings.high_loss_share``; the mixture's mean and
spread), at the frequency of each band. The indoor loss of a class on a band is its mean O2I loss plus the extra
indoor margin. ``radio.indoor_penetration_db`` replaces the O2I mean by one figure for every class (sigma_P 0).

Uplink
------
:func:`pusch_link` builds the PUSCH budget of a (band, site type): UE power class and duplex pattern per band
(``radio.uplink``), the preset's traffic-beam gain as the gNB receive gain, its noise figure and interference
margin. The uplink holds where the coupling loss (path loss + antenna pattern + margins + building loss) is at
most the PUSCH MAPL before margins. The serving sector's SS-RSRP already holds the same coupling loss, so this is
an RSRP floor per sector (:func:`ul_floor_offset_db`): ``RSRP >= budget_db + M_out - MAPL_UL``, with the budget and
margin of the sector. It assumes the uplink sees the same pattern roll-off towards the UE as the SS/PBCH beam
(conservative for a beam-steering array) and the same shadowing.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from ..config import RadioConfig, SiteTypePreset
from ..errors import RadioConfigError
from . import penetration as _o2i
from .dimensioning import dimension_cell
from .linkbudget import BANDS, get_band
from .margins import SHADOW_FADING_SIGMA_DB, area_margin_db, distance_exponent
from .tdd import get_tdd_pattern, uplink_share
from .uplink import POWER_CLASS_DBM, PuschLink, pusch_best_prbs, pusch_budget_lines, pusch_mapl_db

__all__ = [
    "FALLBACK_SIGMA_DB",
    "building_class",
    "class_o2i_db",
    "dimensioning",
    "indoor_extra_margin_db",
    "indoor_loss_table_db",
    "model_sigma_db",
    "outdoor_margin_db",
    "pusch_link",
    "reference_indoor_loss_db",
    "serving_model",
    "ul_floor_offset_db",
    "ul_mapl_db",
]

#: Shadowing sigma [dB] of models TR 38.901 gives none for: COST-231 Hata, 8 dB (the usual urban figure of
#: Hata-based planning; assumption), free space 0 dB (no shadowing).
FALLBACK_SIGMA_DB = {"cost231": 8.0, "fspl": 0.0}


def model_sigma_db(model: str) -> float:
    """Shadowing sigma [dB] of a model: TR 38.901 Table 7.4.1-1 NLOS (the larger, conservative), else
    :data:`FALLBACK_SIGMA_DB`."""
    if model in SHADOW_FADING_SIGMA_DB:
        return SHADOW_FADING_SIGMA_DB[model]["nlos"]
    if model in FALLBACK_SIGMA_DB:
        return FALLBACK_SIGMA_DB[model]
    raise RadioConfigError(f"model {model!r}: no shadowing sigma; configure radio.shadowing_margin_db")


@functools.lru_cache(maxsize=256)
def _area_margin(reliability: float, sigma_db: float, exponent: float) -> float:
    if sigma_db <= 0.0:
        return 0.0
    return float(area_margin_db(reliability, sigma_db, exponent))


def _exponent(model: str, h_bs_m: float = 30.0) -> float:
    return float(distance_exponent(model, "nlos", h_bs_m=h_bs_m)) if model != "fspl" else 2.0


def outdoor_margin_db(radio: RadioConfig, model: str) -> float:
    """Outdoor shadowing margin [dB] of a propagation model: ``radio.shadowing_margin_db`` when fixed, else the
    area-reliability margin of its sigma and exponent (module notes)."""
    if radio.shadowing_margin_db is not None:
        return float(radio.shadowing_margin_db)
    return _area_margin(float(radio.area_reliability), model_sigma_db(model), _exponent(model))


def indoor_extra_margin_db(radio: RadioConfig, model: str, sigma_p_db) -> np.ndarray:
    """Indoor margin above the outdoor one [dB] for buildings of spread ``sigma_p_db`` [dB] (array), served by
    sites of ``model``: ``M(rss(sigma, sigma_P)) - M(sigma)``, or ``radio.indoor_margin_db - M(sigma)`` when the
    indoor margin is fixed."""
    sp = np.asarray(sigma_p_db, dtype=float)
    out = outdoor_margin_db(radio, model)
    if radio.indoor_margin_db is not None:
        return np.full(sp.shape, float(radio.indoor_margin_db) - out)
    if radio.shadowing_margin_db is not None:
        return np.zeros(sp.shape)  # a planner's fixed margin stands for both layers
    sigma = model_sigma_db(model)
    n = _exponent(model)
    rel = float(radio.area_reliability)
    flat = [_area_margin(rel, math.hypot(sigma, float(s)), n) - out for s in sp.ravel()]
    return np.asarray(flat, dtype=float).reshape(sp.shape)


def building_class(use, loss_class) -> np.ndarray:
    """Building class of each building: ``"low"``/``"high"`` from its loss class, else ``"use:<use>"``."""
    lc = np.asarray(loss_class, dtype=object).astype(str)
    u = np.char.add("use:", np.asarray(use, dtype=object).astype(str))
    return np.where(np.isin(lc, ("low", "high")), lc, u).astype(object)


def class_o2i_db(radio: RadioConfig, classes, freq_ghz: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean O2I loss [dB] and sigma_P [dB] of each building class at ``freq_ghz`` (module notes)."""
    b = radio.buildings
    mean, sigma = [], []
    for c in classes:
        c = str(c)
        if c in ("low", "high"):
            model = f"{c}_loss"
            m = float(_o2i.o2i_loss_db(model, freq_ghz, d_2d_in_m=b.indoor_distance_m))
            s = _o2i.o2i_sigma_db(model)
        elif c.startswith("use:"):
            use = c[4:]
            share = b.high_loss_share.get(use, b.high_loss_share.get("other", 0.2))
            mm, ss = _o2i.o2i_mixture_db(freq_ghz, share, d_2d_in_m=b.indoor_distance_m)
            m, s = float(mm), float(ss)
        else:
            raise RadioConfigError(f"building class {c!r}: expected 'low', 'high' or 'use:<use>'")
        if radio.indoor_penetration_db is not None:
            m, s = float(radio.indoor_penetration_db), 0.0
        mean.append(m)
        sigma.append(s)
    return np.asarray(mean, dtype=float), np.asarray(sigma, dtype=float)


def serving_model(radio: RadioConfig, band: str) -> str:
    """The model of the layer that serves buildings on ``band``: the band's macro preset (else the first type's)."""
    t = "macro" if "macro" in radio.site_types else next(iter(radio.site_types))
    return radio.preset(t, band).model


def indoor_loss_table_db(radio: RadioConfig, classes, bands) -> np.ndarray:
    """Indoor loss [dB] per (band, class): mean O2I loss at the band's frequency + the extra indoor margin."""
    out = np.zeros((len(bands), len(classes)))
    for i, b in enumerate(bands):
        mean, sigma = class_o2i_db(radio, classes, get_band(b).freq_ghz)
        out[i] = mean + indoor_extra_margin_db(radio, serving_model(radio, b), sigma)
    return out


def reference_indoor_loss_db(radio: RadioConfig, band: str) -> float:
    """Indoor loss [dB] of a generic building (use "other": its mix of low- and high-loss) on ``band``."""
    return float(indoor_loss_table_db(radio, ["use:other"], [band])[0, 0])


def pusch_link(radio: RadioConfig, preset: SiteTypePreset, band: str) -> PuschLink:
    """The PUSCH budget of a preset on a band (module notes)."""
    u = radio.uplink
    b = get_band(band)
    duplex = u.duplex.get(b.name)
    if duplex is None:
        raise RadioConfigError(f"radio.uplink.duplex has no entry for band {b.name!r}")
    share = 1.0 if duplex == "fdd" else uplink_share(get_tdd_pattern(duplex).slots,
                                                     get_tdd_pattern(duplex).special_slot_symbols)
    power_class = u.ue_power_class.get(b.name)
    if power_class is None:
        raise RadioConfigError(f"radio.uplink.ue_power_class has no entry for band {b.name!r}")
    return PuschLink(
        ue_power_dbm=POWER_CLASS_DBM[power_class], ue_antenna_gain_dbi=u.ue_antenna_gain_dbi,
        body_loss_db=u.body_loss_db, n_prb=u.n_prb or 20, scs_khz=b.scs_khz, ul_share=share,
        gnb_rx_gain_dbi=preset.traffic_gain_dbi, gnb_cable_loss_db=preset.cable_loss_db,
        gnb_noise_figure_db=preset.ul_noise_figure_db, interference_margin_db=preset.ul_interference_margin_db,
        edge_rate_mbps=u.edge_rate_mbps, mapping=u.mapping,
    )


@functools.lru_cache(maxsize=256)
def _mapl(link: PuschLink, n_prb_max: int, best: bool) -> tuple[float, int]:
    if best:
        n, m = pusch_best_prbs(link, n_prb_max=n_prb_max)
        return float(m), int(n)
    return float(pusch_mapl_db(link)), int(link.n_prb)


def ul_mapl_db(radio: RadioConfig, preset: SiteTypePreset, band: str) -> tuple[float, int]:
    """PUSCH MAPL before margins and building loss [dB], and the PRBs of the edge allocation it assumes
    (``radio.uplink.n_prb``, or the best allocation when 0)."""
    link = pusch_link(radio, preset, band)
    return _mapl(link, get_band(band).n_prb, radio.uplink.n_prb == 0)


def ul_floor_offset_db(radio: RadioConfig, preset: SiteTypePreset, band: str) -> float:
    """``M_out - MAPL_UL`` [dB]: a sector's SS-RSRP must reach its RSRP budget plus this for its uplink to
    carry the edge rate (module notes)."""
    return outdoor_margin_db(radio, preset.model) - ul_mapl_db(radio, preset, band)[0]


def _dl_mapl_db(radio: RadioConfig, preset: SiteTypePreset) -> float:
    """SS-RSRP MAPL before margins and building loss [dB]: P_RE + G - L_cable - L_body - threshold."""
    return (preset.tx_power_per_re_dbm + preset.antenna_gain_dbi - preset.cable_loss_db - radio.body_loss_db
            - radio.rsrp_threshold_dbm)


def dimensioning(radio: RadioConfig, site_type: str, band: str, *, area_km2: float | None = None,
                 indoor_losses: dict[str, float] | None = None) -> dict:
    """A planner's sanity check of one (band, site type): the downlink (SS-RSRP) and uplink (PUSCH) budgets, the
    cell range and inter-site distance each implies in the model's NLOS median, the limiting link and the sites
    that tile ``area_km2``; outdoors and for each indoor loss of ``indoor_losses`` (name -> loss [dB] including
    the extra indoor margin). An indoor system (site type ``"indoor"``) serves only its own building, without
    O2I loss, so it has one case, ``"own_building"``: the range of one antenna head, and no site density or sites
    for the area.
    """
    p = radio.preset(site_type, band)
    b = get_band(band)
    m_out = outdoor_margin_db(radio, p.model)
    dl0 = _dl_mapl_db(radio, p)
    ul0, n_prb = ul_mapl_db(radio, p, band)
    sectors = 3 if len(p.azimuths_deg) >= 3 else 1
    own_building = site_type == "indoor"
    # The engine evaluates an indoor system in its own building without O2I loss (coverage.engine), so the
    # outdoor and O2I cases would describe ranges it never uses.
    cases = {"own_building": 0.0} if own_building else {"outdoor": 0.0, **(indoor_losses or {})}
    layout = "per antenna head, in its own building" if own_building else f"sectors {sectors}, hexagonal layout"
    out = {
        "band": b.name, "site_type": site_type, "model": p.model, "height_m": p.height_m,
        "range_model": f"{p.model} NLOS median (TR 38.901), {layout}",
        "shadow_margin_db": round(m_out, 2),
        "downlink": {"tx_power_per_re_dbm": p.tx_power_per_re_dbm, "ssb_gain_dbi": p.antenna_gain_dbi,
                     "cable_loss_db": p.cable_loss_db, "body_loss_db": radio.body_loss_db,
                     "rsrp_threshold_dbm": radio.rsrp_threshold_dbm, "mapl_before_margins_db": round(dl0, 2)},
        "uplink": {k: (round(v, 4) if isinstance(v, float) else v)
                   for k, v in pusch_budget_lines(dataclasses.replace(pusch_link(radio, p, band),
                                                                      n_prb=n_prb)).items()},
        "cases": {},
    }
    out["uplink"]["ue_power_class"] = radio.uplink.ue_power_class.get(b.name)
    out["uplink"]["duplex"] = radio.uplink.duplex.get(b.name)
    for name, loss in cases.items():
        dim = dimension_cell(dl0 - m_out - loss, ul0 - m_out - loss, model=p.model, freq_ghz=b.freq_ghz,
                             h_bs_m=p.height_m, h_ut_m=radio.ue_height_m, los=False, sectors=sectors,
                             area_km2=None if own_building else area_km2)
        out["cases"][name] = {
            "loss_db": round(float(loss), 2),
            "dl_mapl_db": round(dim.dl_mapl_db, 2), "ul_mapl_db": round(dim.ul_mapl_db, 2),
            "ul_headroom_db": round(dim.ul_headroom_db, 2), "limiting_link": dim.limiting,
            "dl_range_m": round(dim.dl_range_m, 1), "ul_range_m": round(dim.ul_range_m, 1),
            "range_m": round(dim.range_m, 1), "isd_m": round(dim.isd_m, 1),
            # An indoor system's heads are spaced per building, not tiled over the district: no site density.
            "sites_per_km2": (round(1.0 / (math.sqrt(3.0) / 2.0 * dim.isd_m**2 / 1e6), 2)
                              if dim.isd_m > 0 and not own_building else None),
            "sites_for_area": dim.sites,
        }
    return out

