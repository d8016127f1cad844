"""The workbook port: the few operations the button handlers need from an open workbook.

Two implementations: openpyxl on a file (``xltools.book``, for the CLI and the tests) and xlwings on the live
workbook in Excel (``xltools.xlwings_port``). The handlers in ``xltools.actions`` see only this protocol, so what a
button does in Excel and what ``xltools fill`` / ``check --annotate`` do to a file is the same code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

_RGB = re.compile(r'(?:rgb="[0-9A-Fa-f]{2}|#|^)([0-9A-Fa-f]{6})(?:"|$)')


def token_rgb(fill: str) -> str | None:
    """The RGB hex ("DDEBF7") in a fill token of either port ("DDEBF7", "#DDEBF7", or openpyxl's fill XML);
    None when it has none (a theme colour): a workbook flagged by one port can be cleared by the other."""
    m = _RGB.search(fill)
    return m.group(1).upper() if m else None


class SheetTable(NamedTuple):
    """A plain sheet to (re)write: a bold title line, a header row, then rows. ``links`` maps (row index, column
    index) of ``rows`` to a ``'sheet'!A1`` target; ``row_fills`` gives an RGB hex fill ("FFC7CE") per row or ""."""

    name: str
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[float] = ()
    links: dict[tuple[int, int], str] = {}  # noqa: RUF012 (never mutated)
    row_fills: Sequence[str] = ()
    hidden: bool = False
    fill_column: int = 0  # the column (index) ``row_fills`` colour: the first, or a column to type into


@runtime_checkable
class FormulaSource(Protocol):
    """A port that can say which cells hold a formula (the file port; in Excel every formula recalculates)."""

    def formula(self, sheet: str, address: str) -> str | None:
        """The formula of the cell without "=" ("SUM(D5:I5)"); None for a value."""
        ...


class WorkbookPort(Protocol):
    """An open workbook. Addresses are A1 strings; a fill is an opaque token from ``fill`` that ``set_fill``
    restores exactly (None: no fill)."""

    @property
    def source(self) -> str:
        """The workbook's full path (or name, when never saved)."""
        ...

    def sheet_names(self) -> list[str]: ...

    def values(self, sheet: str) -> list[list[Any]]:
        """The sheet's values from A1 to the last used cell (rows of equal length; None or "" for empty)."""
        ...

    def merged_ranges(self, sheet: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """Merged ranges as ((first row, first col), (last row, last col)), zero-based."""
        ...

    def defined_names(self) -> dict[str, str]:
        """Workbook-level defined names and what they refer to (``'表三'!$D$5``)."""
        ...

    def properties(self) -> dict[str, str]:
        """Custom document properties (the template id and version live there)."""
        ...

    def formulas(self, sheet: str) -> dict[str, str]:
        """Formulas of the cells that have no calculated value, by address."""
        ...

    def set_value(self, sheet: str, address: str, value: Any) -> None:
        """Never called for a cell hidden under a merged range (``actions.merge_anchor``)."""
        ...

    def fill(self, sheet: str, address: str) -> str | None: ...

    def set_fill(self, sheet: str, address: str, fill: str | None) -> None:
        """Restore a token from ``fill``, or set a solid RGB hex colour ("FFC7CE"); None removes the fill. (Called
        with the top-left cell of a merged range, see ``actions.merge_anchor``.)"""
        ...

    def note(self, sheet: str, address: str) -> str | None: ...

    def set_note(self, sheet: str, address: str, text: str | None) -> None: ...

    def write_table(self, table: SheetTable, before: str | None = None) -> None:
        """Replace (or add) the sheet ``table.name`` with ``table``; placed before sheet ``before`` if given."""
        ...

    def delete_sheet(self, name: str) -> None: ...

    def unprotect(self, sheet: str) -> bool:
        """Lift the sheet's protection; True when it was protected (so ``protect`` must put it back)."""
        ...

    def protect(self, sheet: str) -> None: ...

    def select(self, sheet: str, address: str) -> None:
        """Show the clerk a cell (the active sheet and cell when the workbook is next opened)."""
        ...
