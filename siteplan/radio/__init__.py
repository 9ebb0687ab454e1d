"""Radio models: published path-loss models, antenna patterns and the downlink link budget."""

from .antenna import omni_pattern_db, sector_pattern_db
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
from .propagation import MODELS, los_probability, path_loss

__all__ = [
    "BANDS",
    "MODELS",
    "Band",
    "check_radio",
    "emf_compliance_distance_m",
    "get_band",
    "los_probability",
    "max_range_m",
    "noise_per_re_dbm",
    "omni_pattern_db",
    "path_loss",
    "power_per_re_dbm",
    "rsrp_dbm",
    "sector_pattern_db",
]
