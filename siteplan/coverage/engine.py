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
- RSRP per sector: see :mod:`siteplan.radio.linkbudget` (margin per model, :mod:`siteplan.radio.budgets`); a
  site's ``eirp_dbm`` (when given) shifts its power by ``eirp_dbm - (total_power_dbm + antenna_gain_dbi -
  cable_loss_db)`` of its type preset.
- Best server: the sector with the highest RSRP on the layer (ties: the lowest sector index); ``server`` is its
  site. Each layer has its own best server.
- SINR [dB]: serving RSRP over (``radio.neighbour_load`` x the sum of all other sectors' RSRP on the same band
  within reach + noise per RE): the neighbours carry power on that share of the resources; interference from
  beyond ``max_reach_m`` ignored.
- Layers (:meth:`Grid.layer_mask`): outdoors, the cells outside building footprints; indoors, the cells in a
  footprint. Indoors an outdoor-type site (macro, micro) loses the cell's indoor loss (its building class on the
  site's band: TR 38.901 O2I and the extra indoor margin, ``KernelParams.indoor_loss_db``) on serving and
  interfering signal alike. An indoor-type site (``site_type == "indoor"``, an indoor system) serves its own
  building without loss, at the distance to its nearest antenna head (``head_radius_m`` of its preset); its
  signal leaves the building with that building's loss (``SectorSet.exit_db``) towards the outdoor layer and
  other buildings. Without a building map every cell is on both layers, of the generic building class.
- Covered: RSRP >= ``radio.rsrp_threshold_dbm`` on the layer's cells (:func:`assemble_coverage`); the operators'
  joint KPI (SINR) and the uplink are applied by :func:`siteplan.coverage.networks.apply_kpi`.
- Cells with no site within reach get RSRP = -inf, server -1, SINR NaN; cells outside the district (and, for
  the indoor RSRP, outside the indoor layer) NaN.
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
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from ..config import RadioConfig
from ..errors import RadioConfigError
from ..radio import budgets as _budgets
from ..radio import linkbudget as _lb
from ..radio import propagation as _prop
from .buildings import GENERIC_CLASS as _GENERIC_CLASS
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
    "kernel_params",
    "locate_sites",
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

    Per site (:attr:`SITE_FIELDS`): ``site_id``, ``site_index`` (position in the full set; kept by :meth:`subset`),
    ``x_m``, ``y_m``, ``h_m``, ``model``, ``band`` (index into ``bands``), ``indoor_site``, ``building`` (the
    building an indoor-type site stands in, -1 none), ``exit_db`` (loss of leaving that building [dB]; NaN =
    ``KernelParams.indoor_penetration_db``), ``head_m`` (radius of an indoor system's antenna heads [m], 0 = one
    antenna), ``site_type``.
    Per sector (:attr:`SECTOR_FIELDS`): ``sec_site`` (local site position), ``sec_index`` (position in the full
    set), ``azimuth_deg`` (NaN = omni), ``budget_db`` (RSRP budget without path loss and pattern [dB]),
    ``h_bw_deg``, ``v_bw_deg``, ``tilt_deg``, ``am_db``, ``sla_v_db`` (vertical side-lobe level SLA_V [dB]; NaN =
    ``KernelParams.sla_v_db``), ``ul_floor_dbm`` (the SS-RSRP below which the sector's uplink cannot carry the edge
    rate [dBm]; -inf = not checked).
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
    building: np.ndarray | None = None
    exit_db: np.ndarray | None = None
    head_m: np.ndarray | None = None
    ul_floor_dbm: np.ndarray | None = None
    site_type: np.ndarray | None = None

    SITE_FIELDS = ("site_id", "site_index", "x_m", "y_m", "h_m", "model", "band", "indoor_site", "building",
                   "exit_db", "head_m", "site_type")
    SECTOR_FIELDS = ("sec_site", "sec_index", "azimuth_deg", "budget_db", "h_bw_deg", "v_bw_deg", "tilt_deg",
                     "am_db", "sla_v_db", "ul_floor_dbm")

    def __post_init__(self):
        n, k = int(np.asarray(self.x_m).size), int(np.asarray(self.sec_site).size)
        for name, size, fill, dtype in (("building", n, -1, np.int64), ("exit_db", n, np.nan, float),
                                        ("head_m", n, 0.0, float), ("ul_floor_dbm", k, -np.inf, float)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, np.full(size, fill, dtype=dtype))
        if self.site_type is None:
            object.__setattr__(self, "site_type", np.where(self.indoor_site, "indoor", "macro").astype(object))

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
        kw = {f: getattr(self, f)[keep] for f in self.SITE_FIELDS}
        kw.update({f: getattr(self, f)[smask] for f in self.SECTOR_FIELDS})
        kw["sec_site"] = new_pos[self.sec_site[smask]]
        return SectorSet(bands=self.bands, **kw)

    @staticmethod
    def concat(a: SectorSet, b: SectorSet) -> SectorSet:
        """``a`` then ``b`` (e.g. existing sites then candidates), indices renumbered."""
        bands = tuple(dict.fromkeys(a.bands + b.bands))
        remap_a = np.array([bands.index(x) for x in a.bands], dtype=np.int64)
        remap_b = np.array([bands.index(x) for x in b.bands], dtype=np.int64)
        kw = {f: np.concatenate([getattr(a, f), getattr(b, f)]) for f in SectorSet.SITE_FIELDS + SectorSet.SECTOR_FIELDS}
        kw["band"] = np.concatenate([remap_a[a.band] if a.n_sites else a.band, remap_b[b.band] if b.n_sites else b.band])
        kw["site_index"] = np.arange(a.n_sites + b.n_sites)
        kw["sec_site"] = np.concatenate([a.sec_site, b.sec_site + a.n_sites])
        kw["sec_index"] = np.arange(a.n_sectors + b.n_sectors)
        return SectorSet(bands=bands, **kw)


@dataclass(frozen=True)
class KernelParams:
    """Radio parameters a tile kernel needs (plain data)."""

    ue_height_m: float
    los: object
    max_reach_m: float
    #: Loss of leaving its building [dB] of an indoor-type site whose own ``SectorSet.exit_db`` is NaN.
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
    #: Indoor loss [dB] per band (order of ``SectorSet.bands``) and building class (order of ``Grid.classes``):
    #: the mean O2I loss plus the extra indoor margin (siteplan.radio.budgets.indoor_loss_table_db); empty = the
    #: scalar ``indoor_penetration_db`` for every band and class.
    indoor_loss_db: tuple[tuple[float, ...], ...] = ()
    #: Share of the other cells' power that interferes (radio.neighbour_load); 1 = fully loaded.
    neighbour_load: float = 1.0


@dataclass(frozen=True)
class TileResult:
    """Results for a tile's inside cells, row-major (float64 [dBm, dB]; global site / sector index, -1 none).

    Outdoor-layer fields, then the indoor layer's: the indoor RSRP of a cell off the indoor layer (no building)
    is NaN, its server -1 and its SINR NaN.
    """

    rsrp_dbm: np.ndarray
    indoor_rsrp_dbm: np.ndarray
    server_site: np.ndarray
    server_sector: np.ndarray
    sinr_db: np.ndarray
    #: (sector, cell) pairs within ``max_reach_m``: the evaluations that count.
    n_pairs: int
    indoor_server_site: np.ndarray | None = None
    indoor_server_sector: np.ndarray | None = None
    indoor_sinr_db: np.ndarray | None = None


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
    #: The indoor layer's best server (site, sector) and SINR [dB]; -1 / NaN off the layer.
    indoor_server: np.ndarray | None = None
    indoor_server_sector: np.ndarray | None = None
    indoor_sinr_db: np.ndarray | None = None

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
    table = {k: radio.preset(*k) for k in dict.fromkeys(zip(stype, band_names))}
    presets = [table[k] for k in zip(stype, band_names)]
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
    # Per (site type, band): the RSRP budget and the uplink's RSRP floor above it (siteplan.radio.budgets).
    pair_budget = {k: (_lb.budget_db(radio.preset(*k), radio), _budgets.ul_floor_offset_db(radio, radio.preset(*k),
                                                                                            k[1]))
                   for k in dict.fromkeys(zip(stype, band_names))}
    az_col = sites["azimuths_deg"].tolist() if "azimuths_deg" in sites else [None] * n
    # Per-site expansion (ingestion, not a hot path): one row per sector.
    sec_site, az, budget, hbw, vbw, tilt, am, sla, floor = [], [], [], [], [], [], [], [], []
    for i in range(n):
        p = presets[i]
        try:
            azs = parse_azimuths(az_col[i])
        except ValueError:
            raise RadioConfigError(f"site {ids[i]!r}: azimuths_deg {az_col[i]!r} is not a list of numbers") from None
        if not azs:
            azs = tuple(p.azimuths_deg)
        b0, ul_offset = pair_budget[(stype[i], band_names[i])]
        b = b0 + delta[i]
        for a in azs if azs else (math.nan,):
            sec_site.append(i)
            az.append(a % 360.0)
            budget.append(b)
            hbw.append(p.h_beamwidth_deg)
            vbw.append(p.v_beamwidth_deg)
            tilt.append(p.tilt_deg)
            am.append(p.front_to_back_db)
            sla.append(p.sla_v_db)
            floor.append(b + ul_offset)
    n_sec = len(sec_site)
    return SectorSet(
        ids, np.arange(n), x, y, h.astype(float), model, band_idx.astype(np.int64),
        np.array([t == "indoor" for t in stype]), bands,
        np.array(sec_site, dtype=np.int64), np.arange(n_sec), np.array(az, dtype=float),
        np.array(budget, dtype=float), np.array(hbw, dtype=float), np.array(vbw, dtype=float),
        np.array(tilt, dtype=float), np.array(am, dtype=float), np.array(sla, dtype=float),
        head_m=np.array([p.head_radius_m if t == "indoor" else 0.0 for p, t in zip(presets, stype)], dtype=float),
        ul_floor_dbm=np.array(floor, dtype=float), site_type=stype.astype(object),
    )


def locate_sites(sectors: SectorSet, grid: Grid, params: KernelParams) -> SectorSet:
    """``sectors`` with the building each indoor-type site stands in and its exit loss (the indoor loss of that
    building's class on the site's band; a generic building's where it stands in none of the grid's)."""
    if sectors.n_sites == 0:
        return sectors
    table = np.asarray(params.indoor_loss_db, dtype=float)
    b = np.full(sectors.n_sites, -1, dtype=np.int64)
    bmap = grid.buildings
    ind = np.flatnonzero(sectors.indoor_site)
    if bmap is not None and ind.size:
        b[ind] = bmap.building_at(sectors.x_m[ind], sectors.y_m[ind])
    generic = grid.classes.index(_GENERIC_CLASS)
    cls = np.where(b >= 0, bmap.building_class[np.maximum(b, 0)] if bmap is not None else generic, generic)
    exit_db = (table[sectors.band, cls] if table.size else np.full(sectors.n_sites, params.indoor_penetration_db))
    return dataclasses.replace(sectors, building=b, exit_db=np.where(sectors.indoor_site, exit_db, np.nan))


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
    classes: tuple[str, ...] = (_GENERIC_CLASS,),
) -> KernelParams:
    """Kernel parameters from the radio config (``max_reach_m``/``los`` override the config's); ``classes`` are
    the grid's building classes (:attr:`Grid.classes`)."""
    _check_kernel(kernel)
    table = _budgets.indoor_loss_table_db(radio, classes, bands) if bands else np.zeros((0, len(classes)))
    return KernelParams(
        ue_height_m=float(radio.ue_height_m),
        los=_prop.los_from_mode(radio.los_mode) if los is None else los,
        max_reach_m=float(radio.max_reach_m if max_reach_m is None else max_reach_m),
        indoor_penetration_db=_budgets.reference_indoor_loss_db(radio, radio.band),
        noise_per_re_dbm=tuple(_lb.noise_per_re_dbm(b, noise_figure_db=radio.noise_figure_db) for b in bands),
        freq_ghz=tuple(_lb.BANDS[b].freq_ghz for b in bands),
        sla_v_db=float(sla_v_db),
        block_pairs=int(block_pairs),
        origin_xy=(float(origin_xy[0]), float(origin_xy[1])),
        kernel=kernel,
        indoor_loss_db=tuple(tuple(float(v) for v in row) for row in table),
        neighbour_load=float(radio.neighbour_load),
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


def _iter_blocks(xs: np.ndarray, ys: np.ndarray, s: SectorSet, p: KernelParams, cell_bld=None, cell_indoor=None):
    """Yield (sector rows, their local sites, chunk of sites, band, rx [dBm] (k, n), rx_own, own, pairs within
    reach).

    The numpy reference kernel's blocks, float64. Pairs beyond ``max_reach_m`` are -inf. Sites are grouped by
    (model, band) so each group is one call of the model's vectorized formula; within a group, chunks of sites
    keep (sectors x cells) under ``block_pairs``. RSRP = (budget - path loss) - pattern loss. With ``cell_bld``
    (building of each cell, -1 none) and ``cell_indoor`` (cells on the indoor layer): ``own`` (k, n) marks the
    cells in an indoor-type sector's own building and ``rx_own`` its RSRP there at its nearest head
    (``SectorSet.head_m``); both None for a block without such cells.
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
            rx_own = own = None
            if cell_bld is not None and s.indoor_site[chunk].any():
                own_site = ((cell_bld[None, :] == s.building[chunk, None]) & cell_indoor[None, :]
                            & s.indoor_site[chunk, None])
                if own_site.any():
                    head = np.where(s.building[chunk] >= 0, s.head_m[chunk], 0.0)[:, None]
                    d_own = np.where(own_site & (head > 0.0), np.minimum(d2, head), d2)
                    pl_own = func(d_own, freq_ghz=p.freq_ghz[band], h_bs_m=sh[chunk, None], h_ut_m=p.ue_height_m,
                                  los=p.los)
                    pl_own = np.where(within, pl_own, np.inf)
                    own = own_site[loc]
                    with np.errstate(invalid="ignore"):
                        rx_own = np.where(own, rx + (pl[loc] - pl_own[loc]), -np.inf)
            yield secs, loc, chunk, band, rx, rx_own, own, n_pairs


def _exit_db(s: SectorSet, p: KernelParams) -> np.ndarray:
    """Exit loss [dB] of each site: its own for indoor-type sites (NaN: ``p.indoor_penetration_db``), 0 others."""
    e = np.where(np.isfinite(s.exit_db), s.exit_db, p.indoor_penetration_db)
    return np.where(s.indoor_site, e, 0.0)


def _indoor_cells(tile: TileSpec, p: KernelParams, n_bands: int, *, rect: bool):
    """Indoor loss per band of the tile's cells [dB] (+inf off the indoor layer), its linear factor, and the
    building of each cell: (bands, rows, cols) arrays over the rectangle (``rect``) or (bands, inside cells)."""
    shape = tile.inside.shape
    cls = tile.cell_class if tile.cell_class is not None else np.zeros(shape, dtype=np.int16)
    bld = tile.cell_building if tile.cell_building is not None else np.full(shape, -1, dtype=np.int32)
    if not rect:
        cls, bld = cls[tile.inside], bld[tile.inside]
    table = (np.asarray(p.indoor_loss_db, dtype=float) if p.indoor_loss_db
             else np.full((max(n_bands, 1), 1), p.indoor_penetration_db))
    pen = np.where(cls >= 0, table[:, np.maximum(cls, 0)], np.inf) if table.size else np.full((1, *cls.shape), np.inf)
    pen_lin = np.where(np.isfinite(pen), np.power(10.0, -pen / 10.0), 0.0)
    return np.ascontiguousarray(pen), np.ascontiguousarray(pen_lin), np.ascontiguousarray(bld, dtype=np.int64)


def _fold(best, best_sec, best_site, best_band, sums, v, lin, gsec, gsite, band, cols):
    """Fold a block's (sectors x cells) values into a layer's running best server and linear sums, ties to the
    lowest sector index as the compiled kernel."""
    k = v.argmax(axis=0)
    top = v[k, cols]
    g = gsec[k]
    upd = (top > best) | ((top == best) & (g < best_sec) & (best_sec >= 0))
    best[:] = np.where(upd, top, best)
    best_sec[:] = np.where(upd, g, best_sec)
    best_site[:] = np.where(upd, gsite[k], best_site)
    best_band[:] = np.where(upd, band, best_band)
    sums[band] += lin.sum(axis=0)


def _sinr_db(best, best_sec, best_band, sums, noise_lin, load, cols) -> np.ndarray:
    has = best_sec >= 0
    # The serving term exactly as it entered the sum, so it cancels without residue.
    s_lin = np.exp(best * _LN10_10)
    interf = np.maximum(sums[best_band, cols] - s_lin, 0.0) * load
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(has, 10.0 * np.log10(s_lin / (interf + noise_lin[best_band])), np.nan)


def _tile_kernel_numpy(tile: TileSpec, s: SectorSet, p: KernelParams) -> TileResult:
    """The reference kernel: blocks of numpy arrays (:func:`_iter_blocks`)."""
    xs, ys = tile.cell_xy()
    n = xs.size
    nb = max(1, len(s.bands))
    layers = []
    for _ in range(2):  # outdoor, indoor: best, best sector, best site, best band, linear sums
        layers.append((np.full(n, -np.inf), np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64),
                       np.zeros(n, dtype=np.int64), np.zeros((nb, n))))
    pen, pen_lin, bld = _indoor_cells(tile, p, len(s.bands), rect=False)
    exit_db = _exit_db(s, p)
    cols = np.arange(n)
    n_pairs = 0
    for secs, loc, chunk, band, rx, rx_own, own, n_blk in _iter_blocks(xs, ys, s, p, bld, np.isfinite(pen[0])):
        n_pairs += n_blk
        out = rx - exit_db[chunk[loc]][:, None]
        lin = np.exp(out * _LN10_10)
        gsec, gsite = s.sec_index[secs], s.site_index[chunk[loc]]
        _fold(*layers[0], out, lin, gsec, gsite, band, cols)
        v_in = out - pen[band][None, :]
        lin_in = lin * pen_lin[band][None, :]
        if own is not None:
            v_in = np.where(own, rx_own, v_in)
            lin_in = np.where(own, np.exp(rx_own * _LN10_10), lin_in)
        _fold(*layers[1], v_in, lin_in, gsec, gsite, band, cols)
    noise = _noise_lin(s, p)
    (b_o, k_o, site_o, band_o, sum_o), (b_i, k_i, site_i, band_i, sum_i) = layers
    return TileResult(b_o, _off_layer_nan(tile, b_i), site_o, k_o,
                      _sinr_db(b_o, k_o, band_o, sum_o, noise, p.neighbour_load, cols), n_pairs, site_i, k_i,
                      _sinr_db(b_i, k_i, band_i, sum_i, noise, p.neighbour_load, cols))


def _off_layer_nan(tile: TileSpec, indoor_rsrp: np.ndarray) -> np.ndarray:
    """The tile's indoor RSRP (inside cells) with NaN where a cell is not on the indoor layer."""
    if tile.cell_class is None:
        return indoor_rsrp
    return np.where(tile.cell_class[tile.inside] >= 0, indoor_rsrp, np.nan)


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
    pen, pen_lin, bld = _indoor_cells(tile, p, len(s.bands), rect=True)
    return {
        "col_x": col_x, "row_y": row_y, "res": float(res), "row_lo": row_lo, "row_hi": row_hi, "inside": inside,
        "cell_pen": pen, "cell_pen_lin": pen_lin, "cell_bld": bld,
        "site_x": sx, "site_y": sy, "site_model": model, "site_band": band,
        "site_indoor": s.indoor_site.astype(np.bool_), "site_bld": s.building.astype(np.int64),
        "site_exit": _exit_db(s, p).astype(float), "site_head": s.head_m.astype(float),
        "site_k": kn.site_constants_all(model, fc, h, float(p.ue_height_m)),
        "site_dh": h - p.ue_height_m,
        "sec_start": np.searchsorted(s.sec_site, np.arange(s.n_sites + 1)).astype(np.int64),
        "sec_dir": np.isfinite(s.azimuth_deg),
        "sec_budget": s.budget_db.astype(float), "sec_az": s.azimuth_deg.astype(float),
        "sec_hscale": _SQRT12 / s.h_bw_deg, "sec_vscale": _SQRT12 / s.v_bw_deg,
        "sec_tilt": s.tilt_deg.astype(float), "sec_am": s.am_db.astype(float), "sec_sla": _sector_sla_db(s, p),
        "reach": float(p.max_reach_m), "los": kn.LOS_CODES[p.los],
    }


def _server(k: np.ndarray, s: SectorSet) -> tuple[np.ndarray, np.ndarray]:
    """Global (sector, site) of local sector indices ``k`` (-1 none)."""
    has = k >= 0
    kk = np.where(has, k, 0)
    if not s.n_sectors:
        return np.full(k.shape, -1), np.full(k.shape, -1)
    return np.where(has, s.sec_index[kk], -1), np.where(has, s.site_index[s.sec_site[kk]], -1)


def _tile_kernel_numba(tile: TileSpec, s: SectorSet, p: KernelParams) -> TileResult:
    """The compiled kernel (:func:`siteplan.coverage.kernel_numba.rect_kernel`) on the tile's rectangle."""
    kn = _compiled()
    args = _compiled_inputs(tile, s, p)
    best, best_k, sinr, best_in, best_in_k, sinr_in, n_pairs = kn.rect_kernel(
        **args, noise_lin=_noise_lin(s, p), load=float(p.neighbour_load))
    m = tile.inside
    sec, site = _server(best_k[m], s)
    sec_in, site_in = _server(best_in_k[m], s)
    return TileResult(best[m], _off_layer_nan(tile, best_in[m]), site, sec, sinr[m], int(n_pairs), site_in, sec_in,
                      sinr_in[m])


def tile_kernel(tile: TileSpec, sectors: SectorSet, params: KernelParams) -> TileResult:
    """Best RSRP, best server and SINR for one tile's inside cells, outdoors and indoors. Pure.

    ``params.kernel`` picks the implementation ("auto": the compiled one when numba imports); both compute the
    same float64 arithmetic and agree to ~1e-12 dB.

    Parameters
    ----------
    tile : TileSpec
        The cells (with their slice of the building map).
    sectors : SectorSet
        The sectors that may reach the tile (any superset of them gives the same result).
    params : KernelParams
        Radio parameters.
    """
    if resolve_kernel(params.kernel) == "numba":
        return _tile_kernel_numba(tile, sectors, params)
    return _tile_kernel_numpy(tile, sectors, params)


def _sector_floor_dbm(s: SectorSet, threshold_dbm: float) -> np.ndarray:
    """The RSRP [dBm] a sector must give to cover a cell: the threshold, or its uplink floor when higher."""
    return np.maximum(float(threshold_dbm), s.ul_floor_dbm)


def tile_site_coverage(
    tile: TileSpec,
    sectors: SectorSet,
    params: KernelParams,
    *,
    threshold_dbm: float,
    layer: str = "outdoor",
    site_reach_m: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(tile inside-cell position, global site index) pairs where the site alone covers the cell on ``layer``. Pure.

    A site covers a cell when one of its sectors gives RSRP >= ``threshold_dbm`` there and at least its uplink
    floor (``SectorSet.ul_floor_dbm``): downlink and uplink hold, with the same indoor model as
    :func:`tile_kernel`. ``site_reach_m`` (one per site of ``sectors``, e.g. from :func:`site_ranges_m`) bounds how
    far each site can clear the threshold; the compiled kernel skips cells beyond it. Path loss is
    non-decreasing in distance, so a true bound changes nothing.
    """
    if layer not in ("outdoor", "indoor"):
        raise ValueError(f"layer = {layer!r}: expected 'outdoor' or 'indoor'")
    none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    floor = _sector_floor_dbm(sectors, threshold_dbm)
    if resolve_kernel(params.kernel) == "numba":
        if sectors.n_sites == 0 or not tile.inside.any():
            return none
        args = _compiled_inputs(tile, sectors, params)
        del args["cell_pen_lin"]
        reach = np.full(sectors.n_sites, params.max_reach_m) if site_reach_m is None else site_reach_m
        flat, loc = _compiled().rect_site_coverage(
            **args, sec_floor=floor, site_reach=np.minimum(np.asarray(reach, dtype=float), params.max_reach_m),
            indoor_layer=layer == "indoor")
        position = np.cumsum(tile.inside.ravel()) - 1
        return position[flat], sectors.site_index[loc]
    xs, ys = tile.cell_xy()
    cells, sites = [], []
    pen, _, bld = _indoor_cells(tile, params, len(sectors.bands), rect=False)
    exit_db = _exit_db(sectors, params)
    for secs, loc, chunk, band, rx, rx_own, own, _n in _iter_blocks(xs, ys, sectors, params, bld,
                                                                     np.isfinite(pen[0])):
        v = rx - exit_db[chunk[loc]][:, None]
        if layer == "indoor":
            v = v - pen[band][None, :]
            if own is not None:
                v = np.where(own, rx_own, v)
        v = v - floor[secs][:, None]
        # Sectors are contiguous per site: reduce each site's sectors to its best.
        starts = np.flatnonzero(np.r_[True, loc[1:] != loc[:-1]])
        per_site = np.maximum.reduceat(v, starts, axis=0)
        r, c = np.nonzero(per_site >= 0.0)
        cells.append(c)
        sites.append(sectors.site_index[chunk[loc[starts[r]]]])
    if not cells:
        return none
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
                      origin_xy=(grid.transform.c, grid.transform.f), kernel=kernel, classes=grid.classes)
    return locate_sites(s, grid, p), p, default_tile_size(kernel) if tile_size is None else int(tile_size)


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
    """Scatter ``(tile, TileResult)`` pairs, in any order, into a :class:`CoverageResult`.

    ``covered`` / ``indoor_covered`` are RSRP >= threshold on each layer's cells (:meth:`Grid.layer_mask`);
    :func:`siteplan.coverage.networks.apply_kpi` adds SINR and the uplink.
    """
    p = params
    s = sectors
    f32 = lambda: np.full(grid.shape, np.nan, dtype=np.float32)  # noqa: E731
    i32 = lambda: np.full(grid.shape, -1, dtype=np.int32)  # noqa: E731
    rsrp, rsrp_in, sinr, sinr_in = f32(), f32(), f32(), f32()
    server, server_sec, server_in, server_sec_in = i32(), i32(), i32(), i32()
    n_pairs = 0
    for tile, res in results:
        n_pairs += res.n_pairs
        _scatter(tile, ((res.rsrp_dbm, rsrp), (res.indoor_rsrp_dbm, rsrp_in), (res.sinr_db, sinr),
                        (res.server_site, server), (res.server_sector, server_sec),
                        (res.indoor_server_site, server_in), (res.indoor_server_sector, server_sec_in),
                        (res.indoor_sinr_db, sinr_in)))
    thr = float(radio.rsrp_threshold_dbm)
    with np.errstate(invalid="ignore"):
        covered = grid.layer_mask("outdoor") & (rsrp >= thr)
        covered_in = grid.layer_mask("indoor") & (rsrp_in >= thr)
    params = {
        "max_reach_m": p.max_reach_m,
        "los": p.los,
        "tile_size": tile_size,
        "sla_v_db": p.sla_v_db,
        "neighbour_load": p.neighbour_load,
        "resolution_m": grid.resolution_m,
        "bands": list(s.bands),
        "noise_per_re_dbm": dict(zip(s.bands, p.noise_per_re_dbm)),
        "indoor_loss_db": {b: dict(zip(grid.classes, row)) for b, row in zip(s.bands, p.indoor_loss_db)},
        "radio": _lb.radio_parameters(radio),
    }
    return CoverageResult(grid, rsrp, rsrp_in, server, server_sec, sinr, covered, covered_in, s, thr, params,
                          n_pairs=n_pairs, indoor_server=server_in, indoor_server_sector=server_sec_in,
                          indoor_sinr_db=sinr_in)


def site_ranges_m(sectors: SectorSet, radio: RadioConfig, *, threshold_dbm: float, layer: str = "outdoor",
                  los=None, params: KernelParams | None = None) -> np.ndarray:
    """Per-site range [m] beyond which none of its sectors' peak-gain RSRP on ``layer`` reaches ``threshold_dbm``.

    An upper bound: the layer's smallest loss is used (indoors the lightest building class of the band for
    outdoor-type sites, none for indoor-type sites in their own building; outdoors an indoor-type site's exit
    loss), from ``params`` (default: the generic building of :func:`kernel_params`).
    """
    out = np.zeros(sectors.n_sites)
    if sectors.n_sites == 0:
        return out
    p = params if params is not None else kernel_params(radio, sectors.bands)
    los_ = _prop.los_from_mode(radio.los_mode) if los is None else los
    peak = np.full(sectors.n_sites, -np.inf)
    np.maximum.at(peak, sectors.sec_site, sectors.budget_db)
    table = np.asarray(p.indoor_loss_db, dtype=float)
    lightest = table.min(axis=1) if table.size else np.full(len(sectors.bands), p.indoor_penetration_db)
    if layer == "indoor":
        peak = peak - np.where(sectors.indoor_site, 0.0, lightest[sectors.band])
    else:
        peak = peak - _exit_db(sectors, p)
    for m in sorted(set(sectors.model)):
        for b in sorted(set(sectors.band)):
            sel = np.flatnonzero((sectors.model == m) & (sectors.band == b))
            if sel.size:
                out[sel] = _lb.max_range_from_budget_m(
                    peak[sel], threshold_dbm=threshold_dbm, model=m, freq_ghz=_lb.BANDS[sectors.bands[b]].freq_ghz,
                    h_bs_m=sectors.h_m[sel], h_ut_m=radio.ue_height_m, los=los_, tol_m=0.5,
                )
    return out


def _own_building_reach_m(sectors: SectorSet, grid: Grid) -> np.ndarray:
    """Distance [m] from each indoor-type site with antenna heads to the farthest corner of its building's
    bounding box (its heads serve the whole building; 0 for other sites)."""
    out = np.zeros(sectors.n_sites)
    b = grid.buildings
    sel = np.flatnonzero(sectors.indoor_site & (sectors.building >= 0) & (sectors.head_m > 0.0))
    if b is None or sel.size == 0:
        return out
    box = shapely.bounds(b.geometries[sectors.building[sel]])
    dx = np.maximum(np.abs(box[:, 0] - sectors.x_m[sel]), np.abs(box[:, 2] - sectors.x_m[sel]))
    dy = np.maximum(np.abs(box[:, 1] - sectors.y_m[sel]), np.abs(box[:, 3] - sectors.y_m[sel]))
    out[sel] = np.hypot(dx, dy) + grid.resolution_m
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
    ranges = site_ranges_m(sectors, radio, threshold_dbm=threshold_dbm, layer=layer, los=params.los, params=params)
    if layer == "indoor":
        ranges = np.maximum(ranges, _own_building_reach_m(sectors, grid))
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
