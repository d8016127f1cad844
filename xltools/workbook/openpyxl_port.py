"""The workbook port on a file, with openpyxl (the only module importing it).

Used by ``xltools fill``, ``check --annotate``, ``clear-flags``, consolidation's annotated copies and the tests of
the button handlers. The file is opened twice: once as stored (formulas, styles, macros: what is saved) and once
with the calculated values (what is read). Everything openpyxl can keep is kept: with ``keep_vba`` the VBA project
and the form buttons of an .xlsm, rich text, styles, validation, conditional formats, protection, defined names.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.fills import Fill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.xml.functions import fromstring, tostring

from xltools.atomic import OutputExists, atomic_output
from xltools.errors import ReadError
from xltools.workbook.port import SheetTable, token_rgb

NOTE_WIDTH, NOTE_HEIGHT = 320, 160  # points: room for a message and its fix


class OpenpyxlPort:
    """A workbook file opened for reading and writing; ``save`` writes it (to a new file, or atomically)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        keep_vba = self.path.suffix.lower() == ".xlsm"
        self.book = self._load(keep_vba=keep_vba, rich_text=True)
        self._calculated: Any = None
        self._rewritten: set[str] = set()  # sheets replaced in this session: their values are in ``book`` only

    def _load(self, **options: Any) -> Any:
        try:
            return openpyxl.load_workbook(self.path, **options)
        except OSError:
            raise
        except Exception as exc:  # openpyxl raises many types for damaged parts
            raise ReadError(f"工作簿无法打开（{type(exc).__name__}）：请用 Excel/WPS 打开后另存，再试一次") from None

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
        fresh = sheet in self._rewritten or sheet not in self.calculated.sheetnames
        ws = self.book[sheet] if fresh else self.calculated[sheet]
        return [list(row) for row in ws.iter_rows(min_row=1, min_col=1, max_row=ws.max_row, max_col=ws.max_column,
                                                  values_only=True)]

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
        for row in stored.iter_rows():
            for cell in row:
                if cell.data_type == "f" and calc[cell.coordinate].value is None:
                    found[cell.coordinate] = str(cell.value).lstrip("=")
        return found

    def set_value(self, sheet: str, address: str, value: Any) -> None:
        self.book[sheet][address].value = value
        self.calculated[sheet][address].value = value

    def fill(self, sheet: str, address: str) -> str | None:
        fill = self.book[sheet][address].fill
        if isinstance(fill, PatternFill) and fill.patternType is None:
            return None
        return str(tostring(fill.to_tree()).decode("utf-8"))

    def set_fill(self, sheet: str, address: str, fill: str | None) -> None:
        cell = self.book[sheet][address]
        if fill is None:
            cell.fill = PatternFill()
        elif fill.startswith("<"):
            cell.fill = Fill.from_tree(fromstring(fill))
        else:  # a colour, also one recorded by the Excel port ("#DDEBF7")
            rgb = token_rgb(fill)
            cell.fill = PatternFill("solid", fgColor=rgb) if rgb else PatternFill()

    def note(self, sheet: str, address: str) -> str | None:
        comment = self.book[sheet][address].comment
        return str(comment.text) if comment is not None else None

    def set_note(self, sheet: str, address: str, text: str | None) -> None:
        cell = self.book[sheet][address]
        if text is None:
            cell.comment = None
            return
        cell.comment = Comment(text, "xltools", width=NOTE_WIDTH, height=NOTE_HEIGHT)

    def write_table(self, table: SheetTable, before: str | None = None) -> None:
        index = None
        if table.name in self.book.sheetnames:
            index = self.book.sheetnames.index(table.name)
            self.delete_sheet(table.name)
        if before in self.book.sheetnames:
            index = self.book.sheetnames.index(before)
        ws = self.book.create_sheet(table.name, index)
        self._rewritten.add(table.name)
        ws.append([table.title])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append(list(table.header))
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="F2F2F2")
        for i, row in enumerate(table.rows):
            ws.append(list(row))
            fill = table.row_fills[i] if i < len(table.row_fills) else ""
            if fill:
                ws.cell(ws.max_row, 1).fill = PatternFill("solid", fgColor=fill)
        for (i, col), target in table.links.items():
            cell = ws.cell(i + 3, col + 1)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=target, display=str(cell.value or ""))
            cell.font = Font(color="0563C1", underline="single")
        for col, width in enumerate(table.widths, start=1):
            ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width = width
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

    def save(self, target: str | os.PathLike[str], overwrite: bool = False) -> Path:
        """Write the workbook to ``target`` (a new file unless ``overwrite``), atomically."""
        target = Path(target)
        if target.exists() and not overwrite:
            raise OutputExists(str(target))
        with atomic_output(target, overwrite) as tmp:
            self.book.save(tmp)
        return target


def backup_path(path: str | os.PathLike[str], now: dt.datetime | None = None) -> Path:
    """``<name>-备份-<YYYYmmdd-HHMMSS><suffix>`` beside the file, never an existing one."""
    path = Path(path)
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}-备份-{stamp}{path.suffix}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-备份-{stamp}-{n}{path.suffix}")
    return candidate


def save_in_place(port: OpenpyxlPort) -> Path:
    """Replace the opened file atomically after copying it to a backup; returns the backup's path."""
    backup = backup_path(port.path)
    shutil.copy2(port.path, backup)
    port.save(port.path, overwrite=True)
    return backup
