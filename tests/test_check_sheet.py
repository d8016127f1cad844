"""The 校验 sheet: every arithmetic rule instance of the format as portable worksheet formulas, written without
cached results, ignored by ``xltools check``. (Its results, computed by LibreOffice, are compared with the check's
findings in test_check_sheet_recalc.py.)"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import get_args

import openpyxl
from helpers import check_json, clean_document, run, write_doc

from xltools.format.rulekinds import KINDS, PREVIOUS_KINDS, NumberCellId
from xltools.format.spec import load_spec
from xltools.workbook.check_formulas import (
    CHECK_SHEET,
    FIRST_LINE,
    FORMULAS,
    FUNCTIONS,
    formula_functions,
    lines,
    uncovered,
)

SPEC = load_spec()


def number_kinds() -> set[str]:
    """The declared rule kinds that read number cells: the arithmetic rules."""
    found = set()
    for name, kind in KINDS.items():
        if name in PREVIOUS_KINDS:  # against last year's report: no formula can read it
            continue
        for tp in kind.params.values():
            if tp is NumberCellId or NumberCellId in get_args(tp):
                found.add(name)
    return found


def test_every_arithmetic_rule_instance_has_one_line() -> None:
    assert number_kinds() == set(FORMULAS), "every kind that reads numbers has a formula, and no other"
    expected = [(r.id, len(r.expanded)) for r in SPEC.rules if r.kind in FORMULAS]
    got: dict[str, int] = {}
    for line in lines(SPEC):
        got[line.rule.id] = got.get(line.rule.id, 0) + 1
    assert list(got.items()) == expected
    assert sum(n for _, n in expected) == len(lines(SPEC)) == 47
    assert {r.kind for r in uncovered(SPEC)} == {"text_required", "text_contains", "text_max_length", "text_quotes"}


def sheet_xml(book: Path, name: str) -> str:
    with zipfile.ZipFile(book) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet name="{name}" sheetId="\d+" r:id="(rId\d+)"', workbook)
        assert rid, name
        target = re.search(rf'Id="{rid.group(1)}" Type="[^"]+" Target="([^"]+)"', rels)
        assert target
        return z.read("xl/" + target.group(1)).decode()


def test_the_sheet_in_every_new_workbook(tmp_path: Path) -> None:
    book = write_doc(clean_document(), tmp_path)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames.index(CHECK_SHEET) == 5, wb.sheetnames
    ws = wb[CHECK_SHEET]
    assert ws.protection.sheet
    formulas = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert len(formulas) >= 47 * 5  # result, expected, actual, explanation, unusable (and a difference)
    for formula in formulas:
        assert formula_functions(formula) <= FUNCTIONS, formula
        assert len(formula) < 8192
    rows = list(ws.iter_rows(min_row=FIRST_LINE, values_only=True))
    assert [r[3] for r in rows] == [line.rule.id for line in lines(SPEC)]
    first = lines(SPEC)[0].cells[0]
    assert rows[0][4] == first.ref
    assert ws.cell(FIRST_LINE, 5).hyperlink.location == f"'{first.sheet}'!{first.address}"
    assert rows[0][5:7] == (first.row_label, first.col_label)
    xml = sheet_xml(book, CHECK_SHEET)
    assert xml.count("<f>") == len(formulas)
    assert not re.search(r"</f><v>[^<]", xml), "formulas carry no cached result: every application computes them"


def test_check_ignores_the_check_sheet(tmp_path: Path) -> None:
    book = write_doc(clean_document(), tmp_path)
    before = check_json(book)
    wb = openpyxl.load_workbook(book)
    ws = wb[CHECK_SHEET]
    ws.protection.sheet = False
    for row in ws.iter_rows(min_row=1, max_row=80, max_col=30):
        for c in row:
            if type(c).__name__ != "MergedCell":
                c.value = "乱写的内容 /"
    ws["AZ5000"] = -1
    wb.save(book)
    assert check_json(book) == before
    assert run("dump", book).returncode == 0


def check_sheet_state(book: Path) -> dict[str, object]:
    """Everything of the 校验 sheet a clerk would notice: formulas and texts, styles, widths, merges, protection,
    conditional formats, its place among the sheets."""
    wb = openpyxl.load_workbook(book)
    ws = wb[CHECK_SHEET]
    return {
        "place": wb.sheetnames.index(CHECK_SHEET),
        "cells": {c.coordinate: (c.value, c.font.b, c.number_format, c.protection.locked, c.alignment.wrap_text,
                                 c.border.left.style) for row in ws.iter_rows() for c in row},
        "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        "merged": sorted(str(m) for m in ws.merged_cells.ranges),
        "protection": (ws.protection.sheet, ws.protection.formatColumns),
        "conditional": sorted((str(r.sqref), tuple(x.formula[0] for x in r.rules)) for r in ws.conditional_formatting),
        "freeze": ws.freeze_panes,
    }


def test_fill_annotate_and_clear_flags_keep_the_check_sheet(tmp_path: Path) -> None:
    doc = clean_document()
    for line in lines(SPEC)[:5]:
        doc["values"].pop(line.cells[0].id, None)  # totals to fill
    doc["values"][lines(SPEC)[-1].cells[0].id] = 5  # a finding to flag
    book = write_doc(doc, tmp_path, macro=True)
    before = check_sheet_state(book)
    filled, flagged, cleared = tmp_path / "filled.xlsm", tmp_path / "flagged.xlsm", tmp_path / "cleared.xlsm"
    assert run("fill", book, "-o", filled).returncode in (0, 1)
    assert run("check", filled, "--annotate", flagged).returncode in (0, 1)
    assert run("clear-flags", flagged, "-o", cleared).returncode == 0
    for out in (filled, flagged, cleared):
        assert check_sheet_state(out) == before, out.name
