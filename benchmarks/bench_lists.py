"""Benchmark: 200,000 candidates checked and written as lists (CSV, XLSX, GeoJSON) — issue 13, item 8.

Goal: under 20 s within 1 GB on the 2-core workplace machine. The district is the seeded synthetic one of
``bench_compliance.py`` (200,000 poles, 5,000 planned sites, 400 zones, ...) with ``--candidates`` candidates.

Measured, in this order, in one process:

1. ``check_candidates`` + ``write_lists`` (streamed XLSX holding a summary and the first
   :data:`siteplan.io.writers.XLSX_MAX_ROWS` rows and saying so; CSV and GeoJSON hold every row): wall time per
   part, and the process's peak resident memory (``ru_maxrss``) after it;
2. the baseline: the XLSX writer as it was before (openpyxl, every cell of every row held in memory, then saved),
   writing the same candidate table, timed in the same process; the process peak after it shows what it costs.

Printed: the times, the peaks, and the ratio of the two XLSX writers' times.

Usage: ``python benchmarks/bench_lists.py [--candidates 200000] [--no-baseline]``
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_compliance import synthetic_district  # noqa: E402

from siteplan.compliance import check_candidates  # noqa: E402
from siteplan.compliance.lists import candidate_table, write_lists  # noqa: E402
from siteplan.io.writers import XLSX_MAX_ROWS, _cell_value, atomic_path, reproducible_zip  # noqa: E402


def peak_mib() -> float:
    """Peak resident memory of this process so far [MiB] (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def legacy_write_xlsx(path: Path, sheets: dict[str, pd.DataFrame], *, notice: str | None = None) -> Path:
    """The XLSX writer before issue 13 (siteplan.io.writers.write_xlsx at main f86c6e3), kept here as the
    baseline: a normal openpyxl workbook, cell by cell, every row, all held in memory until saved."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    def width(v) -> int:
        s = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    wb = Workbook()
    wb.remove(wb.active)
    for name, table in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        header_row = 1
        if notice:
            ws.cell(row=1, column=1, value=notice).font = Font(bold=True, color="C00000")
            header_row = 2
        for j, col in enumerate(table.columns, start=1):
            c = ws.cell(row=header_row, column=j, value=str(col))
            c.font = Font(bold=True)
            c.fill = PatternFill("solid", fgColor="DDEBF7")
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            c.data_type = "s"
        for i, row in enumerate(table.itertuples(index=False, name=None), start=header_row + 1):
            for j, v in enumerate(row, start=1):
                v = _cell_value(v)
                cell = ws.cell(row=i, column=j, value=v)
                if isinstance(v, str):
                    cell.data_type = "s"
        for j, col in enumerate(table.columns, start=1):
            longest = max([width(col)] + [width(v) for v in table[col].head(500)])
            ws.column_dimensions[get_column_letter(j)].width = float(min(max(longest + 2, 6), 60))
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    with atomic_path(path) as tmp:
        wb.save(tmp)
        reproducible_zip(tmp)
    return path


def _timed_writers() -> dict[str, float]:
    """Wrap the writers write_lists calls so that each one's time is recorded (filled in as they run)."""
    import siteplan.compliance.lists as lists

    parts: dict[str, float] = {}
    for fmt in ("csv", "xlsx", "geojson"):
        fn = getattr(lists, f"write_{fmt}")

        def timed(*a, _fn=fn, _fmt=fmt, **kw):
            t0 = time.perf_counter()
            try:
                return _fn(*a, **kw)
            finally:
                parts[_fmt] = parts.get(_fmt, 0.0) + time.perf_counter() - t0

        setattr(lists, f"write_{fmt}", timed)
    return parts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-baseline", action="store_true", help="skip the old XLSX writer")
    args = ap.parse_args()

    t0 = time.perf_counter()
    d = synthetic_district(args.candidates, seed=args.seed)
    t_setup = time.perf_counter() - t0
    base_mib = peak_mib()
    print(f"synthetic district: {args.candidates:,} candidates, built in {t_setup:.1f} s; process peak {base_mib:,.0f} MiB")

    with tempfile.TemporaryDirectory(prefix="bench-lists-") as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        checked = check_candidates(d)
        t_check = time.perf_counter() - t0
        parts = _timed_writers()
        t0 = time.perf_counter()
        write_lists(checked, out, d)  # as the pipeline calls it: CSV, XLSX, GeoJSON
        t_lists = time.perf_counter() - t0
        total = t_check + t_lists
        peak_new = peak_mib()
        sizes = {p.suffix[1:]: p.stat().st_size / 2**20 for p in out.iterdir()}
        print(f"check + lists: {total:.1f} s (check {t_check:.1f} s, lists {t_lists:.1f} s: "
              + ", ".join(f"{k} {v:.1f} s / {sizes.get(k, 0):.0f} MiB" for k, v in parts.items())
              + f", tables and figures {t_lists - sum(parts.values()):.1f} s); process peak {peak_new:,.0f} MiB")
        print(f"  XLSX holds a summary and the first {min(XLSX_MAX_ROWS, len(checked)):,} of {len(checked):,} "
              "rows (says so above its header); CSV and GeoJSON hold every row")
        goal = "met" if total < 20 and peak_new < 1024 else "NOT met"
        print(f"  goal (< 20 s within 1 GB): {goal}")

        if args.no_baseline:
            return
        table = candidate_table(checked)
        t0 = time.perf_counter()
        legacy_write_xlsx(out / "legacy.xlsx", {"候选站址 Candidates": table}, notice="样例数据 SAMPLE")
        t_old = time.perf_counter() - t0
        peak_old = peak_mib()
        print(f"baseline: the former XLSX writer, all {len(table):,} rows: {t_old:.1f} s; process peak "
              f"{peak_old:,.0f} MiB")
        print(f"ratio: XLSX {t_old / parts['xlsx']:.1f}x faster (former / streamed), "
              f"check + lists {(total - parts['xlsx'] + t_old) / total:.1f}x faster")


if __name__ == "__main__":
    main()
