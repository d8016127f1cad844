"""Keeping the 情况说明 sheet up to date (the 校验 button, ``check --annotate``): every explanation a clerk wrote is
kept as written, and every warning or information finding without a row gets one, with an empty yellow 情况说明
cell to type into. Rows without a text whose finding has gone are dropped; explanations whose finding has gone
stay (the check reports them as stale, the clerk deletes them). ``fill``, ``clear-flags`` and the flags never touch
the sheet.

The reading side is ``xltools.reading.explanations``; the matching ``xltools.checking.explanations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xltools.checking.check import CheckReport
from xltools.checking.explanations import finding_key, row_cell
from xltools.format.spec import load_spec
from xltools.reading.explanations import (
    EXPLANATION_HEADER,
    EXPLANATION_SHEET,
    TITLE,
    WIDTHS,
    ExplanationRow,
    explanation_rows,
)
from xltools.workbook.port import SheetTable, WorkbookPort

EXPLAINABLE = ("warning", "info")
TEXT_COLUMN = EXPLANATION_HEADER.index("情况说明")
INPUT_FILL = "FFF2CC"  # the template's input colour
DONE_FILL = "E2EFDA"  # an explanation written
RESULTS = "校验结果"  # xltools.workbook.actions.RESULTS_SHEET (actions imports this module)


def _row(rule: str, place: str, labels: str, problem: str, text: str, cell: str) -> list[Any]:
    by_name = {"规则": rule, "位置": place, "行｜列": labels, "问题": problem, "情况说明": text, "单元格编号": cell}
    return [by_name[name] for name in EXPLANATION_HEADER]


def explanation_table(report: CheckReport, existing: Sequence[ExplanationRow]) -> SheetTable | None:
    """The sheet to write, or None when there is nothing to list and no sheet to keep."""
    spec = load_spec(report.format_id) if report.format_id else None
    rows: list[list[Any]] = []
    fills: list[str] = []
    listed: set[tuple[str, str]] = set()
    current = {finding_key(f) for f in report.findings}
    for r in existing:
        key = (r.rule, row_cell(spec, r) if spec else r.cell_id or r.place)
        if not r.text and (key not in current or key in listed):
            continue  # an unfilled row of a finding that has gone, or a second unfilled row of the same
        listed.add(key)
        rows.append(_row(r.rule, r.place, r.labels, r.problem, r.text, r.cell_id or key[1]))
        fills.append(DONE_FILL if r.text else INPUT_FILL)
    for f in report.findings:
        key = finding_key(f)
        if f.severity not in EXPLAINABLE or key in listed:
            continue
        listed.add(key)
        c = f.cells[0] if f.cells else None
        labels = "｜".join(x for x in (c.row_label, c.col_label) if x) if c else ""
        rows.append(_row(f.rule, f.where, labels, f.message["zh"], "", key[1]))
        fills.append(INPUT_FILL)
    if not rows and not existing:
        return None
    return SheetTable(EXPLANATION_SHEET, TITLE, EXPLANATION_HEADER, rows, WIDTHS, row_fills=fills,
                      fill_column=TEXT_COLUMN)


def update_explanations(port: WorkbookPort, report: CheckReport) -> None:
    """Rewrite the workbook's 情况说明 sheet for ``report``, keeping what was written."""
    present = EXPLANATION_SHEET in port.sheet_names()
    existing = explanation_rows(port.values(EXPLANATION_SHEET)) if present else ()
    table = explanation_table(report, existing)
    if table is None:
        return
    if present:
        # the template protects the sheet (its cells below the header open): Excel cannot clear a protected sheet.
        # It stays unprotected afterwards: a rewritten sheet's new cells would be locked, and the clerk types there.
        port.unprotect(EXPLANATION_SHEET)
    port.write_table(table, before=None if present else RESULTS)  # a new sheet before 校验结果 (that one stays last)
