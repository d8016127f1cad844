"""The second round of the other families: JSON documents (a million keys, duplicate keys, UTF-16…), import
sources (one 10 MB line, thousands of tables, nested tables…) and rosters (100,000 rows, UTF-16, a stray cell…)."""

from __future__ import annotations

import io
import random
import re
import zipfile

from tests.field.inputs import (
    TITLE,
    UNREADABLE,
    InputCase,
    W,
    _doc_text,
    _docx,
    _file,
    _first_value,
    _html_table,
    _json,
    roster_text,
)

# --- issue 12, second round ---------------------------------------------------------------------------------------

def _million_keys() -> str:
    """A document whose "values" holds 1,000,000 unknown cell ids (about 17 MB)."""
    keys = ", ".join(f'"X.k{i:07d}": 0' for i in range(1_000_000))
    return _doc_text().replace('"values": {', '"values": {' + keys + ", ", 1)


def _duplicate_key() -> str:
    """The first cell id twice in "values", with two different numbers (json.loads keeps the last silently)."""
    text = _doc_text()
    m = re.search(r'"values": \{("[^"]+"): ', text)
    assert m, "the test document has no values"
    return text.replace(m.group(0), m.group(0) + "7, " + m.group(1) + ": ", 1)


def more_json_cases() -> list[InputCase]:
    return [
        InputCase("json-million-keys", _json(_million_keys), UNREADABLE),  # unknown cell ids
        # duplicate keys: refused (docs/commands/new.md), json would keep the last value without a word
        InputCase("json-duplicate-key", _json(_duplicate_key), UNREADABLE),
        InputCase("json-10mb-string", lambda f: _json(lambda: _doc_text(
            lambda d: d["texts"].__setitem__("S1", "a" * (10 * 1024 * 1024))))(f), UNREADABLE),
        # UTF-16 is not among the documented encodings (UTF-8, GBK): read or refused with the file named
        InputCase("json-utf16-bom", _json(_doc_text, "utf-16"), frozenset({0, 2})),
        InputCase("json-1000-leading-zeros", _json(lambda: _first_value(_doc_text(), "0" * 1000 + "12")),
                  UNREADABLE),  # not JSON
        InputCase("json-values-nested-arrays", _json(lambda: _first_value(_doc_text(), "[[1, [2, [3]]], []]")),
                  UNREADABLE),
    ]


def _long_line() -> bytes:
    """10 MB of report text on one line, no newline at all."""
    sentence = "一、总体情况 本机关认真贯彻落实政府信息公开条例，各项工作有序开展。"
    return (TITLE + " " + sentence * (10 * 1024 * 1024 // len(sentence.encode()))).encode()


T3_HEADING = "三、收到和处理政府信息公开申请情况"


def _html_tables(n: int) -> bytes:
    """``n`` small tables (2 x 2) under section 三's heading, each with other numbers."""
    small = "".join(_html_table([[f"<td>本年新收{i}</td>", f"<td>{i * 7919 % 10007}</td>"],
                                 [f"<td>总计{i}</td>", f"<td>{i * 104729 % 10009}</td>"]]) for i in range(n))
    return f"<html><body><h1>{TITLE}</h1><p>{T3_HEADING}</p>{small}</body></html>".encode()


def _docx_tables(n: int) -> bytes:
    """``n`` small tables (2 x 2) under section 三's heading, each with other numbers (so that the document
    compresses like a real one, within the ``ratio`` limit)."""
    cell = "<w:tc><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc>"
    rnd = random.Random(5)
    tables = "".join("<w:tbl>" + "".join("<w:tr>" + cell.format(f"第{rnd.randrange(10 ** 6)}项")
                                         + cell.format(rnd.randrange(10 ** 6)) + "</w:tr>" for _ in range(2))
                     + "</w:tbl><w:p/>" for _ in range(n))
    return _docx(f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body><w:p><w:r><w:t>{TITLE}</w:t></w:r>'
                 f'</w:p><w:p><w:r><w:t>{T3_HEADING}</w:t></w:r></w:p>{tables}</w:body></w:document>')


def _docx_nested_tables(depth: int) -> bytes:
    inner = "<w:p><w:r><w:t>1</w:t></w:r></w:p>"
    for _ in range(depth):
        inner = f"<w:tbl><w:tr><w:tc>{inner}</w:tc></w:tr></w:tbl><w:p/>"
    return _docx(f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body><w:p><w:r><w:t>{TITLE}</w:t></w:r>'
                 f'</w:p>{inner}</w:body></w:document>')


def _report_text() -> str:
    return TITLE + "\n一、总体情况\n本机关认真贯彻落实条例。\n六、其他需要报告的事项\n本年度未收取信息处理费。\n"


def more_import_cases() -> list[InputCase]:
    """Read (1: partial, with notes) or refused with a message (2), as import's docs promise for each."""
    either = frozenset({1, 2})
    return [
        InputCase("import-txt-10mb-one-line", _file("report.txt", _long_line), either),  # cut, or too large
        InputCase("import-html-20000-tables", _file("report.html", lambda: _html_tables(20_000)), either),
        InputCase("import-docx-5000-tables", _file("report.docx", lambda: _docx_tables(5_000)), either),
        InputCase("import-docx-tables-nested-10", _file("report.docx", lambda: _docx_nested_tables(10)),
                  UNREADABLE),  # docs/commands/import.md: nesting over 8 levels is refused
        # UTF-16 without a BOM is none of the documented encodings: refused, or read (as what it decodes to)
        InputCase("import-txt-utf16-no-bom", _file("report.txt", lambda: _report_text().encode("utf-16-le")), either),
        InputCase("import-html-unknown-charset", _file("report.html", lambda: (
            f'<html><head><meta charset="x-no-such-encoding"></head><body><h1>{TITLE}</h1><p>一、总体情况</p>'
            "<p>本机关认真贯彻落实条例。</p></body></html>").encode()), either),
    ]


def _xlsx(rows: list[list[str]], extra: str = "") -> bytes:
    """A minimal workbook of one sheet holding ``rows`` as inline strings, and the raw row XML ``extra`` after."""
    def cell(r: int, c: int, text: str) -> str:
        return f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{text}</t></is></c>'
    data = "".join(f'<row r="{r}">' + "".join(cell(r, c, t) for c, t in enumerate(row) if t) + "</row>"
                   for r, row in enumerate(rows, 1))
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types">'
                               f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                               'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                               '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                               'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
                               'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                               'worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
                       f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" '
                       'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
                           f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="名单" sheetId="1" '
                           'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/'
                                      f'relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/'
                                      'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}/spreadsheetml/'
                                    f'2006/main"><sheetData>{data}{extra}</sheetData></worksheet>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return buf.getvalue()


def more_roster_cases(units: list[str]) -> list[InputCase]:
    good = roster_text(units)
    rows = [line.split(",") for line in good.splitlines()]
    stray = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    many = good + "".join(f"第{i:06d}号单位,,部门,××市人民政府\n" for i in range(100_000))
    title = "2021年度政府信息公开工作年度报告报送名单\n制表：××市政务公开办\n日期：2022年1月5日\n说明：按单位层级排列\n"
    return [
        # the stray far cell is never read (as in a report workbook): the roster is the first rows
        InputCase("roster-xlsx-stray-XFD1048576", _file("roster.xlsx", lambda: _xlsx(rows, stray)),
                  frozenset({0, 1})),
        InputCase("roster-100000-rows", _file("roster.csv", lambda: many.encode()), frozenset({1})),  # 未报送
        # UTF-16 (Excel's "Unicode text") is not among the documented encodings: read, or refused naming the file
        InputCase("roster-utf16", _file("roster.csv", lambda: good.encode("utf-16")), frozenset({0, 1, 2})),
        # docs/commands/consolidate.md: the first row is the header; a title above it is a roster without one
        InputCase("roster-header-row-5", _file("roster.csv", lambda: (title + good).encode()), UNREADABLE),
    ]
