"""The official workbook: committed template in sync, protection, validation, names, totals that turn red."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from helpers import REPO, run

from xltools.format.spec import load_spec

TEMPLATE = REPO / "workbook_templates" / "gov-disclosure-2021.xlsx"


def test_committed_template_is_what_new_writes(tmp_path: Path) -> None:
    out = tmp_path / "blank.xlsx"
    assert run("new", "-o", out).returncode == 0
    assert out.read_bytes() == TEMPLATE.read_bytes(), "regenerate: xltools new -o workbook_templates/…xlsx --overwrite"


def test_layout_labels_names_protection_and_validation() -> None:
    spec = load_spec()
    wb = openpyxl.load_workbook(TEMPLATE)
    assert wb.sheetnames == ["封面", "正文", "表二", "表三", "表四", "校验", "情况说明"]
    ws3 = wb["表三"]
    assert ws3["A2"].value == "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    assert ws3["C11"].value == "3.危及“三安全一稳定”"
    assert ws3["A7"].value == "三、本年度办理结果" and "A7:A28" in {str(r) for r in ws3.merged_cells.ranges}
    assert wb["表四"]["K3"].value == "复议后起诉"
    for sheet in wb.worksheets:
        assert sheet.protection.sheet and not sheet.protection.password
        assert sheet.page_setup.paperSize == 9
    assert wb["表三"].page_setup.orientation == "landscape"
    names = wb.defined_names
    for cell in spec.cells:
        dn = names[cell.name]
        sheet, ref = next(iter(dn.destinations))
        assert (sheet, ref.replace("$", "")) == (cell.sheet, cell.block or cell.address)  # a text cell: its rows
        assert wb[cell.sheet][cell.address].protection.locked is False
    assert wb["表三"]["C9"].protection.locked is not False  # labels stay locked
    validations = {str(dv.sqref): dv for dv in ws3.data_validations.dataValidation}
    assert validations["D5"].type == "whole" and validations["D5"].operator == "greaterThanOrEqual"
    assert "不小于0的整数" in (validations["D5"].error or "")
    fee = {str(dv.sqref): dv for dv in wb["表二"].data_validations.dataValidation}["B15:D15"]
    assert fee.type == "custom" and "ROUND(B15,6)" in (fee.formula1 or "")
    assert len(names) == 210  # one workbook-level name per input cell (print areas are sheet-level)


def test_totals_turn_red_when_they_disagree() -> None:
    wb = openpyxl.load_workbook(TEMPLATE)
    formulas = {str(rng.sqref): rule.formula[0] for rng in wb["表三"].conditional_formatting for rule in rng.rules}
    assert formulas["J7"] == "(J7)<>(D7+E7+F7+G7+H7+I7)"
    assert formulas["D28"].startswith("(D28)<>(D7+D8+") and formulas["D28"].endswith("+D27)")
    t4 = {str(rng.sqref): rule.formula[0] for rng in wb["表四"].conditional_formatting for rule in rng.rules}
    assert t4["O5"] == "(O5)<>(K5+L5+M5+N5)"


def test_template_identity_in_document_properties() -> None:
    wb = openpyxl.load_workbook(TEMPLATE)
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props == {"xltools.template": "gov-disclosure-2021", "xltools.template_version": "2"}
