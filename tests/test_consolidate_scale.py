"""``consolidate`` at province scale: level by level (county → city → province) through 汇总构成, the overview of a
large round on linked pages, compact per-unit results, and --annotate-dir copies written by the reading workers
only for the units with errors."""

from __future__ import annotations

import pickle
import re
import shutil
import sys
import tracemalloc
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest
from helpers import clean_document, department, run
from test_consolidate import dump, finish, sheet_rows, status_of

from xltools.atomic import OutputExists
from xltools.checking.check import check_file
from xltools.consolidate import overview
from xltools.consolidate.collect import KEPT_FINDINGS, PackedNumbers, notes, read_unit
from xltools.consolidate.consolidation import consolidate, this_run_files
from xltools.format.findings import Finding

BASE = clean_document()["values"]["T3.new_received.total"]


def level(folder: Path, out: Path, unit: str, *inputs: Path) -> Path:
    """One level's consolidation of ``inputs`` (default: ``folder``), finished as the office does before sending it
    up (date and text sections filled in)."""
    result = run("consolidate", *(inputs or (folder,)), "-o", out, "--unit", unit, "--year", "2024")
    assert result.returncode == 0, result.stdout + result.stderr
    finish(out)
    return out


def test_county_city_province_level_by_level(tmp_path: Path) -> None:
    county_a, county_b, city_x, city_y = (tmp_path / n for n in ("甲县", "乙县", "甲市本级", "乙市"))
    department(county_a, "甲县教育局", bump=1)
    department(county_a, "甲县民政局", bump=2)
    department(county_b, "乙县教育局", bump=3)
    department(city_x, "甲市教育局", bump=4)
    department(city_y, "乙市教育局", bump=5)
    department(city_y, "乙市民政局", bump=6)
    ups = tmp_path / "上报"
    ups.mkdir()
    a = level(county_a, ups / "甲县.xlsx", "甲县人民政府")
    b = level(county_b, ups / "乙县.xlsx", "乙县人民政府")
    x = level(city_x, tmp_path / "甲市.xlsx", "甲市人民政府", tmp_path / "甲市本级", a, b)
    y = level(city_y, tmp_path / "乙市.xlsx", "乙市人民政府")
    province = tmp_path / "全省.xlsx"
    result = run("consolidate", x, y, "-o", province, "--unit", "某省人民政府", "--year", "2024")
    assert result.returncode == 0, result.stdout + result.stderr
    # every number is the sum of the six departments, whatever the path they came up by
    assert dump(province)["values"]["T3.new_received.total"] == 6 * BASE + (1 + 2 + 3 + 4 + 5 + 6)
    assert sorted((r[0], r[2]) for r in sheet_rows(province, "汇总构成")[1:]) == sorted([
        ("乙市教育局", "经“乙市人民政府”汇总"), ("乙市民政局", "经“乙市人民政府”汇总"),
        ("乙县教育局", "经“甲市人民政府”汇总"), ("甲县教育局", "经“甲市人民政府”汇总"),
        ("甲县民政局", "经“甲市人民政府”汇总"), ("甲市教育局", "经“甲市人民政府”汇总")])
    assert [r[0] for r in sheet_rows(province, "汇总明细")[1:]] == ["甲市人民政府", "乙市人民政府", "合计"]
    # a county handed in again beside the city that already holds it: refused, never counted twice
    again = tmp_path / "全省2.xlsx"
    result = run("consolidate", x, y, a, "-o", again, "--unit", "某省人民政府", "--year", "2024")
    assert result.returncode == 1
    assert status_of(again)["重复计算（已含在汇总中）"] == ["甲县人民政府"]
    assert dump(again)["values"]["T3.new_received.total"] == 6 * BASE + 21


def _rows(page: Path) -> list[str]:
    """The unit names in a page's table, in order."""
    html = page.read_text(encoding="utf-8")
    return [unescape(m) for m in re.findall(r'<tr data-status="[^"]*"[^>]*>\n<td>([^<]*)<', html)]


def test_a_large_round_continues_on_linked_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overview, "PAGE_ROWS", 2)
    inbox = tmp_path / "inbox"
    names = [f"市第{i}局" for i in range(5)]
    for name in names:
        department(inbox, name)
    out = tmp_path / "out" / "全市.xlsx"
    result = consolidate([str(inbox)], out, unit="××市", year=2024)
    pages = [out.with_name("全市-汇总情况.html"), out.with_name("全市-汇总情况-第2页.html"),
             out.with_name("全市-汇总情况-第3页.html")]
    assert sorted(p.name for p in out.parent.glob("*.html")) == sorted(p.name for p in pages)
    shown = [_rows(p) for p in pages]
    assert [len(rows) for rows in shown] == [2, 2, 1]
    assert sorted(name for rows in shown for name in rows) == sorted(names)  # every unit once
    for n, page in enumerate(pages, start=1):
        html = page.read_text(encoding="utf-8")
        assert f"第 {n} 页" in html and "共 5 个" in html
        links = {unquote(h) for h in re.findall(r'<a href="([^"]+\.html)"', html)}
        assert links == {p.name for p in pages} - {page.name}  # the other pages, by name beside it
        assert re.search(r'data-filter="included"[^>]*><span>已汇总</span><b>5</b>', html)  # the whole round
    # the check of the consolidated report (made on the report without the detail sheets) is check's
    written = check_file(out)
    assert [(f.rule, f.where, f.message) for f in result.report.findings] == [
        (f.rule, f.where, f.message) for f in written.findings] and result.report.findings
    assert result.report.file == str(out) and result.report.values == written.values
    # an earlier run's pages in a folder of inputs are this run's files, not units' reports
    assert set(pages) <= set(this_run_files(out, None, True))
    again = consolidate([str(inbox)], out, unit="××市", year=2024, overwrite=True)
    assert [e.status for e in again.entries] == [e.status for e in result.entries] == ["included"] * 5
    for p in (out, *pages[:2]):
        p.unlink()
    with pytest.raises(OutputExists, match="第3页"):  # a page of an earlier run in the way: refused before reading
        consolidate([str(inbox)], out, unit="××市", year=2024)
    assert not out.exists()


def test_numbers_are_packed_and_read_as_they_were(tmp_path: Path) -> None:
    numbers = (0, 3, None, 12.5, 10 ** 400, -7, 2 ** 70, None)
    packed = PackedNumbers(numbers)
    assert tuple(packed) == packed.unpack() == numbers and len(packed) == len(numbers)
    assert packed[3] == 12.5 and packed[4] == 10 ** 400 and packed[1:3] == (3, None)
    again = pickle.loads(pickle.dumps(packed))
    assert again == packed and again == numbers and tuple(again) == numbers
    unit = read_unit(str(department(tmp_path, "市教育局")))
    assert isinstance(unit.values, PackedNumbers) and len(unit.values) == 200
    # a department's 200 numbers: a few hundred bytes in memory (a tuple's pointers alone take 1.6 KB) and fewer
    # between processes than the tuple's
    assert len(pickle.dumps(unit.values)) < len(pickle.dumps(unit.numbers()))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = [PackedNumbers(unit.numbers()) for _ in range(1000)]
        each = (tracemalloc.get_traced_memory()[0] - before) / len(held)
    finally:
        tracemalloc.stop()
    assert each < 400 < sys.getsizeof(unit.numbers()) / 4
    assert unit.value("T3.new_received.total") == BASE


def _finding(rule: str, severity: str, where: str) -> Finding:
    return Finding(rule, severity, {"zh": f"{rule} 的说明", "en": "x"}, {"zh": "改", "en": "fix"}, "src",
                   sheet=where)


def test_findings_are_kept_as_notes_errors_first_at_most_fifty(tmp_path: Path) -> None:
    kept = notes([_finding("W1", "warning", "表二"), _finding("I1", "info", "表二"), _finding("E1", "error", "表三")])
    assert [(n.rule, n.severity, n.where, n.message) for n in kept] == [
        ("E1", "error", "表三", "E1 的说明"), ("W1", "warning", "表二", "W1 的说明")]
    book = department(tmp_path / "inbox", "市交通局")
    wb = openpyxl.load_workbook(book)
    changed = 0
    for row in wb["表三"].iter_rows(min_row=5, max_row=30, min_col=3, max_col=9):
        for cell in row:
            if isinstance(cell.value, int | float) and changed < 70:
                cell.value, changed = -1, changed + 1
    wb.save(book)
    unit = read_unit(str(book))
    assert (unit.errors, len(unit.findings), unit.more_findings) == (70, KEPT_FINDINGS, 70 - KEPT_FINDINGS)
    assert {(n.rule, n.severity) for n in unit.findings} == {("VALUE_NEGATIVE", "error")}
    department(tmp_path / "inbox", "市民政局")
    page = tmp_path / "全市-汇总情况.html"
    consolidate([str(tmp_path / "inbox")], tmp_path / "全市.xlsx", unit="××市", year=2024)
    html = page.read_text(encoding="utf-8")
    assert "70 条问题" in html and f"还有 {70 - KEPT_FINDINGS} 条" in html
    assert html.count("VALUE_NEGATIVE：") == KEPT_FINDINGS


def _copies_run(inbox: Path, back: Path, *extra: str) -> Any:
    return run("consolidate", inbox, "-o", inbox.parent / "全市.xlsx", "--unit", "××市", "--year", "2024",
               "--annotate-dir", back, "--overwrite", *extra)


def test_copies_only_for_units_with_errors_and_it_says_so(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    department(inbox, "市教育局")
    department(inbox, "市交通局", error=True)  # sent back: gets its copy
    department(inbox, "市文旅局", year=2023, error=True)  # the wrong year: listed as such, no copy
    back = tmp_path / "退回"
    result = _copies_run(inbox, back)
    assert result.returncode == 1, result.stderr
    assert sorted(p.name for p in back.iterdir()) == ["市交通局-校验结果.xlsx"]  # no staging folder left either
    assert "已在" in result.stdout and "生成 1 份退回修改的工作簿：只为有错误、需要修改的单位" in result.stdout
    copy = openpyxl.load_workbook(back / "市交通局-校验结果.xlsx")
    assert copy.sheetnames[-1] == "校验结果"
    assert {r[1] for r in list(copy["校验结果"].iter_rows(values_only=True))[2:]} == {
        "T3_ROW_TOTAL", "T3_COL_BALANCE"}
    # --include-invalid: the unit with errors is counted, and still gets its copy to fix
    result = _copies_run(inbox, back, "--include-invalid")
    assert status_of(tmp_path / "全市.xlsx")["已汇总（有错误）"] == ["市交通局"]
    assert sorted(p.name for p in back.iterdir()) == ["市交通局-校验结果.xlsx"]
    # nobody to send back: no copy, and the folder this run would have made is not left behind
    clean = tmp_path / "clean"
    clean.mkdir()
    shutil.copy(inbox / "市教育局.xlsx", clean)
    none = tmp_path / "无"
    result = _copies_run(clean, none)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "没有生成退回修改的工作簿：只为有错误" in result.stdout and not none.exists()
