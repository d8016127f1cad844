"""``xltools export`` to Word: the document is opened with python-docx and compared with the workbook (openpyxl),
the official labels (tests/data/format-2021.json) and the real reports' hand-checked numbers (tests/data)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt
from helpers import (
    EXAMPLE_JSON,
    EXAMPLE_XLSX,
    REPO,
    clean_document,
    docx_grid,
    export,
    exported_with_texts,
    hand_checked,
    load_json,
    official_format,
    workbook_grid,
    write_doc,
)

from xltools.format.addresses import parse_address
from xltools.format.spec import load_spec

GOLDEN = REPO / "tests" / "golden" / "huaian-2024.docx-structure.json"
SECTION_TITLES = [s.title for s in load_spec().sections]
TABLE_SHEETS = {"T2": "表二", "T3": "表三", "T4": "表四"}


def body_paragraphs(document: Any) -> list[Any]:
    return list(document.paragraphs)


def section_paragraphs(document: Any, title: str) -> list[str]:
    """Texts of the body paragraphs after a level-1 heading, up to the next heading or table."""
    out: list[str] = []
    started = False
    for block in document.element.body.iterchildren():
        if block.tag == qn("w:tbl"):
            if started:
                break
            continue
        if block.tag != qn("w:p"):
            continue
        p = docx.text.paragraph.Paragraph(block, document)
        if p.style.name == "一级标题":
            if started:
                break
            started = p.text == title
            continue
        if started and p.style.name in ("Normal", "二级标题") and p.text:
            out.append(p.text)
    return out


def expected_paragraphs(text: str) -> list[str]:
    return [line.strip().lstrip("\u3000") for line in text.splitlines() if line.strip()]


def tables_by_id(document: Any) -> dict[str, Any]:
    assert len(document.tables) == 3
    return dict(zip(("T2", "T3", "T4"), document.tables, strict=True))


def cell_text(grid: list[tuple[int, int, int, int, str]], row: int, col: int) -> str:
    for r, c, h, w, text in grid:
        if r <= row < r + h and c <= col < c + w:
            return text
    raise AssertionError((row, col))


def huaian_book(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    doc = clean_document()
    return write_doc(doc, tmp_path, "huaian"), doc


def test_seed_example_exports_with_its_numbers_and_texts(tmp_path: Path) -> None:
    book = tmp_path / EXAMPLE_XLSX.name
    shutil.copy(EXAMPLE_XLSX, book)
    result = export(book, "--force")
    # The seed really lacks section 六: the export says so (exit 1) and writes the document anyway (--force).
    assert result.returncode == 1, result.stderr
    assert "SECTIONS_PRESENT" in result.stderr
    out = tmp_path / "鹤岗市科学技术局2021年政府信息公开工作年度报告.docx"
    assert result.stdout.strip() == str(out)
    document = docx.Document(str(out))
    assert document.paragraphs[0].text == "鹤岗市科学技术局\n2021年政府信息公开工作年度报告"
    assert document.core_properties.title == "鹤岗市科学技术局2021年政府信息公开工作年度报告"
    headings = [p.text for p in document.paragraphs if p.style.name == "一级标题"]
    assert headings == [*SECTION_TITLES[:-1], SECTION_TITLES[-1] + "（未填写）"]  # the empty section says so
    seed = load_json(EXAMPLE_JSON)
    assert section_paragraphs(document, "一、总体情况") == expected_paragraphs(seed["texts"]["S1.text"])
    assert section_paragraphs(document, "五、存在的主要问题及改进情况") == expected_paragraphs(seed["texts"]["S5.text"])
    assert section_paragraphs(document, "六、其他需要报告的事项（未填写）") == []
    expected = hand_checked("heilongjiang-hegang-kejiju-2021")["values"]
    spec = load_spec()
    grids = {t: docx_grid(table) for t, table in tables_by_id(document).items()}
    for cell_id, value in expected.items():
        cell = spec.cell(cell_id)
        sheet = next(s for s in spec.sheets if s.name == cell.sheet)
        row, col = parse_address(cell.address)
        assert cell_text(grids[str(sheet.table)], row - 1, col) == str(value), cell_id
    assert [p.text for p in document.paragraphs[-2:]] == ["鹤岗市科学技术局", "2022年1月17日"]


def test_tables_reproduce_the_workbook_cell_for_cell(tmp_path: Path) -> None:
    book, _ = huaian_book(tmp_path)
    out = tmp_path / "huaian.docx"
    result = export(book, "-o", out)
    assert result.returncode == 0, result.stderr
    document = docx.Document(str(out))
    for table_id, table in tables_by_id(document).items():
        # same merged cells, same labels, same numbers, in the same places
        assert docx_grid(table) == workbook_grid(book, TABLE_SHEETS[table_id]), table_id


def test_labels_are_the_official_ones(tmp_path: Path) -> None:
    book, doc = huaian_book(tmp_path)
    out = tmp_path / "r.docx"
    assert export(book, "-o", out).returncode == 0
    official = official_format()["tables"]
    grids = {t: docx_grid(table) for t, table in tables_by_id(docx.Document(str(out))).items()}
    t3 = grids["T3"]
    texts = [text for *_, text in t3]
    assert official["T3"]["header_note"] in texts
    assert "申请人情况" in texts and "法人或其他组织" in texts
    row_labels = []
    for row in range(3, 28):  # data rows of 表三: the label is the right-most label cell left of the numbers
        row_labels.append(next(text for r, c, h, w, text in sorted(t3, key=lambda g: -g[1])
                               if r <= row < r + h and c + w <= 3))
    assert row_labels == [r["label"] for r in official["T3"]["rows"]]
    numbers = [[cell_text(t3, row, col) for col in range(3, 10)] for row in range(3, 28)]
    assert numbers == [[str(doc["values"][f"T3.{r['id']}.{c['id']}"]) for c in official["T3"]["columns"]]
                       for r in official["T3"]["rows"]]
    column_labels = [cell_text(t3, 2, col) if col not in (3, 9) else cell_text(t3, 1, col) for col in range(3, 10)]
    assert column_labels == [c["label"] for c in official["T3"]["columns"]]
    captions = [text for r, c, h, w, text in grids["T2"] if w == 4]
    assert captions == [b["caption"] for b in official["T2"]["blocks"]]
    t4_header = [text for r, c, h, w, text in grids["T4"] if r == 2 or (r == 1 and h == 2)]
    leaves = [c["label"] for c in official["T4"]["columns_per_group"]]
    assert t4_header == leaves * 3
    assert [text for r, c, h, w, text in grids["T4"] if r == 0] == ["行政复议", "行政诉讼"]


def test_the_fee_keeps_its_decimals_and_blanks_stay_blank(tmp_path: Path) -> None:
    doc = clean_document()
    doc["values"]["T2.administrative_fees.amount"] = 24252.311082
    doc["values"]["T2.regulations.repealed"] = None  # blank: a warning, published as entered
    book = write_doc(doc, tmp_path)
    out = tmp_path / "r.docx"
    result = export(book, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "VALUE_BLANK" in result.stderr
    t2 = docx_grid(docx.Document(str(out)).tables[0])
    assert cell_text(t2, 13, 1) == "24252.311082"  # 表二!B15
    assert cell_text(t2, 2, 2) == ""  # 表二!C4


def test_typography_follows_official_document_conventions(tmp_path: Path) -> None:
    book, _ = huaian_book(tmp_path)
    out = tmp_path / "r.docx"
    assert export(book, "-o", out).returncode == 0
    document = docx.Document(str(out))
    section = document.sections[0]
    page = (section.page_width, section.page_height, section.top_margin, section.bottom_margin,
            section.left_margin, section.right_margin)
    assert [round(x.mm) for x in page] == [210, 297, 37, 35, 28, 26]  # A4, GB/T 9704 margins

    def east_asia(style_name: str) -> tuple[str | None, Any]:
        style = document.styles[style_name]
        return style.element.rPr.rFonts.get(qn("w:eastAsia")), style.font.size

    assert east_asia("Normal") == ("仿宋_GB2312", Pt(16))
    assert east_asia("报告标题") == ("方正小标宋简体", Pt(22))
    assert east_asia("一级标题") == ("黑体", Pt(16))
    assert east_asia("二级标题") == ("楷体_GB2312", Pt(16))
    assert document.styles["Normal"].paragraph_format.line_spacing == Pt(28.95)
    assert document.paragraphs[0].style.name == "报告标题"
    # page numbers "— n —", odd pages right and even pages left
    assert document.settings.odd_and_even_pages_header_footer
    for footer in (section.footer, section.even_page_footer):
        xml = footer._element.xml
        assert "PAGE" in xml and "— " in footer.paragraphs[0].text
    # Word substitutes the standard Windows faces for missing official fonts
    font_table = document.part.part_related_by(docx.opc.constants.RELATIONSHIP_TYPE.FONT_TABLE).blob.decode()
    assert 'w:name="仿宋_GB2312"' in font_table and 'w:altName w:val="仿宋"' in font_table
    lang = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(
        qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN"
    sig = document.paragraphs[-2:]
    assert [p.text for p in sig] == ["淮安市人民政府（全市汇总）", "2025年1月20日"]
    assert all(p.style.name == "落款" for p in sig)
    # 表三 header rows repeat on every page and no row is split across pages
    t3 = document.tables[1]._tbl
    assert [tr.trPr.find(qn("w:tblHeader")) is not None for tr in t3.tr_lst[:4]] == [True, True, True, False]


def test_level_two_headings_in_the_text_are_set_in_kaiti(tmp_path: Path) -> None:
    out = exported_with_texts(tmp_path, "docx", S5="（一）存在的问题。信息发布不够及时。\n（二）改进措施\n加强审核。")
    document = docx.Document(str(out))
    paragraphs = {p.text: p for p in document.paragraphs}
    lead = paragraphs["（一）存在的问题。信息发布不够及时。"]
    assert [(r.text, r.style.name) for r in lead.runs] == [("（一）存在的问题。", "楷体强调"),
                                                          ("信息发布不够及时。", "Default Paragraph Font")]
    assert paragraphs["（二）改进措施"].style.name == "二级标题"
    assert paragraphs["加强审核。"].style.name == "Normal"


def structure(document: Any) -> dict[str, Any]:
    """The document's shape: paragraphs (style, text) and tables (merged cells), for the golden test."""
    blocks: list[Any] = []
    tables = iter(document.tables)
    for block in document.element.body.iterchildren():
        if block.tag == qn("w:p"):
            p = docx.text.paragraph.Paragraph(block, document)
            text = p.text if len(p.text) <= 40 else p.text[:40] + f"…({len(p.text)})"
            blocks.append(f"{p.style.name}: {text}")
        elif block.tag == qn("w:tbl"):
            blocks.append({"table": [f"{r},{c} {h}x{w} {text}" for r, c, h, w, text in docx_grid(next(tables))]})
    return {"blocks": blocks}


def test_document_structure_matches_the_golden_file(tmp_path: Path) -> None:
    book, _ = huaian_book(tmp_path)
    out = tmp_path / "r.docx"
    assert export(book, "-o", out).returncode == 0
    actual = structure(docx.Document(str(out)))
    if os.environ.get("XLTOOLS_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert GOLDEN.is_file(), "create it with XLTOOLS_UPDATE_GOLDEN=1 and review it"
    assert actual == json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["docx", "html"])
def test_library_api_is_what_the_command_uses(tmp_path: Path, fmt: str) -> None:
    import xltools

    book, _ = huaian_book(tmp_path)
    result = xltools.export(book, fmt=fmt)
    assert not result.blocked and result.report.status in ("ok", "warnings")
    assert result.output == tmp_path / f"淮安市人民政府（全市汇总）2024年政府信息公开工作年度报告.{fmt}"
    assert result.output.is_file()
