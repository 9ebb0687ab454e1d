"""Invariants of the compliance check (hypothesis), on the hand-built district of test_compliance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box
from test_compliance import CANDIDATES, X0, Y0, toy_district

from siteplan.compliance import check_candidates
from siteplan.compliance.check import CHECK_COLUMNS
from siteplan.compliance.reasons import REASON_CODES, REASONS, STATUS_RANK

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE = check_candidates(toy_district())
RANK = BASE["status"].map(STATUS_RANK).to_numpy()


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    for col in ("site_id", *CHECK_COLUMNS):
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(x, y, err_msg=col)
        else:
            assert list(x) == list(y), col


@SETTINGS
@given(st.permutations(range(len(CANDIDATES))))
def test_shuffling_candidates_permutes_results(perm):
    out = check_candidates(toy_district(candidates=[CANDIDATES[i] for i in perm]))
    _same(out.reset_index(drop=True), BASE.iloc[list(perm)].reset_index(drop=True))


def _with_layer(d, name: str, extra: pd.DataFrame):
    layer = d.layers[name]
    geoms = shapely.affinity.translate(extra.geometry.values, X0, Y0)
    extra = extra.set_geometry(geoms).set_crs(layer.crs, allow_override=True)
    d.layers[name] = pd.concat([layer, extra], ignore_index=True)
    return d


boxes = st.tuples(st.floats(-200, 2100), st.floats(-200, 2100), st.floats(1, 600), st.floats(1, 600))


@SETTINGS
@given(boxes)
def test_a_new_prohibited_zone_never_makes_a_candidate_more_compliant(b):
    x, y, w, h = b
    import geopandas as gpd

    zone = gpd.GeoDataFrame({"zone_id": ["ZX"], "category": ["prohibited"], "name": [""], "reason": [""]},
                            geometry=[box(x, y, x + w, y + h)])
    out = check_candidates(_with_layer(toy_district(), "plan_zones", zone))
    rank = out["status"].map(STATUS_RANK).to_numpy()
    assert (rank >= RANK).all()
    inside = shapely.intersects(box(x + X0, y + Y0, x + w + X0, y + h + Y0), out.geometry.values)
    assert (out.loc[inside, "status"] == "non_compliant").all()
    # Other reasons do not move: only IN_PROHIBITED_ZONE may be added.
    strip = lambda s: ";".join(c for c in s.split(";") if c and c != "IN_PROHIBITED_ZONE")
    assert list(out["reasons"].map(strip)) == list(BASE["reasons"].map(strip))


@SETTINGS
@given(st.floats(0, 2000), st.floats(0, 2000), st.sampled_from(["macro", "micro", "indoor"]), st.floats(20, 400))
def test_a_new_planned_site_never_makes_a_candidate_less_compliant(x, y, site_type, radius):
    import geopandas as gpd

    plan = gpd.GeoDataFrame({"plan_id": ["PX"], "site_type": [site_type], "ring_radius_m": [radius], "name": [""],
                             "zone_class": [""], "status": ["new"], "term": ["near"]}, geometry=[Point(x, y)])
    out = check_candidates(_with_layer(toy_district(), "plan_sites", plan))
    assert (out["status"].map(STATUS_RANK).to_numpy() <= RANK).all()


@SETTINGS
@given(st.lists(st.tuples(st.floats(-300, 2300), st.floats(-300, 2300),
                          st.sampled_from(["macro", "micro", "indoor"]),
                          st.sampled_from(["", "street_lamp", "monitoring_pole", "rooftop", "tower"]),
                          st.sampled_from(["CT", "CU", "CM"]), st.sampled_from(["n78", "n41"])),
                min_size=1, max_size=25))
def test_status_is_the_worst_effect_of_the_reasons_listed_in_order(rows):
    cands = [(f"R{i:02d}", x, y, t, op, band, mount, "", "direct", None)
             for i, (x, y, t, mount, op, band) in enumerate(rows)]
    out = check_candidates(toy_district(candidates=cands))
    for status, reasons in zip(out["status"], out["reasons"]):
        codes = [c for c in reasons.split(";") if c]
        assert codes == [c for c in REASON_CODES if c in codes]
        worst = max([STATUS_RANK[REASONS[c].effect] for c in codes], default=0)
        assert STATUS_RANK[status] == worst
    outside = ~shapely.intersects_xy(box(X0, Y0, X0 + 2000, Y0 + 2000), *shapely.get_coordinates(out.geometry.values).T)
    assert list(out["reasons"].str.contains("OUTSIDE_DISTRICT")) == list(outside)
    assert (out.loc[outside, "subdistrict"] == "").all() and (out.loc[~outside, "subdistrict"] != "").all()
