"""Capacity at hotspots: busy-hour demand on the grid, each sector's PRB load, the trigger and the remedy.

Demand (``[capacity]``, :func:`siteplan.radio.capacity.busy_hour_demand_mbps` for the per-user rate):

- **background**: the district's residents x lines per resident x the network's share, at the busy-hour rate of
  one user; ``indoor_traffic_share`` of it spread over the indoor layer by floor area, the rest over the outdoor
  layer by area;
- **hotspots**: each hotspot's busy-hour users (``hotspot_users_by_id``, else its scenario's
  ``hotspot_users``) x the network's share at the same rate, on its building's cells (its ``building_id``, else
  the building it stands in; else its own cell), on top of the background.

Each cell's demand is served by the cell's best server on its layer (indoors the indoor layer's server). The
spectral efficiency of a cell is that of its PDSCH SINR: the layer's SS-SINR (neighbours at
``radio.neighbour_load``) plus the serving preset's traffic-beam gain over its SS/PBCH beam gain (the data beam
points at the user; the neighbours' data beams point elsewhere, on average as their SS/PBCH envelope), mapped by
``capacity.se_model``. A sector's load is the share of its PRB-time its cells' demand needs
(:func:`siteplan.radio.capacity.cell_load`): carrier bandwidth x TDD downlink share x (1 - overhead) x the site
type's MIMO layers. Above ``capacity.trigger`` a sector is flagged with its remedy: the carriers to add (the band
allows ``CARRIERS_AVAILABLE``), or, when the band has no more, capacity cells (micro or indoor systems of the
same band at the sector's mean efficiency, :func:`siteplan.radio.capacity.extra_cells`).
"""

from __future__ import annotations

import numpy as np
import shapely

from ..radio import capacity as _cap
from ..radio.linkbudget import get_band
from ..radio.spectral import get_spectral_efficiency
from ..radio.tdd import downlink_share, get_tdd_pattern

__all__ = ["CARRIERS_AVAILABLE", "hotspot_demand_cells", "network_capacity", "sector_loads", "user_rate_mbps"]

#: 100 MHz carriers a network can run on each band in China (domain.md, "Who builds which network"): CT+CU share
#: 3.4-3.6 GHz (two), China Mobile 2515-2675 MHz (one 100 MHz and one 60 MHz, counted as two), 4.8-4.9 GHz
#: (one); 700 MHz 2 x 30 MHz (one).
CARRIERS_AVAILABLE = {"n78": 2, "n41": 2, "n79": 1, "n28": 1}


def user_rate_mbps(capacity, network_share: float) -> float:
    """Busy-hour downlink demand of one mobile line on a network [Mbit/s] (``[capacity]``)."""
    c = capacity
    return float(_cap.busy_hour_demand_mbps(
        1.0, traffic_gb_per_month=c.traffic_gb_per_month, fiveg_share=c.fiveg_share,
        busy_hour_share=c.busy_hour_share, days_per_month=c.days_per_month, downlink_fraction=c.downlink_fraction,
        network_share=network_share))


def hotspot_demand_cells(grid, hotspots) -> list[np.ndarray]:
    """Flat grid indices of the cells each hotspot's demand lands on: its building's cells (``building_id``, else
    the building it stands in), else its own cell; empty off the grid."""
    from ..coverage.figures import hotspot_cells

    out = []
    if hotspots is None or len(hotspots) == 0:
        return out
    own = hotspot_cells(grid, hotspots, "outdoor")
    b = grid.buildings
    bld = np.full(len(hotspots), -1)
    if b is not None:
        pts = shapely.point_on_surface(hotspots.geometry.values)
        bld = b.index_of(hotspots["building_id"].astype(str)) if "building_id" in hotspots else bld
        bld = np.where(bld >= 0, bld, b.building_at(shapely.get_x(pts), shapely.get_y(pts)))
        flat_b = b.cell_building.ravel()
    for i in range(len(hotspots)):
        if b is not None and bld[i] >= 0:
            cells = np.flatnonzero(flat_b == bld[i])
            if cells.size:
                out.append(cells)
                continue
        out.append(np.array([own[i]], dtype=np.int64) if own[i] >= 0 else np.zeros(0, dtype=np.int64))
    return out


def sector_loads(sector, demand_mbps, sinr_db, *, sector_band, sector_rate_mbps_per_se, n_sectors: int,
                 se_model: str = "cqi_256qam") -> dict[str, np.ndarray]:
    """PRB load of each sector from the demand points it serves. Pure.

    Parameters
    ----------
    sector : (n,) int
        Serving sector of each demand point (-1 none).
    demand_mbps : (n,) float
        Busy-hour demand of each point [Mbit/s].
    sinr_db : (n,) float
        PDSCH SINR at each point [dB].
    sector_band : (n_sectors,) object
        Band of each sector (for the carrier count).
    sector_rate_mbps_per_se : (n_sectors,) float
        Each sector's throughput per bit/s/Hz of spectral efficiency [Mbit/s]
        (:func:`siteplan.radio.capacity.cell_capacity_mbps` at SE 1).
    se_model : str
        :func:`siteplan.radio.spectral.get_spectral_efficiency` model.

    Returns
    -------
    dict of arrays over sectors
        ``utilisation`` (share of PRB-time, may exceed 1), ``demand_mbps``, ``mean_se`` (demand-weighted, bit/s/Hz),
        ``capacity_mbps`` (at that mean SE), and ``unserved_mbps`` (scalar array: demand with no server or SE 0).
    """
    srv = np.asarray(sector, dtype=np.int64).ravel()
    dem = np.asarray(demand_mbps, dtype=float).ravel()
    se = get_spectral_efficiency(np.nan_to_num(np.asarray(sinr_db, dtype=float).ravel(), nan=-np.inf), se_model)
    served = (srv >= 0) & (se > 0.0)
    rate = np.asarray(sector_rate_mbps_per_se, dtype=float)
    airtime = np.zeros(dem.shape)
    np.divide(dem, se * rate[np.maximum(srv, 0)], out=airtime, where=served)
    util = np.bincount(srv[served], weights=airtime[served], minlength=n_sectors)
    per = np.bincount(srv[served], weights=dem[served], minlength=n_sectors)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_se = np.where(util > 0, per / (util * rate), 0.0)
    return {"utilisation": util, "demand_mbps": per, "mean_se": mean_se, "capacity_mbps": mean_se * rate,
            "unserved_mbps": np.array(float(dem[~served].sum()))}


def _dl_share(duplex: str) -> float:
    if duplex == "fdd":
        return 1.0
    pat = get_tdd_pattern(duplex)
    return float(downlink_share(pat.slots, pat.special_slot_symbols))


def network_capacity(district, res, network: str, *, top: int = 15) -> dict:
    """The capacity check of one network's coverage ``res`` (a :class:`~siteplan.coverage.CoverageResult` on the
    joint KPI): demand, sector loads, flagged sectors with their remedy, and every hotspot's load. Plain data."""
    cfg = district.config
    c = cfg.capacity
    radio = cfg.radio
    grid = res.grid
    share = c.network_share.get(network, 0.0 if c.network_share else 1.0)
    rate_user = user_rate_mbps(c, share)
    s = res.sectors
    out: dict = {"network_share": share, "user_busy_hour_kbps": round(rate_user * 1000.0, 3),
                 "trigger": c.trigger, "se_model": c.se_model}
    if s.n_sectors == 0 or share <= 0.0:
        out["note"] = "no sites or no demand on this network ([capacity] network_share)"
        return out
    n = grid.shape[0] * grid.shape[1]
    lines = c.residents * c.lines_per_resident
    bg = lines * rate_user
    w_in, w_out = grid.layer_weight_m2("indoor").ravel(), grid.layer_weight_m2("outdoor").ravel()
    if grid.buildings is None:
        w_out = np.zeros(n)  # one layer: the background lands once, on the (indoor) weights
    d_in = bg * c.indoor_traffic_share * w_in / max(w_in.sum(), 1e-9)
    d_out = bg * (1.0 - c.indoor_traffic_share) * w_out / max(w_out.sum(), 1e-9) if w_out.sum() else np.zeros(n)
    if grid.buildings is None:
        d_in = d_in / max(c.indoor_traffic_share, 1e-9)
    hs = district.layers.get("hotspots")
    hot_cells = hotspot_demand_cells(grid, hs)
    indoor_cell = grid.layer_mask("indoor").ravel()
    hs_users = []
    for i, cells in enumerate(hot_cells):
        hid, scen = str(hs["hotspot_id"].iloc[i]), str(hs["scenario"].iloc[i])
        users = float(c.hotspot_users_by_id.get(hid, c.hotspot_users.get(scen, 0.0)))
        hs_users.append(users)
        if cells.size:
            on_in = indoor_cell[cells]
            np.add.at(d_in, cells[on_in], users * rate_user / cells.size)
            np.add.at(d_out, cells[~on_in], users * rate_user / cells.size)
    # Per sector: band, PDSCH gain over SS/PBCH, throughput per unit SE.
    band_names = np.array([s.bands[b] for b in s.band[s.sec_site]], dtype=object)
    types = s.site_type[s.sec_site]
    pairs = dict.fromkeys(zip(types, band_names))
    gain = {k: radio.preset(*k).traffic_gain_dbi - radio.preset(*k).antenna_gain_dbi for k in pairs}
    per_se = {k: float(_cap.cell_capacity_mbps(1.0, n_prb=get_band(k[1]).n_prb, scs_khz=get_band(k[1]).scs_khz,
                                               dl_share=_dl_share(radio.uplink.duplex.get(k[1], "fdd")),
                                               overhead=c.overhead, mimo_layers=c.mimo_layers.get(k[0], 1.0)))
              for k in pairs}
    sec_gain = np.array([gain[k] for k in zip(types, band_names)])
    sec_rate = np.array([per_se[k] for k in zip(types, band_names)])
    srv_out, srv_in = res.server_sector.ravel(), res.indoor_server_sector.ravel()
    pts = np.flatnonzero((d_out > 0) | (d_in > 0))
    sector = np.concatenate([srv_out[pts], srv_in[pts]])
    demand = np.concatenate([d_out[pts], d_in[pts]])
    sinr = np.concatenate([res.sinr_db.ravel()[pts], res.indoor_sinr_db.ravel()[pts]]).astype(float)
    sinr = sinr + np.where(sector >= 0, sec_gain[np.maximum(sector, 0)], 0.0)
    keep = demand > 0
    loads = sector_loads(sector[keep], demand[keep], sinr[keep], sector_band=band_names, sector_rate_mbps_per_se=sec_rate,
                         n_sectors=s.n_sectors, se_model=c.se_model)
    util = loads["utilisation"]
    over = _cap.over_trigger(util, c.trigger)
    carriers = np.array([CARRIERS_AVAILABLE.get(b, 1) for b in band_names])
    more = _cap.extra_carriers(util, carriers=1, trigger=c.trigger)
    site_of = s.sec_site
    used = util > 0
    out.update({
        "demand_mbps": {"total": round(float(d_in.sum() + d_out.sum()), 2), "indoor": round(float(d_in.sum()), 2),
                        "outdoor": round(float(d_out.sum()), 2),
                        "hotspots": round(float(np.sum(hs_users) * rate_user), 2)},
        "sectors": int(s.n_sectors), "sectors_over_trigger": int(over.sum()),
        "utilisation": ({"p50": round(float(np.percentile(util[used], 50)), 4),
                         "p95": round(float(np.percentile(util[used], 95)), 4),
                         "max": round(float(util.max()), 4)} if used.any() else None),
        "unserved_mbps": round(float(loads["unserved_mbps"]), 2),
    })
    sec_hot: dict[int, list[str]] = {}
    hot_rows = []
    flat_in = indoor_cell
    for i, cells in enumerate(hot_cells):
        hid = str(hs["hotspot_id"].iloc[i])
        if not cells.size:
            hot_rows.append({"hotspot_id": hid, "on_grid": False})
            continue
        srv = np.where(flat_in[cells], srv_in[cells], srv_out[cells])
        srv = srv[srv >= 0]
        secs = np.unique(srv)
        for k in secs:
            sec_hot.setdefault(int(k), []).append(hid)
        worst = int(secs[np.argmax(util[secs])]) if secs.size else -1
        hot_rows.append({
            "hotspot_id": hid, "name": str(hs["name"].iloc[i]) if "name" in hs else "",
            "scenario": str(hs["scenario"].iloc[i]), "users": hs_users[i],
            "demand_mbps": round(hs_users[i] * rate_user, 2), "on_grid": True,
            "sectors": [_sector_label(s, int(k)) for k in secs],
            "max_utilisation": round(float(util[worst]), 4) if worst >= 0 else None,
            "capacity_limited": bool(worst >= 0 and over[worst]),
            "remedy": _remedy(worst, util, loads, more, carriers, band_names, types, sec_rate, c) if worst >= 0 and over[worst]
            else None,
        })
    flagged = []
    for k in np.argsort(-util, kind="stable")[: max(int(over.sum()), 0)][:top]:
        k = int(k)
        flagged.append({"sector": _sector_label(s, k), "site_id": str(s.site_id[site_of[k]]),
                        "band": band_names[k], "site_type": types[k],
                        "utilisation": round(float(util[k]), 4),
                        "demand_mbps": round(float(loads["demand_mbps"][k]), 2),
                        "capacity_mbps": round(float(loads["capacity_mbps"][k]), 2),
                        "mean_se_bps_hz": round(float(loads["mean_se"][k]), 3),
                        "hotspots": sec_hot.get(k, []),
                        "remedy": _remedy(k, util, loads, more, carriers, band_names, types, sec_rate, c)})
    out["flagged_sectors"] = flagged
    out["hotspots"] = hot_rows
    out["capacity_limited_hotspots"] = [h["hotspot_id"] for h in hot_rows if h.get("capacity_limited")]
    return out


def _sector_label(s, k: int) -> str:
    az = s.azimuth_deg[k]
    return f"{s.site_id[s.sec_site[k]]}/{'omni' if not np.isfinite(az) else f'{az:g}'}"


def _remedy(k, util, loads, more, carriers, band_names, types, sec_rate, c) -> dict:
    """What brings sector ``k`` under the trigger: a carrier where the band has one to spare, else capacity cells
    (micro cells of the band at the sector's mean efficiency, after any spare carrier)."""
    need = int(more[k])
    spare = int(carriers[k]) - 1
    if need <= spare:
        return {"action": "add_carrier", "extra_carriers": need, "carriers_available": int(carriers[k]),
                "text": f"add {need} carrier(s) on {band_names[k]} (the band allows {int(carriers[k])})"}
    micro_per_se = float(sec_rate[k]) / c.mimo_layers.get(types[k], 1.0) * c.mimo_layers.get("micro", 1.0)
    new_cap = max(float(loads["mean_se"][k]) * micro_per_se, 1e-6)
    cells = int(_cap.extra_cells(loads["demand_mbps"][k], loads["capacity_mbps"][k] * (1 + spare),
                                 new_cell_capacity_mbps=new_cap, trigger=c.trigger))
    return {"action": "capacity_cells", "extra_carriers": spare, "capacity_cells": cells,
            "carriers_available": int(carriers[k]),
            "text": (f"add {spare} carrier(s) and " if spare else "") +
                    f"{cells} capacity cell(s) (micro / indoor system on {band_names[k]})"}
