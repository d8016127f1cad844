"""Find the report's input cells in sheet grids: by defined name, checked against the row and column labels.

Shared by every reader (files, live Excel), so a workbook is read the same way wherever it is open.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from xltools.errors import ReadError
from xltools.format.addresses import parse_address
from xltools.format.findings import CellRef, Finding, FindingFactory
from xltools.format.spec import DEFAULT_FORMAT, FormatSpec, load_spec
from xltools.limits import limits
from xltools.reading.labels import Grid, check_labels
from xltools.reading.rawbook import RawBook, RawCell

PROP_TEMPLATE = "xltools.template"
PROP_VERSION = "xltools.template_version"
_VERSION = re.compile(r"[0-9]{1,9}")


def spec_of(properties: dict[str, str]) -> tuple[FormatSpec, int | None]:
    """The format and template version a workbook declares in its custom properties (default: the current one)."""
    format_id = properties.get(PROP_TEMPLATE) or DEFAULT_FORMAT
    try:
        spec = load_spec(format_id)
    except KeyError:
        raise ReadError(f"工作簿使用未知的报告格式“{format_id}”，请升级 xltools") from None
    version = properties.get(PROP_VERSION) or ""
    return spec, int(version) if _VERSION.fullmatch(version) else None


def sheet_bounds(spec: FormatSpec) -> dict[str, tuple[int, int]]:
    """(rows, columns) read of each sheet of the format: as far as its cells, labels and print area reach, plus
    ``limits().margin_rows`` / ``margin_cols`` (to see a shifted table). Content beyond is never read."""
    margin = limits()
    key = (spec.id, spec.template_version, margin.margin_rows, margin.margin_cols)
    if key not in _BOUNDS:
        _BOUNDS[key] = {sheet: (rows + margin.margin_rows, cols + margin.margin_cols)
                        for sheet, (rows, cols) in _reach(spec).items()}
    return _BOUNDS[key]


_BOUNDS: dict[tuple[str, int, int, int], dict[str, tuple[int, int]]] = {}


def _reach(spec: FormatSpec) -> dict[str, tuple[int, int]]:
    """How far each sheet's cells, labels and print area reach (rows, columns)."""
    reach: dict[str, tuple[int, int]] = {}

    def extend(sheet: str, ref: str | None) -> None:
        for address in (ref or "").replace("$", "").split(":"):
            if address:
                row, col = parse_address(address)
                rows, cols = reach.get(sheet, (0, 0))
                reach[sheet] = max(rows, row + 1), max(cols, col + 1)

    for cell in spec.cells:
        extend(cell.sheet, cell.address)
        extend(cell.sheet, cell.merge)
    for sheet in spec.sheets:
        extend(sheet.name, sheet.print_area)
        for box in sheet.boxes:
            extend(sheet.name, box.range)
    return reach


def locate_cells(source: str, spec: FormatSpec, version: int | None, names: dict[str, tuple[str, str]],
                 grids: dict[str, Grid], formulas: Callable[[str], dict[str, str]],
                 properties: dict[str, str]) -> RawBook:
    """Each input cell of ``spec``, found by its defined name (else its spec address) and verified by its labels.
    ``formulas(sheet)`` gives the formulas without a cached value, by address."""
    findings: list[Finding] = []
    cells: dict[str, RawCell] = {}
    missing_sheets: set[str] = set()
    moved = FindingFactory(spec.rule("LAYOUT_NAME_MOVED"))
    mismatch = FindingFactory(spec.rule("LAYOUT_LABEL_MISMATCH"))
    merged = FindingFactory(spec.rule("LAYOUT_MERGED_INPUT"))
    blanks: dict[str, list[tuple[str, str]]] = {}
    for cell in spec.cells:
        sheet, address = cell.sheet, cell.address
        target = names.get(cell.name)
        if target and target[0] in grids:
            sheet, address = target
        else:
            findings.append(moved.make((CellRef.of(cell),), expected=cell.name, actual=cell.ref))
        grid = grids.get(sheet)
        if grid is None:
            missing_sheets.add(sheet)
            continue
        row, col = parse_address(address)
        bad = check_labels(cell, grid, row, col)
        if bad:
            findings.append(mismatch.make((CellRef(cell.id, sheet, address, cell.row_label, cell.col_label),),
                                          expected=bad[0], actual=bad[1]))
            continue
        hidden_by = grid.merged_into(row, col)
        if hidden_by:  # its own value is hidden under the merged range: not read
            findings.append(merged.make((CellRef(cell.id, sheet, address, cell.row_label, cell.col_label),),
                                        actual=hidden_by))
            continue
        value: Any = grid.raw(row, col)
        if value == "":
            value = None
            blanks.setdefault(sheet, []).append((cell.id, address))
        cells[cell.id] = RawCell(value, address)
    for sheet, items in blanks.items():  # only blank cells can be formulas without a cached value
        found = formulas(sheet)
        for cell_id, address in items:
            if address in found:
                cells[cell_id] = RawCell(None, address, found[address])
    gone = FindingFactory(spec.rule("LAYOUT_SHEET_MISSING"))
    findings.extend(gone.make(sheet=name) for name in sorted(missing_sheets))
    return RawBook(source, spec.id, version, cells, tuple(findings), dict(properties))

