"""Read a district folder: config plus every layer, validated, in the district's projected working CRS.

Every problem of a layer file is collected (each naming its row or feature and the field) and raised together
as one typed error; layer-level doubts (an empty optional layer, a frame the evidence only half supports) become
``District.warnings``, which the run records in ``summary.json``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..config import LAYER_NAMES, DistrictConfig, LayerSpec, load_config
from ..crs import FRAMES, convert, is_geographic_frame, normalize_frame
from ..errors import CRSError, GeometryError, InputFileError, SchemaError
from ._problems import Problems, cut_list, shown
from .frames import FrameEvidence, boundary_frame_evidence, layer_frame_evidence
from .readers import clean_column, clean_text, read_table_or_vector, refuse_non_local, row_name, sha256_file, to_numbers
from .schema import BOOL_FALSE, BOOL_TRUE, SCHEMAS, VALUE_ALIASES, LayerSchema

__all__ = ["District", "empty_layer", "input_hashes", "read_district", "read_layer"]

#: Points farther than this from the district's extent are taken as a frame or lon/lat mistake.
_FAR_OUTSIDE_M = 20_000.0
#: Surveyed layers: when two layers disagree on their frame and nothing else decides, these are believed.
_REFERENCE_LAYERS = ("poles", "plan_sites", "existing_sites")
#: Declared layers the main job cannot do without: no rows is an error (elsewhere a warning).
_ROWS_REQUIRED = ("boundary", "candidates")


@dataclass
class District:
    """A loaded district: config, layers in the working CRS, boundary, the inputs' hashes and load warnings."""

    config: DistrictConfig
    layers: dict[str, gpd.GeoDataFrame]
    input_hashes: dict[str, str] = field(default_factory=dict)
    #: Doubts found on load that do not stop it: ``{"code", "layer", "file", "message"}`` each (file relative to
    #: the district folder), recorded under ``warnings`` in summary.json.
    warnings: list[dict] = field(default_factory=list)

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
    return clean_column(values)


def _as_text(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> gpd.GeoDataFrame:
    """A vector file's schema and text columns as clean text, as a table's are: the schema converts them once.
    Other columns (a file's own numbers) keep their type."""
    gdf = gdf.copy()
    known = {*schema.required, *schema.optional}
    for col in gdf.columns:
        if col != gdf.geometry.name and (col in known or gdf[col].dtype == object
                                         or pd.api.types.is_string_dtype(gdf[col].dtype)):
            gdf[col] = _text(gdf[col])
    return gdf


def _apply_schema(gdf: gpd.GeoDataFrame, name: str, problems: Problems,
                  row: Callable[[int], str]) -> gpd.GeoDataFrame:
    """Canonical columns and values from clean text columns (:func:`_as_text`); every bad value is added to
    ``problems``."""
    schema: LayerSchema = SCHEMAS[name]
    missing = [c for c in schema.required if c not in gdf.columns]
    if missing:
        found = [c for c in gdf.columns if c != gdf.geometry.name]
        raise SchemaError(f"{problems.path}: layer {name!r} is missing required column {missing[0]!r} "
                          f"(found: {cut_list(found)})")
    gdf = gdf.copy()
    if schema.id_field:
        ids = gdf[schema.id_field]
        problems.add_rows(SchemaError, np.flatnonzero((ids == "").to_numpy()),
                          lambda i: f"field {schema.id_field!r} is empty: expected an id",
                          f"field {schema.id_field!r} empty")
        gdf[schema.id_field] = ids
        if schema.unique_ids:
            dup = (ids.duplicated(keep=False) & (ids != "")).to_numpy()
            rows_of: dict[str, list[int]] = {}
            for i in np.flatnonzero(dup):  # error reporting only
                rows_of.setdefault(ids.iloc[i], []).append(int(i))
            for value, rows in rows_of.items():
                where = ", ".join(row(r) for r in rows[:3]) + (", …" if len(rows) > 3 else "")
                problems.add(SchemaError, rows[0],
                             f"field {schema.id_field!r}: duplicate id {shown(value)} at {where}: ids must be unique",
                             labelled=False)
    for col, default in schema.optional.items():
        if col not in gdf.columns:
            gdf[col] = clean_text(default)
    for col in schema.numeric:
        raw = text = gdf[col]
        nums = to_numbers(text)
        given = (text != "").to_numpy()
        problems.add_rows(SchemaError, np.flatnonzero(given & np.isnan(nums)),
                          lambda i: f"field {col!r} = {shown(raw.iloc[i])}: expected a number",
                          f"field {col!r} not a number")
        problems.add_rows(SchemaError, np.flatnonzero(np.isinf(nums)),
                          lambda i: f"field {col!r} = {shown(raw.iloc[i])}: expected a finite number",
                          f"field {col!r} not finite")
        if col in schema.ranges:
            lo, hi, unit = schema.ranges[col]
            problems.add_rows(SchemaError, np.flatnonzero(np.isfinite(nums) & ((nums < lo) | (nums > hi))),
                              lambda i: f"field {col!r} = {nums[i]:g}: expected {lo:g} to {hi:g}{' ' + unit if unit else ''}",
                              f"field {col!r} out of range")
        gdf[col] = np.where(np.isfinite(nums), nums, np.nan)
    for col in schema.boolean:
        raw = gdf[col]
        text = pd.Series([t.lower() for t in raw.tolist()], index=raw.index, dtype=object)
        nums = to_numbers(text)
        known = (text.isin(BOOL_TRUE) | text.isin(BOOL_FALSE)).to_numpy() | np.isfinite(nums)
        problems.add_rows(SchemaError, np.flatnonzero(~known),
                          lambda i: f"field {col!r} = {shown(raw.iloc[i])}: expected true/false (是/否)",
                          f"field {col!r} not true/false")
        gdf[col] = text.isin(BOOL_TRUE).to_numpy() | (np.isfinite(nums) & (nums != 0))
    for col, allowed in schema.enums.items():
        if col not in gdf.columns:
            continue
        aliases = VALUE_ALIASES.get(col, {})
        raw = text = gdf[col]
        isnull = (text == "").to_numpy()
        canon = pd.Series([aliases[t] if t in aliases else aliases.get(t.lower(), t.lower()) for t in text.tolist()],
                          index=text.index, dtype=object)
        canon[isnull] = schema.optional.get(col)  # the column's default ("" / "unknown" / filled later)
        shown_allowed = ", ".join(a for a in allowed if a) + (" (or empty)" if "" in allowed else "")
        problems.add_rows(SchemaError, np.flatnonzero(~isnull & ~canon.isin(allowed).to_numpy()),
                          lambda i: f"field {col!r} = {shown(raw.iloc[i])}: expected one of {shown_allowed}",
                          f"field {col!r} not one of {shown_allowed}")
        gdf[col] = canon
    return gdf


def _fill_defaults(gdf: gpd.GeoDataFrame, name: str, cfg: DistrictConfig, path: Path) -> None:
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
            raise SchemaError(f"{path}: site type {unknown[0]!r} has no preset in [radio.site_types] of district.toml")
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


def _check_geometry(geoms: np.ndarray, name: str, problems: Problems, skip: np.ndarray) -> np.ndarray:
    """Add each empty, mistyped, non-finite or invalid geometry to ``problems``; return the mask of usable ones."""
    schema = SCHEMAS[name]
    empty = (shapely.is_missing(geoms) | shapely.is_empty(geoms)) & ~skip
    problems.add_rows(GeometryError, np.flatnonzero(empty),
                      lambda i: f"geometry is empty: expected a {schema.geometry[0]}",
                      "geometry empty")
    usable = ~empty & ~skip
    type_ids = {"Point": 0, "Polygon": 3, "MultiPolygon": 6}
    wrong = usable & ~np.isin(shapely.get_type_id(geoms), [type_ids[t] for t in schema.geometry])
    problems.add_rows(GeometryError, np.flatnonzero(wrong), lambda i: f"geometry is a {geoms[i].geom_type}: "
                      f"layer {name!r} expects {' or '.join(schema.geometry)}",
                      f"geometry not a {' or '.join(schema.geometry)}")
    usable &= ~wrong
    counts = shapely.get_num_coordinates(geoms)
    coords = shapely.get_coordinates(geoms)
    bad_coord = ~np.isfinite(coords).all(axis=1)
    nonfinite = np.zeros(len(geoms), dtype=bool)
    nonfinite[np.repeat(np.arange(len(geoms)), counts)[bad_coord]] = True
    nonfinite &= usable
    problems.add_rows(GeometryError, np.flatnonzero(nonfinite), lambda i: "geometry has a non-finite coordinate",
                      "geometry has a non-finite coordinate")
    usable &= ~nonfinite
    invalid = usable & ~shapely.is_valid(geoms)
    problems.add_rows(GeometryError, np.flatnonzero(invalid), lambda i: (
        f"invalid geometry ({shapely.is_valid_reason(geoms[i])}); repair it in a GIS (e.g. make valid) and save again"),
        "invalid geometry")
    return usable & ~invalid


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


def _check_lonlat(x: np.ndarray, y: np.ndarray, rows: np.ndarray, frame: str, problems: Problems,
                  extent: tuple[float, float, float, float] | None) -> np.ndarray:
    """Swapped or impossible lon/lat of the ``rows`` (centroids ``x, y``); return the mask of good ones."""
    if not is_geographic_frame(frame):
        return np.ones(len(rows), dtype=bool)
    swapped = np.zeros(len(rows), dtype=bool)
    if extent is not None:
        # A Chinese lon (73-135) in the lat field and a lat (18-54) in the lon field: swapped columns.
        cx, cy = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
        swapped = (np.abs(y - cx) < 2.0) & (np.abs(x - cy) < 2.0)
        problems.add_rows(CRSError, rows[swapped], lambda i: (
            f"longitude/latitude look swapped (lon={x[rows == i][0]}, lat={y[rows == i][0]}; the district lies "
            f"near lon {cx:.2f}, lat {cy:.2f}): check the lon/lat columns"), "longitude/latitude look swapped")
    bad = ~swapped & ((np.abs(x) > 180) | (np.abs(y) > 90))
    problems.add_rows(CRSError, rows[bad], lambda i: (
        f"coordinate ({x[rows == i][0]}, {y[rows == i][0]}) is not a valid lon/lat in degrees for frame {frame}"),
        "not a valid lon/lat")
    return ~(swapped | bad)


def _convert_geoms(geoms: np.ndarray, src: str, dst: str) -> np.ndarray:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = convert(xy[:, 0], xy[:, 1], src, dst)
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def read_layer(spec: LayerSpec, name: str, cfg: DistrictConfig, *, district_box=None,
               extent_lonlat=None) -> gpd.GeoDataFrame:
    """Read, validate and project one layer into the working CRS.

    Raises
    ------
    InputFileError, SchemaError, GeometryError, CRSError
        Naming the file, and every bad row or feature (up to a cap) with its field.
    """
    refuse_non_local(spec.file)
    path = cfg.root / spec.file
    frame = normalize_frame(spec.frame)
    working = normalize_frame(cfg.district.working_crs)
    lf = read_table_or_vector(path, layer=spec.layer, sheet=spec.sheet, lon=spec.lon, lat=spec.lat,
                              encoding=spec.encoding, header_row=spec.header_row)
    gdf, tabular = lf.frame, lf.tabular
    schema = SCHEMAS[name]
    if not tabular:
        _check_declared_crs(gdf, frame, path)
        gdf = _as_text(gdf, schema)
    if schema.id_field and schema.id_field in gdf.columns:
        ids = gdf[schema.id_field]
    else:
        ids = pd.Series([""] * len(gdf), dtype=object)

    def row(i: int) -> str:
        return row_name(i, tabular, None, lf.rows)

    problems = Problems(path, lambda i, with_id: row_name(i, tabular, ids.iloc[i] if with_id else None, lf.rows))
    unit = " in degrees" if is_geographic_frame(frame) else ""
    skip = np.zeros(len(gdf), dtype=bool)  # rows whose coordinates are already reported
    for fld, (values, text) in lf.coordinates.items():
        bad = ~np.isfinite(values)
        skip |= bad
        problems.add_rows(SchemaError, np.flatnonzero(bad), lambda i: (
            f"field {fld!r} = {shown(text.iloc[i])}: expected a number{unit}" if text.iloc[i]
            else f"field {fld!r} is empty: expected a number{unit}"), f"field {fld!r} empty or not a number",
            with_id=False)
    gdf = gdf.set_crs(None, allow_override=True) if gdf.crs is not None else gdf
    raw = gdf.geometry.values
    usable = _check_geometry(np.asarray(raw, dtype=object), name, problems, skip)
    good = np.flatnonzero(usable)
    if good.size:
        c = shapely.get_coordinates(shapely.centroid(np.asarray(raw, dtype=object)[good]))
        usable[good] = _check_lonlat(c[:, 0], c[:, 1], good, frame, problems, extent_lonlat)
    gdf = _apply_schema(gdf, name, problems, row)
    projected = np.full(len(gdf), None, dtype=object)
    projected[usable] = _convert_geoms(np.asarray(raw, dtype=object)[usable], frame, working)
    if district_box is not None and usable.any():
        d = np.full(len(gdf), 0.0)
        d[usable] = shapely.distance(projected[usable], district_box)
        problems.add_rows(CRSError, np.flatnonzero(d > _FAR_OUTSIDE_M), lambda i: (
            f"lies {d[i] / 1000:.0f} km outside the district: wrong frame (declared {frame}), swapped lon/lat, "
            "or a typo"), "far outside the district")
    problems.raise_if_any()
    _fill_defaults(gdf, name, cfg, path)
    out = gpd.GeoDataFrame(gdf.drop(columns=[gdf.geometry.name]), geometry=projected, crs=working)
    invalid = np.flatnonzero(~shapely.is_valid(out.geometry.values))
    if invalid.size:  # reprojection can fold a sliver: repair rather than fail on our own rounding
        out.loc[out.index[invalid], out.geometry.name] = shapely.make_valid(out.geometry.values[invalid])
    return out.reset_index(drop=True)


def _layer_path(cfg: DistrictConfig, name: str, spec: LayerSpec) -> Path:
    """The layer's file, refused when it leads out of the district folder (``..``, an absolute path, a symlink)
    into anywhere but a shared folder named in ``[district] data_dirs``."""
    refuse_non_local(spec.file)
    path = cfg.root / spec.file
    real = path.resolve()
    allowed = [cfg.root.resolve(), *((cfg.root / d).resolve() for d in cfg.district.data_dirs)]
    if not any(real.is_relative_to(a) for a in allowed):
        lexical = Path(os.path.normpath(path.absolute()))
        via = " (through a symbolic link)" if any(lexical.is_relative_to(a) for a in allowed) else ""
        raise InputFileError(
            f"{cfg.root / 'district.toml'}: layers.{name}.file = {shown(spec.file, 80)} leads outside the district "
            f"folder{via}: copy the file into the folder, or name its folder in [district] data_dirs"
        )
    return path


def _warning(code: str, name: str, spec: LayerSpec, message: str) -> dict:
    return {"code": code, "layer": name, "file": spec.file, "message": message}


def _frame_warnings(cfg: DistrictConfig, layers: dict[str, gpd.GeoDataFrame]) -> list[dict]:
    """Judge every layer declared in a named frame against the boundary and the other point layers.

    Raises CRSError on strong evidence of another frame (the layer most to blame first); returns weak evidence
    as warnings.
    """
    working = normalize_frame(cfg.district.working_crs)
    boundary = shapely.union_all(layers["boundary"].geometry.values)
    named = {n: normalize_frame(cfg.layers[n].frame) for n in layers if n in cfg.layers and len(layers[n])}
    named = {n: f for n, f in named.items() if f in FRAMES}
    xy = {n: shapely.get_coordinates(g.geometry.values) for n, g in layers.items() if n != "boundary" and len(g)}
    is_points = {n: bool(np.all(shapely.get_type_id(layers[n].geometry.values) == 0)) for n in xy}
    trees = {n: cKDTree(v) for n, v in xy.items() if is_points[n]}
    evidence: list[FrameEvidence] = []
    if "boundary" in named and xy:  # first: when every layer is off the same way, the boundary is
        geom = shapely.transform(boundary, lambda c: np.column_stack(convert(c[:, 0], c[:, 1], working,
                                                                             named["boundary"])))
        evidence += boundary_frame_evidence(geom, named["boundary"], working, xy)
    if not any(e.strong for e in evidence):
        for n, frame in named.items():
            if n == "boundary":
                continue
            lon, lat = convert(xy[n][:, 0], xy[n][:, 1], working, frame)
            refs = {r: t for r, t in trees.items() if r != n}
            evidence += layer_frame_evidence(n, np.column_stack([lon, lat]), frame, working, boundary, refs,
                                             points=is_points[n])
    strong = [e for e in evidence if e.strong]
    if strong:
        # Blame first the layer the boundary convicts, then non-surveyed layers, then the clearest case.
        e = min(strong, key=lambda e: (not e.from_boundary, e.layer in _REFERENCE_LAYERS, -(e.gain + e.on)))
        raise CRSError(
            f"{cfg.root / cfg.layers[e.layer].file}: layer {e.layer!r} is declared {e.declared}, but its data is "
            f"most likely {e.frame}: {e.describe()}; fix `frame` in [layers.{e.layer}] of district.toml"
        )
    weak: dict[str, FrameEvidence] = {}
    for e in evidence:  # one warning a layer: its best-supported other frame
        if e.weak and (e.layer not in weak or e.gain - e.loss + e.on > weak[e.layer].gain - weak[e.layer].loss
                       + weak[e.layer].on):
            weak[e.layer] = e
    return [_warning("FRAME_DOUBTFUL", e.layer, cfg.layers[e.layer],
                     f"{cfg.layers[e.layer].file}: layer {e.layer!r} is declared {e.declared}, but some evidence "
                     f"says {e.frame}: {e.describe()}; check `frame` in [layers.{e.layer}] of district.toml")
            for e in weak.values()]


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
    warnings: list[dict] = []
    layers: dict[str, gpd.GeoDataFrame] = {}
    box = extent = None
    for name in LAYER_NAMES:
        spec = cfg.layers.get(name)
        if spec is None:
            layers[name] = empty_layer(name, working)
            continue
        file = _layer_path(cfg, name, spec)
        gdf = read_layer(spec, name, cfg, district_box=box, extent_lonlat=extent)
        if len(gdf) == 0 and name in _ROWS_REQUIRED:
            raise SchemaError(f"{file}: layer {name!r} has no rows (only a header, or an empty layer): expected at "
                              f"least one {'feature' if name == 'boundary' else 'row'}"
                              + ("" if name == "boundary" else f"; remove [layers.{name}] if there are none"))
        if len(gdf) == 0:
            warnings.append(_warning("EMPTY_LAYER", name, spec, f"{spec.file}: layer {name!r} has no rows"))
        layers[name] = gdf
        if name == "boundary":
            box = shapely.envelope(shapely.union_all(gdf.geometry.values))
            lon, lat = convert(*shapely.get_coordinates(box).T, working, "WGS84")
            extent = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    warnings += _frame_warnings(cfg, layers)
    return District(config=cfg, layers=layers, input_hashes=input_hashes(cfg), warnings=warnings)


def input_hashes(cfg: DistrictConfig) -> dict[str, str]:
    """sha256 of ``district.toml`` and of each declared layer file, by path relative to the district folder
    (sorted): what :func:`read_district` records as ``District.input_hashes``, without reading any layer."""
    hashes = {"district.toml": sha256_file(cfg.root / "district.toml")}
    for name in LAYER_NAMES:
        spec = cfg.layers.get(name)
        if spec is not None:
            hashes[spec.file] = sha256_file(_layer_path(cfg, name, spec))
    return dict(sorted(hashes.items()))
