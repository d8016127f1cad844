"""The Word tables are written as XML text in one pass (``docx_writer._table_xml``) and the styles are added
without python-docx's name scan (``docx_writer._add_style``); the document is byte for byte the one python-docx's
own API writes (``add_table``, ``tc.merge``, cell, paragraph and run properties, ``styles.add_style``), for the
format's three tables and for texts and layouts that take the unusual paths."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from helpers import clean_document

from xltools.format.spec import load_spec
from xltools.publish import docx_writer
from xltools.publish.model import GridCell, ReportContent, TableGrid, report_content
from xltools.reading.document import parse_document

SPEC = load_spec()


def python_docx_table(doc: Any, grid: TableGrid, table_style_id: str, text_style_id: str) -> None:
    """The table laid out with python-docx's API (how docx_writer wrote it before, one call per property)."""
    table = doc.add_table(rows=grid.n_rows, cols=grid.n_cols)
    table._tbl.tblPr.style = table_style_id
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(57 if grid.id == "T2" else 28))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    table._tbl.tblPr.append(margins)
    total = sum(grid.widths)
    widths = [int(docx_writer.TEXT_WIDTH * w / total) for w in grid.widths]
    for i, column in enumerate(table.columns):
        column.width = widths[i]
    tcs = [list(tr.tc_lst) for tr in table._tbl.tr_lst]
    for row_tcs in tcs:
        for i, tc in enumerate(row_tcs):
            tc.width = widths[i]
    for i, row in enumerate(table.rows):
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        row.height = docx_writer.ROW_HEIGHTS.get(grid.id, Mm(8))
        for tag in ("w:cantSplit", "w:tblHeader") if i < grid.header_rows else ("w:cantSplit",):
            flag = OxmlElement(tag)
            flag.set(qn("w:val"), "true")
            row._tr.get_or_add_trPr().append(flag)
    for g in grid.cells():
        tc = tcs[g.row][g.col]
        if g.rowspan > 1 or g.colspan > 1:
            tc = tc.merge(tcs[g.row + g.rowspan - 1][g.col + g.colspan - 1])
        cell = _Cell(tc, table)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        paragraph = cell.paragraphs[0]
        paragraph._p.style = text_style_id
        if g.kind in ("rowhead", "caption", "note"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        if g.kind == "rowhead" and g.rowspan > 1 and g.colspan == 1:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(g.text)
        run.font.size = docx_writer.TABLE_SIZES.get(grid.id, Pt(10.5))
        if g.kind == "caption":
            shd = OxmlElement("w:shd")
            for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", "DCE6F2")):
                shd.set(qn(key), value)
            cell._tc.get_or_add_tcPr().append(shd)


def package(content: ReportContent, path: Path) -> dict[str, bytes]:
    docx_writer.write_docx(content, str(path), created=dt.datetime(2024, 1, 2, 3, 4, 5))
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def with_tables(content: ReportContent, change: Any) -> ReportContent:
    blocks = [b._replace(table=change(b.table)) if b.table is not None else b for b in content.blocks]
    return content._replace(blocks=tuple(blocks))


def odd_texts(grid: TableGrid) -> TableGrid:
    """Texts with spaces at the ends, a tab, line breaks, quotes and XML's special characters; and empty ones."""
    texts = [' 甲&乙<丙>\t "引号" \'单\'\n第二行\r第三行 ', "", "  ", "\t", "a\n", "&amp;"]
    cells = iter(texts * 100)
    rows = tuple(tuple(g._replace(text=next(cells)) if g.kind == "value" or g.row == 1 else g for g in row)
                 for row in grid.rows)
    return grid._replace(rows=rows)


def odd_layout(_: TableGrid) -> TableGrid:
    """Spans the official tables do not have: a grid position without a cell, a vertical span of one column in a
    row-head, a vertical span two columns wide, a span at the bottom right corner, an unknown table id."""
    cells = [GridCell(0, 0, 1, 4, "caption", "标题"), GridCell(1, 0, 3, 1, "rowhead", "竖"),
             GridCell(1, 1, 2, 2, "header", "二乘二"), GridCell(1, 3, 1, 1, "note", "注"),
             GridCell(2, 3, 1, 1, "value", "1"), GridCell(3, 1, 1, 1, "value", "2"),
             GridCell(3, 2, 2, 2, "value", "3"), GridCell(4, 0, 1, 1, "rowhead", "末")]
    rows = tuple(tuple(c for c in cells if c.row == r) for r in range(5))
    return TableGrid("T9", "试验", 5, 4, rows, (3.0, 1.0, 1.5, 2.0), 2)


@pytest.mark.parametrize("case", ["clean", "draft", "odd texts", "odd layout"])
def test_tables_are_byte_identical_to_python_docx(tmp_path: Path, case: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _, doc = parse_document(clean_document())
    content = report_content(SPEC, doc, 3 if case == "draft" else 0)
    if case == "odd texts":
        content = with_tables(content, odd_texts)
    if case == "odd layout":
        content = with_tables(content, odd_layout)
    ours = package(content, tmp_path / "ours.docx")
    monkeypatch.setattr(docx_writer, "_add_table", python_docx_table)
    monkeypatch.setattr(docx_writer, "_add_style", lambda doc, name, kind: doc.styles.add_style(name, kind))
    theirs = package(content, tmp_path / "theirs.docx")
    assert list(ours) == list(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []
    document = ours["word/document.xml"]
    assert document.count(b"<w:tbl>") == 3
    if case == "odd texts":
        assert b'<w:t xml:space="preserve"> \xe7\x94\xb2&amp;\xe4\xb9\x99&lt;' in document and b"<w:tab/>" in document
