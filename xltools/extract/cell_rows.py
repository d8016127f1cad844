"""Rows and columns of a table kept as cells (cells.py), told apart by their labels: a row by its label cells (the
merged group labels over it included; a label on a row of its own joined to the numbers below it), a column by the
lowest header cell over it; and a row's numbers put in place with a note for every cell that is not certain. Pure.

A number cell merged over several rows or columns stands for all of them: it is placed only when it is 0
(non-negative counts that add up to 0 are each 0). Blank cells are 0 only where the row's printed total proves it.
Label variants come from the format spec (``[import] label_aliases``).
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import NamedTuple

from xltools.extract.cells import Slot, Table, kind, number_text
from xltools.extract.tables import Note
from xltools.format.findings import Number
from xltools.format.spec import FormatSpec
from xltools.reading.labels import normalize_label

Values = dict[str, Number | None]
LEFT_EMPTY = "单元格留空，请对照原文填写"
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.]|\([一二三四五六七八九十\d]{1,3}\)|\d{1,2}\.)")
FUZZY = 0.8  # a long label this similar to the official one (a typo) is the same row


class Row(NamedTuple):
    at: int
    labels: list[str]  # the label cells, each merged cell once, left to right
    values: list[tuple[int, Slot]]  # (column, slot) right of the label
    numbers: int  # how many of them are numbers


@lru_cache(maxsize=4096)
def core(label: str, aliases: tuple[tuple[str, str], ...] = ()) -> str:
    """A label without its numbering, spaces and width/quote differences, variants replaced by the official
    words ("不再受理" -> "不再处理")."""
    s = normalize_label(label)
    for variant, official in aliases:
        s = s.replace(normalize_label(variant), normalize_label(official))
    return _NUMBERING.sub("", s)


def aliases_of(spec: FormatSpec) -> tuple[tuple[str, str], ...]:
    return tuple((str(a), str(b)) for a, b in spec.importing.get("label_aliases", []))


def cell_number(text: str) -> Number:
    t = number_text(text)
    return float(t) if "." in t else int(t)


def table_rows(table: Table) -> list[Row]:
    """Each row's label cells and the cells right of them; a row holding only numbers takes the label of the
    row above when that row is a label followed by blank cells only (a label detached from its numbers)."""
    out: list[Row] = []
    for r, row in enumerate(table.rows):
        texts = [c for c, s in enumerate(row) if kind(s.text) == "text"]
        end = texts[-1] + 1 if texts else 0
        labels: list[str] = []
        seen: set[tuple[int, int]] = set()
        for s in row[:end]:
            if s.origin not in seen and kind(s.text) == "text":
                seen.add(s.origin)
                labels.append(s.text)
        values = list(enumerate(row))[end:]
        numbers = sum(kind(s.text) == "number" for _c, s in values)
        prev = out[-1] if out else None
        if (not labels and numbers and prev is not None and prev.labels and prev.values
                and all(kind(x.text) == "blank" for _c, x in prev.values)):
            start = len(table.rows[prev.at]) - len(prev.values)
            labels, values = prev.labels, list(enumerate(row))[start:]
        out.append(Row(r, labels, values, numbers))
    return out


_MATCHERS: dict[tuple[str, str], _Rows] = {}


def rows_of(spec: FormatSpec, table: str) -> _Rows:
    key = (spec.id, table)
    if key not in _MATCHERS:
        _MATCHERS[key] = _Rows(spec, table)
    return _MATCHERS[key]


class _Rows:
    """The format table's rows by their label's last part (and its groups, to tell apart equal last parts)."""

    def __init__(self, spec: FormatSpec, table: str):
        self.aliases = aliases_of(spec)
        self.entries: list[tuple[str, str, list[str]]] = []
        self.ids: dict[str, list[str]] = {}  # row key -> its cell ids
        self.seen: dict[tuple[str, ...], str | None] = {}  # labels matched before
        for c in spec.number_cells:
            parts = c.id.split(".")
            key = parts[1] if len(parts) > 2 else ""
            if parts[0] == table and key not in self.ids:
                path = [core(p, self.aliases) for p in c.row]
                self.entries.append((key, path[-1] if path else "", path[:-1]))
            if parts[0] == table:
                self.ids.setdefault(key, []).append(c.id)

    def match(self, labels: list[str]) -> str | None:
        key = tuple(labels)
        if key not in self.seen:
            self.seen[key] = self._match(labels) if len(self.seen) < 10_000 else None
        return self.seen[key]

    def _match(self, labels: list[str]) -> str | None:
        src = [x for x in (core(p, self.aliases) for p in labels) if x]
        if not src:
            return None
        leaf = src[-1]
        found = [e for e in self.entries if e[1] == leaf]
        if not found and len(leaf) >= 4:
            found = [e for e in self.entries if len(e[1]) >= 4 and (leaf in e[1] or e[1] in leaf)]
        if not found and len(leaf) >= 6:
            found = [e for e in self.entries
                     if difflib.SequenceMatcher(None, leaf, e[1]).ratio() >= FUZZY]
        if len(found) > 1:  # the same last part under different groups: the groups decide
            joined = "".join(src[:-1])
            found = [e for e in found if all(g in joined for g in e[2])] or found
        return found[0][0] if len(found) == 1 else None


def header_columns(table: Table, first_data: int, leaves: dict[str, str], aliases: tuple[tuple[str, str], ...],
                    groups: dict[str, str] | None = None) -> dict[int, str]:
    """Column index -> column key ("total", or "review.total" with ``groups``) from the header rows above the
    first data row: the lowest header cell over a column names it; with groups, a higher one names its group."""
    width = max((len(r) for r in table.rows), default=0)
    out: dict[int, str] = {}
    for c in range(width):
        path: list[str] = []
        for row in table.rows[:first_data]:
            if c < len(row) and row[c].text and (not path or path[-1] != row[c].text):
                path.append(row[c].text)
        if not path:
            continue
        leaf = core(path[-1], aliases)
        key = next((k for k, label in leaves.items() if label == leaf), None)
        if key is None:
            continue
        if groups is not None:
            joined = core("".join(path[:-1]), aliases)
            group = next((g for g, label in groups.items() if label in joined), None)
            if group is None:
                continue
            key = f"{group}.{key}"
        if key in out.values():  # the same header twice: neither column is certain
            out = {i: k for i, k in out.items() if k != key}
            continue
        out[c] = key
    return out


def _extent(table: Table) -> dict[tuple[int, int], tuple[set[int], set[int]]]:
    """Each cell's rows and columns."""
    out: dict[tuple[int, int], tuple[set[int], set[int]]] = {}
    for r, row in enumerate(table.rows):
        for c, s in enumerate(row):
            rows, cols = out.setdefault(s.origin, (set(), set()))
            rows.add(r)
            cols.add(c)
    return out


def row_text(table: Table, r: int) -> str:
    seen: set[tuple[int, int]] = set()
    out = []
    for s in table.rows[r]:
        if s.origin not in seen:
            seen.add(s.origin)
            out.append(s.text or "□")
    return " ".join(out)[:160]


def prove_zeros(numbers: list[Number | None], size: int) -> int:
    """Blank cells of a group of ``size`` (its total last) set to 0 in place where the printed total equals the
    sum of the printed cells (the values are non-negative): how many were set."""
    filled = 0
    for i in range(0, len(numbers) - size + 1, size):
        group = numbers[i:i + size]
        total, parts = group[-1], group[:-1]
        if total is None or None not in parts or isinstance(total, float):
            continue
        if sum(p for p in parts if p is not None) == total:
            for j, p in enumerate(parts):
                if p is None:
                    numbers[i + j] = 0
                    filled += 1
    return filled


class Cells:
    """Reading numbers out of one source table, noting every cell that cannot be placed."""

    def __init__(self, spec: FormatSpec, table: Table, sheet: str):
        self.table = table
        self.extent = _extent(table)
        self.sheet = sheet
        self.notes: list[Note] = []
        self.zeros: list[str] = []  # blank cells proven 0, and the rows they are in
        self.zero_rows: list[str] = []
        self.merged_zeros: list[str] = []  # cells under a merged cell printing 0

    def finish(self) -> list[Note]:
        """The notes, the blank cells proven 0 in one note for the whole table, the merged zeros in another."""
        out = list(self.notes)
        if self.zeros:
            rows = "、".join(f"“{r}”" for r in self.zero_rows[:3]) + ("等" if len(self.zero_rows) > 3 else "")
            out.append(Note("zero", tuple(self.zeros), f"{self.sheet}：{rows} {len(self.zero_rows)} 行（组）中的 "
                            f"{len(self.zeros)} 个空白单元格填为 0——这些行印出的合计等于印出的各数之和，空白只能是 0，"
                            "请核对"))
        if self.merged_zeros:
            out.append(Note("zero", tuple(self.merged_zeros), f"{self.sheet}：{len(self.merged_zeros)} 个单元格在原文中"
                            "是跨几行或几列合并的一个“0”——几个不小于 0 的数之和为 0，每个都是 0，已填 0，请核对"))
        return out

    def value(self, r: int, c: int, rows_in_use: set[int], cols_in_use: set[int]) -> tuple[Number | None, str]:
        """The number at (r, c), or None and why ("blank" or "merged")."""
        row = self.table.rows[r]
        if c >= len(row):
            return None, "blank"
        s = row[c]
        k = kind(s.text)
        if k != "number":
            return None, "blank" if k == "blank" else "text"
        rows, cols = self.extent[s.origin]
        if len(rows & rows_in_use) > 1 or len(cols & cols_in_use) > 1:
            n = cell_number(s.text)
            return (0, "merged0") if n == 0 else (None, "merged")
        return cell_number(s.text), ""


def place(cells: Cells, ids: list[str], numbers: list[Number | None], whys: list[str], total_size: int | None,
           values: Values, source: str, label: str) -> None:
    """Put a row's numbers in place, with notes for merged, blank and proven-zero cells."""
    merged = tuple(i for i, w in zip(ids, whys, strict=True) if w in ("merged", "text"))
    if merged:
        cells.notes.append(Note("ambiguous", merged, f"{cells.sheet}“{label}”：{len(merged)} 个单元格在原文中是跨行"
                                "或跨列的合并单元格（一个数字对应几个单元格）或不是数字，无法确定各自的数，"
                                f"{LEFT_EMPTY}", source))
    cells.merged_zeros.extend(i for i, w in zip(ids, whys, strict=True) if w == "merged0")
    blank_before = [i for i, n, w in zip(ids, numbers, whys, strict=True) if n is None and w == "blank"]
    zeros = prove_zeros(numbers, total_size) if total_size else 0
    values.update(zip(ids, numbers, strict=True))
    if zeros:
        cells.zeros.extend(i for i in blank_before if values[i] == 0)
        cells.zero_rows.append(label)
    blank = tuple(i for i in blank_before if values[i] is None)
    if blank:
        cells.notes.append(Note("blank", blank, f"{cells.sheet}“{label}”：{len(blank)} 个单元格在原文中是空白或"
                                "“/”“-”，留空（不当作 0）", source))


def trimmed(values: list[tuple[int, Slot]], n: int) -> list[tuple[int, Slot]]:
    """A row's value positions without the blank positions before them that are more than ``n`` (an empty part
    of a merged label area)."""
    out = list(values)
    while len(out) > n and kind(out[0][1].text) == "blank":
        out.pop(0)
    return out


def first_data(rows: list[Row]) -> int:
    return next((r.at for r in rows if r.numbers), len(rows))
