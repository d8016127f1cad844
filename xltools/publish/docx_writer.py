"""The report as a Word document laid out like a published Chinese official document (the only module importing
python-docx).

Typography follows GB/T 9704-2012 conventions: A4, margins 37/35/28/26 mm (版心 156 × 225 mm), title in
方正小标宋简体 二号, body 仿宋_GB2312 三号 on a fixed 28.95 pt line (22 lines a page), level-1 headings 黑体,
level-2 楷体, page numbers "— n —" in 宋体 四号, odd pages right and even pages left. Every font also names the
standard Windows face Word substitutes when the official one is missing (see FONT_FALLBACKS and docs/export.md).
A draft (exported despite errors) carries a red "草稿（有 N 个错误，未经校验通过）" in the header of every page;
a section without text prints "（未填写）" after its heading.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Length, Mm, Pt, RGBColor
from docx.styles.style import StyleFactory
from docx.text.paragraph import Paragraph as DocxParagraph

from xltools.publish.model import EMPTY_SECTION, Block, GridCell, ReportContent, TableGrid

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
OFFICIAL_FONTS = (TITLE_FONT, BODY_FONT, HEADING1_FONT, HEADING2_FONT, TABLE_FONT)  # the Chinese faces used
# What Word uses when the official font is not installed (w:altName in the font table), all standard on Windows.
FONT_FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", HEADING2_FONT: "楷体", HEADING1_FONT: "黑体",
                  TABLE_FONT: "宋体"}
_FONT_FAMILY = {TITLE_FONT: "roman", BODY_FONT: "modern", HEADING1_FONT: "modern", HEADING2_FONT: "modern",
                TABLE_FONT: "auto"}

BODY_SIZE = Pt(16)  # 三号
LINE = Pt(28.95)  # 22 lines on a 225 mm 版心
INDENT = Pt(32)  # two characters of 三号
TEXT_WIDTH = Mm(156)
TABLE_SIZES = {"T2": Pt(10.5), "T3": Pt(9), "T4": Pt(9)}  # 五号; 小五 for the wide tables
ROW_HEIGHTS = {"T2": Mm(8), "T3": Mm(6.5), "T4": Mm(9)}

STYLE_TITLE, STYLE_H1, STYLE_H2, STYLE_TABLE, STYLE_SIGNATURE, STYLE_FOOTER, STYLE_LEAD = (
    "报告标题", "一级标题", "二级标题", "表格文字", "落款", "页码", "楷体强调")
TABLE_STYLE = "Table Grid"
DRAFT_COLOR = RGBColor(0xC0, 0x00, 0x00)
_BREAKS = re.compile(r"(\t|\r|\n)")


def _set_fonts(rpr_owner: Any, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set the East Asian and Latin fonts of a style or run (python-docx sets only the Latin ones)."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


def _add_style(doc: Any, name: str, style_type: WD_STYLE_TYPE) -> Any:
    """``doc.styles.add_style`` without its check for a clash, which reads the name of every style of the document
    for each style added; one look-up by name does the same."""
    styles = doc.styles.element
    if styles.get_by_name(name) is not None:
        raise ValueError(f"document already contains style '{name}'")
    return StyleFactory(styles.add_style_of_type(name, style_type, False))


def _paragraph_style(doc: Any, name: str, font: str, size: Pt, *, align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY,
                     line: Length | None = LINE, indent: Length | None = None, outline: int | None = None,
                     latin: str = LATIN_FONT) -> Any:
    style = _add_style(doc, name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    style.font.size = size
    style.font.bold = False
    _set_fonts(style.element, font, latin)
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.first_line_indent = indent if indent is not None else Pt(0)
    if line is None:
        fmt.line_spacing = 1.0
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = line
    if outline is not None:
        lvl = OxmlElement("w:outlineLvl")
        lvl.set(qn("w:val"), str(outline))
        style.element.get_or_add_pPr().append(lvl)
    return style


def _document_language(doc: Any) -> None:
    """zh-CN for East Asian text: picks Simplified Chinese glyphs and Chinese line breaking."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")


def _setup_styles(doc: Any, for_libreoffice: bool) -> dict[str, str]:
    """Create the named styles; returns their style ids by name (looked up once, used for every paragraph)."""
    _document_language(doc)
    normal = doc.styles["Normal"]
    normal.font.size = BODY_SIZE
    _set_fonts(normal.element, BODY_FONT)
    fmt = normal.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = INDENT
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.widow_control = True
    if for_libreoffice:
        # LibreOffice (7.4) drops a "，" that hangs into the margin at the end of a justified line from the PDF;
        # left-aligned lines keep it. CJK lines are full either way, so the page looks the same.
        fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT
    styles = [_paragraph_style(doc, STYLE_TITLE, TITLE_FONT, Pt(22), align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36),
                               outline=0, latin=TITLE_FONT)]
    h1 = _paragraph_style(doc, STYLE_H1, HEADING1_FONT, BODY_SIZE, indent=INDENT, outline=1)
    h1.paragraph_format.keep_with_next = True
    h2 = _paragraph_style(doc, STYLE_H2, HEADING2_FONT, BODY_SIZE, indent=INDENT, outline=2)
    h2.paragraph_format.keep_with_next = True
    table_text = _paragraph_style(doc, STYLE_TABLE, TABLE_FONT, Pt(10.5), align=WD_ALIGN_PARAGRAPH.CENTER, line=None)
    sig = _paragraph_style(doc, STYLE_SIGNATURE, BODY_FONT, BODY_SIZE, align=WD_ALIGN_PARAGRAPH.RIGHT)
    sig.paragraph_format.right_indent = INDENT
    footer = _paragraph_style(doc, STYLE_FOOTER, TABLE_FONT, Pt(14), line=None)
    run_style = _add_style(doc, STYLE_LEAD, WD_STYLE_TYPE.CHARACTER)
    _set_fonts(run_style.element, HEADING2_FONT)
    styles += [h1, h2, table_text, sig, footer, run_style, doc.styles[TABLE_STYLE]]
    return {style.name: style.style_id for style in styles}


def _font_table(doc: Any) -> None:
    """Declare the official fonts with the Windows face Word should use when one is missing."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    part = doc.part.part_related_by(RT.FONT_TABLE)
    from lxml import etree  # python-docx's own XML library

    root = etree.fromstring(part.blob)
    for name, alt in FONT_FALLBACKS.items():
        font = etree.SubElement(root, qn("w:font"), {qn("w:name"): name})
        if alt != name:
            etree.SubElement(font, qn("w:altName"), {qn("w:val"): alt})
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): "86"})  # GB2312
        etree.SubElement(font, qn("w:family"), {qn("w:val"): _FONT_FAMILY[name]})
        etree.SubElement(font, qn("w:pitch"), {qn("w:val"): "variable"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_setup(doc: Any, ids: dict[str, str]) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(24)
    doc.settings.odd_and_even_pages_header_footer = True
    odd = section.footer.paragraphs[0]
    even = section.even_page_footer.paragraphs[0]
    for paragraph, align in ((odd, WD_ALIGN_PARAGRAPH.RIGHT), (even, WD_ALIGN_PARAGRAPH.LEFT)):
        paragraph._p.style = ids[STYLE_FOOTER]
        paragraph.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            paragraph.paragraph_format.right_indent = Pt(14)
        else:
            paragraph.paragraph_format.left_indent = Pt(14)
        _page_number(paragraph)


def _page_number(paragraph: DocxParagraph) -> None:
    """"— 3 —": a PAGE field between two 一字线."""
    paragraph.add_run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text or ""
    paragraph.add_run(" —")


def _escape(text: str, quote: bool = False) -> str:
    """Text for XML content, or with ``quote`` for a double-quoted attribute, escaped as lxml writes it
    (xml.sax.saxutils would import urllib.request)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def _twips(length: int) -> int:
    return int(Length(length).twips)


def _run_content(text: str) -> str:
    """A run's content as python-docx writes it for ``run.text``: a tab is ``w:tab``, a line break ``w:br``, the
    rest ``w:t`` (keeping its spaces when it starts or ends with one)."""
    parts = []
    for i, piece in enumerate(_BREAKS.split(text)):
        if i % 2:
            parts.append("<w:tab/>" if piece == "\t" else "<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            parts.append(f"<w:t{space}>{_escape(piece)}</w:t>")
    return "".join(parts)


def _table_xml(grid: TableGrid, table_style_id: str, text_style_id: str) -> str:
    """One table's ``w:tbl`` as XML text, exactly as python-docx's ``add_table``, ``tc.merge`` and the cell, paragraph
    and run properties write it (tests/test_docx_tables.py compares the two), built in one pass: python-docx's
    element API finds the place of every child element by XPath, and ``merge`` walks the grid for every span."""
    total = sum(grid.widths)
    widths = [_twips(int(TEXT_WIDTH * w / total)) for w in grid.widths]
    size = int(Length(TABLE_SIZES.get(grid.id, Pt(10.5))).pt * 2)  # half points
    height = _twips(ROW_HEIGHTS.get(grid.id, Mm(8)))
    margin = 57 if grid.id == "T2" else 28  # 1 mm / 0.5 mm: the wide tables need every millimetre
    # Every grid position: the cell whose top-left corner it is, or the merged cell covering it.
    origin: dict[tuple[int, int], GridCell] = {}
    covered: dict[tuple[int, int], GridCell] = {}
    for g in grid.cells():
        origin[g.row, g.col] = g
        for r in range(g.row, g.row + g.rowspan):
            for c in range(g.col, g.col + g.colspan):
                covered.setdefault((r, c), g)
    out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="{_escape(table_style_id, True)}"/>'
           '<w:tblW w:type="auto" w:w="0"/><w:jc w:val="center"/><w:tblLayout w:type="fixed"/>'
           '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" w:noVBand="1" '
           f'w:val="04A0"/><w:tblCellMar><w:left w:w="{margin}" w:type="dxa"/><w:right w:w="{margin}" '
           'w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>']
    out += [f'<w:gridCol w:w="{w}"/>' for w in widths]
    out.append("</w:tblGrid>")
    style = _escape(text_style_id, True)
    for r in range(grid.n_rows):
        header = '<w:tblHeader w:val="true"/>' if r < grid.header_rows else ""
        out.append(f'<w:tr><w:trPr><w:trHeight w:hRule="atLeast" w:val="{height}"/><w:cantSplit w:val="true"/>'
                   f"{header}</w:trPr>")
        c = 0
        while c < grid.n_cols:
            found = covered.get((r, c))
            if found is None:  # no cell of the grid here: left as python-docx created it
                out.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{widths[c]}"/></w:tcPr><w:p/></w:tc>')
                c += 1
                continue
            g = found
            span = f'<w:gridSpan w:val="{g.colspan}"/>' if g.colspan > 1 else ""
            width = sum(widths[c:c + g.colspan])
            if origin.get((r, c)) is not g:  # a row below the top of a vertical span
                out.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{span}<w:vMerge/></w:tcPr>'
                           "<w:p/></w:tc>")
                c += g.colspan
                continue
            merge = '<w:vMerge w:val="restart"/>' if g.rowspan > 1 else ""
            shade = '<w:shd w:val="clear" w:color="auto" w:fill="DCE6F2"/>' if g.kind == "caption" else ""
            align = ""
            if g.kind in ("rowhead", "caption", "note"):
                align = '<w:jc w:val="left"/>'
            if g.kind == "rowhead" and g.rowspan > 1 and g.colspan == 1:
                align = '<w:jc w:val="center"/>'
            out.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{span}{merge}<w:vAlign w:val="center"/>'
                       f'{shade}</w:tcPr><w:p><w:pPr><w:pStyle w:val="{style}"/>{align}</w:pPr><w:r><w:rPr>'
                       f'<w:sz w:val="{size}"/></w:rPr>{_run_content(g.text)}</w:r></w:p></w:tc>')
            c += g.colspan
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def _add_table(doc: Any, grid: TableGrid, table_style_id: str, text_style_id: str) -> None:
    """Lay out one table: its XML written in one piece (``_table_xml``) and parsed once."""
    doc.element.body._insert_tbl(parse_xml(_table_xml(grid, table_style_id, text_style_id)))


def _add_block(doc: Any, block: Block, after_table: bool, ids: dict[str, str]) -> None:
    heading = _paragraph(doc, block.title, ids[STYLE_H1])
    if after_table:
        heading.paragraph_format.space_before = Pt(12)
    if block.table is not None:
        _add_table(doc, block.table, ids[TABLE_STYLE], ids[STYLE_TABLE])
        return
    if not block.paragraphs:  # never a bare heading: say that the section was left empty (only drafts have one)
        _red(heading.add_run(EMPTY_SECTION))
    for p in block.paragraphs:
        if p.lead and p.lead == p.text:
            _paragraph(doc, p.text, ids[STYLE_H2])
            continue
        paragraph = doc.add_paragraph()
        if p.lead:
            paragraph.add_run(p.lead)._r.style = ids[STYLE_LEAD]
        paragraph.add_run(p.text[len(p.lead):])


def _paragraph(doc: Any, text: str, style_id: str) -> DocxParagraph:
    """A body paragraph in the style ``style_id`` (set by id: python-docx's lookup by name scans every style)."""
    paragraph: DocxParagraph = doc.add_paragraph(text)
    paragraph._p.style = style_id
    return paragraph


def _red(run: Any) -> Any:
    run.font.color.rgb = DRAFT_COLOR
    return run


def _draft_header(doc: Any, mark: str, ids: dict[str, str]) -> None:
    """The draft mark at the top of every page: odd and even pages have headers of their own."""
    section = doc.sections[0]
    for header in (section.header, section.even_page_header):
        paragraph = header.paragraphs[0]
        paragraph._p.style = ids[STYLE_FOOTER]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = _red(paragraph.add_run(mark))
        run.font.bold = True
        run.font.size = Pt(12)
        _set_fonts(run._r, HEADING1_FONT)


def write_docx(content: ReportContent, path: str, *, created: dt.datetime | None = None,
               for_libreoffice: bool = False) -> None:
    """Write the report to ``path`` (.docx); ``for_libreoffice`` when it is only the input of the PDF conversion."""
    doc = Document()
    ids = _setup_styles(doc, for_libreoffice)
    _font_table(doc)
    _page_setup(doc, ids)
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):  # the default template's empty first paragraph
        body.remove(p)
    title = _paragraph(doc, "", ids[STYLE_TITLE])
    for i, line in enumerate(content.title_lines):
        if i:
            title.add_run().add_break()
        title.add_run(line)
    _paragraph(doc, "", ids[STYLE_TITLE])  # one blank line under the title
    if content.draft:
        _draft_header(doc, content.draft, ids)
    previous: Block | None = None
    for block in content.blocks:
        _add_block(doc, block, previous is not None and previous.table is not None, ids)
        previous = block
    if content.unit or content.date_text:
        doc.add_paragraph("")
        doc.add_paragraph("")
        for text in (content.unit, content.date_text):
            if text:
                _paragraph(doc, text, ids[STYLE_SIGNATURE])
    props = doc.core_properties
    props.title = content.title
    props.author = content.unit
    props.subject = "政府信息公开工作年度报告"
    props.keywords = f"政府信息公开;{content.year or ''}"
    props.comments = content.draft or "由 xltools 从已校验的工作簿生成"
    props.last_modified_by = "xltools"
    props.revision = 1
    stamp = created or dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    props.created = props.modified = stamp
    doc.save(path)
