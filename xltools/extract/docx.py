"""Text out of Word documents (.docx): the zip package read within the limits (``xltools.limits``: file size,
uncompressed size and compression ratio of the one part read, table spans and cells), the document XML parsed
with defusedxml (no entities, no DTDs), paragraphs and table rows as lines.

Only ``word/document.xml`` is ever decompressed, and at most ``part_mb`` + 1 byte of it, whatever the zip
directory declares.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element

from xltools import safexml
from xltools.extract.cells import TABLE_MARK, Slot, Table, clean
from xltools.extract.lines import Source, SourceError, TableBudget, row_line
from xltools.extract.tables import PICTURE
from xltools.limits import ENV, LimitError, limits
from xltools.publish.model import DRAFT_MARK

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOCUMENT = "word/document.xml"
_RESAVE = "请用 Word/WPS 打开后另存为 .docx 再试"
MAX_TABLE_DEPTH = 8  # tables inside tables inside tables…: a report has at most a layout table around its tables


def _int(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def read_part(path: Path, name: str) -> bytes:
    """One part of a zip package, within the limits. Raises SourceError (not a zip, part missing, damaged) or
    LimitError (too large, compressed suspiciously well)."""
    limit = limits()
    try:
        with zipfile.ZipFile(path) as z:
            try:
                info = z.getinfo(name)
            except KeyError:
                raise SourceError(f"Word 文档不完整（缺少正文 {name}），可能已损坏：{_RESAVE}",
                                  f"the Word document has no {name} (damaged?): open and save it again") from None
            if info.file_size > 1_048_576 and info.file_size > limit.ratio * max(1, info.compress_size):
                raise _ratio(info.file_size, info.compress_size, limit.ratio)
            if info.file_size > limit.part_bytes:
                raise _too_large(info.file_size, limit.part_mb)
            with z.open(info) as f:
                data = f.read(limit.part_bytes + 1)
    except zipfile.BadZipFile as exc:
        with open(path, "rb") as f:
            if f.read(4) == b"\xd0\xcf\x11\xe0":  # an OLE file: Word 97-2003, or a .docx with a password
                raise SourceError("这是旧版 .doc 文件或加密的 Word 文档，无法读取：请在 Word/WPS 中去掉密码，"
                                  "另存为 .docx 再试",
                                  "an old .doc or an encrypted Word document: remove the password and save it "
                                  "as .docx") from None
        raise SourceError(f"不是有效的 Word 文档（.docx 文件已损坏或不是 Word 格式：{exc}）：{_RESAVE}",
                          f"not a valid Word document (.docx): {exc}; open and save it again") from None
    except (EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as exc:  # truncated, encrypted…
        raise SourceError(f"Word 文档已损坏，无法解压正文（{type(exc).__name__}）：{_RESAVE}",
                          f"the Word document is damaged ({exc}): open and save it again") from None
    if len(data) > limit.part_bytes:  # the directory lied about the size
        raise _too_large(len(data), limit.part_mb)
    return data


def _too_large(size: int, limit_mb: float) -> LimitError:
    return LimitError(f"Word 文档的正文解压后太大（超过 {limit_mb:g} MB），不像年度报告：请确认文件"
                      f"（上限可由 {ENV}=part_mb=… 调整）",
                      f"the Word document's text is too large uncompressed (over {limit_mb:g} MB; see {ENV})")


def _ratio(size: int, packed: int, ratio: float) -> LimitError:
    return LimitError(f"Word 文档的正文压缩比异常（{size / max(1, packed):.0f} 倍，上限 {ratio:g} 倍），"
                      f"可能是恶意文件，未读取（上限可由 {ENV}=ratio=… 调整）",
                      f"the Word document's text is compressed {size / max(1, packed):.0f}× (limit {ratio:g}×): "
                      f"refused as a possible zip bomb (see {ENV})")


def _table_depth(root: Element) -> int:
    """How deep tables nest in the document (1: tables without tables inside), in one pass."""
    deepest = 0
    stack = [(root, 0)]
    while stack:
        el, depth = stack.pop()
        if el.tag == W + "tbl":
            depth += 1
            deepest = max(deepest, depth)
        stack.extend((child, depth) for child in el)
    return deepest


def _text(el: Element) -> str:
    parts: list[str] = []
    for node in el.iter():
        if node.tag == W + "t" and node.text:
            parts.append(node.text)
        elif node.tag == W + "tab":
            parts.append(" ")
        elif node.tag in (W + "br", W + "cr"):
            parts.append("\n")
        elif node.tag in (W + "drawing", W + "pict"):
            parts.append(PICTURE)
    return "".join(parts)


def docx_source(path: Path) -> Source:
    """The text of a Word document. Raises SourceError or LimitError."""
    data = read_part(path, DOCUMENT)
    try:
        root = safexml.parse(data)
    except (safexml.ParseError, ValueError) as exc:
        raise SourceError(f"Word 文档已损坏（正文 {DOCUMENT} 无法解析：{exc}）：{_RESAVE}",
                          f"the Word document is damaged ({DOCUMENT} cannot be parsed: {exc})") from None
    except safexml.HostileXML:
        raise SourceError(f"Word 文档的正文含有不允许的 XML 结构（实体或 DTD），未读取：{_RESAVE}",
                          "the Word document's XML has entities or a DTD: refused") from None
    if _table_depth(root) > MAX_TABLE_DEPTH:  # each level's rows are read again with its parent's: bounded work
        raise SourceError(f"Word 文档中的表格嵌套超过 {MAX_TABLE_DEPTH} 层，不像年度报告，未读取：{_RESAVE}，"
                          "或把表格复制为普通表格",
                          f"the Word document nests tables more than {MAX_TABLE_DEPTH} deep: refused")
    body = root.find(W + "body")
    lines: list[str] = []
    tables: list[Table] = []
    budget = TableBudget(str(path.name))
    span_limit = limits().table_span
    for block in (body if body is not None else []):
        if block.tag == W + "p":
            lines.append(_text(block))
        elif block.tag == W + "tbl":
            lines.append(TABLE_MARK)
            tables.append(_cells(block, span_limit))
            for tr in block.iter(W + "tr"):
                row: list[str] = []
                width = 0
                for tc in tr.findall(W + "tc"):
                    props = tc.find(W + "tcPr")
                    span = props.find(W + "gridSpan") if props is not None else None
                    width += min(_int(span.get(W + "val")) if span is not None else 1, span_limit)
                    merge = props.find(W + "vMerge") if props is not None else None
                    if merge is not None and merge.get(W + "val", "continue") == "continue":
                        continue  # covered by the cell above
                    row.append(" ".join(_text(p) for p in tc.iter(W + "p")).strip())
                budget.spend(width)
                lines.append(row_line(row))
    draft = _draft_mark(path)
    return Source("\n".join([draft, *lines] if draft else lines), hard_wrapped=False, tables=tuple(tables))


def _cells(tbl: Element, span_limit: int) -> Table:
    """A Word table as its grid: a cell spanning columns (gridSpan) covers them; a cell merged with the one
    above (vMerge continue) is that cell."""
    rows: list[list[Slot]] = []
    above: dict[int, Slot] = {}
    for r, tr in enumerate(tbl.findall(W + "tr")):
        row: list[Slot] = []
        for tc in tr.findall(W + "tc"):
            props = tc.find(W + "tcPr")
            span = props.find(W + "gridSpan") if props is not None else None
            width = min(_int(span.get(W + "val")) if span is not None else 1, span_limit)
            merge = props.find(W + "vMerge") if props is not None else None
            col = len(row)
            if merge is not None and merge.get(W + "val", "continue") == "continue":
                slots = [above.get(col + k, Slot("", (r, col + k))) for k in range(width)]
            else:
                slots = [Slot(clean(" ".join(_text(p) for p in tc.iter(W + "p"))), (r, col))] * width
            for k, slot in enumerate(slots):
                above[col + k] = slot
            row.extend(slots)
        rows.append(row)
    return Table(rows)


def _draft_mark(path: Path) -> str | None:
    """The draft mark of a --force export (kept in the document's properties; on the pages it is a page header,
    which is not read), as its own line for the parser to recognise; None for any other document."""
    try:
        core = read_part(path, "docProps/core.xml").decode("utf-8", "replace")
    except (SourceError, LimitError):
        return None
    found = DRAFT_MARK.search(core)
    return found.group(0) if found else None
