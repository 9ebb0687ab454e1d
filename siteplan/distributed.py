"""Coverage on a Dask cluster (``dask.distributed``; ``pip install 'siteplan[city]'``).

How the work is cut: the grid's tiles (:meth:`~siteplan.coverage.Grid.tiles`) are grouped into blocks of
``block_tiles`` x ``block_tiles`` tiles; each block is one Dask task carrying only the sites within
``max_reach_m`` of its cells (the halo: border cells see the sites beyond the block, or beyond a district's
edge when the grid spans several), never the whole SectorSet. A worker prunes again per tile and runs the
coverage kernel (:func:`~siteplan.coverage.engine.run_block`). A cell's result depends only on the sites within
reach of it, so the raster equals the in-process :func:`~siteplan.coverage.compute_coverage`, bit for bit,
with any number of workers and in any order of completion.

The driver keeps a bounded number of blocks in flight and folds each result into the output as it arrives:
:func:`coverage_on_dask` assembles a :class:`~siteplan.coverage.CoverageResult` (the whole raster in memory),
:func:`coverage_tiles_on_dask` yields ``(tile, TileResult)`` pairs for a caller that writes them away by
windows, :func:`write_coverage_cog` does that into a Cloud-Optimized GeoTIFF with the bands of
``coverage.tif`` (so a city's raster never sits in memory), and :func:`coverage_matrix_on_dask` builds the
sparse cells x sites matrix of :func:`~siteplan.coverage.coverage_matrix`.

Dask is imported where used; without it these functions raise ImportError with the install hint.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping

import numpy as np

from .config import RadioConfig
from .coverage import engine as _engine
from .coverage.grid import Grid
from .progress import progress as _progress
from .progress import status

__all__ = [
    "COVERAGE_BANDS",
    "INSTALL_HINT",
    "auto_block_tiles",
    "coverage_matrix_on_dask",
    "coverage_on_dask",
    "coverage_tiles_on_dask",
    "dask_client",
    "local_cluster_size",
    "write_coverage_cog",
]

#: Bands of the coverage COG, as a phase of a network's raster (siteplan.coverage.networks.write_network_tif).
COVERAGE_BANDS = ("outdoor_rsrp_dbm", "indoor_rsrp_dbm", "sinr_db")

INSTALL_HINT = "pip install 'siteplan[city]'"


def _distributed():
    try:
        import distributed
    except ImportError as e:
        raise ImportError(f"siteplan's Dask driver needs dask.distributed ({e}); install it with: {INSTALL_HINT}") from None
    return distributed


def local_cluster_size() -> int:
    """CPUs this process may use (the default number of single-threaded LocalCluster workers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, client=None, n_workers: int | None = None,
                threads_per_worker: int = 1, processes: bool = True, memory_limit="auto",
                dashboard_address: str | None = ":8787") -> Iterator:
    """A ``distributed.Client`` for the duration of a ``with`` block.

    ``client`` is used as given (and left open). Otherwise the client connects to ``scheduler`` (an address
    such as ``"tcp://10.0.0.5:8786"``), or to Dask's own configured scheduler (``DASK_SCHEDULER_ADDRESS`` /
    the ``scheduler-address`` setting), or starts a LocalCluster sized to this machine: ``n_workers`` (default
    :func:`local_cluster_size`) workers of ``threads_per_worker`` threads, as processes unless
    ``processes=False``. What it starts it closes. The dashboard link is printed on a terminal when a cluster
    is used.

    Raises
    ------
    ImportError
        dask.distributed is not installed (the message gives the install hint).
    """
    distributed = _distributed()
    if client is not None:
        _announce(client, dashboard=True)
        yield client
        return
    import dask

    address = scheduler or dask.config.get("scheduler-address", None)
    with contextlib.ExitStack() as stack:
        if address:
            c = stack.enter_context(distributed.Client(address))
            dashboard = True
        else:
            # The dashboard needs bokeh (siteplan[city] brings it); without, the scheduler's HTTP server (health,
            # metrics) takes any free port rather than competing for 8787.
            dashboard = bool(dashboard_address) and importlib.util.find_spec("bokeh") is not None
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=n_workers or local_cluster_size(), threads_per_worker=threads_per_worker,
                processes=processes, memory_limit=memory_limit,
                dashboard_address=dashboard_address if dashboard else ":0"))
            c = stack.enter_context(distributed.Client(cluster))
        _announce(c, dashboard=dashboard)
        yield c


def _announce(client, *, dashboard: bool) -> None:
    """One line on a terminal: how many workers, where, and the dashboard link."""
    n = len(client.scheduler_info().get("workers", {}))
    link = client.dashboard_link if dashboard else None
    status(f"Dask: {n} worker(s) at {client.scheduler.address}" + (f"; dashboard {link}" if link else ""))


def _n_threads(client) -> int:
    return max(1, sum(client.nthreads().values()))


def auto_block_tiles(grid: Grid, tile_size: int, n_threads: int, *, block_cells: int = 512) -> int:
    """Tiles per block edge: blocks of about ``block_cells`` cells a side, smaller while that leaves fewer than 4
    blocks per worker thread (so the work spreads; a block should still be worth a task)."""
    bt = max(1, block_cells // tile_size)
    while bt > 1 and len(_engine._blocks(grid, tile_size, bt)) < 4 * n_threads:
        bt //= 2
    return bt


def _stream(client, fn: Callable, tasks: list, *, max_in_flight: int) -> Iterator:
    """``fn(*task)`` on the cluster for every task, at most ``max_in_flight`` at a time; results as they finish.

    Futures are released as soon as their result is here, so memory on the workers holds only what is in
    flight; the task arguments are submitted as they are needed, so the client holds no more than that either.
    """
    distributed = _distributed()
    pending = iter(tasks)
    first = [client.submit(fn, *t, pure=False) for t in itertools.islice(pending, max_in_flight)]
    done = distributed.as_completed(first)
    for future in done:
        result = future.result()
        future.release()
        task = next(pending, None)
        if task is not None:
            done.add(client.submit(fn, *task, pure=False))
        yield result


def _tiles(blocks: Iterable, n_tiles: int, progress: Callable | None, desc: str) -> Iterator:
    pairs = (pair for block in blocks for pair in block)
    return progress(pairs, desc=desc, total=n_tiles) if progress else pairs


def coverage_tiles_on_dask(grid: Grid, sectors, params, client, *, tile_size: int, block_tiles: int | None = None,
                           max_in_flight: int | None = None, progress: Callable | None = _progress,
                           desc: str = "coverage") -> Iterator:
    """``(tile, TileResult)`` for every tile of ``grid``, computed on ``client``'s cluster, in completion order.

    ``sectors``, ``params``, ``tile_size`` as from :func:`siteplan.coverage.engine.coverage_inputs`. ``block_tiles`` (default
    :func:`auto_block_tiles`) sets the task size; ``max_in_flight`` (default twice the worker threads) bounds
    the blocks queued at once. ``progress`` draws a bar over tiles on a terminal (pass None to silence).
    """
    threads = _n_threads(client)
    bt = block_tiles or auto_block_tiles(grid, tile_size, threads)
    tasks = _engine.block_tasks(grid, sectors, params, tile_size=tile_size, block_tiles=bt)
    n_tiles = sum(len(t[0]) for t in tasks)
    blocks = _stream(client, _engine.run_block, tasks, max_in_flight=max_in_flight or 2 * threads)
    return _tiles(blocks, n_tiles, progress, desc)


def coverage_on_dask(
    grid: Grid,
    sites,
    radio: RadioConfig,
    *,
    client=None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    tile_size: int | None = None,
    block_tiles: int | None = None,
    max_reach_m: float | None = None,
    los=None,
    sla_v_db: float = 30.0,
    kernel: str = "auto",
    progress: Callable | None = _progress,
):
    """:func:`siteplan.coverage.compute_coverage` on a Dask cluster; the same :class:`CoverageResult`.

    Parameters
    ----------
    grid, sites, radio, tile_size, max_reach_m, los, sla_v_db, kernel
        As :func:`~siteplan.coverage.compute_coverage`.
    client, scheduler, n_workers
        The cluster (see :func:`dask_client`): a ``distributed.Client``, a scheduler address, or the size of
        the LocalCluster started for the call (default: one worker per CPU).
    block_tiles : int, optional
        Tiles per block edge (one task per block); default :func:`auto_block_tiles`.
    progress : callable or None
        Progress bar over tiles (``siteplan.progress.progress``, quiet when not on a terminal).
    """
    s, p, ts = _engine.coverage_inputs(grid, sites, radio, max_reach_m=max_reach_m, los=los, sla_v_db=sla_v_db,
                                       kernel=kernel, tile_size=tile_size)
    with dask_client(scheduler, client=client, n_workers=n_workers) as c:
        pairs = coverage_tiles_on_dask(grid, s, p, c, tile_size=ts, block_tiles=block_tiles, progress=progress)
        return _engine.assemble_coverage(grid, s, p, radio, pairs, tile_size=ts)


def coverage_matrix_on_dask(
    grid: Grid,
    sites,
    radio: RadioConfig,
    *,
    layer: str = "outdoor",
    threshold_dbm: float | None = None,
    client=None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    tile_size: int | None = None,
    block_tiles: int | None = None,
    max_reach_m: float | None = None,
    los=None,
    sla_v_db: float = 30.0,
    kernel: str = "auto",
    progress: Callable | None = _progress,
):
    """:func:`siteplan.coverage.coverage_matrix` on a Dask cluster (blocks of tiles as tasks); the same matrix.

    Arguments as :func:`~siteplan.coverage.coverage_matrix` and :func:`coverage_on_dask`.
    """
    s, p, ts = _engine.coverage_inputs(grid, sites, radio, max_reach_m=max_reach_m, los=los, sla_v_db=sla_v_db,
                                       kernel=kernel, tile_size=tile_size)
    thr = float(radio.rsrp_threshold_dbm if threshold_dbm is None else threshold_dbm)
    with dask_client(scheduler, client=client, n_workers=n_workers) as c:
        threads = _n_threads(c)
        bt = block_tiles or auto_block_tiles(grid, ts, threads)
        tasks = _engine.site_coverage_tasks(grid, s, p, radio, layer=layer, threshold_dbm=thr, tile_size=ts,
                                            block_tiles=bt)
        blocks = _stream(c, _engine.run_site_coverage_block, tasks, max_in_flight=2 * threads)
        pairs = _tiles(blocks, sum(len(t[0]) for t in tasks), progress, "coverage matrix")
        return _engine.assemble_coverage_matrix(grid, s.n_sites, pairs)


def write_coverage_cog(path, grid: Grid, pairs: Iterable, *, threshold_dbm: float, no_signal_dbm: float = -200.0,
                       tags: Mapping[str, object] | None = None, blocksize: int = 512, band_prefix: str = "") -> dict:
    """Write ``(tile, TileResult)`` pairs, in any order, into a COG with the bands of a network's coverage raster.

    Bands ``<band_prefix>_outdoor_rsrp_dbm``, ``…_indoor_rsrp_dbm`` (-inf, no site within reach, written as
    ``no_signal_dbm``) and ``…_sinr_db`` (no prefix when ``band_prefix`` is empty, e.g. a phase id in
    :func:`siteplan.coverage.networks.write_network_tif`); nodata outside the district. The pairs may come from :func:`coverage_tiles_on_dask` or
    from :func:`siteplan.coverage.engine.tile_kernel` in process; only one tile is held at a time.

    Returns
    -------
    dict
        ``inside_cells``, ``covered_cells`` and ``indoor_covered_cells`` (RSRP >= ``threshold_dbm``) and
        ``n_pairs``, counted on the way.
    """
    from .io.cog import CogWriter

    counts = {"inside_cells": 0, "covered_cells": 0, "indoor_covered_cells": 0, "n_pairs": 0}
    height, width = grid.shape
    names = [f"{band_prefix}_{b}" if band_prefix else b for b in COVERAGE_BANDS]
    with CogWriter(path, width=width, height=height, band_names=names, transform=grid.transform,
                   crs=grid.crs, tags={**(tags or {}), "no_signal_dbm": no_signal_dbm}, blocksize=blocksize) as cog:
        for tile, res in pairs:
            r, c = np.nonzero(tile.inside)
            bands = {}
            for name, values in zip(names, (res.rsrp_dbm, res.indoor_rsrp_dbm, res.sinr_db)):
                window = np.full(tile.inside.shape, np.nan, dtype=np.float32)
                window[r, c] = np.where(np.isneginf(values), no_signal_dbm, values)
                bands[name] = window
            cog.write(tile.row_off, tile.col_off, bands)
            counts["inside_cells"] += r.size
            counts["covered_cells"] += int((res.rsrp_dbm >= threshold_dbm).sum())
            counts["indoor_covered_cells"] += int((res.indoor_rsrp_dbm >= threshold_dbm).sum())
            counts["n_pairs"] += res.n_pairs
    return counts
