"""Text of a scanned PDF (pages that are pictures only) by optical character recognition, for ``import --ocr``:
each page rendered with pypdfium2 (the only module importing it) and read by the Tesseract program with its
simplified-Chinese data (``chi_sim``, from the system packages), one process per page, time-bounded.

OCR misreads digits; the parser therefore places an OCR'd number only where the table's own sum relations hold
with it (``parse.keep_checked_ocr``) and marks every such cell as OCR in the notes.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pypdfium2

from xltools.extract.lines import SourceError

LANGUAGE = "chi_sim"
DPI = 300
PAGE_SECONDS = 120  # Tesseract on one page at 300 dpi takes seconds; a page that takes longer is given up
MAX_PAGES = 40  # a report is a few pages; a scan longer than this is not read past its 40th page
_INSTALL = "请安装 Tesseract 及其简体中文数据（Debian/Ubuntu：apt-get install tesseract-ocr tesseract-ocr-chi-sim）"


def _tesseract() -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        raise SourceError(f"没有找到文字识别程序 Tesseract，无法用 --ocr 导入扫描件：{_INSTALL}",
                          "Tesseract is not installed: install tesseract-ocr and tesseract-ocr-chi-sim")
    langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30).stdout.split()
    if LANGUAGE not in langs:
        raise SourceError(f"Tesseract 缺少简体中文识别数据（{LANGUAGE}），无法识别扫描件：{_INSTALL}",
                          f"Tesseract has no {LANGUAGE} data: install tesseract-ocr-chi-sim")
    return exe


def ocr_pdf(path: Path) -> str:
    """The text of a scanned PDF, page by page. Raises SourceError (no Tesseract, or it failed on every page)."""
    exe = _tesseract()
    pages: list[str] = []
    failed = 0
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        with tempfile.TemporaryDirectory(prefix="xltools-ocr-") as tmp:
            for i in range(min(len(pdf), MAX_PAGES)):
                image = Path(tmp) / f"page{i}.png"
                pdf[i].render(scale=DPI / 72).to_pil().save(image)
                try:
                    done = subprocess.run([exe, str(image), "stdout", "-l", LANGUAGE, "--psm", "6"],
                                          capture_output=True, text=True, timeout=PAGE_SECONDS)
                except subprocess.TimeoutExpired:
                    failed += 1
                    continue
                if done.returncode != 0:
                    failed += 1
                    continue
                pages.append(done.stdout)
    finally:
        pdf.close()
    if not any(p.strip() for p in pages):
        raise SourceError(f"文字识别（OCR）没有从扫描件中识别出文字（{failed} 页识别失败或超时），无法导入："
                          "请用文字版 PDF 或 Word 文档",
                          f"OCR found no text in the scan ({failed} pages failed or timed out)")
    return "\n".join(pages)
