"""A report's text -> report document + notes on everything that could not be placed. Pure."""

from __future__ import annotations

import re

from xltools.extract.candidates import Candidate, caption_before, choose, split_at_label
from xltools.extract.cell_tables import Reading, read_cell_tables
from xltools.extract.cells import TABLE_MARK
from xltools.extract.format_tables import reader_for, row_label, table_rows
from xltools.extract.lines import Source
from xltools.extract.tables import PICTURE, Note
from xltools.extract.text import (
    Heading,
    clean_lines,
    extra_headings,
    find_headings,
    paragraphs,
    signature_date,
    strip_chrome,
    title_unit_year,
)
from xltools.format.findings import Number
from xltools.format.spec import FormatSpec
from xltools.limits import ENV, limits
from xltools.publish.model import DRAFT_MARK, EMPTY_SECTION
from xltools.reading.document import EXCEL_CELL_CHARS, ReportDocument

_APPENDIX = re.compile(r"附\s*[件表]\s*[一二三四\d]?\s*[：:]?")  # the line before tables printed as an appendix


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


def _cell_tables(spec: FormatSpec, source: Source, text: str, marks: list[int], headings: dict[str, Heading],
                 year: int | None) -> dict[str, Reading]:
    """The format's tables read from the source's tables kept as cells, each with the table section it stands
    in and its caption."""
    if not marks:
        return {}
    starts = sorted((h.start, s.table) for s in spec.sections if (h := headings.get(s.id)) is not None)
    sections = [next((t for start, t in reversed(starts) if start <= m), None) for m in marks]
    captions = [caption_before(text[max(0, m - 600):m]) for m in marks]
    return read_cell_tables(spec, source.tables[:len(marks)], captions, sections, year)


def _agree(spec: FormatSpec, table: str, reading: Reading, body: str, year: int | None) -> Reading:
    """A table read from a PDF's cells and from its text: a cell both give differently is left empty with both
    readings in a note; a cell only the text gives (a row whose ruling was not found) is taken from the text."""
    by_text: dict[str, Number | None] = {}
    text_notes: list[Note] = []
    _read_table(spec, table, body, year, by_text, text_notes)
    values = dict(reading.values)
    notes = list(reading.notes)
    differ = [i for i, v in values.items() if v is not None and by_text.get(i) is not None and by_text[i] != v]
    for i in differ:
        cell = spec.cell(i)
        notes.append(Note("ambiguous", (i,), f"{spec.tables[table]['sheet']}“{cell.row_label}｜{cell.col_label}”："
                          f"PDF 的表格单元格读出 {values[i]}，文字层读出 {by_text[i]}，两者不同，单元格留空，"
                          "请对照原文填写"))
        values[i] = None
    from_text = {i: v for i, v in by_text.items() if i not in values and v is not None}
    values.update(from_text)
    notes.extend(n for n in text_notes if set(n.cells) & from_text.keys())
    return reading._replace(values=values, notes=notes)


def keep_checked_ocr(spec: FormatSpec, values: dict[str, Number | None], notes: list[Note]) -> None:
    """Numbers read by OCR are kept only where a sum relation of the format involving them (its row's total, its
    column's) can be evaluated and holds, and none that can be evaluated fails (a misread digit breaks a total);
    the others are emptied. Both are noted."""
    relations = [(r.left, r.right) for r in spec.sum_relations()]
    kept: list[str] = []
    dropped: list[str] = []
    for cell_id, v in values.items():
        if v is None:
            continue
        known = [sum(values[i] or 0 for i in left) == sum(values[i] or 0 for i in right)
                 for left, right in relations if cell_id in (*left, *right)
                 and all(values.get(i) is not None for i in (*left, *right))]
        ok = bool(known) and all(known)
        (kept if ok else dropped).append(cell_id)
    for cell_id in dropped:
        values[cell_id] = None
    if kept:
        notes.append(Note("ocr", tuple(kept), f"{len(kept)} 个数字由文字识别（OCR）从扫描件读出，均通过本表的合计关系"
                          "核对后填入，请对照原件逐一核对"))
    if dropped:
        notes.append(Note("ocr", tuple(dropped), f"{len(dropped)} 个由文字识别（OCR）读出的数字没有合计关系可以核对"
                          "或核对不通过，未填入，请对照原件填写"))


_DIGITS = re.compile(r"\d+")


def _numbers(text: str) -> int:
    return len(_DIGITS.findall(text))


def _body(text: str, h: Heading, starts: list[int], end: int) -> str:
    later = [st for st in starts if st > h.start]
    return text[h.end:min(later[0], end) if later else end]


def _appendix(spec: FormatSpec, text: str, headings: dict[str, Heading]) -> dict[str, Heading]:
    """The table sections' headings found again after the last part found (tables printed as an appendix)."""
    if not headings:
        return {}
    after = max(h.end for h in headings.values())
    tables = [s for s in spec.sections if s.kind == "table" and s.id in headings]
    found = find_headings(text[after:], tables)
    return {sid: Heading(sid, h.start + after, h.end + after) for sid, h in found.items()}


def _report_end(text: str, last: int, unit: str | None, trailers: str) -> tuple[int, str | None]:
    """Where the report's last part ends (before the signing unit and date, the page's footer and what follows
    the date: 附件下载, 抄送…) and the date, from the part starting at ``last``."""
    body, _chrome = strip_chrome(text[last:])
    date, at = signature_date(body, trailers)
    if not date:
        return last + len(body), None
    body = body[:at]
    lines = [ln for ln in body.rstrip().split("\n") if ln.strip()]
    if unit and body.rstrip().endswith(unit):
        body = body.rstrip()[: -len(unit)]
    elif lines and len(lines[-1]) <= 40 and not any(p in lines[-1] for p in "。，；："):
        body = body.rstrip()[: -len(lines[-1])]  # the signing unit, named differently from the title
    return last + len(body), date


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
    table_marks = [i for i, ch in enumerate(text) if ch == TABLE_MARK][:len(source.tables)]
    text = text.replace(TABLE_MARK, " ")  # same length: the offsets stay valid
    imp = spec.importing
    headings = find_headings(text, spec.sections, imp.get("section_orders", []))
    extras = extra_headings(text, imp.get("extra_sections", []), list(headings.values()))
    again = _appendix(spec, text, headings)
    starts = sorted({h.start for h in headings.values()} | {h.start for _e, h in extras}
                    | {h.start for h in again.values()})
    first = min((h.start for h in headings.values()), default=len(text))
    found_unit, found_year, title_end = title_unit_year(text[:first] if headings else text[:300], text)
    final_unit = unit or found_unit
    final_year = year or found_year
    text_limit = limits().text_chars
    values: dict[str, Number | None] = {}
    texts: dict[str, str] = {}
    meta: dict[str, str] = {}
    preamble = "".join(paragraphs(text[title_end:first][:text_limit], source.hard_wrapped)) if headings else ""
    for sid, at_end in again.items():  # a table section printed twice: in the text and as an appendix at the end
        here = _body(text, headings[sid], starts, len(text))
        there = _body(text, at_end, starts, len(text))
        if _numbers(there) > _numbers(here):
            headings[sid] = at_end
            section = next(x for x in spec.sections if x.id == sid)
            notes.append(Note("variant", (), f"“{section.title}”在正文和文末附件中各有一处：表格从附件读取，"
                              "正文中这一部分的文字未导入", here.strip()[:200]))
    readings = _cell_tables(spec, source, text, table_marks, headings, final_year)
    end = len(text)
    if starts:  # the last part runs to the end: the signature (unit, date) and the page's footer follow it
        end, date = _report_end(text, starts[-1], found_unit, str(imp.get("signature_trailers", "")))
        if date:
            meta["date"] = date
    for section in spec.sections:
        h = headings.get(section.id)
        if h is None:
            notes.append(Note("missing", (), f"没有找到“{section.title}”部分"))
            continue
        later = [st for st in starts if st > h.start]
        body = text[h.end:min(later[0], end) if later else end]
        if len(body) > text_limit:  # nothing real comes near: cut, and say so (the result is then partial)
            notes.append(Note("cut", (), f"“{section.title}”部分的文字太长（{len(body)} 个字符，上限 {text_limit}，"
                              f"见 {ENV} 的 text_chars），只导入了前 {text_limit} 个字符，请核对", body[:120]))
            body = body[:text_limit]
        if section.kind == "table" and section.table and section.table in readings:
            reading = readings.pop(section.table)
            if not reading.exact:  # a PDF's ruling: its text route is a second reading that must agree
                reading = _agree(spec, section.table, reading, body, final_year)
            values.update(reading.values)
            notes.extend(reading.notes)
            _note_unplaced_rows(spec, section.table, values, notes)
        elif section.kind == "table" and section.table:
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
            body = "\n".join(ln for ln in body.replace(PICTURE, "").split("\n") if not _APPENDIX.fullmatch(ln.strip()))
            parts = [p for p in paragraphs(body, source.hard_wrapped) if p]
            if parts:
                texts[section.cell] = "\n".join(parts)
                if len(texts[section.cell]) > EXCEL_CELL_CHARS:
                    notes.append(Note("cut", (section.cell,), f"“{section.title}”部分的文字有 "
                                      f"{len(texts[section.cell])} 个字符，超过 Excel 一个单元格的上限 "
                                      f"{EXCEL_CELL_CHARS}，只导入了前 {EXCEL_CELL_CHARS} 个字符，请删减后填写"))
                    texts[section.cell] = texts[section.cell][:EXCEL_CELL_CHARS]
    for table, reading in readings.items():  # tables whose section heading was not found: read from their cells
        values.update(reading.values)
        notes.extend(reading.notes)
        _note_unplaced_rows(spec, table, values, notes)
    for extra, h in extras:  # a section outside the format: kept, in the text cell its meaning belongs to
        later = [st for st in starts if st > h.start]
        body = text[h.end:min(later[0], end) if later else end]
        parts = [text[h.start:h.end].strip(), *(p for p in paragraphs(body.replace(PICTURE, ""), source.hard_wrapped)
                                                if p)]
        into = str(extra["into"])
        texts[into] = "\n".join([*parts, texts[into]] if texts.get(into) else parts)[:EXCEL_CELL_CHARS]
        title = next((s.title for s in spec.sections if into in s.cells), into)
        notes.append(Note("variant", (into,), f"原文多出一部分“{parts[0]}”（不在报告格式中），其文字已并入“{title}”，"
                          "请核对", body.strip()[:120]))
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
    if source.scanned:
        keep_checked_ocr(spec, values, notes)
    return ReportDocument(spec.id, final_unit, final_year, meta, values, texts), notes
