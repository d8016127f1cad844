"""The writer's fast path for formulas (``xltools.workbook.writer._ReportSheet``): a formula that uses only portable
functions skips XlsxWriter's regular-expression preparation, and the written workbook is byte for byte the one
XlsxWriter writes on its own."""

from __future__ import annotations

import inspect
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from helpers import clean_document

from xltools.format.spec import load_spec
from xltools.reading.document import parse_document
from xltools.workbook import writer
from xltools.workbook.check_formulas import FUNCTIONS, check_sheet

SPEC = load_spec()


def written(path: Path, **kwargs: Any) -> dict[str, bytes]:
    writer.write_workbook(SPEC, str(path), **kwargs)
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.mark.parametrize("case", ["blank", "filled", "data sheet", "macro"])
def test_the_workbook_is_byte_identical_with_and_without_the_fast_path(tmp_path: Path, case: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _, doc = parse_document(clean_document())
    data = [writer.DataSheet("明细", ["单位", "件数", "金额"], [["甲", 1, 2.5], ["乙", 3, 4]], sums_from=1)]
    kwargs: dict[str, Any] = {"blank": {}, "filled": {"doc": doc}, "data sheet": {"doc": doc, "data_sheets": data},
                              "macro": {"macro": writer.MacroParts(None)}}[case]
    seen: list[tuple[str, bool]] = []
    portable = writer._portable

    def recorded(formula: str) -> bool:
        seen.append((formula, portable(formula)))
        return seen[-1][1]

    monkeypatch.setattr(writer, "_portable", recorded)
    fast = written(tmp_path / "fast.xlsx", **kwargs)
    monkeypatch.setattr(writer._ReportSheet, "_prepare_formula", writer.Worksheet._prepare_formula)
    slow = written(tmp_path / "slow.xlsx", **kwargs)

    assert list(fast) == list(slow)
    core = "docProps/core.xml"  # holds the time of writing when the workbook is filled
    assert [name for name in fast if name != core and fast[name] != slow[name]] == []
    # The fast path was taken: every formula of the workbook (the 校验 sheet, the cover's verdict, the conditional
    # formats, the amount cells' validation, the data sheet's sums) uses portable functions only.
    formulas = {formula for formula, _ in seen}
    assert len(formulas) > 250
    assert [formula for formula, fast_path in seen if not fast_path] == []
    assert check_sheet(SPEC).verdict in formulas
    sheets = [name for name in fast if name.startswith("xl/worksheets/sheet")]
    assert sum(fast[name].count(b"<f>") for name in sheets) > 250


def test_formulas_outside_the_portable_functions_are_left_to_xlsxwriter() -> None:
    sheet = writer._ReportSheet()
    cases = {
        "=SUM('表二'!$B$5,'表二'!$C$5)": True,
        '=IF(A1="",TEXT(B1,"0%"),COUNTIFS(C1:C9,"✘"))': True,
        "=AND(ISNUMBER(A1),A1>=0,ROUND(A1,6)=A1)": True,
        "=(A1+B1)<>(C1)": True,
        '="合计（"&SUM(A1:A3)&"）"': True,
        "=XLOOKUP(A1,B:B,C:C)": False,
        '=IF(A1="FILTER(x)",1,0)': False,  # XlsxWriter rewrites names inside string literals too
        "=STDEV.S(A1:A3)": False,
        "=A1SINGLE(B1)": False,
        "=_xlfn.CONCAT(A1)": False,
        "=sum(A1)": False,
        "={=SUM(A1:A3)}": False,
        "{SUM(A1:A3)}": False,
        "=SUM(A1:A3)}": False,
    }
    for formula, portable in cases.items():
        assert writer._portable(formula) is portable, formula
        for expand in (False, True):
            assert sheet._prepare_formula(formula, expand) == writer.Worksheet._prepare_formula(
                sheet, formula, expand), formula
    assert writer._ReportSheet._prepare_formula(sheet, "=XLOOKUP(A1,B:B,C:C)", True) == \
        "_xlfn.XLOOKUP(A1,B:B,C:C)"


def could_match(pattern: str, function: str) -> bool:
    """Whether the substitution ``pattern`` (``\\bNAME\\(`` or ``\\SNAME\\(``, a "." in NAME standing for any
    character) can match a formula at a "(" that ``_portable`` accepts: one right after the whole name ``function``,
    which follows a character other than a letter, digit, "_" or "." (or starts the formula), with anything before
    that. NAME is aligned with the end of ``function``: its characters must match the function's, the one before
    the function can only be matched by a wildcard, anything further left can be matched."""
    shape = re.fullmatch(r"\\([bS])([A-Z0-9_.]*[A-Z0-9_])\\\(", pattern)
    assert shape, f"XlsxWriter's formula preparation has a new kind of substitution: {pattern}"
    start, name = shape.groups()
    atoms = (["any"] if start == "S" else []) + ["any" if c == "." else c for c in name]
    for i in range(1, len(atoms) + 1):
        atom = atoms[-i]
        if i <= len(function) and atom not in ("any", function[-i]):
            return False
        if i == len(function) + 1 and atom != "any":
            return False
    # \b before NAME: inside the function's name (between two letters) there is no word boundary.
    return start == "S" or len(atoms) >= len(function)


def test_no_substitution_of_xlsxwriter_can_touch_a_portable_function() -> None:
    source = inspect.getsource(writer.Worksheet._prepare_formula)
    patterns = re.findall(r're\.sub\(\s*r"([^"]+)"', source)
    assert len(patterns) > 150, "XlsxWriter's formula preparation has changed: review writer._portable"
    assert FUNCTIONS <= writer.PORTABLE and all(re.fullmatch("[A-Z]+", f) for f in writer.PORTABLE)
    assert [(p, f) for p in patterns for f in writer.PORTABLE if could_match(p, f)] == []
    # The analysis itself, against the regular expressions: what it says can match does, what it rules out does not.
    for pattern, function, text in ((r"\bSUM\(", "SUM", "=SUM("), (r"\bX.SUM\(", "SUM", "=X,SUM("),
                                    (r"\bX.S.M\(", "SUM", "=X,SUM("), (r"\SUM\(", "SUM", "=SUM("),
                                    (r"\bUM\(", "SUM", ""), (r"\bXSUM\(", "SUM", ""), (r"\bX.UM\(", "SUM", ""),
                                    (r"\bCONFIDENCE.T\(", "COUNT", "")):
        assert could_match(pattern, function) is bool(text), pattern
        assert bool(text) is bool(text and re.search(pattern, text)), pattern
