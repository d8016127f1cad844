"""The three tables of the 2021 format read from text, cell by cell id (表二 also in its 2019 layout, 表三 also with
the 2019 single-row （六）其他处理). Pure."""

from __future__ import annotations

import re
from typing import Any

from xltools.extract.splitting import splits, sums_hold
from xltools.extract.tables import Group, Note, groups, match_rows, read_row, source_of
from xltools.format.findings import Number
from xltools.format.spec import FormatSpec
from xltools.reading.labels import normalize_label

_T2_2019 = re.compile(r"本年新制作数量|本年新公开数量|对外公开总数量|上一年项目数量|第二十条第（九）项")
_OTHER_SUBROWS = re.compile(r"无正当理由逾期不补正|逾期未按收费通知")

Values = dict[str, Number | None]
LEFT_EMPTY = "单元格留空，请对照原文填写"


def _labels(spec: FormatSpec, prefix: str, rows: list[str]) -> list[str]:
    first = {c.id.split(".")[1]: c.row[-1] for c in spec.cells if c.id.startswith(prefix + ".")}
    return [first[r] for r in rows]


def _t2_rows(spec: FormatSpec) -> list[tuple[str, list[str]]]:
    rows: dict[str, list[str]] = {}
    for c in spec.cells:
        if c.id.startswith("T2."):
            rows.setdefault(c.id.split(".")[1], []).append(c.id)
    return list(rows.items())


def read_t2(spec: FormatSpec, text: str, values: Values, notes: list[Note]) -> None:
    rows = _t2_rows(spec)
    labels = [spec.cell(ids[0]).row[-1] for _, ids in rows]
    found = [part for g in groups(text) for part in _unstack(g, labels, [len(ids) for _, ids in rows], False, notes)]
    if _T2_2019.search(text):
        notes.append(Note("variant", (), "表二是 2019 年格式（试行）：只导入行政许可、行政处罚、"
                          "行政强制的“处理决定数量”，第（一）项、第（八）项和第（九）项"
                          "在 2021 年格式中没有对应的栏目，未导入", text[:200]))
        for r, g, _ in match_rows(found, labels):
            name, ids = rows[r]
            if name in ("administrative_licensing", "administrative_punishment", "administrative_coercion"):
                numbers, _why = read_row(g.tokens, 3, None)
                if numbers is not None:
                    values[ids[0]] = numbers[-1]
        return
    for r, g, _ in match_rows(found, labels):
        _name, ids = rows[r]
        numbers, why = read_row(g.tokens, len(ids), None)
        if numbers is None:
            notes.append(Note("ambiguous", tuple(ids), f"表二“{labels[r]}”：{why}，{LEFT_EMPTY}", source_of(g)))
            continue
        _store(values, ids, numbers, g, notes)


def read_t3(spec: FormatSpec, text: str, values: Values, notes: list[Note]) -> None:
    table = spec.tables["T3"]
    rows: list[str] = list(table["rows"])
    columns: list[str] = list(table["columns"])
    labels = _labels(spec, "T3", rows)
    found = [g for g in groups(text) if len(g.tokens) > 1 or len(g.tokens[0]) > 1 or g.before.strip()]
    single_other = "其他处理" in text and not _OTHER_SUBROWS.search(text)
    if single_other:
        i = rows.index("r_other_no_correction")
        rows = [*rows[:i], "r_other_other", *rows[i + 3:]]
        labels = [*labels[:i], "（六）其他处理", *labels[i + 3:]]
        notes.append(Note("variant", tuple(f"T3.{r}.{c}" for r in ("r_other_no_correction", "r_other_fee_unpaid")
                                           for c in columns),
                          "表三的（六）其他处理只有一行（2019 年格式）：这一行的数字导入“3.其他”，"
                          "“1.逾期不补正”“2.逾期未缴费”两行留空，请按实际情况填写"))
    found = [part for g in found for part in _unstack(g, labels, [len(columns)] * len(labels), True, notes)]
    ambiguous: dict[str, Group] = {}
    for r, g, _ in match_rows(found, labels):
        ids = [f"T3.{rows[r]}.{c}" for c in columns]
        numbers, why = read_row(g.tokens, len(columns), len(columns))
        if numbers is None:
            ambiguous[rows[r]] = g
            notes.append(Note("ambiguous", tuple(ids), f"表三“{labels[r]}”：{why}，{LEFT_EMPTY}", source_of(g)))
            continue
        if why == "extra":
            notes.append(Note("extra", tuple(ids), f"表三“{labels[r]}”：行中多出的数字（可能是页码）未导入",
                              source_of(g)))
        _store(values, ids, numbers, g, notes)
    _resolve_by_columns(table, ambiguous, values, notes)


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


def _resolve_by_columns(table: dict[str, Any], ambiguous: dict[str, Group], values: Values,
                        notes: list[Note]) -> None:
    """Settle a row whose digits could be cut several ways with the column relations of 表三, when every other
    row of the relation is known: （七）总计 = the 21 result rows; 一 + 二 = （七）总计 + 四."""
    columns = list(table["columns"])
    results = list(table["result_rows"])
    relations = [(["r_total"], results), (["new_received", "carried_over"], ["r_total", "carried_forward"])]
    for row, g in ambiguous.items():
        options = splits(g.tokens, len(columns)) or []
        for left, right in relations:
            if row not in left + right or len(options) < 2:
                continue
            others = [r for r in left + right if r != row]
            known = [[values.get(f"T3.{r}.{c}") for c in columns] for r in others]
            if any(v is None for k in known for v in k):
                continue
            rows_known = dict(zip(others, known, strict=True))
            fitting = [o for o in options if _holds(left, right, rows_known | {row: o}, len(columns))]
            if len(fitting) == 1:
                values.update({f"T3.{row}.{c}": v for c, v in zip(columns, fitting[0], strict=True)})
                notes[:] = [n for n in notes if not (n.kind == "ambiguous" and n.cells and
                                                     n.cells[0] == f"T3.{row}.{columns[0]}")]
                notes.append(Note("split", tuple(f"T3.{row}.{c}" for c in columns),
                                  "表三这一行的数字连在一起，按本表各列的勾稽关系唯一确定了拆分，请核对",
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


def read_t4(spec: FormatSpec, text: str, values: Values, notes: list[Note]) -> None:
    ids = [c.id for c in spec.cells if c.id.startswith("T4.")]
    runs = [g for g in groups(text) if sum(len(t) for t in g.tokens) >= len(ids) or len(g.tokens) >= 5]
    if not runs:
        return
    g = runs[-1]
    numbers, why = read_row(g.tokens, len(ids), 5)
    if numbers is None:
        notes.append(Note("ambiguous", tuple(ids), f"表四：{why}，{LEFT_EMPTY}", source_of(g)))
        return
    _store(values, ids, numbers, g, notes)
