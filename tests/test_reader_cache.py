"""The reader's caches (issue 14) never carry one workbook's layout over to another: label verification is shared
only between sheets with the very same labels, and the workbook part (sheets, defined names) only between files
with the very same bytes. Each case reads a good workbook, then an edited copy, then the good one again, in one
process (where the caches live)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from helpers import EXAMPLE_XLSX

from xltools.checking.check import check_file
from xltools.checking.render import to_json


def rules_at(path: Path) -> set[tuple[str, str, str]]:
    return {(f.rule, f.cells[0].sheet, f.cells[0].address) for f in check_file(path).findings if f.cells}


def edited(tmp_path: Path, edit: str) -> Path:
    wb = openpyxl.load_workbook(EXAMPLE_XLSX)
    if edit == "label":
        wb["表三"]["C27"] = "3.其他情形"  # the row label of （六）其他处理 3.其他
    elif edit == "name":  # the defined name of 表三 （七）总计/自然人 moved one row down
        wb.defined_names["T3_r_total_natural_person"].attr_text = "'表三'!$D$29"
    path = tmp_path / f"{edit}.xlsx"
    wb.save(path)
    return path


def test_a_changed_label_is_seen_after_the_same_layout_was_read_with_its_labels(tmp_path: Path) -> None:
    good = rules_at(EXAMPLE_XLSX)
    assert not any(rule == "LAYOUT_LABEL_MISMATCH" for rule, _, _ in good)
    changed = rules_at(edited(tmp_path, "label"))
    assert ("LAYOUT_LABEL_MISMATCH", "表三", "D27") in changed
    assert rules_at(EXAMPLE_XLSX) == good


def test_a_moved_defined_name_is_seen_after_the_original_workbook_part_was_read(tmp_path: Path) -> None:
    good = rules_at(EXAMPLE_XLSX)
    moved = rules_at(edited(tmp_path, "name"))
    assert ("LAYOUT_LABEL_MISMATCH", "表三", "D29") in moved and ("LAYOUT_LABEL_MISMATCH", "表三", "D29") not in good
    assert rules_at(EXAMPLE_XLSX) == good


def findings_in_a_fresh_process(path: Path) -> list[dict[str, object]]:
    """The findings of ``xltools check`` run in a process of its own (no cache has seen another workbook)."""
    out = subprocess.run([sys.executable, "-m", "xltools", "check", str(path), "--format", "json"],
                         capture_output=True, text=True, check=False).stdout
    findings: list[dict[str, object]] = json.loads(out)["files"][0]["findings"]
    return findings


def findings_here(path: Path) -> list[dict[str, object]]:
    findings: list[dict[str, object]] = to_json([check_file(path)])["files"][0]["findings"]
    return findings


def _edit(tmp_path: Path, name: str, edits: dict[tuple[str, str], object]) -> Path:
    wb = openpyxl.load_workbook(EXAMPLE_XLSX)
    for (sheet, address), value in edits.items():
        wb[sheet][address] = value
    path = tmp_path / f"{name}.xlsx"
    wb.save(path)
    return path


LABEL_27 = "3.其他"  # 表三!C27, the row label of （六）其他处理 3.其他


@pytest.mark.parametrize("first, then", [
    ({}, {("封面", "B4"): "另一个单位", ("表三", "D7"): "无"}),  # a unit's name, a text for a number
    ({}, {("表三", "E7"): LABEL_27}),  # the label of another row, in an input cell
    # the row's label moved into one of its input cells (its labels match), then only removed (they do not)
    ({("表三", "C27"): None, ("表三", "E27"): LABEL_27}, {("表三", "C27"): None}),
    # a changed label: the findings quote the text left of each cell, here a text typed into an input cell
    ({("表三", "C27"): "改过的", ("表三", "D27"): "甲"}, {("表三", "C27"): "改过的", ("表三", "D27"): "乙"}),
], ids=["unit-and-text", "label-in-number-cell", "label-moved-then-removed", "mismatch-quotes-input-text"])
def test_texts_in_input_cells_give_what_a_fresh_process_gives(tmp_path: Path, first: dict[tuple[str, str], object],
                                                             then: dict[tuple[str, str], object]) -> None:
    """Where each cell is read is kept per layout, leaving out the texts in the input cells themselves (a unit's
    name, "无" for a number) unless they are labels: after another workbook of the layout, the findings must be
    exactly those of a fresh process."""
    check_file(_edit(tmp_path, "first", first))  # its layout is now known in this process
    path = _edit(tmp_path, "then", then)
    assert findings_here(path) == findings_in_a_fresh_process(path)
    assert any(f["rule"] != "SECTIONS_PRESENT" for f in findings_here(path))  # (the edits are seen at all)
