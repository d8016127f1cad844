"""The overview page shows the round as the office sees it (issue 15): tiles of the round's state that filter the
table, a chart of only the units that were counted, each once; and, for ``check --report``, tiles of check results
worded for that case. In headless Chromium, like tests/test_overview.py."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import clean_document, run, write_doc

pytestmark = pytest.mark.slow

MARKUP_UNIT = "<b>市审计局</b>&amp;"  # a roster unit whose name looks like markup: shown as typed, never as markup


def _unit(src: Path, inbox: Path, unit: str, i: int, year: int = 2024, error: bool = False,
          name: str | None = None) -> Path:
    """A unit's workbook built in ``src`` (``new --from`` leaves its JSON there) and moved into ``inbox``."""
    doc = clean_document()
    doc["unit"], doc["year"] = unit, year
    doc["meta"] = {"date": "2025-01-20", "level": "部门", "code": f"11320800MB0000{i:03d}X"}
    for cell in ("new_received", "r_granted", "r_total"):
        doc["values"][f"T3.{cell}.natural_person"] += i * 100
        doc["values"][f"T3.{cell}.total"] += i * 100
    doc["texts"]["S1"] = doc["texts"]["S1"].replace("申请3119件", f"申请{3119 + i * 100}件").replace(
        "办结3050件", f"办结{3050 + i * 100}件")  # the text quotes the tables (TEXT_* rules)
    book = write_doc(doc, src, name or unit)
    if error:
        wb = openpyxl.load_workbook(book)
        wb["表四"]["E5"] = 9999
        wb.save(book)
    return Path(shutil.move(book, inbox / book.name))


@pytest.fixture(scope="module")
def round_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A round: two clean units, one sent twice (identical files), one with an error, one of the wrong year, and a
    roster with two units that sent nothing."""
    src, inbox, out = (tmp_path_factory.mktemp(x) for x in ("src", "inbox", "out"))
    first = _unit(src, inbox, "市教育局", 1)
    shutil.copy(first, inbox / "市教育局-副本.xlsx")
    _unit(src, inbox, "市财政局", 2)
    _unit(src, inbox, "市交通局", 3, error=True)
    _unit(src, inbox, "市民政局", 4, year=2023)
    roster = out / "名单.csv"
    roster.write_text("单位名称\n" + "\n".join(("市教育局", "市财政局", "市交通局", "市民政局", "市公安局",
                                               MARKUP_UNIT)) + "\n", encoding="utf-8")
    result = run("consolidate", inbox, "-o", out / "全市.xlsx", "--unit", "××市", "--year", "2024",
                 "--roster", roster)
    assert result.returncode == 1, result.stderr
    return out / "全市-汇总情况.html"


def _tiles(page: Any) -> dict[str, int]:
    return dict(page.eval_on_selector_all(
        "#counts .card", "e => e.map(c => [c.querySelector('span').textContent, +c.querySelector('b').textContent])"))


def _visible_units(page: Any) -> list[str]:
    return sorted(page.eval_on_selector_all(
        "#unit-table tbody tr", "e => e.filter(tr => !tr.hidden).map(tr => tr.cells[0].firstChild.textContent)"))


def test_tiles_show_the_round(browser: Any, round_page: Path) -> None:
    page = browser.new_page()
    page.goto(round_page.as_uri())
    assert _tiles(page) == {"已汇总": 2, "退回": 1, "重复": 1, "年度不符": 1, "未报送": 2}
    assert "本轮报送情况" in page.inner_text("h2.tiles")
    # every file and every roster unit is a row; the page counts files, not rows
    assert page.locator("#unit-table tbody tr").count() == 7
    assert "共 5 个文件" in page.inner_text(".meta") and "计入汇总 2 个单位" in page.inner_text(".meta")
    # a tile filters the table to its units; a second click shows all again
    page.click("#counts .card.missing")
    assert _visible_units(page) == sorted(["市公安局", MARKUP_UNIT])
    assert page.get_attribute("#counts .card.missing", "aria-pressed") == "true"
    assert page.inner_text("#shown") == "显示 2 / 7 个"
    page.click("#counts .card.duplicate")
    assert _visible_units(page) == ["市教育局"]
    page.click("#counts .card.rejected")
    assert _visible_units(page) == ["市交通局"]
    page.click("#counts .card.wrong_year")
    assert _visible_units(page) == ["市民政局"]
    page.click("#counts .card.included")
    assert _visible_units(page) == ["市教育局", "市财政局"]
    page.click("#counts .card.included")
    assert page.inner_text("#shown") == "显示 7 / 7 个"
    assert page.eval_on_selector_all("#counts .card[aria-pressed=true]", "e => e.length") == 0
    # the markup-like name is text (autoescape), and the page needs nothing from outside
    assert page.locator("#unit-table b").count() == 0
    assert page.locator("script[src], link[href], img[src]").count() == 0
    page.close()


def test_chart_has_only_the_counted_units_each_once(browser: Any, round_page: Path) -> None:
    page = browser.new_page()
    page.goto(round_page.as_uri())
    names = page.eval_on_selector_all("#chart g.bar > text:first-child", "e => e.map(t => t.textContent)")
    assert sorted(names) == ["市教育局", "市财政局"]
    assert page.inner_text("#chart-caption") == "图中只含已汇总的 2 个单位。"
    base = clean_document()["values"]["T3.new_received.total"]
    assert page.eval_on_selector("#totals .card b", "b => b.textContent") == str(2 * base + 300)
    bars = dict(page.eval_on_selector_all(
        "#chart g.bar", "e => e.map(g => [g.querySelector('text').textContent, g.lastElementChild.textContent])"))
    assert bars["市财政局"].startswith(f"{base + 200} / ")
    page.close()


def test_a_round_without_roster_shows_only_the_states_that_occur(browser: Any, tmp_path: Path) -> None:
    src, inbox = tmp_path / "src", tmp_path / "inbox"
    src.mkdir()
    inbox.mkdir()
    _unit(src, inbox, "市教育局", 1)
    _unit(src, inbox, "市民政局", 2, year=2023)
    result = run("consolidate", inbox, "-o", tmp_path / "全市.xlsx", "--unit", "××市", "--year", "2024")
    assert result.returncode == 1, result.stderr
    page = browser.new_page()
    page.goto((tmp_path / "全市-汇总情况.html").as_uri())
    assert _tiles(page) == {"已汇总": 1, "年度不符": 1}
    assert page.inner_text("#chart-caption") == "图中只含已汇总的 1 个单位。"
    page.close()


def test_check_report_tiles_are_check_results(browser: Any, tmp_path: Path) -> None:
    src, inbox = tmp_path / "src", tmp_path / "inbox"
    src.mkdir()
    inbox.mkdir()
    _unit(src, inbox, "市教育局", 1)
    _unit(src, inbox, "市交通局", 2, error=True)
    page_file = tmp_path / "校验情况.html"
    result = run("check", inbox, "--report", page_file)
    assert result.returncode == 1, result.stderr
    page = browser.new_page()
    page.goto(page_file.as_uri())
    assert _tiles(page) == {"校验通过": 1, "有警告": 0, "有错误": 1, "无法读取": 0}
    assert "校验结果" in page.inner_text("h2.tiles") and "本轮报送情况" not in page.content()
    assert "修改后才能计入汇总" in page.inner_text("#counts .card.errors")
    page.click("#counts .card.errors")
    assert _visible_units(page) == ["市交通局"]
    assert page.inner_text("#chart-caption") == "图中为能读取的 2 个文件。"
    assert page.locator("#chart g.bar").count() == 2
    page.close()
