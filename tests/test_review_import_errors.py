"""Acceptance 2: each bad decision file gives a clear error naming its rows, and the registry is unchanged."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from review_fixtures import data_rows, fill, make_check, make_district, make_selected

from siteplan.errors import ReviewImportError
from siteplan.review import export_review, import_review, open_registry

OK = ("通过", "", "张三", "2020-06-01")


@pytest.fixture
def env(tmp_path):
    d = make_district(tmp_path / "district")
    (tmp_path / "district").mkdir()
    check = make_check()
    wb = export_review(d, tmp_path / "out", check=check, selected=make_selected(check))
    return d, wb, tmp_path, data_rows(wb)


def _assert_refused(d, path, *needles):
    reg = open_registry(d)
    before, raw = reg.tables(), reg.path.read_bytes()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ReviewImportError) as ei:
        import_review(d, path)
    err = ei.value
    text = " | ".join(err.problems)
    for n in needles:
        assert n in text, (n, err.problems)
    assert str(path) in str(err) and "nothing was applied" in str(err)
    assert reg.tables() == before and reg.path.read_bytes() == raw
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    return err


def test_unknown_site_code(env):
    d, wb, tmp, rows = env
    r = rows["C004"]["_row"]

    def edit(ws, hr, cols):
        ws.cell(row=r, column=cols["site_id"], value="C999")

    f = fill(wb, tmp / "f.xlsx", {"C001": OK, "C004": OK}, edit=edit)
    _assert_refused(d, f, f"row {r} (site 'C999'): unknown site code 'C999'")


def test_value_outside_the_list(env):
    d, wb, tmp, rows = env
    f = fill(wb, tmp / "f.xlsx", {"C001": OK, "C002": ("同意", "", "张三", "2020-06-01")})
    err = _assert_refused(d, f, f"row {rows['C002']['_row']} (site 'C002')", "'同意' is not one of 通过 / 不通过 / 修改后通过")
    assert len(err.problems) == 1  # the good row is not a problem, but it is not applied either


def test_edited_protected_column(env):
    d, wb, tmp, rows = env
    r = rows["C003"]["_row"]

    def edit(ws, hr, cols):
        ws.cell(row=r, column=cols["status"], value="合规")        # was 有条件合规
        ws.cell(row=r, column=cols["lon"], value=117.3)

    f = fill(wb, tmp / "f.xlsx", {"C003": OK}, edit=edit)
    _assert_refused(d, f, f"row {r} (site 'C003'): protected column(s) edited", "合规状态 Compliance '有条件合规' -> '合规'",
                    "经度 Lon (WGS84)")


def test_duplicate_rows(env):
    d, wb, tmp, rows = env
    r = rows["C001"]["_row"]

    def edit(ws, hr, cols):
        new = ws.max_row + 1
        for c in range(1, ws.max_column + 1):
            ws.cell(row=new, column=c, value=ws.cell(row=r, column=c).value)

    f = fill(wb, tmp / "f.xlsx", {"C001": OK}, edit=edit)
    last = r + len(rows)  # the copy lands below the last data row
    _assert_refused(d, f, f"rows {r}, {last} (site 'C001'): duplicate rows")


def test_conflicting_decisions_in_two_rows(env):
    d, wb, tmp, rows = env
    r = rows["C001"]["_row"]

    def edit(ws, hr, cols):
        new = ws.max_row + 1
        for c in range(1, ws.max_column + 1):
            ws.cell(row=new, column=c, value=ws.cell(row=r, column=c).value)
        ws.cell(row=new, column=cols["decision"], value="不通过")

    f = fill(wb, tmp / "f.xlsx", {"C001": OK, "C002": OK}, edit=edit)
    _assert_refused(d, f, f"rows {r}, {r + len(rows)} (site 'C001'): conflicting decisions", f"row {r}: 通过",
                    f"row {r + len(rows)}: 不通过")


def test_decision_contradicting_an_earlier_logged_one(env):
    d, wb, tmp, rows = env
    import_review(d, fill(wb, tmp / "first.xlsx", {"C001": OK}))
    wb2 = export_review(d, tmp / "out2", check=make_check(), selected=make_selected(make_check()))
    r = data_rows(wb2)["C001"]["_row"]
    f = fill(wb2, tmp / "second.xlsx", {"C001": ("不通过", "重新评估", "李四", "2020-07-01"), "C002": OK})
    _assert_refused(d, f, f"row {r} (site 'C001'): 不通过 contradicts the decision already logged: 通过 on 2020-06-01 "
                          "by 张三 (file first.xlsx")


def test_workbook_from_another_export(env):
    d, wb, tmp, rows = env
    other = make_district(tmp / "other")
    (tmp / "other").mkdir(exist_ok=True)
    wb_other = export_review(other, tmp / "out_other", check=make_check(5))
    f = fill(wb_other, tmp / "f.xlsx", {"C001": OK})
    _assert_refused(d, f, "unknown to the registry", "another export")


def test_workbook_from_another_district(env):
    d, wb, tmp, rows = env
    import dataclasses

    other = make_district(tmp / "o2")
    (tmp / "o2").mkdir(exist_ok=True)
    other.config = dataclasses.replace(other.config, district=dataclasses.replace(other.config.district, name="elsewhere"))
    f = fill(export_review(other, tmp / "o2out", check=make_check()), tmp / "f.xlsx", {"C001": OK})
    _assert_refused(d, f, "exported for district 'elsewhere', not 'testville'")


def test_hidden_sheet_tampered(env):
    d, wb, tmp, rows = env
    from openpyxl import load_workbook

    f = fill(wb, tmp / "f.xlsx", {"C001": OK})
    book = load_workbook(f)
    ws = book["_siteplan"]
    ws["B6"] = "0" * 16
    book.save(f)
    _assert_refused(d, f, "checksum of site 'C001' does not match", "hidden sheet was altered")


@pytest.mark.parametrize("values,needle", [
    (("通过", "", "", "2020-06-01"), "审查人 Reviewer is empty"),
    (("通过", "", "张三", None), "审查日期 Date is empty"),
    (("通过", "", "张三", "六月一日"), "审查日期 Date '六月一日' is not a date"),
    (("修改后通过", "", "张三", "2020-06-01"), "修改后通过 needs the required changes"),
    (("通过", "=1+1", "张三", "2020-06-01"), "holds a formula"),
])
def test_incomplete_decision(env, values, needle):
    d, wb, tmp, rows = env
    f = fill(wb, tmp / "f.xlsx", {"C001": OK, "C004": values})
    _assert_refused(d, f, f"row {rows['C004']['_row']} (site 'C004')", needle)


def test_every_problem_listed_at_once(env):
    d, wb, tmp, rows = env

    def edit(ws, hr, cols):
        ws.cell(row=rows["C006"]["_row"], column=cols["name"], value="改名")

    f = fill(wb, tmp / "f.xlsx", {"C001": ("好", "", "张三", "2020-06-01"), "C002": ("通过", "", "", "2020-06-01")},
             edit=edit)
    err = _assert_refused(d, f)
    rows_named = sorted(p.split(" ")[1] for p in err.problems)
    assert rows_named == sorted(str(rows[s]["_row"]) for s in ("C001", "C002", "C006"))


def test_not_a_workbook(env, tmp_path):
    d = env[0]
    p = tmp_path / "notes.xlsx"
    p.write_text("审查意见：全部通过", encoding="utf-8")
    _assert_refused(d, p, "not a readable .xlsx workbook")
    q = tmp_path / "plain.xlsx"
    from openpyxl import Workbook

    Workbook().save(q)
    _assert_refused(d, q, "not a review workbook exported by siteplan")


def test_copy_of_workbook_is_still_detected_after_rename(env):
    """Renaming a file does not make it new: the hash decides (a renamed re-import is a no-op)."""
    d, wb, tmp, rows = env
    f = fill(wb, tmp / "f.xlsx", {"C001": OK})
    assert import_review(d, f).changed
    g = tmp / "renamed.xlsx"
    shutil.copyfile(f, g)
    assert import_review(d, g).already_imported
