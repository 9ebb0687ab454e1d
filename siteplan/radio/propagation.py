"""Published path-loss models over numpy arrays, the TR 38.901 LOS probabilities, and a dispatcher.

Models (one function each; all return path loss [dB], shape of the broadcast inputs):

=========  =================================  ==================  =================  ===================
model      function                           freq_ghz            h_bs_m             h_ut_m
=========  =================================  ==================  =================  ===================
``uma``    :func:`uma_38901`                  0.5-100             10-60 (nom. 25)    1.5-22.5
``umi``    :func:`umi_street_canyon_38901`    0.5-100             4-25 (nom. 10)     1.5-22.5
``rma``    :func:`rma_38901`                  0.5-30              10-150             1-10
``inh``    :func:`inh_office_38901`           0.5-100             1-10               0.5-10
``cost231``:func:`cost231_hata`               0.15-2.0            30-200             1-10
``fspl``   :func:`fspl`                       > 0                 >= 0               >= 0
=========  =================================  ==================  =================  ===================

TR 38.901 (v16/v17, Table 7.4.1-1) gives one nominal BS height for UMa (25 m) and UMi (10 m); its formulas use
the height only through the 3D distance and the breakpoint distance. siteplan accepts the planning ranges above
around those nominal heights (macro rooftops/towers 20-40 m, lamp/monitoring poles 6-15 m) and refuses heights
outside them with :class:`~siteplan.errors.RadioConfigError` naming the setting, as it does for frequencies.

Distances: below the model's minimum 2D distance (10 m for UMa/UMi/RMa, 20 m for COST-231 Hata, 1 m for FSPL)
the distance is clamped to that minimum, so path loss is flat there rather than falling towards zero; for InH
the 3D distance is clamped to 1 m. Beyond the published maximum (UMa/UMi 5 km, RMa LOS 10 km / NLOS 5 km,
InH 150 m, COST-231 Hata 20 km) the formula is extrapolated unchanged; the coverage engine never evaluates
sites farther than ``radio.max_reach_m`` anyway. COST-231 Hata is published for d >= 1 km: between 20 m and 1 km
it is an extrapolation, used by planners all the same.

Examples
--------
>>> round(float(uma_38901(100.0, freq_ghz=5.0, h_bs_m=25.0, h_ut_m=1.5, los=True)), 4)
86.2362
>>> round(float(los_probability("umi", 50.0, 1.5)), 6)
0.519585
"""

from __future__ import annotations

import numpy as np

from ..errors import RadioConfigError

__all__ = [
    "LOS_SCENARIOS",
    "MODELS",
    "MODEL_FUNCTIONS",
    "SPEED_OF_LIGHT_38901",
    "VALIDITY",
    "check_model_inputs",
    "cost231_hata",
    "fspl",
    "inh_office_38901",
    "los_from_mode",
    "los_probability",
    "model_scenario",
    "path_loss",
    "rma_38901",
    "uma_38901",
    "umi_street_canyon_38901",
]

#: TR 38.901 computes breakpoint distances with c = 3.0e8 m/s; FSPL uses the exact value.
SPEED_OF_LIGHT_38901 = 3.0e8
_C_EXACT = 299_792_458.0

MODELS = ("uma", "umi", "rma", "inh", "cost231", "fspl")

#: LOS-probability scenarios of TR 38.901 Table 7.4.2-1 (``inh`` = InH mixed office).
LOS_SCENARIOS = ("uma", "umi", "rma", "inh", "inh_mixed", "inh_open")

#: Accepted input ranges per model: freq_ghz, h_bs_m, h_ut_m (inclusive) and the clamp distance [m].
VALIDITY: dict[str, dict[str, tuple[float, float] | float]] = {
    "uma": {"freq_ghz": (0.5, 100.0), "h_bs_m": (10.0, 60.0), "h_ut_m": (1.5, 22.5), "min_distance_m": 10.0},
    "umi": {"freq_ghz": (0.5, 100.0), "h_bs_m": (4.0, 25.0), "h_ut_m": (1.5, 22.5), "min_distance_m": 10.0},
    "rma": {"freq_ghz": (0.5, 30.0), "h_bs_m": (10.0, 150.0), "h_ut_m": (1.0, 10.0), "min_distance_m": 10.0},
    "inh": {"freq_ghz": (0.5, 100.0), "h_bs_m": (1.0, 10.0), "h_ut_m": (0.5, 10.0), "min_distance_m": 1.0},
    "cost231": {"freq_ghz": (0.15, 2.0), "h_bs_m": (30.0, 200.0), "h_ut_m": (1.0, 10.0), "min_distance_m": 20.0},
    "fspl": {"freq_ghz": (1e-6, np.inf), "h_bs_m": (0.0, np.inf), "h_ut_m": (0.0, np.inf), "min_distance_m": 1.0},
}

_MODEL_SCENARIO = {"uma": "uma", "umi": "umi", "rma": "rma", "inh": "inh"}


def _arr(x) -> np.ndarray:
    """float64 array, except that float32 input stays float32 (the coverage kernel's fast path)."""
    a = np.asarray(x)
    return a if a.dtype == np.float32 else a.astype(np.float64, copy=False)


def _inputs(distance_2d_m, h_bs_m, h_ut_m, freq_ghz):
    """Distance, heights and frequency in the distance's float dtype (so float32 stays float32 throughout)."""
    d = _arr(distance_2d_m)
    dt = d.dtype.type
    return d, np.asarray(h_bs_m, dtype=dt), np.asarray(h_ut_m, dtype=dt), dt(freq_ghz)


def check_model_inputs(model: str, *, freq_ghz, h_bs_m, h_ut_m, where: str = "radio") -> None:
    """Raise :class:`RadioConfigError` if ``model`` is unknown or a height/frequency is outside its range.

    Parameters
    ----------
    model : str
        One of :data:`MODELS`.
    freq_ghz, h_bs_m, h_ut_m : float or array_like
        Carrier frequency [GHz], BS and UT antenna heights [m]; arrays are checked element-wise.
    where : str
        Prefix naming the setting's origin in the message (e.g. ``"radio.site_types.macro"``).
    """
    if model not in VALIDITY:
        raise RadioConfigError(f"{where}: invalid model {model!r}; expected one of: {', '.join(MODELS)}")
    lim = VALIDITY[model]
    for name, value, unit in (("freq_ghz", freq_ghz, "GHz"), ("h_bs_m", h_bs_m, "m"), ("h_ut_m", h_ut_m, "m")):
        v = _arr(value)
        lo, hi = lim[name]  # type: ignore[misc]
        if v.size == 0:
            continue
        if not np.all(np.isfinite(v)):
            raise RadioConfigError(f"{where}: {name} must be a finite number for model {model!r}, got {value!r}")
        bad = v[(v < lo) | (v > hi)]
        if bad.size:
            raise RadioConfigError(
                f"{where}: {name} = {float(bad.flat[0]):g} {unit} is outside the {model!r} model's range "
                f"{lo:g}-{hi:g} {unit}"
            )


def _geometry(d, h_bs, h_ut, min_d_m: float):
    d2 = np.maximum(d, min_d_m)
    dh = h_bs - h_ut
    d3 = np.sqrt(d2 * d2 + dh * dh)
    return d2, d3


def _select_los(pl_los, pl_nlos, los, p_los):
    """Combine LOS/NLOS path loss by the requested LOS state."""
    if los is True:
        return pl_los
    if los is False:
        return pl_nlos
    if los == "weighted":
        # Expected path loss in dB over the LOS state: conservative; see path_loss.
        return pl_nlos - p_los() * (pl_nlos - pl_los)
    if los == "weighted_linear":
        p = p_los()
        return -10.0 * np.log10(p * 10.0 ** (-pl_los / 10.0) + (1.0 - p) * 10.0 ** (-pl_nlos / 10.0))
    raise RadioConfigError(f"radio: invalid los {los!r}; expected True, False, 'weighted' or 'weighted_linear'")


def uma_38901(distance_2d_m, *, freq_ghz: float, h_bs_m=25.0, h_ut_m=1.5, los=True) -> np.ndarray:
    """3GPP TR 38.901 Urban Macro (UMa) path loss [dB], Table 7.4.1-1.

    LOS: PL1 = 28.0 + 22 log10(d3D) + 20 log10(fc) up to the breakpoint d'BP, then
    PL2 = 28.0 + 40 log10(d3D) + 20 log10(fc) - 9 log10(d'BP^2 + (hBS - hUT)^2), with
    d'BP = 4 (hBS - hE)(hUT - hE) fc / c. NLOS = max(PL_LOS, PL'_NLOS) with
    PL'_NLOS = 13.54 + 39.08 log10(d3D) + 20 log10(fc) - 0.6 (hUT - 1.5).

    The effective environment height hE is 1 m: TR 38.901 Note 1 draws hE = 1 m with probability
    1 / (1 + C(d2D, hUT)), and C = 0 for hUT < 13 m, so for street-level users this deterministic planning
    value is exact; for higher UTs it is the most likely value.

    Parameters
    ----------
    distance_2d_m : array_like
        Horizontal BS-UT distance [m]; clamped to >= 10 m.
    freq_ghz : float
        Carrier frequency [GHz].
    h_bs_m, h_ut_m : float or array_like
        Antenna heights [m].
    los : bool or str
        True, False, "weighted" or "weighted_linear" (see :func:`path_loss`).
    """
    d, h_bs, h_ut, fc = _inputs(distance_2d_m, h_bs_m, h_ut_m, freq_ghz)
    d2, d3 = _geometry(d, h_bs, h_ut, 10.0)
    lf = 20.0 * np.log10(fc)
    ld = np.log10(d3)
    h_e = 1.0
    d_bp = 4.0 * (h_bs - h_e) * (h_ut - h_e) * fc * 1e9 / SPEED_OF_LIGHT_38901
    pl1 = 28.0 + 22.0 * ld + lf
    pl2 = 28.0 + 40.0 * ld + lf - 9.0 * np.log10(d_bp * d_bp + (h_bs - h_ut) ** 2)
    pl_los = np.where(d2 <= d_bp, pl1, pl2)
    if los is True:
        return pl_los
    pl_nlos = np.maximum(pl_los, 13.54 + 39.08 * ld + lf - 0.6 * (h_ut - 1.5))
    return _select_los(pl_los, pl_nlos, los, lambda: los_probability("uma", d2, h_ut))


def umi_street_canyon_38901(distance_2d_m, *, freq_ghz: float, h_bs_m=10.0, h_ut_m=1.5, los=True) -> np.ndarray:
    """3GPP TR 38.901 Urban Micro street canyon (UMi) path loss [dB], Table 7.4.1-1.

    LOS: PL1 = 32.4 + 21 log10(d3D) + 20 log10(fc) up to d'BP (hE = 1 m), then
    PL2 = 32.4 + 40 log10(d3D) + 20 log10(fc) - 9.5 log10(d'BP^2 + (hBS - hUT)^2).
    NLOS = max(PL_LOS, PL'_NLOS), PL'_NLOS = 35.3 log10(d3D) + 22.4 + 21.3 log10(fc) - 0.3 (hUT - 1.5).
    Distances below 10 m clamp to 10 m. Parameters as :func:`uma_38901`.
    """
    d, h_bs, h_ut, fc = _inputs(distance_2d_m, h_bs_m, h_ut_m, freq_ghz)
    d2, d3 = _geometry(d, h_bs, h_ut, 10.0)
    lf = 20.0 * np.log10(fc)
    ld = np.log10(d3)
    d_bp = 4.0 * (h_bs - 1.0) * (h_ut - 1.0) * fc * 1e9 / SPEED_OF_LIGHT_38901
    pl1 = 32.4 + 21.0 * ld + lf
    pl2 = 32.4 + 40.0 * ld + lf - 9.5 * np.log10(d_bp * d_bp + (h_bs - h_ut) ** 2)
    pl_los = np.where(d2 <= d_bp, pl1, pl2)
    if los is True:
        return pl_los
    pl_nlos = np.maximum(pl_los, 35.3 * ld + 22.4 + 21.3 * np.log10(fc) - 0.3 * (h_ut - 1.5))
    return _select_los(pl_los, pl_nlos, los, lambda: los_probability("umi", d2, h_ut))


def rma_38901(
    distance_2d_m,
    *,
    freq_ghz: float,
    h_bs_m=35.0,
    h_ut_m=1.5,
    los=True,
    building_height_m: float = 5.0,
    street_width_m: float = 20.0,
) -> np.ndarray:
    """3GPP TR 38.901 Rural Macro (RMa) path loss [dB], Table 7.4.1-1, with the standard's defaults h = 5 m, W = 20 m.

    LOS: PL1 = 20 log10(40 pi d3D fc / 3) + min(0.03 h^1.72, 10) log10(d3D) - min(0.044 h^1.72, 14.77)
    + 0.002 log10(h) d3D up to dBP = 2 pi hBS hUT fc / c, then PL2 = PL1(dBP) + 40 log10(d3D / dBP).
    NLOS = max(PL_LOS, PL'_NLOS) with PL'_NLOS = 161.04 - 7.1 log10(W) + 7.5 log10(h)
    - (24.37 - 3.7 (h/hBS)^2) log10(hBS) + (43.42 - 3.1 log10(hBS)) (log10(d3D) - 3) + 20 log10(fc)
    - (3.2 (log10(11.75 hUT))^2 - 4.97).

    Parameters
    ----------
    building_height_m : float
        Average building height h [m], 5-50.
    street_width_m : float
        Average street width W [m], 5-50.
    """
    for name, v in (("building_height_m", building_height_m), ("street_width_m", street_width_m)):
        if not 5.0 <= v <= 50.0:
            raise RadioConfigError(f"radio: {name} = {v:g} m is outside the 'rma' model's range 5-50 m")
    d, h_bs, h_ut, fc = _inputs(distance_2d_m, h_bs_m, h_ut_m, freq_ghz)
    d2, d3 = _geometry(d, h_bs, h_ut, 10.0)
    h, w = float(building_height_m), float(street_width_m)
    d_bp = 2.0 * np.pi * h_bs * h_ut * fc * 1e9 / SPEED_OF_LIGHT_38901

    def pl1(d):
        return (
            20.0 * np.log10(40.0 * np.pi * d * fc / 3.0)
            + min(0.03 * h**1.72, 10.0) * np.log10(d)
            - min(0.044 * h**1.72, 14.77)
            + 0.002 * np.log10(h) * d
        )

    # PL2 is anchored at the breakpoint's 3D distance so the two pieces meet.
    d_bp3 = np.sqrt(d_bp * d_bp + (h_bs - h_ut) ** 2)
    pl_los = np.where(d2 <= d_bp, pl1(d3), pl1(d_bp3) + 40.0 * np.log10(d3 / d_bp3))
    if los is True:
        return pl_los
    ld = np.log10(d3)
    pl_nlos_p = (
        161.04
        - 7.1 * np.log10(w)
        + 7.5 * np.log10(h)
        - (24.37 - 3.7 * (h / h_bs) ** 2) * np.log10(h_bs)
        + (43.42 - 3.1 * np.log10(h_bs)) * (ld - 3.0)
        + 20.0 * np.log10(fc)
        - (3.2 * np.log10(11.75 * h_ut) ** 2 - 4.97)
    )
    pl_nlos = np.maximum(pl_los, pl_nlos_p)
    return _select_los(pl_los, pl_nlos, los, lambda: los_probability("rma", d2, h_ut))


def inh_office_38901(distance_2d_m, *, freq_ghz: float, h_bs_m=3.0, h_ut_m=1.0, los=True) -> np.ndarray:
    """3GPP TR 38.901 Indoor Hotspot office (InH) path loss [dB], Table 7.4.1-1.

    LOS: 32.4 + 17.3 log10(d3D) + 20 log10(fc). NLOS = max(PL_LOS, 38.3 log10(d3D) + 17.30 + 24.9 log10(fc)).
    Valid for 1 <= d3D <= 150 m; d3D clamps to >= 1 m. The weighted mode uses the mixed-office LOS probability.
    """
    d, h_bs, h_ut, fc = _inputs(distance_2d_m, h_bs_m, h_ut_m, freq_ghz)
    d2 = np.maximum(d, 0.0)
    dh = h_bs - h_ut
    d3 = np.maximum(np.sqrt(d2 * d2 + dh * dh), 1.0)
    ld = np.log10(d3)
    pl_los = 32.4 + 17.3 * ld + 20.0 * np.log10(fc)
    if los is True:
        return pl_los
    pl_nlos = np.maximum(pl_los, 38.3 * ld + 17.30 + 24.9 * np.log10(fc))
    return _select_los(pl_los, pl_nlos, los, lambda: los_probability("inh_mixed", d2, h_ut))


def cost231_hata(
    distance_2d_m, *, freq_ghz: float, h_bs_m=30.0, h_ut_m=1.5, los=True, city: str = "large"
) -> np.ndarray:
    """Okumura-Hata / COST-231 Hata urban path loss [dB] (COST 231 Final Report, ch. 4.4.1).

    L = A + B log10(f) - 13.82 log10(hb) - a(hm) + (44.9 - 6.55 log10(hb)) log10(d_km) + Cm, with
    A, B = 46.3, 33.9 for 1500 < f <= 2000 MHz (COST-231) and 69.55, 26.16 for 150-1500 MHz (Hata, Cm = 0).
    ``city="large"`` (metropolitan centre): a(hm) = 3.2 (log10(11.75 hm))^2 - 4.97 and Cm = 3 dB;
    ``city="medium"`` (medium-sized city, suburban centre): a(hm) = (1.1 log10 f - 0.7) hm - (1.56 log10 f - 0.8),
    Cm = 0. The LOS state does not apply (an empirical median); ``los`` is accepted and ignored.
    Distance: 2D [m], clamped to >= 20 m; the model is published for 1-20 km.
    """
    if city not in ("large", "medium"):
        raise RadioConfigError(f"radio: invalid cost231 city {city!r}; expected 'large' or 'medium'")
    d, hb, hm, fc = _inputs(distance_2d_m, h_bs_m, h_ut_m, freq_ghz)
    d_km = np.maximum(d, 20.0) / 1000.0
    f = fc * 1000.0
    lf = np.log10(f)
    if city == "large":
        a_hm = 3.2 * np.log10(11.75 * hm) ** 2 - 4.97
    else:
        a_hm = (1.1 * lf - 0.7) * hm - (1.56 * lf - 0.8)
    if f > 1500.0:
        a, b, cm = 46.3, 33.9, (3.0 if city == "large" else 0.0)
    else:
        a, b, cm = 69.55, 26.16, 0.0
    return a + b * lf - 13.82 * np.log10(hb) - a_hm + (44.9 - 6.55 * np.log10(hb)) * np.log10(d_km) + cm


def fspl(distance_2d_m, *, freq_ghz: float, h_bs_m=0.0, h_ut_m=0.0, los=True) -> np.ndarray:
    """Free-space path loss 20 log10(4 pi d3D f / c) [dB] (Friis); d3D clamps to >= 1 m; ``los`` is ignored."""
    d, h_bs, h_ut, fc = _inputs(distance_2d_m, h_bs_m, h_ut_m, freq_ghz)
    d2 = np.maximum(d, 0.0)
    dh = h_bs - h_ut
    d3 = np.maximum(np.sqrt(d2 * d2 + dh * dh), 1.0)
    return 20.0 * np.log10(d3 * (fc * (4.0e9 * np.pi / _C_EXACT)))


def los_probability(scenario: str, d2d_m, h_ut_m=1.5) -> np.ndarray:
    """LOS probability of 3GPP TR 38.901 Table 7.4.2-1 (outdoor users: d2D-out = d2D).

    ========== ==========================================================================================
    rma        1 if d <= 10 m, else exp(-(d - 10) / 1000)
    umi        1 if d <= 18 m, else 18/d + exp(-d/36) (1 - 18/d)
    uma        1 if d <= 18 m, else [18/d + exp(-d/63)(1 - 18/d)] (1 + C'(hUT) 5/4 (d/100)^3 exp(-d/150)),
               C'(hUT) = 0 for hUT <= 13 m, ((hUT - 13)/10)^1.5 for 13 < hUT <= 23 m
    inh_mixed  1 if d <= 1.2 m; exp(-(d - 1.2)/4.7) if d < 6.5 m; else 0.32 exp(-(d - 6.5)/32.6)
    inh_open   1 if d <= 5 m; exp(-(d - 5)/70.8) if d <= 49 m; else 0.54 exp(-(d - 49)/211.7)
    ========== ==========================================================================================

    ``inh`` is the mixed office. Returns an array of probabilities in [0, 1].
    """
    d = np.maximum(_arr(d2d_m), 0.0)
    if scenario == "rma":
        return np.where(d <= 10.0, 1.0, np.exp(-(d - 10.0) / 1000.0))
    if scenario in ("umi", "uma"):
        d2 = 63.0 if scenario == "uma" else 36.0
        ds = np.maximum(d, 18.0)  # avoids 18/0; values at d <= 18 are replaced by 1 below
        p = 18.0 / ds + np.exp(-ds / d2) * (1.0 - 18.0 / ds)
        if scenario == "uma":
            h = np.asarray(h_ut_m, dtype=d.dtype)
            if np.any(h > 13.0):  # C'(hUT) = 0 for street-level users: skip the second exp
                c = np.where(h <= 13.0, 0.0, (np.clip(h, 13.0, 23.0) - 13.0) / 10.0) ** 1.5
                p = p * (1.0 + c * 1.25 * (ds / 100.0) ** 3 * np.exp(-ds / 150.0))
        return np.where(d <= 18.0, 1.0, p)
    if scenario in ("inh", "inh_mixed"):
        return np.where(
            d <= 1.2, 1.0, np.where(d < 6.5, np.exp(-(d - 1.2) / 4.7), 0.32 * np.exp(-(d - 6.5) / 32.6))
        )
    if scenario == "inh_open":
        return np.where(
            d <= 5.0, 1.0, np.where(d <= 49.0, np.exp(-(d - 5.0) / 70.8), 0.54 * np.exp(-(d - 49.0) / 211.7))
        )
    raise RadioConfigError(f"radio: invalid LOS scenario {scenario!r}; expected one of: {', '.join(LOS_SCENARIOS)}")


#: Model name -> its function (no input checks; :func:`path_loss` checks first).
MODEL_FUNCTIONS = {
    "uma": uma_38901,
    "umi": umi_street_canyon_38901,
    "rma": rma_38901,
    "inh": inh_office_38901,
    "cost231": cost231_hata,
    "fspl": fspl,
}


def path_loss(model: str, distance_2d_m, *, freq_ghz: float, h_bs_m, h_ut_m, los=True, **kwargs) -> np.ndarray:
    """Path loss [dB] of a named model; checks the model and its input ranges first.

    Parameters
    ----------
    model : str
        ``"uma"``, ``"umi"``, ``"rma"``, ``"inh"``, ``"cost231"`` or ``"fspl"``.
    distance_2d_m : array_like
        Horizontal distance [m].
    freq_ghz : float
        Carrier frequency [GHz].
    h_bs_m, h_ut_m : float or array_like
        BS and UT antenna heights [m].
    los : bool or str
        ``True`` (LOS), ``False`` (NLOS, i.e. max(LOS, NLOS') as TR 38.901 defines it), ``"weighted"``:
        the expected path loss **in dB** over the LOS state, p PL_LOS + (1 - p) PL_NLOS with p from
        :func:`los_probability`; ``"weighted_linear"``: -10 log10(p 10^(-PL_LOS/10) + (1 - p) 10^(-PL_NLOS/10)),
        the mean received power. siteplan plans with the dB weighting: it is monotone in distance and
        conservative, while the linear mean lets the rare LOS state dominate beyond a few hundred metres
        (a 3.5 GHz macro would "reach" ~1 km in a dense city). COST-231 Hata and FSPL ignore ``los``.
    **kwargs
        Model-specific options (``city`` for cost231; ``building_height_m``, ``street_width_m`` for rma).

    Raises
    ------
    RadioConfigError
        ``invalid model 'x'`` for an unknown model; a height or frequency outside the model's range.
    """
    if model not in MODEL_FUNCTIONS:
        raise RadioConfigError(f"radio: invalid model {model!r}; expected one of: {', '.join(MODELS)}")
    if los not in (True, False, "weighted", "weighted_linear"):
        raise RadioConfigError(f"radio: invalid los {los!r}; expected True, False, 'weighted' or 'weighted_linear'")
    check_model_inputs(model, freq_ghz=freq_ghz, h_bs_m=h_bs_m, h_ut_m=h_ut_m)
    return MODEL_FUNCTIONS[model](distance_2d_m, freq_ghz=freq_ghz, h_bs_m=h_bs_m, h_ut_m=h_ut_m, los=los, **kwargs)


def los_from_mode(los_mode: str):
    """Map ``radio.los_mode`` (``"los_weighted"``, ``"los_weighted_linear"``, ``"los"``, ``"nlos"``) to ``los``."""
    table = {"los_weighted": "weighted", "los_weighted_linear": "weighted_linear", "los": True, "nlos": False}
    if los_mode not in table:
        raise RadioConfigError(
            f"radio.los_mode = {los_mode!r}: expected one of: {', '.join(table)}"
        )
    return table[los_mode]


def model_scenario(model: str) -> str | None:
    """The LOS-probability scenario a path-loss model uses (None for COST-231 Hata and FSPL)."""
    return _MODEL_SCENARIO.get(model)
