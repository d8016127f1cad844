"""``xltools export --force``: a draft says so on every page, an empty section says so under its heading, and the
PDF export tells the user what it is doing and which fonts it substituted."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from helpers import EXAMPLE_XLSX, clean_document, export, write_doc, xltools_command, xltools_env

from xltools.publish import pdf

SECTION_SIX = "六、其他需要报告的事项"
MARK = "草稿（有 {} 个错误，未经校验通过）"
RUNNING = "正在用 LibreOffice 生成 PDF…"


def broken_book(folder: Path) -> Path:
    doc = clean_document()
    doc["values"]["T3.new_received.natural_person"] += 1  # T3_ROW_TOTAL and T3_COL_BALANCE: 2 errors
    return write_doc(doc, folder, "broken")


def seed_book(folder: Path) -> Path:
    book = folder / EXAMPLE_XLSX.name
    shutil.copy(EXAMPLE_XLSX, book)  # section 六 is empty: 1 error (SECTIONS_PRESENT)
    return book


def header_texts(document: docx.document.Document) -> list[str]:
    section = document.sections[0]
    return [h.paragraphs[0].text for h in (section.header, section.even_page_header)]


def errors_of(stderr: str) -> int:
    found = re.search(r"已导出（含 (\d+) 个错误", stderr)
    assert found, stderr
    return int(found.group(1))


def test_a_forced_word_draft_is_marked_on_every_page(tmp_path: Path) -> None:
    out = tmp_path / "r.docx"
    result = export(broken_book(tmp_path), "-o", out, "--force")
    assert result.returncode == 1
    errors = errors_of(result.stderr)
    document = docx.Document(str(out))
    mark = MARK.format(errors)
    assert document.settings.odd_and_even_pages_header_footer
    assert header_texts(document) == [mark, mark]  # odd and even pages: every page
    for header in (document.sections[0].header, document.sections[0].even_page_header):
        run = header.paragraphs[0].runs[0]
        assert str(run.font.color.rgb) == "C00000"
    assert document.core_properties.comments == mark
    body = "\n".join(p.text for p in document.paragraphs)
    assert "草稿" not in body  # the content itself is published as entered


def test_a_clean_report_carries_no_mark(tmp_path: Path) -> None:
    book = write_doc(clean_document(), tmp_path)
    for suffix in ("docx", "html"):
        out = tmp_path / f"r.{suffix}"
        result = export(book, "-o", out, "--force")  # --force without errors: nothing to mark
        assert result.returncode == 0, result.stderr
    document = docx.Document(str(tmp_path / "r.docx"))
    assert header_texts(document) == ["", ""]
    assert "草稿" not in document.element.xml and "未填写" not in document.element.xml
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "草稿" not in page and 'class="draft"' not in page and "未填写" not in page


def test_a_forced_web_page_is_marked_at_the_top(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = export(broken_book(tmp_path), "-o", out, "--force")
    assert result.returncode == 1
    page = out.read_text(encoding="utf-8")
    body = page.split("<body", 1)[1]
    first = body.index('<p class="draft" role="note">' + MARK.format(errors_of(result.stderr)) + "</p>")
    assert first < body.index("<h1>")


def test_an_empty_section_is_never_a_bare_heading(tmp_path: Path) -> None:
    book = seed_book(tmp_path)
    out = tmp_path / "r.docx"
    result = export(book, "-o", out, "--force")
    assert result.returncode == 1 and "SECTIONS_PRESENT" in result.stderr
    document = docx.Document(str(out))
    headings = [p for p in document.paragraphs if p.style.name == "一级标题"]
    assert headings[-1].text == SECTION_SIX + "（未填写）"
    assert headings[-1].runs[-1].font.color.rgb is not None  # the note is red, like the draft mark
    out = tmp_path / "r.html"
    assert export(book, "-o", out, "--force").returncode == 1
    page = out.read_text(encoding="utf-8")
    assert f'<h2 id="S6-title">{SECTION_SIX}<span class="empty">（未填写）</span></h2>' in page


def test_substituted_fonts_are_found_with_fc_match() -> None:
    # the tests need LibreOffice and the CJK fonts (README), hence fontconfig
    assert shutil.which("fc-match") and Path(pdf.SYSTEM_FONTS_CONF).is_file(), "fontconfig (fc-match) is required"
    env = {"FONTCONFIG_FILE": str(pdf.FONTS_CONF), "PATH": "/usr/bin:/bin"}
    found = dict(pdf.substituted_fonts(["方正小标宋简体", "仿宋_GB2312", "Noto Serif CJK SC"], env))
    # the official fonts are not installed on the test machines; fonts-noto-cjk is, and is used in their place
    assert found == {"方正小标宋简体": "Noto Serif CJK SC", "仿宋_GB2312": "Noto Serif CJK SC"}


def test_without_fontconfig_nothing_is_said(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no fc-match
    assert pdf.substituted_fonts(["方正小标宋简体"], {}) == []
    fake = tmp_path / "fc-match"
    fake.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")  # a broken fontconfig: no guess either
    fake.chmod(0o755)
    assert pdf.substituted_fonts(["方正小标宋简体"], {}) == []


def test_font_warning_groups_the_fonts_by_their_substitute() -> None:
    line = pdf.font_warning([("方正小标宋简体", "Noto Serif CJK SC"), ("黑体", "Noto Sans CJK SC"),
                             ("仿宋_GB2312", "Noto Serif CJK SC")])
    assert "\n" not in line
    assert "方正小标宋简体、仿宋_GB2312 以 Noto Serif CJK SC 代替，黑体 以 Noto Sans CJK SC 代替" in line
    assert "{" not in line and "}" not in line


def test_pdf_export_says_it_runs_libreoffice_without_soffice(tmp_path: Path) -> None:
    """The line comes before LibreOffice starts: a fake soffice that writes nothing still shows it."""
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    book = write_doc(clean_document(), tmp_path)
    result = subprocess.run(xltools_command("export", book, "--format", "pdf"), capture_output=True, text=True,
                            env={**xltools_env(), "XLTOOLS_SOFFICE": str(fake)}, timeout=60, check=False)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines.count(RUNNING + " / making the PDF with LibreOffice…") == 1
    assert "LibreOffice 没有生成 PDF" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_forced_pdf_draft_is_marked_on_every_page_and_fonts_are_named_once(tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    result = export(seed_book(tmp_path), "-o", out, "--force")
    assert result.returncode == 1, result.stderr
    mark = re.sub(r"\s+", "", MARK.format(errors_of(result.stderr)))
    pages = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True,
                           timeout=60).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 4
    for number, text in enumerate(pages, 1):
        assert mark in re.sub(r"\s+", "", text), number
    flat = re.sub(r"\s+", "", "".join(pages))
    assert SECTION_SIX + "（未填写）" in flat
    lines = result.stderr.splitlines()
    assert sum(RUNNING in line for line in lines) == 1
    warnings = [line for line in lines if "代替" in line]
    assert len(warnings) == 1  # once, however many fonts
    assert "方正小标宋简体" in warnings[0] and "仿宋_GB2312" in warnings[0] and "Noto Serif CJK SC" in warnings[0]
