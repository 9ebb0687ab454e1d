"""SINR <-> spectral efficiency: TS 38.214 CQI and MCS tables, and attenuated Shannon (TR 36.942 Annex A).

Two mappings, both vectorized:

- **Tables.** TS 38.214 Table 5.2.2.1-2 (CQI, up to 64QAM), 5.2.2.1-3 (CQI, up to 256QAM), 5.1.3.1-1 (MCS,
  64QAM) and 5.1.3.1-2 (MCS, 256QAM) list modulation order Qm, code rate R x 1024 and spectral efficiency
  [bit/s/Hz]. 38.214 gives no SINR for them: the SINR at which a spectral efficiency is decoded at 10 % BLER
  comes from :data:`CQI_SINR_10PCT_BLER_DB`, the widely used thresholds for the 15 CQIs of Table 5.2.2.1-2
  (-6.7 ... 22.7 dB; M. T. Kawser et al., "Downlink SNR to CQI mapping for different multiple antenna
  techniques in LTE", IJIEE 2(5), 2012; an AWGN-like link-level mapping). Any other entry (MCS, 256QAM CQIs)
  takes its SINR from that curve by linear interpolation in spectral efficiency; above 5.5547 bit/s/Hz (the top
  of the 64QAM table) the curve is continued with the constant Shannon gap of its top point
  (SINR = Gamma (2^SE - 1), Gamma = 6.07 dB), giving 24.8, 26.9 and 28.3 dB for the 256QAM CQIs 13-15.
  That extension is siteplan's assumption, not a published threshold.
- **Attenuated Shannon** (3GPP TR 36.942 Annex A.2): SE = 0 below SINR_min, alpha log2(1 + SINR) above,
  capped at SE_max. TR 36.942 tabulates alpha = 0.6 (DL) / 0.4 (UL), SINR_min = -10 dB and SE_max = 4.4 / 2.0
  bit/s/Hz for LTE; siteplan's default is alpha = 0.6, SINR_min = -10 dB and SE_max = 7.4063 bit/s/Hz (NR's
  256QAM table), which a planner sets per link.

Examples
--------
>>> float(cqi_spectral_efficiency(10.0, table="cqi_64qam"))
1.9141
>>> round(float(shannon_spectral_efficiency(10.0)), 4)
2.0757
>>> mcs, sinr = mcs_for_spectral_efficiency(1.0, table="mcs_64qam")
>>> int(mcs), round(float(sinr), 2)
(7, 3.36)
"""

from __future__ import annotations

import numpy as np

from ..errors import RadioConfigError

__all__ = [
    "CQI_SINR_10PCT_BLER_DB",
    "CQI_TABLES",
    "MCS_TABLES",
    "SHANNON_DEFAULTS",
    "cqi_index",
    "cqi_spectral_efficiency",
    "get_spectral_efficiency",
    "mcs_for_spectral_efficiency",
    "occupied_bandwidth_hz",
    "required_sinr_db",
    "shannon_required_sinr_db",
    "shannon_spectral_efficiency",
    "sinr_for_spectral_efficiency_db",
    "table_sinr_thresholds_db",
]

# Rows: (modulation order Qm, target code rate R x 1024, spectral efficiency [bit/s/Hz]).
_CQI_64QAM = (  # TS 38.214 Table 5.2.2.1-2, CQI 1..15
    (2, 78, 0.1523), (2, 120, 0.2344), (2, 193, 0.3770), (2, 308, 0.6016), (2, 449, 0.8770),
    (2, 602, 1.1758), (4, 378, 1.4766), (4, 490, 1.9141), (4, 616, 2.4063), (6, 466, 2.7305),
    (6, 567, 3.3223), (6, 666, 3.9023), (6, 772, 4.5234), (6, 873, 5.1152), (6, 948, 5.5547),
)
_CQI_256QAM = (  # TS 38.214 Table 5.2.2.1-3, CQI 1..15
    (2, 78, 0.1523), (2, 193, 0.3770), (2, 449, 0.8770), (4, 378, 1.4766), (4, 490, 1.9141),
    (4, 616, 2.4063), (6, 466, 2.7305), (6, 567, 3.3223), (6, 666, 3.9023), (6, 772, 4.5234),
    (6, 873, 5.1152), (8, 711, 5.5547), (8, 797, 6.2266), (8, 885, 6.9141), (8, 948, 7.4063),
)
_MCS_64QAM = (  # TS 38.214 Table 5.1.3.1-1, MCS 0..28
    (2, 120, 0.2344), (2, 157, 0.3066), (2, 193, 0.3770), (2, 251, 0.4902), (2, 308, 0.6016),
    (2, 379, 0.7402), (2, 449, 0.8770), (2, 526, 1.0273), (2, 602, 1.1758), (2, 679, 1.3262),
    (4, 340, 1.3281), (4, 378, 1.4766), (4, 434, 1.6953), (4, 490, 1.9141), (4, 553, 2.1602),
    (4, 616, 2.4063), (4, 658, 2.5703), (6, 438, 2.5664), (6, 466, 2.7305), (6, 517, 3.0293),
    (6, 567, 3.3223), (6, 616, 3.6094), (6, 666, 3.9023), (6, 719, 4.2129), (6, 772, 4.5234),
    (6, 822, 4.8164), (6, 873, 5.1152), (6, 910, 5.3320), (6, 948, 5.5547),
)
_MCS_256QAM = (  # TS 38.214 Table 5.1.3.1-2, MCS 0..27
    (2, 120, 0.2344), (2, 193, 0.3770), (2, 308, 0.6016), (2, 449, 0.8770), (2, 602, 1.1758),
    (4, 378, 1.4766), (4, 434, 1.6953), (4, 490, 1.9141), (4, 553, 2.1602), (4, 616, 2.4063),
    (4, 658, 2.5703), (6, 466, 2.7305), (6, 517, 3.0293), (6, 567, 3.3223), (6, 616, 3.6094),
    (6, 666, 3.9023), (6, 719, 4.2129), (6, 772, 4.5234), (6, 822, 4.8164), (6, 873, 5.1152),
    (8, 682.5, 5.3320), (8, 711, 5.5547), (8, 754, 5.8906), (8, 797, 6.2266), (8, 841, 6.5703),
    (8, 885, 6.9141), (8, 916.5, 7.1602), (8, 948, 7.4063),
)

#: TS 38.214 CQI tables, CQI 1..15 (row i is CQI i + 1): (Qm, R x 1024, SE [bit/s/Hz]).
CQI_TABLES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "cqi_64qam": _CQI_64QAM,
    "cqi_256qam": _CQI_256QAM,
}
#: TS 38.214 MCS tables for PDSCH/PUSCH with transform precoding off (row i is MCS i).
MCS_TABLES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "mcs_64qam": _MCS_64QAM,
    "mcs_256qam": _MCS_256QAM,
}

#: SINR [dB] at 10 % BLER for CQI 1..15 of Table 5.2.2.1-2 (Kawser et al. 2012; see the module notes).
CQI_SINR_10PCT_BLER_DB = np.array(
    [-6.7, -4.7, -2.3, 0.2, 2.4, 4.3, 5.9, 8.1, 10.3, 11.7, 14.1, 16.3, 18.7, 21.0, 22.7]
)

#: siteplan's attenuated-Shannon defaults (TR 36.942 Annex A.2 form; see the module notes).
SHANNON_DEFAULTS = {"alpha": 0.6, "sinr_min_db": -10.0, "se_max": 7.4063}

_CURVE_SE = np.array([row[2] for row in _CQI_64QAM])
_CURVE_SINR_DB = CQI_SINR_10PCT_BLER_DB
# Shannon gaps (linear) of the curve's end points, to continue it beyond them.
_GAP_TOP = 10.0 ** (_CURVE_SINR_DB[-1] / 10.0) / (2.0 ** _CURVE_SE[-1] - 1.0)
_GAP_BOTTOM = 10.0 ** (_CURVE_SINR_DB[0] / 10.0) / (2.0 ** _CURVE_SE[0] - 1.0)


def _table(name: str) -> np.ndarray:
    tables = {**CQI_TABLES, **MCS_TABLES}
    if name not in tables:
        raise RadioConfigError(f"invalid spectral-efficiency table {name!r}; expected one of: {', '.join(tables)}")
    return np.array([row[2] for row in tables[name]])


def occupied_bandwidth_hz(n_prb, scs_khz) -> np.ndarray:
    """Bandwidth of ``n_prb`` PRBs of 12 subcarriers at ``scs_khz`` [Hz] (e.g. 273 PRB at 30 kHz: 98.28 MHz)."""
    return 12.0 * np.asarray(n_prb, dtype=float) * np.asarray(scs_khz, dtype=float) * 1e3


def sinr_for_spectral_efficiency_db(se) -> np.ndarray:
    """SINR [dB] at which a spectral efficiency [bit/s/Hz] is decoded at 10 % BLER (module notes' curve)."""
    x = np.asarray(se, dtype=float)
    mid = np.interp(x, _CURVE_SE, _CURVE_SINR_DB)
    with np.errstate(divide="ignore", invalid="ignore"):
        top = 10.0 * np.log10(_GAP_TOP * (2.0 ** x - 1.0))
        bottom = 10.0 * np.log10(_GAP_BOTTOM * (2.0 ** np.maximum(x, 0.0) - 1.0))
    return np.where(x > _CURVE_SE[-1], top, np.where(x < _CURVE_SE[0], bottom, mid))


def table_sinr_thresholds_db(table: str) -> np.ndarray:
    """SINR [dB] at 10 % BLER of every row of a CQI or MCS table (row order of the table)."""
    return sinr_for_spectral_efficiency_db(_table(table))


def cqi_index(sinr_db, *, table: str = "cqi_256qam") -> np.ndarray:
    """Highest CQI (1-15) whose 10 %-BLER SINR is at most ``sinr_db`` [dB]; 0 = out of range."""
    if table not in CQI_TABLES:
        raise RadioConfigError(f"invalid CQI table {table!r}; expected one of: {', '.join(CQI_TABLES)}")
    thr = table_sinr_thresholds_db(table)
    return np.searchsorted(thr, np.asarray(sinr_db, dtype=float), side="right")


def cqi_spectral_efficiency(sinr_db, *, table: str = "cqi_256qam") -> np.ndarray:
    """Spectral efficiency [bit/s/Hz] of the highest CQI decodable at ``sinr_db`` [dB]; 0 below CQI 1."""
    se = np.concatenate([[0.0], _table(table)])
    return se[cqi_index(sinr_db, table=table)]


def shannon_spectral_efficiency(
    sinr_db,
    *,
    alpha: float = SHANNON_DEFAULTS["alpha"],
    sinr_min_db: float = SHANNON_DEFAULTS["sinr_min_db"],
    se_max: float = SHANNON_DEFAULTS["se_max"],
) -> np.ndarray:
    """Attenuated Shannon, TR 36.942 Annex A.2: 0 below SINR_min, else min(alpha log2(1 + SINR), SE_max).

    Parameters
    ----------
    sinr_db : float or array_like
        SINR [dB].
    alpha : float
        Attenuation factor (implementation loss), 0 < alpha <= 1.
    sinr_min_db : float
        SINR below which nothing is decoded [dB].
    se_max : float
        Highest spectral efficiency of the link [bit/s/Hz].
    """
    _check_shannon(alpha, se_max)
    s = np.asarray(sinr_db, dtype=float)
    se = np.minimum(alpha * np.log2(1.0 + 10.0 ** (s / 10.0)), se_max)
    return np.where(s < sinr_min_db, 0.0, se)


def _check_shannon(alpha, se_max) -> None:
    if not 0.0 < float(alpha) <= 1.0:
        raise RadioConfigError(f"shannon alpha = {alpha!r}: expected 0 < alpha <= 1")
    if not float(se_max) > 0.0:
        raise RadioConfigError(f"shannon se_max = {se_max!r}: expected > 0 bit/s/Hz")


def shannon_required_sinr_db(
    se,
    *,
    alpha: float = SHANNON_DEFAULTS["alpha"],
    sinr_min_db: float = SHANNON_DEFAULTS["sinr_min_db"],
    se_max: float = SHANNON_DEFAULTS["se_max"],
) -> np.ndarray:
    """Lowest SINR [dB] giving spectral efficiency ``se`` [bit/s/Hz] by attenuated Shannon; inf above SE_max.

    ``max(10 log10(2^(se/alpha) - 1), SINR_min)``: the inverse of :func:`shannon_spectral_efficiency`.
    """
    _check_shannon(alpha, se_max)
    x = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        s = 10.0 * np.log10(np.expm1(np.maximum(x, 0.0) / alpha * np.log(2.0)))
    return np.where(x > se_max, np.inf, np.maximum(s, sinr_min_db))


def mcs_for_spectral_efficiency(se, *, table: str = "mcs_64qam"):
    """Lowest MCS whose spectral efficiency reaches ``se`` [bit/s/Hz], and its 10 %-BLER SINR [dB].

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        MCS index (-1 where no MCS reaches ``se``) and its SINR [dB] (inf there).
    """
    if table not in MCS_TABLES:
        raise RadioConfigError(f"invalid MCS table {table!r}; expected one of: {', '.join(MCS_TABLES)}")
    se_tab = _table(table)
    # Tables are non-decreasing in SE except MCS 17 of 5.1.3.1-1 (2.5664 < 2.5703): the running maximum
    # first reaches se at the lowest index whose own SE reaches it.
    idx = np.searchsorted(np.maximum.accumulate(se_tab), np.asarray(se, dtype=float), side="left")
    found = idx < se_tab.size
    idx_c = np.minimum(idx, se_tab.size - 1)
    sinr = np.where(found, table_sinr_thresholds_db(table)[idx_c], np.inf)
    return np.where(found, idx_c, -1), sinr


def get_spectral_efficiency(sinr_db, model: str = "cqi_256qam", **kwargs) -> np.ndarray:
    """Spectral efficiency [bit/s/Hz] at ``sinr_db`` [dB] by ``model``: ``"cqi_64qam"``, ``"cqi_256qam"``
    (TS 38.214 CQI tables) or ``"shannon"`` (TR 36.942 attenuated Shannon; ``alpha``, ``sinr_min_db``,
    ``se_max`` as keywords)."""
    if model == "shannon":
        return shannon_spectral_efficiency(sinr_db, **kwargs)
    if model in CQI_TABLES:
        return cqi_spectral_efficiency(sinr_db, table=model)
    raise RadioConfigError(
        f"invalid spectral-efficiency model {model!r}; expected one of: shannon, {', '.join(CQI_TABLES)}"
    )


def required_sinr_db(se, model: str = "shannon", **kwargs) -> np.ndarray:
    """SINR [dB] needed for spectral efficiency ``se`` [bit/s/Hz] by ``model``: ``"shannon"``,
    ``"mcs_64qam"`` or ``"mcs_256qam"`` (lowest MCS reaching ``se``); inf where none reaches it."""
    if model == "shannon":
        return shannon_required_sinr_db(se, **kwargs)
    if model in MCS_TABLES:
        return mcs_for_spectral_efficiency(se, table=model)[1]
    raise RadioConfigError(
        f"invalid required-SINR model {model!r}; expected one of: shannon, {', '.join(MCS_TABLES)}"
    )
