"""Shadow-fading margins from a coverage reliability: cell-edge and area (Jakes) definitions, TR 38.901 sigmas.

Log-normal shadowing of standard deviation sigma [dB] around the model's median path loss. Two definitions:

- **Cell-edge probability** P_edge: the margin M with P(shadowing <= M) = P_edge at the cell edge,
  ``M = sigma Phi^-1(P_edge)`` (e.g. 90 % with sigma 8 dB: 10.25 dB).
- **Area reliability** F_u: the share of the cell's area (a disc of radius R, path loss ~ 10 n log10 d) that is
  covered, Jakes' formula (W. C. Jakes, *Microwave Mobile Communications*, 1974, §2.4; Rappaport, *Wireless
  Communications*, 2nd ed., eq. 4.79 — after Reudink)::

      F_u = 1/2 [1 - erf(a) + exp((1 - 2ab)/b^2) (1 - erf((1 - ab)/b))],
      a = -M / (sigma sqrt 2),  b = 10 n log10(e) / (sigma sqrt 2).

  It depends on the model's distance exponent n as well as on sigma (see :func:`distance_exponent`).

Which definition gives the figures quoted for siteplan's planning (issue 11): 95 % **area** reliability with
Jakes and **n = 3.908** (the distance exponent of UMa NLOS, 39.08 log10 d): sigma 6 dB (UMa NLOS) -> 5.60 dB;
sigma 7.82 dB (UMi NLOS) -> 8.12 dB; indoors, sigma = rss(6, 4.4) = 7.44 dB -> 7.59 dB and rss(6, 6.5) = 8.85 dB
-> 9.59 dB. The UMi-NLOS figure uses UMa's exponent; with UMi's own (35.3 log10 d, n = 3.53) it is 8.42 dB.
The corresponding cell-edge probabilities are 82-86 %, not 95 %: a 95 % *edge* probability would need
1.645 sigma (9.9 dB for sigma 6).

Shadow-fading sigmas (TR 38.901 Table 7.4.1-1): UMa LOS 4 / NLOS 6; UMi-Street Canyon LOS 4 / NLOS 7.82;
RMa LOS 4 before and 6 after the breakpoint / NLOS 8; InH-Office LOS 3 / NLOS 8.03.

Examples
--------
>>> round(float(edge_margin_db(0.90, 8.0)), 2)
10.25
>>> round(float(area_margin_db(0.95, 6.0, 3.908)), 2)
5.6
"""

from __future__ import annotations

import numpy as np
from scipy.special import erfc, erfcx, ndtr, ndtri

from ..errors import RadioConfigError
from ._validate import checked, positive

__all__ = [
    "SHADOW_FADING_SIGMA_DB",
    "area_margin_db",
    "area_reliability",
    "combined_sigma_db",
    "distance_exponent",
    "edge_margin_db",
    "edge_probability",
    "shadow_fading_sigma_db",
    "shadow_margin_db",
]

#: TR 38.901 Table 7.4.1-1 shadow-fading standard deviation [dB]: model -> {"los": ..., "nlos": ...}.
#: RMa LOS has two values: sigma_SF1 = 4 dB up to the breakpoint, sigma_SF2 = 6 dB beyond it.
SHADOW_FADING_SIGMA_DB: dict[str, dict[str, float]] = {
    "uma": {"los": 4.0, "nlos": 6.0},
    "umi": {"los": 4.0, "nlos": 7.82},
    "rma": {"los": 4.0, "los_beyond_breakpoint": 6.0, "nlos": 8.0},
    "inh": {"los": 3.0, "nlos": 8.03},
}

_SQRT2 = np.sqrt(2.0)
_10_LOG10_E = 10.0 * np.log10(np.e)


def _los_key(los) -> str:
    if los is True or los == "los":
        return "los"
    if los is False or los == "nlos":
        return "nlos"
    raise RadioConfigError(f"los = {los!r}: expected True/'los' or False/'nlos' for a shadow-fading sigma")


def shadow_fading_sigma_db(model: str, los, *, beyond_breakpoint: bool = False) -> float:
    """Shadow-fading standard deviation of a TR 38.901 model [dB] (Table 7.4.1-1).

    Parameters
    ----------
    model : str
        ``"uma"``, ``"umi"``, ``"rma"`` or ``"inh"``.
    los : bool or str
        True / ``"los"`` or False / ``"nlos"``. For a LOS-probability-weighted prediction use the NLOS value
        (the larger, so the conservative one) or combine both yourself.
    beyond_breakpoint : bool
        RMa LOS only: sigma_SF2 (6 dB) beyond the breakpoint distance instead of sigma_SF1 (4 dB).

    Raises
    ------
    RadioConfigError
        A model TR 38.901 gives no sigma for (e.g. ``"cost231"``): give the margin or sigma explicitly.
    """
    if model not in SHADOW_FADING_SIGMA_DB:
        raise RadioConfigError(
            f"model {model!r}: TR 38.901 Table 7.4.1-1 gives no shadow-fading sigma for it; expected one of: "
            f"{', '.join(SHADOW_FADING_SIGMA_DB)} (or configure the margin / sigma yourself)"
        )
    key = _los_key(los)
    table = SHADOW_FADING_SIGMA_DB[model]
    if key == "los" and beyond_breakpoint and "los_beyond_breakpoint" in table:
        return table["los_beyond_breakpoint"]
    return table[key]


def distance_exponent(model: str, los, *, beyond_breakpoint: bool = False, h_bs_m: float = 35.0,
                      building_height_m: float = 5.0) -> float:
    """Path-loss distance exponent n of a model (its slope is 10 n log10 d) [-], for area reliability.

    ================  =====================================  ================================
    model             LOS (before / beyond breakpoint)         NLOS
    ================  =====================================  ================================
    ``uma``           2.2 / 4.0                               3.908
    ``umi``           2.1 / 4.0                               3.53
    ``rma``           2 + 0.003 h^1.72 / 4.0                  (43.42 - 3.1 log10 h_BS) / 10
    ``inh``           1.73                                    3.83
    ``cost231``       (44.9 - 6.55 log10 h_BS) / 10 (no LOS state)
    ================  =====================================  ================================

    Read off TR 38.901 Table 7.4.1-1 (the NLOS exponent is that of PL'_NLOS, which dominates at planning
    distances) and the COST-231 Hata formula. ``h_bs_m`` [m] is used by RMa NLOS and COST-231 only,
    ``building_height_m`` [m] by RMa LOS only.
    """
    key = "nlos" if model == "cost231" else _los_key(los)
    if model == "uma":
        return {"los": 4.0 if beyond_breakpoint else 2.2, "nlos": 3.908}[key]
    if model == "umi":
        return {"los": 4.0 if beyond_breakpoint else 2.1, "nlos": 3.53}[key]
    if model == "rma":
        if key == "los":
            return 4.0 if beyond_breakpoint else 2.0 + min(0.03 * building_height_m**1.72, 10.0) / 10.0
        return (43.42 - 3.1 * np.log10(h_bs_m)) / 10.0
    if model == "inh":
        return {"los": 1.73, "nlos": 3.83}[key]
    if model == "cost231":
        return (44.9 - 6.55 * np.log10(h_bs_m)) / 10.0
    raise RadioConfigError(
        f"model {model!r}: no distance exponent; expected one of: uma, umi, rma, inh, cost231"
    )


def _check_probability(p, name: str) -> np.ndarray:
    return checked(p, name, lo=0.0, hi=1.0, lo_open=True, hi_open=True,
                   expected="a probability strictly between 0 and 1")


def combined_sigma_db(*sigmas_db) -> np.ndarray:
    """Root-sum-square of independent spreads [dB], e.g. outdoor shadowing and the O2I sigma_P.

    >>> round(float(combined_sigma_db(6.0, 4.4)), 2)
    7.44
    """
    if not sigmas_db:
        raise RadioConfigError("combined_sigma_db: give at least one sigma")
    arrs = [checked(s, "sigma_db", lo=0.0, expected="a standard deviation >= 0 dB") for s in sigmas_db]
    return np.sqrt(sum(a * a for a in arrs))


def edge_margin_db(edge_probability_, sigma_db) -> np.ndarray:
    """Shadowing margin for a cell-edge coverage probability: M = sigma Phi^-1(P_edge) [dB].

    Parameters
    ----------
    edge_probability_ : float or array_like
        Probability that the edge of the cell is covered, in (0, 1).
    sigma_db : float or array_like
        Shadow-fading standard deviation [dB], > 0.
    """
    p = _check_probability(edge_probability_, "edge probability")
    return positive(sigma_db, "sigma_db", "dB") * ndtri(p)


def edge_probability(margin_db, sigma_db) -> np.ndarray:
    """Cell-edge coverage probability Phi(M / sigma) of a margin [dB] (inverse of :func:`edge_margin_db`)."""
    return ndtr(np.asarray(margin_db, dtype=float) / positive(sigma_db, "sigma_db", "dB"))


def area_reliability(margin_db, sigma_db, path_loss_exponent) -> np.ndarray:
    """Covered share of a cell's area for a margin at its edge, Jakes' formula (see module notes) [-].

    Evaluated as ``1/2 [erfc(a) + exp(-a^2) erfcx((1 - ab)/b)]``, the same expression with
    ``exp((1 - 2ab)/b^2) erfc(x) = exp(-a^2) erfcx(x)``, which neither overflows nor cancels.

    Parameters
    ----------
    margin_db : float or array_like
        Shadowing margin at the cell edge [dB] (mean received level above threshold there).
    sigma_db : float or array_like
        Shadow-fading standard deviation [dB], > 0.
    path_loss_exponent : float or array_like
        Distance exponent n of the path-loss model (:func:`distance_exponent`), > 0.
    """
    s = positive(sigma_db, "sigma_db", "dB")
    n = positive(path_loss_exponent, "path_loss_exponent")
    a = -np.asarray(margin_db, dtype=float) / (s * _SQRT2)
    b = _10_LOG10_E * n / (s * _SQRT2)
    return 0.5 * (erfc(a) + np.exp(-a * a) * erfcx((1.0 - a * b) / b))


def area_margin_db(area_reliability_, sigma_db, path_loss_exponent) -> np.ndarray:
    """Shadowing margin [dB] that covers a share of the cell's area (inverse of :func:`area_reliability`).

    Vectorized bisection: the covered share grows strictly with the margin.

    Parameters
    ----------
    area_reliability_ : float or array_like
        Target covered share of the area, in (0, 1), e.g. 0.95.
    sigma_db : float or array_like
        Shadow-fading standard deviation [dB], > 0.
    path_loss_exponent : float or array_like
        Distance exponent n of the path-loss model, > 0.
    """
    p = _check_probability(area_reliability_, "area reliability")
    s = positive(sigma_db, "sigma_db", "dB")
    n = positive(path_loss_exponent, "path_loss_exponent")
    p, s, n = np.broadcast_arrays(p, s, n)
    lo = -12.0 * s
    hi = 12.0 * s
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        low = area_reliability(mid, s, n) < p
        lo = np.where(low, mid, lo)
        hi = np.where(low, hi, mid)
    return 0.5 * (lo + hi)


def shadow_margin_db(reliability, sigma_db, *, kind: str = "area", path_loss_exponent=None) -> np.ndarray:
    """Shadowing margin [dB] for a reliability, by definition: ``kind="area"`` (Jakes) or ``"edge"``.

    Parameters
    ----------
    reliability : float or array_like
        Area reliability or cell-edge probability, in (0, 1).
    sigma_db : float or array_like
        Standard deviation [dB]; for indoor users the root-sum-square of outdoor shadowing and sigma_P
        (:func:`combined_sigma_db`).
    kind : str
        ``"area"`` or ``"edge"``.
    path_loss_exponent : float or array_like, optional
        Required for ``kind="area"`` (:func:`distance_exponent`).
    """
    if kind == "edge":
        return edge_margin_db(reliability, sigma_db)
    if kind == "area":
        if path_loss_exponent is None:
            raise RadioConfigError("shadow margin kind 'area' needs the path-loss distance exponent n")
        return area_margin_db(reliability, sigma_db, path_loss_exponent)
    raise RadioConfigError(f"invalid shadow margin kind {kind!r}; expected 'area' or 'edge'")
