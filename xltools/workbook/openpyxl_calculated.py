"""Part of the openpyxl port (``openpyxl_port``): the calculated values of a workbook opened for editing, read
from the file as it was opened instead of from a second, ``data_only`` load of the whole workbook (which cost as
much as the editing load itself).

- ``Calculated.cells(sheet)``: a sheet's values as openpyxl's ``data_only`` load gives them (the cached result for
  a formula cell), for the sheets that are read (``values``, ``formulas``, ``set_value``): openpyxl's own sheet
  parser on that sheet's XML alone, with the plain shared strings, the date styles of the editing load and its
  merged cells, so the values are the ones the full load gave.
- ``cached_v(sheet)``: the ``<v>`` of each formula cell (its type and XML text), found by a targeted scan of the
  sheet's XML — the only part of it saving needs. Hand-written (a regular expression) because parsing the
  sheets costs about 50 times as much; it is used only when every formula cell of the sheet is found in the shape
  Excel, WPS and LibreOffice write (``<c r=".." …><f …>…</f><v>…</v></c>``, the count checked against the
  formula cells openpyxl loaded) and every result is a number, a boolean, an error or a plain text; otherwise the
  values come from ``cells`` as before. A number is kept as the file writes it ("1.50", a date's serial number),
  where the parsed value was written as Python prints it ("1.5", the date converted back): the same value.

The file is read once, when opened (``Source``): later reads see it as it was, whatever happens to it meanwhile;
its parts were checked against ``xltools.limits`` (``package_edits.check_cells``) before openpyxl read them all.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from typing import Any, NamedTuple
from xml.sax.saxutils import escape, unescape

from openpyxl.cell import MergedCell
from openpyxl.reader.strings import read_string_table
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS

from xltools.textsafe import clean_text
from xltools.workbook.openpyxl_merges import SUPPORTED

Cells = dict[tuple[int, int], tuple[Any, str]]  # (row, column) -> (value, openpyxl data type); no None values


class Source(NamedTuple):
    """The workbook file as opened: its bytes, the XML part of each worksheet, the shared strings part and the
    shared strings as the editing load read them (with their formatting runs)."""

    data: bytes
    sheet_parts: dict[str, str]
    strings_part: str | None
    rich_strings: list[Any]


def source_of(reader: Any, data: bytes) -> Source:
    """Where the file holds each sheet and the shared strings, from openpyxl's reader, whose insides this knows
    for openpyxl 3.1. With another version: nowhere, and the calculated values come from a full ``data_only``
    load of the file, as they did before."""
    if not SUPPORTED:
        return Source(data, {}, None, [])
    strings = reader.package.find(SHARED_STRINGS)
    return Source(data, _sheet_parts(reader), strings.PartName[1:] if strings is not None else None,
                  reader.shared_strings)


def _sheet_parts(reader: Any) -> dict[str, str]:
    """The XML part each worksheet was read from. openpyxl reads the sheets the workbook lists, in order, except
    those whose part is missing; a sheet it loaded under another title (a duplicate name) is left out."""
    listed = [(sheet.name, reader.parser.rels[sheet.id].target) for sheet in reader.parser.sheets
              if sheet.id and sheet.id in reader.parser.rels]
    listed = [(name, target) for name, target in listed if target in reader.valid_files]
    if len(listed) != len(reader.wb._sheets):
        return {}
    worksheets = {id(ws) for ws in reader.wb.worksheets}
    return {name: target for (name, target), ws in zip(listed, reader.wb._sheets, strict=True)
            if ws.title == name and id(ws) in worksheets}


class Calculated:
    """What a ``data_only`` load of the source would hold, sheet by sheet, read when first asked for.
    ``guard`` runs a read of the file, saying openpyxl's errors (it raises many types for damaged parts) as the
    port does; ``fallback`` is the full ``data_only`` load, for a sheet whose part is not known (openpyxl renamed
    it, or another openpyxl version read the file)."""

    def __init__(self, source: Source, book: Any, guard: Callable[[Callable[[], Any]], Any],
                 fallback: Callable[[], Any]):
        self.source = source
        self.book = book
        self._guard = guard
        self._fallback = fallback
        self._full: Any = None
        self._strings: list[str] | None = None
        self._cells: dict[str, Cells] = {}
        self.sheetnames = frozenset(ws.title for ws in book.worksheets)

    def cells(self, sheet: str) -> Cells:
        """The sheet's non-empty values (KeyError for a sheet the file does not have)."""
        if sheet not in self.sheetnames:
            raise KeyError(sheet)
        if sheet not in self._cells:
            self._cells[sheet] = self._guard(lambda: self._read(sheet))
        return self._cells[sheet]

    def close(self) -> None:
        self._cells.clear()
        self._full = None

    def set(self, sheet: str, row: int, col: int, value: Any, data_type: str) -> None:
        cells = self.cells(sheet)
        if value is None:
            cells.pop((row, col), None)
        else:
            cells[(row, col)] = (value, data_type)

    def _read(self, sheet: str) -> Cells:
        part = self.source.sheet_parts.get(sheet)
        if part is None:
            if self._full is None:
                self._full = self._fallback()
            return {pos: (cell.value, cell.data_type) for pos, cell in self._full[sheet]._cells.items()
                    if cell.value is not None}
        if self._strings is None:
            self._strings = self._plain_strings()
        found: dict[tuple[int, int], tuple[Any, str]] = {}
        with self._zip() as z, z.open(part) as src:
            parser = WorkSheetParser(src, self._strings, data_only=True, epoch=self.book.epoch,
                                     date_formats=self.book._date_formats,
                                     timedelta_formats=self.book._timedelta_formats)
            for _, row in parser.parse():
                for c in row:  # a cell stored twice: the last one counts, as in openpyxl's load
                    found[(c["row"], c["column"])] = (c["value"], c["data_type"])
        stored = self.book[sheet]._cells  # under a merged range only the top-left cell keeps its value
        return {pos: v for pos, v in found.items() if v[0] is not None and not isinstance(stored.get(pos), MergedCell)}

    def _plain_strings(self) -> list[str]:
        """The shared strings as a ``data_only`` load reads them: without formatting runs, "x005F_" removed from
        the whole text. Those of the editing load are the same when no string has runs and none holds "x005F_"
        (each is then its one ``<t>``, with "x005F_" removed)."""
        if self.source.strings_part is None:
            return []
        with self._zip() as z:
            xml = z.read(self.source.strings_part)
        if not any(mark in xml for mark in (b"<r>", b"<r ", b":r>", b":r ", b"x005F_")):
            return [str(s) for s in self.source.rich_strings]
        return list(read_string_table(io.BytesIO(xml)))

    def _zip(self) -> zipfile.ZipFile:
        return zipfile.ZipFile(io.BytesIO(self.source.data))

    def cached_v(self, sheet: str, formula_cells: int) -> dict[tuple[int, int], tuple[str, str]]:
        """The cached result of each formula cell of ``sheet`` as the ``t`` attribute and the text of ``<v>``
        ("n", "b", "e" or "str"); ``formula_cells``: how many formula cells openpyxl loaded on the sheet."""
        part = self.source.sheet_parts.get(sheet)
        if part is not None:
            with self._zip() as z:
                found = scan_cached(z.read(part), formula_cells)
            if found is not None:
                return found
        found = {}
        for pos, (value, data_type) in self.cells(sheet).items():
            v = v_element(value, data_type, self.book.epoch)
            if v is not None:
                found[pos] = v
        return found


_FORMULA_CELL = re.compile(rb'<c\s([^>]*)>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v>([^<]*)</v>|<v\s*/>)?\s*</c>')
_FORMULA_TAG = re.compile(rb"<f[\s/>]")
_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']""")
_ATTRIBUTE = re.compile(rb'([A-Za-z:]+)\s*=\s*"([^"]*)"')
_REF = re.compile(rb"([A-Z]{1,3})([1-9][0-9]{0,6})")
_NUMBER = re.compile(rb"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def scan_cached(xml: bytes, formula_cells: int) -> dict[tuple[int, int], tuple[str, str]] | None:
    """The cached results of the formula cells of a sheet's XML, by (row, column); None when the XML is not in
    the expected shape (then the sheet must be parsed): a formula cell not matched, one without its address, a
    result of another type (a shared string, an inline string, an ISO date) or one that is not what the type says."""
    declared = _ENCODING.search(xml[:200])
    if declared is not None and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    if len(_FORMULA_TAG.findall(xml)) != formula_cells:
        return None
    found: dict[tuple[int, int], tuple[str, str]] = {}
    matched = 0
    for m in _FORMULA_CELL.finditer(xml):
        matched += 1
        attrs = dict(_ATTRIBUTE.findall(m.group(1)))
        ref = _REF.fullmatch(attrs.get(b"r", b""))
        if ref is None or b"'" in m.group(1):
            return None
        text = m.group(2)
        if not text:  # no result: none is kept (openpyxl reads an empty <v> as none)
            continue
        kind = attrs.get(b"t", b"n").decode("ascii", "replace")
        if (kind == "n" and _NUMBER.fullmatch(text)) or (kind == "b" and text in (b"0", b"1")):
            value = text.decode("ascii")
        elif kind in ("e", "str"):
            if b"&#" in text:
                return None  # a character reference: left to the parser
            try:
                plain = unescape(text.decode("utf-8"), {"&quot;": '"', "&apos;": "'"})
            except UnicodeDecodeError:
                return None
            if clean_text(plain) != plain:
                return None  # text the writers would clean: as the parsed value would be written
            value = escape(plain)
        else:
            return None
        found[(int(ref.group(2)), _column(ref.group(1)))] = (kind, value)
    return found if matched == formula_cells else None


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def v_element(value: Any, data_type: str, epoch: Any) -> tuple[str, str] | None:
    """A cached value (as openpyxl's ``data_only`` load gives it) as the ``t`` attribute and the text of
    ``<v>``; None when there is none."""
    if value is None:
        return None
    if data_type == "e":
        return "e", escape(str(value))
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, int | float):
        return "n", repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return "n", repr(to_excel(value, epoch))
    return "str", escape(clean_text(str(value)))
