"""Antenna pattern files in the MSI / Planet text format (``.msi``, ``.pln``, ``.txt``), and their evaluation.

The format (as Planet, Atoll, MATLAB's ``msiread`` and the vendors' pattern libraries read it)::

    NAME AAU-EXAMPLE
    MAKE Vendor
    FREQUENCY 3500            (MHz; "3.5 GHz" also read)
    GAIN 17.5 dBi             (dBd when no unit is given; dBi = dBd + 2.15)
    TILT ELECTRICAL 6         (or "TILT 6", "ELECTRICAL_TILT 6": informational, already in the pattern)
    COMMENT ...
    HORIZONTAL 360
    0 0.00                    (angle [deg] clockwise from boresight, attenuation below the peak [dB] >= 0)
    ...
    VERTICAL 360
    0 0.00                    (angle [deg]: 0 = horizon ahead, 90 = straight down, 180 = horizon behind)
    ...

Any other ``KEY value`` header line is kept in :attr:`AntennaPattern.extra`. Lines starting with ``#``, ``//``
or ``;`` and blank lines are skipped; CRLF line ends and a UTF-8 BOM are accepted; a file that is not UTF-8 is
read as GB 18030 (Chinese vendors' files), which accepts any byte sequence. Errors raise
:class:`AntennaFileError` naming the file and the line.

Evaluation (:func:`msi_attenuation_db`): the two cuts are combined by summation, the 3GPP TR 38.901 Table 7.3-1
form ``A = min(A_H(phi) + A_V(theta'), A_m)`` (attenuations >= 0), A_m being the largest attenuation in either
cut. Behind the antenna (|phi| > 90 deg) the vertical cut is read on its back half, at 180 - theta', minus its
value at 180 deg, so the front-to-back ratio already in A_H is not counted twice. A mechanical downtilt t shifts
the vertical angle to ``theta' = theta - t cos(phi)`` (the usual approximation of the tilted antenna's frame).
Both cuts are interpolated linearly in angle, periodically. A planner's 3D interpolation (Gans, weighted
bilinear) differs off the principal planes by a few dB in the side directions; the summation is the tools'
common default.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputFileError
from .antenna import wrap_deg

__all__ = [
    "DBD_TO_DBI",
    "AntennaFileError",
    "AntennaPattern",
    "fit_pattern",
    "msi_attenuation_db",
    "msi_gain_dbi",
    "parse_msi",
    "read_msi",
]

#: Gain of a half-wave dipole over the isotropic radiator [dB]: dBi = dBd + 2.15.
DBD_TO_DBI = 2.15


class AntennaFileError(InputFileError):
    """An antenna pattern file is unreadable or malformed; the message names the file and the line."""


@dataclass(frozen=True, eq=False)
class AntennaPattern:
    """An antenna pattern read from an MSI/Planet file; attenuations in dB below the peak gain."""

    name: str
    gain_dbi: float
    frequency_mhz: float | None
    #: Electrical tilt stated in the header [deg] (informational: the vertical cut already includes it).
    electrical_tilt_deg: float | None
    h_angles_deg: np.ndarray
    h_loss_db: np.ndarray
    v_angles_deg: np.ndarray
    v_loss_db: np.ndarray
    source: str = "<string>"
    extra: dict[str, str] = field(default_factory=dict)


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _fail(source: str, lineno: int, msg: str) -> AntennaFileError:
    return AntennaFileError(f"{source}: line {lineno}: {msg}")


def _number(text: str, source: str, lineno: int, what: str) -> float:
    m = _NUMBER.search(text)
    if not m:
        raise _fail(source, lineno, f"{what}: expected a number, got {text.strip()!r}")
    return float(m.group())


def _gain_dbi(value: str, source: str, lineno: int) -> float:
    g = _number(value, source, lineno, "GAIN")
    unit = value.lower()
    if "dbi" in unit:
        return g
    if "dbd" in unit or not re.search(r"[a-z]", unit):
        return g + DBD_TO_DBI  # the format's default unit is dBd
    raise _fail(source, lineno, f"GAIN unit in {value.strip()!r}: expected dBi or dBd")


def _frequency_mhz(value: str, source: str, lineno: int) -> float:
    f = _number(value, source, lineno, "FREQUENCY")
    unit = value.lower()
    return f * 1000.0 if "ghz" in unit else f / 1000.0 if "khz" in unit else f


def _cut(lines, i: int, count: int, source: str, section: str):
    angles, losses = [], []
    while len(angles) < count:
        if i >= len(lines):
            last = lines[-1][0] if lines else 0
            raise _fail(source, last, f"{section}: expected {count} 'angle attenuation' lines, found {len(angles)} "
                                      "before the end of the file")
        lineno, text = lines[i]
        parts = text.replace(",", " ").replace("\t", " ").split()
        if len(parts) < 2:
            raise _fail(source, lineno, f"{section}: expected 'angle attenuation', got {text.strip()!r}")
        try:
            a, loss = float(parts[0]), float(parts[1])
        except ValueError:
            raise _fail(source, lineno, f"{section}: expected two numbers, got {text.strip()!r}") from None
        if not (math.isfinite(a) and 0.0 <= a < 360.0):
            raise _fail(source, lineno, f"{section}: angle {parts[0]} is outside 0-360 deg")
        if not (math.isfinite(loss) and loss >= -0.01):
            raise _fail(source, lineno, f"{section}: attenuation {parts[1]} dB: expected >= 0 dB below the peak")
        angles.append(a)
        losses.append(max(loss, 0.0))
        i += 1
    a = np.array(angles)
    if np.unique(a).size != a.size:
        raise _fail(source, lines[i - 1][0], f"{section}: an angle is listed twice")
    order = np.argsort(a)
    return a[order], np.array(losses)[order], i


def parse_msi(text: str, *, source: str = "<string>") -> AntennaPattern:
    """Parse MSI/Planet pattern text (format in the module notes).

    Parameters
    ----------
    text : str
        File content.
    source : str
        File name for error messages.

    Raises
    ------
    AntennaFileError
        A missing or short HORIZONTAL / VERTICAL section, a bad number, angle or unit, with file and line.
    """
    lines = []
    for n, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip().lstrip("\ufeff")
        if s and not s.startswith(("#", "//", ";")):
            lines.append((n, s))
    header: dict[str, tuple[int, str]] = {}
    cuts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    i = 0
    while i < len(lines):
        lineno, s = lines[i]
        key, _, value = s.partition(" ")
        key = key.upper()
        if key in ("HORIZONTAL", "VERTICAL"):
            if key in cuts:
                raise _fail(source, lineno, f"{key} section given twice")
            count = _number(value, source, lineno, key) if value.strip() else 360.0
            if count != int(count) or count < 2:
                raise _fail(source, lineno, f"{key} {value.strip()}: expected the number of lines that follow")
            angles, loss, i = _cut(lines, i + 1, int(count), source, key)
            cuts[key] = (angles, loss)
            continue
        header[key] = (lineno, value.strip())
        i += 1
    for key in ("HORIZONTAL", "VERTICAL"):
        if key not in cuts:
            raise _fail(source, lines[-1][0] if lines else 0, f"no {key} section")
    if "GAIN" not in header:
        raise _fail(source, lines[0][0] if lines else 0, "no GAIN line")
    gain = _gain_dbi(header["GAIN"][1], source, header["GAIN"][0])
    freq = _frequency_mhz(header["FREQUENCY"][1], source, header["FREQUENCY"][0]) if "FREQUENCY" in header else None
    tilt = None
    for key in ("ELECTRICAL_TILT", "TILT"):
        if key in header and _NUMBER.search(header[key][1]):
            tilt = _number(header[key][1], source, header[key][0], key)
            break
    extra = {k: v for k, (_, v) in header.items() if k not in ("NAME", "GAIN", "FREQUENCY")}
    name = header.get("NAME", (0, Path(source).stem))[1]
    return AntennaPattern(name, gain, freq, tilt, *cuts["HORIZONTAL"], *cuts["VERTICAL"], source=source, extra=extra)


def read_msi(path: str | Path) -> AntennaPattern:
    """Read an MSI/Planet pattern file; see :func:`parse_msi`."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise AntennaFileError(f"{p}: cannot read antenna pattern file: {e.strerror or e}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    return parse_msi(text, source=str(p))


def _interp_periodic(angles_deg, table_angles, table_loss) -> np.ndarray:
    return np.interp(np.mod(angles_deg, 360.0), table_angles, table_loss, period=360.0)


def msi_attenuation_db(pattern: AntennaPattern, phi_deg, depression_deg_, *, mechanical_tilt_deg=0.0) -> np.ndarray:
    """Attenuation below the peak [dB] (>= 0) towards (azimuth offset, depression), by summation of the cuts.

    Parameters
    ----------
    pattern : AntennaPattern
        The antenna.
    phi_deg : array_like
        Horizontal angle off boresight [deg] (any value; wrapped).
    depression_deg_ : array_like
        Angle below the horizon [deg], -90..90 (the coverage engine's convention).
    mechanical_tilt_deg : float or array_like
        Mechanical downtilt [deg] added to the pattern's own (electrical) tilt.

    Returns
    -------
    numpy.ndarray
        ``min(A_H + A_V, A_m)`` [dB], the method in the module notes; subtract it from :func:`msi_gain_dbi`'s
        peak, or use that function.
    """
    phi = wrap_deg(phi_deg)
    theta = np.asarray(depression_deg_, dtype=float) - np.asarray(mechanical_tilt_deg, dtype=float) * np.cos(
        np.radians(phi))
    a_h = _interp_periodic(phi, pattern.h_angles_deg, pattern.h_loss_db)
    front = np.abs(phi) <= 90.0
    v_front = _interp_periodic(theta, pattern.v_angles_deg, pattern.v_loss_db)
    v_back = (_interp_periodic(180.0 - theta, pattern.v_angles_deg, pattern.v_loss_db)
              - _interp_periodic(180.0, pattern.v_angles_deg, pattern.v_loss_db))
    a_v = np.where(front, v_front, np.maximum(v_back, 0.0))
    a_m = max(float(pattern.h_loss_db.max()), float(pattern.v_loss_db.max()))
    return np.minimum(a_h + a_v, a_m)


def msi_gain_dbi(pattern: AntennaPattern, phi_deg, depression_deg_, *, mechanical_tilt_deg=0.0) -> np.ndarray:
    """Antenna gain towards (azimuth offset [deg], depression [deg]) [dBi]: peak gain minus the attenuation."""
    return pattern.gain_dbi - msi_attenuation_db(pattern, phi_deg, depression_deg_,
                                                 mechanical_tilt_deg=mechanical_tilt_deg)


def _half_power_width_deg(angles_deg: np.ndarray, loss_db: np.ndarray, centre_deg: float) -> float:
    """Width [deg] of the lobe around ``centre_deg`` down to 3 dB below the peak, by linear interpolation on a
    1/16-degree scan of the periodic cut."""
    step = 1.0 / 16.0
    off = np.arange(0.0, 180.0 + step, step)
    right = _interp_periodic(centre_deg + off, angles_deg, loss_db)
    left = _interp_periodic(centre_deg - off, angles_deg, loss_db)
    base = float(_interp_periodic(centre_deg, angles_deg, loss_db))
    width = 0.0
    for side in (right, left):
        over = np.flatnonzero(side - base >= 3.0)
        if over.size == 0:
            return 360.0
        k = int(over[0])
        a0, a1 = off[k - 1], off[k]
        l0, l1 = side[k - 1] - base, side[k] - base
        width += a0 + (3.0 - l0) * (a1 - a0) / (l1 - l0) if l1 > l0 else a1
    return float(width)


def fit_pattern(pattern: AntennaPattern) -> dict[str, float]:
    """The TR 38.901 Table 7.3-1 pattern parameters closest to a pattern file's cuts.

    Returns a dict of preset fields:

    - ``antenna_gain_dbi``: the file's peak gain;
    - ``h_beamwidth_deg``, ``v_beamwidth_deg``: half-power widths of the horizontal cut around boresight and
      of the vertical cut around its peak (360 for a cut that never falls 3 dB);
    - ``front_to_back_db`` (A_m): the horizontal attenuation at 180 deg;
    - ``sla_v_db``: the strongest vertical side lobe, i.e. the least attenuation of the front half of the
      vertical cut (depressions -90..90 deg) farther than two beamwidths from the peak (the parabola of the
      TR 38.901 pattern is capped there); the largest attenuation of the cut when there is no such angle;
    - ``electrical_tilt_deg``: the depression of the vertical cut's peak (front half), which is the file's
      built-in tilt whatever its header says.

    Examples
    --------
    >>> p = parse_msi("GAIN 17 dBi\\nHORIZONTAL 4\\n0 0\\n90 12\\n180 25\\n270 12\\n"
    ...               "VERTICAL 4\\n0 0\\n90 20\\n180 25\\n270 20")
    >>> f = fit_pattern(p)
    >>> round(f["h_beamwidth_deg"], 1), f["front_to_back_db"]
    (45.0, 25.0)
    """
    front_v = np.arange(-90.0, 90.0 + 0.25, 0.25)
    v_front = _interp_periodic(front_v, pattern.v_angles_deg, pattern.v_loss_db)
    peak = float(front_v[int(np.argmin(v_front))])
    v_bw = _half_power_width_deg(pattern.v_angles_deg, pattern.v_loss_db, peak)
    h_bw = _half_power_width_deg(pattern.h_angles_deg, pattern.h_loss_db, 0.0)
    far = np.abs(front_v - peak) > 2.0 * v_bw
    sla = float(v_front[far].min()) if far.any() else float(pattern.v_loss_db.max())
    return {
        "antenna_gain_dbi": float(pattern.gain_dbi),
        "h_beamwidth_deg": round(h_bw, 3),
        "v_beamwidth_deg": round(min(v_bw, 180.0), 3),
        "front_to_back_db": float(_interp_periodic(180.0, pattern.h_angles_deg, pattern.h_loss_db)),
        "sla_v_db": round(max(sla, 0.0), 3),
        "electrical_tilt_deg": peak,
    }
