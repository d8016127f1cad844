"""Field-ready outputs (issue 12): whatever a unit sends, every document, page, workbook and JSON xltools writes is
clean (no control characters, no formulas made of text, strict JSON), and a bad JSON document, an over-long text or
an unwritable target is a clear exit 2 that names the file, with nothing left behind."""

from __future__ import annotations

import json
import math
import os
import subprocess
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from helpers import clean_document, export, run, write_doc

from xltools.textsafe import control_chars

PASTED = "甲\x0b乙\x0c丙\x00丁\x1f戊\ufffe己"  # what Word and other programs leave in pasted text
INJECTION = '=HYPERLINK("http://x")'


def no_controls(text: str) -> bool:
    return not control_chars(text) and "\ufffe" not in text


def doc_with(unit: str, text: str, contact: str) -> dict[str, Any]:
    doc = clean_document()
    doc["unit"] = unit
    doc["texts"]["S1"] = text
    doc["meta"]["contact"] = contact
    return doc


@pytest.fixture(scope="module")
def pasted_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook whose 填报单位 and 总体情况 hold pasted control characters, as Excel keeps them (escaped or raw in
    the shared strings): built by ``new`` with markers, which are then replaced inside the file."""
    folder = tmp_path_factory.mktemp("pasted")
    book = write_doc(doc_with("MARKUNIT", "MARKTEXT", "联系人"), folder)
    escaped = "甲_x000B_乙_x000C_丙_x0000_丁_x001F_戊\ufffe己"
    bad = folder / "pasted.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/sharedStrings.xml":
                data = data.replace(b"MARKUNIT", f"单位{escaped}".encode())
                data = data.replace(b"MARKTEXT", f"正文{escaped}".encode())
            dst.writestr(info, data)
    dumped = run("dump", bad)
    assert dumped.returncode == 0, dumped.stderr
    assert json.loads(dumped.stdout)["texts"]["S1.text"] == "正文" + PASTED  # the reader sees them all
    return bad


class _Paragraphs(HTMLParser):
    """The text of every ``<p>`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.paragraphs: list[str] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "p":
            self.paragraphs.append("")
            self.inside = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.paragraphs[-1] = self.paragraphs[-1].strip()
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.paragraphs[-1] += data


def test_control_characters_never_reach_word(pasted_book: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.docx"
    result = export(pasted_book, "-o", out)
    assert result.returncode == 0, result.stderr
    document = docx.Document(str(out))
    lines = [p.text for p in document.paragraphs]
    assert all(no_controls(line) for line in lines)
    assert "正文甲" in lines and "乙" in lines and "丙丁戊己" in lines  # a new line where \x0b and \x0c were
    assert "单位甲 乙 丙丁戊己" in lines  # the signature: the unit name on one line
    assert no_controls(document.core_properties.author) and no_controls(document.core_properties.title)
    with zipfile.ZipFile(out) as z:
        assert no_controls(z.read("word/document.xml").decode("utf-8"))


def test_control_characters_never_reach_the_web_page(pasted_book: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = export(pasted_book, "-o", out)
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert no_controls(page.replace("\r", ""))
    parser = _Paragraphs()
    parser.feed(page)
    assert "正文甲" in parser.paragraphs and "乙" in parser.paragraphs and "丙丁戊己" in parser.paragraphs


def test_control_characters_never_reach_the_pdf(pasted_book: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    result = export(pasted_book, "-o", out)
    assert result.returncode == 0, result.stderr
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    text = text.replace("\x0c", "")  # pdftotext's own page breaks
    assert no_controls(text)
    assert "正文甲\n乙\n丙丁戊己" in text


def test_a_json_document_with_control_characters_makes_a_clean_workbook(tmp_path: Path) -> None:
    book = write_doc(doc_with("单位" + PASTED, "正文" + PASTED, "张三" + PASTED), tmp_path)
    ws = openpyxl.load_workbook(book)
    texts = [c.value for sheet in ws for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(no_controls(t) for t in texts)
    for start in ("单位", "张三"):
        assert start + "甲\n乙\n丙丁戊己" in texts  # Excel's own line break where \x0b and \x0c were
    first = texts.index("正文甲")  # 正文: one paragraph a row
    assert texts[first:first + 3] == ["正文甲", "乙", "丙丁戊己"]
    dumped = run("dump", book)
    assert json.loads(dumped.stdout)["texts"]["S1.text"] == "正文甲\n乙\n丙丁戊己"
    for fmt in ("docx", "html"):
        result = export(book, "-o", tmp_path / f"r.{fmt}")
        assert result.returncode == 0, result.stderr


def _cells_holding(book: Path, text: str) -> list[Any]:
    wb = openpyxl.load_workbook(book)
    return [c for ws in wb for row in ws.iter_rows() for c in row if c.value == text]


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    book = write_doc(doc_with(INJECTION, INJECTION, INJECTION), tmp_path)
    cells = _cells_holding(book, INJECTION)
    assert len(cells) == 3 and all(c.data_type == "s" for c in cells)
    blank = tmp_path / "unit.xlsx"
    result = run("new", "--unit", INJECTION, "--year", "2024", "-o", blank)
    assert result.returncode == 0, result.stderr
    cells = _cells_holding(blank, INJECTION)
    assert len(cells) == 1 and cells[0].data_type == "s"


def test_consolidation_sheets_keep_formula_like_names_as_text(tmp_path: Path) -> None:
    units = tmp_path / "units"
    units.mkdir()
    write_doc(doc_with(INJECTION, "正文", "联系人"), units, "a")
    (units / "a.json").unlink()
    out = tmp_path / "city.xlsx"
    result = run("consolidate", units, "-o", out, "--unit", INJECTION, "--year", "2024", "--jobs", "1")
    assert result.returncode in (0, 1), result.stderr
    cells = _cells_holding(out, INJECTION)
    assert len(cells) >= 3 and all(c.data_type == "s" for c in cells)  # cover, details, submission status


# --- strict JSON -----------------------------------------------------------------------------------------------


def _no_constants(name: str) -> Any:
    raise AssertionError(f"{name} in JSON output")


def test_json_results_never_hold_nan() -> None:
    from xltools.checking.check import CheckReport
    from xltools.checking.render import to_json
    from xltools.format.findings import Finding
    from xltools.format.spec import load_spec
    from xltools.reading.document import document_from_values, dumps
    from xltools.reading.values import Values

    finding = Finding("T3_ROW_TOTAL", "error", {"zh": "x", "en": "x"}, {"zh": "y", "en": "y"}, "src",
                      expected=math.nan, actual=math.inf, difference=-math.inf)
    report = CheckReport("a.xlsx", (finding,), format_id="gov-disclosure-2021")
    text = json.dumps(to_json([report]), allow_nan=False)
    data = json.loads(text, parse_constant=_no_constants)
    assert data["files"][0]["findings"][0]["expected"] is None
    spec = load_spec("gov-disclosure-2021")
    first, second = spec.number_cells[0].id, spec.number_cells[1].id
    values = Values("gov-disclosure-2021", {first: math.nan, second: 3}, frozenset(), frozenset(), {}, {}, {})
    doc = document_from_values(spec, values)
    parsed = json.loads(dumps(doc.to_json()), parse_constant=_no_constants)
    assert parsed["values"] == {second: 3}
    nested = json.loads(dumps({"x": [math.nan, {"y": math.inf}]}), parse_constant=_no_constants)
    assert nested == {"x": [None, {"y": None}]}


# --- new --from: every bad document is a clear exit 2 ----------------------------------------------------------


CELL = "T2.regulations.issued"


def with_value(literal: str, cell: str = CELL) -> str:
    """A valid document's JSON text with ``literal`` written as the value of ``cell``."""
    doc = clean_document()
    doc["values"][cell] = "@@"
    return json.dumps(doc, ensure_ascii=False).replace('"@@"', literal)


@pytest.mark.parametrize(("content", "message"), [
    (with_value("NaN"), f"“{CELL}”的值 NaN（不是有限的数）"),
    (with_value("Infinity"), f"“{CELL}”的值 Infinity（不是有限的数）"),
    (with_value("1e400"), f"“{CELL}”的值 1e400（太大"),
    (with_value("7" * 400), "（共 400 个字符）（太大"),
    (with_value("7" * 30), "有效数字超过 15 位"),
    (with_value("0.12345678901234567891"), "有效数字超过 15 位"),
    (with_value("12345678901234567"), "有效数字超过 15 位"),
    ("[" * 100_000 + "]" * 100_000, "JSON 嵌套太深（100000 层，上限 64 层）"),
    ('{"a": "' + "[" * 1000 + '", ' + '"b":' + "[" * 70 + "]" * 70 + "}", "JSON 嵌套太深（71 层"),
    ('["format", "gov-disclosure-2021"]', "顶层必须是 JSON 对象 {…}，实际是数组"),
    ('"text"', "顶层必须是 JSON 对象 {…}，实际是文字"),
    ('{"values": {}}', '缺少报告格式：请加上 "format"'),
    ('{"format": 2021, "values": {}}', "未知的报告格式 format=“2021”"),
    ('{"format": "gov-disclosure-2021", "values": {"T2.regulations.issued": 1,}', "不是有效的 JSON（第 1 行"),
    ("", "不是有效的 JSON"),
    ('{"format": "gov-disclosure-2021", "values": {"T2.regulations.issued": 1, "T2.regulations.issued": 2}}',
     "键“T2.regulations.issued”出现了两次"),
])
def test_bad_json_documents_are_refused_clearly(tmp_path: Path, content: str, message: str) -> None:
    src = tmp_path / "报告.json"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "out.xlsx"
    result = run("new", "--from", src, "-o", out)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "请报告" not in result.stderr and "内部错误" not in result.stderr
    assert str(src) in result.stderr and message in result.stderr, result.stderr
    assert sorted(os.listdir(tmp_path)) == ["报告.json"]


def test_binary_garbage_and_large_documents_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(bytes(range(256)) * 8)
    result = run("new", "--from", garbage, "-o", tmp_path / "a.xlsx")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{garbage} 不是文本文件" in result.stderr
    large = tmp_path / "large.json"
    large.write_text(json.dumps(clean_document(), ensure_ascii=False) + " " * 20_000, encoding="utf-8")
    monkeypatch.setenv("XLTOOLS_LIMITS", "file_mb=0.01")
    result = run("new", "--from", large, "-o", tmp_path / "b.xlsx")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(large) in result.stderr and "文档太大" in result.stderr and "上限 0.01 MB" in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["garbage.json", "large.json"]


def test_what_dump_prints_loads_again(tmp_path: Path) -> None:
    src = tmp_path / "doc.json"
    amount = "T2.administrative_fees.amount"
    src.write_text(with_value("0.30000000000000004", amount), encoding="utf-8")  # 0.1 + 0.2 as a workbook holds it
    out = tmp_path / "out.xlsx"
    result = run("new", "--from", src, "-o", out)
    assert result.returncode == 0, result.stderr
    assert json.loads(run("dump", out).stdout)["values"][amount] == 0.3  # the writer keeps 16 digits


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_documents_saved_as_utf8_with_bom_or_gbk_load(tmp_path: Path, encoding: str) -> None:
    src = tmp_path / "doc.json"
    src.write_text(json.dumps(clean_document(), ensure_ascii=False, indent=1), encoding=encoding)
    out = tmp_path / "out.xlsx"
    result = run("new", "--from", src, "-o", out)
    assert result.returncode == 0, result.stderr
    dumped = json.loads(run("dump", out).stdout)
    assert dumped["unit"] == clean_document()["unit"] and dumped["texts"]["S1.text"] == clean_document()["texts"]["S1"]


def test_a_text_longer_than_a_cell_holds_is_refused_not_cut(tmp_path: Path) -> None:
    doc = clean_document()
    doc["texts"]["S5"] = "很长的正文。" * 6000  # 36,000 characters: an Excel cell holds 32,767
    src = tmp_path / "doc.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = run("new", "--from", src, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 2
    assert "texts.S5 太长（36000 个字符）" in result.stderr and "32767" in result.stderr
    assert not (tmp_path / "out.xlsx").exists()


# --- export: long texts, long names, unwritable targets ----------------------------------------------------------


def test_export_refuses_texts_over_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = clean_document()
    doc["texts"]["S5"] = "问题" * 300
    book = write_doc(doc, tmp_path)
    monkeypatch.setenv("XLTOOLS_LIMITS", "text_chars=500")
    before = sorted(os.listdir(tmp_path))
    result = export(book, "-o", tmp_path / "r.html")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "“五、存在的主要问题及改进情况”的文字太长（600 个字符，上限 500 个字符）" in result.stderr
    assert "text_chars" in result.stderr
    assert sorted(os.listdir(tmp_path)) == before


def test_long_unit_names_get_short_unique_default_file_names(tmp_path: Path) -> None:
    names = []
    for i, tail in enumerate("甲乙"):
        doc = clean_document()
        doc["unit"] = "黑龙江省鹤岗市某某区某某街道办事处" * 7 + tail  # 120 characters, 360 bytes
        folder = tmp_path / str(i)
        folder.mkdir()
        result = export(write_doc(doc, folder), "--format", "html")
        assert result.returncode == 0, result.stderr
        out = Path(result.stdout.strip())
        assert out.is_file() and out.parent == folder and out.suffix == ".html"
        assert len(out.name.encode("utf-8")) <= 200
        assert out.name.startswith("黑龙江省鹤岗市") and out.name.endswith("2024年政府信息公开工作年度报告.html")
        names.append(out.name)
    assert names[0] != names[1]


def test_unwritable_targets_are_named_and_leave_nothing(tmp_path: Path) -> None:
    book = write_doc(clean_document(), tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file", encoding="utf-8")
    before = sorted(os.listdir(tmp_path))
    for command in (("export", book, "-o", blocker / "r.html"), ("export", book, "-o", blocker / "r.docx"),
                    ("new", "-o", blocker / "r.xlsx"),
                    ("new", "--from", tmp_path / "report.json", "-o", tmp_path / ("长" * 100 + ".xlsx"))):
        result = run(*command)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "内部错误" not in result.stderr
        target = str(command[-1])
        assert f"无法写入 {target}" in result.stderr, result.stderr
    assert sorted(os.listdir(tmp_path)) == before
    assert blocker.read_text(encoding="utf-8") == "a file"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def test_a_pdf_conversion_that_hangs_is_stopped_with_everything_it_started(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from xltools.publish import pdf

    pids = tmp_path / "pids"
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pids}\nsleep 300\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("XLTOOLS_SOFFICE", str(fake))
    monkeypatch.setattr(pdf, "TIMEOUT", 1)
    with pytest.raises(pdf.PdfError, match="秒内没有完成转换"):
        pdf.docx_to_pdf(tmp_path / "r.docx", tmp_path / "r.pdf")
    child = int(pids.read_text().strip())
    for _ in range(50):  # the killed child is reaped by init: give it a moment
        if not _running(child):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"LibreOffice's child process {child} is still running")
    assert not (tmp_path / "r.pdf").exists()
