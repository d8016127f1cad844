"""Cutting a sheet's far cells (issue 14): far rows by one pattern for every row number past the bound, far
columns by their letters, and the exact way when there are too many distinct far columns for a pattern. Pure: the
sheet XML is built here."""

from __future__ import annotations

import re


def test_the_pattern_for_rows_past_the_bound_matches_exactly_those() -> None:
    """Far rows are cut by one pattern for every row number past the bound."""
    from xltools.format.addresses import col_letters
    from xltools.reading.sheetxml import greater_than, trim_sheet

    for bound in (0, 1, 9, 10, 39, 65, 89, 99, 100, 999, 1000, 65535, 99999, 1048575, 1048576):
        pattern = re.compile(b"(?:" + greater_than(bound) + b")")
        for row in {*range(1, 1200), *range(max(bound - 50, 1), bound + 50), 65536, 99999, 100000, 1048576}:
            assert bool(pattern.fullmatch(str(row).encode())) == (row > bound), (bound, row)
    # more distinct far columns than one pattern holds: the exact way, same result
    cells = "".join(f'<c r="{col_letters(100 + i)}5"><v>{i}</v></c>' for i in range(300))
    sheet = f'<worksheet><sheetData><row r="5"><c r="B5"><v>1</v></c>{cells}</row></sheetData></worksheet>'.encode()
    trimmed, far = trim_sheet(sheet, 40, 20)
    assert far == f"{col_letters(399)}5" and b"<v>1</v>" in trimmed and b"<v>7</v>" not in trimmed
