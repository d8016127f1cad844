"""What a published report contains, independent of Word or HTML: title, sections in order, the clerk's
paragraphs, the three tables as grids of labelled and merged cells, and the signature block.

The tables are laid out from the format spec's sheets (the same boxes and cell addresses the workbook uses), so the
published tables have exactly the official rows, columns, labels and merges. Pure: no files, no third-party code.

Every text of the content passes through ``xltools.textsafe.clean_text`` here (``report_content``), the one place
for all the writers (Word, PDF, web page): a clerk's pasted manual line break becomes a new line, other control
characters are dropped, so no writer ever sees one.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from xltools.format.addresses import col_letters, parse_address
from xltools.format.findings import fmt_number
from xltools.format.spec import FormatSpec, SheetSpec
from xltools.reading.document import ReportDocument
from xltools.textsafe import clean_text

REPORT_TITLE = "政府信息公开工作年度报告"
EMPTY_SECTION = "（未填写）"  # printed after the heading of a section without text (only a --force draft has one)
_LEAD = re.compile(r"^（[一二三四五六七八九十]{1,3}）[^。：:；，,]{1,30}(?:[。：:]|$)")
_INDENT = re.compile(r"^[\s\u3000]+")


class GridCell(NamedTuple):
    """One (possibly merged) table cell. ``kind``: header | note | caption | rowhead | value."""

    row: int  # zero-based, relative to the table's first row
    col: int
    rowspan: int
    colspan: int
    kind: str
    text: str
    cell_id: str | None = None


class TableGrid(NamedTuple):
    """A table as published: ``rows`` lists, per grid row, the cells whose top-left corner is in that row."""

    id: str  # T2 | T3 | T4
    title: str
    n_rows: int
    n_cols: int
    rows: tuple[tuple[GridCell, ...], ...]
    widths: tuple[float, ...]  # relative column widths (the workbook's)
    header_rows: int  # leading rows that only hold headers (repeated on every page, <thead> in HTML)

    def cells(self) -> list[GridCell]:
        return [c for row in self.rows for c in row]


class Paragraph(NamedTuple):
    """A paragraph of the clerk's text; ``lead`` is a run-in level-2 heading such as "（一）主动公开情况。"."""

    text: str
    lead: str = ""


class Block(NamedTuple):
    """One section: its heading, then either paragraphs or a table."""

    id: str
    title: str
    paragraphs: tuple[Paragraph, ...] = ()
    table: TableGrid | None = None


class ReportContent(NamedTuple):
    title: str  # the whole title, e.g. 鹤岗市科学技术局2021年政府信息公开工作年度报告
    title_lines: tuple[str, ...]  # as it is set on the page (long unit names on a line of their own)
    unit: str
    year: int | None
    date_text: str  # 成文日期 as printed: 2022年1月17日 ("" when unknown)
    blocks: tuple[Block, ...]
    draft_errors: int = 0  # error findings of a draft exported despite them (--force); 0 for a checked report

    @property
    def draft(self) -> str:
        """The mark every page of a draft carries ("" when the report passed the check)."""
        return draft_mark(self.draft_errors) if self.draft_errors else ""


def draft_mark(errors: int) -> str:
    return f"草稿（有 {errors} 个错误，未经校验通过）"


# The draft mark as a reader of the published text finds it (PDF text drops the spaces), for importers to skip.
DRAFT_MARK = re.compile(r"草稿（有\s*\d+\s*个错误，未经校验通过）")


def report_title(unit: str | None, year: int | None) -> str:
    return f"{unit or ''}{f'{year}年' if year else ''}{REPORT_TITLE}"


def date_text(iso: str | None) -> str:
    """'2022-01-17' -> '2022年1月17日' (Arabic numerals, GB/T 9704-2012)."""
    if not iso:
        return ""
    try:
        d = dt.date.fromisoformat(iso)
    except ValueError:
        return ""
    return f"{d.year}年{d.month}月{d.day}日"


def split_paragraphs(text: str | None) -> tuple[Paragraph, ...]:
    """The clerk's text as paragraphs: one per non-empty line, leading (full-width) indentation removed because the
    document indents every paragraph itself."""
    out: list[Paragraph] = []
    for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _INDENT.sub("", line).rstrip()
        if not line:
            continue
        m = _LEAD.match(line)
        out.append(Paragraph(line, m.group(0) if m else ""))
    return tuple(out)


def _span(ref: str) -> tuple[int, int, int, int]:
    first, _, last = ref.partition(":")
    r0, c0 = parse_address(first)
    r1, c1 = parse_address(last) if last else (r0, c0)
    return r0, c0, r1 - r0 + 1, c1 - c0 + 1


def table_grid(spec: FormatSpec, sheet: SheetSpec, values: dict[str, object]) -> TableGrid:
    """Lay out one table from its sheet: every box but the title row, and every number cell with its value."""
    assert sheet.table is not None
    area_top, left, area_rows, n_cols = _span(sheet.print_area)
    top = max((_span(b.range)[0] + 1 for b in sheet.boxes if b.style == "title"), default=area_top)
    height = area_top + area_rows - top
    placed: list[GridCell] = []
    for box in sheet.boxes:
        if box.style == "title":
            continue
        r, c, h, w = _span(box.range)
        kind = {"rowhead": "rowhead", "caption": "caption", "note": "note"}.get(box.style, "header")
        placed.append(GridCell(r - top, c - left, h, w, kind, clean_text(box.text)))
    for cell in spec.cells:
        if cell.sheet != sheet.name or not cell.is_number:
            continue
        r, c, h, w = _span(cell.merge or cell.address)
        placed.append(GridCell(r - top, c - left, h, w, "value", fmt_number(values.get(cell.id)), cell.id))
    rows: list[list[GridCell]] = [[] for _ in range(height)]
    for g in placed:
        rows[g.row].append(g)
    for row in rows:
        row.sort(key=lambda g: g.col)
    header_rows = 0
    while header_rows < height and all(g.kind in ("header", "note") for g in rows[header_rows]):
        header_rows += 1
    if any(g.kind == "caption" for g in rows[0]):
        header_rows = 0  # 表二 is a stack of captioned blocks, not one table with a header
    widths = tuple(float(sheet.widths.get(col_letters(left + i), 9)) for i in range(n_cols))
    title = clean_text(str(spec.tables[sheet.table]["title"]))
    return TableGrid(sheet.table, title, height, n_cols, tuple(tuple(r) for r in rows), widths, header_rows)


def report_content(spec: FormatSpec, doc: ReportDocument, draft_errors: int = 0) -> ReportContent:
    """Everything the exporters print, in order, with every text cleaned (``clean_text``; a line break in the unit
    name becomes a space). ``draft_errors``: the error findings of a draft exported despite them (marks every
    page)."""
    unit = clean_text(doc.unit or "").replace("\n", " ")
    title = report_title(unit, doc.year)
    rest = title[len(unit):]
    # 二号 (22 pt) on a 156 mm line holds about 20 characters; longer titles break after the unit, as published.
    lines = (unit, rest) if unit and len(title) > 20 else (title,)
    sheets = {s.table: s for s in spec.sheets if s.table}
    blocks: list[Block] = []
    for section in spec.sections:
        if section.kind == "table" and section.table:
            grid = table_grid(spec, sheets[section.table], dict(doc.values))
            blocks.append(Block(section.id, clean_text(section.title), table=grid))
        else:
            parts = []  # a section's further text cells (a province's required items) under their own headings
            for i, cell_id in enumerate(section.cells):
                body = clean_text(doc.texts.get(cell_id) or "")
                if body:
                    heading = clean_text(spec.cell(cell_id).row[0]) if i else ""
                    parts.append(f"{heading}\n{body}" if heading else body)
            text = "\n".join(parts)
            blocks.append(Block(section.id, clean_text(section.title), split_paragraphs(text)))
    return ReportContent(title, lines, unit, doc.year, date_text(doc.meta.get("date")), tuple(blocks), draft_errors)
