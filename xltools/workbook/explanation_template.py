"""The template's 情况说明 sheet, written with the rest of the workbook by ``workbook.writer`` (XlsxWriter's
objects are passed in: ``writer`` is the only module importing XlsxWriter). What the 校验 button and ``check
--annotate`` later write into it is ``workbook.explanation_sheet``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xltools.reading.document import ReportDocument
from xltools.reading.explanations import EXPLANATION_HEADER, EXPLANATION_SHEET, TITLE, WIDTHS

EXPLANATION_ROWS = 30  # empty rows of the template's 情况说明 sheet (the 校验 button lists the findings there)


def write_explanation_sheet(wb: Any, fmts: dict[str, Any], doc: ReportDocument | None,
                            text: Callable[[object, str], str], font: str) -> None:
    """The 情况说明 sheet (``xltools.reading.explanations``): the note, the header and empty rows, the 情况说明
    column in the input colour. Protected like every sheet, but every cell below the header is open: a clerk may
    write rows by hand, and insert or delete rows."""
    ws = wb.add_worksheet(EXPLANATION_SHEET)
    last = len(EXPLANATION_HEADER) - 1
    ws.merge_range(0, 0, 0, last, TITLE, fmts["instruction"])
    ws.set_row(0, 45)
    open_cell = wb.add_format({"font_name": font, "locked": False, "text_wrap": True, "valign": "top"})
    for col, (name, width) in enumerate(zip(EXPLANATION_HEADER, WIDTHS, strict=True)):
        ws.set_column(col, col, width, open_cell)
        ws.write_string(1, col, name, fmts["header"])
    column = EXPLANATION_HEADER.index("情况说明")
    written = list(doc.explanations) if doc is not None else []
    for row in range(2, 2 + max(EXPLANATION_ROWS, len(written))):
        ws.write_blank(row, column, None, fmts["in_text"])
    for row, e in enumerate(written, start=2):  # from the JSON document (``new --from``): as written
        values = {"规则": e.rule, "位置": e.place, "单元格编号": e.cell_id, "情况说明": e.text}
        for col, name in enumerate(EXPLANATION_HEADER):
            if values.get(name):
                ws.write_string(row, col, text(values[name], f"{EXPLANATION_SHEET}!{name}"),
                                fmts["in_text"] if name == "情况说明" else None)
    ws.freeze_panes(2, 0)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.protect("", {"format_columns": True, "format_rows": True, "insert_rows": True, "delete_rows": True})
