"""Radio models: published path-loss models, antenna patterns, link budgets, O2I penetration, margins,
uplink, capacity and preset plausibility."""

from .antenna import omni_pattern_db, sector_pattern_db
from .antenna_files import AntennaFileError, AntennaPattern, msi_attenuation_db, msi_gain_dbi, parse_msi, read_msi
from .capacity import busy_hour_demand_mbps, cell_capacity_mbps, cell_load, extra_carriers, extra_cells, over_trigger
from .dimensioning import (
    CellDimensioning,
    dimension_cell,
    inter_site_distance_m,
    limiting_link,
    range_for_mapl_m,
    site_area_km2,
    sites_for_area,
)
from .linkbudget import (
    BANDS,
    Band,
    check_radio,
    emf_compliance_distance_m,
    get_band,
    max_range_m,
    noise_per_re_dbm,
    power_per_re_dbm,
    rsrp_dbm,
)
from .margins import (
    area_margin_db,
    area_reliability,
    combined_sigma_db,
    distance_exponent,
    edge_margin_db,
    shadow_fading_sigma_db,
    shadow_margin_db,
)
from .penetration import O2I_MODELS, o2i_loss_db, o2i_loss_for_classes, o2i_mixture_db, o2i_sigma_db
from .presets import SSB_BEAM_SCENARIOS, BeamScenario, check_preset, preset_problems
from .propagation import MODELS, los_probability, path_loss
from .spectral import get_spectral_efficiency, required_sinr_db
from .tdd import TDD_PATTERNS, downlink_share, get_tdd_pattern, uplink_share
from .uplink import POWER_CLASS_DBM, PuschLink, pusch_best_prbs, pusch_mapl_db, ssb_rsrp_mapl_db

__all__ = [
    "BANDS",
    "MODELS",
    "O2I_MODELS",
    "POWER_CLASS_DBM",
    "SSB_BEAM_SCENARIOS",
    "TDD_PATTERNS",
    "AntennaFileError",
    "AntennaPattern",
    "Band",
    "BeamScenario",
    "CellDimensioning",
    "PuschLink",
    "area_margin_db",
    "area_reliability",
    "busy_hour_demand_mbps",
    "cell_capacity_mbps",
    "cell_load",
    "check_preset",
    "check_radio",
    "combined_sigma_db",
    "dimension_cell",
    "distance_exponent",
    "downlink_share",
    "edge_margin_db",
    "emf_compliance_distance_m",
    "extra_carriers",
    "extra_cells",
    "get_band",
    "get_spectral_efficiency",
    "get_tdd_pattern",
    "inter_site_distance_m",
    "limiting_link",
    "los_probability",
    "max_range_m",
    "msi_attenuation_db",
    "msi_gain_dbi",
    "noise_per_re_dbm",
    "o2i_loss_db",
    "o2i_loss_for_classes",
    "o2i_mixture_db",
    "o2i_sigma_db",
    "omni_pattern_db",
    "over_trigger",
    "parse_msi",
    "path_loss",
    "power_per_re_dbm",
    "preset_problems",
    "pusch_best_prbs",
    "pusch_mapl_db",
    "range_for_mapl_m",
    "read_msi",
    "required_sinr_db",
    "rsrp_dbm",
    "sector_pattern_db",
    "shadow_fading_sigma_db",
    "shadow_margin_db",
    "site_area_km2",
    "sites_for_area",
    "ssb_rsrp_mapl_db",
    "uplink_share",
]
