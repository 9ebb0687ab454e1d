"""Decisions back: validate a filled review workbook and apply it to the registry, all or nothing.

Every problem is collected (unknown site codes, values outside the list, edited protected cells, duplicate
rows, a workbook from another export, conflicting decisions) and reported together with its row; then either
every decision is applied in one transaction, or none. The input workbook is only read.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ReviewImportError
from . import registry as _reg
from .labels import DECISION_COLUMNS, DECISIONS, PROTECTED, text
from .workbook import META_FORMAT, META_SHEET, REVIEW_SHEET, canon, row_checksum

__all__ = ["ImportReport", "import_review", "read_decisions"]

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")
_MAX_LISTED = 12


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    path: str
    sha256: str
    export_id: str = ""
    dry_run: bool = False
    #: The same file (same sha256) was imported before: nothing was read or changed.
    already_imported: bool = False
    rows: int = 0
    decisions: int = 0
    #: Decisions applied (or to apply): {row, site_id, from_state, to_state, decision, who, date}.
    applied: list[dict] = field(default_factory=list)
    #: Rows whose decision is already in the log: {row, site_id, decision}.
    unchanged: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied) and not self.dry_run

    def message(self) -> str:
        """One line for the CLI."""
        name = Path(self.path).name
        if self.already_imported:
            return f"{name}: already imported (sha256 {self.sha256[:12]}); nothing changed"
        verb = "would apply" if self.dry_run else "applied"
        if not self.applied:
            return (f"{name}: {self.decisions} decisions, all already in the registry; nothing changed"
                    if self.decisions else f"{name}: no decisions filled in; nothing changed")
        return (f"{name}: {verb} {len(self.applied)} decisions ({len(self.unchanged)} already logged, "
                f"{self.rows} rows read)")

    def __str__(self) -> str:
        lines = [self.message()]
        lines += [f"  {a['site_id']}: {a['from_state']} -> {a['to_state']} ({a['decision']}, {a['who']}, {a['date']})"
                  for a in self.applied]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["changed"] = self.changed
        d["message"] = self.message()
        return d


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _parse_date(v: Any) -> str | None:
    if isinstance(v, _dt.datetime):
        return v.date().isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        from openpyxl.utils.datetime import from_excel

        try:
            return from_excel(v).date().isoformat()
        except (ValueError, OverflowError, AttributeError):
            return None
    s = text(v).strip()
    for fmt in _DATE_FORMATS:
        try:
            return _dt.datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _fail(path: Path, problems: list[str], what: str = "") -> ReviewImportError:
    shown = "; ".join(problems[:_MAX_LISTED]) + (f"; … and {len(problems) - _MAX_LISTED} more"
                                                 if len(problems) > _MAX_LISTED else "")
    msg = f"{path}: {what or f'{len(problems)} problem(s) in the review workbook'}; nothing was applied: {shown}"
    err = ReviewImportError(msg, problems)
    return err


def _read_meta(wb, path: Path) -> tuple[dict[str, str], dict[str, str]]:
    if META_SHEET not in wb.sheetnames:
        raise _fail(path, [(f"sheet {META_SHEET!r} is missing: this is not a review workbook exported by siteplan "
                            "(or it was re-saved without its hidden sheet)")], "not a siteplan review workbook")
    ws = wb[META_SHEET]
    meta: dict[str, str] = {}
    checks: dict[str, str] = {}
    in_rows = False
    for a, b in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        a, b = text(a), text(b)
        if in_rows:
            if a:
                checks[a] = b
        elif a == "site_id" and b == "checksum":
            in_rows = True
        elif a:
            meta[a] = b
    if meta.get("format") != META_FORMAT:
        raise _fail(path, [f"sheet {META_SHEET!r}: format {meta.get('format')!r}, expected {META_FORMAT!r}"],
                    "not a siteplan review workbook")
    return meta, checks


def read_decisions(wb, path: Path) -> tuple[list[dict], list[str]]:
    """The review sheet's rows as dicts (``_row`` = spreadsheet row, ``_formula`` = keys holding a formula)."""
    if REVIEW_SHEET not in wb.sheetnames:
        raise _fail(path, [f"sheet {REVIEW_SHEET!r} is missing"], "not a siteplan review workbook")
    ws = wb[REVIEW_SHEET]
    wanted = {**PROTECTED, **DECISION_COLUMNS}
    header_row, cols = None, {}
    for r in range(1, min(ws.max_row, 6) + 1):
        vals = {text(ws.cell(row=r, column=c).value).strip(): c for c in range(1, ws.max_column + 1)}
        if PROTECTED["site_id"] in vals:
            header_row = r
            cols = {k: vals.get(h) for k, h in wanted.items()}
            break
    if header_row is None:
        raise _fail(path, [f"sheet {REVIEW_SHEET!r}: header {PROTECTED['site_id']!r} not found in its first rows"],
                    "the review sheet has no header")
    missing = [wanted[k] for k, c in cols.items() if c is None]
    if missing:
        raise _fail(path, [f"sheet {REVIEW_SHEET!r} row {header_row}: column {m!r} is missing" for m in missing],
                    "columns of the review sheet are missing")
    rows, problems = [], []
    for r in range(header_row + 1, ws.max_row + 1):
        cells = {k: ws.cell(row=r, column=c) for k, c in cols.items()}
        if all(cell.value is None or text(cell.value).strip() == "" for cell in cells.values()):
            continue
        rec = {k: cell.value for k, cell in cells.items()}
        rec["_row"] = r
        rec["_formula"] = [k for k, cell in cells.items() if cell.data_type == "f"]
        rows.append(rec)
    return rows, problems


def import_review(district, xlsx_path, *, dry_run: bool = False) -> ImportReport:
    """Validate a filled review workbook and apply its decisions to the registry in one transaction.

    Parameters
    ----------
    district : siteplan.io.District
    xlsx_path : path-like
        The filled ``review_workbook.xlsx`` (only read, never written).
    dry_run
        Validate and report what would change, without writing.

    Returns
    -------
    ImportReport
        ``already_imported`` when this exact file (sha256) was applied before; ``applied`` lists the decisions.

    Raises
    ------
    ReviewImportError
        With ``problems``: every problem found, each naming its spreadsheet row and site code. Nothing is applied.
    """
    from openpyxl import load_workbook

    path = Path(xlsx_path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ReviewImportError(f"{path}: cannot read the review workbook ({e.strerror})", [str(e)]) from None
    sha = _sha256(data)
    reg = _reg.open_registry(district, create=False)
    report = ImportReport(path=str(path), sha256=sha, dry_run=dry_run)
    if sha in set(reg.imports()["sha256"]):
        report.already_imported = True
        report.notes.append("this file was imported before (same sha256): nothing to do")
        return report
    try:
        # Parse the bytes we hashed, so what is validated is exactly what is recorded.
        wb = load_workbook(io.BytesIO(data), data_only=False)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many types (zip, XML, key errors) for a non-xlsx
        raise _fail(path, [f"not a readable .xlsx workbook ({type(e).__name__}: {e})"], "not an xlsx workbook") from None
    meta, checks = _read_meta(wb, path)
    name = district.config.district.name
    report.export_id = export_id = meta.get("export_id", "")
    if meta.get("district") != name:
        raise _fail(path, [f"the workbook was exported for district {meta.get('district')!r}, not {name!r}"],
                    "a workbook from another district's export")
    known = reg.export_rows(export_id)
    if known is None:
        raise _fail(path, [(f"export id {export_id!r} is unknown to the registry {reg.path}: the workbook comes "
                            "from another export (another registry or an altered file); export a fresh workbook")],
                    "a workbook from another export")
    expected = known[1]
    problems: list[str] = []
    for sid, cs in checks.items():
        if sid not in expected or row_checksum(expected[sid]) != cs:
            problems.append(f"sheet {META_SHEET!r}: checksum of site {sid!r} does not match export {export_id}: "
                            "the hidden sheet was altered")
    rows, _ = read_decisions(wb, path)
    report.rows = len(rows)

    decisions: list[dict] = []
    for rec in rows:
        r = rec["_row"]
        sid = text(rec["site_id"]).strip()
        where = f"row {r} (site {sid!r})" if sid else f"row {r}"
        for k in rec["_formula"]:
            problems.append(f"{where}: column {({**PROTECTED, **DECISION_COLUMNS})[k]!r} holds a formula "
                            f"{text(rec[k])!r}: type plain text")
        if sid not in expected:
            problems.append(f"{where}: unknown site code {sid!r}: not in export {export_id}")
            continue
        exp = expected[sid]
        edited = []
        for k, header in PROTECTED.items():
            v = rec[k]
            got = canon(v)
            if got != exp.get(k, ""):
                edited.append(f"{header} {exp.get(k, '')!r} -> {got!r}")
        if edited:
            problems.append(f"{where}: protected column(s) edited: {'; '.join(edited)}")
        dec = text(rec["decision"]).strip()
        comment = text(rec["comment"]).strip()
        who = text(rec["reviewer"]).strip()
        if not dec:
            if comment or who or text(rec["date"]).strip():
                report.notes.append(f"{where}: comment/reviewer/date given without a decision: row ignored")
            continue
        if dec not in DECISIONS:
            problems.append(f"{where}: {DECISION_COLUMNS['decision']} {dec!r} is not one of "
                            f"{' / '.join(DECISIONS)}")
            continue
        when = _parse_date(rec["date"])
        if not who:
            problems.append(f"{where}: {DECISION_COLUMNS['reviewer']} is empty: a decision needs its reviewer")
        if rec["date"] is None or text(rec["date"]).strip() == "":
            problems.append(f"{where}: {DECISION_COLUMNS['date']} is empty: a decision needs its date")
        elif when is None:
            problems.append(f"{where}: {DECISION_COLUMNS['date']} {text(rec['date'])!r} is not a date (YYYY-MM-DD)")
        if DECISIONS[dec] == "approved_with_changes" and not comment:
            problems.append(f"{where}: 修改后通过 needs the required changes in {DECISION_COLUMNS['comment']}")
        decisions.append({"row": r, "site_id": sid, "decision": dec, "to_state": DECISIONS[dec], "who": who,
                          "date": when or "", "comment": comment})
    report.decisions = len(decisions)

    by_site: dict[str, list[dict]] = {}
    for d in decisions:
        by_site.setdefault(d["site_id"], []).append(d)
    for sid, ds in by_site.items():
        if len(ds) > 1:
            rows_s = ", ".join(str(d["row"]) for d in ds)
            if len({(d["decision"], d["comment"], d["who"], d["date"]) for d in ds}) == 1:
                problems.append(f"rows {rows_s} (site {sid!r}): duplicate rows for one site: keep one")
            else:
                alts = "; ".join(f"row {d['row']}: {d['decision']} by {d['who'] or '?'} on {d['date'] or '?'}"
                                 for d in ds)
                problems.append(f"rows {rows_s} (site {sid!r}): conflicting decisions for one site ({alts}): "
                                "not resolved automatically; keep the one that stands")

    with _reg.transaction(reg.path) as conn:
        plan: list[dict] = []
        for d in decisions:
            if len(by_site[d["site_id"]]) > 1:
                continue
            state = _reg.current_state(conn, d["site_id"])
            where = f"row {d['row']} (site {d['site_id']!r})"
            if state is None:
                problems.append(f"{where}: the site is not in the registry {reg.path}")
            elif state in ("proposed", "under_review"):
                plan.append({**d, "from_state": state})
            else:
                last = conn.execute(
                    "SELECT to_state, who, when_date, source_file, source_sha256 FROM decision_log WHERE site_id=? "
                    "AND to_state IN ('approved', 'rejected', 'approved_with_changes') ORDER BY seq DESC LIMIT 1",
                    (d["site_id"],)).fetchone()
                if last is not None and last[0] == d["to_state"]:
                    report.unchanged.append({"row": d["row"], "site_id": d["site_id"], "decision": d["decision"]})
                else:
                    before = (f"{_reg.STATE_ZH[last[0]]} on {last[2] or '?'} by {last[1] or '?'} "
                              f"(file {last[3] or '?'}, sha256 {last[4][:12] or '?'})") if last else "none"
                    problems.append(
                        f"{where}: {d['decision']} contradicts the decision already logged: {before}; the site is now "
                        f"{_reg.STATE_ZH[state]}: conflicting decisions are reported, not resolved"
                    )
        if problems:
            raise _fail(path, problems)  # the transaction rolls back (nothing was written yet)
        report.applied = [{"row": p["row"], "site_id": p["site_id"], "from_state": p["from_state"],
                           "to_state": p["to_state"], "decision": p["decision"], "who": p["who"],
                           "date": p["date"]} for p in plan]
        if dry_run or not plan:
            # nothing was written: the COMMIT on leaving the block leaves the file as it was
            if dry_run:
                report.notes.append("dry run: nothing written")
            return report
        src = path.name
        for p in plan:
            if p["from_state"] == "proposed":
                _reg.transition(conn, p["site_id"], "under_review", when=p["date"], who=p["who"],
                                decision="送审 submitted for review", source_file=src, source_sha256=sha)
            _reg.transition(conn, p["site_id"], p["to_state"], when=p["date"], who=p["who"],
                            decision=p["decision"], comment=p["comment"], source_file=src, source_sha256=sha)
        conn.execute(
            "INSERT INTO imports(sha256, file_name, export_id, decisions, changes, applied) VALUES (?, ?, ?, ?, ?, ?)",
            (sha, src, export_id, len(decisions), len(plan), max(p["date"] for p in plan)),
        )
    return report
