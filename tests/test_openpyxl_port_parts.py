"""The parts that make the openpyxl port's copies cheap give what the slow ways gave: the cached formula results kept
and dropped (``openpyxl_stale``: a formula reading a rewritten sheet, a changed cell, a stale result…), the
calculated values read sheet by sheet (``openpyxl_calculated``), openpyxl's tokens found once per formula shape,
and the merged cells bound without openpyxl's per-cell style work (``openpyxl_merges``). The workbooks are built
here, and the saved files read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from helpers import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.formula import Tokenizer
from openpyxl.styles import Border, Protection, Side

from xltools.workbook import openpyxl_calculated, openpyxl_stale
from xltools.workbook.openpyxl_calculated import scan_cached
from xltools.workbook.openpyxl_merges import SUPPORTED, fast_merged_cells
from xltools.workbook.openpyxl_port import OpenpyxlPort
from xltools.workbook.port import SheetTable

# cell of 计算 -> (formula, its cached result)
FORMULAS: dict[str, tuple[str, Any]] = {
    "A1": ("=SUM(数据!A1:A3)", 6),
    "A2": ("='情况说明'!A1*2", 20),  # reads 情况说明
    "A3": ("=说明名+1", 11),  # reads 情况说明 through a defined name
    "A4": ("=A2+1", 21),  # reads A2's result
    "A5": ("=SUM(数据名)", 6),  # a defined name on 数据
    "A6": ("='it''s'!A1", 5),  # a quoted sheet name with a quote in it
    "A7": ('=IF(A1>0,"正<&>","负")', "正<&>"),  # a text result
    "A8": ("=A1>0", True),
    "A9": ("=1/0", "#DIV/0!"),
    "A10": ("=数据!A2+0.5", 2.5),
    "A11": ('=INDIRECT("数据!A1")', 1),  # what it reads cannot be known
    "A12": ("=数据!A1+45000", 45001),  # shown as a date
    "A13": ("=名值*2", 8),  # reads 名表 only through a defined name
}


def results_book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    data, notes, quoted, named, calc = (wb.add_worksheet(n) for n in ("数据", "情况说明", "it's", "名表", "计算"))
    data.write_column("A1", [1, 2, 3])
    notes.write("A1", 10)
    quoted.write("A1", 5)
    named.write("A1", 4)
    wb.define_name("说明名", "='情况说明'!$A$1")
    wb.define_name("名值", "='名表'!$A$1")
    wb.define_name("数据名", "=数据!$A$1:$A$3")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    for address, (formula, value) in FORMULAS.items():
        calc.write_formula(address, formula, date if address == "A12" else None, value)
    wb.close()
    return path


def kept(path: Path) -> dict[str, Any]:
    ws = openpyxl.load_workbook(path, data_only=True)["计算"]
    return {a: ws[a].value for a in FORMULAS if ws[a].value is not None}


def saved(port: OpenpyxlPort, path: Path) -> Path:
    port.save(path)
    wb = openpyxl.load_workbook(path)
    assert all(str(wb["计算"][a].value).startswith("=") for a in FORMULAS), "every formula stays"
    return path


def test_a_session_that_reads_no_rewritten_sheet_keeps_every_result(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    book = results_book(tmp_path / "in.xlsx")
    monkeypatch.setattr(openpyxl_stale, "_exact", lambda *a: pytest.fail("every formula tokenized"))
    port = OpenpyxlPort(book)
    port.write_table(SheetTable("校验结果", "标题", ["问题"], [["x"]]))
    port.set_fill("计算", "A1", "FFC7CE")
    port.set_note("计算", "A2", "说明")
    assert kept(saved(port, tmp_path / "out.xlsx")) == kept(book)
    assert len(kept(book)) == len(FORMULAS)


def test_results_reading_a_rewritten_sheet_are_dropped_the_others_kept(tmp_path: Path) -> None:
    book = results_book(tmp_path / "in.xlsx")
    port = OpenpyxlPort(book)
    port.write_table(SheetTable("情况说明", "标题", ["说明"], [["x"]]))
    got = kept(saved(port, tmp_path / "out.xlsx"))
    stale = {"A2", "A3", "A4", "A11"}  # directly, through the name, through A2; INDIRECT once anything changed
    assert got == {a: v for a, v in kept(book).items() if a not in stale}
    assert got["A7"] == "正<&>" and got["A8"] is True and got["A9"] == "#DIV/0!" and got["A10"] == 2.5
    assert got["A12"] == kept(book)["A12"] and got["A12"].year == 2023  # a date stays a date

    port = OpenpyxlPort(book)
    port.delete_sheet("it's")
    port.write_table(SheetTable("it's", "标题", ["说明"], [["x"]]))
    assert set(kept(saved(port, tmp_path / "quoted.xlsx"))) == set(FORMULAS) - {"A6", "A11"}

    port = OpenpyxlPort(book)  # no formula names the sheet: only the defined name leads there
    port.write_table(SheetTable("名表", "标题", ["说明"], [["x"]]))
    assert set(kept(saved(port, tmp_path / "named.xlsx"))) == set(FORMULAS) - {"A13", "A11"}


def test_results_reading_a_changed_cell_are_dropped(tmp_path: Path) -> None:
    book = results_book(tmp_path / "in.xlsx")
    port = OpenpyxlPort(book)
    port.set_value("数据", "A2", 7)
    port.write_table(SheetTable("校验结果", "标题", ["问题"], [["x"]]))
    got = kept(saved(port, tmp_path / "out.xlsx"))
    # A1 sums A2, A5 through 数据名, A10 reads it; A7 and A8 read A1; INDIRECT might
    assert set(got) == {"A2", "A3", "A4", "A6", "A9", "A12", "A13"}
    assert openpyxl.load_workbook(tmp_path / "out.xlsx")["数据"]["A2"].value == 7

    port = OpenpyxlPort(book)
    port.set_value("数据", "A2", 2)  # the same value: nothing changed
    assert kept(saved(port, tmp_path / "same.xlsx")) == kept(book)


def data_only_cells(path: Path, sheet: str) -> dict[tuple[int, int], tuple[Any, str]]:
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    return {pos: (c.value, c.data_type) for pos, c in ws._cells.items() if c.value is not None}


def rich_book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("表")
    bold = wb.add_format({"bold": True})
    ws.write_rich_string("A1", "普通", bold, "加粗", "x005F_尾")
    ws.write("A2", "a_x005F_b")
    ws.write_rich_string("A3", bold, "ax00", "5F_b")  # "x005F_" across two runs
    ws.merge_range("B1:C2", "合并", wb.add_format({"border": 1}))
    ws.write("C2", "藏")  # a value hidden under the merged range
    ws.write_formula("D1", "=A2", None, "a_x005F_b")
    ws.write_formula("D2", '=""', None, "")
    ws.write_datetime("E1", dt.datetime(2024, 5, 6, 7, 8), wb.add_format({"num_format": "yy/m/d"}))
    wb.close()
    return path


@pytest.mark.parametrize("name", ["results", "rich", "template", "example"])
def test_calculated_values_are_those_of_a_data_only_load(tmp_path: Path, name: str) -> None:
    book = {"results": lambda: results_book(tmp_path / "r.xlsx"), "rich": lambda: rich_book(tmp_path / "rich.xlsx"),
            "template": lambda: REPO / "workbook_templates" / "gov-disclosure-2021.xlsm",
            "example": lambda: REPO / "examples" / "hegang-kejiju-2021.xlsx"}[name]()
    port = OpenpyxlPort(book)
    for sheet in port.sheet_names():
        assert port.calculated.cells(sheet) == data_only_cells(book, sheet), sheet


def test_with_another_openpyxl_the_values_come_from_a_full_load(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    book = results_book(tmp_path / "in.xlsx")
    monkeypatch.setattr(openpyxl_calculated, "SUPPORTED", False)
    port = OpenpyxlPort(book)
    assert port.calculated.source.sheet_parts == {}
    assert port.calculated.cells("计算") == data_only_cells(book, "计算")
    port.write_table(SheetTable("情况说明", "标题", ["说明"], [["x"]]))
    assert set(kept(saved(port, tmp_path / "out.xlsx"))) == set(FORMULAS) - {"A2", "A3", "A4", "A11"}


def test_a_sheet_openpyxl_renamed_is_read_by_a_full_load(tmp_path: Path) -> None:
    """Two sheets of one name: openpyxl loads the second as 甲1, which names no part of the file."""
    book = tmp_path / "twice.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    wb.add_worksheet("甲").write("A1", 1)
    wb.add_worksheet("乙").write_formula("A1", "=1+1", None, 2)
    wb.close()
    with zipfile.ZipFile(book) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace('name="乙"'.encode(), 'name="甲"'.encode())
    with zipfile.ZipFile(book, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    port = OpenpyxlPort(book)
    assert port.sheet_names() == ["甲", "甲1"]
    assert port.calculated.cells("甲1") == {(1, 1): (2, "n")} and port.calculated.cells("甲") == {(1, 1): (1, "n")}
    assert port.values("甲1") == [[2]]


def sheet_xml(cells: str, declaration: str = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>') -> bytes:
    return (f'{declaration}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData><row r=\"1\">{cells}</row></sheetData></worksheet>").encode()


def test_the_scan_reads_results_as_written_and_gives_up_on_anything_else() -> None:
    cells = ('<c r="A1" s="3"><f>B1*2</f><v>1.50</v></c><c r="B1" t="str"><f>"a&amp;b"</f><v>a&amp;b &lt;</v></c>'
             '<c r="C1" t="b"><f>TRUE</f><v>1</v></c><c r="D1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
             '<c r="E1"><f t="shared" si="0" ref="E1:E2"/><v></v></c><c r="AB12"><f aca="false">1</f><v/></c>'
             '<c r="F1"><v>3</v></c>')
    assert scan_cached(sheet_xml(cells), 6) == {(1, 1): ("n", "1.50"), (1, 2): ("str", "a&amp;b &lt;"),
                                                (1, 3): ("b", "1"), (1, 4): ("e", "#DIV/0!")}
    assert scan_cached(sheet_xml(cells), 5) is None, "a formula cell openpyxl did not load"
    for odd in ['<c r="A1" t="s"><f>X1</f><v>0</v></c>',  # a shared string: its index is the source's
                '<c r="A1" t="inlineStr"><f>X1</f><is><t>x</t></is></c>',
                '<c r="A1" t="d"><f>X1</f><v>2024-01-01T00:00:00</v></c>',
                '<c r="A1"><f>X1</f><v>abc</v></c>',  # not a number
                '<c r="A1" t="b"><f>X1</f><v>2</v></c>',
                '<c r="A1" t="str"><f>X1</f><v>&#12354;</v></c>',  # a character reference
                '<c r="A1" t="str"><f>X1</f><v>a\r\nb</v></c>',  # text the writers clean
                '<c t="n"><f>X1</f><v>1</v></c>',  # no address
                "<c r='A1'><f>X1</f><v>1</v></c>",
                '<c r="A1"><f>X1</f><v>1</v><extLst/></c>',
                '<x:c r="A1"><x:f>X1</x:f><x:v>1</x:v></x:c>']:
        assert scan_cached(sheet_xml(odd), 1) is None, odd
    gbk = '<?xml version="1.0" encoding="GBK"?>'
    assert scan_cached(sheet_xml('<c r="A1"><f>X1</f><v>1</v></c>', gbk), 1) is None


def direct_ranges(formula: str) -> list[str] | None:
    try:
        tokens = Tokenizer(formula).items
    except Exception:
        return None
    return [t.value for t in tokens if t.type == "OPERAND" and t.subtype == "RANGE"]


TRICKY = ["=1E+5+A1", "=12E+5", "=A1E+5", '="abc12"&B7', "='Sheet 12'!A1:B2+'it''s 3'!C4", "=SUM(表三!D5:I5)",
          "=#DIV/0!", "=Sheet1!#REF!", "=  A1  +  B22", "=[1]Sheet1!A1", "=Table1[[#This Row],[Col2]]",
          "=SUM(A:A)+SUM(3:3)", "=$A$1:$B$10", "={1,2;3,4}", "=E5+E55*1E5", "=1.5E-3", "=A1 B2", "=(A1", "=A1)",
          '="unterminated', "=Q1Total+meta_code", "=SUM(Sheet1:Sheet3!A1)", "=1_000+A1", "=1e0+e1", "=-A1%",
          "=A1\n+B2", "=#N/A1E+3", "=#GETTING_DATA12E+3", "=A1#N/A1E+3", "plain text 12"]
ATOMS = ["A1", "$B$12", "C3:D40", "'x 1'!E5", "12", "1E+3", "3E", '"s1"', "SUM(", ")", "+", "-", ",", " ", "#N/A",
         "#GETTING_DATA", "#REF!", "TRUE", "Q12", "e5", "1.5", "(", "{", "}", ";", "&", "!", "'", ":", "[", "]", "$",
         "表三!A9", "E", "7", "0", "00", ".", "_", "\n", "%"]


def test_tokens_found_once_per_shape_are_openpyxls() -> None:
    for formula in TRICKY:
        assert openpyxl_stale._ranges(formula) == direct_ranges(formula), formula
    for row in range(5, 60):  # filled down: one tokenizing
        formula = f"=IF(AND(B{row}=\"✘\",C{row}<>\"错误\"),COUNTIFS('情况说明'!$A$3:$A$2000,D{row}),\"\")"
        assert openpyxl_stale._ranges(formula) == direct_ranges(formula)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=12))
def test_tokens_found_by_shape_match_openpyxls_for_any_formula(atoms: list[str]) -> None:
    formula = "=" + "".join(atoms)
    assert openpyxl_stale._ranges(formula) == direct_ranges(formula)


def merges_book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    thin, thick = Side(style="thin"), Side(style="thick", color="FF0000")
    for row in ws["A1:H12"]:
        for cell in row:
            cell.value = cell.coordinate if (cell.row + cell.column) % 3 else None
    ws["A1"].border = Border(left=thin, top=thick)
    ws["C3"].border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws["E5"].border = Border(bottom=thick)
    ws["F6"].border = Border(right=thick, bottom=thin)  # the bottom-right corner of E5:F6
    ws["C3"].protection = Protection(locked=False)
    ws["G1"].protection = Protection(locked=False, hidden=True)
    for ref in ("A1:B2", "C3:D8", "E5:F6", "G1:G1", "G2:H12", "A10:B10"):
        ws.merge_cells(ref)
    second = wb.create_sheet("二")
    second["B2"].border = Border(top=thin)
    second.merge_cells("B2:D2")
    wb.save(path)
    return path


def saved_parts(path: Path, fast: bool) -> dict[str, bytes]:
    if fast:
        with fast_merged_cells():
            wb = openpyxl.load_workbook(path, rich_text=True, keep_vba=path.suffix == ".xlsm")
    else:
        wb = openpyxl.load_workbook(path, rich_text=True, keep_vba=path.suffix == ".xlsm")
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as z:
        parts = {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core.xml: the time saved
    # openpyxl lists the file extensions of an .xlsm in an order that changes from run to run
    parts["[Content_Types].xml"] = bytes(sorted(parts["[Content_Types].xml"]))
    return parts


@pytest.mark.skipif(not SUPPORTED, reason="openpyxl binds the merged cells itself")
@pytest.mark.parametrize("name", ["merges", "template.xlsm", "template.xlsx", "example"])
def test_merged_cells_bound_fast_save_the_same_workbook(tmp_path: Path, name: str) -> None:
    book = {"merges": lambda: merges_book(tmp_path / "m.xlsx"),
            "template.xlsm": lambda: REPO / "workbook_templates" / "gov-disclosure-2021.xlsm",
            "template.xlsx": lambda: REPO / "workbook_templates" / "gov-disclosure-2021.xlsx",
            "example": lambda: REPO / "examples" / "hegang-kejiju-2021.xlsx"}[name]()
    assert saved_parts(book, fast=True) == saved_parts(book, fast=False)
    assert openpyxl.reader.excel.WorksheetReader is openpyxl.worksheet._reader.WorksheetReader, "put back"
