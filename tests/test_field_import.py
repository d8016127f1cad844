"""``xltools import`` on anything a unit can send (issue 12): oversized and hostile sources are refused within the
limits, damaged files say what is damaged and what to do (exit code 2, never "请报告此问题"), one bad file never
stops a batch, a page with last year's table beside this year's never imports the wrong one silently, and the
summary names the cells left empty as ``check`` does. Every input is built here, in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

from helpers import run, xltools_command, xltools_env

from xltools.extract.importing import read_report
from xltools.format.spec import default_format_id, load_spec

SPEC = load_spec(default_format_id())
BUG = "请报告此问题"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def import_json(*args: str | Path, limits: str = "") -> tuple[int, dict[str, Any], str]:
    """``xltools import ARGS --format json`` with XLTOOLS_LIMITS=limits: exit code, report, stderr."""
    env = xltools_env()
    if limits:
        env["XLTOOLS_LIMITS"] = limits
    result = subprocess.run(xltools_command("import", *args, "--format", "json"), capture_output=True, text=True,
                            env=env, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else {}, result.stderr


def t3_lines(base: int) -> list[str]:
    """表三 as text, one line per row: the spec's label, six numbers and their total."""
    lines = []
    for i, row in enumerate(SPEC.tables["T3"]["rows"]):
        label = SPEC.cell(f"T3.{row}.natural_person").row[-1]
        numbers = [base + i + k for k in range(6)]
        lines.append(f"{label} {' '.join(map(str, numbers))} {sum(numbers)}")
    return lines


def report_text(t3_section: list[str], year: int = 2021) -> str:
    return "\n".join([
        f"某某县人民政府{year}年政府信息公开工作年度报告",
        "一、总体情况", "本年度各项工作有序开展。",
        "二、主动公开政府信息情况", "（略）",
        "三、收到和处理政府信息公开申请情况", *t3_section,
        "四、政府信息公开行政复议、行政诉讼情况", "（略）",
        "五、存在的主要问题及改进情况", "没有。",
        "六、其他需要报告的事项", "没有。",
        "某某县人民政府", f"{year + 1}年1月10日", ""])


def t3_value(path: Path, row: str = "new_received", col: str = "natural_person") -> Any:
    doc, _notes = read_report(path)
    return doc.values[f"T3.{row}.{col}"]


# -- 3. conflicting tables ---------------------------------------------------------------------------------------

def test_last_years_table_before_this_years_is_skipped_by_its_caption(tmp_path: Path) -> None:
    src = tmp_path / "two-years.txt"
    src.write_text(report_text(["上年度（2020年）情况如下：", *t3_lines(100), "2021年度情况如下：", *t3_lines(1)]),
                   encoding="utf-8")
    assert t3_value(src) == 1  # this year's, not the first table's 100
    code, report, _ = import_json(src, "-o", tmp_path / "out.xlsx")
    assert code == 1  # 表二 and 表四 are not in this text
    notes = report["files"][0]["notes"]
    assert any("原文有 2 个表三" in n["message"] and "第 2 个" in n["message"] for n in notes), notes


def test_two_tables_without_captions_leave_the_table_empty_and_say_so(tmp_path: Path) -> None:
    src = tmp_path / "two-tables.txt"
    src.write_text(report_text([*t3_lines(100), *t3_lines(1)]), encoding="utf-8")
    assert t3_value(src) is None
    code, report, _ = import_json(src, "-o", tmp_path / "out.xlsx")
    f = report["files"][0]
    assert code == 1 and f["status"] == "partial"
    conflict = [n for n in f["notes"] if "原文有 2 个表三" in n["message"]]
    assert conflict and conflict[0]["kind"] == "ambiguous" and "无法从上下文确定" in conflict[0]["message"]
    assert "T3.new_received.natural_person" in f["empty_cells"]


def test_flattened_page_with_last_years_table_first(tmp_path: Path) -> None:
    src = tmp_path / "crawl.txt"
    flat = " ".join(["上一年度情况：", *t3_lines(100), "本年度情况：", *t3_lines(1)])
    src.write_text(report_text([flat]), encoding="utf-8")
    assert t3_value(src) == 1


def test_identical_repeated_table_is_no_conflict(tmp_path: Path) -> None:
    src = tmp_path / "same.txt"
    src.write_text(report_text([*t3_lines(5), *t3_lines(5)]), encoding="utf-8")
    assert t3_value(src) == 5


def test_html_page_with_a_2022_table_before_the_2021_one(tmp_path: Path) -> None:
    def table(base: int) -> str:
        rows = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in line.split(" ")) + "</tr>" for line in t3_lines(base))
        return f"<table>{rows}</table>"
    body = report_text(["@T3@"]).replace("\n", "</p><p>")
    tables = "<p>2022年度申请情况（供对照）：</p>" + table(100) + "<p>2021年度申请情况：</p>" + table(1)
    src = tmp_path / "page.html"
    src.write_text(f"<html><body><p>{body.replace('@T3@', '</p>' + tables + '<p>')}</p></body></html>",
                   encoding="utf-8")
    assert t3_value(src) == 1


def test_notepad_unicode_text_is_read(tmp_path: Path) -> None:
    src = tmp_path / "utf16.txt"
    src.write_bytes(report_text(t3_lines(1)).encode("utf-16"))  # Notepad's "Unicode": UTF-16 with its BOM
    assert t3_value(src) == 1


# -- 1. bounded input --------------------------------------------------------------------------------------------

def test_source_over_the_file_size_limit_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "big.txt"
    src.write_text(report_text(t3_lines(1)) + "说明。" * 2000, encoding="utf-8")
    code, report, _ = import_json(src, limits="file_mb=0.01")
    f = report["files"][0]
    assert code == 2 and f["status"] == "failed" and "太大" in f["reason"] and "file_mb" in f["reason"]


def test_html_spans_of_100000_are_clipped_and_fast(tmp_path: Path) -> None:
    rows = "".join(f'<tr><td rowspan="100000" colspan="100000">{i}</td><td>x</td></tr>' for i in range(20))
    src = tmp_path / "spans.html"
    src.write_text(f"<html><body><p>{report_text(t3_lines(1))}</p><table>{rows}</table></body></html>",
                   encoding="utf-8")
    started = time.monotonic()
    doc, _notes = read_report(src)
    assert time.monotonic() - started < 5
    assert doc.year == 2021


def test_html_tables_over_the_cell_limit_are_refused(tmp_path: Path) -> None:
    rows = "".join('<tr><td colspan="100000">1</td></tr>' for _ in range(100))
    src = tmp_path / "cells.html"
    src.write_text(f"<html><body><table>{rows}</table></body></html>", encoding="utf-8")
    code, report, _ = import_json(src, limits="table_cells=5000")
    f = report["files"][0]
    assert code == 2 and "cells.html" in f["reason"] and "table_cells" in f["reason"] and BUG not in f["reason"]


def docx(path: Path, body: str | bytes, *, part: str = "word/document.xml") -> Path:
    xml = body if isinstance(body, bytes) else (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(part, xml)
    return path


def paragraphs_xml(text: str) -> str:
    return "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in text.split("\n"))


def test_docx_bombs_are_refused(tmp_path: Path) -> None:
    bomb = docx(tmp_path / "bomb.docx", paragraphs_xml(report_text(t3_lines(1))) + "<w:p/>" * 400_000)
    varied = "".join(f"<w:p><w:r><w:t>{i * 7919 % 100003}</w:t></w:r></w:p>" for i in range(60_000))
    large = docx(tmp_path / "large.docx", varied)
    cell = '<w:tc><w:tcPr><w:gridSpan w:val="100000"/></w:tcPr><w:p/></w:tc>'
    spans = docx(tmp_path / "spans.docx", "<w:tbl>" + f"<w:tr>{cell}</w:tr>" * 100 + "</w:tbl>")
    entity = docx(tmp_path / "entity.docx", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>'
                  b'<w:document xmlns:w="' + W_NS.encode() + b'"><w:body>&a;</w:body></w:document>')
    deep = docx(tmp_path / "deep.docx", "<w:tbl><w:tr><w:tc>" * 9 + "<w:p/>" + "</w:tc></w:tr></w:tbl>" * 9)
    code, report, _ = import_json(tmp_path, "--out-dir", tmp_path / "out", limits="part_mb=1,table_cells=5000")
    reasons = {Path(f["source"]).name: f["reason"] for f in report["files"]}
    assert code == 2 and set(reasons) == {p.name for p in (bomb, large, spans, entity, deep)}
    assert "嵌套超过 8 层" in reasons["deep.docx"]
    assert "压缩比异常" in reasons["bomb.docx"] and "ratio" in reasons["bomb.docx"]
    assert "解压后太大" in reasons["large.docx"] and "part_mb" in reasons["large.docx"]
    assert "table_cells" in reasons["spans.docx"]
    assert "实体或 DTD" in reasons["entity.docx"]
    assert not any(BUG in r for r in reasons.values())


def test_a_text_section_over_the_limit_is_cut_and_said(tmp_path: Path) -> None:
    src = tmp_path / "long.txt"
    src.write_text(report_text(t3_lines(1)).replace("本年度各项工作有序开展。", "本年度各项工作有序开展。" * 300),
                   encoding="utf-8")
    code, report, _ = import_json(src, "-o", tmp_path / "out.xlsx", limits="text_chars=2000")
    f = report["files"][0]
    assert code == 1 and f["status"] == "partial"
    assert any(n["kind"] == "cut" and "一、总体情况" in n["message"] for n in f["notes"])


def test_a_text_longer_than_an_excel_cell_is_cut_and_the_batch_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-long.txt").write_text(report_text(t3_lines(1)).replace(
        "本年度各项工作有序开展。", "本年度各项工作有序开展。" * 3000), encoding="utf-8")
    (folder / "b-short.txt").write_text(report_text(t3_lines(1)), encoding="utf-8")
    code, report, _ = import_json(folder, "--out-dir", tmp_path / "out")
    assert code == 1 and [f["status"] for f in report["files"]] == ["partial", "partial"]
    cut = [n for n in report["files"][0]["notes"] if n["kind"] == "cut"]
    assert cut and "32767" in cut[0]["message"] and cut[0]["cells"] == ["S1.text"]
    assert (tmp_path / "out" / "a-long.xlsx").exists() and (tmp_path / "out" / "b-short.xlsx").exists()


# -- 4, 5. damaged inputs in one batch ---------------------------------------------------------------------------

def minimal_pdf(encrypt: bool = False) -> bytes:
    """A one-page PDF written by hand; with ``encrypt`` an /Encrypt dictionary whose user password is not empty."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>"]
    stream = b"BT /F1 12 Tf 20 100 Td (Report 2021) Tj ET"
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    if encrypt:
        objs.append(b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objs) + 1)
    if encrypt:
        trailer += b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (len(objs), b"ab" * 16, b"ab" * 16)
    return out + b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref


def test_damaged_files_say_what_is_wrong_and_the_batch_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "received"
    folder.mkdir()
    (folder / "a-good.txt").write_text(report_text(t3_lines(1)), encoding="utf-8")
    (folder / "encrypted.pdf").write_bytes(minimal_pdf(encrypt=True))
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "truncated.pdf").write_bytes(minimal_pdf()[:300])
    (folder / "noroot.pdf").write_bytes(minimal_pdf().replace(b" /Root 1 0 R", b""))
    (folder / "notzip.docx").write_bytes(b"this is not a zip file at all")
    (folder / "old.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))  # Word 97-2003 / encrypted
    docx(folder / "nodocument.docx", b"<x/>", part="word/other.xml")
    (folder / "encoding.html").write_bytes(b"<html><body>\x81\x30\xff\xfe\xfd\x80 abc \xff\xff</body></html>")
    (folder / "garbage.txt").write_bytes(bytes(range(256)) * 64)
    os.mkfifo(folder / "pipe.txt")  # nobody writes to it: reading it would wait forever
    code, report, _ = import_json(folder, "--out-dir", tmp_path / "out")
    reasons = {Path(f["source"]).name: f["reason"] for f in report["files"]}
    assert code == 2 and len(reasons) == 11
    good = report["files"][0]  # 表二、表四 are not in the text: partial, but imported
    assert good["status"] == "partial" and (tmp_path / "out" / "a-good.xlsx").exists(), good
    assert "PDF 已加密" in reasons["encrypted.pdf"] and "请提供未加密的文件" in reasons["encrypted.pdf"]
    assert "0 字节" in reasons["empty.pdf"]
    assert "PDF 文件不完整（可能没有下载完）" in reasons["truncated.pdf"]
    assert "PDF 文件已损坏" in reasons["noroot.pdf"]
    assert "不是有效的 Word 文档" in reasons["notzip.docx"]
    assert "旧版 .doc 文件或加密的 Word 文档" in reasons["old.docx"]
    assert "缺少正文 word/document.xml" in reasons["nodocument.docx"]
    assert "文字编码" in reasons["encoding.html"] and "UTF-8" in reasons["encoding.html"]
    assert "二进制数据" in reasons["garbage.txt"]
    assert "不是普通文件" in reasons["pipe.txt"]
    assert not any(BUG in (r or "") for r in reasons.values()), reasons
    text = run("import", folder, "--out-dir", tmp_path / "out2")
    assert text.returncode == 2 and "Traceback" not in text.stderr
    assert text.stdout.count("==  失败") == 10 and "已导入 0，部分导入 1，失败 10" in text.stdout


# -- 6. empty cells named like check names them ------------------------------------------------------------------

def test_summary_names_empty_cells_by_sheet_address_and_labels(tmp_path: Path) -> None:
    lines = [ln for ln in t3_lines(1) if not ln.startswith("1.申请人无正当理由")]
    src = tmp_path / "gap.txt"
    src.write_text(report_text(lines), encoding="utf-8")
    result = run("import", src, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 1, result.stdout + result.stderr
    cell = SPEC.cell("T3.r_other_no_correction.natural_person")
    code, report, _ = import_json(src, "-o", tmp_path / "out2.xlsx")
    assert code == 1
    empty = report["files"][0]["empty_cells_at"]
    assert {"id": cell.id, "ref": "表三!D25", "sheet": "表三", "address": "D25", "row_label": cell.row_label,
            "column_label": "自然人"} in empty
    first = empty[0]
    assert f"留空的单元格（共 {len(empty)} 个，--format json 列出全部）：" in result.stdout
    assert f"{first['ref']}〔{first['row_label']}｜{first['column_label']}〕" in result.stdout
    assert first["id"] not in result.stdout
