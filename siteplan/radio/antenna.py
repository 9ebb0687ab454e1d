"""Antenna patterns: the 3GPP TR 38.901 Table 7.3-1 sector pattern (vectorized) and an omni pattern.

Angles follow the planning convention: azimuths are compass bearings [deg] (0 = north, clockwise), and the
vertical angle is the depression below the horizon [deg] (positive towards the ground), so a UE at
horizontal distance d and height difference dh = h_BS - h_UT sits at ``atan2(dh, d)``. A mechanical/electrical
downtilt ``tilt_deg`` points the beam's peak at that depression. In TR 38.901's zenith angle
theta = 90 + depression, so (theta - 90 - tilt) = (depression - tilt).

Examples
--------
>>> float(sector_pattern_db(0.0, 6.0, tilt_deg=6.0))
0.0
>>> float(sector_pattern_db(65.0 / 2, 6.0, tilt_deg=6.0))
-3.0
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "abs_wrap_deg",
    "bearing_deg",
    "depression_deg",
    "horizontal_pattern_db",
    "omni_pattern_db",
    "sector_pattern_db",
    "vertical_pattern_db",
    "wrap_deg",
]


def wrap_deg(angle_deg):
    """Wrap angles [deg] to [-180, 180)."""
    a = np.asarray(angle_deg, dtype=float)
    return (a + 180.0) % 360.0 - 180.0


def bearing_deg(dx_m, dy_m):
    """Compass bearing [deg] (0 = north, clockwise) of an offset (dx east, dy north) [m]."""
    return np.degrees(np.arctan2(dx_m, dy_m))


def depression_deg(distance_2d_m, dh_m):
    """Angle below the horizon [deg] of a UE at horizontal distance [m], ``dh_m = h_BS - h_UT`` [m]."""
    return np.degrees(np.arctan2(dh_m, distance_2d_m))


def abs_wrap_deg(angle_deg):
    """|angle| wrapped to [0, 180] [deg] for angles in (-540, 540): cheaper than a float modulo."""
    a = np.abs(angle_deg)
    return np.minimum(a, np.abs(360.0 - a))


def horizontal_pattern_db(phi_deg, *, h_beamwidth_deg=65.0, am_db=30.0):
    """A_H(phi) = -min(12 (phi / phi_3dB)^2, Am) [dB]; ``phi_deg`` off boresight [deg], in (-540, 540)."""
    phi = abs_wrap_deg(phi_deg)
    return -np.minimum(12.0 * (phi / h_beamwidth_deg) ** 2, am_db)


def vertical_pattern_db(depression_deg_, *, v_beamwidth_deg=65.0, tilt_deg=0.0, sla_v_db=30.0):
    """A_V(theta) = -min(12 ((theta - 90 - tilt) / theta_3dB)^2, SLA_V) [dB], with theta - 90 = depression."""
    t = np.asarray(depression_deg_) - tilt_deg
    return -np.minimum(12.0 * (t / v_beamwidth_deg) ** 2, sla_v_db)


def sector_pattern_db(
    phi_deg,
    depression_deg_,
    *,
    h_beamwidth_deg=65.0,
    v_beamwidth_deg=65.0,
    tilt_deg=0.0,
    am_db=30.0,
    sla_v_db=30.0,
):
    """TR 38.901 Table 7.3-1 element pattern relative to its peak [dB]: -min(-(A_V + A_H), Am).

    Parameters
    ----------
    phi_deg : array_like
        Horizontal angle off boresight [deg].
    depression_deg_ : array_like
        Angle below the horizon [deg].
    h_beamwidth_deg, v_beamwidth_deg : float or array_like
        Half-power beamwidths phi_3dB, theta_3dB [deg] (the table's 65 deg by default).
    tilt_deg : float or array_like
        Downtilt [deg].
    am_db, sla_v_db : float or array_like
        Front-to-back ratio Am and side-lobe level SLA_V [dB] (the table's 30 dB).

    Returns
    -------
    numpy.ndarray
        Pattern [dB], <= 0; add the antenna's peak gain [dBi] for the gain towards the UE.
    """
    a_h = horizontal_pattern_db(phi_deg, h_beamwidth_deg=h_beamwidth_deg, am_db=am_db)
    a_v = vertical_pattern_db(depression_deg_, v_beamwidth_deg=v_beamwidth_deg, tilt_deg=tilt_deg, sla_v_db=sla_v_db)
    return 0.0 - np.minimum(-(a_h + a_v), am_db)


def omni_pattern_db(shape) -> np.ndarray:
    """Omni pattern: 0 dB everywhere (the antenna's gain applies in every direction)."""
    return np.zeros(shape)
