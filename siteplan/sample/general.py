"""Generate every sample layer of a district, and write them: the machinery shared by any district.

:func:`build` lays out, in order, the street grid and its poles, the zones, the buildings, hotspots and public
facilities on them, each operator's existing 4G sites (with China Tower sharing), the layout plan, sub-district
zones and the candidates of each network; :func:`write` writes them in their frames. A district module (e.g.
:mod:`siteplan.sample.hedong`) sets the knobs of a :class:`DistrictSpec` and adds what is special to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import DistrictConfig
from ._common import DATA_NOTE, MOUNT_ZH, OP_ZH, POWER_ZH, TYPE_ZH, from_work
from .buildings import make_buildings
from .candidates import Recipe, area_builders, make_candidates
from .character import CHARACTERS, CharacterMap, built_up_km2
from .places import FACILITY_SPEC, HOTSPOT_SPEC, make_facilities, make_hotspots, voronoi_zones, zone_centres
from .plan import make_plan, make_zones
from .rules import Reading, RuleWorld
from .sites import make_existing
from .streets import make_poles, make_streets
from .write import write_csv, write_geojson, write_gpkg, write_xlsx

__all__ = ["SAMPLE_FILES", "DistrictSpec", "World", "build", "write"]

#: Files a sample district holds besides its boundary (all sample data).
SAMPLE_FILES = ("subdistricts.geojson", "existing_sites.xlsx", "candidates.csv", "poles.gpkg", "layout_plan.gpkg",
                "public_facilities.csv", "hotspots.geojson", "buildings.gpkg")
_USE_ZH = {"residential": "住宅", "commercial": "商业", "office": "办公", "school": "学校", "hospital": "医院",
           "industrial": "工业", "public": "公共"}


@dataclass
class DistrictSpec:
    """What a district module may set; every ``None`` falls back to the character rule's default."""

    code: str
    name_zh: str
    #: Prefix of site ids: ``<prefix>4G-CM-0001``, ``<prefix>5G-CT-00001``.
    prefix: str
    #: City of the operators' branches in responsible units (中国移动<branch>分公司).
    branch: str = ""
    theta_deg: float | None = None
    street_spacing_m: tuple[float, float] = (240.0, 320.0)
    diagonals: int | None = None
    existing_counts: dict[str, int] | None = None
    #: zones(rng, boundary, cmap, crs) -> GeoDataFrame; default :func:`siteplan.sample.plan.make_zones`.
    zones: object = None
    #: Sub-district centres [m], codes, names and whether each centre is published; default invented.
    subdistricts: tuple[np.ndarray, list, list, list] | None = None
    hotspot_counts: dict[str, int] | None = None
    facility_counts: dict[str, int] | None = None
    min_parcels: dict[str, int] | None = None
    commercial_centres: np.ndarray | None = None
    exclude: object = None
    recipes: dict[str, Recipe] | None = None
    shared_new: dict[str, int] | None = None
    micro_scale: float = 1.0
    police_owner: str = "公安分局"
    facility_special_name: tuple[str, int, str] | None = None
    #: Extra hotspots (scenario, name, receptor, x, y), placed on the nearest building.
    extra_hotspots: list = field(default_factory=list)
    #: Hook (world) -> None run after the buildings are made (e.g. to add a landmark).
    after_buildings: object = None


@dataclass
class World:
    """A generated district in the working CRS [m]."""

    cfg: DistrictConfig
    spec: DistrictSpec
    rng: np.random.Generator
    boundary: object
    cmap: CharacterMap
    crs: str
    streets: object = None
    poles: pd.DataFrame | None = None
    zones: gpd.GeoDataFrame | None = None
    buildings: pd.DataFrame | None = None
    parks: pd.DataFrame | None = None
    hotspots: pd.DataFrame | None = None
    facilities: pd.DataFrame | None = None
    existing: pd.DataFrame | None = None
    plan: pd.DataFrame | None = None
    subdistricts: gpd.GeoDataFrame | None = None
    rules: RuleWorld | None = None
    candidates: pd.DataFrame | None = None
    reading: Reading | None = None
    extra: dict = field(default_factory=dict)

    def subdistrict_of(self, x, y) -> np.ndarray:
        """Name of the sub-district zone holding each point ("" outside)."""
        sd = self.subdistricts
        tree = shapely.STRtree(sd.geometry.to_numpy())
        p, g = tree.query(shapely.points(np.asarray(x, float), np.asarray(y, float)), predicate="intersects")
        out = np.full(len(np.atleast_1d(x)), "", dtype=object)
        first = pd.Series(g).groupby(p).min()
        out[first.index.to_numpy()] = sd.name.to_numpy()[first.to_numpy()]
        return out


def _scaled_counts(spec: dict, cmap: CharacterMap) -> dict[str, int]:
    """Counts per 100 km² of core-equivalent built-up area (at least 1 where any is built)."""
    bu = built_up_km2(cmap)
    return {k: max(int(round(v[0] * bu / 100.0)), 1 if bu > 0.5 else 0) for k, v in spec.items()}


def build(cfg: DistrictConfig, boundary, cmap: CharacterMap, spec: DistrictSpec, rng: np.random.Generator) -> World:
    """Generate every sample layer of a district (working CRS); see the module notes for the order."""
    crs = cfg.district.working_crs
    w = World(cfg, spec, rng, boundary, cmap, crs)
    w.streets = make_streets(rng, boundary, cmap, theta_deg=spec.theta_deg, spacing_m=spec.street_spacing_m,
                             diagonals=spec.diagonals)
    w.poles = make_poles(rng, w.streets, boundary, cmap, monitoring_owner=spec.police_owner,
                         smart_owner=f"中国铁塔{spec.branch}分公司")
    w.zones = spec.zones(rng, boundary, cmap, crs) if spec.zones else make_zones(rng, boundary, cmap, crs)
    pro = w.zones[w.zones.category == "prohibited"].geometry.to_numpy()
    pro_u = shapely.union_all(shapely.buffer(pro, 20.0)) if len(pro) else shapely.Polygon()
    shapely.prepare(pro_u)

    def blocked(x, y):
        return shapely.intersects_xy(pro_u, np.asarray(x, float), np.asarray(y, float))

    # Every district has at least a school (an education hotspot) and a public building (a township or village
    # government), so a rural district of a few km² still gets a hotspot layer (an empty GeoJSON has no columns).
    hs_counts = spec.hotspot_counts
    if hs_counts is None:
        hs_counts = _scaled_counts(HOTSPOT_SPEC, cmap)
        hs_counts["education"] = max(hs_counts["education"], 1)
    centres = spec.commercial_centres
    if centres is None:
        n = hs_counts.get("commercial", 0)
        pts = cmap.sample_points(rng, boundary, max(100.0, np.sqrt(boundary.area / 20000.0)))
        pts = pts[cmap.character_at(pts[:, 0], pts[:, 1]) <= CHARACTERS.index("suburban")]
        centres = pts[rng.permutation(len(pts))[:n]] if len(pts) else np.empty((0, 2))
    exclude = spec.exclude
    water = [g for g, nm in zip(w.zones.geometry, w.zones.name, strict=True) if "水源" in nm]
    if water:
        exclude = shapely.union_all([g for g in [exclude, *water] if g is not None])
    w.buildings, w.parks = make_buildings(rng, w.streets, boundary, cmap, centres=centres,
                                          min_parcels=spec.min_parcels or {"school": 1, "public": 1},
                                          exclude=exclude)
    if spec.after_buildings:
        spec.after_buildings(w)
    b = w.buildings
    width = max(6, len(str(len(b))))
    b.insert(0, "building_id", [f"JZ-{i:0{width}d}" for i in range(1, len(b) + 1)])
    b["name"] = b.get("name", pd.Series("", index=b.index)).fillna("")
    taken = np.zeros(len(b), bool)
    w.hotspots = make_hotspots(rng, b, cfg.scenarios, hs_counts, taken=taken)
    if spec.extra_hotspots:
        from scipy.spatial import cKDTree

        from ..config import SCENARIOS

        ext = pd.DataFrame(spec.extra_hotspots, columns=["scenario", "name", "receptor", "x", "y"])
        _, ext["building"] = cKDTree(b[["x", "y"]].to_numpy()).query(ext[["x", "y"]].to_numpy(), k=1)
        ext["scenario_zh"] = ext.scenario.map(SCENARIOS)
        ext["weight"] = ext.scenario.map(cfg.scenarios).astype(float)
        hs = pd.concat([w.hotspots.drop(columns="hotspot_id"), ext[w.hotspots.columns.drop("hotspot_id")]],
                       ignore_index=True)
        hs.insert(0, "hotspot_id", [f"RD-{i:03d}" for i in range(1, len(hs) + 1)])
        w.hotspots = hs
    w.facilities = make_facilities(rng, b, w.parks, spec.facility_counts or _scaled_counts(FACILITY_SPEC, cmap),
                                   special_name=spec.facility_special_name)
    # Name the buildings that hold a hotspot.
    b.loc[w.hotspots.building.to_numpy(), "name"] = w.hotspots.name.to_numpy()
    w.existing = make_existing(rng, boundary, cmap, b, w.streets.lines(), nr_band=cfg.operator_bands(),
                               code=spec.code, prefix=spec.prefix, counts=spec.existing_counts, blocked=blocked,
                               radio=cfg.radio)
    # Indoor plan points: buildings of the hotspots that need deep coverage, and the largest malls and offices.
    deep = w.hotspots[w.hotspots.scenario.isin(["commercial", "healthcare", "media"])
                      | (w.hotspots.receptor == "school")].building.to_numpy()
    big = np.flatnonzero(b.use.isin(["commercial", "office"]).to_numpy() & (b.floors.to_numpy() >= 3))
    big = big[np.argsort(-shapely.area(b.geometry.to_numpy()[big]), kind="stable")][: max(len(deep), 1)]
    ib = np.unique(np.concatenate([deep, big]).astype(np.int64))
    w.plan = make_plan(rng, boundary, cmap, w.existing, w.poles, b[["x", "y"]].to_numpy()[ib], w.facilities,
                       blocked=blocked, micro_scale=spec.micro_scale)
    # Sub-district zones.
    if spec.subdistricts is not None:
        centres_xy, codes, names, published = spec.subdistricts
    else:
        centres_xy = zone_centres(rng, boundary)
        codes = [f"{spec.code}9{i:02d}" for i in range(1, len(centres_xy) + 1)]
        names = [f"样例街道{i:02d}" for i in range(1, len(centres_xy) + 1)]
        published = [False] * len(centres_xy)
    w.subdistricts = gpd.GeoDataFrame({
        "code": codes, "name": names, "approximate": True, "centre_published": published,
        "note": ["Voronoi 近似分区 / approximate Voronoi zone of the published centre" if p else
                 "中心点未公布，样例估计位置 / centre not published: placed approximately" for p in published],
        "data_note": DATA_NOTE}, geometry=list(voronoi_zones(boundary, np.asarray(centres_xy))), crs=crs)
    # Who builds where: per sub-district, by each network's builders' area shares.
    sd = w.subdistricts
    area = shapely.area(sd.geometry.to_numpy())
    from .candidates import recipe_for

    recipes = {k: (spec.recipes or {}).get(k) or recipe_for(k, n) for k, n in cfg.networks.items()}
    who = {k: area_builders(rng, sd.code.to_numpy(), area, r.builders or {cfg.networks[k].operators[0]: 1.0})
           for k, r in recipes.items()}
    code_tree = shapely.STRtree(sd.geometry.to_numpy())

    def builder_at(key, x, y):
        x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
        _, g = code_tree.query_nearest(shapely.points(x, y), all_matches=False)
        return np.array([who[key][c] for c in sd.code.to_numpy()[g]], dtype=object)

    w.extra["builders"] = who
    w.rules = RuleWorld(cfg, boundary, w.zones, w.plan, w.existing, w.poles, w.hotspots, w.facilities)
    w.candidates, w.reading = make_candidates(
        rng, w.rules, cmap, b, w.streets.theta, builder_at, recipes=recipes, shared_new=spec.shared_new,
        branch=spec.branch, poles_owner={"street_lamp": "区城管委", "monitoring": spec.police_owner,
                                         "other": f"中国铁塔{spec.branch}分公司"})
    return w


# ------------------------------------------------------------------------------------------------------- writing
def _points_gdf(df: pd.DataFrame, x, y, crs: str, frame: str, epsg: int) -> gpd.GeoDataFrame:
    lon, lat = from_work(x, y, crs, frame)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon, lat), crs=f"EPSG:{epsg}")


def candidates_table(w: World, c: pd.DataFrame) -> pd.DataFrame:
    """Candidates with the Chinese headers of an operator's list (GCJ-02 coordinates)."""
    lon, lat = from_work(c.x, c.y, w.crs, "GCJ02")
    sd = w.subdistrict_of(c.x.to_numpy(), c.y.to_numpy())
    stem = w.spec.name_zh.removesuffix("区").removesuffix("县") or w.spec.name_zh
    names = np.array([f"{stem}{s.removesuffix('街道') if s else '外围'}{MOUNT_ZH[m]}{TYPE_ZH[t]}{i[-5:]}"
                      for s, m, t, i in zip(sd, c["mount"], c.site_type, c.site_id, strict=True)], dtype=object)
    if "name" in c:
        given = c["name"].fillna("").to_numpy(dtype=object)
        names = np.where(given != "", given, names)
    return pd.DataFrame({
        "站址编号": c.site_id.to_numpy(), "站名": np.asarray(names, dtype=object), "运营商": c.operator.map(OP_ZH).to_numpy(),
        "频段": c.band.to_numpy(), "站型": c.site_type.map(TYPE_ZH).to_numpy(),
        "建设形式": c["mount"].map(MOUNT_ZH).to_numpy(), "挂高": c.height_m.to_numpy(float),
        "经度": np.round(lon, 7), "纬度": np.round(lat, 7),
        "供电方式": c.power_supply.replace("", "unknown").map(POWER_ZH).to_numpy(),
        "杆号": c.pole_id.to_numpy(), "责任单位": c.responsible_unit.to_numpy(), "所属街道": sd,
        "eirp_dbm": c.eirp_dbm.to_numpy(float), "data_note": DATA_NOTE,
    })


#: How near a point read in a wrong frame must land to a reference layer's point to count as sitting on it [m]
#: (the reader's 3 m, plus a margin for the rounding of written coordinates).
_COINCIDE_M = 4.0
#: Share of a layer's points sitting on a reference layer, read in a wrong frame, that is cleared (the reader
#: takes a layer for misdeclared from 5 %).
_COINCIDE_SHARE = 0.02


def _clear_frame_coincidences(w: World, cands: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Poles, hotspots and facilities to write, cleared of chance coincidences that the reader's frame check
    (:func:`siteplan.io.district.read_district`) would take for a misdeclared layer.

    The reader reads poles, plan sites and existing sites first and calls a later layer misdeclared when 5 % of its
    points sit within 3 m of one of those layers' points only when read in another frame. A layer of a few points
    (a dozen sub-districts, a small district's hotspots) gets there by one chance coincidence. Where a layer's
    points read in a wrong frame land on 2 % or more of the time: unused poles there are dropped, and hotspots and
    facilities that land on a plan or existing site are moved 6-12 m along the street grid (they stay on their
    building); other layers are left as they are.
    """
    from scipy.spatial import cKDTree

    from ._common import to_work

    poles, hs, fa = w.poles, w.hotspots.copy(), w.facilities.copy()
    sd = shapely.centroid(w.subdistricts.geometry.to_numpy())
    bc = shapely.centroid(w.buildings.geometry.to_numpy())
    layers = {  # name -> (x, y in the working CRS, frame written), in the reader's order
        "plan_sites": (w.plan.x.to_numpy(), w.plan.y.to_numpy(), "CGCS2000"),
        "existing_sites": (w.existing.x.to_numpy(), w.existing.y.to_numpy(), "CGCS2000"),
        "subdistricts": (shapely.get_x(sd), shapely.get_y(sd), "WGS84"),
        "candidates": (cands.x.to_numpy(), cands.y.to_numpy(), "GCJ02"),
        "public_facilities": (fa.x.to_numpy(), fa.y.to_numpy(), "BD09"),
        "hotspots": (hs.x.to_numpy(), hs.y.to_numpy(), "WGS84"),
        "buildings": (shapely.get_x(bc), shapely.get_y(bc), "CGCS2000"),
    }
    refs = {"poles": poles[["x", "y"]].to_numpy(), "plan_sites": w.plan[["x", "y"]].to_numpy(),
            "existing_sites": w.existing[["x", "y"]].to_numpy()}
    trees = {k: cKDTree(v) for k, v in refs.items() if len(v) >= 20}

    def landings(x, y, frame):
        declared = "WGS84" if frame == "CGCS2000" else frame
        lon, lat = from_work(x, y, w.crs, frame)
        return [np.column_stack(to_work(lon, lat, alt, w.crs)) for alt in ("WGS84", "GCJ02", "BD09") if alt != declared]

    def hits(name, x, y, frame, ref):
        """Per point: index lists of ``ref`` points it lands on in any wrong frame (when the share is high)."""
        out = [[] for _ in range(len(x))]
        for q in landings(x, y, frame):
            near = trees[ref].query_ball_point(q, _COINCIDE_M)
            if np.mean([bool(h) for h in near]) >= _COINCIDE_SHARE:
                for i, h in enumerate(near):
                    out[i] += h
        return out

    drop = np.zeros(len(poles), bool)
    theta = w.streets.theta
    order = list(layers)
    for k, name in enumerate(order):
        x, y, frame = layers[name]
        if len(x) == 0:
            continue
        before = {"plan_sites": ["poles"], "existing_sites": ["poles", "plan_sites"]}.get(name, list(refs))
        for ref in (r for r in before if r in trees):
            found = hits(name, x, y, frame, ref)
            if ref == "poles":
                for h in found:
                    drop[h] = True
            elif name in ("hotspots", "public_facilities"):
                df = hs if name == "hotspots" else fa
                for i in (i for i, h in enumerate(found) if h):
                    for step in (6.0, -6.0, 12.0, -12.0):
                        nx, ny = x[i] + step * np.cos(theta), y[i] + step * np.sin(theta)
                        if not any(len(t.query_ball_point(q[0], _COINCIDE_M)) for t in trees.values()
                                   for q in landings(np.array([nx]), np.array([ny]), frame)):
                            df.iloc[i, df.columns.get_loc("x")], df.iloc[i, df.columns.get_loc("y")] = nx, ny
                            break
    used = poles.pole_id.isin(set(cands.pole_id)).to_numpy()
    return poles[~drop | used].reset_index(drop=True), hs, fa


def write(w: World, out: Path, *, label: str, candidates: pd.DataFrame | None = None) -> dict[str, int]:
    """Write every sample layer of ``w`` into ``out``; returns feature counts per file (and layer)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    crs, counts = w.crs, {}
    write_geojson(out / "subdistricts.geojson", w.subdistricts, name=f"{label}_subdistricts_SAMPLE",
                  description="SAMPLE: approximate sub-district (街道) zones — Voronoi cells of centre points, "
                              "clipped to the district; not official boundaries. 样例数据，非官方边界。")
    counts["subdistricts.geojson"] = len(w.subdistricts)
    p, h, f = _clear_frame_coincidences(w, w.candidates if candidates is None else candidates)
    write_gpkg(out / "poles.gpkg", {"poles": _points_gdf(p.drop(columns=["x", "y"]).assign(data_note=DATA_NOTE),
                                                         p.x, p.y, crs, "CGCS2000", 4490)})
    counts["poles.gpkg"] = len(p)
    pl = w.plan
    zones = w.zones.copy()
    from ._common import transform_geom

    zones["geometry"] = [transform_geom(g, crs, "CGCS2000") for g in zones.geometry]
    zones = zones.set_crs("EPSG:4490", allow_override=True)
    write_gpkg(out / "layout_plan.gpkg", {
        "plan_sites": _points_gdf(pl.drop(columns=["x", "y"]).assign(data_note=DATA_NOTE), pl.x, pl.y, crs,
                                  "CGCS2000", 4490),
        "plan_zones": zones})
    counts["layout_plan.gpkg:plan_sites"], counts["layout_plan.gpkg:plan_zones"] = len(pl), len(zones)
    # Existing sites: an operator engineering-parameter sheet.
    e = w.existing
    lon, lat = from_work(e.x, e.y, crs, "CGCS2000")
    sd = w.subdistrict_of(e.x.to_numpy(), e.y.to_numpy())
    stem = w.spec.name_zh.removesuffix("区").removesuffix("县") or w.spec.name_zh
    ex_df = pd.DataFrame({
        "站址编号": e.site_id, "站名": [f"{stem}{s.removesuffix('街道')}{OP_ZH[o][2:]}{TYPE_ZH[t]}{i[-4:]}"
                                    for s, o, t, i in zip(sd, e.operator, e.site_type, e.site_id, strict=True)],
        "运营商": e.operator.map(OP_ZH), "网络制式": e.technology, "LTE频段": e.lte_band, "频段": e.band,
        "站型": e.site_type.map(TYPE_ZH), "建设形式": e.tower_kind.map(MOUNT_ZH), "挂高": e.height_m,
        "经度": np.round(lon, 7), "纬度": np.round(lat, 7),
        "产权属性": e.owner.map({"china_tower": "铁塔", "operator": "自有"}), "铁塔站址编码": e.tower_site_id,
        "供电方式": e.power_supply.map(POWER_ZH), "所属街道": sd, "data_note": DATA_NOTE,
    })
    readme = pd.DataFrame({"说明": [
        "样例数据 SAMPLE：本表为 siteplan 生成的样例运营商工参，不是真实站址。",
        "SAMPLE data generated by siteplan.sample (seeded); not real operator sites.",
        "坐标系 frame: CGCS2000 (EPSG:4490) 经纬度。频段 = 该运营商在此站可加装的 5G NR 频段；LTE频段 = 现网 4G 频段。",
        "产权属性 铁塔 = 中国铁塔站址（按租户计租，铁塔站址编码相同者为同一物理站址的共享租户）；自有 = 运营商自有。",
    ]})
    write_xlsx(out / "existing_sites.xlsx", {"sites": ex_df, "说明": readme},
               title=f"{w.spec.name_zh} existing sites — 样例数据 SAMPLE")
    counts["existing_sites.xlsx"] = len(ex_df)
    cand = candidates_table(w, w.candidates if candidates is None else candidates)
    write_csv(out / "candidates.csv", cand, "utf-8-sig")
    counts["candidates.csv"] = len(cand)
    lon, lat = from_work(f.x, f.y, crs, "BD09")
    fa_df = pd.DataFrame({"设施编号": f.facility_id, "设施名称": f.name, "设施类型": f.kind, "免费开放": f.free_access,
                          "经度": np.round(lon, 7), "纬度": np.round(lat, 7),
                          "所属街道": w.subdistrict_of(f.x.to_numpy(), f.y.to_numpy()), "data_note": DATA_NOTE})
    write_csv(out / "public_facilities.csv", fa_df, "gb18030")
    counts["public_facilities.csv"] = len(fa_df)
    hs = h.drop(columns=["x", "y", "building"]).assign(building_id=w.buildings.building_id.to_numpy()[h.building],
                                                       data_note=DATA_NOTE)
    write_geojson(out / "hotspots.geojson", _points_gdf(hs, h.x, h.y, crs, "WGS84", 4326),
                  name=f"{label}_hotspots_SAMPLE",
                  description="SAMPLE: invented demand hotspots for the seven 5G application scenarios (2020 work "
                              "plan), on buildings of matching use; weights from district.toml [scenarios]. "
                              "样例数据，名称与位置均为虚构（另有注明者除外）。")
    counts["hotspots.geojson"] = len(hs)
    b = w.buildings
    from ._common import transform_geom as tg

    geo = tg(np.asarray(b.geometry.to_numpy(), dtype=object), crs, "CGCS2000")
    bg = gpd.GeoDataFrame({"building_id": b.building_id, "name": b.name, "floors": b.floors.astype(float),
                           "height_m": b.height_m.astype(float), "use": b.use, "loss_class": b.loss_class,
                           "use_zh": b.use.map(_USE_ZH), "data_note": DATA_NOTE},
                          geometry=shapely.set_precision(geo, 1e-8), crs="EPSG:4490")
    write_gpkg(out / "buildings.gpkg", {"buildings": bg})
    counts["buildings.gpkg"] = len(bg)
    return counts
