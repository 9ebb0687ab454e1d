"""Best-server SS-RSRP, best-server id and SINR over a grid, tile by tile with spatial pruning.

How a raster is computed
------------------------
1. Sites are expanded into sectors (:func:`sectors_from_sites`): one per azimuth of the site (its
   ``azimuths_deg`` column, else its site type's preset), or one omni sector when there are none.
2. The grid is cut into tiles; for each tile a KD-tree returns the sites within ``max_reach_m`` plus the tile's
   half-diagonal of its centre, and only those are handed to :func:`tile_kernel`.
3. :func:`tile_kernel` is a pure function of (tile spec, the sectors within reach, kernel parameters): it
   evaluates every (sector, cell) pair in blocks of numpy arrays and masks pairs farther apart than
   ``max_reach_m``, so a cell's result does not depend on how the grid was tiled (the same tile can run in
   another process, e.g. on Dask, with identical results).

Definitions
-----------
- RSRP per sector: see :mod:`siteplan.radio.linkbudget`; a site's ``eirp_dbm`` (when given) shifts its power by
  ``eirp_dbm - (total_power_dbm + antenna_gain_dbi - cable_loss_db)`` of its type preset.
- Best server: the sector with the highest outdoor RSRP (ties: the lowest sector index); ``server`` is its site.
- SINR [dB]: serving RSRP over (the sum of all other sectors' RSRP on the same band within reach + noise per
  RE): a fully loaded network, interference from beyond ``max_reach_m`` ignored.
- Indoor: outdoor RSRP minus ``radio.indoor_penetration_db`` for outdoor sites (macro, micro); indoor-type
  sites (``site_type == "indoor"``) radiate inside buildings, so they lose the penetration loss on the outdoor
  layer instead and none on the indoor one.
- Covered: RSRP >= ``radio.rsrp_threshold_dbm`` (outdoor / indoor layer). SINR is reported, not required, so
  adding a site can only add coverage.
- Cells with no site within reach get RSRP = -inf, server -1, SINR NaN; cells outside the district NaN.
"""

from __future__ import annotations

import dataclasses
import math
import re
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
    "KernelParams",
    "SectorSet",
    "TileResult",
    "assemble_coverage",
    "compute_coverage",
    "coverage_matrix",
    "kernel_params",
    "parse_azimuths",
    "sectors_from_sites",
    "site_ranges_m",
    "tile_kernel",
    "tile_site_coverage",
    "tile_tasks",
]


@dataclass(frozen=True, eq=False)
class SectorSet:
    """Sites and their sectors as flat arrays; sectors are ordered by site, then azimuth.

    Per site: ``site_id``, ``site_index`` (position in the full set; kept by :meth:`subset`), ``x_m``, ``y_m``,
    ``h_m``, ``model``, ``band`` (index into ``bands``), ``indoor_site``.
    Per sector: ``sec_site`` (local site position), ``sec_index`` (position in the full set), ``azimuth_deg``
    (NaN = omni), ``budget_db`` (RSRP budget without path loss and pattern [dB]), ``h_bw_deg``, ``v_bw_deg``,
    ``tilt_deg``, ``am_db``.
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
            cat([a.am_db, b.am_db]),
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
    sla_v_db: float = 30.0
    #: Upper bound on (sector, cell) pairs held in memory at once.
    block_pairs: int = 1 << 20
    #: Fixed origin [m] of the float32 relative coordinates (the grid's corner): the same for every tile, so a
    #: cell's result does not depend on the tiling, bit for bit.
    origin_xy: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class TileResult:
    """Results for a tile's inside cells, row-major."""

    rsrp_dbm: np.ndarray
    indoor_rsrp_dbm: np.ndarray
    server_site: np.ndarray
    server_sector: np.ndarray
    sinr_db: np.ndarray
    n_pairs: int


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


_SQRT12 = np.float32(math.sqrt(12.0))
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
                     np.zeros(0, dtype=bool), bands, i, i, f, f, f, f, f, f)


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
        for i in sel:  # per-site check so the message can name the site; runs once per site, not per cell
            try:
                _prop.check_model_inputs(m, freq_ghz=freq[i], h_bs_m=h[i], h_ut_m=radio.ue_height_m)
            except RadioConfigError as e:
                raise RadioConfigError(f"site {ids[i]!r} ({stype[i]}, model {m!r}): {e}") from None
    eirp = pd.to_numeric(sites["eirp_dbm"], errors="coerce").to_numpy(float) if "eirp_dbm" in sites else np.full(n, np.nan)
    preset_eirp = np.array([p.total_power_dbm + p.antenna_gain_dbi - p.cable_loss_db for p in presets])
    delta = np.where(np.isfinite(eirp), eirp - preset_eirp, 0.0)
    az_col = sites["azimuths_deg"].tolist() if "azimuths_deg" in sites else [None] * n
    # Per-site expansion (ingestion, not a hot path): one row per sector.
    sec_site, az, budget, hbw, vbw, tilt, am = [], [], [], [], [], [], []
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
    n_sec = len(sec_site)
    return SectorSet(
        ids, np.arange(n), x, y, h.astype(float), model, band_idx.astype(np.int64),
        np.array([t == "indoor" for t in stype]), bands,
        np.array(sec_site, dtype=np.int64), np.arange(n_sec), np.array(az, dtype=float),
        np.array(budget, dtype=float), np.array(hbw, dtype=float), np.array(vbw, dtype=float),
        np.array(tilt, dtype=float), np.array(am, dtype=float),
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
) -> KernelParams:
    """Kernel parameters from the radio config (``max_reach_m``/``los`` override the config's)."""
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
    )


def _pattern_loss(phi, dep_rel, hbw, vbw, am, sla_v):
    """TR 38.901 Table 7.3-1 as a loss [dB] >= 0, in place on the fresh arrays ``phi`` and ``dep_rel``.

    Same formula as :func:`siteplan.radio.antenna.sector_pattern_db` (negated), fused for speed:
    12 (x / bw)^2 = (x sqrt(12) / bw)^2; L = min(min(L_H, Am) + min(L_V, SLA_V), Am). ``phi`` is the
    horizontal angle off boresight in (-540, 540) [deg], ``dep_rel`` the depression minus the tilt [deg].
    """
    lh = phi
    np.abs(lh, out=lh)
    np.minimum(lh, np.abs(np.float32(360.0) - lh), out=lh)
    lh *= _SQRT12 / hbw
    np.square(lh, out=lh)
    np.minimum(lh, am, out=lh)
    lv = dep_rel
    lv *= _SQRT12 / vbw
    np.square(lv, out=lv)
    np.minimum(lv, sla_v, out=lv)
    lh += lv
    np.minimum(lh, am, out=lh)
    return lh


def _iter_blocks(xs: np.ndarray, ys: np.ndarray, s: SectorSet, p: KernelParams):
    """Yield (sector rows, their local sites, chunk of sites, band, rx [dBm] float32 (k, n)) in a fixed order.

    Pairs beyond ``max_reach_m`` are -inf. Sites are grouped by (model, band) so each group is one call of the
    model's vectorized formula; within a group, chunks of sites keep (sectors x cells) under ``block_pairs``.
    The arithmetic is float32 on coordinates relative to ``params.origin_xy`` (float64 differences first),
    which keeps distances to a few millimetres across a district and RSRP to ~1e-4 dB while halving memory
    traffic.
    """
    n = xs.size
    if n == 0 or s.n_sites == 0:
        return
    f32 = np.float32
    ox, oy = p.origin_xy
    xr = (xs - ox).astype(f32)
    yr = (ys - oy).astype(f32)
    sx = (s.x_m - ox).astype(f32)
    sy = (s.y_m - oy).astype(f32)
    sh = s.h_m.astype(f32)
    dh = (s.h_m - p.ue_height_m).astype(f32)
    budget = s.budget_db.astype(f32)
    az = s.azimuth_deg.astype(f32)
    hbw, vbw, tilt, am = (a.astype(f32) for a in (s.h_bw_deg, s.v_bw_deg, s.tilt_deg, s.am_db))
    reach = f32(p.max_reach_m)
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
            # +inf path loss beyond reach: those pairs drop out of every max and sum below.
            pl = np.where(d2 > reach, f32(np.inf), pl)
            dsec = directional[secs]
            n_sec = sec_per_site[chunk]
            uniform = bool((n_sec == n_sec[0]).all())
            if uniform and n_sec[0] == 1 and not dsec.any():
                # Omni sites: one sector each, no pattern, no gather.
                rx = np.subtract(budget[secs, None], pl, out=pl)
            elif uniform and dsec.all():
                # Every site has the same number of directional sectors (e.g. 3): broadcast (site, sector, cell).
                m, k = chunk.size, int(n_sec[0])
                g = secs.reshape(m, k)
                bearing = np.degrees(np.arctan2(dx, dy))
                dep = np.degrees(np.arctan2(dh[chunk, None], d2))
                loss = _pattern_loss(bearing[:, None, :] - az[g][:, :, None], dep[:, None, :] - tilt[g][:, :, None],
                                     hbw[g][:, :, None], vbw[g][:, :, None], am[g][:, :, None], f32(p.sla_v_db))
                loss += pl[:, None, :]
                rx = np.subtract(budget[g][:, :, None], loss, out=loss).reshape(m * k, n)
            else:
                rx = budget[secs, None] - pl[loc]
                if dsec.any():
                    kd = np.flatnonzero(dsec)
                    sites_d = np.unique(loc[kd])
                    back = np.full(chunk.size, -1, dtype=np.int64)
                    back[sites_d] = np.arange(sites_d.size)
                    # Angles once per site (not per sector), only for sites with directional sectors.
                    bearing = np.degrees(np.arctan2(dx[sites_d], dy[sites_d]))
                    dep = np.degrees(np.arctan2(dh[chunk[sites_d], None], d2[sites_d]))
                    g = secs[kd]
                    bl = back[loc[kd]]
                    rx[kd] -= _pattern_loss(bearing[bl] - az[g, None], dep[bl] - tilt[g, None], hbw[g, None],
                                            vbw[g, None], am[g, None], f32(p.sla_v_db))
            yield secs, loc, chunk, band, rx


def tile_kernel(tile: TileSpec, sectors: SectorSet, params: KernelParams) -> TileResult:
    """Best RSRP (outdoor, indoor), best server and SINR for one tile's inside cells. Pure.

    Parameters
    ----------
    tile : TileSpec
        The cells.
    sectors : SectorSet
        The sectors that may reach the tile (any superset of them gives the same result).
    params : KernelParams
        Radio parameters.
    """
    xs, ys = tile.cell_xy()
    n = xs.size
    best = np.full(n, -np.inf, dtype=np.float32)
    best_in = np.full(n, -np.inf, dtype=np.float32)
    best_sec = np.full(n, -1, dtype=np.int64)
    best_site = np.full(n, -1, dtype=np.int64)
    best_band = np.zeros(n, dtype=np.int64)
    n_bands = max(1, len(sectors.bands))
    sum_lin = np.zeros((n_bands, n))
    pen = params.indoor_penetration_db
    any_indoor = bool(sectors.indoor_site.any())
    cols = np.arange(n)
    n_pairs = 0
    for secs, loc, chunk, band, rx in _iter_blocks(xs, ys, sectors, params):
        n_pairs += rx.size
        if any_indoor:
            ind = sectors.indoor_site[chunk[loc]]
            out = rx - np.where(ind, pen, 0.0).astype(np.float32)[:, None]
            best_in = np.maximum(best_in, (rx - np.where(ind, 0.0, pen).astype(np.float32)[:, None]).max(axis=0))
        else:
            out = rx
        k = out.argmax(axis=0)
        v = out[k, cols]
        upd = v > best
        best = np.where(upd, v, best)
        best_sec = np.where(upd, sectors.sec_index[secs[k]], best_sec)
        best_site = np.where(upd, sectors.site_index[chunk[loc[k]]], best_site)
        best_band = np.where(upd, band, best_band)
        sum_lin[band] += np.power(np.float32(10.0), out * np.float32(0.1)).sum(axis=0, dtype=np.float64)
    if not any_indoor:
        best_in = best - np.float32(pen)
    has = best_sec >= 0
    # The serving term exactly as it entered the sum (float32 power), so it cancels without residue.
    s_lin = np.power(np.float32(10.0), best * np.float32(0.1)).astype(np.float64)
    noise = np.power(10.0, np.asarray(params.noise_per_re_dbm or (0.0,), dtype=float) * 0.1)
    interf = np.maximum(sum_lin[best_band, cols] - s_lin, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sinr = np.where(has, 10.0 * np.log10(s_lin / (interf + noise[best_band])), np.nan)
    return TileResult(best, best_in, best_site, best_sec, sinr, n_pairs)


def tile_site_coverage(
    tile: TileSpec, sectors: SectorSet, params: KernelParams, *, threshold_dbm: float, layer: str = "outdoor"
) -> tuple[np.ndarray, np.ndarray]:
    """(tile inside-cell position, global site index) pairs where the site alone clears the threshold. Pure."""
    xs, ys = tile.cell_xy()
    cells, sites = [], []
    pen = params.indoor_penetration_db
    for secs, loc, chunk, band, rx in _iter_blocks(xs, ys, sectors, params):
        ind = sectors.indoor_site[chunk[loc]]
        off = np.where(ind, pen, 0.0) if layer == "outdoor" else np.where(ind, 0.0, pen)
        rx = rx - off.astype(np.float32)[:, None]
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


def _scatter(tile: TileSpec, values: np.ndarray, out: np.ndarray) -> None:
    r, c = np.nonzero(tile.inside)
    out[r + tile.row_off, c + tile.col_off] = values


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
    tile_size: int = 32,
    max_reach_m: float | None = None,
    los=None,
    sla_v_db: float = 30.0,
    block_pairs: int = 1 << 20,
    progress: Callable | None = None,
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
    tile_size : int
        Tile edge [cells]; changes speed and memory, never the result.
    max_reach_m, los : optional
        Override ``radio.max_reach_m`` / ``radio.los_mode``.
    sla_v_db : float
        Vertical side-lobe level SLA_V of TR 38.901 Table 7.3-1 [dB].
    block_pairs : int
        Max (sector, cell) pairs per numpy block (memory bound).
    progress : callable, optional
        ``progress(iterable, desc=..., total=...)`` wrapper (``siteplan.progress.progress``).
    """
    s = _as_sectors(sites, radio)
    p = kernel_params(radio, s.bands, max_reach_m=max_reach_m, los=los, sla_v_db=sla_v_db, block_pairs=block_pairs,
                      origin_xy=(grid.transform.c, grid.transform.f))
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
        _scatter(tile, res.rsrp_dbm, rsrp)
        _scatter(tile, res.indoor_rsrp_dbm, rsrp_in)
        _scatter(tile, res.sinr_db, sinr)
        _scatter(tile, res.server_site, server)
        _scatter(tile, res.server_sector, server_sec)
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
    tile_size: int = 32,
    max_reach_m: float | None = None,
    los=None,
    sla_v_db: float = 30.0,
    block_pairs: int = 1 << 20,
    progress: Callable | None = None,
) -> sparse.csr_matrix:
    """Which site alone covers which cell: bool CSR matrix (inside cells x sites).

    Row i is inside cell i (:attr:`Grid.cell_index` order); column j is site j of ``sites`` (row order of the
    GeoDataFrame, or the SectorSet's sites). Entry (i, j) is True when site j's best sector gives RSRP >=
    ``threshold_dbm`` (default ``radio.rsrp_threshold_dbm``) on ``layer`` ("outdoor" or "indoor") in cell i.
    Built tile by tile; each tile only sees sites whose range reaches it, so memory is bounded by the nonzeros.
    """
    if layer not in ("outdoor", "indoor"):
        raise ValueError(f"layer = {layer!r}: expected 'outdoor' or 'indoor'")
    s = _as_sectors(sites, radio)
    thr = float(radio.rsrp_threshold_dbm if threshold_dbm is None else threshold_dbm)
    p = kernel_params(radio, s.bands, max_reach_m=max_reach_m, los=los, sla_v_db=sla_v_db, block_pairs=block_pairs,
                      origin_xy=(grid.transform.c, grid.transform.f))
    ordinal = np.full(grid.shape, -1, dtype=np.int64)
    ordinal.ravel()[grid.cell_index] = np.arange(grid.n_inside)
    rows, cols = [], []
    if s.n_sites:
        reach = np.minimum(site_ranges_m(s, radio, threshold_dbm=thr, layer=layer, los=p.los), p.max_reach_m)
        tree = cKDTree(np.column_stack([s.x_m, s.y_m]))
        radius = float(reach.max()) + 1.0
        tiles = grid.tiles(tile_size)
        it = progress(tiles, desc="coverage matrix", total=len(tiles)) if progress else tiles
        for tile in it:
            idx = _tile_sites(tree, tile, radius)
            if idx.size == 0:
                continue
            c, j = tile_site_coverage(tile, s.subset(idx), p, threshold_dbm=thr, layer=layer)
            r, cc = np.nonzero(tile.inside)
            rows.append(ordinal[r[c] + tile.row_off, cc[c] + tile.col_off])
            cols.append(j)
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    m = sparse.csr_matrix((np.ones(r.size, dtype=bool), (r, c)), shape=(grid.n_inside, s.n_sites))
    m.sum_duplicates()
    return m
