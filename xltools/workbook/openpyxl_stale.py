"""Which cached formula results an editing session made wrong: a formula's cached result (``<v>``) stays right
unless it reads, directly or through other formulas, a cell whose value the session changed or a sheet it
rewrote. Part of the openpyxl port (``openpyxl_port``), used when it saves.

When no cell value changed (``check --annotate`` and consolidation's annotated copies only set fills and notes and
write their own sheets), a result can only go stale if some formula reads a rewritten sheet, and a formula can
only read a sheet whose name (or a defined name pointing at it) is in its text: only those few formulas are
tokenized, and when none of them does read a rewritten sheet no result is stale. Otherwise every formula is
tokenized and the stale ones are found as before (``_exact``); both give the same answer.

Tokenizing is openpyxl's ``Tokenizer``, once per formula *shape*: a formula filled down a column (``=B6+C6``,
``=B7+C7``…) differs from the others only in the row numbers of its references, which do not change how it
tokenizes (``_ranges``).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import deque
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from openpyxl.formula import Tokenizer
from openpyxl.utils.cell import range_boundaries

Box = tuple[str, int, int, int, int]  # sheet, first row, first column, last row, last column (1-based)
Key = tuple[str, int, int]  # sheet, row, column
_UNKNOWN_REFS = ("INDIRECT(", "OFFSET(")  # functions whose precedents cannot be read from the formula


def stale_formulas(formulas: Mapping[Key, str], changed: set[Key], rewritten: set[str],
                   names: Mapping[str, Any]) -> set[Key]:
    """The formula cells (of ``formulas``: cell -> formula text) whose cached result is no longer right after the
    cells ``changed`` and the sheets ``rewritten`` (replaced, added or deleted); ``names``: the workbook's defined
    names (openpyxl's ``DefinedNameDict``)."""
    if not formulas or (not changed and not _reads_rewritten(formulas, rewritten, names)):
        return set()
    return _exact(formulas, changed, rewritten, names)


def _exact(formulas: Mapping[Key, str], changed: set[Key], rewritten: set[str],
           names: Mapping[str, Any]) -> set[Key]:
    """Every formula that reads a rewritten sheet, a changed cell or a stale formula, and, once anything changed,
    every formula whose references cannot be known."""
    refs = {key: references(f, key[0], names) for key, f in formulas.items()}
    stale: set[Key] = set()
    queue: deque[Key] = deque(changed)  # cells whose value is no longer what the formulas reading them saw

    def mark(key: Key) -> None:
        stale.add(key)
        queue.append(key)

    for key, boxes in refs.items():
        if boxes is not None and touches(boxes, set(), rewritten):
            mark(key)
    if changed or stale:
        for key, boxes in refs.items():
            if boxes is None and key not in stale:
                mark(key)
    cell_readers: dict[Key, list[Key]] = {}  # the formulas reading a cell by itself (most references)
    range_readers: dict[str, list[tuple[Key, Box]]] = {}  # by sheet: the ranges formulas read there
    for key, boxes in refs.items():
        for box in boxes or ():
            sheet, r1, c1, r2, c2 = box
            if r1 == r2 and c1 == c2:
                cell_readers.setdefault((sheet, r1, c1), []).append(key)
            else:
                range_readers.setdefault(sheet, []).append((key, box))
    while queue:
        cell = queue.popleft()
        sheet, r, c = cell
        for key in cell_readers.get(cell, ()):
            if key not in stale:
                mark(key)
        for key, (_, r1, c1, r2, c2) in range_readers.get(sheet, ()):
            if key not in stale and r1 <= r <= r2 and c1 <= c <= c2:
                mark(key)
    return stale


def _reads_rewritten(formulas: Mapping[Key, str], rewritten: set[str], names: Mapping[str, Any]) -> bool:
    """Whether some formula reads a rewritten sheet (the only way a result goes stale when no cell changed).

    A reference to sheet S is written S!… or 'S'!… (a quote in S doubled), and a defined name reaching S holds
    one in its text: a formula whose text holds neither S nor such a name cannot read S. The few that might are
    tokenized, as the exact path would."""
    if not rewritten:
        return False
    spellings = {s for name in rewritten for s in (name, name.replace("'", "''"))}
    reaching = [n for n, dn in names.items() if any(s in str(getattr(dn, "attr_text", "") or "") for s in spellings)]
    for (sheet, _, _), formula in formulas.items():
        if sheet in rewritten or any(s in formula for s in spellings) or any(n in formula for n in reaching):
            boxes = references(formula, sheet, names)
            if boxes is not None and touches(boxes, set(), rewritten):
                return True
    return False


def references(formula: str, sheet: str, names: Mapping[str, Any]) -> list[Box] | None:
    """The cell ranges a formula on ``sheet`` reads; None when they cannot be known (INDIRECT, an unknown
    name…)."""
    if any(f in formula.upper() for f in _UNKNOWN_REFS):
        return None
    ranges = _ranges(formula)
    if ranges is None:  # a formula openpyxl cannot parse
        return None
    boxes: list[Box] = []
    for value in ranges:
        box = _box(value, sheet)
        if box is not None:
            boxes.append(box)
            continue
        name = names.get(value)
        if name is None:
            return None
        try:
            destinations = list(name.destinations)
        except Exception:  # a name openpyxl cannot parse: its cells cannot be known
            return None
        for dest_sheet, ref in destinations:
            box = _box(f"'{dest_sheet}'!{ref}", sheet)
            if box is None:
                return None
            boxes.append(box)
    return boxes


# Row numbers of references: digits after a letter or "$" (B6, $B$6, AB12). openpyxl's tokenizer treats digits as
# any other character except in a number (float(), and 1E+5 where the "+" belongs to the number: one digit before the
# E), and such a number never has digits right after a letter or "$" except after its E, where any digits make it a
# number as well. A token ends between a letter and a digit only after an error value ending in a letter (#N/A1E+5
# is #N/A then 1E+5): digits there are left as they are. Formulas differing only in the other runs tokenize alike.
_ROW_DIGITS = re.compile(r"(?<=[A-Za-z$])(?<!#N/A)(?<!#GETTING_DATA)[0-9]+")


def _ranges(formula: str) -> list[str] | None:
    """The range operands of ``formula`` as openpyxl's Tokenizer finds them; None when it cannot tokenize it."""
    runs = list(_ROW_DIGITS.finditer(formula))
    shape = _ROW_DIGITS.sub("0", formula)
    spans = _shape_ranges(shape)
    if spans is None:
        return None
    if spans is _UNPLACED:  # never seen: then the formula itself
        return _tokenized(formula)
    if not runs:
        return [shape[a:b] for a, b in spans]
    # a position in the shape -> in the formula: each run before it was shortened to one digit
    places, extra, total = [], [], 0
    for m in runs:
        places.append(m.start() - total)  # where its "0" is in the shape
        total += m.end() - m.start() - 1
        extra.append(total)

    def at(pos: int) -> int:
        k = bisect_left(places, pos)  # runs whose "0" is before pos
        return pos + (extra[k - 1] if k else 0)

    return [formula[at(a):at(b)] for a, b in spans]


_UNPLACED: tuple[tuple[int, int], ...] = ((-1, -1),)


@lru_cache(maxsize=4096)
def _shape_ranges(shape: str) -> tuple[tuple[int, int], ...] | None:
    """Where the range operands of a formula are (start, end); None when openpyxl cannot tokenize it. Every token
    is a piece of the formula, in order, with only the leading "=" and runs of white space between them (else
    ``_UNPLACED``)."""
    try:
        tokens = Tokenizer(shape).items
    except Exception:  # a formula openpyxl cannot parse
        return None
    spans = []
    pos = 1 if shape.startswith("=") else 0
    for token in tokens:
        start = shape.find(token.value, pos)
        if start < 0 or shape[pos:start].strip(" \n"):
            return _UNPLACED
        pos = start + len(token.value)
        if token.type == "OPERAND" and token.subtype == "RANGE":
            spans.append((start, pos))
    return tuple(spans)


def _tokenized(formula: str) -> list[str] | None:
    try:
        tokens = Tokenizer(formula).items
    except Exception:  # a formula openpyxl cannot parse
        return None
    return [t.value for t in tokens if t.type == "OPERAND" and t.subtype == "RANGE"]


def touches(boxes: list[Box], changed: set[Key], sheets: set[str]) -> bool:
    """Whether a formula reading ``boxes`` reads a changed cell or a sheet that was rewritten."""
    for sheet, r1, c1, r2, c2 in boxes:
        if sheet in sheets:
            return True
        if any(s == sheet and r1 <= r <= r2 and c1 <= c <= c2 for s, r, c in changed):
            return True
    return False


@lru_cache(maxsize=65536)
def _box(ref: str, sheet: str) -> Box | None:
    """``'表三'!$D$5:$I$5`` (or without the sheet: on ``sheet``) as a box; None when it is not a cell range."""
    where, bang, cells = ref.rpartition("!")
    where = where.strip("'").replace("''", "'") if bang else sheet
    try:
        min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    except (ValueError, TypeError):
        return None
    return (where, min_row or 1, min_col or 1, max_row or 1_048_576, max_col or 16_384)
