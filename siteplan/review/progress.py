"""Progress against the district's targets, and the award estimate, from the site registry alone."""

from __future__ import annotations

import calendar
from typing import Any

import numpy as np
import pandas as pd

from .registry import (
    DECIDED_STATES,
    SITE_COLUMNS,
    STATE_ZH,
    STATES,
    Registry,
    open_registry,
    registry_path,
)

__all__ = ["award_estimate", "due_date", "phase_target_index", "progress_from_sites", "progress_status"]

_APPROVED = ("approved", "approved_with_changes", "under_construction", "in_service")


def due_date(due: str) -> str:
    """Last day of a ``YYYY-MM`` month as ``YYYY-MM-DD``."""
    y, m = (int(p) for p in due.split("-")[:2])
    return f"{y:04d}-{m:02d}-{calendar.monthrange(y, m)[1]:02d}"


def phase_target_index(phase: Any, targets) -> int | None:
    """Index of the target a rollout phase belongs to: a target id, or a 1-based phase number; None if neither."""
    s = "" if phase is None else str(phase).strip()
    s = s.removesuffix(".0")
    if not s or s.lower() == "nan":
        return None
    for i, t in enumerate(targets):
        if s == t.id:
            return i
    if s.isdigit() and 1 <= int(s) <= len(targets):
        return int(s) - 1
    return None


def award_estimate(config, sites: pd.DataFrame) -> dict:
    """The award for 5G base stations put into service inside the award window [CNY].

    One rule with the optimizer's estimate (:func:`siteplan.costs.award_eligible`): each new 5G base station in
    service inside ``[award.window_start, award.window_end]`` on a band that carries service by then.
    ``award_cny`` counts the sites in service; ``potential_cny`` adds approved sites not yet in service whose phase
    is due by the window's end (what the district still gets if they go live by their phase's due date).
    """
    from ..costs import award_eligible, award_network_start
    from ..networks import networks_of, site_networks

    a = config.award
    nets = networks_of(config)
    if len(sites):
        net = sites["network"].astype(str).to_numpy(dtype=object) if "network" in sites else np.full(len(sites), "")
        missing = net == ""
        if missing.any():  # registered before networks: derive from operator and band
            band = (sites["band"].astype(str).replace("", config.radio.band).to_numpy(dtype=object)
                    if "band" in sites else np.full(len(sites), config.radio.band, dtype=object))
            net[missing] = site_networks(sites["operator"].to_numpy(dtype=object)[missing], band[missing], nets)
        start = award_network_start(net, nets)
        live = (sites["state"] == "in_service").to_numpy()
        dates = np.where(live, sites["date_in_service"].astype(str).to_numpy(dtype=object), "")
        eligible = int(award_eligible(dates, start, a).sum())
        pending = sites["state"].isin(("approved", "approved_with_changes", "under_construction")).to_numpy()
        idx = [phase_target_index(p, config.targets) for p in sites["phase"]]
        planned = np.array(["" if (i is None or not pend) else due_date(config.targets[i].due)
                            for i, pend in zip(idx, pending)], dtype=object)
        potential = int(award_eligible(planned, start, a).sum())
    else:
        eligible = potential = 0
    return {
        "per_site_cny": a.per_site_cny,
        "window_start": a.window_start,
        "window_end": a.window_end,
        "eligible_sites": eligible,
        "award_cny": eligible * a.per_site_cny,
        "potential_sites": potential,
        "potential_cny": potential * a.per_site_cny,
    }


def progress_from_sites(config, sites: pd.DataFrame, log: pd.DataFrame | None = None) -> dict:
    """Progress figures from a registry's ``sites`` table (see :func:`progress_status`)."""
    targets = config.targets
    counts = {s: int((sites["state"] == s).sum()) if len(sites) else 0 for s in STATES}
    # Target index per site; len(targets) (after every target) when the phase names none.
    phase_idx = np.array([len(targets) if (k := phase_target_index(p, targets)) is None else k
                          for p in sites["phase"]], dtype=int) if len(sites) else np.zeros(0, dtype=int)
    live = sites["state"] != "rejected" if len(sites) else pd.Series([], dtype=bool)
    dates = [str(d) for c in ("date_proposed", "date_under_review", "date_decided", "date_under_construction",
                              "date_in_service") for d in (sites[c] if len(sites) else []) if str(d)]
    out_targets = []
    for i, t in enumerate(targets):
        due = due_date(t.due)
        if len(sites):
            in_service = (sites["state"] == "in_service") & (sites["date_in_service"].astype(str) <= due)
            approved = sites["state"].isin(_APPROVED) & (sites["date_decided"].astype(str) <= due)
            planned = live & (phase_idx <= i)
            n_in, n_ap, n_pl = int(in_service.sum()), int(approved.sum()), int(planned.sum())
            last = max(sites.loc[in_service, "date_in_service"].astype(str), default="")
        else:
            n_in = n_ap = n_pl = 0
            last = ""
        as_of = max(dates, default="")
        met = n_in >= t.sites
        out_targets.append({
            "id": t.id,
            "label": t.label,
            "label_zh": t.label_zh,
            "due": t.due,
            "due_date": due,
            "target_sites": t.sites,
            "sites": t.sites,
            "in_service": n_in,
            "approved": n_ap,
            "planned": n_pl,
            "in_service_share": round(n_in / t.sites, 4),
            "last_in_service_date": last,
            "met": met,
            "state": "met" if met else ("missed" if as_of > due else "open"),
        })
    unphased = int((live & (phase_idx == len(targets))).sum()) if len(sites) else 0
    return {
        "as_of": max(dates, default=""),
        "sites": len(sites),
        "counts": counts,
        "counts_zh": {STATE_ZH[s]: n for s, n in counts.items()},
        "decided": int(sum(counts[s] for s in DECIDED_STATES)) + counts["under_construction"] + counts["in_service"],
        "unphased": unphased,
        "targets": out_targets,
        "award": award_estimate(config, sites),
        "log_entries": len(log) if log is not None else None,
    }


def progress_status(district, registry: Registry | None = None) -> dict:
    """Sites in service / approved / planned against each target, with dates, from the site registry.

    Parameters
    ----------
    district : siteplan.io.District
    registry
        Defaults to the district's registry (created empty if it does not exist yet).

    Returns
    -------
    dict
        ``as_of`` (latest date recorded in the registry, ``YYYY-MM-DD``; never the wall clock), ``counts`` per state,
        ``targets``: one entry per target with ``due_date``, ``target_sites``, ``in_service`` (in service by the
        due date), ``approved`` (decided approved by the due date), ``planned`` (not rejected, phase at or before
        the target), ``met`` and ``state`` (``met`` / ``open`` / ``missed``); ``award`` (:func:`award_estimate`);
        ``registry``: the file read. Counts are the registry's new sites only: sites that existed before the
        registry are not in it.
    """
    if registry is None and not registry_path(district).exists():
        # Reading progress must not create files in the district folder: no registry yet, nothing recorded.
        out = progress_from_sites(district.config, pd.DataFrame(columns=list(SITE_COLUMNS)), None)
        out["registry"] = None
        out["note"] = f"no site registry yet at {registry_path(district)} (created by `siteplan review export`)"
        return out
    reg = registry or open_registry(district)
    out = progress_from_sites(district.config, reg.sites(), reg.log())
    out["registry"] = str(reg.path)
    return out
