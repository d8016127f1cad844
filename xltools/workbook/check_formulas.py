"""The 校验 sheet: every arithmetic rule of the format as worksheet formulas, one line per rule instance, so that a
workbook checks itself wherever it is open (Excel, WPS, LibreOffice; macros off), and the verdict on the cover.

Pure: this module turns the format spec into formula text (``check_sheet``); the writer puts it into the workbook.
Nothing is hand-listed: a rule of a kind that has a formula here (``FORMULAS``, keyed by rule kind) gets one line
per ``for_each`` expansion, its message and fix texts become string formulas with the same placeholders filled
live, and a new arithmetic rule in a spec appears in the sheet without code. Kinds without a formula (the text
rules) are named in the sheet's note: the buttons, the upload page and ``xltools check`` check them.

The formulas use only functions that Excel 2010+, WPS and LibreOffice all compute (``FUNCTIONS``), and mirror the
checks: a blank cell counts as 0; a line whose cells hold text, a negative number or (for counts) a fraction shows
"？" — the check reports such a cell by itself and leaves the relation alone, as the formula does. Formulas are
written without cached results: every application computes them when it opens the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from xltools.format.addresses import absolute
from xltools.format.findings import SEVERITY_ZH
from xltools.format.rulekinds import PREVIOUS_KINDS
from xltools.format.spec import CellSpec, FormatSpec, RuleSpec
from xltools.reading.explanations import EXPLANATION_SHEET as EXPLANATIONS

CHECK_SHEET = "校验"
OK, BAD, UNKNOWN = "✔", "✘", "？"
FIRST_LINE = 6  # the row (1-based) of the first rule line; above: title, verdict, counts, note, header
VERDICT = "$A$2"  # the verdict cell of the 校验 sheet; the cover shows it
FUNCTIONS = frozenset({"SUM", "ABS", "IF", "AND", "OR", "NOT", "COUNT", "COUNTA", "COUNTIFS", "MIN", "MOD", "TRIM",
                       "TEXT"})
HEADER = ("序号", "结果", "严重程度", "规则", "位置", "行", "列", "应为", "实际", "差额", "问题和改法",
          "规则说明", "无法计算", "情况说明")
WIDTHS = (5, 5, 8, 22, 11, 28, 16, 9, 9, 7, 66, 50, 8, 10)
# the clerk's explanations (xltools.reading.explanations) are looked up by their columns: 规则 A, 位置 B, 说明 E
EXPLANATION_ROWS = "$3:${col}$2000"  # the rows of that sheet a line looks up
HIDDEN = frozenset({12})  # M: whether the line cannot be computed
PRINTED = 11  # columns A..K are printed (and the note spans them)
LINE_HEIGHT = 36  # points: three lines of the 9-point explanation
TOLERANCE = "0.000000001"  # as the checks' own comparison (xltools.checking.rules._close)


class Expr(NamedTuple):
    """The formula parts of one rule instance: the values shown (expected, actual; "" for none), whether a
    difference is shown, the condition that holds when the relation is kept (``{A}`` and ``{E}`` stand for the
    line's actual and expected cells), the text placeholders of the rule's messages and the number format of the
    expected/actual columns."""

    expected: str
    actual: str
    difference: bool
    holds: str
    slots: dict[str, str]
    number_format: str = "0"


class Line(NamedTuple):
    """One rule instance: the rule, the cells it reads (the first is where to fix), and its formula parts."""

    rule: RuleSpec
    cells: tuple[CellSpec, ...]
    expr: Expr


class SheetCell(NamedTuple):
    """A cell of the 校验 sheet for the writer: a text, a number or a formula (``=…``) and its style key."""

    value: str | int
    style: str
    number_format: str = ""
    link: str = ""  # a place in the workbook this cell links to ('表三'!D28): a hyperlink, not a formula


class CheckSheet(NamedTuple):
    """Everything the writer needs: the rows (row index 0-based -> cells by column), widths, the rows of the lines,
    and the cover's verdict formula."""

    rows: dict[int, list[SheetCell | None]]
    widths: tuple[int, ...]
    first: int
    last: int
    verdict: str


def ref(cell: CellSpec) -> str:
    return f"'{cell.sheet}'!{absolute(cell.address)}"


def _refs(cells: Sequence[CellSpec]) -> str:
    return ",".join(ref(c) for c in cells)


def _sum(cells: Sequence[CellSpec]) -> str:
    return f"SUM({_refs(cells)})"


def _level(spec: FormatSpec) -> str:
    return f"TRIM({ref(spec.meta_cell('level'))})"


def _is_level(spec: FormatSpec, levels: Sequence[str]) -> str:
    tests = [f'{_level(spec)}="{_quote(level)}"' for level in levels]
    return tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"


def sum_equals(spec: FormatSpec, *, left: list[str], right: list[str]) -> Expr:
    actual, expected = _sum([spec.cell(i) for i in left]), _sum([spec.cell(i) for i in right])
    return Expr(expected, actual, True, f"ABS({{A}}-{{E}})<{TOLERANCE}", {})


def not_less_than(spec: FormatSpec, *, cell: str, min: str) -> Expr:
    actual, minimum = _sum([spec.cell(cell)]), _sum([spec.cell(min)])
    return Expr(minimum, actual, True, "{A}>={E}", {}, '"≥ "0')


def share_at_most(spec: FormatSpec, *, parts: list[str], whole: str, max_share: float, min_whole: float) -> Expr:
    part, total = _sum([spec.cell(i) for i in parts]), _sum([spec.cell(whole)])
    share = f"IF({total}=0,0,{part}/{total})"
    holds = f"IF({total}<{min_whole},TRUE,{{A}}<={{E}})"  # the share (A) is part/total once total is not 0
    slots = {"part": part, "whole": total, "share": f'TEXT({share},"0%")', "limit": f'TEXT({max_share},"0%")'}
    return Expr(str(max_share), share, False, holds, slots, '"≤ "0%')


def at_most_by_level(spec: FormatSpec, *, cell: str, limits: dict[str, float], default: float) -> Expr:
    limit = str(default)
    for level, value in reversed(list(limits.items())):
        limit = f'IF({_level(spec)}="{_quote(level)}",{value},{limit})'
    actual = _sum([spec.cell(cell)])
    level = f'IF({_level(spec)}="","单位",{_level(spec)})'
    return Expr(limit, actual, False, "{A}<={E}", {"level": level}, '"≤ "0')


def zero_for_levels(spec: FormatSpec, *, cell: str, levels: list[str]) -> Expr:
    actual = _sum([spec.cell(cell)])
    return Expr("0", actual, False, f"NOT(AND({{A}}<>0,{_is_level(spec, levels)}))", {"level": _level(spec)})


Formula = Callable[..., Expr]
FORMULAS: dict[str, Formula] = {f.__name__: f for f in (sum_equals, not_less_than, share_at_most, at_most_by_level,
                                                          zero_for_levels)}
_CELL_PARAMS = ("left", "right", "cell", "min", "parts", "whole")  # the parameters that name number cells


def lines(spec: FormatSpec) -> list[Line]:
    """Every rule instance that has a formula, in rule order."""
    found = []
    for rule in spec.rules:
        formula = FORMULAS.get(rule.kind)
        if formula is None:
            continue
        for params in rule.expanded:
            ids: list[str] = []
            for name in _CELL_PARAMS:
                value = params.get(name)
                ids += value if isinstance(value, list) else [value] if isinstance(value, str) else []
            cells = tuple(spec.cell(i) for i in dict.fromkeys(ids))
            found.append(Line(rule, cells, formula(spec, **params)))
    return found


def uncovered(spec: FormatSpec) -> list[RuleSpec]:
    """The data-driven rules that have no formula (checked by the buttons, the upload page and ``xltools check``;
    not the comparisons with last year, which need last year's report)."""
    return [r for r in spec.rules if r.kind != "builtin" and r.kind not in FORMULAS and r.kind not in PREVIOUS_KINDS]


def _quote(text: str) -> str:
    return text.replace('"', '""')


_SLOT = re.compile(r"\{(\w+)\}")


def text_formula(template: str, fixed: dict[str, str], live: dict[str, str]) -> str:
    """A message template as a string formula: fixed slots filled now, live ones by expressions."""
    parts: list[str] = []
    literal, pos = "", 0
    for m in _SLOT.finditer(template):
        literal += template[pos:m.start()]
        if m.group(1) in live:
            if literal:
                parts.append(f'"{_quote(literal)}"')
            parts.append(live[m.group(1)])
            literal = ""
        else:
            literal += fixed.get(m.group(1), "")
        pos = m.end()
    literal += template[pos:]
    if literal:
        parts.append(f'"{_quote(literal)}"')
    return "&".join(parts) or '""'


def _usable(cells: Sequence[CellSpec]) -> str:
    """The condition under which the line is "？": a cell holds text, a negative number or (a count) a fraction."""
    refs = _refs(cells)
    tests = [f"COUNTA({refs})<>COUNT({refs})", f"MIN({refs})<0"]
    counts = [c for c in cells if c.type == "count"]
    if counts:
        tests.append("(" + "+".join(f"MOD({ref(c)},1)" for c in counts) + ")<>0")
    return "OR(" + ",".join(tests) + ")" if len(tests) > 1 else tests[0]


def _line_cells(n: int, row: int, line: Line) -> list[SheetCell | None]:
    """The cells of one rule line (``row`` 1-based)."""
    rule, first, e = line.rule, line.cells[0], line.expr
    status = f"B{row}"
    holds = e.holds.replace("{A}", f"I{row}").replace("{E}", f"H{row}")
    # IF is evaluated lazily everywhere: the "？" test (column M, hidden) guards the relation against text.
    result = f'=IF(M{row},"{UNKNOWN}",IF({holds},"{OK}","{BAD}"))'
    fixed = {"row": first.row_label, "col": first.col_label, "sheet": first.sheet}
    live = {"expected": f"H{row}", "actual": f"I{row}", "diff": f"ABS(J{row})" if e.difference else '""', **e.slots}
    if "%" in e.number_format:
        live.update(expected=f'TEXT(H{row},"0%")', actual=f'TEXT(I{row},"0%")')
    message = text_formula(rule.message.get("zh", ""), fixed, live)
    fix = text_formula(rule.fix.get("zh", ""), fixed, live)
    unknown = "相关单元格中有文字、负数或小数：请先改正这些单元格（件数填不小于0的整数），本行随后自动计算"
    explain = f'=IF({status}="{BAD}",{message}&"。"&{fix},IF({status}="{UNKNOWN}","{unknown}",""))'
    sheet = f"'{EXPLANATIONS}'!"
    explained = (f"COUNTIFS({sheet}$A{EXPLANATION_ROWS.format(col='A')},D{row},"
                 f"{sheet}$B{EXPLANATION_ROWS.format(col='B')},E{row},"
                 f'{sheet}$E{EXPLANATION_ROWS.format(col="E")},"<>")>0')
    # an error cannot be explained (the check ignores such an explanation): only a warning or information shows it
    noted = f'=IF(AND({status}="{BAD}",C{row}<>"{SEVERITY_ZH["error"]}",{explained}),"已说明","")'
    return [
        SheetCell(n, "cell"), SheetCell(result, "status"), SheetCell(SEVERITY_ZH[rule.severity], "cell"),
        SheetCell(rule.id, "cell"), SheetCell(first.ref, "link", link=f"'{first.sheet}'!{first.address}"),
        SheetCell(first.row_label, "cell"), SheetCell(first.col_label, "cell"),
        SheetCell(f"={e.expected}", "number", e.number_format), SheetCell(f"={e.actual}", "number", e.number_format),
        SheetCell(f"=I{row}-H{row}" if e.difference else "", "number", "0;-0;0"), SheetCell(explain, "wrap"),
        SheetCell(rule.summary.get("zh", ""), "wrap"), SheetCell(f"={_usable(line.cells)}", "cell"),
        SheetCell(noted, "status"),
    ]


def _count(first: int, last: int, status: str, severity: str | None = None) -> str:
    where = f'$B${first}:$B${last},"{status}"'
    if severity:
        where += f',$C${first}:$C${last},"{SEVERITY_ZH[severity]}"'
    return f"=COUNTIFS({where})"


def _blanks(spec: FormatSpec) -> str:
    """The number of blank number cells (counted as 0 by the checks), by COUNTA over at most 250 cells a call."""
    cells = list(spec.number_cells)
    calls = [f"COUNTA({_refs(cells[i:i + 250])})" for i in range(0, len(cells), 250)]
    return f"={len(cells)}-" + "-".join(calls)


COUNTS = ("错误", "需核对", "提示", "无法计算", "空白单元格")  # row 3: label, value, label, value…


def _counts(spec: FormatSpec, first: int, last: int) -> list[SheetCell | None]:
    formulas = [_count(first, last, BAD, "error"), _count(first, last, BAD, "warning"),
                _count(first, last, BAD, "info"), _count(first, last, UNKNOWN), _blanks(spec)]
    cells: list[SheetCell | None] = []
    for label, formula in zip(COUNTS, formulas, strict=True):
        cells += [SheetCell(label, "header"), SheetCell(formula, "count")]
    return cells


def _verdict(total: int) -> str:
    """The verdict from the counts in row 3 (B3 errors, D3 warnings, F3 infos, H3 unknown, J3 blanks)."""
    sheet = f"'{CHECK_SHEET}'!"
    errors, warnings, infos, unknown, blanks = (f"{sheet}${c}$3" for c in "BDFHJ")
    trouble = (f'"{BAD} 表内勾稽："&IF({errors}>0,{errors}&" 处错误","")&IF(AND({errors}>0,{warnings}>0),"、","")'
               f'&IF({warnings}>0,{warnings}&" 处需核对","")&IF(AND({errors}+{warnings}>0,{unknown}>0),"、","")'
               f'&IF({unknown}>0,{unknown}&" 处因文字等无法计算","")&"，见“{CHECK_SHEET}”工作表"')
    clean = (f'"{OK} 表内勾稽：{total} 条关系全部一致"'
             f'&IF({infos}>0,"（"&{infos}&" 条提示，见“{CHECK_SHEET}”工作表）","")')
    tail = f'&IF({blanks}>0,"；另有 "&{blanks}&" 个数字单元格未填（按 0 计）","")'
    return f"=IF({errors}+{warnings}+{unknown}>0,{trouble},{clean}){tail}"


def check_sheet(spec: FormatSpec) -> CheckSheet:
    """The 校验 sheet of ``spec``'s workbook and the cover's verdict formula."""
    found = lines(spec)
    first, last = FIRST_LINE, FIRST_LINE + len(found) - 1
    rows: dict[int, list[SheetCell | None]] = {}
    rows[0] = [SheetCell("表内勾稽校验（公式自动计算：Excel、WPS、LibreOffice 中都能用，不需要启用宏）", "title")]
    rows[1] = [SheetCell(_verdict(len(found)), "verdict")]
    rows[2] = _counts(spec, first, last)
    others = uncovered(spec)
    note = (f"{OK} 一致　{BAD} 不一致（错误必须改正；需核对的请核实，确有其事的可不改）　{UNKNOWN} 相关单元格中有文字、"
            "负数或小数，需先改正。点击“位置”跳到该单元格；改正后本表自动更新。本表只检查数字之间的关系"
            + (f"；正文等另外 {len(others)} 条规则（{'、'.join(r.id for r in others)}）由“校验”按钮、报送网页检查"
               if others else "") + "。本表不用填写，也不会被读取。")
    rows[3] = [SheetCell(note, "note")]
    rows[4] = [SheetCell(h, "header") for h in HEADER]
    for n, line in enumerate(found, start=1):
        rows[first + n - 2] = _line_cells(n, first + n - 1, line)
    return CheckSheet(rows, WIDTHS, first, last, f"='{CHECK_SHEET}'!{VERDICT}")


def formula_functions(formula: str) -> set[str]:
    """The function names a formula calls (for the test that they are all in ``FUNCTIONS``)."""
    no_strings = re.sub(r'"(?:[^"]|"")*"', '""', formula)
    no_sheets = re.sub(r"'(?:[^']|'')*'!", "", no_strings)
    return set(re.findall(r"([A-Z][A-Z0-9.]*)\(", no_sheets))
