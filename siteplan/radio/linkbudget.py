"""Downlink link budget per resource element: band presets, SS-RSRP, noise, range, EMF distance.

SS-RSRP of a sector at a UE [dBm] (per resource element, as RSRP is defined)::

    RSRP = P_RE + G_peak + A(pattern) - L_cable - PL(d) - L_body - M_shadow [- L_penetration for indoor]

with ``P_RE`` (``tx_power_per_re_dbm``), ``G_peak`` (``antenna_gain_dbi``, the SS/PBCH beam) and ``L_cable`` from
the site type's :class:`~siteplan.config.SiteTypePreset`, body loss from :class:`~siteplan.config.RadioConfig`,
and the shadowing margin and building loss from :mod:`siteplan.radio.budgets` (per model, per building class
and band). Noise per RE is ``kT0 * SCS * NF``.

Examples
--------
>>> round(noise_per_re_dbm("n78", noise_figure_db=7.0), 1)
-122.2
>>> round(float(emf_compliance_distance_m(62.0, 3500.0, 0.2)), 2)
36.76
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..config import RadioConfig, SiteTypePreset
from ..errors import RadioConfigError
from . import propagation as _prop

__all__ = [
    "BANDS",
    "Band",
    "budget_db",
    "check_radio",
    "emf_compliance_distance_m",
    "emf_power_density_limit_w_m2",
    "get_band",
    "max_range_from_budget_m",
    "max_range_m",
    "noise_per_re_dbm",
    "power_per_re_dbm",
    "radio_parameters",
    "resource_elements",
    "rsrp_dbm",
]

#: Boltzmann constant [J/K] and the reference noise temperature T0 = 290 K.
_K_BOLTZMANN = 1.380649e-23
_T0_K = 290.0


@dataclass(frozen=True)
class Band:
    """A 5G NR carrier preset."""

    name: str
    #: Downlink carrier centre frequency [MHz].
    freq_mhz: float
    bandwidth_mhz: float
    scs_khz: float
    #: Transmission bandwidth in PRBs (TS 38.104 Table 5.3.2-1) for this bandwidth and SCS.
    n_prb: int
    duplex: str

    @property
    def freq_ghz(self) -> float:
        return self.freq_mhz / 1000.0


#: Chinese 5G carriers as usually deployed (TS 38.104 Table 5.3.2-1 for the PRB counts).
BANDS: dict[str, Band] = {
    # China Telecom / China Unicom shared 3400-3600 MHz; one 100 MHz carrier at 30 kHz SCS.
    "n78": Band("n78", 3500.0, 100.0, 30.0, 273, "TDD"),
    # China Mobile 2515-2675 MHz; the usual 100 MHz carrier at 30 kHz SCS.
    "n41": Band("n41", 2600.0, 100.0, 30.0, 273, "TDD"),
    # China Mobile 4800-4900 MHz; 100 MHz at 30 kHz SCS (centre 4.85 GHz, named "4.9 GHz" in plans).
    "n79": Band("n79", 4900.0, 100.0, 30.0, 273, "TDD"),
    # China Broadnet / China Mobile 700 MHz FDD: 2 x 30 MHz, downlink 758-788 MHz, 15 kHz SCS.
    "n28": Band("n28", 773.0, 30.0, 15.0, 160, "FDD"),
}


def get_band(band: str | Band) -> Band:
    """Look up a band preset; raise :class:`RadioConfigError` naming an unknown band."""
    if isinstance(band, Band):
        return band
    key = str(band).strip().lower()
    if key not in BANDS:
        raise RadioConfigError(f"radio.band = {band!r}: unknown band; expected one of: {', '.join(BANDS)}")
    return BANDS[key]


def resource_elements(band: str | Band) -> int:
    """Subcarriers (resource elements per OFDM symbol) of the carrier: 12 per PRB."""
    return 12 * get_band(band).n_prb


def power_per_re_dbm(total_power_dbm: float, band: str | Band) -> float:
    """Transmit power per RE [dBm] when ``total_power_dbm`` is spread evenly over the carrier."""
    return float(total_power_dbm) - 10.0 * math.log10(resource_elements(band))


def noise_per_re_dbm(band: str | Band, *, noise_figure_db: float) -> float:
    """Thermal noise in one subcarrier plus the UE noise figure [dBm]: 10 log10(k T0 SCS 1000) + NF."""
    scs_hz = get_band(band).scs_khz * 1e3
    return 10.0 * math.log10(_K_BOLTZMANN * _T0_K * scs_hz * 1e3) + float(noise_figure_db)


def budget_db(preset: SiteTypePreset, radio: RadioConfig, *, indoor: bool = False, band: str | Band | None = None,
              penetration_db: float | None = None) -> float:
    """Everything in the RSRP budget except path loss and the antenna pattern [dB].

    ``P_RE + G - L_cable - L_body - M_shadow(model)`` (:func:`siteplan.radio.budgets.outdoor_margin_db`); with
    ``indoor``, minus ``penetration_db`` or, when None, the indoor loss of a generic building on ``band``
    (default ``radio.band``; :func:`siteplan.radio.budgets.reference_indoor_loss_db`).
    """
    from .budgets import outdoor_margin_db, reference_indoor_loss_db

    b = preset.tx_power_per_re_dbm + preset.antenna_gain_dbi - preset.cable_loss_db
    b -= radio.body_loss_db + outdoor_margin_db(radio, preset.model)
    if indoor:
        band_name = get_band(band if band is not None else radio.band).name
        b -= reference_indoor_loss_db(radio, band_name) if penetration_db is None else penetration_db
    return float(b)


def rsrp_dbm(
    distance_2d_m,
    *,
    preset: SiteTypePreset,
    radio: RadioConfig,
    band: str | Band | None = None,
    h_bs_m=None,
    pattern_db=0.0,
    indoor: bool = False,
    los=None,
) -> np.ndarray:
    """SS-RSRP [dBm] from one sector at horizontal distances [m].

    Parameters
    ----------
    preset : SiteTypePreset
        Power, gain, cable loss, model and default height of the site type.
    radio : RadioConfig
        Band (default), UE height, margins and LOS mode.
    band : str or Band, optional
        Carrier; default ``radio.band``.
    h_bs_m : float or array_like, optional
        Antenna height [m]; default the preset's.
    pattern_db : float or array_like
        Antenna pattern towards the UE relative to peak [dB] (0 for omni / boresight).
    indoor : bool
        Subtract a generic building's indoor loss on the band (see :func:`budget_db`).
    los : bool or str, optional
        LOS state; default from ``radio.los_mode``.
    """
    b = get_band(band if band is not None else radio.band)
    h = preset.height_m if h_bs_m is None else h_bs_m
    los_ = _prop.los_from_mode(radio.los_mode) if los is None else los
    pl = _prop.path_loss(preset.model, distance_2d_m, freq_ghz=b.freq_ghz, h_bs_m=h, h_ut_m=radio.ue_height_m, los=los_)
    return budget_db(preset, radio, indoor=indoor, band=b) + np.asarray(pattern_db, dtype=float) - pl


def max_range_from_budget_m(
    budget_db_,
    *,
    threshold_dbm: float,
    model: str,
    freq_ghz: float,
    h_bs_m,
    h_ut_m: float,
    los,
    d_max_m: float = 20_000.0,
    tol_m: float = 0.01,
) -> np.ndarray:
    """Largest 2D distance [m] at which ``budget - PL(d) >= threshold``, by vectorized bisection.

    Path loss is non-decreasing in distance for every model and LOS mode, so the covered set is an interval
    [0, r]. Returns 0 where even the clamp distance misses the threshold and ``d_max_m`` where the budget
    still clears it there. ``budget_db_`` and ``h_bs_m`` broadcast together.
    """
    budget, h_bs = np.broadcast_arrays(np.asarray(budget_db_, dtype=float), np.asarray(h_bs_m, dtype=float))
    _prop.check_model_inputs(model, freq_ghz=freq_ghz, h_bs_m=h_bs, h_ut_m=h_ut_m)

    def ok(d):
        pl = _prop.path_loss(model, d, freq_ghz=freq_ghz, h_bs_m=h_bs, h_ut_m=h_ut_m, los=los)
        return budget - pl >= threshold_dbm

    lo = np.zeros(budget.shape)
    hi = np.full(budget.shape, float(d_max_m))
    at_max = ok(hi)
    at_zero = ok(lo)
    # Bisection halves [0, d_max] until the bracket is below tol_m.
    n_iter = math.ceil(math.log2(max(d_max_m / tol_m, 2.0)))
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        good = ok(mid)
        lo = np.where(good, mid, lo)
        hi = np.where(good, hi, mid)
    r = np.where(at_max, float(d_max_m), np.where(at_zero, lo, 0.0))
    return r


def max_range_m(
    preset: SiteTypePreset,
    radio: RadioConfig,
    *,
    band: str | Band | None = None,
    h_bs_m=None,
    indoor: bool = False,
    threshold_dbm: float | None = None,
    los=None,
    d_max_m: float = 20_000.0,
) -> np.ndarray:
    """Range [m] at which a site type's RSRP (antenna peak gain) falls to the threshold.

    The peak gain makes it an upper bound for sectorized sites: no cell beyond it can be covered by the site
    alone. ``threshold_dbm`` defaults to ``radio.rsrp_threshold_dbm``. Returns a float array (0-d for scalars).
    """
    b = get_band(band if band is not None else radio.band)
    h = preset.height_m if h_bs_m is None else h_bs_m
    los_ = _prop.los_from_mode(radio.los_mode) if los is None else los
    thr = radio.rsrp_threshold_dbm if threshold_dbm is None else threshold_dbm
    return max_range_from_budget_m(
        budget_db(preset, radio, indoor=indoor, band=b),
        threshold_dbm=thr,
        model=preset.model,
        freq_ghz=b.freq_ghz,
        h_bs_m=h,
        h_ut_m=radio.ue_height_m,
        los=los_,
        d_max_m=d_max_m,
    )


def emf_power_density_limit_w_m2(freq_mhz) -> np.ndarray:
    """GB 8702-2014 Table 1 public-exposure limit, equivalent plane-wave power density S_eq [W/m^2].

    3-30 MHz: 12/f; 30-3000 MHz: 0.4; 3000-15000 MHz: f/7500; 15-300 GHz: 2 (f in MHz). The table's own
    formulas join continuously at its anchors (f/7500 = 0.4 at 3 GHz and 2 at 15 GHz), so they are used as
    written between them. Raises :class:`RadioConfigError` outside 3 MHz-300 GHz.
    """
    f = np.asarray(freq_mhz, dtype=float)
    if np.any(~np.isfinite(f)) or np.any((f < 3.0) | (f > 300_000.0)):
        raise RadioConfigError(f"freq_mhz = {freq_mhz!r}: GB 8702-2014 public limits are tabulated for 3 MHz-300 GHz")
    return np.select([f < 30.0, f <= 3000.0, f <= 15000.0], [12.0 / f, 0.4, f / 7500.0], 2.0)


def emf_compliance_distance_m(eirp_dbm, freq_mhz, limit_fraction: float = 1.0) -> np.ndarray:
    """Far-field main-beam compliance distance [m]: d = sqrt(EIRP / (4 pi S_lim limit_fraction)).

    Parameters
    ----------
    eirp_dbm : float or array_like
        Total EIRP of the carrier [dBm] (e.g. total power + antenna gain - cable loss).
    freq_mhz : float or array_like
        Carrier frequency [MHz].
    limit_fraction : float
        Fraction of the GB 8702-2014 limit the site is held to (``rules.emf_limit_fraction``, e.g. 0.2).

    A conservative screening figure: it ignores the vertical pattern, the tilt and time averaging.
    """
    if not 0.0 < float(limit_fraction) <= 1.0:
        raise RadioConfigError(f"rules.emf_limit_fraction = {limit_fraction!r}: expected a fraction in (0, 1]")
    eirp_w = 10.0 ** ((np.asarray(eirp_dbm, dtype=float) - 30.0) / 10.0)
    s_lim = emf_power_density_limit_w_m2(freq_mhz) * float(limit_fraction)
    return np.sqrt(eirp_w / (4.0 * np.pi * s_lim))


def check_radio(radio: RadioConfig, *, bands=()) -> None:
    """Check a radio config for values no link budget can use; raise :class:`RadioConfigError` naming the key.

    Checks the default band and every band in ``bands`` (e.g. the sites' band column), the LOS mode, margins,
    reach, and for each site type: model, power, beamwidths and its height against the model's range.
    """
    get_band(radio.band)
    for b in sorted({str(x) for x in bands}):
        if b.strip().lower() not in BANDS:
            raise RadioConfigError(f"site band {b!r}: unknown band; expected one of: {', '.join(BANDS)}")
    _prop.los_from_mode(radio.los_mode)
    for key in ("body_loss_db", "shadowing_margin_db", "indoor_margin_db", "indoor_penetration_db",
                "noise_figure_db"):
        v = getattr(radio, key)
        if v is None and key != "body_loss_db" and key != "noise_figure_db":
            continue
        if not (math.isfinite(v) and v >= 0.0):
            raise RadioConfigError(f"radio.{key} = {v!r}: expected a loss/margin >= 0 dB")
    if not radio.max_reach_m > 0.0:
        raise RadioConfigError(f"radio.max_reach_m = {radio.max_reach_m!r}: expected a distance > 0 m")
    if not radio.grid_resolution_m > 0.0:
        raise RadioConfigError(f"radio.grid_resolution_m = {radio.grid_resolution_m!r}: expected > 0 m")
    if not radio.site_types:
        raise RadioConfigError("radio.site_types: no site-type presets")
    freq_ghz = get_band(radio.band).freq_ghz
    for name, p in radio.site_types.items():
        where = f"radio.site_types.{name}"
        if p.model not in _prop.MODELS:
            raise RadioConfigError(f"{where}.model: invalid model {p.model!r}; expected one of: {', '.join(_prop.MODELS)}")
        if not (math.isfinite(p.total_power_dbm) and p.total_power_dbm >= 0.0):
            raise RadioConfigError(f"{where}.total_power_dbm = {p.total_power_dbm!r}: expected a transmit power >= 0 dBm")
        if not (math.isfinite(p.tx_power_per_re_dbm) and p.tx_power_per_re_dbm <= p.total_power_dbm):
            raise RadioConfigError(
                f"{where}.tx_power_per_re_dbm = {p.tx_power_per_re_dbm!r}: expected at most total_power_dbm "
                f"({p.total_power_dbm:g} dBm), since one RE carries a share of the carrier's power"
            )
        if p.cable_loss_db < 0.0 or p.front_to_back_db < 0.0:
            raise RadioConfigError(f"{where}: cable_loss_db and front_to_back_db must be >= 0 dB")
        for key in ("h_beamwidth_deg", "v_beamwidth_deg"):
            v = getattr(p, key)
            if not 0.0 < v <= 360.0:
                raise RadioConfigError(f"{where}.{key} = {v!r}: expected 0 < beamwidth <= 360 deg")
        _prop.check_model_inputs(p.model, freq_ghz=freq_ghz, h_bs_m=p.height_m, h_ut_m=radio.ue_height_m,
                                 where=f"{where} (height_m / radio.ue_height_m / radio.band)")


def radio_parameters(radio: RadioConfig) -> dict:
    """The radio settings a coverage result depends on, as plain data for summaries and raster tags."""
    d = dataclasses.asdict(radio)
    d["band_preset"] = dataclasses.asdict(get_band(radio.band))
    d["noise_per_re_dbm"] = noise_per_re_dbm(radio.band, noise_figure_db=radio.noise_figure_db)
    return d
