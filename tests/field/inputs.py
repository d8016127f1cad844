"""The other families of the field corpus: JSON report documents for ``new --from``, sources for ``import`` and
rosters for ``consolidate --roster``, each written by code with the exit code the command promises for it."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.helpers import clean_document

UNREADABLE = frozenset({2})


@dataclasses.dataclass(frozen=True)
class InputCase:
    """One input file: ``make(folder)`` writes it and returns its path; ``rc`` the exit codes the command may give."""

    id: str
    make: Callable[[Path], Path]
    rc: frozenset[int]
    env: dict[str, str] = dataclasses.field(default_factory=dict)


def _file(name: str, data: Callable[[], bytes]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data())
        return path
    return make


def _doc_text(edit: Callable[[dict], object] | None = None) -> str:  # type: ignore[type-arg]
    doc = clean_document()
    if edit:
        edit(doc)
    return json.dumps(doc, ensure_ascii=False)


def _json(text: Callable[[], str], encoding: str = "utf-8") -> Callable[[Path], Path]:
    return _file("report.json", lambda: text().encode(encoding))


def _first_value(text: str, replacement: str) -> str:
    """The document with the first number of its "values" replaced by ``replacement`` (JSON text)."""
    edited, n = re.subn(r'("values": \{"[^"]+": )-?[0-9.eE+]+', lambda m: m.group(1) + replacement, text, count=1)
    assert n == 1, "the test document has no values"
    return edited


def _deep() -> str:
    depth = 100_000
    return _doc_text().replace('"meta": {', '"meta": {"deep": ' + "[" * depth + "]" * depth + ", ", 1)


def json_cases() -> list[InputCase]:
    from tests.field.inputs_more import more_json_cases  # (it builds on this module)

    def typed(key: str, value: object) -> Callable[[Path], Path]:
        return _json(lambda: _doc_text(lambda d: d.__setitem__(key, value)))
    return [
        InputCase("json-clean", _json(_doc_text), frozenset({0})),
        InputCase("json-gbk", _json(_doc_text, "gbk"), frozenset({0, 2})),
        InputCase("json-bom", _json(lambda: "\ufeff" + _doc_text()), frozenset({0})),
        InputCase("json-NaN", _json(lambda: _first_value(_doc_text(), "NaN")), UNREADABLE),
        InputCase("json-Infinity", _json(lambda: _first_value(_doc_text(), "-Infinity")), UNREADABLE),
        InputCase("json-1e400", _json(lambda: _first_value(_doc_text(), "1e400")), UNREADABLE),
        InputCase("json-400-digit-int", _json(lambda: _first_value(_doc_text(), "9" * 400)), UNREADABLE),
        InputCase("json-5000-digit-int", _json(lambda: _first_value(_doc_text(), "9" * 5000)), UNREADABLE),
        InputCase("json-deep-nesting", _json(_deep), UNREADABLE),
        InputCase("json-values-list", typed("values", [1, 2, 3]), UNREADABLE),
        InputCase("json-values-string", typed("values", "abc"), UNREADABLE),
        InputCase("json-year-string", typed("year", "二〇二一"), UNREADABLE),
        InputCase("json-year-huge", typed("year", 10 ** 30), UNREADABLE),
        InputCase("json-texts-number", typed("texts", 5), UNREADABLE),
        InputCase("json-meta-null", typed("meta", None), frozenset({0})),  # no meta
        InputCase("json-top-level-list", _json(lambda: "[1, 2, 3]"), UNREADABLE),
        InputCase("json-value-text-number", _json(lambda: _first_value(_doc_text(), '"12"')), frozenset({0, 2})),
        InputCase("json-value-bool", _json(lambda: _first_value(_doc_text(), "true")), UNREADABLE),
        # a number that is not a whole count: written as given; check reports it in the workbook
        InputCase("json-value-float", _json(lambda: _first_value(_doc_text(), "1.5")), frozenset({0})),
        InputCase("json-control-chars", typed("unit", "鹤岗\u0000市\u000b科\u001f技局"), frozenset({0, 2})),
        InputCase("json-text-too-long", lambda f: _json(lambda: _doc_text(
            lambda d: d["texts"].__setitem__("S1", "字" * 300_000)))(f), UNREADABLE),
        InputCase("json-binary-garbage", _file("report.json", lambda: bytes(range(256)) * 64), UNREADABLE),
        InputCase("json-empty", _file("report.json", lambda: b""), UNREADABLE),
        InputCase("json-truncated", _json(lambda: _doc_text()[:500]), UNREADABLE),
        *more_json_cases(),
    ]


# --- import sources ---------------------------------------------------------------------------------------------

TITLE = "鹤岗市科学技术局2021年政府信息公开工作年度报告"


def _html_table(rows: list[list[str]]) -> str:
    return "<table>" + "".join("<tr>" + "".join(c for c in row) + "</tr>" for row in rows) + "</table>"


def _t3_table(number: str) -> str:
    cells = ["<td>一、本年新收政府信息公开申请数量</td>"] + [f"<td>{number}</td>"] * 8
    return _html_table([["<td>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>"], cells])


def _docx(document_xml: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                   'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                   '"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
                   'document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", document_xml)
    return buf.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx_paragraphs(*texts: str) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>" for t in texts)
    return _docx(f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body>{body}</w:body></w:document>')


def _docx_bomb() -> bytes:
    filler = "<w:p><w:r><w:t>" + "一" * (4 * 1024 * 1024) + "</w:t></w:r></w:p>"
    return _docx(f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body>{filler}</w:body></w:document>')


def _docx_span_bomb() -> bytes:
    row = '<w:tr><w:tc><w:tcPr><w:gridSpan w:val="100000"/></w:tcPr><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc></w:tr>'
    return _docx(f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body><w:p><w:r><w:t>{TITLE}</w:t></w:r>'
                 f'</w:p><w:tbl>{row * 50}</w:tbl></w:body></w:document>')


def _pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R ".encode() + trailer_extra
    out += f">>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _pdf_pages(content: bytes = b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET") -> list[bytes]:
    return [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]


def _pdf_encrypted() -> bytes:
    objects = [*_pdf_pages(), b"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <" + b"6a" * 32 + b"> /U <"
               + b"3c" * 32 + b"> >>"]
    return _pdf(objects, b"/Encrypt 6 0 R /ID [<00112233445566778899aabbccddeeff><00112233445566778899aabbccddeeff>] ")


def _pdf_no_text() -> bytes:
    return _pdf(_pdf_pages(b"0 0 m 100 100 l S"))


def _two_t3_tables() -> bytes:
    return (f"<html><body><h1>{TITLE}</h1><p>三、收到和处理政府信息公开申请情况</p>{_t3_table('5')}"
            f"<p>三、收到和处理政府信息公开申请情况</p>{_t3_table('7')}</body></html>").encode()


def _big_text() -> bytes:
    line = "一、总体情况 本机关认真贯彻落实政府信息公开条例，各项工作有序开展。\n"
    return (TITLE + "\n" + line * 60_000).encode()


def _html_spans() -> bytes:
    return (f"<html><body><h1>{TITLE}</h1><table><tr><td rowspan=100000 colspan=100000>1</td><td>2</td></tr>"
            "<tr><td>3</td></tr></table></body></html>").encode()


def _html_deep() -> bytes:
    return (f"<html><body><h1>{TITLE}</h1>" + "<div>" * 50_000 + "一、总体情况" + "</div>" * 50_000
            + "</body></html>").encode()


def _html_many_cells() -> bytes:
    row = "<tr>" + "<td>1</td>" * 500 + "</tr>"
    return (f"<html><body><h1>{TITLE}</h1><table>" + row * 1000 + "</table></body></html>").encode()


def import_cases() -> list[InputCase]:
    from tests.field.inputs_more import more_import_cases  # (it builds on this module)

    docx_text = _docx_paragraphs(TITLE, "一、总体情况", "本机关认真贯彻落实条例。")
    lim = {"XLTOOLS_LIMITS": "part_mb=1"}
    return [
        InputCase("import-txt-binary", _file("report.txt", lambda: bytes(range(256)) * 256), UNREADABLE),
        InputCase("import-txt-empty", _file("report.txt", lambda: b""), UNREADABLE),
        InputCase("import-txt-gbk", _file("report.txt", lambda: (TITLE + "\n一、总体情况\n开展工作。\n").encode("gbk")),
                  frozenset({1})),
        InputCase("import-txt-control-chars", _file("report.txt", lambda: (
            TITLE + "\n一、总体情况\n开展\x00工作\x0b。\x1f\n").encode()), frozenset({1, 2})),
        InputCase("import-txt-huge", _file("report.txt", _big_text), frozenset({1})),  # cut, with a note
        InputCase("import-html-span-100000", _file("report.html", _html_spans), UNREADABLE),
        InputCase("import-html-two-t3-tables", _file("report.html", _two_t3_tables), frozenset({1, 2})),
        InputCase("import-html-deep", _file("report.html", _html_deep), frozenset({1, 2})),
        InputCase("import-html-500k-cells", _file("report.html", _html_many_cells), UNREADABLE),
        InputCase("import-html-binary", _file("report.html", lambda: bytes(range(256)) * 64), UNREADABLE),
        InputCase("import-html-empty", _file("report.html", lambda: b""), UNREADABLE),
        InputCase("import-docx-not-zip", _file("report.docx", lambda: b"PK\x03\x04 not really a zip" * 20), UNREADABLE),
        InputCase("import-docx-truncated", _file("report.docx", lambda: docx_text[: len(docx_text) // 2]), UNREADABLE),
        InputCase("import-docx-bomb", _file("report.docx", _docx_bomb), UNREADABLE, env=lim),
        InputCase("import-docx-span-bomb", _file("report.docx", _docx_span_bomb), UNREADABLE),
        InputCase("import-docx-no-document", _file("report.docx", _docx_without_document),
                  UNREADABLE),
        InputCase("import-docx-dtd", _file("report.docx", lambda: _docx(
            f'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "{"x" * 100}"><!ENTITY b "{"&a;" * 100}">'
            f'<!ENTITY c "{"&b;" * 100}">]><w:document {W}><w:body><w:p><w:r><w:t>&c;&c;&c;</w:t></w:r></w:p>'
            f'</w:body></w:document>')), UNREADABLE),
        InputCase("import-pdf-encrypted", _file("report.pdf", _pdf_encrypted), UNREADABLE),
        InputCase("import-pdf-empty", _file("report.pdf", lambda: b""), UNREADABLE),
        InputCase("import-pdf-truncated", _file("report.pdf", lambda: _pdf(_pdf_pages())[:200]), UNREADABLE),
        InputCase("import-pdf-garbage", _file("report.pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40),
                  UNREADABLE),
        InputCase("import-pdf-no-text", _file("report.pdf", _pdf_no_text), UNREADABLE),
        *more_import_cases(),
    ]


def _docx_without_document() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return buf.getvalue()


# --- rosters ----------------------------------------------------------------------------------------------------

ROSTER_HEADER = "单位名称,代码,单位层级,上级单位\n"


def roster_text(units: list[str]) -> str:
    return ROSTER_HEADER + "".join(f"{u},,部门,××市人民政府\n" for u in units)


def roster_cases(units: list[str]) -> list[InputCase]:
    """Rosters for a consolidation of ``units`` (the good workbooks' unit names)."""
    from tests.field.inputs_more import more_roster_cases  # (it builds on this module)

    good = roster_text(units)
    return [
        InputCase("roster-good", _file("roster.csv", lambda: good.encode()), frozenset({0, 1})),
        InputCase("roster-gbk", _file("roster.csv", lambda: good.encode("gbk")), frozenset({0, 1})),
        InputCase("roster-bom", _file("roster.csv", lambda: ("\ufeff" + good).encode()), frozenset({0, 1})),
        InputCase("roster-duplicate-code", _file("roster.csv", lambda: (
            ROSTER_HEADER + "甲局,11320800014158427X,部门,\n乙局,11320800014158427X,部门,\n").encode()), UNREADABLE),
        InputCase("roster-duplicate-name", _file("roster.csv", lambda: (good + f"{units[0]},,部门,\n").encode()),
                  UNREADABLE),
        InputCase("roster-200kib-field", _file("roster.csv", lambda: (good + "局" * 70_000 + ",,部门,\n").encode()),
                  frozenset({1, 2})),
        InputCase("roster-empty", _file("roster.csv", lambda: b""), UNREADABLE),
        InputCase("roster-header-only", _file("roster.csv", lambda: ROSTER_HEADER.encode()), frozenset({2})),
        InputCase("roster-wrong-header", _file("roster.csv", lambda: ("名字,号码\n" + "".join(
            f"{u},1\n" for u in units)).encode()), UNREADABLE),
        InputCase("roster-binary", _file("roster.csv", lambda: bytes(range(256)) * 16), UNREADABLE),
        InputCase("roster-xlsx-not-zip", _file("roster.xlsx", lambda: b"not a workbook"), UNREADABLE),
        InputCase("roster-control-chars", _file("roster.csv", lambda: (good + "丙\x00局\x0b,,部门,\n").encode()),
                  frozenset({1, 2})),
        *more_roster_cases(units),
    ]
