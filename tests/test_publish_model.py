"""The published report's content, pure: paragraphs and run-in headings, titles, dates, table grids."""

from __future__ import annotations

import pytest

from xltools.format.spec import load_spec
from xltools.publish.model import date_text, report_content, split_paragraphs
from xltools.reading.document import ReportDocument


@pytest.mark.parametrize(("text", "expected"), [
    ("（一）主动公开情况。公开信息5500条。", [("（一）主动公开情况。公开信息5500条。", "（一）主动公开情况。")]),
    ("（二）强化组织领导", [("（二）强化组织领导", "（二）强化组织领导")]),
    ("（三）2024年，本机关收到申请17件，全部按时答复", [("（三）2024年，本机关收到申请17件，全部按时答复", "")]),
    ("（十一）其他：无", [("（十一）其他：无", "（十一）其他：")]),
    ("一是加强学习。", [("一是加强学习。", "")]),
    ("\u3000\u3000第一段\r\n\r\n  第二段  \n", [("第一段", ""), ("第二段", "")]),
    ("", []),
])
def test_paragraphs_and_run_in_headings(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(p.text, p.lead) for p in split_paragraphs(text)] == expected


def test_dates_are_printed_with_arabic_numerals() -> None:
    assert date_text("2022-01-17") == "2022年1月17日"
    assert date_text("2022-13-01") == "" and date_text(None) == ""


def test_long_titles_break_after_the_unit() -> None:
    spec = load_spec()
    short = report_content(spec, ReportDocument(spec.id, "某某局", 2024))
    assert short.title_lines == ("某某局2024年政府信息公开工作年度报告",)
    long = report_content(spec, ReportDocument(spec.id, "鹤岗市科学技术局", 2021))
    assert long.title_lines == ("鹤岗市科学技术局", "2021年政府信息公开工作年度报告")
    assert long.title == "".join(long.title_lines)


def test_every_table_position_is_covered_exactly_once() -> None:
    spec = load_spec()
    content = report_content(spec, ReportDocument(spec.id))
    shapes = {}
    for block in content.blocks:
        if block.table is None:
            continue
        grid = block.table
        seen: dict[tuple[int, int], str] = {}
        for cell in grid.cells():
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    assert (r, c) not in seen, (grid.id, r, c)
                    seen[(r, c)] = cell.text
        assert len(seen) == grid.n_rows * grid.n_cols
        values = [c for c in grid.cells() if c.kind == "value"]
        assert all(c.text == "" for c in values)  # a blank document prints no numbers at all
        shapes[grid.id] = (grid.n_rows, grid.n_cols, grid.header_rows, len(values))
    assert shapes == {"T2": (14, 4, 0, 10), "T3": (28, 10, 3, 175), "T4": (4, 15, 3, 15)}


def test_only_a_draft_with_errors_has_a_mark() -> None:
    spec = load_spec()
    doc = ReportDocument(spec.id, "某某局", 2024)
    assert report_content(spec, doc).draft == ""
    assert report_content(spec, doc, draft_errors=3).draft == "草稿（有 3 个错误，未经校验通过）"
