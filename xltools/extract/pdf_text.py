"""Text of a PDF report with pdfplumber (the only module importing it, with its pdfminer.six). Ruled tables are
read as tables: their cells are kept (``Source.tables``, merged cells told from the ruling) and each row is also a
line of the text, so a row's numbers stay with its label however the label wraps; the text around them line by
line as laid out; pictures are marked so that tables published as images are recognised; a scan is read by OCR
only when asked (ocr.py).

A PDF that cannot be read says why in words a clerk can act on: encrypted, empty, incomplete (a download cut
short), not a PDF at all, or otherwise damaged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError
from pdfminer.psexceptions import PSEOF, PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from xltools.extract.cells import TABLE_MARK, Slot, Table, clean
from xltools.extract.lines import Source, SourceError, row_line
from xltools.extract.tables import PICTURE

_TAIL = 2048  # a complete PDF ends with "%%EOF" within its last bytes


def _text(page: Any) -> str:
    return str(page.extract_text(x_tolerance=1.5, y_tolerance=3) or "")


def _mid(lo: float, highs: list[float]) -> float:
    return (lo + min(highs)) / 2 if highs else lo


def _cells(table: Any, rows: list[list[str | None]]) -> Table:
    """A ruled table as its grid: a position pdfplumber leaves without a cell is covered by the merged cell
    around its middle (the middle of its column's and row's narrowest cells)."""
    columns = list(table.columns)
    placed: list[tuple[tuple[float, float, float, float], Slot]] = []
    grid: list[list[Slot]] = []
    for r, (row, texts) in enumerate(zip(table.rows, rows, strict=False)):
        y = _mid(row.bbox[1], [b[3] for b in row.cells if b is not None])
        out: list[Slot] = []
        for c, (bbox, text) in enumerate(zip(row.cells, texts, strict=False)):
            if bbox is not None:
                slot = Slot(clean(text or ""), (r, c))
                placed.append((bbox, slot))
            else:
                col = columns[c] if c < len(columns) else None
                x = _mid(col.bbox[0], [b[2] for b in col.cells if b is not None]) if col is not None else -1.0
                slot = next((s for (x0, t, x1, b), s in placed if x0 <= x < x1 and t <= y < b), Slot("", (r, c)))
            out.append(slot)
        grid.append(out)
    return Table(grid, exact=False)


def _page_text(page: Any, tables: list[Table]) -> str:
    """The page top to bottom: text between the tables, and each table as one line per row (its cells kept in
    ``tables``, marked in the text)."""
    parts: list[str] = []
    top = 0.0
    for table in sorted(page.find_tables(), key=lambda t: t.bbox[1]):
        _x0, t0, _x1, t1 = table.bbox
        if t0 > top:
            parts.append(_text(page.crop((0, top, page.width, t0))))
        rows = table.extract()
        parts.append(TABLE_MARK)
        tables.append(_cells(table, rows))
        parts.extend(row_line([c or "" for c in row if c is not None], exact=False) for row in rows)
        top = max(top, t1)
    if top < page.height:
        parts.append(_text(page.crop((0, top, page.width, page.height))))
    if page.images:
        parts.append(PICTURE)
    return "\n".join(parts)


def _damage(path: Path, exc: BaseException) -> SourceError:
    """What is wrong with a PDF pdfminer could not read, and what to do about it."""
    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    with open(path, "rb") as f:
        head = f.read(1024)
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - _TAIL))
        tail = f.read()
    if isinstance(cause, PDFEncryptionError):
        return SourceError("PDF 已加密（需要密码才能打开），无法读取：请提供未加密的文件",
                           "the PDF is encrypted (it needs a password): please provide an unencrypted file")
    if size == 0:
        return SourceError("PDF 文件是空的（0 字节），可能没有下载或复制完整：请重新下载或重新导出",
                           "the PDF file is empty (0 bytes): please download or export it again")
    if b"%PDF-" not in head:
        return SourceError("文件不是 PDF（内容不是 PDF 格式，可能是扩展名不对或文件已损坏）：请确认文件，"
                           "或重新下载、重新导出为 PDF",
                           "the file is not a PDF (wrong extension or damaged): please check it or export it again")
    if isinstance(cause, PSEOF) or b"%%EOF" not in tail:
        return SourceError("PDF 文件不完整（可能没有下载完）：请重新下载或重新导出",
                           "the PDF file is incomplete (perhaps not fully downloaded): please download it again")
    return SourceError("PDF 文件已损坏，无法读取：请用 PDF 阅读器打开后另存为新的 PDF，或重新下载、重新导出",
                       f"the PDF file is damaged ({cause}): open and save it again in a PDF reader, "
                       "or download or export it again")


def pdf_source(path: Path, ocr: bool = False) -> Source:
    """The text of a PDF. A scan (pages that are pictures, no text) is read by OCR with ``ocr`` (ocr.py), else
    refused with a message saying so. Raises SourceError."""
    pages: list[str] = []
    tables: list[Table] = []
    pictures = 0
    try:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                pages.append(_page_text(page, tables))
                pictures += bool(page.images)
    except (PdfminerException, MalformedPDFException, PSException, ValueError, KeyError, TypeError,
            AssertionError, IndexError, AttributeError) as exc:
        raise _damage(path, exc) from None
    if not any(p.strip().replace(PICTURE, "") for p in pages):
        if ocr and pictures:
            from xltools.extract.ocr import ocr_pdf

            return Source(ocr_pdf(path), hard_wrapped=True, scanned=pictures)
        if pictures:
            raise SourceError(f"PDF 是扫描件（{pictures} 页都是图片，没有文字层），无法直接导入：可加 --ocr "
                              "用文字识别导入（需要 Tesseract 和简体中文数据；识别出的数字只有通过表格合计核对才填入，"
                              "并标为 OCR），或请用文字版 PDF 或 Word 文档",
                              f"the PDF is a scan ({pictures} pages are pictures, no text): use --ocr, or a text PDF "
                              "or the Word document")
        raise SourceError("PDF 没有文字层（可能是扫描件），无法导入；请用文字版 PDF 或 Word 文档",
                          "the PDF has no text layer (a scan?): please use a text PDF or the Word document")
    return Source("\n".join(pages), hard_wrapped=True, tables=tuple(tables))
