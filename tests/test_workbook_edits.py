"""The buttons' headless twins on files: ``fill``, ``check --annotate``, ``clear-flags`` — what they write, and
that they never touch the input or lose what the clerk's workbook holds (macros, buttons, styles, protection…)."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import clean_document, libreoffice_convert, run, write_doc
from oletools.olevba import VBA_Parser
from test_macro_template import _code, expected_buttons, libreoffice_buttons

from xltools.format.spec import load_spec
from xltools.workbook.actions import (
    CAUSE_COLOURS,
    FLAG_COLOURS,
    FLAGS_SHEET,
    RESULTS_HEADER,
    RESULTS_SHEET,
    total_definitions,
)
from xltools.workbook.macro import module_sources

SPEC = load_spec()
TOTALS = total_definitions(SPEC)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def without_totals() -> tuple[dict[str, Any], dict[str, Any]]:
    doc = clean_document()
    original = dict(doc["values"])
    for cell_id in TOTALS:
        doc["values"].pop(cell_id, None)
    return doc, original


def cell(book: Path, cell_id: str) -> Any:
    c = SPEC.cell(cell_id)
    return openpyxl.load_workbook(book)[c.sheet][c.address]


def test_fill_writes_every_total_into_a_new_file(tmp_path: Path) -> None:
    doc, original = without_totals()
    book = write_doc(doc, tmp_path)
    before = digest(book)
    result = run("fill", book)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "report-已填合计.xlsx"
    assert f"已填充合计：{len(TOTALS)} 个合计单元格，其中 {len(TOTALS)} 个改了数值" in result.stdout
    assert digest(book) == before, "the input must not change"
    wb = openpyxl.load_workbook(out)
    for cell_id in TOTALS:
        c = SPEC.cell(cell_id)
        assert wb[c.sheet][c.address].value == original[cell_id], cell_id
    assert run("check", out).returncode == 0
    assert wb["表三"].protection.sheet, "protection is put back after writing"
    again = run("fill", out, "-o", tmp_path / "again.xlsx")
    assert again.returncode == 0 and "其中 0 个改了数值" in again.stdout


def test_fill_reports_remaining_errors_and_skips_totals_of_bad_parts(tmp_path: Path) -> None:
    doc, _ = without_totals()
    doc["values"]["T3.r_granted.natural_person"] = 5
    book = write_doc(doc, tmp_path)
    wb = openpyxl.load_workbook(book)
    part = SPEC.cell("T4.review.upheld")
    wb[part.sheet][part.address] = "若干"  # a part that is not a number
    wb.save(book)
    result = run("fill", book, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 1, "the changed part breaks 一+二=（七）+四, which fill cannot fix"
    total = SPEC.cell("T4.review.total")
    assert f"没有填充，因为它的分项不是有效的数字：表四!{total.address}〔" in result.stdout and "仍有" in result.stderr
    assert "是“若干”，不是数字" in result.stdout and "运行 xltools check" in result.stdout
    assert "点“校验”" not in result.stdout
    assert cell(tmp_path / "out.xlsx", "T4.review.total").value is None
    assert cell(tmp_path / "out.xlsx", "T3.r_granted.total").value == doc["values"]["T3.r_granted.natural_person"] + \
        sum(doc["values"].get(f"T3.r_granted.{c}", 0) for c in
            ("commercial_enterprise", "research_institution", "public_interest_org", "legal_service_org", "other_org"))


def test_fill_in_place_keeps_a_backup(tmp_path: Path) -> None:
    doc, original = without_totals()
    book = write_doc(doc, tmp_path)
    before = book.read_bytes()
    result = run("fill", book, "--in-place")
    assert result.returncode == 0, result.stderr
    backups = list(tmp_path.glob("report-备份-*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert cell(book, "T3.r_total.total").value == original["T3.r_total.total"]
    assert not list(tmp_path.glob(".~*")), "no temporary file is left behind"


@pytest.mark.parametrize("args, message", [
    (("missing.xlsx",), "文件不存在"),
    (("notes.txt",), "不支持 .txt"),
    (("report.xlsx", "-o", "report.xlsm"), "同为 .xlsx"),
    (("report.xlsx", "-o", "report.xlsx"), "--in-place"),
    (("report.xlsx", "-o", "exists.xlsx"), "--overwrite"),
    (("report.xlsx", "--in-place", "-o", "x.xlsx"), "只能选一个"),
])
def test_fill_refuses_bad_input_with_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    write_doc(clean_document(), tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "exists.xlsx").write_bytes(b"keep")
    result = run("fill", *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "exists.xlsx").read_bytes() == b"keep"


def broken_book(folder: Path, macro: bool = False) -> Path:
    """A clean report with one wrong total (error), one blank cell (warning) and a clerk's own note."""
    doc = clean_document()
    doc["values"]["T3.r_granted.total"] += 7
    doc["values"].pop("T2.regulations.issued")
    book = write_doc(doc, folder, macro=macro)
    wb = openpyxl.load_workbook(book, keep_vba=macro)
    c = SPEC.cell("T3.r_granted.total")
    wb[c.sheet][c.address].comment = openpyxl.comments.Comment("办公室：此数待核", "张三")
    wb.save(book)
    return book


def test_check_annotate_writes_results_sheet_flags_and_notes(tmp_path: Path) -> None:
    book = broken_book(tmp_path)
    before = digest(book)
    out = tmp_path / "flagged.xlsx"
    result = run("check", book, "--annotate", out)
    assert result.returncode == 1 and "T3_ROW_TOTAL" in result.stdout
    assert digest(book) == before
    wb = openpyxl.load_workbook(out)
    assert wb.active.title == RESULTS_SHEET
    ws = wb[RESULTS_SHEET]
    assert "2 个错误，1 个警告" in ws["A1"].value
    assert [c.value for c in ws[2]] == list(RESULTS_HEADER)
    rows = {r[1].value: r for r in ws.iter_rows(min_row=3)}
    total = SPEC.cell("T3.r_granted.total")
    row = rows["T3_ROW_TOTAL"]
    assert row[0].value == "错误" and row[2].value == f"表三!{total.address}"
    assert row[2].hyperlink.location == f"'表三'!{total.address}"
    assert "（一）予以公开" in row[3].value and row[6].value == str(cell(book, "T3.r_granted.total").value)
    flagged = wb[total.sheet][total.address]  # the likely cause of both errors: the colour of its group
    assert flagged.fill.fgColor.rgb.endswith(CAUSE_COLOURS[0])
    assert "总计为" in flagged.comment.text and "怎么改" in flagged.comment.text
    blank = SPEC.cell("T2.regulations.issued")
    assert wb[blank.sheet][blank.address].fill.fgColor.rgb.endswith(FLAG_COLOURS["warning"])
    assert wb[FLAGS_SHEET].sheet_state == "hidden"
    assert sum(1 for ws in wb.worksheets if ws.sheet_view.tabSelected) == 1


def test_clear_flags_restores_fills_and_notes_exactly(tmp_path: Path) -> None:
    book = broken_book(tmp_path)
    flagged = tmp_path / "flagged.xlsx"
    assert run("check", book, "--annotate", flagged).returncode == 1
    result = run("clear-flags", flagged, "-o", tmp_path / "clean.xlsx")
    assert result.returncode == 0 and "已清除 3 个单元格的标记" in result.stdout
    original, cleared = openpyxl.load_workbook(book), openpyxl.load_workbook(tmp_path / "clean.xlsx")
    assert cleared.sheetnames == original.sheetnames
    for cell_id in ("T3.r_granted.total", "T2.regulations.issued"):
        c = SPEC.cell(cell_id)
        a, b = original[c.sheet][c.address], cleared[c.sheet][c.address]
        assert (repr(a.fill), repr(a.font), a.number_format) == (repr(b.fill), repr(b.font), b.number_format)
        assert (a.comment.text if a.comment else None) == (b.comment.text if b.comment else None)
    assert cleared["表三"][SPEC.cell("T3.r_granted.total").address].comment.text == "办公室：此数待核"


def test_annotate_in_place_and_refusals(tmp_path: Path) -> None:
    book = broken_book(tmp_path)
    assert run("check", book, "--in-place").returncode == 1
    assert RESULTS_SHEET in openpyxl.load_workbook(book).sheetnames
    assert len(list(tmp_path.glob("report-备份-*.xlsx"))) == 1
    two = run("check", book, book, "--annotate", tmp_path / "x.xlsx")
    assert two.returncode == 2 and "consolidate" in two.stderr


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def styles_and_rules(path: Path) -> dict[str, Any]:
    """What a clerk's workbook holds besides values, as openpyxl reads it back."""
    wb = openpyxl.load_workbook(path, keep_vba=True)
    got: dict[str, Any] = {"names": {n: d.attr_text for n, d in wb.defined_names.items()},
                           "props": {p.name: p.value for p in wb.custom_doc_props.props}}
    for ws in wb.worksheets:
        got[ws.title] = {
            "protection": (ws.protection.sheet, ws.protection.formatColumns, ws.protection.password),
            "validation": sorted((str(v.sqref), v.type, v.formula1) for v in ws.data_validations.dataValidation),
            "conditional": sorted(str(r.sqref) for r in ws.conditional_formatting),
            "print": (ws.print_area, ws.page_setup.orientation, ws.sheet_state),
            "cells": {c.coordinate: (c.fill.fgColor.rgb, c.font.b, c.number_format, c.protection.locked,
                                     c.alignment.wrap_text) for row in ws.iter_rows() for c in row},
        }
    return got


def test_fill_keeps_macros_buttons_styles_validation_protection_and_names(tmp_path: Path) -> None:
    doc, _ = without_totals()
    book = write_doc(doc, tmp_path, macro=True)
    out = tmp_path / "filled.xlsm"
    assert run("fill", book, "-o", out).returncode == 0
    a, b = parts(book), parts(out)
    assert b["xl/vbaProject.bin"] == a["xl/vbaProject.bin"]
    vml = [n for n in a if n.startswith("xl/drawings/vmlDrawing")]
    assert len(vml) == 4 and all(b[n] == a[n] for n in vml), "the buttons' drawings are kept byte for byte"
    assert b"macroEnabled" in b["[Content_Types].xml"]
    parser = VBA_Parser(str(out))
    found = {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    parser.close()
    assert all(_code(found[name]) == _code(source) for name, source, _ in module_sources())
    before, after = styles_and_rules(book), styles_and_rules(out)
    for sheet in ("封面", "正文", "表二", "表三", "表四", "xlwings.conf"):
        for key in ("protection", "validation", "conditional", "print"):
            assert after[sheet][key] == before[sheet][key], (sheet, key)
        assert after[sheet]["cells"] == before[sheet]["cells"], sheet
    assert after["names"] == before["names"] and after["props"] == before["props"]
    src, dst = openpyxl.load_workbook(book), openpyxl.load_workbook(out)
    assert [[c.value for c in r] for r in dst["正文"].iter_rows()] == [[c.value for c in r] for r in
                                                                       src["正文"].iter_rows()]


@pytest.mark.slow
def test_annotated_macro_workbook_keeps_buttons_in_libreoffice(tmp_path: Path) -> None:
    book = broken_book(tmp_path, macro=True)
    flagged = tmp_path / "flagged.xlsm"
    assert run("check", book, "--annotate", flagged).returncode == 1
    assert parts(flagged)["xl/vbaProject.bin"] == parts(book)["xl/vbaProject.bin"]
    modules, buttons = libreoffice_buttons(flagged, tmp_path)
    assert {"xltools", "xlwings", "Dictionary"} <= modules
    assert buttons == expected_buttons()
    cleared = tmp_path / "cleared.xlsm"
    assert run("clear-flags", flagged, "-o", cleared).returncode == 0
    assert libreoffice_buttons(cleared, tmp_path / "again")[1] == expected_buttons()


@pytest.mark.slow
def test_fill_and_annotate_work_on_a_libreoffice_resaved_workbook(tmp_path: Path) -> None:
    doc, original = without_totals()
    resaved = libreoffice_convert(write_doc(doc, tmp_path), tmp_path, "xlsx:Calc MS Excel 2007 XML")
    out = tmp_path / "filled.xlsx"
    assert run("fill", resaved, "-o", out).returncode == 0
    assert cell(out, "T3.r_total.total").value == original["T3.r_total.total"]
    assert run("check", out, "--annotate", tmp_path / "a.xlsx").returncode == 0


def test_outputs_get_normal_permissions_and_in_place_keeps_the_files(tmp_path: Path) -> None:
    """Written through a temporary file, yet readable like any new file (not mkstemp's 0600); an edited file
    keeps its own permissions."""
    book = write_doc(clean_document(), tmp_path)
    umask = os.umask(0)
    os.umask(umask)
    assert run("fill", book, "-o", tmp_path / "new.xlsx").returncode == 0
    assert (tmp_path / "new.xlsx").stat().st_mode & 0o777 == 0o666 & ~umask
    book.chmod(0o640)
    assert run("fill", book, "--in-place").returncode == 0
    assert book.stat().st_mode & 0o777 == 0o640
