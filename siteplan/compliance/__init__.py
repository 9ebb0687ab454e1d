"""Layout-plan compliance, shared-infrastructure matching, attribution and the candidate-site lists."""

from .check import (
    CHECK_COLUMNS,
    CheckResult,
    build_kinds,
    check_arrays,
    check_candidates,
    inputs_from_district,
)
from .reasons import REASON_CODES, REASONS, STATUSES
from .rules import RULES, CheckInputs, Rule
from .sharing import REUSE_KINDS, match_reuse, reuse_ratios

__all__ = [
    "CHECK_COLUMNS",
    "REASONS",
    "REASON_CODES",
    "REUSE_KINDS",
    "RULES",
    "STATUSES",
    "CheckInputs",
    "CheckResult",
    "Rule",
    "build_kinds",
    "check_arrays",
    "check_candidates",
    "inputs_from_district",
    "match_reuse",
    "reuse_ratios",
]
