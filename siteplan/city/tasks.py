"""What a Dask worker runs for a city: one district's main job, and one district's border reconciliation.

Plain top-level functions of paths and small frames, so any worker (a LocalCluster process or a machine of a
running cluster that sees the same file system) can run them; each returns a small dict.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

__all__ = ["peak_rss_mb", "reconcile_task", "reset_peak_rss", "run_district_task"]


def reset_peak_rss() -> None:
    """Start a new peak-memory window for this process (Linux: ``/proc/self/clear_refs``; elsewhere a no-op,
    and :func:`peak_rss_mb` then reports the process's lifetime peak)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    """Peak resident memory of this process since :func:`reset_peak_rss` [MiB]."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def run_district_task(code: str, folder: str, out: str, city_out: str, steps: tuple[str, ...], key: str,
                      inputs: dict[str, str]) -> dict:
    """Run the main job of one district into ``out`` (:func:`siteplan.pipeline.run`), then write its completion
    record in ``city_out``. Returns wall and CPU time, each step's time and the peak memory of the run."""
    from ..pipeline import run
    from .records import write_record

    reset_peak_rss()
    t0, c0 = time.perf_counter(), time.process_time()
    ctx = run(folder, out, steps=list(steps))
    write_record(city_out, code, key=key, inputs=inputs, steps=steps, district_out=Path(out))
    return {"code": code, "time_s": round(time.perf_counter() - t0, 2), "cpu_s": round(time.process_time() - c0, 2),
            "steps_s": {k: v.get("time_s") for k, v in ctx.summary.get("steps", {}).items()},
            "peak_rss_mb": peak_rss_mb(), "worker": _worker_name()}


def reconcile_task(code: str, folder: str, own, neighbours) -> dict:
    """:func:`siteplan.city.borders.reconcile_district` for one district folder, with its time and peak memory."""
    from ..config import load_config
    from ..io.district import read_layer
    from .borders import reconcile_district

    reset_peak_rss()
    t0 = time.perf_counter()
    cfg = load_config(folder)
    import shapely

    boundary = shapely.union_all(read_layer(cfg.layers["boundary"], "boundary", cfg).geometry.values)
    res = reconcile_district(boundary, cfg.district.working_crs, cfg.radio, own, neighbours, code=code)
    return {"code": code, "networks": res, "time_s": round(time.perf_counter() - t0, 2),
            "peak_rss_mb": peak_rss_mb(), "worker": _worker_name()}
