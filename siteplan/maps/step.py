"""Pipeline step "map": write ``coverage_map.html`` from the run's finished results (docs/briefs/contracts.md)."""

from __future__ import annotations

from .coverage_map import build_map, write_map
from .layers import LAYER_LABELS

__all__ = ["FILENAME", "STEP", "run"]

STEP = "map"
FILENAME = "coverage_map.html"


def run(ctx, *, basemap: str = "none", tianditu_key: str | None = None) -> None:
    """Draw ``ctx.results`` ("check", "coverage", "gaps", "optimize") and ``ctx.summary`` onto the offline map,
    write it atomically into ``ctx.out_dir`` and record ``ctx.summary["map"]``.

    The basemap only changes what is drawn under the overlays, never a figure; see
    :func:`siteplan.maps.build_map` (a Tianditu key ends up readable in the HTML).
    """
    res = ctx.results
    plan = res.get("plan")
    m = build_map(
        ctx.district,
        candidates=res.get("check"),
        plan=plan,
        coverage=res.get("coverage") if plan is None else None,
        gaps=res.get("gaps"),
        selected=res.get("optimize"),
        search_requests=getattr(plan, "search_requests", None),
        summary=ctx.summary,
        basemap=basemap,
        tianditu_key=tianditu_key,
    )
    path = write_map(m, ctx.out_dir / FILENAME)
    labels = set(LAYER_LABELS.values())
    layers = [child.layer_name for child in m._children.values() if getattr(child, "layer_name", None) in labels]
    ctx.results[STEP] = path
    ctx.summary[STEP] = {
        "file": FILENAME,
        "size_bytes": path.stat().st_size,
        "basemap": m.siteplan_basemap,
        "frame": m.siteplan_frame,
        "layers": layers,
        "offline": True,
    }
    ctx.written.append(path)
