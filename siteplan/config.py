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
    "NETWORK_BUILD_KINDS",
    "OPERATORS",
    "AwardConfig",
    "Band",
    "BuildingLossConfig",
    "CapacityConfig",
    "BuildCost",
    "CostsConfig",
    "DistrictConfig",
    "DistrictInfo",
    "GoalConfig",
    "LayerName",
    "LayerSpec",
    "LosMode",
    "NetworkConfig",
    "OptimizeConfig",
    "PoleKind",
    "PresetOverride",
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
    "UplinkConfig",
    "config_to_dict",
    "load_config",
    "network_target_sites",
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
    "buildings",
)

#: Operators by canonical key, with their Chinese names. China Tower owns and leases sites; it is never a network.
OPERATORS = {
    "china_mobile": "中国移动",
    "china_telecom": "中国电信",
    "china_unicom": "中国联通",
    "china_broadnet": "中国广电",
    "china_tower": "中国铁塔",
}

#: Cost classes of a site (``build_kind`` of the check), cheapest civil works first.
NETWORK_BUILD_KINDS = ("co_site_upgrade", "existing_site", "public_facility", "pole", "indoor", "rooftop", "tower")

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
#: Operators that build networks (China Tower owns and leases sites, it builds none).
NetworkOperator = Literal["china_mobile", "china_telecom", "china_unicom", "china_broadnet"]
#: Cost classes of a site (see NETWORK_BUILD_KINDS).
BuildKind = Literal["co_site_upgrade", "existing_site", "public_facility", "pole", "indoor", "rooftop", "tower"]
CoverageLayer = Literal["outdoor", "indoor"]


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
    #: Sub-district codes of the urban core, the area a "core" coverage goal is measured on.
    core_subdistricts: tuple[str, ...] = ()


@dataclass(frozen=True)
class GoalConfig:
    """What a phase's coverage goal means, per network (the work plan's 基本覆盖 / 全覆盖 made measurable).

    A network meets the goal when the share of the goal area covered on ``layer`` (joint SS-RSRP and SS-SINR KPI)
    is at least ``share`` and, when ``hotspot_scenarios`` is given, at least ``hotspot_share`` of those
    scenarios' hotspots are covered on ``hotspot_layer``.
    """

    layer: CoverageLayer = "outdoor"
    share: float = 0.9
    #: "district" (every cell) or "core" (the sub-districts of ``district.core_subdistricts``).
    area: Literal["district", "core"] = "district"
    hotspot_scenarios: tuple[Scenario, ...] = ()
    hotspot_layer: CoverageLayer = "indoor"
    hotspot_share: float = 1.0


@dataclass(frozen=True)
class Target:
    id: str
    sites: int
    due: str
    label: str = ""
    label_zh: str = ""
    #: The coverage each network should reach by the due date; None = as much as its site count gives.
    goal: GoalConfig | None = None


@dataclass(frozen=True)
class NetworkConfig:
    """A 5G network as a subscriber sees it: who builds it, on which bands, from when, and its part of the targets.

    A site belongs to the network whose ``operators`` hold its operator and whose ``bands`` hold its band.
    """

    name: str = ""
    name_zh: str = ""
    #: Short Chinese name for tables and the map (简称), e.g. "电信联通"; default the key.
    short_zh: str = ""
    operators: tuple[NetworkOperator, ...] = ()
    bands: tuple[Band, ...] = ()
    #: First month (YYYY-MM) the network's bands carry commercial 5G service; a site of the network counts
    #: towards a phase only if this is not after the phase's due month.
    available_from: str = "2019-10"
    #: Share of each target's site count (target id -> fraction); the shares of a target sum to 1.
    share: dict[str, float] = field(default_factory=dict)
    #: Explicit cumulative site counts per target id; override ``share`` where given.
    sites: dict[str, int] = field(default_factory=dict)

    @property
    def primary_band(self) -> str:
        return self.bands[0] if self.bands else ""


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
    """Radio preset of one site type (macro, micro, indoor) on one band.

    ``antenna_gain_dbi``, ``h_beamwidth_deg`` and ``v_beamwidth_deg`` describe the beam the SS-RSRP is measured
    on (the SSB beam of a massive-MIMO unit, the panel of a passive antenna); ``traffic_beam_gain_dbi`` the
    beam that carries data (EMF, data rates, uplink receive gain).
    """

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
    #: Vertical side-lobe level SLA_V of the TR 38.901 Table 7.3-1 pattern [dB] (the table's value: 30).
    sla_v_db: float = 30.0
    #: SSB beam scenario of a massive-MIMO unit (siteplan.radio.presets.SSB_BEAM_SCENARIOS, e.g. "h65_v12");
    #: "" = none. A scenario sets h_beamwidth_deg and v_beamwidth_deg and adds its digital tilt to tilt_deg;
    #: antenna_gain_dbi stays the configured SSB beam gain (checked against the beamwidths).
    ssb_beam: str = ""
    #: Gain of the traffic (PDSCH/PUSCH) beam [dBi]: EMF compliance distance, data rates and the uplink
    #: receive gain; None = antenna_gain_dbi (a passive antenna has one beam).
    traffic_beam_gain_dbi: float | None = None
    #: Antenna elements (per polarisation) of the array, to check the traffic-beam gain; 0 = not checked.
    n_elements: int = 0
    #: gNB receiver noise figure [dB] in the uplink (PUSCH) budget.
    ul_noise_figure_db: float = 3.5
    #: Uplink interference margin [dB] in the PUSCH budget (rise over thermal of the neighbours' uplink).
    ul_interference_margin_db: float = 2.0
    #: Indoor systems: radius one antenna head serves [m]. In its own building an indoor-type site is evaluated
    #: at min(distance, this), its heads being spread over the building; 0 = a single antenna.
    head_radius_m: float = 0.0
    #: Antenna pattern file in the MSI/Planet text format (relative to the district folder), "" = none. On load
    #: its gain, beamwidths, front-to-back ratio, SLA_V and electrical tilt replace the preset's (the TR 38.901
    #: pattern fitted to the file: siteplan.radio.antenna_files.fit_pattern); tilt_deg is then the mechanical
    #: tilt added to the file's electrical tilt.
    pattern_file: str = ""

    @property
    def traffic_gain_dbi(self) -> float:
        """The traffic beam's gain [dBi] (``traffic_beam_gain_dbi``, else ``antenna_gain_dbi``)."""
        return self.antenna_gain_dbi if self.traffic_beam_gain_dbi is None else float(self.traffic_beam_gain_dbi)


@dataclass(frozen=True)
class PresetOverride:
    """Per-band changes to a site type's preset (``[radio.presets.<band>.<site_type>]``); unset keys inherit."""

    height_m: float | None = None
    tx_power_per_re_dbm: float | None = None
    antenna_gain_dbi: float | None = None
    azimuths_deg: tuple[float, ...] | None = None
    h_beamwidth_deg: float | None = None
    v_beamwidth_deg: float | None = None
    tilt_deg: float | None = None
    front_to_back_db: float | None = None
    cable_loss_db: float | None = None
    total_power_dbm: float | None = None
    model: PropagationModel | None = None
    sla_v_db: float | None = None
    ssb_beam: str | None = None
    traffic_beam_gain_dbi: float | None = None
    n_elements: int | None = None
    ul_noise_figure_db: float | None = None
    ul_interference_margin_db: float | None = None
    head_radius_m: float | None = None
    pattern_file: str | None = None


def _default_site_types() -> dict[str, SiteTypePreset]:
    # The bundled Hedong district's presets (district.toml says where each value comes from).
    # Macro: 64T64R AAU (192 elements), SS/PBCH in the "h65_v12" beam scenario, ~24 dBi traffic beam.
    # Micro: a lamp-pole unit with two directional 4T4R panels back to back (90 x 30 deg, 10 dBi; an omni with a
    # 30 deg vertical beam cannot exceed 5.6 dBi). Indoor: a distributed/digital indoor system head
    # (omni ceiling antenna, 3 dBi, 60 deg), 250 mW per carrier (24 dBi -> -11 dBm per RE over 273 PRB).
    return {
        "macro": SiteTypePreset(30.0, 18.0, 17.0, (0.0, 120.0, 240.0), 65.0, 12.0, 10.0, 30.0, 2.0, 53.0, "uma",
                                20.0, "h65_v12", 24.0, 192),
        "micro": SiteTypePreset(10.0, 6.0, 10.0, (0.0, 180.0), 90.0, 30.0, 4.0, 25.0, 1.0, 40.0, "umi", 20.0),
        "indoor": SiteTypePreset(3.0, -11.0, 3.0, (), 360.0, 60.0, 0.0, 0.0, 0.0, 24.0, "inh", 20.0,
                                 head_radius_m=15.0),
    }


#: Building uses of the ``buildings`` layer (siteplan.io.schema.BUILDING_USES).
BuildingUse = Literal["residential", "commercial", "office", "school", "hospital", "industrial", "public", "other"]


def _default_high_loss_share() -> dict[str, float]:
    # ITU-R M.2412 (IMT-2020 evaluation, dense-urban and urban-macro eMBB): 20 % of buildings high-loss, 80 %
    # low-loss. Office towers and malls with IRR-glass curtain walls: high-loss (siteplan's assumption).
    return {"residential": 0.2, "commercial": 1.0, "office": 1.0, "school": 0.2, "hospital": 0.2,
            "industrial": 0.2, "public": 0.2, "other": 0.2}


@dataclass(frozen=True)
class BuildingLossConfig:
    """Building (O2I) penetration per building class, TR 38.901 §7.4.3 (``[radio.buildings]``).

    A building's ``loss_class`` (``low``/``high``) picks the low- or high-loss model; a building without one
    takes its use's mix of the two (mean and spread of the mixture, siteplan.radio.penetration.o2i_mixture_db).
    """

    #: Building use -> share of high-loss buildings among those of that use without their own loss_class.
    high_loss_share: dict[BuildingUse, float] = field(default_factory=_default_high_loss_share)
    #: Mean indoor distance d_2D-in [m]: E[min(U(0, 25), U(0, 25))] = 25/3 m (TR 38.901 Table 7.4.3-2, UMa/UMi).
    indoor_distance_m: float = 25.0 / 3.0


#: TDD patterns (siteplan.radio.tdd.TDD_PATTERNS) and "fdd".
DuplexPattern = Literal["cm_n41_5ms_single", "ct_cu_n78_2p5ms_double", "dddsu_2p5ms", "fdd"]
#: UE power classes (siteplan.radio.uplink.POWER_CLASS_DBM).
PowerClass = Literal["PC1.5", "PC2", "PC3"]


@dataclass(frozen=True)
class UplinkConfig:
    """The PUSCH budget's UE and service side (``[radio.uplink]``); the gNB side is each preset's.

    A cell is covered only where the uplink carries ``edge_rate_mbps`` to its serving sector as well
    (siteplan.radio.budgets.ul_rsrp_floor_dbm).
    """

    #: Band -> UE power class.
    ue_power_class: dict[Band, PowerClass] = field(
        default_factory=lambda: {"n78": "PC2", "n41": "PC2", "n79": "PC2", "n28": "PC3"})
    #: Band -> TDD slot pattern (its uplink share), "fdd" for a paired band.
    duplex: dict[Band, DuplexPattern] = field(
        default_factory=lambda: {"n78": "ct_cu_n78_2p5ms_double", "n41": "cm_n41_5ms_single",
                                 "n79": "cm_n41_5ms_single", "n28": "fdd"})
    #: Uplink rate the cell edge must carry [Mbit/s].
    edge_rate_mbps: float = 1.0
    #: SINR -> spectral efficiency: "shannon" (attenuated, TR 36.942) or a TS 38.214 MCS table.
    mapping: Literal["shannon", "mcs_64qam", "mcs_256qam"] = "shannon"
    #: PRBs of the edge UE's allocation (20 PRB = 7.2 MHz at 30 kHz, a usual edge allocation in operators'
    #: budgets); 0 = the allocation that maximises the MAPL (with attenuated Shannon that is a wide allocation at
    #: SINR_min, optimistic).
    n_prb: int = 20
    ue_antenna_gain_dbi: float = 0.0
    #: Body loss in the uplink [dB] (data session; the downlink's radio.body_loss_db is separate).
    body_loss_db: float = 0.0


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
    #: Share of a cell's area covered despite shadowing (Jakes): sets each model's shadowing margin from its
    #: TR 38.901 sigma, and indoors from that sigma combined with the building's sigma_P.
    area_reliability: float = 0.95
    #: A fixed outdoor shadowing margin [dB] for every model instead of the one from area_reliability.
    shadowing_margin_db: float | None = None
    #: A fixed indoor shadowing margin [dB] (replacing the combined-sigma one) for every building class.
    indoor_margin_db: float | None = None
    #: A fixed building penetration loss [dB] for every building and band instead of TR 38.901's models.
    indoor_penetration_db: float | None = None
    #: Share of the neighbour cells' resources carrying power where the UE measures (SS/PBCH and PDSCH):
    #: interference in SS-SINR is scaled by it (1 = every neighbour transmits all the time).
    neighbour_load: float = 0.5
    #: Sites farther than this from a cell are not evaluated for it (their interference is ignored too).
    max_reach_m: float = 1000.0
    #: Smallest coverage gap reported [m²], and the layer gaps are found on ("outdoor" or "indoor").
    gap_min_area_m2: float = 2500.0
    gap_layer: Literal["outdoor", "indoor"] = "outdoor"
    noise_figure_db: float = 7.0
    site_types: dict[SiteType, SiteTypePreset] = field(default_factory=_default_site_types)
    #: Band -> site type -> overrides of ``site_types`` for that band (e.g. a 700 MHz 4T4R macro).
    presets: dict[Band, dict[SiteType, PresetOverride]] = field(default_factory=dict)
    buildings: BuildingLossConfig = field(default_factory=BuildingLossConfig)
    uplink: UplinkConfig = field(default_factory=UplinkConfig)

    def preset(self, site_type: str, band: str | None = None) -> SiteTypePreset:
        """The radio preset of ``site_type`` on ``band`` (the type's preset with the band's overrides), with its
        SSB beam scenario applied (beamwidths and digital tilt)."""
        base = self.site_types[site_type]
        over = self.presets.get(str(band or "").strip().lower(), {}).get(site_type)
        if over is not None:
            changes = {k: v for k, v in dataclasses.asdict(over).items() if v is not None}
            if "azimuths_deg" in changes:
                changes["azimuths_deg"] = tuple(changes["azimuths_deg"])
            base = dataclasses.replace(base, **changes)
        return _with_ssb_beam(base)


def _with_ssb_beam(p: SiteTypePreset) -> SiteTypePreset:
    if not p.ssb_beam:
        return p
    from .radio.presets import SSB_BEAM_SCENARIOS

    sc = SSB_BEAM_SCENARIOS[p.ssb_beam]  # checked on load
    return dataclasses.replace(p, h_beamwidth_deg=sc.h_beamwidth_deg, v_beamwidth_deg=sc.v_beamwidth_deg,
                               tilt_deg=p.tilt_deg + sc.tilt_deg)


@dataclass(frozen=True)
class RulesConfig:
    #: Minimum spacing to an existing site of the same operator and band [m], by site type.
    min_spacing_m: dict[SiteType, float] = field(default_factory=lambda: {"macro": 150.0, "micro": 40.0, "indoor": 0.0})
    duplicate_distance_m: float = 5.0
    #: Candidates closer than this stand on one physical site (tenants of a shared site) [m].
    co_location_m: float = 5.0
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
    #: Time-averaged share of a beamforming (massive-MIMO) site's maximum power its traffic beam can hold towards
    #: one place (the actual-maximum approach of IEC 62232:2022 / ITU-T K Suppl. 16): scales the traffic-beam EIRP
    #: of the EMF distance of sites whose traffic beam is narrower (higher gain) than their SS/PBCH beam.
    emf_power_factor: float = 0.25
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
class BuildCost:
    """Site costs of one build kind, RAN equipment excluded [CNY]."""

    #: Civil works, power and transmission to get the site ready [CNY].
    capex_cny: float
    #: Rent or site fee paid to the owner each year [CNY/year].
    rent_cny_per_year: float = 0.0
    #: The site is a China Tower site leased per tenant (tower lease with a sharing discount applies).
    tower_lease: bool = False


def _default_build_costs() -> dict[str, BuildCost]:
    return {
        "co_site_upgrade": BuildCost(30_000.0, 5_000.0, True),
        "existing_site": BuildCost(50_000.0, 5_000.0, True),
        "public_facility": BuildCost(60_000.0, 0.0, False),
        "pole": BuildCost(40_000.0, 3_000.0, False),
        "indoor": BuildCost(40_000.0, 0.0, False),
        "rooftop": BuildCost(120_000.0, 30_000.0, False),
        "tower": BuildCost(300_000.0, 10_000.0, True),
    }


@dataclass(frozen=True)
class CostsConfig:
    """Ten-year cost of ownership of a 5G site: site capex + rent + tower lease + RAN equipment + electricity.

    ``equipment_cny`` and ``power_kw`` are keyed by site type, optionally refined per band as ``"<type>.<band>"``
    (e.g. ``"macro.n28"``).
    """

    horizon_years: int = 10
    build: dict[BuildKind, BuildCost] = field(default_factory=_default_build_costs)
    equipment_cny: dict[str, float] = field(
        default_factory=lambda: {"macro": 160_000.0, "micro": 30_000.0, "indoor": 50_000.0})
    #: Average power draw of the 5G equipment [kW].
    power_kw: dict[str, float] = field(default_factory=lambda: {"macro": 3.2, "micro": 0.2, "indoor": 0.3})
    #: Electricity price by supply mode [CNY/kWh]: direct supply (直供电) and transferred supply (转供电).
    electricity_cny_per_kwh: dict[str, float] = field(
        default_factory=lambda: {"direct": 0.65, "transferred": 1.1, "unknown": 1.1})
    #: China Tower's yearly lease per tenant before the sharing discount [CNY/year].
    tower_lease_cny_per_year: float = 40_000.0
    #: Lease discount by number of tenants on the site: 1st entry = 1 tenant, 2nd = 2 tenants, ... (last repeats).
    sharing_discount: tuple[float, ...] = (0.0, 0.3, 0.4)
    #: Extra cost factor for conditional candidates (special approval, disguised antennas).
    conditional_penalty: float = 1.25

    def keyed(self, table: dict[str, float], site_type: str, band: str) -> float:
        """``table["<type>.<band>"]`` if given, else ``table["<type>"]``."""
        return float(table.get(f"{site_type}.{band}", table[site_type]))


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
    #: Wall-time limit of each solve [s]: a safety net behind ``work_limit`` (a solve it cuts reports
    #: status "time_limit", and its answer depends on the machine and its load); with ``work_limit = 0`` it is
    #: what ends an unproven solve.
    time_limit_s: float = 30.0
    #: Deterministic work limit of each solve [local-search rounds]: an unproven solve ends once this work is
    #: spent (status "work_limit"), with the same answer on every machine and load; 0 = none (anytime, ended
    #: by proof or ``time_limit_s``). HiGHS gets node and limit-check budgets derived from it
    #: (`siteplan.optimize.maximize_coverage`). 2,000 rounds take 1-10 s per solve on Hedong's models.
    work_limit: int = 2000
    #: Relative MIP gap at which a solve stops as proven good enough.
    mip_rel_gap: float = 0.005
    #: Coverage shares for "the fewest sites for X% coverage".
    fewest_sites_fractions: list[float] = field(default_factory=lambda: [0.9, 0.95])


def _default_hotspot_users() -> dict[str, float]:
    return {"manufacturing": 500.0, "smart_grid": 50.0, "commercial": 5000.0, "healthcare": 3000.0,
            "education": 1500.0, "culture_tourism": 3000.0, "media": 500.0}


@dataclass(frozen=True)
class CapacityConfig:
    """Busy-hour traffic and the cell-load check at hotspots (``[capacity]``; siteplan.evaluate.capacity).

    Demand: ``subscribers x fiveg_share x network share x traffic_gb_per_month x 8000 / days_per_month x
    busy_hour_share x downlink_fraction / 3600`` [Mbit/s] (siteplan.radio.capacity.busy_hour_demand_mbps), from
    the district's residents (spread over building floor area, ``indoor_traffic_share`` of it; the rest over
    the outdoor cells) and each hotspot's busy-hour users (on its building).
    """

    #: Residents of the district (census); 0 = no background demand.
    residents: float = 0.0
    #: Mobile lines per resident.
    lines_per_resident: float = 1.0
    traffic_gb_per_month: float = 15.2
    fiveg_share: float = 0.333
    busy_hour_share: float = 0.08
    days_per_month: float = 30.0
    downlink_fraction: float = 1.0
    #: Share of the background traffic generated indoors (spread over floor area; the rest over outdoor cells).
    indoor_traffic_share: float = 0.8
    #: Network key -> share of the district's subscribers it serves; a network not listed carries no demand.
    network_share: dict[str, float] = field(default_factory=dict)
    #: People present at a hotspot in the busy hour, per scenario.
    hotspot_users: dict[Scenario, float] = field(default_factory=_default_hotspot_users)
    #: Hotspot id -> people present in the busy hour, overriding its scenario's figure.
    hotspot_users_by_id: dict[str, float] = field(default_factory=dict)
    #: PRB utilisation above which a cell needs more capacity (operators' expansion trigger).
    trigger: float = 0.7
    #: Spectral efficiency model of the PDSCH: "cqi_256qam", "cqi_64qam" (TS 38.214) or "shannon".
    se_model: Literal["cqi_256qam", "cqi_64qam", "shannon"] = "cqi_256qam"
    #: Share of downlink resources not carrying data (TS 38.306 §4.1.2: 0.14 in FR1).
    overhead: float = 0.14
    #: Average spatial layers per site type (SU/MU-MIMO).
    mimo_layers: dict[SiteType, float] = field(
        default_factory=lambda: {"macro": 4.0, "micro": 2.0, "indoor": 2.0})


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
    capacity: CapacityConfig = field(default_factory=CapacityConfig)
    #: The 5G networks planned, by key (e.g. "ctcu", "cm", "cbn"); empty = one network of every site.
    networks: dict[str, NetworkConfig] = field(default_factory=dict)
    #: Hotspot weight per scenario.
    scenarios: dict[Scenario, float] = field(default_factory=lambda: {s: 1.0 for s in SCENARIOS})
    review: ReviewConfig = field(default_factory=ReviewConfig)
    #: Folder of district.toml; not part of the config's content.
    root: Path = field(default=Path("."), compare=False)

    def operator_bands(self) -> dict[str, str]:
        """Each operator's default band: the primary band of the first network holding it (China Mobile -> n41)."""
        out: dict[str, str] = {}
        for net in self.networks.values():
            for op in net.operators:
                out.setdefault(op, net.primary_band)
        return out


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
        if t.goal is not None:
            _check_goal(t.goal, cfg, f"{where}.goal", source)
        prev_sites, prev_due = t.sites, t.due
    _check_networks(cfg, source)
    r = cfg.radio
    if not 1.0 <= r.grid_resolution_m <= 1000.0:
        raise ConfigError(f"{source}: radio.grid_resolution_m = {r.grid_resolution_m}: expected 1-1000 m")
    if r.gap_min_area_m2 < 0 or r.max_reach_m <= 0:
        raise ConfigError(f"{source}: radio.gap_min_area_m2 must be >= 0 and radio.max_reach_m > 0")
    if not -150.0 <= r.rsrp_threshold_dbm <= -40.0:
        raise ConfigError(f"{source}: radio.rsrp_threshold_dbm = {r.rsrp_threshold_dbm}: expected -150 to -40 dBm")
    _check_radio(cfg, source)
    for k, w in cfg.scenarios.items():
        if w < 0:
            raise ConfigError(f"{source}: scenarios.{k} = {w}: expected a weight >= 0")
    _check_costs(cfg.costs, source)
    _check_capacity(cfg, source)
    o = cfg.optimize
    if o.time_limit_s <= 0 or not 0 <= o.mip_rel_gap < 1:
        raise ConfigError(f"{source}: optimize.time_limit_s must be > 0 and optimize.mip_rel_gap in [0, 1)")
    if o.work_limit < 0:
        raise ConfigError(
            f"{source}: optimize.work_limit = {o.work_limit}: expected a whole number of local-search rounds >= 0 "
            "(0 = no work limit: solves end by proof or time_limit_s)"
        )
    for f in o.fewest_sites_fractions:
        if not 0 < f <= 1:
            raise ConfigError(f"{source}: optimize.fewest_sites_fractions: {f} is not a share in (0, 1]")
    if not 0.0 < cfg.rules.emf_limit_fraction <= 1.0:
        raise ConfigError(f"{source}: rules.emf_limit_fraction = {cfg.rules.emf_limit_fraction}: expected (0, 1]")
    if not 0.0 < cfg.rules.emf_power_factor <= 1.0:
        raise ConfigError(f"{source}: rules.emf_power_factor = {cfg.rules.emf_power_factor}: expected (0, 1]")


def _preset_key(cfg: DistrictConfig, site_type: str, band: str) -> str:
    """Where a (band, site type) preset comes from, for messages."""
    if site_type in cfg.radio.presets.get(band, {}):
        return f"radio.presets.{band}.{site_type}"
    return f"radio.site_types.{site_type}"


def _check_radio(cfg: DistrictConfig, source: str) -> None:
    """Radio values that parse but cannot be: shares out of range, unknown beam scenarios, presets no antenna
    or power amplifier can realise (siteplan.radio.presets.preset_problems)."""
    from .radio.linkbudget import BANDS
    from .radio.presets import SSB_BEAM_SCENARIOS, preset_problems

    r = cfg.radio
    for key in ("area_reliability",):
        v = getattr(r, key)
        if not 0.5 <= v < 1.0:
            raise ConfigError(f"{source}: radio.{key} = {v}: expected a share in [0.5, 1), e.g. 0.95")
    if not 0.0 < r.neighbour_load <= 1.0:
        raise ConfigError(f"{source}: radio.neighbour_load = {r.neighbour_load}: expected a share in (0, 1]")
    for key in ("shadowing_margin_db", "indoor_margin_db", "indoor_penetration_db"):
        v = getattr(r, key)
        if v is not None and not 0.0 <= v <= 60.0:
            raise ConfigError(f"{source}: radio.{key} = {v}: expected 0-60 dB (or leave it out)")
    for use, w in r.buildings.high_loss_share.items():
        if not 0.0 <= w <= 1.0:
            raise ConfigError(f"{source}: radio.buildings.high_loss_share.{use} = {w}: expected a share in [0, 1]")
    if not 0.0 <= r.buildings.indoor_distance_m <= 100.0:
        raise ConfigError(f"{source}: radio.buildings.indoor_distance_m = {r.buildings.indoor_distance_m}: "
                          "expected 0-100 m")
    u = r.uplink
    if not 0.0 < u.edge_rate_mbps <= 1000.0:
        raise ConfigError(f"{source}: radio.uplink.edge_rate_mbps = {u.edge_rate_mbps}: expected 0-1000 Mbit/s")
    if not 0 <= u.n_prb <= 275:
        raise ConfigError(f"{source}: radio.uplink.n_prb = {u.n_prb}: expected 0 (best allocation) to 275 PRBs")
    bands = sorted({r.band, *r.presets, *(b for n in cfg.networks.values() for b in n.bands)})
    for b in bands:
        if b not in u.duplex or b not in u.ue_power_class:
            missing = "duplex" if b not in u.duplex else "ue_power_class"
            raise ConfigError(f"{source}: radio.uplink.{missing} has no entry for band {b!r}")
        if (u.duplex[b] == "fdd") != (BANDS[b].duplex == "FDD"):
            raise ConfigError(f"{source}: radio.uplink.duplex.{b} = {u.duplex[b]!r}: band {b} is "
                              f"{BANDS[b].duplex}; expected " + ("'fdd'" if BANDS[b].duplex == "FDD"
                                                                  else "a TDD pattern"))
    for where, table in [("radio.site_types", {"": r.site_types})] + [
            (f"radio.presets.{b}", {"": t}) for b, t in r.presets.items()]:
        for t, p in table[""].items():
            ssb = getattr(p, "ssb_beam", None)
            if ssb and ssb not in SSB_BEAM_SCENARIOS:
                raise ConfigError(f"{source}: {where}.{t}.ssb_beam = {ssb!r} is not a known beam scenario; "
                                  f"{_expected(ssb, SSB_BEAM_SCENARIOS)}")
    problems: dict[str, list[str]] = {}
    for t in r.site_types:
        for b in bands:
            p = r.preset(t, b)
            key = _preset_key(cfg, t, b)
            if not 0.0 < p.sla_v_db <= 60.0:
                raise ConfigError(f"{source}: {key}.sla_v_db = {p.sla_v_db}: expected 0-60 dB")
            for k in ("ul_noise_figure_db", "ul_interference_margin_db"):
                if not 0.0 <= getattr(p, k) <= 30.0:
                    raise ConfigError(f"{source}: {key}.{k} = {getattr(p, k)}: expected 0-30 dB")
            if not (0.0 < p.h_beamwidth_deg <= 360.0 and 0.0 < p.v_beamwidth_deg <= 180.0):
                raise ConfigError(f"{source}: {key} (on {b}): beamwidths {p.h_beamwidth_deg:g} x "
                                  f"{p.v_beamwidth_deg:g} deg: expected 0 < h <= 360 and 0 < v <= 180 deg")
            for _, msg in preset_problems(
                    key, antenna_gain_dbi=p.antenna_gain_dbi, h_beamwidth_deg=p.h_beamwidth_deg,
                    v_beamwidth_deg=p.v_beamwidth_deg, total_power_dbm=p.total_power_dbm,
                    tx_power_per_re_dbm=p.tx_power_per_re_dbm, n_prb=BANDS[b].n_prb,
                    traffic_beam_gain_dbi=p.traffic_beam_gain_dbi, n_elements=p.n_elements or None):
                problems.setdefault(msg, []).append(b)
    if problems:
        raise ConfigError(f"{source}: a radio preset that cannot exist: " + "; ".join(
            f"{msg} (band {', '.join(bs)})" for msg, bs in problems.items()))


def _resolve_pattern_files(cfg: DistrictConfig, source: str) -> DistrictConfig:
    """Presets naming a ``pattern_file``: the file's fitted TR 38.901 parameters replace the preset's."""
    from .radio.antenna_files import fit_pattern, read_msi

    def fitted(p, where: str):
        if not p.pattern_file:
            return p
        path = Path(p.pattern_file)
        path = path if path.is_absolute() else cfg.root / path
        if not path.is_file():
            raise ConfigError(f"{source}: {where}.pattern_file = {p.pattern_file!r}: no such file")
        f = fit_pattern(read_msi(path))
        tilt = f.pop("electrical_tilt_deg")
        base_tilt = p.tilt_deg if p.tilt_deg is not None else 0.0
        return dataclasses.replace(p, **f, tilt_deg=base_tilt + tilt)

    r = cfg.radio
    site_types = {t: fitted(p, f"radio.site_types.{t}") for t, p in r.site_types.items()}
    presets = {b: {t: fitted(o, f"radio.presets.{b}.{t}") if o.pattern_file else o for t, o in tt.items()}
               for b, tt in r.presets.items()}
    return dataclasses.replace(cfg, radio=dataclasses.replace(r, site_types=site_types, presets=presets))


def _month(value: str, where: str, source: str) -> None:
    try:
        _dt.date.fromisoformat(value + "-01")
    except ValueError:
        raise ConfigError(f"{source}: {where} = {value!r}: expected a month as YYYY-MM") from None


def _check_goal(g: GoalConfig, cfg: DistrictConfig, where: str, source: str) -> None:
    for key in ("layer", "hotspot_layer"):
        if getattr(g, key) not in ("outdoor", "indoor"):
            raise ConfigError(f"{source}: {where}.{key} = {getattr(g, key)!r}: expected 'outdoor' or 'indoor'")
    for key in ("share", "hotspot_share"):
        v = getattr(g, key)
        if not 0.0 < v <= 1.0:
            raise ConfigError(f"{source}: {where}.{key} = {v}: expected a fraction in (0, 1]")
    if g.area not in ("district", "core"):
        raise ConfigError(f"{source}: {where}.area = {g.area!r}: expected 'district' or 'core'")
    if g.area == "core" and not cfg.district.core_subdistricts:
        raise ConfigError(f"{source}: {where}.area = 'core' needs district.core_subdistricts (sub-district codes)")
    for s in g.hotspot_scenarios:
        if s not in SCENARIOS:
            raise ConfigError(f"{source}: {where}.hotspot_scenarios: unknown scenario {s!r}; "
                              f"expected one of: {', '.join(SCENARIOS)}")


def network_target_sites(cfg: DistrictConfig) -> dict[str, dict[str, int]]:
    """Cumulative sites per network and target id: explicit ``sites``, else the target's count split by ``share``.

    Shares are apportioned by largest remainder, so the networks' counts of a target sum to the target exactly.
    """
    out: dict[str, dict[str, int]] = {k: {} for k in cfg.networks}
    for t in cfg.targets:
        explicit = {k: n.sites[t.id] for k, n in cfg.networks.items() if t.id in n.sites}
        rest = t.sites - sum(explicit.values())
        shares = {k: n.share.get(t.id, 0.0) for k, n in cfg.networks.items() if k not in explicit}
        total = sum(shares.values())
        raw = {k: (rest * v / total if total > 0 else 0.0) for k, v in shares.items()}
        floor = {k: int(v) for k, v in raw.items()}
        left = rest - sum(floor.values())
        for k in sorted(raw, key=lambda k: (-(raw[k] - floor[k]), k))[: max(left, 0)]:
            floor[k] += 1
        for k in cfg.networks:
            out[k][t.id] = explicit.get(k, floor.get(k, 0))
    return out


def _check_networks(cfg: DistrictConfig, source: str) -> None:
    if not cfg.networks:
        return
    target_ids = [t.id for t in cfg.targets]
    owner: dict[tuple[str, str], str] = {}
    for key, n in cfg.networks.items():
        where = f"networks.{key}"
        if not n.operators or not n.bands:
            raise ConfigError(f"{source}: {where}: give at least one operator and one band")
        for op in n.operators:
            if op not in OPERATORS or op == "china_tower":
                raise ConfigError(f"{source}: {where}.operators: {op!r} is not a network operator; expected one of: "
                                  f"{', '.join(o for o in OPERATORS if o != 'china_tower')}")
        for b in n.bands:
            if b != b.strip().lower():
                raise ConfigError(f"{source}: {where}.bands: write band names in lower case ({b!r})")
            for op in n.operators:
                if (op, b) in owner:
                    raise ConfigError(f"{source}: {where}: operator {op!r} on band {b!r} already belongs to "
                                      f"networks.{owner[(op, b)]}; a site must belong to one network")
                owner[(op, b)] = key
        _month(n.available_from, f"{where}.available_from", source)
        for table in ("share", "sites"):
            for tid, v in getattr(n, table).items():
                if tid not in target_ids:
                    raise ConfigError(f"{source}: {where}.{table}: unknown target id {tid!r}; "
                                      f"expected one of: {', '.join(target_ids)}")
                if v < 0 or (table == "share" and v > 1):
                    raise ConfigError(f"{source}: {where}.{table}.{tid} = {v}: expected "
                                      + ("a fraction in [0, 1]" if table == "share" else "a count >= 0"))
    for t in cfg.targets:
        explicit = {k: n.sites[t.id] for k, n in cfg.networks.items() if t.id in n.sites}
        shares = [n.share.get(t.id, 0.0) for k, n in cfg.networks.items() if k not in explicit]
        if sum(explicit.values()) > t.sites:
            raise ConfigError(f"{source}: networks.*.sites for target {t.id!r} add up to "
                              f"{sum(explicit.values())}, above the target's {t.sites}")
        if shares and abs(sum(shares) - 1.0) > 1e-6 and not (sum(explicit.values()) == t.sites and sum(shares) == 0):
            raise ConfigError(f"{source}: networks.*.share for target {t.id!r} add up to {sum(shares):g}; "
                              "expected 1 over the networks without explicit sites")
    counts = network_target_sites(cfg)
    for key, n in cfg.networks.items():
        for t in cfg.targets:
            if counts[key][t.id] > 0 and n.available_from > t.due:
                raise ConfigError(
                    f"{source}: networks.{key} gets {counts[key][t.id]} sites of target {t.id!r} (due {t.due}) "
                    f"but its bands carry service only from {n.available_from}; give it share 0 for that target")


def _check_capacity(cfg: DistrictConfig, source: str) -> None:
    c = cfg.capacity
    for key in ("residents", "lines_per_resident", "traffic_gb_per_month", "days_per_month"):
        v = getattr(c, key)
        if not v >= 0 or (key == "days_per_month" and v <= 0):
            raise ConfigError(f"{source}: capacity.{key} = {v}: expected a value >= 0" + (" (> 0)" if key ==
                                                                                        "days_per_month" else ""))
    for key in ("fiveg_share", "busy_hour_share", "downlink_fraction", "indoor_traffic_share", "overhead"):
        v = getattr(c, key)
        if not 0.0 <= v <= 1.0:
            raise ConfigError(f"{source}: capacity.{key} = {v}: expected a share in [0, 1]")
    if not 0.0 < c.trigger <= 1.0:
        raise ConfigError(f"{source}: capacity.trigger = {c.trigger}: expected a PRB utilisation in (0, 1]")
    keys = list(cfg.networks) or ["all"]
    for k, v in c.network_share.items():
        if k not in keys:
            raise ConfigError(f"{source}: unknown key 'capacity.network_share.{k}': not a network; "
                              f"{_expected(k, keys)}")
        if not 0.0 <= v <= 1.0:
            raise ConfigError(f"{source}: capacity.network_share.{k} = {v}: expected a share in [0, 1]")
    for table in ("hotspot_users", "hotspot_users_by_id"):
        for k, v in getattr(c, table).items():
            if v < 0:
                raise ConfigError(f"{source}: capacity.{table}.{k} = {v}: expected a number of people >= 0")
    for k, v in c.mimo_layers.items():
        if not 0.0 < v <= 16.0:
            raise ConfigError(f"{source}: capacity.mimo_layers.{k} = {v}: expected 0-16 layers")


def _check_costs(c: CostsConfig, source: str) -> None:
    if c.horizon_years < 1:
        raise ConfigError(f"{source}: costs.horizon_years = {c.horizon_years}: expected >= 1")
    missing = sorted(set(NETWORK_BUILD_KINDS) - set(c.build))
    if missing:
        raise ConfigError(f"{source}: costs.build has no entry for build kind {missing[0]!r}")
    for k, b in c.build.items():
        if k not in NETWORK_BUILD_KINDS:
            raise ConfigError(f"{source}: costs.build.{k}: unknown build kind; "
                              f"expected one of: {', '.join(NETWORK_BUILD_KINDS)}")
        if b.capex_cny < 0 or b.rent_cny_per_year < 0:
            raise ConfigError(f"{source}: costs.build.{k}: costs must be >= 0")
    for table in ("equipment_cny", "power_kw"):
        d = getattr(c, table)
        for t in ("macro", "micro", "indoor"):
            if t not in d:
                raise ConfigError(f"{source}: costs.{table} has no entry for site type {t!r}")
        for k, v in d.items():
            if k.split(".")[0] not in ("macro", "micro", "indoor") or v < 0:
                raise ConfigError(f"{source}: costs.{table}.{k} = {v}: expected '<site type>' or "
                                  "'<site type>.<band>' with a value >= 0")
    for k in ("direct", "transferred", "unknown"):
        if c.electricity_cny_per_kwh.get(k, -1.0) < 0:
            raise ConfigError(f"{source}: costs.electricity_cny_per_kwh.{k}: expected a price >= 0 CNY/kWh")
    if not c.sharing_discount or any(not 0.0 <= v < 1.0 for v in c.sharing_discount):
        raise ConfigError(f"{source}: costs.sharing_discount: expected fractions in [0, 1), one per tenant count")
    if c.tower_lease_cny_per_year < 0 or c.conditional_penalty < 1.0:
        raise ConfigError(f"{source}: costs.tower_lease_cny_per_year must be >= 0 and "
                          "costs.conditional_penalty >= 1")


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
    cfg = _resolve_pattern_files(cfg, source)
    _check(cfg, source)
    return cfg


def config_to_dict(cfg: DistrictConfig) -> dict:
    """The config as plain JSON-able data, recorded in every output that depends on it."""
    d = dataclasses.asdict(cfg)
    d.pop("root", None)
    return d
