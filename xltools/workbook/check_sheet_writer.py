"""Write the 校验 sheet (``xltools.workbook.check_formulas``) and the cover's verdict into a workbook the writer is
building. Called by ``xltools.workbook.writer`` with its XlsxWriter objects (the one module importing XlsxWriter),
so the objects are typed loosely here."""

from __future__ import annotations

from typing import Any

from xltools.format.spec import FormatSpec
from xltools.workbook.check_formulas import CHECK_SHEET, HIDDEN, LINE_HEIGHT, PRINTED, CheckSheet, check_sheet

CHECK_STYLES: dict[str, dict[str, Any]] = {  # the 校验 sheet (xltools.workbook.check_formulas)
    "title": {"bold": True, "font_size": 14},
    "verdict": {"bold": True, "font_size": 12},
    "cover_verdict": {"bold": True, "border": 1, "valign": "vcenter", "text_wrap": True},
    "note": {"font_size": 9, "font_color": "#595959", "text_wrap": True, "valign": "top"},
    "header": {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1,
               "bg_color": "#F2F2F2"},
    "cell": {"border": 1, "valign": "top", "text_wrap": True},
    "count": {"border": 1, "align": "center", "bold": True},
    "status": {"border": 1, "valign": "top", "align": "center", "bold": True},
    "link": {"border": 1, "valign": "top", "font_color": "#0563C1", "underline": 1},
    "number": {"border": 1, "valign": "top", "align": "right"},
    "wrap": {"border": 1, "valign": "top", "text_wrap": True, "font_size": 9},
}


def write_check_sheet(wb: Any, spec: FormatSpec, sheets: dict[str, Any], fmts: dict[str, Any], font: str) -> None:
    """The 校验 sheet and the cover's verdict: formulas written without cached results ("" makes ``<v></v>``), so
    that Excel, WPS and LibreOffice compute them on opening (LibreOffice trusts a cached result)."""
    sheet: CheckSheet = check_sheet(spec)
    ws = wb.add_worksheet(CHECK_SHEET)
    styles: dict[tuple[str, str], Any] = {}

    def style(key: str, number_format: str) -> Any:
        if (key, number_format) not in styles:
            extra = {"num_format": number_format} if number_format else {}
            styles[key, number_format] = wb.add_format({"font_name": font, **CHECK_STYLES[key], **extra})
        return styles[key, number_format]

    for col, width in enumerate(sheet.widths):
        ws.set_column(col, col, width, None, {"hidden": True} if col in HIDDEN else {})
    for row, cells in sheet.rows.items():
        for col, cell in enumerate(cells):
            if cell is None:
                continue
            fmt = style(cell.style, cell.number_format)
            if cell.link:  # a hyperlink into the workbook: Excel, WPS and LibreOffice all follow it
                ws.write_url(row, col, f"internal:{cell.link}", fmt, str(cell.value))
            elif isinstance(cell.value, str) and cell.value.startswith("="):
                ws.write_formula(row, col, cell.value, fmt, "")
            elif cell.value == "":
                ws.write_blank(row, col, None, fmt)
            elif cell.style == "note":  # across the sheet, wrapped
                ws.merge_range(row, 0, row, PRINTED - 1, cell.value, fmt)
            elif isinstance(cell.value, int):
                ws.write_number(row, col, cell.value, fmt)
            else:
                ws.write_string(row, col, cell.value, fmt)
    ws.set_row(3, 30)
    for row in range(sheet.first - 1, sheet.last):
        ws.set_row(row, LINE_HEIGHT)
    lines = f"A{sheet.first}:L{sheet.last}"
    for severity, fill in (("错误", fmts["error"]), ("警告", fmts["warning"])):
        ws.conditional_format(lines, {"type": "formula", "format": fill,
                                      "criteria": f'=AND($B{sheet.first}="✘",$C{sheet.first}="{severity}")'})
    ws.freeze_panes(sheet.first - 1, 2)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(sheet.first - 2)
    ws.print_area(0, 0, sheet.last - 1, PRINTED - 1)  # the rule's summary is for the screen
    ws.protect("", {"format_columns": True, "format_rows": True})
    for cover in spec.sheets:
        if cover.verdict:
            sheets[cover.name].write_formula(cover.verdict, sheet.verdict, style("cover_verdict", ""), "")
