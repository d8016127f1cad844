"""The reader's caches (issue 14) never carry one workbook's layout over to another: label verification is shared
only between sheets with the very same labels, and the workbook part (sheets, defined names) only between files
with the very same bytes. Each case reads a good workbook, then an edited copy, then the good one again, in one
process (where the caches live)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from helpers import EXAMPLE_XLSX

from xltools.checking.check import check_file


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
