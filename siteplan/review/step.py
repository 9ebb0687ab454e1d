"""Pipeline step "review": the review workbook and the printable report (docs/briefs/contracts.md).

Uses ``ctx.results["check"]`` (computed here if the check step did not run), and ``ctx.results["optimize"]``,
``ctx.results["coverage"]`` and ``ctx.results["gaps"]`` when those steps ran; without the rollout the workbook's
phase and coverage-gain columns stay empty and the report says the rollout was not run.
"""

from __future__ import annotations

from .progress import progress_status
from .registry import REVIEW_STATES, open_registry, registry_path

__all__ = ["STEP", "every_network_cover", "run"]

STEP = "review"


def every_network_cover(plan):
    """Cells every network covers outdoors after the last phase (networks in service), for the static map."""
    if plan is None or not getattr(plan, "results", None):
        return None
    from types import SimpleNamespace

    import numpy as np

    last = [list(v.values())[-1] for v in plan.results.values() if v]
    live = [r for r in last if r.sectors.n_sites]
    if not live:
        return None
    return SimpleNamespace(grid=plan.grid, covered=np.logical_and.reduce([r.covered for r in live]))


def run(ctx) -> None:
    """Write ``review_workbook.xlsx`` and ``review_report.html`` into ``ctx.out_dir``; register newly proposed
    sites in the district's registry; set ``ctx.summary["review"]`` (progress against the targets)."""
    from .report import write_report
    from .workbook import META_SHEET, export_review

    district = ctx.district
    check = ctx.results.get("check")
    if check is None:
        from ..compliance import check_candidates

        check = check_candidates(district)
        ctx.results["check"] = check
    selected = ctx.results.get("optimize")
    wb = export_review(district, ctx.out_dir, check=check, selected=selected, summary=ctx.summary)
    ctx.written.append(wb)

    from openpyxl import load_workbook

    export_id = load_workbook(wb, read_only=True)[META_SHEET]["B2"].value
    reg = open_registry(district)
    status = progress_status(district, reg)
    report = write_report(district, ctx.out_dir, check=check, selected=selected, summary=ctx.summary,
                          coverage=every_network_cover(ctx.results.get("plan")), gaps=ctx.results.get("gaps"),
                          registry=reg,
                          export_id=export_id, status=status)
    ctx.written.append(report)
    ctx.summary[STEP] = {
        "export_id": export_id,
        "registry": registry_path(district).name,
        "rollout_run": selected is not None and len(selected) > 0,
        "rows": int(sum(status["counts"][s] for s in REVIEW_STATES)),
        "status": status | {"registry": registry_path(district).name},
        "outputs": [wb.name, report.name],
    }
    ctx.results[STEP] = status
