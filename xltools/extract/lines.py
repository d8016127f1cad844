"""Text extracted from a report file (``Source``), the error for files that cannot be read, and how a table row
becomes one line of that text. Shared by the readers of every file kind."""

from __future__ import annotations

import re
from typing import NamedTuple

from xltools.errors import XltoolsError
from xltools.extract.tables import PLACEHOLDER

_NUMERIC = re.compile(r"^\s*(\d+(\.\d+)?|[/／\-－—–]+)\s*$")


class Source(NamedTuple):
    """Text extracted from a file: ``hard_wrapped`` when lines are a page's lines (PDF) rather than paragraphs.
    Pictures are marked in the text with PICTURE."""

    text: str
    hard_wrapped: bool


class SourceError(XltoolsError):
    """The file cannot be read as a report (message in Chinese)."""


def row_line(cells: list[str], exact: bool = True) -> str:
    """A table row as a line: cells separated by spaces; in a row with numbers, blank cells become ∅. When the
    cell structure is not exact (a PDF's ruling, where a merged label may show as blank cells), only blanks
    between two numbers are kept as ∅."""
    cells = [re.sub(r"\s+", "", c) for c in cells]
    numeric = [i for i, c in enumerate(cells) if c and _NUMERIC.match(c)]
    if not numeric:
        return " ".join(c for c in cells if c)
    if exact:
        return " ".join(c or PLACEHOLDER for c in cells)
    return " ".join(c or PLACEHOLDER for i, c in enumerate(cells) if c or numeric[0] < i < numeric[-1])


def grid_rows(rows: list[list[tuple[str, int, int]]]) -> list[list[str]]:
    """Rows of (text, rowspan, colspan) -> rows of the cells that start in each row (spanned positions dropped)."""
    out: list[list[str]] = []
    taken: dict[tuple[int, int], bool] = {}
    for r, row in enumerate(rows):
        col = 0
        cells: list[str] = []
        for text, rowspan, colspan in row:
            while taken.get((r, col)):
                col += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    taken[(r + dr, col + dc)] = True
            cells.append(text)
            col += colspan
        out.append(cells)
    return out


