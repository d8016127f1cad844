"""openpyxl's binding of merged cells, without its repeated style work: the same cells, borders and protection.

When openpyxl loads a sheet, every merged range gets its hidden cells replaced by ``MergedCell``s, the borders of
its edge cells completed from its top-left cell and every cell's protection set to the top-left one's
(``openpyxl.worksheet.merge.MergedCellRange``). It does that cell by cell with style objects: each ``cell.border +=
Border(…)`` builds a new ``Border`` and hashes it (recursively, sides and colours) to find its index, and so does
each protection — about 40 % of loading the report's workbook (its 53 merged ranges), though a sheet has only a few
distinct borders. This does the same per cell with the indexes, computing each distinct sum once per load: the
workbook openpyxl saves afterwards is byte for byte the same (``tests/test_openpyxl_port_parts.py`` compares them).

It reproduces openpyxl 3.1's code (``WorksheetReader.bind_merged_cells``, ``MergedCellRange._get_borders`` and
``format``, ``Worksheet._clean_merge_range``), so it is used with openpyxl 3.1 only; any other version binds its
merged cells itself. openpyxl gives no hook for it: ``ExcelReader.read_worksheets`` takes its sheet reader from its
module, which ``fast_merged_cells`` points at this one while a workbook loads.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import openpyxl
import openpyxl.reader.excel
from openpyxl.cell import MergedCell
from openpyxl.styles.borders import Border
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet._reader import WorksheetReader
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.merge import MergedCellRange

SUPPORTED = openpyxl.__version__.startswith("3.1.")  # the openpyxl whose insides this (and openpyxl_calculated) knows
_SIDES = ("top", "left", "right", "bottom")
_lock = threading.RLock()


def _style(cell: Any) -> StyleArray:
    """The cell's style indexes, created as openpyxl's style descriptors create them."""
    if not cell._style:
        cell._style = StyleArray()
    style: StyleArray = cell._style
    return style


class _Styles:
    """The workbook's borders and protections, each distinct sum added once."""

    def __init__(self, book: Any):
        self.borders, self.protections = book._borders, book._protections
        self._sums: dict[tuple[int, Any], int] = {}
        self._protection: dict[int, int] = {}

    def add_border(self, cell: Any, key: Any, border: Callable[[], Border]) -> None:
        """``cell.border += border()``; ``key`` identifies ``border()``."""
        style = _style(cell)
        k = (style.borderId, key)
        index = self._sums.get(k)
        if index is None:
            index = self._sums[k] = self.borders.add(self.borders[style.borderId] + border())
        style.borderId = index

    def protection_of(self, cell: Any) -> int:
        """The index ``cell.protection = copy(start.protection)`` gives (``cell`` being ``start``)."""
        pid = _style(cell).protectionId
        if pid not in self._protection:
            self._protection[pid] = self.protections.add(copy.copy(self.protections[pid]))
        return self._protection[pid]


def _merged(ws: Any, cells: dict[tuple[int, int], Any], row: int, col: int) -> Any:
    cell = cells.get((row, col))
    if cell is None:
        cell = cells[(row, col)] = MergedCell(ws, row=row, column=col)
    return cell


def _bind(ws: Any, refs: list[str]) -> None:
    styles = _Styles(ws.parent)
    cells = ws._cells
    ranges = []
    for ref in refs:
        mcr = MergedCellRange.__new__(MergedCellRange)  # MergedCellRange.__init__ without _get_borders
        mcr.ws = ws
        CellRange.__init__(mcr, range_string=ref)
        start = cells.get((mcr.min_row, mcr.min_col))
        if start is None:
            start = ws.cell(row=mcr.min_row, column=mcr.min_col)
        mcr.start_cell = start
        end = cells.get((mcr.max_row, mcr.max_col))
        if end is not None:  # _get_borders: the right and bottom borders of the bottom-right cell
            end_border = styles.borders[_style(end).borderId]
            styles.add_border(start, ("end", _style(end).borderId),
                              partial(Border, right=end_border.right, bottom=end_border.bottom))
        positions = mcr.cells  # _clean_merge_range: all but the top-left cell hidden
        next(positions)
        for row, col in positions:
            cells[row, col] = MergedCell(ws, row, col)
        for name in _SIDES:  # format: the edges get the top-left cell's border on their side
            sid = _style(start).borderId
            side = getattr(styles.borders[sid], name)
            if side and side.style is None:
                continue
            for row, col in getattr(mcr, name):
                styles.add_border(_merged(ws, cells, row, col), (name, sid), partial(Border, **{name: side}))
        protection = styles.protection_of(start)  # format: every cell the top-left cell's protection
        for row, col in mcr.cells:
            _style(_merged(ws, cells, row, col)).protectionId = protection
        ranges.append(mcr)
    ws.merged_cells = MultiCellRange(ranges)


class _Reader(WorksheetReader):  # type: ignore[misc]
    def bind_merged_cells(self) -> None:
        if not self.parser.merged_cells:
            return
        _bind(self.ws, [cr.ref for cr in self.parser.merged_cells.mergeCell])


@contextlib.contextmanager
def fast_merged_cells() -> Iterator[None]:
    """Workbooks loaded meanwhile bind their merged cells with ``_bind``. One at a time: the module's reader is put
    back in the order it was replaced (a load in another thread meanwhile would give the same workbook)."""
    if not SUPPORTED:
        yield
        return
    with _lock:
        saved = openpyxl.reader.excel.WorksheetReader
        openpyxl.reader.excel.WorksheetReader = _Reader
        try:
            yield
        finally:
            openpyxl.reader.excel.WorksheetReader = saved
