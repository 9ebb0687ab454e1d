"""Judging the plan: per-network, per-phase coverage on the joint KPI, goals, search requests and money."""

from .search import SEARCH_COLUMNS, hotspot_rings, search_rings
from .step import PlanEvaluation, evaluate_goal

__all__ = ["SEARCH_COLUMNS", "PlanEvaluation", "evaluate_goal", "hotspot_rings", "search_rings"]
