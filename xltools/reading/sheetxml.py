"""A sheet's XML: ``sheet_extent`` finds how far its cells reach (cheaply, without parsing, for the cells every
spreadsheet program writes), ``trim_sheet`` drops the cells beyond a bound (as cheaply) and ``sheet_cells`` gives
each cell where calamine puts it."""

import re
from collections.abc import Iterator
from typing import NamedTuple
from xml.etree.ElementTree import Element, ParseError

from xltools import safexml
from xltools.format.addresses import col_index, to_address
from xltools.reading.package import NS_MAIN, damaged, hostile


class Extent(NamedTuple):
    """How far a sheet's content reaches: ``rows``/``cols`` are one past the farthest row/column (0 when empty);
    ``cells`` counts the cell elements."""

    rows: int
    cols: int
    cells: int


# Every spreadsheet program writes a cell as <c r="B7" …>: when all cells of a sheet are written so, the farthest
# address of any cell (empty ones too) bounds the content, found without parsing. A sheet where that reaches
# beyond the bound, or with cells written otherwise (no r=, a prefix), takes the exact, parsing path.
_PLAIN_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[1-9][0-9]{0,6}"')
_PLAIN_ROW = re.compile(rb'<c r="[A-Z]{1,3}([1-9][0-9]{0,6})"')
_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_ROW = re.compile(r"[1-9][0-9]{0,6}")
MAX_ROWS = 1_048_576  # the last row of a sheet in Excel, WPS and LibreOffice


class Plain(NamedTuple):
    columns: set[bytes]  # the distinct column letters of the cells
    last_row: int  # the largest row number of a cell (0: none)
    cells: int


def plain_cells(data: bytes) -> Plain | None:
    """The distinct column letters and the last row of all cells (empty ones too) and how many cells there are,
    when every cell is written <c r="B7" …>; else None. (Each scan hands back plain strings, never a tuple per cell:
    a sheet of a million cells costs two scans.)"""
    body = data[data.find(b"sheetData"):data.rfind(b"sheetData")]  # cells live in <sheetData>
    letters = _PLAIN_COLUMN.findall(body)
    n = len(letters)
    if n != body.count(b"<c") or b":c" in body:  # (no other element in <sheetData> starts so)
        return None
    columns = set(letters)
    del letters
    return Plain(columns, max(map(int, _PLAIN_ROW.findall(body)), default=0), n)


def _plain_extent(data: bytes) -> Extent | None:
    """The extent of all cells (empty ones too) when every cell is written <c r="B7" …>; else None."""
    plain = plain_cells(data)
    if plain is None:
        return None
    return Extent(plain.last_row, max((col_index(c.decode()) + 1 for c in plain.columns), default=0), plain.cells)


def sheet_extent(data: bytes, bound: tuple[int, int] | None = None) -> Extent:
    """How far a sheet's content reaches as calamine will see it. Within ``bound`` (rows, columns) it may count
    empty styled cells too (a cheap upper bound); beyond it, only cells with a value, formula or inline text."""
    plain = _plain_extent(data)
    if plain is not None and (bound is None or (plain.rows <= bound[0] and plain.cols <= bound[1])):
        return plain
    rows = cols = n = 0
    for row, col, _, has_content in sheet_cells(data):
        n += 1
        if has_content:
            rows, cols = max(rows, row + 1), max(cols, col + 1)
    return Extent(rows, cols, n)


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def sheet_cells(data: bytes, part: str = "工作表") -> Iterator[tuple[int, int, Element, bool]]:
    """Each cell of a sheet with its zero-based position as calamine reads it (a cell without r= follows the one
    before it in its row; a row without r= follows the row before it), its element and whether it holds
    something. Streams the XML (elements are cleared as they are passed)."""
    row_index, col_index_ = -1, 0
    try:
        for event, elem in safexml.iterparse(data, events=("start", "end")):
            name = local_name(elem.tag)
            if event == "start" and name == "row":
                r = elem.get("r")
                if r is not None and not (_ROW.fullmatch(r) and int(r) <= MAX_ROWS):  # calamine would believe it
                    raise damaged(part, f"中的行号“{r[:20]}”无效", f"has a bad row number {r[:20]!r}")
                row_index = int(r) - 1 if r is not None else row_index + 1
                col_index_ = 0
            elif event == "end" and name == "row":
                elem.clear()
            elif event == "end" and name == "c":
                ref = elem.get("r")
                if ref is not None:
                    m = _REF.fullmatch(ref)
                    if not m:
                        raise damaged(part, f"中的单元格地址“{ref[:20]}”无效", f"has a bad cell address {ref[:20]!r}")
                    pos = (int(m.group(2)) - 1, col_index(m.group(1)))
                else:
                    pos = (max(row_index, 0), col_index_)
                col_index_ = pos[1] + 1
                has_content = any(local_name(child.tag) in ("v", "is", "f") for child in elem)
                yield pos[0], pos[1], elem, has_content
    except safexml.HostileXML:
        raise hostile(part) from None
    except (ParseError, ValueError):
        raise damaged(part) from None


FAR_PATTERNS = 256  # at most this many distinct far columns and rows are cut out by a pattern of their own


def trim_sheet(data: bytes, rows: int, cols: int, part: str = "工作表") -> tuple[bytes, str | None]:
    """The sheet XML with the cells beyond ``rows`` x ``cols`` removed, and the farthest address of a removed cell
    that held something (None, and the bytes unchanged, when no such cell lies beyond). A sheet whose cells all lie
    within costs one scan; cells beyond are cut out by two more scans, whatever their number (a stray value at
    XFD1048576, a million rows pasted below a table)."""
    plain = plain_cells(data)
    if plain is not None:  # every cell with its r=: find the far ones by their column or row, cut them out as text
        far_cols = sorted(c for c in plain.columns if col_index(c.decode()) >= cols)
        far_rows = plain.last_row > rows
        if not far_cols and not far_rows:
            return data, None
        if len(far_cols) <= FAR_PATTERNS:
            trimmed, far = _cut(data, far_cols, rows if far_rows else None)
            extent = _plain_extent(trimmed)
            if extent is not None and extent.rows <= rows and extent.cols <= cols:  # (else: the exact way below)
                return (trimmed, far) if far else (data, None)
    return _trim_parsed(data, rows, cols, part)


def greater_than(n: int) -> bytes:
    """A pattern matching the row numbers (1 to 7 digits, no leading zero) greater than ``n``."""
    digits = str(n).encode()
    d = len(digits)
    options = [rb"[1-9][0-9]{%d,6}" % d] if d < 7 else []
    for i, ch in enumerate(digits):
        if ch < ord("9"):
            options.append(digits[:i] + b"[%c-9]" % (ch + 1) + (b"[0-9]{%d}" % (d - i - 1) if d - i - 1 else b""))
    return b"|".join(options) or b"(?!)"


def _cut(data: bytes, far_cols: list[bytes], beyond_row: int | None) -> tuple[bytes, str | None]:
    """The sheet without the cells in ``far_cols`` or in rows past ``beyond_row``, and the farthest address of
    those that held something."""
    refs = []
    if far_cols:
        refs.append(b"(?:" + b"|".join(far_cols) + rb")[1-9][0-9]{0,6}")
    if beyond_row is not None:
        refs.append(rb"[A-Z]{1,3}(?:" + greater_than(beyond_row) + b")")
    far = rb'<c r="(?=(?:' + b"|".join(refs) + rb')")'
    trimmed = re.compile(far + rb'[A-Z]{1,3}[1-9][0-9]{0,6}"[^>]*?(?:/>|>.*?</c>)', re.S).sub(b"", data)
    held = far + rb'%s"[^>]*(?<!/)>'  # a far cell that is not an empty element
    columns = set(re.findall(held % rb"([A-Z]{1,3})[1-9][0-9]{0,6}", data))
    if not columns:
        return trimmed, None
    last_row = max(map(int, re.findall(held % rb"[A-Z]{1,3}([1-9][0-9]{0,6})", data)))
    return trimmed, to_address(last_row - 1, max(col_index(c.decode()) for c in columns))


def _trim_parsed(data: bytes, rows: int, cols: int, part: str) -> tuple[bytes, str | None]:
    """``trim_sheet`` by parsing: the trimmed sheet holds the kept cells (each with its r=) and the merged ranges,
    all calamine reads of a sheet."""
    kept: dict[int, list[bytes]] = {}
    far_row = far_col = -1
    for row, col, elem, has_content in sheet_cells(data, part):
        if row >= rows or col >= cols:
            if has_content:
                far_row, far_col = max(far_row, row), max(far_col, col)
        elif has_content:
            elem.set("r", to_address(row, col))
            kept.setdefault(row, []).append(_serialize(elem))
        elem.clear()
    if far_row < 0:
        return data, None
    out = [b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for row in sorted(kept):
        out.append(b'<row r="%d">' % (row + 1) + b"".join(kept[row]) + b"</row>")
    out.append(b"</sheetData>")
    out.extend(m.group(0) for m in re.finditer(rb"<(?:[\w.-]+:)?mergeCells\b.*?</(?:[\w.-]+:)?mergeCells>", data,
                                                re.S))
    out.append(b"</worksheet>")
    return b"".join(out), to_address(max(far_row, 0), max(far_col, 0))


def _serialize(elem: Element) -> bytes:
    try:
        text: bytes = safexml.tostring(elem, default_namespace=NS_MAIN[1:-1])
    except ValueError:  # an element outside the main namespace
        text = safexml.tostring(elem)
    return text
