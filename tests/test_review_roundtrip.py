"""Acceptance 1: export -> fill decisions with openpyxl -> import -> registry updated and logged -> export again
shows them; re-import is a no-op. Plus the workbook's shape (protection, drop-down, hidden export id)."""

from __future__ import annotations

import hashlib

import pytest
from openpyxl import load_workbook
from review_fixtures import data_rows, fill, header_cols, make_check, make_district, make_selected

from siteplan.review import export_review, import_review, open_registry, progress_status
from siteplan.review import registry as R
from siteplan.review.labels import DECISION_COLUMNS, PROTECTED, SAMPLE_NOTICE
from siteplan.review.workbook import META_SHEET, REVIEW_SHEET


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def setup(tmp_path):
    d = make_district(tmp_path)
    check = make_check()
    sel = make_selected(check)
    wb = export_review(d, tmp_path / "out1", check=check, selected=sel)
    return d, check, sel, wb, tmp_path


DECISIONS = {
    "C001": ("通过", "", "张三", "2020-06-01"),
    "C002": ("修改后通过", "改用景观杆，高度降至 12 m", "李四", "2020-06-03"),
    "C003": ("不通过", "限建区，不予批准", "张三", "2020-06-02"),
}


def test_round_trip(setup):
    d, check, sel, wb, tmp = setup
    filled = fill(wb, tmp / "filled.xlsx", DECISIONS)
    sha_in = _sha(filled)
    reg = open_registry(d)
    n_log = len(reg.log())

    rep = import_review(d, filled)
    assert rep.changed and not rep.already_imported
    assert {a["site_id"]: a["to_state"] for a in rep.applied} == {
        "C001": "approved", "C002": "approved_with_changes", "C003": "rejected"}
    assert _sha(filled) == sha_in  # the input workbook is only read

    sites = reg.sites().set_index("site_id")
    assert sites.loc["C001", "state"] == "approved" and sites.loc["C001", "date_decided"] == "2020-06-01"
    assert sites.loc["C002", "comment"] == "改用景观杆，高度降至 12 m"
    assert sites.loc["C004", "state"] == "proposed"  # no decision filled in
    log = reg.log().iloc[n_log:]
    # each decision: proposed -> under_review -> decision, dated by the reviewer's date, with the file and hash
    assert len(log) == 6 and set(log["source_sha256"]) == {sha_in} and set(log["source_file"]) == {"filled.xlsx"}
    row = log[(log["site_id"] == "C003") & (log["to_state"] == "rejected")].iloc[0]
    assert (row["who"], row["when_date"], row["decision"]) == ("张三", "2020-06-02", "不通过")

    # export again shows them
    wb2 = export_review(d, tmp / "out2", check=check, selected=sel)
    rows = data_rows(wb2)
    for sid, (dec, comment, who, date) in DECISIONS.items():
        assert (rows[sid]["decision"], rows[sid]["reviewer"], rows[sid]["state"]) == (dec, who, dec)
        assert rows[sid]["date"].date().isoformat() == date
        assert (rows[sid]["comment"] or "") == comment
    assert rows["C004"]["decision"] is None

    # re-import of the same file: no-op, reported
    before, raw = reg.tables(), reg.path.read_bytes()
    again = import_review(d, filled)
    assert again.already_imported and not again.changed and "already imported" in again.message()
    assert reg.tables() == before and reg.path.read_bytes() == raw

    # the second export, returned with the same decisions (another file): nothing new, said so
    same = import_review(d, wb2)
    assert not same.applied and len(same.unchanged) == 3 and "nothing changed" in same.message()
    assert reg.tables() == before


def test_progress_after_decisions(setup):
    d, _, _, wb, tmp = setup
    import_review(d, fill(wb, tmp / "f.xlsx", DECISIONS))
    R.advance(open_registry(d), "C001", "under_construction", when="2020-07-01", who="铁塔")
    R.advance(open_registry(d), "C001", "in_service", when="2020-11-30", who="铁塔")
    p = progress_status(d)
    assert p["counts"]["in_service"] == 1 and p["counts"]["rejected"] == 1
    assert p["targets"][0]["in_service"] == 1 and p["targets"][0]["approved"] == 2
    assert p["award"]["award_cny"] == d.config.award.per_site_cny


def test_dry_run_changes_nothing(setup):
    d, _, _, wb, tmp = setup
    reg = open_registry(d)
    before = reg.tables()
    rep = import_review(d, fill(wb, tmp / "f.xlsx", DECISIONS), dry_run=True)
    assert len(rep.applied) == 3 and not rep.changed and "would apply" in rep.message()
    assert reg.tables() == before


def test_crash_midway_leaves_registry_as_it_was(setup, monkeypatch):
    d, _, _, wb, tmp = setup
    filled = fill(wb, tmp / "f.xlsx", DECISIONS)
    reg = open_registry(d)
    before, raw = reg.tables(), reg.path.read_bytes()
    real = R._append_log
    calls = {"n": 0}

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 4:  # after two decisions' worth of log rows were written
            raise OSError("disk full (simulated)")
        return real(*a, **k)

    monkeypatch.setattr(R, "_append_log", flaky)
    with pytest.raises(OSError, match="simulated"):
        import_review(d, filled)
    assert calls["n"] == 4
    assert reg.tables() == before
    assert reg.path.read_bytes() == raw
    monkeypatch.setattr(R, "_append_log", real)
    assert len(import_review(d, filled).applied) == 3  # and the same file applies cleanly afterwards


def test_workbook_shape(setup):
    d, check, _, wb, _ = setup
    book = load_workbook(wb)
    ws = book[REVIEW_SHEET]
    assert ws["A1"].value == SAMPLE_NOTICE
    hr, cols = header_cols(ws)
    assert ws.protection.sheet
    r = hr + 1
    assert all(ws.cell(row=r, column=cols[k]).protection.locked for k in PROTECTED)
    assert not any(ws.cell(row=r, column=cols[k]).protection.locked for k in DECISION_COLUMNS)
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert lists and lists[0].formula1 == '"通过,不通过,修改后通过"'
    assert book[META_SHEET].sheet_state == "veryHidden"
    props = {p.name: p.value for p in book.custom_doc_props}
    assert props["siteplan_export_id"] == book[META_SHEET]["B2"].value
    assert book.security.lockStructure
    names = book.sheetnames
    assert "汇总 Summary" in names and "直供电改造 城东供电公司" in names and "杆站 区城管委" in names
    assert "街道 大王庄街道" in names and "街道 春华街道" in names
    # the non-compliant candidate is not up for decision but listed
    assert "C005" not in data_rows(wb) and "不合规 Non-compliant" in names
    # the pole list holds the pole sites, the retrofit list the non-direct-supply ones
    pole_ids = {c.value for c in book["杆站 区城管委"]["A"][2:]}
    assert pole_ids == {"C002", "C006"}
    retro = {c.value for c in book["直供电改造 城东供电公司"]["A"][2:]}
    assert retro == {"C002", "C003", "C006"}


def test_text_is_never_a_formula(tmp_path):
    d = make_district(tmp_path)
    check = make_check()
    check.loc[0, "name"] = '=HYPERLINK("http://evil.example","x")'
    wb = export_review(d, tmp_path / "o", check=check)
    book = load_workbook(wb)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    # typed as text, so inert, and shown as it is (the CSV's apostrophe is not needed in XLSX)
    assert data_rows(wb)["C001"]["name"] == '=HYPERLINK("http://evil.example","x")'
    # and the name still round-trips without being taken for an edit
    rep = import_review(d, fill(wb, tmp_path / "f.xlsx", {"C001": ("通过", "", "王五", "2020-06-01")}))
    assert [a["site_id"] for a in rep.applied] == ["C001"]


def test_without_rollout_phase_and_gain_empty(tmp_path):
    d = make_district(tmp_path)
    wb = export_review(d, tmp_path / "o", check=make_check(), selected=None)
    rows = data_rows(wb)
    assert set(rows) == {"C001", "C002", "C003", "C004", "C006"}
    assert all(r["phase"] is None and r["coverage_gain_m2"] is None for r in rows.values())
    summary = load_workbook(wb)["汇总 Summary"]
    values = [c.value for row in summary.iter_rows() for c in row]
    assert "建设时序 Rollout" in values and "未运行 not run" in values


def test_export_is_reproducible(setup):
    d, check, sel, wb, tmp = setup
    wb2 = export_review(d, tmp / "again", check=check, selected=sel)
    a, b = load_workbook(wb), load_workbook(wb2)
    assert a[META_SHEET]["B2"].value == b[META_SHEET]["B2"].value
    for name in a.sheetnames:
        assert [[c.value for c in r] for r in a[name].iter_rows()] == [[c.value for c in r] for r in b[name].iter_rows()]


def test_rollout_narrows_the_review_but_keeps_decisions(tmp_path):
    """A later run with a rollout asks only about its sites (plus anything decided); the registry loses nothing."""
    d = make_district(tmp_path)
    check = make_check()
    wb = export_review(d, tmp_path / "o1", check=check)  # no rollout: all 5 non-non-compliant candidates
    import_review(d, fill(wb, tmp_path / "f.xlsx", {"C004": ("不通过", "不需要", "张三", "2020-06-01")}))
    sel = make_selected(check).iloc[:2]  # rollout keeps C001, C002
    rows = data_rows(export_review(d, tmp_path / "o2", check=check, selected=sel))
    assert set(rows) == {"C001", "C002", "C004"} and rows["C004"]["decision"] == "不通过"
    assert rows["C001"]["phase"] == 2020 and rows["C001"]["coverage_gain_m2"] == 10_000  # a phase is a number
    assert set(open_registry(d).sites()["site_id"]) == {"C001", "C002", "C003", "C004", "C006"}
