"""A sheet's XML: ``fits`` and ``sheet_extent`` find how far its cells reach (cheaply, without parsing, for the
cells every spreadsheet program writes), ``trim_sheet`` drops the cells beyond a bound and ``sheet_cells`` gives each
cell where calamine puts it."""

from __future__ import annotations

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
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_ROW = re.compile(r"[1-9][0-9]{0,6}")
MAX_ROWS = 1_048_576  # the last row of a sheet in Excel, WPS and LibreOffice


def _plain_extent(data: bytes) -> Extent | None:
    """The extent of all cells (empty ones too) when every cell is written <c r="B7" …>; else None."""
    body = data[data.find(b"sheetData"):data.rfind(b"sheetData")]  # cells live in <sheetData>
    cells = _PLAIN_CELL.findall(body)
    if len(cells) != body.count(b"<c") or b":c" in body:  # (no other element in <sheetData> starts so)
        return None
    if not cells:
        return Extent(0, 0, 0)
    letters, digits = zip(*cells, strict=True)
    return Extent(max(map(int, digits)), max(col_index(c.decode()) for c in set(letters)) + 1, len(cells))


def fits(data: bytes, rows: int, cols: int) -> bool:
    """Whether every cell of a sheet lies within ``rows`` x ``cols``, found cheaply (False: it may not)."""
    plain = _plain_extent(data)
    return plain is not None and plain.rows <= rows and plain.cols <= cols


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


_PLAIN_ELEMENT = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"[^>]*?(?:/>|>.*?</c>)', re.S)


def trim_sheet(data: bytes, rows: int, cols: int, part: str = "工作表") -> tuple[bytes, str | None]:
    """The sheet XML with the cells beyond ``rows`` x ``cols`` removed, and the farthest address of a removed cell
    that held something (None, and the bytes unchanged, when no such cell lies beyond)."""
    if _plain_extent(data) is not None:  # every cell with its r=: cut them out as text
        columns: dict[bytes, int] = {}
        far = [-1, -1]

        def cut(m: re.Match[bytes]) -> bytes:
            row = int(m.group(2)) - 1
            col = columns.get(m.group(1))
            if col is None:
                col = columns[m.group(1)] = col_index(m.group(1).decode())
            if row < rows and col < cols:
                return m.group(0)
            if not m.group(0).endswith(b"/>"):  # it holds something
                far[0], far[1] = max(far[0], row), max(far[1], col)
            return b""

        trimmed = _PLAIN_ELEMENT.sub(cut, data)
        extent = _plain_extent(trimmed)
        if extent is not None and extent.rows <= rows and extent.cols <= cols:  # (else: the exact way below)
            return (trimmed, to_address(*far)) if far[0] >= 0 else (data, None)
    return _trim_parsed(data, rows, cols, part)


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
