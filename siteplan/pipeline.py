"""The main job: load a district, run each step in order, write ``summary.json`` and the run's GeoPackage.

Each step is a module with ``run(ctx: RunContext) -> None`` (see docs/briefs/contracts.md). The pipeline owns
nothing of the steps' logic; it only orders them and records what was written. Steps write into a staging folder
beside the output folder, which replaces it whole once every step is done (:mod:`siteplan.io.outfolder`): the
output folder always holds one complete run, and a failed or killed run leaves the previous one untouched.
"""

from __future__ import annotations

import dataclasses
import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from .io import District, provenance, read_district, write_gpkg_layers, write_json
from .networks import network_table
from .io.outfolder import output_folder
from .progress import progress, status

__all__ = ["DEFAULT_STEPS", "STEPS", "RunContext", "base_summary", "finish", "run", "split_timings"]

#: Step name -> module providing ``run(ctx)``, in run order.
STEPS: dict[str, str] = {
    "check": "siteplan.compliance.step",
    "coverage": "siteplan.coverage.step",
    "optimize": "siteplan.optimize.step",
    "evaluate": "siteplan.evaluate.step",
    "map": "siteplan.maps.step",
    "review": "siteplan.review.step",
}

#: What ``siteplan run`` does. The review step is left to ``siteplan review export``: it writes to the
#: district's site registry, which a plain run must never change.
DEFAULT_STEPS = ("check", "coverage", "optimize", "evaluate", "map")


@dataclass
class RunContext:
    district: District
    #: Where steps write: during :func:`run` a staging folder beside the output folder; after it, the output folder.
    out_dir: Path
    summary: dict = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    progress: Callable = progress
    #: Extra layers for the run's GeoPackage (name -> GeoDataFrame in the working CRS).
    gpkg_layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    #: Warnings of the steps (``{"code", "message", ...}``); with the district's load warnings they make
    #: ``summary.json``'s ``warnings``.
    warnings: list[dict] = field(default_factory=list)


def base_summary(district: District) -> dict:
    """The district's own figures: area, layer counts and frames, targets, and the run's provenance."""
    cfg = district.config
    return {
        "district": {
            "name": cfg.district.name,
            "name_zh": cfg.district.name_zh,
            "code": cfg.district.code,
            "working_crs": district.crs,
            "area_km2": round(district.area_km2, 4),
            "sample_data": district.sample,
        },
        "layers": {
            name: {
                "count": len(gdf),
                "frame": cfg.layers[name].frame if name in cfg.layers else None,
                "file": cfg.layers[name].file if name in cfg.layers else None,
            }
            for name, gdf in district.layers.items()
        },
        "targets": [
            {"id": t.id, "label": t.label, "label_zh": t.label_zh, "sites": t.sites, "due": t.due,
             "goal": dataclasses.asdict(t.goal) if t.goal else None}
            for t in cfg.targets
        ],
        "networks": network_table(cfg),
        "provenance": provenance(district),
    }


#: Keys holding wall-clock times: they go to timings.json, so summary.json is the same for the same inputs.
_TIME_KEYS = ("time_s", "timing_s")


def split_timings(obj, path: str = "") -> tuple[object, dict]:
    """``obj`` without its wall-clock entries, and those entries by dotted path."""
    if isinstance(obj, dict):
        out, times = {}, {}
        for k, v in obj.items():
            where = f"{path}.{k}" if path else str(k)
            if k in _TIME_KEYS:
                times[where] = v
            else:
                item, sub = split_timings(v, where)
                times.update(sub)
                if not (sub and item in ({}, [])):  # drop what held only times
                    out[k] = item
        return out, times
    if isinstance(obj, list):
        out, times = [], {}
        for i, v in enumerate(obj):
            item, sub = split_timings(v, f"{path}.{i}")
            out.append(item)
            times.update(sub)
        return out, times
    return obj, {}


def finish(ctx: RunContext) -> list[Path]:
    """Write the run's GeoPackage, summary.json and timings.json; return every path written.

    summary.json holds only what the inputs and config decide; wall-clock times go to timings.json.
    """
    layers = {name: gdf for name, gdf in ctx.district.layers.items()}
    layers.update(ctx.gpkg_layers)
    from .io.qgis import layer_styles
    from .io.writers import provenance_tags

    # Provenance in the GeoPackage's metadata table; QGIS styles in its layer_styles table.
    gpkg = write_gpkg_layers(ctx.out_dir / "siteplan.gpkg", layers, metadata=provenance_tags(ctx.district),
                             styles=layer_styles(layers))
    ctx.written.append(gpkg)
    ctx.summary["outputs"] = sorted({p.name for p in ctx.written} | {"summary.json", "timings.json"})
    ctx.summary["warnings"] = [*getattr(ctx.district, "warnings", []), *ctx.warnings]
    figures, timings = split_timings(ctx.summary)
    ctx.written.append(write_json(timings, ctx.out_dir / "timings.json"))
    ctx.written.append(write_json(figures, ctx.out_dir / "summary.json"))
    return list(dict.fromkeys(ctx.written))


def run(district_path: str | Path, out_dir: str | Path, *, steps: list[str] | None = None) -> RunContext:
    """Run the main job on a district folder, writing every output into ``out_dir``.

    Parameters
    ----------
    steps
        Step names to run, in pipeline order (default: :data:`DEFAULT_STEPS`).
    """
    wanted = list(DEFAULT_STEPS) if steps is None else steps
    unknown = sorted(set(wanted) - set(STEPS))
    if unknown:
        raise ValueError(f"unknown step {unknown[0]!r}; steps are: {', '.join(STEPS)}")
    status("loading district")
    district = read_district(district_path)
    with output_folder(out_dir) as staging:
        ctx = RunContext(district=district, out_dir=staging, summary=base_summary(district))
        for name in STEPS:
            if name not in wanted:
                continue
            status(f"step {name}")
            module = importlib.import_module(STEPS[name])
            t0 = time.perf_counter()
            module.run(ctx)
            ctx.summary.setdefault("steps", {})[name] = {"time_s": round(time.perf_counter() - t0, 3)}
        finish(ctx)
    out = Path(out_dir)
    ctx.written = [out / p.relative_to(staging) if p.is_relative_to(staging) else p for p in ctx.written]
    ctx.out_dir = out
    return ctx
