"""The review workbook as the bureau uses it: every row's deadline is its own phase's, and every sheet prints
(issue 12, items 1 and 3; acceptance 3: the printed first page, via LibreOffice, as a test artefact)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest
from openpyxl import load_workbook
from client_tools import soffice
from review_fixtures import make_check, make_district

from siteplan.review import export_review
from siteplan.review.workbook import META_SHEET

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
DUE = {2020: dt.date(2020, 12, 31), 2022: dt.date(2022, 12, 31)}


def _selected_out_of_order(check) -> gpd.GeoDataFrame:
    """A rollout whose build order runs against the site codes: the later phase holds the lower codes."""
    ok = check[check["status"] != "non_compliant"].reset_index(drop=True)
    phase = ["2022" if sid in ("C001", "C002") else "2020" for sid in ok["site_id"]]
    rank = [4 + i if p == "2022" else 1 + i for i, p in enumerate(phase)]
    return gpd.GeoDataFrame({
        "site_id": ok["site_id"], "name": ok["name"], "phase": phase, "rank": rank,
        "marginal_gain_m2": 1000.0, "cost_cny": 1e5, "reuse_kind": ok["reuse_kind"], "build_kind": ok["build_kind"],
        "subdistrict": ok["subdistrict"], "responsible_unit": ok["responsible_unit"], "site_type": ok["site_type"],
    }, geometry=ok.geometry.values, crs=check.crs)


@pytest.fixture
def workbook(tmp_path):
    d = make_district(tmp_path)
    check = make_check()
    return export_review(d, tmp_path / "o", check=check, selected=_selected_out_of_order(check))


def _header(ws) -> tuple[int, dict[str, int]]:
    for r in range(1, 4):
        vals = {ws.cell(row=r, column=c).value: c for c in range(1, ws.max_column + 1)}
        if "实施阶段 Phase" in vals or "站址编号 Site code" in vals or "项目 Item" in vals:
            return r, vals
    raise AssertionError(f"{ws.title}: no header")


def test_every_rows_due_date_is_its_own_phases_in_every_sheet(workbook):
    """Item 1: rows are sorted by phase; the deadline must follow the row, not the unsorted order."""
    wb = load_workbook(workbook)
    checked = 0
    for ws in wb.worksheets:
        if ws.title == META_SHEET:
            continue
        hr, cols = _header(ws)
        if "实施阶段 Phase" not in cols or "完成时限 Due" not in cols:
            continue
        for r in range(hr + 1, ws.max_row + 1):
            phase = ws.cell(row=r, column=cols["实施阶段 Phase"]).value
            due = ws.cell(row=r, column=cols["完成时限 Due"])
            sid = ws.cell(row=r, column=cols["站址编号 Site code"]).value
            assert isinstance(phase, int), (ws.title, sid, phase)  # a phase is a number
            assert due.is_date and due.value.date() == DUE[phase], (ws.title, sid, phase, due.value)
            checked += 1
    assert checked >= 10


def test_every_sheet_is_set_up_for_print(workbook):
    """Item 3: landscape, one page wide, header rows repeated, print area, frozen panes, header/footer."""
    wb = load_workbook(workbook)
    for ws in wb.worksheets:
        if ws.title == META_SHEET:
            continue
        hr, _ = _header(ws)
        ps = ws.page_setup
        assert ps.orientation == "landscape" and ps.paperSize in (8, 9), ws.title
        assert ps.fitToWidth == 1 and ps.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows == f"$1:${hr}", ws.title
        assert ws.print_area and ws.print_area.split("!")[1].startswith("$A$1:"), ws.title
        assert ws.freeze_panes in (f"A{hr + 1}", f"B{hr + 1}"), ws.title
        assert ws.oddHeader.left.text == "测试区 testville" and ws.oddHeader.center.text == "&A", ws.title
        assert ws.oddHeader.right.text.startswith("样例数据"), ws.title
        assert "第 &P 页 共 &N 页" in ws.oddFooter.center.text, ws.title
    review = wb["审查 Review"]
    assert review.freeze_panes == "B3"  # the site code stays in view beside the decision columns


@pytest.mark.browser
def test_printed_workbook_first_page(workbook, tmp_path):
    """Acceptance 3: LibreOffice prints the workbook; page 1 (the review sheet) has the decision columns beside
    the site codes and a page footer. Written to test-artifacts/review_workbook_page1.png."""
    exe = soffice()
    out = tmp_path / "pdf"
    env = {**os.environ, "HOME": str(tmp_path)}  # a private LibreOffice profile
    subprocess.run([exe, "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(out), str(workbook)],
                   check=True, capture_output=True, timeout=180, env=env)
    pdf = out / (workbook.stem + ".pdf")
    assert pdf.exists()
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    first = text.splitlines()
    assert any("审查意见" in line and "站址编号" in line for line in first) or (
        "审查意见" in text and "站址编号" in text)  # decision column on the same page as the site codes
    assert "第 1 页 共" in text and "测试区 testville" in text
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(pdf, ARTIFACTS / "review_workbook.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(ARTIFACTS / "review_workbook_page1")], check=True, timeout=60)
    assert (ARTIFACTS / "review_workbook_page1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
