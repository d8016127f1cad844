"""The office's overview page (``check DIR --report``, and beside every consolidation) in headless Chromium:
every unit, its status and findings, totals, the chart; filtering and sorting work without a server."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import clean_document, run, write_doc

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, src = tmp_path_factory.mktemp("inbox"), tmp_path_factory.mktemp("src")  # new --from leaves JSON in src
    for i, unit in enumerate(("市教育局", "市民政局", "市财政局", "市交通局")):
        doc = clean_document()
        doc["unit"] = unit
        doc["meta"] = {"date": "2025-01-20", "level": "部门", "code": f"11320800MB0000{i:03d}X"}
        doc["values"]["T3.new_received.natural_person"] += i * 100
        doc["values"]["T3.new_received.total"] += i * 100
        doc["values"]["T3.r_granted.natural_person"] += i * 100
        doc["values"]["T3.r_granted.total"] += i * 100
        doc["values"]["T3.r_total.natural_person"] += i * 100
        doc["values"]["T3.r_total.total"] += i * 100
        book = Path(shutil.move(write_doc(doc, src, unit), folder / f"{unit}.xlsx"))
        if unit == "市交通局":
            wb = openpyxl.load_workbook(book)
            wb["表四"]["E5"] = 9999
            wb.save(book)
    (folder / "坏文件.xlsx").write_bytes(b"not a workbook")
    return folder


def test_check_report_page(browser: Any, inbox: Path, tmp_path: Path) -> None:
    page_file = tmp_path / "overview.html"
    result = run("check", inbox, "--report", page_file)
    assert result.returncode == 2  # one file could not be read
    assert page_file.is_file() and "汇总情况网页" in result.stderr
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(page_file.as_uri())
    rows = page.locator("#unit-table tbody tr")
    assert rows.count() == 5
    units = page.eval_on_selector_all("#unit-table tbody tr td:first-child",
                                      "e => e.map(x => x.firstChild.textContent)")
    assert sorted(units) == ["市交通局", "市教育局", "市民政局", "市财政局", "（单位不明）"]
    statuses = dict(page.eval_on_selector_all(
        "#unit-table tbody tr", "e => e.map(tr => [tr.cells[0].firstChild.textContent, tr.dataset.status])"))
    assert statuses["市交通局"] == "errors" and statuses["（单位不明）"] == "unreadable"
    assert statuses["市教育局"] == "ok"
    # the findings of the unit with an error, with where and which rule
    details = page.locator("tr[data-status=errors] details")
    details.locator("summary").click()
    assert "表四!E5" in details.inner_text() and "T4_GROUP_TOTAL" in details.inner_text()
    # filtering by text and by status
    page.fill("#filter", "民政")
    assert [r.is_visible() for r in rows.all()].count(True) == 1
    assert page.inner_text("#shown") == "显示 1 / 5 个"
    page.fill("#filter", "")
    page.select_option("#status", "errors")
    visible = [r for r in rows.all() if r.is_visible()]
    assert len(visible) == 1 and "市交通局" in visible[0].inner_text()
    page.select_option("#status", "")
    # sorting by 本年新收申请, largest first on the second click
    header = page.locator("#unit-table thead th", has_text="本年新收申请")
    header.click()
    header.click()
    first = page.eval_on_selector("#unit-table tbody tr", "tr => tr.cells[0].firstChild.textContent")
    assert first == "市交通局"
    # the chart has a bar per readable unit, and the totals are over the readable files
    assert page.locator("#chart g.bar").count() == 4
    base = clean_document()["values"]["T3.new_received.total"]
    totals = page.eval_on_selector_all("#totals .card b", "e => e.map(x => x.textContent)")
    assert totals[0] == str(4 * base + 600)
    assert page.locator("script[src], link[href], img[src]").count() == 0  # self-contained
    shot = tmp_path / "overview.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    page.close()


def test_consolidation_page_lists_the_missing_and_counts_only_the_included(browser: Any, inbox: Path,
                                                                           tmp_path: Path) -> None:
    roster = tmp_path / "名单.csv"
    roster.write_text("单位名称\n市教育局\n市民政局\n市财政局\n市交通局\n市公安局\n", encoding="utf-8")
    out = tmp_path / "全市.xlsx"
    result = run("consolidate", inbox, "-o", out, "--unit", "××市", "--year", "2024", "--roster", roster)
    assert result.returncode == 1
    page = browser.new_page()
    page.goto((tmp_path / "全市-汇总情况.html").as_uri())
    assert "市公安局" in page.inner_text("#totals .missing")
    assert "计入汇总 3 个单位" in page.inner_text(".meta")
    fates = dict(page.eval_on_selector_all(
        "#unit-table tbody tr", "e => e.map(tr => [tr.cells[0].firstChild.textContent, tr.cells[3].textContent])"))
    assert fates["市交通局"] == "退回（有错误）" and fates["市教育局"] == "已汇总"
    base = clean_document()["values"]["T3.new_received.total"]
    assert page.eval_on_selector("#totals .card b", "b => b.textContent") == str(3 * base + 300)
    page.close()
