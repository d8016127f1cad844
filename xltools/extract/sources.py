"""Text out of the files reports come in: .txt and Markdown (.md), web pages (.html/.htm) and Word (.docx, in
docx.py). PDFs are in pdf_text.py.

Tables are kept as their cells (``Source.tables``, cells.py: merged cells stay one cell) and also become one line
per row, cells separated by spaces, a blank cell of a data row written as "∅" so that a row keeps its positions;
pictures become "〔图片〕" so that a table published as an image is recognised. Web pages are read with the
standard library's html.parser in one pass: text, rows, rowspan/colspan and pictures need nothing more (lxml stays
with the Word writer, its one importer). Every source is read within the limits (``xltools.limits``): file size,
table spans and cells.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from html.parser import HTMLParser
from pathlib import Path

from xltools.errors import require
from xltools.extract.cells import TABLE_MARK, Table, is_pipe_row, pipe_table, span_grid
from xltools.extract.docx import docx_source
from xltools.extract.lines import Source, SourceError, TableBudget, grid_rows, row_line
from xltools.extract.tables import PICTURE
from xltools.limits import check_file_size, limits
from xltools.reading.textfile import decode_text

SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
_BLOCK = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "section", "article", "title", "tr",
          "table", "ul", "ol", "blockquote", "pre", "header", "footer", "dt", "dd"}
_SKIP = {"script", "style", "noscript", "nav", "select", "button", "iframe", "svg", "head"}
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_SAMPLE = 65536  # characters looked at to tell text from binary data
_BINARY_SHARE = 0.01  # more control characters than this share: not a text file


class _Page(HTMLParser):
    def __init__(self, budget: TableBudget) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list[str]] = [[]]  # each line as its pieces: joined once at the end (linear time)
        self.skip = 0
        self.tables: list[list[list[tuple[str, int, int]]]] = []
        self.found: list[Table] = []  # every table as cells, in the order of their marks
        self.cell: list[str] | None = None
        self.span = (1, 1)
        self.budget = budget

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
            self.lines.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in ("td", "th") and self.cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(("".join(self.cell), *self.span))
            self.cell = None
        elif tag == "table" and self.tables:
            rows = self.tables.pop()
            lines = [row_line(cells) for cells in grid_rows(rows, self.budget)]
            if any(lines):  # a layout table around the page keeps its text, without a mark of its own
                self.lines.append([TABLE_MARK])
                self.found.append(span_grid(rows, limits().table_span))
            self.lines.extend([ln] for ln in lines)
            self.lines.append([])
        elif tag in _BLOCK and self.cell is None:
            self.lines.append([])

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self._text(data)

    def _text(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        else:
            self.lines[-1].append(data.replace("\n", " "))


def _int(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def html_source(text: str, name: str = "网页") -> Source:
    page = _Page(TableBudget(name))
    page.feed(text)
    page.close()
    lines = [re.sub(r"[ \t\u00a0\u3000]+", " ", "".join(ln)).strip() for ln in page.lines]
    return Source("\n".join(ln for ln in lines if ln), hard_wrapped=False, tables=tuple(page.found))


_MD_MARKUP = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?)|\*\*|__|^\s*[-*]\s+(?=\S)", re.M)


def text_source(text: str, markdown: bool = False) -> Source:
    """A .txt or .md report: Markdown pipe tables (reports converted from PDF or OCR) are read as tables, each
    row also written as a line of the text; in .md, heading markers and bold marks are dropped."""
    text = text.replace(TABLE_MARK, "")
    if markdown:
        text = _MD_MARKUP.sub("", text)
    if "|" not in text:
        return Source(text, hard_wrapped=True)
    out: list[str] = []
    tables: list[Table] = []
    block: list[str] = []
    for line in [*text.split("\n"), ""]:
        if is_pipe_row(line):
            block.append(line)
            continue
        if block:
            table = pipe_table(block)
            tables.append(table)
            out.append(TABLE_MARK)
            out.extend(row_line([s.text for s in row]) for row in table.rows)
        block = []
        out.append(line)
    return Source("\n".join(out[:-1]), hard_wrapped=True, tables=tuple(tables))


def _declared(raw: bytes) -> str | None:
    """The encoding a web page declares (<meta charset=…>), when Python knows it."""
    m = _CHARSET.search(raw[:4096])
    if m is None:
        return None
    try:
        return codecs.lookup(m.group(1).decode("ascii")).name
    except LookupError:
        return None


def _binary(raw: bytes) -> bool:
    """Bytes that are data, not text: NUL bytes or many control bytes in the first ``_SAMPLE``."""
    sample = raw[:_SAMPLE]
    controls = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    return b"\x00" in sample or controls > _BINARY_SHARE * max(1, len(sample))


def _decode(raw: bytes, html: bool) -> str:
    """The text of a .txt or web page: UTF-8, GB18030, UTF-16 with its BOM (Notepad's "Unicode"), or the
    encoding a web page declares. Raises SourceError for binary data or an unknown encoding."""
    kind = "网页" if html else "文本文件"
    text = raw.decode("utf-16") if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else None
    if text is None and _binary(raw):
        raise SourceError(f"文件内容不是文字（是二进制数据，可能是扩展名不对或文件已损坏），无法作为{kind}导入："
                          "请确认文件；Word 文档请用 .docx，PDF 请用 .pdf",
                          "the file holds binary data, not text (wrong extension or damaged): please check it")
    text = text if text is not None else decode_text(raw)
    declared = _declared(raw) if html and text is None else None
    if declared:  # neither UTF-8 nor GB18030: the page's own declaration (Big5, Shift-JIS…), if it holds
        with contextlib.suppress(UnicodeDecodeError):
            text = raw.decode(declared)
    if text is None:
        raise SourceError(f"无法识别{kind}的文字编码（支持 UTF-8 和 GBK/GB18030）：请用记事本或浏览器打开，"
                          "另存为 UTF-8 编码后再导入",
                          "cannot tell the text encoding (UTF-8 and GBK/GB18030 are supported): save the file "
                          "as UTF-8 and try again")
    return text


def read_source(path: str | Path, ocr: bool = False) -> Source:
    """The text of a report file (``ocr``: a scanned PDF is read by OCR). Raises SourceError (unsupported or
    unreadable), LimitError (too large) or OSError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SourceError(f"不支持的文件类型“{suffix or path.name}”（支持 .docx、.html/.htm、.pdf、.txt、.md）",
                          f"unsupported file type “{suffix or path.name}” (.docx, .html/.htm, .pdf, .txt, .md)")
    if path.exists() and not path.is_file():  # a folder, a pipe or a device: reading it could wait forever
        raise SourceError("不是普通文件（可能是文件夹、管道或设备），无法导入：请选择报告文件本身",
                          "not a regular file (a folder, pipe or device): choose the report file itself")
    check_file_size(path, "导入的文件")
    if suffix == ".pdf":
        require("pdfplumber", "import", SourceError)  # the import extra
        from xltools.extract.pdf_text import pdf_source

        return pdf_source(path, ocr)
    if suffix == ".docx":
        return docx_source(path)
    html = suffix in (".html", ".htm")
    text = _decode(path.read_bytes(), html)
    if html:
        return html_source(text, path.name)
    return text_source(text, markdown=suffix == ".md")
