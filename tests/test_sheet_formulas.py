"""The formulas without a cached value (``reader.sheet_formulas``): read by scanning the sheet XML every spreadsheet
program writes, and by parsing it otherwise — both ways must find the same formulas (issue 14)."""

from __future__ import annotations

import pytest

from xltools.reading import reader

HEAD = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = b"</sheetData></worksheet>"
ROWS = {
    "cached": b'<row r="1"><c r="A1"><f>SUM(B1:C1)</f><v>3</v></c><c r="B1"><v>1</v></c><c r="C1"><v>2</v></c></row>',
    "no value": b'<row r="2"><c r="D2" s="3"><f>SUM(B2:C2)</f></c></row>',
    "empty value": b'<row r="3"><c r="E3"><f>B3+1</f><v></v></c><c r="F3"><f>B3+2</f><v/></c></row>',
    "zero value": b'<row r="4"><c r="G4"><f>B4*0</f><v>0</v></c></row>',
    "shared": b'<row r="5"><c r="H5"><f t="shared" ref="H5:H6" si="0">B5</f></c></row>'
              b'<row r="6"><c r="H6"><f t="shared" si="0"/></c></row>',
    "escaped": b'<row r="7"><c r="I7" t="str"><f>"a"&amp;"b"</f></c></row>',
    "text": b'<row r="8"><c r="J8" t="inlineStr"><is><t>SUM(&lt;f&gt;)</t></is></c></row>',
}


def both(data: bytes) -> tuple[dict[str, str] | None, dict[str, str]]:
    """(the scanning way, None when it does not apply; the parsing way)."""
    fast = reader._plain_formulas(data)
    scan = reader._plain_formulas
    try:
        reader._plain_formulas = lambda _: None  # type: ignore[assignment]
        parsed = reader.sheet_formulas(data)
    finally:
        reader._plain_formulas = scan  # type: ignore[assignment]
    return fast, parsed


@pytest.mark.parametrize("case", [k for k in ROWS if k != "escaped"])
def test_scanning_finds_what_parsing_finds(case: str) -> None:
    fast, parsed = both(HEAD + ROWS[case] + TAIL)
    assert fast is not None and fast == parsed


def test_every_case_together() -> None:
    fast, parsed = both(HEAD + b"".join(v for k, v in ROWS.items() if k != "escaped") + TAIL)
    assert fast == parsed == {"D2": "SUM(B2:C2)", "E3": "B3+1", "F3": "B3+2", "H5": "B5", "H6": "（共享公式）"}


@pytest.mark.parametrize("data", [
    HEAD + ROWS["escaped"] + TAIL,  # an escaped character in a formula: parsed
    HEAD + b'<row r="1"><c><f>SUM(B1:C1)</f></c></row>' + TAIL,  # a cell without its address: parsed
    HEAD.replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=").replace(b"<sheetData>", b"<x:sheetData>")
    + b'<x:row r="1"><x:c r="A1"><x:f>SUM(B1:C1)</x:f></x:c></x:row></x:sheetData></x:worksheet>',  # prefixed
])
def test_other_sheets_are_parsed_and_read_the_same(data: bytes) -> None:
    fast, parsed = both(data)
    assert fast is None
    assert reader.sheet_formulas(data) == parsed != {}
