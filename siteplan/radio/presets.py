"""Plausibility of antenna and power presets: refuse what cannot exist; SSB beam scenarios of 64T64R units.

Bounds used (gain cannot exceed directivity, so these are upper bounds):

- **Omni antennas**: McDonald's approximation for the directivity of an omnidirectional (collinear) antenna
  from its vertical half-power beamwidth theta [deg], ``D = 101 / (theta - 0.0027 theta^2)``
  (N. A. McDonald, "Approximate relationship between directivity and beamwidth for broadside collinear arrays",
  IEEE Trans. Antennas Propag. 26(2), 1978; D. M. Pozar, IEEE AP Magazine 35(5), 1993, compares it with his
  ``-172.4 + 191 sqrt(0.818 + 1/theta)``). A 30 deg omni tops out at 5.64 dBi (Pozar: 5.83 dBi); a half-wave
  dipole (78 deg) at 2.15 dBi.
- **Sector and beam patterns**: Kraus's ``D = 41253 / (theta_h theta_v)`` (beamwidths in deg; J. D. Kraus,
  *Antennas*; Balanis, *Antenna Theory*, eq. 2-27), the directivity of a pencil beam with no side lobes, so an
  upper bound: a 65 x 10 deg panel tops out at 18.0 dBi, a 65 x 6.5 deg panel at 19.9 dBi (real ones: ~18 dBi).
  The practical 32400 / (theta_h theta_v) (Kraus) estimates typical gains.
- **Arrays**: ``G <= G_E + 10 log10(N)`` for N elements of gain G_E (TR 38.901 Table 7.3-1: G_E,max = 8 dBi).
- **Per-RE power**: SS/PBCH EPRE at most the carrier's total power spread evenly over its 12 n_PRB subcarriers,
  plus a boost allowance (default 6 dB: siteplan's assumption, as large as LTE's largest reference-signal boost,
  P_A = -6 dB in TS 36.213 §5.2, and vendors' SSB power boosting).

A tolerance (default 0.5 dB) absorbs rounded beamwidths and the formulas' approximation.

Examples
--------
>>> round(float(omni_directivity_dbi(30.0)), 2)
5.64
>>> round(float(sector_directivity_dbi(65.0, 10.0)), 2)
18.03
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import RadioConfigError
from ._validate import checked, positive

__all__ = [
    "PER_RE_BOOST_ALLOWANCE_DB",
    "SSB_BEAM_SCENARIOS",
    "BeamScenario",
    "array_max_gain_dbi",
    "check_preset",
    "max_gain_dbi",
    "omni_directivity_dbi",
    "preset_problems",
    "sector_directivity_dbi",
    "typical_gain_dbi",
]

#: Allowance for SS/PBCH power boosting above the even spread of the total power [dB] (assumption; see notes).
PER_RE_BOOST_ALLOWANCE_DB = 6.0
_GAIN_TOLERANCE_DB = 0.5


def omni_directivity_dbi(v_beamwidth_deg) -> np.ndarray:
    """Directivity of an omni antenna from its vertical beamwidth (McDonald 1978) [dBi]; beamwidth 0-180 deg."""
    t = checked(v_beamwidth_deg, "v_beamwidth_deg", lo=0.0, hi=180.0, lo_open=True,
                expected="0 < beamwidth <= 180 deg")
    return 10.0 * np.log10(101.0 / (t - 0.0027 * t * t))


def sector_directivity_dbi(h_beamwidth_deg, v_beamwidth_deg) -> np.ndarray:
    """Upper-bound directivity of a beam, Kraus's 41253 / (theta_h theta_v) [dBi] (beamwidths in deg)."""
    h = positive(h_beamwidth_deg, "h_beamwidth_deg", "deg")
    v = positive(v_beamwidth_deg, "v_beamwidth_deg", "deg")
    return 10.0 * np.log10(41253.0 / (h * v))


def typical_gain_dbi(h_beamwidth_deg, v_beamwidth_deg) -> np.ndarray:
    """Typical gain of a beam with side lobes, Kraus's practical 32400 / (theta_h theta_v) [dBi]."""
    return sector_directivity_dbi(h_beamwidth_deg, v_beamwidth_deg) + 10.0 * np.log10(32400.0 / 41253.0)


def max_gain_dbi(h_beamwidth_deg, v_beamwidth_deg) -> np.ndarray:
    """Largest gain an antenna with these beamwidths can have [dBi]: omni bound for h >= 360 deg, else Kraus."""
    h = np.asarray(h_beamwidth_deg, dtype=float)
    v = np.asarray(v_beamwidth_deg, dtype=float)
    omni = h >= 360.0
    return np.where(omni, omni_directivity_dbi(np.minimum(v, 180.0)),
                    sector_directivity_dbi(np.where(omni, 1.0, h), v))


def array_max_gain_dbi(n_elements, element_gain_dbi=8.0) -> np.ndarray:
    """Largest gain of an array of N elements, G_E + 10 log10(N) [dBi] (G_E,max = 8 dBi: TR 38.901 Table 7.3-1)."""
    n = checked(n_elements, "n_elements", lo=1.0, expected="at least 1 element")
    return np.asarray(element_gain_dbi, dtype=float) + 10.0 * np.log10(n)


@dataclass(frozen=True)
class BeamScenario:
    """An SSB beam scenario: the envelope of the SSB beam sweep (beamwidths, digital tilt) and a gain."""

    h_beamwidth_deg: float
    v_beamwidth_deg: float
    #: Gain of the envelope [dBi]: Kraus's practical estimate unless a vendor figure replaces it.
    gain_dbi: float
    tilt_deg: float = 0.0
    use: str = ""


def _scenario(h: float, v: float, use: str) -> BeamScenario:
    return BeamScenario(h, v, round(float(typical_gain_dbi(h, v)), 1), 0.0, use)


#: Typical SSB beam scenarios of 64T64R AAUs (horizontal x vertical envelope, deg). The beamwidths are typical
#: vendor scenario values, labelled as such (each vendor numbers and tunes its own); the gains are siteplan's
#: estimates from Kraus's 32400 / (theta_h theta_v), not vendor data — a planner replaces them with the
#: datasheet's. The gain of a single swept SSB beam is higher than its envelope's.
SSB_BEAM_SCENARIOS: dict[str, BeamScenario] = {
    "h105_v6": _scenario(105.0, 6.0, "default: wide horizontal, low-rise or open areas"),
    "h65_v6": _scenario(65.0, 6.0, "dense sites, interference control"),
    "h45_v6": _scenario(45.0, 6.0, "narrow streets, long coverage"),
    "h105_v12": _scenario(105.0, 12.0, "mid-rise (6-12 floors)"),
    "h65_v12": _scenario(65.0, 12.0, "mid-rise, dense sites"),
    "h110_v25": _scenario(110.0, 25.0, "wide area with high-rise buildings"),
    "h65_v25": _scenario(65.0, 25.0, "high-rise area"),
    "h25_v25": _scenario(25.0, 25.0, "a single high-rise building"),
}


def preset_problems(
    key: str,
    *,
    antenna_gain_dbi: float,
    h_beamwidth_deg: float,
    v_beamwidth_deg: float,
    total_power_dbm: float | None = None,
    tx_power_per_re_dbm: float | None = None,
    n_prb: int | None = None,
    traffic_beam_gain_dbi: float | None = None,
    n_elements: int | None = None,
    boost_allowance_db: float = PER_RE_BOOST_ALLOWANCE_DB,
    tolerance_db: float = _GAIN_TOLERANCE_DB,
) -> list[tuple[str, str]]:
    """Reasons a radio preset cannot exist, as ``(code, message)`` pairs; empty when it can.

    Codes: ``OMNI_GAIN_ABOVE_DIRECTIVITY``, ``BEAM_GAIN_ABOVE_DIRECTIVITY``, ``PER_RE_POWER_ABOVE_TOTAL``,
    ``TRAFFIC_GAIN_ABOVE_ARRAY``. Messages name ``key`` (e.g. ``"radio.site_types.micro"``) and the field.

    Parameters
    ----------
    key : str
        Where the preset comes from, for the messages.
    antenna_gain_dbi, h_beamwidth_deg, v_beamwidth_deg : float
        Peak gain [dBi] and half-power beamwidths [deg] (h >= 360 = omni).
    total_power_dbm, tx_power_per_re_dbm, n_prb : optional
        Carrier total power [dBm], per-RE (SS/PBCH EPRE) power [dBm] and the carrier's PRBs.
    traffic_beam_gain_dbi, n_elements : optional
        Traffic-beam gain [dBi] and the array's element count (per polarisation).
    boost_allowance_db, tolerance_db : float
        Per-RE boost allowance and gain tolerance [dB].
    """
    out: list[tuple[str, str]] = []
    h, v, g = float(h_beamwidth_deg), float(v_beamwidth_deg), float(antenna_gain_dbi)
    if not (0.0 < h <= 360.0 and 0.0 < v <= 180.0):
        raise RadioConfigError(f"{key}: beamwidths {h:g} x {v:g} deg: expected 0 < h <= 360 and 0 < v <= 180 deg")
    bound = float(max_gain_dbi(h, v))
    if g > bound + tolerance_db and h >= 360.0:
        msg = (f"{key}.antenna_gain_dbi = {g:g} dBi: an omni antenna with a {v:g} deg vertical beam has at most "
               f"{bound:.1f} dBi (McDonald's directivity); lower the gain or use directional panels")
        out.append(("OMNI_GAIN_ABOVE_DIRECTIVITY", msg))
    elif g > bound + tolerance_db:
        msg = (f"{key}.antenna_gain_dbi = {g:g} dBi: a {h:g} x {v:g} deg beam has at most {bound:.1f} dBi "
               "(Kraus's 41253 / (theta_h theta_v))")
        out.append(("BEAM_GAIN_ABOVE_DIRECTIVITY", msg))
    if total_power_dbm is not None and tx_power_per_re_dbm is not None:
        if n_prb is None or int(n_prb) < 1:
            raise RadioConfigError(f"{key}: checking tx_power_per_re_dbm needs the carrier's n_prb (>= 1)")
        n_re = 12 * int(n_prb)
        even = float(total_power_dbm) - 10.0 * math.log10(n_re)
        if float(tx_power_per_re_dbm) > even + boost_allowance_db + 0.05:
            msg = (f"{key}.tx_power_per_re_dbm = {tx_power_per_re_dbm:g} dBm: {total_power_dbm:g} dBm spread over "
                   f"{n_re} subcarriers gives {even:.1f} dBm per RE, and boosting adds at most "
                   f"{boost_allowance_db:g} dB ({even + boost_allowance_db:.1f} dBm)")
            out.append(("PER_RE_POWER_ABOVE_TOTAL", msg))
    if traffic_beam_gain_dbi is not None and n_elements is not None:
        cap = float(array_max_gain_dbi(n_elements))
        if float(traffic_beam_gain_dbi) > cap + tolerance_db:
            msg = (f"{key}.traffic_beam_gain_dbi = {traffic_beam_gain_dbi:g} dBi: {int(n_elements)} elements of "
                   f"8 dBi give at most {cap:.1f} dBi")
            out.append(("TRAFFIC_GAIN_ABOVE_ARRAY", msg))
    return out


def check_preset(key: str, **kwargs) -> None:
    """Raise :class:`RadioConfigError` with every reason a preset cannot exist (:func:`preset_problems`)."""
    problems = preset_problems(key, **kwargs)
    if problems:
        raise RadioConfigError("; ".join(msg for _, msg in problems))
