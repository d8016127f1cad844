"""The workbook port on a file, with openpyxl (this module and its parts ``openpyxl_*.py`` are the only ones
importing it).

Used by ``xltools fill``, ``check --annotate``, ``clear-flags``, consolidation's annotated copies and the tests of
the button handlers. openpyxl loads the file once, as stored (formulas, styles, macros: what is saved; its merged
cells bound by ``openpyxl_merges``); the calculated values (what is read, and the cached formula results saving
keeps) come from the same file, sheet by sheet (``openpyxl_calculated``), and the results a session made wrong are
found by ``openpyxl_stale``. Everything openpyxl can keep is kept: with ``keep_vba`` the VBA project and the form
buttons of an .xlsm, rich text, styles, validation, conditional formats, protection, defined names.
"""

from __future__ import annotations

import errno
import gc
import io
import os
import re
import sys
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from openpyxl.comments import Comment
from openpyxl.reader.excel import SUPPORTED_FORMATS, ExcelReader
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.fills import Fill
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.xml.functions import fromstring, tostring

from xltools.atomic import OutputExists, WriteError, atomic_output
from xltools.errors import ReadError, XltoolsError
from xltools.limits import check_file_size, limits
from xltools.textsafe import clean_text
from xltools.workbook.openpyxl_calculated import Calculated, source_of, v_element
from xltools.workbook.openpyxl_merges import fast_merged_cells
from xltools.workbook.openpyxl_stale import stale_formulas
from xltools.workbook.package_edits import check_cells, keep_cached_results
from xltools.workbook.port import SheetTable, token_rgb

NOTE_WIDTH, NOTE_HEIGHT = 320, 160  # points: room for a message and its fix
T = TypeVar("T")


class MergedCellError(XltoolsError):
    """A value would go into a cell hidden under a merged range (nobody would see it)."""

    def __init__(self, sheet: str, address: str):
        super().__init__(f"{sheet}!{address} 被合并单元格遮住，不能写入：请先取消合并",
                         f"{sheet}!{address} is hidden under a merged range: unmerge it first")


def inert(value: Any) -> Any:
    """Text as a cell must hold it: control characters removed (openpyxl refuses them)."""
    return clean_text(value) if isinstance(value, str) else value


def _put_text(cell: Any, value: Any) -> None:
    """Write a value that is data, never a formula: text starting with "=" stays text."""
    cell.value = inert(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"


class OpenpyxlPort:
    """A workbook file opened for reading and writing; ``save`` writes it (to a new file, or atomically)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        keep_vba = self.path.suffix.lower() == ".xlsm"
        check_file_size(self.path, "工作簿文件")  # (before it is read whole)
        data = self.path.read_bytes()  # what every later read of the file sees (it may change meanwhile)
        # openpyxl's load_workbook is ExcelReader(…).read(); the reader also says where each sheet's XML is
        self._read = partial(_guarded, self.path.name)
        reader = self._read(partial(_reader, self.path, data, keep_vba=keep_vba, rich_text=True))
        self.book = reader.wb
        full = partial(self._read, partial(_reader, self.path, data, data_only=True))
        self.calculated = Calculated(source_of(reader, data), self.book, self._read, lambda: full().wb)
        self._rewritten: set[str] = set()  # sheets replaced in this session: their values are in ``book`` only
        self._changed: set[tuple[str, int, int]] = set()  # cells whose value this session changed

    def close(self) -> None:
        """Let go of the workbook now (the port is not used afterwards). Its cells refer to their sheet and back:
        left alone, only Python's cycle collector frees them, a few ms later and a few ms a workbook, for it
        goes through everything else the process holds as well."""
        for ws in self.book._sheets:
            getattr(ws, "_cells", {}).clear()
        self.book._sheets.clear()
        self.calculated.close()

    @property
    def source(self) -> str:
        return str(self.path)

    def sheet_names(self) -> list[str]:
        return list(self.book.sheetnames)

    def values(self, sheet: str) -> list[list[Any]]:
        """From A1 to the last used cell; a stray cell far below or right of the rest (beyond the margins of
        ``xltools.limits``) is left out, so that a value at row 1048576 costs nothing."""
        ws = self.book[sheet]
        if sheet in self._rewritten or sheet not in self.calculated.sheetnames:
            cells = {pos: cell.value for pos, cell in ws._cells.items() if cell.value is not None}
        else:
            cells = {pos: value for pos, (value, _) in self.calculated.cells(sheet).items()}
        last_row = _dense_end((r for r, _ in cells), limits().margin_rows)
        last_col = _dense_end((c for _, c in cells), limits().margin_cols)
        for r, c in _merged_corners(ws):  # a merged label counts where it starts
            last_row, last_col = max(last_row, r), max(last_col, c)
        grid: list[list[Any]] = [[None] * last_col for _ in range(last_row)]
        for (r, c), value in cells.items():
            if r <= last_row and c <= last_col:
                grid[r - 1][c - 1] = value
        return grid

    def merged_ranges(self, sheet: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        return [((r.min_row - 1, r.min_col - 1), (r.max_row - 1, r.max_col - 1))
                for r in self.book[sheet].merged_cells.ranges]

    def defined_names(self) -> dict[str, str]:
        return {name: dn.attr_text for name, dn in self.book.defined_names.items() if dn.attr_text}

    def properties(self) -> dict[str, str]:
        return {p.name: str(p.value) for p in self.book.custom_doc_props.props}

    def formulas(self, sheet: str) -> dict[str, str]:
        stored, calc = self.book[sheet], self.calculated.cells(sheet)
        found = {}
        for (r, c), cell in list(stored._cells.items()):
            if cell.data_type == "f" and (r, c) not in calc:  # no cached result
                found[cell.coordinate] = str(cell.value).lstrip("=")
        return found

    def formula(self, sheet: str, address: str) -> str | None:
        """The formula the cell holds ("SUM(D5:I5)"), None for a value."""
        cell = self.book[sheet]._cells.get(coordinate_to_tuple(address))
        if cell is None or cell.data_type != "f":
            return None
        return str(cell.value).lstrip("=")

    def _anchor(self, sheet: str, address: str) -> tuple[str, bool]:
        """The cell that shows ``address``: itself, or the top-left cell of the merged range hiding it (True)."""
        row, col = coordinate_to_tuple(address)
        for r in self.book[sheet].merged_cells.ranges:
            if r.min_row <= row <= r.max_row and r.min_col <= col <= r.max_col:
                if (row, col) == (r.min_row, r.min_col):
                    return address, False
                return f"{get_column_letter(r.min_col)}{r.min_row}", True
        return address, False

    def set_value(self, sheet: str, address: str, value: Any) -> None:
        """Raises MergedCellError for a cell hidden under a merged range."""
        if self._anchor(sheet, address)[1]:
            raise MergedCellError(sheet, address)
        value = inert(value)
        row, col = coordinate_to_tuple(address)
        known = sheet in self.calculated.sheetnames
        old = self.calculated.cells(sheet).get((row, col), (None, ""))[0] if known else None
        if old != value and not (old in (None, "") and value == 0):
            self._changed.add((sheet, row, col))
        cell = self.book[sheet][address]
        cell.value = value
        if known:  # as openpyxl stores it (the same cell type)
            self.calculated.set(sheet, row, col, cell.value, cell.data_type)

    def fill(self, sheet: str, address: str) -> str | None:
        fill = self.book[sheet][self._anchor(sheet, address)[0]].fill
        if isinstance(fill, PatternFill) and fill.patternType is None:
            return None
        return str(tostring(fill.to_tree()).decode("utf-8"))

    def set_fill(self, sheet: str, address: str, fill: str | None) -> None:
        cell = self.book[sheet][self._anchor(sheet, address)[0]]
        if fill is None:
            cell.fill = PatternFill()
        elif fill.startswith("<"):
            cell.fill = Fill.from_tree(fromstring(fill))
        else:  # a colour, also one recorded by the Excel port ("#DDEBF7")
            rgb = token_rgb(fill)
            cell.fill = PatternFill("solid", fgColor=rgb) if rgb else PatternFill()

    def note(self, sheet: str, address: str) -> str | None:
        comment = self.book[sheet][self._anchor(sheet, address)[0]].comment
        return str(comment.text) if comment is not None else None

    def set_note(self, sheet: str, address: str, text: str | None) -> None:
        cell = self.book[sheet][self._anchor(sheet, address)[0]]
        if text is None:
            cell.comment = None
            return
        cell.comment = Comment(clean_text(text), "xltools", width=NOTE_WIDTH, height=NOTE_HEIGHT)

    def write_table(self, table: SheetTable, before: str | None = None) -> None:
        """Every text is written as text (a unit name "=HYPERLINK(…)" stays inert), without control characters."""
        index = None
        if table.name in self.book.sheetnames:
            index = self.book.sheetnames.index(table.name)
            self.delete_sheet(table.name)
        if before in self.book.sheetnames:
            index = self.book.sheetnames.index(before)
        ws = self.book.create_sheet(table.name, index)
        self._rewritten.add(table.name)
        rows: list[list[Any]] = [[table.title], list(table.header), *(list(row) for row in table.rows)]
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    _put_text(ws.cell(r, c), value)
        ws["A1"].font = Font(bold=True, size=12)
        bold, grey = Font(bold=True), PatternFill("solid", fgColor="F2F2F2")  # each style made once, set on many
        for cell in ws[2]:
            cell.font, cell.fill = bold, grey
        fills = {colour: PatternFill("solid", fgColor=colour) for colour in set(table.row_fills) if colour}
        for i in range(len(table.rows)):
            fill = table.row_fills[i] if i < len(table.row_fills) else ""
            if fill:
                ws.cell(i + 3, table.fill_column + 1).fill = fills[fill]
        link = Font(color="0563C1", underline="single")
        for (i, col), target in table.links.items():
            cell = ws.cell(i + 3, col + 1)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=clean_text(target),
                                       display=str(cell.value or ""))
            cell.font = link
        for col, width in enumerate(table.widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        wrap = Alignment(wrap_text=True, vertical="top")
        for row in ws.iter_rows(min_row=3):
            for cell in row:
                cell.alignment = wrap
        ws.freeze_panes = "A3"
        if table.hidden:
            ws.sheet_state = "hidden"

    def delete_sheet(self, name: str) -> None:
        if name in self.book.sheetnames:
            was_active = self.book.active is not None and self.book.active.title == name
            del self.book[name]
            self._rewritten.add(name)
            if was_active:
                self.select(self.book.sheetnames[0], "A1")

    def unprotect(self, sheet: str) -> bool:
        protection = self.book[sheet].protection
        was = bool(protection.sheet)
        protection.sheet = False
        return was

    def protect(self, sheet: str) -> None:
        self.book[sheet].protection.sheet = True

    def select(self, sheet: str, address: str) -> None:
        for ws in self.book.worksheets:  # one selected tab: several would group the sheets in Excel
            ws.sheet_view.tabSelected = ws.title == sheet
        target = self.book[sheet]
        self.book.active = self.book.worksheets.index(target)
        target.sheet_view.selection[0].activeCell = address
        target.sheet_view.selection[0].sqref = address

    def to_bytes(self) -> bytes:
        """The workbook as saved: openpyxl's file with the cached result of every formula that is still right."""
        buffer = io.BytesIO()
        self.book.save(buffer)
        return keep_cached_results(buffer.getvalue(), self._cached_results())

    def save(self, target: str | os.PathLike[str], overwrite: bool = False,
             before_replace: Callable[[], None] | None = None) -> Path:
        """Write the workbook to ``target`` (a new file unless ``overwrite``), atomically; WriteError (naming
        ``target``) when it cannot be written, and then nothing is left behind."""
        target = Path(target)
        if target.exists() and not overwrite:
            raise OutputExists(str(target))
        failure: OSError | None = None
        try:  # in memory first: a failing write leaves no half-written zip object behind
            data = self.to_bytes()
        except OSError as exc:  # openpyxl's own temporary files
            failure = OSError(exc.errno, exc.strerror)
        except Exception as exc:  # lxml reports a failed write of a temporary file as "IO_EFBIG", "IO_ENOSPC"…
            code = re.search(r"\bIO_(E[A-Z]+)\b", str(exc))
            if code is None:
                raise
            number = getattr(errno, code.group(1), 0)
            failure = OSError(number, os.strerror(number) if number else code.group(0))
        if failure is not None:
            _collect_quietly()
            raise WriteError(target, failure)
        try:
            with atomic_output(target, overwrite, before_replace) as tmp, open(tmp, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise WriteError(target, exc) from exc
        return target

    def _cached_results(self) -> dict[str, dict[str, tuple[str, str]]]:
        """By sheet part: the ``<v>`` (type, text) of each formula cell whose cached result is still right,
        i.e. none of the cells it refers to (directly or through other formulas) was changed
        (``openpyxl_stale``)."""
        formulas = {(ws.title, r, c): str(cell.value) for ws in self.book.worksheets
                    for (r, c), cell in ws._cells.items() if cell.data_type == "f" and isinstance(cell.value, str)}
        if not formulas:
            return {}
        stale = stale_formulas(formulas, self._changed, self._rewritten, self.book.defined_names)
        results: dict[str, dict[str, tuple[str, str]]] = {}
        for ws in self.book.worksheets:
            if ws.title not in self.calculated.sheetnames or ws.title in self._rewritten:
                continue
            keep = [(r, c) for (r, c), cell in ws._cells.items()
                    if (ws.title, r, c) in formulas and (ws.title, r, c) not in stale]
            if not keep:
                continue
            if self._changed:  # the values this session wrote, as a data_only load would hold them
                calc = self.calculated.cells(ws.title)
                cached = {pos: v for pos in keep if pos in calc
                          and (v := v_element(*calc[pos], self.book.epoch)) is not None}
            else:  # the cached results of the file, read straight from its sheet XML
                count = sum(1 for cell in ws._cells.values() if cell.data_type == "f")
                cached = self._read(partial(self.calculated.cached_v, ws.title, count))
            for r, c in keep:
                if (r, c) in cached:
                    results.setdefault(ws.path.lstrip("/"), {})[ws._cells[(r, c)].coordinate] = cached[(r, c)]
        return results


def _reader(path: Path, data: bytes, **options: Any) -> Any:
    """openpyxl's reader of the workbook file ``path`` whose bytes are ``data``, after it read the file."""
    check_cells(path, data)
    # a name openpyxl does not open (.xls…) is refused by openpyxl as before: it checks names, not contents
    supported = path.suffix.lower() in SUPPORTED_FORMATS
    reader = ExcelReader(io.BytesIO(data) if supported else path, **options)
    with fast_merged_cells():
        reader.read()
    return reader


def _guarded(name: str, read: Callable[[], T]) -> T:
    """``read`` (a load, or a sheet read from the file ``name``), with openpyxl's errors said as a ReadError."""
    try:
        return read()
    except (OSError, XltoolsError):
        raise
    except Exception as exc:  # openpyxl raises many types for damaged parts
        cause = exc.__cause__ or exc.__context__ or exc
        detail = f"{type(cause).__name__}: {str(cause)[:120]}"
        raise ReadError(f"{name}：工作簿中有 Excel/WPS 不会写出的内容，无法打开修改（{detail}）："
                        "请用 Excel/WPS 打开后另存，再试一次（xltools check 仍可校验它）",
                        f"{name}: the workbook holds content Excel/WPS never writes and cannot be "
                        f"opened for editing ({detail}): open it in Excel/WPS, save it again and retry") from None


def _collect_quietly() -> None:
    """Collect what a failed save left behind (openpyxl's half-written temporary streams) now, without the
    "Exception ignored in …" noise their clean-up would print later."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _dense_end(numbers: Iterable[int], gap: int) -> int:
    """The last of ``numbers`` (sorted) before the first gap wider than ``gap``: the end of the used area."""
    end = 0
    for n in sorted(set(numbers)):
        if n - end > gap:
            break
        end = n
    return end


def _merged_corners(ws: Any) -> list[tuple[int, int]]:
    return [(r.min_row, r.min_col) for r in ws.merged_cells.ranges
            if r.min_row <= limits().margin_rows * 10 and r.min_col <= limits().margin_cols * 10]
