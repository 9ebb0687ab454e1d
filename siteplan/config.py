"""The district configuration: ``district.toml`` parsed into typed, frozen dataclasses.

Every number that changes a result lives here (and so in the TOML), never in code. Unknown keys and values
that make no sense raise :class:`~siteplan.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .crs import is_geographic_frame, normalize_frame
from .errors import ConfigError, CRSError

__all__ = [
    "LAYER_NAMES",
    "SCENARIOS",
    "AwardConfig",
    "Band",
    "CostsConfig",
    "DistrictConfig",
    "DistrictInfo",
    "LayerName",
    "LayerSpec",
    "LosMode",
    "OptimizeConfig",
    "PoleKind",
    "PropagationModel",
    "RadioConfig",
    "Receptor",
    "ReuseKind",
    "ReviewConfig",
    "RulesConfig",
    "Scenario",
    "SiteType",
    "SiteTypePreset",
    "Target",
    "config_to_dict",
    "load_config",
]

LAYER_NAMES = (
    "boundary",
    "subdistricts",
    "existing_sites",
    "candidates",
    "poles",
    "plan_sites",
    "plan_zones",
    "public_facilities",
    "hotspots",
)

#: The seven application scenarios of the 2020 work plan, with their Chinese names.
SCENARIOS = {
    "manufacturing": "智能制造",
    "smart_grid": "智能电网",
    "commercial": "智慧商圈",
    "healthcare": "智慧医疗",
    "education": "智慧教育",
    "culture_tourism": "智慧文旅",
    "media": "智慧媒体",
}

# --- Vocabularies. A field typed with one of these Literals accepts only its words, and a dict keyed by one only
# its keys: ``_coerce`` checks every value and key on load and names the key path with a "did you mean". A new
# field gets the same check by declaring its type this way (e.g. ``bands: list[Band]``, ``dict[SiteType, float]``).
# Words that code elsewhere owns are repeated here (config imports nothing heavy); tests/test_config.py checks
# that they agree.
LayerName = Literal[LAYER_NAMES]
Scenario = Literal[tuple(SCENARIOS)]
#: siteplan.io.schema.SITE_TYPES
SiteType = Literal["macro", "micro", "indoor"]
#: siteplan.io.schema.POLE_KINDS
PoleKind = Literal["street_lamp", "monitoring", "other"]
#: siteplan.io.schema.RECEPTORS (without "")
Receptor = Literal["school", "kindergarten", "hospital"]
#: siteplan.compliance.sharing.REUSE_KINDS
ReuseKind = Literal["existing_site", "street_lamp", "monitoring", "public_facility"]
#: siteplan.radio.linkbudget.BANDS
Band = Literal["n78", "n41", "n79", "n28"]
#: siteplan.radio.propagation.MODELS
PropagationModel = Literal["uma", "umi", "rma", "inh", "cost231", "fspl"]
#: siteplan.radio.propagation.los_from_mode
LosMode = Literal["los_weighted", "los_weighted_linear", "los", "nlos"]


@dataclass(frozen=True)
class DistrictInfo:
    name: str
    name_zh: str = ""
    code: str = ""
    working_crs: str = "EPSG:4548"
    #: True when the layers are generated sample data (labelled as such in every output).
    sample: bool = False
    #: Shared data folders (relative to the district folder, or absolute) that layer files may also come from;
    #: any other path leading out of the district folder is refused.
    data_dirs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    id: str
    sites: int
    due: str
    label: str = ""
    label_zh: str = ""
    #: Outdoor / indoor area share the phase aims for (0-1); None = as much as the site count gives. The
    #: optimizer aims at the one of its demand layer (``[optimize] demand``); the other is reported against.
    coverage_outdoor: float | None = None
    coverage_indoor: float | None = None


@dataclass(frozen=True)
class LayerSpec:
    file: str
    frame: str
    layer: str | None = None
    sheet: str | None = None
    lon: str | None = None
    lat: str | None = None
    encoding: str | None = None
    sample: bool = False
    #: Row of the header in a CSV/XLSX (1-based, as a spreadsheet shows it); None = found in the first rows.
    header_row: int | None = None


@dataclass(frozen=True)
class SiteTypePreset:
    """Radio preset of one site type (macro, micro, indoor)."""

    height_m: float
    #: Transmit power per resource element (SS/PBCH EPRE) [dBm].
    tx_power_per_re_dbm: float
    antenna_gain_dbi: float
    #: Sector azimuths [deg]; empty = omni.
    azimuths_deg: tuple[float, ...] = ()
    h_beamwidth_deg: float = 65.0
    v_beamwidth_deg: float = 10.0
    tilt_deg: float = 6.0
    front_to_back_db: float = 30.0
    cable_loss_db: float = 2.0
    #: Total transmit power [dBm] over the carrier, used for the EMF compliance distance.
    total_power_dbm: float = 53.0
    #: Propagation model for this type ("uma", "umi", ...).
    model: PropagationModel = "uma"


def _default_site_types() -> dict[str, SiteTypePreset]:
    return {
        "macro": SiteTypePreset(30.0, 18.0, 17.0, (0.0, 120.0, 240.0), 65.0, 10.0, 6.0, 30.0, 2.0, 53.0, "uma"),
        "micro": SiteTypePreset(10.0, 6.0, 10.0, (), 360.0, 30.0, 0.0, 0.0, 1.0, 40.0, "umi"),
        "indoor": SiteTypePreset(3.0, -5.0, 3.0, (), 360.0, 60.0, 0.0, 0.0, 0.0, 24.0, "inh"),
    }


@dataclass(frozen=True)
class RadioConfig:
    band: Band = "n78"
    #: "los_weighted" mixes LOS and NLOS path loss by the TR 38.901 LOS probability.
    los_mode: LosMode = "los_weighted"
    grid_resolution_m: float = 20.0
    ue_height_m: float = 1.5
    rsrp_threshold_dbm: float = -105.0
    sinr_threshold_db: float = -3.0
    body_loss_db: float = 3.0
    shadowing_margin_db: float = 6.0
    indoor_penetration_db: float = 15.0
    #: Sites farther than this from a cell are not evaluated for it (their interference is ignored too).
    max_reach_m: float = 1000.0
    #: Smallest coverage gap reported [m²], and the layer gaps are found on ("outdoor" or "indoor").
    gap_min_area_m2: float = 2500.0
    gap_layer: Literal["outdoor", "indoor"] = "outdoor"
    noise_figure_db: float = 7.0
    site_types: dict[SiteType, SiteTypePreset] = field(default_factory=_default_site_types)


@dataclass(frozen=True)
class RulesConfig:
    #: Minimum spacing to an existing site of the same operator and band [m], by site type.
    min_spacing_m: dict[SiteType, float] = field(default_factory=lambda: {"macro": 150.0, "micro": 40.0, "indoor": 0.0})
    duplicate_distance_m: float = 5.0
    #: Lowest pole that can carry a micro site [m].
    pole_min_height_m: float = 6.0
    #: Pole kinds usable by site type.
    pole_kinds_for_type: dict[SiteType, list[PoleKind]] = field(
        default_factory=lambda: {"micro": ["street_lamp", "monitoring", "other"], "macro": [], "indoor": []}
    )
    #: Max distance from a candidate to its pole when it names one [m].
    pole_match_distance_m: float = 10.0
    #: Plan-type compatibility: candidate site type -> planned site types it may fill.
    plan_type_compatible: dict[SiteType, list[SiteType]] = field(
        default_factory=lambda: {"macro": ["macro"], "micro": ["micro", "macro"], "indoor": ["indoor", "macro", "micro"]}
    )
    #: Fraction of the GB 8702-2014 public limit a single project is held to.
    emf_limit_fraction: float = 0.2
    emf_receptors: list[Receptor] = field(default_factory=lambda: ["school", "kindergarten", "hospital"])
    #: Reuse search distance by asset kind [m].
    reuse_distance_m: dict[ReuseKind, float] = field(
        default_factory=lambda: {
            "existing_site": 30.0,
            "street_lamp": 15.0,
            "monitoring": 15.0,
            "public_facility": 50.0,
        }
    )


@dataclass(frozen=True)
class CostsConfig:
    """Cost per build kind [CNY]; the optimizer prefers the cheaper ones."""

    public_facility: float = 80_000.0
    existing_site: float = 100_000.0
    pole: float = 120_000.0
    rooftop: float = 200_000.0
    tower: float = 350_000.0
    indoor: float = 150_000.0
    #: Extra cost factor for conditional candidates (special approval, disguised antennas).
    conditional_penalty: float = 1.25


@dataclass(frozen=True)
class OptimizeConfig:
    """Site selection settings."""

    #: Demand layer: "outdoor", "indoor" or "both" (cells counted once per layer). With "both", a phase's
    #: coverage target (indoor if given, else outdoor) applies to the combined demand.
    demand: Literal["outdoor", "indoor", "both"] = "outdoor"
    #: A point hotspot weights the demand cells within this radius [m].
    hotspot_radius_m: float = 150.0
    #: Conditional candidates may be selected (at ``costs.conditional_penalty``).
    include_conditional: bool = True
    #: Time limit of each MILP solve [s]; past it the best solution and its proven gap are reported.
    time_limit_s: float = 8.0
    #: Relative MIP gap at which a solve stops as proven good enough.
    mip_rel_gap: float = 0.005
    #: Coverage shares for "the fewest sites for X% coverage".
    fewest_sites_fractions: list[float] = field(default_factory=lambda: [0.9, 0.95])


@dataclass(frozen=True)
class AwardConfig:
    per_site_cny: float = 20_000.0
    window_start: str = "2019-01-01"
    window_end: str = "2020-12-31"


@dataclass(frozen=True)
class ReviewConfig:
    registry: str = "registry.gpkg"
    #: Responsible units for work lists (key -> Chinese name).
    units: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DistrictConfig:
    district: DistrictInfo
    targets: tuple[Target, ...]
    layers: dict[LayerName, LayerSpec]
    radio: RadioConfig = field(default_factory=RadioConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    costs: CostsConfig = field(default_factory=CostsConfig)
    optimize: OptimizeConfig = field(default_factory=OptimizeConfig)
    award: AwardConfig = field(default_factory=AwardConfig)
    #: Hotspot weight per scenario.
    scenarios: dict[Scenario, float] = field(default_factory=lambda: {s: 1.0 for s in SCENARIOS})
    review: ReviewConfig = field(default_factory=ReviewConfig)
    #: Folder of district.toml; not part of the config's content.
    root: Path = field(default=Path("."), compare=False)


def _where(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _expected(value: object, words) -> str:
    """"did you mean 'x'? (expected one of: ...)" for a word not in ``words``."""
    words = [str(w) for w in words]
    close = difflib.get_close_matches(str(value), words, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}(expected one of: {', '.join(words)})"


def _coerce(value: Any, tp: Any, where: str, source: str) -> Any:
    """Coerce a TOML value to a dataclass field type, or raise ConfigError naming the key.

    A ``Literal[...]`` type admits only its words, and a ``dict[Literal[...], V]`` only those keys.
    """
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], where, source)
    if origin is Literal:
        if isinstance(value, bool) or value not in args:
            raise ConfigError(f"{source}: {where} = {value!r} is not a known value; {_expected(value, args)}")
        return value
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: [{where}] must be a table")
        return _build(tp, value, where, source)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: {where} must be a table, got {value!r}")
        if typing.get_origin(args[0]) is Literal:
            keys = typing.get_args(args[0])
            for k in value:
                if k not in keys:
                    raise ConfigError(f"{source}: unknown key {_where(where, k)!r}; {_expected(k, keys)}")
        return {str(k): _coerce(v, args[1], _where(where, k), source) for k, v in value.items()}
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {where} must be a list, got {value!r}")
        return origin(_coerce(v, args[0], f"{where}[{i}]", source) for i, v in enumerate(value))
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: {where} must be true or false, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{source}: {where} must be a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source}: {where} must be a whole number, got {value!r}")
        return value
    if tp is str:
        if isinstance(value, (_dt.date, _dt.datetime)):
            return value.isoformat()
        if not isinstance(value, str):
            raise ConfigError(f"{source}: {where} must be text, got {value!r}")
        return value
    return value


def _build(cls: type, data: dict, path: str, source: str):
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.name != "root"}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{source}: unknown key {_where(path, unknown[0])!r}; {_expected(unknown[0], sorted(names))}")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{source}: missing required key {_where(path, f.name)!r}")
            continue
        kwargs[f.name] = _coerce(data[f.name], hints[f.name], _where(path, f.name), source)
    return cls(**kwargs)


def _check(cfg: DistrictConfig, source: str) -> None:
    """Values that parse but make no sense."""
    try:
        wcrs = normalize_frame(cfg.district.working_crs)
    except CRSError as e:
        raise ConfigError(f"{source}: district.working_crs: {e}") from None
    if is_geographic_frame(wcrs):
        raise ConfigError(
            f"{source}: district.working_crs {cfg.district.working_crs!r} is geographic; "
            "expected a projected CRS in metres (e.g. EPSG:4548), since distances and areas are never computed in degrees"
        )
    if wcrs == "EPSG:3857":
        raise ConfigError(f"{source}: district.working_crs must not be Web Mercator (EPSG:3857): its metres are not metres")
    if "boundary" not in cfg.layers:
        raise ConfigError(f"{source}: missing required table [layers.boundary]")
    for name, spec in cfg.layers.items():
        if spec.header_row is not None and not 1 <= spec.header_row <= 1000:
            raise ConfigError(f"{source}: layers.{name}.header_row = {spec.header_row}: expected a row number 1-1000")
        try:
            normalize_frame(spec.frame)
        except CRSError as e:
            raise CRSError(f"{source}: layers.{name}.frame: {e}") from None
    prev_sites, prev_due, seen = 0, "", set()
    for i, t in enumerate(cfg.targets):
        where = f"targets[{i}] (id {t.id!r})"
        if t.id in seen:
            raise ConfigError(f"{source}: {where}: duplicate target id")
        seen.add(t.id)
        try:
            _dt.date.fromisoformat(t.due + "-01")
        except ValueError:
            raise ConfigError(f"{source}: {where}.due = {t.due!r}: expected a month as YYYY-MM") from None
        if t.sites <= 0:
            raise ConfigError(f"{source}: {where}.sites = {t.sites}: expected a positive number of sites")
        if t.sites < prev_sites:
            raise ConfigError(
                f"{source}: {where}.sites = {t.sites} is below the previous target's {prev_sites}: "
                "targets are cumulative and must not decrease"
            )
        if t.due <= prev_due:
            raise ConfigError(f"{source}: {where}.due = {t.due!r} is not after the previous target's {prev_due!r}")
        for key in ("coverage_outdoor", "coverage_indoor"):
            v = getattr(t, key)
            if v is not None and not 0.0 < v <= 1.0:
                raise ConfigError(f"{source}: {where}.{key} = {v}: expected a fraction in (0, 1]")
        prev_sites, prev_due = t.sites, t.due
    r = cfg.radio
    if not 1.0 <= r.grid_resolution_m <= 1000.0:
        raise ConfigError(f"{source}: radio.grid_resolution_m = {r.grid_resolution_m}: expected 1-1000 m")
    if r.gap_min_area_m2 < 0 or r.max_reach_m <= 0:
        raise ConfigError(f"{source}: radio.gap_min_area_m2 must be >= 0 and radio.max_reach_m > 0")
    if not -150.0 <= r.rsrp_threshold_dbm <= -40.0:
        raise ConfigError(f"{source}: radio.rsrp_threshold_dbm = {r.rsrp_threshold_dbm}: expected -150 to -40 dBm")
    for k, w in cfg.scenarios.items():
        if w < 0:
            raise ConfigError(f"{source}: scenarios.{k} = {w}: expected a weight >= 0")
    for k, v in dataclasses.asdict(cfg.costs).items():
        if v < 0:
            raise ConfigError(f"{source}: costs.{k} = {v}: expected >= 0")
    o = cfg.optimize
    if o.time_limit_s <= 0 or not 0 <= o.mip_rel_gap < 1:
        raise ConfigError(f"{source}: optimize.time_limit_s must be > 0 and optimize.mip_rel_gap in [0, 1)")
    for f in o.fewest_sites_fractions:
        if not 0 < f <= 1:
            raise ConfigError(f"{source}: optimize.fewest_sites_fractions: {f} is not a share in (0, 1]")
    if not 0.0 < cfg.rules.emf_limit_fraction <= 1.0:
        raise ConfigError(f"{source}: rules.emf_limit_fraction = {cfg.rules.emf_limit_fraction}: expected (0, 1]")


def load_config(path: str | Path) -> DistrictConfig:
    """Read and check ``district.toml`` (or the folder holding it).

    Raises
    ------
    ConfigError
        On a missing file, TOML syntax error, unknown key, wrong type or a value that makes no sense.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "district.toml"
    source = str(p)
    if not p.is_file():
        raise ConfigError(f"{source}: district config not found (expected a district folder with district.toml)")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text") from None
    if "targets" in data and not isinstance(data["targets"], list):
        raise ConfigError(f"{source}: targets must be an array of tables ([[targets]])")
    data.setdefault("targets", [])
    data.setdefault("layers", {})
    cfg = _build(DistrictConfig, data, "", source)
    cfg = dataclasses.replace(cfg, root=p.parent.resolve(), targets=tuple(cfg.targets))
    _check(cfg, source)
    return cfg


def config_to_dict(cfg: DistrictConfig) -> dict:
    """The config as plain JSON-able data, recorded in every output that depends on it."""
    d = dataclasses.asdict(cfg)
    d.pop("root", None)
    return d
