"""Tables as their cells: every position of a table's grid with the cell that covers it, so that a merged cell
(rowspan/colspan in a web page, gridSpan/vMerge in Word, a PDF's ruling) is known as one cell covering several
positions and never shifts the cells after it. Pure. Markdown pipe tables (reports converted from PDF or OCR) are
read here too.

In the text a table leaves ``TABLE_MARK`` on a line of its own before its rows, so the parser knows where each
table of ``Source.tables`` stands (the n-th mark is the n-th table).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

TABLE_MARK = "\ue000"  # a private-use character: never in a report's text (stripped from text files on reading)
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_DASHES = re.compile(r"^[/／\-－—–]+$|^无$")
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$|^\s*[^|\n]*\|[^|\n]*\|.*$")
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SPACE = re.compile(r"[\s\u00a0\u3000]+")
_UNIT = re.compile(r"(?<=\d)(?:万元|元|件|条|个|项|次|人)$")


class Slot(NamedTuple):
    """One position of a table's grid: the text of the cell covering it and where that cell starts."""

    text: str
    origin: tuple[int, int]  # (row, column) of the cell's top-left position


class Table(NamedTuple):
    """A table as a grid of positions (rows may differ in length). ``exact``: the cell structure is the
    publisher's own (web page, Word, Markdown); False for a PDF's ruling read back."""

    rows: list[list[Slot]]
    exact: bool = True

    def text(self) -> str:
        """The cells' text, each cell once (for detecting layouts by their words)."""
        seen: set[tuple[int, int]] = set()
        out: list[str] = []
        for row in self.rows:
            for s in row:
                if s.origin not in seen and s.text:
                    seen.add(s.origin)
                    out.append(s.text)
        return " ".join(out)


def clean(text: str) -> str:
    return _SPACE.sub("", text)


def number_text(text: str) -> str:
    """A cell's number as digits: without spaces, thousands separators or a unit written after it ("3件")."""
    return _UNIT.sub("", clean(text).replace(",", ""))


@lru_cache(maxsize=8192)
def kind(text: str) -> str:
    """"number", "blank" (empty, "/", "-", "无") or "text"."""
    t = number_text(text)
    if not t:
        return "blank"
    if _NUMBER.match(t):
        return "number"
    return "blank" if _DASHES.match(t) else "text"


def span_grid(rows: list[list[tuple[str, int, int]]], span_limit: int) -> Table:
    """Rows of (text, rowspan, colspan) as published -> the table's grid; spans are clipped to the table's rows
    and to ``span_limit`` (the caller's limits; the cells were already counted against them)."""
    grid: dict[tuple[int, int], Slot] = {}
    widths = [0] * len(rows)
    for r, row in enumerate(rows):
        col = 0
        for text, rowspan_, colspan_ in row:
            rowspan, colspan = min(rowspan_, span_limit), min(colspan_, span_limit)
            while (r, col) in grid:
                col += 1
            slot = Slot(clean(text), (r, col))
            for dr in range(min(rowspan, len(rows) - r)):
                for dc in range(colspan):
                    grid[(r + dr, col + dc)] = slot
                    widths[r + dr] = max(widths[r + dr], col + dc + 1)
            col += colspan
    return Table([[grid.get((r, c), Slot("", (r, c))) for c in range(widths[r])] for r in range(len(rows))])


def is_pipe_row(line: str) -> bool:
    return line.count("|") >= 2 and bool(_PIPE_ROW.match(line))


def pipe_cells(line: str) -> list[str] | None:
    """The cells of a Markdown table row ("| 标签 | 1 | 0 |"); None for a separator row ("|---|:--:|")."""
    if _SEPARATOR.match(line):
        return None
    s = line.strip()
    s = s[1:] if s.startswith("|") else s
    s = s[:-1] if s.endswith("|") else s
    return [c.strip() for c in s.split("|")]


def pipe_table(lines: list[str]) -> Table:
    """Consecutive pipe-table lines -> a table (separator rows dropped; no spans in Markdown)."""
    rows = [cells for cells in (pipe_cells(ln) for ln in lines) if cells is not None]
    return Table([[Slot(clean(t), (r, c)) for c, t in enumerate(row)] for r, row in enumerate(rows)])
