"""正文 in paragraph rows: long multi-paragraph text is written one paragraph a row, read back exactly, shown and
printed whole within the A4 margins; rows a clerk inserts belong to their section; workbooks of the one-cell layout
(template version 1) still read as before; the cover's verdict row is never read."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import DATA, EXAMPLE_JSON, check_json, clean_document, findings_of, libreoffice_convert, run, write_doc

from xltools.format.addresses import parse_address, to_address
from xltools.format.build import build, build_file, shipped_sources
from xltools.format.errors import FormatError
from xltools.format.layout import MAX_ROW_PT, fits_one_row, paragraph_rows, row_capacity, text_height, text_lines
from xltools.format.spec import load_spec, parse_spec
from xltools.reading.labels import Grid
from xltools.reading.locate import locate_cells, name_target
from xltools.reading.rawbook import RawBook

SPEC = load_spec()
BODY = next(s for s in SPEC.sheets if s.role == "text")
COVER = next(s for s in SPEC.sheets if s.role == "cover")
TEXT_CELLS = [c for c in SPEC.cells if c.type == "text"]
SOURCE = shipped_sources()[0][0]
V1 = DATA / "layout-v1.xlsx"  # written by template version 1 (one cell per section) from EXAMPLE_JSON
LENGTHS = (1000, 600, 500, 400, 300, 200)  # 3,000 characters a section


def long_texts() -> dict[str, str]:
    """3,000 CJK characters per text section in paragraphs of LENGTHS; no character occurs twice in the document,
    so that a lost, cut or reordered line shows."""
    texts, code = {}, 0x4E00
    for cell in TEXT_CELLS:
        paragraphs = []
        for n in LENGTHS:
            paragraphs.append("".join(chr(code + i) for i in range(n)))
            code += n
        texts[cell.id] = "\n".join(paragraphs)
    return texts


def with_texts(texts: dict[str, str]) -> dict[str, Any]:
    doc = clean_document()
    doc["texts"] = dict(texts)
    return doc


def dumped_texts(book: Path) -> dict[str, str]:
    result = run("dump", book)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout)["texts"])


def block_rows(cell_id: str) -> range:
    first, last = SPEC.cell(cell_id).block.split(":")  # type: ignore[union-attr]
    return range(parse_address(first)[0] + 1, parse_address(last)[0] + 2)  # 1-based, as openpyxl counts


@pytest.fixture(scope="module")
def long_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_doc(with_texts(long_texts()), tmp_path_factory.mktemp("long"))


def test_long_text_is_one_paragraph_a_row_and_reads_back_exactly(long_book: Path) -> None:
    texts = long_texts()
    assert dumped_texts(long_book) == texts
    wb = openpyxl.load_workbook(long_book)
    ws = wb[BODY.name]
    for cell in TEXT_CELLS:
        rows = block_rows(cell.id)
        paragraphs = texts[cell.id].split("\n")
        assert [ws.cell(r, 1).value for r in rows] == paragraphs + [None] * (len(rows) - len(paragraphs))
        heights = [ws.row_dimensions[r].height for r in rows[: len(paragraphs)]]
        assert heights == [text_height(p, BODY.widths["A"]) for p in paragraphs]
        assert all(fits_one_row(p, BODY.widths["A"]) for p in paragraphs)
        assert all(ws.row_dimensions[r].height is None for r in rows[len(paragraphs):])  # empty rows fit themselves
        assert all(ws.cell(r, 1).protection.locked is False for r in rows)
        sheet, ref = next(iter(wb.defined_names[cell.name].destinations))
        assert (sheet, ref.replace("$", "")) == (BODY.name, cell.block)  # the one id names the whole block


def poppler(tool: str, *args: str | Path) -> str:
    exe = shutil.which(tool)
    assert exe, f"{tool} is required (apt-get install poppler-utils); .ci/run installs it"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, check=True, timeout=60).stdout


Word = tuple[float, float, float, float, str]
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def pdf_pages(pdf: Path) -> list[tuple[float, float, list[Word]]]:
    """(width, height, words with their boxes) of every page, from ``pdftotext -bbox``."""
    pages = []
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', poppler("pdftotext", "-bbox", pdf,
                                                                                         "-"), re.S):
        words = [(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in WORD.findall(m[3])]
        pages.append((float(m[1]), float(m[2]), words))
    return pages


@pytest.mark.slow
def test_long_text_prints_whole_within_the_a4_margins(long_book: Path, tmp_path: Path) -> None:
    pdf = libreoffice_convert(long_book, tmp_path, "pdf")
    printed = re.sub(r"\s+", "", poppler("pdftotext", pdf, "-"))
    at = 0
    for cell in TEXT_CELLS:  # every character of every paragraph, in order
        for paragraph in long_texts()[cell.id].split("\n"):
            found = printed.find(paragraph, at)
            assert found >= 0, f"{cell.id}: a paragraph starting {paragraph[:5]} is cut or missing in the PDF"
            at = found + len(paragraph)
    ws = openpyxl.load_workbook(long_book)[BODY.name]
    margins = ws.page_margins
    pages = pdf_pages(pdf)  # the 正文 pages: from its note to the page before 表二's title
    first = next(i for i, p in enumerate(pages) if any(w[4].startswith("填写说明") for w in p[2]))
    end = next(i for i, p in enumerate(pages) if any(w[4] == "二、主动公开政府信息情况" for w in p[2]))
    body_pages = pages[first:end]
    assert len(body_pages) >= 4
    for width, height, words in body_pages:
        assert (width, height) == pytest.approx((595.3, 841.9), abs=0.5)  # A4 portrait
        left, right = margins.left * 72 - 0.5, width - margins.right * 72 + 0.5
        top, bottom = margins.top * 72 - 0.5, height - margins.bottom * 72 + 0.5
        footer = [w for w in words if w[1] >= bottom]
        assert re.fullmatch(r"第\d+页，共\d+页", "".join(w[4] for w in footer))
        for x0, y0, x1, y1, text in words:
            assert left <= x0 and x1 <= right, f"{text[:8]} outside the side margins: {x0:.1f}–{x1:.1f}"
            assert (top <= y0 and y1 <= bottom) or (x0, y0, x1, y1, text) in footer, f"{text[:8]} at y {y0:.1f}"
    for title in ("二、主动公开政府信息情况", "四、政府信息公开行政复议、行政诉讼情况"):  # titles clear of the table
        height, words = next((p[1], p[2]) for p in pdf_pages(pdf) if any(w[4] == title for w in p[2]))
        title_bottom = next(w[3] for w in words if w[4] == title)
        table_top = min(w[1] for w in words if w[4] != title and w[1] < height - margins.bottom * 72)
        assert table_top - title_bottom >= 5, title


def test_blank_lines_many_paragraphs_and_a_long_paragraph_come_back_as_written(tmp_path: Path) -> None:
    s6_rows = len(block_rows("S6.text"))
    many = "\n".join(f"第{n}段。本年度未收取信息处理费。" for n in range(1, s6_rows + 4))
    long_paragraph = "总体情况" * 400  # 1,600 characters: more than one row can show
    texts = {"S1.text": long_paragraph + "\n第二段", "S5.text": "问题一。\n\n  \n改进措施。", "S6.text": many}
    book = write_doc(with_texts(texts), tmp_path)
    assert dumped_texts(book) == texts  # never changed: no paragraph split, none cut, none dropped
    ws = openpyxl.load_workbook(book)[BODY.name]
    s1, s5, s6 = (block_rows(c) for c in ("S1.text", "S5.text", "S6.text"))
    assert (ws.cell(s1[0], 1).value, ws.row_dimensions[s1[0]].height) == (long_paragraph, MAX_ROW_PT)
    assert [ws.cell(r, 1).value for r in s5[:3]] == ["问题一。\n\n  ", "改进措施。", None]
    assert ws.cell(s6[-1], 1).value == "\n".join(many.split("\n")[s6_rows - 1:])  # the rest in the last row
    code, data = check_json(book)
    where = f"{BODY.name}!{SPEC.cell('S1.text').address}"
    assert ("TEXT_PARAGRAPH_TOO_LONG", where) in findings_of(data)
    finding = next(f for f in data["files"][0]["findings"] if f["rule"] == "TEXT_PARAGRAPH_TOO_LONG")
    assert (finding["actual"], finding["expected"], code) == (1600, row_capacity(BODY.widths["A"]), 0)


def test_the_one_cell_layout_of_template_version_1_reads_as_before(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(V1)
    assert {p.name: p.value for p in wb.custom_doc_props.props}["xltools.template_version"] == "1"
    assert next(iter(wb.defined_names["S1_text"].destinations)) == ("正文", "$A$2")  # one cell, not a block
    document = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    assert json.loads(run("dump", V1).stdout) == document
    code, data = check_json(V1)
    assert (code, findings_of(data)) == (1, [("SECTIONS_PRESENT", "正文!A9"), ("S6_FEE_STATEMENT", "正文!A9")])
    current = tmp_path / "current.xlsx"
    assert run("new", "--from", EXAMPLE_JSON, "-o", current).returncode == 0
    pages = []
    for book in (V1, current):
        out = tmp_path / f"{book.stem}.html"
        assert run("export", book, "--format", "html", "--force", "-o", out).returncode == 1  # section 六 missing
        pages.append(out.read_text(encoding="utf-8"))
    assert pages[0] == pages[1]  # the same report from either layout
    for paragraph in (document["texts"]["S1.text"] + "\n" + document["texts"]["S5.text"]).split("\n"):
        assert paragraph in html.unescape(pages[0])


def test_the_cover_verdict_row_is_output_only(tmp_path: Path) -> None:
    assert COVER.verdict is not None
    row, col = parse_address(COVER.verdict)
    fields = [parse_address(c.address)[0] for c in SPEC.cells if c.sheet == COVER.name]
    caption = next(parse_address(b.range.split(":")[0])[0] for b in COVER.boxes if b.style == "caption")
    assert max(fields) < row < caption and col == 1
    assert any(b.range == to_address(row, 0) and b.text == "校验结论" and b.style == "label" for b in COVER.boxes)
    assert all(not (c.sheet == COVER.name and c.address == COVER.verdict) for c in SPEC.cells)
    book = write_doc(clean_document(), tmp_path)
    code, data = check_json(book)
    dumped = run("dump", book).stdout
    for content in ("✘ 表内勾稽：3 处不一致，见“校验”表", "=1/0"):
        wb = openpyxl.load_workbook(book)
        wb[COVER.name][COVER.verdict] = content
        edited = tmp_path / "edited.xlsx"
        wb.save(edited)
        again, found = check_json(edited)
        assert (again, findings_of(found)) == (code, findings_of(data))  # no finding, no stray cell
        assert run("dump", edited).stdout == dumped


# Rows a clerk inserts: the reading of a grid of the 正文 sheet, rows inserted as Excel does it (a defined name's
# range grows when rows go in below its first row and not below its last; it moves down when they go in above).

def body_grid() -> tuple[list[list[Any]], dict[str, tuple[str, str]]]:
    """The blank 正文 sheet as the spec draws it, and the text cells' defined names."""
    last = parse_address(BODY.print_area.split(":")[1])[0]
    rows: list[list[Any]] = [[""] for _ in range(last + 1)]
    for box in BODY.boxes:
        r, _ = parse_address(box.range.split(":")[0])
        rows[r][0] = box.text
    return rows, {c.name: (c.sheet, c.block or c.address) for c in TEXT_CELLS}


def excel_insert(rows: list[list[Any]], names: dict[str, tuple[str, str]], at: int, count: int) -> None:
    rows[at:at] = [[""] for _ in range(count)]
    for name, (sheet, ref) in names.items():
        (r0, c), (r1, _) = (parse_address(a) for a in ref.split(":"))
        if at <= r0:
            r0, r1 = r0 + count, r1 + count
        elif at <= r1:
            r1 += count
        names[name] = (sheet, f"{to_address(r0, c)}:{to_address(r1, c)}")


def read_body(rows: list[list[Any]], names: dict[str, tuple[str, str]]) -> RawBook:
    return locate_cells("test", SPEC, SPEC.template_version, names, {BODY.name: Grid(rows, [])}, lambda _: {}, {})


def test_rows_inserted_anywhere_in_a_section_are_read_with_it() -> None:
    rows, names = body_grid()
    s1 = parse_address(SPEC.cell("S1.text").address)[0]
    s1_last = parse_address(SPEC.cell("S1.text").block.split(":")[1])[0]  # type: ignore[union-attr]
    excel_insert(rows, names, s1_last, 2)  # inside the block: the name grows
    excel_insert(rows, names, s1, 1)  # between the heading and the first row: the name moves down
    below = parse_address(names["S1_text"][1].split(":")[1])[0] + 1
    excel_insert(rows, names, below, 1)  # right below the block: the name does not grow
    rows[s1][0] = "标题下插入的一行"
    rows[s1 + 1][0] = "一、总体情况"  # the heading pasted with the text: within the named rows it is text
    rows[s1 + 3][0] = 2021  # a number typed into a row
    rows[s1 + 5][0] = "第二段"
    rows[below - 1][0] = "块内最后一行"
    rows[below][0] = "块下插入的一行"
    s5 = parse_address(names["S5_text"][1].split(":")[0])[0]
    rows[s5][0] = "第五部分"
    raw = read_body(rows, names)
    assert raw.cells["S1.text"][:2] == ("标题下插入的一行\n一、总体情况\n2021\n第二段\n块内最后一行\n块下插入的一行",
                                    to_address(s1, 0))
    assert raw.cells["S5.text"].value == "第五部分"
    assert [f.rule for f in raw.findings if f.cells and f.cells[0].sheet == BODY.name] == []


def test_a_text_section_without_its_heading_is_reported_not_misread() -> None:
    rows, names = body_grid()
    heading = parse_address(SPEC.cell("S5.text").address)[0] - 1
    rows[heading][0] = "五、其他内容"
    rows[heading + 1][0] = "某段文字"
    raw = read_body(rows, names)
    assert "S5.text" not in raw.cells
    mismatch = [(f.rule, f.where, f.expected) for f in raw.findings if f.rule == "LAYOUT_LABEL_MISMATCH"]
    assert mismatch == [("LAYOUT_LABEL_MISMATCH", f"{BODY.name}!{SPEC.cell('S5.text').address}",
                         "五、存在的主要问题及改进情况")]


def test_paragraph_rows_and_text_heights() -> None:
    assert paragraph_rows("甲\n乙\n丙", 5) == ["甲", "乙", "丙"]
    assert paragraph_rows("甲\n\n乙\n \n", 5) == ["甲\n", "乙\n \n"]
    assert paragraph_rows("甲\n乙\n丙\n丁", 2) == ["甲", "乙\n丙\n丁"]
    assert "\n".join(r for r in paragraph_rows("\n甲\n\n乙", 3) if r.strip()) == "甲\n\n乙"
    width = BODY.widths["A"]
    assert text_lines("", width) == 1 and text_lines("甲\n乙", width) == 2
    assert text_lines("a" * 100, width) < text_lines("甲" * 100, width)  # Latin letters are narrower
    heights = [text_height("甲" * n, width) for n in (10, 100, 400, 1000, 3000)]
    assert heights == sorted(heights) and heights[0] < 25 and heights[-1] == MAX_ROW_PT
    capacity = row_capacity(width)
    assert fits_one_row("甲" * int(capacity * 0.95), width) and not fits_one_row("甲" * (capacity + 50), width)


def test_the_paragraph_rows_come_from_the_source() -> None:
    source = tomllib.loads(SOURCE.read_text(encoding="utf-8"))
    source["sections"][0]["text"][0]["rows"] += 5  # S1: five more rows move everything below them
    after = parse_spec(build(source))
    body = next(s for s in after.sheets if s.role == "text")

    def down(ref: str) -> str:
        return ":".join(to_address(parse_address(a)[0] + 5, parse_address(a)[1]) for a in ref.split(":"))

    first, last = str(SPEC.cell("S1.text").block).split(":")
    assert after.cell("S1.text").block == f"{first}:{down(last)}"
    assert [(after.cell(i).address, after.cell(i).block) for i in ("S5.text", "S6.text")] == \
        [(down(SPEC.cell(i).address), down(str(SPEC.cell(i).block))) for i in ("S5.text", "S6.text")]
    assert body.print_area == "A1:" + down(BODY.print_area.split(":")[1])
    assert [b.range for b in body.boxes][2:] == [down(b.range) for b in BODY.boxes][2:]


def test_a_source_or_spec_with_broken_paragraph_rows_is_refused() -> None:
    source = tomllib.loads(SOURCE.read_text(encoding="utf-8"))
    source["sections"][0]["text"][0]["rows"] = 0
    with pytest.raises(FormatError) as info:
        build(source, "province.toml")
    assert "province.toml: body.S1: rows must be a positive whole number" in info.value.en
    data = build_file(SOURCE)
    next(c for c in data["cells"] if c["id"] == "S5.text")["block"] = "B27:B38"
    with pytest.raises(FormatError) as info:
        parse_spec(data, "province.json")
    assert "cell S5.text: block 'B27:B38' must be a text cell's column range" in info.value.en


def test_defined_names_of_cells_and_of_paragraph_rows() -> None:
    assert name_target("'正文'!$A$3:$A$22") == ("正文", "A3:A22")
    assert name_target("='表三'!$D$5") == ("表三", "D5")
    assert name_target("#REF!") is None and name_target("'正文'!$A$3:#REF!") is None


def test_print_settings_of_the_text_sheet(tmp_path: Path) -> None:
    book = write_doc(clean_document(), tmp_path)
    ws = openpyxl.load_workbook(book)[BODY.name]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    pixels = sum(round(ws.column_dimensions[c].width * 7) for c in BODY.widths)  # Excel: 7 px a character
    printable = (8.27 - ws.page_margins.left - ws.page_margins.right) * 96
    assert printable - 20 < pixels <= printable  # the text fills the width without being scaled down
    assert ws.protection.sheet and ws.protection.insertRows is False  # rows for more paragraphs can be inserted
    assert openpyxl.load_workbook(book)["表三"].protection.insertRows is not False
