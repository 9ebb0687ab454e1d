"""A whole city in one call: every district's main job and the city-wide results, on a Dask cluster.

How the work is cut (docs/architecture.md, "City runs"):

1. **Districts** are tasks. Each runs the district main job (:func:`siteplan.pipeline.run`, the same code as
   ``siteplan run <district>``) on a worker into ``<out>/districts/<code>/`` and writes a completion record
   (:mod:`siteplan.city.records`). The largest districts are submitted first. A district whose record matches its
   inputs is not run again, so an interrupted run resumes where it stopped.
2. **Borders**: per district a task recomputes, on its own grid, the cells within reach of the neighbours'
   selected sites, and lists which border site covers which cell (:mod:`siteplan.city.borders`); the client then
   finds the border sites the city as a whole does not need.
3. **City raster**: per network, the city grid's tiles are tasks (blocks of tiles with their halo of sites within
   ``radio.max_reach_m``), streamed into a COG by windows, folded into a coarse aggregate on the way
   (:mod:`siteplan.city.raster`).
4. The client writes the city-wide lists, the overview map and ``city_summary.json``.

Every file is written atomically; a district's folder is swapped in whole; ``city_summary.json`` comes last.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ..cities import CityConfig, load_city
from ..errors import CityRunError, ConfigError
from ..progress import progress as _progress
from ..progress import status

__all__ = ["CityRun", "CityDistrictRun", "is_city_folder", "run_city"]

#: Where each district's outputs go inside the city output folder.
DISTRICTS_DIR = "districts"


@dataclass(frozen=True)
class CityDistrictRun:
    """One district of a city run: its code, folders and run key."""

    code: str
    name_zh: str
    folder: Path
    out: Path
    key: str
    inputs: dict
    cost: float


@dataclass
class CityRun:
    """What :func:`run_city` did: the city summary, the files written, and the run's timings."""

    out_dir: Path
    summary: dict
    timings: dict
    written: list[Path] = field(default_factory=list)


def is_city_folder(path) -> bool:
    """True when ``path`` is a city folder (holds ``city.toml``) or a ``city.toml`` file."""
    p = Path(path)
    return (p / "city.toml").is_file() if p.is_dir() else p.name == "city.toml" and p.is_file()


def _safe_code(code: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in code) or "district"


def _radio_without_grid(cfg) -> dict:
    from ..config import config_to_dict

    radio = dict(config_to_dict(cfg)["radio"])
    radio.pop("grid_resolution_m", None)
    return radio


def _plan_districts(city: CityConfig, out: Path, steps: tuple[str, ...]) -> list[CityDistrictRun]:
    """Load every district's config (not its layers), check the city's settings agree, compute the run keys."""
    from ..config import load_config
    from .records import district_inputs, run_key

    runs, radio0 = [], None
    for d in city.districts:
        folder = (city.root / d.folder).resolve()
        if not (folder / "district.toml").is_file():
            raise ConfigError(f"{city.root / 'city.toml'}: district {d.code or d.folder!r}: {folder} holds no "
                              "district.toml")
        cfg = load_config(folder)
        if cfg.district.working_crs != city.working_crs:
            raise ConfigError(f"{folder / 'district.toml'}: working_crs {cfg.district.working_crs} differs from the "
                              f"city's {city.working_crs}: every district of a city works in one CRS")
        radio = _radio_without_grid(cfg)
        if radio0 is None:
            radio0 = (folder, radio)
        elif radio != radio0[1]:
            diff = sorted(k for k in set(radio) | set(radio0[1]) if radio.get(k) != radio0[1].get(k))
            raise ConfigError(f"{folder / 'district.toml'}: [radio] {', '.join(diff[:5])} differ(s) from "
                              f"{radio0[0] / 'district.toml'}: a neighbour's cells serve and interfere across "
                              "district borders, so a city needs one radio model (only grid_resolution_m may differ)")
        code = d.code or cfg.district.code or folder.name
        inputs = district_inputs(folder)
        cells = (d.area_km2 or 1.0) * 1e6 / cfg.radio.grid_resolution_m ** 2
        runs.append(CityDistrictRun(code, d.name_zh or cfg.district.name_zh, folder,
                                    out / DISTRICTS_DIR / _safe_code(code), run_key(inputs, steps), inputs, cells))
    if not runs:
        raise ConfigError(f"{city.root / 'city.toml'}: lists no [[districts]]")
    return runs


def _run_districts(client, todo: list[CityDistrictRun], out: Path, steps, progress) -> tuple[list[dict], list[str]]:
    """Run the districts on the cluster, largest first; return their task results and the failures."""
    from distributed import as_completed

    from .tasks import run_district_task

    token = uuid.uuid4().hex[:8]
    futures = {}
    for r in sorted(todo, key=lambda r: (-r.cost, r.code)):
        f = client.submit(run_district_task, r.code, str(r.folder), str(r.out), str(out), tuple(steps), r.key,
                          r.inputs, key=f"siteplan-district-{r.code}-{token}", priority=int(r.cost), pure=False)
        futures[f] = r
    results, failures = [], []
    it = as_completed(list(futures))
    for f in (progress(it, desc="districts", total=len(futures)) if progress else it):
        r = futures[f]
        try:
            results.append(f.result())
        except Exception as e:  # noqa: BLE001 - any failure of one district: report it, keep the others going
            msg = str(e).replace("\n", " ") or type(e).__name__
            failures.append(f"district {r.code} ({r.name_zh}) failed: {type(e).__name__}: {msg}")
        f.release()
    return results, failures


def _read_selected(runs: list[CityDistrictRun]) -> dict[str, gpd.GeoDataFrame]:
    """Each district's selected sites (its run's GeoPackage layer, plan order), with a ``district`` column."""
    import pyogrio

    from .lists import read_only_gdal

    out = {}
    with read_only_gdal():
        for r in runs:
            gpkg = r.out / "siteplan.gpkg"
            layers = {row[0] for row in pyogrio.list_layers(gpkg)}
            gdf = (pyogrio.read_dataframe(gpkg, layer="selected_sites") if "selected_sites" in layers
                   else gpd.GeoDataFrame({"site_id": [], "network": []}, geometry=[]))
            gdf["district"] = r.code
            out[r.code] = gdf
    return out


def _outline(folder: Path):
    from ..config import load_config
    from ..io.district import read_layer

    cfg = load_config(folder)
    return shapely.union_all(read_layer(cfg.layers["boundary"], "boundary", cfg).geometry.values), cfg


def _reconcile(client, runs, selected, outlines, progress) -> tuple[dict, dict, dict]:
    """Border reconciliation tasks, one per district; returns figures by district, coverage matrices by network
    (in district order) and each task's time and memory."""
    from distributed import as_completed

    from .borders import neighbours_of
    from .tasks import reconcile_task

    token = uuid.uuid4().hex[:8]
    allsel = pd.concat([selected[r.code] for r in runs], ignore_index=True)
    futures = {}
    for r in runs:
        boundary, cfg = outlines[r.code]
        others = allsel[allsel["district"] != r.code]
        nb = others[neighbours_of(boundary, others, cfg.radio.max_reach_m)] if len(others) else others
        f = client.submit(reconcile_task, r.code, str(r.folder), selected[r.code], nb,
                          key=f"siteplan-borders-{r.code}-{token}", pure=False)
        futures[f] = r
    figures, blocks, task_times = {}, {}, {}
    it = as_completed(list(futures))
    for f in (progress(it, desc="borders", total=len(futures)) if progress else it):
        res = f.result()
        f.release()
        code = res["code"]
        task_times[code] = {"time_s": res["time_s"], "peak_rss_mb": res["peak_rss_mb"], "worker": res["worker"]}
        figures[code] = {}
        for key, v in res["networks"].items():
            blocks.setdefault(key, []).append((code, v.pop("matrix")))
            figures[code][key] = v
    # Blocks in district order, whatever order the tasks finished in.
    order = {r.code: i for i, r in enumerate(runs)}
    blocks = {k: [m for _, m in sorted(v, key=lambda cm: order[cm[0]])] for k, v in blocks.items()}
    return figures, blocks, task_times


def run_city(city, out_dir, *, client=None, scheduler: str | None = None, n_workers: int | None = None,
             steps: list[str] | None = None, resume: bool = True,
             progress: Callable | None = _progress) -> CityRun:
    """Run every district of a city folder and the city-wide results on a Dask cluster.

    Parameters
    ----------
    city : path or CityConfig
        A city folder (``city.toml``, :func:`siteplan.cities.load_city`).
    out_dir : path
        The city's output folder: ``districts/<code>/`` (each a district run's outputs), the city-wide files and
        ``runs/`` (completion records).
    client, scheduler, n_workers
        The cluster (:func:`siteplan.distributed.dask_client`): a ``distributed.Client``, a scheduler address
        (``"tcp://host:8786"``), else Dask's configured scheduler, else a LocalCluster of ``n_workers`` (default:
        one per CPU) single-threaded worker processes. Workers must see ``city`` and ``out_dir`` at the same paths.
    steps : list of str, optional
        District steps (default :data:`siteplan.pipeline.DEFAULT_STEPS`; the city results need ``optimize`` and
        ``evaluate``).
    resume : bool
        Skip districts whose outputs are a finished run of the same inputs (default True).
    progress : callable or None
        Progress bars over districts and tiles (quiet when not on a terminal).

    Raises
    ------
    CityRunError
        When a district fails or a worker is lost: the other districts are finished first, and run again they
        are skipped (resume).
    """
    from ..distributed import dask_client
    from ..io import write_json
    from ..io.outfolder import check_replaceable, clean_leftovers, lock_output
    from ..pipeline import DEFAULT_STEPS
    from .records import RECORDS_DIR, is_finished

    t_start = time.perf_counter()
    cfg = city if isinstance(city, CityConfig) else load_city(city)
    steps_t = tuple(DEFAULT_STEPS if steps is None else steps)
    missing = {"check", "coverage", "optimize", "evaluate"} - set(steps_t)
    if missing:
        raise ConfigError(f"a city run needs the steps check, coverage, optimize and evaluate (missing: "
                          f"{', '.join(sorted(missing))})")
    out = Path(out_dir).absolute()
    runs = _plan_districts(cfg, out, steps_t)
    timings: dict = {"phases_s": {}}
    with lock_output(out) as target, contextlib.ExitStack() as stack:
        out = target
        clean_leftovers(out)
        check_replaceable(out, ours=("city_summary.json", DISTRICTS_DIR, RECORDS_DIR))
        done = [r for r in runs if resume and is_finished(out, r.code, r.key, r.out)]
        todo = [r for r in runs if r not in done]
        status(f"city {cfg.name_zh}: {len(runs)} districts, {len(done)} finished earlier, {len(todo)} to run")
        c = stack.enter_context(dask_client(scheduler, client=client, n_workers=n_workers))
        timings["workers"] = len(c.scheduler_info().get("workers", {}))
        t0 = time.perf_counter()
        results, failures = _run_districts(c, todo, out, steps_t, progress) if todo else ([], [])
        timings["phases_s"]["districts"] = round(time.perf_counter() - t0, 2)
        timings["districts"] = {r["code"]: r for r in results}
        timings["districts_run"], timings["districts_resumed"] = len(results), len(done)
        timings["resumed"] = sorted(r.code for r in done)
        if failures:
            raise CityRunError("; ".join(failures) + f" — {len(results) + len(done)} of {len(runs)} districts are "
                               "finished and keep their outputs; run the same command again to resume")
        written = _city_outputs(cfg, runs, out, c, timings, progress)
    timings["total_s"] = round(time.perf_counter() - t_start, 2)
    write_json(timings, out / "timings.json")
    summary = json.loads((out / "city_summary.json").read_text(encoding="utf-8"))
    return CityRun(out, summary, timings, [*written, out / "timings.json"])


def _city_outputs(cfg: CityConfig, runs, out: Path, client, timings: dict, progress) -> list[Path]:
    """Borders, city rasters, lists, the overview map and city_summary.json (written last)."""
    from ..coverage import make_grid
    from ..io import write_csv, write_json
    from ..io.qgis import write_raster_qml
    from .borders import removable_sites
    from .lists import concat_csv, concat_gpkg
    from .overview_map import build_city_map, write_city_map
    from .raster import city_coverage_cog, write_overview
    from .summary import city_summary

    ph = timings["phases_s"]
    t0 = time.perf_counter()
    summaries = {r.code: json.loads((r.out / "summary.json").read_text(encoding="utf-8")) for r in runs}
    selected = _read_selected(runs)
    outlines = {r.code: _outline(r.folder) for r in runs}
    figures, blocks, ttimes = _reconcile(client, runs, selected, outlines, progress)
    timings["borders"] = ttimes
    cost = {f"{r.code}:{sid}": float(t) for r in runs
            for sid, t in zip(selected[r.code]["site_id"].astype(str),
                              selected[r.code].get("tco_cny", pd.Series(0.0, index=selected[r.code].index)))}
    border = {k: [f"{r.code}:{s}" for r in runs for s in figures.get(r.code, {}).get(k, {}).get("border_sites", [])]
              for k in blocks}
    removable = {k: removable_sites(blocks[k], border[k], cost) for k in blocks}
    ph["borders"] = round(time.perf_counter() - t0, 2)

    # City rasters: the last phase's sites of every district, per network.
    t0 = time.perf_counter()
    radio = outlines[runs[0].code][1].radio
    union = shapely.union_all([b for b, _ in outlines.values()])
    grid = make_grid(union, cfg.working_crs, cfg.grid_resolution_m)
    factor = int(round(cfg.overview_resolution_m / cfg.grid_resolution_m))
    allsel = pd.concat([selected[r.code] for r in runs], ignore_index=True)
    last_phase = {k: n["phases"][-1]["id"] for s in summaries.values()
                  for k, n in s.get("plan", {}).get("networks", {}).items() if n.get("phases")}
    written, raster_figs, aggregates = [], {}, {}
    for key in sorted(set(allsel["network"].astype(str)) - {""}):
        sites = gpd.GeoDataFrame(allsel[allsel["network"] == key].reset_index(drop=True), crs=cfg.working_crs)
        tif = out / f"coverage_{key}.tif"
        res = city_coverage_cog(tif, grid, sites, radio, client, band_prefix=last_phase.get(key, "plan"),
                                factor=factor, progress=progress, desc=f"city coverage {key}",
                                tags={"network": key, "city": cfg.name_zh, "sample_data": bool(cfg.sample)})
        raster_figs[key], aggregates[key] = res["figures"], res["aggregate"]
        qml = write_raster_qml(tif, {"rsrp": radio.rsrp_threshold_dbm, "sinr": radio.sinr_threshold_db})
        written += [tif] + ([qml] if qml else [])
    if aggregates:
        written.append(write_overview(out / "coverage_overview.tif", aggregates, crs=cfg.working_crs,
                                      tags={"city": cfg.name_zh, "kpi": "share of the coarse cell's inside cells "
                                            "covered on the joint KPI (RSRP, SINR and the uplink)"}))
    ph["city_raster"] = round(time.perf_counter() - t0, 2)

    # City-wide lists, district by district.
    t0 = time.perf_counter()
    parts = [(r.code, r.name_zh, r.out) for r in runs]
    meta = {"city": cfg.name_zh, "districts": json.dumps({r.code: r.key for r in runs}, sort_keys=True)}
    for stem, layer in (("candidates", "candidates_checked"), ("selected_sites", "selected_sites")):
        written.append(concat_csv([(c, n, o / f"{stem}.csv") for c, n, o in parts if (o / f"{stem}.csv").is_file()],
                                  out / f"{stem}.csv"))
        written.append(concat_gpkg([(c, n, o / "siteplan.gpkg") for c, n, o in parts], out / f"{stem}.gpkg",
                                   source_layer=layer, layer=stem, metadata=meta))
    rem = {k: set(v) for k, v in removable.items()}
    rows = [{"district_code": r.code, "district": r.name_zh, "network": k, "site_id": s,
             "removable": f"{r.code}:{s}" in rem.get(k, set())}
            for r in runs for k, v in figures.get(r.code, {}).items() for s in v.get("border_sites", [])]
    written.append(write_csv(pd.DataFrame(rows, columns=["district_code", "district", "network", "site_id",
                                                         "removable"]),
                             out / "border_sites.csv", headers={
                                 "district_code": "区县代码 District code", "district": "区县 District",
                                 "network": "网络 Network", "site_id": "站址编号 Site ID",
                                 "removable": "全市规划可省 Removable city-wide"}))
    ph["lists"] = round(time.perf_counter() - t0, 2)

    t0 = time.perf_counter()
    districts = [{"code": r.code, "folder": f"{DISTRICTS_DIR}/{r.out.name}", "summary": summaries[r.code]}
                 for r in runs]
    names = [p.name for p in written] + ["city_map.html", "city_summary.json", "timings.json"]
    summary = city_summary(cfg, districts, figures, removable, raster_figs, outputs=names,
                           keys={r.code: r.key for r in runs})
    outl = gpd.GeoDataFrame({"code": [r.code for r in runs]}, geometry=[outlines[r.code][0] for r in runs],
                            crs=cfg.working_crs)
    m = build_city_map(summary, outl, aggregates=aggregates, crs=cfg.working_crs,
                       links={r.code: f"{DISTRICTS_DIR}/{r.out.name}" for r in runs})
    written.append(write_city_map(m, out / "city_map.html"))
    written.append(write_json(summary, out / "city_summary.json"))
    ph["summary_map"] = round(time.perf_counter() - t0, 2)
    return written
