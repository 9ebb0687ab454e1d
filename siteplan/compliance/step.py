"""Pipeline step "check": check the candidates, write the lists, record the figures (docs/briefs/contracts.md)."""

from __future__ import annotations

from .check import check_candidates
from .lists import check_figures, write_lists

__all__ = ["GPKG_LAYER", "STEP", "run"]

STEP = "check"
GPKG_LAYER = "candidates_checked"


def run(ctx) -> None:
    """Set ``ctx.results["check"]`` and ``ctx.summary["check"]``; write candidates.csv/.xlsx/.geojson into
    ``ctx.out_dir``; add the checked layer to the run's GeoPackage."""
    district = ctx.district
    checked = check_candidates(district)
    figures = check_figures(checked, power_unit=district.config.review.units.get("power", ""))
    figures["sample_data"] = bool(district.sample)
    paths = write_lists(checked, ctx.out_dir, district, figures=figures)
    figures["outputs"] = [p.name for p in paths]
    ctx.results[STEP] = checked
    ctx.summary[STEP] = figures
    ctx.gpkg_layers[GPKG_LAYER] = checked
    ctx.written.extend(paths)
