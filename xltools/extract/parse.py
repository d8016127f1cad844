"""A report's text -> report document + notes on everything that could not be placed. Pure."""

from __future__ import annotations

from xltools.extract.candidates import Candidate, choose, split_at_label
from xltools.extract.format_tables import reader_for, row_label, table_rows
from xltools.extract.lines import Source
from xltools.extract.tables import PICTURE, Note
from xltools.extract.text import clean_lines, find_headings, paragraphs, signature_date, strip_chrome, title_unit_year
from xltools.format.findings import Number
from xltools.format.spec import FormatSpec
from xltools.limits import ENV, limits
from xltools.publish.model import DRAFT_MARK, EMPTY_SECTION
from xltools.reading.document import EXCEL_CELL_CHARS, ReportDocument


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


def _read_table(spec: FormatSpec, table: str, body: str, report_year: int | None, values: dict[str, Number | None],
                notes: list[Note]) -> bool:
    """Read a table section into ``values``. When it holds several differing tables of the table's shape, the
    report year's is taken if the text says which (candidates.py); otherwise none is, the table is left empty
    with a note naming the conflict, and False is returned."""
    reader = reader_for(spec, table)
    rows = table_rows(spec, table)
    pieces = split_at_label(body, row_label(spec, rows[0][1][0])) if rows else []
    ids = [i for _row, row_ids in rows for i in row_ids]
    found: list[Candidate] = []
    for caption, piece in pieces if len(pieces) > 1 else []:
        piece_values: dict[str, Number | None] = {}
        piece_notes: list[Note] = []
        reader(spec, table, piece, piece_values, piece_notes)
        if 2 * sum(v is not None for v in piece_values.values()) >= len(ids):  # most of a table, not a mention
            found.append(Candidate(piece_values, piece_notes, caption))
    if len(found) < 2 or all(c.values == found[0].values for c in found[1:]):
        reader(spec, table, body, values, notes)
        return True
    sheet = spec.tables[table]["sheet"]
    captions = " ｜ ".join(f"第 {i + 1} 个：{c.context or '（无说明）'}"[:80] for i, c in enumerate(found))
    chosen = choose(found, report_year)
    if chosen is None:
        year = f" {report_year} 年度" if report_year else "报告年度"
        notes.append(Note("ambiguous", tuple(ids), f"{sheet}：原文有 {len(found)} 个{sheet}，数字不同，"
                          f"无法从上下文确定哪个属于{year}，{sheet}留空，请对照原文填写", captions))
        return False
    values.update(found[chosen].values)
    notes.extend(found[chosen].notes)
    notes.append(Note("unplaced", (), f"{sheet}：原文有 {len(found)} 个{sheet}，按表前的说明导入了第 {chosen + 1} 个"
                      f"（{report_year or '本'}年度），其他的未导入，请核对", captions))
    return True


def parse_report(spec: FormatSpec, source: Source, unit: str | None = None, year: int | None = None
                 ) -> tuple[ReportDocument, list[Note]]:
    notes: list[Note] = []
    lines = clean_lines(source.text)
    marks = [ln for ln in lines if DRAFT_MARK.fullmatch(ln.strip())]
    if marks:  # xltools' own --force draft: its header line on every page is not report text
        lines = [ln for ln in lines if not DRAFT_MARK.fullmatch(ln.strip())]
        notes.append(Note("variant", (), f"原文是 xltools 导出的草稿（{marks[0].strip()}），请用校验通过后导出的版本",
                          marks[0].strip()))
    text = "\n".join(lines)
    headings = find_headings(text, spec.sections)
    order = [s.id for s in spec.sections]
    first = headings[order[0]].start if order[0] in headings else min((h.start for h in headings.values()),
                                                                         default=len(text))
    found_unit, found_year, title_end = title_unit_year(text[:first] if headings else text[:300], text)
    final_unit = unit or found_unit
    final_year = year or found_year
    text_limit = limits().text_chars
    values: dict[str, Number | None] = {}
    texts: dict[str, str] = {}
    meta: dict[str, str] = {}
    preamble = "".join(paragraphs(text[title_end:first][:text_limit], source.hard_wrapped)) if headings else ""
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
        if len(body) > text_limit:  # nothing real comes near: cut, and say so (the result is then partial)
            notes.append(Note("cut", (), f"“{section.title}”部分的文字太长（{len(body)} 个字符，上限 {text_limit}，"
                              f"见 {ENV} 的 text_chars），只导入了前 {text_limit} 个字符，请核对", body[:120]))
            body = body[:text_limit]
        if section.kind == "table" and section.table:
            before = len(values)
            if not _read_table(spec, section.table, body, final_year, values, notes):
                continue
            _note_unplaced_rows(spec, section.table, values, notes)
            if len(values) == before:
                pictured = PICTURE in body
                why = "以图片形式发布，没有可读取的数字" if pictured else "没有找到表格中的数字"
                notes.append(Note("image" if pictured else "missing", (), f"“{section.title}”：{why}，"
                                  "表格留空", body.strip()[:120]))
        elif section.cell:
            body = body.replace(EMPTY_SECTION, "", 1) if body.strip().startswith(EMPTY_SECTION) else body
            parts = [p for p in paragraphs(body.replace(PICTURE, ""), source.hard_wrapped) if p]
            if parts:
                texts[section.cell] = "\n".join(parts)
                if len(texts[section.cell]) > EXCEL_CELL_CHARS:
                    notes.append(Note("cut", (section.cell,), f"“{section.title}”部分的文字有 "
                                      f"{len(texts[section.cell])} 个字符，超过 Excel 一个单元格的上限 "
                                      f"{EXCEL_CELL_CHARS}，只导入了前 {EXCEL_CELL_CHARS} 个字符，请删减后填写"))
                    texts[section.cell] = texts[section.cell][:EXCEL_CELL_CHARS]
    if preamble.strip():
        notes.append(Note("unplaced", (), "正文第一部分之前的说明文字（报告依据、统计期限等）不属于任何部分，未导入",
                          preamble[:300]))
    if final_unit is None:
        notes.append(Note("missing", ("meta.unit",),
                          "没有找到填报单位（标题中的单位名称），请在封面填写或用 --unit 指定"))
    if final_year is None:
        notes.append(Note("missing", ("meta.year",), "没有找到报告年度，请在封面填写或用 --year 指定"))
    for cell in spec.number_cells:  # every cell present: the ones not found are empty, never 0
        values.setdefault(cell.id, None)
    return ReportDocument(spec.id, final_unit, final_year, meta, values, texts), notes
