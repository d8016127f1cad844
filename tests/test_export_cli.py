"""``xltools export`` safety: errors block, warnings do not, nothing is overwritten or half-written, bad input is a
clear exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import docx
import pytest
from helpers import clean_document, export, exported_with_texts, run, write_doc


def broken_book(folder: Path) -> Path:
    doc = clean_document()
    doc["values"]["T3.new_received.natural_person"] += 1  # row total and column balance no longer hold
    return write_doc(doc, folder, "broken")


def test_errors_block_the_export_and_are_listed(tmp_path: Path) -> None:
    book = broken_book(tmp_path)
    before = sorted(os.listdir(tmp_path))
    result = export(book)
    assert result.returncode == 1
    assert "T3_ROW_TOTAL" in result.stderr and "T3_COL_BALANCE" in result.stderr
    assert "未导出" in result.stderr and "--force" in result.stderr
    assert result.stdout == ""
    assert sorted(os.listdir(tmp_path)) == before  # nothing written, no temporary file left


def test_force_exports_as_entered_and_marks_only_the_page_header(tmp_path: Path) -> None:
    book = broken_book(tmp_path)
    out = tmp_path / "r.docx"
    result = export(book, "-o", out, "--force")
    assert result.returncode == 1  # errors were found, even though the document was written
    assert "T3_ROW_TOTAL" in result.stderr and "--force" in result.stderr
    assert result.stdout.strip() == str(out)
    document = docx.Document(str(out))
    text = "\n".join(p.text for p in document.paragraphs)
    for stamp in ("错误", "草稿", "xltools", "--force", "校验"):
        assert stamp not in text  # the body is the workbook's; the draft mark is in the page header
    assert document.sections[0].header.paragraphs[0].text.startswith("草稿（有 ")
    numbers = [c.text for c in document.tables[1].rows[3].cells]
    assert numbers[3] == str(clean_document()["values"]["T3.new_received.natural_person"] + 1)


def test_warnings_are_printed_and_do_not_block(tmp_path: Path) -> None:
    doc = clean_document()
    doc["texts"]["S6"] = "无。"  # no 信息处理费 statement: a warning
    book = write_doc(doc, tmp_path)
    result = export(book, "--format", "html")
    assert result.returncode == 0, result.stderr
    assert "S6_FEE_STATEMENT" in result.stderr
    out = Path(result.stdout.strip())
    assert out == tmp_path / "淮安市人民政府（全市汇总）2024年政府信息公开工作年度报告.html"
    assert "无。" in out.read_text(encoding="utf-8")


def test_an_existing_file_is_never_overwritten_without_asking(tmp_path: Path) -> None:
    book = write_doc(clean_document(), tmp_path)
    out = tmp_path / "r.docx"
    out.write_bytes(b"the clerk's own file")
    result = export(book, "-o", out)
    assert result.returncode == 2
    assert "--overwrite" in result.stderr and "Traceback" not in result.stderr
    assert out.read_bytes() == b"the clerk's own file"
    result = export(book, "-o", out, "--overwrite")
    assert result.returncode == 0, result.stderr
    assert docx.Document(str(out)).tables


@pytest.mark.parametrize(("args", "message"), [
    (("-o", "r.txt"), ".docx、.pdf 或 .html"),
    (("-o", "r.docx", "--format", "pdf"), "不一致"),
])
def test_bad_output_names_are_refused(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    book = write_doc(clean_document(), tmp_path)
    result = run("export", book, *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_unreadable_and_missing_workbooks_exit_2(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK\x03\x04 not really a workbook")
    for path in (garbage, tmp_path / "missing.xlsx"):
        result = export(path)
        assert result.returncode == 2
        assert result.stderr.startswith("xltools: ") and "Traceback" not in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["garbage.xlsx"]


def test_pdf_without_libreoffice_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = write_doc(clean_document(), tmp_path)
    monkeypatch.setenv("XLTOOLS_SOFFICE", str(tmp_path / "no-such-soffice"))
    before = sorted(os.listdir(tmp_path))
    result = export(book, "--format", "pdf")
    assert result.returncode == 2
    assert "LibreOffice" in result.stderr and "apt-get install" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(os.listdir(tmp_path)) == before


def test_clerk_text_cannot_inject_markup_into_the_page(tmp_path: Path) -> None:
    out = exported_with_texts(tmp_path, "html", S5="<script>alert(1)</script> & <b>粗体</b>")
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;粗体&lt;/b&gt;" in page


def test_default_names_come_from_the_cover_and_are_safe_file_names(tmp_path: Path) -> None:
    blank = tmp_path / "blank.xlsx"
    assert run("new", "-o", blank).returncode == 0
    result = export(blank, "--force")  # no unit, no year: errors, exported anyway on request
    assert result.returncode == 1
    out = tmp_path / "blank-政府信息公开工作年度报告.docx"
    assert result.stdout.strip() == str(out)
    assert docx.Document(str(out)).paragraphs[0].text == "政府信息公开工作年度报告"
    doc = clean_document()
    doc["unit"] = "市局/办公室:*"
    result = export(write_doc(doc, tmp_path), "--format", "html")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "市局_办公室2024年政府信息公开工作年度报告.html")
