"""Read a report workbook file (.xlsx/.xlsm, also LibreOffice/WPS re-saves) into a RawBook.

Values come from python-calamine (the only module importing it), reading an in-memory copy of the parts the
format needs, read within the limits (``reading.package``) and with the cells beyond each sheet's bound removed
(``reading.sheetxml``); defined names, custom document properties, formulas without cached values and error
values (#DIV/0!, which calamine reads as empty) come from the workbook XML.
openpyxl is never imported here, so ``xltools check`` starts fast.
"""

from __future__ import annotations

import os
import re
from typing import Any

import python_calamine

from xltools.errors import ReadError
from xltools.format.addresses import to_address
from xltools.format.findings import FindingFactory
from xltools.reading.explanations import EXPLANATION_SHEET, explanation_rows
from xltools.reading.labels import Grid
from xltools.reading.locate import locate_cells, sheet_bounds, spec_of
from xltools.reading.package import NS_MAIN, RESAVE, RESAVE_EN, WorkbookPackage, damaged, parse_xml
from xltools.reading.rawbook import RawBook
from xltools.reading.sheetxml import local_name, plain_cells, sheet_cells, sheet_extent, trim_sheet

SUFFIXES = (".xlsx", ".xlsm")
# Other spreadsheet files a unit may send as its report: in a folder they are listed with the reason they cannot be
# read (save as .xlsx), so that the office never takes a unit that did send something for one that did not.
LOOKALIKES = (".xls", ".xlsb", ".xltx", ".xltm", ".et", ".ett", ".ods")
COMPOSITION_SHEET = "汇总构成"  # in consolidated workbooks: every unit counted in them, one row each


def _bounded_sheets(pkg: WorkbookPackage, bounds: dict[str, tuple[int, int]]
                    ) -> tuple[dict[str, bytes], list[tuple[str, str]]]:
    """The XML of each sheet in ``bounds`` that the workbook has, with the cells beyond its bound removed, and
    (sheet, farthest address) of each sheet that had such cells."""
    sheets: dict[str, bytes] = {}
    stray: list[tuple[str, str]] = []
    for name, (rows, cols) in bounds.items():
        data = pkg.sheet_xml(name)
        if data is None:
            raise damaged(pkg.sheet_parts[name] or name, "缺失", "is missing")
        if not data.rstrip().endswith(b"sheet>"):  # calamine would read what is there and say nothing
            raise damaged(pkg.sheet_parts[name], "不完整", "is truncated")
        data, far = trim_sheet(data, rows, cols, pkg.sheet_parts[name])
        if far:
            stray.append((name, far))
        sheets[name] = data
    return sheets, stray


def _list_bound(pkg: WorkbookPackage, sheet: str) -> tuple[int, int]:
    """The bound of a list sheet (汇总构成, a roster): one row per entry, so as many rows as it has cells (plus
    the margin), and ``margin_cols`` columns."""
    cells = sheet_extent(pkg.sheet_xml(sheet) or b"").cells
    return cells + pkg.limits.margin_rows, pkg.limits.margin_cols


# A number calamine may fail to turn into a date or time (it panics, or Python overflows) when its cell is
# formatted as one: at least 8 digits before the point (chrono's dates end near 95,000,000 days), an exponent, or
# infinity / NaN
_HUGE_NUMBER = re.compile(rb"<v>\s*[-+]?(?:[0-9]{8}|[0-9.]*[eE]|[IiNn])")


def _load(pkg: WorkbookPackage, sheets: dict[str, bytes], styles: bool = True) -> Any:
    """calamine's workbook over the bounded copy of the package (``styles`` false: dates as serial numbers)."""
    return python_calamine.CalamineWorkbook.from_filelike(pkg.reader_copy(sheets, styles))


def _values(pkg: WorkbookPackage, sheets: dict[str, bytes], names: set[str],
            lists: frozenset[str] = frozenset()) -> dict[str, tuple[Any, Any]]:
    """(rows, merged ranges) of each named sheet (``lists``: from its first row and column with content, else from
    A1). Where a number may be formatted as a date or time that calamine
    cannot convert (it panics, or Python overflows), the sheets are read without the styles: such a cell is then
    the number it holds, reported at its cell like any other invalid value."""
    plain = any(_HUGE_NUMBER.search(sheets[name]) for name in names)
    try:
        return _sheet_values(_load(pkg, sheets, styles=not plain), names, lists)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # (pyo3's PanicException is a BaseException)
        if plain:
            raise
        return _sheet_values(_load(pkg, sheets, styles=False), names, lists)


def _sheet_values(book: Any, names: set[str], lists: frozenset[str]) -> dict[str, tuple[Any, Any]]:
    found = {}
    for name in names:
        sheet = book.get_sheet_by_name(name)
        found[name] = (sheet.to_python(skip_empty_area=name in lists), sheet.merged_cell_ranges or [])
    return found


def _unreadable(exc: BaseException) -> ReadError:
    reason = f"{type(exc).__name__}: {str(exc)[:80]}"
    return ReadError(f"工作簿内容无法读取（{reason}）：文件可能已损坏，或有超出范围的日期、时间值；{RESAVE}",
                     f"the workbook content cannot be read ({reason}): the file may be damaged or hold a date or "
                     f"time out of range; {RESAVE_EN}")


def _check_path(path: str) -> None:
    if not os.path.exists(path):
        raise ReadError("文件不存在", "no such file")
    if os.path.isdir(path):
        raise ReadError("这是一个文件夹，不是工作簿文件", "a folder, not a workbook file")
    if not os.path.isfile(path):
        raise ReadError("这不是普通文件（是设备、管道等），不是工作簿文件", "not a regular file: not a workbook file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix in LOOKALIKES:
        raise ReadError(f"不能读取 {suffix} 文件：请在 Excel/WPS 中打开，另存为“Excel 工作簿（.xlsx）”后再报送",
                        f"{suffix} files cannot be read: open it in Excel/WPS and save it as an .xlsx workbook")
    if suffix not in SUFFIXES:
        raise ReadError(f"不支持 {suffix or '无扩展名'} 文件：请提供 .xlsx 或 .xlsm 工作簿",
                        f"{suffix or 'files without an extension'} not supported: give an .xlsx or .xlsm workbook")


def read_workbook(path: str | os.PathLike[str]) -> RawBook:
    """Read a workbook file. Raises ReadError (one-line Chinese reason) when it is not a report workbook."""
    path = os.fspath(path)
    _check_path(path)
    with WorkbookPackage(path) as pkg:
        return _read(path, pkg)


def _read(path: str, pkg: WorkbookPackage) -> RawBook:
    spec, version = spec_of(pkg.properties)
    sheet_names = set(pkg.sheet_parts)
    known = {s.name for s in spec.sheets} & sheet_names
    if not known and not any(c.name in pkg.names for c in spec.cells):
        raise ReadError("没有找到表二、表三、表四等工作表，也没有 xltools 定义名称：这不是政府信息公开年度报告工作簿",
                        "no sheets 表二, 表三, 表四 and no xltools defined names: not an annual report workbook")
    bounds = sheet_bounds(spec)
    widest = (max(r for r, _ in bounds.values()), max(c for _, c in bounds.values()))
    wanted = {name: bounds.get(name, widest) for name in ({s.name for s in spec.sheets}
                                                          | {t[0] for t in pkg.names.values()}) & sheet_names}
    table_sheets = set(wanted)
    if COMPOSITION_SHEET in sheet_names and COMPOSITION_SHEET not in wanted:
        wanted[COMPOSITION_SHEET] = _list_bound(pkg, COMPOSITION_SHEET)
    if EXPLANATION_SHEET in sheet_names and EXPLANATION_SHEET not in wanted:
        wanted[EXPLANATION_SHEET] = _list_bound(pkg, EXPLANATION_SHEET)
    sheets, stray = _bounded_sheets(pkg, wanted)
    grids: dict[str, Grid] = {}
    try:
        values = _values(pkg, sheets, set(sheets), frozenset({COMPOSITION_SHEET}) - table_sheets)
        for name in table_sheets:
            rows, merges = values[name]
            for (r, c), error in sheet_errors(sheets[name], pkg.sheet_parts[name]).items():
                if r < len(rows) and c < len(rows[r]):
                    rows[r][c] = error
            grids[name] = Grid(rows, merges, wanted[name], name)
        constituents = _constituents(values[COMPOSITION_SHEET][0] if COMPOSITION_SHEET in values else [])
        explanations = explanation_rows(values[EXPLANATION_SHEET][0]) if EXPLANATION_SHEET in values else ()
    except (ReadError, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine raises several types for damaged parts, and pyo3's PanicException
        raise _unreadable(exc) from None  # (a BaseException) on some values: a duration cell out of range

    def formulas(sheet: str) -> dict[str, str]:
        data = sheets.get(sheet)
        return sheet_formulas(data, pkg.sheet_parts[sheet]) if data is not None else {}

    raw = locate_cells(path, spec, version, pkg.names, grids, formulas, pkg.properties)
    factory = FindingFactory(spec.rule("LAYOUT_STRAY_CELLS"))
    far = tuple(factory.make(sheet=sheet, actual=address) for sheet, address in stray)
    return raw._replace(constituents=constituents, findings=raw.findings + far, explanations=explanations)


def _constituents(rows: list[list[Any]]) -> tuple[tuple[str, str], ...]:
    """(unit, code) of each row of a 汇总构成 sheet, found by its header (单位, 代码)."""
    if not rows:
        return ()
    header = [str(x).strip() for x in rows[0]]
    if "单位" not in header:
        return ()
    u = header.index("单位")
    c = header.index("代码") if "代码" in header else None
    out = []
    for row in rows[1:]:
        unit = str(row[u]).strip() if u < len(row) else ""
        code = str(row[c]).strip() if c is not None and c < len(row) else ""
        if unit:
            out.append((unit, code))
    return tuple(out)


def read_rows(path: str | os.PathLike[str]) -> list[list[Any]]:
    """The first sheet of any .xlsx/.xlsm as rows of values (for rosters), within the limits. Raises ReadError."""
    path = os.fspath(path)
    _check_path(path)
    with WorkbookPackage(path) as pkg:
        if not pkg.sheet_parts:
            raise ReadError("工作簿中没有工作表", "the workbook has no sheet")
        first = next(iter(pkg.sheet_parts))
        sheets, _ = _bounded_sheets(pkg, {first: _list_bound(pkg, first)})
        try:
            return list(_values(pkg, sheets, {first}, frozenset({first}))[first][0])
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # calamine raises several types for damaged files (and panics)
            raise _unreadable(exc) from None


def sheet_formulas(data: bytes, part: str = "工作表") -> dict[str, str]:
    """Formulas of the cells that have no cached value, by address."""
    if b"<f" not in data and b":f" not in data:
        return {}
    plain = _plain_formulas(data)
    if plain is not None:
        return plain
    found: dict[str, str] = {}
    for c in parse_xml(data, part).iter(f"{NS_MAIN}c"):
        address = c.get("r")
        if address is None:  # cells placed by their order: the exact, streaming reading
            return _streamed_formulas(data, part)
        f, v = c.find(f"{NS_MAIN}f"), c.find(f"{NS_MAIN}v")
        if f is not None and (v is None or not (v.text or "").strip()):
            found[address] = f.text or "（共享公式）"
    return found


_CELL = re.compile(rb'<c r="([A-Z]{1,3}[1-9][0-9]{0,6})"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_CACHED = re.compile(rb"<v\b[^>]*?(?:/>|>(.*?)</v>)", re.S)


def _plain_formulas(data: bytes) -> dict[str, str] | None:
    """``sheet_formulas`` without parsing, for the sheets every spreadsheet program writes (each cell <c r="B7" …>,
    no namespace prefix, no escaped character or CDATA in a formula cell); None for any other sheet."""
    plain = plain_cells(data)
    if plain is None or not plain.cells:
        return None
    found: dict[str, str] = {}
    for address, inner in _CELL.findall(data):
        if b"<f" not in inner:
            continue
        if b"&" in inner or b"<!" in inner:
            return None
        f, v = _FORMULA.search(inner), _CACHED.search(inner)
        if f is not None and (v is None or not (v.group(1) or b"").strip()):
            found[address.decode()] = f.group(1).decode() if f.group(1) else "（共享公式）"
    return found


def _streamed_formulas(data: bytes, part: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for row, col, elem, _ in sheet_cells(data, part):
        f = v = None
        for child in elem:
            name = local_name(child.tag)
            if name == "f":
                f = child
            elif name == "v":
                v = child
        if f is not None and (v is None or not (v.text or "").strip()):
            found[to_address(row, col)] = f.text or "（共享公式）"
        elem.clear()
    return found


# What an error cell's type attribute looks like: only a hint (cells are then parsed), so without the \b that would
# make the scan 7 times slower
_ERROR_TYPE = re.compile(rb"""t\s*=\s*["']e["']""")


def sheet_errors(data: bytes, part: str = "工作表") -> dict[tuple[int, int], str]:
    """The error values (#DIV/0!, #REF!, …) of a sheet's error cells by zero-based position: calamine reads them as
    empty cells, but a clerk's broken formula is not a blank."""
    if not _ERROR_TYPE.search(data):
        return {}
    found: dict[tuple[int, int], str] = {}
    for row, col, elem, _ in sheet_cells(data, part):
        if elem.get("t") == "e":
            v = next((child for child in elem if local_name(child.tag) == "v"), None)
            found[(row, col)] = (v.text or "").strip() if v is not None else ""
        elem.clear()
    return {pos: text or "#错误" for pos, text in found.items()}
