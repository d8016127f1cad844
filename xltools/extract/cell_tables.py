"""The format's tables read from tables kept as cells (web pages, Word, Markdown, a PDF's ruling). Pure.

Each source table is told to hold 表二, 表三 or 表四 by its row labels (表四 by its group headers, else the table
section it stands in); its rows and columns are identified by label and header (cell_rows.py), and a number is
placed only when both are certain. The 2019 layouts come from the spec's ``variants`` and ``merged_rows``. Several
source tables of one format table are joined; where they differ, the caption before each decides (candidates.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from xltools.extract.candidates import Candidate, choose
from xltools.extract.cell_rows import (
    LEFT_EMPTY,
    Cells,
    Row,
    Values,
    aliases_of,
    cell_number,
    core,
    first_data,
    header_columns,
    place,
    row_text,
    rows_of,
    table_rows,
    trimmed,
)
from xltools.extract.cells import Slot, Table, kind
from xltools.extract.format_tables import sum_pairs
from xltools.extract.tables import Note
from xltools.format.findings import Number
from xltools.format.spec import FormatSpec
from xltools.reading.labels import normalize_label


class Reading(NamedTuple):
    """What the cells of one source table gave for one format table."""

    values: Values
    notes: list[Note]
    rows: int  # rows identified
    exact: bool = True  # every source table's cell structure is the publisher's own (not a PDF's ruling)


def read_grid_cells(spec: FormatSpec, tid: str, table: Table, rows: list[Row], values: Values
                    ) -> tuple[list[Note], int]:
    """A rows × columns table (表三) from cells: rows by label, columns by header or by count."""
    info = spec.tables[tid]
    columns: list[str] = list(info["columns"])
    aliases = aliases_of(spec)
    first = info["rows"][0]
    leaves = {c: core(spec.cell(f"{tid}.{first}.{c}").col[-1], aliases) for c in columns}
    pairs = sum_pairs(spec, tid)
    row_ids = [f"{tid}.{first}.{c}" for c in columns]
    total_size = len(columns) if any(left == [row_ids[-1]] and sorted(right) == sorted(row_ids[:-1])
                                     for left, right in pairs) else None
    matcher = rows_of(spec, tid)
    cells = Cells(spec, table, info["sheet"])
    colmap = header_columns(table, first_data(rows), leaves, aliases)
    by_header = len(colmap) == len(columns)
    merged = _merged_variant(spec, tid, table)
    identified: list[tuple[Row, str]] = []
    for row in rows:
        if not row.numbers:
            continue
        key = matcher.match(row.labels)
        if key is None and merged is not None and core(row.labels[-1] if row.labels else "") == core(merged["label"]):
            key = merged["into"]
        if key is None:
            if row.labels:
                cells.notes.append(Note("unplaced", (), f"{cells.sheet}：这一行的标签与本表各行都对不上，数字未导入，"
                                        "请核对", row_text(table, row.at)))
            continue
        identified.append((row, key))
    rows_in_use = {row.at for row, _ in identified}
    done: dict[str, list[Number | None]] = {}
    for row, key in identified:
        ids = [f"{tid}.{key}.{c}" for c in columns]
        label = row.labels[-1] if row.labels else key
        source = row_text(table, row.at)
        if by_header:
            positions = sorted(colmap, key=lambda c: columns.index(colmap[c]))
        elif len(trimmed(row.values, len(columns))) == len(columns):
            positions = [c for c, _s in trimmed(row.values, len(columns))]
        else:
            cells.notes.append(Note("ambiguous", tuple(ids), f"{cells.sheet}“{label}”：这一行有 {len(row.values)} 个"
                                    f"数字位置，本表每行 {len(columns)} 列，表头又不能确定各列，{LEFT_EMPTY}", source))
            continue
        got = [cells.value(row.at, c, rows_in_use, set(positions)) for c in positions]
        numbers = [n for n, _w in got]
        if key in done and done[key] != numbers:
            cells.notes.append(Note("ambiguous", tuple(ids), f"{cells.sheet}“{label}”：原文中这一行出现两次，数字不同，"
                                    f"{LEFT_EMPTY}", source))
            values.update(dict.fromkeys(ids))
            continue
        done[key] = list(numbers)
        place(cells, ids, numbers, [w for _n, w in got], total_size, values, source, label)
    if merged is not None and merged["into"] in done and not any(
            matcher.match(r.labels) in merged["rows"] for r in rows if r.labels):
        cells.notes.append(Note("variant", tuple(f"{tid}.{r}.{c}" for r in merged["rows"] if r != merged["into"]
                                             for c in columns), merged["note"]))
    return cells.finish(), len(identified)


def _merged_variant(spec: FormatSpec, tid: str, table: Table) -> dict[str, Any] | None:
    text = table.text()
    for v in spec.importing.get("merged_rows", []):
        if v.get("table") == tid and re.search(v["detect"], text) and not (
                v.get("unless") and re.search(v["unless"], text)):
            return dict(v)
    return None


def read_groups_cells(spec: FormatSpec, tid: str, table: Table, rows: list[Row], values: Values
                      ) -> tuple[list[Note], int]:
    """One row of column groups (表四) from cells: columns by their group and column headers, or a row of exactly
    the table's number of cells."""
    info = spec.tables[tid]
    aliases = aliases_of(spec)
    ids = [c.id for c in spec.number_cells if c.id.startswith(tid + ".")]
    first_group = [i for i in ids if i.split(".")[1] == info["groups"][0]]
    leaves = {i.split(".")[2]: core(spec.cell(i).col[-1], aliases) for i in first_group}
    # the most specific group label first ("复议后起诉" is matched before "行政复议" could be)
    groups = dict(sorted(((g, core(spec.cell(f"{tid}.{g}.{next(iter(leaves))}").col[-2], aliases))
                          for g in info["groups"]), key=lambda kv: -len(kv[1])))
    cells = Cells(spec, table, info["sheet"])
    data = [r for r in rows if r.numbers]
    colmap = header_columns(table, first_data(rows), leaves, aliases, groups)
    if len(colmap) == len(ids):
        positions = sorted(colmap, key=lambda c: ids.index(f"{tid}.{colmap[c]}"))
    else:
        data = [r._replace(values=trimmed(r.values, len(ids))) for r in data]
        data = [r for r in data if len(r.values) == len(ids)]
        positions = []
    if not data:
        return cells.notes, 0
    readings = []
    for row in data:
        cols = positions or [c for c, _s in row.values]
        readings.append((row, cols, [cells.value(row.at, c, {row.at}, set(cols)) for c in cols]))
    if any([n for n, _ in got] != [n for n, _ in readings[0][2]] for _r, _c, got in readings[1:]):
        cells.notes.append(Note("ambiguous", tuple(ids), f"{cells.sheet}：原文有 {len(readings)} 行数字，无法确定"
                                f"哪一行是本表，{LEFT_EMPTY}", " ｜ ".join(row_text(table, r.at)
                                                                         for r, _c, _g in readings)))
        return cells.notes, 0
    row, _cols, got = readings[0]
    size = len(leaves)
    place(cells, ids, [n for n, _w in got], [w for _n, w in got], size, values, row_text(table, row.at),
           info["sheet"])
    return cells.finish(), 1


def read_blocks_cells(spec: FormatSpec, tid: str, table: Table, rows: list[Row], values: Values
                      ) -> tuple[list[Note], int]:
    """Labelled rows of different widths (表二): a row's cells, each merged cell once, in order."""
    info = spec.tables[tid]
    matcher = rows_of(spec, tid)
    cells = Cells(spec, table, info["sheet"])
    text = table.text()
    variant = next((dict(v) for v in spec.importing.get("variants", []) if v.get("table") == tid
                    and re.search(v["detect"], text) and not (v.get("unless") and re.search(v["unless"], text))),
                   None)
    if variant is not None:
        cells.notes.append(Note("variant", (), variant["note"], text[:200]))
    widths = rows_of(spec, tid).ids
    count = 0
    for row in rows:
        key = matcher.match(row.labels) if row.numbers else None
        if key is None:
            continue
        count += 1
        ids = widths[key]
        source = row_text(table, row.at)
        slots: list[Slot] = []
        for _c, s in row.values:
            if not slots or slots[-1].origin != s.origin:
                slots.append(s)
        if variant is not None:
            keep = key in variant.get("keep_rows", []) and len(slots) == int(variant.get("width", len(ids)))
            if keep and kind(slots[-1].text) == "number":
                values[ids[0]] = cell_number(slots[-1].text)
            continue
        if len(slots) != len(ids):
            cells.notes.append(Note("ambiguous", tuple(ids), f"{cells.sheet}“{row.labels[-1]}”：这一行有 "
                                    f"{len(slots)} 个数字位置，应为 {len(ids)} 个，{LEFT_EMPTY}", source))
            continue
        numbers: list[Number | None] = [cell_number(s.text) if kind(s.text) == "number" else None for s in slots]
        place(cells, ids, numbers, ["" if n is not None else "blank" for n in numbers], None, values, source,
               row.labels[-1])
    return cells.finish(), count


def _shape(spec: FormatSpec, tid: str) -> str:
    info = spec.tables[tid]
    if info.get("rows") and info.get("columns"):
        return "grid"
    return "groups" if info.get("groups") else "blocks"


def identify(spec: FormatSpec, table: Table, all_rows: list[Row], section_table: str | None) -> str | None:
    """Which format table a source table holds: the one most of its labelled number rows belong to; a table of
    column groups by its group headers; else the table of the section it stands in."""
    rows = [r for r in all_rows if r.numbers and r.labels]
    best, hits = None, 0
    for tid in spec.tables:
        if _shape(spec, tid) == "groups":
            continue
        matcher = rows_of(spec, tid)
        n = sum(matcher.match(r.labels) is not None for r in rows)
        if n > hits:
            best, hits = tid, n
    if best is not None:
        return best
    text = normalize_label(table.text())
    for tid in spec.tables:
        if _shape(spec, tid) == "groups" and all(
                core(g) in text for g in _group_words(spec, tid)):
            return tid
    return section_table


def _group_words(spec: FormatSpec, tid: str) -> list[str]:
    return sorted({spec.cell(c.id).col[-2] for c in spec.number_cells if c.id.startswith(tid + ".")})


READERS = {"grid": read_grid_cells, "groups": read_groups_cells, "blocks": read_blocks_cells}


def read_cell_tables(spec: FormatSpec, tables: Sequence[Table], captions: Sequence[str],
                     sections: Sequence[str | None], report_year: int | None) -> dict[str, Reading]:
    """Every format table found in the source's tables. Several source tables of one format table are joined
    (a table split per group); where they give different numbers for a cell, the caption decides which table is
    the report year's (candidates.py), else that format table is left empty with a note."""
    found: dict[str, list[tuple[Values, list[Note], int, str]]] = {}
    exact: dict[str, bool] = {}
    for table, caption, section in zip(tables, captions, sections, strict=True):
        table_rows_ = table_rows(table)
        tid = identify(spec, table, table_rows_, section)
        if tid is None:
            continue
        values: Values = {}
        notes, rows = READERS[_shape(spec, tid)](spec, tid, table, table_rows_, values)
        if rows:
            found.setdefault(tid, []).append((values, notes, rows, caption))
            exact[tid] = exact.get(tid, True) and table.exact
    out: dict[str, Reading] = {}
    for tid, parts in found.items():
        joined: Values = {}
        clash = False
        for values, _notes, _rows, _caption in parts:
            for k, v in values.items():
                if v is not None and joined.get(k) is not None and joined[k] != v:
                    clash = True
                joined[k] = v if joined.get(k) is None else joined[k]
        if not clash:
            out[tid] = Reading(joined, [n for p in parts for n in p[1]], sum(p[2] for p in parts), exact[tid])
            continue
        candidates = [Candidate(v, n, c) for v, n, _r, c in parts]
        chosen = choose(candidates, report_year)
        sheet = spec.tables[tid]["sheet"]
        captions_text = " ｜ ".join(f"第 {i + 1} 个：{c.context or '（无说明）'}"[:80]
                                   for i, c in enumerate(candidates))
        if chosen is None:
            ids = tuple(c.id for c in spec.number_cells if c.id.startswith(tid + "."))
            message = (f"{sheet}：原文有 {len(parts)} 个{sheet}，数字不同，无法从上下文确定哪个属于报告年度，"
                       "单元格留空，请对照原文填写")
            out[tid] = Reading(dict.fromkeys(ids), [Note("ambiguous", ids, message, captions_text)], 1, exact[tid])
            continue
        values, notes, rows, _c = parts[chosen]
        message = (f"{sheet}：原文有 {len(parts)} 个{sheet}，按表前的说明导入了第 {chosen + 1} 个"
                   f"（{report_year or '本'}年度），其他的未导入，请核对")
        out[tid] = Reading(values, [*notes, Note("unplaced", (), message, captions_text)], rows, exact[tid])
    return out
