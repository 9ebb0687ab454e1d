"""Operator networks: which 5G network a site belongs to, and when its band can carry service.

A network is what a subscriber sees (``[networks.*]`` of district.toml): China Telecom and China Unicom share one
n78 RAN, China Mobile runs n41/n79, and the 700 MHz n28 network is China Broadnet's, co-built with China Mobile.
A site belongs to the network whose operators hold its operator and whose bands hold its band; a cell of another
network neither serves nor interferes with it (different carriers), so coverage, sharing and targets are counted
per network.

A district with no ``[networks]`` table is planned as one network of every site (key :data:`ALL`), as before.

Examples
--------
>>> from siteplan.config import NetworkConfig
>>> nets = {"ctcu": NetworkConfig(operators=("china_telecom", "china_unicom"), bands=("n78",)),
...         "cm": NetworkConfig(operators=("china_mobile",), bands=("n41", "n79"))}
>>> site_networks(["china_unicom", "china_mobile", "china_mobile"], ["n78", "n79", "n78"], nets).tolist()
['ctcu', 'cm', '']
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

from .config import OPERATORS, DistrictConfig, NetworkConfig

__all__ = [
    "ALL",
    "available_by",
    "eligible_statuses",
    "month_end",
    "network_label",
    "network_table",
    "networks_of",
    "site_networks",
]

#: Key of the single network of a district without ``[networks]``.
ALL = "all"


def networks_of(cfg: DistrictConfig) -> dict[str, NetworkConfig]:
    """The district's networks, or one network :data:`ALL` holding every operator and band when none is set."""
    if cfg.networks:
        return dict(cfg.networks)
    from .radio.linkbudget import BANDS

    return {ALL: NetworkConfig(name="all operators", name_zh="全部运营商", operators=tuple(OPERATORS),
                               bands=tuple(BANDS), available_from="1900-01")}


def site_networks(operator, band, networks: dict[str, NetworkConfig]) -> np.ndarray:
    """Network key of each site from its operator and band; "" where no network holds the pair.

    Parameters
    ----------
    operator, band : array_like of str
        Canonical operator keys (e.g. ``"china_mobile"``) and band names (e.g. ``"n41"``); "" = not given.
    networks : dict
        ``[networks.*]`` of the district config (:func:`networks_of`).
    """
    op = pd.Series(np.asarray(operator, dtype=object)).fillna("").astype(str).str.strip()
    bd = pd.Series(np.asarray(band, dtype=object)).fillna("").astype(str).str.strip().str.lower()
    table = {(o, b): key for key, n in networks.items() for o in n.operators for b in n.bands}
    if ALL in networks and len(networks) == 1:
        # One network of every site: the operator may be missing.
        return np.where(bd.isin(networks[ALL].bands), ALL, "").astype(object)
    keys = pd.Series(list(zip(op, bd)), dtype=object).map(table)
    return keys.fillna("").to_numpy(dtype=object)


def month_end(month: str) -> str:
    """Last day of a ``YYYY-MM`` month, ``YYYY-MM-DD``."""
    y, m = (int(p) for p in month.split("-")[:2])
    return f"{y:04d}-{m:02d}-{calendar.monthrange(y, m)[1]:02d}"


def available_by(network: NetworkConfig, date: str) -> bool:
    """Whether the network's bands carry 5G service on ``date`` (``YYYY-MM`` or ``YYYY-MM-DD``)."""
    return network.available_from <= date[:7]


def network_label(key: str, network: NetworkConfig, *, short: bool = False) -> str:
    """``"中文名 English name"`` of a network, for lists and maps; ``short``: ``"简称 key"``."""
    if short:
        return f"{network.short_zh} {key}" if network.short_zh else key
    zh, en = network.name_zh, network.name or key
    return f"{zh} {en}".strip() if zh and zh != en else en


def network_table(cfg: DistrictConfig) -> list[dict]:
    """The networks as plain records for summaries: key, names, operators, bands, service start, targets."""
    from .config import network_target_sites

    nets = networks_of(cfg)
    counts = network_target_sites(cfg) if cfg.networks else {ALL: {t.id: t.sites for t in cfg.targets}}
    return [
        {
            "key": k,
            "name": n.name,
            "name_zh": n.name_zh,
            "short_zh": n.short_zh,
            "operators": list(n.operators),
            "operators_zh": [OPERATORS.get(o, o) for o in n.operators],
            "bands": list(n.bands),
            "available_from": n.available_from,
            "target_sites": counts.get(k, {}),
        }
        for k, n in nets.items()
    ]


def eligible_statuses(cfg: DistrictConfig) -> tuple[str, ...]:
    """Compliance statuses a candidate may have to be planned (conditional ones when ``optimize.include_conditional``)."""
    return ("compliant", "conditional") if cfg.optimize.include_conditional else ("compliant",)
