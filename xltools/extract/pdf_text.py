"""Text of a PDF report with pdfplumber (the only module importing it, with its pdfminer.six). Ruled tables are
read as tables (cell by cell, so a row's numbers stay with its label however the label wraps); the text around
them line by line as laid out; pictures are marked so that tables published as images are recognised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError

from xltools.extract.lines import Source, SourceError, row_line
from xltools.extract.tables import PICTURE


def _text(page: Any) -> str:
    return str(page.extract_text(x_tolerance=1.5, y_tolerance=3) or "")


def _page_text(page: Any) -> str:
    """The page top to bottom: text between the tables, and each table as one line per row."""
    parts: list[str] = []
    top = 0.0
    for table in sorted(page.find_tables(), key=lambda t: t.bbox[1]):
        _x0, t0, _x1, t1 = table.bbox
        if t0 > top:
            parts.append(_text(page.crop((0, top, page.width, t0))))
        parts.extend(row_line([c or "" for c in row if c is not None], exact=False) for row in table.extract())
        top = max(top, t1)
    if top < page.height:
        parts.append(_text(page.crop((0, top, page.width, page.height))))
    if page.images:
        parts.append(PICTURE)
    return "\n".join(parts)


def pdf_source(path: Path) -> Source:
    pages: list[str] = []
    try:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                pages.append(_page_text(page))
    except (PDFSyntaxError, ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"无法读取 PDF：{exc}") from None
    if not any(p.strip().replace(PICTURE, "") for p in pages):
        raise SourceError("PDF 没有文字层（可能是扫描件），无法导入；请用文字版 PDF 或 Word 文档")
    return Source("\n".join(pages), hard_wrapped=True)
