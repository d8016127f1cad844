"""The exported web page in headless Chromium (the browser users have): tables have the official rows and columns
under the right headers, the page makes no requests and fits a phone screen."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import EXAMPLE_XLSX, clean_document, export, hand_checked, official_format, write_doc

OFFICIAL = official_format()["tables"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("html")
    doc = clean_document()
    book = write_doc(doc, folder)
    out = folder / "report.html"
    result = export(book, "-o", out)
    assert result.returncode == 0, result.stderr
    return out, doc


# For every number cell: the text of the lowest header above it and of the right-most row label left of it,
# found by position on the rendered page, not by reading the markup.
GEOMETRY_JS = """
table => {
  const box = e => e.getBoundingClientRect();
  const heads = [...table.querySelectorAll('thead th')];
  const rowheads = [...table.querySelectorAll('tbody th')];
  return [...table.querySelectorAll('tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => {
    const b = box(td), x = (b.left + b.right) / 2, y = (b.top + b.bottom) / 2;
    const col = heads.filter(h => box(h).left <= x && x <= box(h).right).sort((p, q) => box(q).top - box(p).top)[0];
    const row = rowheads.filter(h => box(h).top <= y && y <= box(h).bottom && box(h).right <= b.left)
                        .sort((p, q) => box(q).right - box(p).right)[0];
    return {id: td.dataset.cell, text: td.textContent.trim(), col: col && col.textContent.trim(),
            row: row && row.textContent.trim()};
  }));
}
"""


def test_table_three_has_25_rows_of_7_numbers_under_the_right_headers(browser: Any, page_file: Any) -> None:
    path, doc = page_file
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.as_uri())
    rows = page.locator("#table-T3").evaluate(GEOMETRY_JS)
    official = OFFICIAL["T3"]
    assert len(rows) == 25 and all(len(r) == 7 for r in rows)
    for row, row_spec in zip(rows, official["rows"], strict=True):
        for cell, col_spec in zip(row, official["columns"], strict=True):
            cell_id = f"T3.{row_spec['id']}.{col_spec['id']}"
            assert (cell["id"], cell["row"], cell["col"]) == (cell_id, row_spec["label"], col_spec["label"])
            assert cell["text"] == str(doc["values"][cell_id])
    page.close()


def test_tables_two_and_four_and_the_sections(browser: Any, page_file: Any) -> None:
    path, doc = page_file
    page = browser.new_page()
    page.goto(path.as_uri())
    shown = page.eval_on_selector_all("td[data-cell]", "tds => tds.map(td => [td.dataset.cell, td.textContent])")
    assert len(shown) == 10 + 175 + 15
    assert {k: v for k, v in shown} == {k: str(v) for k, v in doc["values"].items()}
    t4 = page.locator("#table-T4").evaluate(GEOMETRY_JS)
    leaves = [c["label"] for c in OFFICIAL["T4"]["columns_per_group"]]
    assert [c["col"] for c in t4[0]] == leaves * 3
    assert page.eval_on_selector_all("#table-T4 thead tr:first-child th", "e => e.map(x => x.textContent)") == [
        "行政复议", "行政诉讼"]
    headings = page.eval_on_selector_all("h2", "e => e.map(x => x.textContent)")
    assert headings == [s["title"] for s in official_format()["sections"]]
    assert page.inner_text("h1") == "淮安市人民政府（全市汇总）\n2024年政府信息公开工作年度报告"
    assert page.inner_text("#S6 p") == doc["texts"]["S6"]
    signature = [x for x in page.inner_text(".signature").split("\n") if x]
    assert signature == ["淮安市人民政府（全市汇总）", "2025年1月20日"]
    page.close()


def test_page_is_self_contained_and_fits_a_phone(browser: Any, page_file: Any, tmp_path: Path) -> None:
    path, _ = page_file
    source = path.read_text(encoding="utf-8")
    assert "<script" not in source and "<link" not in source and "http" not in source.split("<body")[1]
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    assert requests == [path.as_uri()]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # the wide tables scroll inside their own box; the text never runs off the screen
    wrap = page.locator("#S3 .table-wrap")
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")
    font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#S1 p')).fontSize)")
    assert font >= 15
    shot = tmp_path / "phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    page.close()


def test_seed_example_page(browser: Any, tmp_path: Path) -> None:
    book = tmp_path / EXAMPLE_XLSX.name
    shutil.copy(EXAMPLE_XLSX, book)
    out = tmp_path / "seed.html"
    assert export(book, "-o", out, "--force").returncode == 1  # the seed lacks section 六
    page = browser.new_page()
    page.goto(out.as_uri())
    shown = dict(page.eval_on_selector_all("td[data-cell]", "tds => tds.map(td => [td.dataset.cell, td.textContent])"))
    expected = hand_checked("heilongjiang-hegang-kejiju-2021")["values"]
    assert shown == {k: str(v) for k, v in expected.items()}
    assert page.inner_text("#S1 p strong") == "（一）强化组织领导"
    assert page.locator("#S6 p").count() == 0
    page.close()
