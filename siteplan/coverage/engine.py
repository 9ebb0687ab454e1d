"""Best-server SS-RSRP, best-server id and SINR over a grid, tile by tile with spatial pruning.

How a raster is computed
------------------------
1. Sites are expanded into sectors (:func:`sectors_from_sites`): one per azimuth of the site (its
   ``azimuths_deg`` column, else its site type's preset), or one omni sector when there are none.
2. The grid is cut into tiles; for each tile a KD-tree returns the sites within ``max_reach_m`` plus the tile's
   half-diagonal of its centre, and only those are handed to :func:`tile_kernel`.
3. :func:`tile_kernel` is a pure function of (tile spec, the sectors within reach, kernel parameters) and
   leaves out pairs farther apart than ``max_reach_m``, so a cell's result does not depend on how the grid was
   tiled (the same tile can run in another process, e.g. on Dask, with identical results). Two
   implementations compute the same thing in float64: ``kernel="numba"`` (:mod:`siteplan.coverage.kernel_numba`,
   compiled, the default when numba imports) and ``kernel="numpy"`` (blocks of numpy arrays, the reference).
   They agree to ~1e-12 dB; each is bit-identical across tilings.

Definitions
-----------
- RSRP per sector: see :mod:`siteplan.radio.linkbudget`; a site's ``eirp_dbm`` (when given) shifts its power by
  ``eirp_dbm - (total_power_dbm + antenna_gain_dbi - cable_loss_db)`` of its type preset.
- Best server: the sector with the highest outdoor RSRP (ties: the lowest sector index); ``server`` is its site.
- SINR [dB]: serving RSRP over (the sum of all other sectors' RSRP on the same band within reach + noise per
  RE): a fully loaded network, interference from beyond ``max_reach_m`` ignored.
- Indoor: outdoor RSRP minus ``radio.indoor_penetration_db`` for outdoor sites (macro, micro); indoor-type
  sites (``site_type == "indoor"``) radiate inside buildings, so they lose the penetration loss on the outdoor
  layer instead and none on the indoor one. The kernel returns the best RSRP of each kind of site before
  penetration, and the indoor layer is derived from them (:func:`indoor_rsrp_dbm`), so a per-cell penetration
  loss can replace the scalar without touching the kernel.
- Covered: RSRP >= ``radio.rsrp_threshold_dbm`` (outdoor / indoor layer). SINR is reported, not required, so
  adding a site can only add coverage.
- Cells with no site within reach get RSRP = -inf, server -1, SINR NaN; cells outside the district NaN.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from ..config import RadioConfig
from ..errors import RadioConfigError
from ..radio import linkbudget as _lb
from ..radio import propagation as _prop
from .grid import Grid, TileSpec

__all__ = [
    "CoverageResult",
    "KERNELS",
    "KernelParams",
    "SectorSet",
    "TILE_SIZE",
    "TileResult",
    "assemble_coverage",
    "assemble_coverage_matrix",
    "block_tasks",
    "compute_coverage",
    "coverage_inputs",
    "coverage_matrix",
    "default_tile_size",
    "indoor_rsrp_dbm",
    "kernel_params",
    "parse_azimuths",
    "resolve_kernel",
    "run_block",
    "run_site_coverage_block",
    "sectors_from_sites",
    "site_coverage_tasks",
    "site_ranges_m",
    "tile_kernel",
    "tile_site_coverage",
    "tile_tasks",
    "warm_up",
]


@dataclass(frozen=True, eq=False)
class SectorSet:
    """Sites and their sectors as flat arrays; sectors are ordered by site, then azimuth.

    Per site: ``site_id``, ``site_index`` (position in the full set; kept by :meth:`subset`), ``x_m``, ``y_m``,
    ``h_m``, ``model``, ``band`` (index into ``bands``), ``indoor_site``.
    Per sector: ``sec_site`` (local site position), ``sec_index`` (position in the full set), ``azimuth_deg``
    (NaN = omni), ``budget_db`` (RSRP budget without path loss and pattern [dB]), ``h_bw_deg``, ``v_bw_deg``,
    ``tilt_deg``, ``am_db``, ``sla_v_db`` (vertical side-lobe level SLA_V [dB]; NaN = the kernel parameters'
    ``KernelParams.sla_v_db``).
    """

    site_id: np.ndarray
    site_index: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    h_m: np.ndarray
    model: np.ndarray
    band: np.ndarray
    indoor_site: np.ndarray
    bands: tuple[str, ...]
    sec_site: np.ndarray
    sec_index: np.ndarray
    azimuth_deg: np.ndarray
    budget_db: np.ndarray
    h_bw_deg: np.ndarray
    v_bw_deg: np.ndarray
    tilt_deg: np.ndarray
    am_db: np.ndarray
    sla_v_db: np.ndarray
    #: (site_id, reason) of input rows left out by ``sectors_from_sites(..., on_invalid="skip")``.
    skipped: tuple = ()

    @property
    def n_sites(self) -> int:
        return int(self.x_m.size)

    @property
    def n_sectors(self) -> int:
        return int(self.sec_site.size)

    def subset(self, sites) -> SectorSet:
        """The sites at local positions ``sites`` (sorted ascending) with their sectors, order kept."""
        sites = np.asarray(sites, dtype=np.int64)
        keep = np.zeros(self.n_sites, dtype=bool)
        keep[sites] = True
        new_pos = np.cumsum(keep) - 1
        smask = keep[self.sec_site]
        return SectorSet(
            self.site_id[keep], self.site_index[keep], self.x_m[keep], self.y_m[keep], self.h_m[keep],
            self.model[keep], self.band[keep], self.indoor_site[keep], self.bands,
            new_pos[self.sec_site[smask]], self.sec_index[smask], self.azimuth_deg[smask], self.budget_db[smask],
            self.h_bw_deg[smask], self.v_bw_deg[smask], self.tilt_deg[smask], self.am_db[smask],
            self.sla_v_db[smask],
        )

    @staticmethod
    def concat(a: SectorSet, b: SectorSet) -> SectorSet:
        """``a`` then ``b`` (e.g. existing sites then candidates), indices renumbered."""
        bands = tuple(dict.fromkeys(a.bands + b.bands))
        remap_a = np.array([bands.index(x) for x in a.bands], dtype=np.int64)
        remap_b = np.array([bands.index(x) for x in b.bands], dtype=np.int64)
        cat = np.concatenate
        return SectorSet(
            cat([a.site_id, b.site_id]), np.arange(a.n_sites + b.n_sites), cat([a.x_m, b.x_m]),
            cat([a.y_m, b.y_m]), cat([a.h_m, b.h_m]), cat([a.model, b.model]),
            cat([remap_a[a.band] if a.n_sites else a.band, remap_b[b.band] if b.n_sites else b.band]),
            cat([a.indoor_site, b.indoor_site]), bands,
            cat([a.sec_site, b.sec_site + a.n_sites]), np.arange(a.n_sectors + b.n_sectors),
            cat([a.azimuth_deg, b.azimuth_deg]), cat([a.budget_db, b.budget_db]),
            cat([a.h_bw_deg, b.h_bw_deg]), cat([a.v_bw_deg, b.v_bw_deg]), cat([a.tilt_deg, b.tilt_deg]),
            cat([a.am_db, b.am_db]), cat([a.sla_v_db, b.sla_v_db]),
        )


@dataclass(frozen=True)
class KernelParams:
    """Radio parameters a tile kernel needs (plain data)."""

    ue_height_m: float
    los: object
    max_reach_m: float
    indoor_penetration_db: float
    #: Noise per RE [dBm] for each band of the SectorSet, same order as ``SectorSet.bands``.
    noise_per_re_dbm: tuple[float, ...]
    #: Carrier frequency [GHz] for each band, same order.
    freq_ghz: tuple[float, ...]
    #: SLA_V [dB] of sectors whose own ``SectorSet.sla_v_db`` is NaN.
    sla_v_db: float = 30.0
    #: Upper bound on (sector, cell) pairs held in memory at once (numpy kernel).
    block_pairs: int = 1 << 20
    #: Fixed origin [m] of the relative coordinates (the grid's corner): the same for every tile. Cell and site
    #: coordinates relative to it are rounded to the micrometre: a cell centre computed from another tile's
    #: corner may differ in its last bit, never by half a micrometre, so a cell's inputs, and hence its result,
    #: are bit-identical whatever the tiling.
    origin_xy: tuple[float, float] = (0.0, 0.0)
    #: "auto" (numba when it imports, else numpy), "numba" or "numpy" (the reference); see :func:`tile_kernel`.
    kernel: str = "auto"


@dataclass(frozen=True)
class TileResult:
    """Results for a tile's inside cells, row-major (float64 [dBm, dB]; global site / sector index, -1 none)."""

    rsrp_dbm: np.ndarray
    indoor_rsrp_dbm: np.ndarray
    server_site: np.ndarray
    server_sector: np.ndarray
    sinr_db: np.ndarray
    #: (sector, cell) pairs within ``max_reach_m``: the evaluations that count.
    n_pairs: int
    #: Best RSRP of outdoor-type sites (macro, micro) before any building penetration [dBm].
    outdoor_sites_rsrp_dbm: np.ndarray | None = None
    #: Best RSRP of indoor-type sites as radiated indoors [dBm].
    indoor_sites_rsrp_dbm: np.ndarray | None = None


@dataclass(eq=False)
class CoverageResult:
    """A coverage raster. 2-D arrays have ``grid.shape``; RSRP is NaN outside the district."""

    grid: Grid
    rsrp_dbm: np.ndarray
    indoor_rsrp_dbm: np.ndarray
    server: np.ndarray
    server_sector: np.ndarray
    sinr_db: np.ndarray
    covered: np.ndarray
    indoor_covered: np.ndarray
    sectors: SectorSet
    threshold_dbm: float
    params: dict
    figures: dict = field(default_factory=dict)
    #: (sector, cell) pairs evaluated.
    n_pairs: int = 0

    @property
    def site_ids(self) -> np.ndarray:
        return self.sectors.site_id


_SQRT12 = math.sqrt(12.0)
_LN10_10 = math.log(10.0) / 10.0
_AZ_SPLIT = re.compile(r"[;,/|\s、，；]+")


def parse_azimuths(value) -> tuple[float, ...]:
    """Azimuths [deg] from a cell value: ``"0;120;240"``, ``"0,120,240"``, a list, a number, or empty."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(float(v) for v in value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return () if not np.isfinite(value) else (float(value),)
    text = str(value).strip().strip("[]")
    if not text:
        return ()
    return tuple(float(t) for t in _AZ_SPLIT.split(text) if t)


def _empty_sectorset(bands: tuple[str, ...]) -> SectorSet:
    f = np.zeros(0)
    i = np.zeros(0, dtype=np.int64)
    return SectorSet(np.zeros(0, dtype=object), i, f, f, f, np.zeros(0, dtype=object), i,
                     np.zeros(0, dtype=bool), bands, i, i, f, f, f, f, f, f, f)


def _invalid_sites(sites, radio: RadioConfig) -> dict[int, str]:
    """Row position -> reason, for rows with an unknown site type or band or a height outside the model range."""
    n = len(sites)
    stype = sites["site_type"].astype(str).replace("", "macro").to_numpy() if "site_type" in sites else np.full(n, "macro")
    band = (sites["band"].astype(str).str.strip().str.lower().replace("", radio.band).to_numpy()
            if "band" in sites else np.full(n, radio.band))
    h = pd.to_numeric(sites["height_m"], errors="coerce").to_numpy(float) if "height_m" in sites else np.full(n, np.nan)
    out: dict[int, str] = {}
    for i in range(n):  # ingestion only; builds one message per bad row
        t = stype[i]
        if t not in radio.site_types:
            out[i] = f"site_type {t!r} has no preset"
            continue
        if band[i] not in _lb.BANDS:
            out[i] = f"band {band[i]!r} is unknown"
            continue
        p = radio.preset(t, band[i])
        hi = h[i] if np.isfinite(h[i]) else p.height_m
        lo_hi = _prop.VALIDITY.get(p.model, {}).get("h_bs_m")
        if lo_hi is not None and not lo_hi[0] <= hi <= lo_hi[1]:
            out[i] = f"height_m = {hi:g} m is outside the {p.model!r} model's range {lo_hi[0]:g}-{lo_hi[1]:g} m"
    return out


def sectors_from_sites(sites, radio: RadioConfig, *, on_invalid: str = "raise") -> SectorSet:
    """Expand a site GeoDataFrame (working CRS) into a :class:`SectorSet`.

    Uses the columns ``site_id``, ``site_type`` (default ``macro``), ``height_m`` (NaN: preset), ``band``
    (empty: ``radio.band``), ``azimuths_deg`` (empty: preset) and ``eirp_dbm`` (NaN: preset) when present.
    Non-point geometries use their representative point.

    Parameters
    ----------
    on_invalid : str
        ``"raise"``: raise on the first invalid site; ``"skip"``: leave invalid sites out and list them in
        ``SectorSet.skipped`` (for candidate lists, which the compliance check may not have screened).

    Raises
    ------
    RadioConfigError
        Unknown site type or band, or a height outside the site model's range; the message names the site.
    """
    if on_invalid not in ("raise", "skip"):
        raise ValueError(f"on_invalid = {on_invalid!r}: expected 'raise' or 'skip'")
    if on_invalid == "skip" and len(sites):
        bad = _invalid_sites(sites, radio)
        if bad:
            rows = np.array(sorted(bad), dtype=np.int64)
            good = np.setdiff1d(np.arange(len(sites)), rows)
            s = sectors_from_sites(sites.iloc[good], radio)
            ids = sites["site_id"].astype(str).to_numpy() if "site_id" in sites else np.arange(len(sites)).astype(str)
            return dataclasses.replace(s, skipped=tuple((ids[i], bad[i]) for i in rows))
    n = len(sites)
    if n == 0:
        return _empty_sectorset((radio.band,))
    geom = sites.geometry
    pts = geom.where(geom.geom_type == "Point", geom.representative_point())
    x = np.asarray(pts.x, dtype=float)
    y = np.asarray(pts.y, dtype=float)
    ids = (sites["site_id"].astype(str).to_numpy() if "site_id" in sites else np.array([str(i) for i in range(n)]))
    ids = ids.astype(object)

    def col(name, default):
        if name in sites:
            s = sites[name]
            return s.where(s.notna() & (s.astype(str) != ""), default)
        return pd.Series([default] * n, index=sites.index)

    stype = col("site_type", "macro").astype(str).to_numpy()
    unknown = sorted(set(stype) - set(radio.site_types))
    if unknown:
        bad = ids[np.flatnonzero(stype == unknown[0])[0]]
        raise RadioConfigError(
            f"site {bad!r}: site_type {unknown[0]!r} has no preset in [radio.site_types]; "
            f"expected one of: {', '.join(radio.site_types)}"
        )
    band_names = col("band", radio.band).astype(str).str.strip().str.lower().to_numpy()
    for b in sorted(set(band_names)):
        if b not in _lb.BANDS:
            bad = ids[np.flatnonzero(band_names == b)[0]]
            raise RadioConfigError(f"site {bad!r}: band {b!r} is unknown; expected one of: {', '.join(_lb.BANDS)}")
    bands = tuple(sorted(set(band_names)))
    band_idx = np.searchsorted(np.array(bands), band_names)
    presets = [radio.preset(t, b) for t, b in zip(stype, band_names)]  # per site, at ingestion
    h_col = pd.to_numeric(sites["height_m"], errors="coerce").to_numpy(float) if "height_m" in sites else np.full(n, np.nan)
    h = np.where(np.isfinite(h_col), h_col, [p.height_m for p in presets])
    model = np.array([p.model for p in presets], dtype=object)
    freq = np.array([_lb.BANDS[b].freq_ghz for b in band_names])
    for m in sorted(set(model)):
        sel = np.flatnonzero(model == m)
        try:  # all of a model's sites at once; one by one only to name the first bad one
            _prop.check_model_inputs(m, freq_ghz=freq[sel], h_bs_m=h[sel], h_ut_m=radio.ue_height_m)
        except RadioConfigError:
            for i in sel:
                try:
                    _prop.check_model_inputs(m, freq_ghz=freq[i], h_bs_m=h[i], h_ut_m=radio.ue_height_m)
                except RadioConfigError as e:
                    raise RadioConfigError(f"site {ids[i]!r} ({stype[i]}, model {m!r}): {e}") from None
    eirp = pd.to_numeric(sites["eirp_dbm"], errors="coerce").to_numpy(float) if "eirp_dbm" in sites else np.full(n, np.nan)
    preset_eirp = np.array([p.total_power_dbm + p.antenna_gain_dbi - p.cable_loss_db for p in presets])
    delta = np.where(np.isfinite(eirp), eirp - preset_eirp, 0.0)
    az_col = sites["azimuths_deg"].tolist() if "azimuths_deg" in sites else [None] * n
    # Per-site expansion (ingestion, not a hot path): one row per sector.
    sec_site, az, budget, hbw, vbw, tilt, am, sla = [], [], [], [], [], [], [], []
    for i in range(n):
        p = presets[i]
        try:
            azs = parse_azimuths(az_col[i])
        except ValueError:
            raise RadioConfigError(f"site {ids[i]!r}: azimuths_deg {az_col[i]!r} is not a list of numbers") from None
        if not azs:
            azs = tuple(p.azimuths_deg)
        b = _lb.budget_db(p, radio) + delta[i]
        for a in azs if azs else (math.nan,):
            sec_site.append(i)
            az.append(a % 360.0)
            budget.append(b)
            hbw.append(p.h_beamwidth_deg)
            vbw.append(p.v_beamwidth_deg)
            tilt.append(p.tilt_deg)
            am.append(p.front_to_back_db)
            # A preset may carry its own SLA_V; NaN leaves it to KernelParams.sla_v_db.
            sla.append(getattr(p, "sla_v_db", math.nan))
    n_sec = len(sec_site)
    return SectorSet(
        ids, np.arange(n), x, y, h.astype(float), model, band_idx.astype(np.int64),
        np.array([t == "indoor" for t in stype]), bands,
        np.array(sec_site, dtype=np.int64), np.arange(n_sec), np.array(az, dtype=float),
        np.array(budget, dtype=float), np.array(hbw, dtype=float), np.array(vbw, dtype=float),
        np.array(tilt, dtype=float), np.array(am, dtype=float), np.array(sla, dtype=float),
    )


def kernel_params(
    radio: RadioConfig,
    bands: tuple[str, ...],
    *,
    max_reach_m: float | None = None,
    los=None,
    sla_v_db: float = 30.0,
    block_pairs: int = 1 << 20,
    origin_xy: tuple[float, float] = (0.0, 0.0),
    kernel: str = "auto",
) -> KernelParams:
    """Kernel parameters from the radio config (``max_reach_m``/``los`` override the config's)."""
    _check_kernel(kernel)
    return KernelParams(
        ue_height_m=float(radio.ue_height_m),
        los=_prop.los_from_mode(radio.los_mode) if los is None else los,
        max_reach_m=float(radio.max_reach_m if max_reach_m is None else max_reach_m),
        indoor_penetration_db=float(radio.indoor_penetration_db),
        noise_per_re_dbm=tuple(_lb.noise_per_re_dbm(b, noise_figure_db=radio.noise_figure_db) for b in bands),
        freq_ghz=tuple(_lb.BANDS[b].freq_ghz for b in bands),
        sla_v_db=float(sla_v_db),
        block_pairs=int(block_pairs),
        origin_xy=(float(origin_xy[0]), float(origin_xy[1])),
        kernel=kernel,
    )


KERNELS = ("auto", "numba", "numpy")
#: Default tile edge [cells] per kernel: the numpy kernel evaluates every pair in a tile, so it wants small
#: tiles; the compiled one skips pairs beyond reach row by row and gains from long rows.
TILE_SIZE = {"numba": 256, "numpy": 32}
_numba_kernel = None  # the imported kernel_numba module, once resolved
_fallback_noted = False


def _check_kernel(kernel: str) -> None:
    if kernel not in KERNELS:
        raise ValueError(f"invalid kernel {kernel!r}; expected one of: {', '.join(KERNELS)}")


def _compiled():
    """:mod:`siteplan.coverage.kernel_numba`, imported on first use (numba's import costs ~0.5 s)."""
    global _numba_kernel
    if _numba_kernel is None:
        from . import kernel_numba

        _numba_kernel = kernel_numba
    return _numba_kernel


def default_tile_size(kernel: str = "auto") -> int:
    """The tile edge [cells] ``compute_coverage`` uses with ``kernel`` when none is given."""
    return TILE_SIZE[resolve_kernel(kernel)]


def resolve_kernel(kernel: str = "auto") -> str:
    """The kernel that ``kernel`` runs: "numba" or "numpy" ("auto": numba when it imports, with a one-time notice
    when it does not)."""
    global _fallback_noted
    _check_kernel(kernel)
    if kernel != "auto":
        return kernel
    try:
        _compiled()
    except ImportError as e:
        if not _fallback_noted:
            _fallback_noted = True
            warnings.warn(f"numba is not importable ({e}); the coverage engine uses its numpy reference kernel, "
                          "several times slower (pip install numba)", RuntimeWarning, stacklevel=2)
        return "numpy"
    return "numba"


def warm_up(kernel: str = "auto") -> float:
    """Compile the compiled kernels, or load them from numba's cache, on a tiny tile; returns the seconds it took.

    The first use after installing compiles for several seconds (then cached beside the module); a set-up step
    can call this so the first run does not pay it. A no-op for the numpy kernel.
    """
    t = time.perf_counter()
    if resolve_kernel(kernel) == "numba":
        radio = RadioConfig()
        tile = TileSpec(0, 0, 2, 2, 10.0, -10.0, 20.0, np.ones((2, 2), dtype=bool))
        site = SectorSet(np.array(["w"], dtype=object), np.array([0]), np.array([0.0]), np.array([0.0]),
                         np.array([25.0]), np.array(["uma"], dtype=object), np.array([0]), np.array([False]),
                         (radio.band,), np.array([0]), np.array([0]), np.array([0.0]), np.array([0.0]),
                         np.array([65.0]), np.array([10.0]), np.array([6.0]), np.array([30.0]), np.array([np.nan]))
        p = kernel_params(radio, site.bands, kernel="numba")
        tile_kernel(tile, site, p)
        tile_site_coverage(tile, site, p, threshold_dbm=-200.0)
    return time.perf_counter() - t


def indoor_rsrp_dbm(outdoor_sites_rsrp_dbm, indoor_sites_rsrp_dbm, penetration_db):
    """Indoor-layer RSRP [dBm]: outdoor-type sites' best less the building penetration, or the best indoor-type
    site's, whichever is stronger.

    Parameters
    ----------
    outdoor_sites_rsrp_dbm, indoor_sites_rsrp_dbm : array_like
        Best RSRP of each kind of site before penetration [dBm] (``TileResult``'s fields; -inf for none).
    penetration_db : float or array_like
        Building penetration loss [dB]: a scalar (``radio.indoor_penetration_db``) or one per cell.
    """
    return np.maximum(np.asarray(outdoor_sites_rsrp_dbm) - penetration_db, indoor_sites_rsrp_dbm)


def _relative_xy(x, y, p: KernelParams) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates [m] relative to ``p.origin_xy``, rounded to the micrometre (see ``KernelParams.origin_xy``)."""
    ox, oy = p.origin_xy
    return np.round((np.asarray(x) - ox) * 1e6) / 1e6, np.round((np.asarray(y) - oy) * 1e6) / 1e6


def _sector_sla_db(s: SectorSet, p: KernelParams) -> np.ndarray:
    return np.where(np.isfinite(s.sla_v_db), s.sla_v_db, p.sla_v_db)


def _noise_lin(s: SectorSet, p: KernelParams) -> np.ndarray:
    """Noise per RE of each band of ``s`` [mW] (one entry when there are no bands)."""
    return np.power(10.0, np.asarray(p.noise_per_re_dbm or (0.0,), dtype=float) * 0.1)


def _pattern_loss(phi, dep_rel, hscale, vscale, am, sla_v):
    """TR 38.901 Table 7.3-1 as a loss [dB] >= 0, in place on the fresh arrays ``phi`` and ``dep_rel``.

    Same formula as :func:`siteplan.radio.antenna.sector_pattern_db` (negated), fused:
    12 (x / bw)^2 = (x sqrt(12) / bw)^2 with ``hscale``, ``vscale`` = sqrt(12) / beamwidth;
    L = min(min(L_H, Am) + min(L_V, SLA_V), Am). ``phi`` is the horizontal angle off boresight in (-540, 540)
    [deg], ``dep_rel`` the depression minus the tilt [deg]. The compiled kernel does the same operations.
    """
    lh = phi
    np.abs(lh, out=lh)
    np.minimum(lh, np.abs(360.0 - lh), out=lh)
    lh *= hscale
    np.square(lh, out=lh)
    np.minimum(lh, am, out=lh)
    lv = dep_rel
    lv *= vscale
    np.square(lv, out=lv)
    np.minimum(lv, sla_v, out=lv)
    lh += lv
    np.minimum(lh, am, out=lh)
    return lh


def _iter_blocks(xs: np.ndarray, ys: np.ndarray, s: SectorSet, p: KernelParams):
    """Yield (sector rows, their local sites, chunk of sites, band, rx [dBm] (k, n), pairs within reach).

    The numpy reference kernel's blocks, float64. Pairs beyond ``max_reach_m`` are -inf. Sites are grouped by
    (model, band) so each group is one call of the model's vectorized formula; within a group, chunks of sites
    keep (sectors x cells) under ``block_pairs``. RSRP = (budget - path loss) - pattern loss.
    """
    n = xs.size
    if n == 0 or s.n_sites == 0:
        return
    xr, yr = _relative_xy(xs, ys, p)
    sx, sy = _relative_xy(s.x_m, s.y_m, p)
    sh = s.h_m.astype(float)
    dh = s.h_m - p.ue_height_m
    budget = s.budget_db
    az = s.azimuth_deg
    hscale, vscale = _SQRT12 / s.h_bw_deg, _SQRT12 / s.v_bw_deg
    tilt, am, sla = s.tilt_deg, s.am_db, _sector_sla_db(s, p)
    reach = p.max_reach_m
    sec_per_site = np.bincount(s.sec_site, minlength=s.n_sites)
    keys = sorted({(str(m), int(b)) for m, b in zip(s.model, s.band)})
    directional = np.isfinite(s.azimuth_deg)
    for model, band in keys:
        func = _prop.MODEL_FUNCTIONS[model]
        group = np.flatnonzero((s.model == model) & (s.band == band))
        max_sec = max(1, int(sec_per_site[group].max()))
        per_chunk = max(1, p.block_pairs // (n * max_sec))
        for c0 in range(0, group.size, per_chunk):
            chunk = group[c0 : c0 + per_chunk]
            pos = np.full(s.n_sites, -1, dtype=np.int64)
            pos[chunk] = np.arange(chunk.size)
            secs = np.flatnonzero(pos[s.sec_site] >= 0)
            loc = pos[s.sec_site[secs]]
            dx = xr[None, :] - sx[chunk, None]
            dy = yr[None, :] - sy[chunk, None]
            d2 = np.sqrt(dx * dx + dy * dy)
            pl = func(d2, freq_ghz=p.freq_ghz[band], h_bs_m=sh[chunk, None], h_ut_m=p.ue_height_m, los=p.los)
            within = d2 <= reach
            n_pairs = int(within.sum(axis=1)[loc].sum())
            # +inf path loss beyond reach: those pairs drop out of every max and sum.
            pl = np.where(within, pl, np.inf)
            dsec = directional[secs]
            n_sec = sec_per_site[chunk]
            uniform = bool((n_sec == n_sec[0]).all())
            if not dsec.any():
                rx = budget[secs, None] - pl[loc]
            elif uniform and dsec.all():
                # Every site has the same number of directional sectors (e.g. 3): broadcast (site, sector, cell).
                m, k = chunk.size, int(n_sec[0])
                g = secs.reshape(m, k)
                bearing = np.degrees(np.arctan2(dx, dy))
                dep = np.degrees(np.arctan2(dh[chunk, None], d2))
                loss = _pattern_loss(bearing[:, None, :] - az[g][:, :, None], dep[:, None, :] - tilt[g][:, :, None],
                                     hscale[g][:, :, None], vscale[g][:, :, None], am[g][:, :, None],
                                     sla[g][:, :, None])
                rx = np.subtract(budget[g][:, :, None] - pl[:, None, :], loss, out=loss).reshape(m * k, n)
            else:
                rx = budget[secs, None] - pl[loc]
                kd = np.flatnonzero(dsec)
                sites_d = np.unique(loc[kd])
                back = np.full(chunk.size, -1, dtype=np.int64)
                back[sites_d] = np.arange(sites_d.size)
                # Angles once per site (not per sector), only for sites with directional sectors.
                bearing = np.degrees(np.arctan2(dx[sites_d], dy[sites_d]))
                dep = np.degrees(np.arctan2(dh[chunk[sites_d], None], d2[sites_d]))
                g = secs[kd]
                bl = back[loc[kd]]
                rx[kd] -= _pattern_loss(bearing[bl] - az[g, None], dep[bl] - tilt[g, None], hscale[g, None],
                                        vscale[g, None], am[g, None], sla[g, None])
            yield secs, loc, chunk, band, rx, n_pairs


def _tile_kernel_numpy(tile: TileSpec, s: SectorSet, p: KernelParams) -> TileResult:
    """The reference kernel: blocks of numpy arrays (:func:`_iter_blocks`)."""
    xs, ys = tile.cell_xy()
    n = xs.size
    best = np.full(n, -np.inf)
    best_sec = np.full(n, -1, dtype=np.int64)
    best_site = np.full(n, -1, dtype=np.int64)
    best_band = np.zeros(n, dtype=np.int64)
    rx_out = np.full(n, -np.inf)
    rx_in = np.full(n, -np.inf)
    sum_lin = np.zeros((max(1, len(s.bands)), n))
    pen = p.indoor_penetration_db
    cols = np.arange(n)
    n_pairs = 0
    for secs, loc, chunk, band, rx, n_blk in _iter_blocks(xs, ys, s, p):
        n_pairs += n_blk
        ind = s.indoor_site[chunk[loc]]
        if ind.any():
            rx_in = np.maximum(rx_in, rx[ind].max(axis=0))
            out = rx - np.where(ind, pen, 0.0)[:, None]
        else:
            out = rx
        if not ind.all():
            rx_out = np.maximum(rx_out, rx[~ind].max(axis=0))
        k = out.argmax(axis=0)
        v = out[k, cols]
        gsec = s.sec_index[secs[k]]
        # Ties go to the lowest sector index, as in the compiled kernel (which sees sectors in index order).
        upd = (v > best) | ((v == best) & (gsec < best_sec) & (best_sec >= 0))
        best = np.where(upd, v, best)
        best_sec = np.where(upd, gsec, best_sec)
        best_site = np.where(upd, s.site_index[chunk[loc[k]]], best_site)
        best_band = np.where(upd, band, best_band)
        sum_lin[band] += np.exp(out * _LN10_10).sum(axis=0)
    has = best_sec >= 0
    # The serving term exactly as it entered the sum, so it cancels without residue.
    s_lin = np.exp(best * _LN10_10)
    interf = np.maximum(sum_lin[best_band, cols] - s_lin, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sinr = np.where(has, 10.0 * np.log10(s_lin / (interf + _noise_lin(s, p)[best_band])), np.nan)
    return TileResult(best, indoor_rsrp_dbm(rx_out, rx_in, pen), best_site, best_sec, sinr, n_pairs, rx_out, rx_in)


def _compiled_inputs(tile: TileSpec, s: SectorSet, p: KernelParams) -> dict:
    """The compiled kernel's arguments for a tile's rectangle and a SectorSet (plain contiguous arrays)."""
    kn = _compiled()
    res = tile.resolution_m
    col_x, row_y = _relative_xy(tile.x0_m + np.arange(tile.width) * res, tile.y0_m - np.arange(tile.height) * res, p)
    inside = np.ascontiguousarray(tile.inside, dtype=np.uint8)
    has = inside.any(axis=1)
    row_lo = np.where(has, inside.argmax(axis=1), 0).astype(np.int64)
    row_hi = np.where(has, tile.width - inside[:, ::-1].argmax(axis=1), 0).astype(np.int64)
    sx, sy = _relative_xy(s.x_m, s.y_m, p)
    names, inverse = np.unique(s.model.astype(str), return_inverse=True)
    model = np.array([kn.MODEL_CODES[m] for m in names], dtype=np.int64)[inverse.ravel()]
    band = s.band.astype(np.int64)
    fc = np.asarray(p.freq_ghz, dtype=float)[band] if s.n_sites else np.zeros(0)
    h = s.h_m.astype(float)
    return {
        "col_x": col_x, "row_y": row_y, "res": float(res), "row_lo": row_lo, "row_hi": row_hi, "inside": inside,
        "site_x": sx, "site_y": sy, "site_model": model, "site_band": band,
        "site_indoor": s.indoor_site.astype(np.bool_),
        "site_k": kn.site_constants_all(model, fc, h, float(p.ue_height_m)),
        "site_dh": h - p.ue_height_m,
        "sec_start": np.searchsorted(s.sec_site, np.arange(s.n_sites + 1)).astype(np.int64),
        "sec_dir": np.isfinite(s.azimuth_deg),
        "sec_budget": s.budget_db.astype(float), "sec_az": s.azimuth_deg.astype(float),
        "sec_hscale": _SQRT12 / s.h_bw_deg, "sec_vscale": _SQRT12 / s.v_bw_deg,
        "sec_tilt": s.tilt_deg.astype(float), "sec_am": s.am_db.astype(float), "sec_sla": _sector_sla_db(s, p),
        "reach": float(p.max_reach_m), "penetration_db": float(p.indoor_penetration_db),
        "los": kn.LOS_CODES[p.los],
    }


def _tile_kernel_numba(tile: TileSpec, s: SectorSet, p: KernelParams) -> TileResult:
    """The compiled kernel (:func:`siteplan.coverage.kernel_numba.rect_kernel`) on the tile's rectangle."""
    kn = _compiled()
    args = _compiled_inputs(tile, s, p)
    best, best_k, rx_out, rx_in, sinr, n_pairs = kn.rect_kernel(**args, noise_lin=_noise_lin(s, p))
    m = tile.inside
    k = best_k[m]
    has = k >= 0
    kk = np.where(has, k, 0)
    server_sector = np.where(has, s.sec_index[kk] if s.n_sectors else -1, -1)
    server_site = np.where(has, s.site_index[s.sec_site[kk]] if s.n_sectors else -1, -1)
    rx_out, rx_in = rx_out[m], rx_in[m]
    return TileResult(best[m], indoor_rsrp_dbm(rx_out, rx_in, p.indoor_penetration_db), server_site,
                      server_sector, sinr[m], int(n_pairs), rx_out, rx_in)


def tile_kernel(tile: TileSpec, sectors: SectorSet, params: KernelParams) -> TileResult:
    """Best RSRP (outdoor, indoor), best server and SINR for one tile's inside cells. Pure.

    ``params.kernel`` picks the implementation ("auto": the compiled one when numba imports); both compute the
    same float64 arithmetic and agree to ~1e-12 dB.

    Parameters
    ----------
    tile : TileSpec
        The cells.
    sectors : SectorSet
        The sectors that may reach the tile (any superset of them gives the same result).
    params : KernelParams
        Radio parameters.
    """
    if resolve_kernel(params.kernel) == "numba":
        return _tile_kernel_numba(tile, sectors, params)
    return _tile_kernel_numpy(tile, sectors, params)


def tile_site_coverage(
    tile: TileSpec,
    sectors: SectorSet,
    params: KernelParams,
    *,
    threshold_dbm: float,
    layer: str = "outdoor",
    site_reach_m: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(tile inside-cell position, global site index) pairs where the site alone clears the threshold. Pure.

    ``site_reach_m`` (one per site of ``sectors``, e.g. from :func:`site_ranges_m`) bounds how far each site
    can clear the threshold; the compiled kernel skips cells beyond it. Path loss is non-decreasing in distance,
    so a true bound changes nothing.
    """
    if layer not in ("outdoor", "indoor"):
        raise ValueError(f"layer = {layer!r}: expected 'outdoor' or 'indoor'")
    if resolve_kernel(params.kernel) == "numba":
        if sectors.n_sites == 0 or not tile.inside.any():
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        args = _compiled_inputs(tile, sectors, params)
        del args["site_band"]
        reach = np.full(sectors.n_sites, params.max_reach_m) if site_reach_m is None else site_reach_m
        flat, loc = _compiled().rect_site_coverage(
            **args, site_reach=np.minimum(np.asarray(reach, dtype=float), params.max_reach_m),
            indoor_layer=layer == "indoor", threshold_dbm=float(threshold_dbm))
        position = np.cumsum(tile.inside.ravel()) - 1
        return position[flat], sectors.site_index[loc]
    xs, ys = tile.cell_xy()
    cells, sites = [], []
    pen = params.indoor_penetration_db
    for secs, loc, chunk, _band, rx, _n in _iter_blocks(xs, ys, sectors, params):
        ind = sectors.indoor_site[chunk[loc]]
        off = np.where(ind, pen, 0.0) if layer == "outdoor" else np.where(ind, 0.0, pen)
        rx = rx - off[:, None]
        # Sectors are contiguous per site: reduce each site's sectors to its best.
        starts = np.flatnonzero(np.r_[True, loc[1:] != loc[:-1]])
        per_site = np.maximum.reduceat(rx, starts, axis=0)
        r, c = np.nonzero(per_site >= threshold_dbm)
        cells.append(c)
        sites.append(sectors.site_index[chunk[loc[starts[r]]]])
    if not cells:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(cells), np.concatenate(sites)


def _as_sectors(sites, radio: RadioConfig) -> SectorSet:
    if isinstance(sites, SectorSet):
        return sites
    _lb.check_radio(radio, bands=sites["band"].tolist() if "band" in sites and len(sites) else ())
    return sectors_from_sites(sites, radio)


def coverage_inputs(grid: Grid, sites, radio: RadioConfig, *, max_reach_m: float | None = None, los=None,
                    sla_v_db: float = 30.0, block_pairs: int = 1 << 20, kernel: str = "auto",
                    tile_size: int | None = None) -> tuple[SectorSet, KernelParams, int]:
    """The sectors, kernel parameters and tile edge [cells] :func:`compute_coverage` works with (arguments as
    there; ``tile_size`` None: :func:`default_tile_size`)."""
    s = _as_sectors(sites, radio)
    p = kernel_params(radio, s.bands, max_reach_m=max_reach_m, los=los, sla_v_db=sla_v_db, block_pairs=block_pairs,
                      origin_xy=(grid.transform.c, grid.transform.f), kernel=kernel)
    return s, p, default_tile_size(kernel) if tile_size is None else int(tile_size)


def _scatter(tile: TileSpec, pairs) -> None:
    """Write ``(values, out)`` pairs at the tile's inside cells of full-grid arrays."""
    r, c = np.nonzero(tile.inside)
    r += tile.row_off
    c += tile.col_off
    for values, out in pairs:
        out[r, c] = values


def _tile_sites(tree: cKDTree | None, tile: TileSpec, radius_m: float) -> np.ndarray:
    if tree is None:
        return np.zeros(0, dtype=np.int64)
    idx = tree.query_ball_point(tile.centre_xy, radius_m + tile.half_diagonal_m)
    return np.sort(np.asarray(idx, dtype=np.int64))


def compute_coverage(
    grid: Grid,
    sites,
    radio: RadioConfig,
    *,
    tile_size: int | None = None,
    max_reach_m: float | None = None,
    los=None,
    sla_v_db: float = 30.0,
    block_pairs: int = 1 << 20,
    progress: Callable | None = None,
    kernel: str = "auto",
) -> CoverageResult:
    """Best-server coverage of ``sites`` over ``grid``.

    Parameters
    ----------
    grid : Grid
        From :func:`siteplan.coverage.make_grid`.
    sites : GeoDataFrame or SectorSet
        Sites in the grid's CRS (see :func:`sectors_from_sites`) or already-expanded sectors.
    radio : RadioConfig
        Link-budget settings; ``rsrp_threshold_dbm`` decides ``covered``.
    tile_size : int, optional
        Tile edge [cells]; changes speed and memory, never the result (default :func:`default_tile_size`).
    max_reach_m, los : optional
        Override ``radio.max_reach_m`` / ``radio.los_mode``.
    sla_v_db : float
        Vertical side-lobe level SLA_V of TR 38.901 Table 7.3-1 [dB] of sectors without their own.
    block_pairs : int
        Max (sector, cell) pairs per numpy block (memory bound of the numpy kernel).
    progress : callable, optional
        ``progress(iterable, desc=..., total=...)`` wrapper (``siteplan.progress.progress``).
    kernel : str
        "auto" (compiled when numba imports), "numba" or "numpy" (the reference); see :func:`tile_kernel`.
    """
    s, p, tile_size = coverage_inputs(grid, sites, radio, max_reach_m=max_reach_m, los=los, sla_v_db=sla_v_db,
                                      block_pairs=block_pairs, kernel=kernel, tile_size=tile_size)
    tasks = tile_tasks(grid, s, p, tile_size=tile_size)
    it = progress(tasks, desc="coverage", total=len(tasks)) if progress else tasks
    return assemble_coverage(grid, s, p, radio, ((t[0], tile_kernel(*t)) for t in it), tile_size=tile_size)


def tile_tasks(grid: Grid, sectors: SectorSet, params: KernelParams, *, tile_size: int = 32) -> list[tuple]:
    """The independent units of coverage work: ``(tile, sectors within reach of it, params)`` for each tile.

    Each task is a pure input of :func:`tile_kernel`, so a distributed engine can run them anywhere and in any
    order (e.g. ``[dask.delayed(tile_kernel)(*t) for t in tasks]``) and :func:`assemble_coverage` gives the
    same raster as :func:`compute_coverage`.
    """
    tree = cKDTree(np.column_stack([sectors.x_m, sectors.y_m])) if sectors.n_sites else None
    return [(tile, sectors.subset(_tile_sites(tree, tile, params.max_reach_m)), params)
            for tile in grid.tiles(tile_size)]


def _blocks(grid: Grid, tile_size: int, block_tiles: int) -> list[list[TileSpec]]:
    """The grid's tiles grouped into blocks of up to ``block_tiles`` x ``block_tiles`` tiles, row-major."""
    if block_tiles < 1:
        raise ValueError(f"block_tiles = {block_tiles}: expected >= 1")
    span = tile_size * block_tiles
    groups: dict[tuple[int, int], list[TileSpec]] = {}
    for tile in grid.tiles(tile_size):
        groups.setdefault((tile.row_off // span, tile.col_off // span), []).append(tile)
    return list(groups.values())


def _block_sites(tree: cKDTree | None, tiles: list[TileSpec], radius_m: float) -> np.ndarray:
    """Sites within ``radius_m`` of any cell of ``tiles`` (a superset: the query is around the block's centre)."""
    if tree is None:
        return np.zeros(0, dtype=np.int64)
    res = tiles[0].resolution_m
    x0 = min(t.x0_m for t in tiles)
    x1 = max(t.x0_m + (t.width - 1) * res for t in tiles)
    y1 = max(t.y0_m for t in tiles)
    y0 = min(t.y0_m - (t.height - 1) * res for t in tiles)
    half_diagonal = 0.5 * math.hypot(x1 - x0, y1 - y0)
    idx = tree.query_ball_point(((x0 + x1) / 2.0, (y0 + y1) / 2.0), radius_m + half_diagonal)
    return np.sort(np.asarray(idx, dtype=np.int64))


def block_tasks(grid: Grid, sectors: SectorSet, params: KernelParams, *, tile_size: int,
                block_tiles: int = 4) -> list[tuple]:
    """Coarser units of coverage work for a distributed engine: ``(tiles, sectors within reach of them, params)``.

    A block is up to ``block_tiles`` x ``block_tiles`` of the grid's tiles and carries only the sites within
    ``max_reach_m`` of its cells, so no task ships the whole SectorSet; :func:`run_block` prunes per tile.
    The tiles are the grid's own (:meth:`Grid.tiles`), so the results are those of :func:`tile_tasks`.
    """
    tree = cKDTree(np.column_stack([sectors.x_m, sectors.y_m])) if sectors.n_sites else None
    return [(tiles, sectors.subset(_block_sites(tree, tiles, params.max_reach_m)), params)
            for tiles in _blocks(grid, tile_size, block_tiles)]


def run_block(tiles: list[TileSpec], sectors: SectorSet, params: KernelParams) -> list[tuple[TileSpec, TileResult]]:
    """:func:`tile_kernel` on each tile of a block with the block's sites within reach of it. Pure."""
    tree = cKDTree(np.column_stack([sectors.x_m, sectors.y_m])) if sectors.n_sites else None
    return [(tile, tile_kernel(tile, sectors.subset(_tile_sites(tree, tile, params.max_reach_m)), params))
            for tile in tiles]


def assemble_coverage(grid: Grid, sectors: SectorSet, params: KernelParams, radio: RadioConfig, results,
                      *, tile_size: int) -> CoverageResult:
    """Scatter ``(tile, TileResult)`` pairs, in any order, into a :class:`CoverageResult`."""
    p = params
    s = sectors
    rsrp = np.full(grid.shape, np.nan, dtype=np.float32)
    rsrp_in = np.full(grid.shape, np.nan, dtype=np.float32)
    sinr = np.full(grid.shape, np.nan, dtype=np.float32)
    server = np.full(grid.shape, -1, dtype=np.int32)
    server_sec = np.full(grid.shape, -1, dtype=np.int32)
    n_pairs = 0
    for tile, res in results:
        n_pairs += res.n_pairs
        _scatter(tile, ((res.rsrp_dbm, rsrp), (res.indoor_rsrp_dbm, rsrp_in), (res.sinr_db, sinr),
                        (res.server_site, server), (res.server_sector, server_sec)))
    thr = float(radio.rsrp_threshold_dbm)
    with np.errstate(invalid="ignore"):
        covered = grid.inside & (rsrp >= thr)
        covered_in = grid.inside & (rsrp_in >= thr)
    params = {
        "max_reach_m": p.max_reach_m,
        "los": p.los,
        "tile_size": tile_size,
        "sla_v_db": p.sla_v_db,
        "resolution_m": grid.resolution_m,
        "bands": list(s.bands),
        "noise_per_re_dbm": dict(zip(s.bands, p.noise_per_re_dbm)),
        "radio": _lb.radio_parameters(radio),
    }
    return CoverageResult(grid, rsrp, rsrp_in, server, server_sec, sinr, covered, covered_in, s, thr, params,
                          n_pairs=n_pairs)


def site_ranges_m(sectors: SectorSet, radio: RadioConfig, *, threshold_dbm: float, layer: str = "outdoor",
                  los=None) -> np.ndarray:
    """Per-site range [m] at which its best sector's peak-gain RSRP falls to ``threshold_dbm``."""
    out = np.zeros(sectors.n_sites)
    if sectors.n_sites == 0:
        return out
    los_ = _prop.los_from_mode(radio.los_mode) if los is None else los
    peak = np.full(sectors.n_sites, -np.inf)
    np.maximum.at(peak, sectors.sec_site, sectors.budget_db)
    pen = radio.indoor_penetration_db
    peak = peak - np.where(sectors.indoor_site == (layer == "outdoor"), pen, 0.0)
    for m in sorted(set(sectors.model)):
        for b in sorted(set(sectors.band)):
            sel = np.flatnonzero((sectors.model == m) & (sectors.band == b))
            if sel.size:
                out[sel] = _lb.max_range_from_budget_m(
                    peak[sel], threshold_dbm=threshold_dbm, model=m, freq_ghz=_lb.BANDS[sectors.bands[b]].freq_ghz,
                    h_bs_m=sectors.h_m[sel], h_ut_m=radio.ue_height_m, los=los_, tol_m=0.5,
                )
    return out


def coverage_matrix(
    grid: Grid,
    sites,
    radio: RadioConfig,
    *,
    layer: str = "outdoor",
    threshold_dbm: float | None = None,
    tile_size: int | None = None,
    max_reach_m: float | None = None,
    los=None,
    sla_v_db: float = 30.0,
    block_pairs: int = 1 << 20,
    progress: Callable | None = None,
    kernel: str = "auto",
) -> sparse.csr_matrix:
    """Which site alone covers which cell: bool CSR matrix (inside cells x sites).

    Row i is inside cell i (:attr:`Grid.cell_index` order); column j is site j of ``sites`` (row order of the
    GeoDataFrame, or the SectorSet's sites). Entry (i, j) is True when site j's best sector gives RSRP >=
    ``threshold_dbm`` (default ``radio.rsrp_threshold_dbm``) on ``layer`` ("outdoor" or "indoor") in cell i.
    Built tile by tile (:func:`site_coverage_tasks`, :func:`assemble_coverage_matrix`); each tile only sees
    sites whose range reaches it, so memory is bounded by the nonzeros.
    """
    s, p, tile_size = coverage_inputs(grid, sites, radio, max_reach_m=max_reach_m, los=los, sla_v_db=sla_v_db,
                                      block_pairs=block_pairs, kernel=kernel, tile_size=tile_size)
    thr = float(radio.rsrp_threshold_dbm if threshold_dbm is None else threshold_dbm)
    tasks = site_coverage_tasks(grid, s, p, radio, layer=layer, threshold_dbm=thr, tile_size=tile_size)
    it = progress(tasks, desc="coverage matrix", total=len(tasks)) if progress else tasks
    return assemble_coverage_matrix(grid, s.n_sites, (pair for t in it for pair in run_site_coverage_block(*t)))


def site_coverage_tasks(grid: Grid, sectors: SectorSet, params: KernelParams, radio: RadioConfig, *, layer: str,
                        threshold_dbm: float, tile_size: int, block_tiles: int = 1) -> list[tuple]:
    """The units of :func:`coverage_matrix`: ``(tiles, sectors within range of them, params, keyword arguments of
    tile_site_coverage)`` per block of ``block_tiles`` x ``block_tiles`` tiles that a site can cover, in any
    order (run by :func:`run_site_coverage_block`, assembled by :func:`assemble_coverage_matrix`)."""
    if layer not in ("outdoor", "indoor"):
        raise ValueError(f"layer = {layer!r}: expected 'outdoor' or 'indoor'")
    if sectors.n_sites == 0:
        return []
    ranges = site_ranges_m(sectors, radio, threshold_dbm=threshold_dbm, layer=layer, los=params.los)
    # + 1 m: the bisection's tolerance (0.5 m) and rounding; beyond it a site cannot clear the threshold.
    reach = np.minimum(ranges + 1.0, params.max_reach_m)
    tree = cKDTree(np.column_stack([sectors.x_m, sectors.y_m]))
    radius = float(reach.max())
    tasks = []
    for tiles in _blocks(grid, tile_size, block_tiles):
        idx = _block_sites(tree, tiles, radius)
        if idx.size:
            kw = {"threshold_dbm": threshold_dbm, "layer": layer, "site_reach_m": reach[idx]}
            tasks.append((tiles, sectors.subset(idx), params, kw))
    return tasks


def run_site_coverage_block(tiles: list[TileSpec], sectors: SectorSet, params: KernelParams,
                            kw: dict) -> list[tuple[TileSpec, tuple[np.ndarray, np.ndarray]]]:
    """:func:`tile_site_coverage` on each tile of a block with the block's sites whose range reaches it. Pure."""
    reach = kw["site_reach_m"]
    tree = cKDTree(np.column_stack([sectors.x_m, sectors.y_m]))
    radius = float(reach.max())
    out = []
    none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    for tile in tiles:
        idx = _tile_sites(tree, tile, radius)
        out.append((tile, tile_site_coverage(tile, sectors.subset(idx), params, threshold_dbm=kw["threshold_dbm"],
                                             layer=kw["layer"], site_reach_m=reach[idx]) if idx.size else none))
    return out


def assemble_coverage_matrix(grid: Grid, n_sites: int, results) -> sparse.csr_matrix:
    """Bool CSR (inside cells x sites) from ``(tile, (inside-cell positions, site indices))`` pairs in any order."""
    ordinal = np.full(grid.shape, -1, dtype=np.int64)
    ordinal.ravel()[grid.cell_index] = np.arange(grid.n_inside)
    rows, cols = [], []
    for tile, (c, j) in results:
        r, cc = np.nonzero(tile.inside)
        rows.append(ordinal[r[c] + tile.row_off, cc[c] + tile.col_off])
        cols.append(j)
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    m = sparse.csr_matrix((np.ones(r.size, dtype=bool), (r, c)), shape=(grid.n_inside, n_sites))
    m.sum_duplicates()
    return m
