"""Text out of the files reports come in: .txt, web pages (.html/.htm) and Word (.docx). PDFs are in pdf_text.py.

Tables become one line per row, cells separated by spaces, a blank cell of a data row written as "∅" so that a
row keeps its positions; pictures become "〔图片〕" so that a table published as an image is recognised.
Web pages and Word documents are read with the standard library (html.parser; zipfile + ElementTree for the
document XML): both formats are stable, and reading text, rows, spans and pictures needs nothing more.
"""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

from xltools.errors import require
from xltools.extract.lines import Source, SourceError, grid_rows, row_line
from xltools.extract.tables import PICTURE
from xltools.reading.textfile import decode_text

SUFFIXES = (".txt", ".html", ".htm", ".docx", ".pdf")
_BLOCK = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "section", "article", "title", "tr",
          "table", "ul", "ol", "blockquote", "pre", "header", "footer", "dt", "dd"}
_SKIP = {"script", "style", "noscript", "nav", "select", "button", "iframe", "svg", "head"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skip = 0
        self.tables: list[list[list[tuple[str, int, int]]]] = []
        self.cell: list[str] | None = None
        self.span = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            a = dict(attrs)
            self.cell, self.span = [], (_int(a.get("rowspan")), _int(a.get("colspan")))
        elif tag == "img" and not self.skip:
            self._text(PICTURE)
        elif tag in _BLOCK and self.cell is None:
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in ("td", "th") and self.cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(("".join(self.cell), *self.span))
            self.cell = None
        elif tag == "table" and self.tables:
            rows = self.tables.pop()
            self.lines.extend(row_line(cells) for cells in grid_rows(rows))
            self.lines.append("")
        elif tag in _BLOCK and self.cell is None:
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self._text(data)

    def _text(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        else:
            self.lines[-1] += data.replace("\n", " ")


def _int(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def html_source(text: str) -> Source:
    page = _Page()
    page.feed(text)
    page.close()
    lines = [re.sub(r"[ \t\u00a0\u3000]+", " ", ln).strip() for ln in page.lines]
    return Source("\n".join(ln for ln in lines if ln), hard_wrapped=False)


def _docx_text(el: ET.Element) -> str:
    parts: list[str] = []
    for node in el.iter():
        if node.tag == W + "t" and node.text:
            parts.append(node.text)
        elif node.tag in (W + "tab",):
            parts.append(" ")
        elif node.tag in (W + "br", W + "cr"):
            parts.append("\n")
        elif node.tag in (W + "drawing", W + "pict"):
            parts.append(PICTURE)
    return "".join(parts)


def docx_source(path: Path) -> Source:
    try:
        with zipfile.ZipFile(path) as z:
            root = ET.fromstring(z.read("word/document.xml"))
    except (zipfile.BadZipFile, KeyError, ET.ParseError) as exc:
        raise SourceError(f"不是有效的 Word 文档（.docx）：{exc}") from None
    body = root.find(W + "body")
    lines: list[str] = []
    for block in (body if body is not None else []):
        if block.tag == W + "p":
            lines.append(_docx_text(block))
        elif block.tag == W + "tbl":
            rows: list[list[tuple[str, int, int]]] = []
            for tr in block.iter(W + "tr"):
                row: list[tuple[str, int, int]] = []
                for tc in tr.findall(W + "tc"):
                    props = tc.find(W + "tcPr")
                    span = props.find(W + "gridSpan") if props is not None else None
                    merge = props.find(W + "vMerge") if props is not None else None
                    colspan = _int(span.get(W + "val")) if span is not None else 1
                    if merge is not None and merge.get(W + "val", "continue") == "continue":
                        row.append(("\x00", 1, colspan))  # covered by the cell above
                        continue
                    row.append((" ".join(_docx_text(p) for p in tc.iter(W + "p")).strip(), 1, colspan))
                rows.append(row)
            for cells in rows:
                lines.append(row_line([c for c, _, _ in cells if c != "\x00"]))
    return Source("\n".join(lines), hard_wrapped=False)


def read_source(path: str | Path) -> Source:
    """The text of a report file. Raises SourceError (unsupported or unreadable) or OSError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        require("pdfplumber", "import", SourceError)  # the import extra
        from xltools.extract.pdf_text import pdf_source

        return pdf_source(path)
    if suffix == ".docx":
        return docx_source(path)
    if suffix not in SUFFIXES:
        raise SourceError(f"不支持的文件类型“{suffix or path.name}”（支持 .docx、.html/.htm、.pdf、.txt）")
    text = decode_text(path.read_bytes())
    if text is None:
        raise SourceError("无法识别文件的文字编码（支持 UTF-8 和 GBK/GB18030）")
    if suffix in (".html", ".htm"):
        return html_source(text)
    return Source(text, hard_wrapped=True)
