"""A report's text -> report document + notes on everything that could not be placed. Pure."""

from __future__ import annotations

from xltools.extract.format_tables import reader_for
from xltools.extract.lines import Source
from xltools.extract.tables import PICTURE, Note
from xltools.extract.text import clean_lines, find_headings, paragraphs, signature_date, strip_chrome, title_unit_year
from xltools.format.findings import Number
from xltools.format.spec import FormatSpec
from xltools.reading.document import ReportDocument


def _note_unplaced_rows(spec: FormatSpec, table: str, values: dict[str, Number | None], notes: list[Note]) -> None:
    """Every row of a table whose numbers were found nowhere gets a note (its cells stay empty)."""
    noted = {c for n in notes for c in n.cells}
    rows: dict[str, list[str]] = {}
    for cell in spec.number_cells:
        if cell.id.startswith(table + ".") and cell.id not in values and cell.id not in noted:
            rows.setdefault(cell.row_label, []).append(cell.id)
    if values.keys() & {c.id for c in spec.number_cells if c.id.startswith(table + ".")}:
        for label, ids in rows.items():
            notes.append(Note("missing", tuple(ids), f"{spec.tables[table]['sheet']}“{label}”：没有找到这一行的"
                              "数字，单元格留空，请对照原文填写"))


def parse_report(spec: FormatSpec, source: Source, unit: str | None = None, year: int | None = None
                 ) -> tuple[ReportDocument, list[Note]]:
    text = "\n".join(clean_lines(source.text))
    notes: list[Note] = []
    headings = find_headings(text, spec.sections)
    order = [s.id for s in spec.sections]
    first = headings[order[0]].start if order[0] in headings else min((h.start for h in headings.values()),
                                                                         default=len(text))
    found_unit, found_year, title_end = title_unit_year(text[:first] if headings else text[:300], text)
    values: dict[str, Number | None] = {}
    texts: dict[str, str] = {}
    meta: dict[str, str] = {}
    preamble = "".join(paragraphs(text[title_end:first], source.hard_wrapped)) if headings else ""
    for i, section in enumerate(spec.sections):
        h = headings.get(section.id)
        if h is None:
            notes.append(Note("missing", (), f"没有找到“{section.title}”部分"))
            continue
        later = [headings[s].start for s in order[i + 1:] if s in headings]
        body = text[h.end:min(later) if later else len(text)]
        if not later:  # the last section found runs to the end: the signature (unit, date) follows it
            body, _chrome = strip_chrome(body)
            date, at = signature_date(body)
            if date:
                meta["date"] = date
                body = body[:at]
                lines = [ln for ln in body.rstrip().split("\n") if ln.strip()]
                if found_unit and body.rstrip().endswith(found_unit):
                    body = body.rstrip()[: -len(found_unit)]
                elif lines and len(lines[-1]) <= 40 and not any(p in lines[-1] for p in "。，；："):
                    body = body.rstrip()[: -len(lines[-1])]  # the signing unit, named differently from the title
        if section.kind == "table" and section.table:
            before = len(values)
            reader_for(spec, section.table)(spec, section.table, body, values, notes)
            _note_unplaced_rows(spec, section.table, values, notes)
            if len(values) == before:
                pictured = PICTURE in body
                why = "以图片形式发布，没有可读取的数字" if pictured else "没有找到表格中的数字"
                notes.append(Note("image" if pictured else "missing", (), f"“{section.title}”：{why}，"
                                  "表格留空", body.strip()[:120]))
        elif section.cell:
            parts = [p for p in paragraphs(body.replace(PICTURE, ""), source.hard_wrapped) if p]
            if parts:
                texts[section.cell] = "\n".join(parts)
    if preamble.strip():
        notes.append(Note("unplaced", (), "正文第一部分之前的说明文字（报告依据、统计期限等）不属于任何部分，未导入",
                          preamble[:300]))
    final_unit = unit or found_unit
    final_year = year or found_year
    if final_unit is None:
        notes.append(Note("missing", ("meta.unit",),
                          "没有找到填报单位（标题中的单位名称），请在封面填写或用 --unit 指定"))
    if final_year is None:
        notes.append(Note("missing", ("meta.year",), "没有找到报告年度，请在封面填写或用 --year 指定"))
    for cell in spec.number_cells:  # every cell present: the ones not found are empty, never 0
        values.setdefault(cell.id, None)
    return ReportDocument(spec.id, final_unit, final_year, meta, values, texts), notes
