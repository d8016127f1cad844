"""What the workbook buttons do, on any workbook port: validate, fill totals, flag, clear flags, export.

The same functions serve the Excel buttons (``xltools.excel``, live workbook via xlwings) and the headless
commands (``xltools fill``, ``check --annotate``, ``clear-flags``, via openpyxl). Each returns the one-line
message shown to the clerk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from xltools.checking.check import CheckReport, check_raw
from xltools.checking.profiles import Profile
from xltools.format.addresses import parse_address, to_address
from xltools.format.findings import SEVERITY_ZH, Finding, fmt_number
from xltools.format.spec import FormatSpec, load_spec
from xltools.reading.explanations import EXPLANATION_SHEET, explanation_rows
from xltools.reading.labels import Grid
from xltools.reading.locate import locate_cells, name_target, spec_of
from xltools.reading.rawbook import RawBook
from xltools.reading.values import parse_values
from xltools.workbook.explanation_sheet import update_explanations
from xltools.workbook.port import FormulaSource, SheetTable, WorkbookPort

RESULTS_SHEET = "校验结果"
FLAGS_SHEET = "xltools.标记"  # hidden: the original fill and note of every flagged cell, so clearing restores them
FLAG_COLOURS = {"error": "FFC7CE", "warning": "FFEB9C"}
RESULT_COLOURS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
RESULTS_HEADER = ("严重程度", "规则", "位置", "行｜列", "问题", "应为", "实际", "怎么改", "情况说明")
RESULTS_WIDTHS = (10, 26, 14, 36, 60, 12, 12, 60, 40)
EXPLAINED_COLOUR = "E2EFDA"  # a flagged cell whose every finding a 情况说明 explains
# A likely cause and the relations it broke share one colour (one per group, in turn): orange, lavender, blue
CAUSE_COLOURS = ("F8CBAD", "D9D2E9", "BDD7EE")
FLAGS_HEADER = ("工作表", "单元格", "原填充", "原批注", "标记批注")
NOTE_PREFIX = "【xltools】"


class Outcome(NamedTuple):
    """What an action did: the message for the clerk, and whether the workbook has error findings."""

    message: str
    errors: int = 0
    changed: int = 0
    nothing_to_do: bool = False  # the workbook needs no change: the headless twins write nothing


def read_port(port: WorkbookPort) -> RawBook:
    """The open workbook as the core reads files: values by cell id, verified against the labels."""
    spec, version = spec_of(port.properties())
    names = {}
    for name, refers in port.defined_names().items():
        target = name_target(refers)
        if target:
            names[name] = target
    sheets = set(port.sheet_names())
    grids = {}
    for sheet in {s.name for s in spec.sheets} | {t[0] for t in names.values()}:
        if sheet in sheets:
            grids[sheet] = Grid(port.values(sheet), port.merged_ranges(sheet))
    raw = locate_cells(port.source, spec, version, names, grids, port.formulas, port.properties())
    if EXPLANATION_SHEET in sheets:
        raw = raw._replace(explanations=explanation_rows(port.values(EXPLANATION_SHEET)))
    return raw


def check_port(port: WorkbookPort, today: dt.date | None = None, profile: Profile | None = None) -> CheckReport:
    return check_raw(read_port(port), today, profile)


@contextmanager
def _unprotected(port: WorkbookPort, sheets: Sequence[str]) -> Iterator[None]:
    lifted = [s for s in dict.fromkeys(sheets) if port.unprotect(s)]
    try:
        yield
    finally:
        for sheet in lifted:
            port.protect(sheet)


def _counts(report: CheckReport) -> str:
    return f"{report.tally('error')} 个错误，{report.tally('warning')} 个警告，{report.tally('info')} 个提示"


def summary(report: CheckReport) -> str:
    if not report.findings:
        return "校验通过：未发现问题。"
    head = f"校验完成：{_counts(report)}。"
    return head + ("请按“校验结果”工作表逐条修改。" if report.tally("error") else "可以导出，建议看一下警告。")


def results_table(report: CheckReport, title: str | None = None) -> SheetTable:
    """The 校验结果 sheet: one row per finding, its cell linked."""
    rows: list[list[Any]] = []
    links: dict[tuple[int, int], str] = {}
    fills: list[str] = []
    heads = {f.id: f for f in report.findings if f.cause is not None}
    for f in report.findings:
        c = f.cells[0] if f.cells else None
        labels = "｜".join(x for x in (c.row_label, c.col_label) if x) if c else ""
        if c:
            links[(len(rows), 2)] = f"'{c.sheet}'!{c.address}"
        done = f.explanation is not None
        rows.append([SEVERITY_ZH[f.severity] + ("（已说明）" if done else ""), f.rule, f.where, labels,
                     _with_cause(f, heads), fmt_number(f.expected), fmt_number(f.actual), f.fix["zh"],
                     f.explanation.text if f.explanation is not None else ""])
        fills.append(RESULT_COLOURS.get(f.severity, ""))
    if not rows:
        rows.append(["", "", "", "", "未发现问题", "", "", "", ""])
        fills.append("")
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    profile = f"（按规则配置：{report.profile}）" if report.profile else ""
    return SheetTable(RESULTS_SHEET, (title or f"{summary(report)}（{stamp} 校验）") + profile, RESULTS_HEADER, rows,
                      RESULTS_WIDTHS, links, fills)


def validate(port: WorkbookPort, today: dt.date | None = None, title: str | None = None) -> Outcome:
    """校验: check the workbook and (re)write the 校验结果 sheet."""
    report = check_port(port, today)
    port.write_table(results_table(report, title))
    update_explanations(port, report)
    port.select(RESULTS_SHEET, "A1")
    return Outcome(summary(report), report.tally("error"))


def total_definitions(spec: FormatSpec) -> dict[str, list[str]]:
    """Every total cell and the cells it sums, from the format's sum rules (a total = the sum of its parts)."""
    found: dict[str, list[str]] = {}
    for relation in spec.sum_relations():
        if relation.total is not None and relation.total not in found:
            found[relation.total] = list(relation.right)
    return found


def merge_anchor(port: WorkbookPort, sheet: str, address: str) -> tuple[str, bool]:
    """The cell showing ``address``: itself, or the top-left cell of the merged range that hides it (True).
    Values never go into a hidden cell; fills and notes go to the top-left cell."""
    row, col = parse_address(address)
    for (r1, c1), (r2, c2) in port.merged_ranges(sheet):
        if r1 <= row <= r2 and c1 <= col <= c2:
            return to_address(r1, c1), (row, col) != (r1, c1)
    return address, False


CHECK_HINT = "点“校验”可看到是哪几格"  # the button's wording; the command line passes its own


def _why_unusable(value: Any, formula: str | None) -> str:
    """Why a part cannot be summed, for the clerk."""
    if formula is not None:
        return f"是没有计算结果的公式 ={formula}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"是负数 {fmt_number(value)}" if value < 0 else f"不是整数（{fmt_number(value)}）"
    return f"是“{value}”，不是数字"


def fill_totals(port: WorkbookPort, today: dt.date | None = None, check_hint: str = CHECK_HINT) -> Outcome:
    """填充合计: compute every total cell from its parts and write it (blank parts count as 0; a total whose parts
    are not usable numbers is left alone and reported with the part that stops it). A total holding a formula
    keeps it when its result is the computed total and none of its parts changes; otherwise the number replaces
    the formula (and the message says so). A total hidden under a merged range is not written (and reported)."""
    raw = read_port(port)
    if not raw.cells:
        return Outcome("没有找到报告的表格（表二、表三、表四），无法填充合计。", 1)
    spec = load_spec(raw.format_id)
    values = parse_values(spec, raw, today)[0]
    definitions = total_definitions(spec)
    computed: dict[str, float | int | None] = {}

    def total(cell_id: str) -> float | int | None:
        if cell_id not in definitions:
            return values.number(cell_id)
        if cell_id not in computed:
            computed[cell_id] = None  # a cycle in the spec would read as "cannot compute", never loop
            parts = [total(p) for p in definitions[cell_id]]
            computed[cell_id] = None if any(x is None for x in parts) else sum(x for x in parts if x is not None)
        return computed[cell_id]

    def leaves(cell_id: str, seen: frozenset[str] = frozenset()) -> list[str]:
        if cell_id not in definitions or cell_id in seen:
            return [cell_id]
        return [leaf for p in definitions[cell_id] for leaf in leaves(p, seen | {cell_id})]

    def where(cell_id: str, address: str) -> str:
        c = spec.cell(cell_id)
        return f"{c.sheet}!{address}〔{'｜'.join(x for x in (c.row_label, c.col_label) if x)}〕"

    formula_of = port.formula if isinstance(port, FormulaSource) else None
    planned: dict[str, float | int] = {}
    formula_totals: dict[str, float | int] = {}  # totals holding a formula whose result is the computed total
    filled, skipped, merged, replaced = 0, [], [], []
    for cell_id in definitions:
        value, cell = total(cell_id), raw.cells.get(cell_id)
        sheet = spec.cell(cell_id).sheet
        if cell is None:  # not under its labels (the check says where), or hidden under a merged range
            address = spec.cell(cell_id).address
            if sheet in port.sheet_names() and merge_anchor(port, sheet, address)[1]:
                merged.append(f"{sheet}!{address}")
            continue
        if value is None:
            bad = [p for p in dict.fromkeys(leaves(cell_id)) if p in values.invalid and p in raw.cells]
            reason = ""
            if bad:
                part, pc = raw.cells[bad[0]], spec.cell(bad[0])
                f = formula_of(pc.sheet, part.address) if formula_of else None
                reason = f"（分项 {pc.sheet}!{part.address} {_why_unusable(part.value, f)}）"
            skipped.append(where(cell_id, cell.address) + reason)
            continue
        if merge_anchor(port, sheet, cell.address)[1]:
            merged.append(f"{sheet}!{cell.address}")
            continue
        filled += 1
        value = round(value, 6)
        value = int(value) if float(value).is_integer() else value
        formula = formula_of(sheet, cell.address) if formula_of else None
        if formula is not None and values.number(cell_id) == value and cell_id not in values.blank:
            formula_totals[cell_id] = value
        elif values.number(cell_id) != value or cell_id in values.blank or formula is not None:
            planned[cell_id] = value
            if formula is not None:
                replaced.append(f"{sheet}!{cell.address}")
    changed = True
    while changed:  # a formula total keeps its formula only if none of the parts it sums is rewritten
        changed = False
        for cell_id in list(formula_totals):
            if any(p in planned for p in leaves(cell_id) + definitions[cell_id]):
                planned[cell_id] = formula_totals.pop(cell_id)
                replaced.append(f"{spec.cell(cell_id).sheet}!{raw.cells[cell_id].address}")
                changed = True
    writes = [(spec.cell(c).sheet, raw.cells[c].address, v) for c, v in planned.items()]
    with _unprotected(port, [w[0] for w in writes]):
        for sheet, address, value in writes:
            port.set_value(sheet, address, value)
    message = f"已填充合计：{filled} 个合计单元格，其中 {len(writes)} 个改了数值。"
    if replaced:
        message += f"{_listed(replaced)} 原来的公式结果不等于分项之和或分项已改，已改为数值。"
    if merged:
        message += f"{_listed(merged)} 被合并，未填写：请取消合并后再填充。"
    if skipped:
        message += (f"有 {len(skipped)} 个合计没有填充，因为它的分项不是有效的数字：{_listed(skipped)}。"
                    f"请把这些分项改为数字（{check_hint}）后再填充。")
    return Outcome(message, 0, len(writes))


def _listed(items: Sequence[str], shown: int = 3) -> str:
    return "、".join(items[:shown]) + (f"等 {len(items)} 处" if len(items) > shown else "")


def _flag_note(findings: Sequence[Finding]) -> str:
    lines = [_cause_note(f) + f"{NOTE_PREFIX}{SEVERITY_ZH[f.severity]}：{f.message['zh']}\n怎么改：{f.fix['zh']}"
             + (f"\n已说明：{f.explanation.text}" if f.explanation is not None else "") for f in findings]
    return "\n".join(lines)


def _cause_note(f: Finding) -> str:
    """The first lines of a likely cause's note: what the number should be and how many relations it broke."""
    if f.cause is None:
        return ""
    n = 1 + len(f.consequences)
    return (f"{NOTE_PREFIX}可能的原因：{f.cause.ref} 很可能填错了，按其他数字推算应为 {fmt_number(f.cause_value)}，"
            f"它造成了同色标出的 {n} 处不一致。\n")


def _with_cause(f: Finding, heads: dict[str, Finding]) -> str:
    """The 问题 column of the 校验结果 sheet: a likely cause says so; an echo names its cause."""
    if f.cause is not None:
        return (f"可能的原因：{f.cause.ref} 很可能填错了（应为 {fmt_number(f.cause_value)}），它同时造成下面 "
                f"{len(f.consequences)} 处不一致。{f.message['zh']}")
    head = heads.get(f.caused_by)
    if head is not None and head.cause is not None:
        return f"（由 {head.cause.ref} 引起）{f.message['zh']}"
    return f.message["zh"]


def cause_colours(findings: Sequence[Finding]) -> dict[str, str]:
    """Finding id -> the colour of its group: a likely cause and the findings it caused share one."""
    colours: dict[str, str] = {}
    heads = [f for f in findings if f.cause is not None]
    for i, f in enumerate(heads):
        colour = CAUSE_COLOURS[i % len(CAUSE_COLOURS)]
        colours.update({f.id: colour, **dict.fromkeys(f.consequences, colour)})
    return colours


def clear_flags(port: WorkbookPort) -> Outcome:
    """清除标记: put back the fill and note each flagged cell had before it was flagged."""
    if FLAGS_SHEET not in port.sheet_names():
        return Outcome("没有需要清除的标记。", nothing_to_do=True)
    rows = port.values(FLAGS_SHEET)[2:]  # after the title and the header
    entries = [r for r in rows if len(r) >= 5 and r[0] and r[1]]
    with _unprotected(port, [str(r[0]) for r in entries]):
        for sheet, address, fill, note, ours in (r[:5] for r in entries):
            if str(sheet) not in port.sheet_names():
                continue
            port.set_fill(str(sheet), str(address), str(fill) if fill else None)
            current = port.note(str(sheet), str(address))
            if current is None or current == ours or current.startswith(NOTE_PREFIX):
                port.set_note(str(sheet), str(address), str(note) if note else None)
    port.delete_sheet(FLAGS_SHEET)
    return Outcome(f"已清除 {len(entries)} 个单元格的标记，恢复了原来的底色和批注。", 0, len(entries))


def flag(port: WorkbookPort, today: dt.date | None = None, report: CheckReport | None = None) -> Outcome:
    """标记问题: fill the cell of every finding (errors red, warnings amber) with a note saying what is wrong and
    how to fix it. The cell is the finding's first (the total that disagrees, the blank cell…), not every part
    of a sum: a red column of 22 parts would hide which one to change."""
    clear_flags(port)
    report = report or check_port(port, today)
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    group_colour = cause_colours(report.findings)
    for f in report.findings:
        if f.severity not in FLAG_COLOURS:
            continue
        if f.cause is not None:  # the likely wrong number first: its note says what it should be
            by_cell.setdefault((f.cause.sheet, f.cause.address), []).append(f)
        if f.cells and (f.cause is None or f.cells[0].id != f.cause.id):  # the cell to fix first; the note names
            by_cell.setdefault((f.cells[0].sheet, f.cells[0].address), []).append(f)  # the others
    sheets = set(port.sheet_names())
    shown: dict[tuple[str, str], list[Finding]] = {}  # a cell hidden under a merged range: flag the range
    for (sheet, address), findings in by_cell.items():
        key = (sheet, merge_anchor(port, sheet, address)[0]) if sheet in sheets else (sheet, address)
        shown.setdefault(key, []).extend(findings)
    by_cell = shown
    records = []
    with _unprotected(port, [s for s, _ in by_cell if s in sheets]):
        for (sheet, address), findings in by_cell.items():
            if sheet not in sheets:
                continue
            worst = "error" if any(f.severity == "error" for f in findings) else "warning"
            note = _flag_note(findings)
            records.append([sheet, address, port.fill(sheet, address) or "", port.note(sheet, address) or "", note])
            done = all(f.explanation is not None for f in findings)
            grouped = next((group_colour[f.id] for f in findings if f.id in group_colour), None)
            port.set_fill(sheet, address, EXPLAINED_COLOUR if done else grouped or FLAG_COLOURS[worst])
            port.set_note(sheet, address, note)
    if records:
        port.write_table(SheetTable(FLAGS_SHEET, "xltools 标记记录：清除标记时据此恢复原样，请勿修改", FLAGS_HEADER,
                                    records, hidden=True))
    if not report.findings:
        return Outcome("校验通过：没有需要标记的单元格。")
    groups = "；橙、紫、蓝色：同一个可能填错的数及其造成的不一致" if group_colour else ""
    return Outcome(f"已标记 {len(records)} 个单元格（红色为错误，黄色为警告，绿色为已写情况说明的警告{groups}，"
                   f"批注中有说明）：{_counts(report)}。",
                   report.tally("error"), len(records))


def export_beside(port: WorkbookPort, today: dt.date | None = None, with_pdf: bool = True) -> Outcome:
    """导出报告: the .docx (and .pdf when LibreOffice is installed) beside the workbook, if it has no errors."""
    from xltools.publish.export import default_output, write_report
    from xltools.publish.pdf import PdfError, find_soffice
    from xltools.reading.document import document_from_values

    source = Path(port.source)
    if not source.parent.name or not source.suffix:
        return Outcome("请先保存工作簿，报告将导出到工作簿所在的文件夹。", 1)
    report = check_port(port, today)
    if report.tally("error") or report.values is None:
        return Outcome(f"有 {report.tally('error')} 个错误，暂不导出。请点“校验”查看并改正后再导出。",
                       report.tally("error"))
    doc = document_from_values(load_spec(report.values.format_id), report.values)
    written = [write_report(doc, default_output(source, doc, "docx"), "docx", overwrite=True)]
    note = ""
    if with_pdf and find_soffice():
        try:
            written.append(write_report(doc, default_output(source, doc, "pdf"), "pdf", overwrite=True))
        except PdfError as exc:
            note = f"（PDF 未能生成：{exc}）"
    elif with_pdf:
        note = "（未安装 LibreOffice，未生成 PDF；可在 Word 中另存为 PDF）"
    names = "、".join(p.name for p in written)
    return Outcome(f"已导出到 {source.parent}：{names}{note}", 0, len(written))


def annotate(port: WorkbookPort, report: CheckReport, title: str | None = None) -> Outcome:
    """What ``check --annotate`` leaves in a copy: the 校验结果 sheet and the flagged cells."""
    flag(port, report=report)
    port.write_table(results_table(report, title))
    update_explanations(port, report)
    port.select(RESULTS_SHEET, "A1")
    return Outcome(summary(report), report.tally("error"))
