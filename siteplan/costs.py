"""Money: ten-year cost of ownership of a 5G site, the work plan's award, and what its two cost measures save.

Cost of ownership of one 5G base station over ``costs.horizon_years`` (undiscounted, CNY)::

    TCO = capex + horizon x (rent + tower lease + electricity)
    capex       = costs.build[build_kind].capex_cny + costs.equipment_cny[type(.band)]
    rent        = costs.build[build_kind].rent_cny_per_year
    tower lease = costs.tower_lease_cny_per_year x (1 - sharing_discount[tenants - 1])   (China Tower sites only)
    electricity = costs.power_kw[type(.band)] x 8,760 h x electricity_cny_per_kwh[power supply]

and conditional candidates cost ``conditional_penalty`` times more (special approval, disguised antennas).

The award (work plan, Tianjin's smart-manufacturing fund): CNY ``award.per_site_cny`` for each 5G base station a
basic telecom operator builds and puts in operation inside ``[award.window_start, award.window_end]``, on a band
that carries 5G service by then. :func:`award_eligible` is the one rule both the optimizer's estimate (planned
in-service dates) and ``siteplan status`` (the registry's real dates) use, so the two never disagree.

The work plan's two cost measures:

- free access to public property (公共资源免费开放): a site on a free public facility pays no rent; it saves what a
  rooftop site would pay (``costs.build.rooftop.rent_cny_per_year``) each year;
- direct power supply (直供电): a site on direct supply pays the direct tariff instead of the transferred one;
  it saves ``power_kw x 8,760 x (price[transferred] - price[direct])`` a year. Sites on the retrofit list are
  counted as potential savings.

Examples
--------
>>> from siteplan.config import CostsConfig
>>> c = CostsConfig()
>>> t = site_costs(["co_site_upgrade", "rooftop"], ["macro", "macro"], ["n78", "n78"], ["direct", "direct"],
...                tenants=[1, 1], costs=c)
>>> bool(t["tco_cny"][0] < t["tco_cny"][1])
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import AwardConfig, CostsConfig, NetworkConfig

__all__ = [
    "HOURS_PER_YEAR",
    "award_eligible",
    "site_costs",
    "cost_measure_savings",
]

HOURS_PER_YEAR = 8760.0


def _keyed(table: dict[str, float], site_type, band) -> np.ndarray:
    """``table["<type>.<band>"]`` where given, else ``table["<type>"]``, per site (a few distinct pairs)."""
    pairs = pd.MultiIndex.from_arrays([np.asarray(site_type, dtype=object), np.asarray(band, dtype=object)])
    lut = {k: float(table.get(f"{k[0]}.{k[1]}", table.get(k[0], np.nan))) for k in pairs.unique()}
    return np.fromiter((lut[k] for k in pairs), dtype=float, count=len(pairs))


def site_costs(build_kind, site_type, band, power_supply, *, tenants, costs: CostsConfig,
               conditional=None) -> dict[str, np.ndarray]:
    """Cost of ownership per site [CNY]: capex, yearly opex (rent, lease, electricity) and TCO over the horizon.

    Parameters
    ----------
    build_kind, site_type, band, power_supply : array_like of str
        Per site (``build_kind`` of the compliance check; ``power_supply`` direct/transferred/unknown).
    tenants : array_like of int
        Operators on the site with this one (1 = alone); sets the China Tower sharing discount.
    costs : CostsConfig
    conditional : array_like of bool, optional
        Conditional candidates, charged ``costs.conditional_penalty`` times.

    Returns
    -------
    dict of (n,) float arrays
        ``capex_cny, rent_cny_per_year, lease_cny_per_year, energy_cny_per_year, opex_cny_per_year, tco_cny``
        and ``kwh_per_year``.
    """
    kind = pd.Series(np.asarray(build_kind, dtype=object))
    n = len(kind)
    build = kind.map({k: b.capex_cny for k, b in costs.build.items()}).to_numpy(dtype=float)
    rent = kind.map({k: b.rent_cny_per_year for k, b in costs.build.items()}).to_numpy(dtype=float)
    leased = kind.map({k: b.tower_lease for k, b in costs.build.items()}).fillna(False).to_numpy(dtype=bool)
    if np.isnan(build).any():
        bad = kind[np.isnan(build)].iloc[0]
        raise ValueError(f"build kind {bad!r} has no entry in costs.build")
    equipment = _keyed(costs.equipment_cny, site_type, band)
    kw = _keyed(costs.power_kw, site_type, band)
    disc = np.asarray(costs.sharing_discount, dtype=float)
    k = np.clip(np.asarray(tenants, dtype=np.int64) - 1, 0, disc.size - 1) if n else np.zeros(0, np.int64)
    lease = np.where(leased, costs.tower_lease_cny_per_year * (1.0 - disc[k]), 0.0)
    price = pd.Series(np.asarray(power_supply, dtype=object)).map(costs.electricity_cny_per_kwh)
    price = price.fillna(costs.electricity_cny_per_kwh["unknown"]).to_numpy(dtype=float)
    kwh = kw * HOURS_PER_YEAR
    energy = kwh * price
    capex = build + equipment
    opex = rent + lease + energy
    tco = capex + costs.horizon_years * opex
    if conditional is not None:
        tco = np.where(np.asarray(conditional, dtype=bool), tco * costs.conditional_penalty, tco)
    return {"capex_cny": capex, "rent_cny_per_year": rent, "lease_cny_per_year": lease,
            "energy_cny_per_year": energy, "opex_cny_per_year": opex, "tco_cny": tco, "kwh_per_year": kwh}


def award_eligible(in_service_date, network_available_from, award: AwardConfig, *, new_station=None) -> np.ndarray:
    """Which 5G base stations earn the work plan's award: in service inside the award window, on a band that
    carries 5G service by then.

    Parameters
    ----------
    in_service_date : array_like of str
        ``YYYY-MM-DD`` (real or planned); "" = not in service.
    network_available_from : array_like of str
        ``YYYY-MM`` from which the site's network carries service ("" = unknown: not eligible).
    award : AwardConfig
    new_station : array_like of bool, optional
        False for stations that existed before the window (default: all new).

    Examples
    --------
    >>> a = AwardConfig()
    >>> award_eligible(["2020-06-30", "2021-01-01", "2020-12-31"], ["2019-10", "2019-10", "2022-06"], a).tolist()
    [True, False, False]
    """
    d = pd.Series(np.asarray(in_service_date, dtype=object)).fillna("").astype(str)
    avail = pd.Series(np.asarray(network_available_from, dtype=object)).fillna("").astype(str)
    ok = (d != "") & (d >= award.window_start) & (d <= award.window_end)
    ok &= (avail != "") & (avail.to_numpy() <= d.str[:7].to_numpy())
    out = ok.to_numpy(dtype=bool)
    if new_station is not None:
        out &= np.asarray(new_station, dtype=bool)
    return out


def award_network_start(network, networks: dict[str, NetworkConfig]) -> np.ndarray:
    """``available_from`` of each site's network ("" where the site has none)."""
    s = pd.Series(np.asarray(network, dtype=object)).map({k: n.available_from for k, n in networks.items()})
    return s.fillna("").to_numpy(dtype=object)


def cost_measure_savings(build_kind, free_access, power_supply, needs_direct_supply, kwh_per_year,
                         costs: CostsConfig) -> dict[str, float]:
    """What free public property and direct power supply save on a set of sites [CNY per year and over horizon].

    ``free_access``: the site stands on a public facility open free of charge. A direct-supply site saves the
    difference between the transferred and the direct tariff; sites needing a retrofit give the potential saving.
    """
    free = np.asarray(free_access, dtype=bool) | (np.asarray(build_kind, dtype=object) == "public_facility")
    rent_saved = float(free.sum()) * costs.build["rooftop"].rent_cny_per_year
    gap = costs.electricity_cny_per_kwh["transferred"] - costs.electricity_cny_per_kwh["direct"]
    kwh = np.asarray(kwh_per_year, dtype=float)
    direct = np.asarray(power_supply, dtype=object) == "direct"
    retro = np.asarray(needs_direct_supply, dtype=bool) & ~direct
    power_saved = float(kwh[direct].sum()) * gap
    power_potential = float(kwh[retro].sum()) * gap
    h = costs.horizon_years
    return {
        "free_public_property_sites": int(free.sum()),
        "free_public_property_cny_per_year": round(rent_saved, 2),
        "free_public_property_cny_horizon": round(rent_saved * h, 2),
        "direct_supply_sites": int(direct.sum()),
        "direct_supply_cny_per_year": round(power_saved, 2),
        "direct_supply_cny_horizon": round(power_saved * h, 2),
        "retrofit_sites": int(retro.sum()),
        "retrofit_potential_cny_per_year": round(power_potential, 2),
        "retrofit_potential_cny_horizon": round(power_potential * h, 2),
        "total_cny_per_year": round(rent_saved + power_saved, 2),
        "total_cny_horizon": round((rent_saved + power_saved) * h, 2),
        "horizon_years": h,
    }
