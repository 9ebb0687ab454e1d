"""The compiled coverage kernel (numba): the numpy reference kernel's arithmetic, fused per cell, no temporaries.

What it computes is defined by :func:`siteplan.coverage.engine.tile_kernel` (``kernel="numpy"`` is the reference);
this module only makes each (sector, cell) evaluation cheap:

- a tile is processed as its full rectangle, site by site and row by row, and each row only over the columns
  whose cells can lie within ``max_reach_m`` of the site (a conservative range; the exact ``d > max_reach_m``
  test is applied per cell), so pairs beyond reach cost nothing;
- per site and cell: distance, path loss (LOS-probability weighted as in :mod:`siteplan.radio.propagation`),
  bearing and depression once; per sector: the TR 38.901 pattern, the best server, the SINR sums;
- the transcendental functions are written out here (:func:`exp`, :func:`log10`, :func:`atan2`) as branch-free
  float64 arithmetic (range reduction and a short series, error < 1e-12: RSRP and SINR to ~1e-10 dB), so the
  cell loops vectorize (SIMD) without an external vector-math library; everything is float64 with
  ``fastmath=False``, so a cell's result is bit-identical whatever the tiling and whichever SIMD lane
  computes it.

Path loss is re-expressed per model as per-site constants (:func:`site_constants`) and a per-pair formula
(:func:`path_loss_pairs`); ``tests/test_coverage_kernel.py`` checks them against the numpy model functions.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

__all__ = [
    "LOS_CODES",
    "MODEL_CODES",
    "N_CONSTANTS",
    "atan2",
    "exp",
    "log10",
    "path_loss_pairs",
    "rect_kernel",
    "rect_site_coverage",
    "site_constants",
    "site_constants_all",
]

#: Model name -> code used inside the compiled kernel.
MODEL_CODES = {"uma": 0, "umi": 1, "rma": 2, "inh": 3, "cost231": 4, "fspl": 5}
_UMA, _UMI, _RMA, _INH, _COST231, _FSPL = range(6)
#: ``los`` argument of the model functions -> code (True, False, "weighted", "weighted_linear").
LOS_CODES = {True: 0, False: 1, "weighted": 2, "weighted_linear": 3}
#: Per-site path-loss constants (see :func:`site_constants`).
N_CONSTANTS = 12

_JIT = {"cache": True, "fastmath": False, "nogil": True, "error_model": "numpy"}
# The per-pair formula is inlined into each loop at numba level, so LLVM sees constant model/LOS codes.
_JIT_INLINE = {**_JIT, "inline": "always"}

# TR 38.901 breakpoints use c = 3.0e8 m/s; FSPL the exact value (siteplan.radio.propagation).
_C_38901 = 3.0e8
_C_EXACT = 299_792_458.0
_RMA_H_M = 5.0  # the standard's default building height and street width (propagation.rma_38901)
_RMA_W_M = 20.0
_RMA_A = min(0.03 * _RMA_H_M**1.72, 10.0)
_RMA_B = min(0.044 * _RMA_H_M**1.72, 14.77)
_RMA_C = 0.002 * math.log10(_RMA_H_M)


# --------------------------------------------------------------------------------------------- math
def _bitcast(src, dst):
    """A compiled reinterpretation of ``src``'s 64 bits as ``dst`` (exponent and mantissa arithmetic)."""

    @intrinsic
    def cast(typingctx, x):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(dst))

        return dst(src), codegen

    return cast


_f64_from_bits = _bitcast(types.int64, types.float64)
_bits_from_f64 = _bitcast(types.float64, types.int64)


# Series coefficients, highest power first (see _horner): e**r to r**10 (truncation < 3e-13 for |r| <= ln2/2);
# log m = 2 s (1 + z/3 + ... + z**7/15), z = s**2, |s| <= 0.172 (< 1e-12); atan a = a (1 - z/3 + ... - z**11/23),
# |a| <= tan(pi/12) (< 5e-16, ~1 ulp, so symmetric angles stay so).
_EXP_SERIES = tuple(1.0 / math.factorial(k) for k in range(10, -1, -1))
_LOG_SERIES = tuple(1.0 / (2 * k + 1) for k in range(7, -1, -1))
_ATAN_SERIES = tuple((-1.0) ** k / (2 * k + 1) for k in range(11, -1, -1))
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two (Cody-Waite), so k ln 2 is exact in the high part
_LN2_LO = 1.90821492927058770002e-10
_SQRT2 = math.sqrt(2.0)
_INV_LN10 = 1.0 / math.log(10.0)
_LN10_10 = math.log(10.0) / 10.0
_SQRT3 = math.sqrt(3.0)
# LOS-probability length scales [m] as reciprocals: the kernel multiplies where the numpy formulas divide
# (one rounding apart, far inside the 1e-6 dB agreement), since divisions are the costliest vector operation.
_INV_63, _INV_36, _INV_150, _INV_1000, _INV_4_7, _INV_32_6 = (1.0 / v for v in (63.0, 36.0, 150.0, 1000.0, 4.7, 32.6))
_TAN_PI_12 = 2.0 - math.sqrt(3.0)
_DEG = 180.0 / math.pi


@njit(**_JIT)
def _horner(x, coefficients):
    """The polynomial with ``coefficients`` (highest power first) at ``x``."""
    p = coefficients[0]
    for c in coefficients[1:]:
        p = p * x + c
    return p


@njit(**_JIT)
def exp(x):
    """e**x, relative error < 1e-12 (0 below -708); branch-free so loops calling it vectorize."""
    xc = min(max(x, -708.0), 709.0)
    k = math.floor(xc * _LOG2E + 0.5)
    r = (xc - k * _LN2_HI) - k * _LN2_LO  # |r| <= ln(2)/2
    y = _horner(r, _EXP_SERIES) * _f64_from_bits((np.int64(k) + 1023) << 52)
    return 0.0 if x < -708.0 else y


@njit(**_JIT)
def _log(x):
    """Natural log of a positive normal float64, absolute error < 1e-12."""
    b = _bits_from_f64(x)
    e = ((b >> 52) & 0x7FF) - 1023
    m = _f64_from_bits((b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # mantissa in [1, 2)
    big = m > _SQRT2
    m = m * 0.5 if big else m
    e = e + 1 if big else e
    s = (m - 1.0) / (m + 1.0)  # log m = 2 atanh(s)
    p = _horner(s * s, _LOG_SERIES)
    fe = float(e)
    y = fe * _LN2_HI + (2.0 * s * p + fe * _LN2_LO)
    return -np.inf if x <= 0.0 else (y if x < np.inf else np.inf)


@njit(**_JIT)
def log10(x):
    """log10 of a positive float64, absolute error < 1e-12; -inf at 0."""
    return _log(x) * _INV_LN10


@njit(**_JIT)
def atan2(y, x):
    """atan2(y, x) [rad] as numpy defines it, signed zeros included; absolute error < 1e-15.

    Two divisions: the octant ratio min/max in [0, 1], then tan(a - pi/6) above tan(pi/12).
    """
    ax, ay = abs(x), abs(y)
    mx = max(ax, ay)
    a = min(ax, ay) / mx
    red = a > _TAN_PI_12  # atan a = pi/6 + atan((a sqrt3 - 1) / (a + sqrt3))
    a = (a * _SQRT3 - 1.0) / (a + _SQRT3) if red else a
    p = _horner(a * a, _ATAN_SERIES)
    v = a * p + (math.pi / 6.0 if red else 0.0)
    v = math.pi / 2.0 - v if ay > ax else v
    v = math.pi - v if x < 0.0 else v
    # Signed zeros as IEEE / numpy: atan2(+-0, +0) = +-0, atan2(+-0, -0) = +-pi.
    v = math.pi if mx == 0.0 and math.copysign(1.0, x) < 0.0 else (0.0 if mx == 0.0 else v)
    return math.copysign(v, y)


@njit(**_JIT)
def _db_to_lin(x_db):
    """10**(x/10); 0 for -inf."""
    return exp(x_db * _LN10_10)


# ---------------------------------------------------------------------------------------- path loss
@njit(**_JIT)
def site_constants(model, freq_ghz, h_bs_m, h_ut_m):
    """Per-site constants of a model's path loss (float64[N_CONSTANTS]); the formulas' order kept."""
    k = np.zeros(N_CONSTANTS)
    fc = freq_ghz
    dh = h_bs_m - h_ut_m
    k[1] = dh * dh
    if model == _UMA or model == _UMI:
        # One form for both: PL1 = a1 + b1 log10(d3D) + 20 log10(fc); PL2 = a1 + 40 log10(d3D) + 20 log10(fc)
        # - k3; PL'_NLOS = a_n + b_n log10(d3D) + c_n - d_n.
        uma = model == _UMA
        k[0] = 20.0 * math.log10(fc)
        d_bp = 4.0 * (h_bs_m - 1.0) * (h_ut_m - 1.0) * fc * 1e9 / _C_38901
        k[2] = d_bp
        k[3] = (9.0 if uma else 9.5) * math.log10(d_bp * d_bp + dh * dh)
        k[4] = (0.6 if uma else 0.3) * (h_ut_m - 1.5)
        # C'(hUT) of the UMa LOS probability; 0 for street-level users (and for UMi)
        k[5] = 0.0 if not uma or h_ut_m <= 13.0 else ((min(max(h_ut_m, 13.0), 23.0) - 13.0) / 10.0) ** 1.5
        k[6] = k[0] if uma else 21.3 * math.log10(fc)
        k[7], k[8], k[9], k[10] = (28.0, 22.0, 13.54, 39.08) if uma else (32.4, 21.0, 22.4, 35.3)
        k[11] = _INV_63 if uma else _INV_36  # LOS-probability length scale
    elif model == _RMA:
        h, w = _RMA_H_M, _RMA_W_M
        a, b, c = _RMA_A, _RMA_B, _RMA_C
        d_bp = 2.0 * math.pi * h_bs_m * h_ut_m * fc * 1e9 / _C_38901
        d_bp3 = math.sqrt(d_bp * d_bp + dh * dh)
        k[0] = math.log10(40.0 * math.pi * fc / 3.0)
        k[2] = d_bp
        k[3] = 20.0 * math.log10(40.0 * math.pi * d_bp3 * fc / 3.0) + a * math.log10(d_bp3) - b + c * d_bp3
        k[4] = math.log10(d_bp3)
        k[5] = 161.04 - 7.1 * math.log10(w) + 7.5 * math.log10(h) - (24.37 - 3.7 * (h / h_bs_m) ** 2) * math.log10(h_bs_m)
        k[6] = 43.42 - 3.1 * math.log10(h_bs_m)
        k[7] = 20.0 * math.log10(fc) - (3.2 * math.log10(11.75 * h_ut_m) ** 2 - 4.97)
    elif model == _INH:
        k[0] = 20.0 * math.log10(fc)
        k[2] = 24.9 * math.log10(fc)
    elif model == _COST231:
        f = fc * 1000.0
        lf = math.log10(f)
        a_hm = 3.2 * math.log10(11.75 * h_ut_m) ** 2 - 4.97  # city = "large", the kernel's
        if f > 1500.0:
            a, b, cm = 46.3, 33.9, 3.0
        else:
            a, b, cm = 69.55, 26.16, 0.0
        k[0] = a + b * lf - 13.82 * math.log10(h_bs_m) - a_hm
        k[2] = 44.9 - 6.55 * math.log10(h_bs_m)
        k[3] = cm
    else:  # fspl
        k[0] = fc * (4.0e9 * math.pi / _C_EXACT)
    return k


@njit(**_JIT)
def _finish_path_loss(d, pl, pl_nlos, p, los, reach, tmp):
    """Combine LOS/NLOS by the LOS code in place in ``pl`` (holding PL_LOS) as propagation._select_los;
    +inf beyond ``reach``."""
    n = pl.size
    if los == 1:
        for c in range(n):
            pl[c] = np.inf if d[c] > reach else pl_nlos[c]
        return
    if los == 2:
        for c in range(n):
            v = pl_nlos[c] - p[c] * (pl_nlos[c] - pl[c])
            pl[c] = np.inf if d[c] > reach else v
        return
    if los == 3:
        for c in range(n):
            tmp[c] = p[c] * _db_to_lin(-pl[c])
        for c in range(n):
            tmp[c] += (1.0 - p[c]) * _db_to_lin(-pl_nlos[c])
        for c in range(n):
            pl[c] = -10.0 * log10(tmp[c])
    for c in range(n):
        pl[c] = np.inf if d[c] > reach else pl[c]


@njit(**_JIT)
def _fill_path_loss(model, los, d, pl, reach, k, t_nlos, t_p, t_tmp):
    """Path loss [dB] of one site at horizontal distances ``d`` [m] into ``pl``; +inf beyond ``reach``.

    ``k`` holds the site's constants (:func:`site_constants`); ``t_nlos``, ``t_p``, ``t_tmp`` are scratch rows
    of ``d``'s size. Written as short loops with one transcendental each, over ``range(size)`` of contiguous
    views (an index that cannot be negative keeps numba's wraparound check out), so each loop vectorizes; the
    formulas and their order are those of :mod:`siteplan.radio.propagation`.
    """
    n = d.size
    k0, k1, k2, k3, k4, k5, k6, k7 = k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]
    if model == _UMA or model == _UMI:
        a1, b1, a_n, b_n = k[7], k[8], k[9], k[10]
        for c in range(n):
            d2 = max(d[c], 10.0)
            ld = log10(math.sqrt(d2 * d2 + k1))
            pl_los = a1 + b1 * ld + k0 if d2 <= k2 else a1 + 40.0 * ld + k0 - k3
            pl[c] = pl_los
            t_nlos[c] = max(pl_los, a_n + b_n * ld + k6 - k4)
    elif model == _RMA:
        for c in range(n):
            d2 = max(d[c], 10.0)
            d3 = math.sqrt(d2 * d2 + k1)
            ld = log10(d3)
            pl1 = 20.0 * (ld + k0) + _RMA_A * ld - _RMA_B + _RMA_C * d3
            pl_los = pl1 if d2 <= k2 else k3 + 40.0 * (ld - k4)
            pl[c] = pl_los
            t_nlos[c] = max(pl_los, k5 + k6 * (ld - 3.0) + k7)
    elif model == _INH:
        for c in range(n):
            d2 = max(d[c], 0.0)
            ld = log10(max(math.sqrt(d2 * d2 + k1), 1.0))
            pl_los = 32.4 + 17.3 * ld + k0
            pl[c] = pl_los
            t_nlos[c] = max(pl_los, 38.3 * ld + 17.30 + k2)
    elif model == _COST231:
        for c in range(n):
            pl[c] = k0 + k2 * log10(max(d[c], 20.0) / 1000.0) + k3
        los = 0  # an empirical median: no LOS state
    else:
        for c in range(n):
            d2 = max(d[c], 0.0)
            pl[c] = 20.0 * log10(max(math.sqrt(d2 * d2 + k1), 1.0) * k0)
        los = 0
    if los == 2 and (model == _UMA or model == _UMI) and k5 == 0.0:
        # The default: LOS probability, dB weighting and reach in one pass.
        inv_scale = k[11]
        for c in range(n):
            d2 = max(d[c], 10.0)
            ds = max(d2, 18.0)
            r = 18.0 / ds
            v = r + exp(-ds * inv_scale) * (1.0 - r)
            p = 1.0 if d2 <= 18.0 else v
            v = t_nlos[c] - p * (t_nlos[c] - pl[c])
            pl[c] = np.inf if d[c] > reach else v
        return
    if los >= 2:  # LOS probability, TR 38.901 Table 7.4.2-1 (outdoor users: d2D-out = d2D)
        if model == _UMA or model == _UMI:
            inv_scale = k[11]
            for c in range(n):
                d2 = max(d[c], 10.0)
                ds = max(d2, 18.0)
                r = 18.0 / ds
                v = r + exp(-ds * inv_scale) * (1.0 - r)
                t_p[c] = 1.0 if d2 <= 18.0 else v
            if k5 > 0.0:  # C'(hUT) of UMa for users above 13 m
                for c in range(n):
                    d2 = max(d[c], 10.0)
                    ds = max(d2, 18.0)
                    q = ds / 100.0
                    f = 1.0 + k5 * 1.25 * (q * q * q) * exp(-ds * _INV_150)
                    t_p[c] = 1.0 if d2 <= 18.0 else t_p[c] * f
        elif model == _RMA:
            for c in range(n):
                d2 = max(d[c], 10.0)
                t_p[c] = 1.0 if d2 <= 10.0 else exp(-(d2 - 10.0) * _INV_1000)
        else:
            for c in range(n):
                d2 = max(d[c], 0.0)
                near = d2 < 6.5  # mixed office: two exponentials, one evaluated
                v = (1.0 if near else 0.32) * exp(-(d2 - 1.2) * _INV_4_7 if near else -(d2 - 6.5) * _INV_32_6)
                t_p[c] = 1.0 if d2 <= 1.2 else v
    _finish_path_loss(d, pl, t_nlos, t_p, los, reach, t_tmp)


def path_loss_pairs(model: int, los: int, d_m: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The compiled path loss [dB] of one site (constants ``k``) at distances ``d_m`` [m] (tests, one-off use)."""
    d = np.ascontiguousarray(d_m, dtype=float)
    out, t1, t2, t3 = (np.empty(d.size) for _ in range(4))
    _fill_path_loss(model, los, d, out, np.inf, np.ascontiguousarray(k, dtype=float), t1, t2, t3)
    return out


# ------------------------------------------------------------------------------------------ kernel
@njit(**_JIT)
def _row_range(x_site, dy, reach, col_x0, res, lo_in, hi_in):
    """Columns [lo, hi) of a row that may lie within ``reach`` of the site (conservative by one cell)."""
    half = math.sqrt(max(reach * reach - dy * dy, 0.0))
    lo = max(lo_in, int(math.floor((x_site - half - col_x0) / res)) - 1)
    hi = min(hi_in, int(math.ceil((x_site + half - col_x0) / res)) + 2)
    return lo, hi


@njit(**_JIT)
def _site_row(col_x, dy, x_site, dh_site, directional, reach, inside, d, brg, dep):
    """Distance [m] (and bearing, depression [deg] when the site has directional sectors) of a row's cells;
    returns how many inside cells are within ``reach``."""
    n_within = 0
    dy2 = dy * dy
    for c in range(d.size):
        dx = col_x[c] - x_site
        dc = math.sqrt(dx * dx + dy2)
        d[c] = dc
        n_within += inside[c] if dc <= reach else 0
    if n_within and directional:
        for c in range(d.size):
            brg[c] = atan2(col_x[c] - x_site, dy) * _DEG
            dep[c] = atan2(dh_site, d[c]) * _DEG
    return n_within


@njit(**_JIT)
def _pattern_rx(pl, brg, dep, prm):
    """(budget - path loss) - TR 38.901 pattern loss [dBm] of a directional sector at one cell, the numpy
    kernel's operations in its order; ``prm`` from :func:`_sector_params`."""
    budget, az, hscale, vscale, tilt, am, sla = prm
    lh = abs(brg - az)
    lh = min(lh, abs(360.0 - lh)) * hscale
    lh = min(lh * lh, am)
    lv = (dep - tilt) * vscale
    lv = min(lv * lv, sla)
    return budget - pl - min(lh + lv, am)


@njit(**_JIT)
def _sector_params(kk, sec_budget, sec_az, sec_hscale, sec_vscale, sec_tilt, sec_am, sec_sla):
    """A sector's (budget, azimuth, sqrt(12)/h-beamwidth, sqrt(12)/v-beamwidth, tilt, Am, SLA_V) as scalars, so
    the cell loops see loop invariants rather than loads that might alias their stores."""
    return (sec_budget[kk], sec_az[kk], sec_hscale[kk], sec_vscale[kk], sec_tilt[kk], sec_am[kk], sec_sla[kk])


@njit(**_JIT)
def _sector_row(pl, brg, dep, directional, prm, rx):
    """RSRP [dBm] of one sector over a row."""
    if directional:
        for c in range(pl.size):
            rx[c] = _pattern_rx(pl[c], brg[c], dep[c], prm)
    else:
        budget = prm[0]
        for c in range(pl.size):
            rx[c] = budget - pl[c]


@njit(**_JIT_INLINE)
def _fold(c, v, k, lin, best, best_k, sums):
    """Fold value ``v`` [dBm] of sector ``k`` into cell ``c``'s running best server and add ``lin`` [mW] to its
    band's sum (ties keep the earlier, lower sector)."""
    b = best[c]
    u = v > b
    best[c] = v if u else b
    best_k[c] = k if u else best_k[c]
    sums[c] += lin


@njit(**_JIT)
def _update_row(pl, brg, dep, directional, prm, kk, best, best_k, sums, pen, pen_lin, best_in, best_in_k, sums_in):
    """Fold one sector of an outdoor-type site over a row: the outdoor layer's best server and its band's linear
    sum, and the indoor layer's (less each cell's building loss ``pen``, ``pen_lin`` = 10^(-pen/10))."""
    budget = prm[0]
    for c in range(pl.size):
        rx = _pattern_rx(pl[c], brg[c], dep[c], prm) if directional else budget - pl[c]
        lin = _db_to_lin(rx)
        _fold(c, rx, kk, lin, best, best_k, sums)
        _fold(c, rx - pen[c], kk, lin * pen_lin[c], best_in, best_in_k, sums_in)


@njit(**_JIT)
def _update_row3(pl, brg, dep, k0, p0, p1, p2, best, best_k, sums, pen, pen_lin, best_in, best_in_k, sums_in):
    """Fold an outdoor-type site's three directional sectors k0, k0 + 1, k0 + 2 (parameters ``p0``-``p2``) into a
    row in one pass (the running bests are loaded once). The sectors' linear powers are added as (l0 + l1) + l2,
    the same for a cell whatever the tiling; indoors the building loss scales that sum."""
    k1, k2 = k0 + 1, k0 + 2
    for c in range(pl.size):
        p, br, de = pl[c], brg[c], dep[c]
        rx0 = _pattern_rx(p, br, de, p0)
        rx1 = _pattern_rx(p, br, de, p1)
        rx2 = _pattern_rx(p, br, de, p2)
        m, mk = rx0, k0
        u = rx1 > m
        mk = k1 if u else mk
        m = rx1 if u else m
        u = rx2 > m
        mk = k2 if u else mk
        m = rx2 if u else m
        lin = (_db_to_lin(rx0) + _db_to_lin(rx1)) + _db_to_lin(rx2)
        _fold(c, m, mk, lin, best, best_k, sums)
        _fold(c, m - pen[c], mk, lin * pen_lin[c], best_in, best_in_k, sums_in)


@njit(**_JIT)
def _update_row_indoor_site(pl, pl_own, brg, dep, directional, prm, kk, exit_db, own, best, best_k, sums, pen,
                            pen_lin, best_in, best_in_k, sums_in):
    """Fold one sector of an indoor-type site (an indoor system) over a row. Outdoors and in other buildings its
    signal leaves its building (``exit_db``), and enters the other building (``pen``); in its own building
    (``own``) it serves without building loss, at the path loss ``pl_own`` of its nearest antenna head (that of
    its single antenna when its building is unknown)."""
    budget = prm[0]
    for c in range(pl.size):
        rx = _pattern_rx(pl[c], brg[c], dep[c], prm) if directional else budget - pl[c]
        v = rx - exit_db
        lin = _db_to_lin(v)
        _fold(c, v, kk, lin, best, best_k, sums)
        o = own[c]
        rx_own = _pattern_rx(pl_own[c], brg[c], dep[c], prm) if directional else budget - pl_own[c]
        vi = rx_own if o else v - pen[c]
        _fold(c, vi, kk, _db_to_lin(vi) if o else lin * pen_lin[c], best_in, best_in_k, sums_in)


@njit(**_JIT)
def _own_building_row(cell_bld, pen, site_bld, own):
    """Cells of a row in the site's own building (on the indoor layer); returns whether there is any."""
    anyown = False
    for c in range(own.size):
        o = cell_bld[c] == site_bld and pen[c] < np.inf
        own[c] = o
        anyown = anyown or o
    return anyown


@njit(**_JIT)
def _head_distance_row(d, own, head_radius, d_own):
    """Distance [m] to the nearest antenna head of an indoor system in its own building: min(d, head radius)."""
    for c in range(d.size):
        d_own[c] = min(d[c], head_radius) if own[c] and head_radius > 0.0 else d[c]


@njit(**_JIT)
def _is_directional(sec_dir, s0, s1):
    for kk in range(s0, s1):
        if sec_dir[kk]:
            return True
    return False


@njit(**_JIT)
def _sinr(best, best_k, sums, sec_band, noise_lin, load, out):
    """SINR [dB] of the best server over a band's summed power: S / (load x (sum - S) + N); NaN without server."""
    h, w = best.shape
    for r in range(h):
        for c in range(w):
            kk = best_k[r, c]
            if kk >= 0:
                bd = sec_band[kk]
                # the serving term exactly as it entered the sum, so it cancels without residue
                s_lin = _db_to_lin(best[r, c])
                interf = max(sums[bd, r, c] - s_lin, 0.0) * load
                out[r, c] = 10.0 * math.log10(s_lin / (interf + noise_lin[bd]))


@njit(**_JIT)
def rect_kernel(col_x, row_y, res, row_lo, row_hi, inside, cell_pen, cell_pen_lin, cell_bld, site_x, site_y,
                site_model, site_band, site_indoor, site_bld, site_exit, site_head, site_k, site_dh, sec_start,
                sec_dir, sec_budget, sec_az, sec_hscale, sec_vscale, sec_tilt, sec_am, sec_sla, reach, los,
                noise_lin, load):
    """Best server, RSRP and SINR over a tile's rectangle, outdoors and indoors
    (see :func:`siteplan.coverage.engine.tile_kernel`).

    Parameters
    ----------
    col_x, row_y : float64 arrays
        Cell-centre coordinates [m] relative to the grid origin, of the tile's columns and rows.
    res : float
        Cell size [m] (only bounds the column range per row).
    row_lo, row_hi : int64 arrays
        Per row, the columns [lo, hi) spanning its inside cells (lo = hi = 0 for none).
    inside : uint8 2-D array
        Inside-cell mask (counts evaluated pairs).
    cell_pen, cell_pen_lin : float64 arrays (bands, rows, cols)
        Indoor loss [dB] of each cell per band (+inf: the cell is not on the indoor layer) and 10^(-loss/10).
    cell_bld : int64 2-D array
        Building of each cell (-1 none).
    site_* : arrays over the tile's sites
        Relative position [m], model code, band index, indoor-type flag, building (-1 none), exit loss [dB] and
        antenna-head radius [m] of indoor-type sites, path-loss constants (:func:`site_constants`), height above
        the UE [m].
    sec_start : int64 array
        Sector range of each site (sectors are contiguous per site); ``sec_*`` per sector: directional flag,
        budget [dB], azimuth [deg], sqrt(12)/beamwidths [1/deg], tilt [deg], Am, SLA_V [dB].
    reach : float
        ``max_reach_m`` [m].
    los : int
        :data:`LOS_CODES` value.
    noise_lin : float64 array
        Noise per RE of each band [mW].
    load : float
        Neighbour load: the share of the other cells' power that interferes.

    Returns
    -------
    best_dbm, best_sector, sinr_db, best_in_dbm, best_in_sector, sinr_in_db, n_pairs
        2-D over the rectangle, outdoor layer then indoor layer: best RSRP, its local sector (-1 none), SINR [dB]
        (NaN without server); and the (sector, inside cell) pairs within reach.
    """
    h, w = inside.shape
    n_bands = noise_lin.size
    best = np.full((h, w), -np.inf)
    best_k = np.full((h, w), -1, dtype=np.int64)
    best_in = np.full((h, w), -np.inf)
    best_in_k = np.full((h, w), -1, dtype=np.int64)
    sums = np.zeros((n_bands, h, w))
    sums_in = np.zeros((n_bands, h, w))
    d_row = np.empty(w)
    pl_row = np.empty(w)
    d_own_row = np.empty(w)
    pl_own_row = np.empty(w)
    own_row = np.zeros(w, dtype=np.bool_)
    t1_row, t2_row, t3_row = np.empty(w), np.empty(w), np.empty(w)
    brg_row = np.zeros(w)
    dep_row = np.zeros(w)
    n_pairs = 0
    prm_arrays = (sec_budget, sec_az, sec_hscale, sec_vscale, sec_tilt, sec_am, sec_sla)
    for i in range(site_x.size):
        s0, s1 = sec_start[i], sec_start[i + 1]
        directional = _is_directional(sec_dir, s0, s1)
        # The usual macro site, three directional sectors, is folded in one pass per row.
        three = s1 - s0 == 3 and sec_dir[s0] and sec_dir[s0 + 1] and sec_dir[s0 + 2] and not site_indoor[i]
        p0 = _sector_params(s0, *prm_arrays)
        p1 = _sector_params(min(s0 + 1, s1 - 1), *prm_arrays)
        p2 = _sector_params(min(s0 + 2, s1 - 1), *prm_arrays)
        band = site_band[i]
        for r in range(h):
            dy = row_y[r] - site_y[i]
            if abs(dy) > reach:
                continue
            lo, hi = _row_range(site_x[i], dy, reach, col_x[0], res, row_lo[r], row_hi[r])
            if lo >= hi:
                continue
            d, pl = d_row[lo:hi], pl_row[lo:hi]
            brg, dep = brg_row[lo:hi], dep_row[lo:hi]
            cnt = _site_row(col_x[lo:hi], dy, site_x[i], site_dh[i], directional, reach, inside[r, lo:hi], d, brg,
                            dep)
            if cnt == 0:
                continue
            n_pairs += cnt * (s1 - s0)
            t1, t2, t3 = t1_row[lo:hi], t2_row[lo:hi], t3_row[lo:hi]
            _fill_path_loss(site_model[i], los, d, pl, reach, site_k[i], t1, t2, t3)
            pen, pen_lin = cell_pen[band, r, lo:hi], cell_pen_lin[band, r, lo:hi]
            if three:
                _update_row3(pl, brg, dep, s0, p0, p1, p2, best[r, lo:hi], best_k[r, lo:hi], sums[band, r, lo:hi],
                             pen, pen_lin, best_in[r, lo:hi], best_in_k[r, lo:hi], sums_in[band, r, lo:hi])
                continue
            if site_indoor[i]:
                own, pl_own = own_row[lo:hi], pl_own_row[lo:hi]
                if _own_building_row(cell_bld[r, lo:hi], pen, site_bld[i], own) and site_head[i] > 0.0 and \
                        site_bld[i] >= 0:
                    d_own = d_own_row[lo:hi]
                    _head_distance_row(d, own, site_head[i], d_own)
                    _fill_path_loss(site_model[i], los, d_own, pl_own, reach, site_k[i], t1, t2, t3)
                else:
                    pl_own[:] = pl
                for kk in range(s0, s1):
                    _update_row_indoor_site(pl, pl_own, brg, dep, sec_dir[kk], _sector_params(kk, *prm_arrays), kk,
                                            site_exit[i], own, best[r, lo:hi], best_k[r, lo:hi],
                                            sums[band, r, lo:hi], pen, pen_lin, best_in[r, lo:hi],
                                            best_in_k[r, lo:hi], sums_in[band, r, lo:hi])
                continue
            for kk in range(s0, s1):
                _update_row(pl, brg, dep, sec_dir[kk], _sector_params(kk, *prm_arrays), kk, best[r, lo:hi],
                            best_k[r, lo:hi], sums[band, r, lo:hi], pen, pen_lin, best_in[r, lo:hi],
                            best_in_k[r, lo:hi], sums_in[band, r, lo:hi])
    sec_band = np.empty(sec_dir.size, dtype=np.int64)
    for i in range(site_x.size):
        for kk in range(sec_start[i], sec_start[i + 1]):
            sec_band[kk] = site_band[i]
    sinr = np.full((h, w), np.nan)
    sinr_in = np.full((h, w), np.nan)
    _sinr(best, best_k, sums, sec_band, noise_lin, load, sinr)
    _sinr(best_in, best_in_k, sums_in, sec_band, noise_lin, load, sinr_in)
    return best, best_k, sinr, best_in, best_in_k, sinr_in, n_pairs


@njit(**_JIT)
def rect_site_coverage(col_x, row_y, res, row_lo, row_hi, inside, cell_pen, cell_bld, site_x, site_y, site_model,
                       site_band, site_indoor, site_bld, site_exit, site_head, site_k, site_dh, sec_start, sec_dir,
                       sec_budget, sec_az, sec_hscale, sec_vscale, sec_tilt, sec_am, sec_sla, sec_floor, reach, los,
                       site_reach, indoor_layer):
    """(flat rectangle cell, local site) pairs where a site's best sector alone clears its floor.

    A sector covers a cell when its RSRP on the layer reaches ``sec_floor`` [dBm] (the RSRP threshold, or the
    uplink's floor where that is higher). Outdoor layer: indoor-type sites lose their exit loss. Indoor layer
    (``indoor_layer``): outdoor-type sites lose each cell's building loss ``cell_pen`` (+inf off the layer);
    indoor-type sites serve their own building without loss at their nearest head, other buildings through both
    walls. ``site_reach`` [m] (<= ``reach``) bounds where each site can clear its floors; cells beyond it are
    skipped. Other arguments as :func:`rect_kernel`.
    """
    h, w = inside.shape
    # The per-site, per-row skeleton below is also rect_kernel's; written out in both, since a shared helper
    # (tested: numba-inlined or not) cost the kernel 17 %.
    cap = 1024
    out_cell = np.empty(cap, dtype=np.int64)
    out_site = np.empty(cap, dtype=np.int64)
    n = 0
    d_row = np.empty(w)
    pl_row = np.empty(w)
    d_own_row = np.empty(w)
    pl_own_row = np.empty(w)
    own_row = np.zeros(w, dtype=np.bool_)
    rx_row = np.empty(w)
    rx_own_row = np.empty(w)
    t1_row, t2_row, t3_row = np.empty(w), np.empty(w), np.empty(w)
    brg_row = np.zeros(w)
    dep_row = np.zeros(w)
    best_row = np.empty(w)
    prm_arrays = (sec_budget, sec_az, sec_hscale, sec_vscale, sec_tilt, sec_am, sec_sla)
    for i in range(site_x.size):
        s0, s1 = sec_start[i], sec_start[i + 1]
        directional = _is_directional(sec_dir, s0, s1)
        band = site_band[i]
        indoor_site = site_indoor[i]
        reach_i = min(site_reach[i], reach)
        for r in range(h):
            dy = row_y[r] - site_y[i]
            if abs(dy) > reach_i:
                continue
            lo, hi = _row_range(site_x[i], dy, reach_i, col_x[0], res, row_lo[r], row_hi[r])
            if lo >= hi:
                continue
            d, pl, rx = d_row[lo:hi], pl_row[lo:hi], rx_row[lo:hi]
            brg, dep, site_best = brg_row[lo:hi], dep_row[lo:hi], best_row[lo:hi]
            if _site_row(col_x[lo:hi], dy, site_x[i], site_dh[i], directional, reach_i, inside[r, lo:hi], d, brg,
                         dep) == 0:
                continue
            t1, t2, t3 = t1_row[lo:hi], t2_row[lo:hi], t3_row[lo:hi]
            _fill_path_loss(site_model[i], los, d, pl, reach_i, site_k[i], t1, t2, t3)
            pen = cell_pen[band, r, lo:hi]
            own, pl_own, rx_own = own_row[lo:hi], pl_own_row[lo:hi], rx_own_row[lo:hi]
            anyown = False
            if indoor_site and indoor_layer:
                anyown = _own_building_row(cell_bld[r, lo:hi], pen, site_bld[i], own)
                if anyown and site_head[i] > 0.0 and site_bld[i] >= 0:
                    d_own = d_own_row[lo:hi]
                    _head_distance_row(d, own, site_head[i], d_own)
                    _fill_path_loss(site_model[i], los, d_own, pl_own, reach_i, site_k[i], t1, t2, t3)
            site_best[:] = -np.inf
            for kk in range(s0, s1):
                prm = _sector_params(kk, *prm_arrays)
                floor = sec_floor[kk]
                _sector_row(pl, brg, dep, sec_dir[kk], prm, rx)
                if anyown and site_head[i] > 0.0 and site_bld[i] >= 0:
                    _sector_row(pl_own, brg, dep, sec_dir[kk], prm, rx_own)
                elif anyown:
                    _sector_row(pl, brg, dep, sec_dir[kk], prm, rx_own)
                for c in range(rx.size):
                    if indoor_layer:
                        if indoor_site:
                            v = (rx_own[c] if anyown and own[c] else rx[c] - site_exit[i] - pen[c]) - floor
                        else:
                            v = rx[c] - pen[c] - floor
                    else:
                        v = rx[c] - (site_exit[i] if indoor_site else 0.0) - floor
                    sb = site_best[c]
                    site_best[c] = v if v > sb else sb
            for c in range(site_best.size):
                if site_best[c] >= 0.0 and inside[r, lo + c]:
                    if n == cap:
                        cap *= 2
                        grown_c = np.empty(cap, dtype=np.int64)
                        grown_s = np.empty(cap, dtype=np.int64)
                        grown_c[:n] = out_cell[:n]
                        grown_s[:n] = out_site[:n]
                        out_cell, out_site = grown_c, grown_s
                    out_cell[n] = r * w + lo + c
                    out_site[n] = i
                    n += 1
    return out_cell[:n], out_site[:n]


@njit(**_JIT)
def site_constants_all(model, freq_ghz, h_bs_m, h_ut_m):
    """:func:`site_constants` for every site: float64[n_sites, N_CONSTANTS]."""
    out = np.zeros((model.size, N_CONSTANTS))
    for i in range(model.size):
        out[i] = site_constants(model[i], freq_ghz[i], h_bs_m[i], h_ut_m)
    return out
