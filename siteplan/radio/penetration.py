"""Outdoor-to-indoor (O2I) building penetration loss of 3GPP TR 38.901 §7.4.3 (vectorized).

TR 38.901 writes the path loss to an indoor UE as ``PL = PL_b + PL_tw + PL_in + N(0, sigma_P^2)``:

- ``PL_tw = 5 - 10 log10(sum_i p_i 10^(-L_i / 10))`` [dB], the loss through the external wall, from the material
  losses of Table 7.4.3-1 (``L = a + b f``, f in GHz) mixed in the proportions ``p_i`` of Table 7.4.3-2;
- ``PL_in = 0.5 d_2D-in`` [dB], the loss inside the building (0.5 dB/m);
- ``sigma_P`` [dB], the spread of the loss between buildings and positions: 4.4 dB (low-loss), 6.5 dB (high-loss).

=============  ==================================  ===============================  =========
model          composition (Table 7.4.3-2)          PL_tw at 3.5 GHz                 sigma_P
=============  ==================================  ===============================  =========
``low_loss``   30 % standard glass, 70 % concrete   12.70 dB                         4.4 dB
``high_loss``  70 % IRR glass, 30 % concrete        26.85 dB                         6.5 dB
=============  ==================================  ===============================  =========

Indoor distance. Table 7.4.3-2 (note) draws ``d_2D-in`` as the minimum of two independent uniform variables on
0-25 m (UMa, UMi) or 0-10 m (RMa). A planner's deterministic value is its mean, ``E[min(U1, U2)] = L / 3``
(8.33 m, PL_in = 4.17 dB for UMa/UMi): this is the assumption that reproduces the figures usually quoted for
3.5 GHz, 16.9 dB (low-loss) and 31.0 dB (high-loss) "including the indoor distance term". The mean of a single
U(0, 25 m), 12.5 m, would add 2.1 dB more. :data:`MEAN_INDOOR_DISTANCE_M` holds these means; every function
takes ``d_2d_in_m`` so a configured value can replace them (0 gives the wall loss alone).

Examples
--------
>>> round(float(o2i_loss_db("low_loss", 3.5)), 2)
16.86
>>> round(float(o2i_loss_db("high_loss", 3.5)), 2)
31.02
>>> round(float(o2i_loss_db("high_loss", 3.5, d_2d_in_m=0.0)), 2)
26.85
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import RadioConfigError
from ._validate import checked, share

__all__ = [
    "MATERIAL_LOSS_COEFFS_DB",
    "MEAN_INDOOR_DISTANCE_M",
    "O2I_MODELS",
    "O2IModel",
    "indoor_loss_db",
    "material_loss_db",
    "o2i_high_loss_db",
    "o2i_loss_db",
    "o2i_loss_for_classes",
    "o2i_low_loss_db",
    "o2i_mixture_db",
    "o2i_sigma_db",
    "through_wall_loss_db",
]

#: TR 38.901 Table 7.4.3-1: material penetration loss L = a + b f [dB], f in GHz, as (a [dB], b [dB/GHz]).
MATERIAL_LOSS_COEFFS_DB: dict[str, tuple[float, float]] = {
    "standard_glass": (2.0, 0.2),
    "irr_glass": (23.0, 0.3),
    "concrete": (5.0, 4.0),
    "wood": (4.85, 0.12),
}

#: Mean indoor distance E[d_2D-in] [m] per scenario: TR 38.901 Table 7.4.3-2 draws d_2D-in as min(U1, U2),
#: U on 0-25 m (UMa, UMi) or 0-10 m (RMa); the mean of the minimum of two uniforms on [0, L] is L / 3.
MEAN_INDOOR_DISTANCE_M: dict[str, float] = {"uma": 25.0 / 3.0, "umi": 25.0 / 3.0, "rma": 10.0 / 3.0}

#: Frequency range of the O2I models [GHz] (TR 38.901 covers 0.5-100 GHz).
_FREQ_RANGE_GHZ = (0.5, 100.0)


@dataclass(frozen=True)
class O2IModel:
    """One O2I building-penetration model of TR 38.901 Table 7.4.3-2."""

    name: str
    #: (material of :data:`MATERIAL_LOSS_COEFFS_DB`, share of the wall) pairs; shares sum to 1.
    composition: tuple[tuple[str, float], ...]
    #: Standard deviation sigma_P of the loss [dB].
    sigma_db: float


#: TR 38.901 Table 7.4.3-2 O2I models.
O2I_MODELS: dict[str, O2IModel] = {
    "low_loss": O2IModel("low_loss", (("standard_glass", 0.3), ("concrete", 0.7)), 4.4),
    "high_loss": O2IModel("high_loss", (("irr_glass", 0.7), ("concrete", 0.3)), 6.5),
}


def _freq(freq_ghz) -> np.ndarray:
    lo, hi = _FREQ_RANGE_GHZ
    return checked(freq_ghz, "freq_ghz", lo=lo, hi=hi,
                   expected=f"{lo:g}-{hi:g} GHz, the range of TR 38.901's O2I penetration models")


def _model(model: str) -> O2IModel:
    if model not in O2I_MODELS:
        raise RadioConfigError(f"invalid O2I model {model!r}; expected one of: {', '.join(O2I_MODELS)}")
    return O2I_MODELS[model]


def material_loss_db(material: str, freq_ghz) -> np.ndarray:
    """Penetration loss of one material, TR 38.901 Table 7.4.3-1 [dB].

    Parameters
    ----------
    material : str
        ``"standard_glass"`` (2 + 0.2 f), ``"irr_glass"`` (23 + 0.3 f), ``"concrete"`` (5 + 4 f) or
        ``"wood"`` (4.85 + 0.12 f).
    freq_ghz : float or array_like
        Carrier frequency [GHz], 0.5-100.

    Examples
    --------
    >>> float(material_loss_db("concrete", 3.5))
    19.0
    """
    if material not in MATERIAL_LOSS_COEFFS_DB:
        raise RadioConfigError(
            f"invalid building material {material!r}; expected one of: {', '.join(MATERIAL_LOSS_COEFFS_DB)}"
        )
    a, b = MATERIAL_LOSS_COEFFS_DB[material]
    return a + b * _freq(freq_ghz)


def through_wall_loss_db(freq_ghz, composition) -> np.ndarray:
    """External-wall loss PL_tw = 5 - 10 log10(sum_i p_i 10^(-L_i/10)) [dB], TR 38.901 Table 7.4.3-2.

    Parameters
    ----------
    freq_ghz : float or array_like
        Carrier frequency [GHz].
    composition : mapping or sequence of (str, float)
        Material -> share of the wall; the shares must sum to 1.
    """
    items = list(composition.items()) if isinstance(composition, Mapping) else list(composition)
    total = sum(float(p) for _, p in items)
    if not items or any(float(p) < 0.0 for _, p in items) or not math.isclose(total, 1.0, abs_tol=1e-6):
        raise RadioConfigError(
            f"O2I wall composition {dict(items)!r}: expected material shares >= 0 that sum to 1 (got {total:g})"
        )
    lin = sum(float(p) * 10.0 ** (-material_loss_db(m, freq_ghz) / 10.0) for m, p in items)
    return 5.0 - 10.0 * np.log10(lin)


def indoor_loss_db(d_2d_in_m) -> np.ndarray:
    """Indoor loss PL_in = 0.5 d_2D-in [dB] (TR 38.901 Table 7.4.3-2); ``d_2d_in_m`` [m] >= 0."""
    return 0.5 * checked(d_2d_in_m, "d_2d_in_m", lo=0.0, expected="an indoor distance >= 0 m")


def o2i_loss_db(model: str, freq_ghz, *, d_2d_in_m=MEAN_INDOOR_DISTANCE_M["uma"]) -> np.ndarray:
    """Mean O2I loss PL_tw + PL_in of a TR 38.901 Table 7.4.3-2 model [dB].

    Parameters
    ----------
    model : str
        ``"low_loss"`` or ``"high_loss"``.
    freq_ghz : float or array_like
        Carrier frequency [GHz], 0.5-100.
    d_2d_in_m : float or array_like
        Indoor distance [m]; default the UMa/UMi mean 25/3 m (see the module notes); 0 for the wall alone.
    """
    m = _model(model)
    return through_wall_loss_db(freq_ghz, m.composition) + indoor_loss_db(d_2d_in_m)


def o2i_low_loss_db(freq_ghz, *, d_2d_in_m=MEAN_INDOOR_DISTANCE_M["uma"]) -> np.ndarray:
    """Low-loss O2I model (30 % standard glass, 70 % concrete) [dB], TR 38.901 Table 7.4.3-2."""
    return o2i_loss_db("low_loss", freq_ghz, d_2d_in_m=d_2d_in_m)


def o2i_high_loss_db(freq_ghz, *, d_2d_in_m=MEAN_INDOOR_DISTANCE_M["uma"]) -> np.ndarray:
    """High-loss O2I model (70 % IRR glass, 30 % concrete) [dB], TR 38.901 Table 7.4.3-2."""
    return o2i_loss_db("high_loss", freq_ghz, d_2d_in_m=d_2d_in_m)


def o2i_sigma_db(model: str) -> float:
    """Standard deviation sigma_P of a TR 38.901 O2I model [dB]: 4.4 (low-loss), 6.5 (high-loss)."""
    return _model(model).sigma_db


def o2i_mixture_db(freq_ghz, high_loss_share, *, d_2d_in_m=MEAN_INDOOR_DISTANCE_M["uma"]):
    """Mean and spread of a low-/high-loss building mix [dB], matched by moments.

    TR 38.901 §7.4.3 leaves the share of high-loss buildings to the deployment. A planning area holding a
    share ``w`` of high-loss buildings sees a two-component Gaussian mixture; its mean and standard deviation
    are ``mu = (1-w) mu_L + w mu_H`` and ``sigma^2 = (1-w)(sigma_L^2 + mu_L^2) + w (sigma_H^2 + mu_H^2) - mu^2``,
    so the spread includes the difference between the two models as well as each one's sigma_P.

    Parameters
    ----------
    freq_ghz : float or array_like
        Carrier frequency [GHz].
    high_loss_share : float or array_like
        Share of high-loss buildings, 0-1.
    d_2d_in_m : float or array_like
        Indoor distance [m].

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Mean loss [dB] and its standard deviation [dB].
    """
    w = share(high_loss_share, "high_loss_share")
    mu_l = o2i_loss_db("low_loss", freq_ghz, d_2d_in_m=d_2d_in_m)
    mu_h = o2i_loss_db("high_loss", freq_ghz, d_2d_in_m=d_2d_in_m)
    s_l, s_h = O2I_MODELS["low_loss"].sigma_db, O2I_MODELS["high_loss"].sigma_db
    mu = (1.0 - w) * mu_l + w * mu_h
    var = (1.0 - w) * (s_l**2 + mu_l**2) + w * (s_h**2 + mu_h**2) - mu**2
    return mu, np.sqrt(np.maximum(var, 0.0))


def o2i_loss_for_classes(
    building_class, freq_ghz: float, class_models: Mapping[str, str], *, d_2d_in_m=MEAN_INDOOR_DISTANCE_M["uma"]
):
    """O2I loss and its spread per building, from each building's class [dB].

    Parameters
    ----------
    building_class : array_like of str
        Class of each building or grid cell (e.g. ``"residential"``, ``"commercial"``); any shape.
    freq_ghz : float
        Carrier frequency [GHz].
    class_models : mapping of str to str
        Building class -> ``"low_loss"`` or ``"high_loss"`` (data, e.g. from the district config).
    d_2d_in_m : float or array_like
        Indoor distance [m]; broadcasts against ``building_class``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Mean loss [dB] and sigma_P [dB], shaped like ``building_class``.

    Raises
    ------
    RadioConfigError
        A class missing from ``class_models`` (named), or a mapping to an unknown model.

    Examples
    --------
    >>> loss, sigma = o2i_loss_for_classes(["home", "office"], 3.5, {"home": "low_loss", "office": "high_loss"})
    >>> [round(float(x), 1) for x in loss], [float(s) for s in sigma]
    ([16.9, 31.0], [4.4, 6.5])
    """
    classes = np.asarray(building_class)
    for cls, model in class_models.items():
        if model not in O2I_MODELS:
            raise RadioConfigError(
                f"building class {cls!r} -> O2I model {model!r}: expected one of: {', '.join(O2I_MODELS)}"
            )
    # One evaluation per distinct class, gathered back by index: no loop over buildings or cells.
    uniq, inverse = np.unique(classes, return_inverse=True)
    missing = [str(u) for u in uniq if str(u) not in class_models]
    if missing:
        raise RadioConfigError(
            f"building class {missing[0]!r} has no O2I model; expected one of the mapped classes: "
            f"{', '.join(map(str, class_models))}"
        )
    wall = np.array([float(through_wall_loss_db(freq_ghz, O2I_MODELS[class_models[str(u)]].composition))
                     for u in uniq])
    sigma = np.array([O2I_MODELS[class_models[str(u)]].sigma_db for u in uniq])
    inverse = inverse.reshape(classes.shape)
    return wall[inverse] + indoor_loss_db(d_2d_in_m), sigma[inverse]
