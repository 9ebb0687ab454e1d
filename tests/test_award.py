"""One award rule: the plan's estimate and `siteplan status` agree for the same sites in service (issue 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from siteplan.config import load_config
from siteplan.costs import award_eligible
from siteplan.evaluate.step import plan_award_eligible
from siteplan.review import registry as R
from siteplan.review.progress import award_estimate, progress_status

from conftest import HEDONG
from review_fixtures import make_district


def _plan():
    """Selected sites of three networks, as the optimize step hands them on (planned in-service dates)."""
    return pd.DataFrame({
        "site_id": ["U1", "U2", "M1", "M2", "B1", "B2", "L1"],
        "network": ["ctcu", "ctcu", "cm", "cm", "cbn", "cbn", "ctcu"],
        "operator": ["china_unicom", "china_telecom", "china_mobile", "china_mobile", "china_broadnet",
                     "china_mobile", "china_telecom"],
        "band": ["n78", "n78", "n41", "n79", "n28", "n28", "n78"],
        "phase": ["2020", "2020", "2020", "2022", "2022", "2022", "2022"],
        # 700 MHz sites "in service" in 2020 would still not earn it: the band carried no 5G then.
        "in_service_planned": ["2020-12-31", "2020-06-30", "2020-12-31", "2022-12-31", "2020-12-31", "2022-12-31",
                               "2021-01-01"],
    })


def test_award_rule_window_and_band():
    cfg = load_config(HEDONG)
    got = plan_award_eligible(_plan(), cfg)
    assert got.tolist() == [True, True, True, False, False, False, False]
    # An upgrade is a new 5G base station for the award: the rule has no "new physical site" condition.
    assert award_eligible(["2020-03-01"], ["2019-10"], cfg.award).tolist() == [True]


def test_plan_estimate_equals_status_for_the_same_sites_in_service(tmp_path):
    """Register the planned sites, put them in service on their planned dates: `siteplan status` (the
    registry's award) gives the same figure as the plan's estimate."""
    cfg = load_config(HEDONG)
    plan = _plan()
    estimate = float(plan_award_eligible(plan, cfg).sum() * cfg.award.per_site_cny)
    d = make_district(tmp_path)
    d.config = cfg.__class__(**{**cfg.__dict__, "review": d.config.review, "root": d.config.root})
    reg = R.open_registry(d)
    sites = plan.assign(name=plan["site_id"], lon=117.22 + 0.001 * np.arange(len(plan)), lat=39.11,
                        site_type="macro", new_build=False)
    R.register_sites(reg, sites)
    with R.transaction(reg.path) as conn:
        for sid in plan["site_id"]:
            R.transition(conn, sid, "under_review", when="2020-01-10")
            R.transition(conn, sid, "approved", when="2020-01-20")
    for sid, day in zip(plan["site_id"], plan["in_service_planned"]):
        R.advance(reg, sid, "under_construction", when="2020-02-01", who="t")
        R.advance(reg, sid, "in_service", when=day, who="t")
    status = progress_status(d, reg)
    assert status["award"]["award_cny"] == estimate == 3 * 20000.0
    assert award_estimate(cfg, reg.sites())["eligible_sites"] == 3
