"""Read a district folder: config plus every layer, validated, in the district's projected working CRS."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..config import LAYER_NAMES, DistrictConfig, LayerSpec, load_config
from ..crs import convert, is_geographic_frame, normalize_frame
from ..errors import CRSError, GeometryError, SchemaError
from .readers import read_table_or_vector, refuse_non_local, row_label, sha256_file
from .schema import BOOL_FALSE, BOOL_TRUE, SCHEMAS, VALUE_ALIASES, LayerSchema

__all__ = ["District", "empty_layer", "read_district", "read_layer"]

#: Points farther than this from the district's extent are taken as a frame or lon/lat mistake.
_FAR_OUTSIDE_M = 20_000.0
#: Within this distance a point "sits on" a reference point (poles are surveyed to the metre).
_ON_REFERENCE_M = 3.0
_REFERENCE_LAYERS = ("poles", "plan_sites", "existing_sites")


@dataclass
class District:
    """A loaded district: config, layers in the working CRS, boundary and the inputs' hashes."""

    config: DistrictConfig
    layers: dict[str, gpd.GeoDataFrame]
    input_hashes: dict[str, str] = field(default_factory=dict)

    @property
    def crs(self) -> str:
        return normalize_frame(self.config.district.working_crs)

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def sample(self) -> bool:
        return self.config.district.sample

    @property
    def name(self) -> str:
        return self.config.district.name

    @property
    def boundary(self):
        return shapely.union_all(self.layers["boundary"].geometry.values)

    @property
    def area_km2(self) -> float:
        return float(self.boundary.area) / 1e6


def empty_layer(name: str, crs: str) -> gpd.GeoDataFrame:
    """An empty layer with the canonical columns, so absent layers need no special case downstream."""
    schema = SCHEMAS[name]
    cols = list(dict.fromkeys([*schema.required, *schema.optional]))
    return gpd.GeoDataFrame({c: pd.Series(dtype=float if c in schema.numeric else object) for c in cols},
                            geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _text(values: pd.Series) -> pd.Series:
    """Values as stripped Python str, with missing values as "" (pandas 3's str dtype keeps NaN otherwise)."""
    return pd.Series(
        ["" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v).strip() for v in values],
        index=values.index, dtype=object,
    )


def _to_bool(values: pd.Series, path: Path, field_: str, tabular: bool, ids: pd.Series) -> pd.Series:
    def one(i: int, v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, float, np.integer, np.floating)) and not pd.isna(v):
            return bool(v)
        s = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip().lower()
        if s in BOOL_TRUE:
            return True
        if s in BOOL_FALSE:
            return False
        raise SchemaError(f"{row_label(path, i, tabular, ids.iloc[i])}: field {field_!r} = {v!r}: expected true/false (是/否)")

    return pd.Series([one(i, v) for i, v in enumerate(values)], index=values.index, dtype=bool)


def _apply_schema(gdf: gpd.GeoDataFrame, name: str, spec: LayerSpec, cfg: DistrictConfig, path: Path,
                  tabular: bool) -> gpd.GeoDataFrame:
    schema: LayerSchema = SCHEMAS[name]
    missing = [c for c in schema.required if c not in gdf.columns]
    if missing:
        found = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        raise SchemaError(f"{path}: layer {name!r} is missing required column {missing[0]!r} (found: {found})")
    gdf = gdf.copy()
    ids = _text(gdf[schema.id_field]) if schema.id_field else pd.Series([None] * len(gdf))
    if schema.id_field:
        empty = np.flatnonzero((ids == "").to_numpy())
        if empty.size:
            raise SchemaError(f"{row_label(path, int(empty[0]), tabular)}: field {schema.id_field!r} is empty: expected an id")
        gdf[schema.id_field] = ids
        if schema.unique_ids:
            dup = ids.duplicated(keep=False)
            if dup.any():
                first = ids[dup].iloc[0]
                rows = np.flatnonzero(ids.to_numpy() == first)
                where = ", ".join(row_label(path, int(r), tabular).split(": ", 1)[1] for r in rows[:3])
                raise SchemaError(f"{path}: field {schema.id_field!r}: duplicate id {first!r} at {where}: ids must be unique")
    for col, default in schema.optional.items():
        if col not in gdf.columns:
            gdf[col] = default
    for col in schema.numeric:
        raw = gdf[col]
        text = _text(raw)
        nums = pd.to_numeric(text.replace({"": None}), errors="coerce")
        bad = np.flatnonzero(nums.isna().to_numpy() & (text != "").to_numpy())
        if bad.size:
            i = int(bad[0])
            raise SchemaError(f"{row_label(path, i, tabular, ids.iloc[i])}: field {col!r} = {raw.iloc[i]!r}: expected a number")
        gdf[col] = nums.astype(float)
    for col in schema.boolean:
        gdf[col] = _to_bool(gdf[col], path, col, tabular, ids)
    for col, allowed in schema.enums.items():
        if col not in gdf.columns:
            continue
        aliases = VALUE_ALIASES.get(col, {})
        raw = gdf[col]
        text = _text(raw)
        isnull = (text == "").to_numpy()
        canon = text.map(lambda s, a=aliases: a.get(s, a.get(s.lower(), s.lower())))
        canon[isnull] = schema.optional.get(col)  # the column's default ("" / "unknown" / filled later)
        bad = np.flatnonzero(~isnull & ~canon.isin(allowed).to_numpy())
        if bad.size:
            i = int(bad[0])
            shown = ", ".join(a for a in allowed if a) + (" (or empty)" if "" in allowed else "")
            raise SchemaError(
                f"{row_label(path, i, tabular, ids.iloc[i])}: field {col!r} = {raw.iloc[i]!r}: expected one of {shown}"
            )
        gdf[col] = canon
    # Text columns stay text, with NaN as "".
    for col in gdf.columns:
        if col != gdf.geometry.name and col not in schema.numeric and col not in schema.boolean:
            if gdf[col].dtype == object or pd.api.types.is_string_dtype(gdf[col].dtype):
                gdf[col] = _text(gdf[col]) if col not in schema.enums else gdf[col].astype(object)
    _fill_defaults(gdf, name, cfg)
    return gdf


def _fill_defaults(gdf: gpd.GeoDataFrame, name: str, cfg: DistrictConfig) -> None:
    """Defaults that come from the config: band, height and EIRP by site type, hotspot weight by scenario."""
    radio = cfg.radio
    if name in ("existing_sites", "candidates"):
        gdf["site_type"] = gdf["site_type"].replace({None: "macro", "": "macro"})
        # An empty band is the operator's first network's main band (e.g. China Mobile -> n41), else radio.band.
        default_band = cfg.operator_bands()
        band = _text(gdf["band"]).str.lower()
        fill = (gdf["operator"].map(default_band).astype(object).fillna(radio.band) if "operator" in gdf
                else radio.band)
        gdf["band"] = band.where(band != "", fill)
        unknown = sorted(set(gdf["site_type"]) - set(radio.site_types))
        if unknown:
            raise SchemaError(f"site type {unknown[0]!r} has no preset in [radio.site_types] of district.toml")
        # Presets per (site type, band): a handful of pairs, looked up once each.
        pairs = pd.MultiIndex.from_arrays([gdf["site_type"], gdf["band"]])
        table = {k: radio.preset(*k) for k in pairs.unique()}
        h = pd.Series([table[k].height_m for k in pairs], index=gdf.index, dtype=float)
        gdf["height_m"] = gdf["height_m"].astype(float).fillna(h)
        if name == "candidates":
            eirp = pd.Series([table[k].total_power_dbm + table[k].antenna_gain_dbi - table[k].cable_loss_db
                              for k in pairs], index=gdf.index, dtype=float)
            gdf["eirp_dbm"] = gdf["eirp_dbm"].astype(float).fillna(eirp)
            default_mount = gdf["site_type"].map({"macro": "rooftop", "indoor": "indoor", "micro": ""})
            mount = gdf["mount"].where(gdf["mount"].notna() & (gdf["mount"] != ""), default_mount)
            gdf["mount"] = mount.fillna("")
    if name == "hotspots":
        w = gdf["scenario"].map(cfg.scenarios).astype(float)
        gdf["weight"] = gdf["weight"].astype(float).fillna(w).fillna(1.0)


def _check_geometry(gdf: gpd.GeoDataFrame, name: str, path: Path, tabular: bool) -> None:
    schema = SCHEMAS[name]
    geoms = gdf.geometry.values
    ids = gdf[schema.id_field] if schema.id_field else pd.Series([None] * len(gdf))
    missing = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if missing.size:
        i = int(missing[0])
        raise GeometryError(f"{row_label(path, i, tabular, ids.iloc[i])}: geometry is empty: expected a {schema.geometry[0]}")
    types = shapely.get_type_id(geoms)
    allowed_ids = {
        "Point": 0, "Polygon": 3, "MultiPolygon": 6,
    }
    ok = np.isin(types, [allowed_ids[t] for t in schema.geometry])
    bad = np.flatnonzero(~ok)
    if bad.size:
        i = int(bad[0])
        raise GeometryError(
            f"{row_label(path, i, tabular, ids.iloc[i])}: geometry is a {geoms[i].geom_type}: "
            f"layer {name!r} expects {' or '.join(schema.geometry)}"
        )
    coords = shapely.get_coordinates(geoms)
    if not np.isfinite(coords).all():
        counts = shapely.get_num_coordinates(geoms)
        owner = np.repeat(np.arange(len(geoms)), counts)
        i = int(owner[np.flatnonzero(~np.isfinite(coords).all(axis=1))[0]])
        raise GeometryError(f"{row_label(path, i, tabular, ids.iloc[i])}: geometry has a non-finite coordinate")
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if invalid.size:
        i = int(invalid[0])
        raise GeometryError(
            f"{row_label(path, i, tabular, ids.iloc[i])}: invalid geometry ({shapely.is_valid_reason(geoms[i])}); "
            "repair it in a GIS (e.g. make valid) and save again"
        )


def _check_declared_crs(gdf: gpd.GeoDataFrame, frame: str, path: Path) -> None:
    """A file that states its own CRS must agree with the frame district.toml declares for it."""
    if gdf.crs is None:
        return
    epsg = gdf.crs.to_epsg()
    geographic_ok = {4326, 4490, 4610, 4214}  # GCJ-02/BD-09 data is stored as plain lon/lat
    if frame in ("WGS84", "CGCS2000", "GCJ02", "BD09"):
        if epsg in geographic_ok or gdf.crs.is_geographic:
            return
    elif epsg is not None and f"EPSG:{epsg}" == frame:
        return
    raise CRSError(f"{path}: the file states CRS {gdf.crs.to_string()} but district.toml declares frame {frame!r}")


def _check_lonlat(x: np.ndarray, y: np.ndarray, frame: str, path: Path, name: str, ids: pd.Series,
                    tabular: bool, extent: tuple[float, float, float, float] | None) -> None:
    if is_geographic_frame(frame):
        if extent is not None:
            # A Chinese lon (73-135) in the lat field and a lat (18-54) in the lon field: swapped columns.
            cx, cy = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
            swapped = (np.abs(y - cx) < 2.0) & (np.abs(x - cy) < 2.0)
            if swapped.any():
                i = int(np.flatnonzero(swapped)[0])
                raise CRSError(
                    f"{row_label(path, i, tabular, ids.iloc[i])}: longitude/latitude look swapped "
                    f"(lon={x[i]}, lat={y[i]}; the district lies near lon {cx:.2f}, lat {cy:.2f}): check the lon/lat columns"
                )
        bad_range = np.flatnonzero((np.abs(x) > 180) | (np.abs(y) > 90))
        if bad_range.size:
            i = int(bad_range[0])
            raise CRSError(f"{row_label(path, i, tabular, ids.iloc[i])}: coordinate ({x[i]}, {y[i]}) is not a valid lon/lat in degrees "
                           f"for frame {frame}")


def _far_outside(geoms: np.ndarray, district_box, path: Path, name: str, ids: pd.Series, tabular: bool,
                 frame: str) -> None:
    if district_box is None or len(geoms) == 0:
        return
    d = shapely.distance(geoms, district_box)
    far = np.flatnonzero(d > _FAR_OUTSIDE_M)
    if far.size:
        i = int(far[0])
        raise CRSError(
            f"{row_label(path, i, tabular, ids.iloc[i])}: lies {d[i] / 1000:.0f} km outside the district "
            f"({far.size} of {len(geoms)} features do): wrong frame (declared {frame}), swapped lon/lat, or a typo"
        )


def _convert_geoms(geoms: np.ndarray, src: str, dst: str) -> np.ndarray:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = convert(xy[:, 0], xy[:, 1], src, dst)
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def _frame_misdeclared(name: str, raw_geoms: np.ndarray, frame: str, working: str, refs: dict[str, np.ndarray],
                       path: Path) -> None:
    """Detect a layer whose points sit on a reference layer only under another frame (e.g. GCJ-02 declared WGS84)."""
    if len(raw_geoms) == 0 or not is_geographic_frame(frame) or frame not in ("WGS84", "CGCS2000", "GCJ02", "BD09"):
        return
    pts = shapely.get_coordinates(shapely.centroid(raw_geoms))
    for ref_name, ref_xy in refs.items():
        if ref_name == name or len(ref_xy) < 20:
            continue
        tree = cKDTree(ref_xy)
        share = {}
        for alt in ("WGS84", "GCJ02", "BD09"):
            x, y = convert(pts[:, 0], pts[:, 1], alt, working)
            dist, _ = tree.query(np.column_stack([x, y]), k=1)
            share[alt] = float(np.mean(dist <= _ON_REFERENCE_M))
        declared = "WGS84" if frame == "CGCS2000" else frame
        best = max(share, key=share.get)
        if best != declared and share[best] >= 0.05 and share[best] >= 5 * share[declared] + 0.02:
            raise CRSError(
                f"{path}: layer {name!r} is declared {frame}, but {share[best]:.0%} of its points sit on {ref_name!r} "
                f"only when read as {best} ({share[declared]:.0%} as declared): the frame is probably {best} "
                f"(a systematic offset of ~500 m); fix `frame` in district.toml"
            )


def read_layer(spec: LayerSpec, name: str, cfg: DistrictConfig, *, district_box=None, extent_lonlat=None,
               refs: dict[str, np.ndarray] | None = None) -> gpd.GeoDataFrame:
    """Read, validate and project one layer into the working CRS.

    Raises
    ------
    InputFileError, SchemaError, GeometryError, CRSError
        Naming the file, the row or feature and the field.
    """
    refuse_non_local(spec.file)
    path = cfg.root / spec.file
    frame = normalize_frame(spec.frame)
    working = normalize_frame(cfg.district.working_crs)
    gdf, tabular = read_table_or_vector(path, layer=spec.layer, sheet=spec.sheet, lon=spec.lon, lat=spec.lat,
                                        encoding=spec.encoding)
    if not tabular:
        _check_declared_crs(gdf, frame, path)
    schema = SCHEMAS[name]
    # Geometry checks before the schema: a broken feature is named by its position.
    if schema.id_field and schema.id_field in gdf.columns:
        ids = _text(gdf[schema.id_field])
    else:
        ids = pd.Series([None] * len(gdf))
    gdf = gdf.set_crs(None, allow_override=True) if gdf.crs is not None else gdf
    _check_geometry(gdf, name, path, tabular)
    raw = gdf.geometry.values
    if len(raw):
        c = shapely.get_coordinates(shapely.centroid(raw))
        _check_lonlat(c[:, 0], c[:, 1], frame, path, name, ids, tabular, extent_lonlat)
    gdf = _apply_schema(gdf, name, spec, cfg, path, tabular)
    if refs is not None:
        _frame_misdeclared(name, raw, frame, working, refs, path)
    projected = _convert_geoms(raw, frame, working)
    out = gpd.GeoDataFrame(gdf.drop(columns=[gdf.geometry.name]), geometry=projected, crs=working)
    _far_outside(out.geometry.values, district_box, path, name, ids, tabular, frame)
    invalid = np.flatnonzero(~shapely.is_valid(out.geometry.values))
    if invalid.size:  # reprojection can fold a sliver: repair rather than fail on our own rounding
        out.loc[out.index[invalid], out.geometry.name] = shapely.make_valid(out.geometry.values[invalid])
    return out.reset_index(drop=True)


def read_district(path: str | Path) -> District:
    """Read a district folder (or its ``district.toml``): config and every layer in the working CRS.

    Examples
    --------
    >>> d = read_district("data/districts/hedong")   # doctest: +SKIP
    >>> round(d.area_km2, 1)                          # doctest: +SKIP
    41.7
    """
    cfg = load_config(path)
    working = normalize_frame(cfg.district.working_crs)
    hashes: dict[str, str] = {"district.toml": sha256_file(cfg.root / "district.toml")}
    layers: dict[str, gpd.GeoDataFrame] = {}
    boundary = read_layer(cfg.layers["boundary"], "boundary", cfg)
    if len(boundary) == 0:
        raise GeometryError(f"{cfg.root / cfg.layers['boundary'].file}: the boundary layer has no feature")
    layers["boundary"] = boundary
    hashes[cfg.layers["boundary"].file] = sha256_file(cfg.root / cfg.layers["boundary"].file)
    box = shapely.envelope(shapely.union_all(boundary.geometry.values))
    lon, lat = convert(*shapely.get_coordinates(box).T, working, "WGS84")
    extent = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    refs: dict[str, np.ndarray] = {}
    # Reference layers first, so the others can be checked against them for a misdeclared frame.
    first = [n for n in _REFERENCE_LAYERS if n in cfg.layers]
    order = first + [n for n in LAYER_NAMES if n != "boundary" and n not in first]
    for name in order:
        spec = cfg.layers.get(name)
        if spec is None:
            layers[name] = empty_layer(name, working)
            continue
        gdf = read_layer(spec, name, cfg, district_box=box, extent_lonlat=extent, refs=refs)
        hashes[spec.file] = sha256_file(cfg.root / spec.file)
        layers[name] = gdf
        if name in _REFERENCE_LAYERS and len(gdf):
            refs[name] = shapely.get_coordinates(gdf.geometry.values)
    layers = {n: layers[n] for n in LAYER_NAMES}
    return District(config=cfg, layers=layers, input_hashes=dict(sorted(hashes.items())))
