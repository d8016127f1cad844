"""The workbook port on the live workbook in Excel, with xlwings (the only module importing it, lazily: the
package and every test run without it). One short method per port operation; ``xltools.actions`` does the rest.

Protection and hyperlinks use Excel's object model (``.api``), which is Windows COM; on macOS those calls fail
and the handler says so instead of crashing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xltools.workbook.port import SheetTable, token_rgb

if TYPE_CHECKING:
    import xlwings as xw

PROTECTION_FLAGS = ("AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows",
                    "AllowInsertingColumns", "AllowInsertingRows", "AllowInsertingHyperlinks",
                    "AllowDeletingColumns", "AllowDeletingRows", "AllowSorting", "AllowFiltering",
                    "AllowUsingPivotTables")


def caller() -> XlwingsPort:
    """The workbook whose button was pressed (``xw.Book.caller()``)."""
    import xlwings as xw

    return XlwingsPort(xw.Book.caller())


class XlwingsPort:
    def __init__(self, book: xw.Book):
        self.book = book
        self._protection: dict[str, dict[str, bool]] = {}

    @property
    def source(self) -> str:
        return str(self.book.fullname)

    def sheet_names(self) -> list[str]:
        return [str(s.name) for s in self.book.sheets]

    def _area(self, sheet: str) -> Any:
        sh = self.book.sheets[sheet]
        last = sh.used_range.last_cell
        return sh.range((1, 1), (last.row, last.column))

    def values(self, sheet: str) -> list[list[Any]]:
        return [list(row) for row in self._area(sheet).options(ndim=2).value]

    def merged_ranges(self, sheet: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        found: set[tuple[tuple[int, int], tuple[int, int]]] = set()
        for cell in self._area(sheet):
            if cell.merge_cells:
                area = cell.merge_area
                found.add(((area.row - 1, area.column - 1), (area.last_cell.row - 1, area.last_cell.column - 1)))
        return sorted(found)

    def defined_names(self) -> dict[str, str]:
        return {str(n.name): str(n.refers_to) for n in self.book.names if "!" not in str(n.name)}

    def properties(self) -> dict[str, str]:
        try:
            return {str(p.Name): str(p.Value) for p in self.book.api.CustomDocumentProperties}
        except Exception:  # not Windows COM: the reader then assumes the current format
            return {}

    def formulas(self, sheet: str) -> dict[str, str]:
        return {}  # Excel has calculated every formula

    def set_value(self, sheet: str, address: str, value: Any) -> None:
        self.book.sheets[sheet].range(address).value = value

    def fill(self, sheet: str, address: str) -> str | None:
        rgb = self.book.sheets[sheet].range(address).color
        return None if rgb is None else "#{:02X}{:02X}{:02X}".format(*rgb)

    def set_fill(self, sheet: str, address: str, fill: str | None) -> None:
        rgb = token_rgb(fill) if fill is not None else None
        self.book.sheets[sheet].range(address).color = None if rgb is None else "#" + rgb

    def note(self, sheet: str, address: str) -> str | None:
        note = self.book.sheets[sheet].range(address).note
        return None if note is None else str(note.text)

    def set_note(self, sheet: str, address: str, text: str | None) -> None:
        cell = self.book.sheets[sheet].range(address)
        if cell.note is not None:
            if text is None:
                cell.note.delete()
            else:
                cell.note.text = text
        elif text is not None:
            cell.add_note(text)

    def write_table(self, table: SheetTable, before: str | None = None) -> None:
        if table.name in self.sheet_names():
            sh = self.book.sheets[table.name]
            sh.clear()
        elif before in self.sheet_names():
            sh = self.book.sheets.add(table.name, before=self.book.sheets[before])
        else:
            sh = self.book.sheets.add(table.name, after=self.book.sheets[-1])
        sh.range("A1").value = table.title
        sh.range("A1").font.bold = True
        sh.range("A2").value = [list(table.header)]
        sh.range("A2").resize(1, len(table.header)).font.bold = True
        if table.rows:
            sh.range("A3").value = [list(r) for r in table.rows]
        for i, fill in enumerate(table.row_fills):
            if fill:
                sh.range((i + 3, table.fill_column + 1)).color = "#" + fill
        for (i, col), target in table.links.items():
            cell = sh.range((i + 3, col + 1))
            sh.api.Hyperlinks.Add(Anchor=cell.api, Address="", SubAddress=target, TextToDisplay=str(cell.value))
        for col, width in enumerate(table.widths, start=1):
            sh.range((1, col)).column_width = width
        sh.range("A3").resize(max(len(table.rows), 1), max(len(table.header), 1)).wrap_text = True
        sh.visible = not table.hidden

    def delete_sheet(self, name: str) -> None:
        if name in self.sheet_names():
            self.book.sheets[name].delete()

    def unprotect(self, sheet: str) -> bool:
        api = self.book.sheets[sheet].api
        if not api.ProtectContents:
            return False
        self._protection[sheet] = {flag: bool(getattr(api.Protection, flag)) for flag in PROTECTION_FLAGS}
        api.Unprotect()
        return True

    def protect(self, sheet: str) -> None:
        flags = self._protection.pop(sheet, {})
        self.book.sheets[sheet].api.Protect(DrawingObjects=True, Contents=True, Scenarios=True, **flags)

    def select(self, sheet: str, address: str) -> None:
        sh = self.book.sheets[sheet]
        sh.activate()
        sh.range(address).select()

    def alert(self, message: str) -> None:
        self.book.app.alert(message, title="xltools")


def alert_active(message: str) -> None:
    """Show a message in the running Excel when the calling workbook could not be reached."""
    import xlwings as xw

    app = xw.apps.active
    if app is None:
        raise RuntimeError("no running Excel")
    app.alert(message, title="xltools")
