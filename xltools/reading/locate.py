"""Find the report's input cells in sheet grids: by defined name, checked against the row and column labels.

Shared by every reader (files, live Excel), so a workbook is read the same way wherever it is open.

A text cell is a section's paragraph rows: its defined name covers them (``'正文'!$A$3:$A$22``; in workbooks of
template version 1 it is one cell). What is read is every row from below the section's heading to the end of the
named rows, and on below them up to the next heading of the sheet (rows a clerk inserted at either end belong to
the section); the non-empty rows joined with line breaks are the text.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from xltools.errors import ReadError
from xltools.format.addresses import col_letters, parse_address, split_ref, to_address
from xltools.format.findings import CellRef, Finding, FindingFactory, fmt_number
from xltools.format.layout import fits_one_row, row_capacity
from xltools.format.spec import DEFAULT_FORMAT, CellSpec, FormatSpec, load_spec
from xltools.limits import limits
from xltools.reading.labels import Grid, check_labels, normalize_label
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
        extend(cell.sheet, cell.block)
    for sheet in spec.sheets:
        extend(sheet.name, sheet.print_area)
        extend(sheet.name, sheet.verdict)
        for box in sheet.boxes:
            extend(sheet.name, box.range)
    return reach


def name_target(refers: str) -> tuple[str, str] | None:
    """What a defined name refers to: ``'表三'!$D$5`` -> ('表三', 'D5'), rows of one sheet ``'正文'!$A$3:$A$22`` ->
    ('正文', 'A3:A22'); None for #REF! and anything else."""
    single = split_ref(refers)
    if single or ":" not in refers:
        return single
    sheet, _, cells = refers.strip().lstrip("=").rpartition("!")
    first, _, last = cells.partition(":")
    a, b = split_ref(f"{sheet}!{first}"), split_ref(f"{sheet}!{last}")
    return (a[0], f"{a[1]}:{b[1]}") if a and b else None


def _row_text(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return fmt_number(value)
    return "" if value is None else str(value)


class _Text:
    """A text cell's rows found in a grid: the heading's row (None: not where it should be, ``found`` is there
    instead), the first row below it and the non-empty rows as (row, value)."""

    def __init__(self, cell: CellSpec, grid: Grid, row: int, col: int, last: int, stops: frozenset[str]):
        self.found = "（空）"
        r = row - 1
        while r >= 0 and normalize_label(grid.get(r, col)) not in stops:
            r -= 1
        above = grid.get(r, col) if r >= 0 else None
        self.heading: int | None = r if normalize_label(above) == normalize_label(cell.row[0]) else None
        if self.heading is None:
            if isinstance(above, str) and above.strip():
                self.found = above.strip()
            return
        self.first = r + 1
        self.rows: list[tuple[int, Any]] = []
        r, end = self.first, max(last, len(grid.rows) - 1)
        while r <= end and (r <= last or normalize_label(grid.get(r, col)) not in stops):
            value = grid.raw(r, col)
            if _row_text(value).strip():
                self.rows.append((r, value))
            r += 1

    def value(self) -> Any:
        """One row: its value as stored; several: their texts joined with line breaks; none: None."""
        if len(self.rows) == 1:
            return self.rows[0][1]
        return "\n".join(_row_text(v) for _, v in self.rows) if self.rows else None


def _stops(spec: FormatSpec, sheet: str) -> frozenset[str]:
    """The headings and notes of a sheet (where a text section's rows end)."""
    return frozenset(normalize_label(b.text) for s in spec.sheets if s.name == sheet for b in s.boxes)


def _locate_text(spec: FormatSpec, cell: CellSpec, grid: Grid, address: str, named: bool
                 ) -> tuple[_Text, int, bool]:
    """A text cell's rows from its defined name's rows (else the template's), their column, and whether they are
    paragraph rows (not one cell, as in template version 1). Without a defined name a section not at the
    template's place (a workbook of another template version) is found by its heading."""
    first, _, last = address.partition(":")
    (row, col), end = parse_address(first), parse_address(last)[0] if last else parse_address(first)[0]
    stops = _stops(spec, cell.sheet)
    text = _Text(cell, grid, row, col, end, stops)
    if text.heading is None and not named:
        heading = normalize_label(cell.row[0])
        for r in range(len(grid.rows)):
            if normalize_label(grid.get(r, col)) == heading:
                return _Text(cell, grid, r + 1, col, r + 1, stops), col, False
    return text, col, end > row


def _long_rows(spec: FormatSpec, cell: CellSpec, sheet: str, col: int, text: _Text) -> list[Finding]:
    """A warning at each paragraph row that one row cannot show whole (at most 409 pt high)."""
    widths = next((s.widths for s in spec.sheets if s.name == cell.sheet), {})
    width = widths.get(col_letters(col))
    if width is None:
        return []
    factory = FindingFactory(spec.rule("TEXT_PARAGRAPH_TOO_LONG"))
    return [factory.make((CellRef(cell.id, sheet, to_address(r, col), cell.row_label, cell.col_label),),
                         expected=row_capacity(width), actual=len(_row_text(v).strip()))
            for r, v in text.rows if not fits_one_row(_row_text(v), width)]


def _plan(spec: FormatSpec, cell: CellSpec, grid: Grid, target: tuple[str, str] | None
          ) -> tuple[tuple[Finding, ...], tuple[int, int, str] | None]:
    """Where a number or metadata cell is read in ``grid`` (row, column, address; None when it cannot be) and the
    layout findings about it: not found by its defined name (``target`` None), under other labels, hidden under a
    merged range. Depends only on the grid's labels and the name's target, so ``locate_cells`` keeps it per
    layout (``_book_plan``)."""
    sheet, address = target or (cell.sheet, cell.address)
    found: list[Finding] = []
    if target is None:
        found.append(FindingFactory(spec.rule("LAYOUT_NAME_MOVED")).make((CellRef.of(cell),), expected=cell.name,
                                                                          actual=cell.ref))
    row, col = parse_address(address)
    address = to_address(row, col)
    where = (CellRef(cell.id, sheet, address, cell.row_label, cell.col_label),)
    bad = check_labels(cell, grid, row, col)
    if bad:
        found.append(FindingFactory(spec.rule("LAYOUT_LABEL_MISMATCH")).make(where, expected=bad[0], actual=bad[1]))
        return tuple(found), None
    hidden_by = grid.merged_into(row, col)
    if hidden_by:  # its own value is hidden under the merged range: not read
        found.append(FindingFactory(spec.rule("LAYOUT_MERGED_INPUT")).make(where, actual=hidden_by))
        return tuple(found), None
    return tuple(found), (row, col, address)


# Where each number and metadata cell is read, by format, defined names and the labels of the sheets (most recently
# used last): a batch of workbooks made from one template works it out once, though each unit's name, code and
# numbers differ. Bounded; a lock keeps it consistent when threads share a process.
_Planned = tuple[tuple[Finding, ...], str, tuple[int, int, str] | None]
_Steps = tuple[tuple[CellSpec, _Planned | None], ...]
_Where = tuple[tuple[tuple[CellSpec, str | None, tuple[str, str] | None], ...], dict[str, frozenset[tuple[int, int]]]]
_PLANS: OrderedDict[Hashable, Any] = OrderedDict()
_PLANS_SIZE = 128
_PLANS_LOCK = threading.Lock()


def _cached(key: Hashable, make: Callable[[], Any], keep: Callable[[Any], bool] = lambda _: True) -> Any:
    """``make()``, kept under ``key`` (when ``keep`` says so)."""
    with _PLANS_LOCK:
        found = _PLANS.get(key)
        if found is not None:
            _PLANS.move_to_end(key)
            return found
    found = make()
    if keep(found):
        with _PLANS_LOCK:
            _PLANS[key] = found
            if len(_PLANS) > _PLANS_SIZE:
                _PLANS.popitem(last=False)
    return found


def _where(spec: FormatSpec, names: dict[str, tuple[str, str]], grids: dict[str, Grid]) -> _Where:
    """Each cell of ``spec`` with the sheet a number or metadata cell is read in (None: a text cell, or its sheet
    is missing) and its defined name's target (None: not named there), and the positions read in each sheet."""
    where: list[tuple[CellSpec, str | None, tuple[str, str] | None]] = []
    inputs: dict[str, set[tuple[int, int]]] = {}
    for cell in spec.cells:
        target = names.get(cell.name)
        named = bool(target and target[0] in grids and ":" not in target[1])
        sheet = target[0] if named and target else cell.sheet
        if cell.type == "text" or sheet not in grids:
            where.append((cell, None, None))
            continue
        where.append((cell, sheet, target if named else None))
        inputs.setdefault(sheet, set()).add(parse_address(target[1] if named and target else cell.address))
    return tuple(where), {sheet: frozenset(at) for sheet, at in inputs.items()}


def _labels(spec: FormatSpec) -> frozenset[str]:
    """Every row and column label of the format's cells, normalised."""
    return frozenset(normalize_label(label) for cell in spec.cells for label in (*cell.row, *cell.col))


def _book_plan(spec: FormatSpec, names: dict[str, tuple[str, str]], grids: dict[str, Grid]) -> _Steps:
    """Each cell of ``spec`` in order, with (layout findings, sheet, (row, column, address) or None) for the number
    and metadata cells found in a grid; None for the others (text cells, cells whose sheet is missing). Kept by
    the labels of the sheets where those cells are read, leaving out the texts in the cells themselves (a unit's
    name, "无" typed for a number) unless they are labels of the format: when every label matches they change
    nothing. A plan with a label mismatch (whose finding quotes the text found instead) is not kept."""
    names_key = (spec.id, tuple(names.items()), tuple(grids))
    cells, inputs = _cached(("where", *names_key), lambda: _where(spec, names, grids))
    labels = _cached(("labels", spec.id), lambda: _labels(spec))
    key = ("plan", *names_key, tuple((sheet, grids[sheet].labels_key(at, labels)) for sheet, at in inputs.items()))

    def make() -> _Steps:
        return tuple((cell, None if sheet is None else _planned(spec, cell, grids[sheet], sheet, target))
                     for cell, sheet, target in cells)

    def matched(plan: _Steps) -> bool:
        return not any(f.rule == "LAYOUT_LABEL_MISMATCH" for _, planned in plan if planned for f in planned[0])

    plan: _Steps = _cached(key, make, matched)
    return plan


def _planned(spec: FormatSpec, cell: CellSpec, grid: Grid, sheet: str, target: tuple[str, str] | None) -> _Planned:
    found, at = _plan(spec, cell, grid, target)
    return found, sheet, at


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
    for cell, planned in _book_plan(spec, names, grids):
        if planned is not None:  # a number or metadata cell: where to read it was worked out for this layout
            found, sheet, at = planned
            if found:
                findings.extend(found)
            if at is not None:
                row, col, address = at
                rows = grids[sheet].rows  # (the plan is for grids whose rows have these lengths: labels_key)
                got = rows[row][col] if row < len(rows) and col < len(rows[row]) else None
                if got == "":  # (an empty cell: it may hold a formula without a cached value)
                    got = None
                    blanks.setdefault(sheet, []).append((cell.id, address))
                cells[cell.id] = RawCell(got, address)
            continue
        sheet, address = cell.sheet, cell.block or cell.address
        target = names.get(cell.name)
        named = bool(target and target[0] in grids and (cell.type == "text" or ":" not in target[1]))
        if target and named:
            sheet, address = target
        grid = grids.get(sheet)
        if not named and (cell.type != "text" or grid is None):
            findings.append(moved.make((CellRef.of(cell),), expected=cell.name, actual=cell.ref))
        if grid is None:
            missing_sheets.add(sheet)
            continue
        row, col = parse_address(address.partition(":")[0])
        text = None
        if cell.type == "text":
            text, col, paragraphs = _locate_text(spec, cell, grid, address, named)
            where = to_address(text.first if text.heading is not None else row, col)
            if not named:
                findings.append(moved.make((CellRef.of(cell, where),), expected=cell.name, actual=f"{sheet}!{where}"))
            if text.heading is None:
                findings.append(mismatch.make((CellRef(cell.id, sheet, where, cell.row_label, cell.col_label),),
                                              expected=cell.row[0], actual=text.found))
                continue
            row = text.first
            if paragraphs:
                findings.extend(_long_rows(spec, cell, sheet, col, text))
        address = to_address(row, col)
        bad = None if text else check_labels(cell, grid, row, col)
        if bad:
            findings.append(mismatch.make((CellRef(cell.id, sheet, address, cell.row_label, cell.col_label),),
                                          expected=bad[0], actual=bad[1]))
            continue
        hidden_by = grid.merged_into(row, col)
        if hidden_by:  # its own value is hidden under the merged range: not read
            findings.append(merged.make((CellRef(cell.id, sheet, address, cell.row_label, cell.col_label),),
                                        actual=hidden_by))
            continue
        value: Any = text.value() if text else grid.raw(row, col)
        if value == "" or (value is None and text):
            value = None
            blanks.setdefault(sheet, []).append((cell.id, address))
        cells[cell.id] = RawCell(value, address)
    for sheet, items in blanks.items():  # only blank cells can be formulas without a cached value
        formula = formulas(sheet)
        for cell_id, address in items:
            if address in formula:
                cells[cell_id] = RawCell(None, address, formula[address])
    gone = FindingFactory(spec.rule("LAYOUT_SHEET_MISSING"))
    findings.extend(gone.make(sheet=name) for name in sorted(missing_sheets))
    return RawBook(source, spec.id, version, cells, tuple(findings), dict(properties))

