"""A format's tables read from text, cell by cell id. Pure.

Everything format-specific comes from the spec: a table's shape (``blocks`` of labelled rows such as 表二, a
``grid`` of rows × columns such as 表三, one ``row`` of column groups such as 表四), its row labels, the sum
relations that settle digits run together, and the layouts of older formats that real reports still print
(``[import]`` in the spec source: ``variants`` that keep only some rows, ``merged_rows`` printed as one row).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from xltools.extract.splitting import splits, sums_hold
from xltools.extract.tables import Group, Note, groups, match_rows, read_row, source_of
from xltools.format.findings import Number
from xltools.format.spec import FormatSpec
from xltools.reading.labels import normalize_label

Values = dict[str, Number | None]
LEFT_EMPTY = "单元格留空，请对照原文填写"


def table_rows(spec: FormatSpec, table: str) -> list[tuple[str, list[str]]]:
    """(row key, cell ids) of a table in the spec's order; the row key is the id's middle part."""
    rows: dict[str, list[str]] = {}
    for c in spec.number_cells:
        parts = c.id.split(".")
        if parts[0] == table:
            rows.setdefault(parts[1] if len(parts) > 2 else "", []).append(c.id)
    return list(rows.items())


def sum_pairs(spec: FormatSpec, table: str) -> list[tuple[list[str], list[str]]]:
    """The table's sum relations (left cell ids, right cell ids)."""
    return [(list(r.left), list(r.right)) for r in spec.sum_relations()
            if all(i.startswith(table + ".") for i in [*r.left, *r.right])]


def _last_is_total(ids: list[str], pairs: list[tuple[list[str], list[str]]]) -> bool:
    """True when the last of ``ids`` is the sum of the others (a row total, a group total)."""
    return any(left == [ids[-1]] and sorted(right) == sorted(ids[:-1]) for left, right in pairs)


def row_label(spec: FormatSpec, cell_id: str) -> str:
    """The last part of a cell's row label in the spec ("规章", "一、本年新收政府信息公开申请数量")."""
    return spec.cell(cell_id).row[-1] if spec.cell(cell_id).row else ""


def _variant(spec: FormatSpec, table: str, key: str, text: str) -> dict[str, Any] | None:
    for v in spec.importing.get(key, []):
        if v.get("table") == table and re.search(v["detect"], text) and not (
                v.get("unless") and re.search(v["unless"], text)):
            return dict(v)
    return None


def read_blocks(spec: FormatSpec, table: str, text: str, values: Values, notes: list[Note]) -> None:
    """A table of labelled rows of different widths without totals (表二)."""
    rows = table_rows(spec, table)
    labels = [row_label(spec, ids[0]) for _, ids in rows]
    sheet = spec.tables[table]["sheet"]
    found = [part for g in groups(text) for part in _unstack(g, labels, [len(ids) for _, ids in rows], False, notes)]
    variant = _variant(spec, table, "variants", text)
    if variant is not None:
        notes.append(Note("variant", (), variant["note"], text[:200]))
        keep = set(variant.get("keep_rows", []))
        for r, g, _ in match_rows(found, labels):
            name, ids = rows[r]
            if name in keep:
                numbers, _why = read_row(g.tokens, int(variant.get("width", len(ids))), None)
                if numbers is not None:
                    values[ids[0]] = numbers[-1]
        return
    for r, g, _ in match_rows(found, labels):
        _name, ids = rows[r]
        numbers, why = read_row(g.tokens, len(ids), None)
        if numbers is None:
            notes.append(Note("ambiguous", tuple(ids), f"{sheet}“{labels[r]}”：{why}，{LEFT_EMPTY}", source_of(g)))
            continue
        _store(values, ids, numbers, g, notes)


def read_grid(spec: FormatSpec, table: str, text: str, values: Values, notes: list[Note]) -> None:
    """A table of rows × columns, each row ending in its total (表三)."""
    info = spec.tables[table]
    rows: list[str] = list(info["rows"])
    columns: list[str] = list(info["columns"])
    sheet = info["sheet"]
    labels = [row_label(spec, f"{table}.{r}.{columns[0]}") for r in rows]
    pairs = sum_pairs(spec, table)
    total_size = len(columns) if _last_is_total([f"{table}.{rows[0]}.{c}" for c in columns], pairs) else None
    found = [g for g in groups(text) if len(g.tokens) > 1 or len(g.tokens[0]) > 1 or g.before.strip()]
    merged = _variant(spec, table, "merged_rows", text)
    if merged is not None:  # an older layout prints several rows as one: its numbers go into one of them
        i = rows.index(merged["rows"][0])
        n = len(merged["rows"])
        rows = [*rows[:i], merged["into"], *rows[i + n:]]
        labels = [*labels[:i], merged["label"], *labels[i + n:]]
        left_empty = [r for r in merged["rows"] if r != merged["into"]]
        notes.append(Note("variant", tuple(f"{table}.{r}.{c}" for r in left_empty for c in columns),
                          merged["note"]))
    found = [part for g in found for part in _unstack(g, labels, [len(columns)] * len(labels),
                                                       total_size is not None, notes)]
    ambiguous: dict[str, Group] = {}
    for r, g, _ in match_rows(found, labels):
        ids = [f"{table}.{rows[r]}.{c}" for c in columns]
        numbers, why = read_row(g.tokens, len(columns), total_size)
        if numbers is None:
            ambiguous[rows[r]] = g
            notes.append(Note("ambiguous", tuple(ids), f"{sheet}“{labels[r]}”：{why}，{LEFT_EMPTY}", source_of(g)))
            continue
        if why == "extra":
            notes.append(Note("extra", tuple(ids), f"{sheet}“{labels[r]}”：行中多出的数字（可能是页码）未导入",
                              source_of(g)))
        _store(values, ids, numbers, g, notes)
    _resolve_by_columns(table, columns, _column_relations(table, columns, pairs), ambiguous, values, notes, sheet)


def read_row_table(spec: FormatSpec, table: str, text: str, values: Values, notes: list[Note]) -> None:
    """A table of one row of column groups, each group ending in its total (表四)."""
    ids = [c.id for c in spec.number_cells if c.id.startswith(table + ".")]
    n_groups = max(1, len(spec.tables[table].get("groups", [])))
    size = len(ids) // n_groups
    pairs = sum_pairs(spec, table)
    group_total = size if all(_last_is_total(ids[i:i + size], pairs) for i in range(0, len(ids), size)) else None
    runs = [g for g in groups(text) if sum(len(t) for t in g.tokens) >= len(ids) or len(g.tokens) >= size]
    if not runs:
        return
    g = runs[-1]
    numbers, why = read_row(g.tokens, len(ids), group_total)
    if numbers is None:
        notes.append(Note("ambiguous", tuple(ids), f"{spec.tables[table]['sheet']}：{why}，{LEFT_EMPTY}",
                          source_of(g)))
        return
    _store(values, ids, numbers, g, notes)


Reader = Callable[[FormatSpec, str, str, Values, list[Note]], None]


def reader_for(spec: FormatSpec, table: str) -> Reader:
    """The reader for a table's shape, told from the spec: rows × columns, column groups, or labelled rows."""
    info = spec.tables[table]
    if info.get("rows") and info.get("columns"):
        return read_grid
    if info.get("groups"):
        return read_row_table
    return read_blocks


def _unstack(g: Group, labels: list[str], widths: list[int], sums: bool, notes: list[Note]) -> list[Group]:
    """A run of k × w numbers after k row labels is a block of k rows that the PDF extractor wrote out row by row or
    column by column. The orientation in which the rows' totals hold is taken; without totals to tell (表二),
    a block of wider rows is reported, not guessed."""
    if len(g.tokens) < 2 or not all(t.replace(".", "", 1).isdigit() for t in g.tokens):
        return [g]
    before = normalize_label(g.before)
    present: list[int] = []
    pos = 0
    for i, label in enumerate(labels):  # in order, each after the previous ("#.其他" is not in "#.其他法律…")
        at = before.find(_marked(label), pos)
        if at >= 0:
            present.append(i)
            pos = at + len(_marked(label))
    k = len(present)
    width = widths[present[0]] if present else 0
    if k < 2 or any(widths[i] != width for i in present) or len(g.tokens) != k * width:
        return [g]
    by_row = [g.tokens[i * width:(i + 1) * width] for i in range(k)]
    by_col = [[g.tokens[i + j * k] for j in range(width)] for i in range(k)]
    if by_row == by_col or width == 1:
        return [Group(row, labels[i]) for i, row in zip(present, by_row, strict=True)]
    holds = [sum(sums and sums_hold([int(t) for t in r], width) for r in rows) for rows in (by_row, by_col)]
    if holds[0] == holds[1]:
        notes.append(Note("ambiguous", (), "有一块数字无法判断是按行还是按列排列（PDF 文字层的顺序），未导入，"
                          "请对照原文填写", source_of(g)))
        return []
    rows = by_col if holds[1] > holds[0] else by_row
    return [Group(row, labels[i]) for i, row in zip(present, rows, strict=True)]


def _marked(label: str) -> str:
    """A row label as it reads in a run's preceding text: "1.属于国家秘密" -> "#.属于国家秘密"."""
    return normalize_label(re.sub(r"^\d+[.、．]", "#.", label))


def _column_relations(table: str, columns: list[str], pairs: list[tuple[list[str], list[str]]]
                      ) -> list[tuple[list[str], list[str]]]:
    """The relations that hold within each column, as row keys (left rows, right rows), each once."""
    out: list[tuple[list[str], list[str]]] = []
    first = columns[0]
    for left, right in pairs:
        cells = [i.split(".") for i in [*left, *right]]
        if all(len(c) == 3 and c[2] == first for c in cells):
            rel = ([i.split(".")[1] for i in left], [i.split(".")[1] for i in right])
            if rel not in out:
                out.append(rel)
    return out


def _resolve_by_columns(table: str, columns: list[str], relations: list[tuple[list[str], list[str]]],
                        ambiguous: dict[str, Group], values: Values, notes: list[Note], sheet: str) -> None:
    """Settle a row whose digits could be cut several ways with the table's column relations (in 表三: （七）总计
    = the 21 result rows; 一 + 二 = （七）总计 + 四), when every other row of a relation is known."""
    for row, g in ambiguous.items():
        options = splits(g.tokens, len(columns)) or []
        for left, right in relations:
            if row not in left + right or len(options) < 2:
                continue
            others = [r for r in left + right if r != row]
            known = [[values.get(f"{table}.{r}.{c}") for c in columns] for r in others]
            if any(v is None for k in known for v in k):
                continue
            rows_known = dict(zip(others, known, strict=True))
            fitting = [o for o in options if _holds(left, right, rows_known | {row: o}, len(columns))]
            if len(fitting) == 1:
                values.update({f"{table}.{row}.{c}": v for c, v in zip(columns, fitting[0], strict=True)})
                notes[:] = [n for n in notes if not (n.kind == "ambiguous" and n.cells and
                                                     n.cells[0] == f"{table}.{row}.{columns[0]}")]
                notes.append(Note("split", tuple(f"{table}.{row}.{c}" for c in columns),
                                  f"{sheet}这一行的数字连在一起，按本表各列的勾稽关系唯一确定了拆分，请核对",
                                  source_of(g)))
                break


def _store(values: Values, ids: list[str], numbers: list[Number | None], g: Group, notes: list[Note]) -> None:
    """Put a row's numbers in place; blank or "/" cells stay empty, with a note."""
    values.update(zip(ids, numbers, strict=True))
    blank = tuple(i for i, n in zip(ids, numbers, strict=True) if n is None)
    if blank:
        notes.append(Note("blank", blank, f"{len(blank)} 个单元格在原文中是空白或“/”“-”，留空（不当作 0）",
                          source_of(g)))


def _holds(left: list[str], right: list[str], rows: dict[str, Any], n: int) -> bool:
    return all(sum(rows[r][i] for r in left) == sum(rows[r][i] for r in right) for i in range(n))
