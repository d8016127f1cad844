"""The three sheets a consolidated workbook adds after the report: 汇总明细 (one row per counted unit with all its
numbers, so every city number is the sum of its column), 报送情况 (every input and every roster unit with what
happened to it, a report imported from Word/PDF marked as such) and 汇总构成 (every unit counted, also inside
consolidated inputs, for the next level up)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from xltools.consolidate.collect import UnitResult
from xltools.consolidate.decide import Entry, who
from xltools.consolidate.formats import values_in
from xltools.format.spec import FormatSpec
from xltools.reading.reader import COMPOSITION_SHEET
from xltools.workbook.writer import DataSheet

DETAIL_SHEET, STATUS_SHEET = "汇总明细", "报送情况"
CHECK_ZH = {"ok": "通过", "warnings": "有警告", "errors": "有错误", "unreadable": "无法读取"}
DETAIL_FIXED = ["单位", "层级", "代码", "文件", "校验结果", "错误", "警告"]


def _detail_rows(units: Sequence[UnitResult], spec: FormatSpec) -> Iterator[list[Any]]:
    for u in units:
        checked = CHECK_ZH[u.status] + (f"（由 {u.imported} 导入）" if u.imported else "")
        yield [u.unit or "", u.level, u.code, u.file, checked, u.errors, u.warnings, *values_in(u, spec)]


def _status_rows(entries: Sequence[Entry]) -> Iterator[list[Any]]:
    for e in entries:
        r, roster = e.result, e.roster
        yield [who(e), (r.code if r else "") or "", (r.level if r else "") or (roster.level if roster else ""),
               roster.parent if roster else "", e.label, r.file if r else "",
               e.reason or (CHECK_ZH[r.status] if r else "")]


def _composition_rows(units: Sequence[UnitResult]) -> Iterator[list[Any]]:
    for u in units:
        if u.is_summary:
            yield from ([name, code, f"经“{u.unit}”汇总", u.file] for name, code in u.constituents)
        else:
            yield [u.unit or "", u.code, "直接报送", u.file]


def data_sheets(spec: FormatSpec, entries: Sequence[Entry]) -> list[DataSheet]:
    """The three sheets, their rows made as they are written (100,000 units are never held as rows)."""
    included = [e.result for e in entries if e.included and e.result is not None]
    header = DETAIL_FIXED + [f"{c.sheet}{c.address} {c.row_label}｜{c.col_label}〔{c.id}〕" for c in spec.number_cells]
    detail = DataSheet(DETAIL_SHEET, header, _detail_rows(included, spec), {0: 28, 3: 40}, sums_from=len(DETAIL_FIXED))
    status = DataSheet(STATUS_SHEET, ["单位", "代码", "层级", "上级单位", "状态", "文件", "说明"],
                       _status_rows(entries), {0: 28, 4: 16, 5: 40, 6: 60})
    parts = DataSheet(COMPOSITION_SHEET, ["单位", "代码", "来源", "文件"], _composition_rows(included),
                      {0: 28, 2: 28, 3: 40})
    return [detail, status, parts]
