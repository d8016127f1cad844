"""Write the official report workbook with XlsxWriter (the only module importing it).

Layout, labels, cell positions and the conditional formats all come from the format spec, so a new format version
needs no code here. XlsxWriter writes deterministic files (fixed zip times), which keeps the committed template
byte-identical on regeneration, and it can add form buttons and a VBA project for the macro template.

Every text goes through ``_text`` (the one place): control characters are cleaned (``xltools.textsafe``; a manual
line break becomes a line break in the cell), a text longer than an Excel cell holds is an error rather than cut
off, and it is written with ``write_string`` into a workbook that turns no string into a formula, number or link:
``=HYPERLINK(…)`` typed by a clerk stays text.

XlsxWriter prepares every formula with regular-expression substitutions (in 3.3: 29 for a cell formula, 155 for a
conditional format or a validation) that add the ``_xlfn.`` prefix of Excel's newer function names. The workbook's
formulas use only portable functions (``check_formulas.FUNCTIONS``), which no substitution touches, so
``_ReportSheet`` skips them for a formula whose every ``NAME(`` is one of those (``_portable``) and leaves every
other formula to XlsxWriter: the written XML is the same either way (tests/test_writer_formulas.py).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from xltools.atomic import temp_folder
from xltools.errors import XltoolsError
from xltools.format.addresses import absolute, col_letters, parse_address
from xltools.format.layout import paragraph_rows, text_height
from xltools.format.spec import CellSpec, FormatSpec, SheetSpec
from xltools.reading.document import EXCEL_CELL_CHARS, ReportDocument
from xltools.reading.locate import PROP_TEMPLATE, PROP_VERSION
from xltools.textsafe import clean_text
from xltools.workbook.buttons import BUTTON_NOTE, BUTTON_ROLES, BUTTONS, CONF_HELP, CONF_ROWS, CONF_SHEET
from xltools.workbook.check_formulas import FUNCTIONS
from xltools.workbook.check_sheet_writer import write_check_sheet
from xltools.workbook.explanation_template import write_explanation_sheet

FIXED_CREATED = dt.datetime(2021, 9, 26)
FONT = "宋体"
INPUT_FILL = "#FFF2CC"
TOTAL_FILL = "#DDEBF7"
LABEL_FILL = "#F2F2F2"
BOX_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"},
    "subtitle": {"font_size": 10, "align": "center", "valign": "vcenter", "text_wrap": True},
    "caption": {"bold": True, "align": "center", "valign": "vcenter", "border": 1, "bg_color": LABEL_FILL},
    "header": {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1,
               "bg_color": LABEL_FILL},
    "rowhead": {"align": "left", "valign": "vcenter", "text_wrap": True, "border": 1, "bg_color": LABEL_FILL},
    "note": {"align": "left", "valign": "vcenter", "text_wrap": True, "border": 1, "font_size": 9,
             "bg_color": LABEL_FILL},
    "label": {"bold": True, "align": "right", "valign": "vcenter", "border": 1, "bg_color": LABEL_FILL},
    "heading": {"bold": True, "font_size": 12, "valign": "vcenter"},
    "instruction": {"align": "left", "valign": "top", "text_wrap": True},
}
INPUT_BASE: dict[str, Any] = {"locked": False, "border": 1, "bg_color": INPUT_FILL, "valign": "vcenter"}
INPUT_STYLES: dict[str, dict[str, Any]] = {
    "count": {"align": "center", "num_format": "0"},
    "amount": {"align": "center", "num_format": "General"},
    "total": {"align": "center", "num_format": "0", "bold": True, "bg_color": TOTAL_FILL},
    "text": {"align": "left", "valign": "top", "text_wrap": True},
    "meta": {"align": "left"},
    "meta_text": {"align": "left", "num_format": "@"},
    "meta_date": {"align": "left", "num_format": "yyyy\"年\"m\"月\"d\"日\""},
}
ERROR_FILL = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
WARNING_FILL = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}


_CALL = re.compile(r"[A-Za-z0-9_.]*\(")  # a name (possibly empty) and its opening parenthesis
PORTABLE = FUNCTIONS | {"ISNUMBER", "ROUND"}  # the check sheet's functions and the amount cells' validation's


def _portable(formula: str) -> bool:
    """Whether XlsxWriter's formula preparation would leave ``formula`` as it is (apart from the leading "="):
    no array braces, and every name directly before a "(" is a portable function. Its substitutions all end in a
    function name and "(", so a name outside ``PORTABLE``, even inside a string literal, takes the slow path."""
    if formula.startswith("{") or formula.endswith("}"):
        return False
    return all(len(m) == 1 or m[:-1] in PORTABLE for m in _CALL.findall(formula))


class _ReportSheet(Worksheet):  # type: ignore[misc]  # XlsxWriter has no type hints
    """A worksheet whose portable formulas skip XlsxWriter's substitutions (see the module's docstring)."""

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        if _portable(formula):
            return formula[1:] if formula.startswith("=") else formula
        prepared: str = super()._prepare_formula(formula, expand_future_functions)
        return prepared


class _Workbook(xlsxwriter.Workbook):  # type: ignore[misc]
    """Every worksheet added is a ``_ReportSheet`` (XlsxWriter's documented ``worksheet_class`` argument)."""

    def add_worksheet(self, name: str | None = None, worksheet_class: Any = None) -> Worksheet:
        return super().add_worksheet(name, worksheet_class or _ReportSheet)


def _text(value: object, where: str) -> str:
    """Text as a cell holds it: control characters cleaned; XltoolsError when it is longer than a cell holds."""
    text = clean_text(str(value))
    if len(text) > EXCEL_CELL_CHARS:
        raise XltoolsError(f"{where} 的文字太长（{len(text)} 个字符）：Excel 的一个单元格最多 "
                           f"{EXCEL_CELL_CHARS} 个字符",
                           f"the text for {where} is too long ({len(text)} characters, an Excel cell holds "
                           f"{EXCEL_CELL_CHARS})")
    return text


def _formats(wb: Workbook) -> dict[str, Format]:
    fmts = {k: wb.add_format({"font_name": FONT, **v}) for k, v in BOX_STYLES.items()}
    fmts.update({f"in_{k}": wb.add_format({"font_name": FONT, **INPUT_BASE, **v}) for k, v in INPUT_STYLES.items()})
    fmts["error"] = wb.add_format(ERROR_FILL)
    fmts["warning"] = wb.add_format(WARNING_FILL)
    return fmts


def _input_style(cell: CellSpec) -> str:
    if cell.total:
        return "in_total"
    if cell.type == "meta":
        return {"date": "in_meta_date", "code": "in_meta_text", "phone": "in_meta_text"}.get(cell.kind, "in_meta")
    return f"in_{cell.type}"


def _validation(spec: FormatSpec, cell: CellSpec) -> dict[str, Any] | None:
    count_msg = "请填写不小于0的整数（件）。没有数据请填0，不要留空或填“/”“-”。"
    if cell.type == "count":  # no input prompt on the 200 count cells: the cover's notes say it once
        return {"validate": "integer", "criteria": ">=", "value": 0, "error_title": "输入有误",
                "error_message": count_msg}
    if cell.type == "amount":
        a = cell.address
        return {"validate": "custom", "value": f"=AND(ISNUMBER({a}),{a}>=0,ROUND({a},6)={a})",
                "input_title": "金额（万元）",
                "input_message": "单位为万元，最多6位小数；按元统计的数要除以10000。没有收费填0。",
                "error_title": "输入有误", "error_message": "请填写不小于0的金额（万元），最多6位小数。"}
    if cell.kind == "year":
        return {"validate": "integer", "criteria": "between", "minimum": spec.first_year, "maximum": 2100,
                "input_title": "年度", "input_message": "报告所属年度，如 2024。",
                "error_title": "输入有误", "error_message": f"请填写 {spec.first_year} 年以后的四位年份。"}
    if cell.kind == "date":
        return {"validate": "date", "criteria": ">=", "value": dt.date(spec.first_year, 1, 1),
                "input_title": "成文日期", "input_message": "报告落款日期，如 2025-01-20。",
                "error_title": "输入有误", "error_message": "请填写日期，如 2025-01-20。"}
    if cell.kind == "choice":
        return {"validate": "list", "source": list(spec.levels), "input_title": "单位层级",
                "input_message": "从下拉列表中选择。汇总表（如全市汇总）选“汇总”。",
                "error_title": "输入有误", "error_message": "请从下拉列表中选择单位层级。"}
    return None


def _write_value(ws: Worksheet, cell: CellSpec, value: Any, fmt: Format) -> None:
    if cell.merge:
        ws.merge_range(cell.merge, "", fmt)
    row, col = parse_address(cell.address)
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, _text(value, f"{cell.sheet}!{cell.address}（{cell.id}）"), fmt)


def _write_text(ws: Worksheet, cell: CellSpec, value: Any, fmt: Format, spec: FormatSpec) -> None:
    """A text cell's paragraph rows: a written row as high as its text (at most 409 pt), an empty one fits itself."""
    (row, col), (last, _) = (parse_address(a) for a in str(cell.block).split(":"))
    width = next(sh.widths for sh in spec.sheets if sh.name == cell.sheet)[col_letters(col)]
    lines = paragraph_rows(_text(value, f"{cell.sheet}!{cell.address}（{cell.id}）"), last - row + 1) if value else []
    for i, line in enumerate(lines + [""] * (last - row + 1 - len(lines))):
        ws.write_string(row + i, col, line, fmt) if line.strip() else ws.write_blank(row + i, col, None, fmt)
        ws.set_row(row + i, text_height(line, width) if line.strip() else None)


def _cell_value(cell: CellSpec, doc: ReportDocument | None) -> Any:
    if doc is None:
        return None
    if cell.type == "text":
        return doc.texts.get(cell.id)
    if cell.type != "meta":
        return doc.values.get(cell.id)
    field = cell.id.split(".", 1)[1]
    if field == "unit":
        return doc.unit
    if field == "year":
        return doc.year
    value = doc.meta.get(field)
    return dt.date.fromisoformat(value) if field == "date" and value else value


def _conditional_formats(spec: FormatSpec, sheets: dict[str, Worksheet], fmt: Format) -> None:
    """Totals turn red live (Excel, WPS, LibreOffice) when a sum relation of an error rule does not hold."""
    for relation in spec.sum_relations():
        if relation.severity != "error":
            continue
        left = [spec.cell(i) for i in relation.left]
        right = [spec.cell(i) for i in relation.right]
        formula = "=(" + "+".join(c.address for c in left) + ")<>(" + "+".join(c.address for c in right) + ")"
        for c in left:
            sheets[c.sheet].conditional_format(c.address, {"type": "formula", "criteria": formula, "format": fmt})


class MacroParts(NamedTuple):
    vba_project: bytes | None  # None: a seed workbook for building the project itself


class DataSheet(NamedTuple):
    """A plain table sheet added after the report sheets (consolidation details, submission status): a header
    row, rows of values, optionally a last row of column sums (SUM formulas with their values cached)."""

    name: str
    header: list[str]
    rows: Iterable[Sequence[Any]]
    widths: dict[int, float] = {}  # noqa: RUF012 (never mutated)
    sums_from: int | None = None  # first column that gets a 合计 (sum) row; None: no sums


def _write_data_sheet(wb: Workbook, sheet: DataSheet, fmts: dict[str, Format]) -> None:
    # Written in XlsxWriter's constant-memory mode (rows streamed to a temporary file): a city's details can be
    # 20,000 rows × 200 columns. The mode is taken per worksheet when it is added; the report sheets above are
    # written out of row order and must not use it.
    wb.constant_memory = True
    ws = wb.add_worksheet(sheet.name)
    wb.constant_memory = False
    for col, width in sheet.widths.items():
        ws.set_column(col, col, width)
    for col, text in enumerate(sheet.header):
        ws.write_string(0, col, _text(text, sheet.name), fmts["header"])
    sums: list[float] = []
    row = 0
    for row, values in enumerate(sheet.rows, start=1):
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(row, col, value)
                if sheet.sums_from is not None and col >= sheet.sums_from:
                    while len(sums) <= col:
                        sums.append(0)
                    sums[col] += value
            else:
                ws.write_string(row, col, _text(value, f"{sheet.name}!{col_letters(col)}{row + 1}"))
    if sheet.sums_from is not None:
        total_row = row + 1
        ws.write_string(total_row, 0, "合计", fmts["header"])
        for col in range(sheet.sums_from, len(sheet.header)):
            letter = col_letters(col)
            cached = sums[col] if col < len(sums) else 0
            ws.write_formula(total_row, col, f"=SUM({letter}2:{letter}{total_row})", fmts["header"],
                             round(cached, 6) if isinstance(cached, float) else cached)
    ws.autofilter(0, 0, max(row, 1), len(sheet.header) - 1)
    ws.freeze_panes(1, 1)
    ws._opt_close()  # finish the streamed rows (XlsxWriter does this only for all-constant-memory workbooks)


def _add_buttons(ws: Worksheet, sheet: SheetSpec, note: Format) -> None:
    """The button column, right of the print area so that nothing of it is printed, and below the buttons a line
    for those who open the workbook where buttons cannot run."""
    col = parse_address(sheet.print_area.split(":")[-1])[1] + 2
    ws.set_column(col, col, 14)
    step, height = 38, 30  # pixels
    for i, button in enumerate(BUTTONS):
        ws.insert_button(1, col, {"macro": button.macro, "caption": button.caption, "description": button.tip,
                                  "width": 96, "height": height, "y_offset": i * step})
    row, top = 1, 0.0
    while top < step * (len(BUTTONS) - 1) + height + 6:
        top += sheet.heights.get(row + 1, 15) * 4 / 3  # points to pixels
        row += 1
    for i, line in enumerate(BUTTON_NOTE):
        ws.write_string(row + i, col, line, note)


def _add_macro_parts(wb: Workbook, sheets: dict[str, Worksheet], spec: FormatSpec, macro: MacroParts,
                     fmts: dict[str, Format]) -> None:
    """Buttons, the hidden xlwings.conf sheet and the VBA project of the .xlsm."""
    if macro.vba_project is not None:
        wb.add_vba_project(io.BytesIO(macro.vba_project), is_stream=True)
    note = wb.add_format({"font_name": FONT, "font_size": 9, "font_color": "#595959"})
    for sh in spec.sheets:
        if sh.role in BUTTON_ROLES:
            _add_buttons(sheets[sh.name], sh, note)
    conf = wb.add_worksheet(CONF_SHEET)
    for row, (key, value) in enumerate(CONF_ROWS):
        conf.write_string(row, 0, key)
        if isinstance(value, bool):
            conf.write_boolean(row, 1, value)
        elif value:
            conf.write_string(row, 1, value)
    for row, text in enumerate(CONF_HELP):
        conf.write_string(row, 3, text, fmts["instruction"])
    conf.set_column(0, 0, 18)
    conf.set_column(1, 1, 40)
    conf.set_column(3, 3, 90)
    conf.hide()
    wb.set_vba_name("ThisWorkbook")
    for i, ws in enumerate(wb.worksheets(), start=1):
        ws.set_vba_name(f"Sheet{i}")


def write_workbook(spec: FormatSpec, path: str, doc: ReportDocument | None = None,
                   data_sheets: Sequence[DataSheet] = (), properties: dict[str, str] | None = None,
                   macro: MacroParts | None = None) -> None:
    """Write the official workbook (blank when ``doc`` is None) to ``path``, with ``data_sheets`` after the report
    sheets and extra custom document ``properties``. With ``macro`` it is the .xlsm: buttons on the cover and the
    table sheets, a hidden xlwings.conf sheet and the VBA project."""
    if data_sheets:  # XlsxWriter's temporary files, for a large workbook, in a folder beside it removed on any exit
        with temp_folder(path) as work:
            _write(spec, path, doc, data_sheets, properties, macro, {"tmpdir": work})
    else:  # a report workbook is small: assembled in memory, no temporary files at all
        _write(spec, path, doc, data_sheets, properties, macro, {"in_memory": True})


def _write(spec: FormatSpec, path: str, doc: ReportDocument | None, data_sheets: Sequence[DataSheet],
           properties: dict[str, str] | None, macro: MacroParts | None, options: dict[str, Any]) -> None:
    wb = _Workbook(path, {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
                          **options})
    title = f"{doc.unit}{doc.year or ''}年政府信息公开工作年度报告" if doc and doc.unit else "政府信息公开工作年度报告"
    props: dict[str, Any] = {"title": _text(title, "title").replace("\n", " "), "subject": spec.title,
                             "comments": spec.doc_no}
    if doc is None:
        props["created"] = FIXED_CREATED
    wb.set_properties(props)
    wb.set_custom_property(PROP_TEMPLATE, spec.id)
    wb.set_custom_property(PROP_VERSION, str(spec.template_version))
    for key, value in (properties or {}).items():
        wb.set_custom_property(key, _text(value, key))
    fmts = _formats(wb)
    sheets: dict[str, Worksheet] = {}
    for sh in spec.sheets:
        ws = wb.add_worksheet(sh.name)
        sheets[sh.name] = ws
        for letters, width in sh.widths.items():
            ws.set_column(f"{letters}:{letters}", width)
        for row, height in sh.heights.items():
            ws.set_row(row - 1, height)
        for box in sh.boxes:
            text = _text(box.text, f"{sh.name}!{box.range}")
            if ":" in box.range:
                ws.merge_range(box.range, text, fmts[box.style])  # a string, as strings_to_formulas is off
            else:
                ws.write_string(box.range, text, fmts[box.style])
        ws.set_paper(9)
        ws.set_landscape() if sh.landscape else ws.set_portrait()
        ws.set_margins(left=0.6, right=0.6, top=0.75, bottom=0.75)
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        ws.print_area(sh.print_area)
        if sh.repeat_rows:
            ws.repeat_rows(*(int(x) - 1 for x in sh.repeat_rows.split(":")))
        ws.set_footer("&C第 &P 页，共 &N 页")
        ws.protect("", {"format_columns": True, "format_rows": True, "insert_rows": sh.role == "text"})  # paragraphs
    for cell in spec.cells:
        ws = sheets[cell.sheet]
        if cell.block:
            _write_text(ws, cell, _cell_value(cell, doc), fmts["in_text"], spec)
        else:
            _write_value(ws, cell, _cell_value(cell, doc), fmts[_input_style(cell)])
        validation = _validation(spec, cell)
        if validation:
            ws.data_validation(cell.merge or cell.address, validation)
        wb.define_name(cell.name, f"='{cell.sheet}'!{':'.join(map(absolute, (cell.block or cell.address).split(':')))}")
    _conditional_formats(spec, sheets, fmts["error"])
    write_check_sheet(wb, spec, sheets, fmts, FONT)
    write_explanation_sheet(wb, fmts, doc, _text, FONT)
    sheets[spec.sheets[0].name].activate()
    for data in data_sheets:
        _write_data_sheet(wb, data, fmts)
    if macro is not None:
        _add_macro_parts(wb, sheets, spec, macro, fmts)
    wb.close()
