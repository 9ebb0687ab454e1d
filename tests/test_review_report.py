"""The printable review report: escaped, self-contained, A4 print CSS, and (acceptance 4) it prints to PDF in
headless Chromium with the Chinese text present.

The browser test is skipped when /usr/bin/chromium (or $SITEPLAN_CHROMIUM) is missing, unless
SITEPLAN_REQUIRE_BROWSER=1. It needs poppler-utils (pdfinfo, pdftotext, pdftoppm) or pypdf for the checks; page 1
is rendered to test-artifacts/review_report_page1.png (git-ignored) with pdftoppm.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from review_fixtures import make_check, make_district, make_selected

from siteplan.pipeline import RunContext, base_summary
from siteplan.review import export_review, import_review, open_registry
from siteplan.review import registry as R
from siteplan.review.report import FONT_STACK, render_report, write_report

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
EVIL = '<script>alert("x")</script>'


@pytest.fixture
def district(tmp_path):
    d = make_district(tmp_path)
    return d


def _check_with_flags():
    c = make_check()
    c.loc[3, "reasons"] = "EMF_SENSITIVE_RECEPTOR"
    c.loc[3, "reasons_zh"] = "电磁环境敏感目标位于合规距离内"
    c.loc[3, "status"] = "conditional"
    c.loc[3, "name"] = EVIL
    return c


def test_report_escapes_and_is_self_contained(district, tmp_path):
    check = _check_with_flags()
    export_review(district, tmp_path / "o", check=check)
    html = render_report(district, check=check, export_id="abc")
    assert EVIL not in html and "&lt;script&gt;" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "external request in the report"
    assert "@import" not in html and "url(" not in html
    assert "size: A4;" in html and "page-break-before: always" in html
    assert FONT_STACK in html and '"Noto Sans CJK SC"' in html
    assert html.count('src="data:image/png;base64,') == 1
    assert '<meta name="siteplan:config_sha256" content="' in html  # provenance for tools (item 8)
    assert "样例数据 SAMPLE DATA" in html
    # targets with their due dates, the rollout-not-run note, the EMF flag, the inputs' hashes, the parameters
    for needle in ("基本覆盖", "2020-12-31", "2022-12-31", "建设时序（站址优选）未运行", "电磁环境提示", "C004",
                   "0" * 64, "award.per_site_cny", "radio.rsrp_threshold_dbm", "覆盖与站址优选未运行"):
        assert needle in html, needle


def test_report_shows_progress_and_award(district, tmp_path):
    check = make_check()
    sel = make_selected(check)
    export_review(district, tmp_path / "o", check=check, selected=sel)
    reg = open_registry(district)
    with R.transaction(reg.path) as conn:
        for sid in ("C001", "C002"):
            R.transition(conn, sid, "under_review", when="2020-05-01")
            R.transition(conn, sid, "approved", when="2020-05-02", decision="通过")
    R.advance(reg, "C001", "under_construction", when="2020-06-01", who="x")
    R.advance(reg, "C001", "in_service", when="2020-09-30", who="x")
    phase = {"id": "2020", "sites": 3, "target_sites": 3,
             "coverage": {"outdoor": {"covered_share": 0.9512}, "indoor": {"covered_share": 0.61},
                          "by_subdistrict": [{"name": "测试街道", "area_km2": 1.5, "outdoor_share": 0.9,
                                              "indoor_share": 0.5}],
                          "hotspots": {"healthcare": {"label": "healthcare: 2/3 covered", "covered": 2,
                                                      "indoor_covered": 1, "total": 3}}},
             "goal": {"met": False, "area_share": 0.88, "goal": {"share": 0.9, "layer": "outdoor", "area": "core"},
                      "why": ["the phase's 3 sites are too few"]}}
    savings = {"free_public_property_sites": 1, "free_public_property_cny_per_year": 30000.0,
               "direct_supply_sites": 2, "direct_supply_cny_per_year": 25000.0, "retrofit_potential_cny_per_year": 0.0,
               "total_cny_horizon": 550000.0}
    summary = {"coverage": {"radio": {"rsrp_threshold_dbm": -105.0, "sinr_threshold_db": -3.0,
                                      "uplink": {"edge_rate_mbps": 1.0}}},
               "networks": [{"key": "ctcu", "short_zh": "电信联通"}],
               "plan": {"networks": {"ctcu": {"name_zh": "电信联通网络", "phases": [phase]}},
                        "phases": [{"id": "2020", "sites": 3, "target_sites": 3,
                                    "views": {"outdoor": {"every_network": 0.9512, "any_network": 0.9512},
                                              "indoor": {"every_network": 0.61, "any_network": 0.61}}}],
                        "money": {"award": {"stations": 3, "award_cny": 6e4}, "tco_cny": 1.2e6, "horizon_years": 10,
                                  "savings": {"total": savings, "ctcu": savings}},
                        "sharing": {"share_ratio": 0.25}, "search_requests": {"count": 2}}}
    html = render_report(district, check=check, selected=sel, summary=summary)
    assert "95.1%" in html and "2020-09-30" in html
    # the covered test as the tool applies it: RSRP, SINR and the uplink
    flat = " ".join(html.split())
    assert "，且上行边缘速率可达 1.0 Mbit/s，为覆盖" in flat and "carries 1.0 Mbit/s at the cell edge" in flat
    assert "测试街道" in html and "90.0% / 50.0%" in html and "2/3" in html
    assert "20,000" in html  # award per site from the district config
    # Per network, with the goal's verdict and why; the savings of the work plan's two cost measures.
    assert "电信联通网络" in html and "too few" in html and "88.0%" in html
    assert "公共资源免费开放" in html and "直供电" in html and "30,000" in html and "550,000" in html
    assert "建设时序（站址优选）未运行" not in html


def test_step_without_rollout(district, tmp_path):
    from siteplan.review import step

    out = tmp_path / "run"
    out.mkdir()
    ctx = RunContext(district=district, out_dir=out, summary=base_summary(district))
    ctx.results["check"] = make_check()
    step.run(ctx)
    names = {p.name for p in ctx.written}
    assert names == {"review_workbook.xlsx", "review_report.html"}
    s = ctx.summary["review"]
    assert s["rollout_run"] is False and s["rows"] == 5 and s["status"]["counts"]["proposed"] == 5
    assert "建设时序（站址优选）未运行" in (out / "review_report.html").read_text(encoding="utf-8")


def _chromium() -> str:
    exe = os.environ.get("SITEPLAN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        msg = "Chromium not installed (run .ci/install-browser.sh)"
        if os.environ.get("SITEPLAN_REQUIRE_BROWSER") == "1":
            pytest.fail(msg + " and SITEPLAN_REQUIRE_BROWSER=1")
        pytest.skip(msg)
    return exe


def _pdf_pages_and_text(pdf: Path) -> tuple[int, str]:
    try:
        from pypdf import PdfReader

        r = PdfReader(str(pdf))
        return len(r.pages), "\n".join(p.extract_text() or "" for p in r.pages)
    except ImportError:
        if not shutil.which("pdfinfo"):
            pytest.skip("neither pypdf nor poppler-utils (pdfinfo/pdftotext) installed")
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
        txt = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                             check=True).stdout
        return pages, txt


def _print_to_pdf(exe: str, html: Path, tmp_path: Path) -> Path:
    """Headless Chromium's print-to-PDF without the browser's own header/footer (the page brings its own)."""
    pdf = tmp_path / "review_report.pdf"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
           html.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert pdf.exists() and pdf.stat().st_size > 10_000, proc.stderr[-2000:]
    return pdf


def _page_text(pdf: Path, page: int) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) not installed")
    txt = subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", txt))


@pytest.mark.browser
def test_printed_report_is_an_official_document(district, tmp_path):
    """Issue 12, item 4: issuing body, document number and date fields, "第 x 页 共 y 页" on every page, and the
    编制 / 审核 / 批准 sign-off block with a seal area, as they come out of print-to-PDF."""
    exe = _chromium()
    district.config.review.units["planning"] = "测试市规划和自然资源局测试分局"
    check = make_check()
    export_review(district, tmp_path / "o", check=check, selected=make_selected(check))
    pdf = _print_to_pdf(exe, write_report(district, tmp_path / "o", check=check), tmp_path)
    pages, _ = _pdf_pages_and_text(pdf)
    texts = [_page_text(pdf, i) for i in range(1, pages + 1)]
    for i, t in enumerate(texts, start=1):
        assert f"第{i}页共{pages}页" in t, (i, t[-200:])
    first, body = texts[0], "".join(texts)
    assert "测试市规划和自然资源局测试分局" in first and "文号" in first and "发文日期" in first
    for word in ("审查意见与签署", "编制", "审核", "批准", "签名", "盖章"):
        assert word in body, word
    assert "样例数据SAMPLEDATA" in first


@pytest.mark.browser
def test_report_prints_to_a4_pdf_with_chinese(district, tmp_path):
    exe = _chromium()
    check = _check_with_flags()
    sel = make_selected(check)
    wb = export_review(district, tmp_path / "o", check=check, selected=sel)
    from review_fixtures import fill

    import_review(district, fill(wb, tmp_path / "f.xlsx", {"C001": ("通过", "", "张三", "2020-06-01")}))
    html = write_report(district, tmp_path / "o", check=check, selected=sel)
    pdf = _print_to_pdf(exe, html, tmp_path)
    pages, text = _pdf_pages_and_text(pdf)
    assert 2 <= pages <= 12
    # NFKC: PDF text layers map some CJK glyphs to Kangxi radicals (⽬ U+2F6C for 目).
    flat = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    for zh in ("5G基站站址审查报告", "目标进展", "奖励测算", "基本覆盖"):
        assert zh in flat, zh  # Chinese glyphs made it into the PDF's text layer (a CJK font was found)
    assert b"/MediaBox [0 0 594.9" in pdf.read_bytes() or "A4" in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(pdf, ARTIFACTS / "review_report.pdf")
    if not shutil.which("pdftoppm"):
        if os.environ.get("SITEPLAN_REQUIRE_BROWSER") == "1":
            pytest.fail("pdftoppm (poppler-utils) missing: cannot render the page image")
        pytest.skip("pdftoppm (poppler-utils) missing: page image not rendered")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(ARTIFACTS / "review_report_page1")], check=True, timeout=60)
    png = ARTIFACTS / "review_report_page1.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
