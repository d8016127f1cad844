"""Text extracted from a report file (``Source``), the error for files that cannot be read, and how a table row
becomes one line of that text. Shared by the readers of every file kind."""

from __future__ import annotations

import re
from typing import NamedTuple

from xltools.errors import XltoolsError
from xltools.extract.cells import Table
from xltools.extract.tables import PLACEHOLDER
from xltools.limits import ENV, LimitError, limits

_NUMERIC = re.compile(r"^\s*(\d+(\.\d+)?|[/／\-－—–]+)\s*$")


class Source(NamedTuple):
    """Text extracted from a file: ``hard_wrapped`` when lines are a page's lines (PDF) rather than paragraphs.
    Pictures are marked in the text with PICTURE; ``tables`` are the source's tables as cells, each marked in the
    text with TABLE_MARK where it stands; ``scanned``: pages that are pictures only (a scan), with no text."""

    text: str
    hard_wrapped: bool
    tables: tuple[Table, ...] = ()
    scanned: int = 0


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


class TableBudget:
    """The cells of all tables of one document, counted against ``limits().table_cells``: a page whose tables
    (with their spans) cover more cells than any report is refused instead of filling the memory."""

    def __init__(self, name: str):
        self.name = name
        self.limit = limits().table_cells
        self.used = 0

    def spend(self, cells: int) -> None:
        self.used += cells
        if self.used > self.limit:
            raise LimitError(
                f"{self.name} 中的表格太大（超过 {self.limit} 个单元格，上限 table_cells），不像年度报告的表格，"
                f"未导入：请确认文件（上限可由 {ENV}=table_cells=… 调整）",
                f"the tables of {self.name} have more than {self.limit} cells (limit table_cells, see {ENV})")


def grid_rows(rows: list[list[tuple[str, int, int]]], budget: TableBudget | None = None) -> list[list[str]]:
    """Rows of (text, rowspan, colspan) -> rows of the cells that start in each row (spanned positions dropped).
    Spans are clipped to the table's rows and to ``limits().table_span`` columns; the cells covered are counted
    in ``budget``."""
    span_limit = limits().table_span
    out: list[list[str]] = []
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        col = 0
        cells: list[str] = []
        for text, rowspan, colspan in row:
            rowspan, colspan = min(rowspan, len(rows) - r, span_limit), min(colspan, span_limit)
            if budget is not None:
                budget.spend(rowspan * colspan)
            while (r, col) in taken:
                col += 1
            if rowspan > 1:
                taken.update((r + dr, col + dc) for dr in range(1, rowspan) for dc in range(colspan))
            cells.append(text)
            col += colspan
        out.append(cells)
    return out
