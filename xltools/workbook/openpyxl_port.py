"""The workbook port on a file, with openpyxl (the only module importing it).

Used by ``xltools fill``, ``check --annotate``, ``clear-flags``, consolidation's annotated copies and the tests of
the button handlers. The file is opened twice: once as stored (formulas, styles, macros: what is saved) and once
with the calculated values (what is read). Everything openpyxl can keep is kept: with ``keep_vba`` the VBA project
and the form buttons of an .xlsm, rich text, styles, validation, conditional formats, protection, defined names.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import io
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
from openpyxl.comments import Comment
from openpyxl.formula import Tokenizer
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.fills import Fill
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter, range_boundaries
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.xml.functions import fromstring, tostring

from xltools.atomic import OutputExists, WriteError, atomic_output
from xltools.errors import ReadError, XltoolsError
from xltools.limits import limits
from xltools.textsafe import clean_text
from xltools.workbook.package_edits import Box, check_cells, keep_cached_results, touches
from xltools.workbook.port import SheetTable, token_rgb

NOTE_WIDTH, NOTE_HEIGHT = 320, 160  # points: room for a message and its fix
_UNKNOWN_REFS = ("INDIRECT(", "OFFSET(")  # functions whose precedents cannot be read from the formula


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
        self.book = self._load(keep_vba=keep_vba, rich_text=True)
        self._calculated: Any = None
        self._rewritten: set[str] = set()  # sheets replaced in this session: their values are in ``book`` only
        self._changed: set[tuple[str, int, int]] = set()  # cells whose value this session changed

    def _load(self, **options: Any) -> Any:
        try:
            check_cells(self.path)
            return openpyxl.load_workbook(self.path, **options)
        except (OSError, XltoolsError):
            raise
        except Exception as exc:  # openpyxl raises many types for damaged parts
            cause = exc.__cause__ or exc.__context__ or exc
            detail = f"{type(cause).__name__}: {str(cause)[:120]}"
            raise ReadError(f"{self.path.name}：工作簿中有 Excel/WPS 不会写出的内容，无法打开修改（{detail}）："
                            "请用 Excel/WPS 打开后另存，再试一次（xltools check 仍可校验它）",
                            f"{self.path.name}: the workbook holds content Excel/WPS never writes and cannot be "
                            f"opened for editing ({detail}): open it in Excel/WPS, save it again and retry") from None

    @property
    def calculated(self) -> Any:
        """The calculated values, loaded when first read (writing a results sheet or flags needs none)."""
        if self._calculated is None:
            self._calculated = self._load(data_only=True)
        return self._calculated

    @property
    def source(self) -> str:
        return str(self.path)

    def sheet_names(self) -> list[str]:
        return list(self.book.sheetnames)

    def values(self, sheet: str) -> list[list[Any]]:
        """From A1 to the last used cell; a stray cell far below or right of the rest (beyond the margins of
        ``xltools.limits``) is left out, so that a value at row 1048576 costs nothing."""
        fresh = sheet in self._rewritten or sheet not in self.calculated.sheetnames
        ws = self.book[sheet] if fresh else self.calculated[sheet]
        used = [(r, c) for (r, c), cell in ws._cells.items() if cell.value is not None]
        last_row = _dense_end((r for r, _ in used), limits().margin_rows)
        last_col = _dense_end((c for _, c in used), limits().margin_cols)
        for r, c in _merged_corners(ws):  # a merged label counts where it starts
            last_row, last_col = max(last_row, r), max(last_col, c)
        grid: list[list[Any]] = [[None] * last_col for _ in range(last_row)]
        for r, c in used:
            if r <= last_row and c <= last_col:
                grid[r - 1][c - 1] = ws._cells[(r, c)].value
        return grid

    def merged_ranges(self, sheet: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        return [((r.min_row - 1, r.min_col - 1), (r.max_row - 1, r.max_col - 1))
                for r in self.book[sheet].merged_cells.ranges]

    def defined_names(self) -> dict[str, str]:
        return {name: dn.attr_text for name, dn in self.book.defined_names.items() if dn.attr_text}

    def properties(self) -> dict[str, str]:
        return {p.name: str(p.value) for p in self.book.custom_doc_props.props}

    def formulas(self, sheet: str) -> dict[str, str]:
        stored, calc = self.book[sheet], self.calculated[sheet]
        found = {}
        for (r, c), cell in list(stored._cells.items()):
            if cell.data_type == "f":
                cached = calc._cells.get((r, c))
                if cached is None or cached.value is None:
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
        old = self.calculated[sheet][address].value if sheet in self.calculated.sheetnames else None
        if old != value and not (old in (None, "") and value == 0):
            self._changed.add((sheet, *coordinate_to_tuple(address)))
        self.book[sheet][address].value = value
        self.calculated[sheet][address].value = value

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
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="F2F2F2")
        for i in range(len(table.rows)):
            fill = table.row_fills[i] if i < len(table.row_fills) else ""
            if fill:
                ws.cell(i + 3, table.fill_column + 1).fill = PatternFill("solid", fgColor=fill)
        for (i, col), target in table.links.items():
            cell = ws.cell(i + 3, col + 1)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=clean_text(target),
                                       display=str(cell.value or ""))
            cell.font = Font(color="0563C1", underline="single")
        for col, width in enumerate(table.widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        for row in ws.iter_rows(min_row=3):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
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
        i.e. none of the cells it refers to (directly or through other formulas) was changed."""
        formulas = {(ws.title, r, c): str(cell.value) for ws in self.book.worksheets
                    for (r, c), cell in ws._cells.items() if cell.data_type == "f" and isinstance(cell.value, str)}
        if not formulas:
            return {}
        refs = {key: self._references(f, key[0]) for key, f in formulas.items()}
        changed: set[tuple[str, int, int]] = set(self._changed)
        stale: set[tuple[str, int, int]] = set()
        grew = True
        while grew:
            grew = False
            for key, boxes in refs.items():
                unknown = boxes is None and bool(changed)
                if key not in stale and (unknown or (boxes is not None and touches(boxes, changed, self._rewritten))):
                    stale.add(key)
                    changed.add(key)
                    grew = True
        results: dict[str, dict[str, tuple[str, str]]] = {}
        for ws in self.book.worksheets:
            if ws.title not in self.calculated.sheetnames or ws.title in self._rewritten:
                continue
            calc = self.calculated[ws.title]
            for (r, c), cell in ws._cells.items():
                if (ws.title, r, c) not in formulas or (ws.title, r, c) in stale:
                    continue
                cached = calc._cells.get((r, c))
                v = _v_element(cached, self.book.epoch) if cached is not None else None
                if v is not None:
                    results.setdefault(ws.path.lstrip("/"), {})[cell.coordinate] = v
        return results

    def _references(self, formula: str, sheet: str) -> list[Box] | None:
        """The cell ranges a formula reads; None when they cannot be known (INDIRECT, an unknown name…)."""
        if any(f in formula.upper() for f in _UNKNOWN_REFS):
            return None
        try:
            tokens = Tokenizer(formula).items
        except Exception:  # a formula openpyxl cannot parse
            return None
        boxes: list[Box] = []
        for token in tokens:
            if token.type != "OPERAND" or token.subtype != "RANGE":
                continue
            box = _box(token.value, sheet)
            if box is not None:
                boxes.append(box)
                continue
            name = self.book.defined_names.get(token.value)
            if name is None:
                return None
            for dest_sheet, ref in name.destinations:
                box = _box(f"'{dest_sheet}'!{ref}", sheet)
                if box is None:
                    return None
                boxes.append(box)
        return boxes


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


def _box(ref: str, sheet: str) -> Box | None:
    """``'表三'!$D$5:$I$5`` (or without the sheet: on ``sheet``) as a box; None when it is not a cell range."""
    where, bang, cells = ref.rpartition("!")
    where = where.strip("'").replace("''", "'") if bang else sheet
    try:
        min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    except (ValueError, TypeError):
        return None
    return (where, min_row or 1, min_col or 1, max_row or 1_048_576, max_col or 16_384)


def _v_element(cell: Any, epoch: Any) -> tuple[str, str] | None:
    """A cached value as the ``t`` attribute and the text of ``<v>``; None when there is none."""
    value = cell.value
    if value is None:
        return None
    if cell.data_type == "e":
        return "e", escape(str(value))
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, int | float):
        return "n", repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return "n", repr(to_excel(value, epoch))
    return "str", escape(clean_text(str(value)))
